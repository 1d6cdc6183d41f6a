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
# The root setup.py's build_ext, told to use this library rather than build
# it again: copies it (and include/hqt.h, for hqt.get_include()) into
# python/hqt/ and compiles hqt._hqt there.
HQT_LIBHQT="$bin/libhqt.so" python3 setup.py -q build_ext --inplace
