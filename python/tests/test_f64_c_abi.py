"""The _f64 entry points of hqt.h (through hqt.capi): doubles in natural units,
rounded once to micro-units, then exactly what the int64 twin does."""

from __future__ import annotations

import ctypes as C
import math

import pytest

import hqt.capi as capi
from conftest import LIBHQT, T0

U = 1_000_000


@pytest.fixture(scope="module")
def lib() -> C.CDLL:
    return capi.load(LIBHQT)


def make(lib, create) -> C.c_void_p:
    """An engine made by `create`, with symbol 0 (S, USD) quoted 1.10000 / 1.10002."""
    e = capi.ENGINE_P()
    capi.check(lib, create(e))
    s = capi.usd_spec(lib)
    capi.check(lib, lib.hqt_engine_add_symbol_v2(e, C.byref(s), C.byref(C.c_uint32())))
    t, bid, ask = (C.c_int64 * 1)(T0), (C.c_double * 1)(1.1), (C.c_double * 1)(1.10002)
    capi.check(lib, lib.hqt_engine_load_ticks_f64(e, 0, t, bid, ask, 1))
    capi.check(lib, lib.hqt_engine_run(e, None))
    return e


def state(lib, e) -> tuple[int, list[tuple[int, int, int, int]]]:
    a = capi.Account()
    capi.check(lib, lib.hqt_engine_account(e, C.byref(a)))
    ps = (capi.Position * 4)()
    n = C.c_size_t()
    capi.check(lib, lib.hqt_engine_positions(e, ps, 4, C.byref(n)))
    return a.balance, [(p.volume, p.open_price, p.sl, p.tp) for p in ps[: n.value]]


def test_f64_twins_give_the_same_engine_as_micro_units(lib):
    ticket = C.c_uint64()
    f = make(lib, lambda e: lib.hqt_engine_create_f64(10_000.5, b"USD", 100, C.byref(e)))
    capi.check(lib, lib.hqt_engine_deposit_f64(f, 250.25))
    capi.check(lib, lib.hqt_engine_buy_f64(f, 0, 0.3, 1.09, 1.12, C.byref(ticket)))
    capi.check(lib, lib.hqt_engine_modify_f64(f, ticket.value, -1.0, 1.13))  # < 0: SL kept
    capi.check(lib, lib.hqt_engine_close_f64(f, ticket.value, 0.1))
    capi.check(lib, lib.hqt_engine_sell_f64(f, 0, 0.05, 0.0, 0.0, C.byref(C.c_uint64())))

    m = make(lib, lambda e: lib.hqt_engine_create(10_000_500_000, b"USD", 100, C.byref(e)))
    capi.check(lib, lib.hqt_engine_deposit(m, 250_250_000))
    capi.check(lib, lib.hqt_engine_buy(m, 0, 300_000, 1_090_000, 1_120_000, C.byref(ticket)))
    capi.check(lib, lib.hqt_engine_modify(m, ticket.value, capi.HQT_KEEP, 1_130_000))
    capi.check(lib, lib.hqt_engine_close(m, ticket.value, 100_000))
    capi.check(lib, lib.hqt_engine_sell(m, 0, 50_000, 0, 0, C.byref(C.c_uint64())))

    assert state(lib, f) == state(lib, m)
    assert state(lib, f)[1][0][0] == 200_000 and state(lib, f)[1][0][2:] == (1_090_000, 1_130_000)
    for e in (f, m):
        lib.hqt_engine_destroy(e)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1e13])
