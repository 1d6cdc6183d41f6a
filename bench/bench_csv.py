"""CSV reading speed: HQT beside pandas and pyarrow (issue 14, item 5).

Writes one file per format with N ticks (a random walk, 10 ticks/s), then
reads each in a fresh subprocess and prints rows/s and the peak RSS above
the RSS before the read (VmHWM after resetting it):

  plain       time,bid,ask with int64 ns times (the 80 MB file of the issue)
  dukascopy   Gmt time,Ask,Bid,AskVolume,BidVolume, day-first dates
  mt5_utf16   a MetaTrader 5 tick export, UTF-16 with BOM, tab-separated

Readers:
  hqt.read_csv        the whole file as numpy arrays
  hqt.load_csv        Engine.load_csv: streamed into an engine in ~1 MB batches
  pandas              pandas.read_csv (C engine; the dates parsed with format=)
  pyarrow             pyarrow.csv.read_csv (types inferred; dates left as text
                      where pyarrow cannot parse them: less work than the others)

    python3 bench/bench_csv.py [--rows 2000000] [--formats plain,dukascopy,mt5_utf16]
        [--readers hqt.read_csv,hqt.load_csv,pandas,pyarrow]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1_704_067_200 * 10**9  # 2024-01-01
TARGET = 5e6  # rows/s (issue 14)


def _import_hqt():  # noqa: ANN202
    if importlib.util.find_spec("hqt") is None:
        sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import hqt

    return hqt


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(key)


def write(fmt: str, n: int, path: str) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(n, dtype=np.int64) * 100_000_000 + T0
    bid = np.round(1.1 + np.cumsum(rng.normal(0.0, 0.00001, n)), 5)
    ask = np.round(bid + 0.00002, 5)
    step = 1_000_000
    if fmt == "plain":
        with open(path, "w") as fh:
            fh.write("time,bid,ask\n")
            for i in range(0, n, step):
                s = slice(i, i + step)
                np.savetxt(
                    fh, np.c_[t[s], bid[s], ask[s]], fmt=["%d", "%.5f", "%.5f"], delimiter=","
                )
        return
    dt = t.astype("datetime64[ns]").astype("datetime64[ms]").astype(str)  # 2024-01-01T00:00:00.100
    if fmt == "dukascopy":
        with open(path, "w") as fh:
            fh.write("Gmt time,Ask,Bid,AskVolume,BidVolume\n")
            for i in range(0, n, step):
                d = dt[i : i + step]
                lines = [
                    f"{x[8:10]}.{x[5:7]}.{x[:4]} {x[11:]},{a:.5f},{b:.5f},0.75,0.75"
                    for x, b, a in zip(d, bid[i : i + step], ask[i : i + step], strict=True)
                ]
                fh.write("\n".join(lines) + "\n")
        return
    if fmt == "mt5_utf16":
        with open(path, "w", encoding="utf-16") as fh:
            fh.write("<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n")
            for i in range(0, n, step):
                d = dt[i : i + step]
                lines = [
                    f"{x[:4]}.{x[5:7]}.{x[8:10]}\t{x[11:]}\t{b:.5f}\t{a:.5f}\t\t\t6"
                    for x, b, a in zip(d, bid[i : i + step], ask[i : i + step], strict=True)
                ]
                fh.write("\n".join(lines) + "\n")
        return
    raise SystemExit(f"unknown format {fmt}")


def run_case(reader: str, fmt: str, path: str) -> None:
    """In the subprocess: read once, print 'seconds rows peak_bytes'."""
    hqt = _import_hqt()
    import pyarrow.csv as pacsv

    pd = None
    if reader == "pandas":
        import pandas as pd
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    t0 = time.perf_counter()
    c0 = time.process_time()  # every thread of the process: the CPU the read cost
    if reader == "hqt.read_csv":
        rows = len(hqt.read_csv(path))
    elif reader == "hqt.load_csv":
        eng = hqt.Engine(10_000, "USD", 100)
        eng.add_symbol("EURUSD")
        rows = eng.load_csv("EURUSD", path)
    elif reader == "pandas":
        assert pd is not None
        if fmt == "plain":
            df = pd.read_csv(path)
        elif fmt == "dukascopy":
            df = pd.read_csv(path)
            df["Gmt time"] = pd.to_datetime(df["Gmt time"], format="%d.%m.%Y %H:%M:%S.%f")
        else:
            df = pd.read_csv(path, sep="\t", encoding="utf-16")
            df["t"] = pd.to_datetime(
                df["<DATE>"] + " " + df["<TIME>"], format="%Y.%m.%d %H:%M:%S.%f"
            )
        rows = len(df)
    else:
        opts = pacsv.ParseOptions(delimiter="\t") if fmt == "mt5_utf16" else None
        ropts = pacsv.ReadOptions(encoding="utf-16") if fmt == "mt5_utf16" else None
        rows = pacsv.read_csv(path, read_options=ropts, parse_options=opts).num_rows
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(secs, rows, _status("VmHWM") - before, cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--formats", default="plain,dukascopy,mt5_utf16")
    ap.add_argument("--readers", default="hqt.read_csv,hqt.load_csv,pandas,pyarrow")
    ap.add_argument("--case", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.case:
        run_case(*a.case)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(
            f"{a.rows:,} rows per file; per reader: rows/s of wall time, rows per CPU-second "
            "(all threads: what a busy machine does not change) and peak RSS above the start"
        )
        print(f"{'format':<11} {'MB':>6}  " + "  ".join(f"{r:>33}" for r in a.readers.split(",")))
        for fmt in a.formats.split(","):
            path = os.path.join(tmp, f"{fmt}.csv")
            write(fmt, a.rows, path)
            cells = []
            for reader in a.readers.split(","):
                out = subprocess.run(
                    [sys.executable, __file__, "--case", reader, fmt, path],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                secs, rows, peak, cpu = float(out[0]), int(out[1]), int(out[2]), float(out[3])
                cells.append(
                    f"{rows / secs / 1e6:6.2f} M/s {rows / cpu / 1e6:6.2f} M/cpu-s {peak / 1e6:5.0f} MB"
                )
            size = os.path.getsize(path) / 1e6
            print(f"{fmt:<11} {size:6.0f}  " + "  ".join(f"{c:>33}" for c in cells))
        print(f"target: hqt >= {TARGET / 1e6:.0f} M rows/s on the plain file")


if __name__ == "__main__":
    main()
