#!/usr/bin/env bash
# ZeroMQ broadcast benchmark, one run, one table:
#   - ns per hqt_broadcaster_publish_tick (through libhqt.so, release) next to
#     a raw libzmq zmq_send of the same 29-byte frame, without and with one
#     subscriber, in the same process (alternating rounds, medians);
#   - messages/s delivered over tcp loopback to a C subscriber process
#     (sub_recv.c) and to the pure-Python hqt.subscriber.Subscriber, from a
#     publisher that yields the CPU when a frame is dropped (on a 2-core box a
#     spinning publisher would measure the CPU fight, not the subscriber).
#
#   bench/zmq/run.sh                      (from anywhere)
#   N=2000000 ROUNDS=9 REPS=5 bench/zmq/run.sh
#
# Targets (issue 3): publish <= 1.5x raw send; C subscriber >= 3M msg/s.
# Machine-dependent: on a 2-core box the publisher, the subscriber and the
# two libzmq I/O threads share the cores, so the flood figures vary run to run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
N="${N:-1000000}"            # calls per timed loop
ROUNDS="${ROUNDS:-7}"        # alternating rounds per in-process comparison
REPS="${REPS:-3}"            # runs of each separate-process subscriber measure (median)
FLOOD="${FLOOD:-3000000}"    # frames published per separate-process run
out="$root/.build/bench-zmq"
mkdir -p "$out"

echo "building libhqt.so (release) and the C programs..." >&2
(cd "$root" && swift build -c release --scratch-path .build 2>&1 | grep -E "error|Compiling|Build complete" >&2 || true)
lib="$root/.build/release"
test -f "$lib/libhqt.so" || { echo "release build failed" >&2; exit 1; }
cc="${CC:-gcc}"
cflags=(-O2 -Wall -Wextra -I"$root/include")
"$cc" "${cflags[@]}" -o "$out/raw_send" "$here/raw_send.c" -lzmq
"$cc" "${cflags[@]}" -o "$out/sub_recv" "$here/sub_recv.c" -lzmq
"$cc" "${cflags[@]}" -o "$out/publish_hqt" "$here/publish_hqt.c" -L"$lib" -lhqt -Wl,-rpath,"$lib" -lzmq -lpthread

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "1/4 no subscriber: raw send vs hqt publish, $ROUNDS x $N calls each..." >&2
nosub="$("$out/publish_hqt" compare "$N" "$ROUNDS")"

echo "2/4 one in-process C subscriber per publisher, $ROUNDS x $N calls each..." >&2
onesub="$("$out/publish_hqt" compare-sub "$N" "$ROUNDS")"

echo "3/4 separate C subscriber process (sub_recv), yielding publishers, $REPS runs each..." >&2
: > "$out/c_sub.txt"
for _ in $(seq "$REPS"); do
    ep="tcp://127.0.0.1:$(free_port)"
    "$out/sub_recv" "$ep" > "$out/sub.txt" &
    sub=$!
    pub="$("$out/raw_send" "$ep" "$FLOOD" xpub-nodrop 500 yield)"
    wait "$sub"
    echo "raw $pub $(cat "$out/sub.txt")" >> "$out/c_sub.txt"
    ep="tcp://127.0.0.1:$(free_port)"
    "$out/sub_recv" "$ep" > "$out/sub.txt" &
    sub=$!
    pub="$("$out/publish_hqt" serve "$ep" "$FLOOD" 1 yield)"
    wait "$sub"
    echo "hqt $pub $(cat "$out/sub.txt")" >> "$out/c_sub.txt"
done

echo "4/4 Python subscriber (hqt.subscriber.Subscriber), $REPS runs..." >&2
: > "$out/py_sub.txt"
for _ in $(seq "$REPS"); do
    ep="tcp://127.0.0.1:$(free_port)"
    python3 "$here/py_sub.py" "$ep" > "$out/sub.txt" &
    sub=$!
    pub="$("$out/publish_hqt" serve "$ep" "$FLOOD" 1 yield)"
    wait "$sub"
    echo "hqt $pub $(cat "$out/sub.txt")" >> "$out/py_sub.txt"
