"""hqt.monitor: the state it folds from frames and the command line against a
live pyzmq publisher of struct-built frames."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import pytest

from broadcast_helpers import PYTHON_DIR, T0, Publisher, frame
from hqt.monitor import MonitorState, main
from hqt.subscriber import ACCOUNT, EQUITY, MARGIN, POSITION, TICK, TRADE, SubscriberStats, decode

# A small scenario: two symbols quoting, two positions opened, one closed,
# a deal, account updates and a stop-out.
SCENARIO = [
    frame(TICK, 0, T0, 1_084_550, 1_084_570),
    frame(TICK, 1, T0 + 1, 151_230_000, 151_250_000),
    frame(POSITION, 101, 0, T0 + 2, (0 << 4) | 0, 10_000, 1_084_570, 1_080_000, 0, 0),
    frame(POSITION, 102, 1, T0 + 3, (0 << 4) | 1, 250_000, 151_230_000, 0, 150_000_000, -2_500_000),
    frame(POSITION, 101, 0, T0 + 4, (2 << 4) | 0, 10_000, 1_084_570, 1_080_000, 0, 1_230_000),
    frame(TRADE, 7, 0, T0 + 4, 10_000, 1_085_800, 1_230_000),
    frame(EQUITY, T0 + 5, 10_001_230_000, 9_998_730_000, 50_000_000, 9_948_730_000),
    frame(ACCOUNT, T0 + 5, 10_001_230_000, 9_998_730_000, -2_500_000, 19_997_460_000),
    frame(MARGIN, T0 + 6, 50_000_000, 9_948_730_000, 19_997_460_000, 2),
    frame(TICK, 0, T0 + 7, 1_085_800, 1_085_820),
]


def test_state_folds_the_scenario():
    stats = SubscriberStats()
    state = MonitorState(stats, started=0.0)
    for f in SCENARIO:
        r = decode(f)
        stats.observe(r)
        state.update(r)
    assert set(state.positions) == {102}
    assert state.ticks[0].bid == 1_085_800 and state.ticks[1].ask == 151_250_000
    assert (state.balance, state.equity, state.margin_level) == (
        10_001_230_000,
        9_998_730_000,
        19_997_460_000,
    )
    assert state.margin_event is not None and state.margin_event.event_name == "STOP_OUT"
    state.sample_rates(2.0)
    assert state.rates[TICK] == 1.5  # 3 ticks over 2 s
    text = state.render("tcp://x", now=2.0)
    assert "open positions (1)" in text
    assert re.search(
        r"^\s+102\s+1 SELL\s+0\.25\s+151\.230000\s+-\s+150\.000000\s+-2\.50$", text, re.M
    )
    assert re.search(
        r"^\s+0\s+1\.085800\s+1\.085820\s+0\.000020\s+2023-11-14 22:13:20\.123456$", text, re.M
    )
    assert "balance        10,001.23" in text and "equity              9,998.73" in text
    assert "margin level 19,997.46 %" in text
    assert "last margin event: STOP_OUT" in text
    assert "last deal: #7 symbol 0 0.01 lots at 1.085800, profit 1.23" in text
    assert re.search(r"^TICK\s+3\s+1\.5\s+1\.5$", text, re.M)


def _publish_rounds(pub: Publisher, rounds: int, errors: list) -> None:
    """Waits for the monitor's subscription, then sends the scenario `rounds` times."""
    try:
        pub.wait_for_subscriptions(1, timeout=15)
        for _ in range(rounds):
            for f in SCENARIO:
                pub.send(f)
            time.sleep(0.002)
    except Exception as e:  # reported by the test, not lost in the thread
        errors.append(e)


def _run_monitor(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    env = dict(
        os.environ, PYTHONPATH=str(PYTHON_DIR) + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    return subprocess.run(
        [sys.executable, "-m", "hqt.monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_monitor_duration_against_a_live_publisher():
    pub = Publisher()
    rounds, errors = 200, []
    feeder = threading.Thread(target=_publish_rounds, args=(pub, rounds, errors))
    feeder.start()
    try:
        start = time.monotonic()
        result = _run_monitor(pub.endpoint, "--duration", "2.5", "--interval", "0.5")
        elapsed = time.monotonic() - start
    finally:
        feeder.join()
        pub.close()
    assert not errors
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 2.4 < elapsed < 15
    assert out.count("HQT monitor") == 1, "not a terminal: only the final report"
    counts = {
        m[1]: (int(m[2]), float(m[3]))
        for m in re.finditer(r"^(\w+)\s+(\d+)\s+[\d.]+\s+([\d.]+)$", out, re.M)
    }
    # Per round: 3 ticks, 3 position frames, one deal, equity, account, margin.
    assert {k: v[0] for k, v in counts.items()} == {
        "TICK": 3 * rounds,
        "BAR": 0,
        "TRADE": rounds,
        "ORDER": 0,
        "EQUITY": rounds,
        "MARGIN": rounds,
        "POSITION": 3 * rounds,
        "ACCOUNT": rounds,
        "all": 10 * rounds,
    }
    assert counts["TICK"][1] > 0 and counts["BAR"][1] == 0.0
    assert re.search(
        r"^\s+0\s+1\.085800\s+1\.085820\s+0\.000020\s+2023-11-14 22:13:20\.123456$", out, re.M
    )
    assert re.search(r"^\s+1\s+151\.230000\s+151\.250000\s+0\.020000", out, re.M)
    assert "balance        10,001.23" in out and "equity              9,998.73" in out
    assert "margin level 19,997.46 %" in out
    assert "last margin event: STOP_OUT" in out
    assert "open positions (1)" in out and re.search(r"^\s+102\s+1 SELL\s+0\.25", out, re.M)
    assert not re.search(r"^\s+101\s", out, re.M), "position 101 was closed"
    assert "orphan position updates 0" in out


def test_monitor_once_without_a_publisher_reports_nothing_yet():
    result = _run_monitor("tcp://127.0.0.1:1", "--once", "--interval", "0.3")
    assert result.returncode == 0, result.stderr
    assert "(none yet)" in result.stdout and "open positions (0)" in result.stdout
    assert re.search(r"^all\s+0\s", result.stdout, re.M)


def test_monitor_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit) as e:
        main(["tcp://127.0.0.1:1", "--interval", "0"])
    assert e.value.code == 2
    assert "--interval must be > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["tcp://127.0.0.1:1", "--public-key", "x" * 40])


def test_monitor_without_pyzmq_names_the_extra_to_install():
    # sys.modules["zmq"] = None makes `import zmq` fail as if pyzmq were not installed.
    code = "import sys, runpy; sys.modules['zmq'] = None; runpy.run_module('hqt.monitor', run_name='__main__')"
    r = subprocess.run(
        [sys.executable, "-c", code, "tcp://localhost:1"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PYTHON_DIR)},
        timeout=60,
    )
    assert r.returncode == 1
    assert "pip install 'hqt-engine[zmq]'" in r.stderr
    assert "Traceback" not in r.stderr
