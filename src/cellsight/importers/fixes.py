"""Shared by the phone and location importers: times as written, and positions as fixes.

Every location format (Cellebrite, Google, GPX, KML) ends the same way: a list of
candidate points, each with the text of its time, a latitude and a longitude,
becomes rows of the ``locations`` table or rejections with a reason. Doing that
in one place keeps the rules identical across formats:

- a time with an offset (``Z``, ``+02:00``) is converted to UTC as written; a
  time without one is read in the zone the officer gave (``--tz``), else the zone
  the file states, else the case's zone with a warning (the contract's order);
  epoch milliseconds are UTC by definition;
- a time before 1980 or after tomorrow is kept and flagged ``implausible``;
  one outside the years 1900-2100 is rejected (``core.timezones``' bound);
- a point without a readable time, without coordinates, or with coordinates
  off the globe is a rejection naming its row, never a silent drop.

Points are appended to plain Python lists and turned into columns in chunks, so
a million-point history never becomes a million small objects at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core import schema
from cellsight.core.timezones import localize, outside_accepted, outside_reason, plausibility_flags
from cellsight.importers.base import (TZ_ASSUMED, TZ_FROM_FILE, TZ_FROM_OPTION, TZ_FROM_VALUES,
                                      ImportOptions, ImportResult)

_OFFSET = r"(?:[Zz]|[+-]\d\d:?\d\d)\s*$"
_FLAGS = pd.CategoricalDtype(list(schema.TIME_FLAGS))
_MAX_EPOCH_MS = 10**14  # year 5138: beyond it a "timestamp" is noise (and beyond pandas' range)


@dataclass
class TimeStats:
    """What the times of one file looked like, to decide and explain its zone rule."""

    with_offset: int = 0
    naive: int = 0
    implausible: int = 0

    def add(self, other: TimeStats) -> None:
        self.with_offset += other.with_offset
        self.naive += other.naive
        self.implausible += other.implausible


def naive_zone(options: ImportOptions, file_zone: str | None = None) -> tuple[str, str]:
    """The zone for times written without an offset, and the rule that chose it."""
    if options.tz:
        return options.tz, TZ_FROM_OPTION
    if file_zone:
        return file_zone, TZ_FROM_FILE
    return options.case_tz, TZ_ASSUMED


def tz_outcome(stats: TimeStats, options: ImportOptions,
               file_zone: str | None = None) -> tuple[str, str, list[str]]:
    """``(tz, tz_rule, warnings)`` for an ImportResult, from what the times looked like."""
    warnings = []
    if stats.implausible:
        warnings.append(f"{stats.implausible} times are before 1980 or in the future; imported "
                        "and flagged implausible (a phone clock may have been wrong)")
    if not stats.naive:
        return "", TZ_FROM_VALUES, warnings
    zone, rule = naive_zone(options, file_zone)
    where = {TZ_FROM_OPTION: "the zone given for this file",
             TZ_FROM_FILE: "the zone the file states",
             TZ_ASSUMED: "the case's zone, ASSUMED: state the time zone (--tz) if the device was "
                         "set otherwise"}[rule]
    warnings.append(f"{stats.naive} times carry no UTC offset; read as {zone} ({where})")
    if stats.with_offset:
        warnings.append(f"{stats.with_offset} other times carry their own offsets and were "
                        "converted as written")
    return zone, rule, warnings


class Times(NamedTuple):
    """Times as read: UTC (NaT where unusable), flags, counts, and why each unusable one is."""

    utc: pd.Series
    flags: pd.Series
    stats: TimeStats
    problems: pd.Series  # None where the time is usable, else the rejection reason


def resolve_times(text: Iterable[str | None], zone: str,
                  epoch_ms: Iterable[float] | None = None) -> Times:
    """UTC times and time flags for times as written; and counts for the zone rule.

    ``text`` holds ISO 8601 strings (with or without offsets) or None; where a
    text is None, ``epoch_ms`` (milliseconds since 1970 UTC, NaN when absent) is
    used. Unreadable times, and times outside the accepted years, come back NaT
    with their reason in ``problems``.
    """
    values = [v.strip() if isinstance(v, str) else None for v in text]
    raw = pd.Series(values, dtype=object)
    utc = pd.Series(pd.NaT, index=raw.index, dtype=schema.UTC_TIME)
    flags = pd.Series("", index=raw.index, dtype=object)
    problems = pd.Series(None, index=raw.index, dtype=object)
    stats = TimeStats()
    present = raw.notna()
    # the offset test runs in Arrow's C++ regex engine, not once per value in Python
    found = pc.match_substring_regex(pa.array(values, type=pa.string()), _OFFSET)
    offset = pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=raw.index)
    naive = present & ~offset
    if offset.any():
        utc[offset] = pd.to_datetime(raw[offset], utc=True, errors="coerce",
                                     format="ISO8601").astype(schema.UTC_TIME)
    if naive.any():
        wall = pd.to_datetime(raw[naive], errors="coerce", format="ISO8601")
        # A wall clock more than a day outside the bound is rejected before it is localised
        # (no zone is a day away from UTC); the rest are judged in UTC below.
        day = pd.Timedelta(days=1)
        far = outside_accepted(wall - day) & outside_accepted(wall + day)
        problems[wall.index[far]] = [outside_reason(v) for v in raw[naive][far]]
        readable = wall.notna() & ~far
        if readable.any():
            local, local_flags = localize(wall[readable], zone)
            utc[local.index] = local
            flags[local.index] = local_flags.astype(object)
    if epoch_ms is not None:
        ms = pd.Series(np.asarray(list(epoch_ms), dtype="float64"), index=raw.index)
        given = ~present & ms.notna()
        wild = given & (ms.abs() >= _MAX_EPOCH_MS)
        problems[wild] = [outside_reason(f"{v:.0f} ms since 1970") for v in ms[wild]]
        use = given & ~wild
        if use.any():
            utc[use] = pd.to_datetime(ms[use].round().astype("int64"), unit="ms",
                                      utc=True).astype(schema.UTC_TIME)
            raw[use] = [f"{v:.0f} ms since 1970" for v in ms[use]]
    outside = outside_accepted(utc)
    if outside.any():
        problems[outside] = [outside_reason(v) for v in raw[outside]]
        utc[outside] = pd.NaT
    missing = utc.isna() & problems.isna()
    problems[missing & raw.isna()] = "no time"
    problems[missing & raw.notna()] = [f"unreadable time {str(v)[:40]!r}" for v in raw[missing & raw.notna()]]
    usable = utc.notna()
    stats.with_offset = int((usable & offset).sum()) + int((usable & ~present).sum())
    stats.naive = int((usable & naive).sum())
    plausible = plausibility_flags(utc).astype(object)
    bad = (plausible == "implausible") & usable
    flags[bad] = "implausible"
    stats.implausible = int(bad.sum())
    return Times(utc, flags.astype(_FLAGS), stats, problems)


_ORIGIN_WORDS = (
    ("gps", ("gps", "gnss", "satellite")),
    ("wifi", ("wifi", "wi-fi", "wlan", "wireless")),
    ("cell", ("cell", "tower", "gsm", "lte", "umts")),
    ("fused", ("fused",)),
    ("visit", ("visit",)),
)


def origin_of(source: object) -> str:
    """The canonical origin word for a source's own wording (``WIFI`` → ``wifi``)."""
    return _origin_of(source) if isinstance(source, str) and source else "unknown"


