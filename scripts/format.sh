#!/usr/bin/env bash
# Applies the formatters in place: swift format (.swift-format) over the Swift
# sources, then ruff's lint fixes and ruff format (ruff.toml) over the Python.
# Usage: scripts/format.sh [--unsafe-fixes]
#   --unsafe-fixes  also apply ruff's unsafe fixes (e.g. zip(..., strict=False),
#                   unused locals removed): review the diff before committing.
# What is left afterwards needs a hand: scripts/lint.sh lists it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Swift paths: keep in step with scripts/lint.sh.
swift_paths=(Sources Tests bench Package.swift fuzz/Sources fuzz/Package.swift)

ruff_fix=(--fix)
case "${1:-}" in
  "") ;;
  --unsafe-fixes) ruff_fix+=(--unsafe-fixes) ;;
  *) echo "usage: scripts/format.sh [--unsafe-fixes]" >&2; exit 2 ;;
esac

echo "== swift format -i"
swift format format --in-place --parallel --recursive "${swift_paths[@]}"

echo "== ruff check --fix, ruff format"
# Lint fixes first (import order, pyupgrade), then the formatter over the result.
python3 -m ruff check --no-cache --output-format concise "${ruff_fix[@]}" --exit-zero
python3 -m ruff format --no-cache
