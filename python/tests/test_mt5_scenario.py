"""A two-week MT5 scenario: EURUSD (forex, hedged legs, points swaps), an index CFD
(cfd_index, deposit-currency swaps) and a future (futures, no swap) over two weekends,
a Wednesday triple swap and a stop-out. Every deal, swap and report figure is worked
by hand below from the MQL5 formulas (the Swift twin is
Tests/HQTTests/Core/MT5ScenarioTests.swift). Sources, as in docs/engine.md:

* margin (MQL5 reference, ENUM_SYMBOL_CALC_MODE): forex lots x contract / leverage,
  in the margin currency (EUR, converted at EURUSD's ask for a buy); cfd_index
  lots x contract x price x tick_value / tick_size x rate; futures lots x
  margin_initial. Hedged (metatrader5.com help, "Margin Calculation", hedged
  positions): margin_hedged 0 charges a fully hedged pair nothing.
* profit: (close - open) x contract x lots; futures (close - open) x tick_value /
  tick_size x lots.
* swaps (MQL5 book, "Getting swap sizes"): points: swap x point x contract x lots;
  deposit currency: swap x lots; a rollover at 00:00 charges the day ending at it,
  Saturday and Sunday nothing, SYMBOL_SWAP_ROLLOVER3DAYS (Wednesday) three days.
* stop-out (ACCOUNT_MARGIN_SO_SO, percent): at equity / margin <= 50 % the most
  losing position is closed at market.
* report (metatrader5.com help, "Testing Report"; TesterStatistics).

Account: 10 000 USD, 1:100, hedging. 2024-01-01 is a Monday.
EURUSD: contract 100 000, swap_long -7, swap_short +2 points, margin_hedged 0.
US500: cfd_index, contract 10, digits 2, tick_size 0.01, tick_value 0.01,
  margin_rate 0.1, swap deposit currency -1.50 per lot per day (long).
ES: futures, digits 2, tick_size 0.25, tick_value 12.50 (50 USD per point per lot),
  margin_initial 1 000.
"""

from __future__ import annotations

import math

import pytest

import hqt

SEC = 10**9
HOUR = 3600 * SEC
DAY = 86_400 * SEC
MONDAY = 1_704_067_200 * SEC  # 2024-01-01 00:00 UTC


def at(day: int, hour: float) -> int:
    return MONDAY + day * DAY + int(hour * HOUR)


def scenario() -> tuple[hqt.Engine, dict[str, object]]:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD", swap_mode="points", swap_long=-7.0, swap_short=2.0, margin_hedged=0.0)
    e.add_symbol(
        "US500",
        base_currency="USD",
        profit_currency="USD",
        calc_mode="cfd_index",
        contract_size=10.0,
        digits=2,
        tick_size=0.01,
        tick_value=0.01,
        margin_rate=0.1,
        swap_mode="deposit_currency",
        swap_long=-1.5,
        swap_short=-1.5,
    )
    e.add_symbol(
        "ES",
        base_currency="USD",
        profit_currency="USD",
        calc_mode="futures",
        contract_size=50.0,
        digits=2,
        tick_size=0.25,
        tick_value=12.5,
        margin_initial=1000.0,
    )
    seen: dict[str, object] = {}

    def tick(sym: int, t: int, bid: float, ask: float) -> None:
        e.process_event(hqt.Tick(sym, t, bid, ask))

    # Week 1, Monday 10:00.
    tick(0, at(0, 10), 1.10000, 1.10010)
    tick(1, at(0, 10), 5000.00, 5000.50)
    tick(2, at(0, 10), 4800.00, 4800.25)
    eu_buy = e.buy("EURUSD", 1.0)  # margin 1 lot x 100 000 / 100 = 1 000 EUR x ask 1.10010
    seen["margin_one_leg"] = e.margin
    eu_sell = e.sell("EURUSD", 1.0)  # fully hedged: margin_hedged 0 -> EURUSD holds 0
    seen["margin_hedged"] = e.margin
    idx = e.buy("US500", 1.0)  # 1 x 10 x 5000.50 x (0.01 / 0.01) x 0.1 = 5 000.50
    fut = e.buy("ES", 1.0)  # 1 x 1 000
    seen["margin_all"] = e.margin
    # Tuesday 10:00 (the 00:00 rollover charged Monday once): ES closes at the bid.
    tick(2, at(1, 10), 4810.00, 4810.25)
    seen["swaps_tue"] = [p.profit for p in e.positions if p.symbol_id != 2]
    e.close(fut)
    # Thursday 10:00: Tuesday x1 and Wednesday x3 charged; the hedge's sell closes.
    tick(0, at(3, 10), 1.09500, 1.09510)
    seen["eu_sell_profit_thu"] = e.position(eu_sell).profit
    e.close(eu_sell)
    seen["margin_after_hedge"] = e.margin
    # Friday 22:00 (Thursday x1), then nothing until Monday 00:05 (Friday x1;
    # Saturday and Sunday none): the weekend is one gap, three rollovers.
    tick(0, at(4, 22), 1.10010, 1.10020)
    tick(0, at(7, 0 + 5 / 60), 1.10010, 1.10020)
    seen["eu_buy_swap_mon"] = e.position(eu_buy).profit
    seen["idx_swap_mon"] = e.position(idx).profit - (5000.00 - 5000.50) * 10
    # Week 2, Tuesday 14:00 (Monday x1), then the index crashes at 15:00.
    tick(0, at(8, 14), 1.10010, 1.10020)
    tick(1, at(8, 15), 4200.00, 4200.50)
    seen["equity_after_stop_out"] = e.equity
    # Wednesday 10:00 (Tuesday x1): EURUSD's buy closes at the bid.
    tick(0, at(9, 10), 1.09800, 1.09810)
    e.close(eu_buy)
    return e, seen


