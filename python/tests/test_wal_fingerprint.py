"""Recovery refuses other data (issue 10, item 3), through hqt; and logs of
HQT 0.1 (snapshot v3, no data fingerprint) still recover and decode.

data/hqt_0_1_killed.wal was written by HQT 0.1.0 (commit cccf4eb) with::

    e = make_engine(random_walk_ticks(3000, seed=5))
    e.enable_wal(path, sync="always")
    e.run(Trader())   # Trader below, plus os.kill(os.getpid(), SIGKILL) at tick 2,000
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import hqt
from hqt import wal, wal_records
from hqt.testing import make_engine, random_walk_ticks

DATA = Path(__file__).parent / "data"


class Trader(hqt.Strategy):
    """Flat → buy 0.1, long → close, every 250 ticks."""

    def __init__(self) -> None:
        self.n = 0

    def on_tick(self, engine: hqt.Engine, tick: hqt.Tick) -> None:
        self.n += 1
        if self.n % 250 == 0:
            if engine.positions:
                engine.close_all()
            else:
                engine.buy(0, 0.1)


def logged_run(path: Path, ticks: hqt.TickData) -> hqt.Engine:
    e = make_engine(ticks)
    e.enable_wal(path, sync="none", checkpoint_every=5)
    e.run(Trader(), progress=False)
    e.dispose()  # no final disable: the log ends as a crash would leave it
    return e


def shifted(ticks: hqt.TickData, by: float) -> hqt.TickData:
    return hqt.TickData(ticks.time, np.asarray(ticks.bid) + by, np.asarray(ticks.ask) + by)


def test_shifted_prices_are_refused_naming_the_symbol_and_nothing_changes(tmp_path: Path) -> None:
    ticks = random_walk_ticks(20_000, seed=3)
    log = tmp_path / "run.wal"
    logged_run(log, ticks)
    e = make_engine(shifted(ticks, 0.01))
    e.enable_wal(log)
    with pytest.raises(
        hqt.WALError, match=r"not the data the log was written over.*EURUSD"
    ) as info:
        e.recover_from_wal()
    assert "accept_changed_data=True" in str(info.value)
    assert e.balance == 10_000.0 and not e.deals
    with pytest.raises(hqt.StateError):
        e.buy(0, 0.1)  # the log still needs recovering
    # The override replays the log over the data as it is.
    rep = e.recover_from_wal(accept_changed_data=True)
    assert rep.events_processed > 0 and e.deals


def test_a_short_file_against_a_far_cursor_is_refused(tmp_path: Path) -> None:
    ticks = random_walk_ticks(20_000, seed=3)
    log = tmp_path / "run.wal"
    logged_run(log, ticks)
    e = make_engine(hqt.TickData(ticks.time[:1_000], ticks.bid[:1_000], ticks.ask[:1_000]))
    e.enable_wal(log)
    with pytest.raises(hqt.WALError, match=r"only 1000 are loaded|ends at event 1000"):
        e.recover_from_wal()


def test_the_same_data_recovers_and_the_checkpoints_carry_fingerprints(tmp_path: Path) -> None:
    ticks = random_walk_ticks(20_000, seed=3)
    log = tmp_path / "run.wal"
    logged_run(log, ticks)
    copy = tmp_path / "copy.wal"
    shutil.copy(log, copy)
    e = make_engine(ticks)
    e.enable_wal(log)
    assert e.recover_from_wal().events_processed == 20_000
    checkpoints = [
        wal_records.decode_checkpoint(r.data)
        for r in wal.read_records(str(copy))
        if wal.type_name(r.type) == "CHECKPOINT"
    ]
    assert checkpoints and all(cp.version == wal_records.SNAPSHOT_VERSION for cp in checkpoints)
    last = checkpoints[-1].tick_cursors[0]
    assert last is not None and last.fingerprint is not None
    fp = last.fingerprint
    assert fp.first_time == int(ticks.time[0])
    assert len(fp.blocks) == -(-last.cursor // fp.block_size) <= 64


def test_a_log_of_hqt_0_1_recovers_and_resumes(tmp_path: Path) -> None:
    log = tmp_path / "old.wal"
    shutil.copy(DATA / "hqt_0_1_killed.wal", log)
    checkpoints = [
        wal_records.decode_checkpoint(r.data)
        for r in wal.read_records(str(log))
        if wal.type_name(r.type) == "CHECKPOINT"
    ]
    assert [cp.version for cp in checkpoints] == [3]
    assert checkpoints[0].tick_cursors[0] is not None
    assert checkpoints[0].tick_cursors[0].fingerprint is None
    ticks = random_walk_ticks(3000, seed=5)
    e = make_engine(ticks)
    e.enable_wal(log)
    rep = e.recover_from_wal()
    assert rep.records_replayed >= 8
    e.run(Trader(), resume=True, progress=False)
    ref = make_engine(ticks)
    ref.run(Trader(), progress=False)
    # The 0.1 run had no get_state: the resumed Trader counts from 0 again,
    # so only the deals before the kill are certain to agree.
    n = rep.records_replayed
    assert [d.price for d in e.deals[:n]] == [d.price for d in ref.deals[:n]]
