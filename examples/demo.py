"""The main job: a demo backtest that broadcasts and logs.

1. Generates a tick file (data/EURUSD_ticks.csv, plain ``time,bid,ask``) if it
   is not there, and loads it through the CSV loader.
2. Runs an SMA(10)/SMA(30) crossover on M1 bars built from the ticks, with a
   stop loss and take profit on every position, while
   - every event goes out on a ZeroMQ PUB socket, watched by hqt.mirror.Mirror
     in a background thread: a pure-Python subscriber slower than the engine
     that loses ticks (and says exactly which, from the sequence numbers) but
     gets every missed trade, order and position back from the replay
     endpoint, ending with exactly the engine's deals, and
   - every trading operation is written to a write-ahead log first.
3. Prints the statistics, the broadcast counters and what the log holds.

    python3 examples/demo.py [--ticks 500000] [--endpoint tcp://127.0.0.1:*]
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import hqt  # noqa: E402
import hqt.wal_records  # noqa: E402,F401  (names and decodes the engine's record types)
from hqt import wal  # noqa: E402
from hqt.mirror import Mirror  # noqa: E402


def write_ticks(path: str, n: int, seed: int = 2024) -> None:
    """A seeded random walk, ~10 ticks a second, written as ``time,bid,ask``."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-02T00:00:00", "ns").astype(np.int64)
    time_ns = start + np.cumsum(rng.integers(20_000_000, 180_000_000, n)).astype(np.int64)
    bid = np.round(1.10 + np.cumsum(rng.normal(0.0, 0.00004, n)), 5)
    spread = np.round(rng.choice([0.00001, 0.00002, 0.00003], n), 5)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("time,bid,ask\n")
        for t, b, s in zip(time_ns.tolist(), bid.tolist(), spread.tolist(), strict=False):
            f.write(f"{t},{b:.5f},{b + s:.5f}\n")


class SmaCross(hqt.Strategy):
    """Always in the market: long when SMA(fast) > SMA(slow), short otherwise."""

    def __init__(self, symbol: int, fast: int = 10, slow: int = 30, volume: float = 0.1) -> None:
        self.symbol, self.fast, self.slow, self.volume = symbol, fast, slow, volume
        self.closes: collections.deque[float] = collections.deque(maxlen=slow)
        self.side = 0

    def on_start(self, engine: hqt.Engine) -> None:
        engine.build_bars(self.symbol, hqt.M1)

    def on_bar(self, engine: hqt.Engine, bar: hqt.Bar) -> None:
        self.closes.append(bar.close)
        if len(self.closes) < self.slow:
            return
        fast = sum(list(self.closes)[-self.fast :]) / self.fast
        slow = sum(self.closes) / self.slow
        want = 1 if fast > slow else -1
        if want == self.side:
            return
        for p in engine.positions:
            engine.close(p.ticket)
        price = bar.close
        if want > 0:
            engine.buy(
                self.symbol, self.volume, sl=round(price - 0.0030, 5), tp=round(price + 0.0060, 5)
            )
        else:
            engine.sell(
                self.symbol, self.volume, sl=round(price + 0.0030, 5), tp=round(price - 0.0060, 5)
            )
        self.side = want


def listen(endpoint: str, replay: str, out: dict, ready: threading.Event) -> None:
    """Mirrors the run until its end (SESSION run end), repairing gaps."""
    m = Mirror(endpoint, replay, timeout=10.0)
    ready.set()
    out["mirror"] = m.run()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ticks", type=int, default=500_000)
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:*")
    ap.add_argument("--wal", default=os.path.join(ROOT, "data", "demo.wal"))
    args = ap.parse_args()

    path = os.path.join(ROOT, "data", f"EURUSD_ticks_{args.ticks}.csv")
    if not os.path.exists(path):
        print(f"generating {args.ticks:,} ticks -> {os.path.relpath(path, ROOT)}")
        write_ticks(path, args.ticks)

    engine = hqt.Engine(10_000.0, "USD", 100)
    eurusd = engine.add_symbol("EURUSD", commission_per_lot=3.5)
    t0 = time.perf_counter()
    engine.load_csv(eurusd, path)
    print(f"loaded {os.path.relpath(path, ROOT)} in {time.perf_counter() - t0:.2f} s")

    engine.enable_broadcasting(
        args.endpoint, wait_subscribers=1, wait_timeout=5.0, replay_endpoint="tcp://127.0.0.1:*"
    )
    endpoint = engine.broadcast_endpoint.replace("0.0.0.0", "127.0.0.1")
    out: dict = {}
    ready = threading.Event()
    listener = threading.Thread(
        target=listen, args=(endpoint, engine.replay_endpoint, out, ready), daemon=True
    )
    listener.start()
    ready.wait(5.0)
    engine.enable_wal(args.wal, truncate=True, sync="batch")

    t0 = time.perf_counter()
    engine.run(SmaCross(eurusd))
    elapsed = time.perf_counter() - t0
    engine.disable_wal()
    stats_b = engine.broadcast_stats()
    listener.join(30.0)
    m = out.get("mirror")
    same = m is not None and [(d.ticket, d.price, d.volume) for d in m.deals] == [
        (d.ticket, d.price_micro, d.volume_micro) for d in engine.deals
    ]
    engine.disable_broadcasting()

    print(
        f"\nran {args.ticks:,} ticks in {elapsed:.2f} s ({args.ticks / elapsed / 1e6:.1f} M ticks/s)\n"
    )
    print(engine.statistics())
    print(
        f"\nbroadcast on {endpoint}: sent {stats_b.total_sent:,} frames, dropped {stats_b.total_dropped:,}"
    )
    for t, (name, c) in enumerate(stats_b.topics.items()):
        got = "" if m is None else f"  received {m.received[t]:>9,}  repaired {m.repaired[t]:>6,}"
        print(f"  {name:9s} sent {c.sent:>9,}{got}")
    if m is not None:
        print(
            f"  hqt.mirror.Mirror (pure Python, slower than the engine, which never waits): lost "
            f"{m.lost_tick_count:,} ticks, each one known from the sequence numbers; "
            + (
                "every missed trade, order and position came back from the replay endpoint: "
                "its deals equal engine.deals"
                if same
                else "ITS DEALS DIFFER FROM engine.deals (a bug: please report it)"
            )
        )
    log = wal.read_log(args.wal)
    kinds = collections.Counter(r.type_name for r in log.records)
    print(
        f"\nwrite-ahead log {os.path.relpath(args.wal, ROOT)}: {len(log.records)} records {dict(kinds)}"
    )


if __name__ == "__main__":
    main()
