"""What the dashboard shows, folded from the broadcast, and the thread that receives it.

Pure Python (pyzmq): :class:`DashboardState` takes events and gives a JSON-
ready :meth:`~DashboardState.snapshot`; :class:`Receiver` runs a SUB socket
on a thread and feeds it. The web server (hqt.dashboard.app) only reads
snapshots, so the state can be tested, and reused, without a browser.
"""

from __future__ import annotations

import struct
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

import zmq

from hqt._stream import (
    SESSION,
    SPEC_TOPICS,
    Pairer,
    SequenceTracker,
    Session,
    Split,
    decode_session,
    subscriptions,
)
from hqt.constants import TOPIC_NAMES
from hqt.subscriber import (
    CurveKeys,
    DecodeError,
    SubscriberStats,
    _curve_keys,
    decode,
    topic_of,
)

__all__ = ["DashboardState", "Receiver"]

_TICK, _TRADE, _ORDER, _EQUITY, _MARGIN, _POSITION, _ACCOUNT = 0, 2, 3, 4, 5, 6, 7
_TICK_PAYLOAD = struct.Struct("<IQqq")
_FINAL_ORDER_STATES = {2, 3, 4, 5}  # filled, canceled, rejected, expired
MAX_POINTS = 2000  # equity chart points kept; halved (every other dropped) when full
RECENT = 50  # trades and orders listed


