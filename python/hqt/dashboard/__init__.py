"""Live web dashboard of an HQT broadcast: ``python -m hqt.dashboard tcp://host:port``.

The seed's "UI Dashboard (SUB)". Serves a local page (default
http://127.0.0.1:8050) that shows a running backtest as it goes: the
equity / balance / margin chart, open positions and pending orders, recent
trades and orders, per-topic counts, rates and losses, the run's state and
progress (simulated time), and when the run ends its summary. It subscribes
like any other subscriber (a slow browser never slows the engine) and reads
SESSION frames and sequenced twins when the broadcaster sends them (run id,
symbol names, exact losses, RUN_END), falling back to SPEC frames alone.

Needs the ``dashboard`` extra: ``pip install 'hqt-engine[dashboard]'`` (starlette,
uvicorn, websockets). :mod:`hqt.dashboard.state` is pure Python + pyzmq.
"""

from __future__ import annotations

from hqt.dashboard.server import main, serve
from hqt.dashboard.state import DashboardState, Receiver

__all__ = ["DashboardState", "Receiver", "serve", "main"]
