"""Strategy callbacks: order, objects, override detection, exceptions, bars."""

from __future__ import annotations

import gc
import sys
import traceback

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, T0, snapshot
from hqt.strategy import strategy_callbacks

TIMES = T0 + SEC * np.arange(6, dtype=np.int64)
BIDS = np.array([1.10000, 1.10010, 1.10020, 1.10030, 1.10040, 1.10050])
ASKS = BIDS + 0.0002


def make_engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    e.load_ticks(0, TIMES, BIDS, ASKS)
    return e


class Recorder(hqt.Strategy):
    def __init__(self, buy_at: int | None = None) -> None:
        self.events: list[tuple] = []
        self.buy_at = buy_at
        self.engines: set[int] = set()

    def on_start(self, engine):
        self.engines.add(id(engine))
        self.events.append(("start",))

    def on_tick(self, engine, tick):
        self.engines.add(id(engine))
        self.events.append(("tick", tick.time, tick.bid, tick.ask))
        if self.buy_at is not None and tick.time == TIMES[self.buy_at]:
            engine.buy(tick.symbol_id, 0.1)

    def on_trade(self, engine, deal):
        self.events.append(("trade", deal.time, deal.type, deal.entry, deal.price))

    def on_stop(self, engine):
        self.events.append(("stop",))


def test_callbacks_in_order_with_right_objects():
    e = make_engine()
    s = Recorder(buy_at=2)
    e.run(s)
    ticks = [("tick", int(t), b, a) for t, b, a in zip(TIMES, BIDS, ASKS, strict=False)]
    trade = ("trade", int(TIMES[2]), hqt.BUY, hqt.DealEntry.IN, ASKS[2])
    assert s.events == [("start",), *ticks[:3], trade, *ticks[3:], ("stop",)]
    assert s.engines == {id(e)}, "callbacks get the hqt.Engine that runs them"
    assert e.pending_events == 0 and e.time == TIMES[-1]


def test_event_objects_are_typed():
    e = make_engine()
    got: dict[str, object] = {}

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            got.setdefault("tick", tick)
            if tick.time == TIMES[0]:
                engine.buy(0, 0.1)

        def on_trade(self, engine, deal):
            got["deal"] = deal

    e.run(S())
    assert type(got["tick"]) is hqt.Tick and type(got["deal"]) is hqt.Deal
    assert got["deal"] == e.deals[0]
    assert got["tick"] == hqt.Tick(0, int(TIMES[0]), BIDS[0], ASKS[0])


def test_kept_ticks_stay_correct():
    """The trampoline reuses a Tick only when nobody else holds it."""
    e = make_engine()
    kept: list[hqt.Tick] = []

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            if tick.time % (2 * SEC) == 0:
                kept.append(tick)

    e.run(S())
    assert [(t.time, t.bid) for t in kept] == [(int(TIMES[i]), BIDS[i]) for i in (0, 2, 4)]
    assert len({id(t) for t in kept}) == 3


def test_kept_bars_stay_correct():
    """The trampoline refills one Bar in place only while nobody else holds
    it: a bar the strategy keeps keeps its values when the next arrives."""
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    closes = 1.1 + 0.0001 * np.arange(7)
    e.load_bars(
        0,
        hqt.M1,
        T0 + MIN * np.arange(7),
        closes,
        closes + 0.0002,
        closes - 0.0002,
        closes,
        np.ones(7),
    )
    kept: list[hqt.Bar] = []
    seen: list[tuple[int, float, bool]] = []

    class S(hqt.Strategy):
        def on_bar(self, engine, bar):
            seen.append((bar.time, bar.close, bar.complete))
            if len(seen) % 2:
                kept.append(bar)

    e.run(S(), progress=False)
    assert [t for t, _, _ in seen] == (T0 + MIN * np.arange(7)).tolist()
    assert [(b.time, b.close, b.complete) for b in kept] == seen[::2]
    assert len({id(b) for b in kept}) == len(kept)


def test_only_overridden_callbacks_are_wired():
    class OnlyBar(hqt.Strategy):
        def on_bar(self, engine, bar):
            pass

    cbs = strategy_callbacks(OnlyBar())
    assert cbs is not None and [c is not None for c in cbs] == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
    ]
    assert strategy_callbacks(hqt.Strategy()) is None
    assert strategy_callbacks(None) is None

    class Sub(OnlyBar):  # inherited override counts
        pass

    assert strategy_callbacks(Sub())[2] is not None


