"""Kill -9 loop: a WAL-enabled backtest killed at random instants resumes to the exact result.

For each driver of ``kill9_backtest.py`` (``run``: ``engine.run(strategy,
resume=True)`` with bars built by the engine; ``events``: a ``process_event``
loop) the uninterrupted result is computed once per durability policy. Then,
``HQT_KILL9_ROUNDS`` times (default 30 per driver): start the script on a
fresh log, SIGKILL it at a random moment, start it again on the same log (it
recovers and resumes), in about a third of the rounds SIGKILL that one too,
and finally let it finish. Its JSON must equal the reference to the
micro-unit: the same deals (none lost, none applied twice), balance, equity,
positions, orders, order history and trades, and (``run`` driver, which
re-walks the loaded data) the same statistics and equity curve.

Kill moments are drawn against the script's own progress, which it reports on
stderr (``OPEN`` before ``enable_wal``, ``P <percent>`` as the run goes through
the data, ``END`` when it is over), so that they land where intended even
when the machine (or the disk's fdatasync) is slow: *early* (interpreter
start-up, data generation: before the log exists), *open* (creating the log
and its first checkpoint), *run* (a random point of the data plus up to 5 ms;
the most frequent), *late* (the final checkpoint, output). Restarts are killed
at any moment of their life (recovery and warm-up included) or in what is
left of their run. Durability policies rotate: ``batch`` and ``none``
(grouped appends inside a run) on the full data, ``always`` (one fdatasync
per record) on 20 000 ticks so that a round stays short. The ``events``
driver also proves, in every resumed start, that its resume index is exact
(``--check-resume``).

Targeted, deterministic cases (a strict xfail marks the one known limit):
``test_kill9_final_stretch`` kills during on_stop (made slow on purpose),
after the last bar was flushed and before the final checkpoint;
``test_kill9_events_engine_bars`` drives process_event on bars built by the
engine; ``test_kill9_inside_on_start`` kills between two operations of
on_start.

Environment: ``HQT_KILL9_ROUNDS`` (rounds per driver, default 30),
``HQT_KILL9_SEED`` (the seed of the kill schedule; printed with every result
and failure), ``HQT_KILL9_JOBS`` (rounds run side by side, default 2).

Reproduce a failure: every round keeps a copy of the log as it was after each
kill (``<driver>-<round>-kill<k>.wal`` under the test's tmp_path, named in the
failure message, with the command to run on it). The command recovers the copy
(compacting it: copy it again first to keep it) and prints the JSON to compare
with an uninterrupted run's (the same command on a log that does not exist).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import hqt

SCRIPT = Path(__file__).with_name("kill9_backtest.py")
PYDIR = Path(__file__).resolve().parents[1]

ROUNDS = int(os.environ.get("HQT_KILL9_ROUNDS", "30"))
SEED = int(os.environ.get("HQT_KILL9_SEED", str(random.SystemRandom().randrange(1, 10**9))))
JOBS = max(1, int(os.environ.get("HQT_KILL9_JOBS", "2")))

#: durability policy -> extra script arguments (``always`` syncs every record:
#: ~20 000 records in a full run, so it gets less data)
CONFIGS: dict[str, tuple[str, ...]] = {"batch": (), "none": (), "always": ("--ticks", "20000")}
SYNC_ROTATION = ("batch", "always", "none")
DRIVERS = ("run", "events", "stateful")

pytestmark = pytest.mark.skipif(
    not hasattr(hqt.Engine, "enable_wal"), reason="hqt.Engine has no WAL bindings"
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PYDIR) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cmd(driver: str, log: Path, sync: str, *extra: str) -> list[str]:
    # events: every resumed start also proves its resume index (exit status 3 if wrong)
    check = ("--check-resume",) if driver == "events" else ()
    return [
        sys.executable,
        str(SCRIPT),
        driver,
        str(log),
        "--sync",
        sync,
        *CONFIGS[sync],
        *check,
        *extra,
    ]


def _shell(cmd: list[str]) -> str:
    return " ".join(cmd[1:]).replace(str(SCRIPT), "python3 " + os.path.relpath(SCRIPT))


def _stderr_tail(err: bytes) -> str:
    """The end of a script's stderr, without its progress lines."""
    lines = [
        ln
        for ln in err.decode(errors="replace").splitlines()
        if not ln.startswith("P ") and ln not in ("OPEN", "RUN", "END", "STOP")
    ]
    return "\n".join(lines)[-3000:]


