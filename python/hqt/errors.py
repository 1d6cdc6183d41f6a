"""The one exception hierarchy of HQT.

Every error the engine reports is an :class:`HQTError`. Each C status code
(``HQT_E_*`` in include/hqt.h) has its own subclass, and the subclasses also
derive from the matching built-in exception where one fits, so both
``except hqt.UnknownTicketError`` and ``except KeyError`` work::

    HQTError
    ├── InvalidArgumentError (ValueError)      HQT_E_INVALID_ARGUMENT
    ├── UnknownSymbolError (KeyError)          HQT_E_UNKNOWN_SYMBOL
    ├── UnknownTicketError (KeyError)          HQT_E_UNKNOWN_TICKET
    ├── TradeError                             an order or trade request was rejected
    │   ├── InvalidVolumeError (ValueError)    HQT_E_INVALID_VOLUME
    │   ├── InvalidPriceError (ValueError)     HQT_E_INVALID_PRICE
    │   ├── InvalidStopsError (ValueError)     HQT_E_INVALID_STOPS
    │   ├── InsufficientMarginError            HQT_E_NO_MONEY
    │   ├── NoPriceError                       HQT_E_NO_PRICE
    │   ├── FrozenError                        HQT_E_FROZEN
    │   ├── MarketClosedError                  HQT_E_MARKET_CLOSED
    │   └── VolumeLimitError                   HQT_E_LIMIT_VOLUME
    ├── ConversionError                        HQT_E_CONVERSION
    ├── DataError (ValueError)                 bad market data
    │   ├── DataOrderError                     HQT_E_DATA_ORDER
    │   ├── BadDataError                       HQT_E_BAD_DATA
    │   └── CSVFormatError                     malformed CSV line (file, line number)
    ├── BusyError (RuntimeError)               HQT_E_BUSY
    ├── CallbackError (RuntimeError)           HQT_E_CALLBACK
    ├── StateError (RuntimeError)              HQT_E_STATE
    ├── HQTIOError (OSError)                   HQT_E_IO
    ├── BroadcastError                         HQT_E_BROADCAST
    ├── WALError                               HQT_E_WAL
    │   └── WALCorruptionError                 HQT_E_WAL_CORRUPT
    ├── RangeError (OverflowError)             HQT_E_RANGE
    ├── RunInterruptedError                    HQT_E_INTERRUPTED
    ├── InternalError (RuntimeError)           HQT_E_INTERNAL
    └── NativeLibraryError (ImportError)       hqt._hqt / libhqt.so not built

Warnings (``warnings.warn``) have their own class, :class:`HQTWarning`
(a ``UserWarning``): something that is probably a mistake but may be meant,
such as ``on_bar`` with no bars to receive, or a ``run()`` with nothing left
to run. ``warnings.simplefilter("error", hqt.HQTWarning)`` makes them errors.

A failed call leaves the engine exactly as it was. ``str(error)`` is the
message alone (no quotes, even for the KeyError subclasses).

This module is pure Python: it imports without the native extension.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "HQTError",
    "InvalidArgumentError",
    "UnknownSymbolError",
    "UnknownTicketError",
    "TradeError",
    "InvalidVolumeError",
    "InvalidPriceError",
    "InvalidStopsError",
    "InsufficientMarginError",
    "NoPriceError",
    "FrozenError",
    "MarketClosedError",
    "VolumeLimitError",
    "ConversionError",
    "DataError",
    "DataOrderError",
    "BadDataError",
    "CSVFormatError",
    "BusyError",
    "CallbackError",
    "StateError",
    "HQTIOError",
    "BroadcastError",
    "WALError",
    "WALCorruptionError",
    "RangeError",
    "RunInterruptedError",
    "InternalError",
    "NativeLibraryError",
    "HQTWarning",
    "STATUS_EXCEPTIONS",
    "error_for_status",
]


class HQTError(Exception):
    """Base class of every HQT error.

    Attributes:
        message: what went wrong (and, where it helps, what to do).
        status: the C status code (``HQT_E_*``), or ``None`` for errors raised
            by the Python layer only (such as :class:`CSVFormatError`).
    """

    status: ClassVar[int | None] = None
    status_name: ClassVar[str | None] = None

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.message = str(message)

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(HQTError, ValueError):
    """An argument is invalid: None where a value is needed, NaN, negative, bad enum."""

    status = 1
    status_name = "HQT_E_INVALID_ARGUMENT"


class UnknownSymbolError(HQTError, KeyError):
    """No symbol with that id or name."""

    status = 2
    status_name = "HQT_E_UNKNOWN_SYMBOL"


class UnknownTicketError(HQTError, KeyError):
    """No open position or pending order with that ticket."""

    status = 3
    status_name = "HQT_E_UNKNOWN_TICKET"


class TradeError(HQTError):
    """An order or trade request was rejected; nothing was changed."""


class InvalidVolumeError(TradeError, ValueError):
    """Volume outside [volume_min, volume_max] or not a multiple of volume_step."""

    status = 4
    status_name = "HQT_E_INVALID_VOLUME"


class InvalidPriceError(TradeError, ValueError):
    """Price not positive, or a pending order's price on the wrong side of the market."""

    status = 5
    status_name = "HQT_E_INVALID_PRICE"


class InvalidStopsError(TradeError, ValueError):
    """SL or TP on the wrong side of the price."""

    status = 6
    status_name = "HQT_E_INVALID_STOPS"


class InsufficientMarginError(TradeError):
    """Not enough free margin: the order was rejected (HQT_E_NO_MONEY)."""

    status = 7
    status_name = "HQT_E_NO_MONEY"


