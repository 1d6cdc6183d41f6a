"""Quote sessions through ``hqt`` and the C struct (the Swift twin is
Tests/HQTTests/Core/QuoteSessionTests.swift).

MT5's SymbolInfoSessionQuote (mql5.com/en/docs/marketinformation/symbolinfosessionquote)
gives the hours a symbol has quotes; MT5 has no prices outside them, so HQT skips a
tick the data holds there -- as if the data did not hold it -- and counts it
(docs/engine.md, "Trading rules"). 2024-01-01 is a Monday; sessions Monday to Friday,
all day: Saturday and Sunday ticks are skipped.
"""

from __future__ import annotations

import ctypes as C
import shutil

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT, snapshot

SEC = 10**9
HOUR = 3600 * SEC
DAY = 86_400 * SEC
MONDAY = 1_704_067_200 * SEC
WEEKDAYS = [(d, 0, 86_400) for d in range(1, 6)]


def engine(sessions: bool = True) -> hqt.Engine:
    e = hqt.Engine(10_000.0)
    e.add_symbol(
        "S",
        base_currency="USD",
        profit_currency="USD",
        swap_mode="deposit_currency",
        swap_long=-1.0,
        quote_sessions=WEEKDAYS if sessions else None,
    )
    return e


def test_a_weekend_tick_is_no_quote():
    e = engine()
    e.process_event(hqt.Tick(0, MONDAY + 4 * DAY + 22 * HOUR, 1.10000, 1.10020))  # Friday
    e.buy_limit("S", 1.0, 1.09900)
    e.process_event(hqt.Tick(0, MONDAY + 5 * DAY + 12 * HOUR, 1.09000, 1.09020))  # Saturday
    assert len(e.orders) == 1 and e.deals == []  # not triggered
    assert e.symbol("S").bid == 1.10000 and e.ticks_outside_quote_sessions == 1
    e.process_event(hqt.Tick(0, MONDAY + 7 * DAY + 60 * SEC, 1.09800, 1.09820))  # Monday
    assert e.orders == [] and e.deals[0].price == 1.09820


def hourly(weeks: int = 2) -> tuple[np.ndarray, np.ndarray]:
    t = MONDAY + np.arange(weeks * 7 * 24, dtype=np.int64) * HOUR
    bid = 1.10000 + (np.arange(t.size) % 17) * 0.0001
    return t, bid


class Holder(hqt.Strategy):
    """Buys 1 lot whenever flat, closes on every 50th tick; counts bars."""

    def __init__(self, copy_at: int = 0, log=None, copy=None):
        self.n, self.bars = 0, 0
        self.copy_at, self.log, self.copy = copy_at, log, copy

    def on_bar(self, e: hqt.Engine, bar: hqt.Bar) -> None:
        self.bars += 1

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.n += 1
        if not e.positions:
            e.buy(0, 1.0)
        elif (tick.time - MONDAY) // HOUR % 50 == 0:
            e.close(e.positions[0].ticket)
        if self.n == self.copy_at and self.log is not None:
            shutil.copyfile(self.log, self.copy)


def loaded(sessions: bool, t: np.ndarray, bid: np.ndarray) -> hqt.Engine:
    e = engine(sessions)
    e.load_ticks(0, t, bid, bid + 0.0002)
    e.build_bars(0, hqt.H4)
    return e


