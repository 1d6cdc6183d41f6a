"""Decode the HQT engine's WAL record payloads and checkpoint snapshots.

Pure Python (stdlib ``struct`` only): importable without the native
extension. The byte layouts are documented in docs/wal-records.md; they were
derived from the Swift encoder (Sources/HQT/Recovery/) and are cross-checked
against logs the engine writes (python/tests/test_wal_records.py).

:mod:`hqt.wal` reads frames and sequence numbers; a record's ``data`` (its
:attr:`hqt.wal.Record.data`) is the payload decoded here. Importing this
module registers a decoder for every engine type with
:func:`hqt.wal.register_decoder`, so::

    from hqt import wal, wal_records
    for r in wal.read_records("run.wal"):
        print(r.sequence, r.type_name, r.decoded())

    python -m hqt.wal_records run.wal list     # the hqt.wal CLI, decoders registered

Every decoded value is a frozen dataclass. Prices, volumes and money are
kept as the exact SPEC integers ("micro", value x 1e6) and every such field
``x`` also has a float view ``x_f``; :meth:`as_dict` gives both
(``"price": 1100200, "price_f": 1.1002``) with enum values as names.

A checkpoint (snapshot version 5) carries the live state in full but the
four append-only history lists (order history, deals, trades, equity curve)
as deltas: each list's items replace the list, as rebuilt from the previous
checkpoints, from the index ``<list>_start`` on. A *full* checkpoint starts
every list at 0; a *light* one continues the previous checkpoint.
:func:`rebuild_history` rebuilds the complete lists as recovery does (back to
the nearest full checkpoint, then forward), and :func:`history_chain` names
the checkpoints it reads.

This module reads; it does not recover. The tests keep an independent
reference model of recovery (which records are replayed or discarded, and
how a record changes the ledger) in python/tests/wal_reference_model.py,
built on these decoders and checked against the engine.
"""

from __future__ import annotations

import datetime as _dt
import enum
import struct
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from dataclasses import fields as _fields
from dataclasses import replace as _replace
from typing import TYPE_CHECKING, Any, ClassVar

from hqt import wal as _wal
from hqt.constants import WAL_BUILD_BARS as BUILD_BARS
from hqt.constants import WAL_ORDER_MODIFY as ORDER_MODIFY
from hqt.constants import WAL_RUN_MARK as RUN_MARK
from hqt.constants import WAL_SWAP as SWAP
from hqt.constants import (
    DealEntry,
    DealReason,
    OrderState,
    OrderType,
    PriceSource,
    RunStage,
    TickModel,
)
from hqt.constants import PositionType as Side

__all__ = [
    "SCALE",
    "ORDER_MODIFY",
    "BUILD_BARS",
    "RUN_MARK",
    "SWAP",
    "RunStage",
    "SNAPSHOT_VERSION",
    "ENGINE_RECORD_TYPES",
    "RECORD_HEADER_SIZE",
    "PayloadError",
    "Phase",
    "OrderType",
    "OrderState",
    "Side",
    "DealEntry",
    "DealReason",
    "RouteKind",
    "Order",
    "Position",
    "Deal",
    "Trade",
    "EquityPoint",
    "Route",
    "SymbolQuote",
    "TickCursor",
    "BarCursor",
    "DataFingerprint",
    "READABLE_SNAPSHOT_VERSIONS",
    "BarBuilder",
    "Snapshot",
    "History",
    "EngineRecord",
    "Fill",
    "PositionModify",
    "OrderPlace",
    "OrderModify",
    "OrderCancel",
    "BalanceChange",
    "BuildBars",
    "RunMark",
    "decode_record",
    "decode_checkpoint",
    "decode",
    "register",
    "history_chain",
    "rebuild_history",
    "SymbolConfig",
    "configuration_fingerprint",
    "main",
]

#: SPEC fixed point: 1.0 is 1 000 000.
SCALE = 1_000_000
# Record types 9-11 (ORDER_MODIFY, BUILD_BARS, RUN_MARK; 1-7 are in hqt.wal,
# 8 is the log's HEADER), OrderType, OrderState, Side, DealEntry, DealReason
# and RunStage: hqt.constants, generated from abi/hqt_abi.toml.
#: The snapshot layout this module reads (first u32 of a CHECKPOINT payload).
#: Version 2: the history lists are deltas ([start u64][count u64][items]).
SNAPSHOT_VERSION = 5
#: Versions :func:`decode_checkpoint` reads (3: HQT 0.1, without data fingerprints).
READABLE_SNAPSHOT_VERSIONS = (3, 4, 5)
#: event i64, phase u8, time i64: the start of every engine record payload.
RECORD_HEADER_SIZE = 17
INT64_MIN = -(1 << 63)


class PayloadError(_wal.WALError, ValueError):
    """A payload that does not decode: truncated, trailing bytes, bad enum value."""


# ---------------------------------------------------------------------------
# Enumerations (values as written by the engine; the others are imported
# from hqt.constants; python/tests/test_abi_table.py checks Phase against
# abi/hqt_abi.toml and the Swift LedgerPhase)
# ---------------------------------------------------------------------------


class Phase(enum.IntEnum):
    """When, within the engine's processing, a record was written."""

    BEFORE_MARKET = (
        0  # inside event N, before its prices: on_bar of a bar built from ticks this tick closed
    )
    TRIGGERS = 1  # inside event N: pending orders, SL/TP, trailing stops
    BETWEEN = 2  # between events (before the first, after the last, or a caller driving the engine)
    CALLBACKS = 3  # inside event N, after the engine's processing: on_trade, on_tick, on_bar of a loaded bar
    STOP_OUT = 4  # inside event N: stop-out closing positions
    START = 5  # a run's on_start (RUN_MARK STARTING .. RUN_MARK RUNNING)
    END_OF_RUN = 6  # the end of a run's data: bars in progress closed (from RUN_MARK ENDING)
    STOP = 7  # a run's on_stop (up to RUN_MARK COMPLETED)
    ROLLOVER = 8  # inside event N: swaps charged at a rollover the event's time reached

    @property
    def inside_event(self) -> bool:
        """Phases inside one market event: the unit recovery may drop and redo."""
        return self in (
            Phase.BEFORE_MARKET,
            Phase.TRIGGERS,
            Phase.CALLBACKS,
            Phase.STOP_OUT,
            Phase.ROLLOVER,
        )


class RouteKind(enum.IntEnum):
    IDENTITY = 0
    MULTIPLY = 1
    DIVIDE = 2


# ---------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------


