"""Progress bars of long runs, and Ctrl-C (KeyboardInterrupt) during run()."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
import warnings

import pytest

import hqt
from conftest import PYDIR, snapshot
from hqt import _optional, progress
from hqt.testing import make_engine, random_walk_ticks

TICKS = random_walk_ticks(40_000, seed=31)


class FakeBar:
    """Stands in for tqdm.auto.tqdm: records what the progress code does."""

    instances: list[FakeBar] = []

    def __init__(self, total: int, **kw: object) -> None:
        self.total = total
        self.kw = kw
        self.n = 0
        self.updates: list[int] = []
        self.postfix = ""
        self.closed = False
        FakeBar.instances.append(self)

    def update(self, k: int) -> None:
        self.n += k
        self.updates.append(self.n)

    def set_postfix_str(self, s: str, refresh: bool = True) -> None:
        self.postfix = s

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    FakeBar.instances = []
    mod = types.SimpleNamespace(tqdm=FakeBar)
    monkeypatch.setitem(_optional._overrides, "tqdm", mod)
    monkeypatch.setitem(_optional._overrides, "tqdm.auto", mod)
    monkeypatch.setattr(progress, "POLL_INTERVAL", 0.01)
    return FakeBar


class Slow(hqt.Strategy):
    """A strategy slow enough for the poller to see it half-way."""

    def __init__(self, seconds: float = 0.3) -> None:
        self.seconds = seconds
        self.n = 0
        self.t0 = 0.0

    def on_start(self, engine):
        self.t0 = time.perf_counter()

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % 1000 == 0:
            time.sleep(self.seconds / 40)


def test_wants_progress(monkeypatch, fake_tqdm):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("HQT_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "_stderr_is_terminal", lambda: True)
    # A program (not interactive) gets no bar by default, even on a terminal.
    monkeypatch.setattr(progress, "_interactive", lambda: False)
    assert progress.wants_progress(None) is False
    monkeypatch.setenv("HQT_PROGRESS", "1")
    assert progress.wants_progress(None) is True
    monkeypatch.setenv("HQT_PROGRESS", "0")
    monkeypatch.setattr(progress, "_interactive", lambda: True)
    assert progress.wants_progress(None) is False
    monkeypatch.delenv("HQT_PROGRESS")
    assert progress.wants_progress(None) is True  # the REPL on a terminal
    assert progress.wants_progress(False) is False
    monkeypatch.setattr(progress, "_stderr_is_terminal", lambda: False)
    assert progress.wants_progress(None) is False  # not a terminal, not a notebook
    assert progress.wants_progress(True) is True
    monkeypatch.setattr(progress, "_stderr_is_terminal", lambda: True)
    monkeypatch.setenv("CI", "true")
    assert progress.wants_progress(None) is False
    assert progress.wants_progress(True) is True  # explicit wins
    with pytest.raises(TypeError):
        progress.wants_progress("yes")  # type: ignore[arg-type]


def test_progress_true_without_tqdm_warns_and_runs(monkeypatch):
    monkeypatch.setitem(_optional._overrides, "tqdm", None)
    e = make_engine(TICKS)
    with pytest.warns(RuntimeWarning, match=r"hqt-engine\[progress\]"):
        r = e.run(progress=True)
    assert r.statistics.ticks_processed == len(TICKS)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress, "_stderr_is_terminal", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_engine(TICKS).run()  # auto: silently no bar


def test_bar_moves_during_a_strategy_run(fake_tqdm):
    e = make_engine(TICKS)
    s = Slow()
    e.run(s, progress=True)
    (bar,) = fake_tqdm.instances
    assert bar.total == len(TICKS) and bar.n == len(TICKS)
    assert bar.closed
    assert bar.kw["unit"] == " events" and bar.kw["unit_scale"] is True
    assert bar.kw["delay"] == 0.0  # explicit progress=True: at once
    mid = [u for u in bar.updates if 0 < u < len(TICKS)]
    assert len(mid) >= 3, bar.updates  # seen half-way, not only at the end
    assert bar.updates == sorted(bar.updates)
    assert bar.postfix.startswith("2024-01-0")  # the simulated date


def test_bar_without_callbacks_completes_at_the_end(fake_tqdm):
    e = make_engine(TICKS)
    e.run(progress=True)  # GIL released: the poller gets BusyError and waits
    (bar,) = fake_tqdm.instances
    assert bar.n == bar.total == len(TICKS) and bar.closed


def test_no_bar_when_nothing_to_run(fake_tqdm):
    e = make_engine()
    with pytest.warns(hqt.HQTWarning, match="nothing to run"):
        e.run(progress=True)
    assert fake_tqdm.instances == []


def test_run_file_bar_per_chunk(fake_tqdm, tmp_path):
    from hqt.tickfile import write_tickfile

    p = tmp_path / "t.hqtt"
    write_tickfile(p, TICKS, "EURUSD")
    make_engine().run_file(p, chunk_ticks=5_000, progress=True)
    (bar,) = fake_tqdm.instances
    assert bar.kw["unit"] == " ticks"
    assert bar.updates[:3] == [5_000, 10_000, 15_000] and bar.n == len(TICKS)


def test_real_tqdm_output(capsys):
    pytest.importorskip("tqdm")
    make_engine(TICKS).run(Slow(0.05), progress=True)
    err = capsys.readouterr().err
    assert "100%" in err and "events/s" in err and "40.0k/40.0k" in err


def test_poller_costs_the_engine_nothing_measurable(fake_tqdm):
    """The bar reads the engine a few times a second, never per event."""
    calls = 0
    real = hqt.Engine.pending_events

    class Counting(hqt.Engine):
        @property
        def pending_events(self):  # type: ignore[override]
            nonlocal calls
            calls += 1
            return real.__get__(self)

    e = Counting(10_000.0)
    e.add_symbol("EURUSD")
    e.load_ticks(0, TICKS)
    t0 = time.perf_counter()
    e.run(Slow(0.2), progress=True)
    elapsed = time.perf_counter() - t0
    assert calls <= 5 + elapsed / progress.POLL_INTERVAL * 1.5


# ---- Ctrl-C --------------------------------------------------------------------------------


class Interrupting(hqt.Strategy):
    """Trades on a schedule; sends itself SIGINT at tick `at`."""

    def __init__(self, at: int | None) -> None:
        self.at = at
        self.n = 0
        self.stopped = 0

    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % 300 == 0:
            if engine.positions:
                engine.close_all()
            else:
                engine.buy(0, 0.1, sl=tick.bid - 0.002)
        if self.n == self.at:
            os.kill(os.getpid(), signal.SIGINT)

    def on_stop(self, engine):
        self.stopped += 1


def _reference() -> hqt.Engine:
    ref = make_engine(TICKS)
    ref.run(Interrupting(None), progress=False)
    return ref


COMPARED = ("account", "positions", "orders", "order_history", "deals", "trades")


def test_ctrl_c_stops_cleanly_and_run_continues(tmp_path):
    ref = _reference()
    e = make_engine(TICKS)
    wal = tmp_path / "run.wal"
    e.enable_wal(wal, sync="none")
    s = Interrupting(12_345)
    with pytest.raises(KeyboardInterrupt) as info:
        e.run(s, progress=False)
    # Paused between two events at the first check after the request (every
    # 1,024 events): 13 x 1,024 = 13,312; nothing of the run's end happened.
    assert any("paused after 13,312 of 40,000 events" in n for n in info.value.__notes__)
    assert s.stopped == 0 and e.is_paused
    assert e.pending_events == len(TICKS) - 13_312
    assert e.statistics().ticks_processed == 13_312
    # the WAL holds the state at the pause: a second engine recovers it
    e2 = make_engine(TICKS)
    wal2 = tmp_path / "copy.wal"
    wal2.write_bytes(wal.read_bytes())
    e2.enable_wal(wal2)
    rep = e2.recover_from_wal()
    assert rep.events_processed == 13_312 and rep.torn_bytes_dropped == 0
    s_int, s_rec = snapshot(e), snapshot(e2)
    for key in COMPARED:
        assert s_int[key] == s_rec[key], key
    # the interrupted engine goes on where it stopped and ends like the reference
    s.at = None
    e.run(s, progress=False)
    assert e.pending_events == 0 and s.stopped == 1 and not e.is_paused
    a, b = snapshot(e), snapshot(ref)
    for key in COMPARED:
        assert a[key] == b[key], key
    e.disable_wal()
    assert hqt.WriteAheadLog.verify(wal).torn_bytes_dropped == 0


INTERRUPTED_SCRIPT = r"""
import os, signal, sys
sys.path.insert(0, {pydir!r})
import hqt
from hqt.testing import make_engine, random_walk_ticks

class S(hqt.Strategy):
    n = 0
    def on_tick(self, engine, tick):
        self.n += 1
        if self.n % 300 == 0:
            engine.close_all() if engine.positions else engine.buy(0, 0.1)
        if self.n == 9_999:
            os.kill(os.getpid(), signal.SIGINT)

e = make_engine(random_walk_ticks(40_000, seed=31))
e.enable_wal({wal!r}, sync="always")
e.run(S(), progress=False)   # the KeyboardInterrupt is not caught: the process dies of it
"""


def test_ctrl_c_that_kills_the_process_leaves_a_recoverable_wal(tmp_path):
    wal = tmp_path / "dies.wal"
    script = INTERRUPTED_SCRIPT.format(pydir=str(PYDIR), wal=str(wal))
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode in (-signal.SIGINT, 130, 1), r.stderr
    assert "KeyboardInterrupt" in r.stderr and "paused after 10,240" in r.stderr
    report = hqt.WriteAheadLog.verify(wal)
    assert report.torn_bytes_dropped == 0 and report.last_checkpoint_offset is not None
    e = make_engine(TICKS)
    e.enable_wal(wal)  # the lock was released
    rec = e.recover_from_wal()
    assert rec.events_processed == 10_240 and rec.records_discarded == 0
