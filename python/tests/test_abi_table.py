"""abi/hqt_abi.toml against the real files: include/hqt.h and python/hqt/constants.py
(through scripts/gen_abi.py --check), the Swift sources (enum cases, found by
enum name anywhere under Sources/, so moving files between folders or modules
does not matter), the hand-written Python enums the table names, the library
version and the sizes of the sized structs. Any difference fails, naming it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import hqt
from conftest import HEADER

ROOT = Path(__file__).resolve().parents[2]
TABLE_PATH = ROOT / "abi" / "hqt_abi.toml"
SOURCES = ROOT / "Sources"


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_abi", ROOT / "scripts" / "gen_abi.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_abi = _load_generator()
TABLE: dict[str, Any] = tomllib.loads(TABLE_PATH.read_text())
GROUPS: dict[str, Any] = TABLE["groups"]


def lower_camel(name: str) -> str:
    first, *rest = name.lower().split("_")
    return first + "".join(w.capitalize() for w in rest)


def swift_name(value: dict[str, Any]) -> str:
    return value.get("swift", lower_camel(value["name"]))


# ---------------------------------------------------------------- Swift parsing


def swift_files() -> list[Path]:
    return sorted(SOURCES.rglob("*.swift"))


def _body(text: str, open_brace: int) -> str:
    """The text between the brace at ``open_brace`` and its match."""
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_brace + 1 : i]
    raise ValueError("unbalanced braces")


def _top_level_lines(body: str) -> list[str]:
    """Lines of ``body`` outside any nested braces (no switch cases of methods)."""
    out, depth = [], 0
    for line in body.splitlines():
        code = re.sub(r"//.*", "", line)
        if depth == 0:
            out.append(code)
        depth += code.count("{") - code.count("}")
    return out


_CASE = re.compile(r"^\s*case\s+(.*)$")
_STATIC = re.compile(
    r"static\s+let\s+(\w+)\s*(?::\s*U?Int(?:8|16|32)\s*=\s*(\d+)|=\s*\w+\(unchecked:\s*(\d+)\))"
)


def swift_enum(name: str) -> dict[str, int]:
    """Cases (or integer ``static let`` constants) of the Swift type ``name``,
    wherever it is declared under Sources/: {swift name: value}."""
    found = []
    decl = re.compile(r"\b(?:enum|struct)\s+" + re.escape(name) + r"\b([^{]*)\{")
    for path in swift_files():
        text = path.read_text()
        for m in decl.finditer(text):
            found.append((path, m.group(1), _body(text, m.end() - 1)))
    assert len(found) == 1, (
        f"Swift type {name} is declared {len(found)} times under Sources/: "
        f"{[str(p.relative_to(ROOT)) for p, _, _ in found]}"
    )
    path, raw_type, body = found[0]
    values: dict[str, int] = {}
    nxt = 0
    for line in _top_level_lines(body):
        m = _CASE.match(line)
        if m:
            for item in m.group(1).split(","):
                item = item.strip()
                if not item or "(" in item:
                    continue
                case, _, raw = (s.strip() for s in item.partition("="))
                value = int(raw.replace("_", ""), 0) if raw else nxt
                values[case.strip("`")] = value
                nxt = value + 1
        for s in _STATIC.finditer(line):
            values[s.group(1)] = int(s.group(2) or s.group(3))
    assert values, f"{name} in {path.relative_to(ROOT)}: no cases found"
    return values


def swift_text() -> str:
    return "\n".join(p.read_text() for p in swift_files())


# ---------------------------------------------------------------- the tests


def test_table_is_consistent():
    assert gen_abi.validate(TABLE) == []
    for gname, g in GROUPS.items():
        assert "doc" in g and g["values"], gname


def test_header_and_constants_are_generated_from_the_table():
    problems = gen_abi.check(TABLE)
    assert problems == [], "\n".join(problems)


def test_generator_check_reports_a_difference():
    """--check finds a changed value (the table, copied, with one number off)."""
    table = tomllib.loads(TABLE_PATH.read_text())
    run_mark = next(v for v in table["groups"]["wal_record"]["values"] if v["name"] == "RUN_MARK")
    run_mark["value"] = 13
    problems = gen_abi.check(table)
    assert any("HQT_WAL_RUN_MARK = 13" in p for p in problems), problems
    assert any("WAL_RUN_MARK = 13" in p and "constants.py" in p for p in problems), problems


SWIFT_GROUPS = [(g, t) for g, grp in GROUPS.items() if "swift" in grp for t in grp["swift"].split()]


@pytest.mark.parametrize("group,swift_type", SWIFT_GROUPS)
def test_swift_enum_matches_the_table(group, swift_type):
    g = GROUPS[group]
    want = {swift_name(v): v["value"] for v in g["values"] if swift_name(v)}
    have = swift_enum(swift_type)
    if len(g["swift"].split()) == 1:
        assert have == want, f"Swift {swift_type} differs from [groups.{group}]"
    else:  # the values are split over several Swift types: each agrees, together all
        assert {k: want.get(k) for k in have} == have, (
            f"Swift {swift_type} differs from [groups.{group}]"
        )
        union: dict[str, int] = {}
        for t in g["swift"].split():
            union.update(swift_enum(t))
        assert union == want, f"Swift {g['swift']} together differ from [groups.{group}]"


def test_swift_status_names_match_the_table():
    """hqt_status_name's switch, wherever it lives."""
    text = swift_text()
    at = text.index('@_cdecl("hqt_status_name")')
    body = _body(text, text.index("{", at))
    have = {int(v): n for v, n in re.findall(r'case\s+(\d+):\s*name\s*=\s*"(\w+)"', body)}
    g = GROUPS["status"]
    assert have == {v["value"]: gen_abi.c_name(g, v) for v in g["values"]}


