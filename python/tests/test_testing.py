"""hqt.testing: generators, fixtures, assertions, and the sample suite of docs/testing.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import hqt
from conftest import PYDIR, ROOT
from hqt import _optional
from hqt import testing as T
from hqt.results import BacktestResult

DAY = 86_400 * 10**9


# ---- generators ------------------------------------------------------------------------


def test_ticks_are_reproducible_and_valid():
    a = T.random_walk_ticks(20_000, seed=3, gaps=2, spread_spikes=4)
    b = T.random_walk_ticks(20_000, seed=3, gaps=2, spread_spikes=4)
    c = T.random_walk_ticks(20_000, seed=4, gaps=2, spread_spikes=4)
    assert np.array_equal(a.time, b.time) and np.array_equal(a.bid, b.bid)
    assert np.array_equal(a.ask, b.ask)
    assert not np.array_equal(a.bid, c.bid)
    assert a.time[0] == T.T0 and (np.diff(a.time) >= 0).all()
    assert (a.bid > 0).all() and (a.ask >= a.bid).all()
    assert np.array_equal(a.bid, np.round(a.bid, 5))
    # both gaps jump the clock by at least two days
    assert (np.diff(a.time) >= 2 * DAY).sum() == 2
    # spikes: spreads far above normal on 4 x 5 ticks
    spread = np.round(a.ask - a.bid, 5)
    assert (spread > 0.0005).sum() == 20
    assert np.median(spread) == pytest.approx(0.00015)


def test_ticks_load_into_an_engine():
    ticks = T.random_walk_ticks(10_000, seed=9, gaps=3, spread_spikes=3)
    e = T.make_engine(ticks)
    assert e.pending_events == 10_000
    e.run(progress=False)


@pytest.mark.parametrize("tf", [hqt.M1, hqt.M15, hqt.H4, hqt.D1, hqt.W1, hqt.MN1])
def test_bars_are_valid_for_every_timeframe(tf):
    bars = T.random_walk_bars(300, timeframe=tf, seed=5, gaps=2)
    assert bars.timeframe == tf
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    assert (h >= np.maximum(o, c)).all() and (lo <= np.minimum(o, c)).all() and (lo > 0).all()
    assert (np.diff(bars.time) > 0).all()
    t = bars.time.view("M8[ns]")
    if tf == hqt.W1:
        assert (t.astype("M8[D]").view(np.int64) % 7 == 4).all()  # Mondays
    elif tf == hqt.MN1:
        assert (t == t.astype("M8[M]").astype("M8[ns]")).all()  # the 1st, 00:00
    else:
        assert (bars.time % (tf * 60 * 10**9) == 0).all()
    # the engine accepts them
    e = T.make_engine(bars=bars)
    assert e.pending_events == 300
    e.run(progress=False)


def test_bar_gaps_skip_periods():
    bars = T.random_walk_bars(1_000, seed=2, gaps=3, gap_bars=100)
    assert (np.diff(T.random_walk_bars(100, seed=2, gaps=1).time) == 2881 * 60 * 10**9).sum() == 1
    with pytest.raises(ValueError, match="int64"):
        T.random_walk_bars(10_000, timeframe=hqt.MN1, gaps=5, gap_bars=1000)
    steps = np.diff(bars.time) // (60 * 10**9)
    assert sorted(set(steps.tolist())) == [1, 101]
    assert (steps == 101).sum() == 3


def test_to_frame():
    pd = pytest.importorskip("pandas")
    df = T.to_frame(T.random_walk_ticks(10, seed=1))
    assert isinstance(df.index, pd.DatetimeIndex) and list(df.columns) == ["bid", "ask"]
    bf = T.to_frame(T.random_walk_bars(10, seed=1))
    assert list(bf.columns) == ["open", "high", "low", "close", "volume"]


# ---- fixtures ---------------------------------------------------------------------------


def test_fixtures(hqt_seed, hqt_ticks, hqt_bars, hqt_engine, hqt_bar_engine):
    assert hqt_seed == T.DEFAULT_SEED
    assert len(hqt_ticks) == 5_000 and len(hqt_bars) == 2_000
    assert hqt_engine.symbol(0).name == "EURUSD"
    assert hqt_engine.pending_events == 5_000
    assert hqt_bar_engine.pending_events == 2_000
    assert hqt_engine.account.balance == 10_000.0


def test_factory_disposes_its_engines(hqt_engine_factory):
    e = hqt_engine_factory(balance=500.0, currency="EUR", mode="netting", symbol="EURUSD")
    assert e.account.currency == "EUR" and e.mode == hqt.AccountMode.NETTING
    test_factory_disposes_its_engines.made = e  # type: ignore[attr-defined]


def test_factory_disposed_the_previous_engine():
    e = getattr(test_factory_disposes_its_engines, "made", None)
    if e is None:
        pytest.skip("runs after test_factory_disposes_its_engines")
    assert e.disposed


# ---- assertions ----------------------------------------------------------------------------


class Every(hqt.Strategy):
    def __init__(self, every: int = 400, close_at_end: bool = True) -> None:
        self.every, self.n, self.close_at_end = every, 0, close_at_end

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % self.every == 0:
            if engine.positions:
                engine.close_all()
            else:
                engine.buy(0, 0.1)

    def on_stop(self, engine):
        if self.close_at_end:
            engine.close_all()


@pytest.fixture
def result(hqt_engine) -> BacktestResult:
    return hqt_engine.run(Every(), progress=False)


def test_assert_no_trades_before_and_after(result, hqt_ticks):
    deals = result.records("deals")
    first, last = int(deals["time"][0]), int(deals["time"][-1])
    T.assert_no_trades_before(result, first)
    T.assert_no_trades_after(result, last)
    T.assert_no_trades_before(result, np.datetime64(first, "ns"))
    with pytest.raises(AssertionError, match=r"deal\(s\) before .* the first: ticket \d+ at"):
        T.assert_no_trades_before(result, first + 1)
    with pytest.raises(AssertionError, match="after"):
        T.assert_no_trades_after(result, str(np.datetime64(last - 1, "ns")))


def test_assert_flat_at_end(hqt_engine_factory, hqt_ticks):
    flat = hqt_engine_factory(hqt_ticks)
    T.assert_flat_at_end(flat.run(Every(), progress=False))
    T.assert_flat_at_end(flat)
    open_ = hqt_engine_factory(hqt_ticks)
    r = open_.run(Every(every=4_999, close_at_end=False), progress=False)
    with pytest.raises(AssertionError, match=r"1 open position\(s\): #\d+ BUY 0.1 lots"):
        T.assert_flat_at_end(r)
    open_.close_all()
    open_.buy_limit(0, 0.1, 0.5)
    T.assert_flat_at_end(open_)
    with pytest.raises(AssertionError, match=r"1 pending order\(s\)"):
        T.assert_flat_at_end(open_, pending_orders=True)


def test_assert_deals_and_trades_equal(hqt_engine_factory, hqt_ticks):
    a = hqt_engine_factory(hqt_ticks).run(Every(), progress=False)
    b = hqt_engine_factory(hqt_ticks).run(Every(), progress=False)
    T.assert_deals_equal(a, b)
    T.assert_trades_equal(a, b)
    T.assert_deals_equal(a, b.records("deals"))
    if _optional.optional("pandas") is not None:
        T.assert_deals_equal(a.deals, b.deals)
        T.assert_trades_equal(a.trades, b.trades)
    c = hqt_engine_factory(hqt_ticks).run(Every(every=401), progress=False)
    with pytest.raises(AssertionError, match=r"first difference at row 0: .*time"):
        T.assert_deals_equal(a, c, fields=("time", "price"))
    shorter = T.random_walk_ticks(2_000, seed=T.DEFAULT_SEED, gaps=1, spread_spikes=1)
    d = hqt_engine_factory(shorter).run(Every(), progress=False)
    with pytest.raises(AssertionError, match=r"deals: \d+ vs \d+ rows"):
        T.assert_deals_equal(a, d)
    T.assert_deals_equal(a, a, ignore=("ticket",))
    with pytest.raises(AssertionError, match="no field"):
        T.assert_deals_equal(a, b, fields=("nope",))
    with pytest.raises(TypeError):
        T.assert_deals_equal(a, 42)


# ---- the sample suite of docs/testing.md -----------------------------------------------------------


def test_sample_suite_in_docs_passes(tmp_path):
    text = (ROOT / "docs" / "testing.md").read_text()
    m = re.search(r"<!-- sample-suite -->\s*```python\n(.*?)```", text, re.S)
    assert m, "docs/testing.md lost its sample suite"
    (tmp_path / "test_crossover.py").write_text(m.group(1))
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["hqt.testing"]\n')
    env = dict(os.environ, PYTHONPATH=str(PYDIR))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "7 passed" in r.stdout
    assert "hqt.testing: seed 12345" in r.stdout


def test_plugin_seed_option(tmp_path):
    (tmp_path / "test_seed.py").write_text(
        "def test_seed(hqt_seed, hqt_ticks):\n"
        "    assert hqt_seed == 7\n"
        "    from hqt.testing import random_walk_ticks\n"
        "    assert (hqt_ticks.bid == random_walk_ticks(5000, seed=7, gaps=1,"
        " spread_spikes=1).bid).all()\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PYDIR))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "hqt.testing",
            "-p",
            "no:cacheprovider",
            "--hqt-seed",
            "7",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
