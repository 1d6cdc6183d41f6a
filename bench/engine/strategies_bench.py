"""bench_engine.py's "strategies" section (issue 13): one realistic strategy
written four ways over the same ticks, side by side, with the plain C loop
of the same logic as the ceiling.

The strategy ("counter"): every tick it counts, checks the position count
and the account (free margin, equity), and every 1,000 ticks opens a 0.1 lot
buy when flat or closes the position it holds (about one trade per 2,000
ticks). Written as
  python    a hqt.Strategy on_tick using the cheap reads (engine.positions_total,
            engine.free_margin, engine.equity)
  numba     the same in hqt.numba (skipped when numba is not installed)
  C         a C on_tick reading hqt_state_view (strategies.c)
plus "C buy-when-flat" (a 0.1 lot buy with SL/TP 20 pips away whenever flat)
and the plain C loop doing the counter strategy with no engine.

Also item 5, native callback cost: ns per read of the hot state from C, per
hqt_engine_state_view call and per hqt_engine_account call.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import tempfile
import time

import numpy as np

import hqt

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = os.path.join(HERE, "..", "..", "include")
VOLUME = 0.1

TARGETS = {
    "strategies.python": 10e6,
    "strategies.numba": 50e6,
    "strategies.c_flat": 60e6,
}


class Counter(hqt.Strategy):
    """The counter strategy in Python."""

    def on_start(self, engine):
        self.n = 0
        self.ticket = 0

    def on_tick(self, engine, tick):
        n = self.n + 1
        if engine.positions_total == 0:  # a getter: cheaper than engine.is_flat()
            if n >= 1000 and engine.free_margin > 0:
                self.ticket = engine.buy(tick.symbol_id, VOLUME)
                n = 0
        elif n >= 1000 or engine.equity < 500_000.0:
            engine.close(self.ticket)
            n = 0
        self.n = n


def numba_counter():
    """The counter strategy compiled with numba, or None without numba."""
    try:
        import numba

        from hqt import numba as hn
    except ImportError:
        return None

    @numba.njit
    def on_tick(ctx, tick, state):
        state[0] += 1
        v = hn.engine_state(ctx)
        if v.positions == 0:
            if state[0] >= 1000 and v.equity - v.margin > 0:
                if hn.buy(ctx, tick.symbol_id, 100_000) != 0:
                    return 1
                state[0] = 0
        elif state[0] >= 1000 or v.equity < 500_000_000_000:
            if hn.close(ctx, ctx.ticket) != 0:
                return 1
            state[0] = 0
        return 0

    @numba.njit
    def on_start(ctx, state):
        state[0] = 0
        return 0

    return hn.strategy(on_start=on_start, on_tick=on_tick, state=np.zeros(1, np.int64))


class _BenchCtx(ctypes.Structure):
    _fields_ = [
        ("view", ctypes.c_void_p),
        ("n", ctypes.c_int64),
        ("ticket", ctypes.c_uint64),
        ("volume", ctypes.c_int64),
        ("sl_distance", ctypes.c_int64),
    ]


class CStrategy:
    """A C on_tick from strategies.c, run through Engine._run_native
    (the same entry hqt.numba uses): the engine calls it directly."""

    def __init__(self, lib: ctypes.CDLL, name: str) -> None:
        self.fn = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
        self.ctx = _BenchCtx()

    def _hqt_native_(self, engine):
        self.ctx.view = engine._state_view_address()
        self.ctx.n = 0
        self.ctx.volume = int(VOLUME * 1e6)
        self.ctx.sl_distance = 2_000  # 20 pips, price x 1e6
        return (0, self.fn, 0, 0, 0, ctypes.addressof(self.ctx))


def build_lib() -> ctypes.CDLL:
    src = os.path.join(HERE, "strategies.c")
    out = os.path.join(tempfile.mkdtemp(prefix="hqt-bench-"), "strategies.so")
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-I", INCLUDE, "-o", out, src,
         "-L", os.path.dirname(hqt.__file__), "-Wl,-rpath," + os.path.dirname(hqt.__file__),
         "-lhqt"],
        check=True,
    )  # fmt: skip
    lib = ctypes.CDLL(out)
    lib.strategy_loop.restype = ctypes.c_int64
    lib.strategy_loop.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 3
    for name in ("read_cost", "state_view_cost", "account_cost"):
        getattr(lib, name).restype = ctypes.c_double
        getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_int64]
    return lib


def loop_rates(lib, bid_micro, ask_micro, repeat: int) -> tuple[float, float]:
    best = best_cpu = 0.0
    n = len(bid_micro)
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        lib.strategy_loop(bid_micro.ctypes.data, ask_micro.ctypes.data, n, 10_000, 10**12)
        best = max(best, n / (time.perf_counter() - start))
        best_cpu = max(best_cpu, n / max(time.process_time() - cpu, 1e-9))
    return best, best_cpu


def section(t, bid, ask, repeat: int, engine_with, best_of, add) -> dict[str, float]:
    """Adds the section's figures through add(key, label, rates, ceiling_key);
    returns the callback costs in ns. engine_with and best_of are
    bench_engine.py's (a fresh engine; the best rates of `repeat` runs)."""
    lib = build_lib()
    n = len(t) - 1
    setup = lambda: engine_with(t, bid, ask, False, False)  # noqa: E731
    trades: dict[str, int] = {}

    def counted(name):
        def check(e):
            trades[name] = len(e.trades)

        return check

    bid_micro = np.round(bid * 1e6).astype(np.int64)
    ask_micro = np.round(ask * 1e6).astype(np.int64)
    add("strategies.cloop", "plain C loop, counter strategy (gcc -O2)",
        loop_rates(lib, bid_micro, ask_micro, repeat))  # fmt: skip
    add("strategies.python", "Python on_tick, counter strategy",
        best_of(repeat, setup, n, counted("python"), Counter()))  # fmt: skip
    nb = numba_counter()
    if nb is not None:
        add("strategies.numba", "numba on_tick (hqt.numba), counter strategy",
            best_of(repeat, setup, n, counted("numba"), nb))  # fmt: skip
    add("strategies.c_empty", "C on_tick doing nothing (the callback's cost)",
        best_of(repeat, setup, n, None, CStrategy(lib, "empty_on_tick")))  # fmt: skip
    add("strategies.c_counter", "C on_tick, counter strategy",
        best_of(repeat, setup, n, counted("c"), CStrategy(lib, "counter_on_tick")))  # fmt: skip
    add("strategies.c_flat", "C on_tick, buy-when-flat (SL/TP 20 pips)",
        best_of(repeat, setup, n, counted("c_flat"), CStrategy(lib, "flat_on_tick")))  # fmt: skip
    if len({v for k, v in trades.items() if k != "c_flat"}) > 1:
        raise AssertionError(f"the counter strategies disagree on the trades: {trades}")
    e = hqt.Engine(1_000_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    handle, view = e._handle_address(), e._state_view_address()
    reps = 20_000_000
    costs = {
        "hot-state read (load from hqt_state_view)": min(
            lib.read_cost(view, reps) for _ in range(3)
        ),
        "hqt_engine_state_view() call": min(
            lib.state_view_cost(handle, reps // 10) for _ in range(3)
        ),
        "hqt_engine_account() call (before: the only way)": min(
            lib.account_cost(handle, reps // 10) for _ in range(3)
        ),
    }
    e.dispose()
    costs["trades per counter strategy"] = float(trades.get("python", 0))
    return costs
