"""Times in call records: the format chosen once per column, the zone by the contract's rules.

The date format is chosen from a sample of distinct values and applied by
pyarrow's strptime over the whole column (day-first unless the region writes
month-first, overruled only by values that the other order alone can read);
values with their own offsets are read as such. The zone of a source is
decided in the contract's order (offsets in the values, ``--tz``, a statement
in the file, the case's zone as an assumption), and wall-clock times are
localised once per distinct hour, with DST's repeated and missing hours
flagged on the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core import schema
from cellsight.core.schema import STR
from cellsight.core.timezones import localize, parse_offset_times, plausibility_flags
from cellsight.importers import tabular
from cellsight.importers.base import (TZ_ASSUMED, TZ_FROM_FILE, TZ_FROM_OPTION, TZ_FROM_VALUES,
                                      ImportFailure, ImportResult)
from cellsight.importers.cdr.dateclock import DateAndClock
from cellsight.importers.cdr.timevalues import _arrow, _strptime, per_distinct, strptime_values
from cellsight.importers.cdr.titles import header_zone, title_zone

if TYPE_CHECKING:
    from cellsight.importers.cdr.context import _Context

MONTH_FIRST_REGIONS = {"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"}
_DATE_FORMATS = {
    "ymd": ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"],
    "dmy": ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y"],
    "mdy": ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y"],
    "named": ["%d-%b-%Y", "%d %b %Y", "%d-%b-%y", "%d %b %y", "%d/%b/%Y", "%b %d %Y",
              "%d %B %Y", "%B %d %Y", "%d-%B-%Y", "%a %d %b %Y", "%b %d, %Y", "%B %d, %Y"],
}
_TIME_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p",
                 "%H.%M.%S", "%H%M%S"]
_JOINERS = [" ", "T", ", ", " - "]
_FRACTION = re.compile(r"(\d:\d\d)[.,]\d+")
_FRACTION_TEST = re.compile(r"\d:\d\d[.,]\d+")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)\s*$")
_HAS_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}[ -/][A-Za-z]{3,9}[ -/]\d{2,4}"
                       r"|[A-Za-z]{3,9} \d{1,2},? \d{4}|^\d{8}")
_HAS_CLOCK = re.compile(r"\d{1,2}:\d\d")


def _candidates(month_first: bool) -> list[tuple[str, str]]:
    """Every (format, family) to try, in the order that breaks ties."""
    order = ["ymd", "mdy", "dmy", "named"] if month_first else ["ymd", "dmy", "mdy", "named"]
    out = [("%Y%m%d%H%M%S", "ymd")]
    for family in order:
        for date in _DATE_FORMATS[family]:
            for joiner in _JOINERS:
                out.extend((date + joiner + clock, family) for clock in _TIME_FORMATS)
            out.append((date, family))
    for family in order:  # time first, as some US exports write it: "2:05:07 PM 3/18/2023"
        out.extend((clock + " " + date, family) for date in _DATE_FORMATS[family]
                   for clock in _TIME_FORMATS)
    return out


def _plausible_count(parsed: pa.Array) -> int:
    years = pc.year(parsed)
    ok = pc.and_(pc.greater_equal(years, 1970), pc.less_equal(years, 2100))
    return int(pc.sum(pc.cast(pc.fill_null(ok, False), pa.int64())).as_py() or 0)


@dataclass
class ParsedTimes:
    """Times read from text: naive wall clock, or UTC where the values carry offsets."""

    naive: pd.Series  # datetime64[us]; NaT where unreadable or offset-aware
    offset_times: pd.Series | None  # datetime64[us, UTC], NaT where the value has no offset; None
    # when the column writes no offsets (then no million missing times are made to say so)
    format: str
    month_first: bool

    @property
    def aware(self) -> pd.Series:
        """UTC where the value carries an offset, NaT elsewhere."""
        if self.offset_times is not None:
            return self.offset_times
        return pd.Series(pd.NaT, index=self.naive.index, dtype=schema.UTC_TIME)

    @property
    def readable(self) -> pd.Series:
        if self.offset_times is None:
            return self.naive.notna()
        return self.naive.notna() | self.offset_times.notna()


def parse_times(text: pd.Series, month_first: bool, date_format: str | None = None,
                order_fixed: bool = False) -> ParsedTimes:
    """Parse a column of date-and-time text, choosing its format once for the whole column.

    Times are kept to the second (fractions of a second, rare in call records,
    are dropped); values with their own offsets are read as such.

    Day-first unless ``month_first``; the data overrules the default when only
    the other order can read it (a value above 12 in the second field), unless
    ``order_fixed`` (a template said so).
    """
    return _parse(WrittenTimes(text), month_first, date_format, order_fixed)


class WrittenTimes:
    """A column of date-and-time text as written, read value by value.

    ``parse_times`` asks its values only through ``present``, ``text_at``,
    ``strptime`` and ``take``, so that a date column and a clock column can
    answer the same questions per distinct value (``cdr.dateclock``) without
    being joined row by row. Where the column repeats its values (a tower dump's
    rows share their seconds), each distinct value is parsed once
    (``timevalues.per_distinct``).
    """

    def __init__(self, text: pd.Series) -> None:
        self.text = text.astype(STR).str.strip()
        self.arr = _arrow(self.text)  # missing as ""
        self.index = self.text.index
        self.present = pc.not_equal(self.arr, "").to_numpy(zero_copy_only=False)
        self._encoded: tuple[pa.Array, pa.DictionaryArray | None] | None = None

    def text_at(self, positions: np.ndarray) -> pd.Series:
        return self.text.iloc[positions]

    def strptime(self, fmt: str) -> pa.Array:
        if self._encoded is None or self._encoded[0] is not self.arr:  # fractions cut: the text changed
            self._encoded = (self.arr, per_distinct(self.arr))
        return strptime_values(self.arr, fmt, self._encoded[1])

    def take(self, positions: np.ndarray) -> pa.Array:
        return self.arr.take(pa.array(positions))


def _as_written(source: WrittenTimes | DateAndClock) -> WrittenTimes:
    return source if isinstance(source, WrittenTimes) else WrittenTimes(source.text_at())


def _sample_of(source: WrittenTimes | DateAndClock, rows: np.ndarray) -> pd.Series:
    """``_sample`` of the source's text at ``rows`` (a mask): only the sampled rows' text is made."""
    return _sample(source.text_at(sampled_rows(rows)))


def _parse(source: WrittenTimes | DateAndClock, month_first: bool, date_format: str | None,
           order_fixed: bool) -> ParsedTimes:
    """``parse_times`` over a source of text (``WrittenTimes`` or ``dateclock.DateAndClock``)."""
    present = source.present
    sample = _sample_of(source, present)
    aware = None
    has_offsets = sample.str.contains(_OFFSET, na=False).any()
    if has_offsets or sample.str.contains(_FRACTION_TEST, na=False).any():
        source = _as_written(source)  # offsets and fractions are read from the text as written
    if has_offsets:
        aware = parse_offset_times(source.text)
        present = present & aware.isna().to_numpy(dtype=bool)
        sample = _sample_of(source, present)
    if sample.str.contains(_FRACTION_TEST, na=False).any():
        source.arr = pc.replace_substring_regex(source.arr, pattern=r"(\d:\d\d)[.,]\d+", replacement=r"\1")
        sample = sample.str.replace(_FRACTION, r"\1", regex=True)
    candidates = _candidates(month_first)
    if order_fixed:  # a template said which order: the other is never tried
        candidates = [c for c in candidates if c[1] != ("dmy" if month_first else "mdy")]
    if date_format:  # a template's own format, and nothing else
        candidates = [(date_format, "template")]
    sample_arr = pa.array(sample.tolist(), pa.string())
    chosen, family = _best_format(sample_arr, candidates)
    parsed = source.strptime(chosen) if chosen else pa.nulls(len(present), pa.timestamp("s"))
    switched = False
    ok = parsed.is_valid().to_numpy(zero_copy_only=False)
    if chosen and family in ("dmy", "mdy") and not order_fixed and not date_format \
            and (present & ~ok).any():
        # Only values the column's order cannot read can prove the other order.
        alternative = _swap_day_month(chosen)
        other = source.strptime(alternative)
        ok_other = other.is_valid().to_numpy(zero_copy_only=False)
        if (ok_other & ~ok).any() and not (ok & ~ok_other).any():
            parsed, chosen, switched = other, alternative, True
    naive = pd.Series(parsed.to_pandas(), index=source.index).astype("datetime64[us]")
    missing = present & naive.isna().to_numpy()
    if missing.any() and not date_format:
        naive = _fill_other_formats(naive, source, missing, candidates, chosen, family, switched)
    if not present.all():
        naive[~present] = pd.NaT
    return ParsedTimes(naive=naive, offset_times=aware, format=chosen or "",
                       month_first=(family == "mdy") != switched if family in ("dmy", "mdy")
                       else month_first)


def _sample(values: pd.Series, size: int = 200) -> pd.Series:
    """Up to ``size`` distinct values from rows spread over the column (once per column: the
    roles, the times and the unused columns all look at the same samples)."""
    return tabular.per_column(values, ("sample", size), lambda column: _sample_rows(column, size)).copy()


def _stride(rows: int, size: int) -> int:
    """Every how many rows a sample of ``size`` values looks: about 20 rows a value, spread over all."""
    return rows // (size * 20) if rows > size * 20 else 1


def _sample_rows(values: pd.Series, size: int) -> pd.Series:
    data = getattr(values.array, "_pa_array", None)
    step = _stride(len(values), size)
    if step > 1:
        if data is None:
            values = values.iloc[::step]
        else:  # every step-th row, chunk by chunk (a take from the whole column first joins its chunks)
            taken, start = [], 0
            for chunk in data.chunks:
                taken += chunk.take(pa.array(np.arange((-start) % step, len(chunk), step))).to_pylist()
                start += len(chunk)
            return pd.Series([v for v in dict.fromkeys(taken) if v is not None][:size], dtype=object)
    return pd.Series(pd.unique(values.dropna().astype(object))[:size], dtype=object)


def sampled_rows(rows: np.ndarray, size: int = 200) -> np.ndarray:
    """The positions among ``rows`` (a mask) that ``_sample`` of those rows looks at: the stride it
    would take (so that a million chosen rows are not copied to sample a few thousand)."""
    if rows.all():  # every row: the stride over all of them, without listing a million positions first
        return np.arange(0, len(rows), _stride(len(rows), size))
    positions = np.flatnonzero(rows)
    return positions[::_stride(len(positions), size)]


def _best_format(sample: pa.Array, candidates: list[tuple[str, str]]) -> tuple[str | None, str]:
    if len(sample) == 0:
        return None, ""
    best, best_family, best_count = None, "", 0
    written = set("".join(v for v in sample.to_pylist() if v))
    for fmt, family in candidates:
        if not _literals(fmt) <= written:
            continue  # strptime matches a literal character exactly: no value holds this one
        count = _plausible_count(_strptime(sample, fmt))
        if count > best_count:
            best, best_family, best_count = fmt, family, count
            if count == len(sample):
                break
    return best, best_family


@lru_cache(maxsize=1024)
def _literals(fmt: str) -> frozenset[str]:
    """The characters a value must hold to be read by ``fmt`` (whitespace in a format matches any)."""
    return frozenset(re.sub(r"%.", "", fmt)) - set(" \t\n")


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _fill_other_formats(naive: pd.Series, source: WrittenTimes | DateAndClock, missing: np.ndarray,
                        candidates: list[tuple[str, str]], chosen: str | None, family: str,
                        switched: bool) -> pd.Series:
    """Read the values the column's format missed (a date-only midnight, another separator).

    Only formats of the same day/month order as the column are tried, so that
    one file is never read half day-first and half month-first.
    """
    if family in ("dmy", "mdy"):
        keep = {"dmy", "mdy"} - {family} if switched else {family}
        candidates = [(f, fam) for f, fam in candidates if fam not in {"dmy", "mdy"} - keep]
    positions = np.flatnonzero(missing)
    rest = source.take(positions)
    sample = pa.array(_sample(pd.Series(rest.to_pandas())).tolist(), pa.string())
    for fmt, _family in candidates:
        if fmt == chosen or _plausible_count(_strptime(sample, fmt)) == 0:
            continue
        parsed = _strptime(rest, fmt)
        got = parsed.is_valid().to_numpy(zero_copy_only=False)
        if got.any():
            values = pd.Series(parsed.to_pandas()).astype("datetime64[us]").to_numpy()
            naive.iloc[positions[got]] = values[got]
            rest, positions = rest.filter(pa.array(~got)), positions[~got]
            if not len(positions):
                break
    return naive



def _time_reasons(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    """Why each of these rows has no usable time: no date, no time, or what could not be read."""
    written = _time_text(ctx, rows).fillna("").str.slice(0, 40)
    reasons = ("date/time not readable: '" + written + "'").to_numpy(dtype=object)
    reasons[written.eq("").to_numpy()] = "no date/time"
    date, clock = ctx.col("date"), ctx.col("time")
    if date is not None and clock is not None and "start" not in ctx.roles:
        has_date = date.iloc[rows].fillna("").str.strip().ne("").to_numpy()
        has_time = clock.iloc[rows].fillna("").str.strip().ne("").to_numpy()
        reasons[has_date & ~has_time] = "no time"
        reasons[has_time & ~has_date] = "no date"
    return reasons


def _time_columns(ctx: _Context) -> tuple[pd.Series, pd.Series | None]:
    """The column holding each row's start, or a date column and a clock column to read together."""
    frame = ctx.table.frame
    start, date, clock = ctx.col("start"), ctx.col("date"), ctx.col("time")
    if start is not None:
        return start, None
    if date is not None and clock is not None:
        if _sample(clock).astype(str).str.contains(_HAS_DATE).mean() > 0.5:
            return clock, None  # a "time" column that holds the date too
        if _sample(date).astype(str).str.contains(_HAS_CLOCK).mean() > 0.5:
            return date, None
        return date, clock
    only = date if date is not None else clock
    if only is not None:
        return only, None
    raise ImportFailure(f"no column holds the date and time of each record (columns: "
                        f"{', '.join(frame.columns)}); map the columns (--template)")


