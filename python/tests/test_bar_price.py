"""Bars built from ticks on the bid (default), ask or mid (issue 13):
``engine.build_bars(..., price=)``, a strategy's ``bars`` with a price, the
errors, recovery from the write-ahead log, the decoded records, the C ABI."""

from __future__ import annotations

import ctypes as C
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hqt
import hqt_ctypes as H
from conftest import HEADER, LIBHQT
from hqt import wal, wal_records

SEC = 10**9
# Bar [0, 60 s) then [60, 120 s). The ask's highest tick (50 s) is not the
# bid's (30 s) and spreads vary, so ask and mid bars are not bid bars shifted.
TIME = np.array([10, 30, 40, 50, 61], dtype=np.int64) * SEC
BID = np.array([1_000_000, 1_200_000, 900_000, 1_150_000, 1_300_000], dtype=np.int64)
ASK = np.array([1_000_101, 1_200_010, 900_300, 1_250_001, 1_300_050], dtype=np.int64)
# (timeframe, open time s, open, high, low, close, volume) in micro units
BID_M1 = [
    (1, 0, 1_000_000, 1_200_000, 900_000, 1_150_000, 4_000_000),
    (1, 60, 1_300_000, 1_300_000, 1_300_000, 1_300_000, 1_000_000),
]
ASK_M1 = [
    (1, 0, 1_000_101, 1_250_001, 900_300, 1_250_001, 4_000_000),
    (1, 60, 1_300_050, 1_300_050, 1_300_050, 1_300_050, 1_000_000),
]
# mids 1_000_050.5 and 1_200_000.5 round half up
MID_M1 = [
    (1, 0, 1_000_051, 1_200_005, 900_150, 1_200_001, 4_000_000),
    (1, 60, 1_300_025, 1_300_025, 1_300_025, 1_300_025, 1_000_000),
]


def row(bar: Any) -> tuple[int, ...]:
    return (
        bar.timeframe,
        bar.time // SEC,
        bar.open_micro,
        bar.high_micro,
        bar.low_micro,
        bar.close_micro,
        bar.volume_micro,
    )


class Recorder(hqt.Strategy):
    def __init__(self, bars: Any = ()) -> None:
        self.bars = list(bars)
        self.seen: list[tuple[int, ...]] = []

    def on_bar(self, engine: hqt.Engine, bar: Any) -> None:
        self.seen.append(row(bar))


def engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0)
    e.add_symbol("EURUSD")
    e.load_ticks_micro(0, TIME, BID, ASK)
    return e


@pytest.mark.parametrize(
    "price,expected",
    [
        (None, BID_M1),
        ("bid", BID_M1),
        ("ask", ASK_M1),
        ("MID", MID_M1),
        (hqt.PriceSource.ASK, ASK_M1),
        (2, MID_M1),
        (np.int32(1), ASK_M1),
    ],
)
def test_build_bars_follows_the_price(price, expected):
    e = engine()
    if price is None:
        e.build_bars("EURUSD", hqt.M1)
    else:
        e.build_bars("EURUSD", hqt.M1, price=price)
    s = Recorder()
    e.run(s)
    assert s.seen == expected


def test_strategy_bars_take_a_price_and_pairs_stay_bid():
    e = engine()
    s = Recorder([("EURUSD", hqt.M1, "mid"), (0, hqt.M5)])
    e.run(s)
    assert s.seen[:2] == MID_M1
    assert s.seen[2] == (5, 0, 1_000_000, 1_300_000, 900_000, 1_300_000, 5_000_000)  # bid M5

    e = engine()
    s = Recorder([["EURUSD", hqt.M1, hqt.PriceSource.ASK]])  # a list entry and an enum
    e.run(s)
    assert s.seen == ASK_M1