@lru_cache(maxsize=1024)
def _origin_of(source: str) -> str:
    lowered = source.lower()
    for origin, words in _ORIGIN_WORDS:
        if any(word in lowered for word in words):
            return origin
    return "unknown"


def number(value: object) -> float:
    """A float from a number or numeric string as JSON and XML write them; NaN otherwise."""
    kind = type(value)
    if kind is float:
        return value
    if value is None or kind is bool:
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan
    except (TypeError, ValueError):
        match = re.match(r"\s*([-+]?\d+(?:\.\d+)?)", str(value))
        return float(match.group(1)) if match else math.nan


@dataclass
class FixBuffer:
    """Candidate fixes of one file, appended point by point, finished into ``locations`` rows.

    Every ``chunk`` points, the lists become columns: finished ``locations`` rows
    when the ``zone`` for times without an offset is known up front, or compact
    raw columns (Arrow strings, float arrays) finished at ``finish`` when it is
    not (a UFDR states its zone at the very end).
    """

    zone: str | None = None
    chunk: int = 200_000
    rows: int = 0
    stats: TimeStats = field(default_factory=TimeStats)
    rejections: list[tuple[str, str]] = field(default_factory=list)
    _frames: list[pd.DataFrame] = field(default_factory=list)
    _pending: list[pd.DataFrame] = field(default_factory=list)
    _cols: dict[str, list] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._cols = {name: [] for name in ("row", "lat", "lon", "time", "ms", "accuracy",
                                            "origin", "label")}

    def add(self, row: str, lat: object, lon: object, time: str | None = None,
            epoch_ms: float = math.nan, accuracy: object = None, origin: str = "unknown",
            label: str | None = None) -> None:
        """One candidate point; ``lat``/``lon`` may be strings or None (rejected at finish)."""
        cols = self._cols
        cols["row"].append(row)
        cols["lat"].append(number(lat))
        cols["lon"].append(number(lon))
        cols["time"].append(time if isinstance(time, str) and time else None)
        cols["ms"].append(epoch_ms)
        cols["accuracy"].append(number(accuracy))
        cols["origin"].append(origin)
        cols["label"].append(None if label is None else str(label))
        self.rows += 1
        if len(cols["row"]) >= self.chunk:
            self._flush(self.zone)

    def reject(self, row: str, reason: str) -> None:
        """A candidate point that is unusable before any column work (no position at all)."""
        self.rows += 1
        self.rejections.append((row, reason))

    def extend(self, row: list[str], lat: Sequence[float], lon: Sequence[float],
               time: list[str | None], epoch_ms: Sequence[float], accuracy: Sequence[float],
               origin: list[str]) -> None:
        """Many points at once as columns of numbers (NaN where missing); needs ``zone``."""
        self._flush(self.zone)  # points added one by one so far go first
        self.rows += len(row)
        self._convert({"row": row, "lat": lat, "lon": lon, "time": time, "ms": epoch_ms,
                       "accuracy": accuracy, "origin": origin, "label": [None] * len(row)},
                      self.zone)

    def _flush(self, zone: str | None) -> None:
        cols = self._cols
        if not cols["row"]:
            return
        self._reset()
        if zone is None:
            self._pending.append(compact(cols, numbers=("lat", "lon", "ms", "accuracy")))
        else:
            self._convert(cols, zone)

    def _convert(self, cols: dict[str, Sequence], zone: str) -> None:
        times = resolve_times(cols["time"], zone, cols["ms"])
        self.stats.add(times.stats)
        frame = pd.DataFrame({
            "time": times.utc,
            "lat": np.asarray(cols["lat"], dtype="float64"),
            "lon": np.asarray(cols["lon"], dtype="float64"),
            "accuracy_m": np.asarray(cols["accuracy"], dtype="float64"),
            "origin": pd.Categorical(cols["origin"], categories=list(schema.ORIGINS)),
            "label": pd.Series(cols["label"], dtype=object),
            "time_flag": times.flags,
            "source_row": pd.Series(cols["row"], dtype=object),
        })
        frame, rejected = reject_bad_fixes(frame, times.problems)
        self.rejections.extend(rejected)
        self._frames.append(schema.conform(frame, "locations"))

    def finish(self, zone: str | None = None) -> pd.DataFrame:
        """Every accepted point as a conformed ``locations`` frame (rejections in ``rejections``).

        ``zone``: the file's zone for times without an offset, as the import's zone rule chose
        it; by default the one the buffer was made with. There is no fallback zone.
        """
        zone = zone or self.zone
        if zone is None:
            raise ValueError("FixBuffer.finish needs the zone of times written without an offset")
        for raw in self._pending:
            self._convert({name: raw[name] for name in raw.columns}, zone)
        self._pending = []
        self._flush(zone)
        if not self._frames:
            return schema.empty("locations")
        frames = [f for f in self._frames if len(f)] or self._frames[:1]
        self._frames = []
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def compact(cols: dict[str, list], numbers: tuple[str, ...] = (),
            booleans: tuple[str, ...] = ()) -> pd.DataFrame:
    """Column lists as a compact frame: ``numbers`` as float arrays, ``booleans`` as
    nullable booleans, the rest as Arrow strings.

    A Python string costs some 80 bytes and a float 24 more than the array slot;
    held this way, a million records of a phone download take a fraction of it.
    """
    out = {}
    for name, values in cols.items():
        if name in numbers:
            out[name] = np.asarray(values, dtype="float64")
        elif name in booleans:
            out[name] = pd.array(values, dtype="boolean")
        else:
            out[name] = pd.array([v if isinstance(v, str) else None for v in values],
                                 dtype=schema.STR)
    return pd.DataFrame(out)


