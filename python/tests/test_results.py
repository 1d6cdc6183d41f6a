"""hqt.results.BacktestResult: tables from raw structs, stats, HTML view, plot."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import hqt
from hqt import _optional
from hqt.results import BacktestResult, PriceSketch, record_dtype
from hqt.testing import make_engine, random_walk_bars, random_walk_ticks


class Bracket(hqt.Strategy):
    """Opens a bracketed position every `every` ticks, alternating buy and sell."""

    def __init__(self, every: int = 200) -> None:
        self.every = every
        self.n = 0

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % self.every == 0 and not engine.positions:
            if (self.n // self.every) % 2:
                engine.buy(0, 0.1, sl=tick.bid - 0.0006, tp=tick.bid + 0.0006)
            else:
                engine.sell(0, 0.1, sl=tick.ask + 0.0006, tp=tick.ask - 0.0006)


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    e = make_engine(random_walk_ticks(20_000, seed=7, gaps=1))
    e.add_symbol("GBPUSD")
    e.run(Bracket(), progress=False)
    # a pending order that stays pending, and one canceled: orders have states
    e.buy_limit(0, 0.1, 1.0)
    e.cancel(e.sell_limit(0, 0.1, 2.0))
    e.buy(0, 0.2)  # an open position at the end
    return BacktestResult.from_engine(e)


def test_run_returns_a_result_matching_the_engine(hqt_engine):
    r = hqt_engine.run(Bracket(), progress=False)
    assert isinstance(r, BacktestResult)
    s = hqt_engine.statistics()
    assert r.statistics == s
    assert r.run.events == s.ticks_processed == 5_000
    assert r.run.wall_seconds is not None and r.run.wall_seconds >= 0
    assert len(r.records("deals")) == s.total_deals
    assert len(r.records("trades")) == s.total_trades
    # exact values: records are the engine's micro units / 1e6
    raw = hqt_engine.deals_array()
    rec = r.records("deals")
    for f in ("ticket", "order", "position", "time", "type", "entry", "reason"):
        assert np.array_equal(rec[f], raw[f])
    for f in ("price", "volume", "profit", "commission", "balance"):
        assert np.array_equal(rec[f], raw[f] / 1e6)


def test_records_match_the_dataclass_lists(result):
    e = make_engine(random_walk_ticks(20_000, seed=7, gaps=1))
    e.run(Bracket(), progress=False)
    r = BacktestResult.from_engine(e)
    trades = r.records("trades")
    for rec, t in zip(trades, e.trades, strict=False):
        assert int(rec["position"]) == t.position
        assert rec["open_price"] == t.open_price and rec["close_price"] == t.close_price
        assert int(rec["close_time"]) == t.close_time and rec["net_profit"] == pytest.approx(
            t.net_profit, abs=1e-9
        )
        assert int(rec["close_reason"]) == t.close_reason
    eq = r.records("equity")
    assert np.array_equal(eq["time"], e.equity_curve["time"])
    assert np.array_equal(eq["equity"], e.equity_curve["equity"])
    assert (eq["drawdown"] <= 0).all()
    peak = np.maximum.accumulate(eq["equity"])
    assert np.allclose(eq["drawdown"], eq["equity"] - peak)
    orders = r.records("orders")
    assert [int(t) for t in orders["ticket"]] == [o.ticket for o in e.order_history]


def test_dataframes(result):
    pd = pytest.importorskip("pandas")
    deals = result.deals
    assert isinstance(deals, pd.DataFrame)
    assert len(deals) == result.statistics.total_deals
    assert str(deals["time"].dtype) == "datetime64[ns]"
    assert set(deals["type"].cat.categories) == {"BUY", "SELL"}
    assert set(deals["entry"].unique()) <= {"IN", "OUT", "INOUT"}
    assert set(deals["reason"].unique()) <= {"CLIENT", "SL", "TP", "STOP_OUT", "PENDING"}
    assert (deals["symbol"] == "EURUSD").all()
    assert list(deals["symbol"].cat.categories) == ["EURUSD", "GBPUSD"]
    trades = result.trades
    assert (trades["net_profit"] == trades["profit"] + trades["commission"]).all()
    assert (trades["duration"] == trades["close_time"] - trades["open_time"]).all()
    assert trades["duration"].dtype.kind == "m"
    orders = result.orders
    assert {"PLACED", "CANCELED", "FILLED"} <= set(orders["state"].astype(str))
    assert orders["expiration"].isna().all()  # good till canceled -> NaT
    eq = result.equity
    assert isinstance(eq.index, pd.DatetimeIndex) and eq.index.name == "time"
    assert list(eq.columns) == ["balance", "equity", "margin", "drawdown", "drawdown_pct"]
    pos = result.positions
    assert len(pos) == len(result.records("positions")) >= 1
    assert pos["volume"].iloc[-1] == 0.2
    # cached
    assert result.deals is deals


def test_numpy_without_pandas(monkeypatch):
    monkeypatch.setitem(_optional._overrides, "pandas", None)
    e = make_engine(random_walk_ticks(3_000, seed=1))
    r = e.run(Bracket(100), progress=False)
    assert isinstance(r.deals, np.ndarray) and r.deals.dtype == record_dtype("deals")
    assert isinstance(r.trades, np.ndarray) and "net_profit" in r.trades.dtype.names
    assert isinstance(r.equity, np.ndarray) and r.equity.dtype.names[0] == "time"
    stats = r.stats
    assert isinstance(stats, dict)
    assert stats["net_profit"] == r.statistics.net_profit
    assert stats["total_trades"] == r.statistics.total_trades
    assert isinstance(stats["start"], np.datetime64)
    assert "<svg" in r._repr_html_()


def test_stats(result):
    d = result.stats_dict()
    s = result.statistics
    for k, v in s.as_dict().items():
        assert d[k] == v, k
    assert d["return_pct"] == pytest.approx(s.net_profit / s.initial_balance * 100)
    net = result.records("trades")["net_profit"]
    assert d["avg_trade"] == pytest.approx(net.mean())
    assert d["best_trade"] == net.max() and d["worst_trade"] == net.min()
    assert d["start"] < d["end"]
    pd = _optional.optional("pandas")
    if pd is not None:
        assert isinstance(result.stats, pd.Series)
        assert result.stats["total_trades"] == s.total_trades
        assert isinstance(result.stats["start"], pd.Timestamp)


def test_empty_result():
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    with pytest.warns(hqt.HQTWarning, match="nothing to run"):
        r = e.run()
    assert len(r.records("deals")) == 0 and len(r.records("equity")) == 0
    assert np.isnat(r.stats_dict()["start"])
    html = r._repr_html_()
    assert "Net profit" in html and "<svg" in html
    assert "BacktestResult" in repr(r)


def test_repr_html_has_headline_and_valid_svg(result):
    html = result._repr_html_()
    for label in (
        "Net profit",
        "Max drawdown",
        "Sharpe ratio",
        "Profit factor",
        "Trades",
        "Period",
    ):
        assert label in html
    svg = result.sparkline_svg()
    root = ET.fromstring(svg)  # well-formed
    assert root.tag.endswith("svg")
    poly = [el for el in root.iter() if el.tag.endswith("polyline")]
    assert len(poly) == 1
    pts = poly[0].attrib["points"].split()
    assert 2 <= len(pts) <= 2 * 260 + 2  # decimated to the pixel width
    xs = [float(p.split(",")[0]) for p in pts]
    assert xs == sorted(xs)


def test_raw_records_speed_with_many_deals():
    """100k+ deals convert in well under a second (no Python object per deal)."""
    n = 120_000
    ticks = random_walk_ticks(n, seed=3)
    e = make_engine(ticks)

    class Flip(hqt.Strategy):
        def on_tick(self, engine, tick):
            if engine.positions:
                engine.close_all()
            else:
                engine.buy(0, 0.01)

    e.run(Flip(), progress=False)
    assert e.statistics().total_deals >= 100_000
    t0 = time.perf_counter()
    r = BacktestResult.from_engine(e)
    rec = r.records("deals")
    trades = r.trades
    elapsed = time.perf_counter() - t0
    assert len(rec) == e.statistics().total_deals and len(trades) == e.statistics().total_trades
    assert elapsed < 1.0, elapsed
    assert np.array_equal(rec["ticket"], e.deals_array()["ticket"])


def test_raw_records_errors():
    from hqt import _hqt

    e = hqt.Engine(100.0)
    with pytest.raises(hqt.InvalidArgumentError, match="unknown record kind"):
        _hqt._raw_records(e, "nope")
    with pytest.raises(TypeError):
        _hqt._raw_records(object(), "deals")
    e.dispose()
    with pytest.raises(hqt.StateError):
        _hqt._raw_records(e, "deals")
    layouts = _hqt._record_layouts()
    assert set(layouts) == {"deals", "trades", "orders", "order_history", "positions", "equity"}
    assert layouts["deals"][0] == 96 and layouts["equity"][0] == 32


def test_price_sketch_is_bounded_and_even():
    sk = PriceSketch(cap=100)
    t = np.arange(10_000, dtype=np.int64)
    for k in range(0, 10_000, 777):  # loads of odd sizes
        sk.add(t[k : k + 777], t[k : k + 777].astype(float))
    tt, pp = sk.arrays()
    assert len(tt) <= 200
    assert np.array_equal(tt, pp.astype(np.int64))
    assert (np.diff(tt) == sk.stride).all()  # evenly spaced across loads
    assert tt[0] == 0


def _sketch_by_halving(cap, loads):
    """The sketch as it was first written: sample at the current stride, then halve
    (drop every other point, double the stride) while more than 2 * cap are kept."""
    t_all, p_all, stride, seen = np.zeros(0, np.int64), np.zeros(0), 1, 0
    for t, p in loads:
        first = (-seen) % stride
        seen += len(t)
        if first < len(t):
            t_all = np.concatenate([t_all, t[first::stride]])
            p_all = np.concatenate([p_all, p[first::stride]])
        while len(t_all) > 2 * cap:
            t_all, p_all, stride = t_all[::2], p_all[::2], stride * 2
    return t_all, p_all, stride


@pytest.mark.parametrize(
    "sizes", [[10_000], [1, 2, 3, 399, 400, 401, 5_000], [777] * 13, [0, 199, 1]]
)
def test_price_sketch_samples_what_halving_would(sizes):
    # the sketch now picks its final stride before sampling a load (cost O(cap),
    # not a copy of the load): the plot data must be the very same points
    rng = np.random.default_rng(len(sizes))
    loads, start = [], 0
    for n in sizes:
        loads.append((np.arange(start, start + n, dtype=np.int64), rng.random(n)))
        start += n
    sk = PriceSketch(cap=100)
    for t, p in loads:
        sk.add(t, p)
    want_t, want_p, want_stride = _sketch_by_halving(100, loads)
    got_t, got_p = sk.arrays()
    assert np.array_equal(got_t, want_t) and np.array_equal(got_p, want_p)
    assert sk.stride == want_stride and sk.seen == start and sk.size == len(want_t)


def test_price_sketch_scales_micro_prices_like_before():
    t = np.arange(1_000, dtype=np.int64)
    micro = 1_100_000 + np.arange(1_000, dtype=np.int64) * 7
    sk = PriceSketch(cap=100)
    sk.add(t, micro, 1e-6)
    want_t, want_p, _ = _sketch_by_halving(100, [(t, micro * 1e-6)])
    got_t, got_p = sk.arrays()
    assert np.array_equal(got_t, want_t) and np.array_equal(got_p, want_p)


def test_price_sketch_of_positive_prices_keeps_the_same_extremes():
    # positive=True (prices the engine accepted) reduces the highs and lows as
    # int64 bit patterns: the candles must be the float reduction's, to the bit
    rng = np.random.default_rng(7)
    n = 50_000
    close = np.exp(rng.uniform(np.log(1e-6), np.log(1e9), n))  # every magnitude a price has
    high = close * (1 + rng.random(n))
    low = close * rng.uniform(0.5, 1.0, n)
    low[::97] = np.nextafter(0, 1) * 2**30  # tiny doubles
    t = np.arange(n, dtype=np.int64)
    sketches = [PriceSketch(cap=300), PriceSketch(cap=300)]
    for k in range(0, n, 7_001):  # loads of odd sizes: partial buckets and merges
        part = slice(k, k + 7_001)
        for sk, positive in zip(sketches, (False, True), strict=True):
            sk.add(
                t[part],
                close[part],
                open=close[part],
                high=high[part],
                low=low[part],
                positive=positive,
            )
    floats, ints = (sk.ohlc() for sk in sketches)
    assert sketches[1].size > 100
    for a, b in zip(floats, ints, strict=True):
        assert np.array_equal(a, b)
    # and the extremes are the data's
    assert ints[2].max() == high.max() and ints[3].min() == low.min()


def test_engine_keeps_a_sketch_of_loaded_prices():
    ticks = random_walk_ticks(50_000, seed=2)
    e = make_engine(ticks)
    r = e.run(progress=False)
    t, p = r.price_series()
    assert 0 < len(t) <= 40_000
    idx = np.searchsorted(ticks.time, t)
    assert np.array_equal(ticks.bid[idx], p)


def test_plot(result, tmp_path):
    pytest.importorskip("matplotlib")
    fig = result.plot()
    axes = fig.get_axes()
    assert len(axes) == 3
    price_ax = axes[0]
    labels = [t.get_text() for t in price_ax.get_legend().get_texts()]
    assert {"EURUSD", "buy entry", "sell entry", "exit"} <= set(labels)
    fig.savefig(tmp_path / "r.png", dpi=50)
    assert (tmp_path / "r.png").stat().st_size > 1000
    fig2 = result.plot(price=(np.array([0, 10**9]), np.array([1.0, 1.1])), title="x")
    assert fig2._suptitle.get_text() == "x"


def test_plot_without_matplotlib(result, monkeypatch):
    monkeypatch.setitem(_optional._overrides, "matplotlib.figure", None)
    with pytest.raises(_optional.MissingExtraError, match=r"hqt-engine\[plot\]"):
        result.plot()


def test_bars_result_plot_uses_bar_closes():
    pytest.importorskip("matplotlib")
    bars = random_walk_bars(500, seed=4)
    e = make_engine(bars=bars)
    r = e.run(progress=False)
    t, p = r.price_series(0)
    assert np.array_equal(p, bars.close[np.searchsorted(bars.time, t)])
    assert r.plot("EURUSD") is not None