def run_to_end(cmd: list[str], timeout: float = 120) -> tuple[dict[str, Any], float]:
    """Runs the script to completion; returns its JSON and the time it was started."""
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=_env())
    assert p.returncode == 0, f"{_shell(cmd)} failed ({p.returncode}):\n{_stderr_tail(p.stderr)}"
    return json.loads(p.stdout.decode().strip().splitlines()[-1]), t0


# ---- comparing results ------------------------------------------------------------------

#: statistics a process_event driver's recovery cannot rebuild (see comparable)
EVENTS_INEXACT = ("max_drawdown", "max_drawdown_pct", "sharpe_ratio", "ticks_processed")


def comparable(result: dict[str, Any], driver: str) -> dict[str, Any]:
    """The part of a result that must not change when the run is killed and resumed."""
    out = {k: v for k, v in result.items() if k != "info"}
    if driver == "events":
        # No data loaded: recovery cannot re-walk the events between the last
        # checkpoint and the resume point, so their equity samples, drawdown
        # and tick count are not rebuilt (docs/wal-records.md, section 4).
        # Everything the ledger holds is exact, and so is the final equity.
        for k in ("equity_curve_sha256", "equity_curve_points"):
            out.pop(k)
        out["statistics"] = {k: v for k, v in out["statistics"].items() if k not in EVENTS_INEXACT}
    return out


def diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    """How result `a` (resumed) differs from `b` (reference), briefly."""
    lines = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if va == vb:
            continue
        if isinstance(va, list) and isinstance(vb, list):
            first = next(
                (i for i, (x, y) in enumerate(zip(va, vb, strict=False)) if x != y),
                min(len(va), len(vb)),
            )
            lines.append(
                f"  {k}: {len(va)} vs {len(vb)} items, first difference at [{first}]: "
                f"{va[first] if first < len(va) else '-'} vs "
                f"{vb[first] if first < len(vb) else '-'}"
            )
        elif isinstance(va, dict) and isinstance(vb, dict):
            lines.append(
                f"  {k}: "
                + ", ".join(
                    f"{x}={va.get(x)!r} vs {vb.get(x)!r}"
                    for x in sorted(set(va) | set(vb))
                    if va.get(x) != vb.get(x)
                )
            )
        else:
            lines.append(f"  {k}: {va!r} vs {vb!r}")
    return "\n".join(lines)


# ---- references -------------------------------------------------------------------------


@dataclass
class Reference:
    result: dict[str, Any]
    t_open: float  # seconds from Popen to enable_wal
    t_run: float  # ... to the start of run() / the event loop
    t_end: float  # ... to its end
    t_exit: float  # ... to the process's exit

    @property
    def events(self) -> int:
        return int(self.result["statistics"]["ticks_processed"])


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Reference]:
    """The uninterrupted result of each (driver, policy), with its timeline.

    Also checks that the WAL and its policy change nothing: batch, none and
    no WAL at all give the same result on the same data.
    """
    d = tmp_path_factory.mktemp("kill9-ref")
    refs = {}
    for driver in DRIVERS:
        for sync in CONFIGS:
            res, t0 = run_to_end(_cmd(driver, d / f"{driver}-{sync}.wal", sync))
            i = res["info"]
            refs[driver, sync] = Reference(
                res, i["t_open"] - t0, i["t_run"] - t0, i["t_end"] - t0, time.time() - t0
            )
            assert len(res["deals"]) > 150, f"{driver}/{sync}: the strategy hardly trades"
            assert not res["positions"] and not res["orders"]
        plain, _ = run_to_end(_cmd(driver, d / f"{driver}-nowal.wal", "batch", "--no-wal"))
        for sync in ("batch", "none"):
            got = comparable(refs[driver, sync].result, driver)
            assert got == comparable(plain, driver), (
                f"{driver}: the WAL ({sync}) changes the result\n"
                f"{diff(got, comparable(plain, driver))}"
            )
    return refs


# ---- one round: start, kill, restart, ..., finish ------------------------------------------

