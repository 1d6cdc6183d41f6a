"""Tick models through the C ABI (include/hqt.h: hqt_engine_set_tick_model,
hqt_engine_tick_model, HQT_TICK_MODEL_*), driven by ctypes as a C program would.

The case of docs/engine.md "Tick models": 1 lot bought at 1.10000 with SL 1.09800 and
TP 1.10100 on the close of M1 bar 0; bar 1 opens at 1.10200 (beyond the TP) and
reaches 1.09700 (below the SL). Generated ticks start with the open: closed at
1.10200, +200 USD. The bar rule takes the SL first: 1.09800, -200 USD."""

from __future__ import annotations

import ctypes as C
import shutil
import subprocess
from pathlib import Path

import pytest

import hqt_ctypes as H
from conftest import HEADER, LIBHQT, MIN, T0
from hqt.constants import TickModel

OK, E_ARG, E_STATE = 0, 1, 14


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    lib = H.load(LIBHQT)
    lib.hqt_engine_set_tick_model.argtypes = [H.ENGINE_P, C.c_int32]
    lib.hqt_engine_set_tick_model.restype = C.c_int
    lib.hqt_engine_tick_model.argtypes = [H.ENGINE_P, C.POINTER(C.c_int32)]
    lib.hqt_engine_tick_model.restype = C.c_int
    return lib


def i64s(*v: int):
    return (C.c_int64 * len(v))(*v)


def make_engine(lib, timeframe: int = 1):
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000_000_000, b"USD", 100, C.byref(e)) == OK
    spec = H.SymbolSpec()
    lib.hqt_symbol_spec_init(C.byref(spec))
    spec.name, spec.base_currency, spec.profit_currency = b"TEST", b"USD", b"USD"
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol(e, C.byref(spec), C.byref(sid)) == OK
    step = timeframe * MIN
    assert (
        lib.hqt_engine_load_bars(
            e,
            0,
            timeframe,
            i64s(T0, T0 + step),
            i64s(1_100_000, 1_102_000),
            i64s(1_100_000, 1_102_500),
            i64s(1_100_000, 1_097_000),
            i64s(1_100_000, 1_100_000),
            i64s(20_000_000, 20_000_000),
            2,
        )
        == OK
    )
    return e


def run_buying_on_first_bar(lib, e) -> tuple[int, list[tuple[int, int]]]:
    ticks: list[tuple[int, int]] = []

    @H.ON_BAR
    def on_bar(engine, bar, ud):
        n = C.c_size_t()
        lib.hqt_engine_deals(engine, None, 0, C.byref(n))
        if n.value == 0:
            t = C.c_uint64()
            return lib.hqt_engine_buy(engine, 0, 1_000_000, 1_098_000, 1_101_000, C.byref(t))
        return 0

    @H.ON_TICK
    def on_tick(engine, tick, ud):
        ticks.append((tick.contents.time - T0, tick.contents.bid))
        return 0

    s = H.StrategyV2()
    assert lib.hqt_strategy_v2_init(C.byref(s), C.sizeof(s)) == OK
    s.on_bar, s.on_tick = on_bar, on_tick
    rc = lib.hqt_engine_run_v2(e, C.byref(s))
    return rc, ticks


def last_deal(lib, e) -> H.Deal:
    n = C.c_size_t()
    assert lib.hqt_engine_deals(e, None, 0, C.byref(n)) == OK
    arr = (H.Deal * n.value)()
    assert lib.hqt_engine_deals(e, arr, n.value, C.byref(n)) == OK
    return arr[n.value - 1]


def model_of(lib, e) -> int:
    out = C.c_int32(-7)
    assert lib.hqt_engine_tick_model(e, C.byref(out)) == OK
    return out.value


@pytest.mark.parametrize("model", [TickModel.EVERY_TICK, TickModel.OHLC_M1, TickModel.OPEN_PRICES])
def test_generated_ticks_close_a_gap_beyond_tp_at_the_open(lib, model):
    e = make_engine(lib)
    try:
        assert model_of(lib, e) == TickModel.REAL_TICKS
        assert lib.hqt_engine_set_tick_model(e, int(model)) == OK
        rc, ticks = run_buying_on_first_bar(lib, e)
        assert rc == OK
        d = last_deal(lib, e)
        assert (d.price, d.profit, d.time) == (1_102_000, 200_000_000, T0 + MIN)
        assert model_of(lib, e) == model
        # The first generated tick of each bar is its open, at its open time.
        assert ticks[0] == (0, 1_100_000)
        assert (MIN, 1_102_000) in ticks
    finally:
        lib.hqt_engine_destroy(e)


