"""Order filling against the symbol's volume_limit through ``hqt`` and the C struct (the
Swift twin is Tests/HQTTests/Core/FillingTests.swift).

Sources: MQL5 book, "Permitted volumes of trading operations" (SYMBOL_VOLUME_LIMIT,
"maximum allowable total volume of an open position and pending orders in one
direction"), and "Order execution modes by price and volume" (ORDER_FILLING_FOK: the
specified volume or nothing; _IOC: the available volume, the rest canceled; _RETURN:
the rest not canceled but processed further). HQT's available volume is the room under
the limit: docs/engine.md, "Order filling".

S: quoted 1.10000 / 1.10020, volume_limit 5 lots, 1 000 000 USD (margin never binds).
"""

from __future__ import annotations

import ctypes as C
import shutil

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0, snapshot


def tick(e: hqt.Engine, k: int, bid: float, ask: float) -> None:
    e.process_event(hqt.Tick(0, T0 + k * SEC, bid, ask))


def engine(volume_limit: float = 5.0) -> hqt.Engine:
    e = hqt.Engine(1_000_000.0, "USD", 100)
    e.add_symbol("S", base_currency="USD", profit_currency="USD", volume_limit=volume_limit)
    tick(e, 1, 1.10000, 1.10020)
    return e


def test_fok_ioc_and_return_when_the_limit_bites():
    e = engine()
    assert e.symbol("S").volume_limit == 5.0
    first = e.buy("S", 3.0)
    # room for buys: 5 - 3 = 2 lots
    with pytest.raises(hqt.VolumeLimitError, match="leaves 2 lots"):
        e.order_send("S", hqt.OrderType.BUY, 2.5)  # fok is the default
    assert len(e.deals) == 1
    # IOC: 2 lots fill at the ask, 0.5 is canceled (no order left)
    e.order_send("S", hqt.OrderType.BUY, 2.5, filling="ioc")
    assert (e.deals[-1].volume, e.deals[-1].price) == (2.0, 1.10020)
    assert e.orders == []
    with pytest.raises(hqt.VolumeLimitError):
        e.order_send("S", hqt.OrderType.BUY, 0.01, filling="ioc")  # nothing fits
    # RETURN after closing 2 of the 3 lots (room 2): 2 fill, 1 stays as a buy limit
    e.close(first, 2.0)
    e.order_send("S", hqt.OrderType.BUY, 3.0, filling=hqt.OrderFilling.RETURN)
    assert e.deals[-1].volume == 2.0
    (rest,) = e.orders
    assert (rest.type, rest.volume, rest.price) == (hqt.OrderType.BUY_LIMIT, 1.0, 1.10020)
    tick(e, 2, 1.09990, 1.10010)  # at the price, but no room: it waits
    assert len(e.orders) == 1
    e.close(first)  # 1 lot closed: room 1
    tick(e, 3, 1.09990, 1.10010)  # fills at this tick's ask
    assert e.orders == [] and (e.deals[-1].volume, e.deals[-1].price) == (1.0, 1.10010)


def test_pending_orders_must_fit_and_bad_fillings_are_refused():
    e = engine()
    e.buy("S", 5.0)
    with pytest.raises(hqt.VolumeLimitError):
        e.buy_limit("S", 1.0, 1.09000)  # the book's example: no buy limit
    e.sell_limit("S", 5.0, 1.11000)  # but a 5-lot sell limit is fine
    with pytest.raises(hqt.InvalidArgumentError, match="filling"):
        e.order_send("S", hqt.OrderType.SELL, 1.0, filling="all")
    with pytest.raises(hqt.InvalidArgumentError, match="volume_limit"):
        hqt.Engine(1000.0).add_symbol("EURUSD", volume_limit=-1.0)


def test_the_wal_fingerprint_covers_the_limit(tmp_path):
    from hqt import wal_records as W

    for i, limit in enumerate([0.0, 5.0]):
        e = hqt.Engine(1000.0)
        e.add_symbol("EURUSD", volume_limit=limit)
        report = e.enable_wal(tmp_path / f"{i}.wal")
        config = W.SymbolConfig("EURUSD", "EUR", "USD", volume_limit=int(limit * 10**6))
        assert report.fingerprint == W.configuration_fingerprint(1000 * 10**6, "USD", 100, [config])
        e.disable_wal()


