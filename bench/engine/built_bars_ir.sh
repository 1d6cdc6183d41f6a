#!/usr/bin/env bash
# Instructions per tick inside hqt_engine_run* (callgrind) for bars built
# from ticks on the bid, ask or mid, against one or more libhqt.so builds:
#   bench/engine/built_bars_ir.sh [N] [libhqt.so ...]
# (default: this tree's python/hqt/libhqt.so). A count, not a time: it does
# not depend on the machine's load, so two libraries compare exactly.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-200000}
shift || true
libs=("$@")
[ ${#libs[@]} -gt 0 ] || libs=("$root/python/hqt/libhqt.so")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -O2 -Wall -Wextra -Werror -I "$root/include" "$root/bench/engine/built_bars.c" \
    -L "$root/python/hqt" -lhqt -ldl -o "$tmp/built_bars"
for lib in "${libs[@]}"; do
    mkdir -p "$tmp/lib" && cp "$lib" "$tmp/lib/libhqt.so"
    for mode in none bid ask mid; do
        out="$tmp/cg.$mode"
        if ! LD_LIBRARY_PATH="$tmp/lib" valgrind --tool=callgrind --toggle-collect='hqt_engine_run*' \
            --callgrind-out-file="$out" "$tmp/built_bars" "$mode" "$n" >/dev/null 2>"$tmp/err"; then
            printf '%-60s %-4s  (not available)\n' "$lib" "$mode"
            continue
        fi
        ir=$(grep -m1 '^summary:' "$out" | awk '{print $2}')
        printf '%-60s %-4s  %12s Ir  %6.1f Ir/tick\n' "$lib" "$mode" "$ir" "$(echo "$ir / $n" | bc -l)"
    done
done
