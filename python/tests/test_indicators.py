"""Native indicators (docs/indicators.md) against TA-Lib's Python wrapper, value by
value, on long random series: on loaded bars, on ticks (bid / ask / mid), on bars
built from ticks; warm-up (NaN and ``ready`` where TA-Lib starts), history
indexing, declaration from a strategy, errors, and the plot sketch.

The engine holds prices as exact micro units; TA-Lib gets the same prices as
``micro / 1e6`` doubles, i.e. exactly what the engine's indicators read. The
windowed sums of the engine are exact integers where TA-Lib keeps a running
double sum, and TA-Lib's EMA seeds are double sums too, so values may differ
in the last bits: compared with rtol 1e-9 (and atol 1e-9 for values that pass
through 0, such as MACD). NaN positions must be identical.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hqt

talib = pytest.importorskip("talib")

T0 = 1_704_067_200 * 10**9
MIN = 60 * 10**9
N = 20_000  # bars per series


def _engine() -> tuple[hqt.Engine, int]:
    e = hqt.Engine(1e9, "USD", 1)
    sid = e.add_symbol(
        "X",
        base_currency="USD",
        profit_currency="USD",
        contract_size=1,
        digits=2,
        margin_mode="cfd",
        volume_min=1,
        volume_step=1,
        volume_max=10,
    )
    return e, sid


def _bars(n: int, seed: int, level: float = 100.0) -> dict[str, np.ndarray]:
    """Random-walk OHLC on a 0.01 grid; returned as the doubles the engine reads."""
    rng = np.random.default_rng(seed)
    c = np.rint(level * 100 + np.cumsum(rng.normal(0, 40, n))).astype(np.int64)
    c = np.abs(c - c.min()) + int(level * 50)  # keep it positive
    o = np.r_[c[0], c[:-1]] + rng.integers(-5, 6, n)
    h = np.maximum(o, c) + rng.integers(0, 30, n)
    low = np.minimum(o, c) - rng.integers(0, 30, n)
    # exact hundredths as micro units, then micro / 1e6: the engine's doubles
    to = lambda cents: (cents * 10_000) / 1e6  # noqa: E731
    # flat stretches: equal highs/lows and zero ranges (RSI/STOCH edge cases)
    flat = slice(n // 3, n // 3 + 40)
    o[flat] = h[flat] = low[flat] = c[flat] = c[n // 3]
    return {"open": to(o), "high": to(h), "low": to(low), "close": to(c)}


@pytest.fixture(scope="module")
def bars() -> dict[str, np.ndarray]:
    return _bars(N, seed=7)


def _run_bars(b: dict[str, np.ndarray], decls: list[tuple]) -> list:
    """Declares each (kind, params, kwargs) on M1 bars, runs, returns the indicators."""
    e, sid = _engine()
    n = len(b["close"])
    e.load_bars(
        sid, hqt.M1, T0 + np.arange(n) * MIN, b["open"], b["high"], b["low"], b["close"], np.ones(n)
    )
    out = [e.indicator(k, sid, hqt.M1, *p, history=n, **kw) for k, p, kw in decls]
    e.run(progress=False)
    return out


def _values(line) -> np.ndarray:
    return np.array(line.history())


def _same(ours: np.ndarray, ref: np.ndarray, what: str) -> None:
    assert ours.shape == ref.shape, what
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"{what}: warm-up")
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=what)


SINGLE = [
    (hqt.SMA, (1,), "SMA"),
    (hqt.SMA, (10,), "SMA"),
    (hqt.SMA, (200,), "SMA"),
    (hqt.EMA, (1,), "EMA"),
    (hqt.EMA, (12,), "EMA"),
    (hqt.EMA, (100,), "EMA"),
    (hqt.WMA, (2,), "WMA"),
    (hqt.WMA, (30,), "WMA"),
    (hqt.RSI, (2,), "RSI"),
    (hqt.RSI, (14,), "RSI"),
    (hqt.STDDEV, (5, 1.0), "STDDEV"),
    (hqt.STDDEV, (50, 2.5), "STDDEV"),
    (hqt.HIGHEST, (30,), "MAX"),
    (hqt.LOWEST, (7,), "MIN"),
]


def test_single_output_on_bars_match_talib(bars):
    lines = _run_bars(bars, [(k, p, {}) for k, p, _ in SINGLE])
    for (_, params, fn), line in zip(SINGLE, lines, strict=True):
        ref = getattr(talib, fn)(bars["close"], *params)
        _same(_values(line), ref, f"{fn}{params}")
        assert line.warmup == int(np.argmax(~np.isnan(ref))) + 1


def test_sources_open_high_low(bars):
    lines = _run_bars(
        bars,
        [(hqt.SMA, (9,), {"source": s}) for s in ("open", "high", "low")]
        + [(hqt.EMA, (9,), {"source": hqt.PriceSource.HIGH})],
    )
    for line, col in zip(lines[:3], ("open", "high", "low"), strict=True):
        _same(_values(line), talib.SMA(bars[col], 9), f"SMA {col}")
    _same(_values(lines[3]), talib.EMA(bars["high"], 9), "EMA high")


def test_range_and_multi_output_match_talib(bars):
    h, lo, c = bars["high"], bars["low"], bars["close"]
    atr1, atr14, bb, bb2, macd, macd2, stoch, stoch2, don = _run_bars(
        bars,
        [
            (hqt.ATR, (1,), {}),
            (hqt.ATR, (14,), {}),
            (hqt.BBANDS, (), {}),
            (hqt.BBANDS, (20, 2.0, 1.5), {}),
            (hqt.MACD, (), {}),
            (hqt.MACD, (5, 35, 5), {}),
            (hqt.STOCH, (), {}),
            (hqt.STOCH, (14, 3, 5), {}),
            (hqt.DONCHIAN, (20,), {}),
        ],
    )
    _same(_values(atr1), talib.ATR(h, lo, c, 1), "ATR(1)")
    _same(_values(atr14), talib.ATR(h, lo, c, 14), "ATR(14)")
    for ind, args in ((bb, (5, 2.0, 2.0)), (bb2, (20, 2.0, 1.5))):
        u, m, low = talib.BBANDS(c, args[0], args[1], args[2], 0)
        for line, ref, name in zip(
            (ind.upper, ind.middle, ind.lower), (u, m, low), "uml", strict=True
        ):
            _same(_values(line), ref, f"BBANDS{args}.{name}")
    for ind, args in ((macd, (12, 26, 9)), (macd2, (5, 35, 5))):
        refs = talib.MACD(c, *args)
        for line, ref, name in zip(
            (ind.macd, ind.signal, ind.hist), refs, ("macd", "sig", "hist"), strict=True
        ):
            _same(_values(line), ref, f"MACD{args}.{name}")
    for ind, args in ((stoch, (5, 3, 3)), (stoch2, (14, 3, 5))):
        k, d = talib.STOCH(h, lo, c, args[0], args[1], 0, args[2], 0)
        _same(_values(ind.k), k, f"STOCH{args}.k")
        _same(_values(ind.d), d, f"STOCH{args}.d")
    up, dn = talib.MAX(h, 20), talib.MIN(lo, 20)
    _same(_values(don.upper), up, "DONCHIAN.upper")
    _same(_values(don.lower), dn, "DONCHIAN.lower")
    _same(_values(don.middle), (up + dn) / 2, "DONCHIAN.middle")


def test_ticks_bid_ask_mid_match_talib():
    rng = np.random.default_rng(3)
    n = 30_000
    bid_u = 1_100_000 + np.cumsum(rng.integers(-20, 21, n))  # 1.1 on a 1e-6 grid
    ask_u = bid_u + rng.integers(1, 30, n)
    e, sid = _engine()
    e.load_ticks(sid, T0 + np.arange(n) * 10**8, bid_u / 1e6, ask_u / 1e6)
    decl = [
        (hqt.SMA, (20,), "bid"),
        (hqt.EMA, (50,), "ask"),
        (hqt.RSI, (14,), "mid"),
        (hqt.BBANDS, (30, 2.0, 2.0), "mid"),
        (hqt.ATR, (10,), None),
    ]
    lines = [e.indicator(k, "X", None, *p, source=s, history=n) for k, p, s in decl]
    e.run(progress=False)
    bid, ask, mid = bid_u / 1e6, ask_u / 1e6, (bid_u + ask_u) / 2e6
    _same(_values(lines[0]), talib.SMA(bid, 20), "SMA bid")
    _same(_values(lines[1]), talib.EMA(ask, 50), "EMA ask")
    _same(_values(lines[2]), talib.RSI(mid, 14), "RSI mid")
    _same(_values(lines[3].middle), talib.BBANDS(mid, 30, 2, 2, 0)[1], "BBANDS mid")
    # on ticks high = low = close = the price: ATR is the mean absolute change
    _same(_values(lines[4]), talib.ATR(bid, bid, bid, 10), "ATR ticks")


def test_bars_built_from_ticks_and_callback_order():
    """An M5 indicator over bars built from ticks: on_bar reads the value that
    includes that bar (updated before the callback), equal to TA-Lib over the
    closes on_bar saw."""
    rng = np.random.default_rng(11)
    n = 20_000
    bid = (2_000_000 + np.cumsum(rng.integers(-50, 51, n))) / 1e6
    e, sid = _engine()
    e.load_ticks(sid, T0 + np.arange(n) * 7 * 10**9, bid, bid + 0.0001)

    class S(hqt.Strategy):
        bars = [("X", hqt.M5)]

        def __init__(self):
            self.ema = self.indicator(hqt.EMA, "X", hqt.M5, 8)
            self.closes, self.seen = [], []

        def on_bar(self, engine, bar):
            self.closes.append(bar.close)
            self.seen.append(self.ema[0])

    s = S()
    e.run(s, progress=False)
    assert len(s.closes) > 400
    _same(np.array(s.seen), talib.EMA(np.array(s.closes), 8), "EMA M5 built")


def test_history_indexing_and_warmup():
    b = _bars(100, seed=1)
    (sma,) = _run_bars(b, [(hqt.SMA, (10,), {})])
    ref = talib.SMA(b["close"], 10)
    assert sma.ready and sma.count == 100 and len(sma) == 100
    assert sma[0] == pytest.approx(ref[-1], rel=1e-12) and sma.value == sma[0]
    assert float(sma) == sma[0]
    assert sma[-1] == pytest.approx(ref[-2], rel=1e-12)
    assert sma[-90] == pytest.approx(ref[9], rel=1e-12) and math.isnan(sma[-91])
    with pytest.raises(IndexError, match=r"\[0\] is the newest"):
        sma[1]
    with pytest.raises(IndexError):
        sma[-100]  # history=100 keeps [0] ... [-99]

    e, sid = _engine()
    short = e.indicator(hqt.RSI, sid, hqt.M1, 3, history=4)
    assert not short.ready and len(short) == 0 and math.isnan(short[0])
    for i, c in enumerate([1.0, 2.0, 1.5, 3.0, 2.5, 2.0]):
        e.process_event(hqt.Bar(sid, hqt.M1, T0 + i * MIN, c, c, c, c, 1.0))
        assert short.ready == (i >= 3)  # TA-Lib's RSI(3) starts at index 3
    ref = talib.RSI(np.array([1.0, 2.0, 1.5, 3.0, 2.5, 2.0]), 3)
    assert [short[-k] for k in range(4)] == pytest.approx(
        list(ref[::-1][:4]), rel=1e-12, nan_ok=True
    )
    assert short.history() == pytest.approx(list(ref[2:]), rel=1e-12, nan_ok=True)


def test_values_read_in_callbacks_keep_their_value():
    """line[0] refills the float it handed out last only while nothing else
    holds it (docs/indicators.md), and line.count the int: a value kept from
    an earlier bar keeps its value, [0] after the value changed reads the new
    one, and keys of other int types read the same values as 0 and -1."""
    b = _bars(600, seed=4)
    e, sid = _engine()
    n = len(b["close"])
    e.load_bars(
        sid, hqt.M1, T0 + np.arange(n) * MIN, b["open"], b["high"], b["low"], b["close"], np.ones(n)
    )

    class S(hqt.Strategy):
        def __init__(self):
            self.sma = self.indicator(hqt.SMA, "X", hqt.M1, 5)
            self.kept, self.copies, self.previous, self.counts = [], [], [], []

        def on_bar(self, engine, bar):
            count = self.sma.count
            assert count == self.sma.count == len(self.copies) + 1
            if len(self.copies) % 3 == 0:
                self.counts.append(count)
            now, again = self.sma[0], self.sma[0]
            assert now == again or (math.isnan(now) and math.isnan(again))
            assert self.sma[np.int64(0)] == now or math.isnan(now)
            assert float(self.sma) == now or math.isnan(now)
            if len(self.copies) % 3 == 0:
                self.kept.append(now)  # kept: must not change on later bars
            self.copies.append(now * 1.0)  # a new float with the value read
            self.previous.append(self.sma[-1])
            assert self.sma[np.int64(-1)] == self.previous[-1] or math.isnan(self.previous[-1])

    s = S()
    e.run(s, progress=False)
    ref = talib.SMA(b["close"], 5)
    _same(np.array(s.copies), ref, "SMA read in on_bar")
    _same(np.array(s.kept), ref[::3], "values kept from earlier bars")
    _same(np.array(s.previous[1:]), ref[:-1], "[-1]")
    assert s.counts == list(range(1, 601, 3))  # past 256: the ints that are refilled


def test_attributes_read_by_any_name_object():
    """count, ready and value have a fast path for their interned names: the
    same names as other string objects, and the other attributes, read the
    same way."""
    e, sid = _engine()
    line = e.indicator(hqt.SMA, sid, hqt.M1, 2)
    for i, c in enumerate([1.0, 2.0, 4.0]):
        e.process_event(hqt.Bar(sid, hqt.M1, T0 + i * MIN, c, c, c, c, 1.0))
        for name in ("count", "ready", "value", "warmup", "output"):
            other = "".join(list(name))  # equal, but not the interned object
            assert other is not name
            assert getattr(line, other) == getattr(line, name) or math.isnan(line.value)
        assert line.count == i + 1 and line.ready == (i >= 1)
    assert line.value == 3.0
    with pytest.raises(AttributeError):
        line.counts  # noqa: B018


def test_strategy_declared_in_init_and_on_start():
    b = _bars(500, seed=2)
    e, sid = _engine()
    n = 500
    e.load_bars(
        sid, hqt.M1, T0 + np.arange(n) * MIN, b["open"], b["high"], b["low"], b["close"], np.ones(n)
    )

    class S(hqt.Strategy):
        def __init__(self):
            self.fast = self.indicator(hqt.SMA, "X", hqt.M1, 5)
            self.macd = self.indicator(hqt.MACD, "X", hqt.M1)
            self.log = []

        def on_start(self, engine):
            self.wma = self.indicator(hqt.WMA, "X", hqt.M1, 4)

        def on_bar(self, engine, bar):
            self.log.append((self.fast[0], self.macd.signal[0], self.wma[0]))

    s = S()
    with pytest.raises(hqt.StateError, match="not bound"):
        s.fast[0]
    assert not s.fast.bound and s.fast.id is None
    e.run(s, progress=False)
    got = np.array(s.log)
    _same(got[:, 0], talib.SMA(b["close"], 5), "SMA in on_bar")
    _same(got[:, 1], talib.MACD(b["close"])[1], "MACD signal in on_bar")
    _same(got[:, 2], talib.WMA(b["close"], 4), "WMA in on_bar")
    assert repr(s.macd).startswith("<Indicator MACD macd=")
    e.dispose()
    with pytest.raises(hqt.StateError, match="disposed"):
        s.fast[0]


@pytest.mark.parametrize(
    "args,kwargs,match",
    [
        ((99, 0, hqt.M1), {}, "unknown indicator kind"),
        ((hqt.SMA, 0, hqt.M1, 0), {}, "period 1 must be"),
        ((hqt.SMA, 0, hqt.M1, 2.5), {}, "period 1 must be"),
        ((hqt.SMA, 0, hqt.M1, 1, 2), {}, "at most 1 parameter"),
        ((hqt.MACD, 0, hqt.M1, 26, 12), {}, "fast period < slow"),
        ((hqt.STDDEV, 0, hqt.M1, 20_000), {}, "1...10000"),
        ((hqt.SMA, 0, None, 5), {"source": "close"}, "on ticks reads bid, ask or mid"),
        ((hqt.SMA, 0, hqt.M1, 5), {"source": "mid"}, "on bars reads open"),
        ((hqt.ATR, 0, hqt.M1, 5), {"source": "high"}, "leave the source unset"),
        ((hqt.SMA, 0, hqt.M1, 5), {"source": "last"}, "unknown price source"),
        ((hqt.SMA, 0, hqt.M1, 5), {"history": 0}, "history must be"),
        ((hqt.SMA, 0, hqt.M1, 5), {"history": 2**40}, "history must be"),
        ((hqt.SMA, 0, hqt.M1, float("nan")), {}, "period 1 must be"),
        ((hqt.SMA, 0, 7, 5), {}, "timeframe 7"),
    ],
)
def test_bad_declarations(args, kwargs, match):
    e, _ = _engine()
    with pytest.raises(hqt.InvalidArgumentError, match=match):
        e.indicator(*args, **kwargs)


def test_unknown_symbol():
    e, _ = _engine()
    with pytest.raises(hqt.HQTError, match="no symbol named"):
        e.indicator(hqt.SMA, "NOPE", hqt.M1, 5)


def test_plot_draws_indicators(bars):
    pytest.importorskip("matplotlib")
    e, sid = _engine()
    n = len(bars["close"])
    e.load_bars(
        sid,
        hqt.M1,
        T0 + np.arange(n) * MIN,
        bars["open"],
        bars["high"],
        bars["low"],
        bars["close"],
        np.ones(n),
    )
    e.indicator(hqt.SMA, "X", hqt.M1, 20)
    e.indicator(hqt.BBANDS, "X", hqt.M1, 20)
    e.indicator(hqt.RSI, "X", hqt.M1, 14)
    result = e.run(progress=False)
    sk = result.indicators
    assert set(sk) == {"SMA(20) X M1", "BBANDS(20) X M1", "RSI(14) X M1"}
    t, v, kind, _ = sk["BBANDS(20) X M1"]
    assert v.shape[1] == 3 and 1024 <= len(t) <= 2048 and kind == hqt.BBANDS
    assert np.all(np.diff(t) > 0) and not np.isnan(v).any()
    fig = result.plot()
    labels = [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    assert "SMA(20) X M1" in labels and "BBANDS(20) X M1.upper" in labels
    assert "RSI(14) X M1" in labels  # oscillators get a panel of their own
    assert len(fig.axes) == 4


# ---- kill -9 mid-run, recover from the WAL, resume: indicators come back warm

KILL_SCRIPT = r"""
import json, os, signal, sys
import numpy as np
import hqt

