"""Read HQT write-ahead logs without the engine.

A pure-Python (stdlib + zlib) implementation of the format in docs/wal.md,
written independently of the Swift code so that each checks the other:

* frames: ``[magic u32 = 0x48515457][type u8][length u32][crc32 u32][data]``,
  little-endian, CRC-32 (zlib) over the type byte, the length bytes and the
  data; every record's data starts with its sequence number (u64);
* the first record is a HEADER (type 8) and sequence numbers go up by one;
* a torn tail (nothing of the log after the damage) is reported as what
  opening the log would cut; damage followed by a later record of the log
  raises :class:`WALCorruptError` naming the offset; a file that is not a log
  raises :class:`NotAWALError`.

Usage::

    from hqt import wal
    for record in wal.read_records("run.wal"):
        print(record.sequence, record.type_name, wal.decode_payload(record.type, record.data))

    python -m hqt.wal run.wal [summary|list|verify]

Payload layouts are registered per type with :func:`register_decoder`; the
engine registers its own next to its record definitions.
"""

from __future__ import annotations

import argparse
import mmap
import os
import struct
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hqt.constants import WAL_BALANCE_CHANGE as BALANCE_CHANGE
from hqt.constants import WAL_CHECKPOINT as CHECKPOINT
from hqt.constants import WAL_FRAME_FORMAT as _FRAME_FORMAT
from hqt.constants import WAL_HEADER as HEADER
from hqt.constants import WAL_HEADER_SIZE as HEADER_SIZE
from hqt.constants import WAL_MAGIC as MAGIC
from hqt.constants import WAL_ORDER_CANCEL as ORDER_CANCEL
from hqt.constants import WAL_ORDER_PLACE as ORDER_PLACE
from hqt.constants import WAL_POSITION_CLOSE as POSITION_CLOSE
from hqt.constants import WAL_POSITION_MODIFY as POSITION_MODIFY
from hqt.constants import WAL_POSITION_OPEN as POSITION_OPEN

__all__ = [
    "MAGIC",
    "HEADER_SIZE",
    "SEQUENCE_SIZE",
    "MAX_DATA_LENGTH",
    "FORMAT_VERSION",
    "POSITION_OPEN",
    "POSITION_CLOSE",
    "POSITION_MODIFY",
    "ORDER_PLACE",
    "ORDER_CANCEL",
    "BALANCE_CHANGE",
    "CHECKPOINT",
    "HEADER",
    "WALError",
    "WALCorruptError",
    "NotAWALError",
    "Record",
    "Header",
    "Log",
    "scan",
    "read_log",
    "read_records",
    "verify",
    "records_after_last_checkpoint",
    "register_decoder",
    "decode_payload",
    "type_name",
    "frame",
    "header_payload",
    "WALWriter",
    "main",
]

# MAGIC, HEADER_SIZE and the record types: hqt.constants (abi/hqt_abi.toml).
MAGIC_BYTES = struct.pack("<I", MAGIC)  # b"WTQH"
SEQUENCE_SIZE = 8
MAX_DATA_LENGTH = 256 << 20
FORMAT_VERSION = 1

_FRAME_HEADER = struct.Struct(_FRAME_FORMAT)
_U64 = struct.Struct("<Q")
_HEADER_PAYLOAD = struct.Struct("<IIQ")
_FLAG_HAS_FINGERPRINT = 1


class WALError(Exception):
    """A log that cannot be used as it is."""


