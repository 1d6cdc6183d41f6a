"""Issue 11's frames beside SPEC's (docs/zmq.md sections 11 and 12), and a
batch decoder for the fast path.

* Sequenced frames: topic byte ``0x80 | T``, then ``run_id:u64``,
  ``seq:u64`` and the SPEC payload of topic T. Published only while someone
  subscribes to ``bytes([0x80 | T])``.
* SESSION frames (topic 8): RUN_START, RUN_END, HEARTBEAT, each with the run
  id and ``next_seq`` of every topic.
* :func:`decode_batch`: many frames at once into numpy structured arrays, one
  per topic byte, without a Python step per frame.

Pure Python (pyzmq not even needed here; numpy for :func:`decode_batch`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

from hqt.constants import FRAME_FORMATS, TOPIC_NAMES

__all__ = [
    "SEQUENCED",
    "SESSION",
    "RUN_START",
    "RUN_END",
    "HEARTBEAT",
    "REPLAYABLE",
    "SEQUENCED_SIZES",
    "SessionSymbol",
    "RunStart",
    "RunEnd",
    "Heartbeat",
    "decode_sequenced",
    "decode_session",
    "decode_batch",
    "batch_dtype",
    "DecodeError",
]

#: Topic bit of the sequenced frames: ``0x80 | T``.
SEQUENCED = 0x80
#: SESSION topic byte.
SESSION = 8
RUN_START, RUN_END, HEARTBEAT = 0, 1, 2
#: Topics the replay endpoint serves: TRADE, ORDER, POSITION, ACCOUNT.
REPLAYABLE = (2, 3, 6, 7)

_SPEC_SIZES = tuple(struct.calcsize(f) for f in FRAME_FORMATS)
#: Size of each sequenced frame, by topic T: SPEC size + 16.
SEQUENCED_SIZES: tuple[int, ...] = tuple(n + 16 for n in _SPEC_SIZES)
_SEQ_HEAD = struct.Struct("<QQ")
_SESSION_HEAD = struct.Struct("<BBQQ8Q")


class DecodeError(ValueError):
    """A frame that is not one of docs/zmq.md's: unknown topic or wrong size."""


def decode_sequenced(
    frame: bytes | bytearray | memoryview,
) -> tuple[int, int, int, tuple[int, ...]]:
    """``(topic, run_id, seq, fields)`` of a sequenced frame; ``fields`` as SPEC's payload."""
    if len(frame) < 17 or not frame[0] & SEQUENCED or frame[0] & 0x7F > 7:
        raise DecodeError("not a sequenced frame: expected [0x80|T][run_id][seq][payload]")
    topic = frame[0] & 0x7F
    if len(frame) != SEQUENCED_SIZES[topic]:
        raise DecodeError(
            f"sequenced {TOPIC_NAMES[topic]} frame has {len(frame)} bytes, "
            f"expected {SEQUENCED_SIZES[topic]}"
        )
    run_id, seq = _SEQ_HEAD.unpack_from(frame, 1)
    return topic, run_id, seq, _PAYLOAD[topic].unpack_from(frame, 17)


_PAYLOAD = tuple(struct.Struct("<" + f[2:]) for f in FRAME_FORMATS)


class SessionSymbol(NamedTuple):
    """One entry of RUN_START's symbol table."""

    symbol_id: int
    digits: int
    contract_size: int  # x 1e6
    name: str
    base_currency: str
    profit_currency: str
    margin_currency: str


class RunStart(NamedTuple):
    """SESSION RUN_START: a run starts (or a paused one resumes)."""

    run_id: int
    time: int
    next_seq: tuple[int, ...]
    resumed: bool
    balance: int
    currency: str
    symbols: tuple[SessionSymbol, ...]


class RunEnd(NamedTuple):
    """SESSION RUN_END: the final figures; ``next_seq`` is final."""

    run_id: int
    time: int
    next_seq: tuple[int, ...]
    failed: bool
    balance: int
    equity: int
    margin: int
    free_margin: int
    deals: int
    open_positions: int
    pending_orders: int


class Heartbeat(NamedTuple):
    """SESSION HEARTBEAT: the run is paused."""

    run_id: int
    time: int
    next_seq: tuple[int, ...]


def _string(frame: bytes, at: int) -> tuple[str, int]:
    n = frame[at]
    end = at + 1 + n
    if end > len(frame):
        raise DecodeError("SESSION frame cut inside a string")
    return bytes(frame[at + 1 : end]).decode("utf-8", "replace"), end


def decode_session(frame: bytes | bytearray | memoryview) -> RunStart | RunEnd | Heartbeat:
    """The record of a SESSION frame (docs/zmq.md section 12)."""
    frame = bytes(frame)
    if len(frame) < 82 or frame[0] != SESSION:
        raise DecodeError("not a SESSION frame: expected topic 8 and an 82-byte header")
    _, kind, run_id, time, *seq = _SESSION_HEAD.unpack_from(frame)
    next_seq = tuple(seq)
    try:
        if kind == HEARTBEAT:
            return Heartbeat(run_id, time, next_seq)
        if kind == RUN_END:
            if len(frame) != 131:
                raise DecodeError(f"RUN_END has {len(frame)} bytes, expected 131")
            f = struct.unpack_from("<BqqqqQII", frame, 82)
            return RunEnd(run_id, time, next_seq, bool(f[0]), *f[1:])
        if kind == RUN_START:
            resumed, balance = struct.unpack_from("<Bq", frame, 82)
            currency, at = _string(frame, 91)
            (count,) = struct.unpack_from("<I", frame, at)
            at += 4
            symbols = []
            for _ in range(count):
                sid, digits, contract = struct.unpack_from("<IiQ", frame, at)
                at += 16
                texts = []
                for _ in range(4):
                    text, at = _string(frame, at)
                    texts.append(text)
                symbols.append(SessionSymbol(sid, digits, contract, *texts))
            return RunStart(
                run_id, time, next_seq, bool(resumed & 1), balance, currency, tuple(symbols)
            )
    except struct.error as e:
        raise DecodeError(f"SESSION frame too short: {e}") from None
    raise DecodeError(f"unknown SESSION kind {kind}")


