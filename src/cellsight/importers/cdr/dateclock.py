"""A date column and a clock column read per distinct date, never joined row by row.

A year of call records holds 365 distinct dates and at most 86,400 distinct
clock times over a million rows. Joining each row's date and time into one
string and parsing a million strings was most of the time an import spent on
its times. ``DateAndClock`` answers what ``times.parse_times`` asks of its text
(which rows hold a value, a sample, every row parsed with a format, the text of
some rows) exactly as the two columns joined by a space would, value for value:

- A format made of a date part and a clock part joined by a space, each of
  fixed-width numbers (``%d %m %Y %y``; ``%H %M %S``) and punctuation, is
  applied to the distinct dates and to each row's clock (telling 86,400 clock
  times apart costs as much as parsing them), and a row's time is its date's
  midnight plus its clock's seconds. That is what parsing
  the joined text gives: the parser reads such a value field by field, each
  number ending where its digits end, the date's fields set the day and the
  clock's fields the time of day, and a date refused alone (31/02) is refused
  joined by the same check on the same day.
- Only rows whose date is written in exactly those widths take that way (the
  clock then starts right after the one space, as in the joined text), and
  only while the clock stays inside its day (``23:59:60`` rolls into the next
  day, which the impossible-day check then judges on the joined value).
  Every other row (``1/2/2023``, ``01/01/ 2023``, junk) is parsed
  joined, as before; so is every other format (named months, AM/PM, time first).
- Offsets and fractions of a second are read from the joined text as written
  (``times._as_written``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core.schema import STR
from cellsight.importers.cdr.timevalues import _arrow, _strptime

_WIDTHS = {"d": 2, "m": 2, "Y": 4, "y": 2, "H": 2, "M": 2, "S": 2}  # at most this many digits each
_DATE_FIELDS, _CLOCK_FIELDS = frozenset("dmYy"), frozenset("HMS")
_DAY_S = 86_400


class DateAndClock:
    """The rows' start times as a date column and a clock column, read as if joined by a space."""

    def __init__(self, date: pd.Series, clock: pd.Series) -> None:
        self.index = date.index
        self.dates, self._date_codes = _distinct(date)
        self.clocks = _arrow(clock, keep_missing=True)  # a clock time is read row by row: as fast
        # Both parts are trimmed and not blank, so the joined text is too: the rows with a time.
        self.present = (self._date_codes >= 0) & self.clocks.is_valid().to_numpy(zero_copy_only=False)

    def text_at(self, positions: np.ndarray | None = None) -> pd.Series:
        """The joined text (missing where a part is blank), of all rows or those at ``positions``."""
        codes, clocks, index = self._date_codes, self.clocks, self.index
        if positions is not None:
            codes, clocks, index = codes[positions], clocks.take(pa.array(positions)), index[positions]
        dates = pc.take(self.dates, pa.array(codes, pa.int64(), mask=codes < 0))
        joined = pc.binary_join_element_wise(dates, clocks, " ")
        return pd.Series(STR.__from_arrow__(pa.chunked_array([joined], pa.string())), index=index)

    def take(self, positions: np.ndarray | None = None) -> pa.Array:
        """What ``times.WrittenTimes.take`` gives for the joined text: missing as ""."""
        return _arrow(self.text_at(positions))

    def strptime(self, fmt: str) -> pa.Array:
        """Every row parsed with ``fmt``: per distinct date where that is exact, else joined."""
        parts = split_format(fmt)
        if parts is None:
            return _strptime(self.take(), fmt)
        date_fmt, clock_fmt = parts
        day, day_ok = _seconds(_strptime(self.dates, date_fmt))
        clock, clock_ok = _seconds(_strptime(self.clocks, clock_fmt))
        clock, clock_ok = clock[:-1] - midnight(clock_fmt), clock_ok[:-1]
        fixed = _fixed(self.dates, fixed_pattern(date_fmt, _DATE_FIELDS))
        d = self._date_codes  # -1 (missing) picks the sentinel at the end
        fast = self.present & fixed[d] & (~clock_ok | ((clock >= 0) & (clock < _DAY_S)))
        seconds = day[d] + clock
        valid = fast & day_ok[d] & clock_ok
        slow = np.flatnonzero(self.present & ~fast)
        if len(slow):
            joined = _strptime(self.take(slow), fmt)
            seconds[slow] = pc.fill_null(joined.cast(pa.int64()), 0).to_numpy()
            valid[slow] = joined.is_valid().to_numpy(zero_copy_only=False)
        return pa.array(seconds, pa.timestamp("s"), mask=~valid)


def split_format(fmt: str) -> tuple[str, str] | None:
    """``(date part, clock part)`` of a format that can be read per distinct date and clock, or None."""
    date, space, clock = fmt.partition(" ")
    if space and fixed_pattern(date, _DATE_FIELDS) and fixed_pattern(clock, _CLOCK_FIELDS):
        return date, clock
    return None


@lru_cache(maxsize=256)
def fixed_pattern(part: str, fields: frozenset[str]) -> str | None:
    """The regular expression of the values ``part`` reads as fixed-width numbers (``%d`` two
    digits, ``%Y`` four) between punctuation; None if ``part`` reads anything else."""
    pattern, numbers = "", 0
    for directive, literal in re.findall(r"%(.)|(.)", part, flags=re.S):
        if directive:
            if directive not in fields:
                return None
            pattern += f"[0-9]{{{_WIDTHS[directive]}}}"
            numbers += 1
        elif literal.isdigit() or literal.isspace():
            return None  # a number would run into it, or the parser would skip any run of spaces
        else:
            pattern += re.escape(literal)
    return f"^{pattern}$" if numbers else None


@lru_cache(maxsize=64)
def midnight(clock_fmt: str) -> int:
    """What the clock part alone reads for 00:00:00 (the parser's day 0), in seconds."""
    zero = pc.strptime(pa.array([re.sub(r"%[HMS]", "00", clock_fmt)]), format=clock_fmt, unit="s")
    return int(zero.cast(pa.int64())[0].as_py())


def _distinct(values: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The column's distinct values trimmed, and each row's code into them (-1: missing or blank)."""
    arr = pa.array(values.astype(STR).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(arr)
    dictionary = pc.utf8_trim_whitespace(encoded.dictionary.cast(pa.string()))
    codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
    blank = np.append(pc.equal(dictionary, "").to_numpy(zero_copy_only=False), True)
    return dictionary, np.where(blank[codes], -1, codes)


def _seconds(parsed: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and validity of each value's reading, with a sentinel (0, False) at the end."""
    seconds = pc.fill_null(parsed.cast(pa.int64()), 0).to_numpy()
    valid = parsed.is_valid().to_numpy(zero_copy_only=False)
    return np.append(seconds, 0), np.append(valid, False)


def _fixed(values: pa.Array, pattern: str) -> np.ndarray:
    """Which distinct values ``pattern`` (``fixed_pattern``) matches, with a sentinel False at the end."""
    matched = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    return np.append(matched, False)
