#!/usr/bin/env bash
# Before/after benchmark of two HQT trees, in one run: alternating rounds
# (base, new, base, new, ...) of bench/engine/bench_engine.py, hqt-engine-bench
# and bench/race/race.py --only hqt; prints base, new and new/base per figure.
#
#   bench/compare.sh [BASE_TREE] [NEW_TREE] [compare.py options]
#     BASE_TREE  default /work/baseline
#     NEW_TREE   default: this repository
#   options: --rounds 5 --ticks 2000000 --positions-ticks 300000 --io-ticks 1000000
#            --race-bars 1000000 --only engine,io,race --sections ... --tolerance 0.05 --json FILE
#
# Both trees must be built: scripts/build.sh and
# swift build -c release --product hqt-engine-bench (in each tree).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base=/work/baseline
new=$(cd "$here/.." && pwd)
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then base=$1; shift; fi
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then new=$1; shift; fi
exec python3 "$here/compare.py" --base "$base" --new "$new" "$@"
