"""Intake of the stream tools: events/s that hqt.record and hqt.dashboard take in.

A separate publisher process sends N TICK frames (and, with --twins, each
one's sequenced twin, docs/zmq.md section 11) over tcp loopback from an XPUB
with XPUB_NODROP and blocking sends, so nothing is dropped and the elapsed
time is the consumer's: plain pyzmq recv (the reference), the recorder
(Recorder.poll, writing Parquet) and the dashboard's receiver + state.

    PYTHONPATH=python python3 bench/zmq/stream_tools.py [-n 500000] [--twins]

On a 2-core box the publisher and the consumer share the cores; figures vary
run to run. A tool that falls behind a faster engine loses its own frames
(per-pipe drops), counted from the sequence numbers; it never slows the engine.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import struct
import sys
import tempfile
import time
from pathlib import Path

import zmq

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

from hqt import record  # noqa: E402
from hqt._stream import sequenced_frame  # noqa: E402
from hqt.dashboard.state import DashboardState, Receiver  # noqa: E402

TICK = struct.Struct("<BIQqq")


def publish(port_q: mp.Queue, n: int, twins: bool) -> None:
    ctx = zmq.Context()
    s = ctx.socket(zmq.XPUB)
    s.setsockopt(zmq.XPUB_NODROP, 1)
    s.setsockopt(zmq.SNDHWM, 100_000)
    port = s.bind_to_random_port("tcp://127.0.0.1")
    port_q.put(port)
    s.recv()  # first subscription
    time.sleep(0.2)  # the rest of a multi-prefix subscriber's subscriptions
    frames = [
        TICK.pack(0, 0, 1_700_000_000_000_000_000 + i, 1_100_000 + i % 100, 1_100_100)
        for i in range(1000)
    ]
    for i in range(n):
        f = frames[i % 1000]
        s.send(f)
        if twins:
            s.send(sequenced_frame(f, 7, i))
    end = b"\x07" + bytes(40)  # an ACCOUNT frame marks the end
    s.send(end)
    if twins:  # consumers that switched to twins only see this one
        s.send(sequenced_frame(end, 7, 0))
    time.sleep(1.0)
    s.close(0)
    ctx.term()


def start(n: int, twins: bool) -> tuple[mp.Process, str]:
    q: mp.Queue = mp.Queue()
    p = mp.Process(target=publish, args=(q, n, twins), daemon=True)
    p.start()
    return p, f"tcp://127.0.0.1:{q.get(timeout=10)}"


def plain(n: int, twins: bool) -> float:
    p, ep = start(n, twins)
    ctx = zmq.Context()
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(ep)
    s.recv()
    t0 = time.perf_counter()
    while s.recv()[0] != 7:
        pass
    dt = time.perf_counter() - t0
    s.close(0)
    ctx.term()
    p.join()
    return dt


def recorder(n: int, twins: bool) -> float:
    p, ep = start(n, twins)
    with tempfile.TemporaryDirectory() as d:
        rec = record.Recorder(ep, d)
        while rec.poll(0.1) == 0:
            pass
        t0 = time.perf_counter()
        while rec.stats.by_topic.get(7, 0) == 0:
            rec.poll(0.1)
        dt = time.perf_counter() - t0
        rec.close()
        assert rec.stats.by_topic[0] == n, rec.stats
    p.join()
    return dt


def dashboard(n: int, twins: bool) -> float:
    p, ep = start(n, twins)
    state = DashboardState(ep)
    rx = Receiver(ep, state).start()
    while state.counts[0] == 0:
        time.sleep(0.001)
    t0 = time.perf_counter()
    while state.counts[7] == 0:
        time.sleep(0.001)
    dt = time.perf_counter() - t0
    rx.stop()
    assert state.counts[0] == n, state.counts
    p.join()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500_000)
    ap.add_argument("--twins", action="store_true", help="also send each frame's sequenced twin")
    a = ap.parse_args()
    print(f"{a.n} TICK events{' + twins' if a.twins else ''}, tcp loopback, lossless publisher")
    for name, fn in (
        ("plain pyzmq recv", plain),
        ("hqt.record", recorder),
        ("hqt.dashboard", dashboard),
    ):
        dt = fn(a.n, a.twins)
        print(f"  {name:<18} {a.n / dt / 1e6:6.2f} M events/s")


if __name__ == "__main__":
    main()
