"""Property tests (hypothesis) for the parsers that take outside bytes.

The WAL reader (hqt.wal, hqt.wal_records), the subscriber's frame decoder
(hqt.subscriber) and the loaders (Engine.load_ticks / load_bars, the CSV
readers) get arbitrary and mutated inputs: each must return a result or
raise its documented error, never anything else, and a refused load must
change nothing. The libFuzzer targets in fuzz/ do the same for the C ABI
(docs/fuzzing.md). Bounded (max_examples, no deadline) to keep the suite fast.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import hqt  # noqa: E402
from hqt import subscriber, wal, wal_records  # noqa: E402
from hqt.constants import FRAME_FORMATS, FRAME_SIZES  # noqa: E402

BOUNDED = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
# The loaders build an engine or write a file per example: fewer examples.
LOADERS = settings(BOUNDED, max_examples=60)

# Types hqt_wal_append accepts, engine records included (CHECKPOINT has its own call).
APPEND_TYPES = [1, 2, 3, 4, 5, 6, 9, 10, 11, 42, 255]


def build_log(records: list[tuple[int, bytes]], fingerprint: int | None = None) -> bytes:
    """A log as the writer makes it: HEADER (sequence 0), then records 1, 2, ..."""
    out = wal.frame(wal.HEADER, 0, wal.header_payload(fingerprint))
    for i, (rtype, payload) in enumerate(records, start=1):
        out += wal.frame(rtype, i, payload)
    return out


records_strategy = st.lists(
    st.tuples(st.sampled_from(APPEND_TYPES + [wal.CHECKPOINT]), st.binary(max_size=64)),
    max_size=8,
)


# ---------------------------------------------------------------------------
# WAL reader
# ---------------------------------------------------------------------------


@BOUNDED
@given(st.binary(max_size=512))
def test_wal_scan_of_any_bytes_decodes_or_raises_wal_error(data: bytes) -> None:
    try:
        log = wal.scan(data)
    except wal.WALError:
        return
    assert log.valid_bytes + log.torn_bytes == len(data)
    assert all(r.end <= log.valid_bytes for r in log.records)


@BOUNDED
@given(records_strategy, st.one_of(st.none(), st.integers(0, 2**64 - 1)))
def test_wal_round_trip(records: list[tuple[int, bytes]], fingerprint: int | None) -> None:
    log = wal.scan(build_log(records, fingerprint))
    assert [(r.type, r.data) for r in log.records] == records
    assert [r.sequence for r in log.records] == list(range(1, len(records) + 1))
    assert log.torn_bytes == 0
    assert log.header is not None and log.header.fingerprint == fingerprint


@BOUNDED
@given(records_strategy, st.data())
def test_wal_truncated_anywhere_keeps_exactly_the_records_before_the_cut(
    records: list[tuple[int, bytes]], data: st.DataObject
) -> None:
    full_bytes = build_log(records)
    full = wal.scan(full_bytes)
    cut = data.draw(st.integers(0, len(full_bytes)))
    log = wal.scan(full_bytes[:cut])
    kept = [(r.type, r.sequence, r.data) for r in full.records if r.end <= cut]
    assert [(r.type, r.sequence, r.data) for r in log.records] == kept


@BOUNDED
@given(records_strategy, st.data())
def test_wal_single_bit_flip_is_refused_or_cuts_only_the_last_record(
    records: list[tuple[int, bytes]], data: st.DataObject
) -> None:
    # docs/wal.md section 2: damage is never skipped silently.
    original = build_log(records)
    full = [(r.type, r.sequence, r.data) for r in wal.scan(original).records]
    bit = data.draw(st.integers(0, len(original) * 8 - 1))
    damaged = bytearray(original)
    damaged[bit // 8] ^= 1 << (bit % 8)
    try:
        log = wal.scan(bytes(damaged))
    except wal.WALError:
        return
    got = [(r.type, r.sequence, r.data) for r in log.records]
    assert got in (full, full[:-1])


ENGINE_TYPES = [1, 2, 3, 4, 5, 6, 9, 10, 11]


@BOUNDED
@given(st.sampled_from(ENGINE_TYPES), st.binary(max_size=400))
def test_wal_records_decode_of_any_payload_decodes_or_raises_wal_error(
    rtype: int, payload: bytes
) -> None:
    try:
        wal_records.decode_record(rtype, payload)
    except wal.WALError:
        pass


@BOUNDED
@given(st.binary(max_size=600))
def test_wal_records_checkpoint_of_any_bytes_decodes_or_raises_wal_error(payload: bytes) -> None:
    try:
        wal_records.decode_checkpoint(payload)
    except wal.WALError:
        pass


@pytest.fixture(scope="module")
def engine_log(tmp_path_factory: pytest.TempPathFactory) -> list[wal.Record]:
    """The records of a real engine log: a run with trades, orders and a deposit."""
    path = str(tmp_path_factory.mktemp("walprop") / "engine.wal")
    engine = hqt.Engine(10_000.0, "USD", 100)
    sym = engine.add_symbol("EURUSD")
    t = np.arange(40, dtype=np.int64) * 1_000_000_000 + 1_704_153_600_000_000_000
    bid = 1.1 + (np.arange(40) % 7) * 1e-5
    engine.load_ticks(sym, t, bid, bid + 2e-5)
    engine.enable_wal(path, truncate=True)

    class Trader(hqt.Strategy):
        def on_tick(self, engine: hqt.Engine, tick: hqt.Tick) -> None:
            n = engine.account.time
            if not engine.positions and n % 3 == 0:
                engine.buy(sym, 0.01, sl=tick.bid - 0.001, tp=tick.bid + 0.002)
            elif engine.positions and n % 5 == 0:
                engine.close(engine.positions[0].ticket)

    engine.run(Trader())
    engine.deposit(5.0)
    engine.disable_wal()
    return wal.read_records(path)


@BOUNDED
@given(st.data())
def test_wal_records_mutated_engine_payloads_decode_or_raise_wal_error(
    engine_log: list[wal.Record], data: st.DataObject
) -> None:
    record = data.draw(st.sampled_from(engine_log))
    payload = bytearray(record.data)
    for _ in range(data.draw(st.integers(1, 4))):
        if payload and data.draw(st.booleans()):
            payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
        else:
            payload = payload[: data.draw(st.integers(0, len(payload)))]
    try:
        wal_records.decode(record.type, bytes(payload))
    except wal.WALError:
        pass


# ---------------------------------------------------------------------------
# Subscriber frames (SPEC section 2)
# ---------------------------------------------------------------------------

_FIELD_RANGES = {
    "B": (0, 2**8 - 1),
    "H": (0, 2**16 - 1),
    "I": (0, 2**32 - 1),
    "Q": (0, 2**64 - 1),
    "q": (-(2**63), 2**63 - 1),
}


@st.composite
def frame_values(draw: st.DrawFn) -> tuple[int, tuple[int, ...]]:
    topic = draw(st.integers(0, len(FRAME_FORMATS) - 1))
    fields = FRAME_FORMATS[topic][2:]  # after "<B" (the topic byte)
    values = tuple(draw(st.integers(*_FIELD_RANGES[c])) for c in fields)
    return topic, values


@BOUNDED
@given(frame_values())
def test_frame_encode_decode_round_trip(topic_values: tuple[int, tuple[int, ...]]) -> None:
    topic, values = topic_values
    frame = struct.pack(FRAME_FORMATS[topic], topic, *values)
    assert len(frame) == FRAME_SIZES[topic]
    record = subscriber.decode(frame)
    assert tuple(record) == values
    assert subscriber.decode(memoryview(frame)) == record


@BOUNDED
@given(frame_values(), st.data())
def test_truncated_or_extended_frames_raise_decode_error(
    topic_values: tuple[int, tuple[int, ...]], data: st.DataObject
) -> None:
    topic, values = topic_values
    frame = struct.pack(FRAME_FORMATS[topic], topic, *values)
    cut = data.draw(st.integers(0, len(frame) - 1))
    with pytest.raises(subscriber.DecodeError):
        subscriber.decode(frame[:cut])
    with pytest.raises(subscriber.DecodeError):
        subscriber.decode(frame + data.draw(st.binary(min_size=1, max_size=8)))


@BOUNDED
@given(st.binary(max_size=80))
def test_any_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        record = subscriber.decode(data)
    except subscriber.DecodeError:
        return
    assert len(data) == FRAME_SIZES[data[0]]
    assert type(record).__name__.upper() == subscriber.TOPIC_NAMES[data[0]]


# ---------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------

T0 = 1_704_153_600_000_000_000
prices = st.one_of(
    st.floats(0.5, 2.0),
    st.sampled_from([0.0, -1.0, float("nan"), float("inf"), -float("inf"), 1e300, 9.3e12]),
)
steps = st.one_of(st.integers(0, 10**9), st.integers(-(10**9), -1), st.just(2**62))


@st.composite
def tick_arrays(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 12))
    times = np.array(
        T0 + np.cumsum([draw(steps) for _ in range(n)], dtype=np.int64), dtype=np.int64
    )
    bid = np.array([draw(prices) for _ in range(n)], dtype=np.float64)
    spread = np.array([draw(st.one_of(st.floats(0, 1e-3), st.just(-1e-3))) for _ in range(n)])
    return times, bid, bid + spread


def engine_with_symbol() -> tuple[hqt.Engine, int]:
    engine = hqt.Engine(10_000.0, "USD", 100)
    return engine, engine.add_symbol("EURUSD")


@LOADERS
@given(tick_arrays(), tick_arrays())
def test_load_ticks_loads_all_or_raises_and_changes_nothing(first, second) -> None:
    engine, sym = engine_with_symbol()
    for times, bid, ask in (first, second):
        before = engine.pending_events
        try:
            loaded = engine.load_ticks(sym, times, bid, ask)
        except hqt.HQTError:
            assert engine.pending_events == before
            continue
        assert loaded == len(times)
        assert engine.pending_events == before + len(times)
    if engine.pending_events:
        engine.run()  # whatever was accepted runs


@LOADERS
@given(st.data())
def test_load_bars_loads_all_or_raises_and_changes_nothing(data: st.DataObject) -> None:
    engine, sym = engine_with_symbol()
    n = data.draw(st.integers(0, 10))
    minute = 60_000_000_000
    times = T0 + np.cumsum([data.draw(st.integers(-1, 3)) * minute for _ in range(n)]).astype(
        np.int64
    )
    o = np.array([data.draw(prices) for _ in range(n)], dtype=np.float64)
    h = o + np.array([data.draw(st.floats(-1e-3, 1e-3)) for _ in range(n)])
    low = o - np.array([data.draw(st.floats(-1e-3, 1e-3)) for _ in range(n)])
    c = np.array([data.draw(prices) for _ in range(n)], dtype=np.float64)
    v = np.array([data.draw(st.floats(-1.0, 1e6)) for _ in range(n)], dtype=np.float64)
    tf = data.draw(st.sampled_from([1, 5, 60, 7, 0]))
    try:
        assert engine.load_bars(sym, tf, times, o, h, low, c, v) == n
    except hqt.HQTError:
        assert engine.pending_events == 0
        return
    assert engine.pending_events == n
    if n:
        engine.run()


@LOADERS
@given(ticks=tick_arrays())
def test_ticks_csv_round_trip_or_the_loaders_error(ticks, tmp_path_factory) -> None:
    times, bid, ask = ticks
    path = tmp_path_factory.getbasetemp() / "ticks.csv"
    lines = ["time,bid,ask"] + [f"{t},{b!r},{a!r}" for t, b, a in zip(times, bid, ask, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    try:
        data = hqt.read_ticks(path, format="plain_ticks")
    except hqt.HQTError:
        return
    np.testing.assert_array_equal(data.time, times)
    np.testing.assert_array_equal(data.bid, bid)
    np.testing.assert_array_equal(data.ask, ask)


csv_text = st.text(alphabet="0123456789.,;-+eE:TZ\t\n abcnaif", max_size=200)


@LOADERS
@given(
    header=st.sampled_from(
        [
            "time,bid,ask\n",
            "time,open,high,low,close,volume\n",
            "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n",
            "",
        ]
    ),
    body=csv_text,
)
def test_csv_of_any_text_reads_or_raises_hqt_error(
    header: str, body: str, tmp_path_factory
) -> None:
    path = tmp_path_factory.getbasetemp() / "any.csv"
    path.write_text(header + body)
    try:
        hqt.read_csv(path)
    except hqt.HQTError:
        pass
