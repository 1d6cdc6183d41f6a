"""Market data from pandas DataFrames and Parquet files (hqt.frames, Engine.load_dataframe,
Engine.load_parquet)."""

from __future__ import annotations

import numpy as np
import pytest

import hqt
from hqt import _optional
from hqt.frames import from_frame, index_to_ns, read_parquet
from hqt.testing import make_engine, random_walk_bars, random_walk_ticks, to_frame

pd = pytest.importorskip("pandas")


def _same_engine_state(a: hqt.Engine, b: hqt.Engine) -> None:
    from conftest import snapshot

    sa, sb = snapshot(a), snapshot(b)
    assert sa == sb


def _run_both(load_a, load_b) -> None:
    ea, eb = make_engine(), make_engine()
    load_a(ea)
    load_b(eb)
    assert ea.pending_events == eb.pending_events > 0
    ea.run(progress=False)
    eb.run(progress=False)
    _same_engine_state(ea, eb)


TICKS = random_walk_ticks(3_000, seed=11, gaps=1, spread_spikes=1)
BARS = random_walk_bars(800, seed=12, timeframe=hqt.M5)


def test_ticks_frame_with_datetime_index_matches_arrays():
    df = to_frame(TICKS)
    _run_both(
        lambda e: e.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask),
        lambda e: e.load_dataframe(0, df),
    )
    _run_both(
        lambda e: e.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask),
        lambda e: e.load_ticks("EURUSD", df),
    )


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_time_resolutions_and_zones(unit):
    t = np.array(["2024-01-02T00:00:01", "2024-01-02T00:00:02"], dtype=f"M8[{unit}]")
    idx = pd.DatetimeIndex(t)
    expect = t.astype("M8[ns]").view(np.int64)
    assert np.array_equal(index_to_ns(idx), expect)
    # tz-aware: converted to UTC
    paris = idx.tz_localize("UTC").tz_convert("Europe/Paris")
    assert np.array_equal(index_to_ns(paris), expect)
    naive_paris = idx.tz_localize("Europe/Paris")  # 01:00 Paris = 00:00 UTC
    assert np.array_equal(index_to_ns(naive_paris), expect - 3600 * 10**9)


def test_time_column_variants():
    base = to_frame(TICKS).reset_index()
    assert list(base.columns) == ["time", "bid", "ask"]
    for df in (
        base,
        base.rename(columns={"time": "Timestamp", "bid": "Bid", "ask": "ASK"}),
        base.assign(time=base["time"].astype("int64")),
        base.assign(time=base["time"].dt.tz_localize("UTC")),
        base.assign(time=base["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f")),
    ):
        data = from_frame(df)
        col = df["time" if "time" in df else "Timestamp"]
        if pd.api.types.is_string_dtype(col.dtype):
            # strings at microsecond precision
            assert np.array_equal(data.time, TICKS.time // 1000 * 1000)
        else:
            assert np.array_equal(data.time, TICKS.time)
        assert np.array_equal(data.bid, TICKS.bid) and np.array_equal(data.ask, TICKS.ask)


def test_float_columns_are_not_copied():
    df = to_frame(TICKS)
    data = from_frame(df)
    assert np.shares_memory(data.bid, df["bid"].to_numpy())


def test_bars_frame_matches_arrays_and_infers_timeframe():
    df = to_frame(BARS)
    data = from_frame(df)
    assert data.timeframe == hqt.M5
    _run_both(
        lambda e: e.load_bars(
            0, hqt.M5, BARS.time, BARS.open, BARS.high, BARS.low, BARS.close, BARS.volume
        ),
        lambda e: e.load_dataframe(0, df),
    )
    _run_both(
        lambda e: e.load_bars(
            0, hqt.M5, BARS.time, BARS.open, BARS.high, BARS.low, BARS.close, BARS.volume
        ),
        lambda e: e.load_bars(0, None, df),
    )
    no_volume = df.drop(columns="volume").rename(columns=str.upper)
    e = make_engine()
    assert e.load_dataframe(0, no_volume, kind="bars", timeframe=hqt.M5) == len(BARS)


def test_tickdata_and_bardata_are_accepted():
    _run_both(
        lambda e: e.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask),
        lambda e: e.load_ticks(0, TICKS),
    )
    _run_both(
        lambda e: e.load_bars(
            0, hqt.M5, BARS.time, BARS.open, BARS.high, BARS.low, BARS.close, BARS.volume
        ),
        lambda e: e.load_bars(0, None, BARS),
    )


def test_frame_errors():
    e = make_engine()
    df = to_frame(TICKS)
    with pytest.raises(hqt.InvalidArgumentError, match="cannot tell ticks from bars"):
        e.load_dataframe(0, df.rename(columns={"bid": "x"}))
    with pytest.raises(hqt.InvalidArgumentError, match="DatetimeIndex or a time column"):
        e.load_dataframe(0, df.reset_index(drop=True))
    with pytest.raises(hqt.InvalidArgumentError, match="NaT"):
        e.load_dataframe(0, df.set_axis(df.index.where(np.arange(len(df)) != 5, pd.NaT)))
    with pytest.raises(hqt.InvalidArgumentError, match="kind must be"):
        e.load_dataframe(0, df, kind="candles")
    with pytest.raises(TypeError, match="both bid and ask"):
        e.load_ticks(0, TICKS.time, TICKS.bid)
    with pytest.raises(TypeError, match="DataFrame or TickData"):
        e.load_ticks(0, [1, 2, 3])
    bad = df.copy()
    bad.iloc[10, bad.columns.get_loc("ask")] = bad["bid"].iloc[10] - 0.001
    with pytest.raises(hqt.BadDataError, match="tick 10"):
        e.load_dataframe(0, bad)
    assert e.pending_events == 0  # all or nothing


