#!/usr/bin/env bash
# ZeroMQ broadcast benchmark, one run, one table:
#   - ns per hqt_broadcaster_publish_tick (through libhqt.so, release) next to
#     a raw libzmq zmq_send of the same 29-byte frame, without and with one
#     subscriber, in the same process (alternating rounds, medians);
#   - issue 11 (bench_issue11.py): engine ticks/s with every tick broadcast,
#     a stalled subscriber beside a fast C subscriber (sub_recv.c) and what
#     share of the ticks each got; Python subscriber intake, plain pyzmq +
#     struct next to hqt's batch path; decode-only rates.
#
#   bench/zmq/run.sh                      (from anywhere)
#   N=2000000 ROUNDS=9 REPS=5 N_ENGINE=10000000 N_PY=2000000 bench/zmq/run.sh
#
# Targets: publish <= 1.5x raw send (issue 3); fast subscriber 100% beside a
# stalled one, engine >= 15 M ticks/s broadcasting every tick, Python
# subscriber >= 2 M msg/s (issue 11). Machine-dependent: on a 2-core box the
# publisher, the subscribers and the libzmq I/O threads share the cores.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
N="${N:-1000000}"            # calls per timed loop
ROUNDS="${ROUNDS:-7}"        # alternating rounds per in-process comparison
REPS="${REPS:-3}"            # runs of each separate-process subscriber measure (median)
out="$root/.build/bench-zmq"
mkdir -p "$out"

echo "building libhqt.so (release) and the C programs..." >&2
(cd "$root" && swift build -c release --scratch-path .build 2>&1 | grep -E "error|Compiling|Build complete" >&2 || true)
lib="$root/.build/release"
test -f "$lib/libhqt.so" || { echo "release build failed" >&2; exit 1; }
cc="${CC:-gcc}"
cflags=(-O2 -Wall -Wextra -I"$root/include")
"$cc" "${cflags[@]}" -o "$out/sub_recv" "$here/sub_recv.c" -lzmq
"$cc" "${cflags[@]}" -o "$out/publish_hqt" "$here/publish_hqt.c" -L"$lib" -lhqt -Wl,-rpath,"$lib" -lzmq -lpthread


echo "1/3 no subscriber: raw send vs hqt publish, $ROUNDS x $N calls each..." >&2
nosub="$("$out/publish_hqt" compare "$N" "$ROUNDS")"

echo "2/3 one in-process C subscriber per publisher, $ROUNDS x $N calls each..." >&2
onesub="$("$out/publish_hqt" compare-sub "$N" "$ROUNDS")"

echo "3/3 issue 11: engine with stalled + fast subscribers, Python intake, decode (bench_issue11.py)..." >&2
issue11="$(python3 "$here/bench_issue11.py" "$out/sub_recv" "${N_ENGINE:-5000000}" "${N_PY:-1000000}" "$REPS")"

python3 - "$nosub" "$onesub" "$(nproc)" "$N" "$ROUNDS" <<'PY'
import re, statistics, sys
nosub, onesub, cores, n, rounds = sys.argv[1:]

def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}

a, b = kv(nosub), kv(onesub)
ok = lambda c: "met" if c else "MISSED"
try:
    import zmq
    libzmq = zmq.zmq_version()
except ImportError:
    libzmq = "?"

print(f"\nHQT ZeroMQ broadcast benchmark: 29-byte TICK frames, tcp loopback, {cores} cores "
      f"(libzmq {libzmq} in pyzmq; C programs use the system libzmq)")
rows = [("-- no subscriber (medians of %s alternating rounds of %s calls)" % (rounds, n),),
        ("raw zmq_send, PUB", f"{a['raw_pub_ns']:.1f} ns/call", "1.00", ""),
        ("raw zmq_send, XPUB+NODROP (HQT's setup before 11)", f"{a['raw_xpub_nodrop_ns']:.1f} ns/call",
         f"{a['raw_xpub_nodrop_ns'] / a['raw_pub_ns']:.2f}", ""),
        ("hqt_broadcaster_publish_tick", f"{a['hqt_publish_ns']:.1f} ns/call", f"{a['ratio_vs_pub']:.2f}",
         f"<= 1.5x raw PUB: {ok(a['ratio_vs_pub'] <= 1.5)} (nobody subscribed: no zmq_send at all)"),
        ("-- one C subscriber each, flooded (same process, alternating rounds)",)]
for key, name in (("raw_pub", "raw zmq_send, PUB"), ("raw_xpub", "raw zmq_send, XPUB+NODROP"),
                  ("hqt", "hqt_broadcaster_publish_tick")):
    rows.append((f"{name}", f"{b[key + '_ns']:.1f} ns/call", f"{b[key + '_ns'] / b['raw_pub_ns']:.2f}",
                 f"delivered {int(b[key + '_delivered'])}/round, {b[key + '_ns_per_delivered']:.0f} ns per delivered "
                 f"frame ({b[key + '_ns_per_delivered'] / b['raw_pub_ns_per_delivered']:.2f}x), "
                 f"sub {b[key + '_sub_rate'] / 1e6:.2f} M msg/s"))
rows.append(("  (hqt, like PUB, drops per subscriber pipe since issue 11: a flooded hqt publish writes every\n"
             "   frame it can and never fails; compare it with raw PUB, line by line)",))
for r in rows:
    if len(r) == 1:
        print(r[0])
    else:
        print(f"  {r[0]:<48} {r[1]:>16} {r[2]:>6}  {r[3]}")
PY
echo "$issue11"
