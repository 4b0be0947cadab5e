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
from cellsight.importers import tabular
from cellsight.importers.bytegrid import byte_grid
from cellsight.importers.cdr.timevalues import _arrow, _one_array, _strptime, one_string_array, trimmed_text

_WIDTHS = {"d": 2, "m": 2, "Y": 4, "y": 2, "H": 2, "M": 2, "S": 2}  # at most this many digits each
_DATE_FIELDS, _CLOCK_FIELDS = frozenset("dmYy"), frozenset("HMS")
_DAY_S = 86_400
_US = 1_000_000  # microseconds a second


class DateAndClock:
    """The rows' start times as a date column and a clock column, read as if joined by a space."""

    def __init__(self, date: pd.Series, clock: pd.Series) -> None:
        self.index = date.index
        self.dates, self._date_codes = _distinct(date)
        self._column = pa.array(clock.astype(STR).array)  # as read: trimmed only where a row is asked for
        self._grid = byte_grid(self._column)  # (its chunks as they are: not joined into one array)
        self._clocks: pa.Array | None = None
        # Both parts are trimmed and not blank, so the joined text is too: the rows with a time.
        # A grid with a digit in every row holds no blank clock.
        clock_present = np.ones(len(self.index), dtype=bool) if self._grid is not None and \
            "digit" in self._grid.shape else self.clocks.is_valid().to_numpy(zero_copy_only=False)
        self.present = (self._date_codes >= 0) & clock_present

    @property
    def clocks(self) -> pa.Array:
        """Every row's clock trimmed, blank as missing (made once, when first asked)."""
        if self._clocks is None:
            self._clocks = trimmed_text(one_string_array(self._column))
        return self._clocks

    def text_at(self, positions: np.ndarray | None = None) -> pd.Series:
        """The joined text (missing where a part is blank), of all rows or those at ``positions``."""
        codes, index = self._date_codes, self.index
        if positions is None:
            clocks = self.clocks
        else:
            codes, index = codes[positions], index[positions]
            clocks = trimmed_text(self._written_at(positions))
        dates = pc.take(self.dates, pa.array(codes, pa.int64(), mask=codes < 0))
        joined = pc.binary_join_element_wise(dates, clocks, " ")
        return pd.Series(STR.__from_arrow__(pa.chunked_array([joined], pa.string())), index=index)

    def take(self, positions: np.ndarray | None = None) -> pa.Array:
        """What ``times.WrittenTimes.take`` gives for the joined text: missing as ""."""
        return _arrow(self.text_at(positions))

    def strptime(self, fmt: str) -> pa.Array:
        """Every row parsed with ``fmt``: per distinct date where that is exact, else joined; in
        microseconds (``timestamp("us")``), the unit the times are kept in, so that a million
        seconds are not converted again."""
        parts = split_format(fmt)
        if parts is None:
            return _strptime(self.take(), fmt).cast(pa.timestamp("us"))
        date_fmt, clock_fmt = parts
        day, day_ok = _seconds(_strptime(self.dates, date_fmt))
        clock, clock_ok = self._clock_seconds(clock_fmt)
        fixed = _fixed(self.dates, fixed_pattern(date_fmt, _DATE_FIELDS))
        d = self._date_codes  # -1 (missing) picks the sentinel at the end
        seconds = day[d]  # (a new array: the clock is added in place)
        seconds += clock
        if fixed[:-1].all() and day_ok[:-1].all() and self.present.all() and clock_ok.all() and \
                int(clock.max()) < _DAY_S:  # (a clock read is never before midnight)
            seconds *= _US  # every row read so, and read: as below, in fewer passes
            return pa.array(seconds, pa.timestamp("us"))
        fast = self.present & fixed[d] & (~clock_ok | ((clock >= 0) & (clock < _DAY_S)))
        valid = fast & day_ok[d] & clock_ok
        slow = np.flatnonzero(self.present & ~fast)
        if len(slow):
            joined = _strptime(self.take(slow), fmt)
            seconds[slow] = pc.fill_null(joined.cast(pa.int64()), 0).to_numpy()
            valid[slow] = joined.is_valid().to_numpy(zero_copy_only=False)
        seconds[~valid] = 0  # (a row that did not read may hold anything: kept from overflowing)
        seconds *= _US
        return pa.array(seconds, pa.timestamp("us"), mask=~valid)

    def _written_at(self, positions: np.ndarray) -> pa.Array:
        """The clocks of the rows at ``positions`` as read, as one array."""
        return one_string_array(self._column.take(pa.array(positions, pa.int64())))

    def _clock_seconds(self, clock_fmt: str) -> tuple[np.ndarray, np.ndarray]:
        """Each row's clock read alone with ``clock_fmt``, as seconds into its day, and whether it read.

        Where every clock is written in the format's own fixed widths (``byte_grid``
        matches ``clock_layout``), the digits are read by array arithmetic; a value
        outside 00:00:00-23:59:59 there, and every clock of any other column, is
        read by the parser, so that each answer is the parser's.
        """
        layout = clock_layout(clock_fmt)
        if self._grid is None or layout is None or not self._grid.fits(layout):
            seconds, ok = _seconds(_strptime(self.clocks, clock_fmt))
            return seconds[:-1] - midnight(clock_fmt), ok[:-1]
        seconds, ok = clock_seconds(self._grid.blocks, layout)
        odd = np.flatnonzero(~ok)
        if len(odd):
            parsed, parsed_ok = _seconds(_strptime(self._written_at(odd), clock_fmt))
            seconds[odd], ok[odd] = parsed[:-1] - midnight(clock_fmt), parsed_ok[:-1]
        return seconds, ok


