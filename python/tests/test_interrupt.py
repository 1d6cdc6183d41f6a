"""Engine.interrupt() and the paused run (issue 10, item 4); the Ctrl-C loop
over real SIGINTs is test_kill9.py::test_sigint_loop."""

from __future__ import annotations

import ctypes as C
import threading

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT

SEC = 1_000_000_000
T0 = 1_704_153_600 * SEC
N = 6_000


def loaded() -> tuple[hqt.Engine, int]:
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    rng = np.random.default_rng(7)
    bid = 1.1 + np.cumsum(rng.normal(0, 1e-4, N)).round(5)
    e.load_ticks(s, T0 + SEC * np.arange(N, dtype=np.int64), bid, bid + 2e-4)
    return e, s


class Counting(hqt.Strategy):
    """Trades on a tick counter, so a lost or repeated callback shows."""

    def __init__(self, symbol: int, interrupt_at: tuple[int, ...] = ()) -> None:
        self.symbol = symbol
        self.interrupt_at = set(interrupt_at)
        self.starts = self.stops = self.ticks = self.trades = 0

    def on_start(self, engine: hqt.Engine) -> None:
        self.starts += 1

    def on_tick(self, engine: hqt.Engine, tick: hqt.Tick) -> None:
        self.ticks += 1
        if self.ticks in self.interrupt_at:
            engine.interrupt()
        if self.ticks % 50 == 0:
            if engine.positions:
                engine.close_all()
            else:
                engine.buy(self.symbol, 0.1)

    def on_trade(self, engine: hqt.Engine, deal: object) -> None:
        self.trades += 1

    def on_stop(self, engine: hqt.Engine) -> None:
        self.stops += 1

    def record(self) -> tuple[int, int, int, int]:
        return self.starts, self.stops, self.ticks, self.trades


def outcome(e: hqt.Engine) -> tuple[object, ...]:
    return (e.balance_micro, e.equity_micro, len(e.deals), e.statistics().total_trades)


def test_an_interrupted_run_continued_equals_the_uninterrupted_one() -> None:
    ref, s = loaded()
    plain = Counting(s)
    ref.run(plain)

    e, s = loaded()
    strat = Counting(s, interrupt_at=(100, 2_500, 5_000))
    pauses = 0
    while True:
        try:
            e.run(strat)
            break
        except hqt.RunInterruptedError as err:
            assert "run again to continue" in str(err)
            assert e.is_paused and e.pending_events > 0
            pauses += 1
    assert pauses == 3
    assert not e.is_paused
    assert strat.record() == plain.record() and strat.starts == 1 and strat.stops == 1
    assert outcome(e) == outcome(ref)


def test_interrupt_between_runs_does_nothing() -> None:
    e, s = loaded()
    e.interrupt()
    strat = Counting(s)
    e.run(strat)
    assert strat.ticks == N and not e.is_paused


def test_another_thread_interrupts_a_run_without_callbacks() -> None:
    # No Python callbacks: the run releases the GIL; interrupt() is the one
    # call allowed from another thread meanwhile.
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    n = 3_000_000
    bid = np.full(n, 1.1)
    e.load_ticks(s, T0 + np.arange(n, dtype=np.int64), bid, bid + 2e-4)
    stop = threading.Event()

    def interrupter() -> None:
        while not stop.wait(0.0005):
            e.interrupt()

    t = threading.Thread(target=interrupter)
    t.start()
    runs = 0
    try:
        while True:
            runs += 1
            try:
                e.run()
                break
            except hqt.RunInterruptedError:
                assert e.is_paused
    finally:
        stop.set()
        t.join()
    assert e.pending_events == 0 and not e.is_paused
    assert runs >= 1


def test_the_c_abi_interrupt_and_paused_flag() -> None:
    lib = H.load(LIBHQT)
    lib.hqt_engine_interrupt.argtypes = [H.ENGINE_P]
    lib.hqt_engine_is_paused.argtypes = [H.ENGINE_P, C.POINTER(C.c_int32)]
    assert lib.hqt_engine_interrupt(None) == H.STATUS.INVALID_ARGUMENT
    eng = H.ENGINE_P()
    assert lib.hqt_engine_create(10**10, b"USD", 100, C.byref(eng)) == H.STATUS.OK
    try:
        paused = C.c_int32(7)
        assert lib.hqt_engine_is_paused(eng, C.byref(paused)) == H.STATUS.OK
        assert paused.value == 0
        assert lib.hqt_engine_interrupt(eng) == H.STATUS.OK  # between runs: nothing
        assert lib.hqt_engine_is_paused(eng, None) == H.STATUS.INVALID_ARGUMENT
    finally:
        lib.hqt_engine_destroy(eng)
    assert lib.hqt_engine_interrupt(eng) == H.STATUS.INVALID_ARGUMENT  # destroyed


@pytest.mark.parametrize("name", ["RunInterruptedError", "RangeError"])
def test_new_errors_are_exported(name: str) -> None:
    assert issubclass(getattr(hqt, name), hqt.HQTError)
