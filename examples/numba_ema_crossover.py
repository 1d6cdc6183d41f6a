"""A tick-level EMA(20)/EMA(80) crossover compiled with numba (hqt.numba).

    pip install numba
    python3 examples/numba_ema_crossover.py [ticks]

Always in the market with 0.1 lot: long while the fast EMA of the bid is
above the slow one, short while below. The callback is plain Python syntax;
hqt.numba compiles it to a C callback that the engine calls on every tick,
reading its position from the engine's hot counters and trading through the
C ABI, with no interpreter in between (docs/strategies.md).
"""

from __future__ import annotations

import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import hqt  # noqa: E402
from hqt import numba as hn  # noqa: E402

FAST, SLOW, LOTS = 20, 80, 100_000  # volume in micro lots: 0.1 lot


@numba.njit
def on_start(ctx, state):
    state[:] = 0.0
    return 0


@numba.njit
def on_tick(ctx, tick, state):
    price = tick.bid / 1e6
    if state[2] == 0:
        state[0] = price
        state[1] = price
    state[0] += (price - state[0]) * (2.0 / (FAST + 1))
    state[1] += (price - state[1]) * (2.0 / (SLOW + 1))
    state[2] += 1
    if state[2] < SLOW:
        return 0
    net = hn.symbol(ctx, tick.symbol_id).net_volume
    want = 1 if state[0] > state[1] else -1
    if (want > 0 and net > 0) or (want < 0 and net < 0):
        return 0
    if net != 0 and hn.close(ctx, ctx.ticket) != 0:
        return 1
    if want > 0:
        return 1 if hn.buy(ctx, tick.symbol_id, LOTS) != 0 else 0
    return 1 if hn.sell(ctx, tick.symbol_id, LOTS) != 0 else 0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000
    rng = np.random.default_rng(1)
    t = 1_704_067_200 * 10**9 + np.arange(n, dtype=np.int64) * 100_000_000
    bid = np.round(1.1 + np.cumsum(rng.normal(0.0, 0.00001, n)), 5)
    engine = hqt.Engine(10_000.0, "USD", 100)
    engine.load_ticks(engine.add_symbol("EURUSD"), t, bid, bid + 0.00002)
    strategy = hn.strategy(on_start=on_start, on_tick=on_tick, state=np.zeros(3))
    start = time.perf_counter()
    result = engine.run(strategy, progress=False)
    elapsed = time.perf_counter() - start
    s = result.statistics
    print(f"{n:,} ticks in {elapsed:.3f} s ({n / elapsed / 1e6:.1f} M ticks/s)")
    print(f"{s.total_trades:,} trades, net profit {s.net_profit:.2f} USD")


if __name__ == "__main__":
    main()
