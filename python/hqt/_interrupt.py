"""Ctrl-C during ``Engine.run()``: stop between two events, resumable.

Python's default SIGINT handler raises KeyboardInterrupt wherever the main
thread happens to be, which inside a strategy callback means half-way
through it: the engine then has processed an event whose callback never
finished, and ``run()`` again cannot equal the run never interrupted. While
a run is in progress this module swaps in a handler that only asks the
engine to stop (``Engine.interrupt()``, one atomic store): the callback
finishes, the engine stops between two events, and ``run()`` raises
KeyboardInterrupt from there; ``run()`` again continues exactly. A second
Ctrl-C before the engine has stopped raises KeyboardInterrupt at once (for a
callback stuck in a loop), which ends the run as any callback error does.

Only the main thread can set signal handlers, and a handler the program
installed itself is left alone: then Ctrl-C behaves as before.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Protocol


class _Interruptible(Protocol):
    def interrupt(self) -> None: ...


class DeferredInterrupt:
    """Context manager: SIGINT → ``engine.interrupt()`` for the duration of a run."""

    def __init__(self, engine: _Interruptible) -> None:
        self._engine = engine
        self._previous: object = None
        #: Ctrl-C was pressed during the run.
        self.requested = False

    def __enter__(self) -> DeferredInterrupt:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt  # second Ctrl-C: now
        self.requested = True
        self._engine.interrupt()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._previous = None
