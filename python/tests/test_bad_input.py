"""Every bad input of the issue raises the right HQTError and leaves the engine untouched.

The fixture has: EURUSD (0) and USDJPY (1) quoted, one open buy position with
SL/TP, one pending buy limit, and ticks loaded but not yet run. Each case
snapshots the complete observable state (account, positions, orders, order
history, deals, trades, equity curve, pending events, symbols, statistics)
before and after the failing call and requires them to be identical.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, T0, snapshot


@pytest.fixture
def busy_engine() -> tuple[hqt.Engine, dict[str, int]]:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD", commission_per_lot=3.5)
    e.add_symbol("USDJPY", digits=3)
    e.process_event(hqt.Tick(0, T0, 1.10000, 1.10020))
    e.process_event(hqt.Tick(1, T0, 150.000, 150.020))
    pos = e.buy(0, 0.1, sl=1.09, tp=1.12)
    order = e.buy_limit(0, 0.2, 1.09, sl=1.08, tp=1.11)
    e.load_ticks(0, [T0 + SEC, T0 + 2 * SEC], [1.1001, 1.1002], [1.1003, 1.1004])
    return e, {"pos": pos, "order": order}


P, O = "pos", "order"

# (id, call, expected exception)
CASES: list[
    tuple[str, Callable[[hqt.Engine, dict[str, int]], Any], type[BaseException] | tuple]
] = [
    # unknown symbol / ticket
    ("buy unknown symbol id", lambda e, k: e.buy(7, 0.1), hqt.UnknownSymbolError),
    ("buy unknown symbol name", lambda e, k: e.buy("GBPUSD", 0.1), hqt.UnknownSymbolError),
    ("sell_limit unknown symbol", lambda e, k: e.sell_limit(9, 0.1, 2.0), hqt.UnknownSymbolError),
    (
        "load ticks unknown symbol",
        lambda e, k: e.load_ticks(5, [T0 + 9 * SEC], [1.1], [1.2]),
        hqt.UnknownSymbolError,
    ),
    ("build bars unknown symbol", lambda e, k: e.build_bars(5, hqt.M1), hqt.UnknownSymbolError),
    ("symbol info unknown", lambda e, k: e.symbol(5), hqt.UnknownSymbolError),
    ("close unknown ticket", lambda e, k: e.close(999), hqt.UnknownTicketError),
    ("close a pending order", lambda e, k: e.close(k[O]), hqt.UnknownTicketError),
    ("cancel unknown ticket", lambda e, k: e.cancel(999), hqt.UnknownTicketError),
    ("cancel a position", lambda e, k: e.cancel(k[P]), hqt.UnknownTicketError),
    ("modify unknown ticket", lambda e, k: e.modify(999, sl=1.0), hqt.UnknownTicketError),
    ("modify_order unknown", lambda e, k: e.modify_order(999, price=1.0), hqt.UnknownTicketError),
    ("trailing unknown", lambda e, k: e.set_trailing_stop(999, 50), hqt.UnknownTicketError),
    ("position unknown", lambda e, k: e.position(999), hqt.UnknownTicketError),
    ("negative ticket", lambda e, k: e.close(-1), hqt.InvalidArgumentError),
    # volume
    ("volume not a step multiple", lambda e, k: e.buy(0, 0.015), hqt.InvalidVolumeError),
    ("volume below min", lambda e, k: e.buy(0, 0.001), hqt.InvalidVolumeError),
    ("volume above max", lambda e, k: e.sell(0, 100.01), hqt.InvalidVolumeError),
    ("volume zero", lambda e, k: e.buy(0, 0.0), hqt.InvalidVolumeError),
    ("volume negative", lambda e, k: e.buy(0, -0.1), hqt.InvalidVolumeError),
    ("pending volume off step", lambda e, k: e.buy_limit(0, 0.123, 1.09), hqt.InvalidVolumeError),
    ("close volume off step", lambda e, k: e.close(k[P], 0.015), hqt.InvalidVolumeError),
    ("close more than open", lambda e, k: e.close(k[P], 0.2), hqt.InvalidVolumeError),
    ("close volume zero", lambda e, k: e.close(k[P], 0.0), hqt.InvalidVolumeError),
    ("close volume negative", lambda e, k: e.close(k[P], -0.1), hqt.InvalidVolumeError),
    # stops
    ("buy SL above bid", lambda e, k: e.buy(0, 0.1, sl=1.1005), hqt.InvalidStopsError),
    ("buy TP below bid", lambda e, k: e.buy(0, 0.1, tp=1.0990), hqt.InvalidStopsError),
    ("sell SL below ask", lambda e, k: e.sell(0, 0.1, sl=1.0990), hqt.InvalidStopsError),
    ("sell TP above ask", lambda e, k: e.sell(0, 0.1, tp=1.1010), hqt.InvalidStopsError),
    ("modify position SL wrong side", lambda e, k: e.modify(k[P], sl=1.2), hqt.InvalidStopsError),
    ("modify position TP wrong side", lambda e, k: e.modify(k[P], tp=1.0), hqt.InvalidStopsError),
    (
        "buy limit SL above its price",
        lambda e, k: e.buy_limit(0, 0.1, 1.09, sl=1.095),
        hqt.InvalidStopsError,
    ),
    (
        "modify order TP below its price",
        lambda e, k: e.modify(k[O], tp=1.08),
        hqt.InvalidStopsError,
    ),
    # prices
    ("buy limit above ask", lambda e, k: e.buy_limit(0, 0.1, 1.2), hqt.InvalidPriceError),
    ("sell limit below bid", lambda e, k: e.sell_limit(0, 0.1, 1.0), hqt.InvalidPriceError),
    ("buy stop below ask", lambda e, k: e.buy_stop(0, 0.1, 1.0), hqt.InvalidPriceError),
    ("sell stop above bid", lambda e, k: e.sell_stop(0, 0.1, 1.2), hqt.InvalidPriceError),
    ("negative limit price", lambda e, k: e.buy_limit(0, 0.1, -1.0), hqt.InvalidPriceError),
    ("negative SL", lambda e, k: e.buy(0, 0.1, sl=-1.0), hqt.InvalidPriceError),
    (
        "modify order to wrong side",
        lambda e, k: e.modify_order(k[O], price=1.3),
        hqt.InvalidPriceError,
    ),
    # NaN / inf
    ("NaN volume", lambda e, k: e.buy(0, math.nan), hqt.InvalidArgumentError),
    ("inf volume", lambda e, k: e.buy(0, math.inf), hqt.InvalidArgumentError),
    ("NaN SL", lambda e, k: e.buy(0, 0.1, sl=math.nan), hqt.InvalidArgumentError),
    ("NaN pending price", lambda e, k: e.sell_stop(0, 0.1, math.nan), hqt.InvalidArgumentError),
    ("NaN modify", lambda e, k: e.modify(k[P], tp=math.nan), hqt.InvalidArgumentError),
    ("NaN deposit", lambda e, k: e.deposit(math.nan), hqt.InvalidArgumentError),
    # money
    ("not enough margin", lambda e, k: e.buy(0, 100.0), hqt.InsufficientMarginError),
    ("not enough margin, pending", lambda e, k: e.sell(1, 50.0), hqt.InsufficientMarginError),
    ("withdraw more than free", lambda e, k: e.deposit(-20_000.0), hqt.InsufficientMarginError),
    ("deposit zero", lambda e, k: e.deposit(0.0), hqt.InvalidArgumentError),
    # market data
    (
        "ticks going backwards",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC, T0 + 4 * SEC], [1.1, 1.1], [1.1002, 1.1002]),
        hqt.DataOrderError,
    ),
    (
        "ticks before loaded data",
        lambda e, k: e.load_ticks(0, [T0 + SEC // 2], [1.1], [1.1002]),
        hqt.DataOrderError,
    ),
    (
        "ticks NaN price",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC], [math.nan], [1.1002]),
        (hqt.InvalidPriceError, hqt.BadDataError),
    ),
    (
        "ticks inf price",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC], [1.1], [math.inf]),
        (hqt.InvalidPriceError, hqt.BadDataError),
    ),
    (
        "ticks negative price",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC], [-1.1], [1.1002]),
        (hqt.InvalidPriceError, hqt.BadDataError),
    ),
    (
        "ticks zero price",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC], [0.0], [1.1002]),
        (hqt.InvalidPriceError, hqt.BadDataError),
    ),
    (
        "ticks bad in the middle",
        lambda e, k: e.load_ticks(
            0, T0 + SEC * np.arange(5, 10), [1.1, 1.1, -1.0, 1.1, 1.1], [1.2] * 5
        ),
        (hqt.InvalidPriceError, hqt.BadDataError),
    ),
    (
        "ticks crossed quote",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC], [1.2], [1.1]),
        hqt.BadDataError,
    ),
    (
        "ticks length mismatch",
        lambda e, k: e.load_ticks(0, [T0 + 5 * SEC, T0 + 6 * SEC], [1.1], [1.2, 1.2]),
        hqt.InvalidArgumentError,
    ),
    (
        "ticks 2-D",
        lambda e, k: e.load_ticks(0, [[T0 + 5 * SEC]], [[1.1]], [[1.2]]),
        hqt.InvalidArgumentError,
    ),
    (
        "ticks fractional ns",
        lambda e, k: e.load_ticks(0, [2.5], [1.1], [1.2]),
        hqt.InvalidArgumentError,
    ),
    ("ticks string prices", lambda e, k: e.load_ticks(0, [T0 + 5 * SEC], ["x"], [1.2]), TypeError),
    (
        "bars high below low",
        lambda e, k: e.load_bars(0, hqt.M1, [T0 + MIN], [1.1], [1.0], [1.2], [1.1], [1.0]),
        hqt.BadDataError,
    ),
    (
        "bars going backwards",
        lambda e, k: e.load_bars(
            0,
            hqt.M1,
            [T0 + 2 * MIN, T0 + MIN],
            [1.1] * 2,
            [1.2] * 2,
            [1.0] * 2,
            [1.1] * 2,
            [1.0] * 2,
        ),
        hqt.DataOrderError,
    ),
    (
        "bars NaN",
        lambda e, k: e.load_bars(0, hqt.M1, [T0 + MIN], [math.nan], [1.2], [1.0], [1.1]),
        (hqt.InvalidPriceError, hqt.BadDataError),
    ),
    (
        "bars bad timeframe",
        lambda e, k: e.load_bars(0, 7, [T0 + MIN], [1.1], [1.2], [1.0], [1.1]),
        hqt.InvalidArgumentError,
    ),
    ("build bars bad timeframe", lambda e, k: e.build_bars(0, 2), hqt.InvalidArgumentError),
    (
        "event before engine time",
        lambda e, k: e.process_event(hqt.Tick(0, T0 - 1, 1.1, 1.1002)),
        hqt.DataOrderError,
    ),
    (
        "event crossed",
        lambda e, k: e.process_event(hqt.Tick(0, T0 + 1, 1.2, 1.1)),
        hqt.BadDataError,
    ),
    (
        "event unknown symbol",
        lambda e, k: e.process_event(hqt.Tick(8, T0 + 1, 1.1, 1.2)),
        hqt.UnknownSymbolError,
    ),
    ("event wrong type", lambda e, k: e.process_event((0, T0 + 1, 1.1, 1.2)), TypeError),
    # configuration / misc
    (
        "order type out of range",
        lambda e, k: e.order_send(0, 8, 0.1, price=1.0),
        hqt.InvalidArgumentError,
    ),
    ("account mode after trading", lambda e, k: e.set_account_mode("netting"), hqt.StateError),
    (
        "margin levels inverted",
        lambda e, k: e.set_margin_levels(40.0, 60.0),
        hqt.InvalidArgumentError,
    ),
    ("duplicate symbol", lambda e, k: e.add_symbol("EURUSD"), hqt.InvalidArgumentError),
    (
        "symbol digits out of range",
        lambda e, k: e.add_symbol("GBPUSD", digits=9),
        hqt.InvalidArgumentError,
    ),
    (
        "symbol negative contract",
        lambda e, k: e.add_symbol("GBPUSD", contract_size=-1),
        hqt.InvalidArgumentError,
    ),
    (
        "symbol step zero",
        lambda e, k: e.add_symbol("GBPUSD", volume_step=0),
        hqt.InvalidArgumentError,
    ),
    (
        "symbol min above max",
        lambda e, k: e.add_symbol("GBPUSD", volume_min=5, volume_max=1),
        hqt.InvalidArgumentError,
    ),
    ("volume as string", lambda e, k: e.buy(0, "0.1"), TypeError),
    ("missing argument", lambda e, k: e.buy(0), TypeError),
    ("unknown keyword", lambda e, k: e.buy(0, 0.1, stoploss=1.0), TypeError),
    (
        "trailing on a pending order",
        lambda e, k: e.set_trailing_stop(k[O], 50),
        hqt.UnknownTicketError,
    ),
    ("negative trailing", lambda e, k: e.set_trailing_stop(k[P], -5), hqt.InvalidArgumentError),
]


@pytest.mark.parametrize("call,expected", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_and_leaves_state(busy_engine, call, expected):
    e, k = busy_engine
    before = snapshot(e)
    with pytest.raises(expected) as info:
        call(e, k)
    assert str(info.value), "the error must say what is wrong"
    if isinstance(info.value, hqt.HQTError):
        assert isinstance(
            info.value,
            (ValueError, KeyError, LookupError, RuntimeError, hqt.TradeError, hqt.DataError),
        )
    assert snapshot(e) == before


def test_error_messages_name_the_problem(busy_engine):
    e, k = busy_engine
    with pytest.raises(hqt.InvalidVolumeError, match="step"):
        e.buy(0, 0.015)
    with pytest.raises(hqt.UnknownTicketError, match="999"):
        e.close(999)
    with pytest.raises(hqt.InvalidArgumentError, match="NaN"):
        e.buy(0, 0.1, sl=math.nan)
    with pytest.raises(hqt.DataOrderError) as info:
        e.load_ticks(0, T0 + SEC * np.array([5, 6, 4]), [1.1] * 3, [1.2] * 3)
    assert "2" in str(info.value), "the message names the bad index"


def test_error_is_usable_as_builtin(busy_engine):
    e, _ = busy_engine
    with pytest.raises(KeyError):
        e.close(12345)
    with pytest.raises(ValueError):
        e.buy(0, 0.015)


def test_no_price_yet():
    e = hqt.Engine(1000.0)
    e.add_symbol("EURUSD")
    before = snapshot(e)
    with pytest.raises(hqt.NoPriceError):
        e.buy(0, 0.01)
    with pytest.raises(hqt.NoPriceError):
        e.buy_limit(0, 0.01, 1.0)
    assert snapshot(e) == before


def test_no_conversion_path():
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURJPY", digits=3)
    e.process_event(hqt.Tick(0, T0, 160.0, 160.02))
    before = snapshot(e)
    with pytest.raises(hqt.ConversionError, match="JPY|EUR"):
        e.buy(0, 0.1)
    assert snapshot(e) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_balance": math.nan},
        {"initial_balance": -5.0},
        {"leverage": 0},
        {"leverage": -100},
        {"currency": "US"},
        {"currency": ""},
        {"currency": "USDX"},
    ],
    ids=[
        "nan-balance",
        "negative-balance",
        "zero-leverage",
        "negative-leverage",
        "2-letter-currency",
        "empty-currency",
        "4-letter-currency",
    ],
)
def test_bad_engine_arguments(kwargs):
    args = {"initial_balance": 1000.0, "currency": "USD", "leverage": 100} | kwargs
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.Engine(args["initial_balance"], args["currency"], args["leverage"])


def test_disposed_engine_raises_state_error():
    e = hqt.Engine(1000.0)
    e.dispose()
    for call in (
        lambda: e.buy(0, 0.1),
        lambda: e.positions,
        lambda: e.run(),
        lambda: e.load_ticks(0, [1], [1.0], [1.0]),
    ):
        with pytest.raises(hqt.StateError):
            call()
