"""Date/time text -> int64 nanoseconds, vectorised over fixed-width columns.

pyarrow's CSV reader hands a time column over as one buffer of bytes plus
offsets. When every value has the same width (what every feed writes: MT5's
``2024.01.02``, Dukascopy's ``01.01.2024 22:00:04.123``, HistData's
``20240102 000000123``), that buffer *is* an (n, width) byte matrix and a
strptime-like format names fixed positions in it: the digits are read with a
few numpy operations per field, 20-50 M values/s, where ``datetime.strptime``
manages 0.5 M/s and pyarrow's own ``strptime`` has no fractional seconds.

Directives: ``%Y`` (4 digits) ``%m %d %H %M %S`` (2 digits) ``%f`` (1-9
digits: the width of the first value's fraction), ``%z`` (``+hhmm`` or
``+hh:mm``: subtracted, so the result is UTC), ``%%``; anything else is a
literal that every value must have at that place. Values of another width,
or that do not match, are found and reported by :func:`parse_times`'s caller
with the row (``TimeFormatError.row``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from hqt._arrays import RANGE_TEXT

__all__ = ["TimeFormatError", "compile_format", "parse_fixed", "guess_format", "days_from_civil"]

_NS = {"S": 10**9, "M": 60 * 10**9, "H": 3600 * 10**9}
_WIDTH = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


class TimeFormatError(ValueError):
    """Row `row` (0-based, of the column) does not match the format."""

    def __init__(self, row: int, reason: str) -> None:
        super().__init__(reason)
        self.row = row


def compile_format(fmt: str, sample: str) -> list[tuple[str, int, int]]:
    """[(directive or literal, start, width)] of `fmt` laid over `sample`."""
    parts: list[tuple[str, int, int]] = []
    pos = i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt) and fmt[i + 1] != "%":
            d = fmt[i + 1]
            if d in _WIDTH:
                w = _WIDTH[d]
            elif d == "f":
                w = len(sample) - pos - len(sample[pos:].lstrip("0123456789"))
                if not 1 <= w <= 9:
                    raise TimeFormatError(0, f"{sample!r} has no fraction of 1-9 digits for %f")
            elif d == "z":
                w = 6 if sample[pos + 3 : pos + 4] == ":" else 5
            else:
                raise ValueError(f"time_format: unsupported directive %{d} in {fmt!r}")
            parts.append((d, pos, w))
            pos += w
            i += 2
        else:
            lit = "%" if fmt[i : i + 2] == "%%" else c
            parts.append(("lit:" + lit, pos, 1))
            pos += 1
            i += 2 if fmt[i : i + 2] == "%%" else 1
    parts.append(("end", pos, 0))
    return parts


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    mp = np.where(m > 2, m - 3, m + 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days: np.ndarray = era * 146097 + doe - 719468
    return days


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def parse_fixed(mat: np.ndarray, parts: list[tuple[str, int, int]], what: str) -> np.ndarray:
    """int64 ns of an (n, width) uint8 matrix of values laid out as `parts`.

    Raises TimeFormatError naming the first row that does not fit."""
    n, width = mat.shape
    end = parts[-1][1]
    if width != end:
        raise TimeFormatError(0, f"{what} values are {width} characters wide, the format {end}")
    # The layout, once: which columns hold digits (and which field each
    # belongs to), which hold literal bytes; then one gather of the digits and
    # a few whole-column operations per field, checks only on the whole batch.
    digit_cols: list[int] = []
    lit_cols: list[int] = []
    lit_bytes: list[int] = []
    fields: list[tuple[str, list[int]]] = []  # name -> positions in digit_cols
    sign_col = None
    for d, start, w in parts[:-1]:
        if d.startswith("lit:"):
            lit_cols.append(start)
            lit_bytes.append(ord(d[4:]))
            continue
        if d == "z":
            sign_col = start
            hcols = [start + 1, start + 2]
            mcols = [start + 4, start + 5] if w == 6 else [start + 3, start + 4]
            if w == 6:
                lit_cols.append(start + 3)
                lit_bytes.append(ord(":"))
            for name, cols in (("zh", hcols), ("zm", mcols)):
                fields.append((name, list(range(len(digit_cols), len(digit_cols) + 2))))
                digit_cols += cols
            continue
        fields.append((d, list(range(len(digit_cols), len(digit_cols) + w))))
        digit_cols += range(start, start + w)
    digits = mat[:, digit_cols] - np.uint8(48)  # a byte below '0' wraps to > 9
    bad = None
    if (digits > 9).any():
        bad = (digits > 9).any(axis=1)
    if lit_cols and (mat[:, lit_cols] != np.array(lit_bytes, dtype=np.uint8)).any():
        lb = (mat[:, lit_cols] != np.array(lit_bytes, dtype=np.uint8)).any(axis=1)
        bad = lb if bad is None else bad | lb
    sign = None
    if sign_col is not None:
        sc = mat[:, sign_col]
        sb = (sc != ord("+")) & (sc != ord("-"))
        bad = sb if bad is None else bad | sb
        sign = np.where(sc == ord("-"), -1, 1)
    # one contiguous row per digit position (BLAS matmul was slower on busy machines)
    dt = np.ascontiguousarray(digits.T).astype(np.int64)
    vals: dict[str, np.ndarray] = {}
    for name, pos in fields:
        v = dt[pos[0]].copy()
        for p in pos[1:]:
            v *= 10
            v += dt[p]
        vals[name] = v
    if "f" in vals:
        vals["f"] = vals["f"] * 10 ** (9 - len(fields[[f[0] for f in fields].index("f")][1]))
    if bad is None:
        bad = np.zeros(n, dtype=bool)
    one = np.ones(n, dtype=np.int64)
    y = vals.get("Y", np.full(n, 1970, dtype=np.int64))
    m = vals.get("m", one)
    day = vals.get("d", one)
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    mdays = _MONTH_DAYS[np.clip(m, 0, 12)] + ((m == 2) & leap)
    bad |= (m < 1) | (m > 12) | (day < 1) | (day > mdays)
    hh, mm, ss = (vals.get(k, np.zeros(n, dtype=np.int64)) for k in ("H", "M", "S"))
    bad |= (hh > 23) | (mm > 59) | (ss > 60)
    if "zh" in vals:
        bad |= (vals["zh"] > 23) | (vals["zm"] > 59)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TimeFormatError(
            i, f"{what} {bytes(mat[i]).decode(errors='replace')!r} does not match"
        )
    # int64 ns hold 1677-09-21 .. 2262-04-11: whole years inside that are safe
    out = (y < 1678) | (y > 2261)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise TimeFormatError(
            i, f"{what} {bytes(mat[i]).decode(errors='replace')!r} is outside {RANGE_TEXT}"
        )
    ns = days_from_civil(y, m, day) * 86_400 * 10**9
    ns += hh * _NS["H"] + mm * _NS["M"] + ss * _NS["S"] + vals.get("f", 0)
    if sign is not None:
        ns -= sign * (vals["zh"] * _NS["H"] + vals["zm"] * _NS["M"])
    return ns


def string_matrix(pa: Any, arr: Any) -> np.ndarray | None:
    """The values of a pyarrow string array as an (n, width) uint8 matrix
    (a view of its buffer), or None when they are not all the same width."""
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1 + arr.offset)[arr.offset :]
    if n == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    width = int(offsets[1] - offsets[0])
    if int(offsets[-1] - offsets[0]) != width * n or not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(bufs[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return data.reshape(n, width)


_GUESS = re.compile(
    r"^(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})([ T])(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?$"
)


def guess_format(sample: str, dayfirst: bool) -> str | None:
    """A strptime format for a date-time like `sample` (day-first or not), or None."""
    m = _GUESS.match(sample.strip())
    if not m:
        return None
    a, sep, _b, c, t = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    if len(a) == 4:
        date = f"%Y{sep}%m{sep}%d"
    elif len(c) == 4:
        date = f"%d{sep}%m{sep}%Y" if dayfirst else f"%m{sep}%d{sep}%Y"
    else:
        return None
    time = "%H:%M" + (":%S" if m.group(8) else "") + (".%f" if m.group(9) else "")
    return date + t + time