def test_instance_attribute_and_duck_typed_strategies():
    seen: list[int] = []
    s = hqt.Strategy()
    s.on_tick = lambda engine, tick: seen.append(tick.time)  # type: ignore[method-assign]
    e = make_engine()
    e.run(s)
    assert seen == TIMES.tolist()

    class Duck:
        def __init__(self):
            self.n = 0

        def on_tick(self, engine, tick):
            self.n += 1

    d = Duck()
    e = make_engine()
    e.run(d)
    assert d.n == len(TIMES)
    with pytest.raises(TypeError, match="callable"):
        make_engine().run(type("Bad", (), {"on_tick": 5})())


def test_strategy_without_overrides_runs_natively():
    e = make_engine()
    e.run(hqt.Strategy())
    assert e.pending_events == 0 and e.time == TIMES[-1]


def test_exception_in_on_tick_propagates_unchanged():
    e = make_engine()
    err = ValueError("strategy bug")
    stopped: list[bool] = []

    class Buggy(hqt.Strategy):
        def on_tick(self, engine, tick):
            if tick.time == TIMES[0]:
                engine.buy(0, 0.1)
            if tick.time == TIMES[3]:
                raise err

        def on_stop(self, engine):
            stopped.append(True)

    with pytest.raises(ValueError) as info:
        e.run(Buggy())
    assert info.value is err
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "on_tick" in frames
    assert stopped == [True], "on_stop runs after an error"
    # consistent state: the raising tick was processed, the rest is still loaded
    assert e.time == TIMES[3] and e.pending_events == 2
    (p,) = e.positions
    assert p.volume == 0.1 and p.profit == pytest.approx((BIDS[3] - ASKS[0]) * 10_000)
    assert e.symbol(0).bid == BIDS[3]
    e.run()  # continues with the remaining events
    assert e.pending_events == 0 and e.time == TIMES[-1]
    assert e.positions[0].profit == pytest.approx((BIDS[-1] - ASKS[0]) * 10_000)


def test_exception_in_on_start_and_on_trade():
    e = make_engine()
    stopped: list[bool] = []

    class BadStart(hqt.Strategy):
        def on_start(self, engine):
            raise RuntimeError("no start")

        def on_tick(self, engine, tick):  # pragma: no cover - must not run
            raise AssertionError("on_tick after a failed on_start")

        def on_stop(self, engine):
            stopped.append(True)

    with pytest.raises(RuntimeError, match="no start"):
        e.run(BadStart())
    assert stopped == [True] and e.pending_events == len(TIMES)

    class BadTrade(hqt.Strategy):
        def on_tick(self, engine, tick):
            engine.buy(0, 0.1)

        def on_trade(self, engine, deal):
            raise KeyError("trade handler")

    with pytest.raises(KeyError, match="trade handler"):
        e.run(BadTrade())
    assert len(e.positions) == 1 and e.pending_events == len(TIMES) - 1


def test_failing_on_stop_after_error_keeps_the_original():
    e = make_engine()

    class Both(hqt.Strategy):
        def on_tick(self, engine, tick):
            raise ValueError("first")

        def on_stop(self, engine):
            raise TypeError("second")

    with pytest.raises(ValueError, match="first") as info:
        e.run(Both())
    assert any("second" in n for n in getattr(info.value, "__notes__", []))


def test_base_exceptions_propagate():
    class Interrupt(BaseException):
        pass

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            raise Interrupt()

    e = make_engine()
    with pytest.raises(Interrupt):
        e.run(S())
    assert e.pending_events == len(TIMES) - 1


def test_trade_errors_from_callbacks_propagate():
    class Greedy(hqt.Strategy):
        def on_tick(self, engine, tick):
            engine.buy(0, 99.0)

    e = make_engine()
    with pytest.raises(hqt.InsufficientMarginError):
        e.run(Greedy())
    assert e.positions == [] and e.deals == []


