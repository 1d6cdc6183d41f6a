"""The quant statistics of BacktestResult.stats (hqt.analytics), each figure
hand-computed from a scripted run of three trades over 40 days, the "n/a"
cases, and the OHLC price sketch the report's candles and buy-and-hold read.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hqt
from hqt import analytics
from hqt.results import PriceSketch

SEC = 10**9
H = 3600 * SEC
D = 24 * H
T0 = int(np.datetime64("2024-01-01T10:00", "ns").astype(np.int64))

#: (time, price, action); bid = ask, 0.1 lot: a move of 0.01 is 100 USD
SCRIPT = [
    (T0, 1.00, "buy"),  # trade 1: buy 1.00 -> 1.02, +200
    (T0 + H, 0.99, None),  # equity 9 900
    (T0 + D, 1.02, "close"),  # balance 10 200
    (T0 + 2 * D, 1.02, "sell"),  # trade 2: sell 1.02 -> 1.04, -200
    (T0 + 2 * D + 2 * H, 1.03, None),  # equity 10 100
    (T0 + 3 * D, 1.04, "close"),  # balance 10 000
    (T0 + 4 * D, 1.00, "buy"),  # trade 3: buy 1.00 -> 1.05, +500
    (T0 + 5 * D, 1.05, "close"),  # balance 10 500
    (T0 + 40 * D, 1.05, None),  # 2024-02-10: nothing happens
]


class Scripted(hqt.Strategy):
    def __init__(self) -> None:
        self.actions = {t: a for t, _, a in SCRIPT if a}
        self.ticket = 0

    def on_tick(self, engine, tick):
        a = self.actions.get(tick.time)
        if a == "buy":
            self.ticket = engine.buy(0, 0.1)
        elif a == "sell":
            self.ticket = engine.sell(0, 0.1)
        elif a == "close":
            engine.close(self.ticket)


@pytest.fixture(scope="module")
def result():
    e = hqt.Engine(10_000.0, "USD", 100)
    e.set_equity_interval(SEC)
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD")
    t = np.array([s[0] for s in SCRIPT], np.int64)
    p = np.array([s[1] for s in SCRIPT])
    e.load_ticks(0, t, p, p)
    r = e.run(Scripted(), progress=False)
    yield r
    e.dispose()


def test_the_scripted_curve(result):
    eq = result.records("equity")
    assert (
        eq["equity"].tolist()
        == [10_000, 9_900, 10_200, 10_200, 10_100] + [10_000] * 2 + [10_500] * 2
    )
    assert result.records("trades")["net_profit"].tolist() == [200.0, -200.0, 500.0]


def test_every_quant_figure_by_hand(result):
    s = result.stats
    approx = pytest.approx
    # CAGR: 10 000 -> 10 500 over 40 days
    assert s["cagr_pct"] == approx((1.05 ** (365.25 / 40) - 1) * 100)
    # daily series: 10 000 (initial), then each UTC day's last equity:
    # 9 900, 10 200, 10 100, 10 000, 10 000, 10 500, 10 500 (Feb 10)
    r = [9_900 / 10_000 - 1, 10_200 / 9_900 - 1, 10_100 / 10_200 - 1, 10_000 / 10_100 - 1]
    r += [0.0, 10_500 / 10_000 - 1, 0.0]
    n = len(r)
    mean = sum(r) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in r) / (n - 1))
    assert s["sharpe_ratio"] == approx(mean / sd * math.sqrt(252))  # the engine's, same series
    assert s["annual_return_pct"] == approx((1.05 ** (252 / 7) - 1) * 100)
    assert s["annual_volatility_pct"] == approx(sd * math.sqrt(252) * 100)
    downside = math.sqrt(sum(min(x, 0.0) ** 2 for x in r) / n)
    assert s["sortino_ratio"] == approx(mean / downside * math.sqrt(252))
    # deepest drawdown: 10 200 -> 10 000 (the engine's, every event)
    assert s["max_drawdown_pct"] == approx(200 / 10_200 * 100)
    assert s["calmar_ratio"] == approx(s["cagr_pct"] / (200 / 10_200 * 100))
    # peak 10 200 on day 2 10:00 is regained on day 5 10:00 (10 500): 72 h
    assert s["max_drawdown_duration"].value == 72 * H
    # three 24 h trades in 40 days
    assert s["exposure_pct"] == approx(72 / 960 * 100)
    net = [200.0, -200.0, 500.0]
    m = sum(net) / 3
    sd_t = math.sqrt(sum((x - m) ** 2 for x in net) / 2)
    assert s["sqn"] == approx(math.sqrt(3) * m / sd_t)
    assert s["expectancy"] == approx(500 / 3)
    # price moves in the trades' favour: +2 %, 1.02/1.04 - 1, +5 %
    assert s["expectancy_pct"] == approx((2.0 + (1.02 / 1.04 - 1) * 100 + 5.0) / 3)
    # win 2/3, average win 350 / average loss 200
    assert s["kelly_criterion"] == approx(2 / 3 - (1 / 3) / (350 / 200))
    assert s["buy_hold_return_pct"] == approx(5.0)
    assert result.buy_hold_returns() == {"TEST": approx(5.0)}


def test_monthly_returns_table(result):
    table = result.monthly_returns()
    assert list(table.columns) == [*analytics.MONTHS, "Year"]
    assert table.index.tolist() == [2024]
    row = table.loc[2024]
    assert row["Jan"] == pytest.approx(5.0)  # 10 000 -> 10 500 by Jan 31
    assert row["Feb"] == 0.0
    assert row["Year"] == pytest.approx(5.0)
    assert row[["Mar", "Dec"]].isna().all()


def test_monthly_returns_across_years_and_empty_months():
    jan = int(np.datetime64("2023-11-15", "ns").astype(np.int64))
    t = np.array([jan, jan + 40 * D, jan + 80 * D])  # Nov 15, Dec 25, 2024-02-03
    years, table = analytics.monthly_returns(t, np.array([110.0, 121.0, 99.0]), 100.0)
    assert years.tolist() == [2023, 2024]
    assert table[0, 10] == pytest.approx(10.0) and table[0, 11] == pytest.approx(10.0)
    assert table[0, 12] == pytest.approx(21.0)
    assert table[1, 0] == 0.0  # January: no sample, equity unchanged
    assert table[1, 1] == pytest.approx((99 / 121 - 1) * 100)
    assert table[1, 12] == pytest.approx((99 / 121 - 1) * 100)
    assert np.isnan(table[0, :10]).all() and np.isnan(table[1, 2:12]).all()


NA_KEYS = (
    "cagr_pct",
    "annual_return_pct",
    "annual_volatility_pct",
    "sortino_ratio",
    "calmar_ratio",
    "exposure_pct",
    "sqn",
    "expectancy",
    "expectancy_pct",
    "kelly_criterion",
    "buy_hold_return_pct",
)


def test_an_empty_run_is_all_na():
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    with pytest.warns(Warning, match="nothing to run"):
        s = e.run(hqt.Strategy(), progress=False).stats_dict()
    assert all(math.isnan(s[k]) for k in NA_KEYS)
    assert np.isnat(s["max_drawdown_duration"])
    e.dispose()


def test_na_where_undefined():
    t = np.array([0, H, 2 * H])  # one UTC day: fewer than two daily returns
    trades = np.zeros(
        1,
        dtype=[
            ("open_time", "<i8"),
            ("close_time", "<i8"),
            ("net_profit", "<f8"),
            ("type", "<i4"),
            ("open_price", "<f8"),
            ("close_price", "<f8"),
        ],
    )
    trades[0] = (0, H, 50.0, 0, 1.0, 1.01)
    s = analytics.quant_stats(t, np.array([100.0, 150.0, 150.0]), 100.0, 0.0, trades, trades[:0])
    assert math.isnan(s["annual_return_pct"]) and math.isnan(s["sortino_ratio"])
    assert math.isnan(s["calmar_ratio"])  # no drawdown
    assert math.isnan(s["sqn"])  # one trade
    assert math.isnan(s["kelly_criterion"])  # no loss
    assert s["expectancy"] == 50.0 and s["exposure_pct"] == pytest.approx(50.0)
    assert s["max_drawdown_duration"] == np.timedelta64(0, "ns")
    assert math.isinf(s["cagr_pct"])  # +50 % in two hours compounds past a float
    # only gains, every day: no downside deviation
    t2 = np.array([0, D, 2 * D])
    s2 = analytics.quant_stats(t2, np.array([101.0, 102.0, 103.0]), 100.0, 0.0, trades, trades[:0])
    assert math.isnan(s2["sortino_ratio"]) and s2["annual_volatility_pct"] > 0


def test_drawdown_duration_never_recovered_and_exposure_overlaps():
    t = np.array([0, 10, 20, 30, 40])
    assert analytics.max_drawdown_duration(t, np.array([5.0, 6.0, 4.0, 5.0, 5.5])) == 30
    assert analytics.max_drawdown_duration(t, np.array([5.0, 4.0, 5.0, 5.0, 4.0])) == 20
    # [0, 10] and [5, 20] overlap: 20; [30, 50] is cut at the end 40: 10
    assert analytics.exposure_ns(np.array([5, 0, 30]), np.array([20, 10, 50]), 0, 40) == 30


def brute_ohlc(p, stride):
    starts = range(0, len(p), stride)
    return np.array(
        [
            [p[s], p[s : s + stride].max(), p[s : s + stride].min(), p[s : s + stride][-1]]
            for s in starts
        ]
    )


@pytest.mark.parametrize("sizes", [[1000], [7, 300, 1, 999, 50], [3] * 200])
def test_price_sketch_buckets_keep_every_extreme(sizes):
    rng = np.random.default_rng(len(sizes))
    total = sum(sizes)
    p = np.cumsum(rng.normal(size=total)) + 100
    t = np.arange(total, dtype=np.int64)
    sk = PriceSketch(cap=16)
    i = 0
    for n in sizes:
        sk.add(t[i : i + n], p[i : i + n])
        i += n
    tt, o, hi, lo, c = sk.ohlc()
    want = brute_ohlc(p, sk.stride)
    assert len(tt) == len(want) <= 32
    assert np.array_equal(tt, t[:: sk.stride])
    assert np.array_equal(np.column_stack([o, hi, lo, c]), want)
    assert hi.max() == p.max() and lo.min() == p.min()
    assert sk.first_last() == (round(p[0], 6), round(p[-1], 6))  # micro units


def test_bar_loads_keep_open_high_low():
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    t = np.arange(4, dtype=np.int64) * 60 * SEC
    e.load_bars(
        0,
        hqt.M1,
        t,
        [1.0, 1.1, 1.2, 1.3],
        [1.5, 1.2, 1.3, 1.4],
        [0.9, 1.0, 1.1, 1.2],
        [1.1, 1.2, 1.3, 1.35],
    )
    sk = e._price_sketches[0]
    _, o, hi, lo, c = sk.ohlc()
    assert o.tolist() == [1.0, 1.1, 1.2, 1.3] and hi.tolist() == [1.5, 1.2, 1.3, 1.4]
    assert lo.tolist() == [0.9, 1.0, 1.1, 1.2] and c.tolist() == [1.1, 1.2, 1.3, 1.35]
    e.dispose()
