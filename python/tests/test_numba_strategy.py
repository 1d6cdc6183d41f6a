"""Issue 13, item 3: strategies compiled with numba (hqt.numba) trade through
the C ABI from nopython code and make exactly the trades of the same strategy
written in Python."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import hqt
from conftest import SEC, T0

numba = pytest.importorskip("numba")
hn = pytest.importorskip("hqt.numba")

N = 20_000


def engine() -> hqt.Engine:
    rng = np.random.default_rng(7)
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    bid = np.round(1.1 + np.cumsum(rng.normal(0, 1e-4, N)), 5)
    e.load_ticks(s, T0 + np.arange(N) * SEC, bid, bid + 0.0002)
    return e


@numba.njit
def fast_slow_on_tick(ctx, tick, state):
    # EMA(20)/EMA(80) of the bid; long when fast > slow, short otherwise.
    price = tick.bid / 1e6
    if state[2] == 0:
        state[0] = price
        state[1] = price
    state[0] += (price - state[0]) * (2.0 / 21.0)
    state[1] += (price - state[1]) * (2.0 / 81.0)
    state[2] += 1
    if state[2] < 80:
        return 0
    want = 1 if state[0] > state[1] else -1
    row = hn.symbol(ctx, tick.symbol_id)
    have = 0 if row.net_volume == 0 else (1 if row.net_volume > 0 else -1)
    if want != have:
        if hn.engine_state(ctx).positions > 0 and hn.close(ctx, ctx.ticket) != 0:
            return 1
        st = (
            hn.buy(ctx, tick.symbol_id, 100_000)
            if want > 0
            else hn.sell(ctx, tick.symbol_id, 100_000)
        )
        if st != 0:
            return 1
    return 0


class FastSlow(hqt.Strategy):
    def on_start(self, engine):
        self.fast = self.slow = None
        self.n = 0
        self.ticket = 0

    def on_tick(self, engine, tick):
        price = tick.bid_micro / 1e6
        if self.n == 0:
            self.fast = self.slow = price
        self.fast += (price - self.fast) * (2.0 / 21.0)
        self.slow += (price - self.slow) * (2.0 / 81.0)
        self.n += 1
        if self.n < 80:
            return
        want = 1 if self.fast > self.slow else -1
        net = engine.net_volume_micro(tick.symbol_id)
        have = 0 if net == 0 else (1 if net > 0 else -1)
        if want != have:
            if engine.positions_total > 0:
                engine.close(self.ticket)
            self.ticket = (engine.buy if want > 0 else engine.sell)(tick.symbol_id, 0.1)


def test_numba_ema_crossover_makes_the_python_strategys_trades():
    state = np.zeros(3)
    compiled = hn.strategy(on_tick=fast_slow_on_tick, state=state)
    a, b = engine(), engine()
    ra = a.run(compiled, progress=False)
    b.run(FastSlow(), progress=False)
    assert state[2] == N  # the caller's array, written by the compiled code
    assert len(a.trades) > 20
    assert a._trades() == b._trades() and a._deals() == b._deals()
    assert ra.statistics.total_trades == len(a.trades)
    assert compiled.ticket == a.positions[0].ticket


@numba.njit
def stop_on_third(ctx, tick, state):
    state[0] += 1
    return 7 if state[0] == 3 else 0


@numba.njit
def bad_volume(ctx, tick, state):
    state[0] = hn.buy(ctx, tick.symbol_id, -5)
    return 0


def test_a_nonzero_return_stops_the_run_and_order_errors_are_statuses():
    e = engine()
    st = np.zeros(1)
    with pytest.raises(hqt.CallbackError, match="returned 7"):
        e.run(hn.strategy(on_tick=stop_on_third, state=st), progress=False)
    assert st[0] == 3
    e2 = engine()
    st2 = np.zeros(1, np.int64)
    e2.run(hn.strategy(on_tick=bad_volume, state=st2), progress=False)
    assert st2[0] == int(hqt.constants.Status.INVALID_VOLUME) and e2.positions_total == 0


def test_strategy_checks_its_arguments():
    with pytest.raises(TypeError, match="at least one callback"):
        hn.strategy()
    with pytest.raises(TypeError, match="1-D"):
        hn.strategy(on_tick=stop_on_third, state=np.zeros((2, 2)))


@numba.njit(boundscheck=True)
def index_past_the_state(ctx, tick, state):
    state[0] += 1
    return state[state[0] + 5]  # IndexError on the first tick (boundscheck)


def test_an_exception_in_a_callback_is_printed_and_stops_the_run(monkeypatch):
    # numba.cfunc would print it and return 0: the run would go on. The
    # user's njit options are kept (without boundscheck=True this reads
    # past the array instead of raising).
    printed = []  # what PyErr_WriteUnraisable hands to sys.unraisablehook
    monkeypatch.setattr(sys, "unraisablehook", printed.append)
    st = np.zeros(3, np.int64)
    e = engine()
    with pytest.raises(hqt.CallbackError, match="on_tick returned -1"):
        e.run(hn.strategy(on_tick=index_past_the_state, state=st), progress=False)
    assert st[0] == 1
    assert [type(p.exc_value) for p in printed] == [IndexError]
    assert printed[0].object == "hqt.numba callback index_past_the_state"


@numba.njit
def count(ctx, tick, state):
    state[0] += 1
    return 0


def test_the_user_function_is_inlined_into_the_c_entry():
    # One machine function per callback: numba.cfunc's wrapper would call
    # the function it wraps, which would call the user's function, each
    # through numba's calling convention (~140 instructions a bar of the
    # race's SMA crossover).
    compiled = hn.strategy(on_tick=count, state=np.zeros(1, np.int64))
    ir = compiled.inspect_llvm("on_tick")
    entry = re.search(r"^define [^\n]*@hqt\.[^\n]*\{\n(.*?)\n\}", ir, re.S | re.M)
    assert entry is not None and "store i64" in entry.group(1)
    assert "call " not in entry.group(1)
    assert "ret" in compiled.inspect_asm("on_tick")
    with pytest.raises(KeyError, match="no on_bar"):
        compiled.inspect_asm("on_bar")
    e = engine()
    e.run(compiled, progress=False)
    assert compiled.state[0] == N
    # a second strategy from the same function reuses its compiled copy
    assert hn._inlinable(count) is hn._inlinable(count) is not count
