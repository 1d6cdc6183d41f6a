"""The money rules of issue 9 item 6 through ``hqt`` (the Swift side is
Tests/HQTTests/Core/MoneyRulesTests.swift; docs/engine.md, "Calculation modes").

- booked money is rounded to the account currency's digits, half away from
  zero (MT5's ACCOUNT_CURRENCY_DIGITS,
  https://www.mql5.com/en/docs/constants/environment_state/accountinformation);
  floating profit stays exact;
- profit in another currency converts at the rate unfavourable to the trader
  (SYMBOL_TRADE_TICK_VALUE_PROFIT / _LOSS,
  https://www.mql5.com/en/docs/constants/environment_state/marketinfoconstants);
- commission per lot / per deal / percent of turnover, on entries, exits or
  both, in deposit or symbol currency;
- close_by: two OUT_BY deals at the by-position's open price
  (https://www.mql5.com/en/docs/constants/tradingconstants/dealproperties).
"""

from __future__ import annotations

import shutil

import pytest

import hqt
from conftest import SEC, T0


def tick(e: hqt.Engine, sym: int, k: int, bid: float, ask: float) -> None:
    e.process_event(hqt.Tick(sym, T0 + k * SEC, bid, ask))


# ---- currency digits ------------------------------------------------------------------


def test_default_digits_follow_the_currency():
    assert hqt.Engine(10_000, "USD").currency_digits == 2
    assert hqt.Engine(10_000, "JPY").currency_digits == 0
    assert hqt.Engine(10_000, "KWD").currency_digits == 3
    assert hqt.Engine(10_000, "USD", currency_digits=6).currency_digits == 6


def test_bad_currency_digits_are_refused():
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.Engine(10_000, "USD", currency_digits=7)
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.Engine(10_000, "USD", currency_digits=True)


def test_profit_is_booked_in_cents_floating_stays_exact():
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("USDJPY", digits=3)
    tick(e, 0, 0, 150.000, 150.020)
    t = e.buy(0, 1.0)  # at 150.020
    tick(e, 0, 1, 151.000, 151.020)
    # 0.980 x 100 000 = 98 000 JPY, a profit: / ask 151.020 = 648.920672...
    assert hqt.to_micro(e.position(t).profit) == 648_920_673
    e.close(t)
    assert e.deals[-1].profit == 648.92 and e.balance == 10_648.92


def test_unrounded_digits_book_the_exact_micro_value():
    e = hqt.Engine(10_000, "USD", currency_digits=6)
    e.add_symbol("USDJPY", digits=3)
    tick(e, 0, 0, 150.000, 150.020)
    t = e.buy(0, 1.0)
    tick(e, 0, 1, 151.000, 151.020)
    e.close(t)
    assert hqt.to_micro(e.deals[-1].profit) == 648_920_673


def test_digits_cannot_change_after_the_first_order():
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("EURUSD")
    tick(e, 0, 0, 1.1, 1.1)
    e.buy(0, 0.1)
    with pytest.raises(hqt.StateError):
        e.set_currency_digits(4)


# ---- unfavourable conversion ----------------------------------------------------------


def test_a_loss_divided_by_the_converter_uses_its_bid():
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("USDJPY", digits=3)
    tick(e, 0, 0, 150.000, 150.020)
    t = e.sell(0, 1.0)  # at 150.000
    tick(e, 0, 1, 151.000, 151.020)
    e.close(t)
    # (150.000 - 151.020) x 100 000 = -102 000 JPY, a loss: / bid 151.000
    # = -675.496688... -> -675.50 (the ask would give -675.41)
    assert e.deals[-1].profit == -675.50


def test_a_loss_multiplied_by_the_converter_uses_its_ask():
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("EURGBP")
    e.add_symbol("GBPUSD")
    e.add_symbol("EURUSD")
    tick(e, 1, 0, 1.25000, 1.25020)
    tick(e, 2, 0, 1.10000, 1.10020)
    tick(e, 0, 0, 0.85000, 0.85020)
    t = e.buy(0, 1.0)
    tick(e, 0, 1, 0.84520, 0.84540)
    e.close(t)
    # -500 GBP bought at GBPUSD's ask 1.2502 = -625.10 (the bid: -625.00)
    assert e.deals[-1].profit == -625.10


# ---- commission models ----------------------------------------------------------------


def usd(**kw) -> hqt.Engine:
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD", **kw)
    tick(e, 0, 0, 1.2, 1.2)
    return e


def test_per_deal_commission_on_entries_only():
    e = usd(commission_per_deal=3.0, commission_entry="in")
    t = e.buy(0, 0.5)
    e.close(t)
    assert [d.commission for d in e.deals] == [-3.0, 0.0]
    assert e.balance == 9_997.0


def test_per_lot_commission_on_exits_only():
    e = usd(commission_per_lot=7.0, commission_entry=hqt.CommissionEntry.OUT)
    t = e.buy(0, 2.0)
    e.close(t, 1.0)
    assert [d.commission for d in e.deals] == [0.0, -7.0]


