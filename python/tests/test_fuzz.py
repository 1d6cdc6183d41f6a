"""The short, bounded pass of the libFuzzer targets in fuzz/ (docs/fuzzing.md).

scripts/fuzz.sh builds the targets (debug, -sanitize=fuzzer,address), runs
each over its committed seeds plus a few seconds of new inputs, and fails on
any crash, sanitizer report or undocumented status. The long runs are the
same script with --seconds / --runs, outside the test suite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECONDS = os.environ.get("HQT_FUZZ_SECONDS", "5")

pytestmark = pytest.mark.skipif(shutil.which("swift") is None, reason="needs the Swift toolchain")


def test_fuzz_targets_short_pass() -> None:
    run = subprocess.run(
        [str(ROOT / "scripts" / "fuzz.sh"), "--debug", "--seconds", SECONDS],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if run.returncode == 77:
        pytest.skip(f"no libFuzzer runtime in this toolchain: {run.stderr.strip()}")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    # Both targets ran and executed inputs: libFuzzer's final statistics.
    counts = [int(n) for n in re.findall(r"stat::number_of_executed_units: (\d+)", run.stdout)]
    assert len(counts) == 2, run.stdout[-4000:]
    assert all(n > 0 for n in counts), counts
