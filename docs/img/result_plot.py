"""Makes docs/img/result.png: BacktestResult.plot() of an SMA crossover on synthetic data.

Run from the repository root after scripts/build.sh:
    PYTHONPATH=python python3 docs/img/result_plot.py
"""

from pathlib import Path

import numpy as np

import hqt
from hqt.testing import make_engine, random_walk_ticks


class Crossover(hqt.Strategy):
    """Long or short with the sign of SMA(10) - SMA(30) of M15 closes, 0.5 lot."""

    bars = [(0, hqt.M15)]

    def __init__(self) -> None:
        self.closes: list[float] = []

    def on_bar(self, engine, bar):
        self.closes.append(bar.close)
        if len(self.closes) < 30:
            return
        up = np.mean(self.closes[-10:]) > np.mean(self.closes[-30:])
        pos = engine.positions
        if pos and (pos[0].type == hqt.BUY) == up:
            return
        engine.close_all()
        (engine.buy if up else engine.sell)(0, 0.5)


ticks = random_walk_ticks(400_000, seed=2024, interval=2.0, volatility=0.00004, gaps=1)
engine = make_engine(ticks, symbol="EURUSD")
result = engine.run(Crossover(), progress=False)
fig = result.plot(figsize=(11, 6.5))
out = Path(__file__).with_name("result.png")
fig.savefig(out, dpi=90)
print(result)
print(f"wrote {out}")
