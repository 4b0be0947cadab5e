"""Durations of calls: a duration column (seconds, MM:SS, hh:mm:ss, or minutes where its header
says so), a usage column whose unit column says seconds or minutes, or the time to an end column.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cellsight.core.schema import STR
from cellsight.importers import tabular
from cellsight.importers.cdr.times import _HAS_DATE, _sample, parse_times

if TYPE_CHECKING:
    from cellsight.importers.cdr.context import _Context

_CLOCK_DURATION = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")  # negative: kept as written, then named in a warning
_NO_DURATION = {"", "-", "--", "n/a", "na"}


def parse_durations(text: pd.Series, unit: str = "seconds") -> tuple[pd.Series, int]:
    """Seconds from ``173``, ``2:53`` (MM:SS) or ``0:02:53`` (hh:mm:ss); and how many were unreadable.

    Blank and "-" durations are missing; anything else that cannot be read is
    missing too, and counted so that the import can say so.
    """
    scale = 60.0 if unit == "minutes" else 1.0
    codes, uniques = tabular.distinct_codes(text.astype(STR))
    seconds, unreadable = [], []
    for u in uniques:
        value = str(u).strip()
        m = _CLOCK_DURATION.match(value)
        if m:
            hours = int(m.group(1) or 0)
            seconds.append(hours * 3600 + int(m.group(2)) * 60 + float(m.group(3).replace(",", ".")))
        elif _NUMBER.match(value):
            seconds.append(float(value.replace(",", ".")) * scale)
        else:
            seconds.append(np.nan)
        unreadable.append(bool(np.isnan(seconds[-1])) and value.lower() not in _NO_DURATION)
    lookup = np.append(np.array(seconds, dtype="float64"), np.nan)
    out = pd.Series(lookup[codes], index=text.index).astype("Float64")  # code -1 (missing) -> NaN
    bad = int(np.bincount(codes[codes >= 0], minlength=len(uniques))[np.array(unreadable, bool)].sum()) \
        if len(uniques) else 0
    return out, bad



def _duration(ctx: _Context, kind: pd.Series, parameters: dict[str, object]) -> tuple[pd.Series, int]:
    """Seconds of each row, and how many written durations could not be read.

    From the duration column; else a usage column where a unit column says
    seconds or minutes; else, with no end column either, a volume column is the
    duration on call rows (``Call_Network_Volume``: seconds on a call, bytes on
    a data session), as ``parameters["duration_from"]`` records.
    """
    unit = ctx.template.duration_unit if ctx.template else "seconds"
    name = ctx.roles.get("duration")
    if name is not None:
        if re.search(r"\b(mins?|minutes)\b", tabular.header_text(name)):
            unit = "minutes"
        return parse_durations(ctx.table.frame[name], unit)
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


