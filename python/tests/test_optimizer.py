"""hqt.optimize and hqt.walk_forward (issue 14, item 3): every trial is the
sweep's row for its parameters, the constraint keeps combinations from
running, the best is the best, and walk-forward windows, their optimizations
and the stitched out-of-sample account add up."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hqt
from hqt.sweeps import run_one
from test_sweep import ENGINE_ARGS, MIN, Cross, make_bars  # noqa: I001 - the sweep tests' strategy

pytest.importorskip("pandas")
BARS = make_bars(2_880)  # two days of M1 bars
SPACE = {"fast": [3, 5, 8], "slow": [20, 30, 45]}


def no_slow_below_3x(p):
    return p["slow"] >= 3 * p["fast"]


@pytest.fixture(scope="module")
def grid():
    return hqt.optimize(Cross, SPACE, BARS, ENGINE_ARGS, constraint=no_slow_below_3x, processes=0)


def test_grid_runs_every_allowed_combination_and_rows_are_the_sweeps(grid):
    t = grid.trials
    ran = sorted(zip(t["fast"], t["slow"], strict=True))
    assert ran == sorted((f, s) for f in SPACE["fast"] for s in SPACE["slow"] if s >= 3 * f)
    assert (8, 20) not in ran  # the constraint kept it from running
    one = t[(t["fast"] == 5) & (t["slow"] == 30)].iloc[0]
    e = run_one(Cross, {"fast": 5, "slow": 30}, BARS, ENGINE_ARGS)
    assert one["net_profit"] == e.statistics().net_profit == one["score"]
    e.dispose()
    assert grid.best_score == t["score"].max()
    assert grid.best_params == {k: t.loc[t["score"].idxmax(), k] for k in ("fast", "slow")}


def test_heatmap_table_and_figure(grid):
    table = grid.heatmap_table("fast", "slow")
    assert table.loc[30, 5] == grid.trials.query("fast == 5 and slow == 30")["score"].iloc[0]
    assert math.isnan(table.loc[20, 8])  # never ran
    fig = grid.heatmap("fast", "slow")
    assert fig.axes[0].get_xlabel() == "fast" and len(fig.axes[0].images) == 1
    with pytest.raises(hqt.InvalidArgumentError, match="not a parameter"):
        grid.heatmap_table("fast", "volume")


def test_random_draws_distinct_allowed_sets_reproducibly():
    space = {"fast": range(2, 12), "slow": range(20, 60, 5)}
    a = hqt.optimize(
        Cross,
        space,
        BARS,
        ENGINE_ARGS,
        method="random",
        n_trials=5,
        seed=3,
        constraint=no_slow_below_3x,
        processes=0,
    )
    b = hqt.optimize(
        Cross,
        space,
        BARS,
        ENGINE_ARGS,
        method="random",
        n_trials=5,
        seed=3,
        constraint=no_slow_below_3x,
        processes=0,
    )
    pairs = list(zip(a.trials["fast"], a.trials["slow"], strict=True))
    assert len(set(pairs)) == 5 and all(s >= 3 * f for f, s in pairs)
    assert pairs == list(zip(b.trials["fast"], b.trials["slow"], strict=True))


def test_tpe_with_optuna():
    pytest.importorskip("optuna")
    space = {"fast": range(2, 12), "slow": range(20, 60, 5)}
    r = hqt.optimize(
        Cross,
        space,
        BARS,
        ENGINE_ARGS,
        method="tpe",
        n_trials=8,
        batch_size=4,
        maximize=lambda row: row["net_profit"] - row["max_drawdown"],
        processes=0,
    )
    assert len(r.trials) == 8
    assert len(set(zip(r.trials["fast"], r.trials["slow"], strict=True))) == 8
    assert r.best_score == max(r.trials["net_profit"] - r.trials["max_drawdown"])


def test_bad_arguments():
    with pytest.raises(hqt.InvalidArgumentError, match="method"):
        hqt.optimize(Cross, SPACE, BARS, ENGINE_ARGS, method="annealing")
    with pytest.raises(hqt.InvalidArgumentError, match="name a statistic"):
        hqt.optimize(Cross, SPACE, BARS, ENGINE_ARGS, maximize="profit")
    with pytest.raises(hqt.InvalidArgumentError, match="needs n_trials"):
        hqt.optimize(Cross, SPACE, BARS, ENGINE_ARGS, method="random")
    with pytest.raises(hqt.InvalidArgumentError, match="passes the constraint"):
        hqt.optimize(Cross, SPACE, BARS, ENGINE_ARGS, constraint=lambda p: False)
    with pytest.raises(hqt.InvalidArgumentError, match="duration"):
        hqt.walk_forward(Cross, SPACE, BARS, ENGINE_ARGS, train="a week", test="1D")


@pytest.mark.parametrize("anchored", [False, True])
def test_walk_forward_windows_and_stitched_account(anchored):
    wf = hqt.walk_forward(
        Cross,
        {"fast": [3, 8], "slow": [30]},
        BARS,
        ENGINE_ARGS,
        train="12H",
        test="6H",
        anchored=anchored,
        processes=0,
    )
    w = wf.windows
    t0 = np.datetime64(int(BARS["time"][0]), "ns")
    hours = np.timedelta64(3600 * 10**9, "ns")
    # 48 h of data: out-of-sample windows at 12, 18, ..., 42 h
    assert list(w["oos_start"].to_numpy()) == [t0 + (12 + 6 * k) * hours for k in range(6)]
    starts = w["is_start"].to_numpy()
    assert (
        (starts == t0).all() if anchored else list(starts) == [t0 + 6 * k * hours for k in range(6)]
    )
    # window 2's parameters are what optimizing its in-sample slice finds
    lo, hi = (int(x.astype(np.int64)) for x in (starts[2], w["is_end"].to_numpy()[2]))
    keep = (BARS["time"] >= lo) & (BARS["time"] < hi)
    alone = hqt.optimize(
        Cross,
        {"fast": [3, 8], "slow": [30]},
        {**{k: v[keep] for k, v in BARS.items()}, "timeframe": 1},
        ENGINE_ARGS,
        processes=0,
    )
    assert w["param_fast"].iloc[2] == alone.best_params["fast"]
    # one account: each window starts where the last ended
    assert w["oos_start_balance"].iloc[0] == ENGINE_ARGS["balance"]
    assert (w["oos_start_balance"].to_numpy()[1:] == w["oos_end_equity"].to_numpy()[:-1]).all()
    s = wf.stats
    assert s["final_equity"] == w["oos_end_equity"].iloc[-1] == wf.equity["equity"][-1]
    assert s["net_profit"] == pytest.approx(w["oos_net_profit"].sum(), abs=1e-6)
    assert s["total_trades"] == w["oos_trades"].sum()
    assert (np.diff(wf.equity["time"]) >= 0).all()
    assert wf.equity["time"][0] >= BARS["time"][0] + 12 * 60 * MIN
    assert wf.plot().axes[0].get_title().startswith("walk-forward: 6 windows")


def test_tpe_without_optuna_names_the_extra(monkeypatch):
    from hqt import _optional

    monkeypatch.setitem(_optional._overrides, "optuna", None)
    with pytest.raises(hqt.MissingExtraError, match=r"pip install 'hqt-engine\[optimize\]'"):
        hqt.optimize(Cross, SPACE, BARS, ENGINE_ARGS, method="tpe", n_trials=2, processes=0)
