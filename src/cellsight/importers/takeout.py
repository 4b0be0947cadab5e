"""Google location history: Takeout ``Records.json``, Semantic Location History, ``Timeline.json``.

Four layouts, one importer (the layout is told from the top-level keys):

- **Records.json** ``{"locations": [...]}``: one fix per record; ``timestamp``
  (ISO, ``Z``) or the older ``timestampMs``; ``latitudeE7``/``longitudeE7``
  (degrees × 10^7; values written as unsigned 32-bit integers, a known Google
  export bug, are unwrapped to the negative numbers they were); ``accuracy`` in
  metres; ``source`` (GPS/WIFI/CELL/...) → origin.
- **Semantic Location History** month files ``{"timelineObjects": [...]}``:
  a ``placeVisit`` is one fix (origin ``visit``) at its start time, its label
  naming the place and when the visit ended; an ``activitySegment`` gives a fix
  at its start and one at its end (origin ``fused``: Google's estimate). Where
  the start or end location is empty, the first or last point of its
  ``waypointPath`` stands in (Google draws the path from start to end).
  ``simplifiedRawPath`` points carry their own times and are fixes. The other
  ``waypointPath`` points carry no time: each is a row, rejected with that
  reason, because a fix needs a time and inventing one would be evidence we made.
- **Timeline.json** from the phone ``{"semanticSegments": [...], "rawSignals":
  [...]}``: ``visit`` (one fix, as above), ``activity`` (start and end),
  ``timelinePath`` points ``"51.5°, -0.1°"`` with times, and ``rawSignals``
  ``position`` entries (fixes with accuracy and source). Wi-Fi scans and
  activity records hold no position: they are not rows, and are listed once in
  ``skipped``.
- **The iPhone variant**: a top-level array of the same segments with
  ``geo:lat,lng`` strings, numbers as strings, and path points timed by
  ``durationMinutesOffsetFromStartTime`` after the segment's start.

Nothing is dropped silently: a visit, activity or path in a shape the importer
does not know (a text or a list where an object is expected), and any top-level
part of the file that holds no location records, is listed in ``skipped`` with
its row and the reason.

``rows`` counts every point (a path of 20 points is 20 rows). ``source_row`` is
the record's index in its array (``12``), prefixed by the array's name where a
file has two (``rawSignals[5]``), then the point inside it
(``semanticSegments[3].timelinePath[7]``). Repeated points are kept: each is
what the file says.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.importers.fixes import FixBuffer, finish_locations, naive_zone, number, origin_of
from cellsight.importers.registry import importer
from cellsight.importers.safety import JsonStream, json_head
from cellsight.progress import Progress, check

_E7_WRAP = 2**32
_KNOWN_KEYS = ("locations", "timelineObjects", "semanticSegments", "rawSignals")
_LATLNG = re.compile(r"^\s*(?:geo:)?\s*([-+]?\d+(?:\.\d+)?)\s*°?\s*,\s*([-+]?\d+(?:\.\d+)?)\s*°?\s*$")
_PROGRESS_EVERY = 20_000
_RECORD_BATCH = 50_000


def sniff(path: Path) -> float:
    text = json_head(path).lstrip()
    if not text.startswith(("{", "[")):
        return 0.0
    if '"locations"' in text and ('"latitudeE7"' in text or '"timestampMs"' in text):
        return 0.95
    if any(f'"{key}"' in text for key in ("timelineObjects", "semanticSegments", "rawSignals")):
        return 0.95
    if text.startswith("{") and '"timelineEdits"' in text:
        return 0.6  # Timeline Edits.json: recognised, to be refused by name
    segment_words = ('"visit"', '"timelinePath"', '"activity"', '"timelineMemory"')
    if text.startswith("[") and '"startTime"' in text and any(w in text for w in segment_words):
        return 0.9
    return 0.0


def e7(value: Any) -> float | None:
    """Degrees from an E7 integer, unwrapping values that overflowed a signed 32-bit int."""
    degrees = e7_array([value])[0]
    return None if math.isnan(degrees) else float(degrees)


def e7_array(values: list[Any]) -> np.ndarray:
    """``e7`` for a column of values as JSON wrote them (NaN where not a number)."""
    raw = np.array([number(v) for v in values], dtype="float64")
    # an int32 read as unsigned: the negative number it was
    return np.where(raw >= _E7_WRAP // 2, raw - _E7_WRAP, raw) / 1e7


def latlng(text: Any) -> tuple[float | None, float | None]:
    """``(lat, lon)`` from ``"51.5073510°, -0.1277580°"`` or ``"geo:51.50735,-0.12775"``."""
    if isinstance(text, dict):  # {"latLng": "..."}, or an activity's start {"point": "..."}
        text = text.get("latLng") or text.get("LatLng") or text.get("point")
    match = _LATLNG.match(text) if isinstance(text, str) else None
    if not match:
        return None, None
    return float(match.group(1)), float(match.group(2))


def _obj(value: Any) -> dict:
    """``value`` if it is a JSON object, else an empty one: a broken record reads as empty."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