@pytest.mark.parametrize(
    "price",
    ["last", "close", "", 3, -1, hqt.PriceSource.CLOSE, True, np.bool_(True), 1.0, None],
)
def test_a_bad_price_raises_before_anything_is_built(price):
    e = engine()
    with pytest.raises(hqt.InvalidArgumentError, match="'bid', 'ask' or 'mid'") as info:
        e.build_bars(0, hqt.M1, price=price)
    assert isinstance(info.value, ValueError)
    with pytest.raises(hqt.InvalidArgumentError, match="'bid', 'ask' or 'mid'"):
        e.run(Recorder([("EURUSD", hqt.M1, price)]))
    s = Recorder([("EURUSD", hqt.M1, "ask")])  # no builder was made: any price is free
    e.run(s)
    assert s.seen == ASK_M1


def test_the_native_layer_refuses_a_bad_code_too():
    e = engine()
    with pytest.raises(hqt.InvalidArgumentError, match="not price 3"):
        hqt._hqt.Engine.build_bars(e, 0, hqt.M1, 3)


@pytest.mark.parametrize("entry", [("EURUSD",), ("EURUSD", hqt.M1, "mid", 1), "EURUSD", 5])
def test_a_malformed_bars_entry_raises(entry):
    with pytest.raises(hqt.InvalidArgumentError, match=r"\(symbol, timeframe, price\)"):
        engine().run(Recorder([entry]))


def test_one_price_per_symbol_and_timeframe():
    e = engine()
    e.build_bars(0, hqt.M1, price="mid")
    e.build_bars("EURUSD", hqt.M1, price="mid")  # the same again: nothing
    with pytest.raises(hqt.InvalidArgumentError, match="already built from the mid, not the bid"):
        e.build_bars(0, hqt.M1)
    with pytest.raises(hqt.InvalidArgumentError, match="already built from the mid, not the ask"):
        e.run(Recorder([("EURUSD", hqt.M1, "ask")]))
    e.clear_data()  # forgets the request
    e.load_ticks_micro(0, TIME, BID, ASK)
    s = Recorder([("EURUSD", hqt.M1, "ask")])
    e.run(s)
    assert s.seen == ASK_M1


# ---- recovery --------------------------------------------------------------------------

N = 2_400  # 1 s apart: 40 M1 bars, 8 M5 bars
_rng = np.random.default_rng(13)
W_TIME = (1_700_000_100 + np.arange(N)) * SEC  # M5-aligned
W_BID = 1_100_000 + np.cumsum(_rng.integers(-20, 21, N))
W_ASK = W_BID + _rng.integers(1, 60, N)  # odd and even spreads: mid rounding matters


class BarTrader(hqt.Strategy):
    """Trades on the closes of mid M1 and ask M5 bars, so a bar with other
    prices after recovery shows in the deals; copies the log after tick
    `copy_at` (what a kill -9 there leaves)."""

    bars = [("EURUSD", hqt.M1, "mid"), ("EURUSD", hqt.M5, "ask")]

    def __init__(self, copy_at: int = -1, log: Path | None = None, copy: Path | None = None):
        self.copy_at, self.log, self.copy = copy_at, log, copy
        self.ticks = 0
        self.seen: list[tuple[int, ...]] = []

    def on_tick(self, engine: hqt.Engine, tick: Any) -> None:
        self.ticks += 1
        if self.ticks == self.copy_at and self.log is not None and self.copy is not None:
            shutil.copyfile(self.log, self.copy)

    def on_bar(self, engine: hqt.Engine, bar: Any) -> None:
        self.seen.append(row(bar))
        if bar.timeframe == hqt.M5:
            engine.sell(0, 0.1 if bar.close_micro % 2 else 0.2)
        elif bar.close_micro % 3 == 0:
            engine.buy(0, 0.1)
        elif bar.close_micro % 3 == 1:
            engine.close_all()


def wal_engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD")
    e.load_ticks_micro(0, W_TIME, W_BID, W_ASK)
    return e


def deals(e: hqt.Engine) -> list[tuple[Any, ...]]:
    return [(d.ticket, d.time, d.price, d.volume, d.entry) for d in e.deals]