class WALCorruptError(WALError):
    """Damage before the last valid record: refused, never cut silently."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


class NotAWALError(WALError):
    """The file is not an HQT write-ahead log (or a version this reader does not know)."""


# ---------------------------------------------------------------------------
# Records and payload decoders
# ---------------------------------------------------------------------------

_NAMES = {
    POSITION_OPEN: "POSITION_OPEN",
    POSITION_CLOSE: "POSITION_CLOSE",
    POSITION_MODIFY: "POSITION_MODIFY",
    ORDER_PLACE: "ORDER_PLACE",
    ORDER_CANCEL: "ORDER_CANCEL",
    BALANCE_CHANGE: "BALANCE_CHANGE",
    CHECKPOINT: "CHECKPOINT",
    HEADER: "HEADER",
}
_DECODERS: dict[int, tuple[str, Callable[[bytes], Any]]] = {}


def type_name(record_type: int) -> str:
    """``"POSITION_OPEN"`` etc.; ``"TYPE_n"`` for a type nobody named."""
    if record_type in _DECODERS:
        return _DECODERS[record_type][0]
    return _NAMES.get(record_type, "TYPE_%d" % record_type)


def register_decoder(
    record_type: int, name: str, decoder: Callable[[bytes], Any], *, replace: bool = False
) -> None:
    """Registers how to decode the payload of ``record_type`` (bytes -> any).

    Registering a type twice is an error unless ``replace`` is true, so two
    modules cannot silently disagree about a layout.
    """
    if not 0 < record_type < 256:
        raise ValueError("record type must be 1..255, got %r" % (record_type,))
    if record_type in _DECODERS and not replace:
        raise ValueError(
            "a decoder for type %d (%s) is already registered"
            % (record_type, _DECODERS[record_type][0])
        )
    _DECODERS[record_type] = (name, decoder)


def decode_payload(record_type: int, data: bytes) -> Any:
    """The decoded payload, or ``{"bytes": n}`` for a type without a decoder."""
    entry = _DECODERS.get(record_type)
    if entry is None:
        return {"bytes": len(data)}
    return entry[1](bytes(data))


@dataclass(frozen=True)
class Header:
    """The HEADER record: file identity (docs/wal.md, "HEADER record")."""

    format_version: int
    fingerprint: int | None
    base_sequence: int


def _decode_header_payload(data: bytes, base_sequence: int = 0) -> Header:
    if len(data) < _HEADER_PAYLOAD.size:
        raise NotAWALError(
            "HEADER payload has %d bytes, expected at least %d" % (len(data), _HEADER_PAYLOAD.size)
        )
    version, flags, fingerprint = _HEADER_PAYLOAD.unpack_from(data, 0)
    return Header(version, fingerprint if flags & _FLAG_HAS_FINGERPRINT else None, base_sequence)


def _header_decoder(data: bytes) -> dict[str, Any]:
    h = _decode_header_payload(data)
    return {
        "format_version": h.format_version,
        "fingerprint": None if h.fingerprint is None else "0x%016x" % h.fingerprint,
    }


register_decoder(HEADER, "HEADER", _header_decoder)


@dataclass(frozen=True)
class Record:
    """One valid record. ``data`` is the payload after the sequence number."""

    type: int
    sequence: int
    data: bytes
    offset: int

    @property
    def type_name(self) -> str:
        return type_name(self.type)

    @property
    def end(self) -> int:
        """Offset just past this record's frame."""
        return self.offset + HEADER_SIZE + SEQUENCE_SIZE + len(self.data)

    def decoded(self) -> Any:
        return decode_payload(self.type, self.data)


@dataclass
class Log:
    """What a file holds, and what opening it would cut."""

    path: str
    file_size: int
    header: Header | None
    records: list[Record] = field(default_factory=list)
    valid_bytes: int = 0
    torn_bytes: int = 0
    torn_records: int = 0
    torn_reason: str | None = None

    @property
    def last_sequence(self) -> int:
        if self.records:
            return self.records[-1].sequence
        return self.header.base_sequence if self.header else 0

    @property
    def last_checkpoint_offset(self) -> int | None:
        for r in reversed(self.records):
            if r.type == CHECKPOINT:
                return r.offset
        return None


def records_after_last_checkpoint(records: Iterable[Record]) -> list[Record]:
    """What recovery replays on top of the last checkpoint's snapshot."""
    out: list[Record] = []
    for r in records:
        if r.type == CHECKPOINT:
            out = []
        else:
            out.append(r)
    return out


# ---------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------


