"""The C developer kit as docs/c.md tells a C user to use it.

scripts/install.sh installs scripts/build.sh's libhqt.so (no Swift build) into
a temporary prefix; examples/c/backtest.c is built there with nothing but
`pkg-config --cflags --libs hqt`, and examples/c/cffi_backtest.py runs from a
directory outside the repository with no hqt package importable.
"""

from __future__ import annotations

import ctypes as C
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hqt
import hqt.capi as capi
from conftest import LIBHQT, ROOT

pytestmark = [
    pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc"),
    pytest.mark.skipif(shutil.which("pkg-config") is None, reason="needs pkg-config"),
    pytest.mark.skipif(shutil.which("patchelf") is None, reason="needs patchelf"),
]
EXAMPLES = ROOT / "examples" / "c"


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    prefix = tmp_path_factory.mktemp("prefix")
    subprocess.run(
        [ROOT / "scripts" / "install.sh", "--prefix", prefix, "--lib", LIBHQT],
        check=True,
        capture_output=True,
    )
    return prefix


def user_env(prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    env["PKG_CONFIG_PATH"] = str(prefix / "lib" / "pkgconfig")
    return env


def test_install_lays_out_a_versioned_library_header_and_pc_file(prefix):
    lib = prefix / "lib"
    real = lib / f"libhqt.so.{hqt.__version__}"
    major = hqt.__version__.split(".")[0]
    assert real.is_file() and not real.is_symlink()
    assert os.readlink(lib / f"libhqt.so.{major}") == real.name
    assert os.readlink(lib / "libhqt.so") == f"libhqt.so.{major}"
    soname = subprocess.run(
        ["patchelf", "--print-soname", real], capture_output=True, text=True, check=True
    )
    assert soname.stdout.strip() == f"libhqt.so.{major}"
    assert (prefix / "include" / "hqt.h").read_text() == (ROOT / "include" / "hqt.h").read_text()

    def pkg_config(*args: str) -> list[str]:
        return subprocess.run(
            ["pkg-config", *args, "hqt"], env=user_env(prefix), capture_output=True, text=True
        ).stdout.split()

    assert pkg_config("--modversion") == [hqt.__version__]
    assert pkg_config("--cflags", "--libs") == [f"-I{prefix}/include", f"-L{prefix}/lib", "-lhqt"]
    assert (prefix / "share" / "hqt" / "hqt.cdef").read_text() == hqt.cffi_cdef()


def test_example_c_program_builds_with_pkg_config_and_runs(prefix, tmp_path):
    env = user_env(prefix)
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "hqt"], env=env, capture_output=True, text=True
    ).stdout.split()
    exe = tmp_path / "backtest"
    subprocess.run(
        ["gcc", "-std=c11", "-O1", "-Wall", "-Wextra", "-Werror", EXAMPLES / "backtest.c",
         *flags, f"-Wl,-rpath,{prefix}/lib", "-o", exe],
        check=True,
    )  # fmt: skip
    run = subprocess.run([exe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"HQT {hqt.__version__} (header {hqt.__version__})"
    trades = next(line for line in lines if line.startswith("trades ")).split()
    assert int(trades[1]) > 0 and int(trades[-1]) > 0  # trades made, frames broadcast
    assert "HQT_E_UNKNOWN_SYMBOL: unknown symbol id 99" in run.stdout
    assert lines[-1] == "ok" and (tmp_path / "backtest.wal").stat().st_size > 0


def test_cffi_abi_mode_script_runs_outside_the_repository(prefix, tmp_path):
    pytest.importorskip("cffi")
    script = tmp_path / "cffi_backtest.py"
    shutil.copy(EXAMPLES / "cffi_backtest.py", script)
    env = user_env(prefix)
    nohqt = subprocess.run([sys.executable, "-c", "import hqt"], cwd=tmp_path, env=env)
    assert nohqt.returncode != 0  # the kit alone, no Python package
    run = subprocess.run(
        [sys.executable, script, prefix], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "ok"
    assert "buy on symbol 99: HQT_E_UNKNOWN_SYMBOL" in run.stdout
    assert int(run.stdout.split("trades ")[1].split()[0]) > 0


def test_cffi_cdef_parses_and_declares_every_function_of_the_header():
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef(hqt.cffi_cdef())
    lib = ffi.dlopen(hqt.get_library())
    declared = set(
        subprocess.run(
            ["sed", "-nE", r"s/^[a-z].*[ *](hqt_[a-z0-9_]+)\(.*/\1/p", ROOT / "include" / "hqt.h"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    assert len(declared) > 100
    for name in declared:
        assert getattr(lib, name) is not None, name
    assert lib.HQT_KEEP == -(2**63) and lib.HQT_VERSION_NUMBER == hqt.constants.ABI_VERSION_NUMBER


def test_capi_signatures_match_the_header():
    # hqt.capi is hand-kept; test_header_cffi checks its structs, this its functions:
    # same arity, and each argument and result of the same size as hqt.h declares.
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    ffi.cdef(hqt.cffi_cdef())
    lib = ffi.dlopen(hqt.get_library())
    for name, (restype, argtypes) in capi._SIGNATURES.items():
        declared = ffi.typeof(getattr(lib, name))
        assert len(declared.args) == len(argtypes), name
        for ctype, ftype in zip(argtypes, declared.args, strict=True):
            assert C.sizeof(ctype) == ffi.sizeof(ftype), (name, ctype, ftype.cname)
            assert (ftype.kind == "primitive" and "double" in ftype.cname) == (ctype is C.c_double)
        if restype is None:
            assert declared.result.cname == "void", name
        else:
            assert C.sizeof(restype) == ffi.sizeof(declared.result), name
