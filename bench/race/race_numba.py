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

# state layout (int64): count, sum_fast, sum_slow, side, the ring slot of the
# next close (count % SLOW, kept rather than computed: no division a bar),
# then the ring of closes
N, SUM_FAST, SUM_SLOW, SIDE, POS, RING = 0, 1, 2, 3, 4, 5
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
        # The counters in locals, stored back once: numba cannot tell that
        # the ring's slots are not the counters' (one array), so it would
        # reload each counter after every ring write.
        c = bar.close
        n, pos = state[N], state[POS]  # pos: the slot of closes[n - slow]
        sum_fast, sum_slow = state[SUM_FAST] + c, state[SUM_SLOW] + c
        # closes[n - fast] and closes[n - slow] leave the windows
        if n >= fast:
            old = pos - fast
            sum_fast -= state[RING + (old + slow if old < 0 else old)]
        if n >= slow:
            sum_slow -= state[RING + pos]
        state[RING + pos] = c
        state[POS] = 0 if pos == slow - 1 else pos + 1
        state[N], state[SUM_FAST], state[SUM_SLOW] = n + 1, sum_fast, sum_slow
        if n < first:
            return 0
        lhs, rhs = sum_fast * slow, sum_slow * fast
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