#: window -> the stderr line the kill delay counts from (None: from Popen). A
#: "run" kill waits for the progress line ``P <percent>`` at or past its target
#: percent of the data (the script prints one per percent), then for its delay.
MARKERS = {
    "early": None,
    "any": None,
    "self": None,
    "open": "OPEN",
    "run": "P",
    "late": "END",
    "stop": "STOP",
}

#: a kill: (window, delay in s after the marker, target percent for "run")
Kill = tuple[str, float, float]


@dataclass
class Round:
    driver: str
    index: int
    sync: str
    kills: list[Kill]  # one per killed start
    log: Path
    extra: tuple[str, ...] = ()
    die: tuple[str, ...] = ()  # extra arguments of the killed starts only (--die-...)
    outcome: list[str] = field(default_factory=list)
    copies: list[Path] = field(default_factory=list)
    final: dict[str, Any] | None = None

    def describe(self) -> str:
        return f"{self.driver} round {self.index} (sync {self.sync}; {', '.join(self.outcome)})"


def draw_kill(ref: Reference, rng: random.Random, restart: bool) -> Kill:
    r = rng.random()
    # "run": a point of the data, then up to 5 ms (a few hundred ticks) more
    run = ("run", rng.uniform(0.0, 0.005), rng.uniform(0.0, 100.0))
    if restart:
        # a restarted process: anywhere in its life (recovery and warm-up
        # included), or inside what is left of its run
        return ("any", rng.uniform(0.0, ref.t_exit), 0.0) if r < 0.5 else run
    if r < 0.15:  # before the log exists
        return "early", rng.uniform(0.0, ref.t_open), 0.0
    if r < 0.25:  # creating the log and its first checkpoints
        return "open", rng.uniform(0.0, max(ref.t_run - ref.t_open, 0.02)), 0.0
    if r < 0.9:
        return run
    return "late", rng.uniform(0.0, max(ref.t_exit - ref.t_end, 0.01)), 0.0


def _reached(line: bytes, marker: str, target: float) -> bool:
    line = line.strip()
    if marker != "P":
        return line == marker.encode()
    if line in (b"END", b"STOP"):  # the run is over before the target
        return True
    return line.startswith(b"P ") and float(line[2:]) >= target


def start(rd: Round, k: int, kill: Kill) -> None:
    """One start of the script on the round's log, SIGKILLed as `kill` says."""
    window, delay, target = kill
    out = rd.log.with_name(f"{rd.log.stem}-start{k}.out")
    cmd = _cmd(rd.driver, rd.log, rd.sync, *rd.extra, *rd.die)
    with open(out, "wb") as stdout:
        p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=_env())
    assert p.stderr is not None
    marker = MARKERS[window]
    err = b""
    try:
        if marker is not None:
            for line in p.stderr:  # EOF if the process ends first
                err += line
                if _reached(line, marker, target):
                    break
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
        err += p.communicate(timeout=120)[1]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    what = f"{window}{f' {target:.1f}%' if window == 'run' else ''}+{delay:.3f}s"
    if p.returncode == -signal.SIGKILL:
        rd.outcome.append(f"killed@{what}")
    elif p.returncode == 0:
        rd.outcome.append(f"finished-before-kill@{what}")
    else:
        raise AssertionError(
            f"HQT_KILL9_SEED={SEED}: {rd.describe()}: start {k} failed "
            f"({p.returncode}):\n{_stderr_tail(err)}\n"
            f"  logs after each kill: {[str(c) for c in rd.copies]}"
        )
    if rd.log.exists():
        copy = rd.log.with_name(f"{rd.log.stem}-kill{k}.wal")
        shutil.copyfile(rd.log, copy)
        rd.copies.append(copy)


def play(rd: Round) -> Round:
    for k, kill in enumerate(rd.kills, 1):
        start(rd, k, kill)
    try:
        rd.final, _ = run_to_end(_cmd(rd.driver, rd.log, rd.sync, *rd.extra))
    except AssertionError as e:
        raise AssertionError(
            f"HQT_KILL9_SEED={SEED}: {rd.describe()}: the final start "
            f"failed: {e}\n  logs after each kill: "
            f"{[str(c) for c in rd.copies]}"
        ) from None
    return rd


