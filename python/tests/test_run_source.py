"""A run that pulls its data window by window: ``Engine._run(callbacks, source=)``
(the core's hqt_engine_run_source) and ``Engine.run_file`` on top of it.

The contract: however the data is cut into windows, the run is the run of
the whole data loaded at once (one on_start, one on_stop, bars closed by the
next tick with the clock at that tick), so every call a strategy sees and
every result are identical.
"""

from __future__ import annotations

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, snapshot
from hqt import tickfile as TF
from hqt.testing import T0, make_engine, random_walk_ticks

# 3,000 ticks about 2 s apart (about 100 M1 bars, 20 M5) with a weekend gap
TICKS = random_walk_ticks(3_000, seed=5, interval=2.0, gaps=1, spread_spikes=1)


@pytest.fixture(scope="module")
def tickfile(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("src") / "eurusd.hqtt")
    TF.write_tickfile(path, TICKS, "EURUSD")
    return path


class Recorder(hqt.Strategy):
    """Records every call with the engine's clock, and trades on ticks and bars."""

    bars = [(0, hqt.M1), (0, hqt.M5)]

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.n = 0

    def on_start(self, engine):
        self.calls.append(("start", engine.time))

    def on_tick(self, engine, tick):
        self.n += 1
        self.calls.append(("tick", tick.time, tick.bid_micro, tick.ask_micro, engine.time))
        if self.n % 97 == 0 and not engine.positions:
            engine.buy(0, 0.1, sl=tick.bid - 0.0006, tp=tick.bid + 0.0006)

    def on_bar(self, engine, bar):
        self.calls.append(
            (
                "bar",
                bar.timeframe,
                bar.time,
                bar.open_micro,
                bar.high_micro,
                bar.low_micro,
                bar.close_micro,
                bar.volume_micro,
                engine.time,
            )
        )
        if bar.timeframe == hqt.M5:
            # an order from on_bar fills at the tick that closed the bar
            if engine.positions:
                engine.close_all()
            else:
                engine.sell(0, 0.2)

    def on_trade(self, engine, deal):
        self.calls.append(("trade", deal._astuple(), engine.time))

    def on_stop(self, engine):
        self.calls.append(("stop", engine.time))


def _whole_run() -> tuple[Recorder, hqt.Engine, hqt.results.BacktestResult]:
    s = Recorder()
    e = make_engine(TICKS)
    r = e.run(s, progress=False)
    return s, e, r


def _same(e1, r1, s1, e2, r2, s2) -> None:
    assert s2.calls == s1.calls
    a, b = snapshot(e1), snapshot(e2)
    for key in (
        "account",
        "positions",
        "orders",
        "order_history",
        "deals",
        "trades",
        "equity_curve",
        "statistics",
        "symbols",
    ):
        assert a[key] == b[key], key
    for kind in ("deals", "trades", "equity"):
        assert np.array_equal(r1.records(kind), r2.records(kind)), kind
    wall = ("run_seconds", "events_per_second")  # wall-clock measures
    assert {k: v for k, v in r1.stats_dict().items() if k not in wall} == {
        k: v for k, v in r2.stats_dict().items() if k not in wall
    }


def test_the_reference_run_exercises_everything():
    s, e, r = _whole_run()
    kinds = [c[0] for c in s.calls]
    assert kinds[0] == "start" and kinds[-1] == "stop" and kinds.count("start") == 1
    assert kinds.count("tick") == len(TICKS)
    assert kinds.count("bar") > 100 and kinds.count("trade") > 20
    assert r.statistics.total_trades > 10