@pytest.mark.parametrize("copy_at,checkpoint_every", [(1_530, 10_000), (1_530, 40), (2_290, 7)])
def test_recovery_resumes_the_bars_in_progress_exactly(tmp_path, copy_at, checkpoint_every):
    ref = wal_engine()
    first = BarTrader()
    ref.run(first)
    assert len(ref.deals) > 20 and len(first.seen) == N // 60 + N // 300

    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = wal_engine()
    e.enable_wal(log, sync="always", checkpoint_every=checkpoint_every)
    e.run(BarTrader(copy_at, log, copy))
    e.disable_wal()

    r = wal_engine()  # builds nothing itself: the log brings the builders and their prices
    r.enable_wal(copy, sync="always")
    rep = r.recover_from_wal()
    assert 0 < rep.events_processed <= copy_at
    resumed = BarTrader()
    r.run(resumed, resume=True)
    r.disable_wal()
    assert deals(r) == deals(ref)
    # The bar in progress at the crash comes whole (every tick of it, on its price).
    assert resumed.seen == first.seen[len(first.seen) - len(resumed.seen) :]
    crash_time = int(W_TIME[rep.events_processed - 1]) // SEC
    assert resumed.seen[0][1] <= crash_time

    # The log says which price each builder follows.
    recs = [x.decoded() for x in wal.read_records(log)]
    builds = [x for x in recs if isinstance(x, wal_records.BuildBars)]
    assert [(b.timeframe, b.price) for b in builds] == [
        (1, hqt.PriceSource.MID),
        (5, hqt.PriceSource.ASK),
    ]
    snaps = [x for x in recs if isinstance(x, wal_records.Snapshot)]
    last = [b for b in snaps[-1].bar_builders]
    assert [(b.timeframe, b.price) for b in last] == [
        (1, hqt.PriceSource.MID),
        (5, hqt.PriceSource.ASK),
    ]


class GeneratedTrader(BarTrader):
    """BarTrader on bars built from the ticks a tick model generates from M1 bars."""

    bars = [("EURUSD", hqt.M5, "mid"), ("EURUSD", hqt.M15, "ask")]

    def on_bar(self, engine: hqt.Engine, bar: Any) -> None:
        if bar.timeframe == hqt.M1:
            return  # the loaded bars
        self.seen.append(row(bar))
        if bar.timeframe == hqt.M15:
            engine.sell(0, 0.1 if bar.close_micro % 2 else 0.2)
        elif bar.close_micro % 3 == 0:
            engine.buy(0, 0.1)
        elif bar.close_micro % 3 == 1:
            engine.close_all()


M1_BARS = 300
_o = 1_100_000 + np.cumsum(_rng.integers(-30, 31, M1_BARS))
_c = _o + _rng.integers(-25, 26, M1_BARS)
G_BARS = (
    (1_700_000_100 + 60 * np.arange(M1_BARS)) * SEC,
    _o,
    np.maximum(_o, _c) + _rng.integers(0, 15, M1_BARS),
    np.minimum(_o, _c) - _rng.integers(0, 15, M1_BARS),
    _c,
)


def generated_engine() -> hqt.Engine:
    e = hqt.Engine(10_000.0, "USD", 100)
    e.add_symbol("EURUSD", spread=0.000017)  # odd: a generated tick's mid rounds up
    e.load_bars_micro(0, hqt.M1, *G_BARS)
    return e


def test_recovery_under_a_tick_model_rebuilds_mid_and_ask_bars(tmp_path):
    ref = generated_engine()
    first = GeneratedTrader()
    ref.run(first, tick_model="every_tick")
    assert len(ref.deals) > 10 and len(first.seen) == M1_BARS // 5 + M1_BARS // 15
    # the first generated tick is the first bar's open: bid o, ask o + 17
    m5, m15 = (next(b for b in first.seen if b[0] == tf) for tf in (5, 15))
    assert (m5[2], m15[2]) == (_o[0] + 9, _o[0] + 17)  # mid o + 8.5 rounds up; ask

    log, copy = tmp_path / "run.wal", tmp_path / "crash.wal"
    e = generated_engine()
    e.enable_wal(log, sync="always", checkpoint_every=25)
    e.run(GeneratedTrader(700, log, copy), tick_model="every_tick")  # of 1,200 ticks
    e.disable_wal()
    r = generated_engine()
    r.enable_wal(copy, sync="always")
    r.recover_from_wal()
    resumed = GeneratedTrader()
    r.run(resumed, resume=True)
    r.disable_wal()
    assert deals(r) == deals(ref)
    assert 0 < len(resumed.seen) < len(first.seen)
    assert resumed.seen == first.seen[len(first.seen) - len(resumed.seen) :]


