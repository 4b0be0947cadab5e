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
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from cellsight.core.schema import TIME_FLAGS, UTC_TIME

DEFAULT_ZONE = "Europe/London"
_EARLIEST_PLAUSIBLE = pd.Timestamp("1980-01-01", tz="UTC")
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
    flags = plausibility_flags(utc).astype(object)
    flags[ambiguous] = "dst_ambiguous"
    flags[nonexistent] = "dst_nonexistent"
    return utc, flags.astype(_FLAG_DTYPE)


def plausibility_flags(utc: pd.Series, now: pd.Timestamp | None = None) -> pd.Series:
    """``implausible`` for times before 1980 or more than a day ahead of ``now``."""
    now = now or pd.Timestamp.now(tz="UTC")
    bad = (utc < _EARLIEST_PLAUSIBLE) | (utc > now + pd.Timedelta(days=1))
    flags = pd.Series("", index=utc.index, dtype=object).where(~bad, "implausible")
    return flags.astype(_FLAG_DTYPE)


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
    # Floor in UTC: flooring a local time in the repeated autumn hour is ambiguous to pandas.
    return stamp.tz_convert("UTC").floor("s").tz_convert(zone).isoformat()


def iso_local_series(utc: pd.Series, zone: str) -> pd.Series:
    """``iso_local`` over a column (vectorised): ISO 8601 with offset, to the second; missing stays missing."""
    # Floor in UTC: flooring local times re-localises them, which fails in the repeated autumn hour.
    text = to_local(pd.Series(utc).dt.floor("s"), zone).dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    return (text.str[:-2] + ":" + text.str[-2:]).astype(object)


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
    utc = pd.Series(utc)
    if not isinstance(utc.dtype, pd.DatetimeTZDtype):
        utc = pd.to_datetime(utc, utc=True)
    present = utc.notna().to_numpy()
    out = pd.Series("", index=utc.index, dtype=object)
    if not present.any():
        return out
    local = to_local(utc[present].dt.floor("s"), zone)
    offset = local.dt.strftime("%z")
    offset = "UTC" + offset.str[:3] + ":" + offset.str[3:]
    abbreviation = local.dt.strftime("%Z")
    numeric = abbreviation.str.match(r"^[+-]\d").fillna(True) | abbreviation.eq("")
    abbreviation = abbreviation.where(~numeric, offset)
    naive = local.dt.tz_localize(None)
    twice = (naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").isna()
             & naive.notna()).to_numpy() if zone.upper() != "UTC" else np.zeros(len(naive), bool)
    text = (_WEEKDAYS[local.dt.day_of_week.to_numpy()] + " " + local.dt.day.astype(str).to_numpy(object) + " "
            + _MONTHS[local.dt.month.to_numpy()] + local.dt.strftime(" %Y %H:%M:%S ").to_numpy(object)
            + abbreviation.to_numpy(object))
    text = np.where(twice, text + " (" + offset.to_numpy(object) + ")", text)
    out[present] = text
    return out


def period_labels(utc: pd.Series, zone: str, by: str) -> pd.Series:
    """Label each time with its period in ``zone``: day, hour, ISO week or month.

    Labels are the contract's: ``2023-03-18``, ``2023-03-18T14+00:00`` (the offset
    tells the two 01:00 hours of the autumn change apart), ``2023-W11``, ``2023-03``.
    """
    local = to_local(utc, zone)
    if by == "day":
        return local.dt.strftime("%Y-%m-%d")
    if by == "week":
        return local.dt.strftime("%G-W%V")
    if by == "month":
        return local.dt.strftime("%Y-%m")
    if by == "hour":
        offset = local.dt.strftime("%z")
        return local.dt.strftime("%Y-%m-%dT%H") + offset.str[:3] + ":" + offset.str[3:]
    raise ValueError(f"unknown period {by!r}: use hour, day, week or month")


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
    fmt = {"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m"}.get(by)
    if fmt is None:
        raise ValueError(f"unknown period {by!r}: use hour, day, week or month")
    return list(dict.fromkeys(days.dt.strftime(fmt)))