def _time_text(ctx: _Context, rows: np.ndarray | None = None) -> pd.Series:
    """The text holding each row's start (of the rows at ``rows``): one column, or date and time joined."""
    text, clock = _time_columns(ctx)
    if rows is not None:
        text, clock = text.iloc[rows], None if clock is None else clock.iloc[rows]
    if clock is None:
        return text
    # A blank date or time leaves the pair missing: a date alone is not midnight.
    joined = pc.binary_join_element_wise(_arrow(text, keep_missing=True), _arrow(clock, keep_missing=True), " ")
    return pd.Series(STR.__from_arrow__(pa.chunked_array([joined])), index=text.index)


def _time_source(ctx: _Context) -> WrittenTimes | DateAndClock:
    """The rows' start times to parse: one column as written, or a date column and a clock
    column read per distinct value (``cdr.dateclock``)."""
    text, clock = _time_columns(ctx)
    return WrittenTimes(text) if clock is None else DateAndClock(text, clock)


def _times(ctx: _Context, result: ImportResult, path: Path) -> tuple[ParsedTimes, str, str]:
    """Parse the start times and decide their zone by the contract's order of rules."""
    template, options = ctx.template, ctx.options
    try:
        source = _time_source(ctx)
    except ImportFailure as exc:
        raise ImportFailure(f"{path.name}: {exc}") from None
    month_first = (template.dayfirst is False) if template and template.dayfirst is not None \
        else options.region.upper() in MONTH_FIRST_REGIONS
    fixed = bool(template and template.dayfirst is not None)
    times = _parse(source, month_first, template.date_format if template else None, fixed)
    result.parameters["date_format"] = times.format
    result.parameters["month_first"] = bool(times.month_first)
    if times.month_first and not month_first and not fixed:
        result.warnings.append("dates read month-first: a value in the second field is above 12")
    stated = "UTC" if header_zone(ctx.table.header, ctx.roles) else title_zone(ctx.table.title)
    if stated is None and template is not None and template.zone:
        stated = template.zone
    if times.offset_times is not None and times.offset_times.notna().any() and times.naive.isna().all():
        return times, "", TZ_FROM_VALUES
    if options.tz:
        return times, options.tz, TZ_FROM_OPTION
    if stated:
        return times, stated, TZ_FROM_FILE
    if times.naive.notna().any():
        result.warnings.append(f"the file does not state its time zone; times assumed to be "
                               f"{options.case_tz}; if they are not, state the time zone (--tz)")
    return times, options.case_tz, TZ_ASSUMED