def _num(micro: int) -> str:
    """``12.345`` from 12345000 (trailing zeros trimmed), as FixedPoint.format."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), SCALE)
    f = ("%06d" % frac).rstrip("0")
    return "%s%d%s" % (sign, whole, "." + f if f else "")


def _time(ns: int) -> str:
    if ns == INT64_MIN:
        return "-"
    if ns == 0:
        return "0"
    sec, frac = divmod(ns, 10**9)
    try:
        text = (_dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S")
    except OverflowError:
        return str(ns)
    if frac:
        text += ("." + "%09d" % frac).rstrip("0")
    return text + "Z"


def _plain(value: Any) -> Any:
    if isinstance(value, _Decoded):
        return value.as_dict()
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Decoded:
    """Base of every decoded value: ``as_dict()`` and ``<field>_f`` float views."""

    _MICRO: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in _fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = _plain(v)
            if f.name in self._MICRO:
                out[f.name + "_f"] = v / SCALE
        return out


def _float_view(name: str) -> Callable[[Any], float]:
    def get(self: Any) -> float:
        return getattr(self, name) / SCALE

    return get


def _micro(*names: str) -> Callable[[type], type]:
    """Adds a read-only float view ``<name>_f`` (value / 1e6) for each micro field."""

    def deco(cls: type) -> type:
        cls._MICRO = tuple(names)  # type: ignore[attr-defined]
        for n in names:
            setattr(cls, n + "_f", property(_float_view(n), doc="%s as a float (micro / 1e6)" % n))
        return cls

    return deco


# ---------------------------------------------------------------------------
# Entities (the same byte layout in records and in snapshots)
# ---------------------------------------------------------------------------


@_micro("volume", "price", "stop_limit", "sl", "tp")
@dataclass(frozen=True)
class Order(_Decoded):
    """92 bytes: ``<QIiiqqqqqqqqQ``."""

    if TYPE_CHECKING:  # the float views added by @_micro
        volume_f: ClassVar[float]
        price_f: ClassVar[float]
        stop_limit_f: ClassVar[float]
        sl_f: ClassVar[float]
        tp_f: ClassVar[float]
    ticket: int
    symbol_id: int
    type: OrderType
    state: OrderState
    volume: int
    price: int  # pending: trigger / limit price; 0 for market orders
    stop_limit: int  # STOP_LIMIT: the limit price placed when `price` is hit; else 0
    sl: int
    tp: int
    expiration: int  # ns; 0 = good till canceled
    time_setup: int  # ns
    trailing_points: int  # points, not micro
    magic: int

    def __str__(self) -> str:
        s = "order #%d %s %s %s" % (self.ticket, self.type.name, _num(self.volume), self.state.name)
        if self.price:
            s += " @ %s" % _num(self.price)
        if self.stop_limit:
            s += " limit %s" % _num(self.stop_limit)
        if self.sl:
            s += " sl %s" % _num(self.sl)
        if self.tp:
            s += " tp %s" % _num(self.tp)
        if self.expiration:
            s += " exp %s" % _time(self.expiration)
        return s + " sym %d" % self.symbol_id


@_micro("volume", "open_price", "sl", "tp", "margin", "commission")
@dataclass(frozen=True)
class Position(_Decoded):
    """88 bytes: ``<QIiqqqqqqqqQ``. The floating profit is not stored."""

    if TYPE_CHECKING:  # the float views added by @_micro
        volume_f: ClassVar[float]
        open_price_f: ClassVar[float]
        sl_f: ClassVar[float]
        tp_f: ClassVar[float]
        margin_f: ClassVar[float]
        commission_f: ClassVar[float]
    ticket: int
    symbol_id: int
    side: Side
    volume: int
    open_price: int
    open_time: int
    sl: int
    tp: int
    trailing_points: int
    margin: int  # account money, fixed for the life of the position
    commission: int  # entry commission not yet attributed to a closed trade (<= 0)
    magic: int
    #: swap charged and not yet booked; stored after the record's or snapshot's
    #: other fields (appended since 0.2, only when not 0)
    swap: int = 0

    def __str__(self) -> str:
        s = "position #%d %s %s @ %s" % (
            self.ticket,
            self.side.name,
            _num(self.volume),
            _num(self.open_price),
        )
        if self.sl:
            s += " sl %s" % _num(self.sl)
        if self.tp:
            s += " tp %s" % _num(self.tp)
        if self.trailing_points:
            s += " trail %d pt" % self.trailing_points
        return s + " margin %s" % _num(self.margin)


@_micro("volume", "price", "commission", "profit", "balance")
@dataclass(frozen=True)
class Deal(_Decoded):
    """96 bytes: ``<QQQIiiiqqqqqqQ``."""

    if TYPE_CHECKING:  # the float views added by @_micro
        volume_f: ClassVar[float]
        price_f: ClassVar[float]
        commission_f: ClassVar[float]
        profit_f: ClassVar[float]
        balance_f: ClassVar[float]
    ticket: int
    order: int
    position: int
    symbol_id: int
    side: Side
    entry: DealEntry
    reason: DealReason
    time: int
    volume: int
    price: int
    commission: int  # charged on this deal (<= 0)
    profit: int  # realized, account money (0 for IN deals)
    balance: int  # balance after the deal
    magic: int

    def __str__(self) -> str:
        return "deal #%d %s %s %s @ %s [%s] profit %s comm %s balance %s" % (
            self.ticket,
            self.entry.name,
            self.side.name,
            _num(self.volume),
            _num(self.price),
            self.reason.name,
            _num(self.profit),
            _num(self.commission),
            _num(self.balance),
        )


@_micro("volume", "open_price", "close_price", "commission", "profit")
@dataclass(frozen=True)
class Trade(_Decoded):
    """76 bytes: ``<QIiqqqqqqqi``."""

    if TYPE_CHECKING:  # the float views added by @_micro
        volume_f: ClassVar[float]
        open_price_f: ClassVar[float]
        close_price_f: ClassVar[float]
        commission_f: ClassVar[float]
        profit_f: ClassVar[float]
    position: int
    symbol_id: int
    side: Side
    volume: int
    open_time: int
    open_price: int
    close_time: int
    close_price: int
    commission: int  # entry + exit commission of this volume
    profit: int  # before commission
    close_reason: DealReason

    @property
    def net_profit(self) -> int:
        return self.profit + self.commission

    def __str__(self) -> str:
        return "trade pos #%d %s %s %s -> %s [%s] profit %s" % (
            self.position,
            self.side.name,
            _num(self.volume),
            _num(self.open_price),
            _num(self.close_price),
            self.close_reason.name,
            _num(self.profit),
        )


@_micro("balance", "equity", "margin")
@dataclass(frozen=True)
class EquityPoint(_Decoded):
    """32 bytes: ``<qqqq``."""

    if TYPE_CHECKING:  # the float views added by @_micro
        balance_f: ClassVar[float]
        equity_f: ClassVar[float]
        margin_f: ClassVar[float]
    time: int
    balance: int
    equity: int
    margin: int


@dataclass(frozen=True)
class Route(_Decoded):
    """5 bytes: kind u8, symbol id u32 (0 for IDENTITY). How an amount in a
    currency becomes account money: as is, times the symbol's rate, or
    divided by it."""

    kind: RouteKind
    symbol_id: int

    def __str__(self) -> str:
        return (
            self.kind.name
            if self.kind == RouteKind.IDENTITY
            else "%s(%d)" % (self.kind.name, self.symbol_id)
        )


@_micro("bid", "ask")
@dataclass(frozen=True)
class SymbolQuote(_Decoded):
    """29 bytes: bid i64, ask i64, time i64, profit route (5)."""

    if TYPE_CHECKING:  # the float views added by @_micro
        bid_f: ClassVar[float]
        ask_f: ClassVar[float]
    symbol_id: int
    bid: int
    ask: int
    time: int
    profit_route: Route


@dataclass(frozen=True)
class DataFingerprint(_Decoded):
    """What a v4 checkpoint keeps of a series' processed data (docs/wal-records.md):
    the first event's time and one hash per block of ``4096 << level`` events."""

    first_time: int  # -1 if nothing was processed
    level: int
    blocks: tuple[int, ...]

    @property
    def block_size(self) -> int:
        return 4096 << self.level


