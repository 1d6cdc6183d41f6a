"""Receive and decode HQT's ZeroMQ broadcast (SPEC section 2, docs/zmq.md).

Pure Python: needs only pyzmq and the standard library, and imports without
HQT's native extension, so a monitoring process on another machine can use
it with nothing else installed.

Every frame is ``[topic:u8][payload]``, little-endian, no padding::

    from hqt.subscriber import Subscriber, TICK, TRADE

    with Subscriber("tcp://localhost:5555", topics=[TICK, TRADE], timeout=5) as sub:
        for event in sub:                 # stops after 5 s without an event
            if event.topic == TICK:
                print(event.symbol_id, event.bid_f, event.ask_f)
            else:
                print("deal", event.ticket, event.profit_f)
        print(sub.stats)

Integers are exact SPEC units (prices and money x 1e6, volume lots x 1e6,
margin level percent x 1e6, time ns since the epoch); each such field also
has a float property with an ``_f`` suffix (``bid_f``, ``profit_f``,
``volume_f`` in lots, ``margin_level_f`` in percent) and ``datetime`` gives
the time as an aware UTC datetime.

What a subscriber can and cannot know about losses
--------------------------------------------------
The frames carry no sequence number, so most losses are invisible here; the
broadcaster's own counters (``dropped`` per topic, read from the engine) are
the authoritative record. With the default XPUB_NODROP publisher, a frame
that did not fit a subscriber's queue is counted there and never sent, and
over tcp nothing is lost silently after it was counted as sent, as long as
the subscriber stays connected. What this module detects (see
:class:`SubscriberStats`):

* ``deal_ticket_regressions``: a TRADE ticket not above the previous one
  (publisher restarted, or a second run).
* ``deal_ticket_gaps``: TRADE tickets skipped, counted only with
  ``consecutive_deal_tickets=True``. SPEC numbers tickets with one
  engine-wide counter; if orders, positions and deals share it, deal tickets
  are not consecutive and gaps are normal, so this is opt-in.
* ``orphan_position_updates``: a POSITION modified/closed/partially closed
  whose OPENED frame was never seen (dropped, or opened before joining).
* ``orphan_order_updates``: an ORDER modified/filled/canceled/expired whose
  PLACED frame was never seen (same causes). A rejection may be an order's
  only frame, so REJECTED is never an orphan.
* ``malformed``: frames of an unknown topic or the wrong size.

Not detectable: lost TICK, BAR, EQUITY, MARGIN and ACCOUNT frames, frames
sent before this subscription reached the publisher (use the engine's wait
for subscribers option), and frames in flight when a connection dropped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import zmq

from hqt.constants import (
    FRAME_FORMATS,
    MARGIN_EVENT_NAMES,
    ORDER_STATE_NAMES,
    ORDER_TYPE_NAMES,
    POSITION_STATE_NAMES,
    POSITION_TYPE_NAMES,
    TOPIC_NAMES,
)
from hqt.constants import TOPIC_ACCOUNT as ACCOUNT
from hqt.constants import TOPIC_BAR as BAR
from hqt.constants import TOPIC_EQUITY as EQUITY
from hqt.constants import TOPIC_MARGIN as MARGIN
from hqt.constants import TOPIC_ORDER as ORDER
from hqt.constants import TOPIC_POSITION as POSITION
from hqt.constants import TOPIC_TICK as TICK
from hqt.constants import TOPIC_TRADE as TRADE
from hqt.sequenced import (
    HEARTBEAT,
    RUN_END,
    RUN_START,
    SEQUENCED,
    SESSION,
    DecodeError,
    Heartbeat,
    RunEnd,
    RunStart,
    SessionSymbol,
    decode_batch,
    decode_sequenced,
    decode_session,
)

__all__ = [
    "TICK",
    "BAR",
    "TRADE",
    "ORDER",
    "EQUITY",
    "MARGIN",
    "POSITION",
    "ACCOUNT",
    "TOPICS",
    "TOPIC_NAMES",
    "FRAME_SIZES",
    "FRAME_FORMATS",
    "ORDER_TYPE_NAMES",
    "ORDER_STATE_NAMES",
    "POSITION_TYPE_NAMES",
    "POSITION_STATE_NAMES",
    "MARGIN_EVENT_NAMES",
    "Tick",
    "Bar",
    "Trade",
    "Order",
    "Equity",
    "Margin",
    "Position",
    "Account",
    "Record",
    "DecodeError",
    "decode",
    "topic_of",
    "CurveKeys",
    "SubscriberStats",
    "Subscriber",
    # issue 11 (docs/zmq.md sections 11-13)
    "SEQUENCED",
    "SESSION",
    "RUN_START",
    "RUN_END",
    "HEARTBEAT",
    "RunStart",
    "RunEnd",
    "Heartbeat",
    "SessionSymbol",
    "decode_sequenced",
    "decode_session",
    "decode_batch",
    "Mirror",  # noqa: F822 -- provided by the module __getattr__ below (import cycle)
]

# ---------------------------------------------------------------- topics
# Topic numbers, frame formats (SPEC table) and kind/event names come from
# hqt.constants (generated from abi/hqt_abi.toml).

TOPICS: tuple[int, ...] = tuple(range(len(TOPIC_NAMES)))
#: Size in bytes of each whole frame: 29, 55, 45, 38, 41, 34, 62, 41.
FRAME_SIZES: tuple[int, ...] = tuple(struct.calcsize(f) for f in FRAME_FORMATS)

_MICRO = 1e6
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micro(field: str) -> property:
    """A float view of an exact micro-unit field (value / 1e6)."""
    return property(
        lambda self: getattr(self, field) / _MICRO, doc=f"``{field}`` / 1e6 as a float."
    )


def _name(table: tuple[str, ...], value: int) -> str:
    return table[value] if 0 <= value < len(table) else f"UNKNOWN({value})"


def _datetime(self: Any) -> datetime:
    """``time`` as an aware UTC datetime (truncated to microseconds, exactly)."""
    return _EPOCH + timedelta(microseconds=self.time // 1000)


# ---------------------------------------------------------------- records


class Tick(NamedTuple):
    """TICK (topic 0): a market quote."""

    symbol_id: int
    time: int
    bid: int
    ask: int

    topic = TICK
    bid_f = _micro("bid")
    ask_f = _micro("ask")
    datetime = property(_datetime)


class Bar(NamedTuple):
    """BAR (topic 1): a closed bar; ``time`` is its open time, ``timeframe`` in minutes."""

    symbol_id: int
    timeframe: int
    time: int
    open: int
    high: int
    low: int
    close: int
    volume: int

    topic = BAR
    open_f = _micro("open")
    high_f = _micro("high")
    low_f = _micro("low")
    close_f = _micro("close")
    volume_f = _micro("volume")
    datetime = property(_datetime)


class Trade(NamedTuple):
    """TRADE (topic 2): a deal; ``profit`` is realized profit (0 for an opening deal)."""

    ticket: int
    symbol_id: int
    time: int
    volume: int
    price: int
    profit: int

    topic = TRADE
    volume_f = _micro("volume")
    price_f = _micro("price")
    profit_f = _micro("profit")
    datetime = property(_datetime)


class Order(NamedTuple):
    """ORDER (topic 3): an order state change; ``kind`` = state << 4 | type."""

    ticket: int
    symbol_id: int
    time: int
    kind: int
    volume: int
    price: int

    topic = ORDER
    volume_f = _micro("volume")
    price_f = _micro("price")
    datetime = property(_datetime)

    @property
    def type(self) -> int:
        """MetaTrader 5 order type (low nibble of ``kind``)."""
        return self.kind & 0x0F

    @property
    def state(self) -> int:
        """0 placed, 1 modified, 2 filled, 3 canceled, 4 rejected, 5 expired (high nibble)."""
        return self.kind >> 4

    @property
    def type_name(self) -> str:
        return _name(ORDER_TYPE_NAMES, self.type)

    @property
    def state_name(self) -> str:
        return _name(ORDER_STATE_NAMES, self.state)


class Equity(NamedTuple):
    """EQUITY (topic 4): balance, equity, margin, free margin."""

    time: int
    balance: int
    equity: int
    margin: int
    free_margin: int

    topic = EQUITY
    balance_f = _micro("balance")
    equity_f = _micro("equity")
    margin_f = _micro("margin")
    free_margin_f = _micro("free_margin")
    datetime = property(_datetime)


class Margin(NamedTuple):
    """MARGIN (topic 5): ``event`` 0 update, 1 margin call, 2 stop-out."""

    time: int
    margin: int
    free_margin: int
    margin_level: int
    event: int

    topic = MARGIN
    margin_f = _micro("margin")
    free_margin_f = _micro("free_margin")
    margin_level_f = _micro("margin_level")
    datetime = property(_datetime)

    @property
    def event_name(self) -> str:
        return _name(MARGIN_EVENT_NAMES, self.event)


class Position(NamedTuple):
    """POSITION (topic 6): ``kind`` = state << 4 | type (0 BUY, 1 SELL)."""

    ticket: int
    symbol_id: int
    time: int
    kind: int
    volume: int
    open_price: int
    sl: int
    tp: int
    profit: int

    topic = POSITION
    volume_f = _micro("volume")
    open_price_f = _micro("open_price")
    sl_f = _micro("sl")
    tp_f = _micro("tp")
    profit_f = _micro("profit")
    datetime = property(_datetime)

    @property
    def type(self) -> int:
        """0 BUY, 1 SELL (low nibble of ``kind``)."""
        return self.kind & 0x0F

    @property
    def state(self) -> int:
        """0 opened, 1 modified, 2 closed, 3 partially closed (high nibble)."""
        return self.kind >> 4

    @property
    def type_name(self) -> str:
        return _name(POSITION_TYPE_NAMES, self.type)

    @property
    def state_name(self) -> str:
        return _name(POSITION_STATE_NAMES, self.state)


class Account(NamedTuple):
    """ACCOUNT (topic 7): balance, equity, floating profit, margin level."""

    time: int
    balance: int
    equity: int
    profit: int
    margin_level: int

    topic = ACCOUNT
    balance_f = _micro("balance")
    equity_f = _micro("equity")
    profit_f = _micro("profit")
    margin_level_f = _micro("margin_level")
    datetime = property(_datetime)


Record = Tick | Bar | Trade | Order | Equity | Margin | Position | Account

_RECORD_TYPES = (Tick, Bar, Trade, Order, Equity, Margin, Position, Account)
# Payload formats (after the topic byte); unpack_from(frame, 1) avoids a copy.
_PAYLOAD = tuple(struct.Struct("<" + f[2:]) for f in FRAME_FORMATS)
_DECODERS = tuple(zip(_PAYLOAD, _RECORD_TYPES, FRAME_SIZES, strict=False))
_new = tuple.__new__


Buffer = bytes | bytearray | memoryview


def decode(frame: Buffer | zmq.Frame) -> Record:
    """The typed record of one frame. Raises :class:`DecodeError` if malformed."""
    if isinstance(frame, zmq.Frame):
        frame = frame.buffer
    if not frame:
        raise DecodeError("empty frame: expected [topic:u8][payload]")
    topic = frame[0]
    if topic >= 8:
        raise DecodeError(f"unknown topic {topic}: HQT topics are 0..7")
    payload, cls, size = _DECODERS[topic]
    if len(frame) != size:
        raise DecodeError(f"{TOPIC_NAMES[topic]} frame has {len(frame)} bytes, expected {size}")
    return _new(cls, payload.unpack_from(frame, 1))


def topic_of(name_or_number: int | str) -> int:
    """A topic number from 0..7 or a name such as ``"trade"``."""
    if isinstance(name_or_number, str):
        try:
            return TOPIC_NAMES.index(name_or_number.upper())
        except ValueError:
            raise ValueError(
                f"unknown topic {name_or_number!r}; known: {', '.join(TOPIC_NAMES)}"
            ) from None
    topic = int(name_or_number)
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic}: HQT topics are 0..7")
    return topic


# ---------------------------------------------------------------- subscriber


class CurveKeys(NamedTuple):
    """CURVE settings of a subscriber.

    ``server_public_key`` is the broadcaster's public key (Z85, 40 chars) and
    is required. The client keypair is generated when omitted; give your own
    when the broadcaster has an allow-list, which must contain ``public_key``.
    """

    server_public_key: str
    public_key: str | None = None
    secret_key: str | None = None


CurveArg = None | str | CurveKeys | tuple[str, ...] | dict[str, str]


def _curve_keys(curve: CurveArg) -> CurveKeys | None:
    if curve is None:
        return None
    if isinstance(curve, str):
        keys = CurveKeys(curve)
    elif isinstance(curve, dict):
        keys = CurveKeys(**curve)
    else:
        keys = CurveKeys(*curve)
    if (keys.public_key is None) != (keys.secret_key is None):
        raise ValueError("give both the client public_key and secret_key, or neither")
    if keys.public_key is None:
        public, secret = zmq.curve_keypair()
        keys = keys._replace(public_key=public.decode(), secret_key=secret.decode())
    for name, key in (
        ("server_public_key", keys.server_public_key),
        ("public_key", keys.public_key),
        ("secret_key", keys.secret_key),
    ):
        if not isinstance(key, str) or len(key) != 40:
            raise ValueError(f"CURVE {name} must be 40 Z85 characters")
    return keys


class SubscriberStats:
    """What a :class:`Subscriber` received, and the losses it could detect.

    ``received`` maps each topic number to its count of decoded frames.
    See the module documentation for what the loss counters can and cannot
    detect.
    """

    __slots__ = (
        "received",
        "bytes",
        "malformed",
        "skipped",
        "deal_ticket_gaps",
        "deal_ticket_regressions",
        "orphan_position_updates",
        "orphan_order_updates",
        "_consecutive",
        "_last_deal",
        "_open_positions",
        "_live_orders",
    )

    def __init__(self, consecutive_deal_tickets: bool = False) -> None:
        self.received: dict[int, int] = {t: 0 for t in TOPICS}
        self.bytes = 0
        self.malformed = 0
        #: Well-formed frames of issue 11's topic bytes (SESSION, 0x80|T)
        #: that a plain subscriber receives when subscribed to b"" (see Mirror).
        self.skipped = 0
        self.deal_ticket_gaps = 0
        self.deal_ticket_regressions = 0
        self.orphan_position_updates = 0
        self.orphan_order_updates = 0
        self._consecutive = consecutive_deal_tickets
        self._last_deal = 0
        self._open_positions: set = set()
        self._live_orders: set = set()

    @property
    def total(self) -> int:
        """Frames decoded, all topics."""
        return sum(self.received.values())

    @property
    def suspected_losses(self) -> int:
        """Sum of the loss indicators (0 means no loss was detected, not that none happened)."""
        return self.deal_ticket_gaps + self.orphan_position_updates + self.orphan_order_updates

    def by_name(self) -> dict[str, int]:
        """``received`` keyed by topic name."""
        return {TOPIC_NAMES[t]: n for t, n in self.received.items()}

    def observe(self, record: Record) -> None:
        """Counts one decoded record and checks it for detectable losses."""
        topic = record.topic
        self.received[topic] += 1
        self.bytes += FRAME_SIZES[topic]
        if topic == TRADE:
            ticket = record.ticket
            if self._last_deal:
                if ticket <= self._last_deal:
                    self.deal_ticket_regressions += 1
                elif self._consecutive and ticket > self._last_deal + 1:
                    self.deal_ticket_gaps += ticket - self._last_deal - 1
            self._last_deal = ticket
        elif topic == POSITION:
            state = record.kind >> 4
            if state == 0:
                self._open_positions.add(record.ticket)
            elif record.ticket not in self._open_positions:
                self.orphan_position_updates += 1
                if state != 2:  # seen now: later updates of it are not orphans again
                    self._open_positions.add(record.ticket)
            elif state == 2:
                self._open_positions.discard(record.ticket)
        elif topic == ORDER:
            state = record.kind >> 4
            if state == 0:
                self._live_orders.add(record.ticket)
            elif state == 4:
                self._live_orders.discard(record.ticket)
            elif record.ticket not in self._live_orders:
                self.orphan_order_updates += 1
                if state == 1:
                    self._live_orders.add(record.ticket)
            elif state != 1:  # filled, canceled, expired: final
                self._live_orders.discard(record.ticket)

    def __repr__(self) -> str:
        counts = ", ".join(f"{TOPIC_NAMES[t]}={n}" for t, n in self.received.items() if n)
        return (
            f"SubscriberStats(total={self.total}, {counts or 'nothing'}, malformed={self.malformed}, "
            f"deal_ticket_gaps={self.deal_ticket_gaps}, "
            f"deal_ticket_regressions={self.deal_ticket_regressions}, "
            f"orphan_position_updates={self.orphan_position_updates}, "
            f"orphan_order_updates={self.orphan_order_updates})"
        )


class Subscriber:
    """A SUB socket connected to an HQT broadcaster, yielding decoded records.

    ``topics``: None for every topic, or topic numbers / names. They are
    subscribed before connecting, so they reach the publisher together
    (a broadcaster counts each subscription; see docs/zmq.md).
    ``curve``: None for plain text; the broadcaster's public key (str); or
    :class:`CurveKeys` / a tuple / a dict with the client keypair.
    ``timeout``: seconds to wait for each event; iteration stops when it
    passes without one. None waits forever.
    ``rcvhwm``: frames queued here before backpressure reaches the publisher
    (where, with the default NODROP publisher, they are counted as dropped).
    """

    def __init__(
        self,
        endpoint: str,
        topics: Iterable[int | str] | None = None,
        curve: CurveArg = None,
        timeout: float | None = 1.0,
        *,
        context: zmq.Context | None = None,
        rcvhwm: int = 100_000,
        consecutive_deal_tickets: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.topics: tuple[int, ...] | None = (
            None if topics is None else tuple(sorted({topic_of(t) for t in topics}))
        )
        self.curve = _curve_keys(curve)
        self.timeout = timeout
        self.stats = SubscriberStats(consecutive_deal_tickets)
        self._own_context = context is None
        self._context = context if context is not None else zmq.Context()
        self._socket = self._context.socket(zmq.SUB)
        try:
            self._socket.setsockopt(zmq.LINGER, 0)
            self._socket.setsockopt(zmq.RCVHWM, rcvhwm)
            if self.curve is not None:
                self._socket.curve_serverkey = self.curve.server_public_key.encode()
                self._socket.curve_publickey = self.curve.public_key.encode()
                self._socket.curve_secretkey = self.curve.secret_key.encode()
            for prefix in [b""] if self.topics is None else [bytes([t]) for t in self.topics]:
                self._socket.setsockopt(zmq.SUBSCRIBE, prefix)
            self._socket.connect(endpoint)
        except Exception:
            self.close()
            raise
        self._poller = zmq.Poller()
        self._poller.register(self._socket, zmq.POLLIN)

    @property
    def socket(self) -> zmq.Socket:
        """The underlying pyzmq SUB socket."""
        return self._socket

    def recv_frame(self, timeout: float | None = ...) -> bytes | None:  # type: ignore[assignment]
        """The next raw frame, or None after ``timeout`` seconds (default: the subscriber's)."""
        try:
            return self._socket.recv(zmq.NOBLOCK)
        except zmq.Again:
            pass
        wait = self.timeout if timeout is ... else timeout
        if not self._poller.poll(None if wait is None else max(0, int(wait * 1000))):
            return None
        return self._socket.recv(zmq.NOBLOCK)

    def recv_batch(
        self,
        max_frames: int = 8192,
        timeout: float | None = ...,  # type: ignore[assignment]
    ) -> list[bytes]:
        """Up to ``max_frames`` raw frames: waits (``timeout``) for the first, then
        takes what is already queued without waiting. Not decoded and not
        counted in ``stats``: decode them together with
        :func:`hqt.sequenced.decode_batch` (the fast path, docs/zmq.md)."""
        frames: list[bytes] = []
        first = self.recv_frame(timeout)
        if first is None:
            return frames
        frames.append(first)
        append = frames.append
        recv = self._socket.recv
        noblock = zmq.NOBLOCK  # a local: this loop is the whole cost per frame
        try:
            for _ in range(max_frames - 1):
                append(recv(noblock))
        except zmq.Again:
            pass
        return frames

    def recv(self, timeout: float | None = ...) -> Record | None:  # type: ignore[assignment]
        """The next decoded record, or None after ``timeout`` seconds.

        Malformed frames are counted in ``stats.malformed`` and skipped.
        """
        while True:
            frame = self.recv_frame(timeout)
            if frame is None:
                return None
            try:
                record = decode(frame)
            except DecodeError:
                if frame and (frame[0] == SESSION or SEQUENCED <= frame[0] <= SEQUENCED | 7):
                    self.stats.skipped += 1
                else:
                    self.stats.malformed += 1
                continue
            self.stats.observe(record)
            return record

    def __iter__(self) -> Iterator[Record]:
        """Records until none arrives for ``timeout`` seconds."""
        while True:
            record = self.recv()
            if record is None:
                return
            yield record

    def close(self) -> None:
        """Closes the socket (and the context if this subscriber created it)."""
        sock = getattr(self, "_socket", None)
        if sock is not None and not sock.closed:
            sock.close(linger=0)
        if self._own_context and not self._context.closed:
            self._context.term()

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        topics = "all" if self.topics is None else ",".join(TOPIC_NAMES[t] for t in self.topics)
        return f"Subscriber({self.endpoint!r}, topics={topics}, curve={self.curve is not None})"


def __getattr__(name: str) -> Any:
    # Mirror lives in hqt.mirror, which imports this module: loaded on first use.
    if name == "Mirror":
        from hqt.mirror import Mirror

        return Mirror
    raise AttributeError(f"module 'hqt.subscriber' has no attribute {name!r}")
