"""Build of the `hqt-engine` distribution (import name `hqt`); metadata is in pyproject.toml.

Why setuptools with a custom ``build_ext`` (README, "Installing"): the only
native pieces are one SwiftPM product (libhqt.so) and one C extension that links
it. ``build_ext`` runs ``swift build -c release --product hqt`` first, copies
libhqt.so next to the extension (which links it with rpath ``$ORIGIN``) and
puts ``include/hqt.h`` into the package (``hqt.get_include()``). A CMake layer
(scikit-build-core) would only wrap the same two commands.

Environment:
  HQT_LIBHQT=/path/libhqt.so  use this library instead of running swift build
                              (scripts/build.sh and scripts/wheel.sh pass the
                              library they built, so nothing is built twice)

The version is read from abi/hqt_abi.toml [version], the table that also
writes HQT_VERSION_* in hqt.h and hqt.constants.ABI_VERSION (one place).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib  # Python >= 3.11, as requires-python says
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
EXT_DIR = Path("python") / "hqt" / "_ext"


def read_version() -> str:
    table = tomllib.loads((ROOT / "abi" / "hqt_abi.toml").read_text())["version"]
    return "%d.%d.%d" % (table["major"], table["minor"], table["patch"])


def swift_library() -> Path:
    """libhqt.so: HQT_LIBHQT if given, else a SwiftPM release build of the product."""
    given = os.environ.get("HQT_LIBHQT")
    if given:
        lib = Path(given)
        if not lib.is_file():
            raise SystemExit(f"HQT_LIBHQT={given}: no such file")
        return lib
    swift = shutil.which("swift")
    if swift is None:
        raise SystemExit(
            "building hqt-engine from source needs the Swift 6 toolchain on PATH "
            "(`swift build` makes libhqt.so), plus libzmq3-dev, zlib1g-dev and gcc. "
            "Without Swift, install a prebuilt wheel (scripts/wheel.sh makes one)."
        )
    subprocess.check_call([swift, "build", "-c", "release", "--product", "hqt"], cwd=ROOT)
    bin_dir = subprocess.check_output(
        [swift, "build", "-c", "release", "--show-bin-path"], cwd=ROOT, text=True
    ).strip()
    return Path(bin_dir) / "libhqt.so"


class SwiftBuildExt(build_ext):
    """Puts libhqt.so and hqt.h where the extension and hqt.get_include() look."""

    def run(self) -> None:
        lib = swift_library()
        ext_dir = Path(self.get_ext_fullpath("hqt._hqt")).parent
        ext_dir.mkdir(parents=True, exist_ok=True)
        target = ext_dir / "libhqt.so"
        if not target.exists() or not os.path.samefile(lib, target):
            shutil.copyfile(lib, target)
            target.chmod(0o755)
        include = ext_dir / "include"
        include.mkdir(exist_ok=True)
        shutil.copyfile(ROOT / "include" / "hqt.h", include / "hqt.h")
        for ext in self.extensions:
            ext.library_dirs = [str(ext_dir)]
        super().run()


hqt_ext = Extension(
    "hqt._hqt",
    sources=sorted(str(p.relative_to(ROOT)) for p in (ROOT / EXT_DIR).glob("*.c")),
    depends=[str(p.relative_to(ROOT)) for p in (ROOT / EXT_DIR).glob("*.h")] + ["include/hqt.h"],
    include_dirs=["include", str(EXT_DIR)],
    libraries=["hqt"],
    runtime_library_dirs=["$ORIGIN"],
    extra_compile_args=[
        "-std=c11",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-missing-field-initializers",
        "-Wno-unused-parameter",
        "-Wno-cast-function-type",
    ],
)

setup(
    version=read_version(),
    package_dir={"": "python"},
    packages=["hqt", "hqt.dashboard"],
    package_data={
        "hqt": ["py.typed", "*.pyi", "libhqt.so", "include/hqt.h"],
        "hqt.dashboard": ["page.html"],
    },
    # the extension's C sources are in the sdist (MANIFEST.in), not in the installed package
    exclude_package_data={"hqt": ["_ext/*"]},
    ext_modules=[hqt_ext],
    cmdclass={"build_ext": SwiftBuildExt},
)
