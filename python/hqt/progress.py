"""Progress bars for long runs (tqdm, optional: ``pip install 'hqt-engine[progress]'``).

``Engine.run(..., progress=None)`` decides by itself, as a library should:
no bar in a program (a script or a service calling ``run()`` writes nothing
to stderr of its own accord, terminal or not), a bar where a person watches
the run: a Jupyter notebook, or an interactive Python session (the REPL,
``python -i``, IPython) whose stderr is a terminal. Never when tqdm is
missing or the environment variable ``CI`` is set. The variable
``HQT_PROGRESS`` overrides the default: ``1`` turns the automatic bar on
wherever stderr is a terminal (e.g. for a script run by hand), ``0`` off
everywhere. An automatic bar appears only once a run has lasted half a
second. ``progress=True`` forces it (with a warning and no bar when tqdm is
missing), ``progress=False`` turns it off.

How it measures without slowing the engine down: nothing is added to the
engine's loop. A daemon thread wakes up a few times a second and reads
``engine.pending_events`` (and the engine's clock for the simulated date).
While a strategy runs, the engine holds the GIL except inside the Python
callbacks, so the thread only ever runs while the main thread is paused in
a callback: it reads the engine exactly as a callback may (the engine
allows calls from callbacks), never concurrently with the engine's own
code. Runs without Python callbacks release the GIL and refuse every call
(``BusyError``) until they return: their bar jumps when the run ends (or
per window with ``Engine.run_file``). Such runs process 10^8 ticks/s, so
only huge ones are long; a native hook would make those live too (see
docs/research.md, "Progress").
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any

from hqt import _optional

if TYPE_CHECKING:  # pragma: no cover
    from hqt._hqt import Engine

__all__ = ["RunProgress", "wants_progress", "in_notebook"]

#: seconds between two reads of the engine by the polling thread
POLL_INTERVAL = 0.2
#: an automatic bar appears only after this many seconds
AUTO_DELAY = 0.5


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython with a kernel attached)."""
    ipython = sys.modules.get("IPython")
    if ipython is None or "ipykernel" not in sys.modules:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - exotic IPython builds
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def wants_progress(progress: bool | None) -> bool:
    """Whether to show a bar for this setting (see the module doc)."""
    if progress is False:
        return False
    have_tqdm = _optional.optional("tqdm") is not None
    if progress is True:
        if not have_tqdm:
            warnings.warn(
                "progress=True needs tqdm, which is not installed: "
                "pip install 'hqt-engine[progress]' (or pip install tqdm); running without "
                "a progress bar",
                RuntimeWarning,
                stacklevel=3,
            )
        return have_tqdm
    if progress is not None:
        raise TypeError(f"progress must be True, False or None, not {progress!r}")
    env = os.environ.get("HQT_PROGRESS", "").strip()
    if not have_tqdm or os.environ.get("CI") or env == "0":
        return False
    if in_notebook():
        return True
    return _stderr_is_terminal() and (env == "1" or _interactive())


def _interactive() -> bool:
    """An interactive session: the REPL, ``python -i`` or IPython."""
    return hasattr(sys, "ps1") or bool(sys.flags.interactive) or "IPython" in sys.modules


class RunProgress:
    """A tqdm bar fed by a polling thread; a no-op when disabled.

    Use as a context manager around one or more ``engine._run`` calls::

        with RunProgress(engine, total, enabled) as bar:
            bar.begin_chunk(engine.pending_events)
            engine._run(callbacks)
            bar.end_chunk()
    """

    def __init__(
        self,
        engine: Engine,
        total: int,
        enabled: bool,
        *,
        unit: str = "events",
        desc: str = "hqt",
        auto: bool = True,
    ) -> None:
        self.engine = engine
        self.total = total
        self.enabled = enabled and total > 0
        self.unit = unit
        self.desc = desc
        self.auto = auto
        self._bar: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._base = 0  # done in finished chunks
        self._chunk_total = 0  # pending events when the current chunk began
        self._done = 0

    def __enter__(self) -> RunProgress:
        if not self.enabled:
            return self
        tqdm_auto = _optional.require("tqdm.auto", "the progress bar")
        self._bar = tqdm_auto.tqdm(
            total=self.total,
            unit=" " + self.unit,
            unit_scale=True,
            desc=self.desc,
            smoothing=0.1,
            mininterval=POLL_INTERVAL,
            dynamic_ncols=True,
            delay=AUTO_DELAY if self.auto else 0.0,
            leave=True,
        )
        self._thread = threading.Thread(target=self._poll, name="hqt-progress", daemon=True)
        self._thread.start()
        return self

    def begin_chunk(self, pending: int) -> None:
        with self._lock:
            self._chunk_total = pending

    def end_chunk(self, done: int | None = None) -> None:
        """The current chunk is over; `done` events of it ran (default: all)."""
        with self._lock:
            self._base += self._chunk_total if done is None else done
            self._chunk_total = 0
            self._set(self._base)

    def _set(self, n: int) -> None:
        if self._bar is None:
            return
        n = min(max(n, self._done), self.total)
        if n != self._done:
            self._bar.update(n - self._done)
            self._done = n

    def _poll(self) -> None:
        last_t = None
        while not self._stop.wait(POLL_INTERVAL):
            try:
                pending = self.engine.pending_events
                now = self.engine.time
            except Exception:  # BusyError while the GIL is released; disposed engine
                continue
            with self._lock:
                if self._chunk_total:
                    self._set(self._base + max(self._chunk_total - pending, 0))
            if now != last_t and now > 0 and self._bar is not None:
                last_t = now
                stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(now / 1e9))
                self._bar.set_postfix_str(stamp, refresh=False)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        if self._bar is not None:
            if exc_type is None:
                self._set(self.total)
            self._bar.close()
            self._bar = None
