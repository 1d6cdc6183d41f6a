"""Fault-tolerant sweep tasks: each backtest logs its write-ahead log where
every worker can reach it, and a task started again (Dask reschedules the
tasks of a worker that died) recovers from it and resumes instead of
starting over (``hqt.sweep(..., wal_dir=...)``, ``hqt.optimize``).

Where the log lives:

* a directory path (local, or a shared mount such as NFS that every worker
  sees at the same path): the engine writes the log there directly, so what
  a killed worker left is exactly what ``kill -9`` leaves (docs/wal.md);
* a URL of another fsspec file system (``s3://bucket/wal``, ``gs://...``):
  the engine writes a local file and a background thread copies it to the
  URL every ``UPLOAD_EVERY`` seconds (put beside the log, then renamed over
  it: a worker killed during a copy leaves the previous copy whole). A copy
  taken while a record is being appended ends in a torn record, which
  opening the log cuts, like the tail a crash leaves: the resumed run
  starts from the last record that made it into a copy (at most
  ``upload_every`` seconds of work is redone).

The log of a task is named after everything its run depends on (the
parameters, the sweep's seed, engine_args, the data's shape and ends, the
tick model), so a rescheduled task, or the same sweep started again, finds
it, and another task never does. A log that cannot be resumed over this
data and configuration (WALError) is started afresh. The log is deleted
when its task has finished.

A resumed run equals the run never interrupted under the engine's rule
(``Engine.run(resume=True)``): the trading state comes from the log, and the
strategy rebuilds its own state from ``on_start`` and its ``warmup`` loaded
events replayed with trading refused. A strategy whose decisions depend on
more than its last ``warmup`` events (or on random numbers drawn before the
interruption) can decide differently after a resume: give it a ``warmup``
that covers its look-back, or ``get_state``/``set_state`` (hqt.Strategy).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from typing import TYPE_CHECKING, Any

from hqt.errors import HQTError, InvalidArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from hqt.engine import Engine


#: Seconds between two copies of a log to an fsspec URL (tests shorten it).
UPLOAD_EVERY = 1.0


def _is_url(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


def check_location(wal_dir: Any) -> str:
    """`wal_dir` as a string, checked where that can be done in the caller."""
    if not isinstance(wal_dir, (str, os.PathLike)):
        raise InvalidArgumentError(
            f"wal_dir must be a directory path or URL, not {type(wal_dir).__name__}"
        )
    loc = os.fspath(wal_dir)
    if not _is_url(loc):
        loc = os.path.abspath(loc.removeprefix("file://"))
        os.makedirs(loc, exist_ok=True)
        return loc
    try:
        import fsspec
    except ImportError:
        raise InvalidArgumentError(
            f"wal_dir={loc!r} is a URL: that needs fsspec (pip install 'hqt-engine[fsspec]')"
        ) from None
    fsspec.core.url_to_fs(loc)  # an unknown protocol fails here
    return loc


def wal_key(seed: int, params_text: str, job_text: str) -> str:
    """The file name of a task's log."""
    h = hashlib.sha256(f"hqt.sweep.wal:{seed}:{params_text}:{job_text}".encode()).hexdigest()
    return f"hqt-task-{h[:32]}.wal"


class _Store:
    """A task's log: the local file the engine writes and, for a URL, its copy."""

    def __init__(self, location: str, name: str, upload_every: float) -> None:
        self.remote = None
        self.tmp: str | None = None
        if _is_url(location):
            import fsspec

            self.fs, root = fsspec.core.url_to_fs(location)
            self.fs.makedirs(root, exist_ok=True)
            self.remote = f"{root.rstrip('/')}/{name}"
            self.tmp = tempfile.mkdtemp(prefix="hqt-wal-")
            self.path = os.path.join(self.tmp, name)
            if self.fs.exists(self.remote):
                self.fs.get_file(self.remote, self.path)
        else:
            self.path = os.path.join(location, name)
        self.upload_every = upload_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_uploads(self) -> None:
        if self.remote is None:
            return
        self._thread = threading.Thread(target=self._uploads, name="hqt-wal-upload", daemon=True)
        self._thread.start()

    def _uploads(self) -> None:
        while not self._stop.wait(self.upload_every):
            try:
                self.upload()
            except OSError:  # storage unreachable for a moment: the next copy catches up
                continue

    def upload(self) -> None:
        if self.remote is not None and os.path.exists(self.path):
            # a local snapshot (the engine keeps appending to self.path), put
            # beside the log and renamed over it: a process killed during the
            # put leaves the previous copy whole, never a truncated one
            snap = self.path + ".up"
            shutil.copyfile(self.path, snap)
            part = self.remote + ".part"
            self.fs.put_file(snap, part)
            self.fs.mv(part, self.remote)

    def stop_uploads(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def remove(self) -> None:
        self.stop_uploads()
        if self.remote is not None:
            for p in (self.remote, self.remote + ".part"):
                if self.fs.exists(p):
                    self.fs.rm_file(p)
        elif os.path.exists(self.path):
            # its "<name>.lock" sidecar stays: docs/wal.md, "One writer"
            os.remove(self.path)
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def run_logged(
    engine: Engine,
    strategy: Any,
    location: str,
    name: str,
    *,
    tick_model: Any,
    sync: str = "batch",
    checkpoint_every: int = 1_000,
    upload_every: float | None = None,
) -> int:
    """Run `strategy` on `engine` (data loaded) with its log at location/name,
    resuming from the log when there is one. Returns the number of events
    the recovered state had processed (0: a fresh run)."""
    store = _Store(location, name, UPLOAD_EVERY if upload_every is None else upload_every)
    had = os.path.exists(store.path) and os.path.getsize(store.path) > 0
    resumed_at = 0
    try:
        engine.enable_wal(
            store.path, truncate=not had, sync=sync, checkpoint_every=checkpoint_every
        )
        if had:
            report = engine.recover_from_wal()
            resumed_at = report.events_processed
    except HQTError:  # another configuration or data, a damaged log: start afresh
        if engine.is_wal_enabled():
            engine.disable_wal()
        engine.enable_wal(store.path, truncate=True, sync=sync, checkpoint_every=checkpoint_every)
        had = False
    store.start_uploads()
    try:
        if had:
            engine.run(strategy, resume=True, progress=False, tick_model=tick_model)
        else:
            engine.run(strategy, progress=False, tick_model=tick_model)
        engine.disable_wal()
    finally:
        # a finished run, or one that raised (a failed task is not resumed):
        # only a killed process leaves its log behind
        store.remove()
    return resumed_at