def reject_bad_fixes(frame: pd.DataFrame,
                     time_problems: pd.Series) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Split off points with no usable time or position; return (kept, [(row, reason)]).

    ``time_problems`` is ``resolve_times``' reason for each point whose time is unusable.
    """
    lat, lon = frame["lat"], frame["lon"]
    no_position = lat.isna() | lon.isna()
    off_globe = ~no_position & ((lat.abs() > 90) | (lon.abs() > 180))
    no_time = frame["time"].isna()
    bad = no_position | off_globe | no_time
    if not bad.any():
        return frame, []
    rejected = []
    for i in np.flatnonzero(bad.to_numpy()):
        if no_position.iat[i]:
            reason = "no latitude/longitude"
        elif off_globe.iat[i]:
            reason = f"coordinates out of range (latitude {lat.iat[i]:g}, longitude {lon.iat[i]:g})"
        else:
            problem = time_problems.iat[i]
            reason = "no time: a fix needs one" if problem in (None, "no time") else problem
        rejected.append((str(frame["source_row"].iat[i]), reason))
    return frame[~bad.to_numpy()], rejected


def finish_locations(buffer: FixBuffer, result: ImportResult, options: ImportOptions,
                     file_zone: str | None = None) -> None:
    """Put a buffer's fixes, rejections, rows and zone decision into an ImportResult."""
    zone, _rule = naive_zone(options, file_zone)
    result.locations = buffer.finish(zone)
    result.rows += buffer.rows
    result.rejections.extend(buffer.rejections)
    tz, rule, warnings = tz_outcome(buffer.stats, options, file_zone)
    result.tz, result.tz_rule = tz, rule
    result.warnings.extend(warnings)
