#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (docs/fuzzing.md) and runs each one.
#
#   scripts/fuzz.sh [--seconds N | --runs N | --replay] [--debug] [TARGET...]
#
#   --seconds N  run each target for N seconds (default 60)
#   --runs N     run each target for N executions
#   --replay     only run the committed seeds in fuzz/corpus/<target> once
#   --debug      debug build: quicker to build, slower to run (the test suite's pass)
#   TARGET       cabi, wal (default both)
#
# HQT_FUZZ_SANITIZERS (default fuzzer,address) is passed to -sanitize=;
# `fuzzer` alone runs about 3x faster on the WAL target (Swift's own bounds
# and overflow checks still trap). New inputs go to fuzz/.build-corpus/<target>
# (not committed); a crash leaves fuzz/.build-crashes/<target>/crash-* and
# fails the script. Exit status 77: this toolchain has no libFuzzer runtime.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=(-max_total_time=60)
config=release
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) mode=(-max_total_time="$2"); shift 2 ;;
    --runs) mode=(-runs="$2"); shift 2 ;;
    --replay) mode=(-runs=0); shift ;;
    --debug) config=debug; shift ;;
    cabi|wal) targets+=("$1"); shift ;;
    *) echo "usage: $0 [--seconds N | --runs N | --replay] [--debug] [cabi|wal ...]" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(cabi wal)

swift_bin=$(command -v swift) || { echo "fuzz.sh: swift is not on PATH" >&2; exit 77; }
toolchain=$(dirname "$(readlink -f "$swift_bin")")/..
if ! ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 \
  && ! ls "$toolchain"/lib/swift/clang/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
  echo "fuzz.sh: no libFuzzer runtime (libclang_rt.fuzzer) in $toolchain" >&2
  exit 77
fi

sanitizers=${HQT_FUZZ_SANITIZERS:-fuzzer,address}
scratch="$root/fuzz/.build-${sanitizers//,/-}"
echo "== building fuzz targets (-c $config -sanitize=$sanitizers)"
mkdir -p "$scratch"
# ld.gold warns about every ASan helper symbol it cannot export: not ours.
if ! swift build --package-path "$root/fuzz" --scratch-path "$scratch" -c "$config" \
  -Xswiftc -sanitize="$sanitizers" >"$scratch/build.log" 2>&1; then
  grep -v "Cannot export local symbol" "$scratch/build.log" >&2
  echo "fuzz.sh: build failed" >&2
  exit 1
fi
bin=$(swift build --package-path "$root/fuzz" --scratch-path "$scratch" -c "$config" --show-bin-path)

# The Swift runtime's crash backtracer reads arbitrary memory and trips ASan.
export SWIFT_BACKTRACE=enable=no
for target in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/$target"
  work="$root/fuzz/.build-corpus/$target"
  crashes="$root/fuzz/.build-crashes/$target"
  mkdir -p "$work" "$crashes"
  echo "== hqt-fuzz-$target ${mode[*]}"
  # One job; the committed seeds are read, new inputs written to $work only.
  "$bin/hqt-fuzz-$target" "${mode[@]}" -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$work" "$seeds" 2>&1 | grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::number_of_executed_units|ERROR|hqt fuzz:|Fatal|SUMMARY|crash-|^Done|^Running|^Executed" || true
  if ls "$crashes"/crash-* "$crashes"/leak-* "$crashes"/oom-* "$crashes"/timeout-* >/dev/null 2>&1; then
    echo "fuzz.sh: hqt-fuzz-$target found a failing input in $crashes" >&2
    exit 1
  fi
done
