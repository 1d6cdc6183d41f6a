"""Builds the hqt._hqt extension against libhqt.so.

scripts/build.sh copies libhqt.so to python/hqt/ and then runs
``python3 setup.py build_ext --inplace`` here. The extension links -lhqt with
rpath $ORIGIN, so it loads the libhqt.so that sits next to it in the package.
"""

from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent
EXT_DIR = Path("hqt") / "_ext"
INCLUDE = HERE.parent / "include"

hqt_ext = Extension(
    "hqt._hqt",
    sources=[
        str(EXT_DIR / name)
        for name in (
            "module.c",
            "errors.c",
            "types.c",
            "records.c",
            "strategy.c",
            "engine.c",
            "engine_data.c",
            "engine_trading.c",
            "engine_state.c",
            "report.c",
            "engine_io.c",
            "io_common.c",
            "wal_type.c",
            "broadcaster.c",
            "results.c",
            "rules.c",
        )
    ],
    depends=[str(EXT_DIR / name) for name in ("hqt_ext.h", "engine_impl.h", "io_impl.h")]
    + [str(INCLUDE / "hqt.h")],
    include_dirs=[str(INCLUDE), str(EXT_DIR)],
    library_dirs=["hqt"],
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
    packages=["hqt", "hqt.dashboard"],
    package_data={"hqt": ["py.typed", "*.pyi", "libhqt.so"], "hqt.dashboard": ["page.html"]},
    ext_modules=[hqt_ext],
)
