"""Times: parse in the zone a source declares, store UTC, show and bucket in the case's zone.

Every DST rule of the program lives here, so that an hour is never shifted twice
or a week late. The rule for local times that a DST change makes odd:

- a time that occurs twice (the repeated hour of the autumn change) is taken as
  its first occurrence, the one still in summer time, and flagged
  ``dst_ambiguous``;
- a time that does not exist (the skipped hour of the spring change) is moved
  forward by the size of the gap (01:30 becomes 02:30 BST, i.e. 01:30 UTC), and
  flagged ``dst_nonexistent``.

A wall clock that cannot be right for a phone record (before 1980 or more than a
day in the future of the import) is kept and flagged ``implausible``.

A time outside the years 1900-2100 (UTC) is not kept at all: every importer
rejects it with a reason (``outside_accepted``, ``outside_reason``). Such a time
is noise (a negative epoch, a year ``-0001``), and years beyond Python's own
calendar (before 1 or after 9999) cannot be written by the outputs; within the
bound a broken clock (the 1901-12-13 of a 32-bit epoch of zero) is still
evidence of something and is imported, flagged.

The formatting functions here write any time pandas can hold (year -1199, year
0, an offset of local mean time such as London's -00:01:15) without relying on
Python's ``datetime``, so that no output fails on a value that reaches it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from cellsight.core.schema import TIME_FLAGS, UTC_TIME

DEFAULT_ZONE = "Europe/London"  # a new case's zone unless the officer chooses another
# The zone a view shows times in when there is no case at all (an empty pane before a case is
# opened, a rendering context outside any report). Never a fallback for a case whose zone is
# unknown: every path with a case passes the case's zone (``case.info.zone``).
NO_CASE_ZONE = "UTC"
_EARLIEST_PLAUSIBLE = pd.Timestamp("1980-01-01", tz="UTC")
ACCEPTED_YEARS = "1900-2100"
_ACCEPTED_FROM = pd.Timestamp("1900-01-01")
_ACCEPTED_UNTIL = pd.Timestamp("2101-01-01")  # exclusive
_FLAG_DTYPE = pd.CategoricalDtype(list(TIME_FLAGS))


class ZoneError(ValueError):
    """A time zone name that the zone database does not know."""


def check_zone(name: str) -> str:
    """Return ``name`` if it is a known IANA zone (or UTC), else raise ZoneError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ZoneError(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from exc
    return name


class CaseZone(str):
    """The case's zone: its IANA name, checked once, and what display and day boundaries need.

    A ``str`` subclass, so that it is written to the case file and JSON as the bare
    name (nothing on disk changes) and goes where a zone name goes; but one made
    only from a known zone, so that a path that holds a ``CaseZone`` holds the case's
    checked zone rather than a string someone defaulted. ``Case.info.zone`` gives it.
    """

    __slots__ = ()

    def __new__(cls, name: str) -> CaseZone:
        return super().__new__(cls, check_zone(str(name)))

    def local(self, utc: pd.Series) -> pd.Series:
        """UTC times on this zone's wall clock (hours and weekdays of patterns)."""
        return to_local(utc, self)

    def court(self, utc: pd.Series) -> pd.Series:
        """UTC times in the court form, ``Sat 18 Mar 2023 14:05:09 GMT`` (tables, the report)."""
        return court_times(utc, self)

    def iso(self, ts: pd.Timestamp | dt.datetime) -> str:
        """One time in ISO 8601 with this zone's offset (the contract's time format)."""
        return iso_local(ts, self)

    def periods(self, utc: pd.Series, by: str) -> pd.Series:
        """Each time's day, hour, ISO week or month in this zone (day boundaries at local midnight)."""
        return period_labels(utc, self, by)

    def day(self, utc: pd.Series) -> pd.Series:
        """Each time's local day, ``2023-03-18``: the case's days begin at its own midnight."""
        return period_labels(utc, self, "day")

    def period_range(self, first: pd.Timestamp, last: pd.Timestamp, by: str) -> list[str]:
        """Every period label from ``first``'s to ``last``'s, in this zone."""
        return period_range(first, last, self, by)


def localize(naive: pd.Series, zone: str) -> tuple[pd.Series, pd.Series]:
    """Attach ``zone`` to naive wall-clock times; return ``(utc_times, flags)``.

    Applies the module's DST rule and flags what it had to decide.
    """
    naive = pd.to_datetime(naive).astype("datetime64[us]")
    if zone.upper() == "UTC":
        utc = naive.dt.tz_localize("UTC")
        return utc.astype(UTC_TIME), plausibility_flags(utc)
    summer = np.ones(len(naive), dtype=bool)  # pandas: True means "the DST reading"
    as_summer = naive.dt.tz_localize(zone, ambiguous=summer, nonexistent="NaT")
    probe = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    nonexistent = as_summer.isna() & naive.notna()
    ambiguous = probe.isna() & naive.notna() & ~nonexistent
    utc = as_summer.dt.tz_convert("UTC").astype(UTC_TIME)
    if nonexistent.any():
        # Read a skipped wall-clock time with the offset in force just before the
        # gap: 01:30 on the London spring day is 01:30 UTC, i.e. 02:30 BST.
        gap_times = naive[nonexistent]
        before = gap_times.dt.tz_localize(zone, nonexistent="shift_backward")
        offsets = pd.to_timedelta([t.utcoffset() for t in before], unit="us")
        utc[nonexistent] = (gap_times - offsets.values).dt.tz_localize("UTC").astype(UTC_TIME)
    codes = _implausible(utc)
    codes[ambiguous.to_numpy(dtype=bool)] = TIME_FLAGS.index("dst_ambiguous")
    codes[nonexistent.to_numpy(dtype=bool)] = TIME_FLAGS.index("dst_nonexistent")
    return utc, _flags(codes, utc.index)


def plausibility_flags(utc: pd.Series, now: pd.Timestamp | None = None) -> pd.Series:
    """``implausible`` for times before 1980 or more than a day ahead of ``now``."""
    return _flags(_implausible(utc, now), utc.index)


def _implausible(utc: pd.Series, now: pd.Timestamp | None = None) -> np.ndarray:
    """The flag codes (into ``TIME_FLAGS``) of ``plausibility_flags``: the categories' codes are
    set directly, never a million strings made and then hashed back into categories."""
    now = now or pd.Timestamp.now(tz="UTC")
    bad = ((utc < _EARLIEST_PLAUSIBLE) | (utc > now + pd.Timedelta(days=1))).to_numpy(dtype=bool)
    return np.where(bad, TIME_FLAGS.index("implausible"), TIME_FLAGS.index("")).astype(np.int8)


def _flags(codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, dtype=_FLAG_DTYPE), index=index)


