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


_PROBE = 2048  # rows looked at to tell whether a column repeats its values


def per_distinct(values: pa.Array) -> pa.DictionaryArray | None:
    """``values`` dictionary-encoded when they repeat (else None), so that each distinct value is
    parsed and checked once and the answers taken back to the rows.

    A tower dump of a million rows over two hours holds some 7,200 distinct
    times; checking the written day of each row dated the 1st to 3rd
    (``_strptime``) was most of what its times cost. A column of nearly
    all-different times would pay for hashing them and gain nothing, so rows
    picked at random (a fixed seed: a strided pick sees no repeats in a sorted
    column) decide: at most nine in ten of them distinct. Either way each value
    gets the same answer, since parsing is value by value.
    """
    if len(values) > _PROBE:
        picked = np.unique(np.random.default_rng(len(values)).integers(0, len(values), _PROBE))
        if pc.count_distinct(values.take(pa.array(picked)), mode="all").as_py() > 0.9 * len(picked):
            return None
    return pc.dictionary_encode(values)


def strptime_values(values: pa.Array, fmt: str, encoded: pa.DictionaryArray | None) -> pa.Array:
    """``_strptime(values, fmt)`` in microseconds (``timestamp("us")``, the unit the times are kept
    in), once per distinct value where ``encoded`` (``per_distinct(values)``) is given."""
    if encoded is None:
        return _strptime(values, fmt).cast(pa.timestamp("us"))
    return _strptime(encoded.dictionary, fmt).cast(pa.timestamp("us")).take(encoded.indices)


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
    arr = _one_array(values)
    return trimmed_text(arr) if keep_missing else pc.fill_null(arr, "")


def _one_array(values: pd.Series) -> pa.Array:
    """A text column as one pyarrow string array, as read (missing values missing)."""
    return one_string_array(pa.array(values.astype(STR).array))


def one_string_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Pyarrow text (chunks joined) as one string array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string()) if arr.type != pa.string() else arr


def trimmed_text(arr: pa.Array) -> pa.Array:
    """Text values trimmed of white space, blank ones missing (the clock column of a call
    record; a tower dump's identifiers)."""
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
