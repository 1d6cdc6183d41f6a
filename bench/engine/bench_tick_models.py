"""run() over loaded M1 bars under each tick model (docs/engine.md, "Tick models").

Prints, per model, bars/s and ticks/s (generated ticks included) for run()
with no strategy and with one open position whose SL/TP is checked on every
tick, over N generated M1 bars with tick volumes 1..60 (mean ~30).

    python3 bench/engine/bench_tick_models.py [--bars 200000] [--repeat 3]

Public Python API only. Timing: wall clock, best of --repeat.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
import hqt  # noqa: E402

T0 = 1_704_153_600 * 10**9


def bars(n: int):
    rng = np.random.default_rng(1)
    close = 1.1 + np.cumsum(rng.integers(-20, 21, n)) * 1e-5
    open_ = np.concatenate([[1.1], close[:-1]])
    high = np.maximum(open_, close) + rng.integers(0, 15, n) * 1e-5
    low = np.minimum(open_, close) - rng.integers(0, 15, n) * 1e-5
    volume = rng.integers(1, 61, n).astype(float)
    times = T0 + 60 * 10**9 * np.arange(n, dtype=np.int64)
    return times, open_, high, low, close, volume


def once(data, model: str, position: bool) -> tuple[float, int]:
    e = hqt.Engine(10_000_000.0, "USD", 100)
    e.add_symbol("EURUSD", spread=0.0001)
    if position:
        e.process_event(hqt.Tick(0, T0 - 10**9, 1.1, 1.1001))
        e.buy(0, 0.01, sl=0.5, tp=2.0)
    e.load_bars(0, 1, *data)
    t = time.perf_counter()
    e.run(tick_model=model, progress=False)  # type: ignore[arg-type]
    wall = time.perf_counter() - t
    # generated ticks only (the position's opening tick is not the run's)
    ticks = e.statistics().ticks_processed - (1 if position else 0)
    e.dispose()
    return wall, ticks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = bars(args.bars)
    print(f"{args.bars:,} M1 bars, best of {args.repeat}")
    print(f"{'model':<12} {'position':<9} {'bars/s':>12} {'ticks/s':>12} {'ticks':>11}")
    for model in ("bars", "open_prices", "ohlc_m1", "every_tick"):
        for position in (False, True):
            best, ticks = min(once(data, model, position) for _ in range(args.repeat))
            rate = f"{ticks / best:>12,.0f}" if ticks else f"{'-':>12}"
            print(
                f"{model:<12} {'yes' if position else 'no':<9} {args.bars / best:>12,.0f} "
                f"{rate} {ticks:>11,}"
            )


if __name__ == "__main__":
    main()
