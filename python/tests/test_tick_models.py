"""Tick models on ``Engine.run(..., tick_model=...)`` (docs/engine.md, "Tick models").

Sources for the expected sequences: the MQL5 article "The Algorithm of Ticks'
Generation within the Strategy Tester of the MetaTrader 5 Terminal"
(https://www.mql5.com/en/articles/75) and the MetaTrader 5 help "Real and
Generated Ticks": tick volume 1 gives the close only, 2 gives open and close;
otherwise the price goes open -> low -> high -> close on a rising bar (high
first on a falling one), with the remaining ticks as a saw-tooth between those
reference points. Prices below are EURUSD-like, 5 digits (1 point = 0.00001).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, T0

O, H, L, UP, DOWN = 1.10000, 1.10050, 1.09980, 1.10030, 1.09990


def engine_with_bars(
    opens, highs, lows, closes, volumes, timeframe: int = 1, spread: float = 0.0
) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD", spread=spread)
    n = len(opens)
    times = T0 + timeframe * MIN * np.arange(n, dtype=np.int64)
    e.load_bars(0, timeframe, times, opens, highs, lows, closes, volumes)
    return e


class Recorder(hqt.Strategy):
    """Records ticks (seconds into the bar's minute, bid) and bars."""

    def __init__(self) -> None:
        self.ticks: list[tuple[float, float]] = []
        self.bars: list[tuple[float, float, float, float]] = []
        self.started = False

    def on_start(self, engine):
        self.started = True

    def on_tick(self, engine, tick):
        assert engine.time == tick.time
        self.ticks.append(((tick.time - T0) / SEC, round(tick.bid, 5)))

    def on_bar(self, engine, bar):
        self.bars.append((bar.open, bar.high, bar.low, bar.close))


def ticks_of(model: str, close: float, volume: float = 0.0) -> list[tuple[float, float]]:
    e = engine_with_bars([O], [H], [L], [close], [volume])
    s = Recorder()
    e.run(s, tick_model=model, progress=False)
    assert s.bars == [(O, H, L, close)]  # the bar itself still reaches on_bar
    assert e.tick_model == model
    return s.ticks


def test_ohlc_m1_order_of_high_and_low():
    # Rising bar (close 1.10030 > open): O, L, H, C at :00, :15, :30, :45.
    assert ticks_of("ohlc_m1", UP) == [(0, O), (15, L), (30, H), (45, UP)]
    # Falling bar: O, H, L, C.
    assert ticks_of("ohlc_m1", DOWN) == [(0, O), (15, H), (30, L), (45, DOWN)]


def test_a_doji_follows_the_opposite_of_the_bar_before():
    # Bar 0 rises, bar 1 is a doji: taken as falling -> O, H, L, C.
    e = engine_with_bars([O, UP], [H, H], [L, L], [UP, UP], [0, 0])
    s = Recorder()
    e.run(s, tick_model="ohlc_m1", progress=False)
    assert s.ticks[4:] == [(60, UP), (75, H), (90, L), (105, UP)]


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        (1, [(0, UP)]),  # the close only
        (2, [(0, O), (30, UP)]),  # open, close
        (3, [(0, O), (20, H), (40, UP)]),  # one extreme: the farther from the open
        (4, [(0, O), (15, L), (30, H), (45, UP)]),  # the reference points
        (0, [(0, O), (15, L), (30, H), (45, UP)]),  # no tick volume: the four prices
    ],
)
def test_every_tick_small_volumes(volume, expected):
    assert ticks_of("every_tick", UP, volume) == expected


def test_every_tick_saw_tooth_between_reference_points():
    # Tick volume 10, legs O->L 2 points, L->H 7, H->C 2 (in 0.0001 steps of
    # 10 points each: 20, 70, 20 points); 6 extra ticks shared 1, 4, 1
    # (6x20/110 = 1.09, 6x70/110 = 3.8 -> the largest remainder gets the 6th).
    # O->L: half way, 1.09990. L->H: 2/5, 1/5, 4/5, 3/5 of 70 points:
    # 1.10008, 1.09994, 1.10036, 1.10022. H->C: half way, 1.10040. 6 s apart.
    prices = [p for _, p in ticks_of("every_tick", UP, 10)]
    assert prices == [
        1.10000,
        1.09990,
        1.09980,
        1.10008,
        1.09994,
        1.10036,
        1.10022,
        1.10050,
        1.10040,
        1.10030,
    ]
    assert [t for t, _ in ticks_of("every_tick", UP, 10)] == [6 * k for k in range(10)]


