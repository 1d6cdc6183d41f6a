"""Before/after benchmark of two HQT trees, in one run (see bench/README.md).

    bench/compare.sh [BASE_TREE] [NEW_TREE] [options]
    python3 bench/compare.py --base /work/baseline --new . [options]

Each round runs, for the base tree and then the new tree (rounds alternate
base, new, base, new, ... so both share the machine's noise):

  engine  bench/engine/bench_engine.py with PYTHONPATH=<tree>/python
          (so <tree>/python/hqt/_hqt*.so and the libhqt.so next to it; the JSON the
          script writes says which package it imported, and that is checked)
  io      <tree>/.build/release/hqt-engine-bench (built from that tree's source)
  race    bench/race/race.py --only hqt, PYTHONPATH=<tree>/python

The Python scripts are the same for both trees: those of the checkout this
compare.py belongs to (--scripts), so that an old tree is measured with the
new sections too (they use the public Python API only).

Every figure's best round counts (the highest rate; the lowest time). The table
shows base, new and new/base for the wall-clock figure and, where the script
reports it, for the CPU-time figure (steadier on a shared machine), flagging a
ratio outside 1 ± --tolerance.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("engine", "io", "race")
IO_RATE = re.compile(r"^(\S.*?)\s{2,}([0-9.]+)\s+M ticks/s")
IO_CHECKPOINT = re.compile(r"one checkpoint .*: ([0-9.]+) ms")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def env_for(tree: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(tree, "python")
    env.pop("LD_LIBRARY_PATH", None)  # libhqt.so is found next to the extension (rpath $ORIGIN)
    env["TQDM_DISABLE"] = "1"
    return env


def run(cmd, env=None, timeout=1800) -> str:
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"
        )
    return p.stdout


def check_package(doc: dict, tree: str, what: str) -> None:
    want = os.path.realpath(os.path.join(tree, "python", "hqt"))
    got = os.path.realpath(doc.get("hqt_path", ""))
    if got != want:
        raise RuntimeError(f"{what} imported hqt from {got}, expected {want}")


def engine_figures(tree: str, new: str, args) -> dict:
    """{key: (label, rate, cpu_rate, unit, higher_is_better)}"""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        cmd = [
            sys.executable,
            os.path.join(new, "bench", "engine", "bench_engine.py"),
            "--ticks",
            str(args.ticks),
            "--positions-ticks",
            str(args.positions_ticks),
            "--repeat",
            str(args.repeat),
            "--sections",
            args.sections,
            "--json",
            out,
        ]
        run(cmd, env_for(tree))
        with open(out) as fh:
            doc = json.load(fh)
    finally:
        os.unlink(out)
    check_package(doc, tree, "bench_engine.py")
    return {
        f"engine {k}": (f["label"], f["rate"], f["cpu_rate"], "M ticks/s", True)
        for k, f in doc["figures"].items()
    }


def io_figures(tree: str, args) -> dict:
    exe = os.path.join(tree, ".build", "release", "hqt-engine-bench")
    if not os.access(exe, os.X_OK):
        log(f"  (no {exe}: build it with swift build -c release --product hqt-engine-bench)")
        return {}
    figures = {}
    for line in run([exe, str(args.io_ticks)]).splitlines():
        m = IO_RATE.match(line)
        if m:
            label = m.group(1).strip()
            figures[f"io {label}"] = (label, float(m.group(2)) * 1e6, None, "M ticks/s", True)
            continue
        m = IO_CHECKPOINT.search(line)
        if m:
            figures["io checkpoint"] = (
                "one checkpoint (ms, lower is better)",
                float(m.group(1)),
                None,
                "ms",
                False,
            )
    return figures


def race_figures(tree: str, new: str, args) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        cmd = [
            sys.executable,
            os.path.join(new, "bench", "race", "race.py"),
            "--only",
            "hqt",
            "--repeat",
            str(args.race_repeat),
            "--bars",
            str(args.race_bars),
            "--json",
            out,
        ]
        run(cmd, env_for(tree))
        with open(out) as fh:
            doc = json.load(fh)
    finally:
        os.unlink(out)
    check_package(doc, tree, "race.py")
    if not doc.get("trades_agree", True):
        log(f"  warning: race.py in {tree}: trades do not agree")
    return {
        f"race {name}": (f"race {name}", f["rate"], f["cpu_rate"], "M bars/s", True)
        for name, f in doc["figures"].items()
    }


def better(a, b, higher):
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b) if higher else min(a, b)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--base", default="/work/baseline", help="base tree (default /work/baseline)")
    ap.add_argument(
        "--new", default=os.path.dirname(HERE), help="new tree (default: this repository)"
    )
    ap.add_argument(
        "--scripts",
        default=os.path.dirname(HERE),
        help="checkout whose bench/engine and bench/race scripts run (default: this one)",
    )
    ap.add_argument(
        "--rounds", type=int, default=5, help="rounds; each figure's best counts (default 5)"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="bench_engine.py --repeat: runs per figure inside each round (default 3)",
    )
    ap.add_argument("--race-repeat", type=int, default=1, help="race.py --repeat (default 1)")
    ap.add_argument(
        "--order",
        choices=("abab", "abba"),
        default="abba",
        help="abab: base first in every round; abba (default): base first in odd "
        "rounds, new first in even ones (cancels a load that drifts during the run)",
    )
    ap.add_argument(
        "--only", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}"
    )
    ap.add_argument(
        "--ticks", type=int, default=2_000_000, help="bench_engine.py --ticks (default 2,000,000)"
    )
    ap.add_argument(
        "--positions-ticks",
        type=int,
        default=300_000,
        help="bench_engine.py --positions-ticks (default 300,000)",
    )
    ap.add_argument(
        "--sections", default="single,cloop,portfolio,positions", help="bench_engine.py --sections"
    )
    ap.add_argument(
        "--io-ticks",
        type=int,
        default=500_000,
        help="hqt-engine-bench ticks (default 500,000; its sync=always case does one fsync per 100)",
    )
    ap.add_argument(
        "--race-bars", type=int, default=1_000_000, help="race.py --bars (default 1,000,000)"
    )
    ap.add_argument(
        "--tolerance", type=float, default=0.05, help="flag ratios outside 1 ± this (default 0.05)"
    )
    ap.add_argument("--json", metavar="FILE", help="write every round's figures as JSON to FILE")
    args = ap.parse_args()
    base, new = os.path.realpath(args.base), os.path.realpath(args.new)
    scripts = os.path.realpath(args.scripts)
    kinds = [k.strip() for k in args.only.split(",") if k.strip()]
    for k in kinds:
        if k not in KINDS:
            ap.error(f"unknown benchmark {k!r}")
    trees = [("base", base), ("new", new)]
    for _, tree in trees:
        if not os.path.isdir(os.path.join(tree, "python", "hqt")):
            ap.error(f"{tree}: no python/hqt (build the tree with scripts/build.sh)")

    rounds: list[dict] = []  # per round: {side: {key: figure}}
    order: list[str] = []  # keys, first-seen order
    meta: dict[str, tuple] = {}
    start = time.time()
    for r in range(args.rounds):
        this = {}
        for side, tree in trees[::-1] if args.order == "abba" and r % 2 else trees:
            t0 = time.time()
            figs = {}
            if "engine" in kinds:
                figs.update(engine_figures(tree, scripts, args))
            if "io" in kinds:
                figs.update(io_figures(tree, args))
            if "race" in kinds:
                figs.update(race_figures(tree, scripts, args))
            for k, f in figs.items():
                if k not in meta:
                    order.append(k)
                    meta[k] = (f[0], f[3], f[4])
            this[side] = figs
            load = os.getloadavg()[0]
            log(f"round {r + 1}/{args.rounds} {side:4s} {time.time() - t0:5.1f} s  load {load:.1f}")
        rounds.append(this)

    def best(side, k, i):
        v = None
        for rd in rounds:
            f = rd[side].get(k)
            if f is not None and f[i] is not None:
                v = better(v, f[i], meta[k][2])
        return v

    def spread(side, k):
        """(max - min) / best over the rounds: the round-to-round noise of a figure."""
        vals = [rd[side][k][1] for rd in rounds if k in rd[side]]
        return (max(vals) - min(vals)) / max(vals) if len(vals) > 1 and max(vals) else None

    tol = args.tolerance

    def ratio(b, n, higher):
        if b is None or n is None or b == 0:
            return "", ""
        x = n / b
        flag = ""
        if x > 1 + tol:
            flag = "faster" if higher else "slower"
        elif x < 1 - tol:
            flag = "slower" if higher else "faster"
        return f"{x:.3f}", flag

    def fmt(v, unit):
        if v is None:
            return "-"
        if unit == "ms":
            return f"{v:.3f}"
        return f"{v / 1e6:.1f}" if v >= 10e6 else f"{v / 1e6:.3f}"

    load = os.getloadavg()
    print(
        f"base: {base}\nnew:  {new}\nscripts: {scripts}/bench\n{args.rounds} rounds "
        f"({args.order}; bench_engine x{args.repeat}, race x{args.race_repeat}), best counts; "
        f"engine ticks {args.ticks:,} (positions {args.positions_ticks:,}), io ticks {args.io_ticks:,}, "
        f"race bars {args.race_bars:,}; {time.time() - start:.0f} s; load average now "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; flag: ratio outside 1 ± {tol:g}"
    )
    head = (
        f"{'figure':58s} {'unit':>9s} {'base':>8s} {'new':>8s} {'new/base':>8s} {'':6s} "
        f"{'base CPU':>8s} {'new CPU':>8s} {'CPU n/b':>8s} {'':6s} {'spread b/n':>11s}"
    )
    print(head)
    print("-" * len(head))
    section = None
    for k in order:
        label, unit, higher = meta[k]
        sec = k.split(" ")[0] + (
            " " + k.split(" ")[1].split(".")[0] if k.startswith("engine") else ""
        )
        if section is not None and sec != section:
            print()
        section = sec
        bw, nw = best("base", k, 1), best("new", k, 1)
        bc, nc = best("base", k, 2), best("new", k, 2)
        rw, fw = ratio(bw, nw, higher)
        rc, fc = ratio(bc, nc, higher)
        sb, sn = spread("base", k), spread("new", k)
        sp = "" if sb is None or sn is None else f"{sb * 100:4.0f}%/{sn * 100:3.0f}%"
        name = label if k.startswith("race") else k.split(" ", 1)[0] + " " + label
        print(
            f"{name[:58]:58s} {unit:>9s} {fmt(bw, unit):>8s} {fmt(nw, unit):>8s} {rw:>8s} {fw:6s} "
            f"{fmt(bc, unit):>8s} {fmt(nc, unit):>8s} {rc:>8s} {fc:6s} {sp:>11s}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "base": base,
                    "new": new,
                    "args": vars(args),
                    "rounds": [
                        {s: {k: list(v) for k, v in rd[s].items()} for s in rd} for rd in rounds
                    ],
                },
                fh,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
