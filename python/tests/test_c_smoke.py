"""Compile python/tests/c/smoke.c against include/hqt.h, link libhqt.so, run it.

The program runs a small bar-driven backtest through C callbacks. The test
checks its output for consistency, and replays the same backtest through the
Python API (same generated ticks, same rule) to require identical deals.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import hqt
from conftest import HEADER, LIBHQT, T0

SMOKE = Path(__file__).parent / "c" / "smoke.c"
N_TICKS = 3000
MASK = (1 << 64) - 1

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")


@pytest.fixture(scope="module")
def smoke_output(tmp_path_factory) -> str:
    exe = tmp_path_factory.mktemp("smoke") / "smoke"
    build = subprocess.run(
        [
            "gcc",
            "-std=c11",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            str(HEADER.parent),
            str(SMOKE),
            "-L",
            str(LIBHQT.parent),
            "-lhqt",
            f"-Wl,-rpath,{LIBHQT.parent}",
            "-o",
            str(exe),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def parse_deals(out: str) -> list[dict[str, int]]:
    deals = []
    for line in out.splitlines():
        if line.startswith("deal "):
            fields = dict(kv.split("=") for kv in line.split()[2:])
            deals.append({k: int(v) for k, v in fields.items()})
    return deals


def test_smoke_program_output(smoke_output):
    lines = smoke_output.splitlines()
    assert lines[0] == f"hqt {hqt.version()}"
    assert lines[-1] == "ok"
    deals = parse_deals(smoke_output)
    assert len(deals) >= 10, "the rule trades"
    acct = dict(
        kv.split("=") for kv in next(l for l in lines if l.startswith("account ")).split()[1:]
    )
    stats = dict(
        kv.split("=") for kv in next(l for l in lines if l.startswith("stats ")).split()[1:]
    )
    assert int(stats["deals"]) == int(stats["listed"]) == int(stats["seen"]) == len(deals)
    assert int(stats["ticks"]) == N_TICKS
    balance = 10_000_000_000 + sum(d["profit"] + d["commission"] for d in deals)
    assert int(acct["balance"]) == balance == deals[-1]["balance"]
    assert int(stats["net"]) == balance - 10_000_000_000
    assert acct["currency"] == "USD"
    assert all(d["commission"] == -300_000 for d in deals), "3.00/lot x 0.1 lot per side"
    assert "bad null-handle HQT_E_INVALID_ARGUMENT 1" in lines
    assert "bad unknown-ticket HQT_E_UNKNOWN_TICKET 1" in lines
    assert "bad negative-volume HQT_E_INVALID_VOLUME" in lines
    assert "bad null-out HQT_E_INVALID_ARGUMENT" in lines
    assert re.search(r"^stop bars=\d+$", smoke_output, re.M)


def smoke_ticks() -> tuple[list[int], list[int], list[int]]:
    """The same ticks as smoke.c's generator."""
    state = 42

    def rnd() -> int:
        nonlocal state
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK
        return state >> 33

    t, bid, ask = [], [], []
    time, price = T0, 1_100_000
    for _ in range(N_TICKS):
        time += (1 + rnd() % 3) * 1_000_000_000
        price += (rnd() % 21 - 10) * 10
        t.append(time)
        bid.append(price)
        ask.append(price + 10 + (rnd() % 3) * 10)
    return t, bid, ask


def test_python_api_reproduces_the_c_backtest(smoke_output):
    t, bid, ask = smoke_ticks()
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD", commission_per_lot=3.0)
    e.load_ticks_micro(0, t, bid, ask)

    class SameRule(hqt.Strategy):
        bars = [(0, hqt.M1)]
        ticket = 0
        side = 0

        def on_bar(self, engine, bar):
            up, down = bar.close_micro > bar.open_micro, bar.close_micro < bar.open_micro
            if not self.ticket:
                if up or down:
                    self.ticket = engine.buy(0, 0.1) if up else engine.sell(0, 0.1)
                    self.side = hqt.BUY if up else hqt.SELL
            elif (self.side == hqt.BUY and down) or (self.side == hqt.SELL and up):
                engine.close(self.ticket)
                self.ticket = 0

    e.run(SameRule())
    mine = [
        {
            "pos": d.position,
            "time": d.time,
            "type": d.type,
            "entry": d.entry,
            "price": d.price_micro,
            "volume": d.volume_micro,
            "commission": d.commission_micro,
            "profit": d.profit_micro,
            "balance": d.balance_micro,
        }
        for d in e.deals
    ]
    assert mine == parse_deals(smoke_output)


# ---- ABI compatibility: a program built against the 0.1 header (frozen
# copy in c/frozen/) runs unchanged against today's libhqt.so, and gives
# exactly what the same program written with the sized 0.2 structs gives.

ABI_COMPAT = Path(__file__).parent / "c" / "abi_compat.c"
FROZEN_0_1 = Path(__file__).parent / "c" / "frozen"


def _build_and_run_abi_compat(tmp_path: Path, flags: list[str], name: str) -> tuple[str, Path]:
    exe, wal = tmp_path / name, tmp_path / f"{name}.wal"
    build = subprocess.run(
        [
            "gcc",
            "-std=c11",
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            *flags,
            str(ABI_COMPAT),
            "-L",
            str(LIBHQT.parent),
            "-lhqt",
            f"-Wl,-rpath,{LIBHQT.parent}",
            "-o",
            str(exe),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe), str(wal)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout, wal


def test_program_built_against_the_0_1_header_runs_on_this_library(tmp_path):
    from hqt import wal as walfile
    from hqt.constants import ABI_VERSION

    old, old_wal = _build_and_run_abi_compat(tmp_path, ["-I", str(FROZEN_0_1)], "abi_0_1")
    new, new_wal = _build_and_run_abi_compat(
        tmp_path, ["-DUSE_V2", "-I", str(HEADER.parent)], "abi_0_2"
    )
    current = "%d.%d.%d" % ABI_VERSION
    assert old.splitlines()[0] == f"header 0.1.0 library {current}"
    assert new.splitlines()[0] == f"header {current} library {current}"
    assert old.splitlines()[1:] == new.splitlines()[1:], (
        "old layout and sized structs: same backtest"
    )

    lines = old.splitlines()
    assert lines[-1] == "ok"
    deals = [l for l in lines if l.startswith("deal ")]
    kv = {
        k: int(v)
        for l in lines
        if l.startswith(("callbacks ", "broadcast "))
        for k, v in (p.split("=") for p in l.split()[1:])
    }
    assert kv["starts"] == 1 and kv["stops"] == 1, "on_start / on_stop of the old struct called"
    assert kv["ticks"] == 600, "590 through run, 10 through process_event"
    assert kv["bars"] >= 10 and kv["deals"] == len(deals) >= 10
    assert kv["tick_frames"] == 600 and kv["trade_frames"] >= len(deals), (
        "old broadcast options read right"
    )
    assert kv["wal"] == 1
    for path in (old_wal, new_wal):  # the old WAL options were read right: a valid log
        assert len(walfile.read_records(str(path))) > 0
