"""Helpers for testing strategies with pytest: data generators, fixtures, assertions.

Synthetic data (seeded, reproducible; bar times from the engine's calendar, hqt_timeframe_*)::

    ticks = hqt.testing.random_walk_ticks(10_000, seed=1, gaps=2, spread_spikes=3)
    bars = hqt.testing.random_walk_bars(5_000, timeframe=hqt.M5, seed=1)

Fixtures, once the plugin is active (it is registered as the pytest11 entry
point ``hqt.testing`` when hqt is installed; otherwise add
``pytest_plugins = ["hqt.testing"]`` to your top-level conftest.py, or run
``pytest -p hqt.testing``):

``hqt_seed``
    the seed of the session (``--hqt-seed N``, default 12345), shown in
    pytest's header so a failing run can be replayed.
``hqt_ticks`` / ``hqt_bars``
    5 000 random-walk ticks of EURUSD (a gap and a spread spike included) /
    2 000 M1 bars, from ``hqt_seed``.
``hqt_engine``
    an :class:`hqt.Engine` (10 000 USD, 1:100, hedging) with EURUSD (id 0)
    and ``hqt_ticks`` loaded, not run yet; disposed after the test.
``hqt_bar_engine``
    the same with ``hqt_bars`` (M1) loaded instead of ticks.
``hqt_engine_factory``
    ``make(ticks=None, bars=None, timeframe=M1, **engine_kwargs)`` for
    engines of your own.

Assertions take a :class:`hqt.results.BacktestResult` (what ``run()``
returns) or an :class:`hqt.Engine`; the ``*_equal`` ones also numpy
structured arrays and DataFrames. docs/testing.md has a sample suite.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt import _optional
from hqt._arrays import to_ns
from hqt.constants import Timeframe
from hqt.data import BarData, TickData
from hqt.results import BacktestResult

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

    from hqt.engine import Engine

__all__ = [
    "T0",
    "DEFAULT_SEED",
    "random_walk_ticks",
    "random_walk_bars",
    "to_frame",
    "assert_no_trades_before",
    "assert_no_trades_after",
    "assert_flat_at_end",
    "assert_deals_equal",
    "assert_trades_equal",
    "make_engine",
]

#: 2024-01-02 00:00:00 UTC in ns (a Tuesday): where generated data starts by default.
T0 = 1_704_153_600 * 10**9
#: Seed of the fixtures unless ``--hqt-seed`` says otherwise.
DEFAULT_SEED = 12345

_SEC = 10**9
_MIN = 60 * _SEC

TimeLike = int | np.integer | np.datetime64 | _dt.datetime | str


# ---- generators ---------------------------------------------------------------------------


def _round(x: NDArray[np.float64], digits: int) -> NDArray[np.float64]:
    return np.round(x, digits)


def random_walk_ticks(
    n: int = 10_000,
    *,
    seed: int = 0,
    start: int = T0,
    price: float = 1.10,
    volatility: float = 0.00005,
    spread: float = 0.00015,
    interval: float = 1.0,
    digits: int = 5,
    gaps: int = 0,
    gap_seconds: float = 2 * 86_400.0,
    gap_volatility: float = 0.002,
    spread_spikes: int = 0,
    spike_factor: float = 10.0,
    spike_ticks: int = 5,
) -> TickData:
    """`n` ticks of a geometric random walk, reproducible from `seed`.

    Args:
        start: time of the first tick (ns).
        price: first bid.
        volatility: standard deviation of the log return per tick.
        spread: normal ask - bid (price units), rounded to `digits`.
        interval: mean seconds between ticks (exponentially distributed,
            at least 1 ms).
        gaps: number of market gaps: the clock jumps `gap_seconds` (a
            weekend by default) and the price jumps with standard
            deviation `gap_volatility` (log).
        spread_spikes: number of spread spikes: for `spike_ticks` ticks the
            spread is `spike_factor` times wider.

    Prices stay > 0 and ask >= bid; times never go backwards.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, volatility, n)
    dt = np.maximum(rng.exponential(interval, n), 0.001)
    dt[0] = 0.0
    gap_at = _positions(rng, n, gaps)
    if gap_at.size:
        dt[gap_at] += gap_seconds
        steps[gap_at] += rng.normal(0.0, gap_volatility, gap_at.size)
    steps[0] = 0.0
    bid = _round(price * np.exp(np.cumsum(steps)), digits)
    point = 10.0**-digits
    bid = np.maximum(bid, point)
    spreads = np.full(n, max(round(spread, digits), 0.0))
    for k in _positions(rng, n, spread_spikes):
        spreads[k : k + spike_ticks] *= spike_factor
    ask = _round(bid + spreads, digits)
    time = start + np.cumsum(np.round(dt * _SEC).astype(np.int64))
    return TickData(time.astype(np.int64), bid, np.maximum(ask, bid))


