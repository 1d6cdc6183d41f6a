"""hqt.sweep (module hqt.sweeps): parameter sweeps on a local process pool and on a local Dask cluster.

Every way of running a sweep (in-process, fork pool, spawn pool, Dask) must
give the same table, equal to running each parameter set by hand with the
public Engine API; a failing set must be reported by index and parameters.
"""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import pytest

import hqt
from hqt import sweep as sweep_fn
from hqt.sweeps import SweepError, expand_grid, make_engine, run_one, task_seed

sweep_mod = sys.modules["hqt.sweeps"]

T0 = 1_704_153_600 * 10**9  # 2024-01-02 00:00 UTC
MIN = 60 * 10**9
N_BARS = 3_000

ENGINE_ARGS = {
    "balance": 10_000.0,
    "currency": "USD",
    "leverage": 100,
    "symbols": {"EURUSD": {"commission_per_lot": 2.0}},
}
GRID = {"fast": [3, 8], "slow": [20, 45]}


def make_bars(n: int = N_BARS, seed: int = 7, start: float = 1.1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = np.round(start + np.cumsum(rng.normal(0.0, 0.0003, n)), 5)
    open_ = np.r_[close[0], close[:-1]]
    wick = np.round(np.abs(rng.normal(0.0, 0.0002, n)), 5)
    return {
        "time": T0 + np.arange(n, dtype=np.int64) * MIN,
        "open": open_,
        "high": np.maximum(open_, close) + wick,
        "low": np.minimum(open_, close) - wick,
        "close": close,
    }


BARS = make_bars()


class Cross(hqt.Strategy):
    """Long when the fast mean is above the slow one, flat otherwise."""

    def __init__(self, fast: int, slow: int, volume: float = 0.1) -> None:
        self.fast, self.slow, self.volume = fast, slow, volume
        self.closes: list[float] = []

    def on_bar(self, engine, bar):
        c = self.closes
        c.append(bar.close)
        if len(c) < self.slow:
            return
        up = sum(c[-self.fast :]) / self.fast > sum(c[-self.slow :]) / self.slow
        if up and not engine.positions:
            engine.buy(bar.symbol_id, self.volume)
        elif not up and engine.positions:
            engine.close_all()


class Coin(hqt.Strategy):
    """Random entries and exits, from its seed only."""

    def __init__(self, p: float, seed: int) -> None:
        self.p = p
        self.rng = random.Random(seed)

    def on_bar(self, engine, bar):
        if self.rng.random() < self.p:
            if engine.positions:
                engine.close_all()
            else:
                engine.buy(bar.symbol_id, 0.1)


class FailsOn(Cross):
    """Cross that raises for fast == 8 and slow == 45 after 100 bars."""

    def on_bar(self, engine, bar):
        if (self.fast, self.slow) == (8, 45) and len(self.closes) == 100:
            raise ValueError("no luck with these parameters")
        super().on_bar(engine, bar)


def direct(params: dict, bars=BARS, strategy=Cross) -> dict:
    """Statistics of one parameter set, run by hand with the public Engine API."""
    e = hqt.Engine(10_000.0, "USD", 100)
    try:
        e.add_symbol("EURUSD", commission_per_lot=2.0)
        e.load_bars(0, hqt.M1, bars["time"], bars["open"], bars["high"], bars["low"], bars["close"])
        e.run(strategy(**params))
        return nan_free(e.statistics().as_dict())
    finally:
        e.dispose()


def nan_free(x):
    """x with every float NaN (an undefined figure) as "nan", so == compares it."""
    if isinstance(x, float) and x != x:
        return "nan"
    if isinstance(x, dict):
        return {k: nan_free(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_free(v) for v in x]
    return x


def stats_of(row) -> dict:
    names = hqt.Statistics.__dataclass_fields__
    return nan_free({k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in names})


@pytest.fixture(scope="module")
def local_table():
    return sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=2)


# ---- grid and seeds ----------------------------------------------------------------


def test_expand_grid_orders_the_cartesian_product_last_key_fastest():
    assert expand_grid({"a": [1, 2], "b": ("x", "y"), "c": 5}) == [
        {"a": 1, "b": "x", "c": 5},
        {"a": 1, "b": "y", "c": 5},
        {"a": 2, "b": "x", "c": 5},
        {"a": 2, "b": "y", "c": 5},
    ]
    assert expand_grid([{"a": 1}, {"a": 2, "b": 3}]) == [{"a": 1}, {"a": 2, "b": 3}]
    out = expand_grid({"n": np.array([1, 2]), "x": range(2)})
    assert out == [{"n": 1, "x": 0}, {"n": 1, "x": 1}, {"n": 2, "x": 0}, {"n": 2, "x": 1}]
    assert all(type(p["n"]) is int for p in out)
    with pytest.raises(hqt.InvalidArgumentError, match="no values"):
        expand_grid({"a": []})
    with pytest.raises(hqt.InvalidArgumentError, match="identifiers"):
        expand_grid({"not a name": [1]})
    with pytest.raises(hqt.InvalidArgumentError, match="grid entry #1"):
        expand_grid([{"a": 1}, 3])


def test_task_seed_is_a_stable_hash_of_the_parameters():
    assert task_seed({"a": 1, "b": 2.5}) == task_seed({"b": 2.5, "a": 1})
    assert task_seed({"a": 1}) != task_seed({"a": 2})
    assert task_seed({"a": 1}, seed=1) != task_seed({"a": 1}, seed=0)
    assert task_seed({"a": np.int64(3)}) == task_seed({"a": 3})
    assert 0 <= task_seed({"a": 1}) < 2**63
    # pinned: a change of the hash would silently change every seeded sweep
    assert task_seed({"fast": 3, "slow": 20}) == 0x2C05B43A59FC935D


# ---- local pool ---------------------------------------------------------------------


def test_local_pool_equals_running_each_set_directly(local_table):
    import pandas as pd

    assert isinstance(local_table, pd.DataFrame)
    assert list(local_table.columns[:3]) == ["fast", "slow", "seed"]
    assert [tuple(r) for r in local_table[["fast", "slow"]].itertuples(index=False)] == [
        (3, 20),
        (3, 45),
        (8, 20),
        (8, 45),
    ]
    for _, row in local_table.iterrows():
        params = {"fast": int(row["fast"]), "slow": int(row["slow"])}
        assert stats_of(row) == direct(params)
        assert row["seed"] == task_seed(params)
    assert local_table["total_trades"].min() > 10  # the strategy does trade
    assert local_table["net_profit"].nunique() == 4


def test_every_local_mode_gives_the_same_table(local_table):
    inline = sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=0)
    spawn = sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=2, mp_context="spawn")
    one = sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=1)
    for t in (inline, spawn, one):
        assert t.equals(local_table)