@dataclass(frozen=True)
class TickCursor(_Decoded):
    """Loaded ticks of one symbol: the next tick's index and the last processed one's time (-1 if none)."""

    cursor: int
    last_time: int
    fingerprint: DataFingerprint | None = None  # snapshot v4 on


@dataclass(frozen=True)
class BarCursor(_Decoded):
    """A loaded bar series (symbol, timeframe) and its position (24 bytes, + fingerprint in v4)."""

    symbol_id: int
    timeframe: int  # minutes
    cursor: int
    last_time: int  # open time of the last processed bar, -1 if none
    fingerprint: DataFingerprint | None = None  # snapshot v4 on


@_micro("open", "high", "low", "close")
@dataclass(frozen=True)
class BarBuilder(_Decoded):
    """65 bytes: a bar being built from ticks, on the bid, ask or mid (`price`,
    bits 1-2 of the state byte whose bit 0 is `active`)."""

    if TYPE_CHECKING:  # the float views added by @_micro
        open_f: ClassVar[float]
        high_f: ClassVar[float]
        low_f: ClassVar[float]
        close_f: ClassVar[float]
    symbol_id: int
    timeframe: int  # minutes
    active: bool
    open_time: int
    close_time: int
    open: int
    high: int
    low: int
    close: int
    ticks: int  # tick count (plain integer)
    price: PriceSource = PriceSource.BID  # BID, ASK or MID


@dataclass(frozen=True)
class IndicatorState(_Decoded):
    """A native indicator in a snapshot (v5; docs/wal-records.md): its spec and
    its whole state, an opaque block of the engine's memory."""

    kind: int  # HQT_IND_*
    symbol_id: int
    timeframe: int  # minutes; 0: on ticks
    source: int  # HQT_PRICE_*
    history: int
    params: tuple[float, ...]
    count: int  # updates so far
    last: int  # slot of the newest value in the history ring
    state: bytes


@_micro("balance", "net_deposits", "peak_equity", "max_drawdown")
@dataclass(frozen=True)
class Snapshot(_Decoded):
    """The CHECKPOINT payload: the engine's whole state between two events,
    except the history lists, which hold what this checkpoint writes of them.

    Each of ``order_history``, ``deals``, ``trades`` and ``equity_curve``
    replaces the list, as rebuilt from the previous checkpoints, from index
    ``<name>_start`` on. A full checkpoint (:attr:`is_full`) has every start
    at 0 and so the complete lists; a light one has to be put on the history
    of the checkpoints before it (:func:`rebuild_history`,
    :meth:`with_history`)."""

    if TYPE_CHECKING:  # the float views added by @_micro
        balance_f: ClassVar[float]
        net_deposits_f: ClassVar[float]
        peak_equity_f: ClassVar[float]
        max_drawdown_f: ClassVar[float]
    version: int
    fingerprint: int
    events_processed: int
    current_time: int  # INT64_MIN before the first event
    balance: int
    net_deposits: int
    next_ticket: int
    margin_call_active: bool
    next_equity_sample: int  # INT64_MIN until the first interval sample
    peak_equity: int
    max_drawdown: int
    max_drawdown_pct: float  # percent
    ticks_processed: int
    bars_processed: int
    quotes: list[SymbolQuote]
    routes: list[tuple[str, Route]]  # currency -> route, sorted by currency
    tick_cursors: list[TickCursor | None]  # one per symbol; None: no ticks loaded
    bar_series: list[BarCursor]
    bar_builders: list[BarBuilder]
    positions: list[Position]
    orders: list[Order]  # pending
    order_history_start: int  # the items below replace the rebuilt order history from this index on
    order_history: list[Order]  # orders that left the book, with their final state
    deals_start: int
    deals: list[Deal]
    trades_start: int
    trades: list[Trade]
    equity_curve_start: int  # a light checkpoint resends the previous one's last point
    equity_curve: list[EquityPoint]
    strategy_state: bytes
    run_stage: RunStage
    tick_model: TickModel  # of the run in progress or the last one (since v4)
    #: the native indicators (since v5; docs/indicators.md), in declaration order
    indicators: list[IndicatorState] = _field(default_factory=list)

    @property
    def symbol_count(self) -> int:
        return len(self.quotes)

    @property
    def is_full(self) -> bool:
        """Every history list starts at 0: the snapshot holds the complete
        history and needs no checkpoint before it (the engine's rule)."""
        return not (
            self.order_history_start
            or self.deals_start
            or self.trades_start
            or self.equity_curve_start
        )

    def with_history(self, history: History) -> Snapshot:
        """This snapshot with ``history`` (the complete lists, as rebuilt up
        to and including this checkpoint) in place of its deltas, every start
        0: the state the engine restores from it."""
        return _replace(
            self,
            order_history_start=0,
            order_history=list(history.order_history),
            deals_start=0,
            deals=list(history.deals),
            trades_start=0,
            trades=list(history.trades),
            equity_curve_start=0,
            equity_curve=list(history.equity_curve),
        )

    def as_dict(self) -> dict[str, Any]:
        d = super().as_dict()
        d["fingerprint"] = "0x%016x" % self.fingerprint
        d["routes"] = {c: r.as_dict() for c, r in self.routes}
        d["strategy_state"] = self.strategy_state.hex()
        return d

    def __str__(self) -> str:
        def delta(name: str) -> str:
            n, start = len(getattr(self, name)), getattr(self, name + "_start")
            return "%d" % n if not start else "%d from %d" % (n, start)

        return (
            "snapshot v%d %s events %d time %s balance %s positions %d orders %d history %s deals %s "
            "trades %s equity points %s fingerprint 0x%016x"
            % (
                self.version,
                "full" if self.is_full else "light",
                self.events_processed,
                _time(self.current_time),
                _num(self.balance),
                len(self.positions),
                len(self.orders),
                delta("order_history"),
                delta("deals"),
                delta("trades"),
                delta("equity_curve"),
                self.fingerprint,
            )
        )


