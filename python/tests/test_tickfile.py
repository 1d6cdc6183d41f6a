"""HQT tick files: the documented layout, the converter, and Engine.run_file in bounded memory."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import hqt
from conftest import PYDIR, snapshot
from hqt import tickfile as TF
from hqt.data import read_ticks
from hqt.testing import T0, assert_deals_equal, make_engine, random_walk_ticks

TICKS = random_walk_ticks(60_000, seed=21, gaps=2, spread_spikes=2)


@pytest.fixture(scope="module")
def tickfile(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("tf") / "eurusd.hqtt")
    TF.write_tickfile(path, TICKS, "EURUSD")
    return path


def test_layout_is_as_documented(tmp_path):
    t = np.array([T0, T0 + 5, T0 + 5], np.int64)
    bid = np.array([1.1, 1.10001, 1.2])
    ask = np.array([1.1001, 1.10003, 1.2])
    p = tmp_path / "x.hqtt"
    TF.write_tickfile(p, hqt.TickData(t, bid, ask), "EURUSD")
    raw = p.read_bytes()
    assert len(raw) == 64 + 24 * 3
    magic, version, hsize, count, scale, first, last, sym = struct.unpack_from("<8sIIQqqq16s", raw)
    assert (magic, version, hsize, count, scale) == (b"HQTTICKS", 1, 64, 3, 1_000_000)
    assert (first, last, sym.rstrip(b"\0")) == (T0, T0 + 5, b"EURUSD")
    cols = np.frombuffer(raw, "<i8", offset=64).reshape(3, 3)
    assert cols[0].tolist() == t.tolist()
    assert cols[1].tolist() == [1_100_000, 1_100_010, 1_200_000]
    assert cols[2].tolist() == [1_100_100, 1_100_030, 1_200_000]


def test_rounding_matches_the_engine():
    x = np.array([0.0000025, -0.0000025, 1.0000005, 2.675, 0.1 + 0.2, 1e-7, 123.4567895])
    assert TF.to_micro_array(x).tolist() == [hqt.to_micro(v) for v in x.tolist()]


def test_reader_validates(tmp_path, tickfile):
    f = TF.TickFile(tickfile)
    assert len(f) == len(TICKS) and f.symbol == "EURUSD"
    assert "60,000 ticks" in repr(f)
    back = f.read()
    assert np.array_equal(back.time, TICKS.time)
    assert np.array_equal(back.bid, TICKS.bid) and np.array_equal(back.ask, TICKS.ask)
    t, b, a = f.window(100, 200)
    assert isinstance(t, np.memmap) and len(t) == 100 and t[0] == TICKS.time[100]
    raw = open(tickfile, "rb").read()
    bad = tmp_path / "bad.hqtt"
    bad.write_bytes(raw[:-8])
    with pytest.raises(hqt.InvalidArgumentError, match="truncated or damaged"):
        TF.TickFile(bad)
    bad.write_bytes(b"NOTTICKS" + raw[8:])
    with pytest.raises(hqt.InvalidArgumentError, match="not an HQT tick file"):
        TF.TickFile(bad)
    bad.write_bytes(raw[:8] + struct.pack("<I", 2) + raw[12:])
    with pytest.raises(hqt.InvalidArgumentError, match="version 2"):
        TF.TickFile(bad)


def test_writer_checks_what_the_engine_would(tmp_path):
    p = tmp_path / "w.hqtt"
    with TF.TickFileWriter(p) as w:
        w.append([T0, T0 + 1], [1.0, 1.0], [1.1, 1.1])
        with pytest.raises(hqt.DataOrderError, match="tick 2: time"):
            w.append([T0], [1.0], [1.1])
        with pytest.raises(hqt.BadDataError, match="tick 3: ask"):
            w.append([T0 + 2, T0 + 3], [1.0, 1.2], [1.1, 1.1])
        with pytest.raises(hqt.InvalidPriceError, match="must be finite and > 0"):
            w.append([T0 + 2], [0.0], [1.1])
        w.append([T0 + 2], [1.0], [1.0])
    assert len(TF.TickFile(p)) == 3
    # an exception inside the block leaves no output behind
    q = tmp_path / "q.hqtt"
    with pytest.raises(RuntimeError):
        with TF.TickFileWriter(q) as w:
            w.append([T0], [1.0], [1.1])
            raise RuntimeError("boom")
    assert not q.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".hqtt-") or n.endswith(".tmp")]


def _write_csvs(tmp_path, ticks):
    plain = tmp_path / "plain.csv"
    with open(plain, "w") as f:
        f.write("time,bid,ask\n")
        for t, b, a in zip(
            ticks.time.tolist(), ticks.bid.tolist(), ticks.ask.tolist(), strict=False
        ):
            f.write(f"{t},{b!r},{a!r}\n")
    mt5 = tmp_path / "mt5.csv"
    lines = ["<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>"]
    pb = pa = None
    for t, b, a in zip(ticks.time.tolist(), ticks.bid.tolist(), ticks.ask.tolist(), strict=False):
        d, c = str(np.datetime64(t, "ns").astype("M8[ms]")).split("T")
        lines.append(
            f"{d.replace('-', '.')}\t{c}\t{'' if b == pb else repr(b)}\t"
            f"{'' if a == pa else repr(a)}\t\t\t6"
        )
        pb, pa = b, a
    mt5.write_text("\n".join(lines) + "\n", encoding="utf-16")
    return plain, mt5


def test_convert_csv_in_chunks_equals_reading_whole(tmp_path):
    ticks = random_walk_ticks(3_000, seed=5, volatility=0.00001)
    plain, mt5 = _write_csvs(tmp_path, ticks)
    for src in (plain, mt5):
        out = tmp_path / (src.stem + ".hqtt")
        h = TF.convert(src, out, symbol="EURUSD", chunk_rows=137)
        ref = read_ticks(src)
        got = TF.TickFile(out).read()
        assert h.count == len(ref) > 1000
        assert np.array_equal(got.time, ref.time), src
        assert np.array_equal(got.bid, ref.bid) and np.array_equal(got.ask, ref.ask), src


def test_convert_errors_name_the_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(
        "time,bid,ask\n" + "".join(f"{T0 + i},1.1,1.2\n" for i in range(50)) + f"{T0},1.1,1.2\n"
    )
    with pytest.raises(hqt.DataOrderError, match=":52: tick 50: time") as info:
        TF.convert(p, tmp_path / "bad.hqtt", chunk_rows=10)
    assert info.value.line == 52 and info.value.index == 50
    assert not (tmp_path / "bad.hqtt").exists()


def test_cli_convert_and_info(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    ticks = random_walk_ticks(5_000, seed=6)
    src = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {"time": pa.array(ticks.time, pa.timestamp("ns")), "bid": ticks.bid, "ask": ticks.ask}
        ),
        src,
        row_group_size=999,
    )
    out = tmp_path / "t.hqtt"
    env = dict(os.environ, PYTHONPATH=str(PYDIR))
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "hqt.tickfile",
            "convert",
            str(src),
            str(out),
            "--symbol",
            "EURUSD",
            "--chunk-rows",
            "1000",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "5,000 ticks" in r.stdout
    got = TF.TickFile(out).read()
    assert np.array_equal(got.time, ticks.time) and np.array_equal(got.bid, ticks.bid)
    r = subprocess.run(
        [sys.executable, "-m", "hqt.tickfile", "info", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0 and "EURUSD" in r.stdout and "5,000" in r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "hqt.tickfile", "info", str(src)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 1 and "not an HQT tick file" in r.stderr


# ---- run_file --------------------------------------------------------------------------


class Every(hqt.Strategy):
    def __init__(self) -> None:
        self.n = 0
        self.calls: list[str] = []

    def on_start(self, engine):
        self.calls.append("start")

    def on_stop(self, engine):
        self.calls.append("stop")

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % 501 == 0 and not engine.positions:
            engine.buy(0, 0.1, sl=tick.bid - 0.0007, tp=tick.bid + 0.0007)


class Crossing(hqt.Strategy):
    bars = [(0, hqt.M5), (0, hqt.M1)]

    def __init__(self) -> None:
        self.closes: list[float] = []
        self.bars_seen = 0

    def on_bar(self, engine, bar):
        self.bars_seen += 1
        if bar.timeframe != hqt.M5:
            return
        self.closes.append(bar.close)
        if len(self.closes) > 10:
            fast, slow = np.mean(self.closes[-3:]), np.mean(self.closes[-10:])
            if fast > slow and not engine.positions:
                engine.buy(0, 0.1)
            elif fast < slow and engine.positions:
                engine.close_all()


def test_run_file_equals_run_for_tick_strategies(tickfile):
    a, b = Every(), Every()
    e1 = make_engine(TICKS)
    r1 = e1.run(a, progress=False)
    e2 = make_engine()
    r2 = e2.run_file(tickfile, b, chunk_ticks=7_000, progress=False)
    assert b.calls == a.calls == ["start", "stop"]
    assert b.n == a.n == len(TICKS)
    assert r1.statistics.total_deals > 50
    assert_deals_equal(r1, r2)
    s1, s2 = snapshot(e1), snapshot(e2)
    for key in ("account", "positions", "orders", "order_history", "deals", "trades", "statistics"):
        assert s1[key] == s2[key], key
    assert e2.pending_events == 0
    assert r2.run.events == len(TICKS)


def test_run_file_bars_close_as_in_run(tickfile):
    """Windows of 5,000 ticks end inside bars: the bars in progress carry over,
    so on_bar, the orders it sends and their deals are those of run()."""
    a, b = Crossing(), Crossing()
    r1 = make_engine(TICKS).run(a, progress=False)
    r2 = make_engine().run_file(tickfile, b, chunk_ticks=5_000, progress=False)
    assert a.bars_seen == b.bars_seen and a.closes == b.closes
    assert_deals_equal(r1, r2)
    assert r1.statistics.net_profit == r2.statistics.net_profit
    assert r1.statistics.max_drawdown == r2.statistics.max_drawdown


def test_chunk_end_cuts_where_every_bar_closes(tickfile):
    f = TF.TickFile(tickfile)
    t = f.read().time
    start = 0
    while start < len(f):
        stop = TF.chunk_end(f, start, 3_000, [hqt.M5, hqt.H1])
        assert stop > start
        if stop < len(f):
            assert t[stop] // (3600 * 10**9) != t[stop - 1] // (3600 * 10**9)
        start = stop
    assert TF.chunk_end(f, 0, 10**9, [hqt.MN1]) == len(f)
    assert TF.chunk_end(f, 0, 100) == 100


def test_run_file_errors(tickfile):
    e = make_engine(random_walk_ticks(10, seed=1))
    with pytest.raises(hqt.StateError, match="pending"):
        e.run_file(tickfile)
    e2 = make_engine()
    e2.add_symbol("GBPUSD")
    e2.run_file(tickfile, progress=False)  # the header names EURUSD
    assert e2.statistics().ticks_processed == len(TICKS)
    e3 = hqt.Engine(1000.0)
    e3.add_symbol("USDJPY")
    e3.add_symbol("GBPUSD")
    with pytest.raises(hqt.InvalidArgumentError, match="symbol="):
        e3.run_file(tickfile)
    with pytest.raises(hqt.InvalidArgumentError, match="chunk_ticks"):
        e2.run_file(tickfile, chunk_ticks=0)


def test_run_file_error_mid_way_calls_on_stop_once(tickfile):
    class Boom(Every):
        def on_tick(self, engine, tick):
            super().on_tick(engine, tick)
            if self.n == 23_456:
                raise ValueError("boom")

    s = Boom()
    e = make_engine()
    with pytest.raises(ValueError, match="boom") as info:
        e.run_file(tickfile, s, chunk_ticks=5_000, progress=False)
    assert s.calls == ["start", "stop"]
    assert any("23,456 of 60,000" in n for n in info.value.__notes__)
    assert e.pending_events == 0
    assert e.statistics().ticks_processed == 23_456
    e.buy(0, 0.1)  # usable


def test_run_file_builds_bars_on_the_price_asked(tickfile):
    """A strategy's bars with a price (issue 13) carry over windows as bid bars do."""
    mid, bid = Crossing(), Crossing()
    mid.bars = [(0, hqt.M5, "mid"), (0, hqt.M1, "ask")]
    make_engine(TICKS).run(bid, progress=False)
    r2 = make_engine().run_file(tickfile, mid, chunk_ticks=5_000, progress=False)
    ref = Crossing()
    ref.bars = mid.bars
    r3 = make_engine(TICKS).run(ref, progress=False)
    assert mid.closes == ref.closes and mid.closes != bid.closes
    assert_deals_equal(r2, r3)


def test_run_file_memory_is_bounded(tmp_path):
    """Peak resident memory of run_file does not grow with the file (1.2M vs 4.8M ticks)."""
    peaks = []
    for n in (1_200_000, 4_800_000):
        path = tmp_path / f"{n}.hqtt"
        with TF.TickFileWriter(path, "EURUSD") as w:
            start = T0
            for i in range(0, n, 400_000):
                c = random_walk_ticks(400_000, seed=i, start=start)
                w.append(c.time, c.bid, c.ask)
                start = int(c.time[-1]) + 10**9
        e = make_engine()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM
        before = _status_kb("VmRSS")
        r = e.run_file(path, Crossing(), chunk_ticks=100_000, progress=False)
        peaks.append((_status_kb("VmHWM") - before) / 1024)
        assert r.statistics.ticks_processed == n
        e.dispose()
        os.unlink(path)
    small, large = peaks
    data_large_mb = 4_800_000 * 24 / 2**20  # 110 MB if it were all resident
    assert large < small + 8, peaks
    assert large < data_large_mb / 4, peaks


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)