_EPOCH = re.compile(r"^\s*\d{9,13}\s*$")  # epoch seconds (10 digits) or milliseconds (13)


def _time(holder: dict, name: str) -> tuple[str | None, float]:
    """``(iso_text, epoch_ms)`` of ``name``Timestamp / ``name``TimestampMs in a Takeout object."""
    text = holder.get(f"{name}Timestamp")
    if isinstance(text, str) and _EPOCH.match(text):  # "1678960800" or "1678960800000"
        return None, float(text) * (1 if len(text.strip()) >= 12 else 1000)
    if isinstance(text, str):
        return text, math.nan
    return None, number(holder.get(f"{name}TimestampMs"))


def _shift(start: str | None, minutes: Any) -> str | None:
    """ISO text of ``start`` plus ``minutes`` (the iPhone path's way of timing points)."""
    offset = number(minutes)
    if not isinstance(start, str) or math.isnan(offset):
        return None
    try:
        return (dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
                + dt.timedelta(minutes=offset)).isoformat()
    except (ValueError, OverflowError):
        return None


class _Reader:
    """Turns the records of one file into candidate fixes."""

    def __init__(self, buffer: FixBuffer) -> None:
        self.fixes = buffer
        self.skipped: list[tuple[str, str]] = []  # parts in a shape not known: (row, reason)
        self.records: list[tuple[int, dict]] = []

    def unexpected(self, row: str, what: str, value: Any) -> None:
        """A part of a record in a shape the importer does not know: skipped, with why."""
        self.skipped.append((row, f"{what} in an unexpected shape ({_shape(value)}); not read"))

    # -- Records.json: the big one, read in batches of columns rather than point by point
    def record(self, index: int, rec: Any) -> None:
        if not isinstance(rec, dict):
            self.fixes.reject(str(index), "not a location record")
            return
        self.records.append((index, rec))
        if len(self.records) >= _RECORD_BATCH:
            self.flush_records()

    def flush_records(self) -> None:
        batch, self.records = self.records, []
        if not batch:
            return

        def column(key: str) -> list[Any]:
            return [rec.get(key) for _, rec in batch]

        times = [t if type(t) is str else None for t in column("timestamp")]
        self.fixes.extend(
            row=[str(i) for i, _ in batch], lat=e7_array(column("latitudeE7")),
            lon=e7_array(column("longitudeE7")), time=times,
            epoch_ms=[number(v) for v in column("timestampMs")],
            accuracy=[number(v) for v in column("accuracy")],
            origin=[origin_of(v) for v in column("source")])

    # -- Semantic Location History
    def timeline_object(self, row: str, obj: Any) -> None:
        if not isinstance(obj, dict):
            self.unexpected(row, "a timeline object", obj)
            return
        found = False
        for key, read in (("placeVisit", self._place_visit),
                          ("activitySegment", self._activity_segment)):
            if key in obj:
                found = True
                if isinstance(obj[key], dict):
                    read(f"{row}.{key}", obj[key])
                else:
                    self.unexpected(f"{row}.{key}", key, obj[key])
        if not found:
            self.skipped.append((row, "a timeline object that is neither a visit nor an activity: no position"))

    def _place_visit(self, row: str, visit: dict) -> None:
        place = _obj(visit.get("location"))
        lat = e7(place.get("latitudeE7", visit.get("centerLatE7")))
        lon = e7(place.get("longitudeE7", visit.get("centerLngE7")))
        duration = _obj(visit.get("duration"))
        start, start_ms = _time(duration, "start")
        end, _ = _time(duration, "end")
        name = place.get("name") or place.get("address") or place.get("placeId") or "place"
        label = f"visit: {name}" + (f" (until {end})" if end else "")
        self.fixes.add(row, lat, lon, time=start, epoch_ms=start_ms, origin="visit", label=label,
                       accuracy=place.get("accuracyMetres"))

    def _activity_segment(self, row: str, seg: dict) -> None:
        duration = _obj(seg.get("duration"))
        waypoints = _list(_obj(seg.get("waypointPath")).get("waypoints"))
        activity = seg.get("activityType") or _top_activity(seg.get("activities"))
        ends = {}
        for side, index in (("start", 0), ("end", -1)):
            where = _obj(seg.get(f"{side}Location"))
            lat, lon = e7(where.get("latitudeE7")), e7(where.get("longitudeE7"))
            if (lat is None or lon is None) and waypoints:
                point = _obj(waypoints[index])
                lat, lon = e7(point.get("latE7")), e7(point.get("lngE7"))
                ends[side] = len(waypoints) - 1 if index == -1 else 0
            text, ms = _time(duration, side)
            self.fixes.add(f"{row}.{side}", lat, lon, time=text, epoch_ms=ms, origin="fused",
                           label=f"activity {activity or 'unknown'} {side}")
        used = set(ends.values())
        for j, point in enumerate(waypoints):
            if j not in used:
                self.fixes.reject(f"{row}.waypointPath[{j}]",
                                  "route point with no time of its own (Google draws the route; "
                                  "only its ends are timed)")
        for j, point in enumerate(_list(_obj(seg.get("simplifiedRawPath")).get("points"))):
            point = _obj(point)
            text, ms = point.get("timestamp"), number(point.get("timestampMs"))
            self.fixes.add(f"{row}.simplifiedRawPath[{j}]", e7(point.get("latE7")),
                           e7(point.get("lngE7")), time=text if isinstance(text, str) else None,
                           epoch_ms=ms, accuracy=point.get("accuracyMeters"),
                           label=f"activity {activity or 'unknown'} path")

    # -- Timeline.json (Android object and iPhone array)
    def segment(self, row: str, seg: Any) -> None:
        if not isinstance(seg, dict):
            self.unexpected(row, "a segment", seg)
            return
        found = False
        for key, shape, read in (("visit", dict, self._visit), ("activity", dict, self._activity),
                                 ("timelinePath", list, self._path)):
            if key in seg:
                found = True
                if isinstance(seg[key], shape):
                    read(row, seg, seg[key])
                else:
                    self.unexpected(f"{row}.{key}", key, seg[key])
        if not found:
            kinds = [k for k in seg if k not in ("startTime", "endTime")
                     and not k.endswith("TimezoneUtcOffsetMinutes")]
            self.skipped.append((row, f"a segment without a position ({', '.join(kinds) or 'empty'})"))

    def _visit(self, row: str, seg: dict, visit: dict) -> None:
        top = _obj(visit.get("topCandidate"))
        lat, lon = latlng(top.get("placeLocation"))
        kind = top.get("semanticType") or "place"
        end = seg.get("endTime")
        label = f"visit: {kind}" + (f" (until {end})" if end else "")
        self.fixes.add(f"{row}.visit", lat, lon, time=seg.get("startTime"), origin="visit",
                       label=label)

    def _activity(self, row: str, seg: dict, act: dict) -> None:
        kind = _obj(act.get("topCandidate")).get("type") or act.get("activityType") or \
            seg.get("activityType") or "unknown"
        for side in ("start", "end"):
            lat, lon = latlng(act.get(side))
            self.fixes.add(f"{row}.activity.{side}", lat, lon, time=seg.get(f"{side}Time"),
                           origin="fused", label=f"activity {kind} {side}")

    def _path(self, row: str, seg: dict, path: list) -> None:
        for j, point in enumerate(path):
            point = _obj(point)
            lat, lon = latlng(point.get("point"))
            when = point.get("time")
            if not isinstance(when, str):
                when = _shift(seg.get("startTime"), point.get("durationMinutesOffsetFromStartTime"))
            self.fixes.add(f"{row}.timelinePath[{j}]", lat, lon, time=when, label="path")

    def raw_signal(self, row: str, signal: Any) -> None:
        position = signal.get("position") if isinstance(signal, dict) else None
        if not isinstance(position, dict):
            kind = next(iter(signal), "empty") if isinstance(signal, dict) else "non-object"
            self.skipped.append((row, f"a raw signal without a position ({kind})"))
            return
        lat, lon = latlng(position.get("LatLng") or position.get("latLng"))
        self.fixes.add(row, lat, lon, time=position.get("timestamp"),
                       accuracy=position.get("accuracyMeters"),
                       origin=origin_of(position.get("source")), label="raw signal")


