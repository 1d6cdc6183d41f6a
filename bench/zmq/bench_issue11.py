"""Issue 11 figures, one run, one table (called by bench/zmq/run.sh):

1. engine ticks/s: no broadcasting; broadcasting every tick with nobody
   subscribed; and with a stalled subscriber (connects, never reads,
   RCVHWM 10, 4 KiB kernel buffer) beside a fast C subscriber (sub_recv,
   RCVHWM unlimited) -- what share of the ticks each of them got, at
   SNDHWM 10 000 (the default) and at SNDHWM = N (a queue deep enough for a
   whole burst at the engine's rate), and paced by a Python on_tick that
   does nothing (default SNDHWM);
2. Python subscriber intake over tcp loopback, plain pyzmq + struct next to
   hqt's batch path (recv_batch + decode_batch), Mirror on sequenced ticks
   and the record iterator;
3. decode only (frames already received): struct loop, decode_batch,
   hqt.subscriber.decode.

    python bench_issue11.py SUB_RECV_BINARY [N_ENGINE] [N_PY] [REPS]
"""

from __future__ import annotations

import os
import re
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import zmq

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
import hqt  # noqa: E402
from hqt.sequenced import decode_batch  # noqa: E402
from hqt.subscriber import decode  # noqa: E402

SUB_RECV = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000_000
N_PY = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000_000
REPS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
T0 = 1_700_000_000_000_000_000
LOOPBACK = "tcp://127.0.0.1:*"


def kv(line: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}


def engine(n: int) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    i = np.arange(n, dtype=np.int64)
    bid = 1_100_000 + (i % 97)
    e.load_ticks_micro(0, T0 + i * 100_000_000, bid, bid + 20)
    return e


def timed_run(e: hqt.Engine) -> float:
    t0 = time.perf_counter()
    e.run()  # no strategy: the GIL is released
    return time.perf_counter() - t0


def engine_rates() -> dict[str, float]:
    out = {}
    out["none"] = statistics.median(N / timed_run(engine(N)) for _ in range(REPS))
    rates = []
    for _ in range(REPS):
        e = engine(N)
        e.enable_broadcasting(LOOPBACK)
        rates.append(N / timed_run(e))
        e.disable_broadcasting()
    out["broadcast"] = statistics.median(rates)
    return out


class Idle(hqt.Strategy):
    """A Python on_tick that does nothing: paces the engine at Python speed."""

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        pass


class Paced(hqt.Strategy):
    """Holds the engine to `rate` ticks/s (sleeping every 1,000 ticks): a
    broadcast rate one subscriber process can take in on this machine."""

    def __init__(self, rate: float) -> None:
        self.rate, self.i, self.t0 = rate, 0, 0.0

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.i += 1
        if self.i % 1000 == 0:
            if self.t0 == 0.0:
                self.t0 = time.perf_counter()
            ahead = self.t0 + self.i / self.rate - time.perf_counter()
            if ahead > 0:
                time.sleep(ahead)


#: the paced rows' broadcast rate: below the fast C subscriber's intake here
PACE = float(os.environ.get("PACE", 1_000_000))


def isolation(
    sndhwm: int, paced: bool = False, with_stalled: bool = True, pace: float | None = None
) -> dict[str, float]:
    """Engine publishing every tick; a stalled and a fast subscriber (or the
    fast one alone: the same share with and without the stalled one is
    isolation)."""
    e = engine(N)
    ep = e.enable_broadcasting(
        LOOPBACK, sndhwm=sndhwm, wait_subscribers=1 + with_stalled, wait_timeout=20.0
    )
    ctx = zmq.Context()
    stalled = ctx.socket(zmq.SUB)
    stalled.linger = 0
    stalled.rcvhwm = 10
    stalled.rcvbuf = 4096
    stalled.setsockopt(zmq.SUBSCRIBE, b"")
    if with_stalled:
        stalled.connect(ep)
    fast = subprocess.Popen(
        [SUB_RECV, ep, str(10**12), "1000", "0"], stdout=subprocess.PIPE, text=True
    )
    if paced or pace:
        t0 = time.perf_counter()
        e.run(Paced(pace) if pace else Idle())
        secs = time.perf_counter() - t0
    else:
        secs = timed_run(e)
    fast_out = kv(fast.communicate()[0])
    stalled_ticks = 0
    while with_stalled and stalled.poll(300):
        try:
            while True:
                if stalled.recv(zmq.NOBLOCK)[0] == 0:
                    stalled_ticks += 1
        except zmq.Again:
            pass
    stalled.close()
    ctx.term()
    stats = e.broadcast_stats()
    return {
        "rate": N / secs,
        "fast": fast_out["ticks"] / N,
        "fast_rate": fast_out["msgs_per_s"],
        "stalled": stalled_ticks / N,
        "dropped": stats.total_dropped,
    }


def python_intake(mode: str) -> dict[str, float]:
    e = engine(N_PY)
    # A queue as deep as the run: the subscriber drains at its own pace, so
    # the figure is its intake, not the publisher's overflow.
    ep = e.enable_broadcasting(LOOPBACK, sndhwm=0, wait_subscribers=1, wait_timeout=20.0)
    sub = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("py_sub.py")), ep, mode, "1.0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    timed_run(e)
    return kv(sub.communicate()[0])