def test_run_one_reproduces_a_row(local_table):
    e = run_one(Cross, {"fast": 8, "slow": 20}, BARS, ENGINE_ARGS)
    try:
        assert nan_free(e.statistics().as_dict()) == stats_of(local_table.iloc[2])
        assert e.trades  # the engine is there to inspect
    finally:
        e.dispose()


def test_seeded_strategies_are_reproducible_whatever_the_workers():
    grid = {"p": [0.02, 0.05, 0.1]}
    a = sweep_fn(Coin, grid, BARS, ENGINE_ARGS, processes=2, records=True)
    b = sweep_fn(Coin, grid, BARS, ENGINE_ARGS, processes=0, records=True)
    assert nan_free(a) == nan_free(b)
    assert len({r["net_profit"] for r in a}) == 3
    for r in a:
        assert r["seed"] == task_seed({"p": r["p"]})
        assert (
            r["net_profit"] == direct({"p": r["p"], "seed": r["seed"]}, strategy=Coin)["net_profit"]
        )
    c = sweep_fn(Coin, grid, BARS, ENGINE_ARGS, processes=0, records=True, seed=1)
    assert [r["net_profit"] for r in c] != [r["net_profit"] for r in a]
    # a grid parameter named seed is used as the seed itself
    d = sweep_fn(
        Coin, {"p": [0.05], "seed": [11, 12]}, BARS, ENGINE_ARGS, processes=0, records=True
    )
    assert [r["seed"] for r in d] == [11, 12]
    assert d[0]["net_profit"] == direct({"p": 0.05, "seed": 11}, strategy=Coin)["net_profit"]


