"""hqt.dashboard.state without a browser: what the page is given, from frames laid out by hand.

SPEC frames alone (a broadcaster without issue 11's extensions) and then the
SESSION topic with sequenced twins (docs/zmq.md sections 11 and 12): symbol
names, run id, exact losses, RUN_END and its summary.
"""

from __future__ import annotations

import struct

from broadcast_helpers import frame
from hqt._stream import Pairer
from hqt.dashboard.state import MAX_POINTS, DashboardState

RUN = 0xFEED_0000_0000_0001
T = 1_704_153_600 * 10**9


def feed(state: DashboardState, frames: list[bytes]) -> None:
    pairer = Pairer()
    state.feed([s for s, _ in pairer.feed(frames) + pairer.flush()])


def twin(spec: bytes, seq: int) -> bytes:
    return bytes([0x80 | spec[0]]) + struct.pack("<QQ", RUN, seq) + spec[1:]


def session(kind: int, next_seq: list[int], body: bytes = b"") -> bytes:
    return struct.pack("<BBQQ8Q", 8, kind, RUN, T, *next_seq) + body


def text(s: str) -> bytes:
    return bytes([len(s)]) + s.encode()


def test_spec_frames_only():
    st = DashboardState("tcp://x:1", idle_after=1000)
    assert st.snapshot()["state"] == "waiting"
    feed(
        st,
        [
            frame(0, 0, T, 1_100_000, 1_100_100),
            frame(3, 5, 0, T, (0 << 4) | 0, 100_000, 0),  # BUY placed
            frame(3, 5, 0, T, (2 << 4) | 0, 100_000, 1_100_100),  # filled
            frame(2, 6, 0, T, 100_000, 1_100_100, 0),
            frame(6, 7, 0, T, 0, 100_000, 1_100_100, 0, 0, 0),  # opened
            frame(4, T, 10_000_000_000, 9_999_000_000, 1_100_000_000, 8_899_000_000),
            frame(3, 8, 0, T + 1, (1 << 4) | 2, 50_000, 1_000_000),  # an orphan MODIFIED
            frame(2, 9, 0, T + 2, 100_000, 1_099_000, -12_000_000),
            frame(6, 7, 0, T + 2, 2 << 4, 0, 1_100_100, 0, 0, -12_000_000),  # closed
            frame(4, T + 2, 9_988_000_000, 9_988_000_000, 0, 9_988_000_000),
        ],
    )
    s = st.snapshot()
    assert s["state"] == "running" and s["summary"] is None
    assert s["trade_count"] == 2 and s["net_profit"] == -12_000_000
    assert [d["ticket"] for d in s["trades"]] == [9, 6]  # newest first
    assert s["positions"] == [] and [o["ticket"] for o in s["orders"]] == [8]
    assert s["account"]["equity"] == 9_988_000_000
    assert s["points"] == [
        (T, 10_000_000_000, 9_999_000_000, 1_100_000_000),
        (T + 2, 9_988_000_000, 9_988_000_000, 0),
    ]
    assert s["sequenced"] is False and s["orphans"] == 1 and s["run_id"] is None
    assert [t["count"] for t in s["topics"]] == [1, 0, 2, 3, 2, 0, 2, 0]
    assert (s["first_time"], s["last_time"]) == (T, T + 2)
    st.idle_after = 0.0  # no RUN_END from this broadcaster: quiet means idle
    s = st.snapshot()
    assert s["state"] == "idle"
    assert s["summary"]["trades"] == 2 and s["summary"]["win_rate"] == 0.0
    assert s["summary"]["max_drawdown"] == 11_000_000 and s["summary"]["engine"] is None


def test_session_twins_losses_and_run_end():
    st = DashboardState("tcp://x:1", idle_after=1000)
    symbol = struct.pack("<Iiq", 0, 5, 100_000_000_000) + b"".join(
        text(x) for x in ("EURUSD", "EUR", "USD", "EUR")
    )
    start = session(
        0,
        [0] * 8,
        struct.pack("<Bq", 0, 10_000_000_000) + text("USD") + struct.pack("<I", 1) + symbol,
    )
    ticks = [frame(0, 0, T + i, 1_100_000 + i, 1_100_100 + i) for i in range(6)]
    feed(st, [start] + [twin(t, i) for i, t in enumerate(ticks) if i not in (2, 3)])
    feed(st, [session(2, [6, 0, 0, 0, 0, 0, 0, 0])])  # heartbeat: paused
    s = st.snapshot()
    assert s["state"] == "paused" and s["currency"] == "USD" and s["symbols"] == {"0": "EURUSD"}
    assert s["run_id"] == f"{RUN:016x}" and s["sequenced"] is True
    assert s["topics"][0]["count"] == 4 and s["topics"][0]["lost"] == 2 and s["lost_total"] == 2

    deal = frame(2, 3, 0, T + 9, 100_000, 1_100_000, 5_000_000)
    end = session(
        1,
        [7, 0, 2, 0, 0, 0, 0, 0],
        struct.pack("<BqqqqQII", 0, 10_005_000_000, 10_005_000_000, 0, 10_005_000_000, 2, 0, 0),
    )
    feed(st, [ticks[0], twin(deal, 1), deal, end])  # a tick whose twin was lost
    s = st.snapshot()
    assert s["state"] == "ended"
    # the tick without seq fills one of RUN_END's missing numbers; TRADE seq 0 was never seen
    assert [t["lost"] for t in s["topics"]][:3] == [2, 0, 1]
    assert s["trade_count"] == 1 and s["summary"]["engine"] == {
        "status": "completed",
        "balance": 10_005_000_000,
        "equity": 10_005_000_000,
        "deals": 2,
        "open_positions": 0,
        "pending_orders": 0,
    }


def test_equity_points_stay_bounded():
    st = DashboardState("tcp://x:1")
    eq = [frame(4, T + i, 10_000_000_000, 10_000_000_000 + i, 0, 0) for i in range(3 * MAX_POINTS)]
    feed(st, eq)
    pts = st.snapshot()["points"]
    assert MAX_POINTS // 2 <= len(pts) < MAX_POINTS
    assert pts[0][0] == T and all(a[0] < b[0] for a, b in zip(pts, pts[1:], strict=False))


def test_receiver_subscribes_to_the_topics_asked_for():
    """A Receiver for TRADE and ACCOUNT only: ticks never reach it (filtered by the publisher)."""
    import time

    from broadcast_helpers import Publisher
    from hqt.dashboard.state import Receiver

    pub = Publisher()
    st = DashboardState(pub.endpoint)
    rx = Receiver(pub.endpoint, st, topics=["trade", 7]).start()
    try:
        pub.wait_for_subscriptions(1)
        time.sleep(0.1)  # the other subscriptions of the same socket
        for i in range(5):
            pub.send(frame(0, 0, T + i, 1_100_000, 1_100_100))
            pub.send(frame(2, 10 + i, 0, T + i, 10_000, 1_100_000, i))
        pub.send(frame(7, T + 9, 1, 2, 3, 4))
        deadline = time.monotonic() + 5
        while st.counts[7] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        rx.stop()
        pub.close()
    assert st.counts == [0, 0, 5, 0, 0, 0, 0, 1]
    assert st.snapshot()["trade_count"] == 5
