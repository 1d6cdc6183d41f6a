"""What the dashboard and the recorder read from a frame beyond SPEC section 2.

The SPEC frames (topics 0..7) carry no sequence number and no run id. Issue
11's protocol (docs/zmq.md sections 11 and 12) adds, in other topic bytes,
*sequenced twins* (``0x80 | T``: run id, per-topic seq, then the SPEC
payload) and SESSION frames (topic 8: run start with the symbol table, run
end, heartbeat). This module is the one place the dashboard and recorder
learn those layouts, written so that they work unchanged against a
broadcaster that sends neither: then every run id and seq is None.

* :func:`split` takes any frame apart into ``(topic, run_id, seq, spec_frame)``.
* :class:`Pairer` turns the received stream into one item per *event*: a
  SPEC frame and its sequenced twin (adjacent on the wire) become one item.
* :class:`SequenceTracker` counts per topic what was received and, from the
  sequence numbers and SESSION's ``next_seq``, exactly what was lost.
* :func:`decode_session` reads a SESSION frame (through :mod:`hqt.sequenced`,
  which owns the byte layouts) into one :class:`Session` shape.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from hqt import sequenced
from hqt.sequenced import SessionSymbol

__all__ = [
    "SPEC_TOPICS",
    "SESSION",
    "SEQ_BIT",
    "SESSION_KINDS",
    "Split",
    "split",
    "sequenced_frame",
    "subscriptions",
    "Pairer",
    "SequenceTracker",
    "Session",
    "decode_session",
]

#: Topic bytes fixed by SPEC section 2.
SPEC_TOPICS = range(8)
#: SESSION topic byte (docs/zmq.md section 12).
SESSION = sequenced.SESSION
#: A sequenced twin of topic T is published on ``SEQ_BIT | T``.
SEQ_BIT = sequenced.SEQUENCED
SESSION_KINDS = ("RUN_START", "RUN_END", "HEARTBEAT")
_SEQ_HEADER = struct.Struct("<QQ")  # run id, seq (after the topic byte)
_SESSION_HEADER = struct.Struct("<BBQQ8Q")  # 82 bytes: the run id of any SESSION frame


class Split(NamedTuple):
    """One received frame, taken apart.

    ``topic``: the SPEC topic the frame carries (0..7), 8 for SESSION, else
    the frame's own first byte. ``run_id``/``seq``: None when the frame
    carries none. ``frame``: the SPEC frame (``[topic][payload]``) that
    ``hqt.subscriber.decode`` reads; for a sequenced twin it is rebuilt.
    ``sequenced``: the frame was a twin.
    """

    topic: int
    run_id: int | None
    seq: int | None
    frame: bytes
    sequenced: bool = False


def split(frame: bytes) -> Split:
    """The topic, run id, sequence and SPEC bytes of one received frame."""
    if not frame:
        return Split(-1, None, None, frame)
    first = frame[0]
    if first & SEQ_BIT and (first & 0x7F) in SPEC_TOPICS and len(frame) >= 17:
        run_id, seq = _SEQ_HEADER.unpack_from(frame, 1)
        return Split(first & 0x7F, run_id, seq, bytes([first & 0x7F]) + frame[17:], True)
    if first == SESSION and len(frame) >= _SESSION_HEADER.size:
        return Split(SESSION, _SESSION_HEADER.unpack_from(frame)[2], None, frame)
    return Split(first, None, None, frame)


def sequenced_frame(spec_frame: bytes, run_id: int, seq: int) -> bytes:
    """The sequenced twin of a SPEC frame (docs/zmq.md section 11)."""
    return bytes([SEQ_BIT | spec_frame[0]]) + _SEQ_HEADER.pack(run_id, seq) + spec_frame[1:]


def subscriptions(topics: list[int] | None) -> list[bytes]:
    """Prefixes a tool subscribes to: the SPEC topics (all, or the given ones), SESSION
    and the sequenced twins of those topics.

    Not ``b""``: a subscription to everything does not switch the sequenced
    twins on (docs/zmq.md section 11). The SPEC prefixes keep the tool working
    with a broadcaster that sends no twins; :class:`Pairer` merges the pairs.
    """
    spec = list(SPEC_TOPICS) if topics is None else topics
    return [bytes([t]) for t in spec] + [bytes([SESSION])] + [bytes([SEQ_BIT | t]) for t in spec]


class Pairer:
    """One item per event from a stream of SPEC frames and their sequenced twins.

    The broadcaster sends a twin right beside its SPEC frame on the same
    pipe, so a SPEC frame and a twin of the same topic and payload that
    arrive one after the other are one event; an unpaired frame (its twin
    was dropped, not subscribed, or not sent by an older broadcaster) is an
    event of its own. A SPEC frame is therefore held back until the next
    frame shows whether it is its twin: :meth:`feed` returns the items a
    batch completes, :meth:`flush` the one held back (call it when the
    stream goes quiet).

    Each item carries a stamp (e.g. its receive time): the stamp of the first
    frame of the event.
    """

    __slots__ = ("_held", "_held_stamp")

    def __init__(self) -> None:
        self._held: Split | None = None
        self._held_stamp = 0

    def feed(self, frames: list[bytes], stamps: list[int] | None = None) -> list[tuple[Split, int]]:
        """The events completed by `frames` (stamps: one per frame, default 0), in order."""
        out: list[tuple[Split, int]] = []
        emit = out.append
        held, held_stamp = self._held, self._held_stamp
        new = tuple.__new__
        for i, frame in enumerate(frames):
            stamp = 0 if stamps is None else stamps[i]
            first = frame[0] if frame else -1
            # the hot path (a SPEC frame) without split()'s checks
            s = new(Split, (first, None, None, frame, False)) if 0 <= first < 8 else split(frame)
            if held is not None:
                if held[0] == s[0] and held[4] != s[4] and held[3] == s[3]:
                    emit((s if s[4] else held, held_stamp))
                    held = None
                    continue
                emit((held, held_stamp))
                held = None
            if 0 <= s[0] < 8:
                held, held_stamp = s, stamp
            else:
                emit((s, stamp))
        self._held, self._held_stamp = held, held_stamp
        return out

    def push(self, frame: bytes) -> list[Split]:
        """:meth:`feed` of one frame, without stamps."""
        return [s for s, _ in self.feed([frame])]

    @property
    def holding(self) -> bool:
        """Whether a frame is held back waiting for its twin."""
        return self._held is not None

    def flush(self) -> list[tuple[Split, int]]:
        """The held-back frame as an event of its own (and its stamp), if any."""
        if self._held is None:
            return []
        out = [(self._held, self._held_stamp)]
        self._held = None
        return out


class SequenceTracker:
    """Per topic: events received and, from sequence numbers, events lost.

    ``lost[T]`` counts the sequence numbers of topic T that never arrived:
    gaps between received ones; the numbers before the first one received,
    only when the run's RUN_START was seen (a late joiner did not lose what
    was sent before it joined); and, at RUN_END, the tail up to its
    ``next_seq``. ``unsequenced`` counts events that came without a seq (an
    older broadcaster, twins not started yet, or a twin lost while its SPEC
    frame arrived); each fills one number of the next gap of its topic, so it
    is not counted as lost.
    """

    def __init__(self) -> None:
        self.received = [0] * len(SPEC_TOPICS)
        self.lost = [0] * len(SPEC_TOPICS)
        self.unsequenced = 0
        self.run_id: int | None = None
        self._next: list[int | None] = [None] * len(SPEC_TOPICS)
        self._unsequenced = [0] * len(SPEC_TOPICS)

    def observe(self, s: Split) -> None:
        """Counts one event (an item from :class:`Pairer`, SPEC topic)."""
        t = s.topic
        self.received[t] += 1
        if s.seq is None:
            # its twin was lost (or twins have not started): it fills one number of a gap
            self.unsequenced += 1
            self._unsequenced[t] += 1
            return
        if s.run_id != self.run_id:
            self._new_run(s.run_id)
        self._advance(t, s.seq)
        self._next[t] = max(s.seq + 1, self._next[t] or 0)

    def observe_unsequenced(self, topics: list[int]) -> None:
        """Counts a batch of SPEC-topic events that carry no seq (:meth:`observe` of each)."""
        received, pending = self.received, self._unsequenced
        for t in topics:
            if 0 <= t < len(received):
                received[t] += 1
                pending[t] += 1
                self.unsequenced += 1

    def _advance(self, t: int, seq: int) -> None:
        expected = self._next[t]
        if expected is not None and seq > expected:
            self.lost[t] += max(0, seq - expected - self._unsequenced[t])
        self._unsequenced[t] = 0

    def observe_session(self, session: Session) -> None:
        """RUN_START sets where numbering begins; RUN_END counts the tail lost after the
        last frame received (its ``next_seq`` is final)."""
        if session.run_id != self.run_id:
            self._new_run(session.run_id)
        if session.kind == 0:
            self._next = [*session.next_seq]
            self._unsequenced = [0] * len(SPEC_TOPICS)
        elif session.kind == 1:
            for t, final in enumerate(session.next_seq):
                self._advance(t, final)
                if self._next[t] is not None:
                    self._next[t] = max(final, self._next[t] or 0)

    def _new_run(self, run_id: int | None) -> None:
        self.run_id = run_id
        self._next = [None] * len(SPEC_TOPICS)
        self._unsequenced = [0] * len(SPEC_TOPICS)

    @property
    def sequenced(self) -> bool:
        """Whether any sequence number has been seen."""
        return self.run_id is not None


class Session(NamedTuple):
    """A SESSION frame (docs/zmq.md section 12) in one shape for every kind; fields
    another kind does not carry are None. Decoded by :func:`hqt.sequenced.decode_session`."""

    kind: int
    run_id: int
    time: int
    next_seq: tuple[int, ...]
    resumed: bool | None = None
    balance: int | None = None
    currency: str | None = None
    symbols: tuple[SessionSymbol, ...] | None = None
    status: int | None = None  # RUN_END: 0 completed, 1 failed
    equity: int | None = None
    margin: int | None = None
    free_margin: int | None = None
    deals: int | None = None
    open_positions: int | None = None
    pending_orders: int | None = None

    @property
    def kind_name(self) -> str:
        return (
            SESSION_KINDS[self.kind] if self.kind < len(SESSION_KINDS) else f"UNKNOWN({self.kind})"
        )


def decode_session(frame: bytes) -> Session:
    """A SESSION frame as a :class:`Session`; ValueError (``hqt.sequenced.DecodeError``)
    if it is not a well-formed one."""
    r = sequenced.decode_session(frame)
    if isinstance(r, sequenced.RunStart):
        return Session(
            sequenced.RUN_START,
            r.run_id,
            r.time,
            r.next_seq,
            resumed=r.resumed,
            balance=r.balance,
            currency=r.currency,
            symbols=r.symbols,
        )
    if isinstance(r, sequenced.RunEnd):
        return Session(
            sequenced.RUN_END,
            r.run_id,
            r.time,
            r.next_seq,
            status=int(r.failed),
            balance=r.balance,
            equity=r.equity,
            margin=r.margin,
            free_margin=r.free_margin,
            deals=r.deals,
            open_positions=r.open_positions,
            pending_orders=r.pending_orders,
        )
    return Session(sequenced.HEARTBEAT, r.run_id, r.time, r.next_seq)
