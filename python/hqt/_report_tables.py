"""The HTML around the report's plots: the statistics and monthly returns
tables, the page's style and template (hqt.html_report builds the plots).

Plain HTML, not Bokeh widgets: the figures stay readable, searchable and
printable, and a test can find them in the DOM.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt import analytics

if TYPE_CHECKING:  # pragma: no cover
    from hqt.results import BacktestResult

__all__ = ["CSS", "TEMPLATE", "fmt", "duration", "stats_tables", "monthly_table"]


def fmt(key: str, v: Any, currency: str) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, np.timedelta64 | np.datetime64):
        if np.isnat(v):
            return "n/a"
        if isinstance(v, np.datetime64):
            return str(v.astype("datetime64[s]")).replace("T", " ")
        return duration(int(v.astype("m8[ns]").astype(np.int64)))
    if hasattr(v, "total_seconds"):  # pandas Timedelta / Timestamp
        return fmt(key, np.timedelta64(v.value, "ns"), currency)
    if hasattr(v, "isoformat"):
        return html.escape(str(v))
    if isinstance(v, bool | np.bool_):
        return str(v)
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return "n/a"
        if math.isinf(f):
            return "∞" if f > 0 else "-∞"
        if key.endswith("_pct") or key == "win_rate":
            return f"{f:,.2f} %"
        if any(w in key for w in ("ratio", "factor", "sqn", "kelly", "z_score", "hpr", "corr")):
            return f"{f:,.3f}"
        return f"{f:,.2f}"
    return html.escape(str(v))


def duration(ns: int) -> str:
    s = ns // 10**9
    d, s = divmod(s, 86_400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{d} d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


_LABELS = {
    "return_pct": "Return",
    "cagr_pct": "CAGR",
    "annual_return_pct": "Return (annualised)",
    "annual_volatility_pct": "Volatility (annualised)",
    "sharpe_ratio": "Sharpe ratio",
    "sortino_ratio": "Sortino ratio",
    "calmar_ratio": "Calmar ratio",
    "max_drawdown_pct": "Max drawdown",
    "max_drawdown_duration": "Max drawdown duration",
    "exposure_pct": "Exposure time",
    "buy_hold_return_pct": "Buy and hold return",
    "total_trades": "Trades",
    "win_rate": "Win rate",
    "sqn": "SQN",
    "expectancy": "Expectancy",
    "expectancy_pct": "Expectancy (price %)",
    "kelly_criterion": "Kelly criterion",
    "profit_factor": "Profit factor",
}


def stats_tables(result: BacktestResult) -> str:
    d = result.stats_dict()
    cur = html.escape(result.currency)

    def rows(keys: Any) -> str:
        out = []
        for k in keys:
            label = _LABELS.get(k, k.replace("_", " "))
            text = fmt(k, d.get(k), cur)
            out.append(f'<tr data-key="{k}"><th>{html.escape(label)}</th><td>{text}</td></tr>')
        return "".join(out)

    quant = [
        "start",
        "end",
        "duration",
        "initial_balance",
        "final_equity",
        "net_profit",
        *_LABELS,
    ]
    rest = [k for k in d if k not in quant and k not in ("run_seconds", "events_per_second")]
    return (
        '<div class="hqt-stats">'
        f'<table class="hqt-table" id="hqt-quant"><caption>Performance ({cur})</caption>'
        f"{rows(quant)}</table>"
        f'<table class="hqt-table" id="hqt-mt5"><caption>MT5 tester report</caption>'
        f"{rows(rest)}</table></div>"
    )


def monthly_table(result: BacktestResult) -> str:
    eq = result.records("equity")
    years, table = analytics.monthly_returns(
        eq["time"], eq["equity"], result.statistics.initial_balance
    )
    if not len(years):
        return ""
    head = "".join(f"<th>{m}</th>" for m in (*analytics.MONTHS, "Year"))
    body = []
    for y, row in zip(years.tolist(), table, strict=True):
        cells = []
        for v in row:
            if math.isnan(v):
                cells.append("<td></td>")
            else:
                a = min(abs(v) / 5.0, 1.0) * 0.6  # shade by size, saturating at 5 %
                rgb = "26,152,80" if v >= 0 else "215,48,39"
                cells.append(f'<td style="background:rgba({rgb},{a:.2f})">{v:+.2f}</td>')
        body.append(f"<tr><th>{y}</th>{''.join(cells)}</tr>")
    return (
        '<table class="hqt-table hqt-monthly" id="hqt-monthly">'
        "<caption>Returns by month and year (%)</caption>"
        f"<tr><th></th>{head}</tr>{''.join(body)}</table>"
    )


CSS = """
body { font-family: system-ui, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.3em; margin: 0.2em 0; }
.hqt-summary { color: #555; margin-bottom: 0.8em; }
.hqt-stats { display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }
.hqt-table { border-collapse: collapse; font-size: 13px; margin: 1em 0; }
.hqt-table caption { text-align: left; font-weight: 600; padding: 0.3em 0; }
.hqt-table th { text-align: left; font-weight: normal; color: #555; padding: 1px 1em 1px 0; }
.hqt-table td { text-align: right; padding: 1px 0.5em; font-variant-numeric: tabular-nums; }
.hqt-monthly td, .hqt-monthly th { text-align: center; padding: 2px 6px; }
"""

TEMPLATE = """{% extends base %}
{% block postamble %}<style>{{ css }}</style>{% endblock %}
{% block contents %}
<h1>{{ heading }}</h1>
<div class="hqt-summary" id="hqt-summary" data-trades="{{ n_trades }}">{{ summary }}</div>
{{ super() }}
{{ tables }}
{% endblock %}
"""
