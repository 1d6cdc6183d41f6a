"""include/hqt.h is plain C: gcc preprocesses it, cffi's cdef parses it, it
compiles as C and C++, and its layout matches the ctypes mirror and libhqt.so.

cffi cannot parse glibc's own headers (``__attribute__`` and friends), and
already knows <stdint.h>/<stddef.h> types; so the header is preprocessed with
``gcc -E -P -nostdinc`` and empty stand-ins for those two headers.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import hqt
import hqt_ctypes as H
from conftest import HEADER, LIBHQT, T0

cffi = pytest.importorskip("cffi")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")


@pytest.fixture(scope="module")
def cdef_source(tmp_path_factory) -> str:
    stubs = tmp_path_factory.mktemp("stub_include")
    (stubs / "stddef.h").write_text("/* cffi knows size_t */\n")
    (stubs / "stdint.h").write_text("/* cffi knows the int*_t types */\n")
    out = subprocess.run(
        ["gcc", "-E", "-P", "-nostdinc", "-I", str(stubs), str(HEADER)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


@pytest.fixture(scope="module")
def ffi_lib(cdef_source):
    ffi = cffi.FFI()
    ffi.cdef(cdef_source)
    return ffi, ffi.dlopen(str(LIBHQT))


def test_plain_gcc_preprocessing_works():
    out = subprocess.run(["gcc", "-E", "-P", str(HEADER)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "hqt_engine_create" in out.stdout


@pytest.mark.parametrize(
    "compiler,flags",
    [
        ("gcc", ["-x", "c", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]),
        ("gcc", ["-x", "c", "-std=c11", "-Wall", "-Wextra", "-Wstrict-prototypes", "-Werror"]),
        ("g++", ["-x", "c++", "-std=c++11", "-Wall", "-Wextra", "-Werror"]),
    ],
)
def test_header_compiles_standalone(compiler, flags, tmp_path):
    if shutil.which(compiler) is None:
        pytest.skip(f"needs {compiler}")
    src = tmp_path / "inc.c"
    src.write_text(
        '#include "hqt.h"\n#include "hqt.h" /* include guard */\n'
        "int main(void) { return HQT_OK; }\n"
    )
    out = subprocess.run(
        [compiler, *flags, "-fsyntax-only", "-I", str(HEADER.parent), str(src)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def test_cdef_parses_the_header(cdef_source):
    ffi = cffi.FFI()
    ffi.cdef(cdef_source)
    for name in H.STRUCTS:
        assert ffi.sizeof(name) > 0
    assert ffi.sizeof("hqt_engine *") == ffi.sizeof("void *")


def test_every_name_is_prefixed(ffi_lib, cdef_source):
    _, lib = ffi_lib
    names = dir(lib)
    assert "hqt_engine_create" in names and "HQT_OK" in names
    assert all(n.startswith(("hqt_", "HQT_")) for n in names), [
        n for n in names if not n.startswith(("hqt_", "HQT_"))
    ]
    types = re.findall(r"typedef\s+struct\s+(\w+)", cdef_source)
    assert types and all(t.startswith("hqt_") for t in types)


def test_ctypes_mirror_matches_the_header(ffi_lib):
    ffi, _ = ffi_lib
    for name, struct in H.STRUCTS.items():
        assert ffi.sizeof(name) == H.C.sizeof(struct), name
        for field, _ in struct._fields_:
            assert ffi.offsetof(name, field) == getattr(struct, field).offset, (name, field)


def test_status_codes_match_python_exceptions(ffi_lib):
    ffi, lib = ffi_lib
    codes = {n: getattr(lib, n) for n in dir(lib) if n.startswith("HQT_E_")}
    assert codes, "status enum visible through cffi"
    for name, code in codes.items():
        assert ffi.string(lib.hqt_status_name(code)).decode() == name
        cls = hqt.errors.STATUS_EXCEPTIONS[code]
        assert cls.status_name == name, (name, cls)
    assert set(hqt.errors.STATUS_EXCEPTIONS) == set(codes.values())


def test_enums_match_python_constants(ffi_lib):
    _, lib = ffi_lib
    assert [
        lib.HQT_M1,
        lib.HQT_M5,
        lib.HQT_M15,
        lib.HQT_M30,
        lib.HQT_H1,
        lib.HQT_H4,
        lib.HQT_D1,
        lib.HQT_W1,
        lib.HQT_MN1,
    ] == [int(t) for t in hqt.Timeframe]
    for t in hqt.OrderType:
        assert getattr(lib, f"HQT_ORDER_{t.name}") == t
    for r in hqt.DealReason:
        assert getattr(lib, f"HQT_REASON_{r.name}") == r
    for s in hqt.OrderState:
        assert getattr(lib, f"HQT_ORDER_STATE_{s.name}") == s
    assert (lib.HQT_ACCOUNT_HEDGING, lib.HQT_ACCOUNT_NETTING) == (0, 1)
    assert (lib.HQT_MARGIN_FOREX, lib.HQT_MARGIN_CFD) == (0, 1)
    assert (lib.HQT_ENTRY_IN, lib.HQT_ENTRY_OUT, lib.HQT_ENTRY_INOUT) == (0, 1, 2)


def test_small_run_through_cffi(ffi_lib):
    ffi, lib = ffi_lib
    pe = ffi.new("hqt_engine **")
    assert lib.hqt_engine_create(1_000_000_000, b"USD", 50, pe) == lib.HQT_OK
    e = ffi.gc(pe[0], lib.hqt_engine_destroy)
    spec = ffi.new("hqt_symbol_spec *")
    lib.hqt_symbol_spec_init(spec)
    name, base, profit = (
        ffi.new("char[]", b"GBPUSD"),
        ffi.new("char[]", b"GBP"),
        ffi.new("char[]", b"USD"),
    )
    spec.name, spec.base_currency, spec.profit_currency = name, base, profit
    sid = ffi.new("uint32_t *")
    assert lib.hqt_engine_add_symbol(e, spec, sid) == lib.HQT_OK
    ev = ffi.new(
        "hqt_event *",
        {
            "type": lib.HQT_EVENT_TICK,
            "tick": {"symbol_id": 0, "time": T0, "bid": 1_270_000, "ask": 1_270_030},
        },
    )
    ticks = []

    @ffi.callback("int(hqt_engine *, const hqt_tick *, void *)")
    def on_tick(engine, tick, ud):
        ticks.append((tick.time, tick.bid, tick.ask))
        return 0

    strat = ffi.new("hqt_strategy *", {"on_tick": on_tick})
    assert lib.hqt_engine_process_event(e, ev, strat) == lib.HQT_OK
    assert ticks == [(T0, 1_270_000, 1_270_030)]
    ticket = ffi.new("uint64_t *")
    assert lib.hqt_engine_buy(e, 0, 10_000, 0, 0, ticket) == lib.HQT_OK
    acc = ffi.new("hqt_account *")
    assert lib.hqt_engine_account(e, acc) == lib.HQT_OK
    # 0.01 lot GBPUSD, 1:50: 1000 GBP / 50 = 20 GBP at ask 1.27003 = 25.4006 USD
    assert acc.margin == 25_400_600
    assert ffi.string(acc.currency) == b"USD"
    assert lib.hqt_engine_close(e, 999, 0) == lib.HQT_E_UNKNOWN_TICKET
    assert b"999" in ffi.string(lib.hqt_last_error())
