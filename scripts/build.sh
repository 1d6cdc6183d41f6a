#!/usr/bin/env bash
# Builds libhqt.so (release) and the hqt._hqt Python extension in place.
# Usage: scripts/build.sh [--debug]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
config=release
[ "${1:-}" = "--debug" ] && config=debug
swift build -c "$config" --product hqt
bin=$(swift build -c "$config" --show-bin-path)
install -m 0755 "$bin/libhqt.so" python/hqt/libhqt.so
cd python
python3 setup.py -q build_ext --inplace
