"""Cost of turning a finished run into a BacktestResult (issue 13).

Runs the race's numba SMA crossover on N M1 bars, then times, best of
--repeat: the snapshot ``BacktestResult.from_engine`` takes right after the
run, and the first read of the deals, equity curve and statistics (what the
snapshot used to copy and compute eagerly). Usage:

    PYTHONPATH=python python3 bench/results/from_engine.py --bars 1000000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from hqt.results import BacktestResult

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "race"))
import race  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    bars = race.make_bars(args.bars, 1)
    strategy = race.numba_strategy()
    snap, first = [], []
    for _ in range(args.repeat):
        e = race.hqt_engine(bars)
        e.run(strategy, progress=False)  # the run's own result is dropped
        t0 = time.perf_counter()
        r = BacktestResult.from_engine(e)
        t1 = time.perf_counter()
        _ = r.records("deals"), r.records("equity"), r.statistics
        t2 = time.perf_counter()
        snap.append(t1 - t0)
        first.append(t2 - t1)
        e.dispose()
    print(
        f"{args.bars:,} bars, {len(r.records('deals')):,} deals, "
        f"{len(r.records('equity')):,} equity points"
    )
    print(f"from_engine: {min(snap) * 1e3:.2f} ms (best of {args.repeat})")
    print(f"first read of deals + equity + statistics: {min(first) * 1e3:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
