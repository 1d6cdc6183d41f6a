#!/usr/bin/env python3
"""A trade-heavy, WAL-enabled backtest that can be killed at any instant and resumed.

Used by test_kill9.py as a subprocess (SIGKILL at random moments), and usable
by hand to reproduce a failure::

    python3 python/tests/kill9_backtest.py run    /tmp/k.wal --sync batch
    python3 python/tests/kill9_backtest.py events /tmp/k.wal --ticks 60000

    # a deterministic kill -9 (the process SIGKILLs itself), then the resume
    python3 python/tests/kill9_backtest.py run /tmp/s.wal --sync always --ticks 20000 --die-in-stop
    python3 python/tests/kill9_backtest.py run /tmp/s.wal --sync always --ticks 20000

Every start does the same thing: generate the same seeded ticks, set up the
same engine, ``enable_wal(log)``; if the log already holds records (an earlier
process was killed) ``recover_from_wal()`` and resume; run to the end; print
one JSON line (the result, in exact micro units) on stdout. A run that is
killed and restarted any number of times must print the same JSON, apart from
the ``info`` key, as one that never was.

Progress goes to stderr, one line each, for the harness to aim its kills:
``OPEN`` (before enable_wal), ``RUN`` (the run or the event loop starts),
``P <percent>`` (live, each whole percent of the data), ``STOP`` (with
--stop-sleep), ``END`` (the run is over).

Drivers:

* ``run``: ``engine.run(strategy, resume=...)`` over the loaded ticks
  (200 000 by default), with M1 bars built from them by the engine. After a recovery the strategy's
  indicator state is rebuilt by the warm-up (``Kill9Strategy.warmup`` loaded
  events re-fed with trading refused).
* ``stateful``: the ``run`` driver with ``StatefulKill9Strategy``: no
  warm-up; its state (counters changed in on_tick, on_bar and on_trade that
  drive deposits) comes back only through get_state/set_state and the
  re-feed of the ticks, bars and trades since the checkpoint. Its counters
  are part of the printed result.
* ``events``: no data is loaded; a Python loop feeds ``engine.process_event``
  one tick at a time (100 000 by default), and the strategy builds its M1 bars itself in
  ``on_tick``. After a recovery the loop resumes at the first tick the
  recovered state has not processed (see ``resume_index``), and the strategy
  is warmed up by the loop itself.

Options: ``--sync always|batch|none`` (default ``batch``), ``--ticks N``,
``--checkpoint-every K``, ``--no-wal`` (plain run, for timing),
``--check-resume`` (events driver: prove the resume index, see
``check_resume_state``), ``--engine-bars`` (events driver: bars built by the
engine, see ``EventsStrategy``), ``--start-deposits`` (run driver: on_start
makes two deposits), ``--die-at-tick K`` / ``--die-in-stop`` /
``--die-in-start`` (SIGKILL itself at that exact point: deterministic
reproducers), and
``--stop-sleep S`` (sleep S seconds inside on_stop / the final close-out, after
the last bar: widens the window between the last records of a run and its final
checkpoint so that a kill can be aimed at it; it changes no result).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
_PYDIR = os.path.dirname(_HERE)
if _PYDIR not in sys.path:
    sys.path.insert(0, _PYDIR)

import numpy as np  # noqa: E402

import hqt  # noqa: E402

SEED = 20240601
SEC = 10**9
MIN = 60 * SEC
#: 2024-01-01 00:00:00 UTC (a Monday)
T0 = 1_704_067_200 * SEC
POINT = 10  # one point of a 5-digit symbol, in micro units

FAST, SLOW = 10, 30

# ---- data ------------------------------------------------------------------------------


def make_ticks(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`n` random-walk EURUSD ticks as (time ns, bid micro, ask micro) int64 arrays.

    Identical for the same (n, seed) on every run (integer arithmetic only;
    the reference results are computed by the same code). Ticks are 0.2 s to 1.8 s apart (about 3 300 M1 bars per
    200 000 ticks); the bid moves -3..+3 points per tick with a slow drift
    that flips every ~20 minutes, so that the SMA crossovers, SL/TP levels
    and pending orders are hit often.
    """
    rng = np.random.default_rng(seed)
    gaps = rng.integers(200_000_000, 1_800_000_001, size=n, dtype=np.int64)
    times = T0 + np.cumsum(gaps) - gaps[0]
    steps = rng.integers(-3, 4, size=n, dtype=np.int64)
    # a regime drift of +-1 point every few ticks, changing sign at random
    regime = np.repeat(rng.choice(np.array([-1, 1], dtype=np.int64), size=n // 1200 + 1), 1200)[:n]
    drift = regime * (rng.integers(0, 4, size=n, dtype=np.int64) == 0)
    walk = np.cumsum(steps + drift)
    bid_points = 110_000 + walk
    bid_points = np.maximum(bid_points, 50_000)
    spread = rng.integers(5, 21, size=n, dtype=np.int64)
    bid = bid_points * POINT
    ask = (bid_points + spread) * POINT
    return times.astype(np.int64), bid.astype(np.int64), ask.astype(np.int64)


def make_engine() -> tuple[hqt.Engine, int]:
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD", commission_per_lot=3.5)
    return e, s


# ---- strategy --------------------------------------------------------------------------


def m(x: int) -> float:
    """Micro units to the float the engine rounds back to exactly `x`."""
    return x / 1e6


class Kill9Strategy(hqt.Strategy):
    """SMA(10)/SMA(30) crossover on M1 bars, reversing, plus a stream of pending orders.

    Every trading decision is a function of (the last 31 bar closes, the
    bar's time, the engine's state at that moment), so the strategy's own
    state is exactly rebuilt by re-feeding it the bars before a resume point.
    Nothing is counted across events. Several actions are deliberately *not*
    idempotent (a new pending order every few bars, a deposit): an event
    processed twice, or a record applied twice, shows up in the deals.

    Every record type occurs: fills opening and closing (client, SL, TP,
    pending), partial closes, POSITION_MODIFY (modify, trailing stop set and
    moved), ORDER_PLACE, ORDER_MODIFY (modify_order, stop-limit conversion),
    ORDER_CANCEL (canceled, expired), BALANCE_CHANGE; in phases BEFORE_MARKET
    (on_bar of built bars), TRIGGERS, CALLBACKS (on_trade, on_tick) and
    BETWEEN (on_stop).
    """

    #: loaded events re-fed after a recovery: 31 M1 bars need at most
    #: 31 * 60 / 0.2 = 9 300 ticks; the data has ~60 ticks a minute.
    warmup = 10_000

    def __init__(
        self,
        symbol: int,
        build_bars: bool = True,
        stop_sleep: float = 0.0,
        die_in_stop: bool = False,
        start_deposits: bool = False,
        die_in_start: bool = False,
    ) -> None:
        self.symbol = symbol
        if build_bars:
            self.bars = [(symbol, hqt.M1)]
        self.stop_sleep = stop_sleep
        self.die_in_stop = die_in_stop
        self.start_deposits = start_deposits
        self.die_in_start = die_in_start
        self.closes: collections.deque[int] = collections.deque(maxlen=SLOW + 1)
        self.warming = False  # set by the events driver during its own warm-up
        self.progress: Progress | None = None

    # -- state that warm-up rebuilds

    def on_start(self, engine: hqt.Engine) -> None:
        self.closes.clear()
        if self.start_deposits and self._live(engine):
            # (run driver, --start-deposits) two operations in on_start; not
            # repeated on a resume, where on_start is part of the warm-up
            engine.deposit(100.0)
            if self.die_in_start:
                die()
            engine.deposit(50.0)

    def _quote(self, engine: hqt.Engine) -> tuple[int, int]:
        info = engine._symbol_info(self.symbol)
        return info[13], info[14]

    def _live(self, engine: hqt.Engine) -> bool:
        return not (self.warming or engine.warming_up)

    def bar_closed(self, engine: hqt.Engine, open_time: int, close: int) -> None:
        c = self.closes
        c.append(close)
        if not self._live(engine):
            return
        minute = open_time // MIN
        s = self.symbol
        bid, ask = self._quote(engine)
        if bid == 0:
            return
        exp = open_time + MIN  # the bar's close: the engine's clock now
        # signals: sums avoid any rounding (fast*SLOW vs slow*FAST)
        if len(c) == SLOW + 1:
            cl = list(c)
            fast, slow = sum(cl[-FAST:]), sum(cl[-SLOW:])
            pfast, pslow = sum(cl[-FAST - 1 : -1]), sum(cl[-SLOW - 1 : -1])
            up = fast * SLOW > slow * FAST and pfast * SLOW <= pslow * FAST
            down = fast * SLOW < slow * FAST and pfast * SLOW >= pslow * FAST
            if up or down:
                want = hqt.PositionType.BUY if up else hqt.PositionType.SELL
                for p in engine._positions():
                    if p[1] == s and p[2] != want:
                        if minute % 3 == 0 and p[3] >= 2 * 10_000:
                            engine.close(p[0], m(p[3] // 2 // 10_000 * 10_000))  # partial
                        else:
                            engine.close(p[0])
                vol = 0.1 if minute % 2 else 0.2
                if up:
                    engine.buy(s, vol, sl=m(bid - 180 * POINT), tp=m(bid + 260 * POINT))
                else:
                    engine.sell(s, vol, sl=m(ask + 180 * POINT), tp=m(ask - 260 * POINT))
        # a stream of pending orders, whatever the signal
        k = minute % 12
        try:
            if k == 0:
                engine.buy_limit(
                    s,
                    0.05,
                    m(ask - 40 * POINT),
                    sl=m(ask - 200 * POINT),
                    tp=m(ask + 150 * POINT),
                    expiration=exp + 7 * MIN,
                )
            elif k == 3:
                engine.sell_stop(
                    s,
                    0.04,
                    m(bid - 60 * POINT),
                    sl=m(bid + 120 * POINT),
                    tp=m(bid - 300 * POINT),
                    expiration=exp + 9 * MIN,
                )
            elif k == 5:
                engine.buy_stop_limit(
                    s, 0.03, m(ask + 50 * POINT), m(ask + 20 * POINT), expiration=exp + 15 * MIN
                )
            elif k == 7:
                engine.sell_stop_limit(
                    s,
                    0.03,
                    m(bid - 50 * POINT),
                    m(bid - 20 * POINT),
                    sl=m(bid + 200 * POINT),
                    expiration=exp + 15 * MIN,
                )
            elif k == 9:
                engine.sell_limit(s, 0.06, m(bid + 45 * POINT), expiration=exp + 5 * MIN)
            elif k == 10:
                engine.buy_stop(s, 0.02, m(ask + 70 * POINT), tp=m(ask + 250 * POINT))
        except hqt.TradeError:
            pass  # deterministic refusal: nothing changed
        # manage the book
        orders = engine._orders()
        if minute % 5 == 2 and orders:
            o = orders[0]
            try:
                if o[2] in (hqt.OrderType.BUY_LIMIT, hqt.OrderType.SELL_STOP):
                    engine.modify_order(o[0], price=m(o[5] - 5 * POINT))
                elif o[2] in (hqt.OrderType.SELL_LIMIT, hqt.OrderType.BUY_STOP):
                    engine.modify_order(o[0], price=m(o[5] + 5 * POINT))
                else:
                    engine.modify_order(o[0], expiration=exp + 20 * MIN)
            except (hqt.TradeError, hqt.InvalidArgumentError):
                pass  # e.g. the order expires at this very instant
        if len(orders) > 6:
            engine.cancel(orders[0][0])
        positions = [p for p in engine._positions() if p[1] == s]
        if positions:
            newest = positions[-1]
            if minute % 7 == 1:
                try:
                    if newest[2] == hqt.PositionType.BUY:
                        engine.modify(newest[0], tp=m(bid + 120 * POINT))
                    else:
                        engine.modify(newest[0], tp=m(ask - 120 * POINT))
                except hqt.TradeError:
                    pass
            if minute % 8 == 5 and positions[0][8] == 0:
                engine.set_trailing_stop(positions[0][0], 90)
        if minute % 240 == 17:
            engine.deposit(25.0)
        elif minute % 240 == 137:
            engine.deposit(-10.0)

    # -- callbacks

    def on_bar(self, engine: hqt.Engine, bar: Any) -> None:
        self.bar_closed(engine, bar.time, bar.close_micro)
        if self.progress is not None and not engine.warming_up:
            self.progress.at(bar.time)

    def on_trade(self, engine: hqt.Engine, deal: Any) -> None:
        # CALLBACKS-phase records: after a stop loss, an opposite stop entry
        if deal.reason != hqt.DealReason.SL or not self._live(engine):
            return
        bid, ask = self._quote(engine)
        try:
            if deal.type == hqt.PositionType.SELL:  # a buy was stopped out
                engine.sell_stop(
                    self.symbol, 0.02, m(bid - 30 * POINT), expiration=engine.time + 4 * MIN
                )
            else:
                engine.buy_stop(
                    self.symbol, 0.02, m(ask + 30 * POINT), expiration=engine.time + 4 * MIN
                )
        except hqt.TradeError:
            pass

    def close_out(self, engine: hqt.Engine) -> None:
        """Idempotent end of the backtest: close everything, cancel everything."""
        if self.stop_sleep:
            print("STOP", flush=True, file=sys.stderr)
            time.sleep(self.stop_sleep)
        if self.die_in_stop:
            die()
        for p in engine._positions():
            engine.close(p[0])
        for o in engine._orders():
            engine.cancel(o[0])

    def on_stop(self, engine: hqt.Engine) -> None:
        self.close_out(engine)


class StatefulKill9Strategy(Kill9Strategy):
    """Kill9Strategy plus state only get_state/set_state can carry.

    Counters changed in on_tick, on_bar and on_trade drive a deposit every
    997 ticks whose amount depends on how many deals on_trade has heard: a
    resumed run ends on the reference result only if the re-feed after
    set_state delivers the ticks, bars *and* trades since the checkpoint,
    in their original order. No warm-up: the state is the checkpoint's.
    """

    warmup = 0

    def __init__(self, symbol: int, **kwargs: Any) -> None:
        super().__init__(symbol, **kwargs)
        self.ticks = self.bars_seen = self.trades = self.profit = 0

    def on_tick(self, engine: hqt.Engine, tick: Any) -> None:
        self.ticks += 1
        if self.ticks % 997 == 0 and self._live(engine):
            engine.deposit(float(self.trades % 7 + 1))

    def on_bar(self, engine: hqt.Engine, bar: Any) -> None:
        self.bars_seen += 1
        super().on_bar(engine, bar)

    def on_trade(self, engine: hqt.Engine, deal: Any) -> None:
        self.trades += 1
        self.profit += deal.profit_micro
        super().on_trade(engine, deal)

    def counters(self) -> list[int]:
        return [self.ticks, self.bars_seen, self.trades, self.profit]

    def get_state(self, engine: hqt.Engine) -> bytes:
        return json.dumps([list(self.closes), self.counters()]).encode()

    def set_state(self, engine: hqt.Engine, state: bytes) -> None:
        closes, (self.ticks, self.bars_seen, self.trades, self.profit) = json.loads(state)
        self.closes.clear()
        self.closes.extend(closes)


class Progress:
    """Prints ``P <percent>`` on stderr as the data's time passes each whole percent.

    The harness aims kills at a point of progress with it, whatever the
    speed of the machine (fdatasync latency varies a lot).
    """

    def __init__(self, first: int, last: int) -> None:
        self.first, self.span, self.done = first, max(last - first, 1), -1

    def at(self, t: int) -> None:
        pct = (t - self.first) * 100 // self.span
        if pct > self.done:
            self.done = pct
            print(f"P {pct}", flush=True, file=sys.stderr)


def die() -> None:
    """SIGKILL this process now (a kill -9 at an exact point, for reproducers)."""
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class EventsStrategy(Kill9Strategy):
    """The same strategy fed by process_event: it builds its M1 bars itself in on_tick.

    (The engine builds bars only from what it processes: after a recovery
    without loaded data, its bar builders stand where the last checkpoint
    left them, so the events driver keeps the bar in progress in Python,
    where its own warm-up rebuilds it.)
    """

    def __init__(self, symbol: int, stop_sleep: float = 0.0, die_in_stop: bool = False) -> None:
        super().__init__(symbol, build_bars=False, stop_sleep=stop_sleep, die_in_stop=die_in_stop)
        self.minute = -1
        self.last_bid = 0

    def on_start(self, engine: hqt.Engine) -> None:
        super().on_start(engine)
        self.minute, self.last_bid = -1, 0

    def on_tick(self, engine: hqt.Engine, tick: Any) -> None:
        minute = tick.time // MIN
        if minute != self.minute:
            if self.minute >= 0:
                self.bar_closed(engine, self.minute * MIN, self.last_bid)
            self.minute = minute
        self.last_bid = tick.bid_micro


# ---- drivers ---------------------------------------------------------------------------


def result(e: hqt.Engine) -> dict[str, Any]:
    """Everything the comparison needs, in exact integers (floats only where the engine has them)."""
    return {
        "deals": [list(d._astuple()) for d in e.deals],
        "balance": e.balance_micro,
        "equity": e.equity_micro,
        "positions": [list(p) for p in e._positions()],
        "orders": [list(o) for o in e._orders()],
        "order_history": [list(o) for o in e._order_history()],
        "trades": [list(t) for t in e._trades()],
        "statistics": dict(zip(hqt.Statistics.__dataclass_fields__, e._statistics(), strict=False)),
        "equity_curve_sha256": hashlib.sha256(e._equity_curve()).hexdigest(),
        "equity_curve_points": len(e._equity_curve()) // 32,
    }


def report_dict(rep: Any) -> dict[str, Any]:
    keys = (
        "records_replayed",
        "records_discarded",
        "events_processed",
        "last_event_time",
        "torn_bytes_dropped",
        "replayed_over_data",
    )
    return {k: getattr(rep, k, None) for k in keys}


def open_wal(e: hqt.Engine, args: argparse.Namespace, info: dict[str, Any]) -> Any:
    """Enable the WAL; recover if an earlier process left records. Returns the report or None."""
    if args.no_wal:
        return None
    existed = os.path.exists(args.log) and os.path.getsize(args.log) > 0
    info["t_open"] = time.time()
    print("OPEN", flush=True, file=sys.stderr)
    e.enable_wal(args.log, truncate=False, sync=args.sync, checkpoint_every=args.checkpoint_every)
    info["log_existed"] = existed
    if not existed:
        return None
    rep = e.recover_from_wal()
    info["t_recovered"] = time.time()
    info["recovery"] = report_dict(rep)
    return rep


def drive_run(args: argparse.Namespace, info: dict[str, Any]) -> hqt.Engine:
    t, bid, ask = make_ticks(args.ticks)
    e, s = make_engine()
    e.load_ticks_micro(s, t, bid, ask)
    kind = StatefulKill9Strategy if args.driver == "stateful" else Kill9Strategy
    strat = kind(
        s,
        stop_sleep=args.stop_sleep,
        die_in_stop=args.die_in_stop,
        start_deposits=args.start_deposits,
        die_in_start=args.die_in_start,
    )
    strat.progress = Progress(int(t[0]), int(t[-1]))
    e.build_bars(s, hqt.M1)  # before recovery: the re-walk rebuilds the bar in progress
    rep = open_wal(e, args, info)
    info["t_run"] = time.time()
    print("RUN", flush=True, file=sys.stderr)
    if args.sigint_every > 0:
        info["sigints"], info["pauses"] = run_under_sigints(e, strat, args, resume=rep is not None)
    elif rep is None:
        e.run(strat)
    else:
        e.run(strat, resume=True)
    if isinstance(strat, StatefulKill9Strategy):
        info["strategy"] = strat.counters()
    return e


_SIGINT_CHILD = r"""
import os, random, signal, sys, time
parent, every, seed = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
sent = 0
while True:
    c = sys.stdin.read(1)
    if c in ("", "D"):
        break
    if c != "A":
        continue
    time.sleep(rng.expovariate(1000.0 / every))
    os.kill(parent, signal.SIGINT)
    sent += 1
    if sys.stdin.read(1) in ("", "D"):  # "P": the pause was seen
        break
print(sent)
"""


def run_under_sigints(
    e: hqt.Engine, strat: hqt.Strategy, args: argparse.Namespace, *, resume: bool
) -> tuple[int, int]:
    """Runs to the end while another process sends this one real SIGINTs
    (Ctrl-C) at random moments (``--sigint-every`` ms on average after each
    run() call has started its callbacks): each pauses the run
    (KeyboardInterrupt out of run()), which is then run again. Returns the
    signals sent and the pauses seen; the result must equal a quiet run's.

    The sender is a process, not a thread: a thread needs the GIL to send,
    and the engine's loop with short callbacks can keep it for the whole run.
    One signal per run() call, sent once a callback of that call has run (a
    Ctrl-C between two run() calls is the program's own KeyboardInterrupt);
    the next only after this process has seen the pause.
    """
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SIGINT_CHILD,
            str(os.getpid()),
            str(args.sigint_every),
            str(args.sigint_seed),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None

    def tell(c: str) -> None:
        child.stdin.write(c)  # type: ignore[union-attr]
        child.stdin.flush()  # type: ignore[union-attr]

    armed = False
    on_tick = strat.on_tick

    def armed_on_tick(engine: hqt.Engine, tick: Any) -> None:
        nonlocal armed
        if not armed:
            armed = True
            tell("A")
        on_tick(engine, tick)

    strat.on_tick = armed_on_tick  # type: ignore[method-assign]
    pauses = 0
    first = True
    while True:
        try:
            e.run(strat, resume=resume and first)
            break
        except KeyboardInterrupt:
            first = False
            if not e.is_paused:
                break  # the Ctrl-C came after the run had completed
            pauses += 1
            armed = False
            tell("P")
    # The last signal may still be on its way: ignore it from here. Catching
    # it instead is not enough: a KeyboardInterrupt inside communicate()
    # leaves the Popen half set up, and calling communicate() again raises
    # AttributeError ('_fileobj2output'). A signal already caught but not yet
    # handled is dropped too (CPython skips handlers that are SIG_IGN).
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    del strat.on_tick
    try:
        try:
            tell("D")
        except (BrokenPipeError, ValueError):
            pass
        out = child.communicate(timeout=30)[0]
        return int(out.strip() or 0), pauses
    finally:
        signal.signal(signal.SIGINT, previous)


def resume_index(rep: Any) -> int:
    """The index of the first tick the recovered state has not processed.

    The engine numbers events from 1 in processing order, and this driver
    processes nothing but ``ticks[0], ticks[1], ...``, so event k is
    ``ticks[k - 1]``. Recovery leaves the state after event
    ``E = report.events_processed`` = max(events of the checkpoint, event of
    the last record applied), and that event is complete:

    * a checkpoint is only written between events;
    * if the last record in the log was written inside an event (phase other
      than BETWEEN), recovery discards *all* of that event's records, so the
      last record applied belongs to an earlier event, which was finished
      (a later event had started);
    * if the last record is BETWEEN, it was written after event E finished.

    Event E + 1 is not in the state: either its records were discarded, or
    it (and maybe more events after it) wrote no records at all, which means
    it changed nothing in the ledger and processing it again does the same.
    So the next tick to feed is ``ticks[E]`` (0-based), and nothing before it
    may be fed again: that would apply its deals twice.

    Without loaded data the engine cannot re-walk the events between the
    checkpoint and E, so the quotes, drawdown and equity samples of those
    events are not rebuilt (docs/wal-records.md section 4): the ledger
    (deals, balance, positions, orders) is exact, and the equity is exact
    again from the first tick fed after the resume on.
    """
    return int(rep.events_processed)


def ledger(e: hqt.Engine) -> dict[str, Any]:
    """The trading state, without what depends on the last quote (floating profit)."""
    return {
        "balance": e.balance_micro,
        "deals": [d._astuple() for d in e.deals],
        "positions": [p[:9] + p[10:] for p in e._positions()],
        "orders": e._orders(),
        "order_history": e._order_history(),
        "trades": e._trades(),
    }


def check_resume_state(
    e: hqt.Engine,
    t: np.ndarray,
    bid: np.ndarray,
    ask: np.ndarray,
    start: int,
    engine_bars: bool = False,
) -> None:
    """Exits with status 3 unless the recovered state is that of `start` ticks processed.

    A fresh engine without a log processes ``ticks[:start]``; its ledger must
    equal the recovered one. This proves the resume index exactly (resuming
    one tick early would apply that tick's deals twice, one tick late would
    lose them), including when the last events wrote no records.
    """
    e2, s2 = make_engine()
    strat: Kill9Strategy
    if engine_bars:
        strat = Kill9Strategy(s2)
        e2.build_bars(s2, hqt.M1)
    else:
        strat = EventsStrategy(s2)
    strat.on_start(e2)
    for i in range(start):
        e2.process_event(hqt.Tick.from_micro(s2, int(t[i]), int(bid[i]), int(ask[i])), strat)
    want, got = ledger(e2), ledger(e)
    if want != got:
        bad = [k for k in want if want[k] != got[k]]
        print(
            f"RESUME CHECK FAILED: the recovered state is not that of {start} ticks "
            f"processed; differs in {bad}",
            file=sys.stderr,
        )
        for k in bad:
            print(
                f"  {k}: recovered {len(got[k]) if isinstance(got[k], list) else got[k]} "
                f"vs {len(want[k]) if isinstance(want[k], list) else want[k]}",
                file=sys.stderr,
            )
        sys.exit(3)
    e2.dispose()


def drive_events(args: argparse.Namespace, info: dict[str, Any]) -> hqt.Engine:
    t, bid, ask = make_ticks(args.ticks)
    e, s = make_engine()
    strat: Kill9Strategy
    if args.engine_bars:
        # bars built by the engine from the processed ticks (requested before
        # enable_wal, so that the first checkpoint holds the request)
        strat = Kill9Strategy(s, stop_sleep=args.stop_sleep, die_in_stop=args.die_in_stop)
        e.build_bars(s, hqt.M1)
    else:
        strat = EventsStrategy(s, stop_sleep=args.stop_sleep, die_in_stop=args.die_in_stop)
    rep = open_wal(e, args, info)
    start = 0 if rep is None else resume_index(rep)
    info["resume_index"] = start
    if start and args.check_resume and start < len(t):
        # (at len(t) the log may also hold part of the final close-out, which
        # is no tick's; the final result shows whether that resumed right)
        check_resume_state(e, t, bid, ask, start, args.engine_bars)
    strat.on_start(e)
    if start:
        # warm-up: the strategy sees the data before the resume point, without trading
        strat.warming = True
        lo = max(0, start - strat.warmup)
        if args.engine_bars:
            # the bars the engine delivered among ticks[:start]: every minute
            # before the one of ticks[start - 1]; only their closes matter
            last = int(t[start - 1]) // MIN
            closes = {
                int(ti) // MIN: int(b) for ti, b in zip(t[lo:start], bid[lo:start], strict=False)
            }
            for minute in sorted(x for x in closes if x < last):
                strat.bar_closed(e, minute * MIN, closes[minute])
        else:
            for i in range(lo, start):
                strat.on_tick(e, hqt.Tick.from_micro(s, int(t[i]), int(bid[i]), int(ask[i])))
        strat.warming = False
    info["t_run"] = time.time()
    print("RUN", flush=True, file=sys.stderr)
    tl, bl, al = t.tolist(), bid.tolist(), ask.tolist()
    Tick = hqt.Tick.from_micro
    pe = e.process_event
    die_at = args.die_at_tick
    progress = Progress(0, len(tl))
    step = max(len(tl) // 100, 1)
    for i in range(start, len(tl)):
        pe(Tick(s, tl[i], bl[i], al[i]), strat)
        if i == die_at:
            die()
        if i % step == 0:
            progress.at(i)
    # end of the backtest (the last, unfinished minute is not a bar)
    strat.close_out(e)
    return e


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("driver", choices=("run", "events", "stateful"))
    ap.add_argument("log", help="WAL file (recovered from if it holds records)")
    ap.add_argument("--sync", default="batch", choices=("always", "batch", "none"))
    ap.add_argument(
        "--ticks",
        type=int,
        default=None,
        help="number of ticks (default 200000 for run, 100000 for events)",
    )
    ap.add_argument("--checkpoint-every", type=int, default=2000)
    ap.add_argument("--stop-sleep", type=float, default=0.0)
    ap.add_argument("--no-wal", action="store_true")
    ap.add_argument(
        "--check-resume",
        action="store_true",
        help="events driver: check the recovered state against a fresh engine "
        "that processed exactly the ticks before the resume index",
    )
    ap.add_argument(
        "--engine-bars",
        action="store_true",
        help="events driver: M1 bars built by the engine (build_bars + "
        "process_event) instead of by the strategy",
    )
    ap.add_argument(
        "--die-at-tick",
        type=int,
        default=-1,
        help="events driver: SIGKILL itself right after processing tick K",
    )
    ap.add_argument(
        "--die-in-stop",
        action="store_true",
        help="SIGKILL itself at the start of on_stop / the final close-out",
    )
    ap.add_argument(
        "--start-deposits", action="store_true", help="run driver: two deposits in on_start"
    )
    ap.add_argument(
        "--sigint-every",
        type=float,
        default=0.0,
        help="run/stateful drivers: send this process SIGINT (Ctrl-C) every MS ms on "
        "average (random intervals) and run() again after each pause",
    )
    ap.add_argument("--sigint-seed", type=int, default=1, help="seed of the SIGINT intervals")
    ap.add_argument(
        "--die-in-start",
        action="store_true",
        help="run driver, with --start-deposits: SIGKILL itself between them",
    )
    args = ap.parse_args(argv)
    if args.ticks is None:
        args.ticks = 100_000 if args.driver == "events" else 200_000
    info: dict[str, Any] = {"t_start": time.time(), "pid": os.getpid()}
    e = (drive_events if args.driver == "events" else drive_run)(args, info)
    info["t_end"] = time.time()
    print("END", flush=True, file=sys.stderr)
    if not args.no_wal:
        e.disable_wal()  # final checkpoint
    out = result(e)
    if "strategy" in info:
        # the strategy's own counters: part of what must come out the same
        out["strategy"] = info.pop("strategy")
    out["info"] = info
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