def outside_accepted(times: pd.Series) -> np.ndarray:
    """True for each present time outside the years 1900-2100: such a row is rejected.

    Zone-aware times are compared in UTC; naive ones as written (an importer
    can look at a wall clock before it is localised). Missing times are False.
    """
    times = pd.Series(times)
    if not isinstance(times.dtype, (pd.DatetimeTZDtype, np.dtypes.DateTime64DType)):
        times = pd.to_datetime(times, utc=True)
    if isinstance(times.dtype, pd.DatetimeTZDtype):  # held as UTC: its integers read as such, no copy
        values = times.dt.tz_convert("UTC").array.asi8.view(f"datetime64[{times.dtype.unit}]")
    else:
        values = times.to_numpy(dtype="datetime64[us]")
    present = ~np.isnat(values)
    early = values < _ACCEPTED_FROM.to_datetime64()
    late = values >= _ACCEPTED_UNTIL.to_datetime64()
    return present & (early | late)


# No operator writes one record for more than a day (calls are cut after a few hours, data
# sessions are split into partial records): a longer or negative duration is kept, flagged.
MAX_PLAUSIBLE_DURATION_S = 24 * 3600


def implausible_durations(seconds: pd.Series) -> np.ndarray:
    """True for each duration (seconds) that is negative or longer than 24 hours."""
    seconds = pd.Series(seconds)
    if is_numeric_dtype(seconds.dtype) and not is_bool_dtype(seconds.dtype):  # read as they are, missing as NaN
        values = seconds.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = pd.to_numeric(seconds, errors="coerce").astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        return (values < 0) | (values > MAX_PLAUSIBLE_DURATION_S)


