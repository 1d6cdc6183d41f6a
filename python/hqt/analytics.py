"""The statistics quants expect, computed from a result's equity curve and trades.

Pure numpy functions, beside the MT5 report the engine computes
(``engine.statistics()``): CAGR, annualised return and volatility, Sortino
and Calmar ratios, the longest drawdown, exposure time, SQN, expectancy,
Kelly, buy-and-hold and returns by month and year. ``BacktestResult.stats``
carries them (docs/research.md, "Statistics"); each is hand-computed in
python/tests/test_quant_stats.py.

A figure the run cannot define is NaN (NaT for a duration), shown as
``n/a``, never 0.

The daily series is the engine's own, the one its Sharpe ratio uses: the
initial balance, then the last equity of each UTC day that has an
equity-curve sample; a return is skipped after a non-positive equity. So
the Sortino ratio and the volatility here describe the same returns as
``stats["sharpe_ratio"]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

__all__ = [
    "PERIODS_PER_YEAR",
    "daily_returns",
    "max_drawdown_duration",
    "exposure_ns",
    "quant_stats",
    "monthly_returns",
    "MONTHS",
]

#: trading days a year, as the engine's Sharpe ratio annualises
PERIODS_PER_YEAR = 252
_NS_PER_DAY = 86_400 * 10**9
_NS_PER_YEAR = 365.25 * _NS_PER_DAY  # calendar years for CAGR
_NAN = float("nan")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def daily_returns(
    time_ns: NDArray[Any], equity: NDArray[Any], initial_balance: float
) -> NDArray[np.float64]:
    """Returns of the initial balance then each UTC day's last equity (the engine's Sharpe series)."""
    t = np.asarray(time_ns, dtype=np.int64)
    eq = np.asarray(equity, dtype=np.float64)
    if not len(t):
        return np.zeros(0)
    day = t // _NS_PER_DAY
    last = np.flatnonzero(np.append(day[1:] != day[:-1], True))
    series = np.concatenate([[float(initial_balance)], eq[last]])
    prev, nxt = series[:-1], series[1:]
    ok = prev > 0
    return np.asarray(nxt[ok] / prev[ok] - 1.0, dtype=np.float64)


def max_drawdown_duration(time_ns: NDArray[Any], equity: NDArray[Any]) -> int | None:
    """Longest time (ns) from an equity peak to the first sample back at that peak,
    or to the last sample if it never got back; 0 with no drawdown, None with no samples."""
    t = np.asarray(time_ns, dtype=np.int64)
    eq = np.asarray(equity, dtype=np.float64)
    if not len(t):
        return None
    at_peak = np.flatnonzero(eq >= np.maximum.accumulate(eq))  # index 0 is always one
    gaps = t[at_peak[1:]] - t[at_peak[:-1]]
    # consecutive samples both at the peak: no drawdown between them
    gaps = gaps[np.diff(at_peak) > 1]
    tail = int(t[-1] - t[at_peak[-1]])
    return max(int(gaps.max()) if len(gaps) else 0, tail)


def exposure_ns(opens: NDArray[Any], closes: NDArray[Any], start: int, end: int) -> int:
    """Time within [start, end] covered by at least one of the [open, close] intervals."""
    s = np.clip(np.asarray(opens, dtype=np.int64), start, end)
    e = np.clip(np.asarray(closes, dtype=np.int64), start, end)
    if not len(s):
        return 0
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)
    # an interval starting after everything before it ended opens a new group
    new = np.concatenate([[True], s[1:] > reach[:-1]])
    firsts = np.flatnonzero(new)
    lasts = np.append(firsts[1:] - 1, len(s) - 1)
    return int((reach[lasts] - s[firsts]).sum())


def _power(base: float, exponent: float) -> float:
    """base ** exponent, +inf where it overflows (a gain over seconds, compounded to a year)."""
    with np.errstate(over="ignore"):
        return float(np.power(np.float64(base), exponent))


def _trade_returns_pct(trades: NDArray[Any]) -> NDArray[np.float64]:
    """Each trade's price move in its favour, percent of the entry price."""
    buy = trades["type"] == 0  # PositionType.BUY
    o, c = trades["open_price"], trades["close_price"]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(buy, c / o - 1.0, o / c - 1.0) * 100.0
    return np.asarray(r, dtype=np.float64)


