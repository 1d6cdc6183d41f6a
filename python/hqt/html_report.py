"""The interactive report of a backtest: ``result.report()`` / ``result.report("run.html")``.

One self-contained HTML page built with Bokeh (the optional extra
``hqt[report]``): price candles with the trades' entries and exits, any
indicator lines, equity and balance, drawdown (all on one linked time axis:
zooming or panning one moves the others), a trades table linked to the
markers (selecting a row highlights its trade on the chart and the other way
round), the statistics and the returns by month. BokehJS is inlined, so the
file opens offline and can be mailed; in Jupyter the same page shows in an
iframe, with no notebook extension or magic.

Why Bokeh and not Plotly: linked ranges and a selection shared between a
table and the glyphs through one ColumnDataSource are built in, the whole
page (BokehJS inlined) is smaller than plotly.js alone, and the page is
plain HTML around the plots, so the statistics are ordinary tables.

Sizes are bounded whatever the run: candles at most ``max_candles`` (a time
frame is picked from M1 ... W1 so that they fit; each candle's high and low
are the true extremes of its period, from the engine's price sketch), the
equity curve at most ``max_points`` samples (each chunk keeps its first,
last, lowest and highest), the last ``max_trades`` trades.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt import _optional
from hqt._report_tables import CSS, TEMPLATE, duration, fmt, monthly_table, stats_tables
from hqt.constants import DealReason, PositionType

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import NDArray

    from hqt.results import BacktestResult

__all__ = ["Report", "build_report", "candles", "decimate"]

_MIN = 60 * 10**9
#: candle time frames tried in order (minutes)
_FRAMES = (1, 5, 15, 30, 60, 240, 1440, 10080)
_FRAME_NAMES = {
    1: "M1",
    5: "M5",
    15: "M15",
    30: "M30",
    60: "H1",
    240: "H4",
    1440: "D1",
    10080: "W1",
}
_GREEN, _RED, _BLUE, _GREY = "#1a9850", "#d73027", "#2166ac", "#777777"
_LINE_COLORS = ("#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#2ca02c")


class Report:
    """An interactive report: shows itself in Jupyter, ``save(path)`` writes it.

    ``html`` is the whole self-contained page; ``path`` where it was saved
    (None if not yet).
    """

    def __init__(self, page: str, path: Path | None = None, height: int = 1400) -> None:
        self.html = page
        self.path = path
        self.height = height

    def save(self, path: str | Path) -> Path:
        """Writes the page (UTF-8) to `path`; returns it."""
        p = Path(path)
        p.write_text(self.html, encoding="utf-8")
        self.path = p
        return p

    def _repr_html_(self) -> str:
        # an iframe keeps the page's scripts and styles apart from the notebook's
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width:100%;height:{self.height}px;border:0" '
            'sandbox="allow-scripts allow-downloads"></iframe>'
        )

    def __repr__(self) -> str:
        where = f" saved to {self.path}" if self.path else ""
        return f"<hqt Report {len(self.html) / 1e6:.1f} MB{where}>"


# ---- data reduction -------------------------------------------------------------------------


def candles(
    t: NDArray[Any],
    o: NDArray[Any],
    h: NDArray[Any],
    lo: NDArray[Any],
    c: NDArray[Any],
    max_candles: int,
) -> tuple[int, tuple[NDArray[Any], ...]]:
    """Regroups buckets (time, open, high, low, close) into candles of the smallest
    time frame of M1 ... W1 that gives at most `max_candles` (W1 if none does);
    returns (frame in minutes, (start time, open, high, low, close))."""
    t = np.asarray(t, dtype=np.int64)
    if not len(t):
        return 1, (t, o, h, lo, c)
    for frame in _FRAMES:
        key = t // (frame * _MIN)
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        if len(starts) <= max_candles or frame == _FRAMES[-1]:
            break
    ends = np.append(starts[1:], len(t)) - 1
    return frame, (
        key[starts] * frame * _MIN,
        np.asarray(o)[starts],
        np.maximum.reduceat(np.asarray(h, dtype=np.float64), starts),
        np.minimum.reduceat(np.asarray(lo, dtype=np.float64), starts),
        np.asarray(c)[ends],
    )


def decimate(y: NDArray[Any], max_points: int, *also: NDArray[Any]) -> NDArray[np.int64]:
    """Indices of at most about `max_points` samples of `y` keeping, in each of
    max_points/4 chunks, the first, last, lowest and highest (and the lowest
    and highest of each array in `also`)."""
    n = len(y)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    chunks = max(1, max_points // (4 + 2 * len(also)))
    edges = np.linspace(0, n, chunks + 1).astype(np.int64)
    keep = [edges[:-1], edges[1:] - 1]
    for arr in (y, *also):
        a = np.asarray(arr, dtype=np.float64)
        for pick in (np.argmin, np.argmax):
            keep.append(
                np.array([s + pick(a[s:e]) for s, e in zip(edges[:-1], edges[1:], strict=True)])
            )
    return np.unique(np.concatenate(keep))


def _gapped(t: NDArray[np.int64], y: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """(times, values) with a NaN in each gap over 20 times the median spacing
    (a weekend), so a line breaks there instead of crossing it."""
    if len(t) < 3:
        return _dt(t), y
    d = np.diff(t)
    gaps = np.flatnonzero(d > 20 * max(float(np.median(d)), 1.0)) + 1
    return _dt(np.insert(t, gaps, t[gaps] - 1)), np.insert(np.asarray(y, float), gaps, np.nan)


def _series(result: BacktestResult, value: Any) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """An indicator as (time_ns, values): a (time, values) pair or a pandas Series."""
    t, v = result._price_arg(value)
    return np.asarray(t, dtype=np.int64), np.asarray(v, dtype=np.float64)


# ---- the page ----------------------------------------------------------------------------------


def build_report(
    result: BacktestResult,
    *,
    symbol: int | str | None = None,
    price: Any = None,
    indicators: Mapping[str, Any] | None = None,
    panels: Mapping[str, Any] | None = None,
    title: str | None = None,
    max_candles: int = 1500,
    max_points: int = 4000,
    max_trades: int = 5000,
) -> Report:
    """The page of `result` (see BacktestResult.report)."""
    _optional.require("bokeh", "BacktestResult.report()")
    from bokeh.embed import file_html
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, HoverTool, Range1d, TapTool
    from bokeh.models.annotations import Label
    from bokeh.models.widgets.tables import (
        DataTable,
        DateFormatter,
        NumberFormatter,
        TableColumn,
    )
    from bokeh.plotting import figure
    from bokeh.resources import INLINE
    from jinja2 import Template

    sid = result._symbol_index(symbol)
    name = result.symbols[sid] if sid is not None and sid < len(result.symbols) else "price"
    sk = result._price_sketch(sid, price)
    frame, (ct, co, ch, cl, cc) = (
        candles(*sk.ohlc(), max_candles) if sk is not None and sk.size else (1, (np.zeros(0),) * 5)
    )

    tools = "xpan,xwheel_zoom,box_zoom,reset,save,crosshair"
    common: dict[str, Any] = {
        "x_axis_type": "datetime",
        "tools": tools,
        "sizing_mode": "stretch_width",
    }
    eq = result.records("equity")
    tr = result.records("trades")
    pos = result.records("positions")
    if sid is not None:
        tr = tr[tr["symbol_id"] == sid] if len(tr) else tr
        pos = pos[pos["symbol_id"] == sid] if len(pos) else pos
    n_trades_symbol = len(tr)
    tr = tr[-max_trades:]

    times = [a for a in (ct, eq["time"], tr["open_time"], tr["close_time"]) if len(a)]
    x_range = None
    if times:
        lo_t = min(int(np.min(a)) for a in times) / 1e6
        hi_t = max(int(np.max(a)) for a in times) / 1e6
        pad = (hi_t - lo_t) * 0.02 or 60_000.0
        x_range = Range1d(start=lo_t - pad, end=hi_t + pad)

    # price: candles, trades, indicators
    p_price = figure(
        height=380, title=f"{name} ({_FRAME_NAMES[frame]} candles)", name="price", **common
    )
    if x_range is not None:
        p_price.x_range = x_range
    if len(ct):
        up = cc >= co
        width = frame * _MIN / 1e6 * 0.7
        src = ColumnDataSource(
            {
                "t": _dt(ct),
                "open": co,
                "high": ch,
                "low": cl,
                "close": cc,
                "color": np.where(up, _GREEN, _RED),
                "top": np.maximum(co, cc),
                "bottom": np.minimum(co, cc),
            }
        )
        p_price.segment("t", "high", "t", "low", color="color", source=src)
        bodies = p_price.vbar(
            "t",
            width,
            "top",
            "bottom",
            fill_color="color",
            line_color="color",
            source=src,
            name="candles",
        )
        p_price.add_tools(
            HoverTool(
                renderers=[bodies],
                tooltips=[
                    ("time", "@t{%F %H:%M}"),
                    ("O", "@open{0.00000}"),
                    ("H", "@high{0.00000}"),
                    ("L", "@low{0.00000}"),
                    ("C", "@close{0.00000}"),
                ],
                formatters={"@t": "datetime"},
            )
        )
    trades_src = ColumnDataSource(_trade_columns(result, tr), name="trades")
    if len(tr):
        p_price.segment(
            "open_time",
            "open_price",
            "close_time",
            "close_price",
            color="color",
            line_width=2,
            line_dash="dashed",
            source=trades_src,
        )
        entries = p_price.scatter(
            "open_time",
            "open_price",
            marker="marker",
            size=11,
            fill_color="entry_color",
            line_color="#222",
            source=trades_src,
            legend_label="entry",
            name="entries",
        )
        exits = p_price.scatter(
            "close_time",
            "close_price",
            marker="x",
            size=10,
            line_color="#111",
            line_width=2,
            source=trades_src,
            legend_label="exit",
            name="exits",
        )
        # tapping a marker selects its trade (and its table row: one source)
        p_price.add_tools(TapTool(renderers=[entries, exits]))
        p_price.add_tools(
            HoverTool(
                renderers=[entries, exits],
                tooltips=[
                    ("trade", "#@ticket @type @volume lot"),
                    ("in", "@open_time{%F %T} @open_price{0.00000}"),
                    ("out", "@close_time{%F %T} @close_price{0.00000} (@close_reason)"),
                    ("net", "@net_profit{0,0.00}"),
                ],
                formatters={"@open_time": "datetime", "@close_time": "datetime"},
            )
        )
    if not len(ct) and not len(tr):
        # nothing to draw (events fed one by one, or no data): say so; the empty
        # renderer keeps Bokeh from warning about a plot without one
        p_price.scatter([], [])
        p_price.add_layout(
            Label(x=10, y=10, x_units="screen", y_units="screen", text="no price data")
        )
    if len(pos):
        p_price.scatter(
            _dt(pos["open_time"]),
            pos["open_price"],
            marker="diamond",
            size=11,
            fill_color=_BLUE,
            line_color="#222",
            legend_label="open position",
        )
    lines = dict(indicators or {})
    extra_panels = dict(panels or {})
    carried = getattr(result, "indicator_series", None)
    if callable(carried):
        carried = carried()
    for k, v in dict(carried or {}).items():  # a result's own indicators: overlay if on price scale
        t, y = _series(result, v)
        on_price = (
            len(cl) and len(y) and np.nanmin(cl) * 0.5 <= np.nanmedian(y) <= np.nanmax(ch) * 2
        )
        (lines if on_price else extra_panels).setdefault(k, (t, y))
    for i, (k, v) in enumerate(lines.items()):
        t, y = _series(result, v)
        idx = decimate(np.nan_to_num(y), max_points)
        p_price.line(
            *_gapped(t[idx], y[idx]),
            color=_LINE_COLORS[i % len(_LINE_COLORS)],
            line_width=1.5,
            legend_label=str(k),
            name=f"indicator:{k}",
        )
    if p_price.legend:
        p_price.legend.location = "top_left"
        p_price.legend.click_policy = "hide"
    p_price.yaxis.axis_label = name

    figs = [p_price]
    if extra_panels:
        p_ind = figure(
            height=160, title="indicators", name="indicators", x_range=p_price.x_range, **common
        )
        for i, (k, v) in enumerate(extra_panels.items()):
            t, y = _series(result, v)
            idx = decimate(np.nan_to_num(y), max_points)
            p_ind.line(
                *_gapped(t[idx], y[idx]),
                color=_LINE_COLORS[i % len(_LINE_COLORS)],
                legend_label=str(k),
                name=f"indicator:{k}",
            )
        p_ind.legend.location = "top_left"
        figs.append(p_ind)

    # equity, balance, drawdown
    idx = decimate(eq["equity"], max_points, eq["balance"], eq["drawdown_pct"])
    eq_src = ColumnDataSource(
        {
            "t": _dt(eq["time"][idx]),
            "equity": eq["equity"][idx],
            "balance": eq["balance"][idx],
            "drawdown_pct": eq["drawdown_pct"][idx],
        }
    )
    p_eq = figure(
        height=220, title="equity and balance", name="equity", x_range=p_price.x_range, **common
    )
    eq_line = p_eq.line(
        "t", "equity", color=_BLUE, line_width=1.5, legend_label="equity", source=eq_src
    )
    p_eq.step(
        "t",
        "balance",
        color=_GREY,
        line_dash="dashed",
        mode="after",
        legend_label="balance",
        source=eq_src,
    )
    p_eq.add_tools(
        HoverTool(
            renderers=[eq_line],
            tooltips=[
                ("time", "@t{%F %T}"),
                ("equity", "@equity{0,0.00}"),
                ("balance", "@balance{0,0.00}"),
            ],
            formatters={"@t": "datetime"},
            mode="vline",
        )
    )
    p_eq.legend.location = "top_left"
    p_eq.yaxis.axis_label = f"equity {result.currency}".strip()
    p_dd = figure(
        height=150, title="drawdown %", name="drawdown", x_range=p_price.x_range, **common
    )
    dd = p_dd.varea("t", "drawdown_pct", 0.0, fill_color=_RED, fill_alpha=0.4, source=eq_src)
    p_dd.add_tools(
        HoverTool(
            renderers=[dd],
            tooltips=[("time", "@t{%F %T}"), ("drawdown", "@drawdown_pct{0.00} %")],
            formatters={"@t": "datetime"},
            mode="vline",
        )
    )
    figs += [p_eq, p_dd]

    dt_fmt = DateFormatter(format="%Y-%m-%d %H:%M:%S")
    num = NumberFormatter(format="0,0.00")
    px = NumberFormatter(format="0.00000")
    table = DataTable(
        source=trades_src,
        name="trade_table",
        columns=[
            TableColumn(field="ticket", title="ticket", width=60),
            TableColumn(field="symbol", title="symbol", width=70),
            TableColumn(field="type", title="type", width=50),
            TableColumn(
                field="volume", title="lots", formatter=NumberFormatter(format="0.00"), width=50
            ),
            TableColumn(field="open_time", title="entry time", formatter=dt_fmt),
            TableColumn(field="open_price", title="entry", formatter=px, width=80),
            TableColumn(field="close_time", title="exit time", formatter=dt_fmt),
            TableColumn(field="close_price", title="exit", formatter=px, width=80),
            TableColumn(field="close_reason", title="reason", width=60),
            TableColumn(field="net_profit", title="net profit", formatter=num, width=90),
            TableColumn(field="duration", title="duration", width=100),
        ],
        height=260,
        sizing_mode="stretch_width",
        index_position=None,
    )
    layout = column(*figs, table, sizing_mode="stretch_width", name="hqt_report")

    s = result.statistics
    heading = title or f"{name}: backtest report"
    shown = f" (the last {len(tr):,} shown)" if len(tr) < n_trades_symbol else ""
    summary = (
        f"Net profit <b>{s.net_profit:,.2f} {html.escape(result.currency)}</b> · "
        f'<span id="hqt-trade-count">{s.total_trades}</span> trades{shown} · '
        f"max drawdown {s.max_drawdown_pct:.2f} % · Sharpe {fmt('sharpe_ratio', s.sharpe_ratio, '')}"
        " · drag to pan, wheel to zoom (all charts together), click a table row to find its trade"
    )
    page = file_html(
        layout,
        INLINE,
        title=heading,
        template=Template(TEMPLATE),
        template_variables={
            "css": CSS,
            "heading": heading,
            "summary": summary,
            "n_trades": s.total_trades,
            "tables": stats_tables(result) + monthly_table(result),
        },
    )
    height = 380 + 220 + 150 + 260 + (160 if extra_panels else 0) + 900
    return Report(page, height=height)


def _dt(ns: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(ns, dtype=np.int64).view("M8[ns]")


def _trade_columns(result: BacktestResult, tr: NDArray[Any]) -> dict[str, Any]:
    buy = tr["type"] == int(PositionType.BUY)
    won = tr["net_profit"] > 0
    reasons = {int(m): m.name for m in DealReason}
    dur = (tr["close_time"] - tr["open_time"]).tolist()
    return {
        "ticket": tr["position"],
        "symbol": [
            result.symbols[i] if i < len(result.symbols) else str(i)
            for i in tr["symbol_id"].tolist()
        ],
        "type": np.where(buy, "BUY", "SELL"),
        "volume": tr["volume"],
        "open_time": _dt(tr["open_time"]),
        "open_price": tr["open_price"],
        "close_time": _dt(tr["close_time"]),
        "close_price": tr["close_price"],
        "close_reason": [reasons.get(int(r), str(r)) for r in tr["close_reason"].tolist()],
        "net_profit": tr["net_profit"],
        "duration": [duration(int(d)) for d in dur],
        "marker": np.where(buy, "triangle", "inverted_triangle"),
        "entry_color": np.where(buy, _GREEN, _RED),
        "color": np.where(won, _GREEN, _RED),
    }