def test_every_tick_count_is_the_tick_volume_and_stays_in_the_bar():
    t = ticks_of("every_tick", DOWN, 250)
    prices = [p for _, p in t]
    assert len(prices) == 250 and prices[0] == O and prices[-1] == DOWN
    assert min(prices) == L and max(prices) == H
    assert prices.index(H) < prices.index(L)  # falling: the high first


def test_open_prices_is_the_open_of_each_bar_on_any_timeframe():
    e = engine_with_bars([O, UP], [H, H], [L, L], [UP, DOWN], [9, 9], timeframe=60)
    s = Recorder()
    e.run(s, tick_model="open_prices", progress=False)
    assert s.ticks == [(0, O), (3600, UP)]
    assert len(s.bars) == 2


def test_spread_gives_the_ask_of_generated_ticks():
    e = engine_with_bars([O], [H], [L], [UP], [0], spread=0.0002)
    seen = []

    class S(hqt.Strategy):
        def on_tick(self, engine, tick):
            seen.append(round(tick.ask - tick.bid, 5))

    e.run(S(), tick_model="ohlc_m1", progress=False)
    assert seen == [0.0002] * 4


class BuyOnFirstBar(hqt.Strategy):
    """1 lot at 1.10000, SL 1.09800, TP 1.10100, on the close of bar 0."""

    def on_bar(self, engine, bar):
        if not engine.deals:
            engine.buy(0, 1.0, sl=1.09800, tp=1.10100)


def tp_gap_engine(timeframe: int = 1) -> hqt.Engine:
    # Bar 1 opens at 1.10200 (beyond the TP) and reaches 1.09700 (below the SL).
    return engine_with_bars(
        [1.1, 1.102], [1.1, 1.1025], [1.1, 1.097], [1.1, 1.1], [20, 20], timeframe=timeframe
    )


@pytest.mark.parametrize("model", ["every_tick", "ohlc_m1", "open_prices"])
def test_a_bar_opening_beyond_tp_closes_at_tp_or_better(model):
    e = tp_gap_engine()
    e.run(BuyOnFirstBar(), tick_model=model, progress=False)
    d = e.deals[-1]
    assert d.reason == hqt.DealReason.TP
    # At the open tick, 1.10200: (1.10200 - 1.10000) x 100 000 = +200 USD.
    assert (d.price, d.profit, d.time) == (1.102, 200.0, T0 + MIN)


@pytest.mark.parametrize("model", ["bars", "real_ticks", None])
def test_the_bar_rule_closes_it_at_the_sl(model):
    e = tp_gap_engine()
    e.run(BuyOnFirstBar(), tick_model=model, progress=False)
    d = e.deals[-1]
    # Both levels crossed: SL first, 1.09800: -200 USD.
    assert d.reason == hqt.DealReason.SL and (d.price, d.profit) == (1.098, -200.0)
    assert e.tick_model == (model or "real_ticks")


def test_every_tick_needs_m1_bars():
    e = tp_gap_engine(timeframe=60)
    s = Recorder()
    with pytest.raises(hqt.InvalidArgumentError, match="M1.*H1.*open_prices"):
        e.run(s, tick_model="every_tick", progress=False)
    assert not s.started and e.pending_events == 2
    e.run(s, tick_model="bars", progress=False)  # the bar rule takes any timeframe
    assert e.pending_events == 0


