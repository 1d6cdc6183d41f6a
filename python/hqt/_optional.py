"""Optional dependencies (extras) and the message given when one is missing.

HQT needs only numpy at run time. Features that use more declare an extra in
the repository root's pyproject.toml (distribution ``hqt-engine``):

========== ============== ==============================================
extra      package        used by
========== ============== ==============================================
pandas     pandas         DataFrames in results, ``Engine.load_dataframe``
plot       matplotlib     ``BacktestResult.plot()``
progress   tqdm           progress bars of long ``run()`` calls
parquet    pyarrow        ``hqt.data.read_parquet``, ``Engine.load_parquet``, ``hqt.record``
dashboard  starlette,     ``python -m hqt.dashboard`` (websockets: uvicorn's
           uvicorn,       websocket protocol)
           websockets
report     bokeh          ``BacktestResult.report()`` (interactive HTML)
zmq        pyzmq          ``hqt.subscriber``, ``python -m hqt.monitor``
numba      numba          ``hqt.numba``: strategies compiled with numba
========== ============== ==============================================

Without the extra a feature either degrades (results as numpy structured
arrays instead of DataFrames; no progress bar) or raises
:class:`MissingExtraError` naming the ``pip install`` command.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "optional", "require", "EXTRAS"]

#: module name -> (extra name, distribution name)
EXTRAS: dict[str, tuple[str, str]] = {
    "pandas": ("pandas", "pandas"),
    "matplotlib": ("plot", "matplotlib"),
    "tqdm": ("progress", "tqdm"),
    "pyarrow": ("parquet", "pyarrow"),
    "starlette": ("dashboard", "starlette"),
    "uvicorn": ("dashboard", "uvicorn"),
    "bokeh": ("report", "bokeh"),
    "zmq": ("zmq", "pyzmq"),
    "optuna": ("optimize", "optuna"),  # hqt.optimize(method="tpe") (issue 14)
    "numba": ("numba", "numba"),
}

# Tests set entries to None to simulate a missing package.
_overrides: dict[str, ModuleType | None] = {}


class MissingExtraError(ImportError):
    """A feature needs an optional package that is not installed."""


def optional(module: str) -> ModuleType | None:
    """The module if it can be imported, else None."""
    if module in _overrides:
        return _overrides[module]
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def require(module: str, feature: str) -> ModuleType:
    """The module, or MissingExtraError telling how to install it for `feature`."""
    mod = optional(module)
    if mod is None:
        top = module.split(".")[0]
        extra, dist = EXTRAS.get(top, (top, top))
        raise MissingExtraError(
            f"{feature} needs {dist}, which is not installed: pip install 'hqt-engine[{extra}]' "
            f"(or pip install {dist})"
        )
    return mod
