"""Engine throughput, measured side by side in one run (issue 2).

Prints ticks/second for run() over N generated ticks of one symbol:
  (a) no strategy, (b) one open position whose SL/TP is checked on every
  tick, (c) a Python on_tick strategy that does nothing, (d) a Python on_bar
  strategy on M1 bars built from the ticks — and a plain C loop doing (b)'s
  position update over the same ticks, with the ratios.

    python3 bench/engine/bench_engine.py [--ticks 10000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hqt  # noqa: E402


def make_ticks(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.int64) * 100_000_000 + 1_700_000_000 * 10**9  # 10 ticks/s
    bid = np.round(1.1 + np.cumsum(rng.normal(0.0, 0.00001, n)), 5)
    ask = bid + 0.00002
    return t, bid, ask


def engine_with(t, bid, ask, position: bool, bars: bool) -> "hqt.Engine":
    e = hqt.Engine(1_000_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    if bars:
        e.build_bars(s, hqt.M1)
    e.load_ticks(s, t[:1], bid[:1], ask[:1])
    e.run()
    if position:
        # SL/TP far enough never to trigger: every tick is checked, none closes.
        e.buy(s, 0.1, sl=float(bid[0]) - 0.5, tp=float(bid[0]) + 0.5)
    e.load_ticks(s, t[1:], bid[1:], ask[1:])
    return e


class NoOpTick(hqt.Strategy):
    def on_tick(self, engine, tick):
        pass


class NoOpBar(hqt.Strategy):
    def on_bar(self, engine, bar):
        pass


def timed_run(t, bid, ask, repeat: int, position=False, bars=False, strategy=None) -> float:
    best = 0.0
    for _ in range(repeat):
        e = engine_with(t, bid, ask, position, bars)
        start = time.perf_counter()
        e.run(strategy)
        elapsed = time.perf_counter() - start
        if position:
            assert len(e.positions) == 1, "the benchmark position must stay open"
        best = max(best, (len(t) - 1) / elapsed)
    return best


def c_loop(bid_micro, ask_micro, repeat: int) -> float:
    src = os.path.join(HERE, "position_loop.c")
    out = os.path.join(tempfile.mkdtemp(prefix="hqt-bench-"), "position_loop.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", out, src], check=True)
    lib = ctypes.CDLL(out)
    lib.position_loop.restype = ctypes.c_int64
    lib.position_loop.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t] + [ctypes.c_int64] * 5
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        lib.position_loop(bid_micro.ctypes.data, ask_micro.ctypes.data, len(bid_micro),
                          int(ask_micro[0]), int(bid_micro[0]) - 500_000, int(bid_micro[0]) + 500_000,
                          10_000 * 1_000_000, 1_000_000 * 1_000_000)
        best = max(best, len(bid_micro) / (time.perf_counter() - start))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ticks", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t, bid, ask = make_ticks(args.ticks)
    bid_micro = np.round(bid * 1e6).astype(np.int64)
    ask_micro = np.round(ask * 1e6).astype(np.int64)

    rows = [
        ("(a) run(), no strategy", timed_run(t, bid, ask, args.repeat)),
        ("(b) one position, SL/TP checked every tick", timed_run(t, bid, ask, args.repeat, position=True)),
        ("(c) Python on_tick doing nothing", timed_run(t, bid, ask, args.repeat, strategy=NoOpTick())),
        ("(d) Python on_bar on M1 built from ticks", timed_run(t, bid, ask, args.repeat, bars=True, strategy=NoOpBar())),
    ]
    c = c_loop(bid_micro, ask_micro, args.repeat)
    print(f"HQT {hqt.version()}  ticks={args.ticks:,}  best of {args.repeat}")
    print(f"{'case':48s} {'ticks/s':>14s} {'vs C loop':>10s}")
    for name, rate in rows:
        print(f"{name:48s} {rate/1e6:11.1f} M {rate/c:10.3f}")
    print(f"{'plain C loop doing (b) (gcc -O2)':48s} {c/1e6:11.1f} M {1.0:10.3f}")
    print("targets: (a),(b) >= 50 M ticks/s; (c) >= 5 M ticks/s; C++ predecessor: 1.4 M ticks/s without strategy")


if __name__ == "__main__":
    main()
