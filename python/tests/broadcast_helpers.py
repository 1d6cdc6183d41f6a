"""Test helpers: SPEC section 2 frames built with ``struct`` straight from the
SPEC table (independently of hqt.subscriber and of the Swift broadcaster),
a pyzmq publisher for them, and the check that a gap-repairing subscriber
(hqt.mirror.Mirror) ended with the engine's state."""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path
from typing import Any

import zmq

PYTHON_DIR = Path(__file__).resolve().parents[1]
if str(PYTHON_DIR) not in sys.path:
    sys.path.insert(0, str(PYTHON_DIR))

# The SPEC table, copied by hand: topic -> whole-frame format.
SPEC_FORMATS = {
    0: "<BIQqq",
    1: "<BIHQqqqqQ",
    2: "<BQIQQqq",
    3: "<BQIQBQq",
    4: "<BQqqqq",
    5: "<BQqqqB",
    6: "<BQIQBQqqqq",
    7: "<BQqqqq",
}
SPEC_SIZES = {0: 29, 1: 55, 2: 45, 3: 38, 4: 41, 5: 34, 6: 62, 7: 41}

T0 = 1_700_000_000_123_456_789

# One sample payload per topic, in SPEC field order.
SAMPLES = {
    0: (7, T0, 1_084_550, 1_084_570),
    1: (3, 60, T0, 1_100_000, 1_150_000, 1_050_000, 1_120_000, 250_000_000),
    2: (42, 3, T0 + 1, 10_000, 1_234_567, -15_500_000),
    3: (43, 4, T0 + 2, (3 << 4) | 2, 20_000, 1_100_000),
    4: (T0 + 3, 10_000_000_000, 9_990_000_000, 50_000_000, 9_940_000_000),
    5: (T0 + 4, 50_000_000, 9_940_000_000, 19_980_000_000, 2),
    6: (44, 5, T0 + 5, (3 << 4) | 1, 30_000, 1_500_000, 0, 1_400_000, -123_000_000),
    7: (T0 + 6, 10_000_000_000, 9_990_000_000, -10_000_000, 19_980_000_000),
}


def frame(topic: int, *fields: int) -> bytes:
    return struct.pack(SPEC_FORMATS[topic], topic, *fields)


class Publisher:
    """A pyzmq publisher of raw frames on a free loopback port.

    An XPUB (a PUB that also reports subscriptions), so a test can wait until
    a subscriber's subscription has arrived instead of sleeping.
    """

    def __init__(self, curve_secret_key: bytes | None = None) -> None:
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.XPUB)
        self.sock.linger = 0
        self.sock.setsockopt(zmq.XPUB_VERBOSE, 1)
        if curve_secret_key is not None:
            self.sock.curve_server = True
            self.sock.curve_secretkey = curve_secret_key
        port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"

    def wait_for_subscriptions(self, n: int = 1, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        seen = 0
        while seen < n:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock.poll(int(left * 1000)):
                raise TimeoutError(f"only {seen} of {n} subscriptions arrived")
            if self.sock.recv()[:1] == b"\x01":
                seen += 1

    def send(self, data: bytes) -> None:
        self.sock.send(data)

    def close(self) -> None:
        self.sock.close(0)
        self.ctx.term()


def assert_mirror_equals_engine(m: Any, e: Any) -> None:
    """A hqt.mirror.Mirror ended with exactly the engine's deals, open
    positions (and volumes), pending orders and balance."""
    assert [(d.ticket, d.price, d.volume, d.profit) for d in m.deals] == [
        (d.ticket, d.price_micro, d.volume_micro, d.profit_micro) for d in e.deals
    ]
    assert sorted(m.positions) == sorted(p.ticket for p in e.positions)
    for p in e.positions:
        assert m.positions[p.ticket].volume == p.volume_micro
    assert sorted(m.orders) == sorted(o.ticket for o in e.orders)
    assert m.account is not None and m.account.balance == round(e.balance * 1e6)