_HISTORY_LISTS = ("order_history", "deals", "trades", "equity_curve")


@dataclass(frozen=True)
class History(_Decoded):
    """The four append-only history lists, as rebuilt from a chain of
    checkpoints (Engine.history(before:in:) in EngineSnapshot.swift)."""

    order_history: list[Order] = _field(default_factory=list)
    deals: list[Deal] = _field(default_factory=list)
    trades: list[Trade] = _field(default_factory=list)
    equity_curve: list[EquityPoint] = _field(default_factory=list)

    def extend(self, snapshot: Snapshot, context: str = "checkpoint") -> History:
        """This history with ``snapshot``'s deltas applied: each list keeps
        its first ``<name>_start`` items and continues with the snapshot's.
        A start past the end of the list is corruption (:class:`PayloadError`),
        as for the engine."""
        lists = []
        for name in _HISTORY_LISTS:
            base: list = getattr(self, name)
            start = getattr(snapshot, name + "_start")
            if start > len(base):
                raise PayloadError(
                    "%s: %s start %d exceeds the %d items of the previous checkpoints"
                    % (context, name.replace("_", " "), start, len(base))
                )
            lists.append(base[:start] + list(getattr(snapshot, name)))
        return History(*lists)

    def __str__(self) -> str:
        return "history: orders %d deals %d trades %d equity points %d" % (
            len(self.order_history),
            len(self.deals),
            len(self.trades),
            len(self.equity_curve),
        )


# ---------------------------------------------------------------------------
# Engine records
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineRecord(_Decoded):
    """Common head of every engine record (17 bytes)."""

    type: int
    event: (
        int  # events processed when written (inside event N: N; between events: the last one's N)
    )
    phase: Phase
    time: int  # engine clock (ns), 0 before the first event

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES[self.type]

    def as_dict(self) -> dict[str, Any]:
        d = super().as_dict()
        d["type_name"] = self.type_name
        return d

    def _head(self) -> str:
        return "ev %d %s %s |" % (self.event, self.phase.name, _time(self.time))


@dataclass(frozen=True)
class Fill(EngineRecord):
    """POSITION_OPEN (1: the deal's entry is IN) or POSITION_CLOSE (2: OUT or INOUT)."""

    order: Order
    deal: Deal
    position_ticket: int
    position: Position | None  # the position after the deal; None when the deal closed it
    trade: Trade | None  # the round trip the deal closed, if any

    def __str__(self) -> str:
        s = "%s %s; %s" % (self._head(), self.deal, self.order)
        s += "; %s" % (
            self.position
            if self.position is not None
            else "position #%d closed" % self.position_ticket
        )
        if self.trade is not None:
            s += "; %s" % self.trade
        return s


@_micro("sl", "tp")
@dataclass(frozen=True)
class PositionModify(EngineRecord):
    """POSITION_MODIFY (3): a position's new SL, TP and trailing distance."""

    if TYPE_CHECKING:  # the float views added by @_micro
        sl_f: ClassVar[float]
        tp_f: ClassVar[float]
    ticket: int
    sl: int
    tp: int
    trailing_points: int

    def __str__(self) -> str:
        return "%s position #%d sl %s tp %s trail %d pt" % (
            self._head(),
            self.ticket,
            _num(self.sl),
            _num(self.tp),
            self.trailing_points,
        )


@dataclass(frozen=True)
class OrderPlace(EngineRecord):
    """ORDER_PLACE (4): a new pending order."""

    order: Order

    def __str__(self) -> str:
        return "%s %s" % (self._head(), self.order)


@dataclass(frozen=True)
class OrderModify(EngineRecord):
    """ORDER_MODIFY (9): a pending order's new terms (modify, or a stop-limit becoming a limit)."""

    order: Order

    def __str__(self) -> str:
        return "%s %s" % (self._head(), self.order)


@dataclass(frozen=True)
class OrderCancel(EngineRecord):
    """ORDER_CANCEL (5): a pending order leaves the book without a fill
    (state CANCELED, EXPIRED or REJECTED)."""

    ticket: int
    state: OrderState

    def __str__(self) -> str:
        return "%s order #%d %s" % (self._head(), self.ticket, self.state.name)


@_micro("amount")
@dataclass(frozen=True)
class BalanceChange(EngineRecord):
    """BALANCE_CHANGE (6): a deposit (> 0) or withdrawal (< 0)."""

    if TYPE_CHECKING:  # the float views added by @_micro
        amount_f: ClassVar[float]
    amount: int

    def __str__(self) -> str:
        return "%s balance %s%s" % (self._head(), "+" if self.amount > 0 else "", _num(self.amount))


@dataclass(frozen=True)
class Swap(EngineRecord):
    """SWAP (12): swaps charged at a rollover, ``(ticket, amount)`` per
    position (amounts in account money x 1e6, added to the position's swap)."""

    charges: tuple[tuple[int, int], ...]

    def __str__(self) -> str:
        return "%s swap %s" % (
            self._head(),
            ", ".join("#%d %s" % (t, _num(a)) for t, a in self.charges),
        )


@dataclass(frozen=True)
class BuildBars(EngineRecord):
    """BUILD_BARS (10): bars of a timeframe start being built from a symbol's ticks."""

    symbol_id: int
    timeframe: int  # minutes
    #: the price the bars follow (a trailing byte, written only when not BID)
    price: PriceSource = PriceSource.BID

    def __str__(self) -> str:
        on = "" if self.price == PriceSource.BID else " on %s" % self.price.name.lower()
        return "%s build bars sym %d M%d%s" % (self._head(), self.symbol_id, self.timeframe, on)


