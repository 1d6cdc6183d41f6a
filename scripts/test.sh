#!/usr/bin/env bash
# Runs every test: set-up and build, lint (scripts/lint.sh: swift format and
# ruff), the Swift suite, then the Python suite (which also drives the C ABI
# through ctypes, cffi and a compiled C program).
# HQT_LINT=0 skips the lint step (default 1: lint runs and a finding fails the run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
HQT_EXTRA_REQUIREMENTS=python/requirements-test.txt scripts/setup.sh

if [ "${HQT_LINT:-1}" != 0 ]; then
  echo "== lint (HQT_LINT=0 skips it)"
  scripts/lint.sh
fi

echo "== Swift tests"
swift build --build-tests
swift test --skip-build

echo "== Python tests"
export PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}"
# A skip here means a missing install step: conftest.py turns it into a failure.
export HQT_STRICT_SKIPS=1
# Artefacts the tests keep (the dashboard's screenshots) stay after the run, for
# reading and for CI to collect; HQT_ARTIFACTS moves them. Said before pytest so
# that pytest's summary stays the last line.
echo "== test artefacts (kept): ${HQT_ARTIFACTS:-$root/python/tests/artifacts}"
python3 -m pytest python/tests -q -p no:cacheprovider