def test_a_run_skips_weekend_ticks_as_if_the_data_did_not_hold_them():
    t, bid = hourly()
    weekday = ((t - MONDAY) // DAY) % 7 < 5
    gated, plain = loaded(True, t, bid), loaded(False, t[weekday], bid[weekday])
    a, b = Holder(), Holder()
    gated.run(a)
    plain.run(b)
    assert snapshot(gated) == snapshot(plain) and a.bars == b.bars > 0
    assert gated.ticks_outside_quote_sessions == 2 * 48  # two weekends of hourly ticks
    assert plain.ticks_outside_quote_sessions == 0


def test_a_run_with_quote_sessions_resumes_exactly_from_the_wal(tmp_path):
    t, bid = hourly()
    reference = loaded(True, t, bid)
    reference.run(Holder())
    expected = snapshot(reference)
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = loaded(True, t, bid)
    e.enable_wal(log, sync="always", checkpoint_every=20)
    e.run(Holder(150, log, copy))  # tick 150 is week 2's Monday 06:00
    e.disable_wal()
    r = loaded(True, t, bid)
    r.enable_wal(copy, sync="always", checkpoint_every=20)
    rep = r.recover_from_wal()
    assert 0 < rep.events_processed < t.size
    r.run(Holder(), resume=True)
    assert snapshot(r) == expected
    assert r.ticks_outside_quote_sessions == reference.ticks_outside_quote_sessions == 96
    r.disable_wal()


def test_bad_quote_sessions_and_the_fingerprint(tmp_path):
    from hqt import wal_records as W

    with pytest.raises(hqt.InvalidArgumentError, match="quote session"):
        hqt.Engine(1000.0).add_symbol("EURUSD", quote_sessions=[(7, 0, 10)])
    with pytest.raises(hqt.InvalidArgumentError, match="quote_sessions must be"):
        hqt.Engine(1000.0).add_symbol("EURUSD", quote_sessions=5)
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD", quote_sessions=WEEKDAYS)
    report = e.enable_wal(tmp_path / "q.wal")
    config = W.SymbolConfig("EURUSD", "EUR", "USD", quote_sessions=tuple(WEEKDAYS))
    assert report.fingerprint == W.configuration_fingerprint(1000 * 10**6, "USD", 100, [config])
    e.disable_wal()


def test_the_c_struct_carries_quote_sessions():
    lib = H.load(LIBHQT)
    s = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == 0
    assert (s.quote_sessions, s.quote_session_count) == (None, 0)
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"

    class Session(C.Structure):
        _fields_ = [("weekday", C.c_int32), ("start", C.c_int32), ("end", C.c_int32)]

    sessions = (Session * 5)(*(Session(*w) for w in WEEKDAYS))
    s.quote_sessions, s.quote_session_count = C.cast(sessions, C.c_void_p), 5
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * 10**6, b"USD", 100, C.byref(e)) == 0
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 0
    back = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(back), C.sizeof(back)) == 0
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == 0
    assert back.quote_session_count == 5 and back.quote_sessions is None
    ev = H.Event(type=0, tick=H.Tick(0, MONDAY + 5 * DAY, 1_100_000, 1_100_200))  # Saturday
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == 0
    n = C.c_int64()
    assert lib.hqt_engine_ticks_outside_quote_sessions(e, C.byref(n)) == 0 and n.value == 1
    s.quote_sessions = None  # a count with no pointer: refused
    s.name = b"T"
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == 1
    lib.hqt_engine_destroy(e)


class Warm(Holder):
    """Holder that records the ticks a resumed run re-feeds (engine.warming_up)."""

    def __init__(self, warmup: int):
        super().__init__()
        self.warmup, self.warm_ticks = warmup, []

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        if e.warming_up:
            self.warm_ticks.append(tick.time)
            return
        super().on_tick(e, tick)


def test_a_resumed_runs_refeed_skips_the_same_ticks(tmp_path):
    """The re-feed before a resumed run (Strategy.warmup) walks the loaded events
    again: a weekend tick in it is skipped there too, not handed to on_tick."""
    t, bid = hourly()
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = loaded(True, t, bid)
    e.enable_wal(log, sync="always", checkpoint_every=20)
    e.run(Holder(150, log, copy))
    e.disable_wal()
    r = loaded(True, t, bid)
    r.enable_wal(copy, sync="always", checkpoint_every=20)
    k = r.recover_from_wal().events_processed
    assert k > 168  # past the first weekend (events 120...167)
    w = Warm(warmup=k)
    r.run(w, resume=True)
    expected = [int(x) for x in t[:k] if (x - MONDAY) // DAY % 7 < 5]
    assert w.warm_ticks == expected and len(expected) == k - 48
    r.disable_wal()
