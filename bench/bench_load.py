"""Loading speed and memory (issue 10, item 6).

For each size and source, one fresh subprocess loads N ticks of one symbol
into an engine and reports the load's wall time, ticks/s and peak RSS above
the RSS just before the load (VmHWM after resetting it, /proc/self/clear_refs),
as a multiple of the loaded data (N x 24 bytes: time, bid, ask as int64).

  numpy    a plain numpy copy of the same three float64 arrays: the memory-speed
           reference (what "loading at memory speed" is compared with)
  f64      Engine.load_ticks(symbol, time_ns, bid, ask), float64 prices
  micro    Engine.load_ticks_micro(symbol, time_ns, bid, ask), int64 micro units
  csv      Engine.load_csv(symbol, path), a plain ``time,bid,ask`` file
  parquet  Engine.load_parquet(symbol, path) (needs pyarrow)

For the array sources the arrays exist before the baseline is taken (they are
the caller's); for the files only the file exists. Targets (issue 10): peak
extra RSS <= 1.2x the loaded data, and >= 100 M ticks/s from float64 arrays.

    python3 bench/bench_load.py [--sizes 20000000,80000000]
        [--sources numpy,f64,micro,csv,parquet] [--repeat 1] [--dir DIR] [--json FILE]

The CSV and Parquet files are written once per size into --dir (default: a
temporary directory, removed at the end; 80M ticks make a 3.7 GB CSV file).
Public Python API only, so the same script measures an older build
(PYTHONPATH=<tree>/python).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_700_000_000 * 10**9
SOURCES = ("numpy", "f64", "micro", "csv", "parquet")
TARGET_RATE = 100e6  # ticks/s from float64 arrays
TARGET_PEAK = 1.2  # peak extra RSS / loaded data


def _import_hqt():  # noqa: ANN202
    if importlib.util.find_spec("hqt") is None:  # PYTHONPATH wins: measures another build
        sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import hqt

    return hqt


def make_ticks(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n ticks, 10 per second, a random walk around 1.1 with a 2-point spread."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.int64) * 100_000_000 + T0
    bid = np.round(1.1 + np.cumsum(rng.normal(0.0, 0.00001, n)), 5)
    ask = bid + 0.00002
    return t, bid, ask


def _status(key: str) -> int:
    """A /proc/self/status size in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _reset_peak() -> None:
    # "5" resets VmHWM to the current RSS (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


# ---- one case, in a fresh process -----------------------------------------------------------