@dataclass(frozen=True)
class RunMark(EngineRecord):
    """RUN_MARK (11): a run moves to ``stage``; at ENDING, ``flushes_bars``
    says whether the bars still being built were closed (a run stopped by an
    error does not close them)."""

    stage: RunStage
    flushes_bars: bool
    tick_model: TickModel  # the run's (a resume must use the same)

    def __str__(self) -> str:
        return "%s run %s%s%s" % (
            self._head(),
            self.stage.name,
            " (closes bars)" if self.flushes_bars else "",
            ""
            if self.tick_model == TickModel.REAL_TICKS
            else " tick model " + self.tick_model.name,
        )


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

_HEAD = struct.Struct("<qBq")
_ORDER = struct.Struct("<QIiiqqqqqqqqQ")
_POSITION = struct.Struct("<QIiqqqqqqqqQ")
_DEAL = struct.Struct("<QQQIiiiqqqqqqQ")
_TRADE = struct.Struct("<QIiqqqqqqqi")
_EQUITY = struct.Struct("<qqqq")
_ROUTE = struct.Struct("<BI")
_QUOTE = struct.Struct("<qqq")
_BAR_CURSOR = struct.Struct("<Iiqq")
_BUILDER = struct.Struct("<IiBqqqqqqq")
_INDICATOR = struct.Struct("<iIii")
_POSITION_MODIFY = struct.Struct("<Qqqq")
_ORDER_CANCEL = struct.Struct("<Qi")
assert (
    _HEAD.size,
    _ORDER.size,
    _POSITION.size,
    _DEAL.size,
    _TRADE.size,
    _EQUITY.size,
    _ROUTE.size,
    _BAR_CURSOR.size,
    _BUILDER.size,
) == (17, 92, 88, 96, 76, 32, 5, 24, 65)