done

python3 - "$nosub" "$onesub" "$out/c_sub.txt" "$out/py_sub.txt" "$(nproc)" "$N" "$ROUNDS" "$REPS" "$FLOOD" <<'PY'
import re, statistics, sys
nosub, onesub, c_file, py_file, cores, n, rounds, reps, flood = sys.argv[1:]

def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", line)}

a, b = kv(nosub), kv(onesub)
c_runs = [(l.split()[0], kv(l)) for l in open(c_file)]
py_runs = [kv(l) for l in open(py_file)]
med = lambda xs: statistics.median(xs)
c_raw = med([r["msgs_per_s"] for who, r in c_runs if who == "raw"])
c_hqt = med([r["msgs_per_s"] for who, r in c_runs if who == "hqt"])
honest = all(int(r["received"]) == int(r["sent"]) for who, r in c_runs if who == "hqt") and \
    all(int(r["received"]) == int(r["sent"]) for r in py_runs) and b["hqt_received_mismatches"] == 0
py = med([r["msgs_per_s"] for r in py_runs])
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
        ("raw zmq_send, XPUB+NODROP (HQT's socket setup)", f"{a['raw_xpub_nodrop_ns']:.1f} ns/call",
         f"{a['raw_xpub_nodrop_ns'] / a['raw_pub_ns']:.2f}", ""),
        ("hqt_broadcaster_publish_tick", f"{a['hqt_publish_ns']:.1f} ns/call", f"{a['ratio_vs_pub']:.2f}",
         f"<= 1.5x raw PUB: {ok(a['ratio_vs_pub'] <= 1.5)}"),
        ("-- one C subscriber each, flooded (same process, alternating rounds)",)]
for key, name in (("raw_pub", "raw zmq_send, PUB"), ("raw_xpub", "raw zmq_send, XPUB+NODROP"),
                  ("hqt", "hqt_broadcaster_publish_tick")):
    rows.append((f"{name}", f"{b[key + '_ns']:.1f} ns/call", f"{b[key + '_ns'] / b['raw_pub_ns']:.2f}",
                 f"delivered {int(b[key + '_delivered'])}/round, {b[key + '_ns_per_delivered']:.0f} ns per delivered "
                 f"frame ({b[key + '_ns_per_delivered'] / b['raw_pub_ns_per_delivered']:.2f}x), "
                 f"sub {b[key + '_sub_rate'] / 1e6:.2f} M msg/s"))
rows.append(("  (flooded: most calls find the queue full and return at once, the rest really write; a publisher\n"
             "   that re-opens the queue sooner delivers more and pays more per call: compare ns per delivered frame)",))
rows += [("-- subscriber intake over tcp loopback, separate process (median of %s runs, %s frames,\n"
          "   publisher yields the CPU after a dropped frame)" % (reps, flood),),
         ("C subscriber process <- raw XPUB+NODROP", f"{c_raw / 1e6:.2f} M msg/s", "", ""),
         ("C subscriber process <- hqt broadcaster", f"{c_hqt / 1e6:.2f} M msg/s", f"{c_hqt / c_raw:.2f}",
          f">= 3M msg/s: {ok(c_hqt >= 3e6)}"),
         ("Python hqt.subscriber.Subscriber <- hqt", f"{py / 1e6:.3f} M msg/s", "", "recv + decode + stats per frame")]
for r in rows:
    if len(r) == 1:
        print(r[0])
    else:
        print(f"  {r[0]:<48} {r[1]:>16} {r[2]:>6}  {r[3]}")
print(f"every frame hqt counted as sent was received (all runs): {'yes' if honest else 'NO'}")
print("per-run subscriber rates (M msg/s): C<-raw " +
      " ".join(f"{r['msgs_per_s'] / 1e6:.2f}" for w, r in c_runs if w == "raw") + ", C<-hqt " +
      " ".join(f"{r['msgs_per_s'] / 1e6:.2f}" for w, r in c_runs if w == "hqt") + ", Python<-hqt " +
      " ".join(f"{r['msgs_per_s'] / 1e6:.3f}" for r in py_runs))
PY
