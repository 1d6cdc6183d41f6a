"""The wheel scripts/wheel.sh makes installs and runs where there is no Swift.

Built once per session for this interpreter only. What is reused, to keep the
test cheap: the libhqt.so scripts/build.sh made (python/hqt/libhqt.so, passed
as HQT_LIBHQT: no second Swift build); the interpreter's setuptools (no build
isolation, no download); the libzmq of scripts/zmq-minimal.sh when its cache
(.build/zmq-minimal) exists, else Debian's (HQT_ZMQ=system: the wheel then
also carries krb5, and the no-krb5 check is skipped). What is not: the C
extension is compiled again (setuptools builds into its own build/), and
auditwheel repairs the wheel for real.

The wheel goes into a fresh venv (with the system site-packages for numpy and
cffi: no download); the checks run from an empty directory with no PYTHONPATH
and a PATH without swift: the README quickstart with broadcasting (bundled
libzmq) and CURVE (bundled libsodium) and the WAL, hqt.capi, cffi's ABI mode
on hqt.cffi_cdef(), and the C smoke program built against hqt.get_include().
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import hqt
from conftest import LIBHQT, ROOT

pytestmark = [
    pytest.mark.skipif(shutil.which("auditwheel") is None, reason="needs auditwheel"),
    pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc"),
    pytest.mark.skipif(not LIBHQT.is_file(), reason="needs scripts/build.sh's libhqt.so"),
]

MINIMAL_ZMQ = ROOT / ".build" / "zmq-minimal" / "prefix" / "lib" / "libzmq.so.5"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    env = {
        **os.environ,
        "HQT_LIBHQT": str(LIBHQT),
        "HQT_PYTHONS": sys.executable,
        "HQT_WHEEL_DIR": str(out),
        "HQT_PIP_ISOLATION": "0",
        "HQT_ZMQ": "minimal" if MINIMAL_ZMQ.exists() else "system",
    }
    r = subprocess.run(
        [str(ROOT / "scripts" / "wheel.sh")], env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = sorted(out.glob("hqt_engine-*.whl"))
    assert len(wheels) == 1, r.stdout + r.stderr
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(home)], check=True)
    py = home / "bin" / "python"
    # no PYTHONPATH: pip would take the checkout's python/ (hqt_engine.egg-info after a
    # setuptools build there) for an installed hqt-engine and install nothing
    r = subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        cwd=home,
        env=no_swift_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return py


def no_swift_env() -> dict[str, str]:
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "swift").exists()]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LD_LIBRARY_PATH")}
    env["PATH"] = os.pathsep.join(path)
    return env


def run_in(venv: Path, cwd: Path, code: str) -> str:
    r = subprocess.run(
        [str(venv), "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=no_swift_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_wheel_is_manylinux_stripped_and_bundles_only_what_it_needs(wheel):
    assert wheel.name.endswith("manylinux_2_35_x86_64.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hqt/include/hqt.h" in names and "hqt/libhqt.so" in names
    assert not [n for n in names if n.startswith("hqt/_ext/")]  # C sources: sdist only
    bundled = [n for n in names if n.startswith("hqt_engine.libs/")]
    assert any("libzmq" in n for n in bundled) and any("libsodium" in n for n in bundled)
    if MINIMAL_ZMQ.exists():
        assert not [n for n in bundled if any(k in n for k in ("krb5", "gssapi", "pgm", "norm"))]
    # stripped: no .symtab section left (an unstripped libhqt.so is ~12 MB)
    assert zipfile.ZipFile(wheel).getinfo("hqt/libhqt.so").file_size < 9_000_000


def test_installed_wheel_runs_the_quickstart_without_swift(venv, tmp_path):
    assert shutil.which("swift", path=no_swift_env()["PATH"]) is None
    out = run_in(
        venv,
        tmp_path,
        """
        import numpy as np, hqt
        assert "/site-packages/hqt/" in hqt.__file__, hqt.__file__
        engine = hqt.Engine(10000.0, "USD", 100)
        eurusd = engine.add_symbol("EURUSD", commission_per_lot=3.5)
        t = np.arange(20_000, dtype=np.int64) * 100_000_000 + 1_704_153_600_000_000_000
        bid = 1.10 + np.cumsum(np.random.default_rng(1).normal(0, 1e-5, t.size))
        engine.load_ticks(eurusd, t, bid, bid + 0.00002)

        class Always(hqt.Strategy):  # in the market all the time: deals guaranteed
            def on_tick(self, engine, tick):
                if not engine.positions:
                    engine.buy(tick.symbol_id, 0.1, sl=tick.bid - 0.0005, tp=tick.bid + 0.0005)

        public, secret = hqt.curve_keypair()              # libsodium, bundled
        engine.enable_broadcasting("tcp://127.0.0.1:*", curve_secret_key=secret)
        engine.enable_wal("backtest.wal", truncate=True)
        engine.run(Always())
        print("deals", len(engine.deals), "version", hqt.__version__)
        """,
    )
    assert out.startswith("deals ") and int(out.split()[1]) > 2  # opened, closed, opened
    assert (tmp_path / "backtest.wal").stat().st_size > 0


def test_installed_wheel_serves_the_c_kit_to_ctypes_cffi_and_gcc(venv, tmp_path):
    out = run_in(
        venv,
        tmp_path,
        """
        import ctypes, cffi, hqt, hqt.capi as capi
        lib = capi.load()
        engine = capi.ENGINE_P()
        capi.check(lib, lib.hqt_engine_create(capi.to_micros(500.0), b"USD", 50, ctypes.byref(engine)))
        account = capi.Account()
        capi.check(lib, lib.hqt_engine_account(engine, ctypes.byref(account)))
        lib.hqt_engine_destroy(engine)
        ffi = cffi.FFI()
        ffi.cdef(hqt.cffi_cdef())
        c = ffi.dlopen(hqt.get_library())
        print(account.balance, ffi.string(c.hqt_version()).decode(), c.HQT_E_NO_MONEY)
        print(hqt.get_include())
        print(hqt.get_library())
        """,
    ).splitlines()
    assert out[0].split() == ["500000000", hqt.__version__, "7"]  # micro-units in the ABI
    include, library = Path(out[1]), Path(out[2])
    exe = tmp_path / "smoke"
    smoke = ROOT / "python" / "tests" / "c" / "smoke.c"
    subprocess.run(
        ["gcc", "-std=c11", "-I", include, smoke, "-L", library.parent, "-lhqt",
         f"-Wl,-rpath,{library.parent}", "-o", exe],
        check=True,
    )  # fmt: skip
    run = subprocess.run([exe], cwd=tmp_path, env=no_swift_env(), capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "deal " in run.stdout
