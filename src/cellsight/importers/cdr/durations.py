"""Durations of calls: a duration column (seconds, MM:SS, hh:mm:ss, or minutes where its header
says so), a usage column whose unit column says seconds or minutes, or the time to an end column.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core.schema import STR
from cellsight.importers import tabular
from cellsight.importers.bytegrid import byte_blocks
from cellsight.importers.cdr.dateclock import DURATION_FIELDS, clock_seconds
from cellsight.importers.cdr.times import _HAS_DATE, _sample, parse_times
from cellsight.importers.cdr.timevalues import _one_array
from cellsight.importers.factorise import code_counts

if TYPE_CHECKING:
    from cellsight.importers.cdr.context import _Context
    from cellsight.importers.templates import Template

_CLOCK_DURATION = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")  # negative: kept as written, then named in a warning
_NO_DURATION = {"", "-", "--", "n/a", "na"}


def parse_durations(text: pd.Series, unit: str = "seconds") -> tuple[pd.Series, int]:
    """Seconds from ``173``, ``2:53`` (MM:SS) or ``0:02:53`` (hh:mm:ss); and how many were unreadable.

    Blank and "-" durations are missing; anything else that cannot be read is
    missing too, and counted so that the import can say so. Worked out once per
    column (on a second core ahead of its turn for a long table: ``durations_ahead``):
    a column written throughout in one clock layout of two-digit fields by array
    arithmetic over its bytes (``_by_grid``); any other once per distinct value,
    short values of ASCII digits and punctuation (nearly all) by ``_plain_durations``
    over them all at once, any other by ``duration_of``.
    """
    return tabular.per_column(text, ("durations", unit), partial(_parse_durations, unit=unit))


def durations_ahead(pool: ThreadPoolExecutor, text: pd.Series, unit: str) -> None:
    """Start ``parse_durations`` of a column on ``pool``."""
    tabular.ask_ahead(pool, text, ("durations", unit), partial(_parse_durations, unit=unit))


def duration_unit(name: str, template: Template | None) -> str:
    """The unit of a duration column's numbers: minutes where its header says so, else the
    template's (seconds by default)."""
    if re.search(r"\b(mins?|minutes)\b", tabular.header_text(name)):
        return "minutes"
    return template.duration_unit if template else "seconds"


_GRID_LAYOUTS = (("H", "H", b":", "M", "M", b":", "S", "S"), ("M", "M", b":", "S", "S"))  # 00:02:53, 02:53


def _by_grid(text: pd.Series) -> pd.Series | None:
    """``duration_of`` of every value of a column written throughout as ``00:02:53`` or ``02:53``
    (two digits a field, none missing: ``_CLOCK_DURATION`` reads them so, whatever the unit), by
    its digits' bytes (``dateclock.clock_seconds``); None for any other column.

    The punctuation is looked for where the layout puts it; the digits are checked by the field
    tables themselves (two bytes that are not two digits read as out of range)."""
    data = getattr(text.array, "_pa_array", None)
    blocks = byte_blocks(data) if text.dtype == STR and data is not None else None
    layout = next((layout for layout in _GRID_LAYOUTS if blocks is not None and blocks[0].shape[1] == len(layout)),
                  None)
    if layout is None or not all(bool(np.all(block[:, at] == mark[0])) for at, mark in enumerate(layout)
                                 if isinstance(mark, bytes) for block in blocks):
        return None
    seconds, read = clock_seconds(blocks, layout, DURATION_FIELDS)
    if not read.all():
        return None
    return pd.Series(pd.arrays.FloatingArray(seconds.astype(np.float64), np.zeros(len(seconds), dtype=bool)),
                     index=text.index, copy=False)  # (arrays of its own: not copied again)


def _parse_durations(text: pd.Series, unit: str) -> tuple[pd.Series, int]:
    by_grid = _by_grid(text)
    return (by_grid, 0) if by_grid is not None else _by_distinct(text, unit)


def _by_distinct(text: pd.Series, unit: str) -> tuple[pd.Series, int]:
    """``parse_durations`` worked out once per distinct value."""
    scale = 60.0 if unit == "minutes" else 1.0
    codes, uniques = tabular.distinct_codes(text.astype(STR))
    written = _one_array(pd.Series(uniques, dtype=STR))
    plain = pc.match_substring_regex(written, _PLAIN).to_numpy(zero_copy_only=False)
    seconds = np.full(len(uniques), np.nan)
    unreadable = np.zeros(len(uniques), dtype=bool)
    at = np.flatnonzero(plain)
    seconds[at], unreadable[at] = _plain_durations(written.take(pa.array(at, pa.int64())), scale)
    for position in np.flatnonzero(~plain):
        value = str(uniques[position]).strip()
        seconds[position] = duration_of(value, scale)
        unreadable[position] = bool(np.isnan(seconds[position])) and value.lower() not in _NO_DURATION
    values = np.append(seconds, np.nan)[codes]  # code -1 (missing) -> NaN
    out = pd.Series(pd.arrays.FloatingArray(values, np.isnan(values)), index=text.index, copy=False)  # NaN: missing
    bad = int(code_counts(codes, len(uniques))[unreadable].sum()) if unreadable.any() else 0
    return out, bad


