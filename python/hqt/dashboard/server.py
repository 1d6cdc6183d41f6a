"""Serving the live dashboard: :func:`serve`, and :func:`main` behind
``python -m hqt.dashboard ENDPOINT [--host H] [--port P]``."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Sequence

from hqt import _optional
from hqt.dashboard.app import create_app
from hqt.dashboard.state import DashboardState, Receiver
from hqt.subscriber import CurveKeys

__all__ = ["serve", "main"]


def serve(
    endpoint: str,
    host: str = "127.0.0.1",
    port: int = 8050,
    *,
    curve: CurveKeys | None = None,
    topics: Sequence[int | str] | None = None,
    idle_after: float = 3.0,
    interval: float = 0.25,
) -> None:
    """Subscribes to `endpoint` and serves the dashboard until interrupted.

    Prints ``dashboard http://HOST:PORT/ for ENDPOINT`` once listening
    (``port=0`` picks a free port, the printed one).
    """
    uvicorn = _optional.require("uvicorn", "hqt.dashboard")
    state = DashboardState(endpoint, idle_after=idle_after)
    receiver = Receiver(endpoint, state, curve=curve, topics=topics).start()
    # Bound here, not by uvicorn, so that port 0 can be printed before serving.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        receiver.stop()
        raise SystemExit(
            f"cannot listen on {host}:{port}: {e.strerror} (choose another --port)"
        ) from None
    # Listening before the address is printed: a client that reads it and
    # connects at once (a test's browser) is queued until uvicorn accepts,
    # not refused (uvicorn's own listen() on this socket only resizes the queue).
    sock.listen(2048)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(f"dashboard http://{shown}:{bound}/ for {endpoint}", flush=True)
    config = uvicorn.Config(create_app(state, interval), log_level="warning", lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        receiver.stop()
        sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m hqt.dashboard",
        description="Live web dashboard of an HQT broadcast (docs/zmq.md section 14).",
    )
    ap.add_argument("endpoint", help="broadcaster endpoint, e.g. tcp://localhost:5555")
    ap.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=8050, help="port (default 8050; 0 = a free one)")
    ap.add_argument(
        "--idle-after",
        type=float,
        default=3.0,
        help="seconds without a frame before a run without SESSION frames shows as idle (default 3)",
    )
    ap.add_argument(
        "--topics",
        nargs="+",
        metavar="TOPIC",
        help="only these topics (names or numbers), e.g. all but tick for a tick flood",
    )
    ap.add_argument("--server-key", help="CURVE: the broadcaster's public key (Z85)")
    ap.add_argument(
        "--public-key", help="CURVE: this dashboard's public key (allow-listed brokers)"
    )
    ap.add_argument("--secret-key", help="CURVE: this dashboard's secret key")
    a = ap.parse_args(argv)
    curve = None if a.server_key is None else CurveKeys(a.server_key, a.public_key, a.secret_key)
    try:
        serve(a.endpoint, a.host, a.port, curve=curve, topics=a.topics, idle_after=a.idle_after)
    except KeyboardInterrupt:
        pass
    return 0