def _localise(times: ParsedTimes, keep: np.ndarray | None, zone: str) -> tuple[pd.Series, pd.Series]:
    """UTC and flags of the rows at ``keep`` (positions in order; None: every row)."""
    naive, aware = times.naive, times.offset_times
    if keep is not None and len(keep) != len(naive):  # (every row kept: no take of a million times)
        naive, aware = naive.iloc[keep], None if aware is None else aware.iloc[keep]
    naive = naive.reset_index(drop=True)
    if zone:
        utc, flags = localize_by_hour(naive, zone)
    else:
        utc = pd.Series(pd.NaT, index=naive.index, dtype=schema.UTC_TIME)
        flags = pd.Series("", index=naive.index).astype(pd.CategoricalDtype(list(schema.TIME_FLAGS)))
    if aware is None:
        return utc, flags
    aware = aware.reset_index(drop=True)
    has_offset = aware.notna()
    if has_offset.any():
        utc = utc.where(~has_offset, aware)
        flags = flags.where(~has_offset, plausibility_flags(aware))
    return utc, flags


_HOUR_US = 3_600_000_000


def _hours(naive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each time's hour as a code (-1 for NaT) into the distinct hours (``datetime64[us]``).

    A file spans some thousands of hours: they are told apart by an array over
    the span rather than by hashing a million times (``pd.factorize`` on a span
    too wide for that, such as a few times decades apart).
    """
    present = ~np.isnat(naive)
    every = bool(present.all())  # then no row is copied out or put back by the mask
    hours = np.floor_divide(naive.view("int64") if every else naive.view("int64")[present], _HOUR_US)
    if not len(hours):
        return np.full(len(naive), -1, dtype=np.int64), np.array([], dtype="datetime64[us]")
    low, span = int(hours.min()), int(hours.max()) - int(hours.min()) + 1
    if span > 4 * len(naive) + 1024:
        found, distinct = pd.factorize(hours)
    else:
        offset = np.subtract(hours, low, out=hours)  # (hours is this function's own array)
        seen = np.zeros(span, dtype=bool)
        seen[offset] = True
        found = (np.cumsum(seen, dtype=np.int32) - 1)[offset]
        distinct = np.flatnonzero(seen) + low
    if every:
        codes = found
    else:
        codes = np.full(len(naive), -1, dtype=found.dtype)
        codes[present] = found
    return codes, (np.asarray(distinct, dtype=np.int64) * _HOUR_US).astype("datetime64[us]")


def halves(n: int) -> tuple[slice, slice]:
    """The first ``n`` and the next ``n`` positions: the two halves of two series put end to end."""
    return slice(0, n), slice(n, 2 * n)


def localize_by_hour(naive: pd.Series, zone: str) -> tuple[pd.Series, pd.Series]:
    """``core.timezones.localize``, asked once per distinct hour instead of once per row.

    Each distinct wall-clock hour is localised at its first and last microsecond.
    Where both ends agree (same offset, same flag) every time inside the hour
    has that offset and flag, since no zone changes its offset twice within an
    hour and "implausible" is a range; the rest (the hours holding a DST change
    or the plausibility limit) are localised row by row. Same answers as
    ``localize``, in a fraction of the time for a million rows.
    """
    naive = pd.Series(naive).astype("datetime64[us]")
    codes, distinct = _hours(naive.to_numpy())
    if len(distinct) == 0 or len(distinct) * 4 > len(naive):
        return localize(naive, zone)
    starts = pd.Series(distinct)
    ends = starts + pd.Timedelta(hours=1) - pd.Timedelta(microseconds=1)
    # Both ends in one call (one reading of the clock for "implausible", half the calls' cost).
    utc_both, flag_both = localize(pd.concat([starts, ends], ignore_index=True), zone)
    utc_start, utc_end = (utc_both.iloc[part].reset_index(drop=True) for part in halves(len(starts)))
    flag_start, flag_end = (flag_both.iloc[part].reset_index(drop=True) for part in halves(len(starts)))
    offset = (starts - utc_start.dt.tz_localize(None)).to_numpy()
    same = (offset == (ends - utc_end.dt.tz_localize(None)).to_numpy()) & \
        (flag_start.cat.codes.to_numpy() == flag_end.cat.codes.to_numpy())  # (one categorical's halves)
    no_time = codes < 0
    timeless = bool(no_time.any())
    hour = np.maximum(codes, 0) if timeless else codes  # a NaT row is read as the first hour, then put right
    # Each row's UTC in one array of its own: its hour's offset taken, then taken from its wall time.
    utc_us = np.take(offset.astype("timedelta64[us]").view(np.int64), hour)
    np.subtract(naive.to_numpy().view(np.int64), utc_us, out=utc_us)
    flag_codes = flag_start.cat.codes.to_numpy()[hour]
    if timeless:
        utc_us[no_time], flag_codes[no_time] = np.iinfo(np.int64).min, 0  # NaT
    utc = pd.Series(utc_us.view("datetime64[us]"), index=naive.index, dtype=schema.UTC_TIME, copy=False)
    flags = pd.Series(pd.Categorical.from_codes(flag_codes, dtype=flag_start.dtype), index=naive.index, copy=False)
    exact = np.array([], dtype=np.int64) if same.all() else np.flatnonzero(~same[hour] & ~no_time)
    if len(exact):
        utc_exact, flags_exact = localize(naive.iloc[exact], zone)
        utc.iloc[exact] = utc_exact.to_numpy()
        flags.iloc[exact] = flags_exact.to_numpy()
    return utc, flags