def quant_stats(
    time_ns: NDArray[Any],
    equity: NDArray[Any],
    initial_balance: float,
    max_drawdown_pct: float,
    trades: NDArray[Any],
    positions: NDArray[Any],
    buy_hold_pct: float = _NAN,
) -> dict[str, Any]:
    """The figures of docs/research.md "Statistics", in that order.

    `trades` and `positions` are ``result.records("trades"/"positions")``;
    `max_drawdown_pct` the engine's (tracked on every event).
    """
    t = np.asarray(time_ns, dtype=np.int64)
    eq = np.asarray(equity, dtype=np.float64)
    out: dict[str, Any] = {}

    span = int(t[-1] - t[0]) if len(t) else 0
    final = float(eq[-1]) if len(eq) else _NAN
    cagr = _NAN
    if span > 0 and initial_balance > 0 and final >= 0:
        cagr = (_power(final / initial_balance, _NS_PER_YEAR / span) - 1.0) * 100.0
    out["cagr_pct"] = cagr

    r = daily_returns(t, eq, initial_balance)
    ann_ret = ann_vol = sortino = _NAN
    if len(r) >= 2:
        growth = float(np.prod(1.0 + r))
        if growth >= 0:
            ann_ret = (_power(growth, PERIODS_PER_YEAR / len(r)) - 1.0) * 100.0
        ann_vol = float(np.std(r, ddof=1)) * math.sqrt(PERIODS_PER_YEAR) * 100.0
        downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2)))
        if downside > 0:
            sortino = float(np.mean(r)) / downside * math.sqrt(PERIODS_PER_YEAR)
    out["annual_return_pct"] = ann_ret
    out["annual_volatility_pct"] = ann_vol
    out["sortino_ratio"] = sortino
    out["calmar_ratio"] = (
        cagr / max_drawdown_pct if max_drawdown_pct > 0 and not math.isnan(cagr) else _NAN
    )

    dd = max_drawdown_duration(t, eq)
    out["max_drawdown_duration"] = (
        np.timedelta64("NaT", "ns") if dd is None else np.timedelta64(dd, "ns")
    )
    exposure = _NAN
    if span > 0:
        opens = np.concatenate([trades["open_time"], positions["open_time"]])
        closes = np.concatenate([trades["close_time"], np.full(len(positions), t[-1], np.int64)])
        exposure = exposure_ns(opens, closes, int(t[0]), int(t[-1])) / span * 100.0
    out["exposure_pct"] = exposure

    net = np.asarray(trades["net_profit"], dtype=np.float64)
    n = len(net)
    sd = float(np.std(net, ddof=1)) if n >= 2 else 0.0
    out["sqn"] = math.sqrt(n) * float(np.mean(net)) / sd if sd > 0 else _NAN
    out["expectancy"] = float(np.mean(net)) if n else _NAN
    pct = _trade_returns_pct(trades)
    out["expectancy_pct"] = float(np.mean(pct)) if n else _NAN
    wins, losses = net[net > 0], net[net < 0]
    kelly = _NAN
    if len(wins) and len(losses):
        w = len(wins) / n
        kelly = w - (1.0 - w) / (float(wins.mean()) / -float(losses.mean()))
    out["kelly_criterion"] = kelly
    out["buy_hold_return_pct"] = buy_hold_pct
    return out


def monthly_returns(
    time_ns: NDArray[Any], equity: NDArray[Any], initial_balance: float
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """(years, table): percent return of each month (columns 0-11) and of the
    year (column 12), month-end equity over the previous month-end's (the
    first from the initial balance). NaN outside the run."""
    t = np.asarray(time_ns, dtype=np.int64)
    eq = np.asarray(equity, dtype=np.float64)
    if not len(t):
        return np.zeros(0, np.int64), np.zeros((0, 13))
    month = t.view("M8[ns]").astype("M8[M]").astype(np.int64)  # months since 1970-01
    last = np.flatnonzero(np.append(month[1:] != month[:-1], True))
    m0, m1 = int(month[0]), int(month[-1])
    # month-end equity for every month of the run; a month without samples keeps the last
    ends = np.full(m1 - m0 + 1, np.nan)
    ends[month[last] - m0] = eq[last]
    for i in range(1, len(ends)):  # months, not samples: a short loop
        if math.isnan(ends[i]):
            ends[i] = ends[i - 1]
    y0, y1 = (m0 + 1970 * 12) // 12, (m1 + 1970 * 12) // 12
    years = np.arange(y0, y1 + 1, dtype=np.int64)
    table = np.full((len(years), 13), np.nan)
    prev = np.concatenate([[float(initial_balance)], ends[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = np.where(prev > 0, ends / prev - 1.0, np.nan) * 100.0
    abs_month = np.arange(m0, m1 + 1) + 1970 * 12
    table[abs_month // 12 - y0, abs_month % 12] = rets
    for i, y in enumerate(years):
        sel = abs_month // 12 == y
        start = prev[np.flatnonzero(sel)[0]]
        end = ends[np.flatnonzero(sel)[-1]]
        table[i, 12] = (end / start - 1.0) * 100.0 if start > 0 else np.nan
    return years, table