def test_ohlc_m1_ticks_of_a_falling_bar_go_high_first(lib):
    e = make_engine(lib)
    try:
        assert lib.hqt_engine_set_tick_model(e, TickModel.OHLC_M1) == OK
        _, ticks = run_buying_on_first_bar(lib, e)
        # Bar 1 falls (close 1.10000 < open 1.10200): O, H, L, C at :00 :15 :30 :45.
        # The position closed at the open tick; the ticks still all arrive.
        assert ticks[4:] == [
            (MIN, 1_102_000),
            (MIN + 15 * 10**9, 1_102_500),
            (MIN + 30 * 10**9, 1_097_000),
            (MIN + 45 * 10**9, 1_100_000),
        ]
    finally:
        lib.hqt_engine_destroy(e)


@pytest.mark.parametrize("model", [TickModel.BARS, TickModel.REAL_TICKS, TickModel.DEFAULT])
def test_the_bar_rule_takes_the_sl_first(lib, model):
    e = make_engine(lib)
    try:
        assert lib.hqt_engine_set_tick_model(e, int(model)) == OK
        rc, ticks = run_buying_on_first_bar(lib, e)
        assert rc == OK and ticks == []
        d = last_deal(lib, e)
        assert (d.price, d.profit) == (1_098_000, -200_000_000)
    finally:
        lib.hqt_engine_destroy(e)


def test_bad_values_and_timeframes_get_a_status_and_a_message(lib):
    e = make_engine(lib, timeframe=60)
    try:
        assert lib.hqt_engine_set_tick_model(e, 5) == E_ARG
        assert b"tick model 5" in lib.hqt_last_error()
        assert lib.hqt_engine_set_tick_model(e, -2) == E_ARG
        assert lib.hqt_engine_tick_model(e, None) == E_ARG
        assert lib.hqt_engine_set_tick_model(None, 0) == E_ARG
        assert lib.hqt_engine_set_tick_model(e, TickModel.EVERY_TICK) == OK
        rc, _ = run_buying_on_first_bar(lib, e)
        assert rc == E_ARG
        msg = lib.hqt_last_error().decode()
        assert "M1" in msg and "H1" in msg and "open_prices" in msg
        # Nothing ran; open_prices takes H1 bars.
        assert lib.hqt_engine_set_tick_model(e, TickModel.OPEN_PRICES) == OK
        rc, ticks = run_buying_on_first_bar(lib, e)
        assert rc == OK and ticks == [(0, 1_100_000), (60 * MIN, 1_102_000)]
        assert last_deal(lib, e).price == 1_102_000
    finally:
        lib.hqt_engine_destroy(e)


def test_not_allowed_during_a_run(lib):
    e = make_engine(lib)
    seen: list[int] = []
    try:

        @H.ON_BAR
        def on_bar(engine, bar, ud):
            seen.append(lib.hqt_engine_set_tick_model(engine, TickModel.BARS))
            return 0

        s = H.StrategyV2()
        assert lib.hqt_strategy_v2_init(C.byref(s), C.sizeof(s)) == OK
        s.on_bar = on_bar
        assert lib.hqt_engine_set_tick_model(e, TickModel.OHLC_M1) == OK
        assert lib.hqt_engine_run_v2(e, C.byref(s)) == OK
        assert seen and all(rc != OK for rc in seen)
        assert model_of(lib, e) == TickModel.OHLC_M1
    finally:
        lib.hqt_engine_destroy(e)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_a_c_program_against_the_header(tmp_path):
    """python/tests/c/tick_models.c: the same case written in C against include/hqt.h."""
    src = Path(__file__).parent / "c" / "tick_models.c"
    exe = tmp_path / "tick_models"
    build = subprocess.run(
        ["gcc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(HEADER.parent)]
        + [str(src), "-L", str(LIBHQT.parent), "-lhqt", f"-Wl,-rpath,{LIBHQT.parent}"]
        + ["-o", str(exe)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    # OHLC_M1 (2): 8 ticks, closed by TP (2) at the open 1.10200, +200 USD.
    assert lines[0] == "model=2 recorded=2 ticks=8 reason=2 price=1102000 profit=200000000"
    # BARS (4): no ticks, SL (1) at 1.09800, -200 USD.
    assert lines[1] == "model=4 recorded=4 ticks=0 reason=1 price=1098000 profit=-200000000"
    assert lines[2].startswith("refused: tick model 42 is not one of")
    assert lines[-1] == "ok"
