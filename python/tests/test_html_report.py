"""result.report(): the interactive HTML report's content and bounds, and
result.plot() showing in Jupyter without a matplotlib magic. The page in a
real browser: test_report_browser.py.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import hqt
from hqt import _optional
from hqt.html_report import Report, candles, decimate
from hqt.testing import make_engine, random_walk_bars, random_walk_ticks
from test_results import Bracket

pytest.importorskip("bokeh")

MIN = 60 * 10**9


@pytest.fixture(scope="module")
def result():
    e = make_engine(random_walk_ticks(30_000, seed=3, gaps=1))
    r = e.run(Bracket(every=600), progress=False)
    yield r
    e.dispose()


def doc_json(page: str) -> dict:
    """The Bokeh document embedded in the page."""
    m = re.search(r'<script type="application/json" id="[^"]+">\s*(.*?)\s*</script>', page, re.S)
    assert m, "no Bokeh document in the page"
    return next(iter(json.loads(m.group(1)).values()))


def names_in(doc: dict) -> set[str]:
    return set(re.findall(r'"name":"([^"]+)"', json.dumps(doc, separators=(",", ":"))))


def test_the_page_is_self_contained_and_complete(result, tmp_path):
    sma = result.price_series()
    rep = result.report(tmp_path / "run.html", indicators={"sma": sma}, panels={"osc": sma})
    assert isinstance(rep, Report) and rep.path == tmp_path / "run.html"
    page = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert page == rep.html
    # BokehJS inlined: no script or stylesheet fetched from anywhere
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page)
    assert "Bokeh" in page and len(page) > 500_000
    n = result.statistics.total_trades
    assert n > 10
    assert f'data-trades="{n}"' in page and f'<span id="hqt-trade-count">{n}</span>' in page
    names = names_in(doc_json(page))
    for name in ("price", "candles", "entries", "exits", "equity", "drawdown", "trade_table"):
        assert name in names
    assert {"indicator:sma", "indicator:osc", "indicators"} <= names
    # the statistics, "n/a" where undefined, and the returns by month
    for key in (
        "cagr_pct",
        "sortino_ratio",
        "calmar_ratio",
        "sqn",
        "kelly_criterion",
        "exposure_pct",
    ):
        assert f'data-key="{key}"' in page
    assert 'id="hqt-monthly"' in page and "<th>Jan</th>" in page
    assert re.search(r'data-key="bars_processed"><th>[^<]+</th><td>0</td>', page)


def test_trades_table_and_markers_share_one_source(result):
    page = result.report(max_trades=5).html
    text = json.dumps(doc_json(page))
    # one ColumnDataSource: table rows and markers select together
    assert len(re.findall(r'"name": "trades"', text)) == 1
    assert "(the last 5 shown)" in page


def test_repr_html_is_an_iframe_of_the_page(result):
    rep = result.report()
    out = rep._repr_html_()
    assert out.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in out
    assert "<script" not in out  # all of the page is inside the attribute
    assert rep.path is None and "MB" in repr(rep)


def test_candles_keep_extremes_and_pick_a_time_frame():
    t = np.arange(600, dtype=np.int64) * 10 * 10**9  # 10 s apart: 100 minutes
    rng = np.random.default_rng(1)
    p = 1 + np.cumsum(rng.normal(0, 1e-4, 600))
    frame, (ct, o, h, lo, c) = candles(t, p, p, p, p, max_candles=30)
    assert frame == 5 and len(ct) == 20  # M1 would give 100
    assert h.max() == p.max() and lo.min() == p.min()
    assert o[0] == p[0] and c[-1] == p[-1]
    assert np.array_equal(h, p.reshape(20, 30).max(axis=1))
    assert np.array_equal(ct, np.arange(20) * 5 * MIN)
    frame1, _ = candles(t, p, p, p, p, max_candles=100)
    assert frame1 == 1


def test_bar_runs_draw_their_own_bars_as_candles():
    e = make_engine(bars=random_walk_bars(300, seed=2))
    r = e.run(hqt.Strategy(), progress=False)
    sk = r._prices[0]
    frame, (ct, o, h, lo, c) = candles(*sk.ohlc(), max_candles=1500)
    bars = random_walk_bars(300, seed=2)
    assert frame == 1 and np.array_equal(h, bars.high) and np.array_equal(lo, bars.low)
    assert "M1 candles" in r.report().html
    e.dispose()
    # price= draws other data: bars keep their own extremes
    doc = doc_json(r.report(price=bars).html)
    assert max(doc_number_arrays(doc, "high")) == pytest.approx(bars.high.max())


def doc_number_arrays(doc: dict, field: str) -> list[float]:
    """Every value of column `field` of the document's data sources."""
    import base64
    import gzip

    out: list[float] = []

    def visit(node):
        if isinstance(node, dict):
            if node.get("type") == "map" and "entries" in node:
                for k, v in node["entries"]:
                    if k == field and isinstance(v, dict) and v.get("type") == "ndarray":
                        raw = base64.b64decode(v["array"]["data"])
                        if raw[:2] == b"\x1f\x8b":  # bokeh gzips large arrays
                            raw = gzip.decompress(raw)
                        out.extend(np.frombuffer(raw, dtype=v["dtype"]).tolist())
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(doc)
    return out


def test_decimate_keeps_extremes():
    y = np.sin(np.linspace(0, 50, 100_000))
    y[12_345] = 9.0
    y[77_777] = -9.0
    idx = decimate(y, 400)
    assert len(idx) <= 400 and idx[0] == 0 and idx[-1] == len(y) - 1
    assert {12_345, 77_777} <= set(idx.tolist())
    assert np.all(np.diff(idx) > 0)
    assert np.array_equal(decimate(y[:50], 400), np.arange(50))


def test_a_result_that_carries_indicators_has_them_drawn(result):
    t, p = result.price_series()

    class WithIndicators(type(result)):
        def indicator_series(self):
            return {"ema": (t, p), "rsi": (t, np.full(len(t), 50.0))}

    carried = WithIndicators.__new__(WithIndicators)
    carried.__dict__.update(result.__dict__)
    names = names_in(doc_json(carried.report().html))
    assert {"indicator:ema", "indicator:rsi", "indicators"} <= names  # rsi: off the price scale


def test_report_without_bokeh_names_the_extra(result, monkeypatch):
    monkeypatch.setitem(_optional._overrides, "bokeh", None)
    with pytest.raises(_optional.MissingExtraError, match=r"hqt-engine\[report\]"):
        result.report()


def test_plot_shows_in_jupyter_without_a_magic(result):
    pytest.importorskip("matplotlib")
    formatters = pytest.importorskip("IPython.core.formatters")
    fig = result.plot()
    # a fresh formatter: no matplotlib backend hook registered, as in a kernel
    # where %matplotlib inline never ran
    data, _ = formatters.DisplayFormatter().format(fig)
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_with_nothing_still_makes_a_page(caplog):
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    with pytest.warns(Warning, match="nothing to run"):
        r = e.run(hqt.Strategy(), progress=False)
    page = r.report().html
    assert "no price data" in page and '<span id="hqt-trade-count">0</span>' in page
    assert re.search(r'data-key="sortino_ratio"><th>[^<]+</th><td>n/a</td>', page)
    assert not [m for m in caplog.messages if "MISSING_RENDERERS" in m]
    e.dispose()
