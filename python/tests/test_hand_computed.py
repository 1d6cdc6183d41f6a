"""Hand-computed cases: margin, SL/TP, stop-out, commission, currency conversion,
netting, pending orders, trailing stops, bar-only data.

Every expected number is worked out in the comments from SPEC's rules, in
exact micro units where rounding matters.
"""

from __future__ import annotations

import pytest

import hqt
from conftest import MIN, SEC, T0
from hqt.units import div_round

M = 10**6  # micro per unit


def tick(e: hqt.Engine, sym: int, k: int, bid: float, ask: float) -> None:
    e.process_event(hqt.Tick(sym, T0 + k * SEC, bid, ask))


def usd_engine(balance: float = 10_000.0, leverage: int = 100, **kw) -> hqt.Engine:
    return hqt.Engine(balance, "USD", leverage, **kw)


# ---- margin ------------------------------------------------------------------------


def test_forex_margin_buy_converted_at_ask():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.buy(0, 1.0)
    # 1 lot x 100 000 EUR / 100 = 1 000 EUR; in USD at the ask 1.10020 = 1 100.20
    assert e.position(t).margin == 1100.20 and e.margin == 1100.20
    # equity = 10 000 + (1.10000 - 1.10020) x 100 000 = 9 980; free = 9 980 - 1 100.20
    assert e.equity == 9980.0 and e.free_margin == pytest.approx(8879.80)
    # level = 9 980 / 1 100.20 x 100 %, in percent x 1e6, rounded
    assert hqt.to_micro(e.margin_level) == div_round(9_980 * M * 100 * M, 1_100_200_000)


def test_forex_margin_sell_converted_at_bid():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.sell(0, 0.5)
    # 0.5 x 100 000 / 100 = 500 EUR at the bid 1.10000 = 550.00 USD
    assert e.position(t).margin == 550.0 and e.margin == 550.0


def test_margin_in_account_currency_needs_no_conversion():
    e = usd_engine(leverage=50)
    e.add_symbol("USDJPY", digits=3)
    tick(e, 0, 0, 150.000, 150.020)
    e.buy(0, 0.3)
    # 0.3 x 100 000 USD / 50 = 600 USD
    assert e.margin == 600.0


def test_cfd_margin_uses_price():
    e = usd_engine()
    e.add_symbol(
        "XAUUSD",
        base_currency="XAU",
        profit_currency="USD",
        margin_currency="USD",
        contract_size=100,
        digits=2,
        calc_mode="cfd_leverage",  # what margin_mode="cfd" computed in 0.1
    )
    tick(e, 0, 0, 2000.30, 2000.50)
    e.buy(0, 0.1)
    # 0.1 lot x 100 oz x 2000.50 (ask) / 100 = 200.05 USD
    assert e.margin == 200.05


