"""Results of a backtest: :class:`BacktestResult`, returned by ``Engine.run()``.

The result is a snapshot of the engine taken when the run returned, in O(1)
whatever the run's length (an ``hqt_result``: the engine's lists shared copy
on write, so it keeps showing its run after the engine runs more, is reset,
recovered or disposed). The deals, closed trades, order history, open
positions and equity curve are copied out of it as raw C structs (one
``memcpy`` each, no Python object per item) and converted column by column
with numpy the first time they are read; the statistics and the MT5 report
are computed the first time they are read too.

With pandas installed (``pip install 'hqt-engine[pandas]'``) the tables are
DataFrames; without it they are numpy structured arrays with the same
columns. ``result.records(kind)`` always gives the structured array.

Conventions of the tables:

* Prices, volumes (lots) and money are float64 (the engine's exact micro
  units / 1e6).
* Times: in DataFrames ``datetime64[ns]`` (naive, UTC, like every HQT time);
  in structured arrays int64 nanoseconds since the epoch. An order's
  ``expiration`` of 0 (good till canceled) is NaT in a DataFrame.
* Enumerations (type, entry, reason, state): in DataFrames categoricals of
  the names of :mod:`hqt.constants` (``"BUY"``, ``"OUT"``, ``"SL"``...); in
  structured arrays the engine's integer codes (compare with
  ``hqt.DealEntry.OUT`` and friends).
* ``symbol`` (DataFrames only) is the symbol's name next to ``symbol_id``.

The equity curve has a ``drawdown`` (equity minus its running peak, <= 0)
and ``drawdown_pct`` column. They are computed from the curve's samples, so
they can be smaller than ``stats["max_drawdown"]``, which the engine tracks
on every event.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hqt import _optional, analytics
from hqt._arrays import as_time_array
from hqt.constants import DealEntry, DealReason, OrderState, OrderType, PositionType
from hqt.frames import index_to_ns
from hqt.html_report import build_report
from hqt.models import Statistics

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

    from hqt.engine import Engine

__all__ = ["BacktestResult", "PriceSketch", "RECORD_KINDS", "record_dtype"]

#: Kinds of table a result holds (arguments of :meth:`BacktestResult.records`).
RECORD_KINDS = ("deals", "trades", "orders", "positions", "equity")

_Source = Literal["deals", "trades", "orders", "order_history", "positions", "equity"]
# kind -> name of the engine list it is copied from
_SOURCE: dict[str, _Source] = {
    "deals": "deals",
    "trades": "trades",
    "orders": "order_history",
    "positions": "positions",
    "equity": "equity",
}

#: fields holding micro units, converted to float
_MICRO_FIELDS = frozenset(
    {
        "volume",
        "price",
        "commission",
        "profit",
        "balance",
        "open_price",
        "close_price",
        "stop_limit",
        "sl",
        "tp",
        "margin",
        "equity",
    }
)
#: int64 ns fields shown as datetime64 in DataFrames
_TIME_FIELDS = frozenset({"time", "open_time", "close_time", "time_setup", "expiration"})

_ENUMS: dict[str, dict[str, type]] = {
    "deals": {"type": PositionType, "entry": DealEntry, "reason": DealReason},
    "trades": {"type": PositionType, "close_reason": DealReason},
    "orders": {"type": OrderType, "state": OrderState},
    "positions": {"type": PositionType},
    "equity": {},
}

Table = Any  # pandas.DataFrame or numpy structured array


# ---- raw structs -> structured arrays -----------------------------------------------------

_LAYOUTS: dict[str, np.dtype[Any]] | None = None


def _raw_dtypes() -> dict[str, np.dtype[Any]]:
    """numpy dtypes of the C structs, from the extension's own offsetof/sizeof."""
    global _LAYOUTS
    if _LAYOUTS is None:
        from hqt import _hqt

        out: dict[str, np.dtype[Any]] = {}
        for kind, (itemsize, fields) in _hqt._record_layouts().items():
            out[kind] = np.dtype(
                {
                    "names": [f[0] for f in fields],
                    "formats": [f[2] for f in fields],
                    "offsets": [f[1] for f in fields],
                    "itemsize": itemsize,
                }
            )
        _LAYOUTS = out
    return _LAYOUTS


def record_dtype(kind: str) -> np.dtype[Any]:
    """dtype of ``result.records(kind)``: the C fields, micro units as float64, plus extras."""
    raw = _raw_dtypes()[_SOURCE[kind]]
    fields: list[tuple[str, Any]] = []
    for name in raw.names or ():
        fmt = raw.fields[name][0] if raw.fields else None
        fields.append((name, "<f8" if name in _MICRO_FIELDS else fmt))
    if kind == "trades":
        fields.append(("net_profit", "<f8"))
    elif kind == "equity":
        fields += [("drawdown", "<f8"), ("drawdown_pct", "<f8")]
    return np.dtype(fields)