log, die_after = sys.argv[1], int(sys.argv[2])
T0, MIN = 1_704_067_200 * 10**9, 60 * 10**9
e = hqt.Engine(1e9, "USD", 1, mode="netting")
e.add_symbol("X", base_currency="USD", profit_currency="USD", contract_size=1, digits=2,
             margin_mode="cfd", volume_min=1, volume_step=1, volume_max=10)
n = 3000
rng = np.random.default_rng(4)
c = (4000 + np.cumsum(rng.integers(-8, 9, n))) * 0.25
e.load_bars(0, hqt.M1, T0 + np.arange(n) * MIN, c, c + 0.5, c - 0.5, c, np.ones(n))

class S(hqt.Strategy):
    def __init__(self):
        self.ema = self.indicator(hqt.EMA, "X", hqt.M1, 20)
        self.rsi = self.indicator(hqt.RSI, "X", hqt.M1, 14)
        self.macd = self.indicator(hqt.MACD, "X", hqt.M1)
        self.seen = 0
        self.first = None

    def on_bar(self, engine, bar):
        self.seen += 1
        if self.seen == die_after:
            os.kill(os.getpid(), signal.SIGKILL)
        if engine.warming_up:
            return
        if self.first is None:  # the first live bar of this process
            self.first = (bar.time, self.ema.count, self.ema[0], self.rsi[0], self.macd.signal[0])
        if not self.macd.ready:
            return
        want = 1 if self.macd.hist[0] > 0 and self.rsi[0] < 70 else -1
        pos = engine.positions  # the side from the engine: it survives the crash
        side = 0 if not pos else (1 if int(pos[0].type) == 0 else -1)
        if want != side:
            (engine.buy if want > 0 else engine.sell)(0, 1.0 if side == 0 else 2.0)