def _global_rng_strategy(p: float):
    # no seed parameter: global generators are seeded by the sweep
    return Coin(p, seed=random.getrandbits(32) ^ int(np.random.randint(0, 2**31)))


def test_global_random_generators_are_seeded_per_task():
    grid = {"p": [0.05, 0.1]}
    a = sweep_fn(_global_rng_strategy, grid, BARS, ENGINE_ARGS, processes=2, records=True)
    b = sweep_fn(_global_rng_strategy, grid, BARS, ENGINE_ARGS, processes=0, records=True)
    assert nan_free(a) == nan_free(b)


def test_a_failing_parameter_set_is_named(local_table):
    for kw in ({"processes": 2}, {"processes": 0}, {"processes": 2, "mp_context": "spawn"}):
        with pytest.raises(SweepError) as info:
            sweep_fn(FailsOn, GRID, BARS, ENGINE_ARGS, **kw)
        err = info.value
        assert err.index == 3 and err.params == {"fast": 8, "slow": 45}
        assert err.error == "ValueError: no luck with these parameters"
        assert "parameter set #3 {'fast': 8, 'slow': 45} failed" in str(err)
        assert "in on_bar" in err.remote_traceback
    table = sweep_fn(FailsOn, GRID, BARS, ENGINE_ARGS, processes=2, errors="record")
    assert table["error"].iloc[:3].isna().all()
    assert table["error"].iloc[3] == "ValueError: no luck with these parameters"
    assert np.isnan(table["net_profit"].iloc[3])
    assert list(table["net_profit"].iloc[:3]) == list(local_table["net_profit"].iloc[:3])


def _data_pointer(engine, strategy):
    job = sweep_mod._WORKER_JOB
    arr = job.data["EURUSD"][0].arrays["close"]
    return {
        "pid": os.getpid(),
        "ptr": arr.ctypes.data,
        "memmap": isinstance(arr.base, np.memmap)
        or isinstance(getattr(arr.base, "base", None), np.memmap),
    }


def test_data_reaches_local_workers_once_without_copies():
    closes = np.ascontiguousarray(BARS["close"])
    data = dict(BARS, close=closes)
    fork = sweep_fn(
        Cross,
        GRID,
        data,
        ENGINE_ARGS,
        processes=2,
        mp_context="fork",
        collect=_data_pointer,
        records=True,
    )
    assert {r["ptr"] for r in fork} == {closes.ctypes.data}  # inherited, not copied
    assert {r["pid"] for r in fork} != {os.getpid()}
    spawn = sweep_fn(
        Cross,
        GRID,
        data,
        ENGINE_ARGS,
        processes=2,
        mp_context="spawn",
        collect=_data_pointer,
        records=True,
    )
    assert all(r["memmap"] for r in spawn)  # mapped from the one file the parent wrote
    by_pid: dict[int, set[int]] = {}
    for r in spawn:
        by_pid.setdefault(r["pid"], set()).add(r["ptr"])
    assert all(len(p) == 1 for p in by_pid.values())  # one mapping per worker, every task


# ---- data and engine_args ---------------------------------------------------------------


class TickCross(Cross):
    bars = [("EURUSD", hqt.M5)]