def test_without_pandas_to_frame_says_which_extra(monkeypatch):
    monkeypatch.setitem(_optional._overrides, "pandas", None)
    with pytest.raises(_optional.MissingExtraError, match=r"pip install 'hqt-engine\[pandas\]'"):
        to_frame(TICKS)


# ---- Parquet ------------------------------------------------------------------------------

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _write(path, df, row_group_size=None):
    pq.write_table(pa.Table.from_pandas(df), path, row_group_size=row_group_size)


def test_parquet_ticks_roundtrip_and_batchwise_load(tmp_path):
    p = tmp_path / "t.parquet"
    _write(p, to_frame(TICKS), row_group_size=700)
    data = read_parquet(p)
    assert np.array_equal(data.time, TICKS.time) and np.array_equal(data.bid, TICKS.bid)
    _run_both(
        lambda e: e.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask),
        lambda e: e.load_parquet(0, p, batch_rows=500),
    )
    _run_both(
        lambda e: e.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask),
        lambda e: e.load_parquet("EURUSD", str(p), "ticks"),
    )


def test_parquet_time_column_types(tmp_path):
    t = TICKS.time
    for name, col in (
        ("ns", pa.array(t, pa.timestamp("ns"))),
        ("us_tz", pa.array(t // 1000, pa.timestamp("us", tz="America/New_York"))),
        ("int", pa.array(t, pa.int64())),
    ):
        p = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"Time": col, "BID": TICKS.bid, "ask": TICKS.ask}), p)
        data = read_parquet(p)
        expect = t // 1000 * 1000 if name == "us_tz" else t
        assert np.array_equal(data.time, expect), name
    iso = np.datetime_as_string(t.view("M8[ns]"), unit="ns")
    p = tmp_path / "iso.parquet"
    pq.write_table(
        pa.table({"time": pa.array([s + "Z" for s in iso]), "bid": TICKS.bid, "ask": TICKS.ask}), p
    )
    assert np.array_equal(read_parquet(p).time, t)


def test_parquet_bars(tmp_path):
    p = tmp_path / "b.parquet"
    _write(p, to_frame(BARS), row_group_size=100)
    data = read_parquet(p)
    assert data.timeframe == hqt.M5
    _run_both(
        lambda e: e.load_bars(
            0, hqt.M5, BARS.time, BARS.open, BARS.high, BARS.low, BARS.close, BARS.volume
        ),
        lambda e: e.load_parquet(0, p, batch_rows=64),
    )


def test_parquet_bad_batch_loads_nothing(tmp_path):
    df = to_frame(TICKS)
    df.iloc[2500, df.columns.get_loc("bid")] = -1.0
    p = tmp_path / "bad.parquet"
    _write(p, df)
    e = make_engine()
    with pytest.raises(hqt.InvalidPriceError, match="row 2000 \\+ tick 500"):
        e.load_parquet(0, p, batch_rows=1000)
    assert e.pending_events == 0
    back = to_frame(TICKS)
    back.index = back.index[::-1]
    _write(p, back)
    with pytest.raises(hqt.DataOrderError):
        e.load_parquet(0, p, batch_rows=1000)
    assert e.pending_events == 0


def test_parquet_without_pyarrow(monkeypatch, tmp_path):
    monkeypatch.setitem(_optional._overrides, "pyarrow.parquet", None)
    with pytest.raises(_optional.MissingExtraError, match=r"hqt-engine\[parquet\]"):
        read_parquet(tmp_path / "x.parquet")
    with pytest.raises(_optional.MissingExtraError, match=r"hqt-engine\[parquet\]"):
        make_engine().load_parquet(0, tmp_path / "x.parquet")


def test_parquet_memory_stays_near_data_size(tmp_path):
    """Loading batch-wise adds about the engine's copy, not several copies of the data."""
    import resource  # noqa: F401  (Linux only: reads /proc)

    n = 2_000_000
    ticks = random_walk_ticks(n, seed=1)
    p = tmp_path / "big.parquet"
    pq.write_table(
        pa.table(
            {"time": pa.array(ticks.time, pa.timestamp("ns")), "bid": ticks.bid, "ask": ticks.ask}
        ),
        p,
        row_group_size=200_000,
    )
    del ticks
    e = make_engine()
    data_mb = n * 24 / 2**20
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS
    before = _status_kb("VmRSS")
    e.load_parquet(0, p, batch_rows=200_000)
    peak_mb = (_status_kb("VmHWM") - before) / 1024
    assert e.pending_events == n
    # the engine's copy (data_mb) plus a few batches; reading the whole file
    # into numpy and then loading would add 2-3x data_mb
    assert peak_mb < data_mb * 1.6 + 40, (peak_mb, data_mb)


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)
