"""Cost of native indicators per update (docs/indicators.md).

    python3 bench/engine/bench_indicators.py [--ticks 5000000] [--repeat 3]

run() with no strategy over N ticks of one symbol, first with no indicator,
then with one indicator of each kind on the ticks (mid price), then with all
twelve at once; the added CPU time per tick is the cost of an update (the
tick path is otherwise the quiet one, "no strategy"). CPU time of the
process, best of `repeat`: steadier than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hqt  # noqa: E402

KINDS = [
    (hqt.SMA, (20,)),
    (hqt.EMA, (20,)),
    (hqt.WMA, (20,)),
    (hqt.RSI, (14,)),
    (hqt.ATR, (14,)),
    (hqt.BBANDS, (20, 2.0, 2.0)),
    (hqt.MACD, (12, 26, 9)),
    (hqt.STOCH, (14, 3, 3)),
    (hqt.DONCHIAN, (20,)),
    (hqt.STDDEV, (20, 1.0)),
    (hqt.HIGHEST, (50,)),
    (hqt.LOWEST, (50,)),
]


def run(t, bid, ask, kinds, repeat) -> float:
    best = float("inf")
    for _ in range(repeat):
        e = hqt.Engine(1e9, "USD", 100)
        e.add_symbol("EURUSD")
        e.load_ticks(0, t, bid, ask)
        for kind, params in kinds:
            e.indicator(kind, 0, None, *params, source="mid")
        gc.collect()
        start = time.process_time()
        e.run(progress=False)
        best = min(best, time.process_time() - start)
        e.dispose()
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ticks", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.ticks
    rng = np.random.default_rng(1)
    bid = 1.1 + np.cumsum(rng.integers(-3, 4, n)) * 1e-5
    bid = np.round(np.abs(bid - bid.min()) + 1.0, 5)
    ask = bid + 2e-5
    t = 1_704_067_200 * 10**9 + np.arange(n, dtype=np.int64) * 100_000_000
    base = run(t, bid, ask, [], args.repeat)
    print(f"{n:,} ticks, run() with no strategy, CPU time best of {args.repeat}\n")
    print("| indicators on every tick (mid) | CPU (s) | ticks/s | added ns per tick |")
    print("|---|---:|---:|---:|")
    print(f"| none | {base:.3f} | {n / base:,.0f} | |")
    for kind, params in KINDS:
        sec = run(t, bid, ask, [(kind, params)], args.repeat)
        label = f"{kind.name}({', '.join(f'{p:g}' for p in params)})"
        print(f"| {label} | {sec:.3f} | {n / sec:,.0f} | {(sec - base) / n * 1e9:+.1f} |")
    sec = run(t, bid, ask, KINDS, args.repeat)
    print(f"| all 12 | {sec:.3f} | {n / sec:,.0f} | {(sec - base) / n * 1e9:+.1f} |")


if __name__ == "__main__":
    main()
