"""One rule, one place: the engine's data rules reach Python only through the core.

Tick and bar validation (hqt_validate_ticks / hqt_validate_bars, the rule
Engine.load_ticks / load_bars apply) and bar periods (hqt_timeframe_*, the
calendar the engine builds bars on) used to be re-implemented in
hqt.frames, hqt.data, hqt.tickfile and hqt.testing, with four different
exceptions for one bad bid. These tests feed the same bad data through every
entry point and expect the same exception class and the same message (after
the entry point's own "where": the symbol for the engine, file and line for
CSV files); and they compare Python-side bar periods with the bars the
engine builds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, T0
from hqt import _hqt, data, frames
from hqt import testing as T
from hqt import tickfile as TF
from hqt.data import BarData, TickData

N = 5
BAD = 2  # the bad row


def good_ticks():
    t = T0 + np.arange(N, dtype=np.int64) * SEC
    return t, np.full(N, 1.1), np.full(N, 1.1002)


def bad_bid():
    t, b, a = good_ticks()
    b[BAD] = -1.1
    return t, b, a


def crossed():
    t, b, a = good_ticks()
    a[BAD] = 1.0
    return t, b, a


def backwards():
    t, b, a = good_ticks()
    t[BAD] = t[BAD - 1] - 1
    return t, b, a


def nan_bid():
    t, b, a = good_ticks()
    b[BAD] = math.nan
    return t, b, a


TICK_CASES = {
    "bad bid": (
        bad_bid,
        hqt.InvalidPriceError,
        "bid and ask must be finite and > 0 (got -1.1, 1.1002)",
    ),
    "ask < bid": (crossed, hqt.BadDataError, "ask 1 is below bid 1.1"),
    "backwards": (backwards, hqt.DataOrderError, "goes backwards"),
    "NaN": (nan_bid, hqt.InvalidPriceError, "(got NaN or infinite, 1.1002)"),
}


def _engine():
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    return e


def _raised(fn):
    with pytest.raises(hqt.HQTError) as info:
        fn()
    return info.value


def _csv(tmp_path, t, b, a):
    p = tmp_path / "ticks.csv"
    p.write_text(
        "time,bid,ask\n"
        + "".join(
            f"{ti},{bi!r},{ai!r}\n"
            for ti, bi, ai in zip(t.tolist(), b.tolist(), a.tolist(), strict=True)
        )
    )
    return p


@pytest.mark.parametrize("case", list(TICK_CASES))
def test_a_bad_tick_raises_one_error_everywhere(case, tmp_path):
    make, cls, fragment = TICK_CASES[case]
    t, b, a = make()
    core = _raised(lambda: _hqt.validate_ticks(t, b, a))
    assert type(core) is cls and core.index == BAD
    msg = str(core)
    assert msg.startswith(f"tick {BAD}: ") and fragment in msg
    csv = _csv(tmp_path, t, b, a)
    line = BAD + 2  # header, then one line per tick
    expected = {  # entry point -> (call, message)
        "engine.load_ticks": (lambda: _engine().load_ticks(0, t, b, a), "EURUSD " + msg),
        "frames.validate_ticks": (lambda: frames.validate_ticks(TickData(t, b, a)), msg),
        "data.read_ticks (CSV)": (lambda: data.read_ticks(csv), f"{csv}:{line}: {msg}"),
        "engine.load_csv": (lambda: _engine().load_csv(0, csv), f"{csv}:{line}: {msg}"),
        "TickFileWriter.append": (lambda: _write(tmp_path, t, b, a), msg),
        "tickfile.convert (CSV)": (
            lambda: TF.convert(csv, tmp_path / "c.hqtt"),
            f"{csv}:{line}: {msg}",
        ),
    }
    if not math.isnan(b[BAD]):
        expected["TickFileWriter.append_micro"] = (
            lambda: _write(tmp_path, t, _micro(b), _micro(a), micro=True),
            msg,
        )
        expected["engine.load_ticks_micro"] = (
            lambda: _engine().load_ticks_micro(0, t, _micro(b), _micro(a)),
            "EURUSD " + msg,
        )
    pd = _optional_module("pandas")
    if pd is not None:
        df = pd.DataFrame({"bid": b, "ask": a}, index=pd.DatetimeIndex(t.view("M8[ns]")))
        expected["engine.load_dataframe"] = (
            lambda: _engine().load_dataframe(0, df),
            "EURUSD " + msg,
        )
        pa = _optional_module("pyarrow")
        if pa is not None:
            import pyarrow.parquet as pq

            pqp = tmp_path / "ticks.parquet"
            pq.write_table(pa.table({"time": t, "bid": b, "ask": a}), pqp)
            expected["engine.load_parquet"] = (
                lambda: _engine().load_parquet(0, pqp),
                f"{pqp}: row 0 + {msg}",
            )
    for name, (call, message) in expected.items():
        err = _raised(call)
        assert type(err) is cls, (name, type(err), err)
        assert str(err) == message, name


def _micro(x):
    return np.array([_hqt.to_micro(v) for v in x], dtype=np.int64)


def _write(tmp_path, t, b, a, micro=False):
    with TF.TickFileWriter(tmp_path / "w.hqtt") as w:
        (w.append_micro if micro else w.append)(t, b, a)


def _optional_module(name):
    try:
        return __import__(name)
    except ImportError:
        return None


def test_tick_file_writer_numbers_ticks_across_chunks_like_one_load(tmp_path):
    t, b, a = bad_bid()
    whole = _raised(lambda: _engine().load_ticks(0, t, b, a))
    with TF.TickFileWriter(tmp_path / "w.hqtt") as w:
        w.append(t[:1], b[:1], a[:1])
        err = _raised(lambda: w.append(t[1:], b[1:], a[1:]))
        assert type(err) is type(whole) and "EURUSD " + str(err) == str(whole)
        # against the last tick written, as the engine against its last loaded one
        err = _raised(lambda: w.append([t[0] - 1], [1.1], [1.2]))
        engine = _engine()
        engine.load_ticks(0, t[:1], b[:1], a[:1])
        loaded = _raised(lambda: engine.load_ticks(0, [t[0] - 1], [1.1], [1.2]))
        assert type(err) is type(loaded) is hqt.DataOrderError
        assert str(err) == str(loaded).replace("EURUSD tick 0", "tick 1")
        w.append(t[1:2], b[1:2], a[1:2])


BAR_CASES = {
    "bad low": (
        lambda o, h, lo, c, t: lo.__setitem__(BAD, -1.0),
        hqt.InvalidPriceError,
        "prices must be finite and > 0",
    ),
    "high < low": (
        lambda o, h, lo, c, t: h.__setitem__(BAD, 0.9),
        hqt.BadDataError,
        "do not contain open",
    ),
    "NaN close": (
        lambda o, h, lo, c, t: c.__setitem__(BAD, math.nan),
        hqt.InvalidPriceError,
        "prices must be finite and > 0",
    ),
    "backwards": (
        lambda o, h, lo, c, t: t.__setitem__(BAD, t[BAD - 1]),
        hqt.DataOrderError,
        "is not after the previous bar's",
    ),
}


@pytest.mark.parametrize("case", list(BAR_CASES))
def test_a_bad_bar_raises_one_error_everywhere(case, tmp_path):
    spoil, cls, fragment = BAR_CASES[case]
    t = T0 + np.arange(N, dtype=np.int64) * MIN
    o, h, lo, c, v = (np.full(N, x) for x in (1.1, 1.2, 1.0, 1.15, 5.0))
    spoil(o, h, lo, c, t)
    core = _raised(lambda: _hqt.validate_bars(hqt.M1, t, o, h, lo, c, v))
    assert type(core) is cls and core.index == BAD
    msg = str(core)
    assert msg.startswith(f"bar {BAD}: ") and fragment in msg
    csv = tmp_path / "bars.csv"
    csv.write_text(
        "time,open,high,low,close,volume\n"
        + "".join(
            f"{row[0]},{row[1]!r},{row[2]!r},{row[3]!r},{row[4]!r},{row[5]!r}\n"
            for row in zip(*(x.tolist() for x in (t, o, h, lo, c, v)), strict=True)
        )
    )
    line = BAD + 2
    calls = {
        "engine.load_bars": (
            lambda: _engine().load_bars(0, hqt.M1, t, o, h, lo, c, v),
            "EURUSD M1 " + msg,
        ),
        "frames.validate_bars": (lambda: frames.validate_bars(BarData(t, o, h, lo, c, v, 1)), msg),
        "data.read_bars (CSV)": (lambda: data.read_bars(csv), f"{csv}:{line}: {msg}"),
        "engine.load_csv": (
            lambda: _engine().load_csv(0, csv, timeframe=hqt.M1),
            f"{csv}:{line}: {msg}",
        ),
    }
    for name, (call, message) in calls.items():
        err = _raised(call)
        assert type(err) is cls, (name, type(err), err)
        assert str(err) == message, name


def test_validation_reads_numpy_buffers_in_place_and_rejects_other_dtypes():
    t, b, a = good_ticks()
    _hqt.validate_ticks(t, b, a)  # float64 prices
    _hqt.validate_ticks(t, _micro(b), _micro(a))  # int64 micro prices
    _hqt.validate_ticks(t[::1], memoryview(b), a)  # any buffer
    with pytest.raises(TypeError, match="int64 or float64"):
        _hqt.validate_ticks(t, b.astype(np.float32), a)
    with pytest.raises(TypeError, match="float64"):
        _hqt.validate_ticks(t, b, _micro(a))  # one kind for both prices
    with pytest.raises(TypeError, match="C-contiguous"):
        _hqt.validate_ticks(t[::2], b[::2], a[::2])
    with pytest.raises(hqt.InvalidArgumentError, match="same length"):
        _hqt.validate_ticks(t, b[:-1], a)
    e = _raised(
        lambda: _hqt.validate_ticks(
            t, b, a, previous_time_ns=int(t[-1]) + 1, subject="GBPUSD tick", first_index=100
        )
    )
    assert (
        str(e)
        == (
            f"GBPUSD tick 100: time {int(t[0])} goes backwards (before the previous "
            f"{int(t[-1]) + 1})"
        )
        and e.index == 0
    )


# ---- bar periods ---------------------------------------------------------------------------


def _ns(s: str) -> int:
    return int(np.datetime64(s, "ns").astype(np.int64))


#: month and year boundaries (leap days, centuries), the epoch's odd week, the int64 end
EDGE_TIMES = sorted(
    {0, 1, 4 * 86_400 * SEC - 1, 4 * 86_400 * SEC}
    | {
        _ns(s) + d
        for s in (
            "1970-01-31T23:59",
            "1999-12-31T23:59:59",
            "2000-02-29T12:00",
            "2000-03-01",
            "2023-12-31T23:59:59.999999999",
            "2024-01-01",
            "2024-02-28T23:59",
            "2024-02-29",
            "2024-02-29T23:59:59",
            "2024-03-01",
            "2024-12-30",
            "2025-01-05T23:59:59",
            "2025-01-06",
            "2100-02-28T22:00",
            "2100-03-01",
            "2262-03-31T23:59:59",
        )
        for d in (-1, 0, 1)
    }
)


def _engine_bar_opens(times, tf):
    """Open times of the bars the engine builds from ticks at `times`."""
    e = _engine()
    e.build_bars(0, tf)
    e.load_ticks(0, np.array(times, np.int64), np.full(len(times), 1.1), np.full(len(times), 1.2))
    opens = []

    class S:
        def on_bar(self, engine, bar):
            opens.append(bar.time)

    e.run(S(), progress=False)
    return opens


@pytest.mark.parametrize("tf", hqt.TIMEFRAMES)
def test_python_periods_are_the_engines_bar_open_times(tf):
    t = np.array(EDGE_TIMES, np.int64)
    periods = TF._periods(t, tf)
    assert periods.tolist() == [_hqt.timeframe_open_time(tf, x) for x in EDGE_TIMES]
    assert periods.tolist() == _reference_open_times(t, tf).tolist()
    assert sorted(set(periods.tolist())) == _engine_bar_opens(EDGE_TIMES, tf)
    closes = _hqt.timeframe_close_times(tf, t, np.empty_like(t))
    assert (closes > t).all() and (periods <= t).all()
    assert (_hqt.timeframe_open_times(tf, closes, np.empty_like(t)) == closes).all()
    assert (TF._periods(closes - 1, tf) == periods).all()


def _reference_open_times(t, tf):
    """numpy's calendar, independently of the engine (what tickfile and testing did)."""
    if tf == hqt.MN1:
        return t.view("M8[ns]").astype("M8[M]").astype("M8[ns]").view(np.int64)
    if tf == hqt.W1:
        week, monday = 7 * 1440 * MIN, 4 * 1440 * MIN
        return (t - monday) // week * week + monday
    return t // (tf * MIN) * (tf * MIN)


