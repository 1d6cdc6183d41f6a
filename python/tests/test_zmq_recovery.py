"""Issue 11 against real pyzmq subscribers: a stalled subscriber costs only
itself, sequenced frames show every loss, hqt.mirror.Mirror ends with
the engine's exact deals / orders / positions after being restarted mid-run
or joining late, SESSION frames decode, and the seed's snippet still works.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

import hqt
from broadcast_helpers import assert_mirror_equals_engine
from conftest import SEC, T0
from hqt import subscriber as S
from hqt.mirror import Mirror

LOOPBACK = "tcp://127.0.0.1:*"


def sub(
    ctx: zmq.Context,
    endpoint: str,
    prefixes: tuple[bytes, ...] = (b"",),
    rcvhwm: int = 0,
    rcvbuf: int = -1,
) -> zmq.Socket:
    s = ctx.socket(zmq.SUB)
    s.linger = 0
    s.rcvhwm = rcvhwm
    s.rcvbuf = rcvbuf
    for p in prefixes:
        s.setsockopt(zmq.SUBSCRIBE, p)
    s.connect(endpoint)
    return s


def drain(s: zmq.Socket, idle: float = 0.5) -> list[bytes]:
    out = []
    while s.poll(int(idle * 1000)):
        try:
            while True:
                out.append(s.recv(zmq.NOBLOCK))
        except zmq.Again:
            pass
    return out


def engine(n: int) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    i = np.arange(n)
    bid = (1_100_000 + np.round(3000 * np.sin(i / 60.0))).astype(np.int64)
    e.load_ticks_micro(0, T0 + i.astype(np.int64) * SEC, bid, bid + 100)
    return e


class Trader(hqt.Strategy):
    """Opens, partly closes and closes positions, places and cancels pending
    orders, and leaves some of each open at the end; `hook(i)` runs first."""

    def __init__(self, hook=None) -> None:
        self.i = -1
        self.hook = hook
        self.open: list[int] = []

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.i += 1
        i = self.i
        if self.hook is not None:
            self.hook(i)
        if i % 997 == 10:
            self.open.append(e.buy(0, 0.1) if i % 2 else e.sell(0, 0.2))
        elif i % 997 == 500 and len(self.open) > 3:
            e.close(self.open.pop(0))
        elif i % 1999 == 700:
            e.buy_limit(0, 0.1, tick.ask - 0.0500)  # far away: stays pending
        elif i % 3001 == 900 and e.orders:
            e.cancel(e.orders[0].ticket)
        elif i % 2003 == 1200 and self.open:
            e.close(self.open[0], 0.1) if e.position(self.open[0]).volume > 0.1 else None


def test_a_stalled_subscriber_costs_only_itself(ctx):
    n = 150_000
    e = engine(n)
    # The fast subscribers read as the run goes (every 500 ticks, from the
    # strategy: a subscriber that keeps up); SNDHWM still gives them slack for
    # scheduling hiccups on a busy 2-core machine, and the stalled one, which
    # never reads, overflows it all the same (it gets every frame otherwise).
    endpoint = e.enable_broadcasting(
        LOOPBACK, sndhwm=20_000, wait_subscribers=1 + 1 + 9, replay_endpoint=LOOPBACK
    )
    # Connects, never reads during the run; a small kernel buffer too.
    stalled = sub(ctx, endpoint, rcvhwm=10, rcvbuf=4096)
    plain = sub(ctx, endpoint)  # the seed's subscriber: b"", unlimited queue
    m = Mirror(endpoint, e.replay_endpoint, context=ctx, rcvhwm=0, timeout=2.0)
    received: list[bytes] = []

    def keep_up(i: int) -> None:
        if i % 500 == 0:
            try:
                while True:
                    received.append(plain.recv(zmq.NOBLOCK))
            except zmq.Again:
                pass
            while m.poll(0):
                pass
            # A subscriber keeps up with what it is given CPU for: on 2 shared
            # cores the strategy yields a moment so libzmq's I/O thread runs.
            time.sleep(0.001)

    e.run(Trader(keep_up))
    stats = e.broadcast_stats()
    # Per-pipe drops are invisible to the publisher: nothing is counted as dropped.
    assert stats["TICK"].sent == n and stats.total_dropped == 0

    # The seed's snippet, unchanged, on the fast subscriber: every tick and deal.
    ticks, trades = [], []
    for msg in received + drain(plain):
        topic = msg[0]
        if topic == 0:
            symbol_id, ts, bid, ask = struct.unpack("<IQqq", msg[1:])
            ticks.append(ts)
        elif topic == 2:
            ticket, symbol_id, ts, vol, price, profit = struct.unpack("<QIQQQQ", msg[1:])
            trades.append((ticket, price))
    assert ticks == [T0 + i * SEC for i in range(n)]
    assert trades == [(d.ticket, d.price_micro) for d in e.deals] and len(trades) > 100

    # The sequence-aware fast subscriber lost nothing and repaired nothing.
    m.run(timeout=1.0)
    assert m.end is not None and m.lost_ticks == [] and m.received[S.TICK] == n
    assert sum(m.repaired) == 0
    assert_mirror_equals_engine(m, e)
    m.close()

    # The stalled one really overflowed: it lost frames, and only it did.
    got = [f for f in drain(stalled, idle=0.3) if f[0] == 0]
    assert len(got) < n


def test_a_subscriber_process_killed_with_sigkill_and_restarted_ends_exact():
    """The subscriber as users run it, a process of its own: SIGKILLed mid-run
    (no close, no goodbye), another one started later; the second ends with
    exactly the engine's deals, positions, pending orders and balance."""
    n = 60_000
    e = engine(n)
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=9, replay_endpoint=LOOPBACK)
    env = {**os.environ, "PYTHONPATH": str(Path(hqt.__file__).resolve().parents[1])}
    child = [
        sys.executable,
        str(Path(__file__).with_name("mirror_child.py")),
        endpoint,
        e.replay_endpoint,
    ]

    def start() -> subprocess.Popen[str]:
        p = subprocess.Popen(child, stdout=subprocess.PIPE, text=True, env=env)
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        return p

    procs = {"first": start()}

    def hook(i: int) -> None:
        if i == 20_000:
            procs["first"].send_signal(signal.SIGKILL)
            procs["first"].wait(timeout=10)
        elif i == 35_000:
            procs["restarted"] = start()
            # "ready" means connected, not subscribed: the subscription reaches
            # the publisher a moment later, and the 25,000 ticks left run in a
            # few ms, so without a pause it can miss RUN_END altogether.
            time.sleep(0.5)

    e.run(Trader(hook))
    out, _ = procs["restarted"].communicate(timeout=60)
    got = json.loads(out.strip().splitlines()[-1])
    assert procs["first"].returncode == -signal.SIGKILL
    assert got["ended"]
    assert got["deals"] == [
        [d.ticket, d.price_micro, d.volume_micro, d.profit_micro] for d in e.deals
    ]
    assert got["positions"] == {str(p.ticket): p.volume_micro for p in e.positions}
    assert got["orders"] == sorted(o.ticket for o in e.orders)
    assert got["balance"] == round(e.balance * 1e6)
    assert got["repaired_trades"] > 0  # the deals before it started came from the replay endpoint