def test_ticks_several_symbols_dataframes_and_collect():
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 6_000
    t = T0 + np.arange(n, dtype=np.int64) * 10 * 10**9
    bid = np.round(1.1 + np.cumsum(rng.normal(0, 0.00005, n)), 5)
    ticks = hqt.TickData(t, bid, bid + 0.00002)
    gbp = pd.DataFrame({"bid": bid + 0.17, "ask": bid + 0.17003}, index=pd.to_datetime(t, utc=True))
    args = {
        "balance": 5_000,
        "symbols": {"EURUSD": {}, "GBPUSD": {"spread": 0.0}},
        "mode": "netting",
    }
    data = {"EURUSD": ticks, "GBPUSD": gbp}

    def count(engine, strategy):
        return {"deals": len(engine.deals), "gbp_last": engine.symbol("GBPUSD").bid}

    rows = sweep_fn(
        TickCross,
        {"fast": [2, 4], "slow": [10]},
        data,
        args,
        processes=2,
        collect=count,
        records=True,
    )
    for r in rows:
        e = hqt.Engine(5_000, "USD", 100, mode="netting")
        e.add_symbol("EURUSD")
        e.add_symbol("GBPUSD")
        e.load_ticks(0, t, bid, bid + 0.00002)
        e.load_ticks(1, t, bid + 0.17, bid + 0.17003)
        e.run(TickCross(r["fast"], r["slow"]))
        assert stats_of(r) == nan_free(e.statistics().as_dict())
        assert r["deals"] == len(e.deals) > 0
        assert r["gbp_last"] == pytest.approx(bid[-1] + 0.17)
        assert r["ticks_processed"] == 2 * n
        e.dispose()
    # the one-series form with symbol=, and a DataFrame of bars with a time column
    frame = pd.DataFrame(BARS)
    two = {"balance": 10_000.0, "symbols": {"GBPUSD": {}, "EURUSD": {"commission_per_lot": 2.0}}}
    by_name = sweep_fn(Cross, GRID, frame, two, symbol="EURUSD", processes=0)
    single = sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=0)
    assert by_name.equals(single)


def test_csv_paths_and_structured_arrays_are_data_too(tmp_path):
    path = tmp_path / "bars.csv"
    with open(path, "w") as f:
        f.write("time,open,high,low,close\n")
        for row in zip(
            *(BARS[k].tolist() for k in ("time", "open", "high", "low", "close")), strict=False
        ):
            f.write(",".join(f"{v:.5f}" if isinstance(v, float) else str(v) for v in row) + "\n")
    arr = np.zeros(
        N_BARS,
        dtype=[("time", "<i8"), ("open", "<f8"), ("high", "<f8"), ("low", "<f8"), ("close", "<f8")],
    )
    for k in arr.dtype.names:
        arr[k] = BARS[k]
    grid = {"fast": [3], "slow": [20]}
    want = sweep_fn(Cross, grid, BARS, ENGINE_ARGS, processes=0, records=True)
    assert sweep_fn(Cross, grid, str(path), ENGINE_ARGS, processes=0, records=True) == want
    assert sweep_fn(Cross, grid, {"EURUSD": arr}, ENGINE_ARGS, processes=0, records=True) == want


def test_bad_arguments_fail_before_any_task_runs():
    with pytest.raises(hqt.InvalidArgumentError, match="unknown key.*'levrage'"):
        sweep_fn(Cross, GRID, BARS, {"levrage": 10, "symbols": ["EURUSD"]})
    with pytest.raises(hqt.InvalidArgumentError, match="needs 'symbols'"):
        sweep_fn(Cross, GRID, BARS, {"balance": 1000})
    with pytest.raises(hqt.InvalidArgumentError, match="does not define"):
        sweep_fn(Cross, GRID, {"GBPUSD": BARS}, ENGINE_ARGS)
    with pytest.raises(hqt.InvalidArgumentError, match="say which with symbol="):
        sweep_fn(Cross, GRID, BARS, {"symbols": ["EURUSD", "GBPUSD"]})
    with pytest.raises(hqt.InvalidArgumentError, match="fields time,bid,ask"):
        sweep_fn(Cross, GRID, {"time": BARS["time"], "price": BARS["close"]}, ENGINE_ARGS)
    with pytest.raises(hqt.InvalidArgumentError, match="hide result columns"):
        sweep_fn(Cross, {"fast": [1], "slow": [2], "net_profit": [3]}, BARS, ENGINE_ARGS)
    with pytest.raises(hqt.InvalidArgumentError, match="errors must be"):
        sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, errors="ignore")
    with pytest.raises(TypeError):
        sweep_fn(Cross, GRID, BARS, {"symbols": {"EURUSD": {"contract_sz": 1}}})


