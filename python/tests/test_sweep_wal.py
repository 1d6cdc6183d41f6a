"""Fault-tolerant sweeps (issue 14, item 4): with ``wal_dir=`` a task whose
process died resumes from its write-ahead log, and its row equals the row
of a run never interrupted.

The strategy decides from its last ``slow`` ticks only, and says so with
``warmup``: after a recovery the engine replays those ticks with trading
refused, so the resumed decisions are the uninterrupted ones. ``pause``
sleeps now and then (wall time only) so that a kill lands mid-run.
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import signal
import threading
import time

import numpy as np
import pytest

import hqt
from hqt import _task_wal, sweep

T0 = 1_704_153_600 * 10**9
N_TICKS = 60_000
ENGINE_ARGS = {"balance": 10_000.0, "symbols": {"EURUSD": {"commission_per_lot": 2.0}}}

#: set in a forked child only: the tick at which the strategy SIGKILLs its process
DIE_AT: int | None = None


def make_ticks(n: int = N_TICKS) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    bid = np.round(1.1 + np.cumsum(rng.normal(0.0, 0.00004, n)), 5)
    return {"time": T0 + np.arange(n, dtype=np.int64) * 10**9, "bid": bid, "ask": bid + 0.00002}


TICKS = make_ticks()


class TickCross(hqt.Strategy):
    """Long while the mean of the last `fast` bids is above that of the last `slow`."""

    def __init__(self, fast: int, slow: int, pause: float = 0.0) -> None:
        self.fast, self.slow, self.pause = fast, slow, pause
        self.warmup = slow  # its whole look-back: what a resumed run replays
        self.bids: collections.deque[float] = collections.deque(maxlen=slow)
        self.n = 0

    def on_tick(self, engine, tick):
        self.n += 1
        if DIE_AT is not None and self.n == DIE_AT:
            os.kill(os.getpid(), signal.SIGKILL)
        if self.pause and self.n % 500 == 0:
            time.sleep(self.pause)
        b = self.bids
        b.append(tick.bid)
        if len(b) < self.slow or engine.warming_up:
            return
        fast = sum(list(b)[-self.fast :]) / self.fast
        up = fast > sum(b) / self.slow
        if up and not engine.positions:
            engine.buy(tick.symbol_id, 0.1)
        elif not up and engine.positions:
            engine.close_all()


def logs(directory) -> list[str]:
    """The logs in a directory (their .lock sidecars stay: docs/wal.md)."""
    return sorted(f for f in os.listdir(directory) if f.endswith(".wal"))


STATS = list(hqt.Statistics.__dataclass_fields__)


def stats(row) -> dict:
    out = {}
    for k in STATS:
        v = row[k]
        v = v.item() if hasattr(v, "item") else v
        out[k] = "nan" if isinstance(v, float) and v != v else v
    return out


@pytest.fixture(scope="module")
def plain_row():
    return sweep(
        TickCross, {"fast": 20, "slow": 80}, TICKS, ENGINE_ARGS, processes=0, records=True
    )[0]


def test_wal_dir_gives_the_plain_row_and_removes_its_logs(tmp_path, plain_row):
    assert plain_row["total_trades"] > 50  # a trade-heavy run: many log records
    for where in (tmp_path / "wal", "memory://hqt-test-wal"):
        row = sweep(
            TickCross,
            {"fast": 20, "slow": 80},
            TICKS,
            ENGINE_ARGS,
            processes=0,
            records=True,
            wal_dir=where,
        )[0]
        assert row["resumed_at"] == 0
        assert stats(row) == stats(plain_row)
    assert logs(tmp_path / "wal") == []


def _die_midway(wal_dir: str) -> None:
    global DIE_AT
    # well after the engine's first group of 256 records reached the file
    # (about tick 25,000): the copier has had ~100 ms of pauses to copy it
    DIE_AT = N_TICKS * 9 // 10
    _task_wal.UPLOAD_EVERY = 0.0005  # URL case: copies often enough to have one before the kill
    sweep(TickCross, PAUSED, TICKS, ENGINE_ARGS, processes=0, wal_dir=wal_dir)


PAUSED = {"fast": 20, "slow": 80, "pause": 0.002}  # 0.25 s of pauses: time for some copies


@pytest.mark.parametrize("url", [False, True], ids=["directory", "fsspec-url"])
def test_a_task_killed_midway_resumes_from_its_log(tmp_path, plain_row, url):
    # "local://" is fsspec's local file system: the URL path (a local file
    # and its copies) across processes, as with s3://
    where = f"local://{tmp_path}" if url else str(tmp_path)
    child = mp.get_context("fork").Process(target=_die_midway, args=(where,))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert len(logs(tmp_path)) == 1  # the killed task's log (or its last copy) stays
    row = sweep(TickCross, PAUSED, TICKS, ENGINE_ARGS, processes=0, records=True, wal_dir=where)[0]
    assert 0 < row["resumed_at"] < N_TICKS * 9 // 10
    assert stats(row) == stats(plain_row)
    assert logs(tmp_path) == []


def sweep_in_thread(out: dict, client, params, **kw) -> threading.Thread:
    """Runs a one-task sweep on `client` in a started thread: its rows, or the
    exception it raised, land in out["rows"] / out["error"]."""

    def run() -> None:
        try:
            out["rows"] = sweep(
                TickCross, params, TICKS, ENGINE_ARGS, client=client, records=True,
                progress=False, **kw,
            )  # fmt: skip
        except BaseException as e:  # noqa: BLE001 - re-raised by the test thread
            out["error"] = e

    runner = threading.Thread(target=run)
    runner.start()
    return runner


def test_dask_worker_killed_mid_backtest_resumes_on_another(tmp_path, plain_row):
    distributed = pytest.importorskip("distributed")
    params = {"fast": 20, "slow": 80, "pause": 0.02}  # 120 pauses: ~2.5 s of run
    out: dict = {}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        runner = sweep_in_thread(out, client, params, wal_dir=tmp_path)
        # wait until the task has logged a good part of its trades, then kill its worker
        deadline = time.monotonic() + 60
        victim = None
        while victim is None and time.monotonic() < deadline:
            found = logs(tmp_path)
            if found and os.path.getsize(tmp_path / found[0]) > 12_000:
                busy = [a for a, keys in client.processing().items() if keys]
                if busy:
                    victim = busy[0]
            time.sleep(0.05)
        assert victim is not None, "the task never got going"
        pid = client.run(os.getpid, workers=[victim])[victim]
        os.kill(pid, signal.SIGKILL)
        runner.join(120)
    assert "error" not in out, out.get("error")
    (row,) = out["rows"]
    assert row["resumed_at"] > 0  # it resumed, not restarted
    assert stats(row) == stats(plain_row)
    assert logs(tmp_path) == []


def test_dask_tasks_cancelled_for_lost_scattered_data_are_submitted_again(plain_row):
    # What a killed worker can do to a sweep: the scheduler cannot compute
    # scattered data again, so when it loses the scattered job it cancels the
    # tasks that need it (dask/distributed#3149). Here the job is cancelled
    # by hand while the task runs; the sweep scatters it again and resubmits.
    distributed = pytest.importorskip("distributed")
    params = {"fast": 20, "slow": 80, "pause": 0.01}
    out: dict = {}
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        runner = sweep_in_thread(out, client, params)
        deadline = time.monotonic() + 60
        job_keys: list = []
        while not job_keys and time.monotonic() < deadline:
            if any(keys for keys in client.processing().values()):
                job_keys = [k for k in client.who_has() if not str(k).startswith("hqt-sweep-")]
            time.sleep(0.02)
        assert job_keys, "the task never got going"
        client.cancel([distributed.Future(k, client) for k in job_keys], force=True)
        runner.join(120)
    assert "error" not in out, out.get("error")
    (row,) = out["rows"]
    assert stats(row) == stats(plain_row)