def test_reentrant_run_is_busy():
    errors: list[BaseException] = []

    class Nested(hqt.Strategy):
        def on_tick(self, engine, tick):
            for call in (
                engine.run,
                lambda: engine.process_event(hqt.Tick(0, tick.time, 1.1, 1.2)),
            ):
                try:
                    call()
                except hqt.BusyError as exc:
                    errors.append(exc)

    e = make_engine()
    e.run(Nested())
    assert len(errors) == 2 * len(TIMES) and e.pending_events == 0


def test_no_reference_leaks():
    e = make_engine()
    s = Recorder(buy_at=1)
    gc.collect()
    before = (sys.getrefcount(s), sys.getrefcount(e), sys.getrefcount(Recorder.on_tick))
    e.run(s)
    e2 = make_engine()
    with pytest.raises(ZeroDivisionError):
        e2.run(type("Z", (hqt.Strategy,), {"on_tick": lambda self, en, t: 1 / 0})())
    gc.collect()
    assert (sys.getrefcount(s), sys.getrefcount(e), sys.getrefcount(Recorder.on_tick)) == before


def test_process_event_calls_the_strategy():
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    s = Recorder(buy_at=0)
    e.process_event(hqt.Tick(0, int(TIMES[0]), BIDS[0], ASKS[0]), s)
    e.process_event(hqt.Tick(0, int(TIMES[1]), BIDS[1], ASKS[1]), s)
    assert [ev[0] for ev in s.events] == ["tick", "trade", "tick"]
    assert e.time == TIMES[1] and len(e.positions) == 1


def test_process_event_with_bars():
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD", spread=0.0002)
    got: list[hqt.Bar] = []

    class S(hqt.Strategy):
        def on_bar(self, engine, bar):
            got.append(bar)

    bar = hqt.Bar(0, hqt.M1, T0, 1.1, 1.101, 1.099, 1.1005, 12)
    e.process_event(bar, S())
    assert got == [bar]
    assert e.symbol(0).bid == 1.1005


def test_on_trade_for_sl_hits_comes_before_the_tick():
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    e.load_ticks(0, [T0, T0 + SEC, T0 + 2 * SEC], [1.1, 1.0994, 1.1], [1.1002, 1.0996, 1.1002])
    log: list[tuple] = []

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            if tick.time == T0:
                engine.buy(0, 0.1, sl=1.0995)
                return
            log.append(("tick", tick.time, len(engine.positions)))

        def on_trade(self, engine, deal):
            log.append(("trade", deal.time, deal.reason, deal.price))

    e.run(S())
    assert log[0] == ("trade", T0, hqt.DealReason.CLIENT, 1.1002)
    assert log[1:] == [
        ("trade", T0 + SEC, hqt.DealReason.SL, 1.0994),
        ("tick", T0 + SEC, 0),
        ("tick", T0 + 2 * SEC, 0),
    ]


def test_on_trade_only_for_deals_during_the_run():
    """A deal made before run() (no strategy attached) is not replayed to on_trade."""
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    e.process_event(hqt.Tick(0, T0, 1.1, 1.1002))
    e.buy(0, 0.1)
    e.load_ticks(0, [T0 + SEC], [1.1], [1.1002])
    s = Recorder()
    e.run(s)
    assert [ev[0] for ev in s.events] == ["start", "tick", "stop"]


def minute_ticks() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    t = np.sort(T0 + rng.integers(0, int(3.5 * MIN), 200)).astype(np.int64)
    bid_micro = 1_100_000 + np.cumsum(rng.integers(-20, 21, 200)) * 10
    return t, bid_micro / 1e6, (bid_micro + 20) / 1e6


def expected_m1_bars(t, bid):
    out = []
    m = (t - T0) // MIN
    for k in np.unique(m):
        sel = bid[m == k]
        out.append((T0 + int(k) * MIN, sel[0], sel.max(), sel.min(), sel[-1], float(len(sel))))
    return out


