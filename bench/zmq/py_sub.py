"""Messages per second taken in by a Python subscriber, three ways:

    python py_sub.py ENDPOINT [MODE] [IDLE_SECONDS]

MODE:
  plain    pyzmq recv() + a precompiled struct.unpack_from per frame: the
           baseline the issue quotes (about 2 M msg/s).
  batch    hqt.subscriber.Subscriber.recv_batch + hqt.sequenced.decode_batch
           (numpy structured arrays per topic): HQT's fast decode path.
  iterate  hqt.subscriber.Subscriber iterated record by record (NamedTuples,
           loss stats): the convenient path.
  mirror   hqt.subscriber.Mirror on the sequenced TICK frames (gap
           accounting per batch; checksum = ticks it lost).

Prints: received=<n> seconds=<s> msgs_per_s=<r> checksum=<sum of TICK bids>
(first to last message; the checksum, over the frames received, shows the
mode really decoded every TICK).
"""

import struct
import sys
import time
from pathlib import Path

import zmq

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from hqt.sequenced import decode_batch  # noqa: E402
from hqt.subscriber import Mirror, Subscriber  # noqa: E402

endpoint = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "iterate"
idle = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5


def plain(sub: Subscriber) -> tuple[int, int, float, float, int]:
    sock = sub.socket
    tick = struct.Struct("<IQqq").unpack_from
    first = sub.recv_frame(20.0)
    t0 = last = time.perf_counter()
    n = 1 if first is not None else 0
    checksum = tick(first, 1)[2] if first is not None and first[0] == 0 else 0
    recv = sock.recv
    while sock.poll(int(idle * 1000)):
        try:
            while True:
                f = recv(zmq.NOBLOCK)
                if f[0] == 0:
                    checksum += tick(f, 1)[2]
                n += 1
        except zmq.Again:
            last = time.perf_counter()
    return n, 0, t0, last, checksum


def batch(sub: Subscriber) -> tuple[int, int, float, float, int]:
    frames = sub.recv_batch(timeout=20.0)
    t0 = last = time.perf_counter()
    # Timed from the end of the first batch: its frames count as the "first
    # message" of the other modes (not in the rate).
    n, n_first, checksum = 0, len(frames) - 1, 0
    while frames:
        n += len(frames)
        ticks = decode_batch(frames).get(0)
        if ticks is not None:
            checksum += int(ticks["bid"].sum())
        last = time.perf_counter()
        frames = sub.recv_batch(timeout=idle)
    return n, n_first, t0, last, checksum


def mirror() -> tuple[int, int, float, float, int]:
    # Sequence-aware: sequenced TICK frames, gap accounting per batch.
    m = Mirror(endpoint, topics=[0], timeout=20.0, rcvhwm=0)
    n = m.poll(20.0)
    t0 = last = time.perf_counter()
    n_first = n - 1
    while True:
        got = m.poll(idle)
        if not got:
            break
        n += got
        last = time.perf_counter()
    lost = m.lost_tick_count
    m.close()
    return n, n_first, t0, last, lost


def iterate(sub: Subscriber) -> tuple[int, int, float, float, int]:
    first = sub.recv()
    t0 = last = time.perf_counter()
    n = 1 if first is not None else 0
    checksum = first.bid if first is not None and first.topic == 0 else 0
    sub.timeout = idle
    for r in sub:
        n += 1
        if r.topic == 0:
            checksum += r.bid
        last = time.perf_counter()
    return n, 0, t0, last, checksum


if mode == "mirror":
    n, n_first, t0, last, checksum = mirror()
else:
    with Subscriber(endpoint, timeout=20.0, rcvhwm=0) as sub:
        n, n_first, t0, last, checksum = {"plain": plain, "batch": batch, "iterate": iterate}[mode](
            sub
        )
secs = last - t0
counted = n - n_first
rate = (counted - 1) / secs if counted > 1 and secs > 0 else 0
print(f"received={n} seconds={secs:.4f} msgs_per_s={rate:.0f} checksum={checksum}")
