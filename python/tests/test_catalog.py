"""The Parquet data catalog (issue 14, item 5): partitioned by symbol and
UTC date, read back by symbol and time range, streamed into an engine."""

from __future__ import annotations

import numpy as np
import pytest

import hqt
from hqt import catalog as C

pytest.importorskip("pyarrow")

T0 = int(np.datetime64("2024-03-01T22:00", "ns").astype(np.int64))
HOUR = 3600 * 10**9


def ticks(n: int, start: int = T0, step: int = HOUR // 4) -> hqt.TickData:
    t = start + np.arange(n, dtype=np.int64) * step
    bid = 1.1 + np.arange(n) * 1e-5
    return hqt.TickData(t, bid, bid + 2e-5)


def test_write_partitions_by_symbol_and_day_and_load_filters(tmp_path):
    data = ticks(20)  # 22:00 on 1 March .. 02:45 on 2 March
    a, b = ticks(8), ticks(12, T0 + 8 * HOUR // 4)  # two chunks; b's prices start again
    assert hqt.write_catalog(tmp_path, "EURUSD", [a, b]) == 20
    hqt.write_catalog(tmp_path, "GBPUSD", ticks(3))
    days = sorted(p.name for p in (tmp_path / "ticks" / "symbol=EURUSD").iterdir())
    assert days == ["date=2024-03-01", "date=2024-03-02"]
    assert C.catalog_symbols(tmp_path) == ["EURUSD", "GBPUSD"]
    got = hqt.load_catalog(["EURUSD", "GBPUSD"], None, None, catalog=tmp_path)
    assert got["EURUSD"].time.tolist() == data.time.tolist()
    assert got["EURUSD"].ask.tolist() == [*a.ask.tolist(), *b.ask.tolist()]
    assert len(got["GBPUSD"]) == 3
    # [23:00 on 1 March, 01:00 on 2 March): both days, cut inside each
    part = hqt.load_catalog("EURUSD", "2024-03-01T23:00", "2024-03-02T01:00", catalog=tmp_path)[
        "EURUSD"
    ]
    assert part.time.tolist() == data.time[4:12].tolist()


def test_load_into_engine_streams_every_batch(tmp_path, monkeypatch):
    hqt.write_catalog(tmp_path, "EURUSD", ticks(50))
    seen = []
    real = C._series
    monkeypatch.setattr(C, "_series", lambda *a: seen.append(1) or real(*a))
    eng = hqt.Engine(10_000, "USD", 100)
    eng.add_symbol("EURUSD")
    assert hqt.load_catalog("EURUSD", None, "2024-03-02T06:00", catalog=tmp_path, engine=eng) == {
        "EURUSD": 32
    }
    assert len(seen) >= 2  # two days: two files, at least one batch each
    eng.run()
    assert eng.symbol("EURUSD") is not None
    eng.dispose()


def test_bars_and_an_fsspec_url(tmp_path):
    pytest.importorskip("fsspec")
    t = T0 + np.arange(5, dtype=np.int64) * 60 * 10**9
    bars = hqt.BarData(
        t, np.full(5, 1.1), np.full(5, 1.2), np.full(5, 1.0), np.full(5, 1.15), np.arange(5.0), 1
    )
    url = "memory://hqt-test-catalog"
    hqt.write_catalog(url, "EURUSD", bars)
    got = hqt.load_catalog("EURUSD", None, None, catalog=url, kind="bars", timeframe=1)["EURUSD"]
    assert got.time.tolist() == t.tolist() and got.volume.tolist() == [0, 1, 2, 3, 4]
    assert got.timeframe == 1


def test_errors_name_what_the_catalog_holds(tmp_path):
    hqt.write_catalog(tmp_path, "EURUSD", ticks(2))
    with pytest.raises(
        hqt.InvalidArgumentError, match=r"no ticks of \['USDJPY'\]; it holds \['EURUSD'\]"
    ):
        hqt.load_catalog("USDJPY", None, None, catalog=tmp_path)
    with pytest.raises(hqt.InvalidArgumentError, match="plain name"):
        hqt.write_catalog(tmp_path, "../x", ticks(2))
    with pytest.raises(hqt.InvalidArgumentError, match="backwards"):
        hqt.write_catalog(
            tmp_path, "EURUSD", hqt.TickData(np.array([2, 1]), np.ones(2), np.ones(2))
        )


def test_csv_to_catalog_streams_a_dukascopy_file(tmp_path):
    rows = [
        f"0{d}.03.2024 23:59:{s:02d}.000,1.2{s:02d},1.1{s:02d},1,1"
        for d in (1, 2)
        for s in range(30)
    ]
    p = tmp_path / "duka.csv"
    p.write_text("Gmt time,Ask,Bid,AskVolume,BidVolume\n" + "\n".join(rows) + "\n")
    assert hqt.csv_to_catalog(p, tmp_path / "cat", "EURUSD") == 60
    got = hqt.load_catalog("EURUSD", "2024-03-02", None, catalog=tmp_path / "cat")["EURUSD"]
    assert len(got) == 30 and got.bid[0] == 1.100
