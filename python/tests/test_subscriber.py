"""hqt.subscriber against frames built with struct from the SPEC table and
published with pyzmq (no Swift code involved)."""

from __future__ import annotations

import struct
import time

import pytest
import zmq

import hqt.subscriber as hs
from broadcast_helpers import SAMPLES, SPEC_FORMATS, SPEC_SIZES, T0, Publisher, frame
from hqt.subscriber import (
    ACCOUNT,
    BAR,
    EQUITY,
    MARGIN,
    ORDER,
    POSITION,
    TICK,
    TRADE,
    CurveKeys,
    DecodeError,
    Subscriber,
    SubscriberStats,
    decode,
)


@pytest.fixture
def pub():
    p = Publisher()
    yield p
    p.close()


def test_topic_constants_sizes_and_formats_are_the_spec():
    assert (TICK, BAR, TRADE, ORDER, EQUITY, MARGIN, POSITION, ACCOUNT) == tuple(range(8))
    assert hs.FRAME_SIZES == (29, 55, 45, 38, 41, 34, 62, 41)
    assert hs.FRAME_FORMATS == tuple(SPEC_FORMATS[t] for t in range(8))
    assert all(struct.calcsize(SPEC_FORMATS[t]) == SPEC_SIZES[t] for t in range(8))


def test_decode_every_topic_field_by_field():
    records = {t: decode(frame(t, *SAMPLES[t])) for t in range(8)}
    for t, r in records.items():
        assert r.topic == t
        assert tuple(r) == SAMPLES[t]

    tick = records[TICK]
    assert (tick.symbol_id, tick.time, tick.bid, tick.ask) == (7, T0, 1_084_550, 1_084_570)
    assert tick.bid_f == 1.08455 and tick.ask_f == 1.08457
    assert tick.datetime.isoformat() == "2023-11-14T22:13:20.123456+00:00"

    bar = records[BAR]
    assert (bar.timeframe, bar.open_f, bar.high_f, bar.low_f, bar.close_f, bar.volume_f) == (
        60,
        1.1,
        1.15,
        1.05,
        1.12,
        250.0,
    )

    trade = records[TRADE]
    assert (trade.ticket, trade.volume_f, trade.price_f, trade.profit, trade.profit_f) == (
        42,
        0.01,
        1.234567,
        -15_500_000,
        -15.5,
    )

    order = records[ORDER]
    assert (order.type, order.state, order.type_name, order.state_name) == (
        2,
        3,
        "BUY_LIMIT",
        "CANCELED",
    )
    assert order.price_f == 1.1 and order.volume_f == 0.02

    eq = records[EQUITY]
    assert (eq.balance_f, eq.equity_f, eq.margin_f, eq.free_margin_f) == (
        10_000.0,
        9_990.0,
        50.0,
        9_940.0,
    )

    m = records[MARGIN]
    assert (m.margin_level_f, m.event, m.event_name) == (19_980.0, 2, "STOP_OUT")

    pos = records[POSITION]
    assert (pos.type, pos.state, pos.type_name, pos.state_name) == (1, 3, "SELL", "PARTIAL")
    assert (pos.open_price_f, pos.sl, pos.tp_f, pos.profit_f) == (1.5, 0, 1.4, -123.0)

    acc = records[ACCOUNT]
    assert (acc.balance_f, acc.equity_f, acc.profit_f, acc.margin_level_f) == (
        10_000.0,
        9_990.0,
        -10.0,
        19_980.0,
    )


def test_decode_accepts_any_buffer_and_rejects_malformed_frames():
    raw = frame(TICK, *SAMPLES[TICK])
    assert (
        decode(bytearray(raw)) == decode(memoryview(raw)) == decode(zmq.Frame(raw)) == decode(raw)
    )
    with pytest.raises(DecodeError, match="empty"):
        decode(b"")
    with pytest.raises(DecodeError, match="unknown topic 8"):
        decode(bytes([8]) + raw[1:])
    with pytest.raises(DecodeError, match="TICK frame has 28 bytes, expected 29"):
        decode(raw[:-1])
    with pytest.raises(DecodeError, match="TRADE frame has 30 bytes, expected 45"):
        decode(bytes([TRADE]) + raw[1:] + b"\0")
    assert issubclass(DecodeError, ValueError)


