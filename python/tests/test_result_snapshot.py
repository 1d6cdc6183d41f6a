"""A run's result is an O(1) snapshot (hqt_result, Stats/RunSnapshot.swift)
read lazily: it must show its own run whatever the engine does afterwards.

The reference is what the eager snapshot of before gave: the engine's raw
lists and statistics copied right after the run.
"""

from __future__ import annotations

import ctypes as C
import pickle

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT
from hqt import _hqt
from hqt.results import _SOURCE, RECORD_KINDS, BacktestResult, _raw_dtypes
from hqt.testing import make_engine, random_walk_ticks

SOURCES = ("deals", "trades", "orders", "order_history", "positions", "equity")


class Flip(hqt.Strategy):
    """Buys or sells 0.1 lot every 150 ticks, closing the other side first."""

    def __init__(self) -> None:
        self.n = 0

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % 150 == 0:
            for p in engine.positions:
                engine.close(p.ticket)
            (engine.buy if (self.n // 150) % 2 else engine.sell)(0, 0.1)


def eager(e: hqt.Engine) -> tuple[dict[str, bytes], hqt.Statistics]:
    """The engine's lists and statistics now, copied."""
    return {k: _hqt._raw_records(e, k) for k in SOURCES}, e.statistics()


def assert_shows(r: BacktestResult, ref: tuple[dict[str, bytes], hqt.Statistics]) -> None:
    raw, stats = ref
    for kind in RECORD_KINDS:
        if kind != "orders":
            assert r._raw_bytes(kind) == raw[_SOURCE[kind]], kind
    # orders: the finished ones and the pending ones, by ticket
    dt = _raw_dtypes()["orders"]
    both = np.frombuffer(raw["order_history"] + raw["orders"], dtype=dt)
    want = both[np.argsort(both["ticket"], kind="stable")]
    got = np.frombuffer(r._raw_bytes("orders"), dtype=dt)
    assert len(got) == len(want) and all(np.array_equal(got[f], want[f]) for f in dt.names)
    # repr: exact for every double (shortest round trip), and NaN shows as nan
    assert repr(r.statistics) == repr(stats)


def last_time(raw: dict[str, bytes]) -> int:
    return int(np.frombuffer(raw["equity"], dtype=_raw_dtypes()["equity"])["time"][-1])


@pytest.fixture
def engine():
    e = make_engine(random_walk_ticks(3_000, seed=3))
    yield e
    e.dispose()


def test_the_result_keeps_its_run_when_the_engine_runs_on(engine):
    r = engine.run(Flip(), progress=False)
    ref = eager(engine)
    assert r._source is not None  # nothing read yet: still the snapshot
    assert ref[0]["deals"] and ref[0]["positions"]  # something to lose
    # More of everything: a pending order, a withdrawal, a second run on later ticks.
    engine.buy_limit(0, 0.1, 1.0)
    engine.deposit(-100.0)
    engine.load_ticks(0, random_walk_ticks(3_000, seed=4, start=last_time(ref[0]) + 10**9))
    r2 = engine.run(Flip(), progress=False)
    assert len(r2.records("deals")) > len(r.records("deals"))
    assert r2.statistics != ref[1]
    assert_shows(r, ref)


def test_the_result_outlives_clear_data_and_dispose(engine):
    r = engine.run(Flip(), progress=False)
    ref = eager(engine)
    engine.clear_data()
    engine.dispose()
    assert_shows(r, ref)
    assert r._source is None  # everything read out: the snapshot is freed


def test_a_result_pickles_with_everything_read_out(engine):
    r = engine.run(Flip(), progress=False)
    ref = eager(engine)
    back = pickle.loads(pickle.dumps(r))
    assert back._source is None
    engine.dispose()
    assert_shows(back, ref)
    assert_shows(r, ref)


def test_raw_records_of_a_result_and_its_errors(engine):
    snap = _hqt._result(engine)
    assert _hqt._raw_records(snap, "equity") == _hqt._raw_records(engine, "equity")
    with pytest.raises(hqt.InvalidArgumentError, match="unknown record kind"):
        _hqt._raw_records(snap, "nope")
    with pytest.raises(TypeError, match="Engine or a _Result"):
        _hqt._raw_records(object(), "deals")
    with pytest.raises(TypeError, match="needs an Engine"):
        _hqt._result(snap)
    engine.dispose()
    with pytest.raises(hqt.StateError):
        _hqt._result(engine)
    assert isinstance(snap._statistics(), tuple) and isinstance(snap._report(), tuple)


# ---- the C ABI ------------------------------------------------------------------------------


def test_c_result_lists_statistics_and_stale_handles():
    lib = H.load(LIBHQT)
    lib.hqt_report_init.argtypes = [C.c_void_p, C.c_size_t]
    lib.hqt_result_report.argtypes = [C.c_void_p, C.c_void_p]
    OK, E_ARG = H.STATUS.OK, H.STATUS.INVALID_ARGUMENT
    e = H.ENGINE_P()
    assert lib.hqt_engine_create(10_000_000_000, b"USD", 100, C.byref(e)) == OK
    res = H.RESULT_P()
    n = C.c_size_t()
    try:
        assert (
            lib.hqt_engine_add_symbol_v2(e, C.byref(H.usd_spec(lib)), C.byref(C.c_uint32())) == OK
        )
        ticket = C.c_uint64()
        for k in range(4):
            ev = H.Event(
                type=0, tick=H.Tick(0, (k + 1) * 1_000_000_000, 1_000_000 + k, 1_000_000 + k)
            )
            assert lib.hqt_engine_process_event(e, C.byref(ev), None) == OK
            assert lib.hqt_engine_buy(e, 0, 100_000, 0, 0, C.byref(ticket)) == OK
        assert lib.hqt_engine_result(e, C.byref(res)) == OK
        assert res.value >> 56 == 0xC1  # its own handle kind
        stats = H.Statistics()
        assert lib.hqt_result_statistics(res, C.byref(stats)) == OK
        assert stats.total_deals == 4
        # The engine trades on and is destroyed: the result does not change.
        assert lib.hqt_engine_close(e, ticket.value, 0) == OK
        assert lib.hqt_engine_destroy(e) == OK
        e = H.ENGINE_P()
        assert lib.hqt_result_deals(res, None, 0, C.byref(n)) == OK and n.value == 4
        deals = (H.Deal * 4)()
        assert lib.hqt_result_deals(res, deals, 4, C.byref(n)) == OK
        assert [d.price for d in deals] == [1_000_000, 1_000_001, 1_000_002, 1_000_003]
        assert lib.hqt_result_positions(res, None, 0, C.byref(n)) == OK and n.value == 4
        assert lib.hqt_result_trades(res, None, 0, C.byref(n)) == OK and n.value == 0
        assert lib.hqt_result_equity_curve(res, None, 0, C.byref(n)) == OK and n.value >= 1
        again = H.Statistics()
        assert lib.hqt_result_statistics(res, C.byref(again)) == OK
        assert bytes(again) == bytes(stats)
        # the list rules of the engine calls
        assert lib.hqt_result_deals(res, None, 1, C.byref(n)) == E_ARG
        assert lib.hqt_result_deals(res, None, 0, None) == E_ARG
        report = (C.c_uint8 * 1024)()
        assert lib.hqt_result_report(res, report) == E_ARG  # struct_size not set
        assert lib.hqt_report_init(report, 16) == OK
        assert lib.hqt_result_report(res, report) == OK
        assert int.from_bytes(bytes(report[8:16]), "little", signed=True) == 0  # no closed trade
        assert lib.hqt_result_destroy(res) == OK
        # stale, NULL, foreign and other-kind handles: errors with a message, never a crash
        assert lib.hqt_result_deals(res, None, 0, C.byref(n)) == E_ARG
        assert b"not a live hqt_result handle" in lib.hqt_last_error()
        assert lib.hqt_result_statistics(res, C.byref(stats)) == E_ARG
        assert lib.hqt_result_report(res, report) == E_ARG
        assert lib.hqt_result_destroy(res) == E_ARG
        assert lib.hqt_result_equity_curve(None, None, 0, C.byref(n)) == E_ARG
        assert b"result is NULL" in lib.hqt_last_error()
        assert lib.hqt_result_destroy(None) == OK
        other = H.ENGINE_P()
        assert lib.hqt_engine_create(10_000_000_000, b"USD", 100, C.byref(other)) == OK
        assert lib.hqt_result_trades(other, None, 0, C.byref(n)) == E_ARG
        assert lib.hqt_engine_result(None, C.byref(res)) == E_ARG
        assert lib.hqt_engine_result(other, None) == E_ARG
        assert lib.hqt_engine_destroy(other) == OK
        res = H.RESULT_P()
    finally:
        if e:
            lib.hqt_engine_destroy(e)
        if res:
            lib.hqt_result_destroy(res)