def _shape(value: Any) -> str:
    """What a JSON value is, in words: ``a list``, ``a text``, ``a number``."""
    names = {dict: "an object", list: "a list", str: "a text", bool: "true/false",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _top_activity(activities: Any) -> str | None:
    if isinstance(activities, list) and activities and isinstance(activities[0], dict):
        return activities[0].get("activityType")
    return None


@importer("takeout", "Google location history (Records.json, Semantic, Timeline.json)",
          ("locations",), sniff, priority=10)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    result = ImportResult(format="takeout")
    zone, _ = naive_zone(options)
    reader = _Reader(FixBuffer(zone=zone))
    size = path.stat().st_size
    seen: set[str] = set()
    other: Counter[str] = Counter()  # entries of arrays that hold no location records
    with open(path, "rb") as handle:
        stream = JsonStream(handle, path.name)
        for count, (key, index, value) in enumerate(stream):
            if count % _PROGRESS_EVERY == 0:
                check(progress)
                progress.update(stream.bytes_read, size, f"Reading {path.name}")
            if key is None:
                seen.add("array")
                reader.segment(str(index), value)
            elif index is None:  # userLocationProfile and other summaries hold no fixes
                if key in _KNOWN_KEYS:
                    reader.unexpected(key, key, value)
                else:
                    reader.skipped.append((key, f"{key}: {_shape(value)} holding no location "
                                                "records; not read"))
            elif key == "locations":
                reader.record(index, value)
            elif key == "timelineObjects":
                reader.timeline_object(str(index), value)
            elif key == "semanticSegments":
                reader.segment(f"semanticSegments[{index}]", value)
            elif key == "rawSignals":
                reader.raw_signal(f"rawSignals[{index}]", value)
            else:
                other[key] += 1
            if key in _KNOWN_KEYS:
                seen.add(key)
    reader.flush_records()
    if not seen and "timelineEdits" in other:
        raise ImportFailure(f"{path.name}: the phone's edits to its timeline ({other['timelineEdits']:,} "
                            "entries of timelineEdits), not location records; import Timeline.json "
                            "from the same export")
    if not seen:
        raise ImportFailure(f"{path.name}: not a Google location history (no "
                            f"{', '.join(_KNOWN_KEYS)} and no array of timeline segments)")
    result.skipped.extend(reader.skipped)
    result.skipped.extend((key, f"{key}: {n} entries that are not location records; not read")
                          for key, n in sorted(other.items()))
    result.parameters["layout"] = sorted(seen)
    finish_locations(reader.fixes, result, options)
    progress.update(size, size, f"Read {path.name}")
    return result