def test_percent_of_turnover():
    e = usd(commission_percent=0.01)
    t = e.buy(0, 1.0)
    # 1 x 100 000 x 1.2 = 120 000 USD x 0.01 % = 12
    assert e.deals[-1].commission == -12.0
    tick(e, 0, 1, 1.25007, 1.25007)
    e.close(t)
    # 125 007 x 0.0001 = 12.5007 -> 12.50
    assert e.deals[-1].commission == -12.50


def test_commission_in_the_symbol_currency_converts_like_a_loss():
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("USDJPY", digits=3, commission_per_lot=1_000, commission_currency="symbol")
    tick(e, 0, 0, 149.000, 151.000)
    e.buy(0, 1.0)
    # 1 000 JPY / USDJPY bid 149.000 = 6.711409 -> 6.71 (the ask: 6.62)
    assert e.deals[-1].commission == -6.71


@pytest.mark.parametrize(
    "kw",
    [
        {"commission_entry": "sometimes"},
        {"commission_currency": "base"},
        {"commission_percent": 101.0},
        {"commission_per_deal": -1.0},
    ],
)
def test_bad_commission_fields_are_refused(kw):
    e = hqt.Engine(10_000, "USD")
    with pytest.raises(hqt.InvalidArgumentError):
        e.add_symbol("TEST", base_currency="USD", profit_currency="USD", **kw)
    assert e.symbol_count == 0


# ---- close by -------------------------------------------------------------------------


def hedged() -> tuple[hqt.Engine, int, int]:
    e = hqt.Engine(10_000, "USD")
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD")
    tick(e, 0, 0, 1.00000, 1.00020)
    a = e.buy(0, 1.0)  # at 1.00020
    tick(e, 0, 1, 1.01000, 1.01020)
    b = e.sell(0, 0.4)  # at 1.01000
    return e, a, b


def test_close_by_books_the_locked_difference_without_a_second_spread():
    e, a, b = hedged()
    e.close_by(a, b)
    out = e.deals[2:]
    assert [d.entry for d in out] == [hqt.DealEntry.OUT_BY] * 2
    assert [d.position for d in out] == [a, b]
    assert [d.price for d in out] == [1.01, 1.01]
    # (1.01000 - 1.00020) x 40 000 = 392.00 on the buy, 0 on the sell; closing
    # the sell at market would have paid its spread: 392 - 0.0002 x 40 000 = 384
    assert [d.profit for d in out] == [392.0, 0.0]
    assert e.balance == 10_392.0
    (p,) = e.positions
    assert p.ticket == a and p.volume == 0.6


def test_close_by_refusals_leave_the_engine_unchanged():
    e, a, b = hedged()
    c = e.buy(0, 1.0)
    deals = len(e.deals)
    for x, y in [(a, c), (a, a), (a, 99)]:
        with pytest.raises(hqt.HQTError):
            e.close_by(x, y)
    assert len(e.deals) == deals and len(e.positions) == 3
    n = hqt.Engine(10_000, "USD", mode="netting")
    n.add_symbol("EURUSD")
    tick(n, 0, 0, 1.1, 1.1)
    t = n.buy(0, 1.0)
    with pytest.raises(hqt.StateError):
        n.close_by(t, t)


# ---- WAL configuration fingerprint ----------------------------------------------------


def test_the_wal_fingerprint_covers_commission_fields_and_digits(tmp_path):
    """hqt.wal_records.configuration_fingerprint (docs/wal-records.md) agrees with
    the engine's; defaults add nothing, so 0.1 configurations keep theirs."""
    from hqt import wal_records as W

    M = 10**6
    cases = [
        ({}, {}, W.SymbolConfig("S", "USD", "USD"), None),
        (
            {},
            {
                "commission_per_deal": 2.5,
                "commission_entry": "out",
                "commission_currency": "symbol",
            },
            W.SymbolConfig(
                "S",
                "USD",
                "USD",
                commission_per_deal=2_500_000,
                commission_entry=2,
                commission_currency=1,
            ),
            None,
        ),
        (
            {"currency_digits": 4},
            {"commission_percent": 0.01},
            W.SymbolConfig("S", "USD", "USD", commission_percent=10_000),
            4,
        ),
        ({"currency_digits": 2}, {}, W.SymbolConfig("S", "USD", "USD"), 2),
    ]
    prints = set()
    for i, (engine_kw, kw, config, digits) in enumerate(cases):
        e = hqt.Engine(1000.0, **engine_kw)
        e.add_symbol("S", base_currency="USD", profit_currency="USD", **kw)
        report = e.enable_wal(tmp_path / f"{i}.wal")
        expected = W.configuration_fingerprint(
            1000 * M, "USD", 100, [config], currency_digits=digits
        )
        assert report.fingerprint == expected
        prints.add(expected)
        e.disable_wal()
    assert len(prints) == 3  # the default digits (2) add nothing