def test_subscriber_receives_every_topic_then_times_out(pub):
    with Subscriber(pub.endpoint, timeout=0.3) as sub:
        pub.wait_for_subscriptions(1)
        for t in range(8):
            pub.send(frame(t, *SAMPLES[t]))
        start = time.monotonic()
        got = list(sub)
        waited = time.monotonic() - start
    assert [r.topic for r in got] == list(range(8))
    assert [tuple(r) for r in got] == [SAMPLES[t] for t in range(8)]
    assert 0.25 < waited < 2.0, "iteration ends once `timeout` passes without an event"
    assert sub.stats.received == {t: 1 for t in range(8)}
    assert sub.stats.total == 8 and sub.stats.bytes == sum(SPEC_SIZES.values())
    assert sub.stats.by_name()["POSITION"] == 1


def test_subscriber_gets_only_its_topics(pub):
    with Subscriber(pub.endpoint, topics=["trade", POSITION], timeout=0.3) as sub:
        assert sub.topics == (TRADE, POSITION)
        pub.wait_for_subscriptions(2)
        for _ in range(3):
            for t in range(8):
                pub.send(frame(t, *SAMPLES[t]))
        got = [r.topic for r in sub]
    assert got == [TRADE, POSITION] * 3
    assert sub.stats.received[TICK] == 0 and sub.stats.received[TRADE] == 3


def test_recv_timeout_and_malformed_frames_are_skipped(pub):
    with Subscriber(pub.endpoint, timeout=0.2) as sub:
        pub.wait_for_subscriptions(1)
        start = time.monotonic()
        assert sub.recv(timeout=0.1) is None
        assert time.monotonic() - start < 1.0
        pub.send(b"\x09garbage")
        pub.send(frame(TICK, *SAMPLES[TICK])[:-3])
        pub.send(frame(EQUITY, *SAMPLES[EQUITY]))
        r = sub.recv()
        assert r is not None and r.topic == EQUITY
        assert sub.stats.malformed == 2 and sub.stats.total == 1


def test_the_original_design_note_snippet_works_unchanged(pub):
    # The subscriber from the C++ predecessor's note, verbatim in its decoding.
    ctx = zmq.Context.instance()
    socket = ctx.socket(zmq.SUB)
    socket.connect(pub.endpoint)
    socket.setsockopt(zmq.SUBSCRIBE, b"")  # Subscribe all
    socket.RCVTIMEO = 2000
    try:
        pub.wait_for_subscriptions(1)
        pub.send(frame(TICK, *SAMPLES[TICK]))
        pub.send(frame(TRADE, 7, 3, T0, 10_000, 1_234_567, 25_000_000))  # positive profit
        pub.send(frame(TRADE, *SAMPLES[TRADE]))  # negative profit
        seen = []
        for _ in range(3):
            msg = socket.recv()
            topic = msg[0]
            if topic == 0:  # TICK
                symbol_id, ts, bid, ask = struct.unpack("<IQqq", msg[1:])
                seen.append(("tick", symbol_id, ts, bid / 1e6, ask / 1e6))
            elif topic == 2:  # TRADE
                ticket, symbol_id, ts, vol, price, profit = struct.unpack("<QIQQQQ", msg[1:])
                seen.append(("trade", ticket, symbol_id, ts, vol, price, profit))
    finally:
        socket.close(0)
    assert seen[0] == ("tick", 7, T0, 1.08455, 1.08457)
    assert seen[1] == ("trade", 7, 3, T0, 10_000, 1_234_567, 25_000_000)
    # Same bytes; an unsigned 'Q' reads a negative profit as its two's complement.
    assert seen[2][:6] == ("trade", 42, 3, T0 + 1, 10_000, 1_234_567)
    assert seen[2][6] == 2**64 - 15_500_000


def _position(ticket, state, type_=0):
    return decode(frame(POSITION, ticket, 0, T0, (state << 4) | type_, 10_000, 1_000_000, 0, 0, 0))


def _order(ticket, state, type_=2):
    return decode(frame(ORDER, ticket, 0, T0, (state << 4) | type_, 10_000, 1_000_000))


def _trade(ticket):
    return decode(frame(TRADE, ticket, 0, T0, 10_000, 1_000_000, 0))


