"""Native indicators through the C ABI (include/hqt.h): declare on an engine,
read a view in place from a C strategy's on_bar (here a ctypes callback, as a
C strategy would), the checked getter, and the errors with their statuses."""

from __future__ import annotations

import ctypes as C
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hqt_ctypes as H
from conftest import HEADER, LIBHQT, T0

talib = pytest.importorskip("talib")

MIN = 60 * 10**9


class View(C.Structure):
    _fields_ = [
        ("count", C.c_int64),
        ("capacity", C.c_int64),
        ("outputs", C.c_int64),
        ("last", C.c_int64),
        ("warmup", C.c_int64),
        ("values", C.POINTER(C.c_double)),
    ]


@pytest.fixture(scope="module")
def lib():
    lib = H.load(LIBHQT)
    lib.hqt_engine_add_indicator.restype = C.c_int
    lib.hqt_engine_add_indicator.argtypes = [
        C.c_void_p, C.c_int32, C.c_uint32, C.c_int32, C.c_int32,
        C.POINTER(C.c_double), C.c_int32, C.c_int32, C.POINTER(C.c_uint32),
    ]  # fmt: skip
    lib.hqt_engine_indicator_view.restype = C.c_int
    lib.hqt_engine_indicator_view.argtypes = [C.c_void_p, C.c_uint32, C.POINTER(C.POINTER(View))]
    lib.hqt_engine_indicator_value.restype = C.c_int
    lib.hqt_engine_indicator_value.argtypes = [
        C.c_void_p, C.c_uint32, C.c_int32, C.c_int32, C.POINTER(C.c_double),
    ]  # fmt: skip
    lib.hqt_engine_indicator_count.restype = C.c_int
    lib.hqt_engine_indicator_count.argtypes = [C.c_void_p, C.POINTER(C.c_uint32)]
    lib.hqt_indicator_at.restype = C.c_double
    lib.hqt_indicator_at.argtypes = [C.POINTER(View), C.c_int32, C.c_int64]
    return lib


def _engine(lib, n):
    e = C.c_void_p()
    assert lib.hqt_engine_create(10**15, b"USD", 1, C.byref(e)) == 0
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(H.usd_spec(lib)), C.byref(sid)) == 0
    rng = np.random.default_rng(9)
    close = 1_000_000_000 + np.cumsum(rng.integers(-5000, 5001, n)).astype(np.int64)
    t = (T0 + np.arange(n) * MIN).astype(np.int64)
    p = lambda a: a.ctypes.data_as(C.POINTER(C.c_int64))  # noqa: E731
    vol = np.full(n, 1_000_000, dtype=np.int64)
    assert (
        lib.hqt_engine_load_bars(e, 0, 1, p(t), p(close), p(close), p(close), p(close), p(vol), n)
        == 0
    )
    return e, close / 1e6


def _add(lib, e, kind, params, history=64, source=-1, timeframe=1, symbol=0):
    arr = (C.c_double * max(len(params), 1))(*params)
    out = C.c_uint32()
    st = lib.hqt_engine_add_indicator(
        e, kind, symbol, timeframe, source, arr, len(params), history, C.byref(out)
    )
    return st, out.value


def test_a_c_strategy_reads_views_in_on_bar(lib):
    n = 3000
    e, close = _engine(lib, n)
    st, sma = _add(lib, e, 1, [20])
    assert st == 0 and sma == 0
    st, macd = _add(lib, e, 7, [12, 26, 9])
    assert st == 0 and macd == 1
    views = {}
    for name, i in (("sma", sma), ("macd", macd)):
        v = C.POINTER(View)()
        assert lib.hqt_engine_indicator_view(e, i, C.byref(v)) == 0
        views[name] = v
    seen = []

    @H.ON_BAR
    def on_bar(engine, bar, user):
        seen.append(
            (
                lib.hqt_indicator_at(views["sma"], 0, 0),
                lib.hqt_indicator_at(views["macd"], 1, 0),  # signal
                lib.hqt_indicator_at(views["sma"], 0, 1),
            )
        )
        return 0

    strategy = H.Strategy(on_bar=on_bar)
    assert lib.hqt_engine_run(e, C.byref(strategy)) == 0
    got = np.array(seen)
    ref_sma, ref_signal = talib.SMA(close, 20), talib.MACD(close)[1]
    np.testing.assert_allclose(got[:, 0], ref_sma, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got[:, 1], ref_signal, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got[1:, 2], ref_sma[:-1], rtol=1e-12, equal_nan=True)
    v = views["macd"].contents
    assert (v.count, v.capacity, v.outputs, v.warmup) == (n, 64, 3, 34)
    # the view's documented layout: output o of slot s at values[s * outputs + o]
    assert v.values[v.last * 3 + 2] == pytest.approx(talib.MACD(close)[2][-1], rel=1e-9)
    out = C.c_double()
    assert lib.hqt_engine_indicator_value(e, sma, 0, 63, C.byref(out)) == 0
    assert out.value == pytest.approx(ref_sma[-64], rel=1e-12)
    count = C.c_uint32()
    assert lib.hqt_engine_indicator_count(e, C.byref(count)) == 0 and count.value == 2
    assert lib.hqt_engine_destroy(e) == 0


