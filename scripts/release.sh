#!/usr/bin/env bash
# Makes a release in dist/VERSION/: the sdist, the wheels (scripts/wheel.sh:
# CPython 3.11-3.13, manylinux_2_35), the C kit tarball (scripts/install.sh
# into a staging prefix: lib/, include/, lib/pkgconfig/hqt.pc, share/hqt/) and
# SHA256SUMS over all of them. Builds libhqt.so once (swift build -c release)
# and hands it to both wheel.sh and install.sh.
# The version is abi/hqt_abi.toml's; tag the commit vVERSION after checking.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(python3 -c 'import tomllib; v = tomllib.load(open("abi/hqt_abi.toml", "rb"))["version"]; print("%d.%d.%d" % (v["major"], v["minor"], v["patch"]))')
grep -q "^## \[$version\]\|^## \[Unreleased\] ($version)" CHANGELOG.md ||
  echo "warning: CHANGELOG.md has no section for $version" >&2
out="$root/dist/$version"
rm -rf "$out"
mkdir -p "$out"

swift build -c release --product hqt
lib="$(swift build -c release --show-bin-path)/libhqt.so"

echo "== sdist"
python3 -m build --sdist --outdir "$out" .
echo "== wheels"
HQT_LIBHQT="$lib" HQT_WHEEL_DIR="$out" scripts/wheel.sh
echo "== C kit"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
kit="hqt-c-$version-linux-x86_64"
scripts/install.sh --prefix "$stage/$kit" --lib "$lib"
# The .pc file names the staging prefix: make it relative to its own location
# (pkg-config's ${pcfiledir}), so the unpacked kit works wherever it lands.
sed -i "s|^prefix=.*|prefix=\${pcfiledir}/../..|" "$stage/$kit/lib/pkgconfig/hqt.pc"
cp LICENSE README.md docs/c.md "$stage/$kit/"
cp -r examples/c "$stage/$kit/examples"
tar -C "$stage" -czf "$out/$kit.tar.gz" "$kit"

(cd "$out" && sha256sum -- *.tar.gz *.whl >SHA256SUMS)
echo "== $out"
cat "$out/SHA256SUMS"
