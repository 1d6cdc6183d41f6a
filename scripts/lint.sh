#!/usr/bin/env bash
# Checks formatting and lint without changing anything:
#   Swift:  swift format lint --strict (configuration: .swift-format)
#   Python: ruff check, ruff format --check (configuration: ruff.toml)
# Runs both tools, reports every finding, and fails if either found any.
# scripts/format.sh applies the formatters (and ruff's safe fixes).
# Needs: Swift 6 on PATH (swift format ships with it), ruff
# (python/requirements-test.txt; scripts/setup.sh installs it).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Swift paths: keep in step with scripts/format.sh. Python: ruff finds every
# .py/.pyi/.ipynb under the root itself (python/, bench/, scripts/, examples/,
# docs/), skipping what .gitignore and ruff.toml exclude.
swift_paths=(Sources Tests bench Package.swift fuzz/Sources fuzz/Package.swift)

status=0

echo "== swift format lint"
if swift format --version >/dev/null 2>&1; then
  swift format lint --strict --parallel --recursive "${swift_paths[@]}" || status=1
else
  echo "swift format not found: it ships with the Swift 6 toolchain (swift on PATH)" >&2
  status=1
fi

echo "== ruff check / ruff format --check"
if python3 -m ruff --version >/dev/null 2>&1; then
  python3 -m ruff check --no-cache --output-format concise || status=1
  python3 -m ruff format --check --no-cache --output-format concise || status=1
else
  echo "ruff not found: pip install -r python/requirements-test.txt (scripts/setup.sh does it)" >&2
  status=1
fi

if [ "$status" -ne 0 ]; then
  echo "lint: findings above; scripts/format.sh fixes formatting and ruff's safe fixes" >&2
fi
exit "$status"