# ---------------------------------------------------------------- batch decoding

_NP_CODES = {"B": "u1", "H": "<u2", "I": "<u4", "Q": "<u8", "q": "<i8"}
_FIELDS = (
    ("symbol_id", "time", "bid", "ask"),
    ("symbol_id", "timeframe", "time", "open", "high", "low", "close", "volume"),
    ("ticket", "symbol_id", "time", "volume", "price", "profit"),
    ("ticket", "symbol_id", "time", "kind", "volume", "price"),
    ("time", "balance", "equity", "margin", "free_margin"),
    ("time", "margin", "free_margin", "margin_level", "event"),
    ("ticket", "symbol_id", "time", "kind", "volume", "open_price", "sl", "tp", "profit"),
    ("time", "balance", "equity", "profit", "margin_level"),
)
_DTYPES: dict[int, Any] = {}


def batch_dtype(topic_byte: int) -> Any:
    """The packed numpy dtype of one frame of ``topic_byte`` (0..7 or 0x80..0x87):
    ``topic`` first, then ``run_id`` and ``seq`` for sequenced frames, then SPEC's fields."""
    dtype = _DTYPES.get(topic_byte)
    if dtype is None:
        import numpy as np

        t = topic_byte & 0x7F
        if t > 7:
            raise DecodeError(f"no batch layout for topic byte {topic_byte:#x}")
        fields = [("topic", "u1")]
        if topic_byte & SEQUENCED:
            fields += [("run_id", "<u8"), ("seq", "<u8")]
        fields += [(n, _NP_CODES[c]) for n, c in zip(_FIELDS[t], FRAME_FORMATS[t][2:], strict=True)]
        dtype = _DTYPES[topic_byte] = np.dtype(fields)  # packed: no align
    return dtype


def decode_batch(frames: Sequence[bytes]) -> dict[int, Any]:
    """Decodes many frames at once: ``{topic byte: numpy structured array}``.

    Frames of SPEC topics (0..7) and sequenced ones (0x80..0x87) are grouped
    by their first byte, in arrival order within a group; fields are exact
    integers (see :func:`batch_dtype`). Frames of other topic bytes (SESSION,
    unknown) and frames of the wrong size are left out; ``-1`` maps to a
    list of their indexes in ``frames``. Cost: a few numpy operations per
    batch, none per frame beyond measuring its length.
    """
    import numpy as np

    if not frames:
        return {}
    sizes = set(map(len, frames))
    if len(sizes) == 1:
        uniform = _decode_uniform(frames, sizes.pop())
        if uniform is not None:
            return uniform
    lengths = np.fromiter(map(len, frames), dtype=np.int64, count=len(frames))
    data = np.frombuffer(b"".join(frames), dtype=np.uint8)
    starts = np.zeros(len(frames), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    if len(data) == 0:
        return {-1: list(range(len(frames)))}
    first = data[np.minimum(starts, len(data) - 1)]
    first[lengths == 0] = 255  # (a copy: fancy indexing) no topic: left over
    out: dict[int, Any] = {}
    leftover = np.ones(len(frames), dtype=bool)
    for byte in np.unique(first).tolist():
        t = byte & 0x7F
        if t > 7:  # SESSION, unknown topic bytes
            continue
        size = SEQUENCED_SIZES[t] if byte & SEQUENCED else _SPEC_SIZES[t]
        mask = (first == byte) & (lengths == size)
        if not mask.any():
            continue
        leftover &= ~mask
        rows = data[starts[mask][:, None] + np.arange(size)]
        out[byte] = rows.view(batch_dtype(byte)).ravel()
    if leftover.any():
        out[-1] = np.flatnonzero(leftover).tolist()
    return out


def _decode_uniform(frames: Sequence[bytes], size: int) -> dict[int, Any] | None:
    """The common batch: frames of one size (a stream of ticks, say). The
    joined bytes are a (count, size) matrix: no per-frame gather. None when
    some topic byte of the batch does not have frames of this size."""
    import numpy as np

    rows = np.frombuffer(b"".join(frames), dtype=np.uint8).reshape(len(frames), size)
    first = rows[:, 0]
    t0 = int(first[0])
    if (first == t0).all():
        groups = {t0: None}
    else:
        groups = {b: first == b for b in np.unique(first).tolist()}
    out: dict[int, Any] = {}
    for byte, mask in groups.items():
        t = byte & 0x7F
        expected = -1 if t > 7 else SEQUENCED_SIZES[t] if byte & SEQUENCED else _SPEC_SIZES[t]
        if expected != size:
            return None  # SESSION, unknown or wrong-size frames: the general path
        picked = rows if mask is None else rows[mask]
        out[byte] = picked.view(batch_dtype(byte)).ravel()
    return out
