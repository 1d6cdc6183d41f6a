"""The root pyproject.toml / setup.py: what an sdist holds, and the message a
build without Swift gives (test_wheel.py covers the wheel)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT


def no_swift_env() -> dict[str, str]:
    path = [d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "swift").exists()]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HQT_LIBHQT")}
    env["PATH"] = os.pathsep.join(path)
    return env


def test_building_without_swift_says_what_is_missing(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "setup.py"), "-q", "build_ext", "--build-lib", str(tmp_path)],
        cwd=ROOT,
        env=no_swift_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert "needs the Swift 6 toolchain on PATH" in r.stderr and "wheel" in r.stderr


def test_a_missing_prebuilt_library_is_named(tmp_path):
    env = {**no_swift_env(), "HQT_LIBHQT": str(tmp_path / "nope.so")}
    r = subprocess.run(
        [sys.executable, str(ROOT / "setup.py"), "-q", "build_ext", "--build-lib", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0 and f"HQT_LIBHQT={tmp_path / 'nope.so'}: no such file" in r.stderr


def test_sdist_holds_every_swiftpm_target_the_header_and_the_extension(tmp_path):
    pytest.importorskip("build")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        env=no_swift_env(),
        check=True,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("hqt?engine-*.tar.gz")  # hqt_engine- (setuptools >= 69) or hqt-engine-
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    # SwiftPM refuses a manifest whose target folders are missing: Sources/*, Tests/*
    # and every `path:` of Package.swift
    paths = re.findall(r'path:\s*"([^"]+)"', (ROOT / "Package.swift").read_text())
    dirs = [
        str(d.relative_to(ROOT)) for top in ("Sources", "Tests") for d in (ROOT / top).iterdir()
    ]
    assert paths and dirs
    for d in dirs + paths:
        assert any(n.startswith(d + "/") for n in names), d
    for must in ("Package.swift", "include/hqt.h", "abi/hqt_abi.toml", "setup.py", "pyproject.toml",
                 "python/hqt/__init__.py", "python/hqt/_ext/module.c", "python/hqt/_ext/hqt_ext.h"):  # fmt: skip
        assert must in names, must
    assert not [n for n in names if n.endswith(".so")]  # built, never shipped in the sdist