def test_the_c_struct_and_request_carry_limit_and_filling():
    lib = H.load(LIBHQT)
    s = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == 0
    assert s.volume_limit == 0
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"
    s.volume_limit = 5 * 10**6
    e = C.c_void_p()
    assert lib.hqt_engine_create(1_000_000 * 10**6, b"USD", 100, C.byref(e)) == 0
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 0
    back = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(back), C.sizeof(back)) == 0
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == 0 and back.volume_limit == 5 * 10**6
    ev = H.Event(type=0, tick=H.Tick(0, T0 + SEC, 1_100_000, 1_100_200))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == 0
    r = H.OrderRequestV2()
    assert lib.hqt_order_request_v2_init(C.byref(r), C.sizeof(r)) == 0
    r.type, r.volume = hqt.OrderType.BUY, 6 * 10**6
    t = C.c_uint64()
    st = lib.hqt_engine_order_send_v2(e, C.byref(r), C.byref(t))
    assert st == 28 and lib.hqt_status_name(st) == b"HQT_E_LIMIT_VOLUME"
    r.filling = hqt.OrderFilling.IOC
    assert lib.hqt_engine_order_send_v2(e, C.byref(r), C.byref(t)) == 0
    deals, n = (H.Deal * 2)(), C.c_size_t()
    assert lib.hqt_engine_deals(e, deals, 2, C.byref(n)) == 0 and n.value == 1
    assert deals[0].volume == 5 * 10**6
    lib.hqt_engine_destroy(e)


# ---- kill -9 resume ------------------------------------------------------------------
# Partial fills are fill records and RETURN remainders order placements: a run cut by
# a kill -9 (a copy of its log taken mid-run) resumes to the uninterrupted run's state.

FILL_TICKS = 1440  # one day of minute ticks


def filling_engine() -> hqt.Engine:
    e = hqt.Engine(100_000.0)
    e.add_symbol("S", base_currency="USD", profit_currency="USD", volume_limit=0.5)
    rng = np.random.default_rng(5)
    t = T0 + np.arange(FILL_TICKS, dtype=np.int64) * 60 * SEC
    bid = 1.10000 + np.cumsum(rng.integers(-8, 9, FILL_TICKS)) * 0.00001
    e.load_ticks(0, t, bid, bid + 0.00012)
    return e


class FillTrader(hqt.Strategy):
    def __init__(self, copy_at: int = 0, log=None, copy=None):
        self.n, self.refused = 0, 0
        self.copy_at, self.log, self.copy = copy_at, log, copy

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.n += 1
        k = (tick.time - T0) // (60 * SEC) + 1  # from the data: a resumed run agrees
        try:
            if k % 7 == 1:
                e.order_send(0, hqt.OrderType.BUY, 0.3, filling="return" if k % 2 else "ioc")
            elif k % 11 == 4 and e.positions:
                e.close(e.positions[0].ticket)
            elif k % 97 == 50 and e.orders:
                e.cancel(e.orders[0].ticket)
        except hqt.VolumeLimitError:
            self.refused += 1
        if self.n == self.copy_at and self.log is not None:
            shutil.copyfile(self.log, self.copy)


def test_a_run_with_partial_fills_resumes_exactly_from_the_wal(tmp_path):
    reference = filling_engine()
    trader = FillTrader()
    reference.run(trader)
    partial = [d for d in reference.deals if d.entry == hqt.DealEntry.IN and d.volume < 0.3]
    assert trader.refused > 10 and len(partial) > 10  # the limit bit, both ways
    expected = snapshot(reference)

    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = filling_engine()
    e.enable_wal(log, sync="always", checkpoint_every=50)
    e.run(FillTrader(900, log, copy))
    e.disable_wal()
    assert snapshot(e) == expected

    r = filling_engine()
    r.enable_wal(copy, sync="always", checkpoint_every=50)
    rep = r.recover_from_wal()
    assert 0 < rep.events_processed < FILL_TICKS
    r.run(FillTrader(), resume=True)
    assert snapshot(r) == expected
    r.disable_wal()
