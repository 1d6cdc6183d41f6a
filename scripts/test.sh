#!/usr/bin/env bash
# Runs every test: set-up and build, the Swift suite, then the Python suite
# (which also drives the C ABI through ctypes, cffi and a compiled C program).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
HQT_EXTRA_REQUIREMENTS=python/requirements-test.txt scripts/setup.sh

echo "== Swift tests"
swift build --build-tests
swift test --skip-build

echo "== Python tests"
export PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}"
python3 -m pytest python/tests -q -p no:cacheprovider
