"""Broadcasting and the write-ahead log with a Python strategy, side by side.

The same seeded ticks, a Python strategy that trades every 100 ticks (closes
its position or opens one), run with the WAL off and under each sync policy,
and with broadcasting off and on (every tick published, no subscriber). The
Swift-level figures (engine-bound, no Python) come from
`.build/release/hqt-engine-bench`.

    python3 bench/engine-io/bench_python_io.py [--ticks 2000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hqt  # noqa: E402


class EveryHundred(hqt.Strategy):
    """Trades on every 100th tick: closes the open position or opens one."""

    def __init__(self) -> None:
        self.n = 0

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % 100 == 0:
            positions = engine.positions
            if positions:
                engine.close(positions[0].ticket)
            else:
                engine.buy(tick.symbol_id, 0.01)


def engine_for(t, bid, ask) -> hqt.Engine:
    e = hqt.Engine(1_000_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    e.load_ticks(s, t, bid, ask)
    return e


def best_rate(t, bid, ask, setup, repeat: int, strategy_factory=EveryHundred) -> tuple[float, str]:
    best, note = 0.0, ""
    for _ in range(repeat):
        e = engine_for(t, bid, ask)
        extra = setup(e)
        start = time.perf_counter()
        e.run(strategy_factory())
        rate = len(t) / (time.perf_counter() - start)
        if rate > best:
            best, note = rate, (extra(e) if callable(extra) else "")
        if e.is_wal_enabled():
            e.disable_wal()
        if e.is_broadcasting():
            e.disable_broadcasting()
    return best, note


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ticks", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(3)
    t = np.arange(args.ticks, dtype=np.int64) * 100_000_000 + 1_700_000_000 * 10**9
    bid = np.round(1.1 + np.cumsum(rng.normal(0, 1e-5, args.ticks)), 5)
    ask = bid + 0.00002
    tmp = tempfile.mkdtemp(prefix="hqt-bench-")
    path = os.path.join(tmp, "bench.wal")

    print(
        f"HQT {hqt.version()}: {args.ticks:,} ticks, Python strategy trading every 100 ticks, best of {args.repeat}"
    )
    base, _ = best_rate(t, bid, ask, lambda e: None, args.repeat)
    print(f"{'WAL off':40s} {base / 1e6:7.2f} M ticks/s")
    for sync in ("always", "batch", "none"):
        rate, note = best_rate(
            t,
            bid,
            ask,
            lambda e, s=sync: e.enable_wal(path, truncate=True, sync=s) and None,
            1 if sync == "always" else args.repeat,
        )
        print(
            f"{'WAL on, sync=' + sync:40s} {rate / 1e6:7.2f} M ticks/s  {rate / base * 100:6.1f}% of WAL off"
        )
    print("target: batch keeps >= 80% of WAL off")

    class Quiet(hqt.Strategy):
        def on_tick(self, engine, tick):
            pass

    quiet, _ = best_rate(t, bid, ask, lambda e: None, args.repeat, Quiet)
    loud, note = best_rate(
        t,
        bid,
        ask,
        lambda e: (
            e.enable_broadcasting("tcp://127.0.0.1:*", sndhwm=100_000),
            lambda e: (
                f"sent {e.broadcast_stats().total_sent:,}, dropped {e.broadcast_stats().total_dropped:,}"
            ),
        )[1],
        args.repeat,
        Quiet,
    )
    print(f"{'Python on_tick, broadcasting off':40s} {quiet / 1e6:7.2f} M ticks/s")
    print(
        f"{'Python on_tick, broadcasting on':40s} {loud / 1e6:7.2f} M ticks/s  {loud / quiet * 100:6.1f}%  {note}"
    )


if __name__ == "__main__":
    main()
