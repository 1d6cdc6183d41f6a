"""Import hygiene of the hqt package.

* The modules of hqt import one another without a cycle: the graph of their
  imports -- module level and inside functions -- is a DAG. Imports under
  ``if TYPE_CHECKING:`` (never executed) and ``if __name__ == "__main__":``
  (executed by the module ``__main__``, a copy, not by the module itself) are
  not edges. Shared helpers live in leaf modules (hqt._arrays, hqt._series).
* An import inside a function is of the standard library, of an optional or
  heavy third-party package, or of an hqt module for a reason listed in
  DEFERRED (the native extension, or ``import hqt`` staying light).
* Every module imports on its own, first, in a fresh interpreter.
* ``import hqt`` then ``hqt.data``, ``hqt.testing``, ... work as the docs
  write them, and ``hqt.sweep`` is the function (its module is hqt.sweeps).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "hqt"
PYTHON_DIR = str(PKG.parent)

#: third-party packages a function may import (optional extras, or numpy kept
#: out of ``import hqt``)
LAZY_THIRD_PARTY = {
    "numpy",
    "pandas",
    "matplotlib",
    "pyarrow",
    "tqdm",
    "distributed",
    "dask",
    "cloudpickle",
    "pytest",
    "IPython",
    "bokeh",  # extra hqt[report]: BacktestResult.report()
    "jinja2",  # bokeh's, for the report's page template
}

#: (module, imported hqt module) pairs a function may import, and why
DEFERRED = {
    ("hqt.results", "hqt._hqt"): "result tables import without the native extension",
    ("hqt.testing", "hqt.engine"): "a pytest plugin: loads in every pytest run, native or not",
    **{
        (m, "hqt._hqt"): "the data rules are the core's (hqt_validate_*, hqt_timeframe_*); "
        "the module still imports without the extension, as hqt.testing (a pytest plugin, "
        "which imports hqt.data, which imports hqt.frames) must"
        for m in ("hqt.data", "hqt.frames", "hqt.testing")
    },
    **{
        ("hqt.sweeps", m): "import hqt imports hqt.sweeps (for hqt.sweep): standard library only"
        for m in ("hqt.engine", "hqt._arrays", "hqt.data", "hqt.models", "hqt.progress")
    },
}


def _modules() -> dict[str, Path]:
    mods = {"hqt": PKG / "__init__.py"}
    for f in sorted(PKG.glob("*.py")):
        if f.name != "__init__.py":
            mods[f"hqt.{f.stem}"] = f
    return mods


MODULES = _modules()
NATIVE = "hqt._hqt"  # the extension: imports nothing of hqt


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def _imports(path: Path, module: str):
    """(target module, in a function?) for each executed import of `path`."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and (_is_type_checking(node.test) or _is_main_guard(node.test)):
            for child in node.orelse:
                visit(child, in_function)
            return
        if isinstance(node, ast.Import):
            found.extend((a.name, in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                # `from hqt import data` imports the module hqt.data; `from hqt import X` the package
                found.append((sub if sub in MODULES or sub == NATIVE else base, in_function))
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        graph[module] = {
            t
            for t, _ in _imports(path, module)
            if (t == "hqt" or t.startswith("hqt.")) and t != module
        }
    return graph


def test_the_import_graph_of_hqt_is_acyclic():
    graph = _graph()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def dfs(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                cycle = stack[stack.index(t) :] + [t]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if t not in state:
                dfs(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    # the leaves the shared helpers live in import no other hqt module but errors/constants
    assert graph["hqt._arrays"] <= {"hqt.errors"}
    assert graph["hqt._series"] <= {"hqt.constants"}


def test_imports_inside_functions_are_deliberate():
    stdlib = set(sys.stdlib_module_names)
    bad = []
    for module, path in MODULES.items():
        for target, in_function in _imports(path, module):
            if not in_function:
                continue
            top = target.split(".")[0]
            if top == "hqt":
                if (module, target) not in DEFERRED:
                    bad.append(
                        f"{module}: {target} (import it at module level, or list why in DEFERRED)"
                    )
            elif top not in stdlib and top not in LAZY_THIRD_PARTY:
                bad.append(f"{module}: {target} (not an optional package)")
    assert not bad, "\n".join(bad)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports_first_in_a_fresh_interpreter(module):
    if module in ("hqt.subscriber", "hqt.monitor"):
        pytest.importorskip("zmq")
    proc = _run(f"import {module}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "partially initialized" not in proc.stderr


def test_public_submodules_are_attributes_of_hqt():
    code = """
import hqt, types
names = ["data", "testing", "tickfile", "results", "frames", "models", "errors", "constants",
         "units", "strategy", "progress", "engine", "journal", "broadcast", "sweeps", "wal",
         "wal_records"]
for n in names:
    m = getattr(hqt, n)
    assert isinstance(m, types.ModuleType) and m.__name__ == "hqt." + n, n
assert callable(hqt.sweep) and not isinstance(hqt.sweep, types.ModuleType)
assert hqt.sweeps.sweep is hqt.sweep
assert hqt.data.read_csv is hqt.read_csv and hqt.testing.random_walk_ticks
assert {"data", "testing", "sweeps"} <= set(dir(hqt))
try:
    hqt.no_such_module
except AttributeError:
    pass
else:
    raise AssertionError("hqt.no_such_module")
print("ok")
"""
    proc = _run(code)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]