def duration_of(value: str, scale: float = 1.0) -> float:
    """Seconds of one duration as written (trimmed), NaN if it reads as none."""
    m = _CLOCK_DURATION.match(value)
    if m:
        hours = int(m.group(1) or 0)
        return hours * 3600 + int(m.group(2)) * 60 + float(m.group(3).replace(",", "."))
    if _NUMBER.match(value):
        return float(value.replace(",", ".")) * scale
    return np.nan


# At most 12 ASCII digits and separators: read by pyarrow exactly as ``duration_of`` reads them
# (ASCII digits are the only digits; every sum of whole hours and minutes is exact in a float).
_PLAIN = r"^[0-9:.,-]{1,12}$"
_PLAIN_CLOCK = r"^(?:(?P<h>[0-9]+):)?(?P<m>[0-9]+):(?P<s>[0-9]+(?:[.,][0-9]+)?)$"  # _CLOCK_DURATION
_PLAIN_NUMBER = r"^-?[0-9]+(?:[.,][0-9]+)?$"  # _NUMBER


def _plain_durations(values: pa.Array, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """``duration_of`` of each value (``_PLAIN``: none holds white space), and which are unreadable."""
    def number(part: pa.Array, read: pa.Array) -> np.ndarray:
        """Each ``part`` that ``read`` marks as a decimal number (comma or point), else 0."""
        dotted = pc.replace_substring(pc.if_else(read, part, "0"), ",", ".")
        return pc.cast(pc.if_else(pc.equal(dotted, ""), "0", dotted), pa.float64()).to_numpy(zero_copy_only=False)

    clock = pc.extract_regex(values, pattern=_PLAIN_CLOCK)
    is_clock = pc.fill_null(clock.is_valid(), False)
    hours, minutes, secs = (number(pc.fill_null(pc.struct_field(clock, [i]), "0"), is_clock) for i in range(3))
    is_number = pc.match_substring_regex(values, _PLAIN_NUMBER)
    seconds = np.where(is_clock.to_numpy(zero_copy_only=False), hours * 3600.0 + minutes * 60.0 + secs,
                       np.where(is_number.to_numpy(zero_copy_only=False), number(values, is_number) * scale, np.nan))
    unreadable = np.isnan(seconds) & ~pc.is_in(values, pa.array(sorted(_NO_DURATION))).to_numpy(zero_copy_only=False)
    return seconds, unreadable


def _duration(ctx: _Context, kind: pd.Series, parameters: dict[str, object]) -> tuple[pd.Series, int]:
    """Seconds of each row, and how many written durations could not be read.

    From the duration column; else a usage column where a unit column says
    seconds or minutes; else, with no end column either, a volume column is the
    duration on call rows (``Call_Network_Volume``: seconds on a call, bytes on
    a data session), as ``parameters["duration_from"]`` records.
    """
    name = ctx.roles.get("duration")
    if name is not None:
        return parse_durations(ctx.table.frame[name], duration_unit(name, ctx.template))
    if "volume" in ctx.roles and "unit" in ctx.roles:
        return _duration_from_volume(ctx.col("volume"), ctx.col("unit")), 0
    if "volume" in ctx.roles and "end" not in ctx.roles:
        calls = kind.isin(["call", "voicemail"]).to_numpy(dtype=bool)
        if calls.any():
            seconds, bad = parse_durations(ctx.col("volume").where(calls))
            parameters["duration_from"] = (f"column {ctx.roles['volume']!r}: seconds on call rows "
                                           "(a volume in bytes on data rows, not read)")
            return seconds, bad
    return pd.Series(pd.NA, index=ctx.table.frame.index, dtype="Float64"), 0


_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "min": 60.0,
               "mins": 60.0, "minute": 60.0, "minutes": 60.0}


def _duration_from_volume(volume: pd.Series, unit: pd.Series) -> pd.Series:
    """A usage column is a duration on the rows whose unit column says seconds or minutes.

    ``Usage`` 173 with ``UOM`` SEC is a 173-second call; ``Usage`` 52311 with
    ``UOM`` BYTES is a data volume and gives no duration.
    """
    scale = tabular.by_unique(unit.astype(STR), lambda u: pd.Series(
        [_TIME_UNITS.get(str(x).strip().lower(), np.nan) for x in u], dtype="float64"))
    amount = pd.to_numeric(volume.astype(STR).str.strip().str.replace(",", ".", regex=False),
                           errors="coerce")
    return (amount.astype("float64") * scale.astype("float64")).astype("Float64")


def _duration_from_end(ctx: _Context, start: pd.Series, month_first: bool) -> pd.Series:
    """Seconds from start to an end column: a full date and time, or a clock time alone.

    A clock time alone is taken on the start's day, or the next day when it is
    earlier than the start (a call over midnight). Missing where either is unreadable.
    """
    end = ctx.col("end").astype(STR)
    start = start.reset_index(drop=True)
    if _sample(end).astype(str).str.contains(_HAS_DATE).mean() > 0.5:
        finish = parse_times(end, month_first).naive.reset_index(drop=True)
        seconds = (finish - start).dt.total_seconds()
    else:
        clock = parse_times("1970-01-01 " + end.str.strip(), month_first).naive.reset_index(drop=True)
        of_day = (clock - pd.Timestamp("1970-01-01")).dt.total_seconds()
        seconds = (of_day - (start - start.dt.floor("D")).dt.total_seconds()) % 86400
    return seconds.where(seconds >= 0).astype("Float64")


