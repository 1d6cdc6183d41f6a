"""The engine's write-ahead log through the Python API.

Engine.enable_wal / disable_wal / is_wal_enabled / checkpoint /
recover_from_wal, run(resume=True, warmup=...) and warming_up: a run
interrupted at any point (its log copied from inside a callback, as a kill
would leave it) recovers into a fresh engine and resumes to exactly the
results of the uninterrupted run; the states in between refuse what they
must.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hqt
from conftest import SEC, T0, snapshot
from hqt import wal as pywal

N_TICKS = 1500


def market() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic EURUSD ticks, 1 s apart: a sine wave plus a random walk."""
    rng = np.random.default_rng(7)
    i = np.arange(N_TICKS)
    mid = 1.1 + 0.0015 * np.sin(i / 40.0) + np.cumsum(rng.normal(0, 0.00005, N_TICKS))
    bid = np.round(mid, 5)
    ask = np.round(bid + 0.0001 + 0.00001 * (i % 3), 5)
    return T0 + i.astype(np.int64) * SEC, bid, ask


TIME, BID, ASK = market()


def make_engine(**kw: Any) -> hqt.Engine:
    """The same configuration every time (the log's fingerprint depends on it)."""
    e = hqt.Engine(10_000.0, "USD", 100, **kw)
    e.add_symbol("EURUSD", commission_per_lot=2.5)
    e.load_ticks(0, TIME, BID, ASK)
    return e


class Trader(hqt.Strategy):
    """Deterministic, state-ful strategy touching every WAL record type.

    It counts ticks and bars in its own attributes, so a resumed run needs
    the warm-up to rebuild them; it also copies the log file from inside
    on_tick after tick `copy_at` (what a kill -9 at that point leaves).
    """

    bars = [(0, hqt.M1)]
    warmup = 10**9  # every event before the resume point

    def __init__(self, copy_at: int = 0, log: Path | None = None, copy: Path | None = None):
        self.ticks = 0
        self.bars_seen = 0
        self.copy_at, self.log, self.copy = copy_at, log, copy
        self.warm_ticks = 0
        self.trades_refused = 0

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.ticks += 1
        if e.warming_up:
            self.warm_ticks += 1
            try:
                e.buy(0, 0.01)
            except hqt.StateError:
                self.trades_refused += 1
            return
        n = self.ticks
        buys = [p for p in e.positions if p.type == hqt.BUY]
        if n % 97 == 0:
            e.buy(0, 0.3, sl=tick.bid - 0.0010, tp=tick.bid + 0.0012)
        elif n % 97 == 30 and buys:
            if buys[-1].volume > 0.1:
                e.close(buys[-1].ticket, 0.1)  # partial close
        elif n % 97 == 45 and buys:
            e.modify(buys[-1].ticket, sl=tick.bid - 0.0020, tp=tick.bid + 0.0020)
        elif n % 131 == 0:
            e.sell_limit(0, 0.2, tick.bid + 0.0006, expiration=tick.time + 600 * SEC)
        elif n % 131 == 60 and e.orders:
            o = e.orders[0]
            e.modify_order(o.ticket, price=max(tick.bid + 0.0004, o.price - 0.0001))
        elif n % 211 == 0 and e.orders:
            e.cancel(e.orders[-1].ticket)
        elif n % 250 == 0:
            e.deposit(100.0)
        if n == self.copy_at and self.log is not None and self.copy is not None:
            shutil.copyfile(self.log, self.copy)

    def on_bar(self, e: hqt.Engine, bar: hqt.Bar) -> None:
        self.bars_seen += 1
        if not e.warming_up and self.bars_seen % 7 == 0 and len(e.positions) < 3:
            e.sell(0, 0.1)


