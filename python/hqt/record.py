"""Record an HQT broadcast to Parquet, load it back, play it into a subscriber.

The seed's "Logger (SUB)"::

    python -m hqt.record tcp://backtest-host:5555 out/            # until Ctrl-C
    python -m hqt.record tcp://localhost:5555 out/ --idle 5       # stop 5 s after the last frame

    frames = hqt.record.load("out/")          # {"TICK": DataFrame, "TRADE": ..., ...}
    frames["TRADE"][["ticket", "price", "profit"]]

    with hqt.record.Playback("out/") as player:        # a publisher of the recording
        sub = Subscriber(player.endpoint)
        player.play(wait_subscribers=1)              # lossless: waits for the subscriber

Every received frame becomes one row, bytes unchanged: ``index`` (the
recorder's receive counter), ``recv_time`` (UTC, ns, taken when the frame
was read from the socket), ``topic`` (the SPEC topic it carries), ``run_id``
and ``seq`` (null for frames without them: see docs/zmq.md), and ``frame``
(the frame's bytes). Files roll after ``max_rows`` rows or ``max_seconds``;
a file is written as ``NAME.parquet.part`` and renamed to ``NAME.parquet``
when complete, so a reader never sees half a file (a killed recorder leaves
its last ``.part``, which :func:`load` skips). Pure Python: pyzmq, pyarrow
(``pip install 'hqt-engine[parquet]'``), and pandas for :func:`load`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Union

import numpy as np
import zmq

from hqt import _optional
from hqt._stream import (
    SESSION,
    Pairer,
    SequenceTracker,
    Session,
    Split,
    decode_session,
    sequenced_frame,
    split,
    subscriptions,
)
from hqt.constants import FRAME_FORMATS, TOPIC_NAMES
from hqt.sequenced import batch_dtype
from hqt.subscriber import CurveArg, CurveKeys, Record, _curve_keys, decode, topic_of

__all__ = ["Recorder", "RecordingStats", "load", "frames", "records", "Playback", "main"]

PathLike = Union[str, "os.PathLike[str]"]
FORMAT = "hqt.record/1"  # file metadata key "hqt.format": a reader checks it
_FEATURE = "hqt.record (Parquet recordings)"

# Structured dtypes of the SPEC frames (hqt.sequenced's): the whole frames of one topic
# are viewed as one numpy array, no per-row Python object.
_DTYPES = tuple(batch_dtype(t) for t in range(len(FRAME_FORMATS)))
_FIELDS = tuple(d.names[1:] for d in _DTYPES)  # after "topic"


def _pa() -> Any:
    return _optional.require("pyarrow", _FEATURE)


def _schema(pa: Any, endpoint: str) -> Any:
    return pa.schema(
        [
            ("index", pa.uint64()),
            ("recv_time", pa.timestamp("ns", tz="UTC")),
            ("topic", pa.uint8()),
            ("run_id", pa.uint64()),
            ("seq", pa.uint64()),
            ("frame", pa.binary()),
        ],
        metadata={"hqt.format": FORMAT, "hqt.endpoint": endpoint},
    )


# ---- recording ---------------------------------------------------------------------------


class RecordingStats:
    """Events recorded per topic, malformed (empty) frames, files completed, and the
    events lost per SPEC topic that sequence numbers revealed (empty without them)."""

    def __init__(self) -> None:
        self.frames = 0
        self.by_topic: dict[int, int] = {}
        self.malformed = 0
        self.files: list[Path] = []
        self.lost: dict[int, int] = {}  # per SPEC topic, from sequence numbers (when sent)

    def __repr__(self) -> str:
        topics = ", ".join(f"{_topic_name(t)}={n}" for t, n in sorted(self.by_topic.items()))
        lost = ", ".join(f"{_topic_name(t)}={n}" for t, n in sorted(self.lost.items()) if n)
        return (
            f"RecordingStats(frames={self.frames}, {topics or 'nothing'}, "
            f"lost: {lost or 'none seen'}, files={len(self.files)})"
        )


def _topic_name(t: int) -> str:
    if 0 <= t < len(TOPIC_NAMES):
        return TOPIC_NAMES[t]
    return "SESSION" if t == SESSION else f"TOPIC_{t}"


class Recorder:
    """A SUB socket writing every frame it receives to rolling Parquet files in ``out_dir``.

    ``topics``/``curve``/``rcvhwm`` as for :class:`hqt.subscriber.Subscriber`.
    ``max_rows``/``max_seconds``: when a file is complete and the next begins.
    ``flush_rows``/``flush_seconds``: how often buffered rows become a Parquet
    row group (bounded memory; a row group is the unit a reader streams).
    Call :meth:`run` (or :meth:`poll` in your own loop), then :meth:`close`.
    """

    def __init__(
        self,
        endpoint: str,
        out_dir: PathLike,
        *,
        topics: Iterable[int | str] | None = None,
        curve: CurveArg = None,
        max_rows: int = 1_000_000,
        max_seconds: float = 3600.0,
        flush_rows: int = 65_536,
        flush_seconds: float = 1.0,
        prefix: str = "hqt",
        rcvhwm: int = 1_000_000,
        context: zmq.Context[Any] | None = None,
    ) -> None:
        if max_rows < 1 or flush_rows < 1 or max_seconds <= 0 or flush_seconds <= 0:
            raise ValueError("max_rows, flush_rows, max_seconds and flush_seconds must be > 0")
        self._pa = _pa()
        self._pq = _optional.require("pyarrow.parquet", _FEATURE)
        self.endpoint = endpoint
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.topics = None if topics is None else sorted({topic_of(t) for t in topics})
        self.curve: CurveKeys | None = _curve_keys(curve)
        self.max_rows, self.max_seconds = max_rows, max_seconds
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.prefix = prefix
        self.stats = RecordingStats()
        self._schema = _schema(self._pa, endpoint)
        self._buf: tuple[
            list[int], list[int], list[int], list[int | None], list[int | None], list[bytes]
        ] = (
            [],
            [],
            [],
            [],
            [],
            [],
        )
        self._writer: Any = None
        self._part: Path | None = None
        self._file_rows = 0
        self._file_started = 0.0
        self._last_flush = time.monotonic()
        self._file_no = 0
        self._stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self._own_context = context is None
        self._context: zmq.Context[Any] = context if context is not None else zmq.Context()
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.RCVHWM, rcvhwm)
        if self.curve is not None:
            self._socket.curve_serverkey = self.curve.server_public_key.encode()
            self._socket.curve_publickey = str(self.curve.public_key).encode()
            self._socket.curve_secretkey = str(self.curve.secret_key).encode()
        for p in subscriptions(self.topics):
            self._socket.setsockopt(zmq.SUBSCRIBE, p)
        self._socket.connect(endpoint)
        self.last_frame_at: float | None = None  # time.monotonic() of the last frame
        self._pairer = Pairer()
        self._spec_subscribed = True
        self.sequences = SequenceTracker()
        self.run_ended_at: float | None = None  # time.monotonic() of the last RUN_END

    @property
    def socket(self) -> zmq.Socket[Any]:
        """The underlying SUB socket."""
        return self._socket

    def poll(self, timeout: float = 0.1) -> int:
        """Receives every frame waiting (waiting up to ``timeout`` s for the first); returns how many."""
        sock = self._socket
        if not sock.poll(int(timeout * 1000)):
            # quiet: the twin of a held frame is not coming; the frame is an event now
            self._rows(self._pairer.flush())
            self._maybe_flush()
            return 0
        frames: list[bytes] = []
        stamps: list[int] = []
        recv, clock, again = sock.recv, time.time_ns, zmq.Again
        while len(frames) < self.flush_rows:  # a burst is cut so memory stays bounded
            try:
                frame = recv(zmq.NOBLOCK)
            except again:
                break
            if frame:
                frames.append(frame)
                stamps.append(clock())
            else:
                self.stats.malformed += 1
        self._rows(self._pairer.feed(frames, stamps))
        if frames:
            self.last_frame_at = time.monotonic()
        self._maybe_flush()
        return len(frames)

    def _rows(self, pairs: list[tuple[Split, int]]) -> None:
        """Buffers the events of one batch (column by column) and counts them."""
        if not pairs:
            return
        index, recv, topic, run, seq, data = self._buf
        st = self.stats
        index.extend(range(st.frames, st.frames + len(pairs)))
        st.frames += len(pairs)
        recv.extend([stamp for _, stamp in pairs])
        topics = [s[0] for s, _ in pairs]
        topic.extend(topics)
        data.extend([s[3] for s, _ in pairs])
        for t, n in Counter(topics).items():
            st.by_topic[t] = st.by_topic.get(t, 0) + n
        tracker, spec = self.sequences, len(_DTYPES)
        if all(s[2] is None and s[0] < spec for s, _ in pairs):  # SPEC frames only
            run.extend([None] * len(pairs))
            seq.extend([None] * len(pairs))
            tracker.observe_unsequenced(topics)
            return
        run.extend([s[1] for s, _ in pairs])
        seq.extend([s[2] for s, _ in pairs])
        for s, _ in pairs:
            if 0 <= s[0] < spec:
                tracker.observe(s)
                if s[4] and self._spec_subscribed:
                    # the broadcaster sends twins: the SPEC frames would only duplicate them
                    for t in self.topics if self.topics is not None else range(spec):
                        self._socket.setsockopt(zmq.UNSUBSCRIBE, bytes([t]))
                    self._spec_subscribed = False
            elif s[0] == SESSION:
                try:
                    session = decode_session(s[3])
                except ValueError:
                    st.malformed += 1
                    continue
                tracker.observe_session(session)
                if session.kind == 1:
                    self.run_ended_at = time.monotonic()
        st.lost = dict(enumerate(tracker.lost))

    def run(
        self,
        duration: float | None = None,
        idle: float | None = None,
        stop: threading.Event | None = None,
        until_end: bool = False,
    ) -> RecordingStats:
        """Records until ``duration`` s have passed, or ``idle`` s pass without a frame
        after at least one arrived, or ``stop`` is set, or (``until_end``) a SESSION
        RUN_END arrived and 0.5 s more passed (frames still in flight); then closes and
        returns the stats."""
        started = time.monotonic()
        try:
            while stop is None or not stop.is_set():
                self.poll(0.05)
                now = time.monotonic()
                if until_end and self.run_ended_at is not None and now - self.run_ended_at >= 0.5:
                    break
                if duration is not None and now - started >= duration:
                    break
                if (
                    idle is not None
                    and self.last_frame_at is not None
                    and now - self.last_frame_at >= idle
                ):
                    break
        finally:
            self.close()
        return self.stats

    # -- files

    def _maybe_flush(self) -> None:
        rows = len(self._buf[0])
        if rows and (
            rows >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()
        elif self._writer is not None and time.monotonic() - self._file_started >= self.max_seconds:
            self._finish_file()

    def flush(self) -> None:
        """Writes buffered rows (rolling to new files as needed)."""
        self._last_flush = time.monotonic()
        cols = self._buf
        start, total = 0, len(cols[0])
        while start < total:
            if self._writer is None:
                self._open_file()
            elif time.monotonic() - self._file_started >= self.max_seconds:
                self._finish_file()
                self._open_file()
            take = min(total - start, self.max_rows - self._file_rows)
            end = start + take
            pa = self._pa
            table = pa.Table.from_arrays(
                [
                    pa.array(cols[0][start:end], pa.uint64()),
                    pa.array(cols[1][start:end], pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
                    pa.array(cols[2][start:end], pa.uint8()),
                    pa.array(cols[3][start:end], pa.uint64()),
                    pa.array(cols[4][start:end], pa.uint64()),
                    pa.array(cols[5][start:end], pa.binary()),
                ],
                schema=self._schema,
            )
            self._writer.write_table(table)
            self._file_rows += take
            start = end
            if self._file_rows >= self.max_rows:
                self._finish_file()
        for c in cols:
            c.clear()

    def _open_file(self) -> None:
        self._file_no += 1
        name = f"{self.prefix}-{self._stamp}-{self._file_no:05d}.parquet"
        self._part = self.out_dir / (name + ".part")
        self._writer = self._pq.ParquetWriter(str(self._part), self._schema, compression="zstd")
        self._file_rows = 0
        self._file_started = time.monotonic()

    def _finish_file(self) -> None:
        if self._writer is None or self._part is None:
            return
        self._writer.close()
        final = self._part.with_suffix("")  # drop ".part"
        os.replace(self._part, final)
        self.stats.files.append(final)
        self._writer, self._part = None, None

    def close(self) -> None:
        """Writes what is buffered, completes the current file, closes the socket."""
        self._rows(self._pairer.flush())
        if self._buf[0]:
            self.flush()
        self._finish_file()
        if not self._socket.closed:
            self._socket.close(linger=0)
        if self._own_context and not self._context.closed:
            self._context.term()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- reading -----------------------------------------------------------------------------


def _files(path: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(path, (str, os.PathLike)):
        p = Path(path)
        if p.is_dir():
            found = sorted(p.glob("*.parquet"))
            if not found:
                raise FileNotFoundError(f"no *.parquet recording files in {p}")
            return found
        if not p.exists():
            raise FileNotFoundError(f"no recording at {p}")
        return [p]
    return [Path(x) for x in path]


def _tables(path: PathLike | Sequence[PathLike]) -> Iterator[Any]:
    pq = _optional.require("pyarrow.parquet", _FEATURE)
    for f in _files(path):
        pf = pq.ParquetFile(str(f))
        meta = pf.schema_arrow.metadata or {}
        if meta.get(b"hqt.format") != FORMAT.encode():
            raise ValueError(f"{f} is not an HQT recording (no hqt.format={FORMAT} metadata)")
        for i in range(pf.num_row_groups):
            yield pf.read_row_group(i)


def frames(
    path: PathLike | Sequence[PathLike], topics: Iterable[int | str] | None = None
) -> Iterator[bytes]:
    """The recorded frames, bytes unchanged, in the order they were received.

    ``path``: a recording directory (its ``*.parquet`` files in name order),
    one file, or a list of files. ``topics``: only these SPEC topics.
    """
    want = None if topics is None else {topic_of(t) for t in topics}
    for table in _tables(path):
        data = table.column("frame").to_pylist()
        if want is None:
            yield from data
        else:
            for topic, frame in zip(table.column("topic").to_pylist(), data, strict=True):
                if topic in want:
                    yield frame


def records(
    path: PathLike | Sequence[PathLike], topics: Iterable[int | str] | None = None
) -> Iterator[Record]:
    """The recorded SPEC frames decoded (``hqt.subscriber.decode``), in receive order;
    frames of other topic bytes are skipped."""
    for frame in frames(path, topics):
        s = split(frame)
        if 0 <= s.topic < len(_DTYPES) and len(s.frame) == _DTYPES[s.topic].itemsize:
            yield decode(s.frame)


def load(
    path: PathLike | Sequence[PathLike], topics: Iterable[int | str] | None = None
) -> dict[str, Any]:
    """The recording as one pandas DataFrame per topic, keyed by topic name.

    Every SPEC topic has a key (an empty DataFrame when nothing was
    recorded). Columns: ``recv_time`` (datetime64[ns, UTC]), ``run_id``,
    ``seq`` (nullable UInt64), then the SPEC fields as exact integers (micro
    units, as on the wire), ``datetime`` (the event's ``time`` as
    datetime64[ns, UTC]) and, for ORDER and POSITION, ``type`` and
    ``state`` from the ``kind`` byte. Frames of the right topic but the
    wrong size go to ``"MALFORMED"``, other topic bytes to ``"TOPIC_<n>"``
    (columns ``recv_time``, ``run_id``, ``seq``, ``frame``).
    """
    pd = _optional.require("pandas", "hqt.record.load")
    pa = _pa()
    want = None if topics is None else {topic_of(t) for t in topics}
    tables = list(_tables(path))
    if tables:
        table = pa.concat_tables(tables)
    else:  # pragma: no cover - a recording file always has at least its schema
        table = _schema(pa, "").empty_table()
    topic_col = table.column("topic").to_numpy(zero_copy_only=False)
    recv = table.column("recv_time").cast(pa.int64()).to_numpy(zero_copy_only=False)
    run_id = table.column("run_id").to_pandas(types_mapper={pa.uint64(): pd.UInt64Dtype()}.get)
    seq = table.column("seq").to_pandas(types_mapper={pa.uint64(): pd.UInt64Dtype()}.get)
    data = table.column("frame").to_pylist()
    lengths = np.fromiter((len(f) for f in data), dtype=np.int64, count=len(data))

    def common(rows: Any) -> dict[str, Any]:
        return {
            "recv_time": pd.to_datetime(recv[rows], unit="ns", utc=True),
            "run_id": run_id.iloc[rows].reset_index(drop=True),
            "seq": seq.iloc[rows].reset_index(drop=True),
        }

    out: dict[str, Any] = {}
    good = np.zeros(len(data), dtype=bool)
    for t, dtype in enumerate(_DTYPES):
        if want is not None and t not in want:
            continue
        rows = np.flatnonzero((topic_col == t) & (lengths == dtype.itemsize))
        good[rows] = True
        arr = np.frombuffer(b"".join(data[i] for i in rows), dtype=dtype)
        cols = common(rows)
        for name in _FIELDS[t]:
            cols[name] = arr[name].astype(
                np.int64 if arr[name].dtype.kind == "i" else arr[name].dtype.newbyteorder("=")
            )
        cols["datetime"] = pd.to_datetime(arr["time"].astype(np.int64), unit="ns", utc=True)
        if "kind" in cols:
            cols["type"] = (arr["kind"] & 0x0F).astype(np.uint8)
            cols["state"] = (arr["kind"] >> 4).astype(np.uint8)
        out[TOPIC_NAMES[t]] = pd.DataFrame(cols)
    rows = np.flatnonzero(topic_col == SESSION)
    if want is None and len(rows):
        sessions = []
        for i in rows:
            try:
                sessions.append(decode_session(data[i]))
            except ValueError:
                continue
            good[i] = True
        rows = rows[good[rows]]
        cols = common(rows)
        for name in Session._fields:
            cols[name] = [getattr(x, name) for x in sessions]
        cols["kind_name"] = [x.kind_name for x in sessions]
        cols["datetime"] = pd.to_datetime(
            np.array([x.time for x in sessions], dtype=np.int64), unit="ns", utc=True
        )
        cols["frame"] = [data[i] for i in rows]
        out["SESSION"] = pd.DataFrame(cols)
    rest = np.flatnonzero(~good)
    if want is None and len(rest):
        spec = (topic_col[rest] < len(_DTYPES)) | (topic_col[rest] == SESSION)
        groups = [("MALFORMED", rest[spec])]
        groups += [
            (f"TOPIC_{t}", rest[topic_col[rest] == t]) for t in np.unique(topic_col[rest][~spec])
        ]
        for name, rows in groups:
            if len(rows):
                cols = common(rows)
                cols["frame"] = [data[i] for i in rows]
                out[name] = pd.DataFrame(cols)
    return out


# ---- playback ----------------------------------------------------------------------------


class Playback:
    """Publishes a recording on a ZeroMQ endpoint, for tests of subscribers.

    An XPUB socket bound to ``endpoint`` (default: a free loopback port, read
    ``endpoint`` back) that sends the recorded frames, bytes unchanged, in
    receive order; with ``sequenced`` (default), an event recorded with a
    sequence number is followed by its sequenced twin (docs/zmq.md section
    11), as the broadcaster sends it. Sends block when a subscriber's queue is full (XPUB_NODROP),
    so a subscriber that stays connected receives every frame.
    """

    def __init__(
        self,
        path: PathLike | Sequence[PathLike],
        endpoint: str = "tcp://127.0.0.1:*",
        *,
        topics: Iterable[int | str] | None = None,
        sequenced: bool = True,
        sndhwm: int = 10_000,
    ) -> None:
        self.path = path
        self.topics = topics
        self.sequenced = sequenced
        self._context: zmq.Context[Any] = zmq.Context()
        self._socket = self._context.socket(zmq.XPUB)
        try:
            self._socket.setsockopt(zmq.LINGER, 0)
            self._socket.setsockopt(zmq.SNDHWM, sndhwm)
            self._socket.setsockopt(zmq.XPUB_NODROP, 1)
            self._socket.bind(endpoint)
        except zmq.ZMQError as e:
            self.close()
            raise ValueError(f"cannot bind playback to {endpoint!r}: {e}") from None
        self.endpoint: str = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._subscriptions = 0

    def wait_for_subscribers(self, n: int = 1, timeout: float = 5.0) -> int:
        """Waits until ``n`` subscriptions have arrived (at most ``timeout`` s); returns the count."""
        deadline = time.monotonic() + timeout
        while self._subscriptions < n:
            left = deadline - time.monotonic()
            if left <= 0 or not self._socket.poll(int(left * 1000)):
                break
            msg = self._socket.recv()
            if msg[:1] == b"\x01":
                self._subscriptions += 1
            elif msg[:1] == b"\x00":
                self._subscriptions -= 1
        return self._subscriptions

    def play(
        self, wait_subscribers: int = 1, timeout: float = 5.0, speed: float | None = None
    ) -> int:
        """Sends the recording; returns the number of events sent (twins not counted).

        ``wait_subscribers``: first wait for that many subscriptions (a
        subscriber misses frames sent before its subscription arrives).
        ``speed``: None sends as fast as the subscribers take them; 1.0 keeps
        the recorded pacing (from ``recv_time``), 2.0 twice as fast.
        """
        if wait_subscribers:
            got = self.wait_for_subscribers(wait_subscribers, timeout)
            if got < wait_subscribers:
                raise TimeoutError(
                    f"only {got} of {wait_subscribers} subscriptions arrived in {timeout} s"
                )
        want = None if self.topics is None else {topic_of(t) for t in self.topics}
        sent = 0
        t0_rec: int | None = None
        t0 = time.monotonic()
        for table in _tables(self.path):
            times = table.column("recv_time").cast("int64").to_pylist()
            topics = table.column("topic").to_pylist()
            runs = table.column("run_id").to_pylist()
            seqs = table.column("seq").to_pylist()
            data = table.column("frame").to_pylist()
            for when, topic, run_id, seq, frame in zip(
                times, topics, runs, seqs, data, strict=True
            ):
                if want is not None and topic not in want:
                    continue
                if speed is not None:
                    t0_rec = when if t0_rec is None else t0_rec
                    delay = (when - t0_rec) / 1e9 / speed - (time.monotonic() - t0)
                    if delay > 0:
                        time.sleep(delay)
                self._socket.send(frame)
                sent += 1
                if self.sequenced and seq is not None:
                    self._socket.send(sequenced_frame(frame, run_id, seq))
        return sent

    def close(self) -> None:
        if not self._socket.closed:
            self._socket.close(linger=0)
        if not self._context.closed:
            self._context.term()

    def __enter__(self) -> Playback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- command line ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m hqt.record",
        description="Record an HQT broadcast to rolling Parquet files (docs/zmq.md section 15).",
    )
    ap.add_argument("endpoint", help="broadcaster endpoint, e.g. tcp://localhost:5555")
    ap.add_argument("out", help="directory for the Parquet files (created if missing)")
    ap.add_argument(
        "--topics", nargs="+", metavar="TOPIC", help="only these topics (names or numbers)"
    )
    ap.add_argument(
        "--max-rows", type=int, default=1_000_000, help="rows per file (default 1000000)"
    )
    ap.add_argument(
        "--max-seconds", type=float, default=3600.0, help="seconds per file (default 3600)"
    )
    ap.add_argument("--duration", type=float, help="stop after this many seconds")
    ap.add_argument("--idle", type=float, help="stop this many seconds after the last frame")
    ap.add_argument(
        "--until-end",
        action="store_true",
        help="stop when the run ends (SESSION RUN_END; needs a broadcaster that sends it)",
    )
    ap.add_argument("--prefix", default="hqt", help="file name prefix (default hqt)")
    ap.add_argument("--server-key", help="CURVE: the broadcaster's public key (Z85)")
    ap.add_argument("--public-key", help="CURVE: this recorder's public key (allow-listed brokers)")
    ap.add_argument("--secret-key", help="CURVE: this recorder's secret key")
    a = ap.parse_args(argv)
    curve = None if a.server_key is None else CurveKeys(a.server_key, a.public_key, a.secret_key)
    rec = Recorder(
        a.endpoint,
        a.out,
        topics=a.topics,
        curve=curve,
        max_rows=a.max_rows,
        max_seconds=a.max_seconds,
        prefix=a.prefix,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"recording {a.endpoint} into {rec.out_dir}", flush=True)
    stats = rec.run(duration=a.duration, idle=a.idle, stop=stop, until_end=a.until_end)
    print(stats, flush=True)
    for f in stats.files:
        print(f"  {f}", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    sys.exit(main())
