"""Swaps (issue 9 item 2) through ``hqt``; the Swift twin is
Tests/HQTTests/Core/SwapTests.swift.

MT5 sources: MQL5 book, "Getting swap sizes"
(mql5.com/en/book/automation/symbols/symbols_swaps): ENUM_SYMBOL_SWAP_MODE,
SYMBOL_SWAP_LONG / _SHORT, SYMBOL_SWAP_ROLLOVER3DAYS (ENUM_DAY_OF_WEEK,
0 = Sunday). One day of a position of ``lots``: points: swap x point x
contract x lots (profit currency); base/margin/deposit currency: swap x lots
in that currency; interest_current / interest_open: price (now / at open) x
contract x lots x swap / 100 / 360. A rollover (00:00 by default) charges
the day ending at it: Saturday and Sunday nothing, swap_rollover3days three.
The swap stays on the position (its ``profit``, equity) until a closing deal
books it into the balance inside the deal's and trade's ``profit``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import hqt
import hqt.wal as wal
import hqt.wal_records as W

SEC = 10**9
HOUR = 3600 * SEC
DAY = 86_400 * SEC
MONDAY = 1_704_067_200 * SEC  # 2024-01-01 00:00 UTC, a Monday
M = 1_000_000


def at(day: int, hour: float = 0.0) -> int:
    return MONDAY + day * DAY + int(hour * HOUR)


def engine(**spec: object) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    spec.setdefault("base_currency", "USD")
    spec.setdefault("profit_currency", "USD")
    e.add_symbol("S", **spec)
    return e


def tick(e: hqt.Engine, t: int, bid: float, sym: int = 0) -> None:
    e.process_event(hqt.Tick(sym, t, bid, bid))


def test_points_swap_is_on_the_position_in_equity_and_booked_at_close():
    e = engine(swap_mode="points", swap_long=-7.5, swap_short=2.0)
    tick(e, at(0, 10), 1.2)
    buy = e.buy(0, 1.0)
    sell = e.sell(0, 1.0)
    tick(e, at(0, 23), 1.2)
    assert [p.profit for p in e.positions] == [0.0, 0.0]
    # Tuesday 00:00 ends Monday: buy -7.5 x 0.00001 x 100 000 = -7.5, sell +2.
    tick(e, at(1, 0.5), 1.2)
    assert [p.profit for p in e.positions] == [-7.5, 2.0]
    assert e.balance == 10_000.0 and e.equity == 10_000.0 - 5.5
    e.close(buy)
    e.close(sell)
    assert [d.profit for d in e.deals[2:]] == [-7.5, 2.0]
    assert [t.profit for t in e.trades] == [-7.5, 2.0]
    assert e.balance == e.equity == 9_994.5
    assert e.statistics().net_profit == pytest.approx(-5.5)


def test_triple_day_weekend_and_the_configured_triple_day():
    e = engine(swap_mode="deposit_currency", swap_long=-1.0)
    tick(e, at(0, 10), 1.2)  # Monday
    e.buy(0, 1.0)
    # to the next Monday 10:00: Mon, Tue 1, Wed 3 (default), Thu, Fri 1, Sat/Sun 0 = 7
    tick(e, at(7, 10), 1.2)
    assert e.positions[0].profit == -7.0
    e2 = engine(swap_mode="deposit_currency", swap_long=-1.0, swap_rollover3days=5)
    tick(e2, at(2, 10), 1.2)  # Wednesday
    e2.buy(0, 1.0)
    tick(e2, at(3, 1), 1.2)  # ends Wednesday: one day, Friday is the triple day
    assert e2.positions[0].profit == -1.0
    tick(e2, at(5, 1), 1.2)  # Thursday 1 + Friday 3
    assert e2.positions[0].profit == -5.0
    assert e2.symbol(0).swap_rollover3days == 5


def test_interest_and_currency_modes():
    # -3.6 %/year on 1 lot: 125 000 USD at the rollover price, 120 000 at open.
    for mode, expected in [("interest_current", -12.5), ("interest_open", -12.0)]:
        e = engine(swap_mode=mode, swap_long=-3.6)
        tick(e, at(0, 10), 1.2)
        e.buy(0, 1.0)
        tick(e, at(0, 20), 1.25)
        tick(e, at(1, 1), 1.25)
        assert e.positions[0].profit == pytest.approx(expected + 5000.0), mode  # + price profit
    # EURUSD on a USD account at 1.1: -3 EUR per lot = -3.3 USD
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD", swap_mode=hqt.SwapMode.BASE_CURRENCY, swap_long=-3.0)
    tick(e, at(0, 10), 1.1)
    e.buy(0, 1.0)
    tick(e, at(1, 1), 1.1)
    assert e.positions[0].profit == pytest.approx(-3.3)
    assert e.symbol(0).swap_mode == hqt.SwapMode.BASE_CURRENCY


def test_rollover_time():
    e = engine(swap_mode="deposit_currency", swap_long=-2.0)
    assert e.rollover_time == 0
    e.rollover_time = 22 * 3600
    assert e.rollover_time == 79_200
    tick(e, at(0, 10), 1.2)
    e.buy(0, 0.5)
    tick(e, at(0, 22) - SEC, 1.2)
    assert e.positions[0].profit == 0.0
    tick(e, at(0, 22), 1.2)  # Monday 22:00 ends Monday: -2 x 0.5
    assert e.positions[0].profit == -1.0
    for bad in (-1, 86_400, 1.5, True):
        with pytest.raises(hqt.InvalidArgumentError):
            e.rollover_time = bad  # type: ignore[assignment]


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"swap_mode": "reopen_bid"}, "swap_mode"),
        ({"swap_mode": 9}, "swap_mode"),
        ({"swap_mode": True}, "swap_mode"),
        ({"swap_mode": "points", "swap_rollover3days": 7}, "swap_rollover3days"),
        ({"swap_mode": "points", "swap_long": 2e6}, "swap_long"),
        ({"swap_mode": "points", "swap_short": float("nan")}, "swap_short"),
    ],
)
def test_bad_swap_fields_raise(kwargs, needle):
    e = hqt.Engine(1000.0)
    with pytest.raises(hqt.InvalidArgumentError, match=needle):
        e.add_symbol("S", base_currency="USD", profit_currency="USD", **kwargs)


def test_fingerprint_and_swap_records(tmp_path):
    e = engine(swap_mode="points", swap_long=-7.5, swap_short=2.0, swap_rollover3days=4)
    e.rollover_time = 3600
    report = e.enable_wal(tmp_path / "s.wal")
    config = W.SymbolConfig(
        "S", "USD", "USD", swap_mode=1, swap_long=-7_500_000, swap_short=2 * M, swap_rollover3days=4
    )
    assert report.fingerprint == W.configuration_fingerprint(
        10_000 * M, "USD", 100, [config], rollover_time=3600
    )
    tick(e, at(0, 10), 1.2)
    e.buy(0, 1.0)
    tick(e, at(1, 2), 1.2)
    e.disable_wal()
    records = [r for r in wal.read_records(str(tmp_path / "s.wal")) if r.type == W.SWAP]
    assert len(records) == 1
    swap = W.decode(records[0].type, records[0].data)
    assert swap.charges == ((1, -7_500_000),) and swap.phase == W.Phase.ROLLOVER


# ---- kill -9: a multi-week run with swaps, killed and resumed, gives the same numbers

SCRIPT = r"""
import json, sys
import numpy as np
import hqt

