"""Loading market data: numpy fast path, conversions, all-or-nothing."""

from __future__ import annotations

import array
import sys

import numpy as np
import pytest

import hqt
from conftest import MIN, SEC, T0, snapshot


def ticks(n: int = 50, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = T0 + np.cumsum(rng.integers(1, 1000, n)) * 1_000_000
    bid_micro = 1_100_000 + np.cumsum(rng.integers(-30, 31, n)) * 10
    return t.astype(np.int64), bid_micro / 1e6, (bid_micro + 20) / 1e6


def loaded(e: hqt.Engine) -> list[tuple[int, int, int]]:
    """Run with a recording strategy: (time, bid_micro, ask_micro) of every tick."""
    seen: list[tuple[int, int, int]] = []

    class Rec(hqt.Strategy):
        def on_tick(self, engine, tick):
            seen.append((tick.time, tick.bid_micro, tick.ask_micro))

    e.run(Rec())
    return seen


def expected(t, bid, ask):
    return [
        (int(a), hqt.to_micro(b), hqt.to_micro(c)) for a, b, c in zip(t, bid, ask, strict=False)
    ]


def fresh() -> hqt.Engine:
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    return e


def test_int64_float64_contiguous_fast_path():
    t, b, a = ticks()
    assert t.dtype == np.int64 and b.dtype == np.float64 and t.flags.c_contiguous
    e = fresh()
    assert e.load_ticks(0, t, b, a) == len(t)
    assert e.pending_events == len(t)
    assert loaded(e) == expected(t, b, a)


def test_native_layer_takes_buffers_without_numpy():
    """The extension reads any buffer of the exact type (no conversion in C)."""
    t, b, a = ticks(5)
    e = fresh()
    n = e._load_ticks(
        0,
        array.array("q", t.tolist()),
        array.array("d", b.tolist()),
        memoryview(array.array("d", a.tolist())),
    )
    assert n == 5 and loaded(e) == expected(t, b, a)


def test_native_layer_rejects_non_contiguous_or_wrong_dtype():
    """hqt._hqt never copies: anything but a contiguous int64/float64 buffer is refused."""
    t, b, a = ticks(10)
    e = fresh()
    with pytest.raises(TypeError, match="contiguous"):
        e._load_ticks(0, t[::2], b[::2], a[::2].copy())
    with pytest.raises(TypeError, match="float64"):
        e._load_ticks(0, t, b.astype(np.float32), a)
    with pytest.raises(TypeError, match="int64"):
        e._load_ticks(0, t.astype(np.int32), b, a)
    with pytest.raises(TypeError):
        e._load_ticks(0, list(t), b, a)
    assert e.pending_events == 0


def test_read_only_arrays():
    t, b, a = ticks()
    for x in (t, b, a):
        x.flags.writeable = False
    e = fresh()
    e.load_ticks(0, t, b, a)
    assert loaded(e) == expected(t, b, a)


def test_non_contiguous_arrays_are_converted():
    t, b, a = ticks(40)
    e = fresh()
    assert e.load_ticks(0, t[::2], b[::2], a[::2]) == 20
    assert loaded(e) == expected(t[::2], b[::2], a[::2])


def test_plain_lists_and_tuples():
    t, b, a = ticks(7)
    e = fresh()
    e.load_ticks(0, [int(x) for x in t], tuple(float(x) for x in b), list(a))
    assert loaded(e) == expected(t, b, a)


def test_other_dtypes_are_converted():
    t, b, a = ticks(12)
    e = fresh()
    e.load_ticks(0, t.astype(np.uint64), b.astype(">f8"), a.astype(np.float32))
    got = loaded(e)
    assert [g[:2] for g in got] == [x[:2] for x in expected(t, b, a)]
    assert [g[2] for g in got] == [hqt.to_micro(float(x)) for x in a.astype(np.float32)]


def test_integer_prices_and_float_times():
    e = fresh()
    e.add_symbol(
        "US500",
        base_currency="USD",
        profit_currency="USD",
        margin_mode="cfd",
        contract_size=1,
        digits=1,
    )
    e.load_ticks(1, np.array([T0, T0 + SEC], dtype=np.float64), [4700, 4701], [4701, 4702])
    assert loaded(e) == [
        (T0, 4_700_000_000, 4_701_000_000),
        (T0 + SEC, 4_701_000_000, 4_702_000_000),
    ]


def test_datetime64_times():
    t, b, a = ticks(5)
    e = fresh()
    e.load_ticks(0, t.astype("datetime64[ns]").astype("datetime64[ms]"), b, a)
    assert [g[0] for g in loaded(e)] == [int(x) // 10**6 * 10**6 for x in t]


def test_empty_arrays():
    e = fresh()
    assert e.load_ticks(0, [], [], []) == 0
    assert e.load_ticks(0, np.empty(0, np.int64), np.empty(0), np.empty(0)) == 0
    assert e.pending_events == 0


def test_micro_loading_is_exact():
    e = fresh()
    e.load_ticks_micro(0, [T0, T0 + 1], [1_100_001, 1_100_003], [1_100_021, 1_100_023])
    assert loaded(e) == [(T0, 1_100_001, 1_100_021), (T0 + 1, 1_100_003, 1_100_023)]
    with pytest.raises(TypeError):
        e.load_ticks_micro(0, [T0 + 2], [1.1], [1.2])


def test_rounding_of_prices_is_half_away_from_zero():
    e = fresh()
    e.add_symbol("XXXUSD", digits=6)
    prices = [1.0000005, 1.0000015, 1.2345675, 2.0000025, 1.1]
    e.load_ticks(1, T0 + np.arange(5), prices, [p + 0.001 for p in prices])
    assert [g[1] for g in loaded(e)] == [hqt.to_micro(p) for p in prices]


def test_all_or_nothing():
    t, b, a = ticks(20)
    b = b.copy()
    b[13] = -1.0
    e = fresh()
    before = snapshot(e)
    with pytest.raises((hqt.InvalidPriceError, hqt.BadDataError), match="13"):
        e.load_ticks(0, t, b, a)
    assert snapshot(e) == before


def test_appending_keeps_order_across_calls():
    t, b, a = ticks(30)
    e = fresh()
    e.load_ticks(0, t[:10], b[:10], a[:10])
    e.load_ticks(0, t[10:], b[10:], a[10:])
    with pytest.raises(hqt.DataOrderError):
        e.load_ticks(0, t[:1], b[:1], a[:1])
    assert loaded(e) == expected(t, b, a)


def test_multi_symbol_merge_in_time_order():
    e = fresh()
    e.add_symbol("GBPUSD")
    e.load_ticks(0, [T0, T0 + 2, T0 + 4], [1.1] * 3, [1.1002] * 3)
    e.load_ticks(1, [T0 + 1, T0 + 2, T0 + 3], [1.27] * 3, [1.2702] * 3)
    order: list[tuple[int, int]] = []

    class Rec(hqt.Strategy):
        def on_tick(self, engine, tick):
            order.append((tick.time - T0, tick.symbol_id))

    e.run(Rec())
    assert order == [(0, 0), (1, 1), (2, 0), (2, 1), (3, 1), (4, 0)]


def test_load_bars_arrays_and_volume_default():
    e = fresh()
    tb = T0 + MIN * np.arange(3)
    o = np.array([1.1, 1.101, 1.102])
    h, lo, c = o + 0.001, o - 0.001, o + 0.0005
    assert e.load_bars(0, hqt.M1, tb, o, h, lo, c) == 3
    assert e.load_bars(0, hqt.M5, [T0 + 10 * MIN], [1.1], [1.2], [1.0], [1.15], [33]) == 1
    bars: list[hqt.Bar] = []

    class Rec(hqt.Strategy):
        def on_bar(self, engine, bar):
            bars.append(bar)

    e.run(Rec())
    m = hqt.to_micro
    assert [
        (b.timeframe, b.time, b.open_micro, b.high_micro, b.low_micro, b.close_micro, b.volume)
        for b in bars
    ] == [(1, int(tb[i]), m(o[i]), m(h[i]), m(lo[i]), m(c[i]), 0.0) for i in range(3)] + [
        (5, T0 + 10 * MIN, 1_100_000, 1_200_000, 1_000_000, 1_150_000, 33.0)
    ]


def _walk_bars(n: int, seed: int = 5) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    c = 1.1 + np.cumsum(rng.integers(-20, 21, n)) * 1e-5
    o = np.r_[1.1, c[:-1]]
    h = np.maximum(o, c) + rng.integers(0, 5, n) * 1e-5
    lo = np.minimum(o, c) - rng.integers(0, 5, n) * 1e-5
    return T0 + MIN * np.arange(n, dtype=np.int64), o, h, lo, c, rng.integers(0, 9, n) + 0.5


def _bars_seen(e: hqt.Engine) -> list[tuple[int, ...]]:
    seen: list[tuple[int, ...]] = []

    class Rec(hqt.Strategy):
        def on_bar(self, engine, bar):
            seen.append((bar.time, bar.open_micro, bar.high_micro, bar.low_micro, bar.close_micro))

    e.run(Rec())
    return seen


@pytest.mark.parametrize("layout", ["float64", "strided", "float32"])
def test_long_bar_loads_round_every_value_like_to_micro(layout):
    # the engine converts and checks bars 4,096 at a time (vectorized, with
    # the row rule only for a block that may hold an error): 10,000 bars as
    # contiguous float64 (no copy), a strided view and float32 (converted)
    t, *cols = _walk_bars(10_000)
    if layout == "strided":
        cols = [np.repeat(x, 2)[::2] for x in cols]
        assert not cols[0].flags.c_contiguous
    elif layout == "float32":
        cols = [x.astype(np.float32) for x in cols]
    e = fresh()
    assert e.load_bars(0, hqt.M1, t, *cols) == len(t)
    m = hqt.to_micro
    o, h, lo, c, _ = ([float(v) for v in x] for x in cols)
    assert _bars_seen(e) == [
        (int(t[i]), m(o[i]), m(h[i]), m(lo[i]), m(c[i])) for i in range(len(t))
    ]


@pytest.mark.parametrize("row", [0, 4_095, 4_096, 9_999])
def test_a_bad_bar_anywhere_in_a_long_load_loads_nothing(row):
    t, o, h, lo, c, v = _walk_bars(10_000)
    e = fresh()
    e.load_bars(0, hqt.M1, t[:10] - 10 * MIN, o[:10], h[:10], lo[:10], c[:10])
    before = snapshot(e)
    bad_close, bad_volume = c.copy(), v.copy()
    bad_close[row] = lo[row] - 1e-5
    with pytest.raises(hqt.BadDataError, match=f"EURUSD M1 bar {row}: high .* do not contain"):
        e.load_bars(0, hqt.M1, t, o, h, lo, bad_close, v)
    bad_volume[row] = np.nan
    with pytest.raises(hqt.BadDataError, match=f"EURUSD M1 bar {row}: volume"):
        e.load_bars(0, hqt.M1, t, o, h, lo, c, bad_volume)
    assert snapshot(e) == before


def test_load_bars_micro():
    e = fresh()
    e.load_bars_micro(0, hqt.H1, [T0], [1_100_000], [1_100_500], [1_099_500], [1_100_100], [7])
    bars: list[hqt.Bar] = []

    class Rec(hqt.Strategy):
        def on_bar(self, engine, bar):
            bars.append(bar)

    e.run(Rec())
    assert bars == [hqt.Bar.from_micro(0, 60, T0, 1_100_000, 1_100_500, 1_099_500, 1_100_100, 7)]


def test_clear_data():
    t, b, a = ticks(10)
    e = fresh()
    e.load_ticks(0, t, b, a)
    e.clear_data()
    assert e.pending_events == 0
    e.load_ticks(0, t, b, a)
    assert loaded(e) == expected(t, b, a)


def test_run_without_strategy_releases_the_gil():
    import threading

    n = 3_000_000
    e = fresh()
    t = T0 + np.arange(n, dtype=np.int64) * 1000
    bid = np.full(n, 1.1)
    e.load_ticks(0, t, bid, bid + 0.0002)
    count = [0]
    stop = threading.Event()
    started = threading.Event()

    def spin():
        started.set()
        while not stop.is_set():
            count[0] += 1

    th = threading.Thread(target=spin)
    th.start()
    started.wait()
    # With a long switch interval the spinner only gets the GIL if run() releases it.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.2)
    try:
        before = count[0]
        e.run()
        during = count[0] - before
    finally:
        sys.setswitchinterval(interval)
        stop.set()
        th.join()
    assert e.pending_events == 0
    assert during > 1000, "another thread ran Python code while the engine ran"
