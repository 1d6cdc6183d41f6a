"""The engine's own broadcaster through the Python API, against real pyzmq subscribers.

Engine.enable_broadcasting / disable_broadcasting / is_broadcasting /
broadcast_stats / broadcast_endpoint: a backtest that exercises every topic
is received with a pyzmq SUB socket, decoded with hqt.subscriber.decode and
compared with the engine's own results; then topic filtering, backpressure,
bind failures, switching off mid-run and CURVE.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zmq

import hqt
from conftest import SEC, T0
from hqt import subscriber as S

LOOPBACK = "tcp://127.0.0.1:*"
SIZES = {t: S.FRAME_SIZES[t] for t in S.TOPICS}


# ---- helpers -----------------------------------------------------------------------------


def sub_socket(
    ctx: zmq.Context,
    endpoint: str,
    topics: tuple[int, ...] | None = None,
    rcvhwm: int = 0,
    curve: tuple[bytes, bytes, bytes] | None = None,
) -> zmq.Socket:
    """A SUB connected to `endpoint` (curve: server public, client public, client secret)."""
    s = ctx.socket(zmq.SUB)
    s.linger = 0
    s.rcvhwm = rcvhwm
    if curve is not None:
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = curve
    for prefix in [b""] if topics is None else [bytes([t]) for t in topics]:
        s.setsockopt(zmq.SUBSCRIBE, prefix)
    s.connect(endpoint)
    return s


def drain(sock: zmq.Socket, idle: float = 0.3, limit: float = 10.0) -> list[bytes]:
    """Every SPEC frame until none arrives for `idle` seconds (at most `limit`
    seconds). SESSION frames (issue 11, topic 8: run start and end) are left
    out: they are not counted in the SPEC topics' stats."""
    out: list[bytes] = []
    end = time.monotonic() + limit
    while time.monotonic() < end and sock.poll(int(idle * 1000)):
        while True:
            try:
                f = sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            if f[:1] != bytes([S.SESSION]):
                out.append(f)
    return out