class _Scanner:
    """The rules of docs/wal.md over an in-memory (or mmapped) buffer."""

    def __init__(self, buf, path: str):
        self.buf = buf
        self.end = len(buf)
        self.path = path
        # CRC work allowed when searching for records after damage, so that
        # adversarial garbage cannot make a scan quadratic; exhausting it
        # refuses the file rather than cutting what was not proven a tail.
        self.budget = 4 * self.end + (64 << 20)

    def examine(self, p: int):
        """("intact", type, length, sequence|None) or ("broken", reason, magic_prefix)."""
        available = self.end - p
        if available < HEADER_SIZE:
            n = min(available, 4)
            return (
                "broken",
                "partial record header (%d bytes before the end of the file)" % available,
                bytes(self.buf[p : p + n]) == MAGIC_BYTES[:n],
            )
        magic, rtype, length, stored = _FRAME_HEADER.unpack_from(self.buf, p)
        if magic != MAGIC:
            return ("broken", "bad magic 0x%08x (expected 0x%08x)" % (magic, MAGIC), False)
        if length > MAX_DATA_LENGTH:
            return (
                "broken",
                "impossible record length %d (limit %d)" % (length, MAX_DATA_LENGTH),
                True,
            )
        if length > available - HEADER_SIZE:
            return (
                "broken",
                "record length %d runs past the end of the file (%d bytes follow the header)"
                % (length, available - HEADER_SIZE),
                True,
            )
        start = p + HEADER_SIZE
        crc = zlib.crc32(self.buf[p + 4 : p + 9])
        crc = zlib.crc32(self.buf[start : start + length], crc)
        if crc != stored:
            return (
                "broken",
                "checksum mismatch (stored 0x%08x, computed 0x%08x)" % (stored, crc),
                True,
            )
        sequence = _U64.unpack_from(self.buf, start)[0] if length >= SEQUENCE_SIZE else None
        return ("intact", rtype, length, sequence)

    def find_magic(self, q: int) -> int:
        return self.buf.find(MAGIC_BYTES, q)

    def evidence_after(self, offset: int, last_good: int | None):
        """A later record of this log at or after ``offset``: (offset, why) or None."""
        q = offset
        while True:
            m = self.find_magic(q)
            if m < 0:
                return None
            if self.budget <= 0:
                return (
                    m,
                    "the search for later records gave up at offset %d (too much garbage), "
                    "so a torn tail cannot be assumed" % m,
                )
            frame = self.examine(m)
            if frame[0] == "intact":
                self.budget -= HEADER_SIZE + frame[2]
                seq = frame[3]
                if seq is None or last_good is None or seq > last_good:
                    what = (
                        "a valid record (sequence %d)" % seq
                        if seq is not None
                        else "an intact frame"
                    )
                    return (
                        m,
                        "%s follows at offset %d, so this is damage inside the log, not a torn tail"
                        % (what, m),
                    )
            else:
                self.budget -= HEADER_SIZE
            q = m + 1

    def count_frames(self, start: int) -> int:
        """Whole or partial frames in [start, end): the records a cut drops."""
        q, n, budget = start, 0, 4 * self.end + (64 << 20)
        while q < self.end and budget > 0:
            frame = self.examine(q)
            if frame[0] == "intact":
                n += 1
                q += HEADER_SIZE + frame[2]
                budget -= HEADER_SIZE + frame[2]
                continue
            if frame[2]:
                n += 1
            budget -= HEADER_SIZE
            nxt = self.find_magic(q + 1)
            if nxt < 0:
                break
            q = nxt
        return n

    def scan(self) -> Log:
        log = Log(self.path, self.end, None)
        p = 0
        expected: int | None = None
        last_good: int | None = None
        damage = None  # (offset, reason, magic_prefix) or a raised error
        while p < self.end:
            frame = self.examine(p)
            if frame[0] == "broken":
                damage = (p, frame[1], frame[2])
                break
            _, rtype, length, seq = frame
            if expected is None:
                if rtype != HEADER or seq is None:
                    raise NotAWALError(
                        "%r is not an HQT write-ahead log: its first record is %s with %d data bytes, "
                        "not a HEADER record (logs of the pre-HQT C++ engine, without sequence numbers, "
                        "cannot be read)" % (self.path, type_name(rtype), length)
                    )
                payload = bytes(
                    self.buf[p + HEADER_SIZE + SEQUENCE_SIZE : p + HEADER_SIZE + length]
                )
                header = _decode_header_payload(payload, seq)
                if not 1 <= header.format_version <= FORMAT_VERSION:
                    raise NotAWALError(
                        "%r uses WAL format version %d; this reader knows version %d"
                        % (self.path, header.format_version, FORMAT_VERSION)
                    )
                log.header = header
                last_good, expected = seq, seq + 1
                p += HEADER_SIZE + length
                log.valid_bytes = p
                continue
            if seq is not None and seq < expected and rtype != 0:
                damage = (p, "stale record (sequence %d, expected %d)" % (seq, expected), True)
                break
            if seq != expected or rtype in (0, HEADER):
                what = "sequence %d" % seq if seq is not None else "%d data bytes" % length
                raise WALCorruptError(
                    "WAL %r is corrupt at offset %d: unexpected %s record (%s; expected sequence %d); "
                    "that record is intact, so no crash tore it"
                    % (self.path, p, type_name(rtype), what, expected),
                    p,
                )
            start = p + HEADER_SIZE + SEQUENCE_SIZE
            log.records.append(
                Record(rtype, seq, bytes(self.buf[start : p + HEADER_SIZE + length]), p)
            )
            last_good, expected = seq, seq + 1
            p += HEADER_SIZE + length
            log.valid_bytes = p
        if damage is not None:
            offset, reason, magic_prefix = damage
            evidence = self.evidence_after(offset, last_good)
            if evidence is not None:
                raise WALCorruptError(
                    "WAL %r is corrupt at offset %d: %s; %s. The file was left untouched; salvage "
                    "keeps the %d records before offset %d"
                    % (self.path, offset, reason, evidence[1], len(log.records), offset),
                    offset,
                )
            if offset == 0 and not magic_prefix:
                raise NotAWALError(
                    "%r is not an HQT write-ahead log: %s at offset 0" % (self.path, reason)
                )
            log.torn_bytes = self.end - log.valid_bytes
            log.torn_records = self.count_frames(offset)
            log.torn_reason = reason
        return log


