"""The dashboard's web app: one page, its state as JSON, and a websocket that pushes it.

Starlette (ASGI) served by uvicorn; the websocket pushes a new snapshot of
:class:`~hqt.dashboard.state.DashboardState` every ``interval`` seconds when
something changed (and at least every 2 s, so run state and rates move on
while the stream is quiet). The page (page.html, next to this file) draws
everything itself: no script or style is fetched from anywhere.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from hqt import _optional
from hqt.dashboard.state import DashboardState

__all__ = ["create_app"]

PAGE = Path(__file__).with_name("page.html")
_FEATURE = "hqt.dashboard"


def create_app(state: DashboardState, interval: float = 0.25) -> Any:
    """The ASGI application serving `state`."""
    applications = _optional.require("starlette.applications", _FEATURE)
    responses = _optional.require("starlette.responses", _FEATURE)
    routing = _optional.require("starlette.routing", _FEATURE)
    websockets = _optional.require("starlette.websockets", _FEATURE)
    page = PAGE.read_text(encoding="utf-8")

    async def index(request: Any) -> Any:
        return responses.HTMLResponse(page)

    async def api_state(request: Any) -> Any:
        return responses.JSONResponse(state.snapshot())

    async def ws(socket: Any) -> None:
        await socket.accept()
        sent_version, sent_at = -1, 0.0
        try:
            while True:
                now = time.monotonic()
                if state.version != sent_version or now - sent_at >= 2.0:
                    snap = state.snapshot()
                    await socket.send_text(json.dumps(snap, separators=(",", ":")))
                    sent_version, sent_at = snap["version"], now
                await asyncio.sleep(interval)
        except (websockets.WebSocketDisconnect, RuntimeError):
            return  # the page went away

    return applications.Starlette(
        routes=[
            routing.Route("/", index),
            routing.Route("/api/state", api_state),
            routing.WebSocketRoute("/ws", ws),
        ]
    )
