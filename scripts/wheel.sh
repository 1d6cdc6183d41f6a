#!/usr/bin/env bash
# Builds self-contained hqt-engine wheels (no Swift needed to install them):
#   1. libhqt.so: HQT_LIBHQT if set (e.g. the one scripts/build.sh made),
#      else `swift build -c release --product hqt`; stripped (12 MB -> ~7 MB).
#   2. one wheel per CPython (HQT_PYTHONS, default "3.11 3.12 3.13"; versions or
#      interpreter paths): `pip wheel` of the repository, told through
#      HQT_LIBHQT to use the stripped library instead of building it again.
#   3. `auditwheel repair --plat manylinux_2_35_x86_64`: copies in the shared
#      libraries that are not part of the manylinux policy, with libzmq taken
#      from scripts/zmq-minimal.sh (CURVE through libsodium; no krb5, PGM, NORM).
#   4. a check that the wheel holds no krb5/PGM/NORM library.
# Wheels go to HQT_WHEEL_DIR (default dist/).
#
# The tag: libhqt.so needs glibc 2.35 (hypotf@GLIBC_2.35, from the Swift
# runtime linked in statically by -static-stdlib) and the extension 2.34, so
# manylinux_2_35 is the oldest tag this toolchain can give (Debian 12,
# Ubuntu 22.04 and newer; not RHEL 9 with glibc 2.34). An older floor needs a
# build inside an older distribution (a manylinux container), not reachable here.
#
# HQT_ZMQ=system bundles Debian's libzmq instead (and with it krb5, PGM, NORM):
# only for a quick local check where scripts/zmq-minimal.sh has not run yet.
# HQT_PIP_ISOLATION=0 builds with the interpreter's own setuptools (no download).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(realpath -m "${HQT_WHEEL_DIR:-dist}")
plat=manylinux_2_35_x86_64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lib=${HQT_LIBHQT:-}
if [ -z "$lib" ]; then
  swift build -c release --product hqt
  lib="$(swift build -c release --show-bin-path)/libhqt.so"
fi
strip --strip-unneeded -o "$work/libhqt.so" "$lib"

if [ "${HQT_ZMQ:-minimal}" = minimal ]; then
  zmq_prefix=$(scripts/zmq-minimal.sh)
  export LD_LIBRARY_PATH="$zmq_prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

interpreter() { # a version like 3.12, or a path
  case "$1" in
    */*) echo "$1" ;;
    *)
      if command -v "python$1" >/dev/null && "python$1" -c '' 2>/dev/null; then
        command -v "python$1"
      elif command -v pyenv >/dev/null && [ -n "$(pyenv prefix "$1" 2>/dev/null)" ]; then
        echo "$(pyenv prefix "$1")/bin/python$1"
      else
        echo "no python$1 found" >&2
        return 1
      fi
      ;;
  esac
}

pip_flags=(--no-deps --quiet --disable-pip-version-check)
[ "${HQT_PIP_ISOLATION:-1}" = 0 ] && pip_flags+=(--no-build-isolation)
mkdir -p "$out" "$work/raw"
for v in ${HQT_PYTHONS:-3.11 3.12 3.13}; do
  py=$(interpreter "$v")
  echo "== wheel for $("$py" -c 'import sys; print(sys.implementation.cache_tag)')" >&2
  rm -rf build # setuptools' build/ of another interpreter must not leak into this wheel
  HQT_LIBHQT="$work/libhqt.so" "$py" -m pip wheel "${pip_flags[@]}" -w "$work/raw" . >&2
done
rm -rf build

for whl in "$work"/raw/*.whl; do
  auditwheel repair --plat "$plat" -w "$out" "$whl" >&2
done

status=0
for whl in "$out"/hqt_engine-*"$plat"*.whl; do
  [ "$whl" -nt "$work" ] || continue # only the wheels made now
  libs=$(python3 -m zipfile -l "$whl" | awk '{print $1}' | grep '\.so' || true)
  if [ "${HQT_ZMQ:-minimal}" = minimal ] && grep -Eq 'krb5|gssapi|k5crypto|pgm|norm' <<<"$libs"; then
    echo "error: $whl bundles krb5/PGM/NORM:" >&2
    echo "$libs" >&2
    status=1
  fi
  echo "$whl"
done
exit $status