def clock_seconds(blocks: list[np.ndarray], layout: tuple[bytes | str, ...], fields: dict[str, np.ndarray] | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Seconds into the day of each value of a ``ByteGrid``'s ``blocks`` written as ``layout``
    (``clock_layout``), and whether each of its fields is two digits within 00:00:00-23:59:59 (a
    field the layout lacks reads 0).

    A field's two digits are read together as one little-endian 16-bit number (a strided view
    of the bytes, no copy) and looked up in ``fields`` (default ``_FIELD_SECONDS``; a duration's
    fields go up to 99, ``DURATION_FIELDS``)."""
    fields = fields or _FIELD_SECONDS
    parts = []
    for block in blocks:
        rows, width = block.shape
        flat = block.reshape(-1)
        seconds = np.zeros(rows, dtype=np.int32)
        for field in "HMS":
            if field in layout:
                pairs = np.ndarray((rows,), dtype="<u2", buffer=flat, offset=layout.index(field), strides=(width,))
                seconds += fields[field][pairs]
        parts.append(seconds)
    seconds = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return seconds, seconds < _OUT_OF_RANGE


def _field_seconds(scale: int, top: int) -> np.ndarray:
    """Two ASCII digits read as a little-endian 16-bit number -> their value times ``scale``;
    a value above ``top``, or bytes that are not two digits, -> ``_OUT_OF_RANGE``."""
    table = np.full(1 << 16, _OUT_OF_RANGE, dtype=np.int32)
    for tens in range(10):
        units = np.arange(10)
        value = 10 * tens + units
        table[(48 + tens) + 256 * (48 + units)] = np.where(value <= top, value * scale, _OUT_OF_RANGE)
    return table


_OUT_OF_RANGE = 1 << 24  # above any clock's seconds; three of them still fit in 32 bits
_FIELD_SECONDS = {"H": _field_seconds(3600, 23), "M": _field_seconds(60, 59), "S": _field_seconds(1, 59)}
DURATION_FIELDS = {"H": _field_seconds(3600, 99), "M": _field_seconds(60, 99), "S": _field_seconds(1, 99)}


@lru_cache(maxsize=64)
def clock_layout(clock_fmt: str) -> tuple[bytes | str, ...] | None:
    """Byte by byte, what a clock written in ``clock_fmt``'s fixed widths holds: the field
    (``"H"``, ``"M"``, ``"S"``) a digit belongs to, or the punctuation byte; None if the format is
    not so made (or names a field twice)."""
    if fixed_pattern(clock_fmt, _CLOCK_FIELDS) is None:
        return None
    layout: list[bytes | str] = []
    for directive, literal in re.findall(r"%(.)|(.)", clock_fmt, flags=re.S):
        if directive in layout or (literal and not literal.isascii()):
            return None
        layout += [directive, directive] if directive else [literal.encode()]
    return tuple(layout)


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
    """The column's distinct values trimmed, and each row's code into them (-1: missing or blank).

    The distinct values are the column's own (``tabular.distinct_codes``: found once, on the
    second core for a long table)."""
    codes, uniques = tabular.distinct_codes(values.astype(STR))
    dictionary = pc.utf8_trim_whitespace(_one_array(pd.Series(uniques, dtype=STR)))
    blank = pc.equal(dictionary, "").to_numpy(zero_copy_only=False)
    if not blank.any():  # the codes as found (-1: missing), not rewritten row by row
        return dictionary, codes
    return dictionary, np.where(np.append(blank, True)[codes], -1, codes)


def _seconds(parsed: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and validity of each value's reading, with a sentinel (0, False) at the end."""
    seconds = pc.fill_null(parsed.cast(pa.int64()), 0).to_numpy()
    valid = parsed.is_valid().to_numpy(zero_copy_only=False)
    return np.append(seconds, 0), np.append(valid, False)


def _fixed(values: pa.Array, pattern: str) -> np.ndarray:
    """Which distinct values ``pattern`` (``fixed_pattern``) matches, with a sentinel False at the end."""
    matched = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False)
    return np.append(matched, False)
