"""A small backtest that trades, for the tests of the stream tools (recorder, dashboard).

Exact micro prices (a sine wave, one tick a second) and a strategy that
opens, modifies, partly closes and closes positions and places and cancels a
pending order, so that every SPEC topic is broadcast.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import hqt
from conftest import SEC, T0


def sine_market(n: int, start: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ticks start..start+n-1 of the sine market: times (ns), bid and ask (micro)."""
    i = np.arange(start, start + n)
    bid = (1_100_000 + np.round(3000 * np.sin(i / 60.0))).astype(np.int64)
    ask = bid + 100 + (i % 3)
    return T0 + i.astype(np.int64) * SEC, bid, ask


def make_engine(n: int = 1200, **kw: Any) -> hqt.Engine:
    """USD 10 000 at 1:100, EURUSD (id 0) with commission, `n` ticks loaded."""
    e = hqt.Engine(10_000.0, "USD", 100, **kw)
    e.add_symbol("EURUSD", commission_per_lot=3.0)
    t, b, a = sine_market(n)
    e.load_ticks_micro(0, t, b, a)
    return e


class Trader(hqt.Strategy):
    """Every `every` ticks: alternately buys and sells 0.1 lot, modifies, partly closes,
    closes; places a buy limit far away and cancels it. Opens on M1 bars too."""

    bars = [(0, hqt.M1)]

    def __init__(self, every: int = 40) -> None:
        self.every = every
        self.i = -1
        self.open: list[int] = []
        self.side = 0

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.i += 1
        step, phase = divmod(self.i, self.every)
        if phase != 0:
            return
        k = step % 5
        if k == 0:
            self.side = step % 2  # 0 buy, 1 sell
            self.open.append(e.buy(0, 0.2) if self.side == 0 else e.sell(0, 0.2))
        elif k == 1 and self.open:
            far = 0.0200 if self.side == 0 else -0.0200
            e.modify(self.open[-1], sl=tick.bid - far, tp=tick.bid + far)
        elif k == 2 and self.open:
            e.close(self.open[-1], 0.1)
        elif k == 3:
            e.cancel(e.buy_limit(0, 0.1, tick.ask - 0.0500))
        elif k == 4 and self.open:
            e.close(self.open.pop())