def by_topic(frames: list[bytes]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for f in frames:
        r = S.decode(f)
        out[r.topic].append(r)
    return out


def sine_market(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact micro prices: a sine wave (period ~377 ticks), 1 s apart."""
    i = np.arange(n)
    bid = (1_100_000 + np.round(3000 * np.sin(i / 60.0))).astype(np.int64)
    ask = bid + 100 + (i % 3)
    return T0 + i.astype(np.int64) * SEC, bid, ask


def make_engine(n: int = 1200, **kw: Any) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100, **kw)
    e.add_symbol("EURUSD", commission_per_lot=3.0)
    t, b, a = sine_market(n)
    e.load_ticks_micro(0, t, b, a)
    return e


class EveryTopic(hqt.Strategy):
    """Scripted by tick index: market, pending, SL, TP, partial close, modify, cancel, expiry."""

    bars = [(0, hqt.M1)]

    def __init__(self) -> None:
        self.i = -1
        self.bars_seen: list[hqt.Bar] = []
        self.stats_seen: list[int] = []

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.i += 1
        i = self.i
        self.stats_seen.append(e.broadcast_stats()["TICK"].sent)
        if i == 10:
            self.a = e.buy(0, 0.3)
        elif i == 20:
            e.modify(self.a, sl=tick.bid - 0.0100, tp=tick.bid + 0.0100)
        elif i == 30:
            e.close(self.a, 0.1)  # partial close
        elif i == 40:
            e.close(self.a)
        elif i == 50:
            self.lim = e.buy_limit(0, 0.1, tick.ask - 0.0006)  # fills after the top
        elif i == 60:
            e.modify_order(self.lim, price=tick.ask - 0.0005)
        elif i == 70:
            self.stop = e.sell_stop(0, 0.1, tick.bid - 0.0200)
        elif i == 80:
            e.cancel(self.stop)
        elif i == 90:
            e.sell_limit(0, 0.2, tick.bid + 0.0300, expiration=tick.time + 30 * SEC)
        elif i == 380:  # rising: TP is hit
            e.buy(0, 0.2, tp=tick.bid + 0.0004)
        elif i == 420:  # still rising: SL is hit
            e.sell(0, 0.1, sl=tick.ask + 0.0004)
        elif i == 500:
            e.deposit(250.0)
        elif i == 600:
            self.b = e.sell(0, 0.4, sl=tick.ask + 0.0300)
        elif i == 700:
            e.modify(self.b, tp=tick.bid - 0.0300)
            e.close(self.b, 0.2)

    def on_bar(self, e: hqt.Engine, bar: hqt.Bar) -> None:
        self.bars_seen.append(bar)


# ---- the full round trip ------------------------------------------------------------------


def test_every_topic_matches_the_engine(ctx):
    e = make_engine()
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=1, wait_timeout=5.0)
    assert endpoint.startswith("tcp://127.0.0.1:") and not endpoint.endswith("*")
    assert e.broadcast_endpoint == endpoint and e.is_broadcasting()
    sub = sub_socket(ctx, endpoint)
    strategy = EveryTopic()
    e.run(strategy)
    frames = drain(sub)
    got = by_topic(frames)
    stats = e.broadcast_stats()

    # counters agree with what arrived; nothing dropped
    assert isinstance(stats, hqt.BroadcastStats)
    for topic in S.TOPICS:
        c = stats[topic]
        assert c is stats[S.TOPIC_NAMES[topic].lower()]
        assert c.sent == len(got[topic]), S.TOPIC_NAMES[topic]
        assert c.dropped == 0 and c.bytes == c.sent * SIZES[topic]
    assert stats.total_sent == len(frames) and stats.total_dropped == 0
    assert stats.total_bytes == sum(len(f) for f in frames)
    assert stats.subscribers == 1
    # readable from the callbacks during the run: one TICK frame per tick so far
    assert strategy.stats_seen == list(range(1, 1201))

    # TICK: every loaded tick
    t, b, a = sine_market(1200)
    assert [(r.symbol_id, r.time, r.bid, r.ask) for r in got[S.TICK]] == [
        (0, int(x), int(y), int(z)) for x, y, z in zip(t, b, a, strict=False)
    ]

    # BAR: the bars the strategy received
    assert [
        (r.symbol_id, r.timeframe, r.time, r.open, r.high, r.low, r.close, r.volume)
        for r in got[S.BAR]
    ] == [
        (
            x.symbol_id,
            x.timeframe,
            x.time,
            x.open_micro,
            x.high_micro,
            x.low_micro,
            x.close_micro,
            x.volume_micro,
        )
        for x in strategy.bars_seen
    ]
    assert len(got[S.BAR]) == 20

    # TRADE: engine.deals, field by field
    deals = e.deals
    assert {d.reason for d in deals} >= {
        hqt.DealReason.CLIENT,
        hqt.DealReason.SL,
        hqt.DealReason.TP,
        hqt.DealReason.PENDING,
    }
    assert [tuple(r) for r in got[S.TRADE]] == [
        (d.ticket, d.symbol_id, d.time, d.volume_micro, d.price_micro, d.profit_micro)
        for d in deals
    ]

    # ORDER: every order's life ends in its final state
    orders: dict[int, list[Any]] = defaultdict(list)
    for r in got[S.ORDER]:
        orders[r.ticket].append(r)
    history = {o.ticket: o for o in e.order_history}
    assert set(orders) == set(history)
    for ticket, frames_of in orders.items():
        o = history[ticket]
        assert frames_of[0].state == hqt.OrderState.PLACED
        assert frames_of[-1].state == o.state
        assert all(r.type == o.type for r in frames_of)
        assert frames_of[0].volume == round(o.volume * 1e6)
    states = {r.state for r in got[S.ORDER]}
    assert states == {
        hqt.OrderState.PLACED,
        hqt.OrderState.MODIFIED,
        hqt.OrderState.FILLED,
        hqt.OrderState.CANCELED,
        hqt.OrderState.EXPIRED,
    }

    # POSITION: opened -> (modified | partial)* -> closed, as the deals say
    lives: dict[int, list[Any]] = defaultdict(list)
    for r in got[S.POSITION]:
        lives[r.ticket].append(r)
    ins = {d.position: d for d in deals if d.entry == hqt.DealEntry.IN}
    assert set(lives) == set(ins)
    still_open = {p.ticket: p for p in e.positions}
    closed = {tr.position for tr in e.trades}
    for ticket, life in lives.items():
        first = life[0]
        assert first.state == 0 and first.volume == ins[ticket].volume_micro
        assert first.open_price == ins[ticket].price_micro and first.type == ins[ticket].type
        assert all(r.state in (1, 3) for r in life[1:-1])
        outs = [d for d in deals if d.position == ticket and d.entry == hqt.DealEntry.OUT]
        partials = [r for r in life if r.state == 3]
        if ticket in still_open:
            assert life[-1].state in (0, 1, 3)
            assert life[-1].volume == round(still_open[ticket].volume * 1e6)
            assert len(partials) == len(outs)
        else:
            assert ticket in closed
            assert life[-1].state == 2 and life[-1].volume == 0
            assert life[-1].profit == outs[-1].profit_micro
            assert len(partials) == len(outs) - 1
        remaining = ins[ticket].volume_micro
        for r, d in zip(partials, outs, strict=False):
            remaining -= d.volume_micro
            assert r.volume == remaining
    modified = [r for r in got[S.POSITION] if r.state == 1]
    assert (round(modified[0].sl / 1e6, 4), round(modified[0].tp / 1e6, 4)) != (0.0, 0.0)
    assert any(r.state == 3 for r in got[S.POSITION])

    # EQUITY / ACCOUNT / MARGIN: the last ones are the final account
    acc = e._account()  # exact micro units
    time_, balance, equity, profit, margin, free_margin, level = acc[:7]
    last_eq, last_acc, last_mg = got[S.EQUITY][-1], got[S.ACCOUNT][-1], got[S.MARGIN][-1]
    assert (last_eq.balance, last_eq.equity, last_eq.margin, last_eq.free_margin) == (
        balance,
        equity,
        margin,
        free_margin,
    )
    assert (last_acc.balance, last_acc.equity, last_acc.profit, last_acc.margin_level) == (
        balance,
        equity,
        profit,
        level,
    )
    assert (last_mg.margin, last_mg.free_margin, last_mg.margin_level, last_mg.event) == (
        margin,
        free_margin,
        level,
        0,
    )
    assert last_eq.time == last_acc.time == time_ == int(t[-1])
    # account frames after every deal and balance change, and at every bar close
    assert len(got[S.ACCOUNT]) == len(got[S.EQUITY]) == len(got[S.MARGIN])
    assert len(got[S.ACCOUNT]) >= len(deals) + 1 + len(got[S.BAR])

    e.disable_broadcasting()
    assert not e.is_broadcasting() and e.broadcast_endpoint is None
    assert e.broadcast_stats() == stats  # the last counters stay readable


def test_topic_filtering(ctx):
    e = make_engine()
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=2)
    wanted = (S.TRADE, S.POSITION)
    sub = sub_socket(ctx, endpoint, wanted)  # two prefixes: two subscriptions
    e.run(EveryTopic())
    got = by_topic(drain(sub))
    assert set(got) == set(wanted)
    assert len(got[S.TRADE]) == len(e.deals)
    assert [r.ticket for r in got[S.TRADE]] == [d.ticket for d in e.deals]
    stats = e.broadcast_stats()
    assert stats.subscribers == 2
    assert len(got[S.POSITION]) == stats["POSITION"].sent
    assert stats["TICK"].sent == 1200  # published (nobody wanted them) and counted as sent


def test_stop_out_publishes_margin_events(ctx):
    e = hqt.Engine(1_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    n = 400
    t = T0 + np.arange(n, dtype=np.int64) * SEC
    bid = (1_100_000 - 30 * np.arange(n)).astype(np.int64)  # a steady fall: 0.0120 in all
    e.load_ticks_micro(0, t, bid, bid + 50)
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=1)
    sub = sub_socket(ctx, endpoint, (S.MARGIN, S.TRADE))

    class Long(hqt.Strategy):
        def on_start(self, e: hqt.Engine) -> None:
            pass

        def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
            if tick.time == T0:
                e.buy(0, 0.8)

    e.run(Long())
    got = by_topic(drain(sub))
    events = [r.event for r in got[S.MARGIN]]
    assert 1 in events and 2 in events and events.index(1) < events.index(2)
    stop_outs = [d for d in e.deals if d.reason == hqt.DealReason.STOP_OUT]
    assert len(stop_outs) == 1
    assert got[S.TRADE][-1].ticket == stop_outs[0].ticket


# ---- backpressure ------------------------------------------------------------------------


def test_backpressure_never_blocks_and_counts_every_frame(ctx, tmp_path):
    n = 300_000
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    t = T0 + np.arange(n, dtype=np.int64) * (SEC // 10)
    bid = (1_100_000 + (np.arange(n) % 50)).astype(np.int64)
    e.load_ticks_micro(0, t, bid, bid + 20)
    e.build_bars(0, hqt.M1)
    path = Path(tmp_path) / "bp.ipc"
    endpoint = f"ipc://{path}" if len(str(path)) < 100 else LOOPBACK
    endpoint = e.enable_broadcasting(endpoint, sndhwm=10, wait_subscribers=1)
    slow = sub_socket(ctx, endpoint, rcvhwm=10)  # never reads during the run
    started = time.monotonic()
    e.run()  # no strategy: the GIL is released, nothing waits for the subscriber
    assert time.monotonic() - started < 20
    stats = e.broadcast_stats()
    n_bars = len(np.unique((t - T0) // (60 * SEC)))
    produced = {
        S.TICK: n,
        S.BAR: n_bars,
        S.EQUITY: n_bars,
        S.ACCOUNT: n_bars,
        S.MARGIN: n_bars,
        S.TRADE: 0,
        S.ORDER: 0,
        S.POSITION: 0,
    }
    for topic, count in produced.items():
        c = stats[topic]
        # Issue 11: the slow subscriber's drops happen in its own pipe, which
        # the publisher cannot see: every frame is counted as sent.
        assert (c.sent, c.dropped) == (count, 0), S.TOPIC_NAMES[topic]
        assert c.bytes == c.sent * SIZES[topic]
    assert stats.total_sent == sum(produced.values())
    # The subscriber that did not read lost (only) its own frames, in order.
    received = by_topic(drain(slow, idle=0.5, limit=20))
    assert 0 < len(received[S.TICK]) < n
    times = [r.time for r in received[S.TICK]]
    assert times == sorted(times)


# ---- bind failures and bad options ----------------------------------------------------------


def test_bind_to_a_port_in_use_raises_and_the_engine_keeps_working(ctx):
    holder = ctx.socket(zmq.PUB)
    holder.linger = 0
    port = holder.bind_to_random_port("tcp://127.0.0.1")
    e = make_engine()
    with pytest.raises(hqt.BroadcastError, match="in use"):
        e.enable_broadcasting(f"tcp://127.0.0.1:{port}")
    assert not e.is_broadcasting() and e.broadcast_endpoint is None
    e.run(EveryTopic())
    assert len(e.deals) > 5
    assert e.broadcast_stats().total_sent == 0
    holder.close()


@pytest.mark.parametrize(
    "kwargs,exc",
    [
        ({"endpoint": "tcp://nonsense"}, hqt.BroadcastError),
        ({"endpoint": "udp://127.0.0.1:5555"}, hqt.BroadcastError),
        ({"endpoint": ""}, hqt.InvalidArgumentError),
        ({"endpoint": 5555}, TypeError),
        ({"endpoint": LOOPBACK, "sndhwm": -1}, hqt.InvalidArgumentError),
        ({"endpoint": LOOPBACK, "sndhwm": 1.5}, TypeError),
        ({"endpoint": LOOPBACK, "wait_timeout": float("nan")}, hqt.InvalidArgumentError),
        ({"endpoint": LOOPBACK, "wait_subscribers": -1}, hqt.InvalidArgumentError),
        ({"endpoint": LOOPBACK, "every_ticks": -5}, hqt.InvalidArgumentError),
        ({"endpoint": LOOPBACK, "curve_secret_key": "short"}, hqt.InvalidArgumentError),
        ({"endpoint": LOOPBACK, "curve_secret_key": 42}, TypeError),
        ({"endpoint": LOOPBACK, "allowed_client_keys": ["x" * 40]}, hqt.InvalidArgumentError),
        ({"endpoint": LOOPBACK, "curve_secret_key": "~" * 40}, hqt.InvalidArgumentError),
        (
            {
                "endpoint": LOOPBACK,
                "curve_secret_key": hqt.curve_keypair()[1],
                "allowed_client_keys": "x" * 40,
            },
            TypeError,
        ),
    ],
)
def test_bad_endpoint_and_options(kwargs, exc):
    e = make_engine()
    with pytest.raises(exc):
        e.enable_broadcasting(**kwargs)
    assert not e.is_broadcasting()
    e.run()
    assert e.pending_events == 0


def test_enable_twice_and_switching_off_mid_run(ctx):
    e = make_engine()
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=1)
    with pytest.raises(hqt.StateError, match="already broadcasting"):
        e.enable_broadcasting(LOOPBACK)
    sub = sub_socket(ctx, endpoint, (S.TICK,))
    seen: dict[str, Any] = {}

    class Switch(EveryTopic):
        def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
            k = self.i + 2  # 1-based number of this tick
            if k == 100:
                e.disable_broadcasting()  # mid-run
                seen["after_off"] = e.broadcast_stats()
                seen["endpoint_off"] = e.broadcast_endpoint
            if k == 300:
                seen["endpoint_on"] = e.enable_broadcasting(LOOPBACK)  # and on again
            super().on_tick(e, tick)

    e.run(Switch())
    assert seen["endpoint_off"] is None
    assert seen["after_off"]["TICK"].sent == 100
    assert len(drain(sub)) == 100  # nothing after the switch-off
    assert e.is_broadcasting() and e.broadcast_endpoint == seen["endpoint_on"]
    assert e.broadcast_stats()["TICK"].sent == 900  # the new publisher's own counters
    e.disable_broadcasting()
    e.disable_broadcasting()  # idempotent
    # events processed after the switch-off publish nothing, and nothing breaks
    e.process_event(hqt.Tick(0, T0 + 5000 * SEC, 1.2, 1.2002))
    e.buy(0, 0.1)
    assert e.broadcast_stats()["TICK"].sent == 900


def test_every_ticks_cadence_and_no_account_frames_otherwise(ctx):
    e = make_engine(1000)
    endpoint = e.enable_broadcasting(
        LOOPBACK, wait_subscribers=1, on_bar_close=False, on_deal=False, every_ticks=100
    )
    sub = sub_socket(ctx, endpoint, (S.ACCOUNT, S.EQUITY, S.MARGIN, S.TRADE))
    e.run(EveryTopic())
    got = by_topic(drain(sub))
    assert len(got[S.ACCOUNT]) == len(got[S.EQUITY]) == len(got[S.MARGIN]) == 10
    assert len(got[S.TRADE]) == len(e.deals) > 0


def test_dispose_closes_the_socket(ctx):
    e = make_engine(50)
    endpoint = e.enable_broadcasting(LOOPBACK)
    e.dispose()
    again = make_engine(50)
    assert again.enable_broadcasting(endpoint) == endpoint  # the port is free again
    again.dispose()


# ---- CURVE ---------------------------------------------------------------------------------


def test_curve_keys():
    public, secret = hqt.curve_keypair()
    assert len(public) == len(secret) == 40 and public != secret
    assert hqt.curve_public_key(secret) == public
    assert hqt.curve_public_key(secret.encode()) == public
    assert zmq.curve_public(secret.encode()).decode() == public
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.curve_public_key(secret[:39])
    with pytest.raises(TypeError):
        hqt.curve_public_key(None)  # type: ignore[arg-type]


def test_curve_right_key_receives_wrong_key_and_plain_text_do_not(ctx):
    server_public, server_secret = hqt.curve_keypair()
    e = make_engine(300)
    endpoint = e.enable_broadcasting(
        LOOPBACK, curve_secret_key=server_secret, wait_subscribers=1, wait_timeout=5.0
    )
    good = sub_socket(ctx, endpoint, curve=(server_public.encode(), *zmq.curve_keypair()))
    wrong_server = zmq.curve_keypair()[0]
    bad = sub_socket(ctx, endpoint, curve=(wrong_server, *zmq.curve_keypair()))
    plain = sub_socket(ctx, endpoint)
    e.run(EveryTopic())
    frames = drain(good)
    assert len(frames) == e.broadcast_stats().total_sent > 300
    assert by_topic(frames)[S.TRADE][0].ticket == e.deals[0].ticket
    assert drain(bad, idle=0.2) == [] and drain(plain, idle=0.2) == []
    assert e.broadcast_stats().subscribers == 1


def test_curve_allow_list(ctx):
    server_public, server_secret = hqt.curve_keypair()
    listed_public, listed_secret = zmq.curve_keypair()
    e = make_engine(300)
    endpoint = e.enable_broadcasting(
        LOOPBACK,
        curve_secret_key=server_secret.encode(),
        allowed_client_keys=[listed_public],
        wait_subscribers=1,
    )
    listed = sub_socket(ctx, endpoint, curve=(server_public.encode(), listed_public, listed_secret))
    stranger = sub_socket(ctx, endpoint, curve=(server_public.encode(), *zmq.curve_keypair()))
    e.run(EveryTopic())
    assert len(drain(listed)) == e.broadcast_stats().total_sent > 300
    assert drain(stranger, idle=0.2) == []
