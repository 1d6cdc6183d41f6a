"""hqt.record: `python -m hqt.record` against a real broadcasting backtest, load() and playback.

The recorder runs as its own process (the CLI users run) subscribed to an
engine that broadcasts; what it wrote is compared with the engine's own
results and counters, then played back into an hqt.subscriber.Subscriber.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import zmq

pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from broadcast_helpers import Publisher, frame  # noqa: E402
from conftest import PYDIR  # noqa: E402
from hqt import record  # noqa: E402
from hqt import subscriber as S  # noqa: E402
from live_backtest import Trader, make_engine, sine_market  # noqa: E402


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> tuple[Path, object, dict[str, int], str]:
    """A backtest recorded by the CLI: (directory, engine, sent per topic, CLI output)."""
    out = tmp_path_factory.mktemp("rec") / "out"
    e = make_engine(1200)
    endpoint = e.enable_broadcasting("tcp://127.0.0.1:*", wait_subscribers=1, wait_timeout=20.0)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hqt.record",
            endpoint,
            str(out),
            "--idle",
            "1",
            "--max-rows",
            "500",
        ],
        env={"PYTHONPATH": str(PYDIR), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        e.run(Trader())
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    stats = e.broadcast_stats()
    sent = {name: stats[name].sent for name in S.TOPIC_NAMES}
    assert stats.total_dropped == 0
    return out, e, sent, output


def test_cli_records_every_frame_in_rolling_files(recording):
    out, e, sent, output = recording
    files = sorted(out.iterdir())
    assert [f.suffix for f in files] == [".parquet"] * len(files)  # no .part left
    frames = record.load(out)
    assert {k: len(frames[k]) for k in S.TOPIC_NAMES} == sent
    assert sent["TRADE"] == len(e.deals) >= 10
    # a broadcaster with issue 11's SESSION frames and twins: exact sequence numbers
    sessions = frames.get("SESSION")
    rows = sum(sent.values()) + (0 if sessions is None else len(sessions))
    assert len(files) == -(-rows // 500) >= 3  # rolled every 500 rows
    assert f"frames={rows}" in output and str(files[0]) in output
    if sessions is not None:
        end = sessions[sessions["kind_name"] == "RUN_END"].iloc[-1]
        assert end["next_seq"] == tuple(sent.values()) and end["deals"] == len(e.deals)
        for name in S.TOPIC_NAMES:
            assert frames[name]["seq"].tolist() == list(range(sent[name])), name
        assert "lost: none seen" in output

    ticks = frames["TICK"]
    t, b, a = sine_market(1200)
    assert ticks["time"].tolist() == t.tolist()
    assert ticks["bid"].tolist() == b.tolist() and ticks["ask"].tolist() == a.tolist()
    assert (ticks["datetime"] == pd.to_datetime(t, unit="ns", utc=True)).all()
    assert str(ticks["recv_time"].dtype) == "datetime64[ns, UTC]"
    assert ticks["recv_time"].is_monotonic_increasing

    trades = frames["TRADE"]
    assert list(
        trades[["ticket", "symbol_id", "time", "volume", "price", "profit"]].itertuples(
            index=False, name=None
        )
    ) == [
        (d.ticket, d.symbol_id, d.time, d.volume_micro, d.price_micro, d.profit_micro)
        for d in e.deals
    ]
    # negative profits decode signed, exactly
    assert (trades["profit"] < 0).any()

    positions = frames["POSITION"]
    assert set(positions["state"]) == {0, 1, 2, 3}
    assert (positions["type"] == positions["kind"] % 16).all()
    orders = frames["ORDER"]
    assert {2, 3} <= set(orders["state"])  # filled market orders, canceled limits

    last = frames["EQUITY"].iloc[-1]
    assert (last["balance"], last["equity"]) == (round(e.balance * 1e6), round(e.equity * 1e6))


def test_frames_keep_receive_order_and_bytes(recording):
    out, e, sent, _ = recording
    everything = list(record.frames(out))
    raw = [f for f in everything if f[0] < 8]  # SPEC frames (not SESSION, when sent)
    assert len(raw) == sum(sent.values())
    assert Counter(S.TOPIC_NAMES[f[0]] for f in raw) == Counter(sent)
    # the seed's snippet reads recorded ticks as it reads live ones
    first_tick = next(f for f in raw if f[0] == 0)
    t, b, a = sine_market(1)
    assert struct.unpack("<IQqq", first_tick[1:]) == (0, int(t[0]), int(b[0]), int(a[0]))
    assert list(record.frames(out, topics=["trade"])) == [f for f in raw if f[0] == S.TRADE]
    assert all(f[0] == 8 for f in everything if f[0] >= 8)
    recs = list(record.records(out))
    assert recs == [S.decode(f) for f in raw]


def test_playback_into_a_subscriber(recording):
    out, e, sent, _ = recording
    expected = list(record.records(out))
    got: list[S.Record] = []
    with record.Playback(out) as player:
        with S.Subscriber(player.endpoint, timeout=1.0, rcvhwm=100) as sub:
            # a small receive queue: playback must wait for the subscriber, not drop
            thread = threading.Thread(target=lambda: got.extend(sub))
            thread.start()
            n = player.play(wait_subscribers=1)
            thread.join(timeout=20)
            assert not thread.is_alive()
            assert sub.stats.suspected_losses == 0
    assert len(expected) == sum(sent.values())
    assert n == len(list(record.frames(out)))  # every event, SESSION frames included
    assert got == expected
    with record.Playback(out, topics=[S.TRADE]) as player:
        with S.Subscriber(player.endpoint, timeout=0.5) as sub:
            player.play(wait_subscribers=1)
            assert [r.ticket for r in sub] == [d.ticket for d in e.deals]


def _session(kind: int, run_id: int, time: int, next_seq: list[int], body: bytes) -> bytes:
    """A SESSION frame laid out by hand from docs/zmq.md section 12."""
    return struct.pack("<BBQQ8Q", 8, kind, run_id, time, *next_seq) + body


def _text(s: str) -> bytes:
    return bytes([len(s.encode())]) + s.encode()


RUN = 0x1234_5678_9ABC_DEF0


def _twin(spec: bytes, seq: int) -> bytes:
    """The sequenced twin of a SPEC frame (docs/zmq.md section 11), by hand."""
    return bytes([0x80 | spec[0]]) + struct.pack("<QQ", RUN, seq) + spec[1:]


def _record_from(
    pub: Publisher, out: Path, frames: list[bytes], rows: int, **run
) -> record.Recorder:
    """Records `frames` from `pub`; the recorder must have made `rows` rows while still
    running (the last frame is written once the stream goes quiet, not only at close)."""
    rec = record.Recorder(pub.endpoint, out, flush_rows=2)
    stop = threading.Event()
    thread = threading.Thread(target=rec.run, kwargs={"stop": stop, **run})
    thread.start()
    try:
        pub.wait_for_subscriptions(1)
        for data in frames:
            pub.send(data)
        deadline = time.monotonic() + 10
        while rec.stats.frames < rows and time.monotonic() < deadline:
            stop.wait(0.02)
        assert rec.stats.frames == rows, rec.stats
        stop.wait(0.3)  # nothing more arrives
    finally:
        stop.set()
        thread.join(timeout=10)
    return rec


def trade(ticket: int) -> bytes:
    return frame(2, ticket, 3, 7 + ticket, 10_000, 1_234_567, -15_500_000)


def test_session_and_sequenced_twins_are_merged_and_gaps_counted(tmp_path):
    """Against the issue 11 protocol: SPEC frame + twin = one row with run id and seq;
    a seq gap and a tail short of RUN_END's next_seq are counted as lost."""
    symbol = struct.pack("<Iiq", 0, 5, 100_000_000_000) + b"".join(
        _text(x) for x in ("EURUSD", "EUR", "USD", "EUR")
    )
    start = _session(
        0,
        RUN,
        0,
        [0] * 8,
        struct.pack("<Bq", 0, 10_000_000_000) + _text("USD") + struct.pack("<I", 1) + symbol,
    )
    end = _session(
        1,
        RUN,
        99,
        [0, 0, 6, 0, 0, 0, 0, 0],
        struct.pack("<Bqqqq", 0, 1, 2, 3, 4) + struct.pack("<QII", 6, 1, 0),
    )
    sent = [
        start,
        trade(1),  # before the twins start (or its twin was lost): a row without seq
        _twin(trade(2), 1),
        trade(2),  # twin first, then SPEC frame (if not unsubscribed yet): one row
        trade(3),
        _twin(trade(3), 2),
        _twin(trade(5), 4),  # seq 3 lost
        end,  # next_seq 6: seq 5 lost at the tail
    ]
    pub = Publisher()
    try:
        rec = _record_from(pub, tmp_path / "r", sent, rows=6, until_end=True)
    finally:
        pub.close()
    assert rec.run_ended_at is not None
    assert rec.stats.lost == {0: 0, 1: 0, 2: 2, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0}
    assert "TRADE=2" in repr(rec.stats).split("lost:")[1]
    frames = record.load(tmp_path / "r")
    trades = frames["TRADE"]
    assert trades["ticket"].tolist() == [1, 2, 3, 5]
    assert trades["seq"].tolist() == [pd.NA, 1, 2, 4]
    assert trades["run_id"].tolist() == [pd.NA, RUN, RUN, RUN]
    sessions = frames["SESSION"]
    assert sessions["kind_name"].tolist() == ["RUN_START", "RUN_END"]
    first = sessions.iloc[0]
    assert first["currency"] == "USD" and first["balance"] == 10_000_000_000
    assert (
        first["symbols"][0].name == "EURUSD"
        and first["symbols"][0].contract_size == 100_000_000_000
    )
    last = sessions.iloc[1]
    assert (last["deals"], last["open_positions"], last["equity"]) == (6, 1, 2)

    # playback sends each recorded seq again as a twin, to who asks for twins
    with record.Playback(tmp_path / "r") as player:
        ctx = zmq.Context.instance()
        sub = ctx.socket(zmq.SUB)
        sub.linger = 0
        sub.setsockopt(zmq.SUBSCRIBE, b"\x82")
        sub.connect(player.endpoint)
        player.play(wait_subscribers=1)
        got = []
        while sub.poll(500):
            got.append(sub.recv())
        sub.close()
    assert got == [_twin(trade(t), q) for t, q in ((2, 1), (3, 2), (5, 4))]