def _convert(kind: str, raw_bytes: bytes) -> NDArray[Any]:
    raw = np.frombuffer(raw_bytes, dtype=_raw_dtypes()[_SOURCE[kind]])
    out = np.empty(len(raw), dtype=record_dtype(kind))
    for name in raw.dtype.names or ():
        if name in _MICRO_FIELDS:
            np.divide(raw[name], 1e6, out=out[name])
        else:
            out[name] = raw[name]
    if kind == "trades":
        out["net_profit"] = (raw["profit"] + raw["commission"]) / 1e6
    elif kind == "equity":
        eq = out["equity"]
        peak = np.maximum.accumulate(eq) if len(eq) else eq
        out["drawdown"] = eq - peak
        with np.errstate(divide="ignore", invalid="ignore"):
            out["drawdown_pct"] = np.where(peak > 0, out["drawdown"] / peak * 100.0, 0.0)
    return out


# ---- structured arrays -> DataFrames -------------------------------------------------------


def _categorical(pd: Any, codes: NDArray[Any], enum: type) -> Any:
    members = list(enum)  # type: ignore[call-overload]
    names = [m.name for m in members]
    if [int(m) for m in members] != list(range(len(members))) or (
        len(codes) and (codes.min() < 0 or codes.max() >= len(names))
    ):
        return codes  # not a dense 0..n-1 enumeration: keep the codes
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=names)


def _to_frame(pd: Any, kind: str, rec: NDArray[Any], symbols: Sequence[str]) -> Any:
    cols: dict[str, Any] = {}
    enums = _ENUMS[kind]
    for name in rec.dtype.names or ():
        col = rec[name]
        if name in _TIME_FIELDS:
            t = col.astype(np.int64).view("M8[ns]")
            if name == "expiration":
                t = np.where(col == 0, np.datetime64("NaT", "ns"), t)
            cols[name] = t
        elif name in enums:
            cols[name] = _categorical(pd, col, enums[name])
        else:
            cols[name] = col
        if name == "symbol_id":
            ids = col.astype(np.int64)
            if len(symbols) and (not len(ids) or ids.max() < len(symbols)):
                cols["symbol"] = (
                    pd.Categorical.from_codes(ids, categories=list(symbols))
                    if len(set(symbols)) == len(symbols)
                    else np.asarray(symbols, object)[ids]
                )
    if kind == "trades" and len(rec):
        cols["duration"] = cols["close_time"] - cols["open_time"]
    elif kind == "trades":
        cols["duration"] = np.zeros(0, "m8[ns]")
    if kind == "equity":
        index = pd.DatetimeIndex(cols.pop("time"), name="time")
        return pd.DataFrame(cols, index=index)
    return pd.DataFrame(cols)


# ---- price sketch (for plots) ------------------------------------------------------------------


def _bucket_reduce(
    ufunc: np.ufunc, a: NDArray[np.float64], starts: NDArray[Any], positive: bool
) -> NDArray[np.float64]:
    """``ufunc.reduceat(a, starts)`` (np.maximum or np.minimum). With
    ``positive`` (every value finite and > 0) the doubles are reduced as their
    bit patterns read as int64, which order as positive doubles do: numpy's
    int64 reduceat takes half the time of its float64 one (which minds NaN),
    a fifth of a 1 M bar load_bars."""
    if positive:
        return ufunc.reduceat(a.view(np.int64), starts).view(np.float64)
    return ufunc.reduceat(a, starts)


