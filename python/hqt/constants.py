"""Enumerations of the C ABI and SPEC, as IntEnums (pure Python).

The values are those of include/hqt.h: they compare equal to the plain ints
found in Tick/Bar/Deal objects and to the codes of MetaTrader 5.
"""
from __future__ import annotations

from enum import IntEnum

__all__ = [
    "OrderType", "PositionType", "DealEntry", "DealReason", "OrderState", "AccountMode",
    "MarginMode", "Timeframe", "TIMEFRAMES",
    "M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN1",
    "ORDER_BUY", "ORDER_SELL", "ORDER_BUY_LIMIT", "ORDER_SELL_LIMIT", "ORDER_BUY_STOP",
    "ORDER_SELL_STOP", "ORDER_BUY_STOP_LIMIT", "ORDER_SELL_STOP_LIMIT", "BUY", "SELL",
]


class OrderType(IntEnum):
    """Order types (MetaTrader 5 codes)."""

    BUY = 0
    SELL = 1
    BUY_LIMIT = 2
    SELL_LIMIT = 3
    BUY_STOP = 4
    SELL_STOP = 5
    BUY_STOP_LIMIT = 6
    SELL_STOP_LIMIT = 7


class PositionType(IntEnum):
    """Direction of a position or deal."""

    BUY = 0
    SELL = 1


class DealEntry(IntEnum):
    """Whether a deal opened, closed or reversed (netting) a position."""

    IN = 0
    OUT = 1
    INOUT = 2


class DealReason(IntEnum):
    """Why a deal happened."""

    CLIENT = 0
    SL = 1
    TP = 2
    STOP_OUT = 3
    PENDING = 4


class OrderState(IntEnum):
    """State of a pending order (high nibble of the ORDER frame's kind byte)."""

    PLACED = 0
    MODIFIED = 1
    FILLED = 2
    CANCELED = 3
    REJECTED = 4
    EXPIRED = 5


class AccountMode(IntEnum):
    """Hedging: several positions per symbol. Netting: one, reduced/reversed by opposite deals."""

    HEDGING = 0
    NETTING = 1


class MarginMode(IntEnum):
    """How a symbol's margin is computed."""

    FOREX = 0  #: lots x contract size / leverage, in margin currency
    CFD = 1    #: lots x contract size x price / leverage, in margin currency


class Timeframe(IntEnum):
    """Bar timeframes in minutes (SPEC)."""

    M1 = 1
    M5 = 5
    M15 = 15
    M30 = 30
    H1 = 60
    H4 = 240
    D1 = 1440
    W1 = 10080
    MN1 = 43200


#: Every SPEC timeframe, in minutes, ascending.
TIMEFRAMES: tuple[int, ...] = tuple(int(tf) for tf in Timeframe)

M1, M5, M15, M30 = Timeframe.M1, Timeframe.M5, Timeframe.M15, Timeframe.M30
H1, H4, D1, W1, MN1 = Timeframe.H1, Timeframe.H4, Timeframe.D1, Timeframe.W1, Timeframe.MN1

ORDER_BUY = OrderType.BUY
ORDER_SELL = OrderType.SELL
ORDER_BUY_LIMIT = OrderType.BUY_LIMIT
ORDER_SELL_LIMIT = OrderType.SELL_LIMIT
ORDER_BUY_STOP = OrderType.BUY_STOP
ORDER_SELL_STOP = OrderType.SELL_STOP
ORDER_BUY_STOP_LIMIT = OrderType.BUY_STOP_LIMIT
ORDER_SELL_STOP_LIMIT = OrderType.SELL_STOP_LIMIT
BUY = PositionType.BUY
SELL = PositionType.SELL