def test_build_bars_records_and_snapshots_decode_the_price(tmp_path):
    log = tmp_path / "bars.wal"
    e = engine()
    e.enable_wal(log)
    e.build_bars(0, hqt.M1)  # bid: the 25-byte record 0.2 wrote
    e.build_bars(0, hqt.M5, price="mid")  # one byte more: the price
    e.disable_wal()
    raw = [x for x in wal.read_records(log) if x.type == wal_records.BUILD_BARS]
    assert [len(x.data) for x in raw] == [25, 26]
    assert [x.decoded().price for x in raw] == [hqt.PriceSource.BID, hqt.PriceSource.MID]
    assert "M5 on mid" in str(raw[1].decoded())
    for extra in (b"\0", b"\3"):  # a bid record has no price byte; 3 is no bar price
        with pytest.raises(wal_records.PayloadError, match="trailing price byte"):
            wal_records.decode(wal_records.BUILD_BARS, raw[0].data + extra)
    snap = [x.decoded() for x in wal.read_records(log) if x.type == wal.CHECKPOINT][-1]
    assert [(b.timeframe, b.price, b.active) for b in snap.bar_builders] == [
        (1, hqt.PriceSource.BID, False),
        (5, hqt.PriceSource.MID, False),
    ]


# ---- C ABI -----------------------------------------------------------------------------


def test_build_bars_v2_statuses_and_messages():
    lib = H.load(LIBHQT)
    e = C.c_void_p()
    assert lib.hqt_engine_create(10**10, b"USD", 100, C.byref(e)) == 0
    sid = C.c_uint32()
    assert lib.hqt_engine_add_symbol_v2(e, C.byref(H.usd_spec(lib)), C.byref(sid)) == 0
    arg = H.STATUS.INVALID_ARGUMENT
    assert lib.hqt_engine_build_bars_v2(e, 0, hqt.M1, hqt.PriceSource.HIGH) == arg
    assert "not price 4" in H.last_error(lib)
    assert lib.hqt_engine_build_bars_v2(e, 0, hqt.M1, 99) == arg
    assert lib.hqt_engine_build_bars_v2(e, 0, hqt.M1, hqt.PriceSource.MID) == 0
    assert lib.hqt_engine_build_bars(e, 0, hqt.M1) == arg  # bid on top of mid
    assert "already built from the mid" in H.last_error(lib)
    assert lib.hqt_engine_build_bars_v2(e, 7, hqt.M1, 0) == H.STATUS.UNKNOWN_SYMBOL
    assert lib.hqt_engine_build_bars_v2(e, 0, 2, 0) == arg  # bad timeframe
    assert lib.hqt_engine_destroy(e) == 0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_a_c_program_builds_mid_and_ask_bars(tmp_path):
    """python/tests/c/bar_price.c, built against hqt.h alone."""
    exe = tmp_path / "bar_price"
    src = Path(__file__).parent / "c" / "bar_price.c"
    build = subprocess.run(
        ["gcc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(HEADER.parent),
         str(src), "-L", str(LIBHQT.parent), "-lhqt", f"-Wl,-rpath,{LIBHQT.parent}",
         "-o", str(exe)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("HQT_E_INVALID_ARGUMENT") and "not price 6" in lines[0]
    assert (
        lines[1].startswith("HQT_E_INVALID_ARGUMENT") and "already built from the mid" in lines[1]
    )
    bars = [tuple(int(x) for x in line.split()) for line in lines[2:-1]]
    assert bars == [
        MID_M1[0],
        MID_M1[1],
        (5, 0, 1_000_101, 1_300_050, 900_300, 1_300_050, 5_000_000),  # ask M5
    ]
    assert lines[-1] == "ok"