def scan(data: bytes, path: str = "<bytes>") -> Log:
    """Scans the bytes of a log (see the module docstring for what raises)."""
    if not isinstance(data, (bytes, bytearray, mmap.mmap)):
        data = bytes(data)
    return _Scanner(data, path).scan()


def read_log(path: str) -> Log:
    """Reads and checks the log at ``path`` without changing it."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return Log(path, 0, None)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return _Scanner(m, path).scan()


def read_records(path: str) -> list[Record]:
    """The valid records of the log at ``path`` (the HEADER excluded)."""
    return read_log(path).records


def verify(path: str) -> Log:
    """Same as :func:`read_log`; named for what a caller means by it."""
    return read_log(path)


# ---------------------------------------------------------------------------
# Writing (tests and tools; the engine writes through the Swift core)
# ---------------------------------------------------------------------------


def frame(record_type: int, sequence: int, payload: bytes = b"") -> bytes:
    """One complete frame: header, sequence number, payload."""
    data = _U64.pack(sequence) + bytes(payload)
    typelen = struct.pack("<BI", record_type, len(data))
    crc = zlib.crc32(data, zlib.crc32(typelen))
    return MAGIC_BYTES + typelen + struct.pack("<I", crc) + data


def header_payload(fingerprint: int | None = None, format_version: int = FORMAT_VERSION) -> bytes:
    flags = _FLAG_HAS_FINGERPRINT if fingerprint is not None else 0
    return _HEADER_PAYLOAD.pack(format_version, flags, fingerprint or 0)


class WALWriter:
    """Writes a log the way HQT does (HEADER first, consecutive sequence
    numbers). Not crash-safe and takes no lock: for tests and tools only."""

    def __init__(self, path: str, fingerprint: int | None = None, base_sequence: int = 0):
        self._f = open(path, "wb")
        self.sequence = base_sequence
        self._f.write(frame(HEADER, base_sequence, header_payload(fingerprint)))

    def append(self, record_type: int, payload: bytes = b"") -> int:
        if record_type in (0, HEADER):
            raise ValueError("record type %d cannot be appended" % record_type)
        self.sequence += 1
        self._f.write(frame(record_type, self.sequence, payload))
        return self.sequence

    def checkpoint(self, snapshot: bytes = b"") -> int:
        return self.append(CHECKPOINT, snapshot)

    def close(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()

    def __enter__(self) -> WALWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

EXIT_OK, EXIT_TORN, EXIT_CORRUPT, EXIT_NOT_A_LOG = 0, 1, 2, 3


def _summary(log: Log, out) -> None:
    h = log.header
    print("file            %s (%d bytes)" % (log.path, log.file_size), file=out)
    if h is not None:
        fp = "none" if h.fingerprint is None else "0x%016x" % h.fingerprint
        print(
            "format          version %d, fingerprint %s, base sequence %d"
            % (h.format_version, fp, h.base_sequence),
            file=out,
        )
    print(
        "records         %d (sequence %s)"
        % (
            len(log.records),
            "%d..%d" % (log.records[0].sequence, log.records[-1].sequence) if log.records else "-",
        ),
        file=out,
    )
    counts: dict[int, int] = {}
    for r in log.records:
        counts[r.type] = counts.get(r.type, 0) + 1
    for t in sorted(counts):
        print("  %-14s %d" % (type_name(t), counts[t]), file=out)
    cp = log.last_checkpoint_offset
    print(
        "last checkpoint %s"
        % (
            "-"
            if cp is None
            else "offset %d, %d records after it"
            % (cp, len(records_after_last_checkpoint(log.records)))
        ),
        file=out,
    )
    _tail(log, out)


def _tail(log: Log, out) -> None:
    if log.torn_bytes:
        print(
            "torn tail       %d bytes, %d records at offset %d (%s): opening the log cuts them"
            % (log.torn_bytes, log.torn_records, log.valid_bytes, log.torn_reason),
            file=out,
        )
    else:
        print("torn tail       none", file=out)


def _list(log: Log, out) -> None:
    print("%10s %8s %-16s %8s  %s" % ("offset", "sequence", "type", "bytes", "payload"), file=out)
    for r in log.records:
        try:
            decoded = r.decoded()
        except Exception as e:  # a decoder bug must not hide the rest of the log
            decoded = "<decoder failed: %s>" % e
        print(
            "%10d %8d %-16s %8d  %s" % (r.offset, r.sequence, r.type_name, len(r.data), decoded),
            file=out,
        )
    _tail(log, out)


def main(argv: list[str] | None = None, out=None) -> int:
    """``python -m hqt.wal FILE [summary|list|verify]``. Exit status: 0 clean,
    1 torn tail (usable: opening cuts it), 2 corrupt, 3 not a log / unreadable.

    Payloads are decoded with the registered decoders: the engine's once
    :mod:`hqt.wal_records` is imported (``python -m hqt.wal`` imports it)."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m hqt.wal", description="Inspect an HQT write-ahead log."
    )
    parser.add_argument("file")
    parser.add_argument(
        "command", nargs="?", default="summary", choices=["summary", "list", "verify"]
    )
    args = parser.parse_args(argv)
    try:
        log = read_log(args.file)
    except WALCorruptError as e:
        print("CORRUPT: %s" % e, file=out)
        return EXIT_CORRUPT
    except NotAWALError as e:
        print("NOT A LOG: %s" % e, file=out)
        return EXIT_NOT_A_LOG
    except OSError as e:
        print("ERROR: %s" % e, file=out)
        return EXIT_NOT_A_LOG
    if args.command == "summary":
        _summary(log, out)
    elif args.command == "list":
        _list(log, out)
    else:
        if log.torn_bytes:
            print(
                "TORN TAIL: %d records valid, %d bytes (%d records) after offset %d would be cut: %s"
                % (
                    len(log.records),
                    log.torn_bytes,
                    log.torn_records,
                    log.valid_bytes,
                    log.torn_reason,
                ),
                file=out,
            )
        else:
            print("OK: %d records, %d bytes" % (len(log.records), log.valid_bytes), file=out)
    return EXIT_TORN if log.torn_bytes else EXIT_OK


if __name__ == "__main__":
    # Run as a script, this file is the module __main__, not hqt.wal (which
    # hqt.wal_records imports, and registers the engine's decoders with):
    # the command line is hqt.wal_records.main, i.e. hqt.wal.main with them.
    from hqt.wal_records import main as _records_main

    sys.exit(_records_main())