def test_swift_frame_sizes_match_the_table():
    text = swift_text()
    for v in GROUPS["topic"]["values"]:
        m = re.findall(r"static\s+let\s+" + lower_camel(v["name"]) + r"Size\s*=\s*(\d+)", text)
        assert m == [str(v["size"])], (v["name"], m)


def test_swift_version_matches_the_table():
    text = swift_text()
    v = TABLE["version"]
    assert re.findall(r'hqtVersionString:\s*StaticString\s*=\s*"([^"]*)"', text) == [
        "%d.%d.%d" % (v["major"], v["minor"], v["patch"])
    ]
    assert [
        int(n.replace("_", ""))
        for n in re.findall(r"hqtVersionNumber:\s*Int32\s*=\s*([\d_]+)", text)
    ] == [gen_abi.version_number(v)]


def test_python_package_version_matches_the_table():
    # One place: the table. hqt.__version__ comes from the generated constants,
    # the distribution's version from setup.py reading the table itself.
    v = TABLE["version"]
    want = "%d.%d.%d" % (v["major"], v["minor"], v["patch"])
    assert hqt.__version__ == want
    init = (ROOT / "python" / "hqt" / "__init__.py").read_text()
    assert re.findall(r"^__version__ = (.*)$", init, re.M) == ['"%d.%d.%d" % ABI_VERSION']
    project = (ROOT / "pyproject.toml").read_text()
    assert re.findall(r"^dynamic = (.*)$", project, re.M) == ['["version"]']
    assert not re.findall(r"^version\s*=", project, re.M)
    assert 'abi" / "hqt_abi.toml' in (ROOT / "setup.py").read_text()