class DashboardState:
    """Account, positions, orders, trades, rates and run state of one broadcast.

    Thread-safe: :meth:`feed` from the receiving thread, :meth:`snapshot`
    from the web server. ``idle_after``: seconds without a frame after which
    a run that sent no RUN_END is shown as idle (finished, as far as a
    subscriber without SESSION frames can tell).
    """

    def __init__(self, endpoint: str, idle_after: float = 3.0) -> None:
        self.endpoint = endpoint
        self.idle_after = idle_after
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.version = 0  # bumped on every change; the server pushes only new versions
        self.stats = SubscriberStats()  # orphan updates: losses visible without seq
        self.seq = SequenceTracker()
        self.counts = [0] * len(SPEC_TOPICS)
        self.malformed = 0
        self._rate_mark = (self.started, [0] * len(SPEC_TOPICS))
        self.rates = [0.0] * len(SPEC_TOPICS)
        self.last_frame_at: float | None = None
        self.first_time: int | None = None
        self.last_time: int | None = None
        self.last_ticks: dict[int, tuple[int, int, int]] = {}  # symbol -> (time, bid, ask)
        self.account: dict[str, int | None] = dict.fromkeys(
            ("balance", "equity", "margin", "free_margin", "margin_level", "profit"), None
        )
        self.margin_event: dict[str, int] | None = None
        self.points: list[tuple[int, int, int, int]] = []  # time, balance, equity, margin
        self._stride = 1  # keep every stride-th EQUITY frame once the chart is full
        self._skipped = 0
        self.peak_equity: int | None = None
        self.max_drawdown = 0
        self.positions: dict[int, Any] = {}
        self.orders: dict[int, Any] = {}
        self.trades: deque[Any] = deque(maxlen=RECENT)
        self.recent_orders: deque[Any] = deque(maxlen=RECENT)
        self.trade_count = 0
        self.net_profit = 0
        self.gross_profit = 0
        self.gross_loss = 0
        self.wins = 0
        self.losses = 0
        self.session_start: Session | None = None
        self.session_end: Session | None = None
        self.paused = False

    # ---- folding (receiver thread)

    def feed(self, items: list[Split]) -> None:
        """Folds a batch of events (items from :class:`hqt._stream.Pairer`)."""
        with self._lock:
            for s in items:
                self._fold(s)
            self.last_frame_at = time.monotonic()
            self.version += 1

    def _fold(self, s: Split) -> None:
        t = s.topic
        if t == SESSION:
            self._session(s)
            return
        if not 0 <= t < len(SPEC_TOPICS):
            self.malformed += 1
            return
        frame = s.frame
        if t == _TICK:  # the hot path: no record object, only the last quote per symbol
            if len(frame) != 29:
                self.malformed += 1
                return
            self.counts[0] += 1
            self.seq.observe(s)
            sym, tm, bid, ask = _TICK_PAYLOAD.unpack_from(frame, 1)
            self.last_ticks[sym] = (tm, bid, ask)
            if self.last_time is None or tm > self.last_time:
                self._clock(tm)
            return
        try:
            r: Any = decode(frame)  # dispatched on its topic byte: a Union mypy cannot narrow
        except DecodeError:
            self.malformed += 1
            return
        self.counts[t] += 1
        self.seq.observe(s)
        self.stats.observe(r)
        self.paused = False
        self._clock(r.time)
        if t == _TRADE:
            self.trade_count += 1
            self.trades.append(r)
            self.net_profit += r.profit
            if r.profit > 0:
                self.wins += 1
                self.gross_profit += r.profit
            elif r.profit < 0:
                self.losses += 1
                self.gross_loss += r.profit
        elif t == _ORDER:
            self.recent_orders.append(r)
            if r.state in _FINAL_ORDER_STATES:
                self.orders.pop(r.ticket, None)
            else:
                self.orders[r.ticket] = r
        elif t == _POSITION:
            if r.state == 2:
                self.positions.pop(r.ticket, None)
            else:
                self.positions[r.ticket] = r
        elif t == _EQUITY:
            a = self.account
            a["balance"], a["equity"], a["margin"], a["free_margin"] = (
                r.balance,
                r.equity,
                r.margin,
                r.free_margin,
            )
            self._point(r.time, r.balance, r.equity, r.margin)
        elif t == _ACCOUNT:
            a = self.account
            a["balance"], a["equity"], a["profit"] = r.balance, r.equity, r.profit
            a["margin_level"] = r.margin_level
        elif t == _MARGIN:
            a = self.account
            a["margin"], a["free_margin"], a["margin_level"] = (
                r.margin,
                r.free_margin,
                r.margin_level,
            )
            if r.event:
                self.margin_event = {"time": r.time, "event": r.event, "level": r.margin_level}

    def _clock(self, tm: int) -> None:
        if self.first_time is None:
            self.first_time = tm
        if self.last_time is None or tm > self.last_time:
            self.last_time = tm

    def _point(self, tm: int, balance: int, equity: int, margin: int) -> None:
        if self.peak_equity is None or equity > self.peak_equity:
            self.peak_equity = equity
        self.max_drawdown = max(self.max_drawdown, self.peak_equity - equity)
        self._skipped += 1
        if self._skipped < self._stride:
            return
        self._skipped = 0
        self.points.append((tm, balance, equity, margin))
        if len(self.points) >= MAX_POINTS:  # bounded memory and page size, shape kept
            self.points = self.points[::2]
            self._stride *= 2

    def _session(self, s: Split) -> None:
        try:
            session = decode_session(s.frame)
        except ValueError:
            self.malformed += 1
            return
        self.seq.observe_session(session)
        if session.kind == 0:
            if self.session_start is None or session.run_id != self.session_start.run_id:
                self._new_run()
            self.session_start, self.session_end, self.paused = session, None, False
        elif session.kind == 1:
            self.session_end, self.paused = session, False
        elif session.kind == 2:
            self.paused = True
        if session.time:
            self._clock(session.time)

    def _new_run(self) -> None:
        """A new run id: what the previous run showed is cleared (counts and rates stay)."""
        self.points, self._stride, self._skipped = [], 1, 0
        self.peak_equity, self.max_drawdown = None, 0
        self.positions.clear()
        self.orders.clear()
        self.trades.clear()
        self.recent_orders.clear()
        self.trade_count = self.net_profit = self.gross_profit = self.gross_loss = 0
        self.wins = self.losses = 0
        self.first_time = self.last_time = None

    # ---- reading (web server)

    def run_state(self, now: float) -> str:
        """waiting (nothing yet), running, paused (heartbeats), ended (RUN_END), idle."""
        if self.session_end is not None:
            return "ended"
        if self.paused:
            return "paused"
        if self.last_frame_at is None:
            return "waiting"
        if now - self.last_frame_at >= self.idle_after:
            return "idle"
        return "running"

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready values (money and prices in micro units)."""
        now = time.monotonic()
        with self._lock:
            then, marks = self._rate_mark
            if now - then >= 0.5:
                self.rates = [
                    (c - m) / (now - then) for c, m in zip(self.counts, marks, strict=True)
                ]
                self._rate_mark = (now, list(self.counts))
            state = self.run_state(now)
            start, end = self.session_start, self.session_end
            names = {s.symbol_id: s.name for s in start.symbols or ()} if start else {}
            orphans = self.stats.orphan_position_updates + self.stats.orphan_order_updates
            topics = [
                {
                    "name": TOPIC_NAMES[t],
                    "count": self.counts[t],
                    "rate": round(self.rates[t], 1),
                    "lost": self.seq.lost[t],
                }
                for t in SPEC_TOPICS
            ]
            summary = None
            if state in ("ended", "idle"):
                decided = self.wins + self.losses
                summary = {
                    "trades": self.trade_count,
                    "net_profit": self.net_profit,
                    "gross_profit": self.gross_profit,
                    "gross_loss": self.gross_loss,
                    "win_rate": None if not decided else self.wins / decided,
                    "max_drawdown": self.max_drawdown,
                    "balance": self.account["balance"],
                    "equity": self.account["equity"],
                    "open_positions": len(self.positions),
                    "pending_orders": len(self.orders),
                    "engine": None
                    if end is None
                    else {
                        "status": "completed" if end.status == 0 else "failed",
                        "balance": end.balance,
                        "equity": end.equity,
                        "deals": end.deals,
                        "open_positions": end.open_positions,
                        "pending_orders": end.pending_orders,
                    },
                }
            return {
                "version": self.version,
                "endpoint": self.endpoint,
                "state": state,
                "uptime": round(now - self.started, 1),
                "run_id": None if self.seq.run_id is None else f"{self.seq.run_id:016x}",
                "sequenced": self.seq.sequenced,
                "currency": start.currency if start else None,
                "symbols": {str(k): v for k, v in names.items()},
                "first_time": self.first_time,
                "last_time": self.last_time,
                "account": dict(self.account),
                "margin_event": self.margin_event,
                "points": list(self.points),
                "positions": [
                    p._asdict() | {"type_name": p.type_name} for p in self.positions.values()
                ],
                "orders": [
                    o._asdict() | {"type_name": o.type_name, "state_name": o.state_name}
                    for o in self.orders.values()
                ],
                "trades": [d._asdict() for d in reversed(self.trades)],
                "recent_orders": [
                    o._asdict() | {"type_name": o.type_name, "state_name": o.state_name}
                    for o in reversed(self.recent_orders)
                ],
                "trade_count": self.trade_count,
                "net_profit": self.net_profit,
                "topics": topics,
                "lost_total": sum(self.seq.lost),
                "unsequenced": self.seq.unsequenced,
                "orphans": orphans,
                "malformed": self.malformed,
                "summary": summary,
            }


class Receiver:
    """A SUB socket on a daemon thread feeding a :class:`DashboardState`.

    Subscribes to the SPEC topics (all, or ``topics``), SESSION and the sequenced twins
    (docs/zmq.md sections 11, 12); once a twin arrives the SPEC topics are
    unsubscribed (each event would otherwise come twice). Reads in batches
    so that a tick flood costs one lock per batch.
    """

    def __init__(
        self,
        endpoint: str,
        state: DashboardState,
        *,
        curve: CurveKeys | None = None,
        topics: Iterable[int | str] | None = None,
        rcvhwm: int = 1_000_000,
    ) -> None:
        self.endpoint = endpoint
        self.state = state
        self._context: zmq.Context[Any] = zmq.Context()
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.RCVHWM, rcvhwm)
        curve = _curve_keys(curve)
        if curve is not None:
            self._socket.curve_serverkey = curve.server_public_key.encode()
            self._socket.curve_publickey = str(curve.public_key).encode()
            self._socket.curve_secretkey = str(curve.secret_key).encode()
        self.topics = None if topics is None else sorted({topic_of(t) for t in topics})
        for p in subscriptions(self.topics):
            self._socket.setsockopt(zmq.SUBSCRIBE, p)
        self._socket.connect(endpoint)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hqt-dashboard-sub", daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def _loop(self) -> None:
        sock, pairer = self._socket, Pairer()
        spec_subscribed = True
        try:
            while not self._stop.is_set():
                if sock.poll(100):
                    frames: list[bytes] = []
                    while len(frames) < 10_000:
                        try:
                            frames.append(sock.recv(zmq.NOBLOCK))
                        except zmq.Again:
                            break
                    pairs = pairer.feed([f for f in frames if f])
                else:
                    pairs = pairer.flush()
                items = [item for item, _ in pairs]
                if not items:
                    continue
                if spec_subscribed and any(s.sequenced for s in items):
                    for t in SPEC_TOPICS if self.topics is None else self.topics:
                        sock.setsockopt(zmq.UNSUBSCRIBE, bytes([t]))
                    spec_subscribed = False
                self.state.feed(items)
        finally:
            sock.close(linger=0)
            self._context.term()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