def _positions(rng: np.random.Generator, n: int, k: int) -> NDArray[np.int64]:
    if k <= 0 or n < 2:
        return np.zeros(0, np.int64)
    return np.sort(rng.choice(np.arange(1, n), size=min(k, n - 1), replace=False))


def _bar_opens(start: int, timeframe: int, n: int, skip: NDArray[np.int64]) -> NDArray[np.int64]:
    """Open times of `n` consecutive bars from the one holding `start`; `skip[i]` extra
    periods are left out before bar i (gaps). The engine's calendar
    (hqt_timeframe_shifted_opens): W1 from Monday, MN1 calendar months."""
    from hqt import _hqt

    k = np.arange(n, dtype=np.int64) + np.cumsum(skip, dtype=np.int64)
    out: NDArray[np.int64] = np.empty(n, np.int64)
    _hqt.timeframe_shifted_opens(int(timeframe), int(start), k, out)
    return out


def random_walk_bars(
    n: int = 2_000,
    *,
    timeframe: int = Timeframe.M1,
    seed: int = 0,
    start: int = T0,
    price: float = 1.10,
    volatility: float = 0.0003,
    digits: int = 5,
    gaps: int = 0,
    gap_bars: int | None = None,
    gap_volatility: float = 0.002,
) -> BarData:
    """`n` consecutive OHLC bars of a random walk, reproducible from `seed`.

    Bars open at multiples of the timeframe (W1 on Mondays, MN1 on the 1st);
    ``gaps`` times, ``gap_bars`` periods are skipped (default: two days'
    worth, one period for W1 and MN1) and the price jumps. Volume is a
    random tick count. High >= max(open, close), low <= min.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    tf = int(timeframe)
    if gap_bars is None:
        gap_bars = max(1, 2 * 1440 // tf) if tf <= 1440 else 1
    rng = np.random.default_rng(seed)
    ret = rng.normal(0.0, volatility, n)
    skip = np.zeros(n, np.int64)
    gap_at = _positions(rng, n, gaps)
    if gap_at.size:
        skip[gap_at] = gap_bars
        ret[gap_at] += rng.normal(0.0, gap_volatility, gap_at.size)
    close = _round(price * np.exp(np.cumsum(ret)), digits)
    opens = np.empty(n)
    if n:
        opens[0] = round(price, digits)
        opens[1:] = close[:-1]
        # a gap opens away from the previous close
        if gap_at.size:
            opens[gap_at] = _round(opens[gap_at] * np.exp(ret[gap_at] / 2), digits)
    wick = np.abs(rng.normal(0.0, volatility / 2, (2, n)))
    high = _round(np.maximum(opens, close) * (1 + wick[0]), digits)
    low = _round(np.minimum(opens, close) * (1 - wick[1]), digits)
    point = 10.0**-digits
    low = np.maximum(low, point)
    volume = rng.integers(1, 200, n).astype(np.float64)
    periods = n + int(skip.sum())
    if periods * min(tf, 43_200) * _MIN > 2**63 - 1 - start:
        raise ValueError(f"{n} bars of {tf} minutes (with gaps) do not fit int64 nanoseconds")
    return BarData(_bar_opens(start, tf, n, skip), opens, high, low, close, volume, tf)


def to_frame(data: TickData | BarData) -> Any:
    """TickData/BarData as a pandas DataFrame with a DatetimeIndex (needs pandas)."""
    pd = _optional.require("pandas", "hqt.testing.to_frame")
    index = pd.DatetimeIndex(np.asarray(data.time).view("M8[ns]"), name="time")
    if isinstance(data, TickData):
        return pd.DataFrame({"bid": data.bid, "ask": data.ask}, index=index)
    return pd.DataFrame(
        {
            "open": data.open,
            "high": data.high,
            "low": data.low,
            "close": data.close,
            "volume": data.volume,
        },
        index=index,
    )


def make_engine(
    ticks: TickData | None = None,
    bars: BarData | None = None,
    *,
    timeframe: int | None = None,
    symbol: str = "EURUSD",
    balance: float = 10_000.0,
    currency: str = "USD",
    leverage: int = 100,
    **kwargs: Any,
) -> Engine:
    """An Engine with one symbol and the given data loaded (not run)."""
    from hqt.engine import Engine

    e = Engine(balance, currency, leverage, **kwargs)
    sid = e.add_symbol(symbol)
    if ticks is not None:
        e.load_ticks(sid, ticks.time, ticks.bid, ticks.ask)
    if bars is not None:
        tf = timeframe if timeframe is not None else bars.timeframe
        if tf is None:
            raise ValueError("pass timeframe= for bars whose timeframe is unknown")
        e.load_bars(sid, tf, bars.time, bars.open, bars.high, bars.low, bars.close, bars.volume)
    return e


# ---- assertions ----------------------------------------------------------------------------------


def _ns(t: TimeLike) -> int:
    if isinstance(t, str):
        return int(np.datetime64(t, "ns").astype(np.int64))
    v = to_ns(t)
    assert v is not None
    return v


def _records(x: Any, kind: str) -> NDArray[Any]:
    """A table of `x` (result, engine, structured array, DataFrame) as a structured array."""
    if isinstance(x, BacktestResult):
        return x.records(kind)
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "columns") and hasattr(x, "to_numpy"):  # DataFrame
        cols = {}
        for c in x.columns:
            v = x[c]
            if str(v.dtype) == "category":
                v = v.astype(str)
            arr = v.to_numpy()
            if arr.dtype.kind == "M":
                arr = arr.astype("M8[ns]").view(np.int64)
            elif arr.dtype.kind == "m":
                arr = arr.astype("m8[ns]").view(np.int64)
            cols[str(c)] = arr
        if not cols:
            return np.zeros(0)
        out: NDArray[Any] = np.empty(len(x), dtype=[(k, v.dtype) for k, v in cols.items()])
        for k, v in cols.items():
            out[k] = v
        return out
    if hasattr(x, "_statistics"):  # an engine
        return BacktestResult.from_engine(x).records(kind)
    raise TypeError(
        f"expected a BacktestResult, an Engine, a structured array or a DataFrame, "
        f"not {type(x).__name__}"
    )


def _when(ns: int) -> str:
    return f"{np.datetime64(int(ns), 'ns')} ({int(ns)} ns)"


def assert_no_trades_before(result: Any, time: TimeLike) -> None:
    """No deal happened before `time` (e.g. the end of a warm-up period)."""
    deals = _records(result, "deals")
    t = _ns(time)
    early = np.flatnonzero(deals["time"] < t)
    if early.size:
        i = int(early[0])
        raise AssertionError(
            f"{early.size} deal(s) before {_when(t)}; the first: ticket "
            f"{int(deals['ticket'][i])} at {_when(int(deals['time'][i]))}"
        )


def assert_no_trades_after(result: Any, time: TimeLike) -> None:
    """No deal happened after `time`."""
    deals = _records(result, "deals")
    t = _ns(time)
    late = np.flatnonzero(deals["time"] > t)
    if late.size:
        i = int(late[0])
        raise AssertionError(
            f"{late.size} deal(s) after {_when(t)}; the first: ticket "
            f"{int(deals['ticket'][i])} at {_when(int(deals['time'][i]))}"
        )


def assert_flat_at_end(result: Any, *, pending_orders: bool = False) -> None:
    """No position is open (and, with ``pending_orders=True``, no pending order)."""
    pos = _records(result, "positions")
    problems = []
    if len(pos):
        desc = ", ".join(
            f"#{int(p['ticket'])} {'BUY' if int(p['type']) == 0 else 'SELL'} "
            f"{float(p['volume']):g} lots"
            for p in pos[:5]
        )
        problems.append(f"{len(pos)} open position(s): {desc}")
    if pending_orders:
        orders = _records(result, "orders")
        live = orders[np.isin(orders["state"], (0, 1))] if len(orders) else orders
        if len(live):
            problems.append(
                f"{len(live)} pending order(s): tickets "
                f"{', '.join(str(int(t)) for t in live['ticket'][:5])}"
            )
    if problems:
        raise AssertionError("not flat at the end: " + "; ".join(problems))


def _assert_tables_equal(
    a: Any, b: Any, kind: str, ignore: Sequence[str], fields: Sequence[str] | None
) -> None:
    ra, rb = _records(a, kind), _records(b, kind)
    names_a, names_b = ra.dtype.names or (), rb.dtype.names or ()
    common = [n for n in (fields or names_a) if n in names_b and n not in ignore]
    missing = [n for n in (fields or ()) if n not in names_a or n not in names_b]
    if missing:
        raise AssertionError(f"{kind}: no field(s) {', '.join(missing)} on both sides")
    if len(ra) != len(rb):
        raise AssertionError(
            f"{kind}: {len(ra)} vs {len(rb)} rows"
            + _first_diff(ra, rb, common, min(len(ra), len(rb)))
        )
    msg = _first_diff(ra, rb, common, len(ra))
    if msg:
        raise AssertionError(f"{kind} differ:{msg}")


def _first_diff(ra: NDArray[Any], rb: NDArray[Any], names: Sequence[str], n: int) -> str:
    for i in range(n):
        diffs = [
            f"{k}: {ra[k][i]!r} != {rb[k][i]!r}" for k in names if not _same(ra[k][i], rb[k][i])
        ]
        if diffs:
            return f"\n  first difference at row {i}: " + "; ".join(diffs)
    return ""


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, (float, np.floating)) and isinstance(y, (float, np.floating)):
        return bool(x == y or (np.isnan(x) and np.isnan(y)))
    return bool(x == y)


def assert_deals_equal(
    a: Any, b: Any, *, ignore: Sequence[str] = (), fields: Sequence[str] | None = None
) -> None:
    """The deals of `a` and `b` are the same, row by row (exact values).

    ``ignore``: fields to leave out (e.g. ``("ticket", "order", "position")``
    when tickets are numbered differently); ``fields``: compare only these.
    """
    _assert_tables_equal(a, b, "deals", ignore, fields)


def assert_trades_equal(
    a: Any, b: Any, *, ignore: Sequence[str] = (), fields: Sequence[str] | None = None
) -> None:
    """The closed trades of `a` and `b` are the same, row by row."""
    _assert_tables_equal(a, b, "trades", ignore, fields)


# ---- pytest plugin ---------------------------------------------------------------------------------

try:
    import pytest as _pytest
except ImportError:  # pragma: no cover - generators and assertions work without pytest
    _pytest = None  # type: ignore[assignment]

if _pytest is not None:

    def pytest_addoption(parser: Any) -> None:
        group = parser.getgroup("hqt")
        group.addoption(
            "--hqt-seed",
            type=int,
            default=None,
            help=f"seed of hqt.testing's fixtures (default {DEFAULT_SEED})",
        )

    def pytest_report_header(config: Any) -> str:
        return f"hqt.testing: seed {_seed_of(config)} (--hqt-seed to change)"

    def _seed_of(config: Any) -> int:
        seed = config.getoption("--hqt-seed", default=None)
        return DEFAULT_SEED if seed is None else int(seed)

    @_pytest.fixture(scope="session")
    def hqt_seed(pytestconfig: Any) -> int:
        """Seed of the synthetic data fixtures (``--hqt-seed``)."""
        return _seed_of(pytestconfig)

    @_pytest.fixture(scope="session")
    def hqt_ticks(hqt_seed: int) -> TickData:
        """5 000 EURUSD ticks: random walk with one weekend gap and one spread spike."""
        return random_walk_ticks(5_000, seed=hqt_seed, gaps=1, spread_spikes=1)

    @_pytest.fixture(scope="session")
    def hqt_bars(hqt_seed: int) -> BarData:
        """2 000 EURUSD M1 bars (random walk)."""
        return random_walk_bars(2_000, timeframe=Timeframe.M1, seed=hqt_seed)

    @_pytest.fixture
    def hqt_engine_factory() -> Iterator[Callable[..., Engine]]:
        """``make(ticks=None, bars=None, timeframe=None, **engine_kwargs)`` -> Engine;
        every engine made is disposed after the test."""
        made: list[Engine] = []

        def make(*args: Any, **kwargs: Any) -> Engine:
            e = make_engine(*args, **kwargs)
            made.append(e)
            return e

        yield make
        for e in made:
            if not e.disposed:
                e.dispose()

    @_pytest.fixture
    def hqt_engine(hqt_engine_factory: Callable[..., Engine], hqt_ticks: TickData) -> Engine:
        """Engine (10 000 USD, 1:100) with EURUSD (id 0) and ``hqt_ticks`` loaded."""
        return hqt_engine_factory(hqt_ticks)

    @_pytest.fixture
    def hqt_bar_engine(hqt_engine_factory: Callable[..., Engine], hqt_bars: BarData) -> Engine:
        """Engine (10 000 USD, 1:100) with EURUSD (id 0) and ``hqt_bars`` (M1) loaded."""
        return hqt_engine_factory(bars=hqt_bars)
