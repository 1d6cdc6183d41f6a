"""Engine throughput, measured side by side in one run (issues 2 and 8).

Prints ticks/second for run() over N generated ticks:

  single     one symbol: (a) no strategy, (b) one open position whose SL/TP is
             checked on every tick, (c) a Python on_tick strategy that does
             nothing, (d) a Python on_bar strategy on M1 bars built from the ticks
  cloop      a plain C loop doing (b)'s position update over the same ticks
             (the ceiling; the "vs C loop" column needs it)
  portfolio  run(), no strategy, the N ticks spread over 1, 2, 4, 28 and 100
             symbols, interleaved in time (symbol k gets ticks k, k+S, k+2S, ...);
             every symbol is its own pair QAAUSD, QABUSD, ... (profit currency
             USD = the account's, so no conversion)
  positions  run(), no strategy, one symbol with 0, 1, 10, 100 and 1,000
             positions held (opened before the run, SL/TP far away: every one
             is checked on every tick, none closes)
  strategies one strategy checking positions and account every tick and
             trading every ~1,000 ticks, in Python, numba and C, a C
             buy-when-flat, and the plain C loop of the same strategy (its
             "vs C loop" column); plus ns per native state read (issue 13;
             see strategies_bench.py)

    python3 bench/engine/bench_engine.py [--ticks 10000000] [--repeat 3]
        [--sections single,cloop,portfolio,positions] [--symbols 1,2,4,28,100]
        [--positions 0,1,10,100,1000] [--positions-ticks N] [--json FILE]

Public Python API only, so the same script measures an older build: the hqt
package is imported from PYTHONPATH when it is there (e.g.
PYTHONPATH=/work/baseline/python), else from this repository's python/.
Timing: wall clock, best of --repeat; the CPU time of the same best-CPU run
is reported too (steadier on a shared machine: a process waiting for a CPU
does not accumulate it).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if (
    importlib.util.find_spec("hqt") is None
):  # PYTHONPATH wins: lets compare.sh point at another build
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hqt  # noqa: E402

SECTIONS = ("single", "cloop", "portfolio", "positions", "strategies")
T0 = 1_700_000_000 * 10**9

#: targets from the issues, in ticks/s (None: no target)
TARGETS = {
    "single.a": 50e6,
    "single.b": 50e6,
    "single.c": 5e6,
    "portfolio.2": 100e6,
    "portfolio.28": 50e6,
    "positions.1000": 50e6,
    "strategies.python": 10e6,
    "strategies.numba": 50e6,
    "strategies.c_flat": 60e6,
}


def make_ticks(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.int64) * 100_000_000 + T0  # 10 ticks/s
    bid = np.round(1.1 + np.cumsum(rng.normal(0.0, 0.00001, n)), 5)
    ask = bid + 0.00002
    return t, bid, ask


def engine_with(t, bid, ask, position: bool, bars: bool) -> hqt.Engine:
    e = hqt.Engine(1_000_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    if bars:
        e.build_bars(s, hqt.M1)
    e.load_ticks(s, t[:1], bid[:1], ask[:1])
    e.run(progress=False)
    if position:
        # SL/TP far enough never to trigger: every tick is checked, none closes.
        e.buy(s, 0.1, sl=float(bid[0]) - 0.5, tp=float(bid[0]) + 0.5)
    e.load_ticks(s, t[1:], bid[1:], ask[1:])
    return e


class NoOpTick(hqt.Strategy):
    def on_tick(self, engine, tick):
        pass


class NoOpBar(hqt.Strategy):
    def on_bar(self, engine, bar):
        pass


def best_of(repeat: int, setup, ticks: int, check=None, strategy=None) -> tuple[float, float]:
    """(best wall-clock rate, best CPU-time rate) of `repeat` runs of a fresh engine."""
    best = best_cpu = 0.0
    for _ in range(repeat):
        e = setup()
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        e.run(strategy, progress=False)
        elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu
        if check is not None:
            check(e)
        e.dispose()
        best = max(best, ticks / elapsed)
        best_cpu = max(best_cpu, ticks / max(cpu_elapsed, 1e-9))
    return best, best_cpu


def timed_run(t, bid, ask, repeat: int, position=False, bars=False, strategy=None):
    def check(e):
        if position:
            assert len(e.positions) == 1, "the benchmark position must stay open"

    return best_of(
        repeat, lambda: engine_with(t, bid, ask, position, bars), len(t) - 1, check, strategy
    )


def symbol_names(k: int) -> list[str]:
    """QAAUSD, QABUSD, ...: 6-letter pairs, base a 3-letter code, profit currency USD."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"Q{letters[i // 26]}{letters[i % 26]}USD" for i in range(k)]


def portfolio_run(t, bid, ask, symbols: int, repeat: int):
    """The ticks dealt out round-robin over `symbols` symbols: one time line, interleaved."""
    per = len(t) // symbols
    n = per * symbols
    slices = [
        (t[k:n:symbols].copy(), bid[k:n:symbols].copy(), ask[k:n:symbols].copy())
        for k in range(symbols)
    ]

    def setup():
        e = hqt.Engine(1_000_000.0, "USD", 100)
        for name, (st, sb, sa) in zip(symbol_names(symbols), slices, strict=False):
            e.load_ticks(e.add_symbol(name), st, sb, sa)
        return e

    return best_of(repeat, setup, n)


def positions_run(t, bid, ask, count: int, repeat: int):
    """One symbol, `count` positions held through the run (hedging, SL/TP far away)."""

    def setup():
        e = hqt.Engine(1_000_000_000.0, "USD", 100)
        s = e.add_symbol("EURUSD")
        e.load_ticks(s, t[:1], bid[:1], ask[:1])
        e.run(progress=False)
        for i in range(count):
            if i % 2:
                e.sell(s, 0.01, sl=float(bid[0]) + 0.5, tp=float(bid[0]) - 0.5)
            else:
                e.buy(s, 0.01, sl=float(bid[0]) - 0.5, tp=float(bid[0]) + 0.5)
        e.load_ticks(s, t[1:], bid[1:], ask[1:])
        return e

    def check(e):
        assert len(e.positions) == count, "the benchmark positions must stay open"

    return best_of(repeat, setup, len(t) - 1, check)


def c_loop(bid_micro, ask_micro, repeat: int) -> float:
    src = os.path.join(HERE, "position_loop.c")
    out = os.path.join(tempfile.mkdtemp(prefix="hqt-bench-"), "position_loop.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", out, src], check=True)
    lib = ctypes.CDLL(out)
    lib.position_loop.restype = ctypes.c_int64
    lib.position_loop.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t] + [
        ctypes.c_int64
    ] * 5
    best = best_cpu = 0.0
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        lib.position_loop(
            bid_micro.ctypes.data,
            ask_micro.ctypes.data,
            len(bid_micro),
            int(ask_micro[0]),
            int(bid_micro[0]) - 500_000,
            int(bid_micro[0]) + 500_000,
            10_000 * 1_000_000,
            1_000_000 * 1_000_000,
        )
        best = max(best, len(bid_micro) / (time.perf_counter() - start))
        best_cpu = max(best_cpu, len(bid_micro) / max(time.process_time() - cpu, 1e-9))
    return best, best_cpu


