#!/usr/bin/env bash
# The abi3 question in numbers (README "Install"): builds callbench.c with
# the full and with the limited API and prints ns per on_tick-style call,
# next to the cost of a whole Python-strategy tick in hqt (bench/bench_load.py
# style: an engine run with an on_tick that does nothing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
suffix=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
gcc -O2 -shared -fPIC -I"$inc" "$here/callbench.c" -o "$out/callbench_full$suffix"
gcc -O2 -shared -fPIC -I"$inc" -DPy_LIMITED_API=0x030B0000 "$here/callbench.c" -o "$out/callbench_abi3.abi3.so"
PYTHONPATH="$out:${PYTHONPATH:-}" "$py" - <<'PY'
import time, numpy as np
import callbench_full, callbench_abi3

def on_tick(engine, tick):
    return None

n = 2_000_000
best = {}
for name, mod in (("vectorcall (full API)", callbench_full), ("tuple + PyObject_Call (abi3, 3.11)", callbench_abi3)):
    runs = []
    for _ in range(5):
        t = time.perf_counter(); mod.calls(on_tick, 1, 2, n); runs.append(time.perf_counter() - t)
    best[name] = min(runs) / n * 1e9
    print(f"{name:38s} {best[name]:6.1f} ns per call")
try:
    import hqt
    e = hqt.Engine(10_000.0, "USD", 100)
    s = e.add_symbol("EURUSD")
    k = 500_000
    t0 = np.arange(k, dtype=np.int64) * 1_000_000_000 + 1_704_153_600_000_000_000
    bid = np.full(k, 1.1)
    e.load_ticks(s, t0, bid, bid + 0.0001)
    class Idle(hqt.Strategy):
        def on_tick(self, engine, tick):
            pass
    t = time.perf_counter(); e.run(Idle()); per_tick = (time.perf_counter() - t) / k * 1e9
    extra = best["tuple + PyObject_Call (abi3, 3.11)"] - best["vectorcall (full API)"]
    print(f"hqt tick with a Python on_tick          {per_tick:6.1f} ns; abi3 call adds {extra:.1f} ns ({extra / per_tick:.1%})")
except ImportError:
    pass
PY