def test_loss_indicators_detect_what_the_protocol_reveals():
    s = SubscriberStats(consecutive_deal_tickets=True)
    for t in (1, 2, 5, 6):
        s.observe(_trade(t))
    assert (s.deal_ticket_gaps, s.deal_ticket_regressions) == (2, 0)
    s.observe(_trade(3))
    assert s.deal_ticket_regressions == 1

    # A complete life cycle raises nothing.
    for r in (
        _position(10, 0),
        _position(10, 1),
        _position(10, 3),
        _position(10, 2),
        _order(11, 0),
        _order(11, 1),
        _order(11, 2),
        _order(12, 0),
        _order(12, 3),
        _order(13, 4),
    ):  # a rejection may be an order's only frame
        s.observe(r)
    assert (s.orphan_position_updates, s.orphan_order_updates) == (0, 0)

    # Updates whose opening frame was missed are counted once per ticket...
    s.observe(_position(20, 1))
    s.observe(_position(20, 2))
    s.observe(_position(21, 2))
    s.observe(_order(22, 2))
    s.observe(_order(23, 1))
    s.observe(_order(23, 5))
    assert (s.orphan_position_updates, s.orphan_order_updates) == (2, 2)
    # ...and a position closed twice (its CLOSED seen after a lost reopen) is an orphan again.
    s.observe(_position(10, 2))
    assert s.orphan_position_updates == 3
    assert s.suspected_losses == 2 + 3 + 2

    default = SubscriberStats()
    for t in (1, 4, 9):
        default.observe(_trade(t))
    assert default.deal_ticket_gaps == 0, (
        "gaps are opt-in: SPEC tickets may be shared by orders and deals"
    )


def test_loss_indicators_over_a_socket(pub):
    with Subscriber(
        pub.endpoint, topics=[TRADE, POSITION], timeout=0.3, consecutive_deal_tickets=True
    ) as sub:
        pub.wait_for_subscriptions(2)
        for t in (1, 2, 4):
            pub.send(frame(TRADE, t, 0, T0, 10_000, 1_000_000, 0))
        pub.send(frame(POSITION, 9, 0, T0, 2 << 4, 10_000, 1_000_000, 0, 0, 0))
        assert len(list(sub)) == 4
    assert sub.stats.deal_ticket_gaps == 1
    assert sub.stats.orphan_position_updates == 1
    assert "deal_ticket_gaps=1" in repr(sub.stats)


def test_curve_subscriber_needs_the_server_public_key():
    server_public, server_secret = zmq.curve_keypair()
    pub = Publisher(curve_secret_key=server_secret)
    try:
        wrong_public, _ = zmq.curve_keypair()
        client_public, client_secret = zmq.curve_keypair()
        good = Subscriber(pub.endpoint, curve=server_public.decode(), timeout=0.3)
        explicit = Subscriber(
            pub.endpoint,
            curve=CurveKeys(server_public.decode(), client_public.decode(), client_secret.decode()),
            timeout=0.3,
        )
        wrong = Subscriber(pub.endpoint, curve=wrong_public.decode(), timeout=0.3)
        plain = Subscriber(pub.endpoint, timeout=0.3)
        pub.wait_for_subscriptions(2)
        for i in range(5):
            pub.send(frame(TICK, i, T0, 1, 2))
        assert [r.symbol_id for r in good] == list(range(5))
        assert [r.symbol_id for r in explicit] == list(range(5))
        assert list(wrong) == [] and list(plain) == []
        for s in (good, explicit, wrong, plain):
            s.close()
    finally:
        pub.close()


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="40 Z85"):
        Subscriber("tcp://127.0.0.1:1", curve="short")
    with pytest.raises(ValueError, match="both"):
        Subscriber("tcp://127.0.0.1:1", curve=CurveKeys("x" * 40, "y" * 40, None))
    with pytest.raises(ValueError, match="unknown topic 'ticks'"):
        Subscriber("tcp://127.0.0.1:1", topics=["ticks"])
    with pytest.raises(ValueError, match="unknown topic 9"):
        Subscriber("tcp://127.0.0.1:1", topics=[9])
    with pytest.raises(zmq.ZMQError):
        Subscriber("nonsense://x")
