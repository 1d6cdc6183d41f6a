#!/usr/bin/env bash
# Builds the libzmq that HQT's wheels bundle: Debian's libzmq source (the same
# 4.3.x release as the libzmq3-dev that libhqt.so is linked against, so the same
# soname and ABI) configured with only what HQT uses: TCP/IPC/inproc and CURVE
# (through libsodium). Debian's own libzmq.so.5 also links GSSAPI (krb5: 6
# libraries), OpenPGM, NORM and libbsd, which a wheel would otherwise carry.
# Prints the install prefix; its lib/ goes on LD_LIBRARY_PATH when auditwheel
# repairs a wheel (scripts/wheel.sh), so the wheel bundles this library.
# Cached: a second run prints the prefix at once. Needs cmake, g++ and
# libsodium-dev (apt-get installs them when missing) and Debian's source index.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.build/zmq-minimal"
prefix="$dir/prefix"
if [ -f "$prefix/lib/libzmq.so.5" ]; then
  echo "$prefix"
  exit 0
fi
missing=()
for p in cmake g++ libsodium-dev dpkg-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/src"
# A private source list and apt state: the machine's apt configuration is left alone
# (deb822 format, which apt recognises by the .sources suffix).
. /etc/os-release
cat >"$dir/src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_opts=(-o "Dir::Etc::sourcelist=$dir/src.sources" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache")
apt-get "${apt_opts[@]}" update -qq >&2
(cd "$dir/src" && apt-get "${apt_opts[@]}" source --download-only zeromq3 >&2)
tar -xzf "$dir"/src/zeromq3_*.orig.tar.gz -C "$dir/src"
src=$(find "$dir/src" -maxdepth 1 -type d -name 'libzmq-*' | head -n 1)
cmake -S "$src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_LIBDIR=lib -DWITH_LIBSODIUM=ON -DENABLE_CURVE=ON -DWITH_LIBBSD=OFF \
  -DWITH_OPENPGM=OFF -DWITH_NORM=OFF -DWITH_VMCI=OFF -DENABLE_DRAFTS=OFF \
  -DBUILD_STATIC=OFF -DBUILD_TESTS=OFF -DWITH_PERF_TOOL=OFF -DWITH_DOCS=OFF >&2
cmake --build "$dir/build" -j "$(nproc)" >&2
cmake --install "$dir/build" >&2
strip --strip-unneeded "$prefix/lib/libzmq.so.5"
echo "$prefix"
