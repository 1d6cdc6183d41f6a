"""hqt.wal_records against logs the engine really writes.

The engine is driven through its C ABI (ctypes on the built libhqt.so); its
log is read with the pure-Python hqt.wal + hqt.wal_records, and every decoded
field is checked against what the engine reports (deals, positions, orders,
trades, equity curve, account), record by record and checkpoint by
checkpoint. Checkpoints write the history lists as deltas (snapshot v2): the
history is rebuilt from the chain of checkpoints (W.rebuild_history) before
it is compared with the engine's. Recovery of logs cut after every record
checks the documented discard rule, as the reference model of the tests
(wal_reference_model.py: recovery_plan, Ledger) applies it, against the
engine's own recovery report and state.

Build first: ``swift build -c release --product hqt``.
"""

from __future__ import annotations

import ctypes as C
import io
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import hqt_ctypes as H
import wal_reference_model as M
from hqt import wal
from hqt import wal_records as W

ROOT = Path(__file__).resolve().parents[2]
LIB_PATH = Path(os.environ.get("HQT_LIB", ROOT / ".build" / "release" / "libhqt.so"))

T0 = 1_704_153_600 * 10**9  # 2024-01-02 00:00:00 UTC
SEC = 10**9
OK = 0
E_STATE = 14
P = C.POINTER


class RecoveryReport(C.Structure):
    _fields_ = [
        ("records_replayed", C.c_int64),
        ("records_discarded", C.c_int64),
        ("checkpoint_sequence", C.c_uint64),
        ("events_processed", C.c_int64),
        ("last_event_time", C.c_int64),
        ("torn_bytes_dropped", C.c_int64),
        ("torn_records_dropped", C.c_int64),
        ("replayed_over_data", C.c_int32),
        ("reserved", C.c_int32),
    ]


_WAL_SIGNATURES = {
    # options NULL = defaults (sync ALWAYS, no truncate); report NULL
    "hqt_engine_enable_wal": (C.c_int, [H.ENGINE_P, C.c_char_p, C.c_void_p, C.c_int64, C.c_void_p]),
    "hqt_engine_disable_wal": (C.c_int, [H.ENGINE_P]),
    "hqt_engine_checkpoint": (C.c_int, [H.ENGINE_P]),
    "hqt_engine_recover_from_wal": (C.c_int, [H.ENGINE_P, P(RecoveryReport)]),
    "hqt_engine_order_history": (C.c_int, [H.ENGINE_P, P(H.Order), C.c_size_t, P(C.c_size_t)]),
    "hqt_engine_set_equity_interval": (C.c_int, [H.ENGINE_P, C.c_int64]),
}


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    if not LIB_PATH.exists():
        pytest.skip("%s not built (swift build -c release --product hqt)" % LIB_PATH)
    lib = H.load(LIB_PATH)
    for name, (restype, argtypes) in _WAL_SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


# ---------------------------------------------------------------------------
# A thin driver over the C ABI
# ---------------------------------------------------------------------------


class Engine:
    def __init__(
        self, lib: C.CDLL, balance: int = 10_000 * 10**6, leverage: int = 100, netting: bool = False
    ):
        self.lib = lib
        self.h = C.c_void_p()
        self.ok(lib.hqt_engine_create(balance, b"USD", leverage, C.byref(self.h)))
        if netting:
            self.ok(lib.hqt_engine_set_account_mode(self.h, 1))

    def close_handle(self) -> None:
        if self.h:
            self.lib.hqt_engine_destroy(self.h)
            self.h = C.c_void_p()

    def ok(self, status: int) -> None:
        if status != OK:
            raise AssertionError(
                "%s: %s"
                % (self.lib.hqt_status_name(status).decode(), self.lib.hqt_last_error().decode())
            )

    def add_symbol(
        self, name: bytes, base: bytes, profit: bytes, digits: int = 5, commission: int = 0
    ) -> int:
        spec = H.SymbolSpec()
        self.lib.hqt_symbol_spec_init(C.byref(spec))
        spec.name, spec.base_currency, spec.profit_currency = name, base, profit
        spec.digits, spec.commission_per_lot = digits, commission
        sid = C.c_uint32()
        self.ok(self.lib.hqt_engine_add_symbol(self.h, C.byref(spec), C.byref(sid)))
        return sid.value

    def load_ticks(self, sid: int, times: list[int], bids: list[int], spread: int) -> None:
        n = len(times)
        arr = C.c_int64 * n
        self.ok(
            self.lib.hqt_engine_load_ticks(
                self.h, sid, arr(*times), arr(*bids), arr(*(b + spread for b in bids)), n
            )
        )

    def enable_wal(self, path: Path, checkpoint_every: int = 0) -> None:
        self.ok(
            self.lib.hqt_engine_enable_wal(self.h, str(path).encode(), None, checkpoint_every, None)
        )

    def buy(self, sid: int, volume: int, sl: int = 0, tp: int = 0) -> int:
        t = C.c_uint64()
        self.ok(self.lib.hqt_engine_buy(self.h, sid, volume, sl, tp, C.byref(t)))
        return t.value

    def sell(self, sid: int, volume: int, sl: int = 0, tp: int = 0) -> int:
        t = C.c_uint64()
        self.ok(self.lib.hqt_engine_sell(self.h, sid, volume, sl, tp, C.byref(t)))
        return t.value

    def order(
        self,
        sid: int,
        type_: int,
        volume: int,
        price: int,
        stop_limit: int = 0,
        sl: int = 0,
        tp: int = 0,
        expiration: int = 0,
        magic: int = 0,
    ) -> int:
        req = H.OrderRequest(
            symbol_id=sid,
            type=type_,
            volume=volume,
            price=price,
            stop_limit=stop_limit,
            sl=sl,
            tp=tp,
            expiration=expiration,
            trailing_points=0,
            magic=magic,
        )
        t = C.c_uint64()
        self.ok(self.lib.hqt_engine_order_send(self.h, C.byref(req), C.byref(t)))
        return t.value

    def _list(self, fn: Callable, cls: type) -> list:
        n = C.c_size_t()
        self.ok(fn(self.h, None, 0, C.byref(n)))
        arr = (cls * max(n.value, 1))()
        self.ok(fn(self.h, arr, n.value, C.byref(n)))
        return list(arr[: n.value])

    def deals(self) -> list[H.Deal]:
        return self._list(self.lib.hqt_engine_deals, H.Deal)

    def positions(self) -> list[H.Position]:
        return self._list(self.lib.hqt_engine_positions, H.Position)

    def orders(self) -> list[H.Order]:
        return self._list(self.lib.hqt_engine_orders, H.Order)

    def order_history(self) -> list[H.Order]:
        return self._list(self.lib.hqt_engine_order_history, H.Order)

    def trades(self) -> list[H.Trade]:
        return self._list(self.lib.hqt_engine_trades, H.Trade)

    def equity_curve(self) -> list[H.EquityPoint]:
        return self._list(self.lib.hqt_engine_equity_curve, H.EquityPoint)

    def account(self) -> H.Account:
        a = H.Account()
        self.ok(self.lib.hqt_engine_account(self.h, C.byref(a)))
        return a

    def statistics(self) -> H.Statistics:
        s = H.Statistics()
        self.ok(self.lib.hqt_engine_statistics(self.h, C.byref(s)))
        return s

    def run(self, on_tick=None, on_bar=None) -> None:
        """Runs with Python callbacks; an exception in one stops the run and is re-raised."""
        errors: list[BaseException] = []

        def guard(fn):
            def call(*args):
                if errors:
                    return 1
                try:
                    fn(*args)
                    return 0
                except BaseException as e:  # noqa: BLE001 - re-raised below
                    errors.append(e)
                    return 1

            return call

        st = H.Strategy()
        keep = []
        if on_tick is not None:
            st.on_tick = H.ON_TICK(guard(lambda e, t, u: on_tick(t.contents)))
            keep.append(st.on_tick)
        if on_bar is not None:
            st.on_bar = H.ON_BAR(guard(lambda e, b, u: on_bar(b.contents)))
            keep.append(st.on_bar)
        status = self.lib.hqt_engine_run(self.h, C.byref(st))
        if errors:
            raise errors[0]
        self.ok(status)


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------

