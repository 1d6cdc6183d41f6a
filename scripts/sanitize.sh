#!/usr/bin/env bash
# Builds and runs the Swift test suite under AddressSanitizer and/or
# ThreadSanitizer (docs/fuzzing.md). Each sanitizer has its own scratch
# directory (.build-asan, .build-tsan), so the normal .build stays as it is.
#
#   scripts/sanitize.sh [address|thread|all] [extra `swift test` arguments, e.g. --filter WAL]
#
# Exit status: non-zero when a build fails, a test fails or a sanitizer
# reports (halt_on_error: the first report fails the run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
which=${1:-all}
shift || true

# The Swift runtime's own crash backtracer reads arbitrary memory and trips
# ASan; the sanitizer's report is the one to read.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitizers/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

run() { # sanitizer scratch-dir [swift test arguments]
  local sanitizer=$1 scratch=$2
  shift 2
  echo "== swift test --sanitize=$sanitizer ($scratch)"
  swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
  swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@"
}

case "$which" in
  address) run address .build-asan "$@" ;;
  thread) run thread .build-tsan "$@" ;;
  all)
    run address .build-asan "$@"
    run thread .build-tsan "$@"
    ;;
  *) echo "usage: $0 [address|thread|all] [swift test arguments]" >&2; exit 2 ;;
esac
