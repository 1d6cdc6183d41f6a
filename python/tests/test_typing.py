"""Static types: mypy (strict, configured in python/pyproject.toml) on the whole package,
and mypy.stubtest of the extension's stubs (hqt/_hqt.pyi) against the built module."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import PYDIR

pytest.importorskip("mypy")


def _run(
    args: list[str], cwd: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(PYDIR), **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> str:
    """One mypy cache for the module: numpy's stubs are analysed once."""
    return str(tmp_path_factory.mktemp("mypy-cache"))


def test_mypy_strict_on_the_package(cache_dir):
    r = _run(["mypy", "-p", "hqt", "--cache-dir", cache_dir], cwd=str(PYDIR))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Success" in r.stdout


def test_stubtest_extension_stubs(tmp_path):
    """Every name of hqt._hqt is in the stub with the runtime's signature, and nothing more.

    The stub is checked on its own (copied under an empty hqt package) so that
    stubtest does not analyse the whole pure-Python package again.
    """
    pkg = tmp_path / "stubs" / "hqt"
    pkg.mkdir(parents=True)
    shutil.copy(PYDIR / "hqt" / "_hqt.pyi", pkg / "_hqt.pyi")
    (pkg / "__init__.pyi").write_text("")
    cfg = tmp_path / "mypy.ini"
    cfg.write_text(f"[mypy]\nmypy_path = {tmp_path / 'stubs'}\ncache_dir = {tmp_path / 'cache'}\n")
    r = _run(["mypy.stubtest", "hqt._hqt", "--mypy-config-file", str(cfg)], cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr


def test_public_api_is_typed_for_users(tmp_path, cache_dir):
    """A user's strict script type-checks against hqt (py.typed is honoured)."""
    script = tmp_path / "user.py"
    script.write_text("""
import hqt
from hqt.results import BacktestResult
from hqt.testing import random_walk_ticks, assert_flat_at_end

class S(hqt.Strategy):
    def on_tick(self, engine: hqt.Engine, tick: hqt.Tick) -> None:
        if not engine.positions:
            engine.buy(tick.symbol_id, 0.1, sl=tick.bid - 0.001)

def main() -> float:
    e = hqt.Engine(10_000.0, "USD", 100)
    sid = e.add_symbol("EURUSD")
    t = random_walk_ticks(100, seed=1)
    e.load_ticks(sid, t.time, t.bid, t.ask)
    r: BacktestResult = e.run(S(), progress=False)
    e.close_all()
    assert_flat_at_end(e)
    return r.statistics.net_profit + float(r.stats_dict()["return_pct"])
""")
    r = _run(
        ["mypy", "--strict", "--cache-dir", cache_dir, str(script)],
        cwd=str(tmp_path),
        env_extra={"MYPYPATH": str(PYDIR)},
    )
    assert r.returncode == 0, r.stdout + r.stderr