def check(rounds: list[Round], reference: Callable[[Round], dict[str, Any]], summary: str) -> None:
    """Every round's final result against its reference result."""
    failures = []
    for rd in rounds:
        assert rd.final is not None
        want = comparable(reference(rd), rd.driver)
        got = comparable(rd.final, rd.driver)
        if got != want:
            again = _cmd(rd.driver, rd.copies[-1] if rd.copies else rd.log, rd.sync, *rd.extra)
            failures.append(
                f"{rd.describe()}; final recovery {rd.final['info'].get('recovery')}:\n"
                f"{diff(got, want)}\n"
                f"  logs after each kill: {[str(c) for c in rd.copies]}\n"
                f"  reproduce: {_shell(again)}"
            )
    assert not failures, (
        f"HQT_KILL9_SEED={SEED}: {len(failures)} of {len(rounds)} resumed "
        f"runs differ from the uninterrupted one\n{summary}\n" + "\n".join(failures[:5])
    )


def summarize(
    driver: str, rounds: list[Round], refs: dict[tuple[str, str], Reference], elapsed: float
) -> str:
    kills = [o for rd in rounds for o in rd.outcome if o.startswith("killed")]
    missed = sum(o.startswith("finished") for rd in rounds for o in rd.outcome)
    by_window: dict[str, int] = {}
    for o in kills:
        w = o.split("@")[1].split("+")[0].split(" ")[0]
        by_window[w] = by_window.get(w, 0) + 1
    recov = [(rd, (rd.final or {}).get("info", {}).get("recovery")) for rd in rounds]
    mid = sum(
        1 for rd, r in recov if r and 0 < r["events_processed"] < refs[driver, rd.sync].events
    )
    discarded = sum(1 for _, r in recov if r and r["records_discarded"])
    torn = sum(1 for _, r in recov if r and r["torn_bytes_dropped"])
    syncs = {s: sum(rd.sync == s for rd in rounds) for s in CONFIGS}
    return (
        f"kill9 {driver}: seed {SEED}, {len(rounds)} rounds {syncs}, {len(kills)} kills "
        f"{by_window} ({missed} starts ended before their kill), {mid} final recoveries "
        f"mid-run, {discarded} with the last event's records discarded, {torn} with a torn "
        f"tail; {elapsed:.1f}s"
    )


# ---- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("driver", DRIVERS)
def test_kill9_loop(
    driver: str, references: dict[tuple[str, str], Reference], tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-{driver}")
    rounds = []
    for i in range(ROUNDS):
        sync = SYNC_ROTATION[i % len(SYNC_ROTATION)]
        ref = references[driver, sync]
        kills = [draw_kill(ref, rng, restart=False)]
        if rng.random() < 0.35:
            kills.append(draw_kill(ref, rng, restart=True))
        rounds.append(Round(driver, i, sync, kills, tmp_path / f"{driver}-{i}.wal"))
    t0 = time.time()
    with cf.ThreadPoolExecutor(JOBS) as ex:
        rounds = list(ex.map(play, rounds))
    summary = summarize(driver, rounds, references, time.time() - t0)
    print("\n" + summary)
    check(rounds, lambda rd: references[rd.driver, rd.sync].result, summary)
    # the loop must really have interrupted runs, not only start-ups
    mid = sum(
        1
        for rd in rounds
        if 0
        < ((rd.final or {})["info"].get("recovery") or {}).get("events_processed", 0)
        < references[driver, rd.sync].events
    )
    assert mid >= len(rounds) // 4, (
        f"HQT_KILL9_SEED={SEED}: too few kills landed in a run\n{summary}"
    )


STOP_SLEEP = 0.4


