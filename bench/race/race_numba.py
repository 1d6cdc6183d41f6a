"""The race's SMA(10)/SMA(30) crossover compiled with numba (hqt.numba).

The same decisions as race.HqtSmaCross: always in the market with 1 unit,
long while SMA(10) > SMA(30), short while below, an equal mean keeps the
position, the first decision on bar FIRST. The SMAs are running sums of the
closes in micro units (exact integers) over a ring buffer of the last SLOW
closes, in the strategy's state array; fast > slow is compared as
sum_fast x SLOW > sum_slow x FAST, exactly as the Python float means compare
(every price is on the 0.25 grid, so the means are exact too).

    strategy = make(fast=10, slow=30, first=30)   # None without numba
    engine.run(strategy)
"""

from __future__ import annotations

import numpy as np

# state layout (int64): count, sum_fast, sum_slow, side, then the ring of closes
N, SUM_FAST, SUM_SLOW, SIDE, RING = 0, 1, 2, 3, 4
LOT = 1_000_000  # 1 unit in micro lots


def make(fast: int, slow: int, first: int):
    """The compiled strategy, or None when numba is not installed."""
    try:
        import numba

        from hqt import numba as hn
    except ImportError:
        return None

    @numba.njit
    def on_start(ctx, state):
        state[:] = 0
        return 0

    @numba.njit
    def on_bar(ctx, bar, state):
        c = bar.close
        n = state[N]
        # closes[n - fast] and closes[n - slow] leave the windows
        if n >= fast:
            state[SUM_FAST] -= state[RING + (n - fast) % slow]
        if n >= slow:
            state[SUM_SLOW] -= state[RING + n % slow]
        state[RING + n % slow] = c
        state[SUM_FAST] += c
        state[SUM_SLOW] += c
        n += 1
        state[N] = n
        if n <= first:
            return 0
        lhs, rhs = state[SUM_FAST] * slow, state[SUM_SLOW] * fast
        side = state[SIDE]
        if lhs > rhs and side <= 0:
            if hn.buy(ctx, bar.symbol_id, LOT if side == 0 else 2 * LOT) != 0:
                return 1
            state[SIDE] = 1
        elif lhs < rhs and side >= 0:
            if hn.sell(ctx, bar.symbol_id, LOT if side == 0 else 2 * LOT) != 0:
                return 1
            state[SIDE] = -1
        return 0

    return hn.strategy(on_start=on_start, on_bar=on_bar, state=np.zeros(RING + slow, np.int64))
