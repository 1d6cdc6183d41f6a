"""The engine against an independent reference, to the micro unit.

A seeded random walk of ticks (one symbol) drives an SMA-crossover strategy
that is always in the market: when the fast SMA of the bid crosses the slow
one, it closes its position at market and opens the opposite one. The same
tick stream is run

* through hqt.Engine, with the strategy written as a Python on_tick callback
  (incremental SMAs over a deque of exact micro prices), hedging account; and
* through a reference written here from SPEC's rules alone, with numpy for
  the signals and exact Python ints for the money:

  - market BUY fills at the ask, SELL at the bid; a buy position closes at
    the bid, a sell position at the ask;
  - profit_micro = (close - open) x volume_micro x contract_size_micro / 10**12
    (open - close for a sell), the division rounded half away from zero;
  - commission per deal = commission_per_lot_micro x volume_micro / 10**6,
    same rounding, charged as a negative amount on every IN and OUT deal;
  - both then booked in USD's cents (the account currency's digits): rounded
    again, half away from zero, to a multiple of 10**4 micro.

Deals are compared one by one (time, type, entry, price, volume, commission,
profit, balance after the deal), then the final balance, equity and the
trade statistics.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pytest

import hqt
from conftest import T0
from hqt.units import div_round

N_TICKS = 30_000
FAST, SLOW = 30, 120
VOLUMES = [100_000, 250_000, 70_000, 1_000_000, 10_000]  # lots x 1e6, cycled per position
INITIAL = 10_000_000_000  # 10 000 USD


def random_walk(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    time = T0 + np.cumsum(rng.integers(50, 3_000, N_TICKS)) * 1_000_000
    bid = 1_100_000 + np.cumsum(rng.integers(-4, 5, N_TICKS)) * 10
    ask = bid + 10 + rng.integers(0, 3, N_TICKS) * 10
    return time.astype(np.int64), bid.astype(np.int64), ask.astype(np.int64)


def signals(bid: np.ndarray) -> np.ndarray:
    """+1 fast SMA above slow, -1 below, 0 equal or not enough ticks yet (exact ints)."""
    c = np.concatenate([[0], np.cumsum(bid, dtype=np.int64)])
    out = np.zeros(len(bid), dtype=np.int64)
    i = np.arange(SLOW - 1, len(bid))
    fast_sum = c[i + 1] - c[i + 1 - FAST]
    slow_sum = c[i + 1] - c[i + 1 - SLOW]
    out[i] = np.sign(fast_sum * SLOW - slow_sum * FAST)  # fast/FAST vs slow/SLOW
    return out


@dataclass
class RefDeal:
    time: int
    type: int
    entry: int
    price: int
    volume: int
    commission: int
    profit: int
    balance: int


def reference(time, bid, ask, contract_micro: int, commission_micro: int):
    sig = signals(bid)
    balance = INITIAL
    deals: list[RefDeal] = []
    trades: list[int] = []  # net result (profit + entry and exit commission) of each round trip
    side = 0  # +1 long, -1 short, 0 flat
    open_price = volume = entry_comm = 0
    n_positions = 0

    def cents(micro: int) -> int:
        return div_round(micro, 10**4) * 10**4

    def commission(vol: int) -> int:
        return cents(-div_round(commission_micro * vol, 10**6))

    for i in np.flatnonzero(sig != 0):
        s = int(sig[i])
        if s == side:
            continue
        t, b, a = int(time[i]), int(bid[i]), int(ask[i])
        if side:
            close = b if side > 0 else a
            profit = cents(div_round((close - open_price) * side * volume * contract_micro, 10**12))
            comm = commission(volume)
            balance += profit + comm
            deals.append(RefDeal(t, 1 if side > 0 else 0, 1, close, volume, comm, profit, balance))
            trades.append(profit + comm + entry_comm)
        side = s
        volume = VOLUMES[n_positions % len(VOLUMES)]
        n_positions += 1
        open_price = a if side > 0 else b
        entry_comm = commission(volume)
        balance += entry_comm
        deals.append(
            RefDeal(t, 0 if side > 0 else 1, 0, open_price, volume, entry_comm, 0, balance)
        )
    floating = 0
    if side:
        close = int(bid[-1]) if side > 0 else int(ask[-1])
        floating = div_round((close - open_price) * side * volume * contract_micro, 10**12)
    return deals, balance, floating, trades


def _closes_with_open_price(deals: list[RefDeal]):
    """(closing deal, open price of the position it closes) pairs."""
    last_open = None
    for d in deals:
        if d.entry == 1 and last_open is not None:
            yield d, last_open
        if d.entry == 0:
            last_open = d.price


class SmaCross(hqt.Strategy):
    """The same rule as `reference`, written as a streaming strategy."""

    def __init__(self, symbol_id: int) -> None:
        self.symbol_id = symbol_id
        self.window: deque[int] = deque(maxlen=SLOW)
        self.fast_sum = self.slow_sum = 0
        self.side = 0
        self.ticket = 0
        self.n_positions = 0

    def on_tick(self, engine, tick):
        w = self.window
        if len(w) == SLOW:
            self.slow_sum -= w[0]
        if len(w) >= FAST:
            self.fast_sum -= w[-FAST]
        w.append(tick.bid_micro)
        self.slow_sum += tick.bid_micro
        self.fast_sum += tick.bid_micro
        if len(w) < SLOW:
            return
        diff = self.fast_sum * SLOW - self.slow_sum * FAST
        s = (diff > 0) - (diff < 0)
        if s == 0 or s == self.side:
            return
        if self.ticket:
            engine.close(self.ticket)
        lots = VOLUMES[self.n_positions % len(VOLUMES)] / 1e6
        self.n_positions += 1
        self.ticket = (
            engine.buy(self.symbol_id, lots) if s > 0 else engine.sell(self.symbol_id, lots)
        )
        self.side = s


@pytest.mark.parametrize(
    "seed,contract_size,commission",
    [
        (1, 100_000.0, 3.5),  # standard EURUSD, round commission
        (2, 1_234.567, 1.000002),  # odd contract and commission: profits and fees need rounding
        (3, 100_000.0, 0.0),  # no commission
    ],
    ids=["standard", "odd-sizes", "no-commission"],
)
def test_sma_crossover_matches_reference(seed, contract_size, commission):
    time, bid, ask = random_walk(seed)
    contract_micro, commission_micro = hqt.to_micro(contract_size), hqt.to_micro(commission)
    ref_deals, ref_balance, ref_floating, ref_trades = reference(
        time, bid, ask, contract_micro, commission_micro
    )
    assert len(ref_deals) > 50, "the walk must cross many times"
    if contract_micro % 10**6:  # rounding is exercised, including exact halves
        opens = {d.time: d for d in ref_deals if d.entry == 0}
        assert any(
            (d.price - opens_price) * d.volume * contract_micro % 10**12
            for d, opens_price in _closes_with_open_price(ref_deals)
        ), "inexact profits"
        if commission_micro == 1_000_002:
            half = [d for d in opens.values() if d.volume == 250_000]
            # 250000.5 -> 250001 micro, booked in cents: 0.25
            assert div_round(commission_micro * 250_000, 10**6) == 250_001
            assert half and all(d.commission == -250_000 for d in half)

    e = hqt.Engine(INITIAL / 1e6, "USD", 100)
    sid = e.add_symbol("EURUSD", contract_size=contract_size, commission_per_lot=commission)
    e.load_ticks(sid, time, bid / 1e6, ask / 1e6)
    e.run(SmaCross(sid))

    got = [
        RefDeal(
            d.time,
            d.type,
            d.entry,
            d.price_micro,
            d.volume_micro,
            d.commission_micro,
            d.profit_micro,
            d.balance_micro,
        )
        for d in e.deals
    ]
    for k, (g, r) in enumerate(zip(got, ref_deals, strict=False)):
        assert g == r, f"deal {k} differs"
    assert len(got) == len(ref_deals)
    assert e.balance_micro == ref_balance
    assert e.equity_micro == ref_balance + ref_floating

    trades = e._trades()
    assert [t[9] + t[8] for t in trades] == ref_trades  # profit + commission, exact
    st = e.statistics()
    assert st.total_trades == len(ref_trades)
    assert st.winning_trades == sum(1 for x in ref_trades if x > 0)
    assert st.losing_trades == sum(1 for x in ref_trades if x < 0)
    assert hqt.to_micro(st.net_profit) == ref_balance - INITIAL
    assert hqt.to_micro(st.gross_profit) == sum(x for x in ref_trades if x > 0)
    assert hqt.to_micro(st.gross_loss) == sum(x for x in ref_trades if x < 0)
    assert st.total_deals == len(ref_deals) and st.ticks_processed == N_TICKS