def test_the_wal_fingerprint_orders_every_section(tmp_path):
    """Every optional section at once (currency digits 0xD1 and money stop-out
    0xD2 before the symbols; calc 0xC1, swaps 0xC2, commission 0xC4, levels
    0xC5, sessions 0xC6 per symbol; then the rollover time 0xC3): the Python
    reference agrees with the engine, and each section changes the print."""
    from hqt import wal_records as W

    M = 10**6
    sessions = [(1, 0, 86_400), (3, 3_600, 7_200)]
    e = hqt.Engine(
        1000.0, currency_digits=3, margin_call=2000.0, stop_out=500.0, stop_out_mode="money"
    )
    e.add_symbol(
        "S",
        base_currency="USD",
        profit_currency="USD",
        calc_mode="cfd",
        swap_mode="deposit_currency",
        swap_long=-1.5,
        commission_per_deal=2.0,
        commission_entry="in",
        stops_level=10,
        freeze_level=5,
        trade_sessions=sessions,
    )
    e.rollover_time = 3600
    report = e.enable_wal(tmp_path / "all.wal")
    e.disable_wal()
    full = {
        "calc_mode": int(hqt.CalcMode.CFD),
        "swap_mode": 4,
        "swap_long": -1_500_000,
        "commission_per_deal": 2 * M,
        "commission_entry": 1,
        "stops_level": 10,
        "freeze_level": 5,
        "trade_sessions": tuple(sessions),
    }
    account = {"rollover_time": 3600, "currency_digits": 3, "stop_out_mode": 1}

    def fingerprint(symbol: dict, acct: dict) -> int:
        config = W.SymbolConfig("S", "USD", "USD", **symbol)
        return W.configuration_fingerprint(
            1000 * M, "USD", 100, [config], 0, 2000 * M, 500 * M, **acct
        )

    assert report.fingerprint == fingerprint(full, account)
    # dropping any one section gives another fingerprint, so each is covered
    prints = {fingerprint(full, account)}
    for key in full:
        prints.add(fingerprint({k: v for k, v in full.items() if k != key}, account))
    for key in account:
        prints.add(fingerprint(full, {k: v for k, v in account.items() if k != key}))
    assert len(prints) == 1 + len(full) + len(account)


def test_close_by_deals_are_journaled_and_recovered(tmp_path):
    """Two OUT_BY deals go into the log as two POSITION_CLOSE records; a fresh
    engine recovering the log has the same deals and balance."""

    def make() -> hqt.Engine:
        e = hqt.Engine(10_000, "USD")
        e.add_symbol("TEST", base_currency="USD", profit_currency="USD")
        return e

    e = make()
    e.enable_wal(tmp_path / "a.wal", sync="always")
    tick(e, 0, 0, 1.00000, 1.00020)
    a = e.buy(0, 1.0)
    tick(e, 0, 1, 1.01000, 1.01020)
    b = e.sell(0, 0.4)
    e.close_by(a, b)
    expected = ([(d.ticket, d.entry, d.price, d.profit, d.balance) for d in e.deals], e.balance)
    # the log as a kill would leave it: records after the first checkpoint
    shutil.copy(tmp_path / "a.wal", tmp_path / "b.wal")
    r = make()
    r.enable_wal(tmp_path / "b.wal")
    r.recover_from_wal()
    got = ([(d.ticket, d.entry, d.price, d.profit, d.balance) for d in r.deals], r.balance)
    assert got == expected and expected[0][-1][1] == hqt.DealEntry.OUT_BY
    # the log holds them as two POSITION_CLOSE records (docs/wal-records.md)
    from hqt import wal
    from hqt import wal_records as W

    records = wal.read_log(str(tmp_path / "a.wal")).records
    decoded = [(wal.type_name(r.type), W.decode(r.type, r.data)) for r in records]
    by = [
        (t, d) for t, d in decoded if isinstance(d, W.Fill) and d.deal.entry == W.DealEntry.OUT_BY
    ]
    assert [(t, d.deal.position) for t, d in by] == [("POSITION_CLOSE", a), ("POSITION_CLOSE", b)]
    e.disable_wal()
    r.disable_wal()


def test_symbol_info_reads_the_commission_model_back():
    e = hqt.Engine(10_000, "USD")
    e.add_symbol(
        "EURUSD",
        commission_per_deal=1.5,
        commission_percent=0.002,
        commission_entry="out",
        commission_currency="symbol",
    )
    s = e.symbol(0)
    assert (s.commission_per_deal, s.commission_percent) == (1.5, 0.002)
    assert s.commission_entry == hqt.CommissionEntry.OUT
    assert s.commission_currency == hqt.CommissionCurrency.SYMBOL
    e.add_symbol("GBPUSD")
    assert e.symbol(1).commission_entry == hqt.CommissionEntry.BOTH