def test_make_engine_follows_engine_args():
    e = make_engine(
        {
            "balance": 2_500,
            "currency": "EUR",
            "leverage": 30,
            "mode": "netting",
            "stop_out": 20.0,
            "margin_call": 80.0,
            "symbols": {
                "EURUSD": {},
                "US500": {
                    "base_currency": "USD",
                    "profit_currency": "USD",
                    "contract_size": 1,
                    "digits": 2,
                    "margin_mode": "cfd",
                },
            },
        }
    )
    try:
        a = e.account
        assert (a.balance, a.currency, a.leverage, a.mode.name) == (2_500, "EUR", 30, "NETTING")
        assert (a.margin_call_level, a.stop_out_level) == (80.0, 20.0)
        assert [s.name for s in e.symbols] == ["EURUSD", "US500"]
        assert e.symbol("US500").contract_size == 1
    finally:
        e.dispose()


def test_without_pandas_the_rows_are_dicts(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    rows = sweep_fn(Cross, {"fast": [3], "slow": [20]}, BARS, ENGINE_ARGS, processes=0)
    assert isinstance(rows, list) and rows[0]["fast"] == 3 and "sharpe_ratio" in rows[0]


def test_hqt_sweep_stays_the_function_after_the_module_is_imported():
    import importlib

    module = importlib.import_module("hqt.sweeps")
    assert callable(hqt.sweep) and hqt.sweep is sweep_fn and module.sweep is sweep_fn
    assert hqt.sweeps is module


def test_progress_bar_counts_the_backtests(capsys):
    pytest.importorskip("tqdm")
    sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=2, progress=True)
    err = capsys.readouterr().err
    assert "hqt.sweep" in err and "4/4" in err
    sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, processes=0, progress=False)
    assert "hqt.sweep" not in capsys.readouterr().err


# ---- Dask ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


class RecordingClient:
    """A distributed.Client proxy that records what is scattered and submitted."""

    def __init__(self, client) -> None:
        self._client = client
        self.scattered: list[tuple[object, dict]] = []
        self.submitted: list[tuple] = []

    def scatter(self, data, **kw):
        self.scattered.append((data, kw))
        return self._client.scatter(data, **kw)

    def submit(self, fn, *args, **kw):
        self.submitted.append(args)
        return self._client.submit(fn, *args, **kw)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_dask_gives_the_local_table(dask_client, local_table):
    from distributed import Future

    rec = RecordingClient(dask_client)
    table = sweep_fn(Cross, GRID, BARS, ENGINE_ARGS, client=rec)
    assert table.equals(local_table)
    # the data went out once, to every worker; each task carries a reference to it
    assert len(rec.scattered) == 1 and rec.scattered[0][1]["broadcast"] is True
    assert len(rec.submitted) == 4
    assert all(isinstance(args[0], Future) for args in rec.submitted)
    assert all(not isinstance(a, np.ndarray) for args in rec.submitted for a in args)
    seeded = sweep_fn(Coin, {"p": [0.02, 0.05]}, BARS, ENGINE_ARGS, client=dask_client)
    assert seeded.equals(sweep_fn(Coin, {"p": [0.02, 0.05]}, BARS, ENGINE_ARGS, processes=0))


def test_dask_names_the_failing_set(dask_client):
    with pytest.raises(SweepError) as info:
        sweep_fn(FailsOn, GRID, BARS, ENGINE_ARGS, client=dask_client)
    assert info.value.params == {"fast": 8, "slow": 45}
    assert info.value.error == "ValueError: no luck with these parameters"
    table = sweep_fn(FailsOn, GRID, BARS, ENGINE_ARGS, client=dask_client, errors="record")
    assert table["error"].notna().sum() == 1


def test_times_in_seconds_get_the_sweeps_own_hint_and_a_unit_key_fixes_them():
    """Issue 10: the loaders' hint "pass unit='s'" was raised inside hqt.sweep,
    which has no unit= argument; a data mapping takes a "unit" key instead."""
    from hqt.sweeps import _series

    t = 1_704_153_600 + np.arange(10)
    cols = {"time": t, "bid": np.full(10, 1.1), "ask": np.full(10, 1.1002)}
    with pytest.raises(hqt.InvalidArgumentError, match=r"""looks like seconds.*add "unit": 's'"""):
        _series(cols, "data")
    series = _series({**cols, "unit": "s"}, "data")
    assert int(np.asarray(series.arrays["time"])[0]) == 1_704_153_600 * 10**9
