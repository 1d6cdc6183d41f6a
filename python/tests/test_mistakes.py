"""Issue 10: no silent wrong answer from a common mistake.

Each test here failed (ran silently with a wrong result) before the fix.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pytest

import hqt
from hqt import data
from hqt.engine import as_time_array, to_ns

pd = pytest.importorskip("pandas")

SEC = 1_000_000_000
T0_S = 1_704_153_600  # 2024-01-02 00:00:00 UTC, in seconds
T0 = T0_S * SEC


def ticks_s(n: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = T0_S + np.arange(n, dtype=np.int64)
    bid = 1.1 + np.arange(n) * 1e-4
    return t, bid, bid + 2e-4


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ---- 1. dates int64 ns cannot hold ------------------------------------------------


def test_csv_plain_iso_date_beyond_2262_names_the_line(tmp_path):
    p = write(
        tmp_path,
        "t.csv",
        "time,bid,ask\n2024-01-02T00:00:00,1.1,1.1002\n3169-01-01T00:00:00,1.1,1.1002\n",
    )
    with pytest.raises(hqt.CSVFormatError) as ei:
        data.read_csv(p)
    assert ei.value.line == 3
    assert "3169-01-01" in str(ei.value) and "2262" in str(ei.value)


def test_csv_metatrader_zero_date_is_refused(tmp_path):
    p = write(
        tmp_path,
        "bars.csv",
        "0001.01.01,00:00,1.1,1.2,1.0,1.15,10\n2024.01.02,00:01,1.1,1.2,1.0,1.15,10\n",
    )
    with pytest.raises(hqt.CSVFormatError) as ei:
        data.read_csv(p)
    assert ei.value.line == 1 and "0001.01.01 00:00" in str(ei.value)


def test_csv_mt5_ticks_date_beyond_2262(tmp_path):
    p = write(
        tmp_path,
        "ticks.csv",
        "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
        "2024.01.02\t00:00:00.100\t1.1\t1.1002\t\t\t6\n"
        "3169.01.01\t00:00:00.100\t1.1\t1.1002\t\t\t6\n",
    )
    with pytest.raises(hqt.CSVFormatError, match="outside") as ei:
        data.read_csv(p)
    assert ei.value.line == 3


def test_datetime64_array_beyond_2262_names_the_index():
    t = np.array(["2024-01-02", "3169-01-01"], dtype="datetime64[D]")
    with pytest.raises(hqt.InvalidArgumentError, match=r"time_ns\[1\] = 3169-01-01"):
        as_time_array(t)
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError, match="outside"):
        e.load_ticks(s, t, [1.1, 1.1], [1.1002, 1.1002])
    assert e.pending_events == 0


def test_to_ns_refuses_dates_beyond_int64():
    with pytest.raises(hqt.InvalidArgumentError, match="3169"):
        to_ns(np.datetime64("3169-01-01"))
    with pytest.raises(hqt.InvalidArgumentError, match="3000-01-01"):
        to_ns(dt.datetime(3000, 1, 1))
    assert to_ns(np.datetime64("2024-01-02")) == T0


def test_dataframe_datetime_column_beyond_2262():
    df = pd.DataFrame(
        {
            "time": np.array(["2024-01-02", "3169-01-01"], dtype="datetime64[s]"),
            "bid": [1.1, 1.1],
            "ask": [1.1002, 1.1002],
        }
    )
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError, match=r"\[1\] = 3169-01-01"):
        e.load_dataframe(s, df)


def test_dataframe_iso_strings_beyond_2262():
    df = pd.DataFrame({"time": ["2024-01-02", "3169-01-01"], "bid": [1.1] * 2, "ask": [1.2] * 2})
    with pytest.raises(hqt.InvalidArgumentError, match="3169-01-01"):
        hqt.frames.ticks_from_frame(df)


def test_parquet_timestamp_beyond_2262(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    t = pa.array(np.array(["2024-01-02", "3169-01-01"], dtype="datetime64[s]"))
    table = pa.table({"time": t, "bid": [1.1, 1.1], "ask": [1.1002, 1.1002]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    with pytest.raises(hqt.InvalidArgumentError, match="3169-01-01"):
        data.read_parquet(path)
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError, match="3169-01-01"):
        e.load_parquet(s, path)


# ---- 2. seconds / milliseconds taken as nanoseconds ----------------------------------


@pytest.mark.parametrize(
    ("scale", "unit", "hint"),
    [(1, "s", "1e9"), (1000, "ms", "1e6"), (1_000_000, "us", "1e3")],
)
def test_integer_times_in_a_coarser_unit_are_refused_with_a_hint(scale, unit, hint):
    t, b, a = ticks_s()
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError) as ei:
        e.load_ticks(s, t * scale, b, a)
    msg = str(ei.value)
    assert f"multiply by {hint} or pass unit={unit!r}" in msg
    assert e.pending_events == 0
    assert e.load_ticks(s, t * scale, b, a, unit=unit) == len(t)
    e.run()
    assert e.symbol(s).last_time == (T0_S + len(t) - 1) * SEC


def test_float_seconds_get_the_unit_hint():
    t = np.array([T0_S + 0.25, T0_S + 1.5])
    with pytest.raises(hqt.InvalidArgumentError, match="look like seconds: pass unit='s'"):
        as_time_array(t)
    assert as_time_array(t, unit="s").tolist() == [T0 + SEC // 4, T0 + 3 * SEC // 2]


def test_unit_ns_accepts_1970_times_as_they_are():
    t, b, a = ticks_s()
    assert as_time_array(t, unit="ns").tolist() == t.tolist()
    assert as_time_array(np.arange(3)).tolist() == [0, 1, 2]  # small synthetic times stay ns


def test_load_bars_unit_and_bad_unit():
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    t = T0_S * 1000 + np.arange(3, dtype=np.int64) * 60_000
    o = np.full(3, 1.1)
    with pytest.raises(hqt.InvalidArgumentError, match="unit='ms'"):
        e.load_bars(s, hqt.M1, t, o, o + 0.001, o - 0.001, o)
    assert e.load_bars(s, hqt.M1, t, o, o + 0.001, o - 0.001, o, unit="ms") == 3
    with pytest.raises(hqt.InvalidArgumentError, match="unit must be one of"):
        e.load_bars(s, hqt.M1, t, o, o, o, o, unit="sec")


def test_int32_times_refused_without_unit_and_widened_with_it():
    t, b, a = ticks_s()
    t32 = t.astype(np.int32)
    with pytest.raises(hqt.InvalidArgumentError, match="int32"):
        as_time_array(t32)
    assert as_time_array(t32, unit="s").tolist() == (t * SEC).tolist()
    # int32 "ns" that overflowed are refused too (no negative 1969 times)
    with pytest.raises(hqt.InvalidArgumentError, match="int32"):
        as_time_array((t * 1000).astype(np.int32))


def test_unit_overflow_names_the_index():
    with pytest.raises(hqt.InvalidArgumentError, match=r"time_ns\[1\] = 10000000000000"):
        as_time_array(np.array([T0_S, 10**13]), unit="s")


def test_dataframe_and_csv_unit(tmp_path):
    t, b, a = ticks_s()
    df = pd.DataFrame({"time": t, "bid": b, "ask": a})
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError, match="looks like seconds"):
        e.load_dataframe(s, df)
    assert e.load_dataframe(s, df, unit="s") == len(t)
    text = "time,bid,ask\n" + "".join(f"{x},{y},{z}\n" for x, y, z in zip(t, b, a, strict=True))
    p = write(tmp_path, "s.csv", text)
    with pytest.raises(hqt.CSVFormatError, match="unit='s'"):
        data.read_csv(p)
    assert data.read_csv(p, unit="s").time.tolist() == (t * SEC).tolist()


def test_parquet_unit(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    t, b, a = ticks_s()
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"time": t, "bid": b, "ask": a}), path)
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    with pytest.raises(hqt.InvalidArgumentError, match="looks like seconds"):
        e.load_parquet(s, path)
    assert e.load_parquet(s, path, unit="s") == len(t)


# ---- 3. strategy callbacks that are never called ----------------------------------------


def loaded_engine() -> tuple[hqt.Engine, int]:
    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    t, b, a = ticks_s()
    e.load_ticks(s, t, b, a, unit="s")
    return e, s


@pytest.mark.parametrize(
    ("name", "meant"),
    [("on_ticks", "on_tick"), ("on_bars", "on_bar"), ("ontick", "on_tick"), ("onBar", "on_bar")],
)
def test_unknown_callback_name_is_an_error(name, meant):
    def cb(self, engine, event):
        raise AssertionError("never called")

    cls = type("Typo", (hqt.Strategy,), {name: cb})
    e, _ = loaded_engine()
    with pytest.raises(hqt.InvalidArgumentError, match=f"did you mean {meant}\\?"):
        e.run(cls())
    assert e.pending_events == 5  # nothing ran


def test_unknown_on_name_on_a_plain_object():
    class Plain:
        def on_tick(self, engine, tick):
            pass

        def on_signal(self, engine):
            pass

    e, _ = loaded_engine()
    with pytest.raises(hqt.InvalidArgumentError, match="on_signal"):
        e.run(Plain())


def test_on_bar_without_bars_warns():
    class BarOnly(hqt.Strategy):
        def on_bar(self, engine, bar):
            pass

    e, s = loaded_engine()
    with pytest.warns(hqt.HQTWarning, match="on_bar"):
        e.run(BarOnly())

    class WithBars(BarOnly):
        bars = [("EURUSD", hqt.M1)]

    e, s = loaded_engine()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.run(WithBars())


def test_on_bar_with_loaded_bars_does_not_warn():
    class BarOnly(hqt.Strategy):
        def on_bar(self, engine, bar):
            pass

    e = hqt.Engine(10_000.0)
    s = e.add_symbol("EURUSD")
    o = np.full(2, 1.1)
    e.load_bars(s, hqt.M1, T0 + np.arange(2) * 60 * SEC, o, o, o, o)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.run(BarOnly())


# ---- 4. a second run with nothing to run ------------------------------------------------


def test_second_run_warns():
    e, _ = loaded_engine()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e.run()
    with pytest.warns(hqt.HQTWarning, match="nothing to run: every loaded event has been"):
        e.run()


# ---- 5. currency codes ----------------------------------------------------------------


def test_lower_case_currency_is_upper_cased_end_to_end():
    e = hqt.Engine(10_000.0, "usd")
    assert e.account.currency == "USD"
    s = e.add_symbol("EURUSD")
    t, b, a = ticks_s()
    e.load_ticks(s, t, b, a, unit="s")

    class Trade(hqt.Strategy):
        def on_tick(self, engine, tick):
            if not engine.positions:
                engine.buy(tick.symbol_id, 0.1)

    e.run(Trade())
    e.close_all()
    assert len(e.deals) == 2 and e.account.balance != 10_000.0
    e2 = hqt.Engine(1000.0)
    x = e2.add_symbol("XAU", base_currency="xau", profit_currency="usd", margin_mode="cfd")
    assert e2.symbol(x).profit_currency == "USD"


@pytest.mark.parametrize("bad", ["US", "USDX", "U$D", "ДОЛ", "", 840, None])
def test_bad_currency_is_refused(bad):
    with pytest.raises(hqt.InvalidArgumentError, match="3-letter currency"):
        hqt.Engine(10_000.0, bad)
    if bad is not None:  # None: the "currencies are required" error
        e = hqt.Engine(10_000.0)
        with pytest.raises(hqt.InvalidArgumentError, match="3-letter currency"):
            e.add_symbol("GOLD", base_currency="XAU", profit_currency=bad)


# ---- 6. booleans where a number is expected ------------------------------------------------


@pytest.mark.parametrize("true", [True, np.True_], ids=["bool", "numpy.bool_"])
def test_bool_is_not_a_number(true):
    e, s = loaded_engine()
    e.run()
    calls = {
        "volume": lambda: e.buy(s, true),
        "price": lambda: e.buy_limit(s, 0.1, true),
        "sl": lambda: e.sell(s, 0.1, sl=true),
        "tp": lambda: e.buy(s, 0.1, tp=true),
        "symbol_id": lambda: e.buy(true, 0.1),
        "amount": lambda: e.deposit(true),
        "initial_balance": lambda: hqt.Engine(true),
        "leverage": lambda: hqt.Engine(1000.0, "USD", true),
        "timeframe": lambda: e.build_bars(s, true),
        "contract_size": lambda: e.add_symbol("GBPUSD", contract_size=true),
        "mode": lambda: e.set_account_mode(true),
        "expiration": lambda: e.buy_limit(s, 0.1, 1.0, expiration=true),
    }
    for what, call in calls.items():
        with pytest.raises(hqt.InvalidArgumentError, match=what):
            call()
    o = np.full(2, 1.1)
    with pytest.raises(hqt.InvalidArgumentError, match="timeframe"):
        e.load_bars(s, true, T0 + np.arange(2) * 60 * SEC, o, o, o, o)
    assert not e.positions and e.account.balance == 10_000.0