def decode_only(n: int = 1_000_000) -> dict[str, float]:
    frames = [struct.pack("<BIQqq", 0, 0, T0 + i, 1_100_000 + i % 97, 1_100_020) for i in range(n)]
    tick = struct.Struct("<IQqq").unpack_from
    out = {}
    t0 = time.perf_counter()
    s = 0
    for f in frames:
        if f[0] == 0:
            s += tick(f, 1)[2]
    out["struct"] = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for k in range(0, n, 8192):
        s2 = int(decode_batch(frames[k : k + 8192])[0]["bid"].sum())
    out["batch"] = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for f in frames:
        decode(f)
    out["records"] = n / (time.perf_counter() - t0)
    assert s and s2
    return out


def main() -> None:
    print(
        f"engine runs of {N} ticks, Python intake of {N_PY} ticks, medians of {REPS}",
        file=sys.stderr,
    )
    rates = engine_rates()
    iso = [
        isolation(10_000),
        isolation(10_000, with_stalled=False),
        isolation(N),
        isolation(10_000, paced=True),
        isolation(10_000, paced=True, with_stalled=False),
        isolation(10_000, pace=PACE),
    ]
    py = {
        m: statistics.median(python_intake(m)["msgs_per_s"] for _ in range(REPS))
        for m in ("plain", "batch", "mirror", "iterate")
    }
    dec = decode_only()
    ok = lambda c: "met" if c else "MISSED"  # noqa: E731
    print(f"\n-- issue 11 (engine: {N} ticks, 1 symbol, no strategy)")
    rows = [
        ("engine, no broadcasting", f"{rates['none'] / 1e6:.1f} M ticks/s", "1.00", ""),
        (
            "engine, every tick broadcast, no subscriber",
            f"{rates['broadcast'] / 1e6:.1f} M ticks/s",
            f"{rates['broadcast'] / rates['none']:.2f}",
            f">= 15 M ticks/s: {ok(rates['broadcast'] >= 15e6)}",
        ),
    ]
    labels = (
        "+ stalled + fast C sub, SNDHWM 10 000",
        "+ fast C sub alone, SNDHWM 10 000",
        f"+ stalled + fast C sub, SNDHWM {N}",
        "+ stalled + fast, SNDHWM 10 000, Python on_tick",
        "+ fast alone, SNDHWM 10 000, Python on_tick",
        f"+ stalled + fast C sub, SNDHWM 10 000, paced to {PACE / 1e6:g} M ticks/s",
    )
    for hwm, r in zip(labels, iso, strict=True):
        rows.append(
            (
                f"engine {hwm}",
                f"{r['rate'] / 1e6:.1f} M ticks/s",
                f"{r['rate'] / rates['none']:.2f}",
                f"fast got {100 * r['fast']:.2f}% of ticks ({r['fast_rate'] / 1e6:.1f} M msg/s intake), "
                f"stalled {100 * r['stalled']:.2f}%, publisher dropped {int(r['dropped'])}"
                + (
                    f"; fast 100% beside the stalled one: {ok(r['fast'] == 1.0)}"
                    if "paced" in hwm
                    else ""
                ),
            )
        )
    rows += [
        ("-- Python subscriber intake, tcp loopback (separate process)",),
        ("plain pyzmq recv + struct.unpack_from", f"{py['plain'] / 1e6:.2f} M msg/s", "1.00", ""),
        (
            "hqt Subscriber.recv_batch + decode_batch",
            f"{py['batch'] / 1e6:.2f} M msg/s",
            f"{py['batch'] / py['plain']:.2f}",
            f">= 2 M msg/s: {ok(py['batch'] >= 2e6)}",
        ),
        (
            "hqt Mirror on sequenced ticks (gap accounting)",
            f"{py['mirror'] / 1e6:.2f} M msg/s",
            f"{py['mirror'] / py['plain']:.2f}",
            "",
        ),
        (
            "hqt Subscriber iterated (records)",
            f"{py['iterate'] / 1e6:.2f} M msg/s",
            f"{py['iterate'] / py['plain']:.2f}",
            "",
        ),
        ("-- decode only, 1 M TICK frames already received (this process)",),
        ("struct.unpack_from loop", f"{dec['struct'] / 1e6:.2f} M msg/s", "1.00", ""),
        (
            "decode_batch (numpy)",
            f"{dec['batch'] / 1e6:.2f} M msg/s",
            f"{dec['batch'] / dec['struct']:.2f}",
            "",
        ),
        (
            "hqt.subscriber.decode (records)",
            f"{dec['records'] / 1e6:.2f} M msg/s",
            f"{dec['records'] / dec['struct']:.2f}",
            "",
        ),
    ]
    for r in rows:
        print(r[0] if len(r) == 1 else f"  {r[0]:<48} {r[1]:>16} {r[2]:>6}  {r[3]}")


if __name__ == "__main__":
    main()
