"""Issue 10, item 1: values past the range HQT keeps exact are refused with
hqt.RangeError naming the quantity, with nothing changed (they trapped and
killed the host process before: SIGILL on arithmetic overflow)."""

from __future__ import annotations

import ctypes as C

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import LIBHQT

SEC = 1_000_000_000
T0 = 1_704_153_600 * SEC  # 2024-01-02 00:00:00 UTC


def usd_engine(balance: float = 1_000_000.0) -> tuple[hqt.Engine, int]:
    e = hqt.Engine(balance, "USD", 100)
    s = e.add_symbol("TEST", base_currency="USD", profit_currency="USD")
    return e, s


def test_range_error_is_an_hqt_error_and_an_overflow_error() -> None:
    assert issubclass(hqt.RangeError, hqt.HQTError)
    assert issubclass(hqt.RangeError, OverflowError)
    assert hqt.RangeError.status == hqt.constants.Status.RANGE == 19


def test_a_price_jump_stops_the_run_before_the_jump_with_the_account_intact() -> None:
    e, s = usd_engine()
    times = T0 + SEC * np.arange(4, dtype=np.int64)
    bids = np.array([1.1, 1.2, 2e6, 1.3])
    e.load_ticks(s, times, bids, bids)

    class Buyer(hqt.Strategy):
        def on_tick(self, engine: hqt.Engine, tick: object) -> None:
            if not engine.positions:
                engine.buy(s, 100.0)

    with pytest.raises(hqt.RangeError, match=r"floating profit.*2e12.*nothing was changed"):
        e.run(Buyer())
    # 100 lots bought at 1.1, valued at the last good tick (1.2): +1,000,000
    # less nothing (no spread, no commission); the 2e6 tick was not applied.
    assert e.equity == pytest.approx(2_000_000.0)
    assert e.pending_events == 1  # the jump tick was consumed; the one after it was not
    assert len(e.positions) == 1


def test_deposits_past_the_balance_range_are_refused_and_change_nothing() -> None:
    e, _ = usd_engine(1_000_000_000_000.0)
    e.deposit(900_000_000_000.0)
    with pytest.raises(hqt.RangeError, match="deposit.*beyond ±2e12"):
        e.deposit(900_000_000_000.0)
    assert e.balance == pytest.approx(1_900_000_000_000.0)
    e.deposit(1.0)  # still usable


def test_a_bar_closing_after_the_last_int64_nanosecond_is_a_range_error() -> None:
    e, s = usd_engine()
    with pytest.raises(hqt.RangeError, match="last int64"):
        e.load_bars(s, hqt.M1, [2**63 - 30 * SEC], [1.0], [1.0], [1.0], [1.0])
    assert e.pending_events == 0


def test_the_c_abi_returns_hqt_e_range_with_a_message() -> None:
    lib = H.load(LIBHQT)
    eng = H.ENGINE_P()
    assert lib.hqt_engine_create(10**18, b"USD", 100, C.byref(eng)) == H.STATUS.OK
    try:
        assert lib.hqt_engine_deposit(eng, C.c_int64(900_000_000_000 * 10**6)) == H.STATUS.OK
        status = lib.hqt_engine_deposit(eng, C.c_int64(900_000_000_000 * 10**6))
        assert status == H.STATUS.RANGE
        assert b"beyond" in lib.hqt_last_error()
    finally:
        lib.hqt_engine_destroy(eng)
