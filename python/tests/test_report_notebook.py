"""examples/report.ipynb (interactive report, statistics, plot without a
magic) runs from top to bottom, like examples/quickstart.ipynb in
test_notebook.py (same throw-away kernel). Its cells assert the figures they
show; this test checks that every cell ran and what the outputs are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_notebook import kernel_name  # noqa: F401  (the fixture)

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("bokeh")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "report.ipynb"


def test_report_notebook_runs(kernel_name, monkeypatch):  # noqa: F811
    # a kernel with the default backend: result.plot() must show without the
    # inline backend that test_notebook.py selects
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the cell that failed

    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "sortino_ratio" in html and "kelly_criterion" in html  # the statistics table
    assert "Jan" in html and "Year" in html  # the monthly returns
    assert "<iframe srcdoc=" in html and "hqt-trade-count" in html  # the report, inline
    plot = code[-2].outputs  # result.plot() as the cell's value
    assert any("image/png" in o.get("data", {}) for o in plot), "result.plot() showed no image"