s = S()
existed = os.path.exists(log) and os.path.getsize(log) > 0
e.enable_wal(log, truncate=False, checkpoint_every=50)
if existed:
    e.recover_from_wal()
    e.run(s, resume=True, progress=False)
else:
    e.run(s, progress=False)
print(json.dumps({
    "deals": [(d.ticket, d.time, d.price, d.volume) for d in e.deals],
    "ema": s.ema.history()[-5:], "rsi": s.rsi[0], "count": s.ema.count,
    "first": s.first,
}))
"""


def test_kill9_recovery_restores_indicators(tmp_path):
    import json
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "ind_run.py"
    script.write_text(KILL_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(Path(hqt.__file__).resolve().parents[1]))

    def run(log: Path, die_after: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), str(log), str(die_after)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    reference = run(tmp_path / "ref.wal", 0)
    assert reference.returncode == 0, reference.stderr
    ref = json.loads(reference.stdout)
    assert len(ref["deals"]) > 20 and ref["count"] == 3000
    rng = np.random.default_rng(4)
    closes = (4000 + np.cumsum(rng.integers(-8, 9, 3000))) * 0.25
    ema = talib.EMA(closes, 20)
    for die_after in (700, 2100):
        log = tmp_path / f"k{die_after}.wal"
        killed = run(log, die_after)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        resumed = run(log, 0)
        assert resumed.returncode == 0, resumed.stderr
        got = json.loads(resumed.stdout)
        # same trades, same final values as the run that was never killed
        assert got["deals"] == ref["deals"] and got["ema"] == ref["ema"]
        assert got["rsi"] == ref["rsi"] and got["count"] == 3000
        # warm at the first live bar after the resume: the checkpoint's state
        # plus the events replayed after it, equal to TA-Lib at that bar
        t, count, ema0, _, _ = got["first"]
        i = (t - T0) // MIN
        assert count == i + 1 and ema0 == pytest.approx(ema[i], rel=1e-9)


def test_checkpoint_section_decodes(tmp_path):
    """hqt.wal_records reads the v5 indicator section (docs/wal-records.md), and
    the fields around it keep their values."""
    from hqt import wal, wal_records

    b = _bars(300, seed=5)
    e, sid = _engine()
    e.load_bars(
        sid, hqt.M1, T0 + np.arange(300) * MIN, b["open"], b["high"], b["low"], b["close"],
        np.ones(300),
    )  # fmt: skip
    e.indicator(hqt.BBANDS, "X", hqt.M1, 20, 2.0, 1.5, history=10)
    e.indicator(hqt.RSI, "X", None, source="mid")
    log = tmp_path / "i.wal"
    e.enable_wal(str(log), truncate=True)

    class S(hqt.Strategy):
        def on_bar(self, engine, bar):
            if len(engine.deals) < 3:
                engine.buy(0, 1.0)

        def get_state(self, engine):
            return b"mine"

    e.run(S(), progress=False)
    e.disable_wal()
    cps = [
        wal_records.decode_checkpoint(r.data)
        for r in wal.read_records(str(log))
        if wal.type_name(r.type) == "CHECKPOINT"
    ]
    last = cps[-1]
    assert last.version == 5 and last.strategy_state.endswith(b"mine")
    assert isinstance(last.order_history, list) and len(last.positions) == 3
    bb, rsi = last.indicators
    assert (bb.kind, bb.symbol_id, bb.timeframe, bb.source) == (
        hqt.BBANDS,
        0,
        1,
        hqt.PriceSource.CLOSE,
    )
    assert bb.params == (20.0, 2.0, 1.5) and bb.history == 10 and bb.count == 300
    assert (rsi.timeframe, rsi.source, rsi.params, rsi.count) == (
        0,
        hqt.PriceSource.MID,
        (14.0,),
        0,
    )
    assert 0 <= bb.last < 10 and len(bb.state) > 10 * 3 * 8


def test_recovery_into_declared_indicators_and_a_mismatch(tmp_path):
    """Indicators declared before recover_from_wal() take the checkpoint's state;
    a different declaration at the same position is refused (WALError)."""
    b = _bars(400, seed=6)

    def fresh() -> hqt.Engine:
        e, sid = _engine()
        e.load_bars(
            sid, hqt.M1, T0 + np.arange(400) * MIN, b["open"], b["high"], b["low"], b["close"],
            np.ones(400),
        )  # fmt: skip
        return e

    log = tmp_path / "r.wal"
    e = fresh()
    ema = e.indicator(hqt.EMA, "X", hqt.M1, 10)
    e.enable_wal(str(log), truncate=True)
    e.run(progress=False)
    final = ema.history()
    e.dispose()  # closes the log as a crash would leave it: nothing after the last checkpoint

    e2 = fresh()
    again = e2.indicator(hqt.EMA, "X", hqt.M1, 10)
    e2.enable_wal(str(log))
    e2.recover_from_wal()
    assert again.count == 400 and again.history() == final
    e2.dispose()  # releases the log's lock

    e3 = fresh()
    e3.indicator(hqt.SMA, "X", hqt.M1, 10)
    e3.enable_wal(str(log))
    with pytest.raises(hqt.WALError, match="declare the same indicators in the same order"):
        e3.recover_from_wal()