def test_bad_tick_model_arguments():
    e = tp_gap_engine()
    with pytest.raises(hqt.InvalidArgumentError, match="did you mean 'every_tick'"):
        e.run(tick_model="everytick", progress=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tick_model"):
        e.run(tick_model=1.5, progress=False)  # type: ignore[arg-type]
    assert e.pending_events == 2
    # The generated enum is accepted as well.
    e.run(BuyOnFirstBar(), tick_model=hqt.TickModel.OHLC_M1, progress=False)  # type: ignore[arg-type]
    assert e.tick_model == "ohlc_m1"


def test_a_later_run_without_a_model_uses_the_default():
    e = tp_gap_engine()
    e.run(tick_model="every_tick", progress=False)
    e.load_bars(0, 1, [T0 + 2 * MIN], [1.1], [1.1], [1.1], [1.1], [1])
    e.run(progress=False)
    assert e.tick_model == "real_ticks"


def test_sweep_passes_the_tick_model():
    data = {
        "time": T0 + MIN * np.arange(2, dtype=np.int64),
        "open": np.array([1.1, 1.102]),
        "high": np.array([1.1, 1.1025]),
        "low": np.array([1.1, 1.097]),
        "close": np.array([1.1, 1.1]),
        "volume": np.array([20.0, 20.0]),
        "timeframe": 1,
    }
    args = {"symbols": {"TEST": {"base_currency": "USD", "profit_currency": "USD"}}}
    rows = {
        m: hqt.sweep(
            lambda: BuyOnFirstBar(), [{}], data, args, tick_model=m, processes=0, records=True
        )[0]
        for m in ("ohlc_m1", "bars")
    }
    assert rows["ohlc_m1"]["net_profit"] == pytest.approx(200.0)
    assert rows["bars"]["net_profit"] == pytest.approx(-200.0)
    with pytest.raises(hqt.InvalidArgumentError, match="tick_model"):
        hqt.sweep(lambda: BuyOnFirstBar(), [{}], data, args, tick_model="nope", processes=0)


# ---------------------------------------------------------------------------
# kill -9 and recovery
# ---------------------------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys
    import numpy as np
    import hqt

    path, die_at = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(5)
    n = 300
    close = 1.1 + np.cumsum(rng.integers(-40, 41, n)) * 1e-5
    open_ = np.concatenate([[1.1], close[:-1]])
    high = np.maximum(open_, close) + rng.integers(0, 30, n) * 1e-5
    low = np.minimum(open_, close) - rng.integers(0, 30, n) * 1e-5
    vol = rng.integers(1, 40, n).astype(float)
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("TEST", base_currency="USD", profit_currency="USD", spread=0.0002)
    e.load_bars(0, 1, T0 + 60 * 10**9 * np.arange(n, dtype=np.int64), open_, high, low, close, vol)

    class S(hqt.Strategy):
        def __init__(self):
            self.bars = 0

        def on_start(self, engine):
            if engine.warming_up:
                return
            engine.deposit(100.0)
            if die_at == -1:  # inside on_start, after its RUN_MARK STARTING
                os.kill(os.getpid(), signal.SIGKILL)

        def on_tick(self, engine, tick):
            if engine.warming_up:
                return
            k = (tick.time // 10**9) % 89
            if k == 3 and len(engine.positions) < 4:
                engine.buy(0, 0.1, sl=tick.bid - 0.0015, tp=tick.bid + 0.0012)
            elif k == 44 and len(engine.positions) < 4:
                engine.sell(0, 0.1, sl=tick.ask + 0.0013, tp=tick.ask - 0.0016)

        def on_bar(self, engine, bar):
            self.bars += 1
            if self.bars == die_at:
                os.kill(os.getpid(), signal.SIGKILL)

    recovered = os.path.exists(path)
    e.enable_wal(path, sync="always", checkpoint_every=25)
    if recovered:
        e.recover_from_wal()
        e.run(S(), resume=True, progress=False)
    else:
        e.run(S(), tick_model="every_tick", progress=False)
    e.disable_wal()
    print(json.dumps({
        "deals": [d._astuple() for d in e.deals],
        "curve": e.equity_curve.tolist(),
        "balance": e.account.balance,
        "tick_model": e.tick_model,
    }))
    """
).replace("T0", str(T0))


def _run_script(script: Path, wal: Path, die_at: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(hqt.__file__).parent.parent))
    return subprocess.run(
        [sys.executable, str(script), str(wal), str(die_at)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("die_at", [-1, 37, 150, 299])
def test_kill9_of_an_every_tick_run_resumes_to_the_same_result(tmp_path, die_at):
    """Killed in on_start (-1) or on bar `die_at`; resumed without naming the
    model: the log's RUN_MARK gives it."""
    script = tmp_path / "every_tick_run.py"
    script.write_text(SCRIPT)
    ref = _run_script(script, tmp_path / "ref.wal", 0)
    assert ref.returncode == 0, ref.stderr
    expected = json.loads(ref.stdout)
    assert len(expected["deals"]) > 10 and expected["tick_model"] == "every_tick"

    wal = tmp_path / "killed.wal"
    killed = _run_script(script, wal, die_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = _run_script(script, wal, 0)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == expected


def test_a_resume_under_another_model_is_refused(tmp_path):
    script = tmp_path / "every_tick_run.py"
    script.write_text(
        SCRIPT.replace(
            "e.run(S(), resume=True, progress=False)",
            'e.run(S(), resume=True, progress=False, tick_model="ohlc_m1")',
        )
    )
    wal = tmp_path / "killed.wal"
    assert _run_script(script, wal, 120).returncode == -signal.SIGKILL
    resumed = _run_script(script, wal, 0)
    assert resumed.returncode != 0
    assert "the recovered run used tick_model 'every_tick'" in resumed.stderr
