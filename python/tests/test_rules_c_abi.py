"""The data-rule exports of libhqt.so (include/hqt.h, "Data rules without an engine"),
driven through ctypes as a C program would: same status and message as an engine load,
bad index reported, NULL / bad arguments answered with a status, never a crash."""

from __future__ import annotations

import ctypes as C

import pytest

import hqt_ctypes as H
from conftest import LIBHQT, MIN, SEC, T0

OK, E_ARG, E_PRICE, E_DATA_ORDER, E_BAD_DATA = 0, 1, 5, 10, 11
i32, i64, u64, sz = C.c_int32, C.c_int64, C.c_uint64, C.c_size_t
P64, PF, PSZ = C.POINTER(i64), C.POINTER(C.c_double), C.POINTER(sz)


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    lib = H.load(LIBHQT)
    lib.hqt_validate_ticks.argtypes = [P64, P64, P64, sz, i64, C.c_char_p, u64, PSZ]
    lib.hqt_validate_ticks_f64.argtypes = [P64, PF, PF, sz, i64, C.c_char_p, u64, PSZ]
    lib.hqt_validate_bars.argtypes = [
        i32,
        P64,
        P64,
        P64,
        P64,
        P64,
        P64,
        sz,
        i64,
        i64,
        C.c_char_p,
        u64,
        PSZ,
    ]
    lib.hqt_validate_bars_f64.argtypes = [
        i32,
        P64,
        PF,
        PF,
        PF,
        PF,
        PF,
        sz,
        i64,
        i64,
        C.c_char_p,
        u64,
        PSZ,
    ]
    for name in ("hqt_timeframe_open_time", "hqt_timeframe_close_time"):
        getattr(lib, name).argtypes = [i32, i64, P64]
    for name in ("hqt_timeframe_open_times", "hqt_timeframe_close_times"):
        getattr(lib, name).argtypes = [i32, P64, sz, P64]
    lib.hqt_timeframe_shifted_opens.argtypes = [i32, i64, P64, sz, P64]
    for name in (
        "hqt_validate_ticks",
        "hqt_validate_ticks_f64",
        "hqt_validate_bars",
        "hqt_validate_bars_f64",
        "hqt_timeframe_open_time",
        "hqt_timeframe_close_time",
        "hqt_timeframe_open_times",
        "hqt_timeframe_close_times",
        "hqt_timeframe_shifted_opens",
    ):
        getattr(lib, name).restype = C.c_int
    return lib


def i64s(*v: int):
    return (i64 * len(v))(*v)


def f64s(*v: float):
    return (C.c_double * len(v))(*v)


def err(lib) -> str:
    return lib.hqt_last_error().decode()


def engine_load_error(lib, t, b, a) -> tuple[int, str]:
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * 10**6, b"USD", 100, C.byref(e)) == OK
    spec = H.SymbolSpec()
    lib.hqt_symbol_spec_init(C.byref(spec))
    spec.name, spec.base_currency, spec.profit_currency = b"EURUSD", b"EUR", b"USD"
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol(e, C.byref(spec), C.byref(sid)) == OK
    st = lib.hqt_engine_load_ticks(e, 0, t, b, a, len(t))
    msg = err(lib)
    lib.hqt_engine_destroy(e)
    return st, msg


