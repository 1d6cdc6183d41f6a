"""The swap fields appended to hqt_symbol_spec_v2 and the rollover time, driven through
ctypes as a C program would (include/hqt.h; docs/engine.md, "Swaps"). The
numbers: points mode, -7.5 points x 0.00001 x 100 000 x 1 lot = -7.5 USD a
day (MQL5 book, "Getting swap sizes")."""

from __future__ import annotations

import ctypes as C

import pytest

import hqt_ctypes as H
from conftest import LIBHQT
from hqt.constants import SwapMode

OK, E_ARG = 0, 1
U = 1_000_000
SEC = 10**9
DAY = 86_400 * SEC
MONDAY = 1_704_067_200 * SEC  # 2024-01-01, a Monday


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    return H.load(LIBHQT)


last_error = H.last_error


spec = H.usd_spec


def engine(lib):
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * U, b"USD", 100, C.byref(e)) == OK
    return e


def tick(lib, e, t: int, bid: int) -> None:
    ev = H.Event(type=0, tick=H.Tick(0, t, bid, bid))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == OK, last_error(lib)


def test_init_defaults_and_read_back(lib):
    s = H.SymbolSpecV2()
    C.memset(C.byref(s), 0x5A, C.sizeof(s))
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == OK
    assert (s.swap_mode, s.swap_rollover3days, s.swap_long, s.swap_short) == (
        SwapMode.DISABLED,
        3,
        0,
        0,
    )
    e = engine(lib)
    s = spec(lib)
    s.swap_mode, s.swap_long, s.swap_short, s.swap_rollover3days = (
        SwapMode.POINTS,
        -7_500_000,
        2 * U,
        5,
    )
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == OK, last_error(lib)
    back = spec(lib)
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == OK
    assert (back.swap_mode, back.swap_long, back.swap_short, back.swap_rollover3days) == (
        SwapMode.POINTS,
        -7_500_000,
        2 * U,
        5,
    )
    lib.hqt_engine_destroy(e)


def test_a_charge_shows_in_the_position_profit_and_the_closing_deal(lib):
    e = engine(lib)
    s = spec(lib)
    s.swap_mode, s.swap_long = SwapMode.POINTS, -7_500_000
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == OK
    assert lib.hqt_engine_set_rollover_time(e, 3_600) == OK
    seconds = C.c_int64()
    assert lib.hqt_engine_rollover_time(e, C.byref(seconds)) == OK and seconds.value == 3_600
    tick(lib, e, MONDAY + 10 * 3_600 * SEC, 1_200_000)
    t = C.c_uint64()
    assert lib.hqt_engine_buy(e, 0, U, 0, 0, C.byref(t)) == OK
    tick(lib, e, MONDAY + DAY + 3_600 * SEC - SEC, 1_200_000)  # Tuesday 00:59:59
    p = H.Position()
    assert lib.hqt_engine_position(e, t.value, C.byref(p)) == OK
    assert p.profit == 0
    tick(lib, e, MONDAY + DAY + 3_600 * SEC, 1_200_000)  # 01:00 ends Monday
    assert lib.hqt_engine_position(e, t.value, C.byref(p)) == OK
    assert p.profit == -7_500_000
    a = H.Account()
    assert lib.hqt_engine_account(e, C.byref(a)) == OK
    assert (a.balance, a.equity, a.profit) == (10_000 * U, 10_000 * U - 7_500_000, -7_500_000)
    assert lib.hqt_engine_close(e, t.value, 0) == OK
    deals = (H.Deal * 4)()
    n = C.c_size_t()
    assert lib.hqt_engine_deals(e, deals, 4, C.byref(n)) == OK and n.value == 2
    assert deals[1].profit == -7_500_000 and deals[1].balance == 10_000 * U - 7_500_000
    lib.hqt_engine_destroy(e)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("swap_mode", 7, "swap_mode must be an HQT_SWAP_"),
        ("swap_mode", -1, "swap_mode must be an HQT_SWAP_"),
        ("swap_rollover3days", 7, "swap_rollover3days"),
        ("swap_long", 1_000_001 * U, "swap_long"),
        ("swap_short", -1_000_001 * U, "swap_short"),
    ],
)
def test_bad_fields_are_refused(lib, field, value, message):
    e = engine(lib)
    s = spec(lib)
    setattr(s, field, value)
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == E_ARG
    assert message in last_error(lib)
    for bad in (-1, 86_400):
        assert lib.hqt_engine_set_rollover_time(e, bad) == E_ARG
        assert "rollover time" in last_error(lib)
    lib.hqt_engine_destroy(e)


def test_an_older_struct_gets_no_swaps(lib):
    """A caller compiled against the layout before the swap fields passes a
    shorter struct_size: the swap fields (and the commission fields appended
    after them) take their defaults."""
    older = H.SymbolSpecV2.swap_mode.offset
    s = spec(lib, older)
    s.swap_mode = SwapMode.POINTS  # beyond the caller's struct: never read
    e = engine(lib)
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == OK, last_error(lib)
    back = spec(lib)
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == OK
    assert back.swap_mode == SwapMode.DISABLED
    lib.hqt_engine_destroy(e)
