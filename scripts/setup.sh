#!/usr/bin/env bash
# Installs what HQT needs on a Debian machine (system packages when missing,
# Python packages from python/requirements*.txt), then builds libhqt.so and
# the Python extension. Idempotent; safe to run repeatedly.
# HQT_EXTRA_REQUIREMENTS=python/requirements-test.txt (scripts/test.sh sets it)
# adds the test and lint tools (pytest, cffi, ruff, ...).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# chromium + chromium-driver: the headless browser of the report and dashboard
# tests (python/tests/test_report_browser.py, test_dashboard.py; selenium drives it).
packages=(libzmq3-dev zlib1g-dev python3-dev pkg-config gcc chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

command -v swift >/dev/null || { echo "swift (6.x) must be on PATH" >&2; exit 1; }
# scripts/lint.sh and scripts/format.sh use `swift format`, part of the Swift 6 toolchain.
swift format --version >/dev/null 2>&1 ||
  echo "warning: 'swift format' not found (it ships with Swift 6); scripts/lint.sh needs it" >&2

echo "== Python packages"
python3 -m pip install -q --disable-pip-version-check -r python/requirements.txt ${HQT_EXTRA_REQUIREMENTS:+-r "$HQT_EXTRA_REQUIREMENTS"}

echo "== building libhqt.so and hqt._hqt"
scripts/build.sh