def test_every_deal_swap_and_report_figure():
    e, seen = scenario()
    # ---- margins
    assert seen["margin_one_leg"] == 1100.10  # 1 000 EUR x 1.10010
    assert seen["margin_hedged"] == 0.0  # buy 1 + sell 1, margin_hedged 0
    assert seen["margin_all"] == 6000.50  # 0 + 5 000.50 + 1 000
    assert seen["margin_after_hedge"] == 1100.10 + 5000.50  # the buy alone again
    # ---- swaps (before they are booked)
    # Tuesday: EURUSD buy -7 x 0.00001 x 100 000 = -7.00, sell +2.00; US500 -1.50, on
    # top of the floating price profits at Monday's quotes (each leg pays the spread:
    # buy 1.10000 - 1.10010, sell 1.10000 - 1.10010 -> -10 each; US500
    # (5 000.00 - 5 000.50) x 10 = -5).
    assert seen["swaps_tue"] == [-10.0 - 7.0, -10.0 + 2.0, -5.0 - 1.5]
    # Thursday: the sell's swap Mon 2 + Tue 2 + Wed 3 x 2 = 10, price (1.10000 - 1.09510)
    # x 100 000 = 490.
    assert seen["eu_sell_profit_thu"] == 500.0
    # Monday 00:05 of week 2: the buy's days Mon 1 + Tue 1 + Wed 3 + Thu 1 + Fri 1 = 7
    # -> -49 (its price profit at bid 1.10010 is 0); US500 7 x -1.50 = -10.50.
    assert seen["eu_buy_swap_mon"] == -49.0
    assert seen["idx_swap_mon"] == pytest.approx(-10.5)
    # ---- deals: ticket order = time order
    rows = [
        (d.symbol_id, d.type, d.entry, d.reason, d.volume, d.price, d.profit, d.balance)
        for d in e.deals
    ]
    B, S = hqt.PositionType.BUY, hqt.PositionType.SELL
    IN, OUT = hqt.DealEntry.IN, hqt.DealEntry.OUT
    CLIENT, SO = hqt.DealReason.CLIENT, hqt.DealReason.STOP_OUT
    assert rows == [
        (0, B, IN, CLIENT, 1.0, 1.10010, 0.0, 10_000.0),
        (0, S, IN, CLIENT, 1.0, 1.10000, 0.0, 10_000.0),
        (1, B, IN, CLIENT, 1.0, 5000.50, 0.0, 10_000.0),
        (2, B, IN, CLIENT, 1.0, 4800.25, 0.0, 10_000.0),
        # ES: (4 810.00 - 4 800.25) x 12.50 / 0.25 = 9.75 x 50 = 487.50; no swap
        (2, S, OUT, CLIENT, 1.0, 4810.00, 487.50, 10_487.50),
        # EURUSD sell at the ask: 490 + swap 10 = 500
        (0, B, OUT, CLIENT, 1.0, 1.09510, 500.0, 10_987.50),
        # Stop-out at 15:00 of week 2. Swaps by then (Monday of week 2 charged at
        # 14:00): EURUSD buy -56, US500 -12. Margin 1 100.10 + 5 000.50 = 6 100.60.
        # Equity 10 987.50 + (0 - 56) + ((4 200.00 - 5 000.50) x 10 - 12)
        # = 10 987.50 - 56 - 8 017 = 2 914.50: 2 914.50 / 6 100.60 = 47.77 % <= 50 %.
        # The most losing position, US500, closes at the bid: -8 005 - 12 = -8 017.
        (1, S, OUT, SO, 1.0, 4200.00, -8017.0, 2970.50),
        # EURUSD buy at the bid: (1.09800 - 1.10010) x 100 000 = -210, swap -63
        # (9 days: week 1 Mon..Fri 7, week 2 Mon, Tue 2) -> -273
        (0, S, OUT, CLIENT, 1.0, 1.09800, -273.0, 2697.50),
    ]
    # After the stop-out: 2 970.50 - 56 = 2 914.50 on margin 1 100.10 (265 %): it stops.
    assert seen["equity_after_stop_out"] == 2914.50
    assert e.positions == [] and e.balance == e.equity == 2697.50
    # ---- the report. Trades in closing order: +487.50 (long), +500 (short),
    # -8 017 (long), -273 (long).
    s = e.statistics()
    assert (s.total_trades, s.long_trades, s.short_trades) == (4, 3, 1)
    assert s.total_net_profit == s.net_profit == -7302.50  # 987.50 - 8 290
    assert (s.gross_profit, s.gross_loss) == (987.50, -8290.0)
    assert s.profit_factor == pytest.approx(987.50 / 8290.0)  # 0.1191
    assert s.expected_payoff == pytest.approx(-7302.50 / 4)  # -1 825.625
    assert (s.long_trades_won_pct, s.short_trades_won_pct) == (pytest.approx(100 / 3), 100.0)
    assert (s.profit_trades, s.loss_trades) == (2, 2)
    assert (s.profit_trades_pct, s.loss_trades_pct) == (50.0, 50.0)
    assert (s.largest_profit_trade, s.largest_loss_trade) == (500.0, -8017.0)
    assert (s.average_profit_trade, s.average_loss_trade) == (493.75, -4145.0)
    # runs: W W | L L
    assert (s.max_consecutive_wins, s.max_consecutive_wins_money) == (2, 987.50)
    assert (s.max_consecutive_losses, s.max_consecutive_losses_money) == (2, -8290.0)
    assert (s.maximal_consecutive_profit, s.maximal_consecutive_profit_count) == (987.50, 2)
    assert (s.maximal_consecutive_loss, s.maximal_consecutive_loss_count) == (-8290.0, 2)
    assert (s.average_consecutive_wins, s.average_consecutive_losses) == (2.0, 2.0)
    # Z: N = 4, W = L = 2, P = 2WL = 8, R = 2 runs:
    # (N (R - 0.5) - P) / sqrt(P (P - N) / (N - 1)) = (6 - 8) / sqrt(32 / 3) = -0.612372
    assert s.z_score == pytest.approx(-2 / math.sqrt(32 / 3))
    assert s.z_score_confidence == pytest.approx(
        100 * math.erf(2 / math.sqrt(32 / 3) / math.sqrt(2))
    )
    # HPRs: b = 10 000, 10 487.50, 10 987.50, 2 970.50, 2 697.50
    b = [10_000.0, 10_487.50, 10_987.50, 2970.50, 2697.50]
    hpr = [b[i + 1] / b[i] for i in range(4)]  # 1.04875, 1.047676, 0.270353, 0.908096
    assert s.ahpr == pytest.approx(sum(hpr) / 4)  # 0.818719
    assert s.ghpr == pytest.approx((2697.50 / 10_000.0) ** 0.25)  # 0.720677
    # LR over (i, b_i), i = 0..4: Pearson r; standard error sqrt(SSres / (5 - 2)).
    n, mx, my = 5, 2.0, sum(b) / 5
    sxy = sum((i - mx) * (y - my) for i, y in enumerate(b))
    sxx, syy = 10.0, sum((y - my) ** 2 for y in b)
    assert s.lr_correlation == pytest.approx(sxy / math.sqrt(sxx * syy))
    slope = sxy / sxx
    res = sum((y - (my + slope * (i - mx))) ** 2 for i, y in enumerate(b))
    assert s.lr_standard_error == pytest.approx(math.sqrt(res / (n - 2)))
    # Balance: 10 000 (x5: the deposits and four opening deals), 10 487.50, 10 987.50,
    # 2 970.50, 2 697.50. Absolute 10 000 - 2 697.50; maximal and relative the one fall
    # from the 10 987.50 peak: 8 290 = 75.4494 % of it.
    assert s.balance_drawdown_absolute == 7302.50
    assert s.balance_drawdown_maximal == s.balance_drawdown_relative == 8290.0
    assert s.balance_drawdown_maximal_pct == pytest.approx(8290 / 10_987.50 * 100)
    assert s.balance_drawdown_relative_pct == pytest.approx(8290 / 10_987.50 * 100)
    assert s.recovery_factor == pytest.approx(-7302.50 / s.equity_drawdown_maximal)
