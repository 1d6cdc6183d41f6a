"""Plain tick CSV files read by pyarrow's streaming CSV reader, when pyarrow is
installed (``Engine.load_csv``): the Python reader parses about 0.2 M lines/s.

Only the simple case takes this path: a ``plain_ticks`` file in UTF-8 without
a byte-order mark, its header on line 1, integer times, every cell a plain
number. Anything pyarrow refuses (ISO times, empty cells, a short row, "nan",
...) and anything the engine refuses makes the caller drop what was loaded
and read the file again with the Python reader, which names the file and
line of the problem, or accepts what pyarrow would not: the result, and
every error message, are the Python reader's.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from hqt import _optional
from hqt import data as D
from hqt._arrays import as_time_array
from hqt._series import TickData
from hqt.errors import HQTError
from hqt.frames import _arrow_view

if TYPE_CHECKING:  # pragma: no cover
    from hqt.data import PathLike

__all__ = ["arrow_tick_chunks"]

#: Bytes pyarrow parses per batch: about 6,500 ticks of ~40-byte lines. The
#: reader parses a few blocks ahead on its threads and its pool keeps what
#: they used: 1 MB blocks held ~25 MB more at the peak of a 20M-tick load
#: (1.13x the data rather than 1.08x), and were no faster.
BLOCK_BYTES = 1 << 18


class Unsupported(Exception):
    """A batch the fast reader does not take as it is (the Python reader decides)."""


def arrow_tick_chunks(path: PathLike, head: D._Rows, unit: str | None) -> Iterator[TickData] | None:
    """The ticks of a plain tick file in batches, or None when this file is
    not the simple case (or pyarrow is not installed)."""
    pa = _optional.optional("pyarrow")
    pacsv = _optional.optional("pyarrow.csv")
    if pa is None or pacsv is None or head.numbers[:1] != [1]:
        return None
    with open(path, "rb") as fh:
        start = fh.read(4)
    boms = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if start.startswith(boms) or (len(start) >= 2 and start[1] == 0):
        return None
    sep = D._sniff_sep(head.lines[0])
    header = head.lines[0].split(sep)
    try:
        idx = D._header_index(
            head, header, {"time": D._TIME_NAMES, "bid": ("bid",), "ask": ("ask",)}
        )
    except HQTError:
        return None  # the Python reader raises it
    names = [f"c{k}" for k in range(len(header))]
    wanted = [names[idx["time"]], names[idx["bid"]], names[idx["ask"]]]
    types = dict(zip(wanted, (pa.int64(), pa.float64(), pa.float64()), strict=True))
    reader = pacsv.open_csv(
        os.fspath(path),
        read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False),
        convert_options=pacsv.ConvertOptions(column_types=types, include_columns=wanted),
    )
    return _batches(pa, reader, unit)


def _batches(pa: Any, reader: Any, unit: str | None) -> Iterator[TickData]:
    try:
        for batch in reader:
            time, bid, ask = (batch.column(k) for k in range(3))
            if time.null_count or bid.null_count or ask.null_count:
                raise Unsupported("an empty or 'nan' cell")
            # views of the batch's buffers (to_numpy would import pandas)
            t = _arrow_view(pa, time, np.int64)
            b, a = _arrow_view(pa, bid, np.float64), _arrow_view(pa, ask, np.float64)
            if t is None or b is None or a is None:
                raise Unsupported("a column of another type")
            try:
                t = as_time_array(t, "time", unit)
            except HQTError as e:  # times in another unit: the Python reader names the line
                raise Unsupported(str(e)) from None
            yield TickData(t, b, a)
    finally:
        reader.close()
