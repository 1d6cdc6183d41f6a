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
from hqt.testing import make_engine, random_walk_ticks

from conftest import MIN, SEC, snapshot

# 3,000 ticks about 2 s apart (about 100 M1 bars, 20 M5) with a weekend gap
TICKS = random_walk_ticks(3_000, seed=5, interval=2.0, gaps=1, spread_spikes=1)


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
        self.calls.append(("bar", bar.timeframe, bar.time, bar.open_micro, bar.high_micro,
                           bar.low_micro, bar.close_micro, bar.volume_micro, engine.time))
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
    for key in ("account", "positions", "orders", "order_history", "deals", "trades",
                "equity_curve", "statistics", "symbols"):
        assert a[key] == b[key], key
    for kind in ("deals", "trades", "equity"):
        assert np.array_equal(r1.records(kind), r2.records(kind)), kind
    wall = ("run_seconds", "events_per_second")  # wall-clock measures
    assert {k: v for k, v in r1.stats_dict().items() if k not in wall} == \
        {k: v for k, v in r2.stats_dict().items() if k not in wall}


def test_the_reference_run_exercises_everything():
    s, e, r = _whole_run()
    kinds = [c[0] for c in s.calls]
    assert kinds[0] == "start" and kinds[-1] == "stop" and kinds.count("start") == 1
    assert kinds.count("tick") == len(TICKS)
    assert kinds.count("bar") > 100 and kinds.count("trade") > 20
    assert r.statistics.total_trades > 10


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
        e.load_ticks(0, TICKS.time[lo:lo + 500], TICKS.bid[lo:lo + 500], TICKS.ask[lo:lo + 500])
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
            for name, call in (("load_ticks", lambda: engine.load_ticks_micro(
                    0, [tick.time + SEC], [1_100_000], [1_100_020])),
                               ("clear_data", engine.clear_data),
                               ("dispose", engine.dispose)):
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