def outside_reason(written: object) -> str:
    """The rejection reason for a time outside the accepted years, quoting it as written."""
    text = str(written)
    if len(text) > 40:
        text = text[:40] + "..."
    return f"time {text!r} is outside the years {ACCEPTED_YEARS} that Cellsight accepts"


def parse_offset_times(text: pd.Series) -> pd.Series:
    """Parse ISO 8601 strings that carry their own offsets (``Z``, ``+01:00``) to UTC.

    Strings without an offset become NaT: the caller decides what zone they are in.
    """
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    has_offset = text.astype(str).str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$", regex=True, na=False)
    return parsed.where(has_offset).astype(UTC_TIME)


def to_local(utc: pd.Series, zone: str) -> pd.Series:
    """UTC times shown in ``zone``."""
    return utc.dt.tz_convert(zone)


def iso_local(ts: pd.Timestamp | dt.datetime, zone: str) -> str:
    """ISO 8601 with offset, to the second, in ``zone`` (the contract's time format)."""
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return str(iso_local_series(pd.Series([stamp]), zone).iat[0])


def iso_local_series(utc: pd.Series, zone: str) -> pd.Series:
    """``iso_local`` over a column (vectorised): ISO 8601 with offset, to the second; missing stays missing.

    The year has at least four digits (``0001``, ``-1199``). ISO 8601 writes
    offsets in whole minutes, so a time when the zone kept local mean time
    (London's -00:01:15 before 1847, Kolkata's +05:21:10 until 1906) is written
    in UTC (``+00:00``): the same instant, in a form every reader parses,
    never cut into ``-0001:15``.
    """
    utc = _as_utc(utc)
    out = pd.Series(None, index=utc.index, dtype=object)
    present = utc.notna().to_numpy()
    if present.any():
        wall, offset = _wall_and_offset(utc[present], zone, whole_minutes=True)
        out[present] = _date_time_text(wall) + _offset_text(offset)
    return out


def _as_utc(times: pd.Series) -> pd.Series:
    """A column of times as zone-aware UTC, floored to the second (naive ones are UTC)."""
    times = pd.Series(times)
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    # Floor in UTC: flooring local times re-localises them, which fails in the repeated autumn hour.
    return times.dt.tz_convert("UTC").dt.floor("s")


def _wall_and_offset(utc: pd.Series, zone: str,
                     whole_minutes: bool = False) -> tuple[pd.Series, np.ndarray]:
    """Wall-clock times in ``zone`` (naive) and each one's offset from UTC in seconds.

    With ``whole_minutes``, a time whose offset is not a whole number of minutes
    is given in UTC instead (wall clock = UTC, offset 0).
    """
    naive_utc = utc.dt.tz_localize(None)
    wall = utc.dt.tz_convert(zone).dt.tz_localize(None)
    offset = (wall.to_numpy(dtype="datetime64[us]") - naive_utc.to_numpy(
        dtype="datetime64[us]")).astype("timedelta64[s]").astype(np.int64)
    if whole_minutes:
        odd = offset % 60 != 0
        if odd.any():
            wall = wall.where(~odd, naive_utc)
            offset = np.where(odd, 0, offset)
    return wall, offset


