"""CSV loaders: MetaTrader 5 ticks/bars, MetaTrader 4 bars, plain files, malformed lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, T0, snapshot
from hqt import data

MS = 1_000_000

MT5_TICKS = (
    "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
    "2024.01.02\t00:00:00.100\t\t1.10460\t\t\t4\n"  # ask only: no bid yet -> skipped
    "2024.01.02\t00:00:00.250\t1.10450\t\t\t\t2\n"  # bid given, ask carried
    "2024.01.02\t00:00:01.000\t1.10455\t1.10470\t\t\t6\n"
    "2024.01.02\t00:00:01.500\t\t\t1.10460\t1\t8\n"  # LAST only -> skipped
    "\n"
    "2024.01.02\t00:00:02.007\t\t1.10480\t\t\t4\n"  # bid carried
    "2024.01.02\t00:00:02.007\t1.10440\t\t\t\t2\n"  # same time is fine
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_mt5_ticks(tmp_path):
    p = write(tmp_path, "ticks.csv", MT5_TICKS)
    assert data.detect_format(p) == "mt5_ticks"
    d = data.read_csv(p)
    assert isinstance(d, data.TickData) and len(d) == 4
    assert d.time.tolist() == [T0 + 250 * MS, T0 + SEC, T0 + 2007 * MS, T0 + 2007 * MS]
    assert d.bid.tolist() == [1.10450, 1.10455, 1.10455, 1.10440]
    assert d.ask.tolist() == [1.10460, 1.10470, 1.10480, 1.10480]
    assert d.time.dtype == np.int64 and d.bid.dtype == np.float64


def test_mt5_ticks_into_engine(tmp_path):
    p = write(tmp_path, "ticks.csv", MT5_TICKS)
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    assert e.load_csv("EURUSD", p) == 4
    seen: list[tuple[int, float, float]] = []

    class Rec(hqt.Strategy):
        def on_tick(self, engine, tick):
            seen.append((tick.time, tick.bid, tick.ask))

    e.run(Rec())
    assert seen[1] == (T0 + SEC, 1.10455, 1.10470) and len(seen) == 4


def test_mt5_ticks_utf16_with_bom_and_crlf(tmp_path):
    p = write(tmp_path, "ticks16.csv", "\ufeff" + MT5_TICKS.replace("\n", "\r\n"), "utf-16-le")
    d = data.read_ticks(p)
    assert len(d) == 4 and d.bid[0] == 1.10450


def test_mt5_ticks_without_milliseconds_and_header(tmp_path):
    p = write(
        tmp_path,
        "t.csv",
        "2024.01.02\t00:00:05\t1.1\t1.1002\n2024.01.02\t00:00:06\t1.1001\t1.1003\n",
    )
    d = data.read_csv(p)
    assert d.time.tolist() == [T0 + 5 * SEC, T0 + 6 * SEC]


MT5_BARS = (
    "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
    "2024.01.02\t00:00:00\t1.10450\t1.10500\t1.10400\t1.10480\t120\t0\t2\n"
    "2024.01.02\t00:05:00\t1.10480\t1.10520\t1.10470\t1.10510\t95\t7\t2\n"
    "2024.01.02\t00:15:00\t1.10510\t1.10510\t1.10300\t1.10350\t210\t3\t3\n"
)


def test_mt5_bars(tmp_path):
    p = write(tmp_path, "bars.csv", MT5_BARS)
    assert data.detect_format(p) == "mt5_bars"
    d = data.read_bars(p)
    assert d.timeframe == hqt.M5
    assert d.time.tolist() == [T0, T0 + 5 * MIN, T0 + 15 * MIN]
    assert d.open.tolist() == [1.10450, 1.10480, 1.10510]
    assert d.high.tolist() == [1.10500, 1.10520, 1.10510]
    assert d.low.tolist() == [1.10400, 1.10470, 1.10300]
    assert d.close.tolist() == [1.10480, 1.10510, 1.10350]
    assert d.volume.tolist() == [120, 95, 210]
    assert data.read_bars(p, volume="real").volume.tolist() == [0, 7, 3]
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    assert e.load_csv(0, p) == 3
    bars: list[hqt.Bar] = []

    class Rec(hqt.Strategy):
        def on_bar(self, engine, bar):
            bars.append(bar)

    e.run(Rec())
    assert [(b.timeframe, b.time, b.close, b.volume) for b in bars] == [
        (5, T0, 1.1048, 120.0),
        (5, T0 + 5 * MIN, 1.1051, 95.0),
        (5, T0 + 15 * MIN, 1.1035, 210.0),
    ]


def test_mt5_daily_bars_without_time_column(tmp_path):
    p = write(
        tmp_path,
        "d1.csv",
        "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
        "2024.01.02\t1.1\t1.2\t1.0\t1.15\t1000\t0\t1\n"
        "2024.01.03\t1.15\t1.25\t1.1\t1.2\t900\t0\t1\n"
        "2024.01.05\t1.2\t1.3\t1.1\t1.25\t800\t0\t1\n",
    )
    d = data.read_bars(p)
    assert d.timeframe == hqt.D1 and d.time.tolist() == [T0, T0 + 1440 * MIN, T0 + 3 * 1440 * MIN]


def test_mt4_bars(tmp_path):
    p = write(
        tmp_path,
        "mt4.csv",
        "2024.01.02,00:00,1.1045,1.1050,1.1040,1.1048,120\n"
        "2024.01.02,00:01,1.1048,1.1052,1.1047,1.1051,95\n"
        "2024.01.02,00:03,1.1051,1.1051,1.1030,1.1035,210\n",
    )
    assert data.detect_format(p) == "mt4_bars"
    d = data.read_bars(p)
    assert d.timeframe == hqt.M1
    assert d.time.tolist() == [T0, T0 + MIN, T0 + 3 * MIN]
    assert d.close.tolist() == [1.1048, 1.1051, 1.1035] and d.volume.tolist() == [120, 95, 210]


def test_plain_ticks_ns(tmp_path):
    p = write(tmp_path, "plain.csv", f"time,bid,ask\n{T0},1.1,1.1002\n{T0 + 5},1.1001,1.1003\n")
    assert data.detect_format(p) == "plain_ticks"
    d = data.read_ticks(p)
    assert d.time.tolist() == [T0, T0 + 5] and d.ask.tolist() == [1.1002, 1.1003]


def test_plain_ticks_iso_columns_in_any_order(tmp_path):
    p = write(
        tmp_path,
        "iso.csv",
        "ask,symbol,time,bid\n"
        "1.1002,EURUSD,2024-01-02T00:00:00.123456789Z,1.1\n"
        "1.1003,EURUSD,2024-01-02 00:00:01,1.1001\n"
        "1.1004,EURUSD,2024-01-02T02:00:02+02:00,1.1002\n"
        "1.1005,EURUSD,2024-01-01T19:00:03-05:00,1.1003\n",
    )
    d = data.read_ticks(p)
    assert d.time.tolist() == [T0 + 123_456_789, T0 + SEC, T0 + 2 * SEC, T0 + 3 * SEC]
    assert d.bid.tolist() == [1.1, 1.1001, 1.1002, 1.1003]


def test_plain_bars(tmp_path):
    p = write(
        tmp_path,
        "pb.csv",
        "time,open,high,low,close,volume\n"
        f"{T0},1.1,1.2,1.0,1.15,10\n{T0 + 60 * MIN},1.15,1.2,1.1,1.12,11\n",
    )
    assert data.detect_format(p) == "plain_bars"
    d = data.read_bars(p)
    assert d.timeframe == hqt.H1 and d.volume.tolist() == [10, 11]


def test_bars_timeframe_inference_and_override(tmp_path):
    p = write(tmp_path, "one.csv", "2024.01.02,00:00,1.1,1.2,1.0,1.15,1\n")
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError, match="timeframe"):
        e.load_csv(0, p)
    assert e.load_csv(0, p, timeframe=hqt.H4) == 1
    t = write(tmp_path, "t.csv", f"time,bid,ask\n{T0 + 10 * MIN},1.1,1.2\n")
    with pytest.raises(hqt.InvalidArgumentError, match="ticks"):
        e.load_csv(0, t, timeframe=hqt.M1)
    assert data.infer_timeframe(np.array([T0, T0 + 31 * 1440 * MIN])) == hqt.MN1
    assert data.infer_timeframe(np.array([T0, T0 + 7 * MIN])) is None


MALFORMED = [
    ("mt5 tick too few fields", MT5_TICKS + "2024.01.02\t00:00:03.000\t1.1\n", 9, "fields"),
    ("mt5 tick bad number", MT5_TICKS + "2024.01.02\t00:00:03.000\t1.1x\t1.2\t\t\t6\n", 9, "1.1x"),
    (
        "mt5 tick bad date",
        MT5_TICKS + "2024.13.02\t00:00:03.000\t1.1\t1.2\t\t\t6\n",
        9,
        "2024.13.02",
    ),
    (
        "mt5 tick bad time",
        MT5_TICKS + "2024.01.02\t25:00:03.000\t1.1\t1.2\t\t\t6\n",
        9,
        "date/time",
    ),
    (
        "mt5 bar empty field",
        MT5_BARS + "2024.01.02\t00:20:00\t\t1.2\t1.0\t1.1\t5\t0\t1\n",
        5,
        "empty",
    ),
    (
        "mt4 bar short",
        "2024.01.02,00:00,1.1,1.2,1.0,1.15,1\n2024.01.02,00:01,1.1,1.2\n",
        2,
        "fields",
    ),
    (
        "mt4 bar bad volume",
        "2024.01.02,00:00,1.1,1.2,1.0,1.15,1\n2024.01.02,00:01,1.1,1.2,1.0,1.1,x\n",
        2,
        "volume",
    ),
    ("plain bad ns", f"time,bid,ask\n{T0},1.1,1.2\n99999999999999999999,1.1,1.2\n", 3, "int64"),
    (
        "plain bad iso",
        "time,bid,ask\n2024-01-02T00:00:00,1.1,1.2\n2024-01-02T00:00:0x,1.1,1.2\n",
        3,
        "0x",
    ),
    (
        "plain mixed time kinds",
        f"time,bid,ask\n2024-01-02T00:00:00,1.1,1.2\n{T0},1.1,1.2\n",
        3,
        "mixes",
    ),
    ("plain missing column", "time,bid\n1,1.1\n", 1, "ask"),
    ("unknown format", "hello world\n1,2,3\n", 1, "unrecognised"),
]


@pytest.mark.parametrize(
    "text,line,fragment", [(m[1], m[2], m[3]) for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_lines_name_file_and_line(tmp_path, text, line, fragment):
    p = write(tmp_path, "bad.csv", text)
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    before = snapshot(e)
    with pytest.raises(hqt.CSVFormatError) as info:
        e.load_csv(0, p)
    err = info.value
    assert err.path == str(p) and err.line == line
    assert str(err).startswith(f"{p}:{line}: ")
    assert fragment in str(err)
    assert isinstance(err, ValueError) and isinstance(err, hqt.HQTError)
    assert snapshot(e) == before


# values that parse but break the engine's data rules: the engine's own check
# (hqt_validate_ticks / hqt_validate_bars) decides, so the class and message are what
# Engine.load_ticks / load_bars give; the file and line come first, and as attributes
RULE_BROKEN = [
    (
        "mt5 tick negative",
        MT5_TICKS + "2024.01.02\t00:00:03.000\t-1.1\t1.2\t\t\t6\n",
        9,
        hqt.InvalidPriceError,
        "bid and ask must be finite and > 0 (got -1.1, 1.2)",
    ),
    (
        "mt5 tick NaN",
        MT5_TICKS + "2024.01.02\t00:00:03.000\tnan\t1.2\t\t\t6\n",
        9,
        hqt.InvalidPriceError,
        "(got NaN or infinite, 1.2)",
    ),
    (
        "mt5 tick crossed",
        MT5_TICKS + "2024.01.02\t00:00:03.000\t1.3\t1.2\t\t\t6\n",
        9,
        hqt.BadDataError,
        "ask 1.2 is below bid 1.3",
    ),
    (
        "mt5 tick backwards",
        MT5_TICKS + "2024.01.02\t00:00:01.000\t1.1\t1.2\t\t\t6\n",
        9,
        hqt.DataOrderError,
        "goes backwards",
    ),
    (
        "mt5 bar high < low",
        MT5_BARS + "2024.01.02\t00:20:00\t1.1\t1.0\t1.2\t1.1\t5\t0\t1\n",
        5,
        hqt.BadDataError,
        "do not contain open",
    ),
    (
        "mt5 bar close above high",
        MT5_BARS + "2024.01.02\t00:20:00\t1.1\t1.2\t1.0\t1.3\t5\t0\t1\n",
        5,
        hqt.BadDataError,
        "do not contain open",
    ),
    (
        "mt5 bar backwards",
        MT5_BARS + "2024.01.02\t00:10:00\t1.1\t1.2\t1.0\t1.1\t5\t0\t1\n",
        5,
        hqt.DataOrderError,
        "is not after the previous bar's",
    ),
    (
        "plain zero price",
        f"time,bid,ask\n{T0},0,1.2\n",
        2,
        hqt.InvalidPriceError,
        "must be finite and > 0 (got 0, 1.2)",
    ),
]


@pytest.mark.parametrize(
    "text,line,cls,fragment", [m[1:] for m in RULE_BROKEN], ids=[m[0] for m in RULE_BROKEN]
)
def test_rule_breaking_lines_raise_the_engines_error(tmp_path, text, line, cls, fragment):
    p = write(tmp_path, "bad.csv", text)
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    before = snapshot(e)
    with pytest.raises(cls) as info:
        e.load_csv(0, p)
    err = info.value
    assert type(err) is cls
    assert err.path == str(p) and err.line == line
    kind = "tick" if "tick" in str(err) else "bar"
    assert str(err).startswith(f"{p}:{line}: {kind} {err.index}: ")
    assert fragment in str(err)
    assert snapshot(e) == before


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(hqt.CSVFormatError, match="cannot read"):
        data.read_csv(tmp_path / "nope.csv")
    with pytest.raises(hqt.CSVFormatError, match="empty"):
        data.read_csv(write(tmp_path, "empty.csv", "\n\n"))
    d = data.read_csv(write(tmp_path, "h.csv", "<DATE>\t<TIME>\t<BID>\t<ASK>\n"))
    assert len(d) == 0
    with pytest.raises(hqt.InvalidArgumentError, match="format"):
        data.read_csv(write(tmp_path, "x.csv", "time,bid,ask\n"), format="excel")


def test_explicit_format_and_read_helpers(tmp_path):
    p = write(tmp_path, "plain.csv", f"time,bid,ask\n{T0},1.1,1.1002\n")
    assert len(data.read_csv(p, "plain_ticks")) == 1
    with pytest.raises(hqt.InvalidArgumentError, match="ticks"):
        data.read_bars(p)
    b = write(tmp_path, "b.csv", MT5_BARS)
    with pytest.raises(hqt.InvalidArgumentError, match="bars"):
        data.read_ticks(b)
