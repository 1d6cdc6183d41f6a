"""Shared fixtures for the hqt test suite.

Run from the repository root: ``python3 -m pytest python/tests -q`` (after
``scripts/build.sh``). The package is imported from python/ in place.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

PYDIR = Path(__file__).resolve().parents[1]
ROOT = PYDIR.parent
if str(PYDIR) not in sys.path:
    sys.path.insert(0, str(PYDIR))

import hqt  # noqa: E402

# hqt's own pytest plugin (fixtures hqt_engine, hqt_ticks, ...; see hqt.testing)
pytest_plugins = ["hqt.testing"]

# scripts/test.sh (and so CI) sets HQT_STRICT_SKIPS=1: there a skipped test
# means a missing install step (a browser, numba, auditwheel, ...), which must
# fail the run instead of hiding behind a skip. Outside it, skips stay skips.
STRICT_SKIPS = os.environ.get("HQT_STRICT_SKIPS") == "1"


def _strict(report: Any, what: str) -> None:
    if STRICT_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (
            f"{what} skipped under HQT_STRICT_SKIPS=1 (a missing dependency?): {report.longrepr}"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    _strict(outcome.get_result(), "test")


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: Any) -> Any:
    outcome = yield
    _strict(outcome.get_result(), "module")


HEADER = ROOT / "include" / "hqt.h"
LIBHQT = PYDIR / "hqt" / "libhqt.so"

#: 2024-01-02 00:00:00 UTC in ns; a Tuesday
T0 = 1_704_153_600 * 10**9
SEC = 10**9
MIN = 60 * SEC


def snapshot(e: Any) -> dict[str, Any]:
    """Everything observable about an engine's state, as exact integers."""
    return {
        "account": e._account(),
        "positions": e._positions(),
        "orders": e._orders(),
        "order_history": e._order_history(),
        "deals": [d._astuple() for d in e._deals()],
        "trades": e._trades(),
        "equity_curve": e._equity_curve(),
        "pending_events": e.pending_events,
        "symbols": [e._symbol_info(i) for i in range(e.symbol_count)],
        # NaN (an undefined ratio) as a string, so equal states compare equal
        "statistics": tuple("nan" if v != v else v for v in e._statistics()),
        "report": tuple("nan" if v != v else v for v in e._report()),
    }


@pytest.fixture
def engine() -> hqt.Engine:
    """A USD account (10 000, 1:100) with EURUSD (id 0) quoted 1.10000 / 1.10020."""
    e = hqt.Engine(10_000.0, "USD", 100)
    sid = e.add_symbol("EURUSD")
    assert sid == 0
    e.process_event(hqt.Tick(0, T0, 1.10000, 1.10020))
    return e


@pytest.fixture
def ctx() -> Iterator[zmq.Context]:
    """A pyzmq context for the test's subscribers, destroyed without lingering."""
    c = zmq.Context()
    yield c
    c.destroy(linger=0)
