"""Tick files loaded chunk by chunk (issue 10 item 6): load_csv and load_parquet
stream into the engine, and a bad chunk anywhere leaves the engine as it was."""

from __future__ import annotations

import numpy as np
import pytest

import hqt
from hqt import _chunked, _fastcsv
from hqt.testing import make_engine, random_walk_ticks

TICKS = random_walk_ticks(1_000, seed=21, gaps=1, spread_spikes=1)


def _write_csv(path, time, bid, ask) -> None:
    rows = "".join(
        f"{t},{b!r},{a!r}\n"
        for t, b, a in zip(time.tolist(), bid.tolist(), ask.tolist(), strict=True)
    )
    path.write_text("time,bid,ask\n" + rows)


def _state(e: hqt.Engine) -> tuple:
    """What a load changes: ticks held (per count and what a run sees) and the sketch."""
    sk = e.__dict__.get("_price_sketches", {}).get(0)
    t, p = sk.arrays() if sk is not None else (np.zeros(0, np.int64), np.zeros(0))
    return e._tick_count(0), e.pending_events, t.tolist(), p.tolist()


def _ticks_run(e: hqt.Engine) -> list[tuple[int, int, int]]:
    seen = []

    class Rec:
        def on_tick(self, engine, tick):
            seen.append((tick.time, tick.bid_micro, tick.ask_micro))

    e.run(Rec(), progress=False)
    return seen


def _chunks_of(monkeypatch, reader: str, lines: int) -> None:
    """CSV loads in chunks of about `lines` lines, by the Python reader or pyarrow's."""
    monkeypatch.setattr(_chunked, "FAST_CSV", reader == "arrow")
    monkeypatch.setattr(_chunked, "LOAD_CHUNK_LINES", lines)
    monkeypatch.setattr(_fastcsv, "BLOCK_BYTES", 40 * lines)  # lines of ~40 bytes


READERS = [
    "python",
    pytest.param(
        "arrow",
        marks=pytest.mark.skipif(
            __import__("importlib").util.find_spec("pyarrow") is None, reason="needs pyarrow"
        ),
    ),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("chunk", [1, 7, 999, 1_000, 5_000])
def test_csv_in_chunks_loads_what_the_arrays_load(tmp_path, monkeypatch, chunk, reader):
    # 1,000 ticks in chunks of 7 (the last one short), exactly one chunk, or fewer
    _chunks_of(monkeypatch, reader, chunk)
    p = tmp_path / "t.csv"
    _write_csv(p, TICKS.time, TICKS.bid, TICKS.ask)
    a, b = make_engine(), make_engine()
    a.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask)
    assert b.load_csv(0, p) == len(TICKS)
    assert _state(a) == _state(b)  # the plot's sketch too
    assert _ticks_run(a) == _ticks_run(b)


@pytest.mark.parametrize("reader", READERS)
def test_csv_bad_tick_in_a_later_chunk_leaves_the_engine_unchanged(tmp_path, monkeypatch, reader):
    _chunks_of(monkeypatch, reader, 64)
    e = make_engine()
    e.load_ticks(0, TICKS.time[:300], TICKS.bid[:300], TICKS.ask[:300])
    before = _state(e)
    rest = slice(300, None)
    bid = TICKS.bid[rest].copy()
    bid[650] = -1.0  # file line 652 (after the header), in the 11th chunk
    p = tmp_path / "bad.csv"
    _write_csv(p, TICKS.time[rest], bid, TICKS.ask[rest])
    with pytest.raises(hqt.InvalidPriceError, match=r"bad\.csv:652"):
        e.load_csv(0, p)
    assert _state(e) == before
    # a file that is fine loads on top, as if the bad one had never been tried
    _write_csv(p, TICKS.time[rest], TICKS.bid[rest], TICKS.ask[rest])
    assert e.load_csv(0, p) == 700
    whole = make_engine()
    whole.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask)
    assert _state(e) == _state(whole)
    assert _ticks_run(e) == _ticks_run(whole)


@pytest.mark.parametrize("reader", READERS)
def test_csv_unparsable_line_in_a_later_chunk_leaves_the_engine_unchanged(
    tmp_path, monkeypatch, reader
):
    _chunks_of(monkeypatch, reader, 100)
    p = tmp_path / "bad.csv"
    _write_csv(p, TICKS.time, TICKS.bid, TICKS.ask)
    lines = p.read_text().splitlines()
    lines[801] = lines[801].replace(",", ",x", 1)
    p.write_text("\n".join(lines) + "\n")
    e = make_engine()
    with pytest.raises(hqt.CSVFormatError, match=r"bad\.csv:802"):
        e.load_csv(0, p)
    assert _state(e) == (0, 0, [], [])


@pytest.mark.parametrize("reader", READERS)
def test_csv_time_unit_in_chunks(tmp_path, monkeypatch, reader):
    _chunks_of(monkeypatch, reader, 9)
    p = tmp_path / "s.csv"
    secs = TICKS.time // 10**9
    _write_csv(p, secs, TICKS.bid, TICKS.ask)
    e = make_engine()
    assert e.load_csv(0, p, unit="s") == len(TICKS)
    assert [t for t, _, _ in _ticks_run(e)] == (secs * 10**9).tolist()
    with pytest.raises(hqt.CSVFormatError, match="looks like seconds"):
        make_engine().load_csv(0, p)


