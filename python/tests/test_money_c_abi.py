"""The money rules through the C ABI, as a C program would drive them (include/hqt.h):
the commission fields appended to hqt_symbol_spec_v2, hqt_engine_set_currency_digits /
hqt_engine_currency_digits, and hqt_engine_close_by with its HQT_ENTRY_OUT_BY deals
(docs/engine.md, "Calculation modes")."""

from __future__ import annotations

import ctypes as C

import pytest

import hqt_ctypes as H
from conftest import LIBHQT, SEC, T0
from hqt.constants import CommissionCurrency, CommissionEntry, DealEntry

OK, E_ARG = 0, 1
U = 1_000_000


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    return H.load(LIBHQT)


last_error = H.last_error


spec = H.usd_spec


def engine(lib):
    e = C.c_void_p()
    assert lib.hqt_engine_create(10_000 * U, b"USD", 100, C.byref(e)) == OK
    return e


def add(lib, e, s) -> int:
    return lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(C.c_uint32()))


def tick(lib, e, k: int, bid: int, ask: int) -> None:
    ev = H.Event(type=0, tick=H.Tick(0, T0 + k * SEC, bid, ask))
    assert lib.hqt_engine_process_event(e, C.byref(ev), None) == OK


def deals(lib, e) -> list[H.Deal]:
    out = (H.Deal * 16)()
    n = C.c_size_t()
    assert lib.hqt_engine_deals(e, out, 16, C.byref(n)) == OK
    return list(out[: n.value])


def test_init_defaults_are_the_0_1_commission_model(lib):
    s = H.SymbolSpecV2()
    C.memset(C.byref(s), 0x5A, C.sizeof(s))
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), C.sizeof(s)) == OK
    assert (s.commission_per_deal, s.commission_percent) == (0, 0)
    assert (s.commission_entry, s.commission_currency) == (
        CommissionEntry.BOTH,
        CommissionCurrency.DEPOSIT,
    )


def test_an_older_struct_gets_the_0_1_commission_model(lib):
    """A caller compiled against the layout before the commission fields (the
    one ending with the swap fields) passes a shorter struct_size: its swap
    fields are read, the commission fields beyond it take their defaults."""
    older = H.SymbolSpecV2.commission_per_deal.offset
    s = H.SymbolSpecV2()
    assert lib.hqt_symbol_spec_v2_init(C.byref(s), older) == OK
    s.name, s.base_currency, s.profit_currency = b"S", b"USD", b"USD"
    s.swap_mode, s.swap_long = 4, 2 * U  # HQT_SWAP_DEPOSIT_CURRENCY: inside the caller's struct
    s.commission_per_deal = 7 * U  # beyond it: never read
    e = engine(lib)
    try:
        assert add(lib, e, s) == OK, last_error(lib)
        back = spec(lib)
        assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == OK
        assert (back.swap_mode, back.swap_long) == (4, 2 * U)
        assert back.commission_per_deal == 0
    finally:
        lib.hqt_engine_destroy(e)


def test_commission_fields_charge_and_read_back(lib):
    s = spec(lib)
    s.commission_per_deal, s.commission_entry = 3 * U, CommissionEntry.IN
    s.commission_percent = 10_000  # 0.01 %
    e = engine(lib)
    try:
        assert add(lib, e, s) == OK, last_error(lib)
        back = spec(lib)
        assert lib.hqt_engine_symbol_spec(e, 0, C.byref(back)) == OK
        assert (back.commission_per_deal, back.commission_percent, back.commission_entry) == (
            3 * U,
            10_000,
            CommissionEntry.IN,
        )
        tick(lib, e, 1, 1_200_000, 1_200_000)
        t = C.c_uint64()
        assert lib.hqt_engine_buy(e, 0, U, 0, 0, C.byref(t)) == OK
        assert lib.hqt_engine_close(e, t.value, 0) == OK
        # entry: 3 + 120 000 x 0.01 % = 15; exit: not charged ("in")
        assert [d.commission for d in deals(lib, e)] == [-15 * U, 0]
    finally:
        lib.hqt_engine_destroy(e)


@pytest.mark.parametrize(
    "field,value", [("commission_entry", 3), ("commission_currency", 2), ("commission_percent", -1)]
)
def test_bad_commission_fields_are_invalid_arguments(lib, field, value):
    s = spec(lib)
    setattr(s, field, value)
    e = engine(lib)
    try:
        assert add(lib, e, s) == E_ARG
        assert field.replace("_", " ") in last_error(lib) or field in last_error(lib)
    finally:
        lib.hqt_engine_destroy(e)


def test_currency_digits(lib):
    e = engine(lib)
    try:
        d = C.c_int32()
        assert lib.hqt_engine_currency_digits(e, C.byref(d)) == OK and d.value == 2
        assert lib.hqt_engine_set_currency_digits(e, 7) == E_ARG
        assert lib.hqt_engine_set_currency_digits(e, 0) == OK
        assert lib.hqt_engine_currency_digits(e, C.byref(d)) == OK and d.value == 0
        assert lib.hqt_engine_currency_digits(e, None) == E_ARG
    finally:
        lib.hqt_engine_destroy(e)


def test_close_by_makes_two_out_by_deals(lib):
    e = engine(lib)
    try:
        assert add(lib, e, spec(lib)) == OK
        tick(lib, e, 1, 1_000_000, 1_000_200)
        a, b = C.c_uint64(), C.c_uint64()
        assert lib.hqt_engine_buy(e, 0, U, 0, 0, C.byref(a)) == OK
        tick(lib, e, 2, 1_010_000, 1_010_200)
        assert lib.hqt_engine_sell(e, 0, 400_000, 0, 0, C.byref(b)) == OK
        assert lib.hqt_engine_close_by(e, a.value, a.value) != OK
        assert lib.hqt_engine_close_by(e, a.value, b.value) == OK, last_error(lib)
        out = deals(lib, e)[2:]
        assert [d.entry for d in out] == [DealEntry.OUT_BY, DealEntry.OUT_BY]
        # both at the sell's open price 1.01000: (1.01000 - 1.00020) x 40 000 = 392
        assert [(d.price, d.profit) for d in out] == [(1_010_000, 392 * U), (1_010_000, 0)]
        assert lib.hqt_engine_close_by(None, a.value, b.value) != OK
    finally:
        lib.hqt_engine_destroy(e)