def results(e: hqt.Engine) -> dict[str, Any]:
    s = snapshot(e)
    del s["pending_events"]
    return s


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The uninterrupted run, without a log."""
    e = make_engine()
    e.run(Trader())
    out = results(e)
    assert len(out["deals"]) > 20  # the strategy really trades
    reasons = {d[6] for d in out["deals"]}
    assert {hqt.DealReason.CLIENT, hqt.DealReason.PENDING} <= reasons
    return out


# ---- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "copy_at,sync,checkpoint_every",
    [
        (97, "always", 10_000),  # right after the first trade
        (500, "batch", 10_000),
        (1000, "none", 3),  # recovery from a checkpoint written mid-run
        (1455, "always", 7),
    ],
)
def test_interrupted_run_recovers_and_resumes_exactly(
    tmp_path, reference, copy_at, sync, checkpoint_every
):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = make_engine()
    report = e.enable_wal(log, sync=sync, checkpoint_every=checkpoint_every)
    assert isinstance(report, hqt.WALOpenReport)
    assert report.records == 0 and report.fingerprint is not None and not report.torn
    assert e.is_wal_enabled()
    e.run(Trader(copy_at, log, copy))
    assert results(e) == reference  # the log changes nothing
    e.disable_wal()
    assert not e.is_wal_enabled()

    # A fresh process: same configuration and data, the log as the kill left it.
    r = make_engine()
    opened = r.enable_wal(copy, sync=sync, checkpoint_every=checkpoint_every)
    assert opened.records > 0
    rep = r.recover_from_wal()
    assert isinstance(rep, hqt.RecoveryReport)
    # Records of the event being processed when the log was copied are
    # discarded (it is processed again on resume); under batch/none the
    # engine writes records in groups, so the copy may hold fewer. Either
    # way the state stands at or before the copy, and the deterministic
    # resumed run makes the same operations again.
    assert 0 <= rep.events_processed < copy_at
    if rep.replayed_over_data:  # the data was re-walked only to place records on it
        assert rep.records_replayed > 0
    if rep.events_processed:
        assert rep.last_event_time == int(TIME[rep.events_processed - 1])
    assert rep.torn_bytes_dropped == 0 and rep.torn_records_dropped == 0
    assert r.pending_events == N_TICKS - rep.events_processed
    strategy = Trader()
    r.run(strategy, resume=True)
    assert not r.warming_up
    assert strategy.warm_ticks == rep.events_processed  # warm-up re-fed every earlier tick
    assert strategy.trades_refused == strategy.warm_ticks
    assert strategy.ticks == N_TICKS
    assert results(r) == reference
    r.disable_wal()


def test_resume_with_explicit_warmup_argument(tmp_path, reference):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = make_engine()
    e.enable_wal(log)
    e.run(Trader(700, log, copy))
    r = make_engine()
    r.enable_wal(copy)
    rep = r.recover_from_wal()
    s = Trader()
    s.warmup = 0  # the argument wins over the attribute
    r.run(s, resume=True, warmup=rep.events_processed)
    assert s.warm_ticks == rep.events_processed
    assert results(r) == reference


def test_warmup_limited_to_the_events_before_the_resume_point(tmp_path):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    make_engine().enable_wal(log)  # lock released with the engine
    e = make_engine()
    e.enable_wal(log, truncate=True)
    e.run(Trader(400, log, copy))
    r = make_engine()
    r.enable_wal(copy)
    rep = r.recover_from_wal()

    seen: list[tuple[int, bool]] = []

    class Probe(hqt.Strategy):
        warmup = 25

        def on_start(self, e: hqt.Engine) -> None:
            seen.append((-1, e.warming_up))

        def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
            seen.append((tick.time, e.warming_up))

    r.run(Probe(), resume=True)
    assert seen[0] == (-1, True)  # on_start of a resumed run is warm-up too
    warm = [t for t, w in seen[1:] if w]
    live = [t for t, w in seen[1:] if not w]
    k = rep.events_processed
    assert warm == [int(t) for t in TIME[k - 25 : k]]
    assert live == [int(t) for t in TIME[k:]]


def test_clean_disable_then_recover_restores_the_account(tmp_path, reference):
    log = tmp_path / "run.wal"
    e = make_engine()
    e.enable_wal(log)
    e.run(Trader())
    e.disable_wal()
    e.dispose()

    r = make_engine()
    r.enable_wal(log)
    with pytest.raises(hqt.StateError, match="recover_from_wal"):
        r.buy(0, 0.1)
    rep = r.recover_from_wal()
    assert rep.records_replayed == 0 and rep.records_discarded == 0
    assert rep.events_processed == N_TICKS and r.pending_events == 0
    got = results(r)
    for key in (
        "account",
        "positions",
        "orders",
        "order_history",
        "deals",
        "trades",
        "equity_curve",
        "statistics",
    ):
        assert got[key] == reference[key], key
    r.run(resume=True)  # nothing left: a no-op run
    assert results(r)["deals"] == reference["deals"]


def test_recover_without_data_applies_records_directly(tmp_path, reference):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = make_engine()
    e.enable_wal(log)
    e.run(Trader(900, log, copy))
    r = hqt.Engine(10_000.0, "USD", 100)
    r.add_symbol("EURUSD", commission_per_lot=2.5)
    r.enable_wal(copy)
    rep = r.recover_from_wal()
    assert rep.replayed_over_data is False and rep.records_replayed > 0
    # The deals up to the recovered event are exactly the reference's.
    k_time = rep.last_event_time
    expected = [d for d in reference["deals"] if d[7] <= k_time]
    got = [d._astuple() for d in r.deals]
    assert got == expected[: len(got)] and len(got) >= len(expected) - 3


# ---- states that refuse --------------------------------------------------------------------


def test_recover_without_enabling_raises_state_error():
    e = make_engine()
    with pytest.raises(hqt.StateError, match="enable"):
        e.recover_from_wal()
    with pytest.raises(hqt.StateError):
        e.checkpoint()
    e.disable_wal()  # no-op when not enabled
    assert not e.is_wal_enabled()


def test_trading_refused_while_the_log_needs_recovery(tmp_path):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = make_engine()
    e.enable_wal(log)
    e.run(Trader(300, log, copy))
    r = make_engine()
    r.enable_wal(copy)
    before = snapshot(r)
    for call in (
        lambda: r.deposit(5.0),
        lambda: r.deposit(-5.0),
        lambda: r.run(),
        lambda: r.run(Trader()),
        lambda: r.checkpoint(),
    ):
        with pytest.raises(hqt.StateError, match="recover_from_wal"):
            call()
    assert snapshot(r) == before
    # (without a quote an order is refused for that first; either way nothing changes)
    with pytest.raises((hqt.StateError, hqt.NoPriceError)):
        r.buy(0, 0.1)
    assert snapshot(r) == before
    # disable without a recovery writes nothing and leaves the log as it was
    size = copy.stat().st_size
    r.disable_wal()
    assert copy.stat().st_size == size
    # truncate=True starts over: trading allowed, the old records are gone
    r.enable_wal(copy, truncate=True)
    r.deposit(5.0)
    r.run(Trader())
    r.disable_wal()
    kinds = [rec.type for rec in pywal.read_records(str(copy))]
    assert kinds[:2] == [pywal.CHECKPOINT, pywal.BALANCE_CHANGE]
    assert kinds.count(pywal.POSITION_OPEN) == sum(d.entry == hqt.DealEntry.IN for d in r.deals)


def test_warming_up_refuses_trading_and_is_false_outside(tmp_path):
    e = make_engine()
    assert e.warming_up is False
    log, copy = tmp_path / "a.wal", tmp_path / "b.wal"
    e.enable_wal(log)
    e.run(Trader(200, log, copy))
    r = make_engine()
    r.enable_wal(copy)
    r.recover_from_wal()
    errors: list[BaseException] = []

    class Probe(hqt.Strategy):
        warmup = 3

        def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
            if e.warming_up:
                for call in (
                    lambda: e.buy(0, 0.1),
                    lambda: e.close_all(),
                    lambda: e.buy_stop(0, 0.1, 5.0),
                ):
                    try:
                        call()
                    except hqt.HQTError as exc:
                        errors.append(exc)

    r.run(Probe(), resume=True)
    assert len(errors) == 6 and all(isinstance(x, hqt.StateError) for x in errors[::2])


def test_enable_wal_refusals_leave_the_engine_unchanged(tmp_path):
    e = make_engine()
    before = snapshot(e)
    p = tmp_path / "x.wal"
    cases: list[tuple[dict[str, Any], type[BaseException]]] = [
        ({"sync": "sometimes"}, hqt.InvalidArgumentError),
        ({"sync": 7}, hqt.InvalidArgumentError),
        ({"sync": None}, TypeError),
        ({"checkpoint_every": -1}, hqt.InvalidArgumentError),
        ({"checkpoint_every": 0}, hqt.InvalidArgumentError),
        ({"checkpoint_every": 2.5}, TypeError),
        ({"checkpoint_every": True}, TypeError),
        ({"sync": "batch", "batch_records": 0}, hqt.InvalidArgumentError),
        ({"sync": "batch", "batch_delay": -0.1}, hqt.InvalidArgumentError),
        ({"sync": "batch", "batch_delay": float("nan")}, hqt.InvalidArgumentError),
        ({"sync": "batch", "batch_delay": "1"}, TypeError),
    ]
    for kw, exc in cases:
        with pytest.raises(exc):
            e.enable_wal(p, **kw)
        assert not e.is_wal_enabled(), kw
    with pytest.raises(TypeError):
        e.enable_wal(None)  # type: ignore[arg-type]
    with pytest.raises(hqt.InvalidArgumentError):
        e.enable_wal("")
    with pytest.raises((hqt.HQTIOError, hqt.WALError)):
        e.enable_wal(tmp_path / "missing-dir" / "x.wal")
    assert not p.exists() or p.stat().st_size == 0
    assert snapshot(e) == before and not e.is_wal_enabled()
    # names are case-insensitive and WALSync members work too
    e.enable_wal(p, sync="BATCH", batch_records=1, batch_delay=0)
    e.disable_wal()
    e.enable_wal(p, True, hqt.WALSync.NONE)
    e.disable_wal()


def test_enable_twice_other_writer_and_other_configuration(tmp_path):
    p = tmp_path / "x.wal"
    e = make_engine()
    e.enable_wal(p)
    with pytest.raises(hqt.StateError, match="already enabled"):
        e.enable_wal(p)
    other = make_engine()
    with pytest.raises(hqt.WALError, match="locked"):
        other.enable_wal(p)
    e.disable_wal()
    different = hqt.Engine(10_000.0, "USD", 50)  # another leverage
    different.add_symbol("EURUSD", commission_per_lot=2.5)
    with pytest.raises(hqt.WALError, match="configuration"):
        different.enable_wal(p)
    assert not different.is_wal_enabled()


def test_calls_from_callbacks(tmp_path):
    p = tmp_path / "x.wal"
    e = make_engine()
    e.enable_wal(p)
    caught: list[BaseException] = []

    class S(hqt.Strategy):
        def on_start(self, e: hqt.Engine) -> None:
            try:  # on_start is a unit of its own (RUN_MARK): no checkpoint inside it
                e.checkpoint()
            except hqt.HQTError as exc:
                caught.append(exc)

        def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
            if tick.time == T0 + 5 * SEC:
                for call in (
                    e.disable_wal,
                    e.checkpoint,
                    e.recover_from_wal,
                    lambda: e.enable_wal(tmp_path / "y.wal"),
                    lambda: e.run(),
                ):
                    try:
                        call()
                    except hqt.HQTError as exc:
                        caught.append(exc)
                assert e.is_wal_enabled()

    e.run(S())
    assert len(caught) == 6 and all(isinstance(x, hqt.BusyError) for x in caught), caught
    assert e.is_wal_enabled()
    e.checkpoint()  # between runs: allowed


def test_run_argument_checks():
    e = make_engine()
    with pytest.raises(hqt.InvalidArgumentError, match="resume"):
        e.run(Trader(), warmup=5)
    with pytest.raises(hqt.InvalidArgumentError):
        e.run(Trader(), resume=True, warmup=-1)
    with pytest.raises(TypeError):
        e.run(Trader(), resume=True, warmup=1.5)  # type: ignore[arg-type]

    class BadWarmup(hqt.Strategy):
        warmup = "all"  # type: ignore[assignment]

    with pytest.raises(TypeError):
        e.run(BadWarmup(), resume=True)
    assert e.pending_events == N_TICKS  # nothing ran


# ---- what the log holds --------------------------------------------------------------------


def test_checkpoints_and_records_in_the_file(tmp_path):
    p = tmp_path / "x.wal"
    e = make_engine()
    e.enable_wal(p, checkpoint_every=5)
    e.run(Trader())
    e.checkpoint()
    e.disable_wal()
    records = pywal.read_records(str(p))
    types = [r.type for r in records]
    assert types[0] == pywal.CHECKPOINT  # a new log starts with one
    assert types[-1] == pywal.CHECKPOINT and types[-2] == pywal.CHECKPOINT  # checkpoint, disable
    # every 5 records at most (checkpoints are only written between events)
    gaps, run_len = [], 0
    for t in types:
        if t == pywal.CHECKPOINT:
            gaps.append(run_len)
            run_len = 0
        else:
            run_len += 1
    assert max(gaps) < 5 + 10  # an event may add a few records past the threshold
    for name in (
        "POSITION_OPEN",
        "POSITION_CLOSE",
        "POSITION_MODIFY",
        "ORDER_PLACE",
        "ORDER_CANCEL",
        "BALANCE_CHANGE",
    ):
        assert getattr(pywal, name) in types, name


def test_torn_tail_is_cut_and_reported(tmp_path, reference):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = make_engine()
    e.enable_wal(log)
    e.run(Trader(800, log, copy))
    torn = b"WTQH\x01\x40\x00\x00\x00garbage"  # half a record, as a crash in append leaves it
    with open(copy, "ab") as f:
        f.write(torn)
    r = make_engine()
    opened = r.enable_wal(copy)
    assert opened.torn and opened.torn_bytes_dropped == len(torn)
    assert opened.torn_records_dropped == 1
    rep = r.recover_from_wal()
    assert rep.torn_bytes_dropped == len(torn) and rep.torn_records_dropped == 1
    r.run(Trader(), resume=True)
    assert results(r) == reference


def test_corrupt_log_is_refused_untouched(tmp_path):
    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = make_engine()
    e.enable_wal(log)
    e.run(Trader(1200, log, copy))
    data = bytearray(copy.read_bytes())
    data[200] ^= 0xFF  # inside an early record, with many valid records after it
    copy.write_bytes(bytes(data))
    r = make_engine()
    with pytest.raises(hqt.WALCorruptionError, match="corrupt"):
        r.enable_wal(copy)
    assert not r.is_wal_enabled()
    assert copy.read_bytes() == bytes(data)
    # salvage keeps the valid prefix; the engine can then recover what is left
    rep = hqt.WriteAheadLog.salvage(copy)
    assert rep.torn_bytes_dropped > 0
    r.enable_wal(copy)
    r.recover_from_wal()
    r.run(Trader(), resume=True)
    assert len(r.deals) > 0


def test_dispose_closes_the_log(tmp_path):
    p = tmp_path / "x.wal"
    e = make_engine()
    e.enable_wal(p)
    e.deposit(50.0)
    e.dispose()
    other = make_engine()
    other.enable_wal(p)  # the lock was released
    other.recover_from_wal()
    assert other.balance == 10_050.0
    with pytest.raises(hqt.StateError):
        e.is_wal_enabled()
    assert os.path.exists(str(p) + ".lock")
