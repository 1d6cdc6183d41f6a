"""A reference model of the engine's WAL recovery, for the tests.

Written from docs/wal-records.md, independently of the Swift code
(Engine+WAL.swift ``recoverFromWAL``, Engine+Ledger.swift ``apply``), on top
of the pure-Python decoders of :mod:`hqt.wal_records`; test_wal_records.py
checks it against the engine's own recovery after cutting real logs at every
record. It is not part of the hqt package: operators read logs with
``hqt.wal`` / ``hqt.wal_records``, and recover with the engine.

:func:`recovery_plan` splits a log as recovery does (the last checkpoint, the
records it replays, the records of an unfinished last event it discards);
:class:`Ledger` applies records to a snapshot the way the engine does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from hqt import wal as _wal
from hqt.wal_records import (
    BalanceChange,
    BuildBars,
    Deal,
    EngineRecord,
    Fill,
    History,
    Order,
    OrderCancel,
    OrderModify,
    OrderPlace,
    PayloadError,
    Phase,
    Position,
    PositionModify,
    RunMark,
    RunStage,
    Snapshot,
    Trade,
    decode_record,
    history_chain,
)

__all__ = ["RecoveryPlan", "recovery_plan", "Ledger"]


def _checkpoint_context(record: Any) -> str:
    return "checkpoint %d" % record.sequence


@dataclass
class RecoveryPlan:
    """What recovery does with a log (Engine+WAL.swift, recoverFromWAL)."""

    checkpoint: Any | None  # the last CHECKPOINT record (hqt.wal.Record), None if none
    snapshot: Snapshot | None  # its snapshot with the history rebuilt from `chain` (every start 0)
    replayed: list[EngineRecord]  # applied on top of the snapshot, in log order
    discarded: list[
        EngineRecord
    ]  # the last event's records, re-created when the event is re-processed
    chain: list[Any] = _field(
        default_factory=list
    )  # the CHECKPOINT records the history is read from, oldest first


def recovery_plan(records: Sequence[Any]) -> RecoveryPlan:
    """Splits a log's records (``hqt.wal.Record`` objects, HEADER excluded)
    as recovery does: the last checkpoint, the records after it to apply,
    and the records of the unit of work the log ends in, when it is
    unfinished: the last event (records inside an event), or a run's on_start
    (back to RUN_MARK STARTING) or end (back to RUN_MARK ENDING). That unit
    may have stopped half-way, so its records are dropped and the resumed
    run does it again. The plan's snapshot is the last checkpoint's with the
    complete history (:func:`rebuild_history`), as the engine restores it."""
    last = None
    for i, r in enumerate(records):
        if r.type == _wal.CHECKPOINT:
            last = i
    if last is None:
        if records:
            raise PayloadError(
                "%d records but no checkpoint: not written by an HQT engine" % len(records)
            )
        return RecoveryPlan(None, None, [], [])
    cp = records[last]
    after = [decode_record(r.type, r.data, "record %d" % r.sequence) for r in records[last + 1 :]]
    discarded: list[EngineRecord] = []
    if after and after[-1].phase != Phase.BETWEEN:
        last_phase = after[-1].phase
        if last_phase.inside_event:
            event = after[-1].event
            while after and after[-1].event == event and after[-1].phase.inside_event:
                discarded.insert(0, after.pop())
        else:  # an unfinished on_start, or end of run (closing bars, on_stop)
            opening = RunStage.STARTING if last_phase == Phase.START else RunStage.ENDING
            marks = [
                i
                for i, rec in enumerate(after)
                if isinstance(rec, RunMark) and rec.stage == opening
            ]
            if marks:
                discarded = after[marks[-1] :]
                del after[marks[-1] :]
    chain = history_chain(records, last)
    history = History()
    for i, snap in chain:
        history = history.extend(snap, _checkpoint_context(records[i]))
    snapshot = chain[-1][1].with_history(history)
    return RecoveryPlan(cp, snapshot, after, discarded, [records[i] for i, _ in chain])


class Ledger:
    """The trading state of a snapshot, with records applied the way the
    engine applies them (Engine+Ledger.swift ``apply``). Only the ledger:
    quotes, equity curve and statistics need the market data.

    The order history, deals and trades come from ``history`` (the lists
    rebuilt up to this checkpoint, :func:`rebuild_history`) when given, else
    from the snapshot itself, which must then hold them from index 0 (a full
    checkpoint, or ``recovery_plan(...).snapshot``): a light checkpoint's
    deltas alone are refused (ValueError)."""

    def __init__(self, snapshot: Snapshot, history: History | None = None):
        if history is None:
            if snapshot.order_history_start or snapshot.deals_start or snapshot.trades_start:
                raise ValueError(
                    "a light checkpoint holds only the history written since the previous one (order history "
                    "from %d, deals from %d, trades from %d): pass its rebuilt history (rebuild_history) or use "
                    "recovery_plan(...).snapshot"
                    % (snapshot.order_history_start, snapshot.deals_start, snapshot.trades_start)
                )
            history = History(
                snapshot.order_history, snapshot.deals, snapshot.trades, snapshot.equity_curve
            )
        self.balance = snapshot.balance
        self.net_deposits = snapshot.net_deposits
        self.next_ticket = snapshot.next_ticket
        self.positions: list[Position] = list(snapshot.positions)
        self.orders: list[Order] = list(snapshot.orders)
        self.order_history: list[Order] = list(history.order_history)
        self.deals: list[Deal] = list(history.deals)
        self.trades: list[Trade] = list(history.trades)

    def _find(self, items: list, ticket: int) -> int | None:
        for i, x in enumerate(items):
            if x.ticket == ticket:
                return i
        return None

    def apply(self, rec: EngineRecord) -> None:
        if isinstance(rec, Fill):
            i = self._find(self.orders, rec.order.ticket)
            if i is not None:
                del self.orders[i]
            self.order_history.append(rec.order)
            self.deals.append(rec.deal)
            self.balance = rec.deal.balance
            j = self._find(self.positions, rec.position_ticket)
            if j is not None:
                if rec.position is not None:
                    self.positions[j] = rec.position
                else:
                    del self.positions[j]
            elif rec.position is not None:
                self.positions.append(rec.position)
            if rec.trade is not None:
                self.trades.append(rec.trade)
            self.next_ticket = max(self.next_ticket, rec.deal.ticket + 1, rec.order.ticket + 1)
        elif isinstance(rec, PositionModify):
            j = self._find(self.positions, rec.ticket)
            if j is not None:
                p = self.positions[j]
                self.positions[j] = Position(
                    p.ticket,
                    p.symbol_id,
                    p.side,
                    p.volume,
                    p.open_price,
                    p.open_time,
                    rec.sl,
                    rec.tp,
                    rec.trailing_points,
                    p.margin,
                    p.commission,
                    p.magic,
                )
        elif isinstance(rec, OrderPlace):
            self.orders.append(rec.order)
            self.next_ticket = max(self.next_ticket, rec.order.ticket + 1)
        elif isinstance(rec, OrderModify):
            i = self._find(self.orders, rec.order.ticket)
            if i is not None:
                self.orders[i] = rec.order
        elif isinstance(rec, OrderCancel):
            i = self._find(self.orders, rec.ticket)
            if i is not None:
                o = self.orders.pop(i)
                self.order_history.append(
                    Order(
                        o.ticket,
                        o.symbol_id,
                        o.type,
                        rec.state,
                        o.volume,
                        o.price,
                        o.stop_limit,
                        o.sl,
                        o.tp,
                        o.expiration,
                        o.time_setup,
                        o.trailing_points,
                        o.magic,
                    )
                )
        elif isinstance(rec, BalanceChange):
            self.balance += rec.amount
            self.net_deposits += rec.amount
        elif isinstance(rec, (BuildBars, RunMark)):
            pass  # bars in progress and run stages are not part of the ledger
        else:  # pragma: no cover
            raise TypeError(f"not an engine record: {rec!r}")

    def apply_all(self, records: Iterable[EngineRecord]) -> Ledger:
        for r in records:
            self.apply(r)
        return self