log, die_after = sys.argv[1], int(sys.argv[2])
SEC, DAY = 10**9, 86_400 * 10**9
T0 = 1_704_067_200 * SEC
e = hqt.Engine(100_000.0, "USD", 100)
e.add_symbol("EURUSD", swap_mode="points", swap_long=-7.3, swap_short=2.1)
e.add_symbol("US500", base_currency="USD", profit_currency="USD", calc_mode="cfd",
              contract_size=1, digits=2, swap_mode="interest_current", swap_long=-5.5,
              swap_short=1.25, swap_rollover3days=5)
e.rollover_time = 23 * 3600
rng = np.random.default_rng(5)
for s, (p0, step) in enumerate([(1.1, 0.0003), (5000.0, 2.5)]):
    t = T0 + np.arange(0, 21 * DAY, 10 * 60 * SEC, dtype=np.int64) + s * SEC
    t = t[((t // DAY + 4) % 7 != 0) & ((t // DAY + 4) % 7 != 6)]
    bid = p0 + np.cumsum(rng.integers(-4, 5, len(t))) * step
    e.load_ticks(s, t, bid, bid + step)

class S(hqt.Strategy):
    n = 0
    def on_tick(self, engine, tick):
        S.n += 1
        if S.n == die_after:
            import os, signal
            os.kill(os.getpid(), signal.SIGKILL)
        k = (tick.time - T0) // (10 * 60 * SEC)
        mine = [p for p in engine.positions if p.symbol_id == tick.symbol_id]
        if k % 37 == 3 and len(mine) < 3:
            engine.buy(tick.symbol_id, 1.0)
        elif k % 41 == 5 and len(mine) < 3:
            engine.sell(tick.symbol_id, 2.0)
        elif k % 97 == 7 and mine:
            engine.close(mine[0].ticket)
    def on_stop(self, engine):
        for p in engine.positions:
            engine.close(p.ticket)

import os
existed = os.path.exists(log) and os.path.getsize(log) > 0
e.enable_wal(log, truncate=False, checkpoint_every=64)
if existed:
    e.recover_from_wal()
    e.run(S(), resume=True)
else:
    e.run(S())
print(json.dumps({
    "deals": [(d.ticket, d.profit, d.balance) for d in e.deals],
    "balance": e.balance, "equity": e.equity,
    "net": e.statistics().net_profit,
}))
"""


def test_kill9_resume_gives_identical_swaps(tmp_path):
    script = tmp_path / "swap_run.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(Path(hqt.__file__).resolve().parents[1]))

    def run(log: Path, die_after: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), str(log), str(die_after)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    reference = run(tmp_path / "ref.wal", 0)
    assert reference.returncode == 0, reference.stderr
    ref = json.loads(reference.stdout)
    assert len(ref["deals"]) > 20
    # swaps were charged on many rollovers (SWAP records in the log)
    assert sum(r.type == W.SWAP for r in wal.read_records(str(tmp_path / "ref.wal"))) > 10
    for die_after in (700, 1900, 3100):
        log = tmp_path / f"k{die_after}.wal"
        killed = run(log, die_after)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        resumed = run(log, 0)
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout) == ref, f"killed after {die_after} ticks"


def test_the_reopen_modes_are_refused_with_the_reason():
    """SYMBOL_SWAP_MODE_REOPEN_CURRENT / _REOPEN_BID (7, 8) are left out:
    docs/engine.md, "Reopen modes (left out)"."""
    for mode in ("reopen_current", "reopen_bid", 7, 8):
        with pytest.raises(hqt.InvalidArgumentError, match="REOPEN.*not modelled"):
            engine(swap_mode=mode)