class NoPriceError(TradeError):
    """The symbol has no quote yet: load or process a tick first."""

    status = 8
    status_name = "HQT_E_NO_PRICE"


class FrozenError(TradeError):
    """The order or position is within the symbol's ``freeze_level`` of the
    market (MT5's TRADE_RETCODE_FROZEN): it cannot be modified, deleted or
    closed until the price moves away."""

    status = 21
    status_name = "HQT_E_FROZEN"


class MarketClosedError(TradeError):
    """The request came outside the symbol's ``trade_sessions`` (MT5's
    TRADE_RETCODE_MARKET_CLOSED): nothing was changed."""

    status = 22
    status_name = "HQT_E_MARKET_CLOSED"


class VolumeLimitError(TradeError):
    """The symbol's ``volume_limit`` (MT5's SYMBOL_VOLUME_LIMIT) leaves no room
    for the order (MT5's TRADE_RETCODE_LIMIT_VOLUME): with ``filling="fok"``
    the whole volume must fit, with ``"ioc"`` / ``"return"`` at least the
    minimum volume. Nothing was changed."""

    status = 28
    status_name = "HQT_E_LIMIT_VOLUME"


class ConversionError(HQTError):
    """No loaded symbol converts a currency to the account currency.

    Add a symbol that pairs the currency with the account currency (e.g.
    USDJPY for JPY profits on a USD account) and give it quotes.
    """

    status = 9
    status_name = "HQT_E_CONVERSION"


class DataError(HQTError, ValueError):
    """Market data was rejected; nothing was loaded."""


class DataOrderError(DataError):
    """Timestamps going backwards (within the data or against what was loaded)."""

    status = 10
    status_name = "HQT_E_DATA_ORDER"


class BadDataError(DataError):
    """Malformed market data: NaN or non-positive price, crossed quote, high < low, ..."""

    status = 11
    status_name = "HQT_E_BAD_DATA"


class CSVFormatError(DataError):
    """A malformed line in a CSV file.

    Attributes:
        path: the file.
        line: 1-based line number in the file (0 when it is about the whole file).
        reason: what is wrong with that line.
    """

    def __init__(self, path: object, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = int(line)
        self.reason = reason
        where = f"{self.path}:{self.line}" if self.line else self.path
        super().__init__(f"{where}: {reason}")
        self.args = (path, line, reason)


class BusyError(HQTError, RuntimeError):
    """run() re-entered from a callback, or the engine is used from two threads."""

    status = 12
    status_name = "HQT_E_BUSY"


class CallbackError(HQTError, RuntimeError):
    """A strategy callback failed and stopped the run.

    Python callbacks that raise do not produce this: run() re-raises their
    original exception instead.
    """

    status = 13
    status_name = "HQT_E_CALLBACK"


class StateError(HQTError, RuntimeError):
    """Not allowed now, e.g. changing the account mode after trading, or a disposed engine."""

    status = 14
    status_name = "HQT_E_STATE"


class HQTIOError(HQTError, OSError):
    """A file system error."""

    status = 15
    status_name = "HQT_E_IO"


class BroadcastError(HQTError):
    """ZeroMQ error: bind failed, bad endpoint, ..."""

    status = 16
    status_name = "HQT_E_BROADCAST"


class WALError(HQTError):
    """Write-ahead log error: lock held, sync failed, ..."""

    status = 18
    status_name = "HQT_E_WAL"


class WALCorruptionError(WALError):
    """The write-ahead log is damaged before its last valid record."""

    status = 17
    status_name = "HQT_E_WAL_CORRUPT"


class RangeError(HQTError, OverflowError):
    """A value beyond the range HQT keeps exact: a balance or floating profit past
    ±2e12 account units, a bar that would close after the last int64 nanosecond
    (April 2262). The message names the quantity; nothing was changed (a run stops
    before the event that would have left the range: see docs/engine.md "Range")."""

    status = 19
    status_name = "HQT_E_RANGE"


class RunInterruptedError(HQTError):
    """The run stopped between two events because :meth:`hqt.Engine.interrupt` was
    called (``run()`` turns a Ctrl-C into one). Nothing is lost: ``run()`` again
    continues with the next event, exactly as if the run had not stopped."""

    status = 20
    status_name = "HQT_E_INTERRUPTED"


class InternalError(HQTError, RuntimeError):
    """A bug in HQT: please report it with the message."""

    status = 99
    status_name = "HQT_E_INTERNAL"


class NativeLibraryError(HQTError, ImportError):
    """The native extension hqt._hqt (or libhqt.so) is missing or fails to load."""


class HQTWarning(UserWarning):
    """A likely mistake that HQT reports without stopping: ``on_bar`` with no bars
    requested or loaded, a ``run()`` with nothing left to process."""


#: Exception class for each C status code.
STATUS_EXCEPTIONS: dict[int, type[HQTError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError,
        UnknownSymbolError,
        UnknownTicketError,
        InvalidVolumeError,
        InvalidPriceError,
        InvalidStopsError,
        InsufficientMarginError,
        NoPriceError,
        FrozenError,
        MarketClosedError,
        VolumeLimitError,
        ConversionError,
        DataOrderError,
        BadDataError,
        BusyError,
        CallbackError,
        StateError,
        HQTIOError,
        BroadcastError,
        WALCorruptionError,
        WALError,
        RangeError,
        RunInterruptedError,
        InternalError,
    )
    if cls.status is not None
}


def error_for_status(status: int, message: str = "") -> HQTError:
    """The exception instance for a C status code (HQTError for unknown codes)."""
    cls = STATUS_EXCEPTIONS.get(status)
    if cls is None:
        err = HQTError(message or f"status {status}")
        return err
    return cls(message or cls.status_name or "")