class PriceSketch:
    """A bounded, evenly decimated copy of a symbol's prices, for plots and reports.

    The engine keeps its market data in native memory that Python cannot
    read back; ``hqt.Engine`` feeds every load into one of these so that
    ``result.plot()`` and ``result.report()`` can draw the price without
    keeping the data twice. At most ``2 * cap`` buckets are kept whatever the
    amount of data: when full, neighbouring buckets merge and the stride
    doubles. Bucket k covers the points with overall index k*stride ...
    (k+1)*stride - 1; its sample (``arrays()``) is its first point, and it
    also keeps the open, high, low and close of its points (``ohlc()``), so
    candles drawn from it keep every extreme.
    """

    def __init__(self, cap: int = 20_000) -> None:
        self.cap = cap
        self.stride = 1
        self.seen = 0  # points offered so far
        # per bucket: sample time and price, open, high, low, close
        self._cols: list[list[NDArray[Any]]] = [[] for _ in range(6)]
        self.size = 0

    def add(
        self,
        time_ns: NDArray[Any],
        price: NDArray[Any],
        scale: float = 1.0,
        *,
        open: NDArray[Any] | None = None,
        high: NDArray[Any] | None = None,
        low: NDArray[Any] | None = None,
        positive: bool = False,
    ) -> None:
        """Adds a load's points (prices times `scale`); bars pass their open/high/low
        beside the close as `price`.

        The stride the load ends with is worked out first, so the samples are
        read at O(2 * cap); the high and low are one vectorised pass over the
        load (numpy reduceat), with no copy of it. ``positive``: the prices are
        finite and > 0 (the engine has loaded them), which lets that pass
        compare them as integers (see _bucket_reduce).
        """
        n = len(time_ns)
        total = self.seen + n
        stride = self.stride
        while -(-total // stride) > 2 * self.cap:  # ceil(total / stride) buckets
            stride *= 2
        if stride != self.stride and self.size:
            self._merge(stride // self.stride)
        self.stride = stride
        first = (-self.seen) % stride  # points that finish the last, partial bucket
        self.seen = total
        hi = price if high is None else high
        lo = price if low is None else low
        if first and self.size and n:
            k = min(first, n)
            cols = self._flat()
            cols[3][-1] = max(cols[3][-1], float(np.max(hi[:k])) * scale)
            cols[4][-1] = min(cols[4][-1], float(np.min(lo[:k])) * scale)
            cols[5][-1] = float(price[k - 1]) * scale
        if first >= n:
            return
        starts = np.arange(first, n, stride)
        ends = np.minimum(starts + stride, n) - 1
        rel = starts - first
        new = [
            np.array(time_ns[starts], dtype=np.int64),
            np.asarray(price[starts], dtype=np.float64) * scale,
            np.asarray((price if open is None else open)[starts], dtype=np.float64) * scale,
            _bucket_reduce(np.maximum, np.asarray(hi[first:], dtype=np.float64), rel, positive)
            * scale,
            _bucket_reduce(np.minimum, np.asarray(lo[first:], dtype=np.float64), rel, positive)
            * scale,
            np.asarray(price[ends], dtype=np.float64) * scale,
        ]
        for col, a in zip(self._cols, new, strict=True):
            col.append(a)
        self.size += len(starts)

    def _merge(self, step: int) -> None:
        """Every `step` neighbouring buckets become one (the last may be partial)."""
        t, p, o, h, lo, c = self._flat()
        heads = np.arange(0, len(t), step)
        tails = np.minimum(heads + step, len(t)) - 1
        merged = [
            t[heads],
            p[heads],
            o[heads],
            np.maximum.reduceat(h, heads),
            np.minimum.reduceat(lo, heads),
            c[tails],
        ]
        self._cols = [[a.copy()] for a in merged]
        self.size = len(heads)

    def _flat(self) -> list[NDArray[Any]]:
        if not self.size:
            return [np.zeros(0, np.int64)] + [np.zeros(0) for _ in range(5)]
        if len(self._cols[0]) > 1:
            self._cols = [[np.concatenate(col)] for col in self._cols]
        return [col[0] for col in self._cols]

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """(time_ns, price) of the samples (each bucket's first point), in order."""
        cols = self._flat()
        return cols[0], cols[1]

    def ohlc(self) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
        """(time_ns, open, high, low, close) of the buckets, in order."""
        cols = self._flat()
        return cols[0], cols[2], cols[3], cols[4], cols[5]

    def first_last(self) -> tuple[float, float] | None:
        """The first open and the last close of everything loaded (buy and hold),
        rounded to the engine's micro units: a load of micro prices (x 1e-6) and
        one of floats give the same figures."""
        cols = self._flat()
        if not self.size:
            return None
        return round(float(cols[2][0]), 6), round(float(cols[5][-1]), 6)

    def copy(self) -> PriceSketch:
        other = PriceSketch(self.cap)
        other.stride, other.seen, other.size = self.stride, self.seen, self.size
        other._cols = [[a.copy()] for a in self._flat()] if self.size else [[] for _ in range(6)]
        return other


# ---- the result ----------------------------------------------------------------------------------


@dataclass
class _RunInfo:
    wall_seconds: float | None = None
    events: int | None = None
    interrupted: bool = False


PriceLike = tuple[Any, Any] | Any


def _ratio(v: float) -> str:
    """A ratio for display: n/a when undefined (NaN), ∞, or two decimals."""
    if math.isnan(v):
        return "n/a"
    return "∞" if math.isinf(v) else f"{v:.2f}"


class BacktestResult:
    """What a run produced: tables, statistics, a notebook view and a plot.

    Attributes are computed on first access and cached:

    ``deals``, ``trades``, ``orders`` (every order: final state, or pending),
    ``positions`` (open at the end), ``equity`` (the equity curve, indexed
    by time in a DataFrame): pandas DataFrames, or numpy structured arrays
    without pandas. ``stats``: a pandas Series (a dict without pandas) of
    the engine's statistics plus start, end, duration, return_pct, avg/best/
    worst trade and the run's speed. ``statistics``: the
    :class:`hqt.Statistics` dataclass.
    """

    def __init__(
        self,
        raw: Mapping[str, bytes] | None,
        statistics: Statistics | None,
        symbols: Sequence[str],
        currency: str = "",
        prices: Mapping[int, PriceSketch] | None = None,
        wall_seconds: float | None = None,
        events: int | None = None,
        interrupted: bool = False,
        indicators: Mapping[str, tuple[Any, Any, Any, int]] | None = None,
        *,
        source: Any = None,
    ) -> None:
        # raw and statistics are given, or read from `source` (an _hqt._Result)
        # on first access; a table missing from both is a KeyError.
        self._raw = dict(raw or {})
        self._source = source
        #: The native indicators declared from Python, thinned for plotting
        #: (at most 2048 points each): label -> (times ns, values of shape
        #: (n, outputs), kind, symbol id). Drawn by :meth:`plot`.
        self.indicators = dict(indicators or {})
        self._statistics = statistics
        self.symbols = list(symbols)
        self.currency = currency
        self._prices = dict(prices or {})
        self.run = _RunInfo(wall_seconds, events, interrupted)
        self._records: dict[str, NDArray[Any]] = {}
        self._tables: dict[str, Table] = {}
        self._stats: Any = None

    @classmethod
    def from_engine(
        cls,
        engine: Engine,
        *,
        wall_seconds: float | None = None,
        events: int | None = None,
        interrupted: bool = False,
    ) -> BacktestResult:
        """Snapshot of `engine` now: O(1) (an hqt_result); the tables, statistics
        and report are copied out of it and computed on first access."""
        from hqt import _hqt, indicators

        symbols = [s.name for s in engine.symbols]
        sketches = getattr(engine, "_price_sketches", None) or {}
        return cls(
            None,
            None,
            symbols,
            engine.account.currency,
            {k: v.copy() for k, v in sketches.items()},
            wall_seconds,
            events,
            interrupted,
            indicators.sketches(engine),
            source=_hqt._result(engine),
        )

    def _raw_bytes(self, kind: str) -> bytes:
        """The raw structs of table `kind`, copied out of the snapshot once."""
        raw = self._raw.get(kind)
        if raw is None:
            src = self._source
            if src is None:
                return self._raw[kind]  # KeyError: built without this table
            from hqt import _hqt

            raw = _hqt._raw_records(src, _SOURCE[kind])
            if kind == "orders":  # live pending orders follow the finished ones, by ticket
                pending = _hqt._raw_records(src, "orders")
                if pending:
                    both = np.frombuffer(raw + pending, dtype=_raw_dtypes()["order_history"])
                    raw = both[np.argsort(both["ticket"], kind="stable")].tobytes()
            self._raw[kind] = raw
            self._release_source()
        return raw

    @property
    def statistics(self) -> Statistics:
        """The engine's statistics and MT5 report at the end of the run
        (:class:`hqt.Statistics`), computed on first access."""
        s = self._statistics
        if s is None:
            src = self._source
            if src is None:
                raise AttributeError("this BacktestResult was built without statistics")
            s = self._statistics = Statistics._from_raw(src._statistics(), src._report())
            self._release_source()
        return s

    @statistics.setter
    def statistics(self, value: Statistics) -> None:
        self._statistics = value

    def _release_source(self) -> None:
        """Frees the snapshot once everything has been read out of it."""
        if self._statistics is not None and all(k in self._raw for k in RECORD_KINDS):
            self._source = None

    def __getstate__(self) -> dict[str, Any]:
        # The snapshot is native memory: a pickle carries everything read out.
        if self._source is not None:
            for kind in RECORD_KINDS:
                self._raw_bytes(kind)
            _ = self.statistics
        state = self.__dict__.copy()
        state["_source"] = None
        return state

    # ---- tables ----------------------------------------------------------------------

    def records(self, kind: str) -> NDArray[Any]:
        """The table `kind` (see RECORD_KINDS) as a numpy structured array, whatever is installed."""
        if kind not in _SOURCE:
            raise KeyError(f"unknown table {kind!r}; one of {', '.join(RECORD_KINDS)}")
        rec = self._records.get(kind)
        if rec is None:
            rec = self._records[kind] = _convert(kind, self._raw_bytes(kind))
        return rec

    def table(self, kind: str) -> Table:
        """The table `kind` as a DataFrame (pandas installed) or structured array."""
        if kind not in self._tables:
            pd = _optional.optional("pandas")
            rec = self.records(kind)
            self._tables[kind] = rec if pd is None else _to_frame(pd, kind, rec, self.symbols)
        return self._tables[kind]

    @property
    def deals(self) -> Table:
        """Every fill, in order."""
        return self.table("deals")

    @property
    def trades(self) -> Table:
        """Closed round trips, in order of closing."""
        return self.table("trades")

    @property
    def orders(self) -> Table:
        """Every order by ticket: finished ones with their final state (filled,
        canceled, expired, ...) and pending ones (PLACED / MODIFIED)."""
        return self.table("orders")

    @property
    def positions(self) -> Table:
        """Positions still open when the snapshot was taken."""
        return self.table("positions")

    @property
    def equity(self) -> Table:
        """The equity curve: balance, equity, margin, drawdown, drawdown_pct by time."""
        return self.table("equity")

    # ---- statistics --------------------------------------------------------------------

    def stats_dict(self) -> dict[str, Any]:
        """The statistics as a plain dict (times as numpy datetime64)."""
        s = self.statistics
        eq = self.records("equity")
        tr = self.records("trades")
        out: dict[str, Any] = {}
        if len(eq):
            start, end = int(eq["time"][0]), int(eq["time"][-1])
            out["start"] = np.datetime64(start, "ns")
            out["end"] = np.datetime64(end, "ns")
            out["duration"] = np.timedelta64(end - start, "ns")
        else:
            out["start"] = out["end"] = np.datetime64("NaT", "ns")
            out["duration"] = np.timedelta64("NaT", "ns")
        d = s.as_dict()
        for k in ("initial_balance", "final_balance", "final_equity", "net_profit"):
            out[k] = d.pop(k)
        out["return_pct"] = s.net_profit / s.initial_balance * 100.0 if s.initial_balance else 0.0
        out.update(d)
        net = tr["net_profit"] if len(tr) else np.zeros(0)
        out["avg_trade"] = float(net.mean()) if len(net) else 0.0
        out["best_trade"] = float(net.max()) if len(net) else 0.0
        out["worst_trade"] = float(net.min()) if len(net) else 0.0
        out.update(
            analytics.quant_stats(
                eq["time"],
                eq["equity"],
                s.initial_balance,
                s.max_drawdown_pct,
                tr,
                self.records("positions"),
                self._buy_hold_mean(),
            )
        )
        out["run_seconds"] = self.run.wall_seconds
        events = self.run.events
        secs = self.run.wall_seconds
        out["events_per_second"] = events / secs if events is not None and secs else None
        return out

    def buy_hold_returns(self) -> dict[str, float]:
        """Percent return of buying each traded symbol (every loaded one if nothing
        traded) at its first loaded price and selling at its last (bid or close)."""
        deals = self.records("deals")
        ids = sorted(set(deals["symbol_id"].tolist())) if len(deals) else sorted(self._prices)
        out: dict[str, float] = {}
        for sid in ids:
            sk = self._prices.get(sid)
            fl = sk.first_last() if sk is not None else None
            name = self.symbols[sid] if sid < len(self.symbols) else str(sid)
            out[name] = (fl[1] / fl[0] - 1.0) * 100.0 if fl and fl[0] > 0 else float("nan")
        return out

    def _buy_hold_mean(self) -> float:
        vals = list(self.buy_hold_returns().values())
        return float(np.mean(vals)) if vals else float("nan")

    def monthly_returns(self) -> Table:
        """Percent return of the equity by month (columns Jan..Dec) and year
        (column Year), one row per year; NaN outside the run. A DataFrame
        indexed by year with pandas, else a structured array with a year field."""
        eq = self.records("equity")
        years, table = analytics.monthly_returns(
            eq["time"], eq["equity"], self.statistics.initial_balance
        )
        cols = [*analytics.MONTHS, "Year"]
        pd = _optional.optional("pandas")
        if pd is not None:
            return pd.DataFrame(table, index=pd.Index(years, name="year"), columns=cols)
        out = np.zeros(len(years), dtype=[("year", "<i8")] + [(c, "<f8") for c in cols])
        out["year"] = years
        for i, c in enumerate(cols):
            out[c] = table[:, i]
        return out

    @property
    def stats(self) -> Any:
        """Statistics: a pandas Series (pandas installed) or a dict."""
        if self._stats is None:
            pd = _optional.optional("pandas")
            d = self.stats_dict()
            if pd is None:
                self._stats = d
            else:
                for k in ("start", "end"):
                    d[k] = pd.Timestamp(d[k])
                for k in ("duration", "max_drawdown_duration"):
                    d[k] = pd.Timedelta(d[k])
                self._stats = pd.Series(d, dtype=object, name="hqt")
        return self._stats

    # ---- display ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        s = self.statistics
        extra = " interrupted" if self.run.interrupted else ""
        return (
            f"<BacktestResult{extra} net_profit={s.net_profit:,.2f} {self.currency} "
            f"trades={s.total_trades} deals={s.total_deals} "
            f"max_drawdown={s.max_drawdown:,.2f} "
            f"sharpe={_ratio(s.sharpe_ratio)}>"
        )

    def sparkline_svg(self, width: int = 260, height: int = 56) -> str:
        """The equity curve as a small inline SVG (no matplotlib needed)."""
        eq = self.records("equity")
        t = eq["time"].astype(np.float64)
        y = eq["equity"]
        if len(y) > 2 * width:  # keep the extremes of each pixel column
            edges = np.linspace(0, len(y), width + 1).astype(np.int64)
            lo = np.minimum.reduceat(y, edges[:-1])
            hi = np.maximum.reduceat(y, edges[:-1])
            tt = t[edges[:-1]]
            t = np.repeat(tt, 2)
            y = np.column_stack([lo, hi]).ravel()
        pad = 2.0
        if len(y) == 0:
            return (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"></svg>'
            )
        t0, t1 = float(t.min()), float(t.max())
        y0, y1 = float(y.min()), float(y.max())
        base = self.statistics.initial_balance
        if y1 - y0 < 1e-12:
            y0, y1 = y0 - 1, y1 + 1
        xs = pad + (t - t0) / ((t1 - t0) or 1.0) * (width - 2 * pad)
        ys = pad + (y1 - y) / (y1 - y0) * (height - 2 * pad)
        pts = " ".join(f"{x:.1f},{v:.1f}" for x, v in zip(xs.tolist(), ys.tolist(), strict=False))
        color = "#1a9850" if self.statistics.net_profit >= 0 else "#d73027"
        base_line = ""
        if y0 <= base <= y1:
            by = pad + (y1 - base) / (y1 - y0) * (height - 2 * pad)
            base_line = (
                f'<line x1="{pad}" x2="{width - pad}" y1="{by:.1f}" y2="{by:.1f}" '
                'stroke="#999" stroke-width="0.5" stroke-dasharray="2,2"/>'
            )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="equity curve">'
            f'{base_line}<polyline fill="none" stroke="{color}" stroke-width="1.2" '
            f'points="{pts}"/></svg>'
        )

    def _headline(self) -> list[tuple[str, str]]:
        s = self.statistics
        cur = html.escape(self.currency)
        d = self.stats_dict()

        def when(v: Any) -> str:
            return "" if np.isnat(v) else str(v.astype("datetime64[s]")).replace("T", " ")

        rows = [
            ("Net profit", f"{s.net_profit:,.2f} {cur} ({d['return_pct']:+.2f} %)"),
            ("Final equity", f"{s.final_equity:,.2f} {cur}"),
            ("Max drawdown", f"{s.max_drawdown:,.2f} {cur} ({s.max_drawdown_pct:.2f} %)"),
            ("Sharpe ratio", _ratio(s.sharpe_ratio)),
            ("Profit factor", _ratio(s.profit_factor)),
            ("Trades", f"{s.total_trades:,} ({s.win_rate:.1f} % won)"),
            ("Period", f"{when(d['start'])} → {when(d['end'])}"),
        ]
        events = s.ticks_processed + s.bars_processed
        speed = ""
        if d["events_per_second"]:
            speed = f" in {d['run_seconds']:.2f} s ({d['events_per_second']:,.0f}/s)"
        rows.append(
            (
                "Events",
                f"{s.ticks_processed:,} ticks, {s.bars_processed:,} bars{speed}"
                if events
                else "none",
            )
        )
        if self.run.interrupted:
            rows.append(("Status", "interrupted (KeyboardInterrupt)"))
        return rows

    def _repr_html_(self) -> str:
        rows = "".join(
            f'<tr><th style="text-align:left;padding-right:1em">{html.escape(k)}</th>'
            f'<td style="text-align:right">{v}</td></tr>'
            for k, v in self._headline()
        )
        return (
            '<div class="hqt-result" style="display:flex;gap:1.5em;align-items:center">'
            f'<table style="border-collapse:collapse">{rows}</table>'
            f'<div><div style="font-size:80%;color:#666">equity</div>'
            f"{self.sparkline_svg()}</div></div>"
        )

    # ---- plot ------------------------------------------------------------------------------------

    def price_series(
        self, symbol: int | str | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """(time_ns, price) sampled from what the engine loaded for `symbol` (may be empty)."""
        sid = self._symbol_index(symbol)
        sk = self._prices.get(sid) if sid is not None else None
        if sk is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        return sk.arrays()

    def _symbol_index(self, symbol: int | str | None) -> int | None:
        if symbol is None:
            deals = self.records("deals")
            if len(deals):
                return int(deals["symbol_id"][0])
            return min(self._prices) if self._prices else (0 if self.symbols else None)
        if isinstance(symbol, str):
            try:
                return self.symbols.index(symbol)
            except ValueError:
                raise KeyError(f"no symbol named {symbol!r}") from None
        return int(symbol)

    def plot(
        self,
        symbol: int | str | None = None,
        *,
        price: PriceLike | None = None,
        figsize: tuple[float, float] = (11.0, 7.0),
        title: str | None = None,
        max_markers: int = 5000,
    ) -> Any:
        """Equity, drawdown and the trades on the price; returns a matplotlib Figure.

        Args:
            symbol: whose price and trades to draw (id or name); default:
                the symbol of the first deal.
            price: the price to draw instead of the engine's sampled copy:
                a ``(time, price)`` pair (ns ints or datetime64), a pandas
                Series with a DatetimeIndex, or TickData/BarData.
            max_markers: at most this many trades get entry/exit markers
                (the most recent ones), to keep huge runs readable.

        Needs matplotlib (``pip install 'hqt-engine[plot]'``). The figure is not
        shown: in Jupyter it displays as the cell's value; elsewhere call
        ``fig.savefig(...)``.
        """
        mpl_figure = _optional.require("matplotlib.figure", "BacktestResult.plot()")
        sid = self._symbol_index(symbol)
        pt, pp = self._price_arg(price) if price is not None else self.price_series(sid)
        eq = self.records("equity")
        tr = self.records("trades")
        if sid is not None and len(tr):
            tr = tr[tr["symbol_id"] == sid]
        fig = _figure_class(mpl_figure)(figsize=figsize, layout="constrained")
        from hqt.indicators import PRICE_OVERLAY

        mine = {k: v for k, v in self.indicators.items() if sid is None or v[3] == sid}
        oscillators = {k: v for k, v in mine.items() if v[2] not in PRICE_OVERLAY}
        if oscillators:
            axes = fig.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.5, 2, 1]})
            ax_p, ax_i, ax_e, ax_d = axes
        else:
            axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2, 1]})
            ax_p, ax_e, ax_d = axes
        name = self.symbols[sid] if sid is not None and sid < len(self.symbols) else "price"
        if len(pt):
            ax_p.plot(_dt(pt), pp, color="#4d4d4d", linewidth=0.7, label=name)
        self._plot_indicators(ax_p, {k: v for k, v in mine.items() if k not in oscillators})
        if oscillators:
            self._plot_indicators(ax_i, oscillators)
            ax_i.legend(loc="upper left", fontsize="small", ncols=3)
        pos = self.records("positions")
        if sid is not None and len(pos):
            pos = pos[pos["symbol_id"] == sid]
        if len(tr) or len(pos):
            self._plot_trades(ax_p, tr[-max_markers:], pos[-max_markers:])
        ax_p.set_ylabel(name)
        if len(pt) or len(tr):
            ax_p.legend(loc="upper left", fontsize="small", ncols=4)
        else:
            ax_p.text(
                0.5, 0.5, "no price data", transform=ax_p.transAxes, ha="center", color="#999"
            )
        t_eq = _dt(eq["time"])
        ax_e.plot(t_eq, eq["equity"], color="#2166ac", linewidth=1.0, label="equity")
        ax_e.plot(
            t_eq,
            eq["balance"],
            color="#999999",
            linewidth=0.8,
            linestyle="--",
            drawstyle="steps-post",
            label="balance",
        )
        ax_e.set_ylabel(f"equity {self.currency}".strip())
        ax_e.legend(loc="upper left", fontsize="small")
        ax_d.fill_between(t_eq, eq["drawdown_pct"], 0.0, color="#d73027", alpha=0.4, linewidth=0)
        ax_d.set_ylabel("drawdown %")
        s = self.statistics
        fig.suptitle(
            title
            or (
                f"{name}: net {s.net_profit:,.2f} {self.currency}, "
                f"{s.total_trades} trades, max DD {s.max_drawdown_pct:.1f} %, "
                f"Sharpe {_ratio(s.sharpe_ratio)}"
            )
        )
        for ax in axes:
            ax.grid(True, alpha=0.3)
        return fig

    # ---- interactive report ---------------------------------------------------------------

    def report(
        self,
        path: str | Path | None = None,
        *,
        symbol: int | str | None = None,
        price: PriceLike | None = None,
        indicators: Mapping[str, Any] | None = None,
        panels: Mapping[str, Any] | None = None,
        title: str | None = None,
        max_candles: int = 1500,
        max_points: int = 4000,
        max_trades: int = 5000,
    ) -> Any:
        """The interactive report (docs/research.md, "Interactive report"), a
        :class:`hqt.html_report.Report`: shown inline as a cell's value in
        Jupyter; with `path`, also written there as one self-contained HTML file.

        Price candles (from the loaded bars or ticks, extremes kept) with the
        trades' entries and exits, equity and balance, drawdown on one linked
        time axis; the trades table (linked to the markers), the statistics
        and the returns by month.

        Args:
            symbol: whose price and trades to draw (id or name); default: the
                symbol of the first deal.
            price: the price to draw instead of the engine's sketch, as in
                :meth:`plot`; BarData or a frame with open/high/low/close
                gives its own candles.
            indicators: name -> series (a ``(time, values)`` pair or a pandas
                Series with a DatetimeIndex) drawn over the price.
            panels: name -> series drawn in a panel of their own under the
                price (oscillators: RSI, MACD...).
            max_candles / max_points / max_trades: bounds of the page's size.

        A result that carries indicator series of its own (a mapping, or a
        method, ``indicator_series`` -> {name: series}) has them drawn too:
        over the price when their values lie on its scale, else in the panel.
        Needs bokeh (``pip install 'hqt-engine[report]'``).
        """
        rep = build_report(
            self,
            symbol=symbol,
            price=price,
            indicators=indicators,
            panels=panels,
            title=title,
            max_candles=max_candles,
            max_points=max_points,
            max_trades=max_trades,
        )
        if path is not None:
            rep.save(path)
        return rep

    def _price_sketch(self, sid: int | None, price: PriceLike | None) -> PriceSketch | None:
        """The report's candles: the engine's sketch of `sid`, or one of `price`
        (BarData or a frame with open/high/low/close keeps its bars' extremes)."""
        if price is None:
            return self._prices.get(sid) if sid is not None else None
        sk = PriceSketch()
        bars: Any = price
        if all(hasattr(bars, k) for k in ("open", "high", "low", "close")):
            t = bars.time if hasattr(bars, "time") else index_to_ns(bars.index)
            sk.add(
                as_time_array(t),
                np.asarray(bars.close, dtype=np.float64),
                open=np.asarray(bars.open, dtype=np.float64),
                high=np.asarray(bars.high, dtype=np.float64),
                low=np.asarray(bars.low, dtype=np.float64),
            )
        else:
            pt, pp = self._price_arg(price)
            sk.add(pt, pp)
        return sk

    @staticmethod
    def _plot_indicators(ax: Any, found: Mapping[str, tuple[Any, Any, Any, int]]) -> None:
        """One line per output of each indicator (``label.output`` for several)."""
        from hqt.indicators import OUTPUT_NAMES

        for label, (t, v, kind, _) in found.items():
            names = OUTPUT_NAMES.get(kind)
            for o in range(v.shape[1]):
                ax.plot(
                    _dt(t),
                    v[:, o],
                    linewidth=0.8,
                    alpha=0.85,
                    label=f"{label}.{names[o]}" if names else label,
                )

    @staticmethod
    def _plot_trades(ax: Any, tr: NDArray[Any], pos: NDArray[Any]) -> None:
        """Entry markers (closed trades and positions still open), exits, and a line from
        each entry to its exit, green for a winning trade and red for a losing one."""
        from matplotlib.collections import LineCollection

        if len(tr):
            t_in, t_out = _num(tr["open_time"]), _num(tr["close_time"])
            won = tr["net_profit"] > 0
            segs = np.stack(
                [
                    np.column_stack([t_in, tr["open_price"]]),
                    np.column_stack([t_out, tr["close_price"]]),
                ],
                axis=1,
            )
            colors = np.where(won[:, None], [[0.10, 0.60, 0.31, 0.8]], [[0.84, 0.19, 0.15, 0.8]])
            ax.add_collection(LineCollection(list(segs), colors=list(colors), linewidths=1.0))
        times = np.concatenate([tr["open_time"], pos["open_time"]])
        prices = np.concatenate([tr["open_price"], pos["open_price"]])
        buy = np.concatenate([tr["type"], pos["type"]]) == int(PositionType.BUY)
        ax.scatter(
            _dt(times[buy]),
            prices[buy],
            marker="^",
            s=28,
            color="#1a9850",
            zorder=3,
            label="buy entry",
        )
        ax.scatter(
            _dt(times[~buy]),
            prices[~buy],
            marker="v",
            s=28,
            color="#d73027",
            zorder=3,
            label="sell entry",
        )
        ax.scatter(
            _dt(tr["close_time"]),
            tr["close_price"],
            marker="x",
            s=22,
            color="#000000",
            zorder=3,
            label="exit",
        )

    @staticmethod
    def _price_arg(price: PriceLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        if isinstance(price, tuple) and len(price) == 2:
            return as_time_array(price[0]), np.asarray(price[1], dtype=np.float64)
        if hasattr(price, "index") and hasattr(price, "to_numpy"):  # pandas Series
            return index_to_ns(price.index), np.asarray(price.to_numpy(), dtype=np.float64)
        if hasattr(price, "bid"):
            return np.asarray(price.time), np.asarray(price.bid, dtype=np.float64)
        if hasattr(price, "close"):
            return np.asarray(price.time), np.asarray(price.close, dtype=np.float64)
        raise TypeError(
            "price must be a (time, price) pair, a pandas Series with a "
            "DatetimeIndex, TickData or BarData"
        )


_FIGURE: Any = None


def _figure_class(mpl_figure: Any) -> Any:
    """A matplotlib Figure that renders itself as PNG for IPython (``_repr_png_``),
    so ``result.plot()`` as a cell's value shows the chart in Jupyter whatever
    the matplotlib backend, with no ``%matplotlib inline``."""
    global _FIGURE
    if _FIGURE is None or _FIGURE.__mro__[1] is not mpl_figure.Figure:

        class PlotFigure(mpl_figure.Figure):  # type: ignore[misc]
            def _repr_png_(self) -> bytes:
                import io

                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=90)
                return buf.getvalue()

        _FIGURE = PlotFigure
    return _FIGURE


def _dt(ns: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(ns, dtype=np.int64).view("M8[ns]")


def _num(ns: NDArray[Any]) -> NDArray[np.float64]:
    """Times as matplotlib date numbers (days since its epoch, 1970 by default)."""
    from matplotlib.dates import date2num

    return np.asarray(date2num(_dt(ns)), dtype=np.float64)