def test_swift_first_layout_sizes_match_the_table():
    text = swift_text()
    at = re.search(r"enum\s+FirstLayoutSize\s*\{", text)
    assert at, "enum FirstLayoutSize not found under Sources/"
    have = {
        k: int(n)
        for k, n in re.findall(r"static\s+let\s+(\w+)\s*=\s*(\d+)", _body(text, at.end() - 1))
    }
    want = {
        lower_camel(k.removeprefix("hqt_").removesuffix("_v2")): n
        for k, n in TABLE["first_layout_size"].items()
    }
    assert have == want


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_sized_structs_start_with_struct_size_and_are_not_smaller_than_their_first_layout(tmp_path):
    names = list(TABLE["first_layout_size"])
    src = tmp_path / "sizes.c"
    src.write_text(
        '#include <stdio.h>\n#include <stddef.h>\n#include "hqt.h"\nint main(void) {\n'
        + "".join(
            f'    printf("{n} %zu %zu\\n", sizeof({n}), offsetof({n}, struct_size));\n'
            for n in names
        )
        + "    return 0;\n}\n"
    )
    exe = tmp_path / "sizes"
    subprocess.run(
        ["gcc", "-std=c11", "-I", str(HEADER.parent), str(src), "-o", str(exe)], check=True
    )
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    sizes = {n: (int(s), int(o)) for n, s, o in (line.split() for line in out.splitlines())}
    assert set(sizes) == set(names)
    for n, first in TABLE["first_layout_size"].items():
        size, offset = sizes[n]
        assert offset == 0 and size >= first, (n, size, offset, first)
    structs = set(re.findall(r"typedef struct (hqt_\w+_v2) \{", HEADER.read_text()))
    assert structs == set(names), "every sized struct of hqt.h is in [first_layout_size]"


@pytest.mark.parametrize("group", [g for g, grp in GROUPS.items() if "python_check" in grp])
def test_hand_written_python_enums_match_the_table(group):
    module, _, name = GROUPS[group]["python_check"].rpartition(".")
    enum = getattr(importlib.import_module(module), name)
    assert {m.name: int(m) for m in enum} == {
        v["name"]: v["value"] for v in GROUPS[group]["values"]
    }


def test_python_errors_carry_the_table_status_names():
    import hqt.errors

    g = GROUPS["status"]
    want = {v["value"]: gen_abi.c_name(g, v) for v in g["values"] if v["value"] != 0}
    assert {code: cls.status_name for code, cls in hqt.errors.STATUS_EXCEPTIONS.items()} == want


def test_docs_state_the_tie_rule():
    engine_md = " ".join((ROOT / "docs" / "engine.md").read_text().split())
    assert TABLE["rules"]["tie"] in engine_md


def test_spec_fixed_values_never_change():
    """SPEC fixes these; the table may grow, never change them."""
    g = {name: {v["name"]: v["value"] for v in grp["values"]} for name, grp in GROUPS.items()}
    assert g["order_type"] == {
        "BUY": 0,
        "SELL": 1,
        "BUY_LIMIT": 2,
        "SELL_LIMIT": 3,
        "BUY_STOP": 4,
        "SELL_STOP": 5,
        "BUY_STOP_LIMIT": 6,
        "SELL_STOP_LIMIT": 7,
    }
    assert g["timeframe"] == {
        "M1": 1,
        "M5": 5,
        "M15": 15,
        "M30": 30,
        "H1": 60,
        "H4": 240,
        "D1": 1440,
        "W1": 10080,
        "MN1": 43200,
    }
    topics = [(v["name"], v["value"], v["format"], v["size"]) for v in GROUPS["topic"]["values"]]
    assert topics[:8] == [
        ("TICK", 0, "<BIQqq", 29),
        ("BAR", 1, "<BIHQqqqqQ", 55),
        ("TRADE", 2, "<BQIQQqq", 45),
        ("ORDER", 3, "<BQIQBQq", 38),
        ("EQUITY", 4, "<BQqqqq", 41),
        ("MARGIN", 5, "<BQqqqB", 34),
        ("POSITION", 6, "<BQIQBQqqqq", 62),
        ("ACCOUNT", 7, "<BQqqqq", 41),
    ]
    wal = g["wal_record"]
    assert [
        wal[n]
        for n in (
            "POSITION_OPEN",
            "POSITION_CLOSE",
            "POSITION_MODIFY",
            "ORDER_PLACE",
            "ORDER_CANCEL",
            "BALANCE_CHANGE",
            "CHECKPOINT",
        )
    ] == [1, 2, 3, 4, 5, 6, 7]
    assert TABLE["wal_frame"] == {"magic": 0x48515457, "format": "<IBII", "header_size": 13}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
