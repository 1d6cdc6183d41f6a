"""Feed formats and time zones of the pyarrow CSV reader (issue 14, item 5):
Dukascopy and HistData exports, time_column= / time_format= / dayfirst=,
tz= and MT5's broker_tz= (with DST), the error listing accepted columns,
and the streaming load giving what the whole-file read gives."""

from __future__ import annotations

import numpy as np
import pytest

import hqt
from hqt import _fastcsv, _timeparse, data

pytest.importorskip("pyarrow")


def ns(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


DUKA = (
    "Gmt time,Ask,Bid,AskVolume,BidVolume\n"
    "01.02.2024 22:00:04.123,1.10462,1.10455,0.9,0.9\n"
    "01.02.2024 22:00:05.000,1.10463,1.10456,1.2,0.9\n"
)


def test_dukascopy_ticks_are_detected_and_read_day_first(tmp_path):
    p = write(tmp_path, "duka.csv", DUKA)
    assert data.detect_format(p) == "dukascopy_ticks"
    d = hqt.read_csv(p)
    # 01.02.2024 is the 1st of February (day first), Gmt time is UTC
    assert d.time.tolist() == [ns("2024-02-01T22:00:04.123"), ns("2024-02-01T22:00:05")]
    assert d.bid.tolist() == [1.10455, 1.10456]  # Ask comes first in the file
    assert d.ask.tolist() == [1.10462, 1.10463]


def test_dukascopy_local_time_carries_its_offset(tmp_path):
    p = write(
        tmp_path,
        "local.csv",
        "Local time,Open,High,Low,Close,Volume\n"
        "02.01.2024 00:00:00.000 GMT+0200,1.1,1.2,1.0,1.15,10\n"
        "02.01.2024 00:01:00.000 GMT+0200,1.1,1.2,1.0,1.15,12\n",
    )
    b = hqt.read_bars(p)
    assert b.time.tolist() == [ns("2024-01-01T22:00"), ns("2024-01-01T22:01")]
    assert b.timeframe == 1 and b.volume.tolist() == [10, 12]


def test_times_with_their_own_offset_refuse_a_second_one(tmp_path):
    iso = write(
        tmp_path,
        "iso.csv",
        "time,bid,ask\n2024-01-02T10:00:00+02:00,1.1,1.2\n2024-01-02T10:00:01+02:00,1.1,1.2\n",
    )
    # the offset alone makes them UTC
    assert hqt.read_csv(iso).time[0] == ns("2024-01-02T08:00:00")
    duka = write(
        tmp_path,
        "local.csv",
        "Local time,Open,High,Low,Close,Volume\n"
        "02.01.2024 00:00:00.000 GMT+0200,1.1,1.2,1.0,1.15,10\n",
    )
    for p in (iso, duka):
        with pytest.raises(hqt.InvalidArgumentError, match="carry their own UTC offset.*tz= would"):
            hqt.read_csv(p, tz="+02:00")
        with pytest.raises(hqt.InvalidArgumentError, match="carry their own UTC offset"):
            e = hqt.Engine(10_000.0, "USD", 100)
            e.load_csv(e.add_symbol("EURUSD"), p, tz="+02:00")
    # without an offset in the text, tz= is what makes them UTC
    plain = write(tmp_path, "plain.csv", "time,bid,ask\n2024-01-02T10:00:00,1.1,1.2\n")
    assert hqt.read_csv(plain, tz="+02:00").time[0] == ns("2024-01-02T08:00:00")


def test_histdata_ticks_and_bars_are_eastern_standard_time(tmp_path):
    ticks = write(
        tmp_path, "t.csv", "20240102 000000123,1.10455,1.10462,0\n20240102 000001500,1.1,1.2,0\n"
    )
    bars = write(
        tmp_path, "b.csv", "20240102 170000;1.1;1.2;1.0;1.1;0\n20240102 170100;1.1;1.2;1.0;1.1;0\n"
    )
    assert data.detect_format(ticks) == "histdata_ticks"
    assert data.detect_format(bars) == "histdata_bars"
    # HistData writes EST (UTC-5) all year, without daylight saving
    assert hqt.read_csv(ticks).time.tolist() == [
        ns("2024-01-02T05:00:00.123"),
        ns("2024-01-02T05:00:01.5"),
    ]
    assert hqt.read_csv(bars).time[0] == ns("2024-01-02T22:00")
    assert hqt.read_csv(ticks, tz="UTC").time[0] == ns("2024-01-02T00:00:00.123")


def test_missing_time_column_lists_accepted_names_and_time_column_fixes_it(tmp_path):
    p = write(tmp_path, "odd.csv", "When,Bid,Ask\n2024-01-31 10:00:00,1.1,1.2\n")
    with pytest.raises(hqt.CSVFormatError) as ei:
        hqt.read_csv(p)
    msg = str(ei.value)
    assert "accepted names" in msg and "timestamp" in msg and "time_column=" in msg
    assert "when, bid, ask" in msg
    assert hqt.read_csv(p, time_column="When").time.tolist() == [ns("2024-01-31T10:00")]


def test_dayfirst_and_time_format_and_tz_with_dst(tmp_path):
    text = "Date,Bid,Ask\n31/01/2024 10:00:00,1.1,1.2\n01/07/2024 10:00:00,1.1,1.2\n"
    p = write(tmp_path, "eu.csv", text)
    with pytest.raises(hqt.CSVFormatError):
        hqt.read_csv(p)  # month 31 does not exist: not silently month-first
    got = hqt.read_csv(p, dayfirst=True, tz="Europe/Berlin").time.tolist()
    # Berlin is UTC+1 in January, UTC+2 (summer time) in July
    assert got == [ns("2024-01-31T09:00"), ns("2024-07-01T08:00")]
    same = hqt.read_csv(p, time_format="%d/%m/%Y %H:%M:%S", tz="+01:00").time.tolist()
    assert same == [ns("2024-01-31T09:00"), ns("2024-07-01T09:00")]


MT5 = (
    "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
    "2024.01.15\t00:00:00.123\t1.1\t1.2\t\t\t6\n"
    "2024.01.15\t00:00:01.000\t\t1.3\t\t\t4\n"
    "2024.07.15\t00:00:02.000\t1.05\t\t\t\t2\n"
)


def test_mt5_utf16_export_with_broker_time_and_us_dst(tmp_path):
    p = write(tmp_path, "mt5.csv", "\ufeff" + MT5, "utf-16-le")
    d = hqt.read_csv(p, broker_tz="America/New_York+7")
    # broker time = New York + 7 h: UTC+2 in January, UTC+3 in July (US DST)
    assert d.time.tolist() == [
        ns("2024-01-14T22:00:00.123"),
        ns("2024-01-14T22:00:01"),
        ns("2024-07-14T21:00:02"),
    ]
    assert d.bid.tolist() == [1.1, 1.1, 1.05] and d.ask.tolist() == [1.2, 1.3, 1.3]
    assert hqt.read_csv(p, broker_tz=2).time[0] == ns("2024-01-14T22:00:00.123")
    with pytest.raises(hqt.InvalidArgumentError, match="broker_tz= is for MetaTrader"):
        hqt.read_csv(write(tmp_path, "d.csv", DUKA), broker_tz=2)
    with pytest.raises(hqt.InvalidArgumentError, match="unknown time zone"):
        hqt.read_csv(p, broker_tz="Mars/Olympus")


def test_ambiguous_hour_when_dst_ends_stays_in_order():
    # Berlin, 2024-10-27: 02:00-03:00 local happens twice
    local = np.array(
        [ns(f"2024-10-27T{t}") for t in ("01:59", "02:10", "02:50", "02:05", "02:40", "03:00")]
    )
    state: dict = {}
    zone = _fastcsv.check_tz("Europe/Berlin")
    # split in two batches: the second pass carries over
    got = np.concatenate(
        [_fastcsv.to_utc(local[:3], zone, state), _fastcsv.to_utc(local[3:], zone, state)]
    )
    expect = [ns("2024-10-26T23:59")]  # summer time, UTC+2
    expect += [ns(f"2024-10-27T{t}") for t in ("00:10", "00:50")]  # first pass: UTC+2
    expect += [ns(f"2024-10-27T{t}") for t in ("01:05", "01:40", "02:00")]  # then UTC+1
    assert got.tolist() == expect
    assert (np.diff(got) > 0).all()


def test_time_parser_rejects_bad_values_with_their_row():
    import pyarrow as pa

    arr = pa.array(["2024.01.02", "2024.13.02", "2024.02.30"])
    parts = _timeparse.compile_format("%Y.%m.%d", arr[0].as_py())
    with pytest.raises(_timeparse.TimeFormatError) as ei:
        _timeparse.parse_fixed(_timeparse.string_matrix(pa, arr), parts, "date")
    assert ei.value.row == 1
    ok = pa.array(["2024.02.29", "2000.02.29", "1970.01.01"])
    got = _timeparse.parse_fixed(_timeparse.string_matrix(pa, ok), parts, "date")
    assert got.tolist() == [ns("2024-02-29"), ns("2000-02-29"), 0]


def test_bad_value_in_a_new_format_names_the_line(tmp_path):
    p = write(tmp_path, "bad.csv", DUKA + "01.02.2024 22:00:0x.000,1.1,1.0,1,1\n")
    with pytest.raises(hqt.CSVFormatError) as ei:
        hqt.read_csv(p)
    assert ei.value.line == 4 and "22:00:0x" in str(ei.value)


def test_streamed_load_equals_whole_read_across_batches(tmp_path, monkeypatch):
    rows = [
        f"{d:02d}.01.2024 10:00:{s:02d}.250,1.2{s:02d},1.1{s:02d},1,1"
        for d in (3, 4)
        for s in range(60)
    ]
    p = write(
        tmp_path, "many.csv", "Gmt time,Ask,Bid,AskVolume,BidVolume\n" + "\n".join(rows) + "\n"
    )
    monkeypatch.setattr(_fastcsv, "BLOCK_BYTES", 500)  # ~11 rows a batch: many batches
    whole = hqt.read_csv(p)
    eng = hqt.Engine(10_000, "USD", 100)
    eng.add_symbol("EURUSD")
    assert eng.load_csv("EURUSD", p) == 120 == len(whole)
    assert whole.time[0] == ns("2024-01-03T10:00:00.25") and whole.bid[-1] == 1.159
    eng.dispose()