MICRO = 10**6
PIP = 100  # EURUSD 0.0001 in micro
LOT = MICRO


def eurusd_path() -> list[int]:
    """Bid every 5 s: up from 1.10000 to 1.10450, down to 1.09500, back to 1.10000."""
    pts = [(0, 1_100_000), (10, 1_101_000), (30, 1_104_500), (70, 1_095_000), (110, 1_100_000)]
    out: list[int] = []
    for (k0, b0), (k1, b1) in zip(pts, pts[1:], strict=False):
        for k in range(k0, k1):
            out.append(b0 + (b1 - b0) * (k - k0) // (k1 - k0))
    out.append(pts[-1][1])
    return out


@dataclass
class Run:
    path: Path
    engine: Engine
    tickets: dict[str, int] = field(default_factory=dict)
    records: list[wal.Record] = field(default_factory=list)
    decoded: list[Any] = field(default_factory=list)


def hedging_run(lib, path: Path, checkpoint_every: int = 7) -> Run:
    """Every record type, every phase but STOP_OUT, every pending-order fate."""
    e = Engine(lib)
    eu = e.add_symbol(b"EURUSD", b"EUR", b"USD", commission=2 * MICRO)
    uj = e.add_symbol(b"USDJPY", b"USD", b"JPY", digits=3, commission=MICRO)
    bids = eurusd_path()
    times = [T0 + k * 5 * SEC for k in range(len(bids))]
    e.load_ticks(eu, times, bids, spread=PIP)
    jt = [T0 + 2 * SEC + k * 10 * SEC for k in range(30)]
    e.load_ticks(uj, jt, [145_000_000 + k * 20_000 for k in range(30)], spread=20_000)
    e.ok(
        lib.hqt_engine_build_bars(e.h, eu, 1)
    )  # M1 bars built from ticks: on_bar before the tick's prices
    e.enable_wal(path, checkpoint_every)
    e.ok(lib.hqt_engine_build_bars(e.h, eu, 5))  # requested with the log on: a BUILD_BARS record
    e.ok(lib.hqt_engine_deposit(e.h, 500 * MICRO))  # before the first event: event 0, BETWEEN
    run = Run(path, e)
    tk = run.tickets
    bars_seen: list[int] = []

    def on_bar(bar: H.Bar) -> None:
        bars_seen.append(bar.time)
        if len(bars_seen) == 1:
            tk["bar_buy"] = e.buy(eu, 10_000)  # 0.01 lot, phase BEFORE_MARKET
        elif len(bars_seen) == 2:
            e.ok(lib.hqt_engine_close(e.h, tk["bar_buy"], 0))

    def on_tick(t: H.Tick) -> None:
        if t.symbol_id == uj:
            k = (t.time - T0 - 2 * SEC) // (10 * SEC)
            if k == 3:
                tk["jpy"] = e.buy(uj, 100_000, sl=140_000_000)
            elif k == 20:
                e.ok(lib.hqt_engine_close(e.h, tk["jpy"], 0))
            return
        k = (t.time - T0) // (5 * SEC)
        if k == 1:
            tk["tp"] = e.buy(eu, 100_000, sl=1_097_000, tp=1_104_000)
            tk["partial"] = e.sell(eu, 200_000, sl=1_108_000)
            tk["trail"] = e.buy(eu, 300_000, sl=1_090_000)
        elif k == 2:
            tk["limit"] = e.order(eu, 2, 100_000, 1_099_000, magic=7)  # BUY_LIMIT
            tk["cancel"] = e.order(eu, 5, 100_000, 1_090_000)  # SELL_STOP
            tk["expire"] = e.order(eu, 4, 100_000, 1_106_000, expiration=T0 + 60 * SEC)  # BUY_STOP
            tk["stoplimit"] = e.order(
                eu, 6, 100_000, 1_103_000, stop_limit=1_102_000
            )  # BUY_STOP_LIMIT
        elif k == 3:
            e.ok(lib.hqt_engine_modify_order(e.h, tk["limit"], 1_098_000, H.HQT_KEEP, H.HQT_KEEP))
        elif k == 4:
            e.ok(lib.hqt_engine_cancel(e.h, tk["cancel"]))
        elif k == 5:
            e.ok(lib.hqt_engine_modify(e.h, tk["trail"], 1_096_000, H.HQT_KEEP))
        elif k == 6:
            e.ok(
                lib.hqt_engine_modify(e.h, tk["limit"], 1_090_000, 1_110_000)
            )  # a pending order's SL/TP
        elif k == 10:
            e.ok(lib.hqt_engine_set_trailing_stop(e.h, tk["trail"], 200))
        elif k == 15:
            e.ok(lib.hqt_engine_deposit(e.h, 1_000 * MICRO))  # phase CALLBACKS
        elif k == 20:
            e.ok(lib.hqt_engine_close(e.h, tk["partial"], 50_000))

    e.run(on_tick=on_tick, on_bar=on_bar)
    # Between events, after the run: close what is left of the partial, withdraw.
    e.ok(lib.hqt_engine_close(e.h, tk["partial"], 0))
    e.ok(lib.hqt_engine_deposit(e.h, -200 * MICRO))
    e.ok(lib.hqt_engine_disable_wal(e.h))
    return read(run)


def netting_stop_out_run(lib, path: Path) -> Run:
    """Netting (adding, reversing: an INOUT deal) and a stop-out."""
    e = Engine(lib, balance=1_000 * MICRO, netting=True)
    eu = e.add_symbol(b"EURUSD", b"EUR", b"USD", commission=MICRO)
    bids = [1_100_000] * 6 + [1_100_000 + k * 1_000 for k in range(1, 30)]
    e.load_ticks(eu, [T0 + k * SEC for k in range(len(bids))], bids, spread=PIP)
    e.enable_wal(path, checkpoint_every=1)
    run = Run(path, e)

    def on_tick(t: H.Tick) -> None:
        k = (t.time - T0) // SEC
        if k == 1:
            run.tickets["pos"] = e.buy(eu, 100_000)
        elif k == 2:
            e.buy(eu, 100_000, sl=1_090_000)  # adds: IN deal on the same position
        elif k == 3:
            e.sell(eu, 300_000)  # reverses: INOUT deal, position 0.1 sell
        elif k == 4:
            e.sell(eu, 500_000)  # adds: 0.6 sell

    e.run(on_tick=on_tick)
    e.ok(lib.hqt_engine_disable_wal(e.h))
    return read(run)


def read(run: Run) -> Run:
    log = wal.read_log(str(run.path))
    assert log.torn_bytes == 0 and log.header is not None
    run.records = log.records
    run.decoded = [W.decode(r.type, r.data) for r in log.records]
    return run


@pytest.fixture(scope="module")
def hedging(lib, tmp_path_factory) -> Run:
    run = hedging_run(lib, tmp_path_factory.mktemp("hedging") / "run.wal")
    yield run
    run.engine.close_handle()


@pytest.fixture(scope="module")
def netting(lib, tmp_path_factory) -> Run:
    run = netting_stop_out_run(lib, tmp_path_factory.mktemp("netting") / "run.wal")
    yield run
    run.engine.close_handle()


def light_engine(lib) -> Engine:
    """One symbol, 120 ticks 5 s apart, an equity sample every 20 s; nothing traded."""
    e = Engine(lib)
    eu = e.add_symbol(b"EURUSD", b"EUR", b"USD", commission=MICRO)
    bids = [1_100_000 + ((k * 37) % 23 - 11) * 10 for k in range(120)]
    e.load_ticks(eu, [T0 + k * 5 * SEC for k in range(len(bids))], bids, spread=PIP)
    e.ok(lib.hqt_engine_set_equity_interval(e.h, 20 * SEC))
    return e


def light_checkpoints_run(lib, path: Path, checkpoint_every: int = 2) -> Run:
    """Many light checkpoints (periodic every 2 records, end of run, explicit,
    disable_wal), each continuing the history lists of the one before."""
    e = light_engine(lib)
    e.enable_wal(path, checkpoint_every)
    run = Run(path, e)
    open_tickets: list[int] = []

    def on_tick(t: H.Tick) -> None:
        k = (t.time - T0) // (5 * SEC)
        if k % 4 == 1:
            open_tickets.append(e.buy(0, 10_000) if k % 8 == 1 else e.sell(0, 20_000))
        elif k % 4 == 3 and open_tickets:
            e.ok(lib.hqt_engine_close(e.h, open_tickets.pop(0), 0))
        elif k % 12 == 2:
            e.ok(
                lib.hqt_engine_cancel(e.h, e.order(0, 2, 10_000, 1_000_000))
            )  # BUY_LIMIT, canceled

    e.run(on_tick=on_tick)
    # Between events, at the last tick's time: a deal (its equity sample
    # replaces the end-of-run one), an explicit checkpoint, a close.
    run.tickets["after"] = e.buy(0, 10_000)
    e.ok(lib.hqt_engine_checkpoint(e.h))
    e.ok(lib.hqt_engine_close(e.h, run.tickets["after"], 0))
    e.ok(lib.hqt_engine_disable_wal(e.h))
    return read(run)


@pytest.fixture(scope="module")
def light(lib, tmp_path_factory) -> Run:
    run = light_checkpoints_run(lib, tmp_path_factory.mktemp("light") / "run.wal")
    yield run
    run.engine.close_handle()


# ---------------------------------------------------------------------------
# Comparisons, field by field
# ---------------------------------------------------------------------------


def same_deal(d: W.Deal, c: H.Deal) -> None:
    assert (
        d.ticket,
        d.order,
        d.position,
        d.symbol_id,
        int(d.side),
        int(d.entry),
        int(d.reason),
        d.time,
        d.volume,
        d.price,
        d.commission,
        d.profit,
        d.balance,
        d.magic,
    ) == (
        c.ticket,
        c.order,
        c.position,
        c.symbol_id,
        c.type,
        c.entry,
        c.reason,
        c.time,
        c.volume,
        c.price,
        c.commission,
        c.profit,
        c.balance,
        c.magic,
    )


def same_position(p: W.Position, c: H.Position) -> None:
    assert (
        p.ticket,
        p.symbol_id,
        int(p.side),
        p.volume,
        p.open_price,
        p.open_time,
        p.sl,
        p.tp,
        p.trailing_points,
        p.margin,
        p.commission,
        p.magic,
    ) == (
        c.ticket,
        c.symbol_id,
        c.type,
        c.volume,
        c.open_price,
        c.open_time,
        c.sl,
        c.tp,
        c.trailing_points,
        c.margin,
        c.commission,
        c.magic,
    )


def same_order(o: W.Order, c: H.Order) -> None:
    assert (
        o.ticket,
        o.symbol_id,
        int(o.type),
        int(o.state),
        o.volume,
        o.price,
        o.stop_limit,
        o.sl,
        o.tp,
        o.expiration,
        o.time_setup,
        o.trailing_points,
        o.magic,
    ) == (
        c.ticket,
        c.symbol_id,
        c.type,
        c.state,
        c.volume,
        c.price,
        c.stop_limit,
        c.sl,
        c.tp,
        c.expiration,
        c.time_setup,
        c.trailing_points,
        c.magic,
    )


def same_trade(t: W.Trade, c: H.Trade) -> None:
    assert (
        t.position,
        t.symbol_id,
        int(t.side),
        t.volume,
        t.open_time,
        t.open_price,
        t.close_time,
        t.close_price,
        t.commission,
        t.profit,
        int(t.close_reason),
    ) == (
        c.position,
        c.symbol_id,
        c.type,
        c.volume,
        c.open_time,
        c.open_price,
        c.close_time,
        c.close_price,
        c.commission,
        c.profit,
        c.close_reason,
    )


def engine_records(run: Run) -> list[W.EngineRecord]:
    return [d for d in run.decoded if isinstance(d, W.EngineRecord)]


def snapshots(run: Run) -> list[W.Snapshot]:
    return [d for d in run.decoded if isinstance(d, W.Snapshot)]


def fills(run: Run) -> list[W.Fill]:
    return [d for d in run.decoded if isinstance(d, W.Fill)]


def checkpoint_indexes(run: Run) -> list[int]:
    return [i for i, r in enumerate(run.records) if r.type == wal.CHECKPOINT]


def history(run: Run, upto: int | None = None) -> W.History:
    """The complete history as of a checkpoint (default: the last), rebuilt from the chain."""
    return W.rebuild_history(run.records, upto)


def same_history(h: W.History, e: Engine) -> None:
    """The rebuilt history equals the engine's lists, field by field."""
    c_hist = e.order_history()
    assert len(h.order_history) == len(c_hist)
    for o, c in zip(h.order_history, c_hist, strict=False):
        same_order(o, c)
    c_deals = e.deals()
    assert len(h.deals) == len(c_deals)
    for d, c in zip(h.deals, c_deals, strict=False):
        same_deal(d, c)
    c_trades = e.trades()
    assert len(h.trades) == len(c_trades)
    for t, c in zip(h.trades, c_trades, strict=False):
        same_trade(t, c)
    assert [(p.time, p.balance, p.equity, p.margin) for p in h.equity_curve] == [
        (c.time, c.balance, c.equity, c.margin) for c in e.equity_curve()
    ]


def start_offsets(payload: bytes, s: W.Snapshot) -> dict[str, int]:
    """Payload offsets of the four history start fields, counted back from the end."""
    # indicator count (u64, v5; none here), tick model (u8), run stage (u8), strategy state
    assert not s.indicators
    off = len(payload) - 8 - 1 - 1 - 8 - len(s.strategy_state)
    out: dict[str, int] = {}
    for name, size in (("equity_curve", 32), ("trades", 76), ("deals", 96), ("order_history", 92)):
        off -= 16 + size * len(getattr(s, name))
        out[name] = off
        assert struct.unpack_from("<QQ", payload, off) == (
            getattr(s, name + "_start"),
            len(getattr(s, name)),
        )
    return out


def patched(payload: bytes, s: W.Snapshot, name: str, start: int) -> bytes:
    b = bytearray(payload)
    struct.pack_into("<Q", b, start_offsets(payload, s)[name], start)
    return bytes(b)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_every_record_decodes_exactly(hedging, netting):
    for run in (hedging, netting):
        assert run.records[0].type == wal.CHECKPOINT  # enable_wal starts a log with a checkpoint
        assert run.records[-1].type == wal.CHECKPOINT  # disable_wal ends it with one
        for r, d in zip(run.records, run.decoded, strict=False):
            assert r.type in W.ENGINE_RECORD_TYPES + (wal.CHECKPOINT,)
            # the registered decoder gives the same value
            assert r.decoded() == d
            # nothing left over, nothing missing: one byte more or less fails
            # (after a fill's position or a snapshot, a byte more starts the
            # appended swap fields, and is too short for them)
            with pytest.raises(W.PayloadError, match="trailing|swap"):
                W.decode(r.type, r.data + b"\0")
            if isinstance(d, W.RunMark):
                # one byte less is HQT 0.1's RUN_MARK (no tick model): real ticks
                assert W.decode(r.type, r.data[:-1]).tick_model == W.TickModel.REAL_TICKS
            else:
                with pytest.raises(W.PayloadError, match="truncated|exceeds"):
                    W.decode(r.type, r.data[:-1])
            if isinstance(d, W.EngineRecord):
                assert d.type == r.type
                # the record header is the first 17 bytes
                assert struct.unpack_from("<qBq", r.data) == (d.event, int(d.phase), d.time)


def test_payload_sizes(hedging, netting):
    sizes = {
        wal.POSITION_MODIFY: 49,
        wal.ORDER_PLACE: 109,
        W.ORDER_MODIFY: 109,
        wal.ORDER_CANCEL: 29,
        wal.BALANCE_CHANGE: 25,
        W.BUILD_BARS: 25,
    }
    for run in (hedging, netting):
        for r, d in zip(run.records, run.decoded, strict=False):
            if r.type in sizes:
                assert len(r.data) == sizes[r.type]
            elif isinstance(d, W.Fill):
                assert len(r.data) == 215 + (88 if d.position else 0) + (76 if d.trade else 0)


def test_coverage_of_the_scenarios(hedging, netting):
    """The scenarios produce what the brief asks for, so the checks below mean something."""
    recs = engine_records(hedging) + engine_records(netting)
    # SWAP records (and their phase ROLLOVER) need a rollover: test_swaps.py
    assert {r.type for r in recs} == set(W.ENGINE_RECORD_TYPES) - {W.SWAP}
    # every phase (a run's on_stop in these scenarios makes no trade, but its
    # RUN_MARK COMPLETED is written with phase BETWEEN)
    assert {r.phase for r in recs} >= set(W.Phase) - {W.Phase.STOP, W.Phase.ROLLOVER}
    fl = [r for r in recs if isinstance(r, W.Fill)]
    assert {f.deal.reason for f in fl} == set(W.DealReason)
    # OUT_BY (close_by) is covered by test_money_rules.py's close_by log test
    assert {f.deal.entry for f in fl} == set(W.DealEntry) - {W.DealEntry.OUT_BY}
    assert any(
        f.position is not None and f.trade is not None and f.deal.entry == W.DealEntry.OUT
        for f in fl
    )  # a partial close
    cancels = {r.state for r in recs if isinstance(r, W.OrderCancel)}
    assert {W.OrderState.CANCELED, W.OrderState.EXPIRED} <= cancels
    mods = [r for r in recs if isinstance(r, W.OrderModify)]
    # a stop-limit becoming a limit: same ticket, type BUY_LIMIT, price = the old stop-limit, state PLACED
    conv = [m for m in mods if m.phase == W.Phase.TRIGGERS]
    assert len(conv) == 1 and conv[0].order.type == W.OrderType.BUY_LIMIT
    assert conv[0].order.state == W.OrderState.PLACED and conv[0].order.stop_limit == 0
    assert conv[0].order.ticket == hedging.tickets["stoplimit"] and conv[0].order.price == 1_102_000
    assert {m.order.state for m in mods} == {W.OrderState.PLACED, W.OrderState.MODIFIED}
    # trailing stop moves are POSITION_MODIFY records written by the engine itself
    assert any(
        isinstance(r, W.PositionModify) and r.phase == W.Phase.TRIGGERS and r.trailing_points == 200
        for r in recs
    )
    routes = {c: r.kind for c, r in snapshots(hedging)[-1].routes}
    assert routes == {
        "EUR": W.RouteKind.MULTIPLY,
        "JPY": W.RouteKind.DIVIDE,
        "USD": W.RouteKind.IDENTITY,
    }


@pytest.mark.parametrize("name", ["hedging", "netting"])
def test_deals_match_the_engine(name, request):
    run: Run = request.getfixturevalue(name)
    c_deals = run.engine.deals()
    f = fills(run)
    assert len(f) == len(c_deals) > 0
    for rec, c in zip(f, c_deals, strict=False):
        same_deal(rec.deal, c)
        # the record's type follows the deal's entry
        assert rec.type == (
            wal.POSITION_OPEN if rec.deal.entry == W.DealEntry.IN else wal.POSITION_CLOSE
        )
        # the record carries the order behind the deal, filled, and the deal's time
        assert rec.order.ticket == rec.deal.order and rec.order.state == W.OrderState.FILLED
        assert rec.time == rec.deal.time
        assert rec.position_ticket == rec.deal.position
        if rec.position is not None:
            assert rec.position.ticket == rec.position_ticket
        if rec.trade is not None:
            assert (
                rec.trade.position == rec.position_ticket and rec.trade.close_time == rec.deal.time
            )
        # float views
        assert rec.deal.price_f == c.price / 1e6 and rec.deal.balance_f == c.balance / 1e6
    # the deal list rebuilt from the checkpoints is the same, and the closed-trade list too
    last = history(run)
    assert len(last.deals) == len(c_deals)
    for d, c in zip(last.deals, c_deals, strict=False):
        same_deal(d, c)
    c_trades = run.engine.trades()
    assert [t for t in (x.trade for x in f) if t is not None] == last.trades
    assert len(last.trades) == len(c_trades)
    for t, c in zip(last.trades, c_trades, strict=False):
        same_trade(t, c)


@pytest.mark.parametrize("name", ["hedging", "netting"])
def test_balance_and_account(name, request):
    run: Run = request.getfixturevalue(name)
    acct = run.engine.account()
    last = snapshots(run)[-1]
    assert last.balance == acct.balance
    assert last.balance_f == acct.balance / 1e6
    # every balance change is in the log: initial + deposits + deal profit and commission
    first = snapshots(run)[0]
    total = first.balance
    for r in engine_records(run):
        if isinstance(r, W.BalanceChange):
            total += r.amount
        elif isinstance(r, W.Fill):
            total += r.deal.profit + r.deal.commission
            assert total == r.deal.balance
    assert total == acct.balance
    assert last.net_deposits == sum(
        r.amount for r in engine_records(run) if isinstance(r, W.BalanceChange)
    )
    stats = run.engine.statistics()
    assert (last.ticks_processed, last.bars_processed) == (
        stats.ticks_processed,
        stats.bars_processed,
    )
    assert (
        last.max_drawdown == stats.max_drawdown and last.max_drawdown_pct == stats.max_drawdown_pct
    )
    assert last.current_time == acct.time


@pytest.mark.parametrize("name", ["hedging", "netting"])
def test_last_checkpoint_equals_engine_state(name, request):
    run: Run = request.getfixturevalue(name)
    e, last = run.engine, snapshots(run)[-1]
    c_pos = e.positions()
    assert len(last.positions) == len(c_pos)
    for p, c in zip(last.positions, c_pos, strict=False):
        same_position(p, c)
    c_orders = e.orders()
    assert len(last.orders) == len(c_orders)
    for o, c in zip(last.orders, c_orders, strict=False):
        same_order(o, c)
    # the history lists: rebuilt from the chain of checkpoints
    h = history(run)
    same_history(h, e)
    assert not last.is_full  # disable_wal writes a light checkpoint
    assert last.version == W.SNAPSHOT_VERSION and last.strategy_state == b""
    assert last.next_ticket == 1 + max(
        [d.ticket for d in h.deals]
        + [o.ticket for o in h.order_history]
        + [o.ticket for o in last.orders]
    )
    # quotes: what the engine last saw
    for q in last.quotes:
        info = H.SymbolInfo()
        e.ok(e.lib.hqt_engine_symbol_info(e.h, q.symbol_id, C.byref(info)))
        assert (q.bid, q.ask, q.time) == (info.bid, info.ask, info.last_time)
    # every loaded tick was processed
    assert all(c is not None for c in last.tick_cursors)
    assert sum(c.cursor for c in last.tick_cursors) == last.ticks_processed


@pytest.mark.parametrize("name", ["hedging", "netting"])
def test_every_checkpoint_is_the_previous_one_plus_the_records(name, request):
    """Applying the records between two checkpoints (Ledger, as documented)
    to the first gives the second: the decoding and the apply rules agree
    with what the engine did."""
    run: Run = request.getfixturevalue(name)
    ledger: M.Ledger | None = None
    checked = 0
    for i, d in enumerate(run.decoded):
        if isinstance(d, W.Snapshot):
            h = history(run, i)
            if ledger is not None:
                assert (ledger.balance, ledger.net_deposits) == (d.balance, d.net_deposits)
                assert ledger.positions == d.positions
                assert ledger.orders == d.orders
                assert ledger.order_history == h.order_history
                assert ledger.deals == h.deals
                assert ledger.trades == h.trades
                assert ledger.next_ticket == d.next_ticket
                checked += 1
            ledger = M.Ledger(d, h)
        else:
            ledger.apply(d)
    assert checked >= 3


def test_light_checkpoints_rebuild_the_engine_history(light):
    """Several light checkpoints: each continues where the previous one's
    lists ended (the equity curve one point back), holds only what happened
    since, and the history rebuilt from the chain equals the engine's deals,
    trades, order history and equity curve, field by field."""
    cps = checkpoint_indexes(light)
    snaps = [light.decoded[i] for i in cps]
    assert snaps[0].is_full
    continuing = [
        s
        for s in snaps
        if s.order_history_start and s.deals_start and s.trades_start and s.equity_curve_start
    ]
    assert len(continuing) >= 3
    prev = W.History()
    resent_replaced = 0
    for i, s in zip(cps, snaps, strict=False):
        h = history(light, i)
        assert h == prev.extend(s)  # the chain of a light checkpoint is the previous one's plus it
        if i != cps[0]:
            assert (s.order_history_start, s.deals_start, s.trades_start) == (
                len(prev.order_history),
                len(prev.deals),
                len(prev.trades),
            )
            assert s.equity_curve_start == max(len(prev.equity_curve) - 1, 0)
            # light; it can only be told from a full one when something came before it
            empty_before = not (
                prev.order_history or prev.deals or prev.trades or prev.equity_curve[1:]
            )
            assert s.is_full == empty_before
            if prev.equity_curve and s.equity_curve[0] != prev.equity_curve[-1]:
                assert (
                    s.equity_curve[0].time == prev.equity_curve[-1].time
                )  # replaced: same instant
                resent_replaced += 1
        prev = h
    assert resent_replaced >= 1  # the deal after the run replaced the end-of-run sample
    # every deal, trade and finished order is written once along the chain
    assert sum(len(s.deals) for s in snaps) == len(prev.deals) > 20
    assert sum(len(s.trades) for s in snaps) == len(prev.trades) > 10
    assert sum(len(s.order_history) for s in snaps) == len(prev.order_history) > len(prev.deals)
    assert len(prev.equity_curve) > 20
    same_history(prev, light.engine)
    assert W.rebuild_history(light.records) == prev  # default: the last checkpoint
    # the chain of the last checkpoint: back to the last one with every start 0
    last_full = max(i for i, s in zip(cps, snaps, strict=False) if s.is_full)
    assert [i for i, _ in W.history_chain(light.records)] == [i for i in cps if i >= last_full]
    assert len(W.history_chain(light.records)) > 30
    # the last checkpoint's deltas alone are not a ledger
    with pytest.raises(ValueError, match="light checkpoint"):
        M.Ledger(snaps[-2])
    assert M.Ledger(snaps[-1], prev).deals == prev.deals


def test_full_checkpoints_start_every_list_at_0(lib, hedging, netting, light, tmp_path):
    """enable_wal on a new log and recovery write full checkpoints (every
    start 0, the whole history); every other checkpoint is light."""
    for run in (hedging, netting, light):
        first = run.decoded[0]
        assert isinstance(first, W.Snapshot) and first.is_full
        assert (
            first.order_history_start,
            first.deals_start,
            first.trades_start,
            first.equity_curve_start,
        ) == (0, 0, 0, 0)
        cps = checkpoint_indexes(run)
        for before, i in zip(cps, cps[1:], strict=False):
            if history(run, before).deals:
                assert not run.decoded[i].is_full and run.decoded[i].deals_start > 0
    # Recovery compacts the log to a full checkpoint of the recovered state.
    copy = tmp_path / "light.wal"
    shutil.copy(light.path, copy)
    expected = history(light)
    e = light_engine(lib)
    try:
        e.enable_wal(copy)
        e.ok(lib.hqt_engine_recover_from_wal(e.h, None))
        same_history(expected, e)
        compacted = wal.read_records(str(copy))
        assert [r.type for r in compacted] == [wal.CHECKPOINT]
        full = W.decode_checkpoint(compacted[0].data)
        assert full.is_full
        assert (
            full.order_history_start,
            full.deals_start,
            full.trades_start,
            full.equity_curve_start,
        ) == (0, 0, 0, 0)
        assert W.History(full.order_history, full.deals, full.trades, full.equity_curve) == expected
        assert W.rebuild_history(compacted) == expected
        # A log whose compaction did not happen (old chain, then the full
        # checkpoint): the chain of the last checkpoint stops at the full one.
        combined = list(light.records) + compacted
        assert [i for i, _ in W.history_chain(combined)] == [len(light.records)]
        assert W.rebuild_history(combined) == expected
        # trading on after recovery: light checkpoints again
        e.buy(0, 10_000)
        e.ok(lib.hqt_engine_checkpoint(e.h))
        after = wal.read_records(str(copy))
        cp = W.decode_checkpoint(after[-1].data)
        assert not cp.is_full and cp.deals_start == len(expected.deals) and len(cp.deals) == 1
        same_history(W.rebuild_history(after), e)
        e.ok(lib.hqt_engine_disable_wal(e.h))
    finally:
        e.close_handle()


def test_a_corrupted_start_is_refused(lib, light, tmp_path):
    """A start past the end of the list rebuilt from the previous checkpoints
    is corruption: refused by rebuild_history, recovery_plan and the engine."""
    cps = checkpoint_indexes(light)
    n = next(n for n in range(1, len(cps)) if light.decoded[cps[n]].deals_start > 0)
    k = cps[n]
    rec, snap = light.records[k], light.decoded[k]
    held = len(history(light, cps[n - 1]).deals)
    assert snap.deals_start == held
    bad = patched(rec.data, snap, "deals", held + 1)
    assert (
        W.decode_checkpoint(bad).deals_start == held + 1
    )  # it decodes alone: only its chain tells
    records = list(light.records)
    records[k] = wal.Record(wal.CHECKPOINT, rec.sequence, bad, rec.offset)
    message = "checkpoint %d: deals start %d exceeds the %d items of the previous checkpoints" % (
        rec.sequence,
        held + 1,
        held,
    )
    with pytest.raises(W.PayloadError, match=message):
        W.rebuild_history(records, k)
    with pytest.raises(W.PayloadError, match=message):  # the chains after it go through it
        W.rebuild_history(records)
    with pytest.raises(W.PayloadError, match=message):
        M.recovery_plan(records)
    assert W.rebuild_history(records, cps[n - 1]) == history(
        light, cps[n - 1]
    )  # the ones before are fine
    # A start back inside the list only replaces items (as the equity curve's resend does).
    W.rebuild_history(
        records[:k]
        + [
            wal.Record(
                wal.CHECKPOINT, rec.sequence, patched(rec.data, snap, "deals", held - 1), rec.offset
            )
        ],
        k,
    )
    # The first checkpoint has nothing before it: any start but 0 is corruption.
    first = light.records[cps[0]]
    bad0 = patched(first.data, light.decoded[cps[0]], "order_history", 1)
    assert not W.decode_checkpoint(bad0).is_full
    with pytest.raises(W.PayloadError, match="order history start 1 exceeds the 0 items"):
        W.rebuild_history([wal.Record(wal.CHECKPOINT, first.sequence, bad0, first.offset)])
    # The engine refuses the same log.
    data = light.path.read_bytes()
    path = tmp_path / "bad.wal"
    path.write_bytes(
        data[: rec.offset] + wal.frame(wal.CHECKPOINT, rec.sequence, bad) + data[rec.end :]
    )
    assert wal.read_records(str(path))[k].data == bad
    e = light_engine(lib)
    try:
        e.enable_wal(path)
        status = lib.hqt_engine_recover_from_wal(e.h, None)
        assert status != OK
        assert "deals continue at %d but the previous checkpoints hold %d" % (held + 1, held) in (
            lib.hqt_last_error().decode()
        )
    finally:
        e.close_handle()


def test_configuration_fingerprint(hedging, netting):
    hedge = W.configuration_fingerprint(
        10_000 * MICRO,
        "USD",
        100,
        [
            W.SymbolConfig("EURUSD", "EUR", "USD", commission_per_lot=2 * MICRO),
            W.SymbolConfig("USDJPY", "USD", "JPY", digits=3, commission_per_lot=MICRO),
        ],
    )
    net = W.configuration_fingerprint(
        1_000 * MICRO,
        "USD",
        100,
        [W.SymbolConfig("EURUSD", "EUR", "USD", commission_per_lot=MICRO)],
        account_mode=1,
    )
    for run, fp in ((hedging, hedge), (netting, net)):
        assert {s.fingerprint for s in snapshots(run)} == {fp}
        assert wal.read_log(str(run.path)).header.fingerprint == fp


def test_event_and_phase_rules(hedging, netting):
    for run in (hedging, netting):
        event = 0
        for d in run.decoded:
            if isinstance(d, W.Snapshot):
                assert d.events_processed >= event
                event = d.events_processed
                continue
            assert d.event >= event  # event indexes never go back
            event = d.event
            if d.phase.inside_event:
                assert d.event >= 1  # inside an event: its 1-based index
    recs = engine_records(hedging)
    assert [r.type for r in recs[:2]] == [W.BUILD_BARS, wal.BALANCE_CHANGE]
    for r in recs[:2]:
        assert (r.event, r.phase, r.time) == (0, W.Phase.BETWEEN, 0)
    # the post-run records: the last event's index, BETWEEN, its time
    last_event = snapshots(hedging)[-1].events_processed
    assert [(r.event, r.phase) for r in recs[-2:]] == [(last_event, W.Phase.BETWEEN)] * 2
    # bars built from ticks: on_bar's trades carry the bar's close time, before the tick's prices
    before = [r for r in recs if r.phase == W.Phase.BEFORE_MARKET]
    assert before and all(r.time % (60 * SEC) == 0 for r in before)


def test_stop_out_records(netting):
    so = [r for r in fills(netting) if r.deal.reason == W.DealReason.STOP_OUT]
    assert so and all(r.phase == W.Phase.STOP_OUT and r.type == wal.POSITION_CLOSE for r in so)
    inout = [r for r in fills(netting) if r.deal.entry == W.DealEntry.INOUT]
    assert len(inout) == 1 and inout[0].type == wal.POSITION_CLOSE
    assert inout[0].position is not None and inout[0].trade is not None
    assert inout[0].position.side == W.Side.SELL and inout[0].position.volume == 100_000
    assert inout[0].deal.volume == 300_000 and inout[0].trade.volume == 200_000
    adds = [r for r in fills(netting) if r.type == wal.POSITION_OPEN]
    assert len({r.position_ticket for r in adds}) == 1  # netting: one position, added to


def test_as_dict_and_float_views(hedging):
    f = fills(hedging)[0]
    d = f.as_dict()
    assert d["type_name"] == "POSITION_OPEN" and d["phase"] in {p.name for p in W.Phase}
    assert d["deal"]["price"] == f.deal.price and d["deal"]["price_f"] == f.deal.price / 1e6
    assert d["deal"]["entry"] == "IN" and d["order"]["state"] == "FILLED"
    assert d["position"]["open_price_f"] == f.position.open_price_f
    s = snapshots(hedging)[-1].as_dict()
    assert s["balance_f"] == s["balance"] / 1e6 and s["fingerprint"].startswith("0x")
    assert set(s["routes"]) == {"EUR", "JPY", "USD"}
    bc = next(r for r in engine_records(hedging) if isinstance(r, W.BalanceChange))
    assert bc.amount_f == 500.0
    for r in hedging.decoded:
        assert str(r)  # a readable one-line summary for the CLI


def test_cli_lists_decoded_records(hedging):
    out = io.StringIO()
    assert wal.main([str(hedging.path), "list"], out) == 0
    text = out.getvalue()
    assert "ORDER_MODIFY" in text and "deal #" in text
    assert "snapshot v5 full" in text and "snapshot v5 light" in text
    assert "<decoder failed" not in text


def test_command_lines_without_the_native_extension(hedging, tmp_path):
    """``python -m hqt.wal_records FILE list`` works from a copy of the pure-Python
    package (no native extension); and ``python -m hqt.wal FILE list`` does too
    since hqt.wal's main() imports hqt.wal_records."""
    pkg = tmp_path / "hqt"
    pkg.mkdir()
    for f in (ROOT / "python" / "hqt").glob("*.py"):
        shutil.copy(f, pkg / f.name)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))

    def cli(module: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", module, str(hedging.path), "list"],
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Warning" not in proc.stderr, proc.stderr
        return proc.stdout

    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hqt.wal_records, sys; "
            "print('hqt._hqt' in sys.modules, hqt.wal_records.__file__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert probe.returncode == 0 and probe.stdout.startswith("False " + str(pkg)), probe
    out = cli("hqt.wal_records")
    assert "ORDER_MODIFY" in out and "deal #" in out and "snapshot v5" in out
    assert "{'bytes'" not in out.split("HEADER")[-1]
    # hqt.wal's own command line decodes the engine's payloads the same way
    assert cli("hqt.wal") == out


def test_registration_is_idempotent_and_refuses_others():
    W.register()  # again: no error
    with pytest.raises(ValueError):
        wal.register_decoder(wal.POSITION_OPEN, "OTHER", lambda b: b)


def test_corrupt_payloads_are_errors(hedging):
    r = next(x for x in hedging.records if x.type == wal.ORDER_CANCEL)
    bad = bytearray(r.data)
    bad[8] = 9  # phase
    with pytest.raises(W.PayloadError, match="phase 9"):
        W.decode_record(r.type, bytes(bad))
    bad = bytearray(r.data)
    bad[25:29] = struct.pack("<i", 42)  # order state
    with pytest.raises(W.PayloadError, match="order state 42"):
        W.decode_record(r.type, bytes(bad))
    f = next(x for x in hedging.records if x.type == wal.POSITION_OPEN)
    bad = bytearray(f.data)
    bad[213] = 2  # has-position flag
    with pytest.raises(W.PayloadError, match="0 or 1"):
        W.decode_record(f.type, bytes(bad))
    cp = hedging.records[-1].data
    for version in (2, 6):  # v2 had no run stage; v6 does not exist
        with pytest.raises(W.PayloadError, match="version %d" % version):
            W.decode_checkpoint(struct.pack("<I", version) + cp[4:])
    with pytest.raises(W.PayloadError, match="not an engine record"):
        W.decode_record(wal.CHECKPOINT, cp)
    with pytest.raises(W.PayloadError, match="tick model 9 is not valid"):
        # the tick model byte is followed by the (v5) indicator count, 0 here
        assert cp[-8:] == bytes(8)
        W.decode_checkpoint(cp[:-9] + b"\x09" + cp[-8:])
    mark = next(x for x in hedging.records if x.type == W.RUN_MARK)
    assert W.decode_record(mark.type, mark.data).tick_model == W.TickModel.REAL_TICKS
    with pytest.raises(W.PayloadError, match="tick model 9 is not valid"):
        W.decode_record(mark.type, mark.data[:-1] + b"\x09")


# ---------------------------------------------------------------------------
# Recovery: the discard rule, against the engine's own recovery
# ---------------------------------------------------------------------------


def fresh_hedging_engine(lib) -> Engine:
    """Same configuration and data as hedging_run, nothing traded."""
    e = Engine(lib)
    eu = e.add_symbol(b"EURUSD", b"EUR", b"USD", commission=2 * MICRO)
    uj = e.add_symbol(b"USDJPY", b"USD", b"JPY", digits=3, commission=MICRO)
    bids = eurusd_path()
    e.load_ticks(eu, [T0 + k * 5 * SEC for k in range(len(bids))], bids, spread=PIP)
    e.load_ticks(
        uj,
        [T0 + 2 * SEC + k * 10 * SEC for k in range(30)],
        [145_000_000 + k * 20_000 for k in range(30)],
        spread=20_000,
    )
    e.ok(lib.hqt_engine_build_bars(e.h, eu, 1))
    return e


def test_recovery_plan_matches_the_engine_at_every_cut(lib, hedging, tmp_path):
    """Cut the log after each record (as a crash would leave it), recover
    with the engine, and compare with recovery_plan: the checkpoint used,
    the records replayed and discarded, and the recovered ledger."""
    data = hedging.path.read_bytes()
    cuts = [r.end for r in hedging.records]
    discarding = 0
    for i, cut in enumerate(cuts[:-1]):
        copy = tmp_path / ("cut%d.wal" % i)
        copy.write_bytes(data[:cut])
        plan = M.recovery_plan(wal.read_records(str(copy)))
        e = fresh_hedging_engine(lib)
        try:
            e.enable_wal(copy)
            rep = RecoveryReport()
            e.ok(lib.hqt_engine_recover_from_wal(e.h, C.byref(rep)))
            assert rep.checkpoint_sequence == plan.checkpoint.sequence
            assert (rep.records_replayed, rep.records_discarded) == (
                len(plan.replayed),
                len(plan.discarded),
            )
            discarding += bool(plan.discarded)
            ledger = M.Ledger(plan.snapshot).apply_all(plan.replayed)
            assert e.account().balance == ledger.balance
            c_deals = e.deals()
            assert len(c_deals) == len(ledger.deals)
            for d, c in zip(ledger.deals, c_deals, strict=False):
                same_deal(d, c)
            c_pos = e.positions()
            assert len(c_pos) == len(ledger.positions)
            for p, c in zip(ledger.positions, c_pos, strict=False):
                same_position(p, c)
            c_orders = e.orders()
            assert len(c_orders) == len(ledger.orders)
            for o, c in zip(ledger.orders, c_orders, strict=False):
                same_order(o, c)
            # the history rebuilt from the checkpoint chain, plus the records: as the engine recovered it
            assert plan.chain[-1] is plan.checkpoint and plan.snapshot.is_full
            c_hist = e.order_history()
            assert len(c_hist) == len(ledger.order_history)
            for o, c in zip(ledger.order_history, c_hist, strict=False):
                same_order(o, c)
            c_trades = e.trades()
            assert len(c_trades) == len(ledger.trades)
            for t, c in zip(ledger.trades, c_trades, strict=False):
                same_trade(t, c)
            # the recovered state stands after the last replayed record's event
            expected = max([plan.snapshot.events_processed] + [r.event for r in plan.replayed])
            assert rep.events_processed == expected
            e.ok(lib.hqt_engine_disable_wal(e.h))
        finally:
            e.close_handle()
    assert discarding >= 3  # some cuts fell inside an event


def test_recovery_plan_edge_cases():
    assert M.recovery_plan([]).checkpoint is None
    with pytest.raises(W.PayloadError, match="no checkpoint"):
        M.recovery_plan([wal.Record(wal.BALANCE_CHANGE, 1, struct.pack("<qBqq", 0, 2, 0, 5), 0)])


# ---------------------------------------------------------------------------
# A restore limit found while documenting the snapshot layout
# ---------------------------------------------------------------------------


class SnapshotRefused(Exception):
    pass


def _many_trades(e: Engine) -> None:
    for t in [e.buy(0, 10_000) for _ in range(40)]:
        e.ok(e.lib.hqt_engine_close(e.h, t, 0))


def _many_open_positions(e: Engine) -> None:
    for _ in range(40):
        e.buy(0, 10_000)


def _many_pending_orders(e: Engine) -> None:
    for _ in range(30):
        e.order(0, 2, 10_000, 1_090_000)


def _many_canceled_orders(e: Engine) -> None:
    for _ in range(40):
        e.ok(e.lib.hqt_engine_cancel(e.h, e.order(0, 2, 10_000, 1_090_000)))


@pytest.mark.parametrize(
    "action, refused",
    [
        (_many_trades, "trades count 40"),
        (_many_open_positions, "deals count 40"),
        (_many_pending_orders, "orders count 30"),
        (_many_canceled_orders, "order history count 40"),
    ],
    ids=["trades", "deals", "pending-orders", "order-history"],
)
def test_engine_recovers_its_own_checkpoint(lib, tmp_path, action, refused):
    path = tmp_path / "many.wal"

    def setup() -> Engine:
        e = Engine(lib, balance=100_000 * MICRO)
        e.add_symbol(b"EURUSD", b"EUR", b"USD")
        e.load_ticks(0, [T0 + k * SEC for k in range(3)], [1_100_000] * 3, spread=PIP)
        return e

    e = setup()
    e.enable_wal(path)
    e.run(on_tick=lambda t: action(e) if t.time == T0 + SEC else None)
    e.ok(lib.hqt_engine_disable_wal(e.h))
    e.close_handle()
    records = wal.read_records(str(path))
    last = W.rebuild_history(records)  # Python decodes it fine
    assert len(last.equity_curve) < 5
    e2 = setup()
    try:
        e2.enable_wal(path)
        status = lib.hqt_engine_recover_from_wal(e2.h, None)
        message = lib.hqt_last_error().decode()
        if status != OK and refused + " exceeds the payload" in message:
            raise SnapshotRefused(message)
        e2.ok(status)
    finally:
        e2.close_handle()