class _Reader:
    def __init__(self, data: bytes, context: str):
        self.data = bytes(data)
        self.offset = 0
        self.context = context

    def error(self, what: str) -> PayloadError:
        return PayloadError(
            "%s: %s at payload byte %d of %d" % (self.context, what, self.offset, len(self.data))
        )

    def unpack(self, s: struct.Struct, what: str) -> tuple:
        if len(self.data) - self.offset < s.size:
            raise self.error("truncated %s" % what)
        v = s.unpack_from(self.data, self.offset)
        self.offset += s.size
        return v

    def u8(self, what: str) -> int:
        if self.offset >= len(self.data):
            raise self.error("truncated %s" % what)
        self.offset += 1
        return self.data[self.offset - 1]

    def flag(self, what: str) -> bool:
        v = self.u8(what)
        if v > 1:
            self.offset -= 1
            raise self.error("%s is %d, not 0 or 1" % (what, v))
        return v == 1

    def u32(self, what: str) -> int:
        return self.unpack(_U32, what)[0]

    def u64(self, what: str) -> int:
        return self.unpack(_U64, what)[0]

    def i64(self, what: str) -> int:
        return self.unpack(_I64, what)[0]

    def f64(self, what: str) -> float:
        return self.unpack(_F64, what)[0]

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.data) - self.offset:
            raise self.error("%s length %d exceeds the payload" % (what, n))
        self.offset += n
        return self.data[self.offset - n : self.offset]

    def string(self, what: str) -> str:
        raw = self.take(self.u32(what + " length"), what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error("%s is not UTF-8" % what) from None

    def count(self, what: str, item_size: int) -> int:
        n = self.u64(what + " count")
        if n * item_size > len(self.data) - self.offset:
            raise self.error("%s count %d exceeds the payload" % (what, n))
        return n

    def enum(self, cls, raw: int, what: str):
        try:
            return cls(raw)
        except ValueError:
            raise self.error("%s %d is not valid" % (what, raw)) from None

    def end(self) -> None:
        if self.offset != len(self.data):
            raise PayloadError(
                "%s: %d unexpected trailing bytes" % (self.context, len(self.data) - self.offset)
            )

    # entities

    def order(self) -> Order:
        v = self.unpack(_ORDER, "order")
        return Order(
            v[0],
            v[1],
            self.enum(OrderType, v[2], "order type"),
            self.enum(OrderState, v[3], "order state"),
            *v[4:],
        )

    def position(self) -> Position:
        v = self.unpack(_POSITION, "position")
        return Position(v[0], v[1], self.enum(Side, v[2], "position side"), *v[3:])

    def deal(self) -> Deal:
        v = self.unpack(_DEAL, "deal")
        return Deal(
            v[0],
            v[1],
            v[2],
            v[3],
            self.enum(Side, v[4], "deal side"),
            self.enum(DealEntry, v[5], "deal entry"),
            self.enum(DealReason, v[6], "deal reason"),
            *v[7:],
        )

    def trade(self) -> Trade:
        v = self.unpack(_TRADE, "trade")
        return Trade(
            v[0],
            v[1],
            self.enum(Side, v[2], "trade side"),
            v[3],
            v[4],
            v[5],
            v[6],
            v[7],
            v[8],
            v[9],
            self.enum(DealReason, v[10], "trade close reason"),
        )

    def route(self) -> Route:
        kind, sid = self.unpack(_ROUTE, "route")
        return Route(self.enum(RouteKind, kind, "route kind"), sid)


_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")

_TYPE_NAMES = {
    _wal.POSITION_OPEN: "POSITION_OPEN",
    _wal.POSITION_CLOSE: "POSITION_CLOSE",
    _wal.POSITION_MODIFY: "POSITION_MODIFY",
    _wal.ORDER_PLACE: "ORDER_PLACE",
    _wal.ORDER_CANCEL: "ORDER_CANCEL",
    _wal.BALANCE_CHANGE: "BALANCE_CHANGE",
    ORDER_MODIFY: "ORDER_MODIFY",
    BUILD_BARS: "BUILD_BARS",
    RUN_MARK: "RUN_MARK",
    SWAP: "SWAP",
}
#: The record types the engine writes besides CHECKPOINT (7) and the log's HEADER (8).
ENGINE_RECORD_TYPES = tuple(sorted(_TYPE_NAMES))


def decode_record(record_type: int, payload: bytes, context: str | None = None) -> EngineRecord:
    """Decodes the payload (the record's data after the sequence number) of an
    engine record of type 1-6 or 9-12. Raises :class:`PayloadError` when it does
    not decode exactly (truncated, trailing bytes, invalid enum or flag)."""
    r = _Reader(payload, context or "record type %d" % record_type)
    if record_type not in _TYPE_NAMES:
        raise r.error("record type %d is not an engine record" % record_type)
    event = r.i64("event index")
    phase = r.enum(Phase, r.u8("phase"), "phase")
    time = r.i64("time")
    head = (record_type, event, phase, time)
    rec: EngineRecord
    if record_type in (_wal.POSITION_OPEN, _wal.POSITION_CLOSE):
        order, deal, ticket = r.order(), r.deal(), r.u64("position ticket")
        position = r.position() if r.flag("has-position flag") else None
        trade = r.trade() if r.flag("has-trade flag") else None
        if position is not None and r.offset < len(r.data):  # appended: the position's swap
            position = _replace(position, swap=r.i64("position swap"))
        rec = Fill(*head, order, deal, ticket, position, trade)
    elif record_type == _wal.POSITION_MODIFY:
        rec = PositionModify(*head, *r.unpack(_POSITION_MODIFY, "position modify"))
    elif record_type == _wal.ORDER_PLACE:
        rec = OrderPlace(*head, r.order())
    elif record_type == ORDER_MODIFY:
        rec = OrderModify(*head, r.order())
    elif record_type == _wal.ORDER_CANCEL:
        ticket, state = r.unpack(_ORDER_CANCEL, "order cancel")
        rec = OrderCancel(*head, ticket, r.enum(OrderState, state, "order state"))
    elif record_type == RUN_MARK:
        stage = r.enum(RunStage, r.u8("run stage"), "run stage")
        flushes = r.flag("flushes-bars flag")
        # HQT 0.1 wrote no tick model byte (real ticks only).
        model = (
            TickModel.REAL_TICKS
            if r.offset == len(r.data)
            else r.enum(TickModel, r.u8("tick model"), "tick model")
        )
        rec = RunMark(*head, stage, flushes, model)
    elif record_type == SWAP:
        n = r.u32("swap count")
        if n * 16 > len(r.data) - r.offset:
            raise r.error("swap count %d exceeds the payload" % n)
        rec = Swap(*head, tuple((r.u64("swap ticket"), r.i64("swap")) for _ in range(n)))
    elif record_type == BUILD_BARS:
        symbol_id = r.u32("symbol")
        timeframe = r.unpack(_I32, "timeframe")[0]
        if timeframe not in (1, 5, 15, 30, 60, 240, 1440, 10080, 43200):
            raise r.error("timeframe %d is not a SPEC timeframe" % timeframe)
        price = PriceSource.BID if r.offset == len(r.data) else _bar_price(r, r.u8("bar price"))
        rec = BuildBars(*head, symbol_id, timeframe, price)
    else:
        rec = BalanceChange(*head, r.i64("amount"))
    r.end()
    return rec


def _bar_price(r: _Reader, raw: int) -> PriceSource:
    """BUILD_BARS' appended price byte: 1 ask or 2 mid (a bid record has none)."""
    if raw not in (1, 2):
        raise r.error(
            "bar price %d is not 1 (ask) or 2 (mid): a bid record has no trailing price byte" % raw
        )
    return PriceSource(raw)


def decode_checkpoint(payload: bytes, context: str = "checkpoint") -> Snapshot:
    """Decodes a CHECKPOINT payload (snapshot version 3, 4 or 5). The history lists
    are this checkpoint's deltas, as written; :func:`rebuild_history` puts
    them on the checkpoints before it."""
    r = _Reader(payload, context)
    version = r.u32("snapshot version")
    if version not in READABLE_SNAPSHOT_VERSIONS:
        raise r.error(
            "snapshot version %d (this decoder reads versions %s)"
            % (version, ", ".join(map(str, READABLE_SNAPSHOT_VERSIONS)))
        )

    def data_fingerprint() -> DataFingerprint | None:
        if version < 4:
            return None
        first, level, n = (
            r.i64("first time"),
            r.u8("fingerprint level"),
            r.u32("fingerprint blocks"),
        )
        if level >= 48 or n > 64:
            raise r.error("data fingerprint level %d with %d blocks" % (level, n))
        return DataFingerprint(first, level, tuple(r.u64("fingerprint block") for _ in range(n)))

    fingerprint = r.u64("fingerprint")
    events, time, balance, net_deposits = (
        r.i64("events"),
        r.i64("time"),
        r.i64("balance"),
        r.i64("net deposits"),
    )
    next_ticket, margin_call = r.u64("next ticket"), r.flag("margin call flag")
    next_sample, peak, max_dd = (
        r.i64("next equity sample"),
        r.i64("peak equity"),
        r.i64("max drawdown"),
    )
    max_dd_pct = r.f64("max drawdown pct")
    ticks, bars = r.i64("ticks processed"), r.i64("bars processed")
    nsym = r.count("symbol", _QUOTE.size + _ROUTE.size)
    quotes = []
    for i in range(nsym):
        bid, ask, qtime = r.unpack(_QUOTE, "quote")
        quotes.append(SymbolQuote(i, bid, ask, qtime, r.route()))
    routes = []
    for _ in range(r.count("route", 4 + _ROUTE.size)):
        currency = r.string("route currency")
        routes.append((currency, r.route()))
    cursors: list[TickCursor | None] = []
    for _ in range(nsym):  # no count of its own: one flag per symbol
        cursors.append(
            TickCursor(r.i64("tick cursor"), r.i64("tick time"), data_fingerprint())
            if r.flag("tick series flag")
            else None
        )
    bar_series = []
    for _ in range(r.count("bar series", _BAR_CURSOR.size)):
        symbol_id, timeframe, cursor, last_time = r.unpack(_BAR_CURSOR, "bar series")
        bar_series.append(BarCursor(symbol_id, timeframe, cursor, last_time, data_fingerprint()))
    builders = []
    for _ in range(r.count("bar builder", _BUILDER.size)):
        start = r.offset
        (
            symbol_id,
            timeframe,
            state,
            b_open_time,
            b_close_time,
            b_open,
            b_high,
            b_low,
            b_close,
            b_ticks,
        ) = r.unpack(_BUILDER, "bar builder")
        if state >= 6:  # bit 0 active, bits 1-2 the price (0 bid, 1 ask, 2 mid)
            r.offset = start + 8
            raise r.error("bar builder state byte is %d (bit 0 active, bits 1-2 the price)" % state)
        price = PriceSource(state >> 1)
        builders.append(
            BarBuilder(
                symbol_id,
                timeframe,
                bool(state & 1),
                b_open_time,
                b_close_time,
                b_open,
                b_high,
                b_low,
                b_close,
                b_ticks,
                price,
            )
        )
    positions = [r.position() for _ in range(r.count("position", _POSITION.size))]
    orders = [r.order() for _ in range(r.count("order", _ORDER.size))]
    # History deltas: [start u64][count u64][items] each.
    history_start = r.u64("order history start")
    history = [r.order() for _ in range(r.count("order history", _ORDER.size))]
    deals_start = r.u64("deals start")
    deals = [r.deal() for _ in range(r.count("deal", _DEAL.size))]
    trades_start = r.u64("trades start")
    trades = [r.trade() for _ in range(r.count("trade", _TRADE.size))]
    curve_start = r.u64("equity curve start")
    curve = [
        EquityPoint(*r.unpack(_EQUITY, "equity point"))
        for _ in range(r.count("equity point", _EQUITY.size))
    ]
    state = r.take(r.u64("strategy state length"), "strategy state")
    stage = r.enum(RunStage, r.u8("run stage"), "run stage")
    model = (
        r.enum(TickModel, r.u8("tick model"), "tick model")
        if version >= 4
        else TickModel.REAL_TICKS  # 0.1: real ticks only
    )
    indicators = []
    for _ in range(r.count("indicator", 48) if version >= 5 else 0):
        kind, symbol_id, timeframe, source = r.unpack(_INDICATOR, "indicator")
        kept = r.u64("indicator history")
        params = tuple(r.f64("indicator parameter") for _ in range(r.count("parameter", 8)))
        count, last = r.i64("indicator count"), r.i64("indicator slot")
        block = r.take(r.u64("indicator state length"), "indicator state")
        indicators.append(
            IndicatorState(kind, symbol_id, timeframe, source, kept, params, count, last, block)
        )
    if r.offset < len(r.data):  # appended when a position holds swap
        if r.u64("swap count") != len(positions):
            raise r.error("swap count is not the position count")
        positions = [_replace(p, swap=r.i64("position swap")) for p in positions]
    r.end()
    return Snapshot(
        version,
        fingerprint,
        events,
        time,
        balance,
        net_deposits,
        next_ticket,
        margin_call,
        next_sample,
        peak,
        max_dd,
        max_dd_pct,
        ticks,
        bars,
        quotes,
        routes,
        cursors,
        bar_series,
        builders,
        positions,
        orders,
        history_start,
        history,
        deals_start,
        deals,
        trades_start,
        trades,
        curve_start,
        curve,
        state,
        stage,
        model,
        indicators,
    )


def decode(record_type: int, payload: bytes, context: str | None = None):
    """An engine record or a snapshot, by type."""
    if record_type == _wal.CHECKPOINT:
        return decode_checkpoint(payload, context or "checkpoint")
    return decode_record(record_type, payload, context)


# ---------------------------------------------------------------------------
# Configuration fingerprint
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolConfig:
    """The parts of a symbol's spec the fingerprint covers (SPEC units)."""

    name: str
    base_currency: str
    profit_currency: str
    margin_currency: str = ""  # "" = the base currency
    contract_size: int = 100_000 * SCALE
    digits: int = 5
    #: 0.1's code: 0 forex, 1 what 0.1 called CFD (the calc mode
    #: "cfd_leverage" since 0.2); used when ``calc_mode`` is -1.
    margin_mode: int = 0
    volume_min: int = 10_000
    volume_step: int = 10_000
    volume_max: int = 100 * SCALE
    commission_per_lot: int = 0
    spread: int = 0
    #: since 0.2: hqt.CalcMode value; -1: from ``margin_mode`` as above.
    calc_mode: int = -1
    margin_rate: int = SCALE
    margin_initial: int = 0
    margin_maintenance: int = 0
    tick_size: int = 0
    tick_value: int = 0
    margin_hedged: int = -1  # -1: not set
    margin_hedged_use_leg: bool = False
    #: since 0.2: hqt.SwapMode value, swaps x 1e6, triple weekday (0 = Sunday)
    swap_mode: int = 0
    swap_long: int = 0
    swap_short: int = 0
    swap_rollover3days: int = 3
    #: since 0.2: the commission model (hqt.CommissionEntry / CommissionCurrency values)
    commission_per_deal: int = 0
    commission_percent: int = 0
    commission_entry: int = 0
    commission_currency: int = 0
    #: since 0.2, the trading rules: points; written only when one is set
    stops_level: int = 0
    freeze_level: int = 0
    #: (weekday, start, end) triples; written only when there are some
    trade_sessions: tuple[tuple[int, int, int], ...] = ()
    #: MT5's SYMBOL_VOLUME_LIMIT, lots x 1e6; written only when set
    volume_limit: int = 0
    #: quote sessions, (weekday, start, end); written only when there are some
    quote_sessions: tuple[tuple[int, int, int], ...] = ()

    def _swap_bytes(self) -> bytes:
        """The swap fields (empty when swaps are disabled)."""
        if not self.swap_mode:
            return b""
        return b"\xc2" + struct.pack(
            "<iqqi", self.swap_mode, self.swap_long, self.swap_short, self.swap_rollover3days
        )

    def _commission_bytes(self) -> bytes:
        """The commission-model fields (empty when all are 0.1's defaults)."""
        if not (
            self.commission_per_deal
            or self.commission_percent
            or self.commission_entry
            or self.commission_currency
        ):
            return b""
        return b"\xc4" + struct.pack(
            "<qqii",
            self.commission_per_deal,
            self.commission_percent,
            self.commission_entry,
            self.commission_currency,
        )

    def _session_bytes(self) -> bytes:
        """The trade sessions (tag 0xC6), empty when there are none."""
        if not self.trade_sessions:
            return b""
        out = b"\xc6" + struct.pack("<I", len(self.trade_sessions))
        for s in self.trade_sessions:
            out += struct.pack("<iii", *s)
        return out

    def _volume_limit_bytes(self) -> bytes:
        """The volume limit (tag 0xC7), empty when there is none."""
        out = b"\xc7" + struct.pack("<q", self.volume_limit) if self.volume_limit else b""
        if self.quote_sessions:  # tag 0xC8, as the trade sessions' 0xC6
            out += b"\xc8" + struct.pack("<I", len(self.quote_sessions))
            for s in self.quote_sessions:
                out += struct.pack("<iii", *s)
        return out

    def _rule_bytes(self) -> bytes:
        """The rule fields (tag 0xC5), empty when both levels are 0 so a
        configuration without them keeps its earlier fingerprint."""
        if not (self.stops_level or self.freeze_level):
            return b""
        return b"\xc5" + struct.pack("<qq", self.stops_level, self.freeze_level)

    def _calc_bytes(self) -> tuple[int, bytes]:
        """The fingerprint's margin code and the calc fields (empty when
        every one has 0.1's fixed value, so a 0.1 log keeps its fingerprint)."""
        calc = self.calc_mode if self.calc_mode >= 0 else (0 if self.margin_mode == 0 else 4)
        code = {0: 0, 4: 1}.get(calc, 2)  # forex, cfd_leverage, any other mode
        legacy = (
            code != 2
            and self.margin_rate == SCALE
            and not (self.margin_initial or self.margin_maintenance)
            and not (self.tick_size or self.tick_value)
            and self.margin_hedged < 0
            and not self.margin_hedged_use_leg
        )
        if legacy:
            return code, b""
        extra = b"\xc1" + struct.pack(
            "<iqqqqqq?",
            calc,
            self.margin_rate,
            self.margin_initial,
            self.margin_maintenance,
            self.tick_size,
            self.tick_value,
            self.margin_hedged if self.margin_hedged >= 0 else -1,
            self.margin_hedged_use_leg,
        )
        return code, extra


def _default_currency_digits(code: str) -> int:
    """Engine.defaultCurrencyDigits: ISO 4217 minor units where not 2."""
    c = code.upper()
    if c in ("JPY", "KRW", "CLP", "ISK", "VND", "UGX", "PYG", "XOF", "XAF", "HUF"):
        return 0
    if c in ("BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"):
        return 3
    return 2


def configuration_fingerprint(
    initial_balance: int,
    currency: str,
    leverage: int,
    symbols: Sequence[SymbolConfig],
    account_mode: int = 0,
    margin_call_level: int = 100 * SCALE,
    stop_out_level: int = 50 * SCALE,
    rollover_time: int = 0,
    currency_digits: int | None = None,
    stop_out_mode: int = 0,
) -> int:
    """The 64-bit FNV-1a fingerprint of an engine configuration, as stored in
    every snapshot (and in the log's HEADER): which account and symbols a log
    belongs to. Money and levels in micro units; symbols in id order.
    ``currency_digits`` None (or the currency's default) adds nothing."""

    def string(v: str) -> bytes:
        b = v.encode("utf-8")
        return struct.pack("<I", len(b)) + b

    buf = bytearray()
    buf += struct.pack("<q", initial_balance) + string(currency)
    buf += struct.pack("<qiqq", leverage, account_mode, margin_call_level, stop_out_level)
    if currency_digits is not None and currency_digits != _default_currency_digits(currency):
        buf += b"\xd1" + struct.pack("<i", currency_digits)
    if stop_out_mode != 0:  # money levels (tag 0xD2); percent adds nothing
        buf += b"\xd2" + struct.pack("<i", stop_out_mode)
    for s in symbols:
        buf += (
            string(s.name)
            + string(s.base_currency)
            + string(s.profit_currency)
            + string(s.margin_currency)
        )
        code, extra = s._calc_bytes()
        buf += struct.pack(
            "<qiiqqqqq",
            s.contract_size,
            s.digits,
            code,
            s.volume_min,
            s.volume_step,
            s.volume_max,
            s.commission_per_lot,
            s.spread,
        )
        buf += extra + s._swap_bytes() + s._commission_bytes()
        buf += s._rule_bytes() + s._session_bytes() + s._volume_limit_bytes()
    if rollover_time:  # seconds of day, when not the default 00:00
        buf += b"\xc3" + struct.pack("<q", rollover_time)
    h = 0xCBF29CE484222325
    for byte in buf:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# ---------------------------------------------------------------------------
# History of a checkpoint
# ---------------------------------------------------------------------------


def _checkpoint_context(record: Any) -> str:
    return "checkpoint %d" % record.sequence


def history_chain(records: Sequence[Any], upto: int | None = None) -> list[tuple[int, Snapshot]]:
    """The checkpoints whose deltas make up the history of checkpoint
    ``records[upto]`` (default: the last checkpoint), oldest first, as
    ``(index in records, decoded snapshot)``; the last pair is ``upto``'s.

    As the engine does (Engine.history(before:in:)): from ``upto``, walk back
    over the checkpoints to the nearest full one (every start 0), or to the
    first checkpoint of the log. ``records`` are ``hqt.wal.Record`` objects
    in log order (engine records are skipped)."""
    checkpoints = [i for i, r in enumerate(records) if r.type == _wal.CHECKPOINT]
    if upto is None:
        if not checkpoints:
            raise PayloadError("%d records but no checkpoint" % len(records))
        upto = checkpoints[-1]
    elif not 0 <= upto < len(records) or records[upto].type != _wal.CHECKPOINT:
        raise ValueError("records[%r] is not a CHECKPOINT" % (upto,))
    chain: list[tuple[int, Snapshot]] = []
    for i in reversed([c for c in checkpoints if c <= upto]):
        snap = decode_checkpoint(records[i].data, _checkpoint_context(records[i]))
        chain.append((i, snap))
        if snap.is_full:
            break
    chain.reverse()
    return chain


def rebuild_history(records: Sequence[Any], upto: int | None = None) -> History:
    """The complete order history, deals, trades and equity curve as of
    checkpoint ``records[upto]`` (default: the last checkpoint): the deltas
    of :func:`history_chain` applied oldest first, as recovery restores them.
    Raises :class:`PayloadError` when a start exceeds the list rebuilt so far."""
    h = History()
    for i, snap in history_chain(records, upto):
        h = h.extend(snap, _checkpoint_context(records[i]))
    return h


# ---------------------------------------------------------------------------
# Registration with hqt.wal
# ---------------------------------------------------------------------------


def _record_decoder(record_type: int) -> Callable[[bytes], EngineRecord]:
    def decoder(payload: bytes) -> EngineRecord:
        return decode_record(record_type, payload)

    decoder.__name__ = "decode_%s" % _TYPE_NAMES[record_type].lower()
    decoder._hqt_engine_payload = True  # type: ignore[attr-defined]
    return decoder


decode_checkpoint._hqt_engine_payload = True  # type: ignore[attr-defined]

_REGISTRY: list[tuple[int, str, Callable[[bytes], Any]]] = [
    (t, _TYPE_NAMES[t], _record_decoder(t)) for t in ENGINE_RECORD_TYPES
] + [(_wal.CHECKPOINT, "CHECKPOINT", decode_checkpoint)]


def register(wal_module: Any = None) -> None:
    """Registers the engine's decoders with ``hqt.wal`` (or another instance
    of that module). Importing this module does it.
    Registering twice is harmless; a different decoder already registered
    for one of these types is an error (hqt.wal refuses silent overrides)."""
    m = wal_module if wal_module is not None else _wal
    existing = getattr(m, "_DECODERS", {})
    for t, name, fn in _REGISTRY:
        entry = existing.get(t)
        if entry is not None and getattr(entry[1], "_hqt_engine_payload", False):
            continue  # already ours (a second call, a reload, or this file run as __main__)
        m.register_decoder(t, name, fn)


register()


def main(argv: list[str] | None = None, out=None) -> int:
    """``python -m hqt.wal_records FILE [summary|list|verify]``: the
    :mod:`hqt.wal` command line with the engine's payloads decoded."""
    return _wal.main(argv, out)


if __name__ == "__main__":
    sys.exit(main())
