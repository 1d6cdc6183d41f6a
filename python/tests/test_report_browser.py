"""result.report("run.html") opened in headless Chromium: BokehJS renders the
charts and the trades table from the file alone, with the run's trade count,
and a click on a table row selects its trade for the chart's markers; a
screenshot is kept in python/tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import time

import pytest

from _report_browser import ARTIFACTS, chrome
from hqt.testing import make_engine, random_walk_ticks
from test_results import Bracket

pytest.importorskip("bokeh")
ActionChains = pytest.importorskip("selenium.webdriver.common.action_chains").ActionChains

#: what the page renders, read from the DOM (open shadow roots included) and
#: from BokehJS's document
PROBE = """
const out = {canvases: 0, rows: 0, figures: [], sources: {}};
function walk(root) {
  for (const el of root.querySelectorAll('*')) {
    if (el.tagName === 'CANVAS' && el.width > 0 && el.height > 0) out.canvases++;
    if (el.classList && el.classList.contains('slick-row')) out.rows++;
    if (el.shadowRoot) walk(el.shadowRoot);
  }
}
walk(document);
if (window.Bokeh && Bokeh.index) {
  const seen = (v) => {
    if (v.model.type === 'Figure') out.figures.push(v.model.name);
    for (const c of (v.child_views || [])) seen(c);
  };
  for (const v of Object.values(Bokeh.index)) seen(v);
  const doc = Bokeh.documents[0];
  out.sources.trades = doc.get_model_by_name('trades').data.ticket.length;
}
out.count = document.getElementById('hqt-trade-count').textContent;
out.monthly = document.querySelectorAll('#hqt-monthly tr').length;
return out;
"""


#: the table's third row (a cell of it), inside the DataTable's shadow root
THIRD_ROW = """
const rows = [];
function walk(root) {
  for (const el of root.querySelectorAll('*')) {
    if (el.classList && el.classList.contains('slick-row')) rows.push(el);
    if (el.shadowRoot) walk(el.shadowRoot);
  }
}
walk(document);
return rows.length > 2 ? rows[2].querySelector('.slick-cell') : null;
"""
SELECTED = "return Bokeh.documents[0].get_model_by_name('trades').selected.indices"


def test_report_renders_in_chromium(tmp_path):
    e = make_engine(random_walk_ticks(30_000, seed=5, gaps=1))
    result = e.run(Bracket(every=500), progress=False)
    n = result.statistics.total_trades
    path = result.report(tmp_path / "run.html", indicators={"price": result.price_series()}).path
    assert path is not None
    with chrome() as driver:
        driver.get(path.as_uri())
        deadline = time.monotonic() + 30
        seen: dict = {}
        while time.monotonic() < deadline:  # BokehJS renders asynchronously
            seen = driver.execute_script(PROBE)
            if len(seen["figures"]) >= 3 and seen["rows"] > 0:
                break
            time.sleep(0.2)
        # a click on a table row selects that trade in the source the markers draw
        cell = driver.execute_script(THIRD_ROW)
        assert cell is not None
        ActionChains(driver).move_to_element(cell).click().perform()
        deadline = time.monotonic() + 10
        while driver.execute_script(SELECTED) != [2] and time.monotonic() < deadline:
            time.sleep(0.1)
        selected = driver.execute_script(SELECTED)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "report.png"
        driver.save_screenshot(str(shot))
        print(f"report screenshot: {shot}")
        errors = [m for m in driver.get_log("browser") if m["level"] == "SEVERE"]
    assert sorted(seen["figures"]) == ["drawdown", "equity", "price"]
    assert seen["canvases"] >= 3  # each figure drew on its canvas
    assert seen["rows"] > 0  # the trades table rendered rows (it shows those in view)
    assert seen["count"] == str(n) and seen["sources"]["trades"] == n > 10
    assert seen["monthly"] == 2  # header and one year
    assert selected == [2]
    assert not errors, errors
    assert shot.stat().st_size > 20_000
    e.dispose()