def _date_time_text(wall: pd.Series) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS`` for naive times of any year (numpy's C formatter)."""
    return np.datetime_as_string(wall.to_numpy(dtype="datetime64[s]"), unit="s").astype(object)


def _offset_text(seconds: np.ndarray) -> np.ndarray:
    """``+01:00`` for each offset in seconds; ``-00:01:15`` where it has seconds."""
    distinct, codes = np.unique(seconds, return_inverse=True)
    texts = []
    for value in distinct.tolist():
        sign = "-" if value < 0 else "+"
        hours, rest = divmod(abs(value), 3600)
        minutes, secs = divmod(rest, 60)
        texts.append(f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else ""))
    return np.array(texts, dtype=object)[codes.reshape(-1)]


_WEEKDAYS = np.array(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], dtype=object)
_MONTHS = np.array(["", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec"], dtype=object)


def court_time(ts: pd.Timestamp | dt.datetime | None, zone: str) -> str:
    """One time as a court reads it: ``Sat 29 Apr 2023 12:30:00 BST`` (see ``court_times``)."""
    if ts is None or pd.isna(ts):
        return ""
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return str(court_times(pd.Series([stamp]), zone).iat[0])


def court_times(utc: pd.Series, zone: str) -> pd.Series:
    """Times as a court reads them, in ``zone``: ``Sat 29 Apr 2023 12:30:00 BST``.

    The zone's abbreviation follows every time; where the zone has no letters
    for it (``+04``) the offset is written ``UTC+04:00``. A wall-clock time that
    occurs twice (the repeated hour of the autumn change) also carries its
    offset, ``Sun 29 Oct 2023 01:30:00 BST (UTC+01:00)``, so the two readings
    can never be confused. Day and month names are English whatever the
    machine's locale (a GUI sets the C library's locale from the desktop).
    Missing times give "".
    """
    utc = _as_utc(utc)
    present = utc.notna().to_numpy()
    out = pd.Series("", index=utc.index, dtype=object)
    if not present.any():
        return out
    utc = utc[present]
    naive, seconds = _wall_and_offset(utc, zone)
    offset = "UTC" + _offset_text(seconds)
    abbreviation = _abbreviations(utc, naive, zone, seconds)
    numeric = pd.Series(abbreviation).str.match(r"^[+-]\d").fillna(True).to_numpy() | (abbreviation == "")
    abbreviation = np.where(numeric, offset, abbreviation)
    twice = (naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()
             & naive.notna()).to_numpy() if zone.upper() != "UTC" else np.zeros(len(naive), bool)
    stamp = _date_time_text(naive)
    year = pd.Series(stamp).str[:-15].to_numpy(object)
    clock = pd.Series(stamp).str[-8:].to_numpy(object)
    text = (_WEEKDAYS[naive.dt.day_of_week.to_numpy()] + " " + naive.dt.day.astype(str).to_numpy(object)
            + " " + _MONTHS[naive.dt.month.to_numpy()] + " " + year + " " + clock + " " + abbreviation)
    text = np.where(twice, text + " (" + offset + ")", text)
    out[present] = text
    return out


def _abbreviations(utc: pd.Series, naive: pd.Series, zone: str, offsets: np.ndarray) -> np.ndarray:
    """The zone's letters for each time (``BST``, ``LMT``, ``+04``); "" beyond Python's calendar.

    Asking the zone per time is slow (``strftime``: ~10 µs a time, most of a
    proximity appendix), and the letters only change with the zone's
    transitions, which change the offset or fall between days in every zone
    known. So the zone is asked for the earliest and the latest time of each
    (local day, offset) group; where the two differ (letters changed within a
    day at an unchanged offset) every time of that group is asked.
    """
    years = naive.dt.year.to_numpy()
    usable = np.flatnonzero((years >= 1) & (years <= 9999))
    letters = np.full(len(utc), "", dtype=object)
    if not len(usable):
        return letters
    times = utc.iloc[usable]
    days = naive.iloc[usable].to_numpy(dtype="datetime64[D]").astype(np.int64)
    key = days * 400_000 + (offsets[usable] + 200_000)  # offsets are within a day either way
    moments = times.to_numpy(dtype="datetime64[us]").astype(np.int64)
    order = np.lexsort((moments, key))
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    ends = np.r_[starts[1:], len(order)] - 1

    def asked(positions: np.ndarray) -> np.ndarray:
        return times.iloc[positions].dt.tz_convert(zone).dt.strftime("%Z").to_numpy(object)

    first, last = asked(order[starts]), asked(order[ends])
    group = np.repeat(np.arange(len(starts)), ends - starts + 1)
    found = np.empty(len(order), dtype=object)
    found[order] = first[group]
    for g in np.flatnonzero(first != last):
        members = order[starts[g]:ends[g] + 1]
        found[members] = asked(members)
    letters[usable] = found
    return letters


def offset_changes(zone: str, times_us: np.ndarray) -> np.ndarray:
    """The instants (int64 µs since the epoch, UTC) at which ``zone`` changes its offset (a clock
    change) over the span of ``times_us``; empty when there is none (or no time)."""
    if not len(times_us):
        return np.array([], dtype="int64")
    hours = pd.date_range(pd.Timestamp(int(times_us.min()), unit="us", tz="UTC").floor("h"),
                          pd.Timestamp(int(times_us.max()), unit="us", tz="UTC").ceil("h"), freq="h")
    offsets = (hours.tz_convert(zone).tz_localize(None) - hours.tz_localize(None)).total_seconds().to_numpy()
    changed = np.flatnonzero(np.diff(offsets)) + 1
    return hours[changed].tz_localize(None).to_numpy(dtype="datetime64[us]").view("int64")


def period_labels(utc: pd.Series, zone: str, by: str) -> pd.Series:
    """Label each time with its period in ``zone``: day, hour, ISO week or month.

    Labels are the contract's: ``2023-03-18``, ``2023-03-18T14+00:00`` (the offset
    tells the two 01:00 hours of the autumn change apart), ``2023-W11``, ``2023-03``.
    """
    if by not in ("day", "week", "month", "hour"):
        raise ValueError(f"unknown period {by!r}: use hour, day, week or month")
    utc = pd.Series(utc)
    out = pd.Series(None, index=utc.index, dtype=object)
    present = utc.notna().to_numpy()
    if not present.any():
        return out
    wall, seconds = _wall_and_offset(_as_utc(utc[present]), zone, whole_minutes=by == "hour")
    stamp = pd.Series(_date_time_text(wall), index=wall.index)
    if by == "day":
        labels = stamp.str[:-9]
    elif by == "month":
        labels = stamp.str[:-12]
    elif by == "hour":
        labels = stamp.str[:-6] + _offset_text(seconds)
    else:
        iso = wall.dt.isocalendar()
        labels = (iso["year"].astype(str).str.zfill(4) + "-W"
                  + iso["week"].astype(str).str.zfill(2)).astype(object)
    out[present] = labels.to_numpy(object)
    return out


def period_range(first: pd.Timestamp, last: pd.Timestamp, zone: str, by: str) -> list[str]:
    """Every period label from the period holding ``first`` to the one holding ``last``.

    Hours step in real (UTC) hours so that a day of 23 or 25 hours has 23 or 25
    labels; days, weeks and months step on the local calendar.
    """
    if by == "hour":
        start = first.tz_convert("UTC").floor("h")
        end = last.tz_convert("UTC").floor("h")
        # Zones with half-hour offsets still label by their local hour.
        steps = pd.Series(pd.date_range(start, end, freq="h"))
        return list(dict.fromkeys(period_labels(steps, zone, "hour")))
    local_first = first.tz_convert(zone).tz_localize(None).normalize()
    local_last = last.tz_convert(zone).tz_localize(None).normalize()
    days = pd.Series(pd.date_range(local_first, local_last, freq="D"))
    if by not in ("day", "week", "month"):
        raise ValueError(f"unknown period {by!r}: use hour, day, week or month")
    # Each local noon labels its day (noon is never in a DST change).
    noons = (days + pd.Timedelta(hours=12)).dt.tz_localize(zone).dt.tz_convert("UTC")
    return list(dict.fromkeys(period_labels(noons, zone, by)))