def test_errors_have_statuses_and_messages(lib):
    e, _ = _engine(lib, 10)
    bad = H.STATUS.INVALID_ARGUMENT
    assert _add(lib, e, 0, [5])[0] == bad and "unknown indicator kind" in H.last_error(lib)
    assert _add(lib, e, 1, [5], source=9)[0] == bad and "price source" in H.last_error(lib)
    assert _add(lib, e, 1, [5], timeframe=7)[0] == bad and "timeframe 7" in H.last_error(lib)
    assert _add(lib, e, 1, [5], symbol=3)[0] == H.STATUS.UNKNOWN_SYMBOL
    assert _add(lib, e, 1, [1, 2, 3, 4])[0] == bad and "nparams" in H.last_error(lib)
    assert _add(lib, e, 1, [-3])[0] == bad and "period 1" in H.last_error(lib)
    st, i = _add(lib, e, 1, [5], history=8)
    assert st == 0
    out = C.c_double()
    assert lib.hqt_engine_indicator_value(e, i, 0, 8, C.byref(out)) == bad
    assert "keeps 8 values" in H.last_error(lib)
    assert lib.hqt_engine_indicator_value(e, i, 1, 0, C.byref(out)) == bad
    assert lib.hqt_engine_indicator_value(e, 9, 0, 0, C.byref(out)) == bad
    assert "unknown indicator id 9" in H.last_error(lib)
    assert lib.hqt_engine_indicator_value(e, i, 0, 0, None) == bad
    v = C.POINTER(View)()
    assert lib.hqt_engine_indicator_view(e, 9, C.byref(v)) == bad
    assert lib.hqt_engine_indicator_view(None, 0, C.byref(v)) == bad
    assert lib.hqt_engine_indicator_view(e, i, C.byref(v)) == 0
    assert math.isnan(lib.hqt_indicator_at(v, 0, 0))  # no update yet
    assert math.isnan(lib.hqt_indicator_at(None, 0, 0))
    assert math.isnan(lib.hqt_indicator_at(v, 5, 0)) and math.isnan(lib.hqt_indicator_at(v, 0, -1))
    assert lib.hqt_engine_destroy(e) == 0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_a_c_program_with_indicators(tmp_path):
    """python/tests/c/indicators.c: a C strategy built against hqt.h alone
    declares indicators, reads their views in on_bar, checks every SMA against
    the mean it computes itself, and trades the crossover."""
    exe = tmp_path / "indicators"
    src = Path(__file__).parent / "c" / "indicators.c"
    build = subprocess.run(
        ["gcc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(HEADER.parent),
         str(src), "-L", str(LIBHQT.parent), "-lhqt", "-lm", f"-Wl,-rpath,{LIBHQT.parent}",
         "-o", str(exe)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    bars, mismatches, crosses = re.match(
        r"bars=(\d+) mismatches=(\d+) crosses=(\d+) warmup=10/30", lines[0]
    ).groups()  # type: ignore[union-attr]
    assert (int(bars), int(mismatches)) == (2000, 0) and int(crosses) > 20
    assert lines[1:] == ["ema count=5 seed_ok=1", "bad shift HQT_E_INVALID_ARGUMENT", "ok"]