@pytest.mark.parametrize("chunk", [1, 7, 250, 1_000, 2_999, 3_000, 10**6])
def test_run_file_is_the_whole_run(tickfile, chunk):
    """run_file with windows of any size = loading everything and run():
    the same calls (with the same clock), deals, trades, equity, statistics."""
    s1, e1, r1 = _whole_run()
    s2 = Recorder()
    e2 = make_engine()
    r2 = e2.run_file(tickfile, s2, chunk_ticks=chunk, progress=False)
    _same(e1, r1, s1, e2, r2, s2)
    assert e2.pending_events == 0 and r2.run.events == len(TICKS)
    if chunk == 250:  # windows of 250 ticks (~8 minutes) end inside M1 and M5 bars
        t = TICKS.time
        cuts = range(250, len(t), 250)
        assert any(t[k] // (5 * MIN) == t[k - 1] // (5 * MIN) for k in cuts)


def test_run_file_without_callbacks(tickfile):
    e1 = make_engine(TICKS)
    e1.run(progress=False)
    e2 = make_engine()
    e2.run_file(tickfile, chunk_ticks=333, progress=False)
    assert snapshot(e1)["statistics"] == snapshot(e2)["statistics"]
    assert e2.statistics().ticks_processed == len(TICKS)


# ---- Engine._run(source=) -------------------------------------------------------------


def _windows(e: hqt.Engine, size: int, start: int = 0, log: list | None = None):
    """A source loading TICKS[start:] `size` ticks at a time into `e`."""
    pos = [start]

    def source() -> bool:
        if log is not None:
            log.append(e.pending_events)
        lo = pos[0]
        if lo >= len(TICKS):
            return False
        hi = min(lo + size, len(TICKS))
        e.load_ticks(0, TICKS.time[lo:hi], TICKS.bid[lo:hi], TICKS.ask[lo:hi])
        pos[0] = hi
        return True

    return source


def test_run_source_is_one_run():
    s1, e1, r1 = _whole_run()
    s2 = Recorder()
    e2 = make_engine()
    for sym, tf in s2.bars:
        e2.build_bars(sym, tf)
    log: list[int] = []
    e2._run(hqt.strategy.strategy_callbacks(s2), source=_windows(e2, 401, log=log))
    assert log == [0] * (len(TICKS) // 401 + 2)  # the engine asks when all has run
    r2 = hqt.results.BacktestResult.from_engine(e2)
    r1 = hqt.results.BacktestResult.from_engine(e1)
    _same(e1, r1, s1, e2, r2, s2)


def test_run_source_without_callbacks_keeps_the_gil():
    e = make_engine()
    e._run(None, source=_windows(e, 1_000))  # Python source called mid-run: no crash
    assert e.statistics().ticks_processed == len(TICKS)
    e2 = make_engine()
    e2._run(source=_windows(e2, 1_000))
    assert e2.statistics().ticks_processed == len(TICKS)


def test_run_source_exception_propagates_unchanged():
    class Stop(Exception):
        pass

    err = Stop("from the source")
    s = Recorder()
    e = make_engine()
    e.load_ticks(0, TICKS.time[:500], TICKS.bid[:500], TICKS.ask[:500])
    calls = [0]

    def source() -> bool:
        calls[0] += 1
        if calls[0] == 3:
            raise err
        lo = 500 * calls[0]
        e.load_ticks(
            0, TICKS.time[lo : lo + 500], TICKS.bid[lo : lo + 500], TICKS.ask[lo : lo + 500]
        )
        return True

    with pytest.raises(Stop) as info:
        e._run(hqt.strategy.strategy_callbacks(s), source=source)
    assert info.value is err
    assert info.traceback[-1].name == "source"  # the original traceback
    kinds = [c[0] for c in s.calls]
    assert kinds.count("start") == kinds.count("stop") == 1 and kinds[-1] == "stop"
    assert kinds.count("tick") == 1_500
    assert e.pending_events == 0 and e.statistics().ticks_processed == 1_500
    # consistent and usable: trading, loading and a new run work
    e.buy(0, 0.1)
    e.load_ticks(0, TICKS.time[1500:], TICKS.bid[1500:], TICKS.ask[1500:])
    e.run(progress=False)
    assert e.statistics().ticks_processed == len(TICKS)


def test_callback_exception_in_a_source_run_propagates_unchanged():
    err = ZeroDivisionError("in on_tick")

    class Boom(Recorder):
        def on_tick(self, engine, tick):
            super().on_tick(engine, tick)
            if self.n == 1_234:
                raise err

    s = Boom()
    e = make_engine()
    src = _windows(e, 500)
    assert src()
    with pytest.raises(ZeroDivisionError) as info:
        e._run(hqt.strategy.strategy_callbacks(s), source=src)
    assert info.value is err
    kinds = [c[0] for c in s.calls]
    assert kinds.count("start") == kinds.count("stop") == 1 and kinds[-1] == "stop"
    assert e.statistics().ticks_processed == 1_234
    assert e.pending_events == 1_500 - 1_234  # the rest of the window stays loaded
    e.run(progress=False)  # continues with it
    assert e.statistics().ticks_processed == 1_500


def test_run_source_result_must_be_a_bool():
    e = make_engine()
    e.load_ticks(0, TICKS.time[:10], TICKS.bid[:10], TICKS.ask[:10])
    with pytest.raises(TypeError, match="True .*or False.*NoneType"):
        e._run(None, source=lambda: None)
    assert e.pending_events == 0 and e.statistics().ticks_processed == 10
    with pytest.raises(TypeError, match="source must be callable"):
        e._run(None, source=42)
    e._run(None, source=None)  # None: a plain run


def test_loads_are_allowed_only_from_the_source():
    e = make_engine()
    e.load_ticks(0, TICKS.time[:10], TICKS.bid[:10], TICKS.ask[:10])
    refused: list[str] = []

    def on_tick(engine, tick):
        if len(refused) < 3:
            for name, call in (
                (
                    "load_ticks",
                    lambda: engine.load_ticks_micro(0, [tick.time + SEC], [1_100_000], [1_100_020]),
                ),
                ("clear_data", engine.clear_data),
                ("dispose", engine.dispose),
            ):
                with pytest.raises(hqt.BusyError):
                    call()
                refused.append(name)

    loaded = []

    def source() -> bool:
        if loaded:
            with pytest.raises(hqt.BusyError):
                e.clear_data()  # the run is in progress: only loads are allowed
            with pytest.raises(hqt.BusyError):
                e.dispose()
            return False
        t = TICKS.time[10:20]
        loaded.append(e.load_ticks_micro(0, t, np.full(10, 1_100_000), np.full(10, 1_100_020)))
        loaded.append(e.load_ticks(0, TICKS.time[20:30], TICKS.bid[20:30], TICKS.ask[20:30]))
        bar_t = (int(TICKS.time[30]) // MIN + 1) * MIN
        loaded.append(e.load_bars(0, hqt.H1, [bar_t], [1.1], [1.2], [1.0], [1.15]))
        return True

    e._run((None, on_tick, None, None, None, None, None), source=source)
    assert loaded == [10, 10, 1]
    assert refused == ["load_ticks", "clear_data", "dispose"]
    st = e.statistics()
    assert st.ticks_processed == 30 and st.bars_processed == 1
    assert not e.disposed


# ---- run_file failures ------------------------------------------------------------------


def test_run_file_callback_error(tickfile):
    err = RuntimeError("boom")

    class Boom(Recorder):
        def on_bar(self, engine, bar):
            super().on_bar(engine, bar)
            if sum(c[0] == "bar" for c in self.calls) == 60:
                raise err

    s1 = Boom()
    e1 = make_engine(TICKS)
    with pytest.raises(RuntimeError):
        e1.run(s1, progress=False)
    done = e1.statistics().ticks_processed
    s2 = Boom()
    e2 = make_engine()
    with pytest.raises(RuntimeError) as info:
        e2.run_file(tickfile, s2, chunk_ticks=64, progress=False)
    assert info.value is err
    assert s2.calls == s1.calls  # the same calls up to the error, then on_stop once
    assert any(f"after {done:,} of {len(TICKS):,} ticks" in n for n in info.value.__notes__)
    a, b = snapshot(e1), snapshot(e2)
    for key in ("account", "positions", "deals", "trades", "statistics"):
        assert a[key] == b[key], key
    assert e2.pending_events == 0  # the rest of the window was dropped
    e2.buy(0, 0.1)  # usable


def test_run_file_source_error(tickfile, monkeypatch):
    """An error while loading a window (here: reading the file) propagates
    unchanged; the run ends as after a callback error (on_stop once)."""
    err = OSError("disk gone")
    real = TF.TickFile.window
    calls = [0]

    def window(self, start, stop):
        calls[0] += 1
        if calls[0] == 4:
            raise err
        return real(self, start, stop)

    monkeypatch.setattr(TF.TickFile, "window", window)
    s = Recorder()
    e = make_engine()
    with pytest.raises(OSError) as info:
        e.run_file(tickfile, s, chunk_ticks=500, progress=False)
    assert info.value is err
    assert any("after 1,500 of 3,000 ticks" in n for n in info.value.__notes__)
    kinds = [c[0] for c in s.calls]
    assert kinds.count("start") == kinds.count("stop") == 1 and kinds[-1] == "stop"
    assert kinds.count("tick") == 1_500
    assert e.pending_events == 0 and e.statistics().ticks_processed == 1_500
    e.buy(0, 0.1)


def test_run_file_keyboard_interrupt_between_windows(tickfile, monkeypatch):
    s = Recorder()
    e = make_engine()
    real = TF._Windows.load
    n = [0]

    def load(self):
        n[0] += 1
        if n[0] == 3:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(TF._Windows, "load", load)
    with pytest.raises(KeyboardInterrupt) as info:
        e.run_file(tickfile, s, chunk_ticks=1_000, progress=False)
    assert any("after 2,000 of 3,000" in x for x in info.value.__notes__)
    assert [c[0] for c in s.calls].count("stop") == 1
    assert e.statistics().ticks_processed == 2_000


def test_run_file_empty_file(tmp_path):
    path = tmp_path / "empty.hqtt"
    with TF.TickFileWriter(path, "EURUSD"):
        pass
    s = Recorder()
    e = make_engine()
    r = e.run_file(path, s, progress=False)
    assert s.calls == [("start", 0), ("stop", 0)]
    assert r.statistics.ticks_processed == 0


def test_run_file_starts_from_no_loaded_data(tickfile):
    """Data of an earlier run (all processed) is dropped first, as before."""
    e = make_engine(random_walk_ticks(10, seed=3, start=T0 - 3600 * SEC))
    e.run(progress=False)
    e.run_file(tickfile, chunk_ticks=1_000, progress=False)
    assert e.statistics().ticks_processed == 10 + len(TICKS)
    assert e.pending_events == 0


def test_wal_of_a_run_file_run(tickfile, tmp_path):
    """What a log written by run_file allows after a crash (docs/research.md):
    recovery without data restores the state at the last logged event,
    counting events over the whole file; loading the whole file is refused,
    because checkpoints hold cursors into the window that was loaded."""
    import shutil

    wal, crash = tmp_path / "run.wal", tmp_path / "crash.wal"

    class Crash(Recorder):
        def on_tick(self, engine, tick):
            super().on_tick(engine, tick)
            if self.n == 1_700:  # the log as a crash here would leave it
                shutil.copy(wal, crash)

    e = make_engine()
    e.enable_wal(wal, checkpoint_every=5)
    e.run_file(tickfile, Crash(), chunk_ticks=500, progress=False)
    full = [d._astuple() for d in e.deals]
    e.dispose()

    copy = tmp_path / "a.wal"
    shutil.copy(crash, copy)
    e2 = make_engine()
    e2.enable_wal(copy)
    rep = e2.recover_from_wal()
    assert not rep.replayed_over_data
    assert 1_500 < rep.events_processed <= 1_700  # in the file's fourth window
    assert rep.last_event_time == int(TICKS.time[rep.events_processed - 1])
    got = [d._astuple() for d in e2.deals]
    assert got and got == full[: len(got)]
    e2.dispose()

    shutil.copy(crash, copy)
    e3 = make_engine(TICKS)
    e3.enable_wal(copy)
    with pytest.raises(
        hqt.WALError, match="not the data the log was written over.*event 0 differs"
    ):
        e3.recover_from_wal()