def int_list(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--ticks", type=int, default=10_000_000, help="ticks per case (default 10,000,000)"
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per case; the fastest counts (default 3)"
    )
    ap.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, any of {','.join(SECTIONS)} (default: all)",
    )
    ap.add_argument(
        "--symbols", default="1,2,4,28,100", help="portfolio sizes (default 1,2,4,28,100)"
    )
    ap.add_argument(
        "--positions",
        default="0,1,10,100,1000",
        help="open positions held (default 0,1,10,100,1000)",
    )
    ap.add_argument(
        "--positions-ticks",
        type=int,
        default=1_000_000,
        help="ticks for the positions section (default 1,000,000, at most --ticks): "
        "with 1,000 positions today's engine does 0.2 M ticks/s",
    )
    ap.add_argument(
        "--json", metavar="FILE", help="also write the figures as JSON to FILE ('-': stdout)"
    )
    args = ap.parse_args()
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"unknown section {s!r} (choose from {', '.join(SECTIONS)})")
    out = sys.stderr if args.json == "-" else sys.stdout

    t, bid, ask = make_ticks(args.ticks)
    figures: dict[str, dict] = {}  # key -> label, rate, cpu_rate, target; in print order

    def add(key, label, rates):
        figures[key] = {
            "label": label,
            "rate": rates[0],
            "cpu_rate": rates[1],
            "target": TARGETS.get(key),
        }

    costs: dict[str, float] = {}

    c = None
    if "cloop" in sections:
        bid_micro = np.round(bid * 1e6).astype(np.int64)
        ask_micro = np.round(ask * 1e6).astype(np.int64)
        c = c_loop(bid_micro, ask_micro, args.repeat)
    if "single" in sections:
        add("single.a", "(a) run(), no strategy", timed_run(t, bid, ask, args.repeat))
        add(
            "single.b",
            "(b) one position, SL/TP checked every tick",
            timed_run(t, bid, ask, args.repeat, position=True),
        )
        add(
            "single.c",
            "(c) Python on_tick doing nothing",
            timed_run(t, bid, ask, args.repeat, strategy=NoOpTick()),
        )
        add(
            "single.d",
            "(d) Python on_bar on M1 built from ticks",
            timed_run(t, bid, ask, args.repeat, bars=True, strategy=NoOpBar()),
        )
    if c is not None:
        add("cloop", "plain C loop doing (b) (gcc -O2)", c)
    if "portfolio" in sections:
        for k in int_list(args.symbols):
            add(
                f"portfolio.{k}",
                f"portfolio: {k} symbol{'s' if k != 1 else ''}",
                portfolio_run(t, bid, ask, k, args.repeat),
            )
    if "positions" in sections:
        pn = min(args.positions_ticks, args.ticks)
        for k in int_list(args.positions):
            add(
                f"positions.{k}",
                f"positions: {k:,} held on one symbol",
                positions_run(t[:pn], bid[:pn], ask[:pn], k, args.repeat),
            )

    if "strategies" in sections:
        import strategies_bench

        costs = strategies_bench.section(t, bid, ask, args.repeat, engine_with, best_of, add)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    pt = (
        f" (positions: {min(args.positions_ticks, args.ticks):,})"
        if "positions" in sections and args.positions_ticks < args.ticks
        else ""
    )
    print(
        f"HQT {hqt.version()} ({os.path.dirname(hqt.__file__)})  ticks={args.ticks:,}{pt}  "
        f"best of {args.repeat}  load average {load:.1f}",
        file=out,
    )
    print(
        f"{'case':48s} {'ticks/s':>12s} {'CPU-time':>12s} {'vs C loop':>10s} {'target':>10s}",
        file=out,
    )
    for key, f in figures.items():
        ceiling = figures["strategies.cloop"]["rate"] if key.startswith("strategies.") else None
        ceiling = ceiling or (c[0] if c else None)
        vs_c = f"{f['rate'] / ceiling:10.3f}" if ceiling else f"{'':10s}"
        tgt = f["target"]
        mark = "" if tgt is None else (" ok" if f["rate"] >= tgt else " MISSED")
        tgt_s = f">= {tgt / 1e6:.0f} M" if tgt else ""
        print(
            f"{f['label']:48s} {f['rate'] / 1e6:10.1f} M {f['cpu_rate'] / 1e6:10.1f} M {vs_c} "
            f"{tgt_s:>10s}{mark}",
            file=out,
        )
    print(
        "targets (issues 2, 8): (a),(b) >= 50 M ticks/s; (c) >= 5 M ticks/s; 2 symbols >= 100 M; "
        "28 symbols >= 50 M; 1,000 positions on one symbol >= 50 M; "
        "C++ predecessor: 1.4 M ticks/s without strategy",
        file=out,
    )
    if costs:
        print(
            "issue 13: counter strategy Python >= 10 M, numba >= 50 M, C buy-when-flat >= 60 M "
            "ticks/s (strategies rows: 'vs C loop' is the plain C loop of the counter strategy); "
            "native reads <= 15 ns:",
            file=out,
        )
        for name, ns in costs.items():
            unit = "" if name.startswith("trades") else " ns"
            print(f"  {name:58s} {ns:8.1f}{unit}", file=out)
    if args.json:
        doc = {
            "hqt_version": hqt.version(),
            "hqt_path": os.path.dirname(hqt.__file__),
            "ticks": args.ticks,
            "positions_ticks": min(args.positions_ticks, args.ticks),
            "repeat": args.repeat,
            "load_average": load,
            "python": platform.python_version(),
            "unit": "ticks/s",
            "figures": figures,
            "native_costs_ns": costs,
        }
        if args.json == "-":
            json.dump(doc, sys.stdout, indent=1)
            print()
        else:
            with open(args.json, "w") as fh:
                json.dump(doc, fh, indent=1)


if __name__ == "__main__":
    main()