def test_f64_rejects_what_has_no_micro_value_and_names_the_parameter(lib, bad):
    e = capi.ENGINE_P()
    assert lib.hqt_engine_create_f64(bad, b"USD", 100, C.byref(e)) == capi.STATUS.INVALID_ARGUMENT
    assert "initial_balance" in capi.last_error(lib) and not e.value
    f = make(lib, lambda e: lib.hqt_engine_create_f64(1000.0, b"USD", 100, C.byref(e)))
    out = C.c_uint64()
    assert lib.hqt_engine_buy_f64(f, 0, bad, 0.0, 0.0, C.byref(out)) == 1
    assert "volume_lots" in capi.last_error(lib)
    assert lib.hqt_engine_sell_f64(f, 0, 0.1, 0.0, bad, C.byref(out)) == 1
    assert "tp_price" in capi.last_error(lib)
    assert lib.hqt_engine_deposit_f64(f, bad) == 1 and "amount" in capi.last_error(lib)
    assert lib.hqt_engine_set_margin_levels_f64(f, bad, 50.0) == 1
    assert "margin_call_level" in capi.last_error(lib)
    assert state(lib, f) == (1000 * U, [])  # nothing happened
    lib.hqt_engine_destroy(f)


def test_f64_rounds_half_away_from_zero_once(lib):
    # 10000.0000005 * 1e6 and 0.0999995 * 1e6 are exactly ...0.5 in binary: both round up
    e = make(lib, lambda e: lib.hqt_engine_create_f64(10_000.0000005, b"USD", 100, C.byref(e)))
    assert state(lib, e)[0] == 10_000_000_001
    out = C.c_uint64()
    capi.check(lib, lib.hqt_engine_buy_f64(e, 0, 0.0999995, 0.0, 0.0, C.byref(out)))
    assert state(lib, e)[1][0][0] == 100_000  # 0.1 lot
    status = lib.hqt_engine_buy_f64(e, 0, 0.0999994, 0.0, 0.0, C.byref(out))
    assert status == capi.STATUS.INVALID_VOLUME  # 99 999 micro-lots: off the 0.01 step
    lib.hqt_engine_destroy(e)


def test_order_send_f64_places_the_order_order_send_v2_places(lib):
    f = make(lib, lambda e: lib.hqt_engine_create_f64(10_000.0, b"USD", 100, C.byref(e)))
    m = make(lib, lambda e: lib.hqt_engine_create(10_000_000_000, b"USD", 100, C.byref(e)))
    t1, t2 = C.c_uint64(), C.c_uint64()
    # A buy limit below the market with SL/TP, and a market sell through the same call.
    capi.check(
        lib, lib.hqt_engine_order_send_f64(f, 0, 2, 0.2, 1.09, 0.0, 1.08, 1.12, 0, C.byref(t1))
    )
    capi.check(lib, lib.hqt_engine_order_send_f64(f, 0, 1, 0.1, 0.0, 0.0, 0.0, 0.0, 0, C.byref(t2)))
    r = capi.OrderRequestV2()
    capi.check(lib, lib.hqt_order_request_v2_init(C.byref(r), C.sizeof(r)))
    r.symbol_id, r.type, r.volume, r.price, r.sl, r.tp = (
        0,
        2,
        200_000,
        1_090_000,
        1_080_000,
        1_120_000,
    )
    capi.check(lib, lib.hqt_engine_order_send_v2(m, C.byref(r), C.byref(t1)))
    capi.check(lib, lib.hqt_engine_sell(m, 0, 100_000, 0, 0, C.byref(t2)))
    assert state(lib, f) == state(lib, m) and len(state(lib, f)[1]) == 1

    def orders(e):
        os_ = (capi.Order * 4)()
        n = C.c_size_t()
        capi.check(lib, lib.hqt_engine_orders(e, os_, 4, C.byref(n)))
        return [(o.type, o.volume, o.price, o.sl, o.tp) for o in os_[: n.value]]

    assert orders(f) == orders(m) == [(2, 200_000, 1_090_000, 1_080_000, 1_120_000)]
    # Bad numbers name their parameter; nothing is placed.
    assert lib.hqt_engine_order_send_f64(f, 0, 2, 0.2, math.nan, 0.0, 0.0, 0.0, 0, C.byref(t1)) == 1
    assert "price" in capi.last_error(lib) and len(orders(f)) == 1
    for e in (f, m):
        lib.hqt_engine_destroy(e)
