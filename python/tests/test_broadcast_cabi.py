"""The "Broadcasting" section of include/hqt.h, called through cffi on
libhqt.so, received with the pure-Python subscriber: header, ABI, Swift
broadcaster and Python decoder checked against each other end to end.

Needs libhqt.so: $HQT_LIB, or .build/release or .build/debug of the
repository (swift build --scratch-path .build).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import threading
from pathlib import Path

import pytest
import zmq

from broadcast_helpers import SAMPLES, SPEC_SIZES, frame
from hqt.subscriber import TOPICS, CurveKeys, Subscriber

cffi = pytest.importorskip("cffi")

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "hqt.h"


def _library() -> Path | None:
    candidates = [os.environ.get("HQT_LIB", "")] + [
        str(ROOT / ".build" / c / "libhqt.so") for c in ("release", "debug")
    ]
    found = [Path(c) for c in candidates if c and Path(c).is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


LIB_PATH = _library()
pytestmark = pytest.mark.skipif(
    LIB_PATH is None, reason="libhqt.so not built (swift build --scratch-path .build)"
)


def _cdef_source() -> str:
    # cffi parses declarations, not system headers: drop the #includes (cffi
    # knows the stdint types) and let the C preprocessor do the rest.
    text = "\n".join(l for l in HEADER.read_text().splitlines() if not l.startswith("#include"))
    return subprocess.run(
        ["gcc", "-E", "-P", "-x", "c", "-"], input=text, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def api():
    ffi = cffi.FFI()
    ffi.cdef(_cdef_source())
    return ffi, ffi.dlopen(str(LIB_PATH))


def _check(api, rc):
    ffi, lib = api
    assert rc == lib.HQT_OK, ffi.string(lib.hqt_last_error()).decode()


def _create(api, **fields):
    ffi, lib = api
    opts = ffi.new("hqt_broadcast_options *")
    lib.hqt_broadcast_options_init(opts)
    keep = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = ffi.new("char[]", value.encode())
            keep.append(value)
        elif isinstance(value, list):
            strings = [ffi.new("char[]", v.encode()) for v in value]
            keep += strings
            value = ffi.new("const char *[]", strings)
            keep.append(value)
        setattr(opts, name, value)
    out = ffi.new("hqt_broadcaster **")
    rc = lib.hqt_broadcaster_create(opts, out)
    return rc, out[0]


def _endpoint(api, b) -> str:
    ffi, lib = api
    buf = ffi.new("char[256]")
    _check(api, lib.hqt_broadcaster_endpoint(b, buf, 256))
    return ffi.string(buf).decode()


def _stats(api, b):
    ffi, lib = api
    s = ffi.new("hqt_broadcast_stats *")
    _check(api, lib.hqt_broadcaster_stats(b, s))
    return s


def _publish_sample(lib, b, topic):
    f = SAMPLES[topic]
    fn = [
        lib.hqt_broadcaster_publish_tick,
        lib.hqt_broadcaster_publish_bar,
        lib.hqt_broadcaster_publish_trade,
        lib.hqt_broadcaster_publish_order,
        lib.hqt_broadcaster_publish_equity,
        lib.hqt_broadcaster_publish_margin,
        lib.hqt_broadcaster_publish_position,
        lib.hqt_broadcaster_publish_account,
    ][topic]
    return fn(b, *f)


def test_defaults_constants_and_status_names(api):
    ffi, lib = api
    opts = ffi.new("hqt_broadcast_options *")
    lib.hqt_broadcast_options_init(opts)
    assert ffi.string(opts.endpoint) == b"tcp://*:5555"
    assert (opts.sndhwm, opts.linger, opts.curve_secret_key, opts.allowed_client_key_count) == (
        10000,
        0,
        ffi.NULL,
        0,
    )
    assert (opts.wait_subscribers, opts.wait_timeout_ms) == (0, 5000)
    sizes = [
        lib.HQT_FRAME_TICK_SIZE,
        lib.HQT_FRAME_BAR_SIZE,
        lib.HQT_FRAME_TRADE_SIZE,
        lib.HQT_FRAME_ORDER_SIZE,
        lib.HQT_FRAME_EQUITY_SIZE,
        lib.HQT_FRAME_MARGIN_SIZE,
        lib.HQT_FRAME_POSITION_SIZE,
        lib.HQT_FRAME_ACCOUNT_SIZE,
    ]
    assert sizes == [SPEC_SIZES[t] for t in TOPICS] and lib.HQT_TOPIC_COUNT == 8
    assert ffi.string(lib.hqt_status_name(lib.HQT_E_BROADCAST)) == b"HQT_E_BROADCAST"
    assert ffi.string(lib.hqt_status_name(12345)) == b"HQT_E_UNKNOWN_STATUS"
    lib.hqt_broadcast_options_init(ffi.NULL)  # no-op, no crash
    lib.hqt_broadcaster_destroy(ffi.NULL)


def test_every_topic_through_the_c_abi_to_the_python_subscriber(api):
    ffi, lib = api
    rc, b = _create(api, endpoint="tcp://127.0.0.1:*")
    _check(api, rc)
    try:
        endpoint = _endpoint(api, b)
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", endpoint)
        with Subscriber(endpoint, timeout=0.5) as sub:
            _check(api, lib.hqt_broadcaster_wait_for_subscribers(b, 1, 3000))
            for t in TOPICS:
                _check(api, _publish_sample(lib, b, t))
            got = list(sub)
        assert [r.topic for r in got] == list(TOPICS)
        assert [tuple(r) for r in got] == [SAMPLES[t] for t in TOPICS]
        s = _stats(api, b)
        assert list(s.sent) == [1] * 8 and list(s.dropped) == [0] * 8
        assert list(s.bytes) == [SPEC_SIZES[t] for t in TOPICS]
        assert (s.total_sent, s.total_bytes, s.total_dropped, s.subscribers) == (8, 345, 0, 1)
    finally:
        lib.hqt_broadcaster_destroy(b)


def test_bytes_on_the_wire_equal_struct_frames(api):
    ffi, lib = api
    rc, b = _create(api, endpoint="tcp://127.0.0.1:*", wait_subscribers=1, wait_timeout_ms=3000)
    _check(api, rc)
    ctx = zmq.Context()
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.SUBSCRIBE, b"")
    sock.RCVTIMEO = 2000
    sock.connect(_endpoint(api, b))
    try:
        # wait_subscribers: the first publish itself waits for the subscription.
        for t in TOPICS:
            _check(api, _publish_sample(lib, b, t))
        assert [sock.recv() for _ in TOPICS] == [frame(t, *SAMPLES[t]) for t in TOPICS]
    finally:
        sock.close(0)
        ctx.term()
        lib.hqt_broadcaster_destroy(b)


def test_errors_are_statuses_with_messages(api):
    ffi, lib = api

    def last_error() -> str:
        return ffi.string(lib.hqt_last_error()).decode()

    assert lib.hqt_broadcaster_create(ffi.NULL, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    assert "out_broadcaster is NULL" in last_error()

    rc, b = _create(api, endpoint="tcp://nonsense")
    assert rc == lib.HQT_E_BROADCAST and b == ffi.NULL
    assert "cannot bind broadcaster to 'tcp://nonsense'" in last_error()

    rc, first = _create(api, endpoint="tcp://127.0.0.1:*")
    _check(api, rc)
    try:
        rc, second = _create(api, endpoint=_endpoint(api, first))
        assert rc == lib.HQT_E_BROADCAST and "Address already in use" in last_error()
        small = ffi.new("char[8]")
        assert lib.hqt_broadcaster_endpoint(first, small, 8) == lib.HQT_E_INVALID_ARGUMENT
        assert "too small" in last_error()
        assert lib.hqt_broadcaster_wait_for_subscribers(first, 1, 50) == lib.HQT_E_BROADCAST
        assert "timed out after 50 ms" in last_error()
        assert lib.hqt_broadcaster_wait_for_subscribers(first, -1, 0) == lib.HQT_E_INVALID_ARGUMENT
        assert lib.hqt_broadcaster_stats(first, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    finally:
        lib.hqt_broadcaster_destroy(first)

    opts = ffi.new("hqt_broadcast_options *")
    lib.hqt_broadcast_options_init(opts)
    out = ffi.new("hqt_broadcaster **")
    opts.endpoint = ffi.NULL
    assert (
        lib.hqt_broadcaster_create(opts, out) == lib.HQT_E_INVALID_ARGUMENT
        and "endpoint is NULL" in last_error()
    )
    bad_utf8 = ffi.new("char[]", b"tcp://\xff:1")
    opts.endpoint = bad_utf8
    assert (
        lib.hqt_broadcaster_create(opts, out) == lib.HQT_E_INVALID_ARGUMENT
        and "UTF-8" in last_error()
    )
    lib.hqt_broadcast_options_init(opts)
    opts.allowed_client_key_count = 2
    assert lib.hqt_broadcaster_create(opts, out) == lib.HQT_E_INVALID_ARGUMENT
    assert "allowed_client_keys is NULL" in last_error()
    opts.sndhwm = -5
    opts.allowed_client_key_count = 0
    assert (
        lib.hqt_broadcaster_create(opts, out) == lib.HQT_E_INVALID_ARGUMENT
        and "sendHighWaterMark" in last_error()
    )
    assert out[0] == ffi.NULL

    assert lib.hqt_broadcaster_publish_tick(ffi.NULL, 0, 0, 0, 0) == lib.HQT_E_INVALID_ARGUMENT
    assert lib.hqt_curve_keypair(ffi.NULL, ffi.NULL) == lib.HQT_E_INVALID_ARGUMENT
    key = ffi.new("char[41]")
    assert lib.hqt_curve_public_key(b"not a key", key) == lib.HQT_E_INVALID_ARGUMENT
    assert "40 Z85" in last_error()

    # The message is per thread: another thread that has not failed sees "".
    seen = []
    t = threading.Thread(target=lambda: seen.append(last_error()))
    t.start()
    t.join()
    assert seen == [""]


def test_a_full_subscriber_queue_never_fails_a_publish_through_the_c_abi(api):
    # Issue 11: the drop happens in the full subscriber's own pipe (libzmq,
    # per pipe), invisible to the publisher: every publish returns HQT_OK.
    ffi, lib = api
    rc, b = _create(api, endpoint="tcp://127.0.0.1:*", sndhwm=50)
    _check(api, rc)
    try:
        sub = Subscriber(_endpoint(api, b), rcvhwm=50, timeout=0.5)
        _check(api, lib.hqt_broadcaster_wait_for_subscribers(b, 1, 3000))
        codes = {}
        n = 100_000
        for i in range(n):
            rc = lib.hqt_broadcaster_publish_tick(b, 1, i, i, i + 1)
            codes[rc] = codes.get(rc, 0) + 1
        assert codes == {lib.HQT_OK: n}
        s = _stats(api, b)
        assert (s.sent[0], s.dropped[0]) == (n, 0)
        received = [r.time for r in sub]
        assert 0 < len(received) < n, "the subscriber that did not read lost its own frames"
        assert received == sorted(received)
        sub.close()
    finally:
        lib.hqt_broadcaster_destroy(b)


def test_curve_with_allow_list_through_the_c_abi(api):
    ffi, lib = api
    server_pub, server_sec = ffi.new("char[41]"), ffi.new("char[41]")
    _check(api, lib.hqt_curve_keypair(server_pub, server_sec))
    derived = ffi.new("char[41]")
    _check(api, lib.hqt_curve_public_key(server_sec, derived))
    assert ffi.string(derived) == ffi.string(server_pub) and len(ffi.string(server_pub)) == 40
    server_public = ffi.string(server_pub).decode()
    listed_pub, listed_sec = (k.decode() for k in zmq.curve_keypair())
    rc, b = _create(
        api,
        endpoint="tcp://127.0.0.1:*",
        curve_secret_key=ffi.string(server_sec).decode(),
        allowed_client_keys=[listed_pub],
        allowed_client_key_count=1,
    )
    _check(api, rc)
    try:
        endpoint = _endpoint(api, b)
        listed = Subscriber(
            endpoint, curve=CurveKeys(server_public, listed_pub, listed_sec), timeout=0.3
        )
        unlisted = Subscriber(endpoint, curve=server_public, timeout=0.3)
        plain = Subscriber(endpoint, timeout=0.3)
        _check(api, lib.hqt_broadcaster_wait_for_subscribers(b, 1, 3000))
        for i in range(20):
            _check(api, lib.hqt_broadcaster_publish_account(b, i, 1, 2, 3, 4))
        assert [r.time for r in listed] == list(range(20))
        assert list(unlisted) == [] and list(plain) == []
        assert _stats(api, b).subscribers == 1
        for s in (listed, unlisted, plain):
            s.close()
    finally:
        lib.hqt_broadcaster_destroy(b)


def test_the_replay_endpoint_through_the_c_abi(api):
    # Issue 11: hqt_broadcast_options_v2.replay_endpoint / replay_window,
    # hqt_broadcaster_replay_endpoint and hqt_broadcaster_run_id.
    ffi, lib = api
    opts = ffi.new("hqt_broadcast_options_v2 *")
    _check(api, lib.hqt_broadcast_options_v2_init(opts, ffi.sizeof("hqt_broadcast_options_v2")))
    assert opts.replay_endpoint == ffi.NULL and opts.replay_window == 65536
    ep = ffi.new("char[]", b"tcp://127.0.0.1:*")
    opts.endpoint = ep
    out = ffi.new("hqt_broadcaster **")
    _check(api, lib.hqt_broadcaster_create_v2(opts, out))
    buf = ffi.new("char[256]")
    assert lib.hqt_broadcaster_replay_endpoint(out[0], buf, 256) == lib.HQT_E_STATE
    assert "no replay endpoint" in ffi.string(lib.hqt_last_error()).decode()
    lib.hqt_broadcaster_destroy(out[0])

    opts.replay_endpoint = ep
    opts.replay_window = 0
    assert lib.hqt_broadcaster_create_v2(opts, out) == lib.HQT_E_INVALID_ARGUMENT
    assert "replay_window" in ffi.string(lib.hqt_last_error()).decode()
    opts.replay_window = 16
    _check(api, lib.hqt_broadcaster_create_v2(opts, out))
    b = out[0]
    try:
        _check(api, lib.hqt_broadcaster_replay_endpoint(b, buf, 256))
        replay = ffi.string(buf).decode()
        assert replay.startswith("tcp://127.0.0.1:") and replay != _endpoint(api, b)
        assert lib.hqt_broadcaster_replay_endpoint(b, buf, 5) == lib.HQT_E_INVALID_ARGUMENT
        run_id = ffi.new("uint64_t *")
        _check(api, lib.hqt_broadcaster_run_id(b, run_id))
        assert run_id[0] != 0
        _check(api, lib.hqt_broadcaster_publish_trade(b, 9, 0, 1, 10_000, 1_100_000, -5))
        with zmq.Context() as ctx, ctx.socket(zmq.DEALER) as d:
            d.linger = 0
            d.connect(replay)
            d.send(struct.pack("<cBQQ", b"R", 2, 0, 10))
            assert d.poll(3000)
            head, trade = d.recv_multipart()
        assert struct.unpack("<cBBQQQQ", head) == (b"R", 0, 2, run_id[0], 0, 1, 0)
        assert trade == struct.pack(
            "<BQQQIQQqq", 0x82, run_id[0], 0, 9, 0, 1, 10_000, 1_100_000, -5
        )
    finally:
        lib.hqt_broadcaster_destroy(b)
