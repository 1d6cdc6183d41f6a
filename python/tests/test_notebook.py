"""examples/quickstart.ipynb runs from top to bottom, so that it never rots.

The notebook is executed with nbclient in a kernel started with this very
interpreter (a throw-away kernelspec pointing at sys.executable), with the
examples/ directory as its working directory. Its own cells assert what
they show (the sweep row reproduced by run_one, the live stream matching
the run); this test checks that every cell ran without an error and that
the outputs are there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"
RESEARCH = ROOT / "examples" / "research2.ipynb"
KERNEL = "hqt-test-python"


@pytest.fixture
def kernel_name(tmp_path, monkeypatch) -> str:
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python (hqt tests)",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join([str(ROOT / "python"), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    monkeypatch.setenv("CI", "1")  # no progress bars in the captured outputs
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return KERNEL


def test_quickstart_notebook_runs(kernel_name):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the cell that failed

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    text = "\n".join(
        str(o.get("text", ""))
        + str(o.get("data", {}).get("text/plain", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for c in code
        for o in c.get("outputs", [])
    )
    assert "hqt " in text  # the set-up cell printed the versions
    assert "net_profit" in text  # the sweep table
    assert "deals and" in text or "done:" in text  # the live cell's final line
    pytest.importorskip("matplotlib")
    assert any("image/png" in o.get("data", {}) for c in code for o in c.get("outputs", [])), (
        "result.plot() drew no figure"
    )


def test_research_notebook_runs(kernel_name):
    """examples/research2.ipynb (issue 14): feeds and time zones, the Parquet
    catalog, an optimization heatmap, a walk-forward and a logged sweep; its
    cells assert what they show."""
    pytest.importorskip("pyarrow")
    nb = nbformat.read(RESEARCH, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=180,
        resources={"metadata": {"path": str(RESEARCH.parent)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "format: dukascopy_ticks" in text and "accepted names" in text
    assert "best:" in text and "resumed_at" in text and "done" in text
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 2, "the heatmap and the walk-forward plot"
