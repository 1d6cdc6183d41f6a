"""The main job (scripts/demo.sh runs examples/demo.py): a small run of it
broadcasts, logs and ends with the gap-repairing subscriber holding exactly
the engine's deals."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import ROOT


def test_the_demo_broadcasts_logs_and_its_mirror_ends_exact(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    wal = tmp_path / "demo.wal"
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--ticks", "60000", "--wal", str(wal)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "its deals equal engine.deals" in out, out
    assert "TRADE     sent" in out and "write-ahead log" in out and "POSITION_OPEN" in out
    assert wal.stat().st_size > 0