def test_plain_csv_goes_through_pyarrow_when_it_can(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    _chunks_of(monkeypatch, "arrow", 100)

    def python_reader(*args, **kwargs):
        raise AssertionError("the Python reader was used")

    monkeypatch.setattr(_chunked, "iter_csv_ticks", python_reader)
    p = tmp_path / "t.csv"
    _write_csv(p, TICKS.time, TICKS.bid, TICKS.ask)
    e = make_engine()
    assert e.load_csv(0, p) == len(TICKS)
    whole = make_engine()
    whole.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask)
    assert _state(e) == _state(whole)
    # what pyarrow does not take (here an ISO time in line 501) goes to the Python reader
    lines = p.read_text().splitlines()
    lines[500] = "2024-01-02T00:00:00" + lines[500][lines[500].index(",") :]
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(AssertionError, match="Python reader"):
        make_engine().load_csv(0, p)


pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _write_parquet(path, time, bid, ask) -> None:
    pq.write_table(
        pa.table({"time": pa.array(time, pa.timestamp("ns")), "bid": bid, "ask": ask}), path
    )


@pytest.mark.parametrize("batch", [7, 1_000, 4_096])
def test_parquet_in_batches_loads_what_the_arrays_load(tmp_path, batch):
    p = tmp_path / "t.parquet"
    _write_parquet(p, TICKS.time, TICKS.bid, TICKS.ask)
    a, b = make_engine(), make_engine()
    a.load_ticks(0, TICKS.time, TICKS.bid, TICKS.ask)
    assert b.load_parquet(0, p, batch_rows=batch) == len(TICKS)
    assert _state(a) == _state(b)
    assert _ticks_run(a) == _ticks_run(b)


def test_parquet_bad_tick_in_a_later_batch_leaves_the_engine_unchanged(tmp_path):
    e = make_engine()
    e.load_ticks(0, TICKS.time[:100], TICKS.bid[:100], TICKS.ask[:100])
    before = _state(e)
    ask = TICKS.ask[100:].copy()
    ask[777] = TICKS.bid[100 + 777] - 0.001  # crossed quote, in the 8th batch of 100 rows
    p = tmp_path / "bad.parquet"
    _write_parquet(p, TICKS.time[100:], TICKS.bid[100:], ask)
    with pytest.raises(hqt.BadDataError, match=r"row 700 \+ tick 77"):
        e.load_parquet(0, p, batch_rows=100)
    assert _state(e) == before
    # older than what the engine holds: the engine's own message, nothing kept
    _write_parquet(p, TICKS.time[:50], TICKS.bid[:50], TICKS.ask[:50])
    with pytest.raises(hqt.DataOrderError, match="backwards"):
        e.load_parquet(0, p, batch_rows=10)
    assert _state(e) == before


def test_truncate_ticks_bounds():
    e = make_engine()
    e.load_ticks(0, TICKS.time[:10], TICKS.bid[:10], TICKS.ask[:10])
    with pytest.raises(hqt.InvalidArgumentError, match="between 0"):
        e._truncate_ticks(0, 11)
    with pytest.raises(OverflowError):
        e._truncate_ticks(0, -1)
    e._truncate_ticks(0, 4)
    assert e._tick_count(0) == e.pending_events == 4


def test_arrow_view_is_the_arrays_values_without_a_copy():
    from hqt.frames import _arrow_view

    f = pa.array(np.arange(10, dtype=np.float64) / 4)
    part = f.slice(3, 4)  # a batch may start inside a decoded buffer
    v = _arrow_view(pa, part, np.float64)
    assert v.tolist() == [0.75, 1.0, 1.25, 1.5]
    assert not v.flags.writeable and not v.flags.owndata
    i = pa.array(np.arange(5, dtype=np.int64) * 7).slice(1)
    assert _arrow_view(pa, i, np.int64).tolist() == [7, 14, 21, 28]
    assert _arrow_view(pa, pa.chunked_array([i]), np.int64).tolist() == [7, 14, 21, 28]
    assert _arrow_view(pa, f.slice(10), np.float64).tolist() == []
    ns = pa.array(np.array([5, 6], "datetime64[ns]"))
    assert _arrow_view(pa, ns, np.int64, ns_timestamps=True).tolist() == [5, 6]
    # anything else goes the converting way: nulls, other types and units, several chunks
    assert _arrow_view(pa, ns, np.int64) is None
    us = pa.array(np.array([5, 6], "datetime64[us]"))
    assert _arrow_view(pa, us, np.int64, ns_timestamps=True) is None
    assert _arrow_view(pa, pa.array([1.0, None]), np.float64) is None
    assert _arrow_view(pa, pa.array([1, 2], pa.int32()), np.int64) is None
    assert _arrow_view(pa, i, np.float64) is None
    assert _arrow_view(pa, pa.chunked_array([i, i]), np.int64) is None


def test_parquet_ns_time_that_is_nat_is_still_named(tmp_path):
    time = pa.array(np.array([1, -(2**63), 3], np.int64)).view(pa.timestamp("ns"))
    p = tmp_path / "nat.parquet"
    pq.write_table(pa.table({"time": time, "bid": [1.1] * 3, "ask": [1.2] * 3}), p)
    e = make_engine()
    with pytest.raises(hqt.InvalidArgumentError, match="contains NaT"):
        e.load_parquet(0, p)
    assert _state(e)[0] == 0


def test_tick_file_loads_do_not_import_pandas(tmp_path):
    # pyarrow's to_numpy imports it (~45 MB, counted in the load's peak memory)
    pytest.importorskip("pandas")
    import subprocess
    import sys

    csv, parquet = tmp_path / "t.csv", tmp_path / "t.parquet"
    _write_csv(csv, TICKS.time, TICKS.bid, TICKS.ask)
    _write_parquet(parquet, TICKS.time, TICKS.bid, TICKS.ask)
    code = (
        "import sys, hqt; from hqt.testing import make_engine\n"
        "a, b = make_engine(), make_engine()\n"
        f"assert a.load_csv(0, {str(csv)!r}) == {len(TICKS)}\n"
        f"assert b.load_parquet(0, {str(parquet)!r}) == {len(TICKS)}\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