@pytest.mark.parametrize("tf", hqt.TIMEFRAMES)
def test_generated_bars_open_where_the_engine_opens_bars(tf):
    start = _ns("2023-11-29T13:17:05")
    bars = T.random_walk_bars(40, timeframe=tf, seed=3, start=start, gaps=2)
    t = bars.time
    # each bar opens its own period, the first one the period holding `start`
    assert (TF._periods(t, tf) == t).all() and t[0] == _hqt.timeframe_open_time(tf, start)
    # and the bars the engine builds from ticks one ns into each bar open at the same times
    assert _engine_bar_opens((t + 1).tolist(), tf) == t.tolist()
    # consecutive bars open where the one before closed, but for the two gaps
    closes = _hqt.timeframe_close_times(tf, t, np.empty_like(t))
    assert (t[1:] != closes[:-1]).sum() == 2


def test_period_errors_and_in_place_use():
    t = np.array([0, T0, _ns("2262-04-11")], np.int64)
    with pytest.raises(hqt.RangeError, match=r"time_ns\[2\].*MN1.*int64"):
        _hqt.timeframe_close_times(hqt.MN1, t, np.empty_like(t))
    with pytest.raises(hqt.InvalidArgumentError, match="negative"):
        _hqt.timeframe_open_time(hqt.M1, -1)
    with pytest.raises(hqt.InvalidArgumentError, match="not one of"):
        _hqt.timeframe_open_time(7, T0)
    with pytest.raises(TypeError, match="writable"):
        _hqt.timeframe_open_times(hqt.H1, t, np.frombuffer(bytes(24), np.int64))
    u = t[:2].copy()
    assert _hqt.timeframe_open_times(hqt.D1, u, u) is u  # in place
    assert u.tolist() == [0, T0]
    assert _hqt.timeframe_open_time(hqt.W1, 0) == -3 * 86_400 * SEC  # Monday 1969-12-29
    k = np.array([-1, 0, 1, 12, 2 * 12 * 100], np.int64)
    got = _hqt.timeframe_shifted_opens(hqt.MN1, _ns("2024-01-31T10:00"), k, np.empty_like(k))
    assert got.view("M8[ns]").astype(str).tolist() == [
        "2023-12-01T00:00:00.000000000",
        "2024-01-01T00:00:00.000000000",
        "2024-02-01T00:00:00.000000000",
        "2025-01-01T00:00:00.000000000",
        "2224-01-01T00:00:00.000000000",
    ]
    with pytest.raises(hqt.RangeError, match=r"periods\[0\]"):
        _hqt.timeframe_shifted_opens(hqt.MN1, T0, np.array([12 * 300]), np.empty(1, np.int64))


def test_a_bar_closing_after_int64_is_an_error_not_a_crash():
    e = _engine()
    err = _raised(lambda: e.load_bars(0, hqt.M1, [2**63 - 1], [1.0], [1.0], [1.0], [1.0]))
    assert type(err) is hqt.RangeError and "close after the last int64" in str(err)
    assert e.pending_events == 0