def test_a_subscriber_restarted_mid_run_and_a_late_joiner_end_exact(ctx):
    n = 60_000
    e = engine(n)
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=9, replay_endpoint=LOOPBACK)
    replay = e.replay_endpoint
    state: dict[str, Mirror] = {"first": Mirror(endpoint, replay, context=ctx, timeout=0)}

    def hook(i: int) -> None:
        if i % 5000 == 0:
            for m in state.values():
                m.poll(0)
        if i == 20_000:  # killed: everything after this is missed
            state.pop("first").close()
        elif i == 35_000:  # restarted, mid-run: a snapshot, then live frames
            state["restarted"] = Mirror(endpoint, replay, context=ctx, timeout=0)

    e.run(Trader(hook))
    m = state["restarted"]
    m.run(timeout=1.0)
    assert_mirror_equals_engine(m, e)
    assert m.repaired[S.TRADE] > 0  # deals before its start came from the replay endpoint
    # Ticks are not replayed: the ones before it joined are reported lost, exactly.
    lost = m.lost_tick_count
    # It joined at tick 35 000; its subscription takes effect a little later.
    assert m.received[S.TICK] + lost == n and 35_000 <= lost < 50_000
    assert m.lost_ticks[0][0] == 0
    m.close()

    # A late joiner after the run: snapshot + deal history, nothing live.
    late = Mirror(endpoint, replay, context=ctx, timeout=0.2)
    late.run()
    assert_mirror_equals_engine(late, e)
    assert late.lost_tick_count == n
    late.close()


