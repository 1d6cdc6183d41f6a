"""HQT: a tick-level trading backtest engine (Swift core, Python surface).

Quick start::

    import hqt

    engine = hqt.Engine(10_000.0, "USD", 100)
    eurusd = engine.add_symbol("EURUSD", commission_per_lot=3.5)
    engine.load_ticks(eurusd, time_ns, bid, ask)      # numpy arrays or lists

    class Crossing(hqt.Strategy):
        def on_tick(self, engine, tick):
            if not engine.positions and tick.bid > 1.10:
                engine.buy(tick.symbol_id, 0.1, sl=tick.bid - 0.0020)

    engine.run(Crossing())
    print(engine.statistics())

Layout: ``hqt._hqt`` is the native extension (a thin wrapper of libhqt.so and
include/hqt.h); the rest is pure Python: :mod:`hqt.engine` (Engine),
:mod:`hqt.strategy` (Strategy), :mod:`hqt.models` (result dataclasses),
:mod:`hqt.data` (CSV loaders), :mod:`hqt.frames` (DataFrames and Parquet),
:mod:`hqt.tickfile` (larger-than-memory tick files), :mod:`hqt.results`
(BacktestResult: DataFrames, stats, plots), :mod:`hqt.progress` (progress
bars), :mod:`hqt.testing` (pytest plugin and data generators), :mod:`hqt.sweeps` (parameter sweeps on local
processes or Dask; the function is ``hqt.sweep``), :mod:`hqt.errors` (the HQTError hierarchy),
:mod:`hqt.journal` (write-ahead log: WriteAheadLog, recovery reports),
:mod:`hqt.broadcast` (ZeroMQ publishing: Broadcaster, counters, CURVE keys),
:mod:`hqt.constants` and :mod:`hqt.units`.

``import hqt`` works without the native extension (so that pure-Python
modules such as ``hqt.subscriber`` and ``hqt.wal`` can be used on their own);
the names that need it (Engine, Tick, Bar, Deal, Position, Order, Trade, version, ...) are imported on
first use and raise :class:`hqt.NativeLibraryError` if it is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hqt.constants import *  # noqa: F401,F403
from hqt.constants import ABI_VERSION
from hqt.constants import __all__ as _constants_all
from hqt.errors import *  # noqa: F401,F403
from hqt.errors import NativeLibraryError
from hqt.errors import __all__ as _errors_all

# ``X as X``: explicit re-exports, so that strict type checkers see hqt.Engine & co.
from hqt.models import Account as Account
from hqt.models import EquityPoint as EquityPoint
from hqt.models import Statistics as Statistics
from hqt.models import SymbolInfo as SymbolInfo
from hqt.strategy import Strategy as Strategy
from hqt.sweeps import SweepError as SweepError
from hqt.sweeps import sweep as sweep
from hqt.units import from_micro as from_micro
from hqt.units import to_micro as to_micro

if TYPE_CHECKING:  # pragma: no cover
    from hqt._hqt import Bar as Bar
    from hqt._hqt import Deal as Deal
    from hqt._hqt import IndicatorLine as IndicatorLine
    from hqt._hqt import Order as Order
    from hqt._hqt import Position as Position
    from hqt._hqt import Tick as Tick
    from hqt._hqt import Trade as Trade
    from hqt._hqt import status_name as status_name
    from hqt._hqt import version as version
    from hqt._kit import cffi_cdef as cffi_cdef
    from hqt._kit import get_include as get_include
    from hqt._kit import get_library as get_library
    from hqt._optional import MissingExtraError as MissingExtraError
    from hqt.broadcast import Broadcaster as Broadcaster
    from hqt.broadcast import BroadcastStats as BroadcastStats
    from hqt.broadcast import Topic as Topic
    from hqt.broadcast import TopicCounters as TopicCounters
    from hqt.broadcast import curve_keypair as curve_keypair
    from hqt.broadcast import curve_public_key as curve_public_key
    from hqt.catalog import csv_to_catalog as csv_to_catalog
    from hqt.catalog import load_catalog as load_catalog
    from hqt.catalog import write_catalog as write_catalog
    from hqt.data import BarData as BarData
    from hqt.data import TickData as TickData
    from hqt.data import read_bars as read_bars
    from hqt.data import read_csv as read_csv
    from hqt.data import read_parquet as read_parquet
    from hqt.data import read_ticks as read_ticks
    from hqt.engine import Engine as Engine
    from hqt.indicators import TICKS as TICKS
    from hqt.indicators import Indicator as Indicator
    from hqt.journal import RecoveryReport as RecoveryReport
    from hqt.journal import WALOpenReport as WALOpenReport
    from hqt.journal import WALRecord as WALRecord
    from hqt.journal import WALRecordType as WALRecordType
    from hqt.journal import WALSync as WALSync
    from hqt.journal import WriteAheadLog as WriteAheadLog
    from hqt.optimizer import optimize as optimize
    from hqt.optimizer import walk_forward as walk_forward
    from hqt.results import BacktestResult as BacktestResult
    from hqt.tickfile import TickFile as TickFile

# One place: abi/hqt_abi.toml [version] writes HQT_VERSION_* in hqt.h, ABI_VERSION in
# hqt.constants (read here) and the distribution's version (setup.py reads the table).
__version__ = "%d.%d.%d" % ABI_VERSION

# name -> (module, attribute), imported on first access
_LAZY: dict[str, tuple[str, str]] = {
    "Engine": ("hqt.engine", "Engine"),
    "Tick": ("hqt._hqt", "Tick"),
    "Bar": ("hqt._hqt", "Bar"),
    "Deal": ("hqt._hqt", "Deal"),
    "IndicatorLine": ("hqt._hqt", "IndicatorLine"),
    "Indicator": ("hqt.indicators", "Indicator"),
    "TICKS": ("hqt.indicators", "TICKS"),
    "Position": ("hqt._hqt", "Position"),
    "Order": ("hqt._hqt", "Order"),
    "Trade": ("hqt._hqt", "Trade"),
    "version": ("hqt._hqt", "version"),
    "status_name": ("hqt._hqt", "status_name"),
    "read_csv": ("hqt.data", "read_csv"),
    "read_ticks": ("hqt.data", "read_ticks"),
    "read_bars": ("hqt.data", "read_bars"),
    "TickData": ("hqt.data", "TickData"),
    "BarData": ("hqt.data", "BarData"),
    "read_parquet": ("hqt.data", "read_parquet"),
    "BacktestResult": ("hqt.results", "BacktestResult"),
    "TickFile": ("hqt.tickfile", "TickFile"),
    "MissingExtraError": ("hqt._optional", "MissingExtraError"),
    "WriteAheadLog": ("hqt.journal", "WriteAheadLog"),
    "WALOpenReport": ("hqt.journal", "WALOpenReport"),
    "WALRecord": ("hqt.journal", "WALRecord"),
    "WALRecordType": ("hqt.journal", "WALRecordType"),
    "WALSync": ("hqt.journal", "WALSync"),
    "RecoveryReport": ("hqt.journal", "RecoveryReport"),
    "Broadcaster": ("hqt.broadcast", "Broadcaster"),
    "BroadcastStats": ("hqt.broadcast", "BroadcastStats"),
    "TopicCounters": ("hqt.broadcast", "TopicCounters"),
    "Topic": ("hqt.broadcast", "Topic"),
    "curve_keypair": ("hqt.broadcast", "curve_keypair"),
    "curve_public_key": ("hqt.broadcast", "curve_public_key"),
    "get_include": ("hqt._kit", "get_include"),
    "get_library": ("hqt._kit", "get_library"),
    "cffi_cdef": ("hqt._kit", "cffi_cdef"),
    "load_catalog": ("hqt.catalog", "load_catalog"),
    "write_catalog": ("hqt.catalog", "write_catalog"),
    "csv_to_catalog": ("hqt.catalog", "csv_to_catalog"),
    "optimize": ("hqt.optimizer", "optimize"),
    "walk_forward": ("hqt.optimizer", "walk_forward"),
}

_NATIVE_MODULES = ("hqt.engine", "hqt._hqt", "hqt.journal", "hqt.broadcast", "hqt.indicators")

# The public submodules: ``import hqt`` then ``hqt.data.read_csv(...)`` works,
# each imported on first access. (``hqt.sweep`` is the function; its module
# is ``hqt.sweeps``.)
_SUBMODULES = frozenset(
    {
        "broadcast",
        "capi",
        "catalog",
        "constants",
        "data",
        "engine",
        "errors",
        "frames",
        "indicators",
        "journal",
        "models",
        "monitor",
        "optimizer",
        "progress",
        "results",
        "strategy",
        "subscriber",
        "sweeps",
        "testing",
        "tickfile",
        "units",
        "wal",
        "wal_records",
    }
)

__all__ = sorted(
    {
        *_constants_all,
        *_errors_all,
        *_LAZY,
        "Strategy",
        "Account",
        "EquityPoint",
        "Statistics",
        "SymbolInfo",
        "to_micro",
        "from_micro",
        "native_available",
        "sweep",
        "SweepError",
    }
)


def __getattr__(name: str) -> Any:
    attr: str | None
    if name in _SUBMODULES:
        module, attr = f"hqt.{name}", None
    else:
        try:
            module, attr = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module 'hqt' has no attribute {name!r}") from None
    try:
        imported = importlib.import_module(module)
        value = imported if attr is None else getattr(imported, attr)
    except ImportError as e:
        if module not in _NATIVE_MODULES:
            raise
        raise NativeLibraryError(
            f"hqt.{name} needs the native extension hqt._hqt, which failed to load ({e}). "
            "Install a wheel of hqt-engine, `pip install .` in a checkout (needs Swift 6), "
            "or in a checkout run scripts/build.sh (libhqt.so and the extension in place)."
        ) from e
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


def native_available() -> bool:
    """True when the native extension (and libhqt.so) loads."""
    try:
        importlib.import_module("hqt._hqt")
    except ImportError:
        return False
    return True