@pytest.mark.parametrize(
    "driver",
    [
        "run",
        "events",
    ],
)
def test_kill9_final_stretch(
    driver: str, references: dict[tuple[str, str], Reference], tmp_path: Path
) -> None:
    """Kills while on_stop runs (slowly): the last bar was flushed, the final checkpoint not written.

    Policy ``always``, so that every record before the kill is in the file
    (under batch/none the records of the end of a run reach the file as one
    group together with the final checkpoint).
    """
    rng = random.Random(f"{SEED}-stop-{driver}")
    rounds = [
        Round(
            driver,
            i,
            "always",
            [("stop", rng.uniform(0.05, STOP_SLEEP - 0.05), 0.0)],
            tmp_path / f"{driver}-stop-{i}.wal",
            ("--stop-sleep", str(STOP_SLEEP)),
        )
        for i in range(2)
    ]
    with cf.ThreadPoolExecutor(JOBS) as ex:
        rounds = list(ex.map(play, rounds))
    # the final start was given --stop-sleep too: it does not change the result
    summary = f"kill9 final stretch {driver}: " + "; ".join(", ".join(rd.outcome) for rd in rounds)
    print("\n" + summary)
    assert all(o.startswith("killed") for rd in rounds for o in rd.outcome), summary
    check(rounds, lambda rd: references[rd.driver, rd.sync].result, summary)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "recovery bug: with process_event and no loaded data, recovery cannot re-walk the ticks "
        "between the last checkpoint and the resume point, and the engine's bar builders keep "
        "their checkpoint state: the bar in progress misses those ticks (wrong open/high/low/"
        "volume), a bar that was in progress at the checkpoint is delivered again, late, and "
        "bars_processed is short. A strategy on bars built by the engine then trades "
        "differently (or fails: an expiration computed from the stale bar's time is in the past)"
    ),
)
def test_kill9_events_engine_bars(tmp_path: Path) -> None:
    """The events driver on bars built by the engine (build_bars + process_event).

    Deterministic: the first start SIGKILLs itself right after a given tick
    (policy ``always``: every record before it is in the file), checkpoints
    every 200 records so that one stands a few minutes before the kill.
    """
    extra = ("--engine-bars", "--checkpoint-every", "200")
    ref, _ = run_to_end(_cmd("events", tmp_path / "ref.wal", "always", *extra))
    rounds = [
        Round(
            "events",
            k,
            "always",
            [("self", 120.0, 0.0)],
            tmp_path / f"bars-{k}.wal",
            extra,
            ("--die-at-tick", str(k)),
        )
        for k in (5000, 11000)
    ]
    done, failed = [], []
    for rd in rounds:
        try:
            done.append(play(rd))
        except AssertionError as e:  # the resumed start failed
            failed.append(f"{rd.describe()}: {e}")
    assert not failed, "\n".join(failed)
    check(done, lambda rd: ref, "kill9 events on engine-built bars")


def test_kill9_inside_on_start(tmp_path: Path) -> None:
    """The run driver with two deposits in on_start, SIGKILLed (by itself) between them."""
    extra = ("--start-deposits",)
    ref, _ = run_to_end(_cmd("run", tmp_path / "ref.wal", "always", *extra))
    rd = play(
        Round(
            "run",
            0,
            "always",
            [("self", 120.0, 0.0)],
            tmp_path / "start.wal",
            extra,
            ("--die-in-start",),
        )
    )
    check([rd], lambda rd: ref, "kill9 inside on_start")


@pytest.mark.parametrize("driver", ("run", "stateful"))
def test_sigint_loop(
    references: dict[tuple[str, str], Reference], driver: str, tmp_path: Path
) -> None:
    """Ctrl-C, then run() again, over and over (issue 10, item 4).

    Real SIGINTs at random moments (one every 5 ms on average, 9 seeds), each
    pausing the run between two events and run() continuing it: every run
    ends with the uninterrupted result, the stateful strategy's counters
    (changed in on_tick, on_bar and on_trade) included. Before the run could
    pause, KeyboardInterrupt ended it inside a callback and the continued run
    started over with on_start: 8 of 9 such runs ended differently.
    """
    ref = comparable(references[driver, "batch"].result, driver)
    pauses = 0
    for seed in range(1, 10):
        cmd = _cmd(driver, tmp_path / f"sigint-{seed}.wal", "batch")
        got, _ = run_to_end([*cmd, "--sigint-every", "5", "--sigint-seed", str(seed)])
        assert got["info"]["sigints"] >= 1, "no SIGINT reached the run: nothing was tested"
        pauses += got["info"]["pauses"]
        assert comparable(got, driver) == ref, (
            f"seed {seed}: {got['info']['pauses']} pauses; {diff(comparable(got, driver), ref)}"
        )
    assert pauses >= 9, f"only {pauses} pauses in 9 runs"
