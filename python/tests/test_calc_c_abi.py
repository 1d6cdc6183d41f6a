"""The calculation-mode fields appended to hqt_symbol_spec_v2 after its first layout, driven
through ctypes as a C program would (include/hqt.h; formulas in docs/engine.md,
from MQL5's ENUM_SYMBOL_CALC_MODE,
mql5.com/en/docs/constants/environment_state/marketinfoconstants)."""

from __future__ import annotations

import ctypes as C

import pytest

import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0
from hqt.constants import CalcMode, MarginMode

OK, E_ARG, E_NO_MONEY = 0, 1, 7
U = 1_000_000


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    return H.load(LIBHQT)


last_error = H.last_error


spec = H.usd_spec


def engine_with(lib, s: H.SymbolSpecV2, bid: int, ask: int, balance: int = 1_000_000 * U):
    e = C.c_void_p()
    assert lib.hqt_engine_create(balance, b"USD", 100, C.byref(e)) == OK
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == OK, last_error(lib)
    ev = H.Event(type=0, tick=H.Tick(0, T0 + SEC, bid, ask))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == OK
    return e


def margin(lib, e) -> int:
    a = H.Account()
    assert lib.hqt_engine_account(e, C.byref(a)) == OK
    return a.margin


def test_init_fills_the_new_defaults(lib):
    s = H.SymbolSpecV2()
    C.memset(C.byref(s), 0x5A, C.sizeof(s))
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == OK
    assert (s.calc_mode, s.margin_rate, s.margin_hedged, s.margin_hedged_use_leg) == (
        CalcMode.FROM_MARGIN_MODE,
        U,
        -1,
        0,
    )
    assert (s.margin_initial, s.margin_maintenance, s.tick_size, s.tick_value) == (0, 0, 0, 0)


def test_cfd_margin_through_the_struct(lib):
    s = spec(lib)
    s.calc_mode, s.contract_size, s.digits = CalcMode.CFD, 100 * U, 2
    e = engine_with(lib, s, 4_999 * U, 5_000 * U)
    t = C.c_uint64()
    assert lib.hqt_engine_buy(e, 0, U, 0, 0, C.byref(t)) == OK
    # 1 lot x 100 x 5000 x 1 = 500 000 (no leverage)
    assert margin(lib, e) == 500_000 * U
    lib.hqt_engine_destroy(e)


def test_futures_and_hedged_fields_through_the_struct(lib):
    s = spec(lib)
    s.calc_mode, s.contract_size, s.digits = CalcMode.FUTURES, 50 * U, 2
    s.tick_size, s.tick_value, s.margin_initial = 250_000, 12_500_000, 2_500 * U
    s.margin_hedged = 25 * U  # half the contract per hedged lot
    e = engine_with(lib, s, 4_500 * U, 4_500 * U)
    t = C.c_uint64()
    assert lib.hqt_engine_buy(e, 0, U, 0, 0, C.byref(t)) == OK
    assert lib.hqt_engine_sell(e, 0, U, 0, 0, C.byref(t)) == OK
    # hedged 1 lot: (2 500 + 2 500) / 2 x 25 / 50 = 1 250
    assert margin(lib, e) == 1_250 * U
    ev = H.Event(type=0, tick=H.Tick(0, T0 + 2 * SEC, 4_510 * U, 4_510 * U))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == OK
    # the buy's floating profit (4510 - 4500) x 12.5 / 0.25 = 500, the sell's -500
    a = H.Account()
    assert lib.hqt_engine_account(e, C.byref(a)) == OK and a.profit == 0
    assert lib.hqt_engine_close(e, t.value, 0) == OK  # the sell: -500 realised
    assert lib.hqt_engine_account(e, C.byref(a)) == OK
    assert a.balance == 1_000_000 * U - 500 * U
    lib.hqt_engine_destroy(e)


def test_a_first_layout_struct_gets_the_defaults(lib):
    """A program built against the first layout's header: its margin_mode CFD is MT5's CFD."""
    s = spec(lib, H.SYMBOL_SPEC_V2_FIRST_SIZE)
    assert s.calc_mode == 0, "init touched no byte beyond struct_size"
    s.margin_mode, s.contract_size, s.digits = MarginMode.CFD, 100 * U, 2
    e = engine_with(lib, s, 5_000 * U, 5_000 * U)
    t = C.c_uint64()
    assert lib.hqt_engine_buy(e, 0, U, 0, 0, C.byref(t)) == OK
    assert margin(lib, e) == 500_000 * U
    lib.hqt_engine_destroy(e)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("calc_mode", 6, "calc_mode must be an HQT_CALC_"),
        ("margin_hedged_use_leg", 2, "margin_hedged_use_leg must be 0 or 1"),
        ("margin_hedged", -2, "margin_hedged must be -1"),
        ("margin_rate", -1, "margin_rate"),
        ("tick_size", -1, "tick_size"),
    ],
)
def test_bad_fields_are_refused(lib, field, value, message):
    e = C.c_void_p()
    assert lib.hqt_engine_create(1_000 * U, b"USD", 100, C.byref(e)) == OK
    s = spec(lib)
    setattr(s, field, value)
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == E_ARG
    assert message in last_error(lib)
    lib.hqt_engine_destroy(e)


def test_margin_mode_and_calc_mode_must_agree(lib):
    e = C.c_void_p()
    assert lib.hqt_engine_create(1_000 * U, b"USD", 100, C.byref(e)) == OK
    s = spec(lib)
    s.margin_mode, s.calc_mode = MarginMode.CFD, CalcMode.FUTURES
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(sid)) == E_ARG
    assert "set only calc_mode" in last_error(lib)
    lib.hqt_engine_destroy(e)


def test_the_spec_reads_back(lib):
    s = spec(lib)
    s.calc_mode, s.contract_size, s.digits = CalcMode.FUTURES, 50 * U, 2
    s.tick_size, s.tick_value, s.margin_initial = 250_000, 12_500_000, 2_500 * U
    s.margin_maintenance, s.margin_rate, s.margin_hedged_use_leg = 2_000 * U, 900_000, 1
    e = engine_with(lib, s, 4_500 * U, 4_500 * U)
    out = H.SymbolSpecV2()
    C.memset(C.byref(out), 0x5A, C.sizeof(out))
    assert lib.hqt_symbol_spec_v2_init(C.byref(out), C.sizeof(out)) == OK
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(out)) == OK
    assert out.name is None and out.struct_size == C.sizeof(out)
    got = [getattr(out, f) for f, _ in H.SymbolSpecV2._fields_[5:]]
    want = [getattr(s, f) for f, _ in H.SymbolSpecV2._fields_[5:]]
    want[2] = MarginMode.CFD  # margin_mode: the alias of a mode that is not forex
    assert got == want
    # a first-layout struct gets that layout's fields only, nothing past struct_size
    old = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(old), H.SYMBOL_SPEC_V2_FIRST_SIZE) == OK
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(old)) == OK
    assert old.contract_size == 50 * U and old.calc_mode == 0 and old.margin_rate == 0
    bad = H.SymbolSpecV2()  # struct_size 0
    assert lib.hqt_engine_symbol_spec(e, 0, C.byref(bad)) == E_ARG
    assert "hqt_symbol_spec_v2_init" in last_error(lib)
    assert lib.hqt_engine_symbol_spec(e, 5, C.byref(out)) != OK
    lib.hqt_engine_destroy(e)