def test_malformed_partial_and_foreign_files(tmp_path):
    good = trade(42)
    pub = Publisher()
    try:
        rec = _record_from(
            pub, tmp_path / "r", [good, good[:-1], bytes([8, 1, 2, 3]), good], rows=4
        )
    finally:
        pub.close()
    assert rec.stats.frames == 4 and rec.stats.malformed == 1  # the short SESSION frame
    frames = record.load(tmp_path / "r")
    assert len(frames["TRADE"]) == 2 and frames["TRADE"]["profit"].tolist() == [-15_500_000] * 2
    assert frames["MALFORMED"]["frame"].tolist() == [good[:-1], bytes([8, 1, 2, 3])]
    assert frames["TICK"].empty and "bid" in frames["TICK"].columns
    assert frames["TRADE"]["run_id"].isna().all()  # this publisher sends no run id

    # an interrupted file (no footer yet) is ignored; a foreign Parquet file is refused
    (tmp_path / "r" / "hqt-x-00099.parquet.part").write_bytes(b"PAR1 half a file")
    assert len(record.load(tmp_path / "r")["TRADE"]) == 2
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1]}), tmp_path / "foreign.parquet")
    with pytest.raises(ValueError, match="not an HQT recording"):
        record.load(tmp_path / "foreign.parquet")
    with pytest.raises(FileNotFoundError):
        record.load(tmp_path / "missing")