def test_margin_sums_over_positions():
    e = usd_engine()
    e.add_symbol("EURUSD")
    e.add_symbol("GBPUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    tick(e, 1, 0, 1.25000, 1.25020)
    e.buy(0, 0.2)  # 200 EUR x 1.10020 = 220.04
    e.sell(1, 0.1)  # 100 GBP x 1.25000 = 125.00
    assert e.margin == pytest.approx(345.04) and hqt.to_micro(e.margin) == 345_040_000


def test_order_needing_more_than_free_margin_is_rejected():
    e = usd_engine(balance=1_000.0)
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    # 0.9 lot needs 900 EUR x 1.1002 = 990.18 USD <= 1 000: accepted
    e.buy(0, 0.9)
    # free margin is now 1 000 - 18 (spread) - 990.18 = -8.18: 0.01 lot (11.00) is rejected
    with pytest.raises(hqt.InsufficientMarginError):
        e.buy(0, 0.01)


# ---- SL / TP ------------------------------------------------------------------------


def test_buy_stop_loss_closes_at_bid():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.buy(0, 1.0, sl=1.09900, tp=1.10500)
    tick(e, 0, 1, 1.09905, 1.09925)  # bid above SL: nothing
    assert len(e.positions) == 1
    tick(e, 0, 2, 1.09890, 1.09910)  # bid crosses SL
    (d,) = [d for d in e.deals if d.entry == hqt.DealEntry.OUT]
    # closes at the bid of that tick: (1.09890 - 1.10020) x 100 000 = -130.00
    assert (d.position, d.reason, d.type, d.price, d.profit) == (
        t,
        hqt.DealReason.SL,
        hqt.SELL,
        1.09890,
        -130.0,
    )
    assert e.balance == 9870.0 and e.positions == []


def test_buy_take_profit_touch_closes_at_bid():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    e.buy(0, 0.5, tp=1.10300)
    tick(e, 0, 1, 1.10300, 1.10320)  # bid touches TP
    d = e.deals[-1]
    # (1.10300 - 1.10020) x 50 000 = 140.00
    assert (d.reason, d.price, d.profit) == (hqt.DealReason.TP, 1.103, 140.0)


def test_sell_take_profit_closes_at_ask():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    e.sell(0, 1.0, sl=1.10500, tp=1.09800)
    tick(e, 0, 1, 1.09790, 1.09810)  # bid below TP, ask above: a sell closes on the ask: nothing
    assert len(e.positions) == 1
    tick(e, 0, 2, 1.09770, 1.09790)  # ask crosses TP
    d = e.deals[-1]
    # (1.10000 - 1.09790) x 100 000 = 210.00, closed at the ask
    assert (d.reason, d.type, d.price, d.profit) == (hqt.DealReason.TP, hqt.BUY, 1.0979, 210.0)


def test_sell_stop_loss_closes_at_ask():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    e.sell(0, 0.2, sl=1.10200)
    tick(e, 0, 1, 1.10190, 1.10210)
    d = e.deals[-1]
    # (1.10000 - 1.10210) x 20 000 = -42.00
    assert (d.reason, d.price, d.profit) == (hqt.DealReason.SL, 1.1021, -42.0)


def test_bar_crossing_sl_and_tp_takes_sl_first():
    e = usd_engine()
    e.add_symbol("EURUSD", spread=0.0002)
    e.process_event(hqt.Bar(0, hqt.M1, T0, 1.1, 1.1, 1.1, 1.1))  # bid 1.10000, ask 1.10020
    e.buy(0, 0.1, sl=1.09500, tp=1.10500)
    e.process_event(hqt.Bar(0, hqt.M1, T0 + MIN, 1.1, 1.1100, 1.0900, 1.1))
    d = e.deals[-1]
    # pessimistic rule: SL; (1.09500 - 1.10020) x 10 000 = -52.00
    assert (d.reason, d.price, d.profit) == (hqt.DealReason.SL, 1.095, -52.0)


# ---- stop-out -----------------------------------------------------------------------


def test_stop_out_closes_most_losing_first_until_level_recovers():
    e = usd_engine(balance=1_000.0)
    eur = e.add_symbol("EURUSD")
    gbp = e.add_symbol("GBPUSD")
    tick(e, eur, 0, 1.10000, 1.10020)
    tick(e, gbp, 0, 1.25000, 1.25020)
    a = e.buy(eur, 0.5)  # margin 500 EUR x 1.10020 = 550.10
    c = e.buy(eur, 0.1)  # margin 100 EUR x 1.10020 = 110.02
    b = e.buy(gbp, 0.1)  # margin 100 GBP x 1.25020 = 125.02
    assert e.margin == pytest.approx(785.14)
    log: list[hqt.Deal] = []

    class Watch(hqt.Strategy):
        def on_trade(self, engine, deal):
            log.append(deal)

    # EURUSD falls to 1.08500 / 1.08520:
    #   A: (1.08500 - 1.10020) x 50 000 = -760    C: x 10 000 = -152    B: -2 (spread)
    #   equity = 1 000 - 914 = 86; margin ~ 785: level ~ 11 % < 50 %  -> stop-out
    #   close A (most losing): balance 240, equity 86, margin ~235: ~37 % < 50 % -> go on
    #   close C:               balance  88, equity 86, margin 125.02: ~69 % >= 50 % -> stop
    e.process_event(hqt.Tick(eur, T0 + SEC, 1.08500, 1.08520), Watch())
    assert [
        (d.position, d.reason, d.price, d.profit) for d in log if d.entry == hqt.DealEntry.OUT
    ] == [(a, hqt.DealReason.STOP_OUT, 1.085, -760.0), (c, hqt.DealReason.STOP_OUT, 1.085, -152.0)]
    assert [p.ticket for p in e.positions] == [b]
    assert e.balance == 88.0 and e.equity == 86.0
    assert e.margin_level == pytest.approx(86 / 125.02 * 100, abs=1e-6)
    assert e.account.margin_call  # still below the 100 % margin call level


# ---- commission -----------------------------------------------------------------------


def test_commission_per_lot_per_side():
    e = usd_engine()
    e.add_symbol("EURUSD", commission_per_lot=7.0)
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.buy(0, 0.3)
    # 7.00 x 0.3 = 2.10 charged on the IN deal
    assert e.deals[0].commission == -2.1 and e.position(t).commission == -2.1
    assert e.balance == pytest.approx(9997.9)
    tick(e, 0, 1, 1.10120, 1.10140)
    e.close(t)
    out = e.deals[-1]
    # profit (1.10120 - 1.10020) x 30 000 = 30.00, commission 2.10 again
    assert (out.profit, out.commission) == (30.0, -2.1)
    (tr,) = e.trades
    assert (tr.profit, tr.commission, tr.net_profit) == (30.0, -4.2, pytest.approx(25.8))
    assert e.balance_micro == 10_000 * M + 30 * M - 4_200_000
    st = e.statistics()
    assert st.total_commission == -4.2 and st.gross_profit == pytest.approx(25.8)


@pytest.mark.parametrize(
    "per_lot,lots,expected_micro",
    [
        (3.333333, 0.07, -233_333),  # 3 333 333 x 70 000 / 1e6 = 233 333.31 -> 233 333
        (1.000002, 0.25, -250_001),  # 1 000 002 x 250 000 / 1e6 = 250 000.5 -> 250 001 (half away)
        (0.000006, 0.25, -2),  # 6 x 250 000 / 1e6 = 1.5 -> 2
    ],
)
def test_commission_rounding(per_lot, lots, expected_micro):
    # Booked unrounded (currency_digits=6) so the micro rounding shows; with
    # USD's default 2 digits these would book as 0.23, 0.25 and 0.00.
    e = usd_engine(currency_digits=6)
    e.add_symbol("EURUSD", commission_per_lot=per_lot)
    tick(e, 0, 0, 1.10000, 1.10020)
    e.buy(0, lots)
    assert e.deals[0].commission_micro == expected_micro
    assert expected_micro == -div_round(hqt.to_micro(per_lot) * hqt.to_micro(lots), M)


# ---- currency conversion -----------------------------------------------------------------


def test_profit_in_jpy_converted_to_usd():
    e = usd_engine()
    e.add_symbol("USDJPY", digits=3)
    tick(e, 0, 0, 150.000, 150.020)
    t = e.buy(0, 1.0)
    tick(e, 0, 1, 151.000, 151.020)
    e.close(t)
    d = e.deals[-1]
    # (151.000 - 150.020) x 100 000 = 98 000 JPY; in USD: divided by USDJPY's rate.
    # A profit divides by the ask (151.020): selling JPY for USD buys USDJPY.
    # 648.920673 is booked in USD's 2 digits (test_money_rules.py): 648.92.
    assert div_round(98_000 * M * M, 151_020_000) == 648_920_673
    assert d.profit_micro == 648_920_000


def test_loss_in_jpy_converted_to_usd():
    e = usd_engine()
    e.add_symbol("USDJPY", digits=3)
    tick(e, 0, 0, 150.000, 150.020)
    t = e.buy(0, 1.0)
    tick(e, 0, 1, 149.000, 149.020)
    e.close(t)
    # (149.000 - 150.020) x 100 000 = -102 000 JPY; a loss buys JPY, selling USDJPY
    # at its bid (the unfavourable side, test_money_rules.py): / 149.000
    # = -684.563758 USD, booked in cents: -684.56 (the ask gave -684.47 before 0.2)
    assert div_round(-102_000 * M * M, 149_000_000) == -684_563_758
    assert e.deals[-1].profit_micro == -684_560_000


def test_cross_pair_profit_converted_through_another_symbol():
    e = usd_engine()
    e.add_symbol("EURJPY", digits=3)
    e.add_symbol("USDJPY", digits=3)
    e.add_symbol("EURUSD")
    tick(e, 1, 0, 150.000, 150.020)
    tick(e, 2, 0, 1.10000, 1.10020)
    tick(e, 0, 0, 165.000, 165.030)
    t = e.buy(0, 0.1)
    # margin: 0.1 x 100 000 EUR / 100 = 100 EUR, at EURUSD's ask 1.10020 = 110.02 USD
    assert e.margin == pytest.approx(110.02)
    tick(e, 0, 1, 166.000, 166.030)
    e.close(t)
    # (166.000 - 165.030) x 10 000 = 9 700 JPY / USDJPY ask 150.020 = 64.658046 USD,
    # booked in cents: 64.66
    assert div_round(9_700 * M * M, 150_020_000) == 64_658_046
    assert e.deals[-1].profit_micro == 64_660_000


# ---- netting, pending orders, trailing stops --------------------------------------------------


def test_netting_reduce_and_reverse():
    e = usd_engine(mode="netting")
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.buy(0, 0.3)
    tick(e, 0, 1, 1.10100, 1.10120)
    assert e.sell(0, 0.1) == t  # reduces the one position
    # closed 0.1 at the bid: (1.10100 - 1.10020) x 10 000 = 8.00
    assert (e.deals[-1].entry, e.deals[-1].profit) == (hqt.DealEntry.OUT, 8.0)
    (p,) = e.positions
    assert (p.type, p.volume, p.open_price) == (hqt.BUY, 0.2, 1.1002)
    e.sell(0, 0.5)  # closes 0.2 (profit 16.00) and opens a sell of 0.3 at 1.10100
    d = e.deals[-1]
    assert (d.entry, d.volume, d.profit) == (hqt.DealEntry.INOUT, 0.5, 16.0)
    (p,) = e.positions
    assert (p.type, p.volume, p.open_price) == (hqt.SELL, 0.3, 1.101)
    assert e.balance == 10_024.0


def test_pending_orders_trigger_on_crossing_tick():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    limit = e.buy_limit(0, 0.1, 1.09900, sl=1.09500)
    stop = e.sell_stop(0, 0.2, 1.09800)
    tick(e, 0, 1, 1.09895, 1.09915)  # ask 1.09915 > 1.09900: not yet
    assert len(e.orders) == 2
    tick(e, 0, 2, 1.09880, 1.09900)  # ask touches the limit
    (filled,) = [d for d in e.deals if d.order == limit]
    assert (filled.reason, filled.price, filled.type) == (hqt.DealReason.PENDING, 1.099, hqt.BUY)
    assert e.position(filled.position).sl == 1.095
    tick(e, 0, 3, 1.09790, 1.09810)  # bid below the sell stop
    (filled,) = [d for d in e.deals if d.order == stop]
    assert filled.type == hqt.SELL and filled.volume == 0.2
    assert e.orders == []
    states = {o.ticket: o.state for o in e.order_history}
    assert states[limit] == states[stop] == hqt.OrderState.FILLED


def test_pending_order_cancel_and_expiration():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    keep = e.sell_limit(0, 0.1, 1.10500)
    gone = e.buy_stop(0, 0.1, 1.10500, expiration=T0 + 5 * SEC)
    e.cancel(keep)
    tick(e, 0, 6, 1.10000, 1.10020)
    assert e.orders == []
    states = {o.ticket: o.state for o in e.order_history}
    assert states == {keep: hqt.OrderState.CANCELED, gone: hqt.OrderState.EXPIRED}


def test_stop_limit_places_a_limit():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    o = e.buy_stop_limit(0, 0.1, 1.10200, 1.10100)
    tick(e, 0, 1, 1.10190, 1.10210)  # ask reaches 1.10200: a BUY_LIMIT at 1.10100 is placed
    assert e.positions == []
    tick(e, 0, 2, 1.10080, 1.10100)  # ask reaches the limit
    (p,) = e.positions
    assert p.open_price == 1.101 and e.deals[-1].order in {o, *(x.ticket for x in e.order_history)}


def test_trailing_stop_follows_and_closes():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.buy(0, 0.1)
    e.set_trailing_stop(t, 100)  # 100 points = 0.00100
    tick(e, 0, 1, 1.10200, 1.10220)
    assert e.position(t).sl == 1.101  # bid - 0.00100
    tick(e, 0, 2, 1.10150, 1.10170)
    assert e.position(t).sl == 1.101  # never moves back
    tick(e, 0, 3, 1.10100, 1.10120)
    d = e.deals[-1]
    # (1.10100 - 1.10020) x 10 000 = 8.00
    assert (d.reason, d.price, d.profit) == (hqt.DealReason.SL, 1.101, 8.0)


def test_modify_keep_and_remove():
    e = usd_engine()
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.10000, 1.10020)
    t = e.buy(0, 0.1, sl=1.09, tp=1.12)
    e.modify(t, sl=1.095)  # tp kept
    assert (e.position(t).sl, e.position(t).tp) == (1.095, 1.12)
    e.modify(t, tp=0)  # tp removed, sl kept
    assert (e.position(t).sl, e.position(t).tp) == (1.095, 0.0)
    e.modify(t)  # nothing changes
    assert (e.position(t).sl, e.position(t).tp) == (1.095, 0.0)


def test_deposit_and_withdrawal():
    e = usd_engine()
    e.deposit(500.5)
    e.deposit(-0.5)
    assert e.balance == 10_500.0 and e.equity == 10_500.0
