"""A strategy's own state saved with the WAL's checkpoints (get_state /
set_state): a resumed run restores it and re-feeds the events since that
checkpoint, so a stateful strategy resumes exactly with no warm-up."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

import hqt

T0 = 1_704_153_600_000_000_000


def make_engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD", commission_per_lot=3.5)
    rng = np.random.default_rng(11)
    n = 4_000
    t = T0 + np.arange(n, dtype=np.int64) * 1_000_000_000
    bid = np.round(1.10 + np.cumsum(rng.normal(0, 0.0001, n)), 5)
    e.load_ticks(s, t, bid, bid + 0.00002)
    return e


class RunningSum(hqt.Strategy):
    """Decides from everything it has seen: only exact with its state restored."""

    def __init__(self, copy_at: int | None = None, log=None, copy=None) -> None:
        self.seen, self.total = 0, 0.0
        self.copy_at, self.log, self.copy = copy_at, log, copy

    def on_tick(self, engine, tick):
        self.seen += 1
        self.total += tick.bid
        if self.seen == self.copy_at:  # the log as a crash here would leave it
            shutil.copy(self.log, self.copy)
        if engine.warming_up or self.seen % 37:
            return
        if engine.positions:
            engine.close(engine.positions[0].ticket)
        elif int(self.total * 1000) % 2:
            engine.buy(tick.symbol_id, 0.1)
        else:
            engine.sell(tick.symbol_id, 0.1)

    def get_state(self, engine):
        return struct.pack("<qd", self.seen, self.total)

    def set_state(self, engine, state):
        self.seen, self.total = struct.unpack("<qd", state)


def deals(e: hqt.Engine):
    return [(d.ticket, d.time, d.type, d.volume, d.price, d.profit) for d in e.deals]


@pytest.mark.parametrize("copy_at", [500, 1999, 3500])
def test_restored_state_resumes_exactly(tmp_path, copy_at):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    ref = make_engine()
    ref.enable_wal(log, sync="none", checkpoint_every=11)
    ref.run(RunningSum(copy_at, log, copy))
    ref.disable_wal()
    assert len(ref.deals) > 50

    def resume(strategy: hqt.Strategy) -> hqt.Engine:
        e = make_engine()
        e.enable_wal(copy, sync="none")
        e.recover_from_wal()
        e.run(strategy, resume=True)
        e.disable_wal()
        return e

    shutil.copy(copy, tmp_path / "pristine.wal")
    e = resume(RunningSum())
    assert deals(e) == deals(ref) and e.balance == ref.balance

    # Without set_state the same resume is not exact: the state matters.
    shutil.copy(tmp_path / "pristine.wal", copy)

    class Forgetful(RunningSum):
        def set_state(self, engine, state):
            pass

    assert deals(resume(Forgetful())) != deals(ref)


def test_get_state_must_return_bytes(tmp_path):
    e = make_engine()
    e.enable_wal(tmp_path / "x.wal", checkpoint_every=1)

    class Bad(hqt.Strategy):
        def on_tick(self, engine, tick):
            if not engine.positions:
                engine.buy(tick.symbol_id, 0.1)

        def get_state(self, engine):
            return "not bytes"

    with pytest.raises(TypeError, match="bytes"):
        e.run(Bad())
