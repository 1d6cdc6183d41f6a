"""Issue 11, replay beyond the window: with a WAL attached, TRADE / ORDER /
POSITION / ACCOUNT ranges older than the replay window come from the spill
beside the WAL (docs/zmq.md section 13), so a Mirror that fell far behind
still ends with the engine's exact deals, orders and positions. Without a
WAL they answer GONE; a damaged spill answers GONE and nothing crashes.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import zmq

import hqt
from broadcast_helpers import assert_mirror_equals_engine
from conftest import SEC, T0
from hqt import subscriber as S
from hqt.mirror import Mirror

LOOPBACK = "tcp://127.0.0.1:*"
WINDOW = 16
HEAD = struct.Struct("<cBBQQQQ")
TRADE_RECORD = 8 + 45 + 4  # seq, SPEC TRADE frame, CRC-32


def engine(n: int, wal: Path | None) -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    i = np.arange(n)
    bid = (1_100_000 + np.round(3000 * np.sin(i / 60.0))).astype(np.int64)
    e.load_ticks_micro(0, T0 + i.astype(np.int64) * SEC, bid, bid + 100)
    if wal is not None:
        e.enable_wal(wal, truncate=True, sync="none")
    return e


class Busy(hqt.Strategy):
    """A deal every few ticks, pending orders placed and canceled, some
    positions and orders left open at the end; `hook(i)` runs first."""

    def __init__(self, hook=None) -> None:
        self.i = -1
        self.hook = hook
        self.open: list[int] = []

    def on_tick(self, e: hqt.Engine, tick: hqt.Tick) -> None:
        self.i += 1
        i = self.i
        if self.hook is not None:
            self.hook(i)
        if i % 7 == 0:
            self.open.append(e.buy(0, 0.1) if i % 2 else e.sell(0, 0.2))
        elif i % 7 == 3 and len(self.open) > 5:
            e.close(self.open.pop(0))
        elif i % 101 == 50:
            e.buy_limit(0, 0.1, tick.ask - 0.0500)  # far away: stays pending
        elif i % 303 == 80 and e.orders:
            e.cancel(e.orders[0].ticket)


def ask(ctx: zmq.Context, endpoint: str, request: bytes) -> list[bytes]:
    d = ctx.socket(zmq.DEALER)
    d.linger = 0
    d.connect(endpoint)
    try:
        d.send(request)
        assert d.poll(5000), "the replay endpoint did not answer"
        return d.recv_multipart()
    finally:
        d.close()


def replay(ctx: zmq.Context, endpoint: str, topic: int, first: int, end: int):
    parts = ask(ctx, endpoint, struct.pack("<cBQQ", b"R", topic, first, end))
    return HEAD.unpack_from(parts[0]), parts[1:]


def test_a_mirror_far_behind_a_tiny_window_ends_exact(ctx, tmp_path):
    n = 12_000
    e = engine(n, tmp_path / "run.wal")
    endpoint = e.enable_broadcasting(
        LOOPBACK, sndhwm=64, wait_subscribers=9, replay_endpoint=LOOPBACK, replay_window=WINDOW
    )
    replay_ep = e.replay_endpoint
    # A small receive queue, not read for most of the run: it loses thousands
    # of frames (per-pipe drops), far more than the 16-event window holds.
    state: dict[str, Mirror] = {
        "early": Mirror(endpoint, replay_ep, context=ctx, timeout=0, rcvhwm=64)
    }

    def hook(i: int) -> None:
        if i in (0, 500):
            state["early"].poll(0)
        if i == 6000:  # a late joiner, mid-run: snapshot + history from 0
            state["late"] = Mirror(endpoint, replay_ep, context=ctx, timeout=0)
            state["late"].poll(0)

    e.run(Busy(hook))
    n_deals = len(e.deals)
    assert n_deals > 50 * WINDOW
    for name, m in state.items():
        m.run(timeout=1.0)  # without RUN_END (dropped too, maybe) it syncs once more
        assert_mirror_equals_engine(m, e)
        for t in (S.TRADE, S.ORDER, S.POSITION, S.ACCOUNT):
            assert m.gone[t] == [] and m.lost[t] == [], (name, t)
        # Far more than the window came back through the replay endpoint.
        assert m.repaired[S.TRADE] > 10 * WINDOW, name
        m.close()
    assert state["early"].repaired[S.ORDER] > WINDOW
    assert state["early"].repaired[S.POSITION] > WINDOW


def test_a_range_beyond_the_window_is_served_from_disk(ctx, tmp_path):
    wal = tmp_path / "run.wal"
    e = engine(3000, wal)
    e.enable_broadcasting(LOOPBACK, replay_endpoint=LOOPBACK, replay_window=WINDOW)
    e.run(Busy())
    n_deals = len(e.deals)
    spill = Path(str(wal) + ".stream.trade")
    (kind, status, topic, run_id, first, end, window_first), frames = replay(
        ctx, e.replay_endpoint, S.TRADE, 0, n_deals
    )
    assert (kind, status, topic, first, end, window_first) == (b"R", 0, S.TRADE, 0, n_deals, 0)
    assert run_id == e.broadcast_run_id
    # Byte-identical sequenced frames: seq i is deal i.
    decoded = [S.decode_sequenced(f) for f in frames]
    assert [(t, r, s) for t, r, s, _ in decoded] == [(S.TRADE, run_id, i) for i in range(n_deals)]
    assert [fields[0] for *_, fields in decoded] == [d.ticket for d in e.deals]
    # Every deal is on disk, one fixed-size record each, after a 40-byte header.
    data = spill.read_bytes()
    assert data[:8] == b"HQTSPILL" and len(data) == 40 + n_deals * TRADE_RECORD
    assert struct.unpack_from("<QQ", data, 16) == (run_id, 0)
    seq5 = 40 + 5 * TRADE_RECORD
    assert struct.unpack_from("<Q", data, seq5)[0] == 5
    assert (
        data[seq5 + 8 : seq5 + 8 + 45] == frames[5][:1].replace(b"\x82", b"\x02") + frames[5][17:]
    )
    # ORDER and POSITION too, from seq 0, far beyond the window.
    for t in (S.ORDER, S.POSITION, S.ACCOUNT):
        (_, status, _, _, first, end, _), frames = replay(ctx, e.replay_endpoint, t, 0, 10)
        assert (status, first, end, len(frames)) == (0, 0, 10, 10)


def test_without_a_wal_an_old_range_is_gone(ctx):
    e = engine(3000, None)
    e.enable_broadcasting(LOOPBACK, replay_endpoint=LOOPBACK, replay_window=WINDOW)
    e.run(Busy())
    n_deals = len(e.deals)
    (_, status, _, _, _, _, window_first), frames = replay(ctx, e.replay_endpoint, S.TRADE, 0, 5)
    assert (status, window_first, frames) == (1, n_deals - WINDOW, [])
    (_, status, _, _, first, end, _), frames = replay(
        ctx, e.replay_endpoint, S.TRADE, n_deals - WINDOW, n_deals
    )
    assert (status, first, end, len(frames)) == (0, n_deals - WINDOW, n_deals, WINDOW)


def test_a_damaged_spill_answers_gone_and_the_rest_still_works(ctx, tmp_path):
    wal = tmp_path / "run.wal"
    e = engine(3000, wal)
    e.enable_broadcasting(LOOPBACK, replay_endpoint=LOOPBACK, replay_window=WINDOW)
    e.run(Busy())
    n_deals = len(e.deals)
    ep = e.replay_endpoint
    spill = Path(str(wal) + ".stream.trade")
    # The service thread writes the spill before it answers: after any
    # answer, every deal so far is on disk.
    assert replay(ctx, ep, S.TRADE, 0, 1)[0][1] == 0
    assert spill.stat().st_size == 40 + n_deals * TRADE_RECORD
    # One flipped byte in record 10: records 0..9 come back, then record 10
    # alone is GONE (window_first = 11), and the rest is served again.
    with spill.open("r+b") as f:
        f.seek(40 + 10 * TRADE_RECORD + 20)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xFF]))
    (_, status, _, _, first, end, _), frames = replay(ctx, ep, S.TRADE, 0, n_deals)
    assert (status, first, end, len(frames)) == (0, 0, 10, 10)
    (_, status, _, _, _, _, window_first), frames = replay(ctx, ep, S.TRADE, 10, n_deals)
    assert (status, frames, window_first) == (1, [], 11)
    # A Mirror marks the one deal it could not get as gone, and gets the rest.
    m = Mirror(e.broadcast_endpoint, ep, context=ctx, timeout=0.2).run()
    assert m.gone[S.TRADE] == [(10, 11)]
    assert [d.ticket for d in m.deals] == [d.ticket for i, d in enumerate(e.deals) if i != 10]
    assert sorted(m.positions) == sorted(p.ticket for p in e.positions)
    m.close()
    # A damaged header (the file cut short): the file is useless, the memory
    # window answers as it would without a WAL.
    with spill.open("r+b") as f:
        f.truncate(12)
    (_, status, _, _, _, _, window_first), frames = replay(ctx, ep, S.TRADE, 0, 5)
    assert (status, frames, window_first) == (1, [], n_deals - WINDOW)
    # The window and the snapshot still answer; the process is alive.
    (_, status, _, _, first, end, _), frames = replay(ctx, ep, S.TRADE, n_deals - 3, n_deals)
    assert (status, len(frames)) == (0, 3)
    parts = ask(ctx, ep, b"S")
    assert parts[0][:2] == b"S\x00"


def test_the_spill_is_behind_the_same_curve_allow_list(ctx, tmp_path):
    server_pub, server_sec = (k.decode() for k in zmq.curve_keypair())
    listed_pub, listed_sec = (k.decode() for k in zmq.curve_keypair())
    e = engine(3000, tmp_path / "run.wal")
    endpoint = e.enable_broadcasting(
        LOOPBACK,
        curve_secret_key=server_sec,
        allowed_client_keys=[listed_pub],
        replay_endpoint=LOOPBACK,
        replay_window=WINDOW,
    )
    e.run(Busy())
    keys = S.CurveKeys(server_pub, listed_pub, listed_sec)
    m = Mirror(endpoint, e.replay_endpoint, context=ctx, curve=keys, timeout=0.2).run()
    assert_mirror_equals_engine(m, e)
    assert m.gone[S.TRADE] == [] and m.repaired[S.TRADE] == len(e.deals) > 10 * WINDOW
    m.close()
    # A client outside the allow-list gets nothing, old range or not.
    d = ctx.socket(zmq.DEALER)
    d.linger = 0
    other_pub, other_sec = zmq.curve_keypair()
    d.curve_serverkey, d.curve_publickey, d.curve_secretkey = (
        server_pub.encode(),
        other_pub,
        other_sec,
    )
    d.connect(e.replay_endpoint)
    d.send(struct.pack("<cBQQ", b"R", S.TRADE, 0, 5))
    assert not d.poll(300)
    d.close()