def test_tick_validation_matches_an_engine_load(lib):
    t = i64s(T0, T0 + 1, T0 + 2)
    bad = sz(99)
    cases = [
        (
            i64s(1_100_000, -5, 1_100_000),
            i64s(1_100_200, 1_100_200, 1_100_200),
            E_PRICE,
            "tick 1: bid and ask must be finite and > 0 (got -0.000005, 1.1002)",
        ),
        (
            i64s(1_100_000, 1_100_000, 1_100_000),
            i64s(1_100_200, 1_100_200, 1_000_000),
            E_BAD_DATA,
            "tick 2: ask 1 is below bid 1.1",
        ),
    ]
    for b, a, status, message in cases:
        assert lib.hqt_validate_ticks(t, b, a, 3, 0, b"EURUSD tick", 0, C.byref(bad)) == status
        assert err(lib) == "EURUSD " + message
        assert bad.value == int(message.split()[1].rstrip(":"))
        assert engine_load_error(lib, t, b, a) == (status, "EURUSD " + message)
        # default subject, numbering from first_index; out_bad_index may be NULL
        assert lib.hqt_validate_ticks(t, b, a, 3, 0, None, 1000, None) == status
        assert err(lib).startswith(f"tick {1000 + bad.value}: ")
    ok_b, ok_a = i64s(1, 1, 1), i64s(1, 2, 3)
    assert lib.hqt_validate_ticks(t, ok_b, ok_a, 3, 0, None, 0, C.byref(bad)) == OK
    assert bad.value == 3
    # previous_time_ns: the time of the tick before the array
    assert lib.hqt_validate_ticks(t, ok_b, ok_a, 3, T0 + 1, None, 0, C.byref(bad)) == E_DATA_ORDER
    assert (
        bad.value == 0
        and err(lib) == f"tick 0: time {T0} goes backwards (before the previous {T0 + 1})"
    )
    assert lib.hqt_validate_ticks(None, None, None, 0, 0, None, 0, None) == OK
    assert lib.hqt_validate_ticks(None, ok_b, ok_a, 3, 0, None, 0, None) == E_ARG
    assert "time_ns is NULL" in err(lib)


def test_f64_validation_rounds_as_a_load_and_rejects_nan(lib):
    t = i64s(T0, T0 + 1)
    bad = sz()
    nan = float("nan")
    assert (
        lib.hqt_validate_ticks_f64(t, f64s(1.1, nan), f64s(1.2, 1.2), 2, 0, None, 0, C.byref(bad))
        == E_PRICE
    )
    assert bad.value == 1 and err(lib) == (
        "tick 1: bid and ask must be finite and > 0 (got NaN or infinite, 1.2)"
    )
    # 1.0000005 rounds half away from zero to 1.000001 > 1.0000009999 -> 1.000001: not crossed
    assert (
        lib.hqt_validate_ticks_f64(
            t, f64s(1.0, 1.0000005), f64s(1.0, 1.0000009999), 2, 0, None, 0, None
        )
        == OK
    )


def test_bar_validation(lib):
    t = i64s(T0, T0 + MIN, T0 + 2 * MIN)
    o, h, lo, c, v = (i64s(x, x, x) for x in (1_100_000, 1_200_000, 1_000_000, 1_150_000, 0))
    bad = sz()
    assert lib.hqt_validate_bars(1, t, o, h, lo, c, v, 3, -(2**63), 0, None, 0, C.byref(bad)) == OK
    assert bad.value == 3
    # previous_open_ns: the next bar must open after it; not_before_ns: close not before it
    assert (
        lib.hqt_validate_bars(1, t, o, h, lo, c, v, 3, T0, 0, None, 0, C.byref(bad)) == E_DATA_ORDER
    )
    assert bad.value == 0 and "is not after the previous bar's" in err(lib)
    assert (
        lib.hqt_validate_bars(
            1, t, o, h, lo, c, v, 3, -(2**63), T0 + 2 * MIN, b"X M1 bar", 0, C.byref(bad)
        )
        == E_DATA_ORDER
    )
    assert bad.value == 0 and err(lib).startswith("X M1 bar 0: closes at")
    hi = i64s(1_200_000, 1_100_000, 1_200_000)
    assert (
        lib.hqt_validate_bars(1, t, o, hi, lo, c, v, 3, -(2**63), 0, None, 0, C.byref(bad))
        == E_BAD_DATA
    )
    assert bad.value == 1 and "do not contain open" in err(lib)
    assert lib.hqt_validate_bars(7, t, o, h, lo, c, v, 3, -(2**63), 0, None, 0, None) == E_ARG
    assert "timeframe 7" in err(lib)
    nan = float("nan")
    fo = f64s(1.1, 1.1, 1.1)
    assert (
        lib.hqt_validate_bars_f64(
            1,
            t,
            fo,
            f64s(1.2, 1.2, 1.2),
            f64s(1.0, 1.0, 1.0),
            f64s(1.15, nan, 1.15),
            f64s(0, 0, 0),
            3,
            -(2**63),
            0,
            None,
            0,
            C.byref(bad),
        )
        == E_PRICE
    )
    assert bad.value == 1


