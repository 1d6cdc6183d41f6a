"""The write-ahead log through libhqt: the engine's own, and the standalone one.

Two ways to use HQT's write-ahead log (format and guarantees: docs/wal.md;
the engine's record payloads: docs/wal-records.md):

* **The engine's own log** (:meth:`hqt.Engine.enable_wal`): the engine
  writes every trading operation before it takes effect and a checkpoint
  (a full snapshot) every ``checkpoint_every`` records and at the end of each
  run. After a crash, set up an engine the same way (account, symbols,
  **same data loaded**), enable the log on the same file and recover::

      engine = make_engine()                   # same account and symbols
      load_data(engine)                        # same market data
      engine.enable_wal("run.wal")
      report = engine.recover_from_wal()       # RecoveryReport
      engine.run(MyStrategy(), resume=True)    # continues after the last event

  A log that holds records refuses trading (:class:`hqt.StateError`) until
  :meth:`~hqt.Engine.recover_from_wal` has run, or until it is enabled with
  ``truncate=True`` to start over.

* **The standalone log** (:class:`WriteAheadLog`): frames, sequence numbers,
  checkpoints and crash-safe compaction for your own records::

      with hqt.WriteAheadLog("orders.wal", sync="batch") as log:   # opens it
          seq = log.append(hqt.WALRecordType.ORDER_PLACE, payload)
          log.mark_checkpoint(snapshot_bytes)
          for record in log.read_uncommitted():
              ...

Durability (``sync``): ``"always"`` (default) syncs before every append
returns; ``"batch"`` is group commit, one sync per ``batch_records`` records
or ``batch_delay`` seconds, whichever comes first; ``"none"`` leaves it to
the OS. Under every policy an appended record survives the process being
killed; the policy decides what survives a power failure.

Errors: :class:`hqt.WALCorruptionError` for damage before the last valid
record (the file is left untouched: see :meth:`WriteAheadLog.salvage`),
:class:`hqt.WALError` for a log locked by another writer, a file that is not
an HQT log, a configuration mismatch or a failed sync,
:class:`hqt.HQTIOError` for file system errors.

The reader in :mod:`hqt.wal` is an independent pure-Python implementation of
the same format (no native code), for tools and cross-checks.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Union

from hqt import _hqt
from hqt.errors import InvalidArgumentError

__all__ = [
    "WriteAheadLog",
    "WALOpenReport",
    "WALRecord",
    "RecoveryReport",
    "WALSync",
    "WALRecordType",
    "sync_policy_code",
    "batch_options",
]

PathLike = Union[str, "os.PathLike[str]"]


class WALSync(IntEnum):
    """When appended records reach stable storage (``HQT_WAL_SYNC_*``)."""

    ALWAYS = 0  #: fdatasync before every append returns (default)
    BATCH = 1  #: group commit: one sync per batch_records records or batch_delay seconds
    NONE = 2  #: no sync on append: the OS decides


class WALRecordType(IntEnum):
    """Record types (SPEC section 3; numbers are never reused)."""

    POSITION_OPEN = 1
    POSITION_CLOSE = 2
    POSITION_MODIFY = 3
    ORDER_PLACE = 4
    ORDER_CANCEL = 5
    BALANCE_CHANGE = 6
    CHECKPOINT = 7  #: written by mark_checkpoint(), not append()
    HEADER = 8  #: first record of every file, written by the library
    ORDER_MODIFY = 9


def sync_policy_code(sync: str | int) -> int:
    """The ``HQT_WAL_SYNC_*`` code of a policy name (``"always"``, ``"batch"``, ``"none"``).

    A :class:`WALSync` member is accepted too. Anything else raises
    InvalidArgumentError (TypeError for a value that is neither str nor int).
    """
    if isinstance(sync, str):
        try:
            return int(WALSync[sync.upper()])
        except KeyError:
            raise InvalidArgumentError(
                f"sync must be 'always', 'batch' or 'none', got {sync!r}"
            ) from None
    if isinstance(sync, bool) or not isinstance(sync, int):
        raise TypeError(f"sync must be 'always', 'batch' or 'none', not {type(sync).__name__}")
    try:
        return int(WALSync(sync))
    except ValueError:
        raise InvalidArgumentError(
            f"unknown sync policy {sync!r}: use 'always', 'batch' or 'none'"
        ) from None


def batch_options(batch_records: int, batch_delay: float) -> tuple[int, int]:
    """``(batch_records, batch_delay_ns)`` checked: records >= 1, delay >= 0 seconds (0 = no
    time bound)."""
    if isinstance(batch_records, bool) or not isinstance(batch_records, int):
        raise TypeError(f"batch_records must be an int, not {type(batch_records).__name__}")
    if batch_records < 1:
        raise InvalidArgumentError(f"batch_records must be >= 1, got {batch_records}")
    if isinstance(batch_delay, bool) or not isinstance(batch_delay, (int, float)):
        raise TypeError(
            f"batch_delay must be a number of seconds, not {type(batch_delay).__name__}"
        )
    if not math.isfinite(batch_delay) or batch_delay < 0:
        raise InvalidArgumentError(f"batch_delay must be >= 0 seconds, got {batch_delay!r}")
    delay_ns = round(batch_delay * 1e9)
    if delay_ns >= 2**63:
        raise InvalidArgumentError(f"batch_delay = {batch_delay!r} s is out of range")
    return batch_records, delay_ns


def _fspath(path: PathLike, what: str = "path") -> str:
    if isinstance(path, bytes):
        return os.fsdecode(path)
    try:
        p = os.fspath(path)
    except TypeError:
        raise TypeError(f"{what} must be a str or os.PathLike, not {type(path).__name__}") from None
    if not p:
        raise InvalidArgumentError(f"{what} must not be empty")
    return os.fsdecode(p)


@dataclass(frozen=True)
class WALOpenReport:
    """What opening, verifying or salvaging a log found."""

    torn_bytes_dropped: int  #: cut off the end (salvage: from the damage on)
    torn_records_dropped: int  #: whole or partial records in those bytes
    records: int  #: valid records kept, the HEADER not counted
    last_checkpoint_offset: int | None  #: file offset of the last CHECKPOINT; None if none
    last_sequence: int  #: sequence number of the last record; 0 in a new log
    valid_bytes: int  #: length of the valid prefix
    fingerprint: int | None  #: configuration fingerprint from the HEADER, if any
    format_version: int  #: from the HEADER; 0 if the file had none left

    @property
    def torn(self) -> bool:
        """True when something was (or would be) cut."""
        return self.torn_bytes_dropped > 0

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...]) -> WALOpenReport:
        return cls(
            torn_bytes_dropped=t[0],
            torn_records_dropped=t[1],
            records=t[2],
            last_checkpoint_offset=None if t[3] < 0 else t[3],
            last_sequence=t[4],
            valid_bytes=t[5],
            fingerprint=t[6] if t[7] else None,
            format_version=t[8],
        )


@dataclass(frozen=True)
class WALRecord:
    """One record of a log: its type, sequence number, file offset and payload."""

    type: int
    sequence: int
    offset: int  #: of the record's frame in the file
    data: bytes  #: the payload (after the sequence number)

    @property
    def type_name(self) -> str:
        """``"POSITION_OPEN"``, ``"CHECKPOINT"``, ... (``"TYPE_<n>"`` for unknown types)."""
        try:
            return WALRecordType(self.type).name
        except ValueError:
            return f"TYPE_{self.type}"

    @classmethod
    def _from_raw(cls, t: tuple[int, int, int, bytes]) -> WALRecord:
        return cls(type=t[0], sequence=t[1], offset=t[2], data=t[3])


@dataclass(frozen=True)
class RecoveryReport:
    """What :meth:`hqt.Engine.recover_from_wal` did."""

    records_replayed: int  #: applied on top of the checkpoint
    records_discarded: int  #: of the last, possibly unfinished event (re-run on resume)
    checkpoint_sequence: int  #: sequence number of the checkpoint recovery started from
    events_processed: int  #: by the recovered state; a resumed run continues after it
    last_event_time: int  #: ns, time of that last event
    torn_bytes_dropped: int  #: torn tail cut when the log was opened
    torn_records_dropped: int
    replayed_over_data: bool  #: the loaded data was re-walked (exact statistics)

    @classmethod
    def _from_raw(cls, t: tuple[Any, ...]) -> RecoveryReport:
        return cls(
            records_replayed=t[0],
            records_discarded=t[1],
            checkpoint_sequence=t[2],
            events_processed=t[3],
            last_event_time=t[4],
            torn_bytes_dropped=t[5],
            torn_records_dropped=t[6],
            replayed_over_data=bool(t[7]),
        )


class WriteAheadLog(_hqt.WriteAheadLog):
    """A write-ahead log file, on its own (without an engine).

    Args:
        path: the log file; created by :meth:`open` if missing.
        sync: ``"always"`` (default), ``"batch"`` or ``"none"`` (see the module doc).
        batch_records: ``"batch"``: sync once this many records are pending (>= 1).
        batch_delay: ``"batch"``: ... or once the oldest is this many seconds old
            (0 = no time bound).
        fingerprint: a 64-bit number written into a new log; opening an existing
            log with a different (or no) fingerprint raises WALError. None
            accepts any log.

    Nothing touches the file until :meth:`open`, which takes the log's writer
    lock (one writer at a time, across processes: a second one gets WALError
    at once). ``with WriteAheadLog(path) as log:`` opens it (unless already
    open) and closes it at the end.

    Native methods: ``append(type, data=b"") -> int`` (sequence number; any
    type in 1..255 but 7 CHECKPOINT and 8 HEADER; ``data`` bytes-like),
    ``mark_checkpoint(snapshot=b"")`` (synced whatever the policy),
    ``sync()``, ``truncate_to_checkpoint()`` (compact to the last checkpoint,
    crash-safely), ``clear()`` (empty the log; sequence numbers carry on),
    ``close()`` (sync and release the lock; no-op when closed), and the
    properties ``is_open``, ``path`` and ``sync_policy``. A failed write or
    sync makes the log refuse appends until it is closed and opened again.
    Not thread-safe: use one log from one thread at a time (a concurrent call
    raises BusyError).
    """

    def __init__(
        self,
        path: PathLike,
        sync: str | int = "always",
        *,
        batch_records: int = 256,
        batch_delay: float = 0.01,
        fingerprint: int | None = None,
    ) -> None:
        records, delay_ns = batch_options(batch_records, batch_delay)
        if fingerprint is not None and (
            isinstance(fingerprint, bool) or not isinstance(fingerprint, int)
        ):
            raise TypeError(f"fingerprint must be an int or None, not {type(fingerprint).__name__}")
        super().__init__(_fspath(path), sync_policy_code(sync), records, delay_ns, fingerprint)

    def open(self, truncate: bool = False) -> WALOpenReport:
        """Open (creating if needed) and lock the log; ``truncate=True`` starts a new, empty one.

        A torn tail (a crash in the middle of an append) is cut and reported.
        Damage before the last valid record raises WALCorruptionError and
        leaves the file untouched; a log held by another writer, a file that
        is not a log, or a fingerprint mismatch raise WALError.
        """
        return WALOpenReport._from_raw(self._open(bool(truncate)))

    def read_all(self) -> list[WALRecord]:
        """Every record, oldest first (the HEADER excluded)."""
        return [WALRecord._from_raw(t) for t in self._read_all()]

    def read_uncommitted(self) -> list[WALRecord]:
        """The records after the last checkpoint (all of them if there is none)."""
        return [WALRecord._from_raw(t) for t in self._read_uncommitted()]

    def last_checkpoint(self) -> WALRecord | None:
        """The last CHECKPOINT record, or None."""
        t = self._last_checkpoint()
        return None if t is None else WALRecord._from_raw(t)

    @staticmethod
    def verify(path: PathLike) -> WALOpenReport:
        """Read-only check of a log file: what open() would keep and cut.

        Raises WALCorruptionError for damage before the last valid record,
        WALError for a file that is not an HQT log. Takes no lock.
        """
        return WALOpenReport._from_raw(_hqt.WriteAheadLog._verify(_fspath(path)))

    @staticmethod
    def salvage(path: PathLike) -> WALOpenReport:
        """Repair a damaged log: keep its valid prefix, drop everything from the damage on.

        Crash-safe; takes the lock; refuses files that are not HQT logs. The
        report says how much was dropped. Copy the file first to inspect the
        damage later.
        """
        return WALOpenReport._from_raw(_hqt.WriteAheadLog._salvage(_fspath(path)))

    def __enter__(self) -> WriteAheadLog:
        if not self.is_open:
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return (
            f"<{type(self).__name__} {self.path!r} {state} "
            f"sync={WALSync(self.sync_policy).name.lower()}>"
        )