def test_bars_attribute_builds_bars_from_ticks():
    t, b, a = minute_ticks()
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    e.load_ticks(0, t, b, a)
    log: list[tuple] = []

    class S(hqt.Strategy):
        bars = [("EURUSD", hqt.M1)]

        def on_tick(self, engine, tick):
            log.append(("tick", tick.time))

        def on_bar(self, engine, bar):
            log.append(("bar", bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume))
            assert bar.timeframe == hqt.M1 and bar.symbol_id == 0

    e.run(S())
    bars = [ev[1:] for ev in log if ev[0] == "bar"]
    assert bars == expected_m1_bars(t, b)
    # a bar is delivered after the last tick of its minute and before the next minute's second tick
    for ev_i, ev in enumerate(log):
        if ev[0] == "bar":
            end = ev[1] + MIN
            assert all(x[1] < end for x in log[:ev_i] if x[0] == "tick" and x[1] < ev[1] + MIN)
            later_ticks = [x[1] for x in log[ev_i + 1 :] if x[0] == "tick"]
            assert all(x >= end for x in later_ticks)


def test_build_bars_then_run_and_flush():
    t, b, a = minute_ticks()
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    e.build_bars(0, hqt.M1)
    e.build_bars("EURUSD", hqt.M1)  # asking twice does nothing
    got: list[tuple] = []

    class S(hqt.Strategy):
        def on_bar(self, engine, bar):
            got.append((bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume))

    for i in range(len(t)):
        e.process_event(hqt.Tick(0, int(t[i]), b[i], a[i]), S())
    exp = expected_m1_bars(t, b)
    assert got == exp[:-1], "the open bar is not delivered yet"
    e.flush_bars(S())
    assert got == exp


def test_bars_attribute_with_unknown_symbol_changes_nothing():
    class S(hqt.Strategy):
        bars = [("GBPUSD", hqt.M1)]

        def on_bar(self, engine, bar):  # pragma: no cover
            pass

    e = make_engine()
    before = snapshot(e)
    with pytest.raises(hqt.UnknownSymbolError):
        e.run(S())
    assert snapshot(e) == before


def test_strategy_can_trade_fully_inside_callbacks():
    class Trader(hqt.Strategy):
        def on_tick(self, engine, tick):
            i = int((tick.time - T0) // SEC)
            if i == 0:
                self.t = engine.buy(0, 0.2, sl=1.09)
                self.o = engine.sell_limit(0, 0.1, 1.2)
            elif i == 1:
                engine.modify(self.t, tp=1.2)
                engine.modify_order(self.o, price=1.19)
            elif i == 2:
                engine.close(self.t, 0.1)
            elif i == 3:
                engine.cancel(self.o)
                self.state = (engine.balance, len(engine.positions), len(engine.orders))

    e = make_engine()
    s = Trader()
    e.run(s)
    (p,) = e.positions
    assert (p.volume, p.sl, p.tp) == (0.1, 1.09, 1.2)
    assert s.state[1:] == (1, 0)
    assert s.state[0] == pytest.approx(10_000 + (BIDS[2] - ASKS[0]) * 10_000)


@pytest.mark.parametrize(
    "name,call",
    [
        ("dispose", lambda e: e.dispose()),
        ("clear_data", lambda e: e.clear_data()),
        ("load_ticks", lambda e: e.load_ticks(0, [int(TIMES[-1]) + 1], [1.1], [1.2])),
        ("add_symbol", lambda e: e.add_symbol("GBPUSD")),
        ("set_account_mode", lambda e: e.set_account_mode("netting")),
        ("flush_bars", lambda e: e.flush_bars()),
        ("run", lambda e: e.run()),
    ],
)
def test_calls_not_allowed_from_callbacks_are_busy(name, call):
    errors: list[BaseException] = []

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            try:
                call(engine)
            except hqt.BusyError as exc:
                errors.append(exc)

    e = make_engine()
    e.run(S())
    assert len(errors) == len(TIMES), name
    assert not e.disposed and e.pending_events == 0 and e.symbol_count == 1


def test_bars_attribute_after_clear_data():
    t, b, a = minute_ticks()

    class S(hqt.Strategy):
        bars = [(0, hqt.M1)]

        def __init__(self):
            self.n = 0

        def on_bar(self, engine, bar):
            self.n += 1

    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    e.load_ticks(0, t, b, a)
    s1 = S()
    e.run(s1)
    e.clear_data()
    e.load_ticks(0, t + 3600 * SEC, b, a)
    s2 = S()
    e.run(s2)
    assert s1.n == s2.n == len(expected_m1_bars(t, b))