def _warm(nbytes: int) -> None:
    """Touches and frees `nbytes` (in 160 MB arrays, as numpy does: huge pages).

    On a virtual machine, memory the guest has never touched is slow to
    touch the first time (the host backs it then): a fresh process would
    measure that, at random, rather than the load. Done before the baseline.
    """
    block = 20_000_000
    parts = [np.ones(block) for _ in range(max(1, nbytes // (8 * block)))]
    del parts


def run_case(source: str, n: int, path: str, warm: bool) -> dict[str, float]:
    hqt = _import_hqt()
    e = hqt.Engine(1_000_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    args: tuple[np.ndarray, ...] = ()
    if source in ("numpy", "f64", "micro"):
        t, bid, ask = make_ticks(n)
        if source == "micro":
            bid = np.rint(bid * 1e6).astype(np.int64)
            ask = np.rint(ask * 1e6).astype(np.int64)
        args = (t, bid, ask)
    load = {
        "numpy": lambda: [x.copy() for x in args],
        "f64": lambda: e.load_ticks(s, *args),
        "micro": lambda: e.load_ticks_micro(s, *args),
        "csv": lambda: e.load_csv(s, path, format="plain_ticks"),
        "parquet": lambda: e.load_parquet(s, path, "ticks"),
    }[source]
    if source in ("csv", "parquet"):
        # their code, ~60-100 MB, is not the data's memory
        import pyarrow.csv  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    if warm:  # last, so that the memory the load gets is the memory just freed
        _warm(2 * 24 * n)
    _reset_peak()
    base = _status("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    kept = load()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status("VmHWM")
    held = _status("VmRSS")
    loaded = n if source == "numpy" else e.pending_events
    del kept
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "ticks": float(loaded),
        "peak_extra": float(peak - base),
        "held_extra": float(held - base),
    }


# ---- files -------------------------------------------------------------------------------


def write_files(n: int, folder: str, sources: list[str]) -> dict[str, str]:
    """The CSV and Parquet files of n ticks (written by a subprocess: its memory is freed)."""
    paths = {
        "csv": os.path.join(folder, f"ticks_{n}.csv"),
        "parquet": os.path.join(folder, f"ticks_{n}.parquet"),
    }
    need = [k for k in ("csv", "parquet") if k in sources and not os.path.exists(paths[k])]
    if need:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--write",
                str(n),
                "--dir",
                folder,
                "--sources",
                ",".join(need),
            ],
            check=True,
        )
    return paths


def _write(n: int, folder: str, sources: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    t, bid, ask = make_ticks(n)
    table = pa.table({"time": t, "bid": bid, "ask": ask})
    if "parquet" in sources:
        pq.write_table(table, os.path.join(folder, f"ticks_{n}.parquet"))
    if "csv" in sources:
        with open(os.path.join(folder, f"ticks_{n}.csv"), "wb") as fh:
            fh.write(b"time,bid,ask\n")  # pyarrow would quote the names
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False))


# ---- driver ------------------------------------------------------------------------------


def _child(source: str, n: int, path: str, warm: bool) -> dict[str, float]:
    warm_arg = [] if warm else ["--cold"]
    out = subprocess.run(
        [sys.executable, __file__, "--case", source, "--n", str(n), "--path", path, *warm_arg],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="20000000,80000000")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is shown")
    ap.add_argument("--dir", default=None, help="where the CSV/Parquet files go (kept)")
    ap.add_argument("--json", default=None)
    ap.add_argument(
        "--cold",
        action="store_true",
        help="skip touching 2x the data's memory before each case (see _warm)",
    )
    ap.add_argument("--case", help=argparse.SUPPRESS)
    ap.add_argument("--write", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--path", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    sources = [s for s in a.sources.split(",") if s]
    if a.case:
        print(json.dumps(run_case(a.case, a.n, a.path, not a.cold)))
        return
    if a.write:
        _write(a.write, a.dir, sources)
        return
    unknown = set(sources) - set(SOURCES)
    if unknown:
        ap.error(f"unknown sources {sorted(unknown)}; from {', '.join(SOURCES)}")
    hqt = _import_hqt()
    print(f"hqt {hqt.__version__} from {os.path.dirname(hqt.__file__)}")
    print("memory touched and freed before each case" if not a.cold else "cold: no warm-up")
    print(
        f"targets: f64 >= {TARGET_RATE / 1e6:.0f} M ticks/s; peak extra RSS <= {TARGET_PEAK}x "
        "the loaded data (N x 24 bytes)"
    )
    tmp = None
    folder = a.dir
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="hqt-bench-load-")
        folder = tmp.name
    results = []
    try:
        print(
            f"{'ticks':>11} {'source':>8} {'seconds':>8} {'M ticks/s':>10} {'cpu s':>7} "
            f"{'peak extra':>11} {'x data':>7} {'held':>7}  vs numpy copy"
        )
        for n in (int(x) for x in a.sizes.split(",")):
            paths = write_files(n, folder, sources)
            data = 24 * n
            ref = None
            for src in sources:
                runs = [
                    _child(src, n, paths.get(src, ""), not a.cold) for _ in range(max(1, a.repeat))
                ]
                r = min(runs, key=lambda x: x["seconds"])
                if src == "numpy":
                    ref = r["seconds"]
                rate = r["ticks"] / r["seconds"]
                rel = f"{r['seconds'] / ref:6.1f}x time" if ref and src != "numpy" else ""
                print(
                    f"{n:>11,} {src:>8} {r['seconds']:8.3f} {rate / 1e6:10.1f} {r['cpu_seconds']:7.3f} "
                    f"{r['peak_extra'] / 2**20:8.0f} MB {r['peak_extra'] / data:6.2f}x "
                    f"{r['held_extra'] / data:6.2f}x  {rel}",
                    flush=True,
                )
                results.append({"ticks": n, "source": src, **r, "data_bytes": data, "runs": runs})
                if len(runs) > 1:  # the machine's noise: the spread of what is shown
                    secs = [x["seconds"] for x in runs]
                    peaks = [x["peak_extra"] / data for x in runs]
                    print(
                        f"{'':>20} {len(runs)} runs: {min(secs):.3f}-{max(secs):.3f} s, "
                        f"peak {min(peaks):.2f}-{max(peaks):.2f}x"
                    )
    finally:
        if tmp is not None:
            tmp.cleanup()
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