def test_a_gap_beyond_the_replay_window_is_reported_gone(ctx):
    e = engine(20_000)
    endpoint = e.enable_broadcasting(LOOPBACK, replay_endpoint=LOOPBACK, replay_window=4)
    e.run(Trader())
    late = Mirror(endpoint, e.replay_endpoint, context=ctx, timeout=0.2).run()
    n_deals = len(e.deals)
    assert [d.ticket for d in late.deals] == [d.ticket for d in e.deals[-4:]]
    assert late.gone[S.TRADE] == [(0, n_deals - 4)] and late.lost[S.TRADE] == [(0, n_deals - 4)]
    # The snapshot does not depend on the window.
    assert sorted(late.positions) == sorted(p.ticket for p in e.positions)
    late.close()


def test_session_frames_decode(ctx):
    n = 5000
    e = engine(n)
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=1)
    s = sub(ctx, endpoint, prefixes=(bytes([S.SESSION]),))
    e.run(Trader())
    frames = drain(s, idle=0.3)
    records = [S.decode_session(f) for f in frames]
    assert [type(r) for r in records] == [S.RunStart, S.RunEnd]
    start, end = records
    assert start.run_id == end.run_id == e.broadcast_run_id != 0
    assert start.currency == "USD" and not start.resumed and start.next_seq == (0,) * 8
    sym = start.symbols[0]
    assert (sym.symbol_id, sym.name, sym.digits, sym.contract_size) == (
        0,
        "EURUSD",
        5,
        100_000 * 10**6,
    )
    assert end.next_seq[S.TICK] == n and end.next_seq[S.TRADE] == len(e.deals)
    assert (end.deals, end.open_positions, end.pending_orders) == (
        len(e.deals),
        len(e.positions),
        len(e.orders),
    )
    assert end.balance == round(e.balance * 1e6) and not end.failed


def test_a_paused_run_sends_heartbeats_and_resumes(ctx):
    e = engine(4000)
    endpoint = e.enable_broadcasting(LOOPBACK, wait_subscribers=1)
    s = sub(ctx, endpoint, prefixes=(bytes([S.SESSION]),))

    class Pause(hqt.Strategy):
        def on_tick(self, eng: hqt.Engine, tick: hqt.Tick) -> None:
            if tick.time == T0 + 1000 * SEC:
                eng.interrupt()

    strategy = Pause()
    with pytest.raises(hqt.RunInterruptedError):
        e.run(strategy)
    first = S.decode_session(s.recv())  # RUN_START
    beat = S.decode_session(s.recv())  # sent at once on pausing
    again = S.decode_session(s.recv()) if s.poll(2000) else None  # the service thread's
    assert isinstance(first, S.RunStart) and isinstance(beat, S.Heartbeat)
    assert isinstance(again, S.Heartbeat) and again.next_seq == beat.next_seq
    assert 1000 <= beat.next_seq[S.TICK] <= 2100
    e.run(strategy)
    kinds = [type(S.decode_session(f)) for f in drain(s, idle=0.3)]
    assert S.RunStart in kinds and kinds[-1] is S.RunEnd


def test_decode_batch_matches_struct(ctx):
    frames = [struct.pack("<BIQqq", 0, i, T0 + i, 1_000 + i, -i) for i in range(100)]
    frames += [struct.pack("<BQQQIQQqq", 0x82, 7, i, i, 1, 2, 3, 4, -5) for i in range(3)]
    frames.append(b"\x08" + bytes(81))  # SESSION header: left over
    frames.append(b"\x00\x01")  # malformed tick: left over
    out = S.decode_batch(frames)
    ticks = out[0]
    assert ticks["bid"].tolist() == [1_000 + i for i in range(100)]
    assert ticks["ask"].tolist() == [-i for i in range(100)]
    assert ticks["time"].tolist() == [T0 + i for i in range(100)]
    trades = out[0x82]
    assert trades["seq"].tolist() == [0, 1, 2] and trades["profit"].tolist() == [-5] * 3
    assert trades["run_id"].tolist() == [7] * 3
    assert out[-1] == [103, 104]
