"""Time text as pyarrow reads it: a text column as one string array, and strptime with
impossible days refused rather than rolled over.

Their own module so that both ways of reading start times (a column as written,
``cdr.times``; a date column and a clock column per distinct value,
``cdr.dateclock``) read every value with the same functions.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pandas as pd
import pyarrow.compute as pc

from cellsight.core.schema import STR


def _strptime(values: pa.Array, fmt: str) -> pa.Array:
    """pyarrow's strptime, with impossible days (31 September) refused rather than rolled over.

    The C library behind pyarrow reads 31/09/2025 as 1 October: a date the
    record never gave. A rolled-over day lands on the 1st to 3rd of the next
    month, so only those rows are checked against the day as written.
    """
    parsed = pc.strptime(values, format=fmt, unit="s", error_is_null=True)
    if "%d" not in fmt or not len(values):
        return parsed
    day = pc.day(parsed)
    suspect = pc.fill_null(pc.less_equal(day, 3), False)
    if not pc.any(suspect).as_py():
        return parsed
    positions = pc.indices_nonzero(suspect)
    written = _written_day(pc.take(values, positions), fmt)
    wrong = pc.fill_null(pc.not_equal(written, pc.take(day, positions)), True)
    if not pc.any(wrong).as_py():
        return parsed
    mask = np.zeros(len(values), dtype=bool)
    mask[positions.to_numpy()[wrong.to_numpy(zero_copy_only=False)]] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)


def _written_day(texts: pa.Array, fmt: str) -> pa.Array:
    """The day of the month as written, by the position of ``%d`` among the format's numbers."""
    if fmt.startswith("%Y%m%d"):
        digits = pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(texts), 6, 8)
    else:
        numeric = re.findall(r"%([dmYyHIMS])", fmt)
        skip = r"(?:\d+\D+)" * numeric.index("d")
        found = pc.extract_regex(texts, pattern=rf"^\D*{skip}(?P<day>\d+)")
        digits = pc.struct_field(found, [0])
    return pc.cast(digits, pa.int64(), safe=False)


def _arrow(values: pd.Series, keep_missing: bool = False) -> pa.Array:
    """A text column as one pyarrow string array; missing (or, kept, blank) values as ""."""
    arr = pa.array(values.astype(STR).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.string()) if arr.type != pa.string() else arr
    if not keep_missing:
        return pc.fill_null(arr, "")
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
