"""Where the C developer kit lives inside the installed package (docs/c.md).

A wheel or ``pip install .`` carries ``hqt/libhqt.so`` and ``hqt/include/hqt.h``;
a checkout with scripts/build.sh has the library in python/hqt/ and the header
in include/ at the repository root. These functions find either.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["get_include", "get_library", "cffi_cdef", "cdef_from_header"]

_PACKAGE = Path(__file__).resolve().parent


def get_include() -> str:
    """The directory holding hqt.h (for ``-I``, cffi's ``include_dirs``, setuptools)."""
    # a checkout's include/ first: the copy build_ext puts in the package goes stale
    # when hqt.h is edited, the checkout's header never does
    for candidate in (_PACKAGE.parent.parent / "include", _PACKAGE / "include"):
        if (candidate / "hqt.h").is_file():
            return str(candidate)
    raise FileNotFoundError(f"hqt.h is neither in {_PACKAGE / 'include'} nor in a checkout")


def get_library() -> str:
    """The path of the libhqt.so this package uses (for ctypes, cffi's dlopen, ``-L``)."""
    lib = _PACKAGE / "libhqt.so"
    if not lib.is_file():
        raise FileNotFoundError(f"{lib} is missing: build with scripts/build.sh or pip install")
    return str(lib)


# Defines whose value is a C expression cffi's cdef cannot evaluate: their value.
_EXPRESSION_DEFINES = {"INT64_MIN": str(-(2**63))}
_DEFINE = re.compile(r"#\s*define\s+(\w+)\s+(.*?)\s*(?:/\*.*)?$")


def cffi_cdef() -> str:
    """hqt.h as text that ``cffi.FFI().cdef()`` parses, no C preprocessor needed.

    The header itself needs one (include guard, ``#include``, ``extern "C"``):
    this drops every preprocessor line and the C++ block, keeps integer
    ``#define``s (string ones like HQT_VERSION become absent: call hqt_version())
    and writes ``HQT_KEEP`` as its number. Declarations are the header's, so
    cdef and library cannot drift. scripts/install.sh writes the same text to
    PREFIX/share/hqt/hqt.cdef for cffi users of the C kit.
    """
    return cdef_from_header((Path(get_include()) / "hqt.h").read_text())


def cdef_from_header(header: str) -> str:
    """The cffi_cdef() transformation of any hqt.h text (stdlib only: install.sh runs it)."""
    out: list[str] = []
    skip_cplusplus = False
    for line in header.splitlines():
        stripped = line.strip()
        if skip_cplusplus:
            skip_cplusplus = not stripped.startswith("#endif")
            continue
        if stripped.startswith("#ifdef __cplusplus"):
            skip_cplusplus = True
            continue
        if not stripped.startswith("#"):
            out.append(line)
            continue
        m = _DEFINE.match(stripped)
        if m is None or m.group(1) == "HQT_H":
            continue
        value = _EXPRESSION_DEFINES.get(m.group(2), m.group(2))
        if re.fullmatch(r"-?(0[xX][0-9a-fA-F]+|\d+)", value):
            out.append(f"#define {m.group(1)} {value}")
    return "\n".join(out) + "\n"
