"""hqt.WriteAheadLog and hqt.Broadcaster: the log and the publisher without an engine.

The log is cross-checked with the independent pure-Python reader hqt.wal;
the publisher's frames with struct formats copied from the SPEC table
(broadcast_helpers.SPEC_FORMATS) and with hqt.subscriber.decode.
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import zmq

import hqt
from broadcast_helpers import SPEC_FORMATS, SPEC_SIZES
from hqt import subscriber as S
from hqt import wal as pywal

T = 1_700_000_000_123_456_789


# ======================================================================================
# WriteAheadLog
# ======================================================================================


def test_append_read_and_cross_check_with_the_python_reader(tmp_path):
    p = tmp_path / "a.wal"
    payloads = [b"", b"x", bytes(range(256)) * 40, b"\x00" * 7]
    with hqt.WriteAheadLog(p) as log:  # entering opens it
        assert log.is_open and log.path == str(p) and log.sync_policy == hqt.WALSync.ALWAYS
        seqs = [log.append(hqt.WALRecordType.POSITION_OPEN + i, d) for i, d in enumerate(payloads)]
        assert seqs == [1, 2, 3, 4]
        records = log.read_all()
        assert all(isinstance(r, hqt.WALRecord) for r in records)
        assert [(r.type, r.sequence, r.data) for r in records] == [
            (1 + i, i + 1, d) for i, d in enumerate(payloads)
        ]
        assert records[0].type_name == "POSITION_OPEN" and records[3].type_name == "ORDER_PLACE"
        assert log.read_uncommitted() == records  # no checkpoint yet: everything
        assert log.last_checkpoint() is None
    assert not log.is_open
    log.close()  # idempotent
    ref = pywal.read_records(str(p))
    assert [(r.type, r.sequence, r.data, r.offset) for r in ref] == [
        (r.type, r.sequence, r.data, r.offset) for r in records
    ]
    # frames as SPEC section 3 says: magic, type, length, crc over type+length+data
    raw = p.read_bytes()
    r = records[1]
    magic, typ, length, crc = struct.unpack_from("<IBII", raw, r.offset)
    assert (magic, typ, length) == (0x48515457, r.type, 8 + len(r.data))
    body = raw[r.offset + 13 : r.offset + 13 + length]
    assert crc == zlib.crc32(body, zlib.crc32(raw[r.offset + 4 : r.offset + 9]))
    assert struct.unpack_from("<Q", body)[0] == r.sequence and body[8:] == r.data


def test_reopen_checkpoint_compaction_and_clear(tmp_path):
    p = tmp_path / "b.wal"
    log = hqt.WriteAheadLog(str(p), sync="batch", batch_records=4, batch_delay=0.001)
    report = log.open()
    assert isinstance(report, hqt.WALOpenReport)
    assert (report.records, report.last_sequence, report.last_checkpoint_offset) == (0, 0, None)
    assert report.format_version == 1 and report.fingerprint is None and not report.torn
    for i in range(5):
        log.append(6, b"before %d" % i)
    log.mark_checkpoint(b"SNAPSHOT")
    log.append(2, bytearray(b"after 1"))
    log.append(3, memoryview(b"after 2"))
    log.append(4, np.arange(3, dtype=np.int64))  # any C-contiguous buffer
    log.sync()
    cp = log.last_checkpoint()
    assert cp is not None and (cp.type, cp.sequence, cp.data) == (7, 6, b"SNAPSHOT")
    assert [r.sequence for r in log.read_uncommitted()] == [7, 8, 9]
    assert log.read_uncommitted()[2].data == np.arange(3, dtype=np.int64).tobytes()
    log.close()

    log = hqt.WriteAheadLog(p)
    report = log.open()
    assert report.records == 9 and report.last_sequence == 9
    assert report.last_checkpoint_offset == cp.offset
    log.truncate_to_checkpoint()  # crash-safe compaction: sequence numbers stay
    kept = log.read_all()
    assert [(r.type, r.sequence) for r in kept] == [(7, 6), (2, 7), (3, 8), (4, 9)]
    assert kept[0].offset < cp.offset
    assert log.append(5, b"next") == 10
    log.clear()  # empty, and the numbers carry on
    assert log.read_all() == [] and log.last_checkpoint() is None
    assert log.append(1, b"again") == 11
    log.close()
    assert [r.sequence for r in pywal.read_records(str(p))] == [11]
    with hqt.WriteAheadLog(p) as log:
        assert [r.sequence for r in log.read_all()] == [11]
    log = hqt.WriteAheadLog(p)
    assert log.open(truncate=True).records == 0
    assert log.read_all() == [] and log.append(1) == 1
    log.close()


@pytest.mark.parametrize("sync", ["always", "batch", "none", hqt.WALSync.BATCH, 2])
def test_every_sync_policy_writes_before_append_returns(tmp_path, sync):
    p = tmp_path / "c.wal"
    log = hqt.WriteAheadLog(p, sync)
    log.open()
    for i in range(50):
        log.append(1, b"%d" % i)
    # what another process (or a kill -9) would see: the file, now
    assert len(pywal.read_records(str(p))) == 50
    log.close()


def test_one_writer_at_a_time(tmp_path):
    p = tmp_path / "d.wal"
    first = hqt.WriteAheadLog(p)
    first.open()
    second = hqt.WriteAheadLog(p)
    with pytest.raises(hqt.WALError, match="locked"):
        second.open()
    assert not second.is_open
    first.close()
    second.open()
    with pytest.raises(hqt.StateError, match="already open"):
        second.open()
    second.close()


def test_fingerprint(tmp_path):
    p = tmp_path / "e.wal"
    with hqt.WriteAheadLog(p, fingerprint=0xDEADBEEF) as log:
        log.append(1, b"a")
    assert hqt.WriteAheadLog.verify(p).fingerprint == 0xDEADBEEF
    with pytest.raises(hqt.WALError):
        hqt.WriteAheadLog(p, fingerprint=42).open()
    with hqt.WriteAheadLog(p) as log:  # no fingerprint: any log
        assert len(log.read_all()) == 1


def test_bad_arguments_raise_clear_errors(tmp_path):
    p = tmp_path / "f.wal"
    for kwargs, exc in [
        ({"sync": "sometimes"}, hqt.InvalidArgumentError),
        ({"sync": 3}, hqt.InvalidArgumentError),
        ({"sync": 1.0}, TypeError),
        ({"sync": True}, TypeError),
        ({"batch_records": 0}, hqt.InvalidArgumentError),
        ({"batch_records": "8"}, TypeError),
        ({"batch_delay": -1.0}, hqt.InvalidArgumentError),
        ({"batch_delay": float("inf")}, hqt.InvalidArgumentError),
        ({"fingerprint": "abc"}, TypeError),
        ({"fingerprint": -1}, hqt.InvalidArgumentError),
    ]:
        with pytest.raises(exc):
            hqt.WriteAheadLog(p, **kwargs)
    with pytest.raises(TypeError):
        hqt.WriteAheadLog(12)  # type: ignore[arg-type]
    with pytest.raises(hqt.InvalidArgumentError):
        hqt.WriteAheadLog("")
    assert not p.exists()

    log = hqt.WriteAheadLog(p)
    with pytest.raises(hqt.StateError, match="not open"):
        log.append(1, b"x")
    for call in (
        log.read_all,
        log.read_uncommitted,
        log.sync,
        log.clear,
        log.truncate_to_checkpoint,
        log.mark_checkpoint,
    ):
        with pytest.raises(hqt.StateError):
            call()
    log.open()
    for args, exc in [
        ((1, "text"), TypeError),
        ((1, 42), TypeError),
        ((1, [1, 2]), TypeError),
        (("1", b""), TypeError),
        ((1.0, b""), TypeError),
        ((0, b""), hqt.InvalidArgumentError),
        ((7, b""), hqt.InvalidArgumentError),  # CHECKPOINT: mark_checkpoint() only
        ((8, b""), hqt.InvalidArgumentError),  # HEADER: the log's own
        ((256, b""), hqt.InvalidArgumentError),
        ((-1, b""), hqt.InvalidArgumentError),
        ((2**70, b""), hqt.InvalidArgumentError),
    ]:
        with pytest.raises(exc):
            log.append(*args)
    with pytest.raises(TypeError):
        log.mark_checkpoint("snapshot")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        log.append()  # type: ignore[call-arg]
    assert log.read_all() == []  # nothing was written by the refused calls
    log.close()
    missing = tmp_path / "no-such-dir" / "x.wal"
    with pytest.raises((hqt.HQTIOError, hqt.WALError)):
        hqt.WriteAheadLog(missing).open()


def test_verify_torn_tail_corruption_salvage(tmp_path):
    p = tmp_path / "g.wal"
    with hqt.WriteAheadLog(p) as log:
        for i in range(10):
            log.append(1, b"record %d" % i)
    clean = hqt.WriteAheadLog.verify(p)
    assert (clean.records, clean.last_sequence, clean.torn_bytes_dropped) == (10, 10, 0)
    assert clean.valid_bytes == p.stat().st_size
    good = p.read_bytes()

    # torn tail: what a crash in the middle of an append leaves
    p.write_bytes(good + good[37 : 37 + 15])
    v = hqt.WriteAheadLog.verify(p)
    assert v.torn and v.torn_bytes_dropped == 15 and v.records == 10
    assert p.stat().st_size == len(good) + 15  # verify is read-only
    log = hqt.WriteAheadLog(p)
    opened = log.open()
    assert opened.torn_bytes_dropped == 15 and opened.torn_records_dropped == 1
    assert p.read_bytes() == good and len(log.read_all()) == 10
    log.close()

    # corruption: damage before the last valid record is refused, never cut
    bad = bytearray(good)
    bad[60] ^= 0x01
    p.write_bytes(bytes(bad))
    with pytest.raises(hqt.WALCorruptionError, match="corrupt"):
        hqt.WriteAheadLog.verify(p)
    with pytest.raises(hqt.WALCorruptionError):
        hqt.WriteAheadLog(p).open()
    with pytest.raises(pywal.WALCorruptError):
        pywal.verify(str(p))
    assert p.read_bytes() == bytes(bad)
    s = hqt.WriteAheadLog.salvage(p)
    assert s.records == 0 and s.torn_bytes_dropped == len(good) - 37
    with hqt.WriteAheadLog(p) as log:
        assert log.read_all() == []

    # not a log at all
    q = tmp_path / "not-a-log.txt"
    q.write_bytes(b"hello, this is not a write-ahead log\n" * 3)
    with pytest.raises(hqt.WALError, match="not an HQT"):
        hqt.WriteAheadLog.verify(q)
    with pytest.raises(hqt.WALError):
        hqt.WriteAheadLog(q).open()
    with pytest.raises(hqt.WALError):
        hqt.WriteAheadLog.salvage(q)
    assert q.read_bytes().startswith(b"hello")
    with pytest.raises((hqt.HQTIOError, hqt.WALError)):
        hqt.WriteAheadLog.verify(tmp_path / "missing.wal")


def test_large_payload(tmp_path):
    p = tmp_path / "h.wal"
    big = np.random.default_rng(3).integers(0, 256, 3 << 20, dtype=np.uint8).tobytes()
    with hqt.WriteAheadLog(p) as log:
        for _ in range(5):
            log.append(9, big)
        assert [len(r.data) for r in log.read_all()] == [len(big)] * 5
    assert pywal.read_records(str(p))[4].data == big


def test_concurrent_use_is_refused_not_interleaved(tmp_path):
    """append releases the GIL; a second thread meanwhile gets BusyError, never a torn log."""
    p = tmp_path / "i.wal"
    log = hqt.WriteAheadLog(p, "always")
    log.open()
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            while not done.is_set():
                log.append(1, b"x" * 100)
        except hqt.HQTError as e:  # pragma: no cover - would be a bug
            errors.append(e)

    th = threading.Thread(target=writer)
    th.start()
    try:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            try:
                log.append(2, b"y")
            except hqt.BusyError:
                pass
    finally:
        done.set()
        th.join()
    log.close()
    assert not errors
    seqs = [r.sequence for r in pywal.read_records(str(p))]
    assert seqs == list(range(1, len(seqs) + 1))  # never interleaved inside a record


# ======================================================================================
# Broadcaster
# ======================================================================================


def connect(
    ctx: zmq.Context,
    endpoint: str,
    rcvhwm: int = 0,
    curve: tuple[bytes, bytes, bytes] | None = None,
) -> zmq.Socket:
    s = ctx.socket(zmq.SUB)
    s.linger = 0
    s.rcvhwm = rcvhwm
    if curve:
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = curve
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(endpoint)
    return s


def recv_all(sock: zmq.Socket, idle: float = 0.3) -> list[bytes]:
    out = []
    while sock.poll(int(idle * 1000)):
        out.append(sock.recv())
    return out


def test_publish_every_topic_exactly(ctx):
    with hqt.Broadcaster("tcp://127.0.0.1:*", sndhwm=1000) as b:
        assert b.endpoint.startswith("tcp://127.0.0.1:") and b.is_open
        sub = connect(ctx, b.endpoint)
        assert b.wait_for_subscribers(1, timeout=5.0) is True
        sent = [
            b.publish_tick(7, T, 1.08455, 1.08457),
            b.publish_bar(3, hqt.H1, T, 1.1, 1.15, 1.05, 1.12, volume=250.0),
            b.publish_trade(42, 3, T + 1, 0.01, 1.234567, -15.5),
            b.publish_order(
                43,
                4,
                T + 2,
                hqt.broadcast.order_kind(hqt.OrderType.BUY_LIMIT, hqt.OrderState.CANCELED),
                0.02,
                1.1,
            ),
            b.publish_equity(T + 3, 10_000.0, 9_990.0, 50.0, 9_940.0),
            b.publish_margin(T + 4, 50.0, 9_940.0, 19_980.0, event=2),
            b.publish_position(
                44, 5, T + 5, hqt.broadcast.position_kind(hqt.SELL, 3), 0.03, 1.5, None, 1.4, -123.0
            ),
            b.publish_account(T + 6, 10_000.0, 9_990.0, -10.0, 19_980.0),
        ]
        assert sent == [True] * 8
        frames = recv_all(sub)
        stats = b.stats()
    expected = [
        (0, 7, T, 1_084_550, 1_084_570),
        (1, 3, 60, T, 1_100_000, 1_150_000, 1_050_000, 1_120_000, 250_000_000),
        (2, 42, 3, T + 1, 10_000, 1_234_567, -15_500_000),
        (3, 43, 4, T + 2, (3 << 4) | 2, 20_000, 1_100_000),
        (4, T + 3, 10_000_000_000, 9_990_000_000, 50_000_000, 9_940_000_000),
        (5, T + 4, 50_000_000, 9_940_000_000, 19_980_000_000, 2),
        (6, 44, 5, T + 5, (3 << 4) | 1, 30_000, 1_500_000, 0, 1_400_000, -123_000_000),
        (7, T + 6, 10_000_000_000, 9_990_000_000, -10_000_000, 19_980_000_000),
    ]
    assert [struct.unpack(SPEC_FORMATS[f[0]], f) for f in frames] == expected
    assert [len(f) for f in frames] == [SPEC_SIZES[t] for t in range(8)]
    assert [tuple(S.decode(f)) for f in frames] == [e[1:] for e in expected]
    for topic in range(8):
        assert stats[topic] == hqt.TopicCounters(1, SPEC_SIZES[topic], 0)
    assert (stats.total_sent, stats.total_bytes, stats.total_dropped) == (
        8,
        sum(SPEC_SIZES.values()),
        0,
    )
    assert stats.subscribers == 1
    # closed: counters and endpoint stay, publishing is refused
    assert not b.is_open and b.stats() == stats and b.endpoint is not None
    with pytest.raises(hqt.StateError, match="closed"):
        b.publish_tick(0, T, 1.0, 1.0)
    with pytest.raises(hqt.StateError):
        b.wait_for_subscribers(0, 0)
    b.close()  # idempotent


def test_wait_for_subscribers_times_out_and_stats_threadsafe(ctx):
    b = hqt.Broadcaster("tcp://127.0.0.1:*")
    t0 = time.monotonic()
    assert b.wait_for_subscribers(1, timeout=0.2) is False
    assert 0.15 < time.monotonic() - t0 < 3.0
    assert b.wait_for_subscribers(0, 0) is True
    for _ in range(100):
        assert b.publish_tick(0, T, 1.1, 1.1002)  # nobody subscribed: counted as sent
    seen: list[int] = []
    th = threading.Thread(target=lambda: seen.append(b.stats().total_sent))
    th.start()
    th.join()
    assert seen == [100]
    b.close()


def test_a_full_subscriber_queue_costs_only_that_subscriber(ctx, tmp_path):
    # Issue 11: libzmq drops per pipe; the publisher cannot see it, so every
    # publish succeeds and counts as sent, and the stalled subscriber alone loses.
    path = Path(tmp_path) / "bp.ipc"
    endpoint = f"ipc://{path}" if len(str(path)) < 100 else "tcp://127.0.0.1:*"
    b = hqt.Broadcaster(endpoint, sndhwm=5, wait_subscribers=1, wait_timeout=5.0)
    sub = connect(ctx, b.endpoint, rcvhwm=5)  # never reads while we publish
    results = [b.publish_tick(0, T + i, 1.1, 1.1001) for i in range(100_000)]
    stats = b.stats()
    assert results.count(True) == 100_000
    assert (stats["TICK"].sent, stats.total_dropped) == (100_000, 0)
    assert 0 < len(recv_all(sub, idle=0.5)) < 100_000
    b.close()


def test_bind_failures_and_bad_arguments(ctx):
    holder = ctx.socket(zmq.PUB)
    holder.linger = 0
    port = holder.bind_to_random_port("tcp://127.0.0.1")
    with pytest.raises(hqt.BroadcastError, match="in use"):
        hqt.Broadcaster(f"tcp://127.0.0.1:{port}")
    with pytest.raises(hqt.BroadcastError):
        hqt.Broadcaster("tcp://nonsense")
    for kwargs, exc in [
        ({"endpoint": ""}, hqt.InvalidArgumentError),
        ({"endpoint": None}, TypeError),
        ({"sndhwm": -1}, hqt.InvalidArgumentError),
        ({"linger": "0"}, TypeError),
        ({"curve_secret_key": "x" * 39}, hqt.InvalidArgumentError),
        ({"allowed_client_keys": [hqt.curve_keypair()[0]]}, hqt.InvalidArgumentError),
        ({"wait_timeout": -1}, hqt.InvalidArgumentError),
    ]:
        kwargs.setdefault("endpoint", "tcp://127.0.0.1:*")
        with pytest.raises(exc):
            hqt.Broadcaster(**kwargs)
    holder.close()

    with hqt.Broadcaster("tcp://127.0.0.1:*") as b:
        for call, exc in [
            (lambda: b.publish_tick(0, T, float("nan"), 1.0), hqt.InvalidArgumentError),
            (lambda: b.publish_tick(0, T, "1.1", 1.0), TypeError),
            (lambda: b.publish_tick(-1, T, 1.1, 1.0), hqt.InvalidArgumentError),
            (lambda: b.publish_tick(0, -5, 1.1, 1.0), hqt.InvalidArgumentError),
            (lambda: b.publish_tick(0, T, 1.1), TypeError),
            (lambda: b.publish_bar(0, 70_000, T, 1, 1, 1, 1), hqt.InvalidArgumentError),
            (lambda: b.publish_trade(1, 0, T, -0.1, 1.0, 0.0), hqt.InvalidArgumentError),
            (lambda: b.publish_order(1, 0, T, 256, 0.1, 1.0), hqt.InvalidArgumentError),
            (lambda: b.publish_margin(T, 1.0, 1.0, 1.0, event=-1), hqt.InvalidArgumentError),
            (
                lambda: b.publish_position(1, 0, T, 0, 0.1, 1.0, 0, 0, 1e20),
                hqt.InvalidArgumentError,
            ),
            (lambda: b.wait_for_subscribers(-1, 1.0), hqt.InvalidArgumentError),
            (lambda: b.wait_for_subscribers(1, float("nan")), hqt.InvalidArgumentError),
        ]:
            with pytest.raises(exc):
                call()
        assert b.stats().total_sent + b.stats().total_dropped == 0  # nothing published


def test_curve_standalone(ctx):
    public, secret = hqt.curve_keypair()
    client_public, client_secret = zmq.curve_keypair()
    with hqt.Broadcaster(
        "tcp://127.0.0.1:*", curve_secret_key=secret, allowed_client_keys=[client_public]
    ) as b:
        good = connect(ctx, b.endpoint, curve=(public.encode(), client_public, client_secret))
        other = connect(ctx, b.endpoint, curve=(public.encode(), *zmq.curve_keypair()))
        assert b.wait_for_subscribers(1, 5.0)
        assert b.publish_trade(9, 0, T, 1.0, 1.2345, 10.0)
        frames = recv_all(good)
        assert [tuple(S.decode(f)) for f in frames] == [(9, 0, T, 1_000_000, 1_234_500, 10_000_000)]
        assert recv_all(other, idle=0.2) == []
        assert b.stats().subscribers == 1
