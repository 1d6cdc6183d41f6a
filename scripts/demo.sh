#!/usr/bin/env bash
# The main job: set-up and build, then a demo backtest on generated data that
# broadcasts every event over ZeroMQ, logs every operation to a write-ahead
# log, and prints its statistics.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
export PYTHONPATH="$root/python${PYTHONPATH:+:$PYTHONPATH}"
python3 examples/demo.py "$@"
