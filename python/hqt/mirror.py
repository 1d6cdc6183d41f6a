"""A subscriber that repairs its own gaps: the ZeroMQ Guide's Clone pattern
over HQT's sequenced frames, SESSION topic and replay endpoint
(docs/zmq.md sections 11-13).

    from hqt.subscriber import Mirror

    engine.enable_broadcasting("tcp://127.0.0.1:5555", replay_endpoint="tcp://127.0.0.1:5556")
    ...
    with Mirror("tcp://127.0.0.1:5555", replay="tcp://127.0.0.1:5556") as m:
        m.run()                                   # until RUN_END (or idle timeout)
        m.deals, m.orders, m.positions, m.account  # == engine.deals / orders / positions
        m.lost_ticks                              # [(first_seq, end_seq), ...]

Joining late, falling behind, or being restarted mid-run all end the same
way: TRADE, ORDER, POSITION and ACCOUNT are refilled from the replay
endpoint (a snapshot, then ranges by sequence number); TICK, BAR, EQUITY and
MARGIN losses are reported exactly, not refilled. Pure Python: pyzmq and
numpy, no native extension.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

import zmq

from hqt.sequenced import (
    REPLAYABLE,
    SEQUENCED,
    SESSION,
    DecodeError,
    Heartbeat,
    RunEnd,
    RunStart,
    decode_batch,
    decode_sequenced,
    decode_session,
)
from hqt.subscriber import (
    ACCOUNT,
    ORDER,
    POSITION,
    TICK,
    TOPICS,
    TRADE,
    Account,
    CurveArg,
    Order,
    Position,
    Trade,
    _curve_keys,
    decode,
    topic_of,
)

__all__ = ["Mirror"]

_REPLAY_HEAD = struct.Struct("<cBBQQQQ")
_SNAP_HEAD = struct.Struct("<cBQ8Q")
_RECORDS = {TRADE: Trade, ORDER: Order, POSITION: Position, ACCOUNT: Account}
_new = tuple.__new__


class Mirror:
    """Follows a broadcaster and keeps deals, pending orders, open positions
    and the account exactly as the engine has them, whatever it missed.

    ``endpoint``: the PUB endpoint. ``replay``: the replay endpoint
    (``engine.replay_endpoint``); without it gaps are reported, not repaired.
    ``topics``: topics to follow (default all); TRADE, ORDER, POSITION and
    ACCOUNT are what can be repaired. ``curve``: as for
    :class:`~hqt.subscriber.Subscriber` (used for both sockets).
    ``on_event(topic, seq, record)``: called for every event applied, live
    or replayed, in sequence order per topic (slower: a Python call per frame).

    Attributes after :meth:`poll` / :meth:`run`: ``deals`` (list of
    :class:`Trade` by sequence), ``orders`` (pending orders by ticket),
    ``positions`` (open positions by ticket), ``account``, ``start`` /
    ``end`` (SESSION RUN_START / RUN_END), ``paused``, ``received`` and
    ``repaired`` (frames per topic), ``lost`` (per topic, the
    ``(first, end)`` sequence ranges this subscriber never got and could not
    repair), ``gone`` (ranges the replay window no longer held).
    """

    def __init__(
        self,
        endpoint: str,
        replay: str | None = None,
        *,
        topics: Iterable[int | str] | None = None,
        curve: CurveArg = None,
        timeout: float | None = 1.0,
        context: zmq.Context | None = None,
        rcvhwm: int = 1_000_000,
        on_event: Callable[[int, int, Any], None] | None = None,
        replay_timeout: float = 5.0,
    ) -> None:
        self.endpoint = endpoint
        self.replay_endpoint = replay
        self.topics: tuple[int, ...] = (
            TOPICS if topics is None else tuple(sorted({topic_of(t) for t in topics}))
        )
        self.timeout = timeout
        self.on_event = on_event
        self.replay_timeout = replay_timeout
        keys = _curve_keys(curve)
        self._own_context = context is None
        self._context = context if context is not None else zmq.Context()
        self._sub = self._context.socket(zmq.SUB)
        self._dealer = None
        try:
            self._sub.setsockopt(zmq.LINGER, 0)
            self._sub.setsockopt(zmq.RCVHWM, rcvhwm)
            if keys is not None:
                self._curve(self._sub, keys)
            for t in self.topics:
                self._sub.setsockopt(zmq.SUBSCRIBE, bytes([SEQUENCED | t]))
            self._sub.setsockopt(zmq.SUBSCRIBE, bytes([SESSION]))
            self._sub.connect(endpoint)
            if replay is not None:
                self._dealer = self._context.socket(zmq.DEALER)
                self._dealer.setsockopt(zmq.LINGER, 0)
                if keys is not None:
                    self._curve(self._dealer, keys)
                self._dealer.connect(replay)
        except Exception:
            self.close()
            raise
        self.run_id: int | None = None
        self._reset(None)

    @staticmethod
    def _curve(sock: zmq.Socket, keys: Any) -> None:
        sock.curve_serverkey = keys.server_public_key.encode()
        sock.curve_publickey = keys.public_key.encode()
        sock.curve_secretkey = keys.secret_key.encode()

    def _reset(self, run_id: int | None) -> None:
        self.run_id = run_id
        self._synced = False
        self._expected: list[int | None] = [None] * 8
        self._deals: dict[int, Trade] = {}
        self.orders: dict[int, Order] = {}
        self.positions: dict[int, Position] = {}
        self.account: Account | None = None
        self.start: RunStart | None = None
        self.end: RunEnd | None = None
        self.paused = False
        self.received = [0] * 8
        self.repaired = [0] * 8
        self.lost: dict[int, list[tuple[int, int]]] = {t: [] for t in range(8)}
        self.gone: dict[int, list[tuple[int, int]]] = {t: [] for t in range(8)}

    # ---------------------------------------------------------------- results

    @property
    def deals(self) -> list[Trade]:
        """Every deal, in sequence order (from the run's first when repaired)."""
        return [self._deals[s] for s in sorted(self._deals)]

    @property
    def lost_ticks(self) -> list[tuple[int, int]]:
        """TICK sequence ranges ``(first, end)`` this subscriber missed."""
        return list(self.lost[TICK])

    @property
    def lost_tick_count(self) -> int:
        return sum(e - f for f, e in self.lost[TICK])

    # ---------------------------------------------------------------- receiving

    def poll(self, timeout: float | None = ..., max_frames: int = 8192) -> int:  # type: ignore[assignment]
        """Receives and applies what is queued (waiting up to ``timeout`` for
        the first frame); returns the number of frames taken."""
        wait = self.timeout if timeout is ... else timeout
        if not self._sub.poll(None if wait is None else max(0, int(wait * 1000))):
            return 0
        frames: list[bytes] = []
        append = frames.append
        recv = self._sub.recv
        noblock = zmq.NOBLOCK
        try:
            for _ in range(max_frames):
                append(recv(noblock))
        except zmq.Again:
            pass
        self._apply_batch(frames)
        return len(frames)

    def run(self, timeout: float | None = ...) -> Mirror:  # type: ignore[assignment]
        """Applies frames until RUN_END was seen and repaired, or until
        ``timeout`` seconds pass without a frame; then a final :meth:`sync`
        (with a replay endpoint) settles what is still missing."""
        while self.end is None:
            if not self.poll(timeout):
                break
        if self.end is None and self._dealer is not None:
            self.sync(final=True)
        return self

    def sync(self, final: bool = False) -> None:
        """Clone-pattern resynchronisation: a snapshot (account, open positions,
        pending orders) and the deal history up to it. With ``final`` (nothing
        is in flight any more) the snapshot's next_seq also closes the
        unrepairable topics' tail gaps."""
        if self._dealer is None:
            raise RuntimeError("Mirror has no replay endpoint: give replay=engine.replay_endpoint")
        parts = self._ask(b"S")
        kind, status, run_id, *next_seq = _SNAP_HEAD.unpack_from(parts[0])
        if run_id != self.run_id:
            self._reset(run_id)
        self._synced = True
        items = [decode(p) for p in parts[1:]]
        self.account = next((r for r in items if r.topic == ACCOUNT), self.account)
        self.positions = {r.ticket: r for r in items if r.topic == POSITION}
        self.orders = {r.ticket: r for r in items if r.topic == ORDER}
        for t in (ORDER, POSITION, ACCOUNT):
            if (self._expected[t] or 0) < next_seq[t]:
                self._expected[t] = next_seq[t]
        if TRADE in self.topics:
            self._fill(TRADE, 0, next_seq[TRADE], history=True)
            self._expected[TRADE] = max(self._expected[TRADE] or 0, next_seq[TRADE])
        if final:
            for t in self.topics:
                if t not in REPLAYABLE:
                    self._close_gap(t, next_seq[t])

    # ---------------------------------------------------------------- internals

    def _apply_batch(self, frames: list[bytes]) -> None:
        groups = decode_batch(frames)
        run_id = self.run_id
        fast = self.on_event is None and run_id is not None
        if fast:
            for byte, arr in groups.items():
                if byte >= SEQUENCED and (arr["run_id"] != run_id).any():
                    fast = False
                    break
        if not fast:
            for f in frames:
                self._apply_frame(f)
            return
        for byte, arr in groups.items():
            if byte < SEQUENCED:
                continue  # SPEC frames (not subscribed here) and SESSION: below
            t = byte & 0x7F
            seqs = arr["seq"]
            if t in REPLAYABLE:
                for seq, row in zip(seqs.tolist(), arr.tolist(), strict=True):
                    self._on_event(t, seq, row[3:])
            else:
                self._on_stream(t, seqs)
        for i in groups.get(-1, ()):
            self._apply_frame(frames[i])

    def _apply_frame(self, f: bytes) -> None:
        if not f:
            return
        if f[0] == SESSION:
            self._on_session(decode_session(f))
            return
        try:
            t, run_id, seq, fields = decode_sequenced(f)
        except DecodeError:
            return
        if run_id != self.run_id:
            self._new_run(run_id)
        if t in REPLAYABLE:
            self._on_event(t, seq, fields)
        else:
            self._expect(t, seq, seq + 1)
            self.received[t] += 1
            if self.on_event is not None:
                self.on_event(t, seq, fields)

    def _new_run(self, run_id: int) -> None:
        # Lazily: a subscriber there from the start needs no snapshot; the
        # first sign of having missed the beginning takes one (_ensure_synced).
        self._reset(run_id)

    def _ensure_synced(self) -> None:
        if not self._synced and self._dealer is not None:
            self.sync()

    def _on_stream(self, t: int, seqs: Any) -> None:
        """A batch of TICK/BAR/EQUITY/MARGIN sequence numbers: only gaps matter."""
        n = len(seqs)
        first, last = int(seqs[0]), int(seqs[-1])
        self.received[t] += n
        if self._expected[t] == first and last - first == n - 1:
            self._expected[t] = last + 1  # the common case: nothing missed
            return
        prev = self._expected[t]
        for s in seqs.tolist():  # rare: a gap (or a duplicate) inside the batch
            if prev is None or s > prev:
                self._close_gap(t, s)
            if prev is None or s >= prev:
                prev = s + 1
                self._expected[t] = prev

    def _expect(self, t: int, seq: int, after: int) -> None:
        self._close_gap(t, seq)
        if (self._expected[t] or 0) < after:
            self._expected[t] = after

    def _close_gap(self, t: int, upto: int) -> None:
        """Everything of topic t before ``upto`` that was not received is lost."""
        exp = self._expected[t] or 0
        if upto > exp:
            self.lost[t].append((exp, upto))
            self._expected[t] = upto

    def _on_event(self, t: int, seq: int, fields: tuple[int, ...]) -> None:
        if self._expected[t] is None and seq > 0:
            self._ensure_synced()  # joined after this topic's first event
        exp = self._expected[t]
        if exp is None:
            exp = 0
        if seq < exp:
            return  # already applied (a snapshot or a replay covered it)
        if seq > exp:
            self._fill(t, exp, seq)
        self.received[t] += 1
        self._apply(t, seq, fields)
        self._expected[t] = seq + 1

    def _fill(self, t: int, first: int, end: int, history: bool = False) -> None:
        """Replays ``[first, end)`` of topic t; unrepairable parts go to ``lost``."""
        if first >= end:
            return
        if self._dealer is None:
            self.lost[t].append((first, end))
            return
        while first < end:
            parts = self._ask(struct.pack("<cBQQ", b"R", t, first, end))
            if parts[0][:1] != b"R":
                raise RuntimeError(
                    f"replay endpoint error: {parts[0][2:].decode(errors='replace')}"
                )
            _, status, _topic, run_id, got_first, got_end, window_first = _REPLAY_HEAD.unpack_from(
                parts[0]
            )
            if status == 1 or run_id != self.run_id:
                # Out of the window: what remains of the range is lost for good.
                upto = min(end, window_first) if status == 1 and window_first > first else end
                self.gone[t].append((first, upto))
                self.lost[t].append((first, upto))
                first = upto
                continue
            for p in parts[1:]:
                _, _, seq, fields = decode_sequenced(p)
                if history and t == TRADE and seq in self._deals:
                    continue
                self.repaired[t] += 1
                self._apply(t, seq, fields)
            if got_end <= got_first:
                self.lost[t].append((first, end))  # the publisher has not got them
                break
            first = got_end

    def _apply(self, t: int, seq: int, fields: tuple[int, ...]) -> None:
        record = _new(_RECORDS[t], fields)
        if t == TRADE:
            self._deals[seq] = record
        elif t == ORDER:
            if record.kind >> 4 <= 1:
                self.orders[record.ticket] = record
            else:
                self.orders.pop(record.ticket, None)
        elif t == POSITION:
            if record.kind >> 4 == 2:
                self.positions.pop(record.ticket, None)
            else:
                self.positions[record.ticket] = record
        else:
            self.account = record
        if self.on_event is not None:
            self.on_event(t, seq, record)

    def _on_session(self, rec: RunStart | RunEnd | Heartbeat) -> None:
        if rec.run_id != self.run_id:
            self._new_run(rec.run_id)
        if isinstance(rec, Heartbeat):
            self.paused = True
            return
        self.paused = False
        if isinstance(rec, RunStart):
            self.start = rec
            return
        self.end = rec
        if any(
            self._expected[t] is None and rec.next_seq[t] for t in REPLAYABLE if t in self.topics
        ):
            self._ensure_synced()
        # RUN_END's next_seq is final: refill or report every tail gap.
        for t in self.topics:
            final = rec.next_seq[t]
            if t in REPLAYABLE:
                exp = self._expected[t] or 0
                self._fill(t, exp, final, history=t == TRADE)
                self._expected[t] = max(exp, final)
            else:
                self._close_gap(t, final)

    def _ask(self, request: bytes) -> list[bytes]:
        assert self._dealer is not None
        self._dealer.send(request)
        if not self._dealer.poll(int(self.replay_timeout * 1000)):
            raise TimeoutError(
                f"the replay endpoint {self.replay_endpoint} did not answer in {self.replay_timeout} s"
            )
        return self._dealer.recv_multipart()

    # ---------------------------------------------------------------- lifecycle

    def close(self) -> None:
        for sock in (getattr(self, "_sub", None), getattr(self, "_dealer", None)):
            if sock is not None and not sock.closed:
                sock.close(linger=0)
        if self._own_context and not self._context.closed:
            self._context.term()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Mirror({self.endpoint!r}, replay={self.replay_endpoint!r}, run_id={self.run_id}, "
            f"deals={len(self._deals)}, positions={len(self.positions)}, orders={len(self.orders)}, "
            f"lost_ticks={self.lost_tick_count})"
        )