def test_periods(lib):
    out = i64()
    assert lib.hqt_timeframe_open_time(43200, T0 + 5 * SEC, C.byref(out)) == OK
    assert out.value == 1_704_067_200 * SEC  # 2024-01-01
    assert lib.hqt_timeframe_close_time(43200, T0 + 5 * SEC, C.byref(out)) == OK
    assert out.value == (1_704_067_200 + 31 * 86_400) * SEC  # 2024-02-01
    assert lib.hqt_timeframe_open_time(10080, T0, C.byref(out)) == OK
    assert out.value == T0 - 86_400 * SEC  # T0 is a Tuesday
    assert lib.hqt_timeframe_open_time(1, -1, C.byref(out)) == E_ARG and "negative" in err(lib)
    assert lib.hqt_timeframe_open_time(2, 0, C.byref(out)) == E_ARG
    assert lib.hqt_timeframe_open_time(1, 0, None) == E_ARG and "NULL" in err(lib)
    assert lib.hqt_timeframe_close_time(
        43200, 2**63 - 1, C.byref(out)
    ) == H.STATUS.RANGE and "last int64" in err(lib)
    times = i64s(T0 + 59 * SEC, T0 + 61 * SEC, T0 + 3600 * SEC)
    res = (i64 * 3)()
    assert lib.hqt_timeframe_open_times(1, times, 3, res) == OK
    assert list(res) == [T0, T0 + MIN, T0 + 60 * MIN]
    assert lib.hqt_timeframe_close_times(60, times, 3, res) == OK
    assert list(res) == [T0 + 60 * MIN, T0 + 60 * MIN, T0 + 120 * MIN]
    assert lib.hqt_timeframe_open_times(60, times, 3, times) == OK  # in place
    assert list(times) == [T0, T0, T0 + 60 * MIN]
    assert lib.hqt_timeframe_open_times(60, i64s(0, -1), 2, res) == E_ARG
    assert err(lib).startswith("time_ns[1]: ")
    assert lib.hqt_timeframe_open_times(60, times, 3, None) == E_ARG
    assert lib.hqt_timeframe_open_times(60, None, 0, None) == OK
    assert lib.hqt_timeframe_shifted_opens(10080, T0, i64s(0, 1, -1), 3, res) == OK
    monday = T0 - 86_400 * SEC
    assert list(res) == [monday, monday + 7 * 86_400 * SEC, monday - 7 * 86_400 * SEC]
    assert lib.hqt_timeframe_shifted_opens(1, T0, i64s(2**62), 1, res) == H.STATUS.RANGE
    assert err(lib).startswith("periods[0]: ")


def test_to_micro_array_rounds_as_a_load(lib):
    lib.hqt_to_micro_array.argtypes = [PF, sz, P64]
    lib.hqt_to_micro_array.restype = C.c_int
    vals = (0.0000025, -0.0000025, 1.0000005, 2.675, 1e-7)
    out = (i64 * len(vals))()
    assert lib.hqt_to_micro_array(f64s(*vals), len(vals), out) == OK
    assert list(out) == [3, -3, 1_000_001, 2_675_000, 0]
    assert lib.hqt_to_micro_array(f64s(1.0, float("inf")), 2, out) == E_ARG
    assert err(lib).startswith("value[1] = inf")
    assert lib.hqt_to_micro_array(f64s(1.0), 1, None) == E_ARG
    assert lib.hqt_to_micro_array(None, 0, None) == OK
