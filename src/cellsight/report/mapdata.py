"""What a map shows, gathered once from the case for both the static and the web map.

The static map (PDF images) and the interactive map (HTML, GUI map pane) draw
the same things: each subject's fixes and tracks, the cell sites their events
used, the places, and proximity occasions. Gathering them here means both maps
agree on what was selected and on the few rules that shape a drawing:

- a track is broken where two consecutive fixes are more than ``TRACK_BREAK``
  apart, so that a line never suggests a journey nobody recorded;
- cell sites come from the serving cells (first and, when different, last) of
  the subjects' events in the time range, linked to the case's cell list by
  ``cellkeys.resolve``; a cell with no listed position is counted, not drawn;
- colours follow the role (suspect red, victim blue) so a jury reads every map
  the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellsight.core import cellkeys
from cellsight.core.case import CaseError

TRACK_BREAK = pd.Timedelta(minutes=60)
MAX_TRACK_VERTICES = 5_000  # per subject and map
ROLE_COLOURS = {"suspect": "#c62828", "victim": "#1565c0"}
OTHER_COLOURS = ("#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#ad1457", "#455a64")
SITE_COLOUR = "#37474f"
PLACE_COLOUR = "#7b1fa2"
OCCASION_COLOUR = "#ffb300"


@dataclass
class SubjectLayer:
    """One subject's fixes in the range, in time order."""

    name: str
    role: str
    colour: str
    fixes: pd.DataFrame  # time, lat, lon, accuracy_m, origin, source_id, source_row
    total_fixes: int  # before any time filter, for the legend's honesty


@dataclass
class MapData:
    """Everything a map of one selection draws, in WGS84 latitude/longitude."""

    subjects: list[SubjectLayer] = field(default_factory=list)
    # key, site, lat, lon, azimuth, beamwidth, range_m, technology, events, subjects
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    unlocated_cells: int = 0
    places: list[Any] = field(default_factory=list)  # core.case.Place
    occasions: list[dict[str, Any]] = field(default_factory=list)  # label, lat, lon, start, end, hits, ...
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def bounds(self, focus: bool = False) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) around everything drawn; None when nothing is.

        ``focus`` leaves cell sites out when there are fixes, places or occasions
        to frame: a map of an occasion is about where the phones reported
        themselves, and a mast kilometres away would shrink them to a dot.
        """
        lats, lons = [], []
        for layer in self.subjects:
            lats.append(layer.fixes["lat"].to_numpy(float))
            lons.append(layer.fixes["lon"].to_numpy(float))
        others = any(len(x) for x in lats) or bool(self.places) or bool(self.occasions)
        if not self.sites.empty and not (focus and others):
            lats.append(self.sites["lat"].to_numpy(float))
            lons.append(self.sites["lon"].to_numpy(float))
        for place in self.places:
            pad = (place.radius_m or 100.0) / 111_320.0
            lats.append(np.array([place.lat - pad, place.lat + pad]))
            lons.append(np.array([place.lon - pad / max(np.cos(np.radians(place.lat)), 0.01),
                                  place.lon + pad / max(np.cos(np.radians(place.lat)), 0.01)]))
        located = [o for o in self.occasions if is_finite(o.get("lat")) and is_finite(o.get("lon"))]
        if located:
            lats.append(np.array([o["lat"] for o in located], float))
            lons.append(np.array([o["lon"] for o in located], float))
        if not lats:
            return None
        lat = np.concatenate(lats)
        lon = np.concatenate(lons)
        ok = np.isfinite(lat) & np.isfinite(lon)
        if not ok.any():
            return None
        return float(lat[ok].min()), float(lon[ok].min()), float(lat[ok].max()), float(lon[ok].max())

    @property
    def empty(self) -> bool:
        return self.bounds() is None


def is_finite(value: Any) -> bool:
    try:
        return value is not None and bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def subject_colours(case: Any) -> dict[str, str]:
    """A fixed colour per subject: red for suspects, blue for victims, a palette for the rest."""
    colours: dict[str, str] = {}
    others = 0
    seen_roles: dict[str, int] = {}
    for subject in case.subjects:
        base = ROLE_COLOURS.get(subject.role)
        if base is not None and seen_roles.get(subject.role, 0) == 0:
            colours[subject.name] = base
            seen_roles[subject.role] = 1
        else:
            colours[subject.name] = OTHER_COLOURS[others % len(OTHER_COLOURS)]
            others += 1
    return colours


_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def to_utc(value: Any, zone: str, end_of_day: bool = False) -> pd.Timestamp | None:
    """An ISO time or timestamp as UTC; a time without an offset is read in the case's zone.

    With ``end_of_day``, a bare date means the end of that day, so that
    ``--to 2024-03-03`` includes the 3rd, as a person means it.
    """
    if value is None or value == "":
        return None
    try:
        stamp = pd.Timestamp(value)
    except ValueError as exc:
        raise CaseError(f"{value!r} is not an ISO 8601 time") from exc
    if end_of_day and isinstance(value, str) and _DATE_ONLY.match(value):
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def gather(case: Any, subjects: tuple[str, ...] | list[str] = (), start: Any = None, end: Any = None,
           places: tuple[str, ...] | list[str] | None = None,
           occasions: list[dict[str, Any]] | None = None,
           intervals: list[tuple[Any, Any]] | None = None) -> MapData:
    """Collect what a map of ``subjects`` between ``start`` and ``end`` shows.

    ``subjects`` are names or numbers (empty: every subject); ``places`` are
    names (None: every place of the case); ``occasions`` are located dicts
    (label, lat, lon, ...). ``intervals`` narrows further to a set of time spans
    (an occasion map shows only the fixes and cells around its occasions).
    """
    zone = case.info.tz
    t0, t1 = to_utc(start, zone), to_utc(end, zone, end_of_day=True)
    spans = _merged([(to_utc(a, zone), to_utc(b, zone)) for a, b in intervals or []])
    if subjects:
        chosen = []
        for key in subjects:
            found = case.find_subject(key)
            if found is None:
                raise CaseError(f"no subject {key!r} in the case")
            if found not in chosen:
                chosen.append(found)
    else:
        chosen = list(case.subjects)
    colours = subject_colours(case)
    layers = []
    locations = case.locations
    for subject in chosen:
        rows = locations[locations["subject"].astype(object) == subject.name]
        total = len(rows)
        rows = _in_range(rows, "time", t0, t1, spans)
        fixes = rows[["time", "lat", "lon", "accuracy_m", "origin", "source_id", "source_row"]]
        fixes = fixes.sort_values("time", kind="stable").reset_index(drop=True)
        layers.append(SubjectLayer(subject.name, subject.role, colours[subject.name], fixes, total))
    names = [s.name for s in chosen]
    sites, unlocated = _sites(case, names, t0, t1, spans)
    if places is None:
        chosen_places = list(case.places)
    else:
        chosen_places = []
        for name in places:
            place = case.find_place(name)
            if place is None:
                raise CaseError(f"no place {name!r} in the case")
            chosen_places.append(place)
    return MapData(layers, sites, unlocated, chosen_places, list(occasions or []), t0, t1)


class Within:
    """A case seen only around some time spans: its events and fixes in the spans, the rest as it is.

    Many small maps of one page each gather from the same few hours of a long
    case; picking those hours out of the events and fixes once, rather than for
    every map, is most of what drawing them costs. Fix counts taken from it
    count only the fixes in the spans.
    """

    def __init__(self, case: Any, intervals: list[tuple[Any, Any]]) -> None:
        zone = case.info.tz
        spans = _merged([(to_utc(a, zone), to_utc(b, zone)) for a, b in intervals])
        self._case = case
        self.events = _in_range(case.events, "start", None, None, spans)
        self.locations = _in_range(case.locations, "time", None, None, spans)
        self._positions: pd.Series | None = None
        self._event_cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def cell_positions(self, keys: pd.Series) -> pd.Series:
        """``cellkeys.resolve`` of ``keys`` against the whole cell list, worked out once for every cell
        the narrowed events used (the rules that link a key look at the whole list)."""
        if self._positions is None:
            used = pd.concat([self.events["cell_first"], self.events["cell_last"]]).dropna().astype(object).unique()
            found = cellkeys.resolve(pd.Series(used, dtype=object), self._case.cells)
            self._positions = pd.Series(found.to_numpy(), index=used)
        return pd.Series(self._positions.reindex(keys.astype(object).to_numpy()).fillna(-1).astype("int64")
                         .to_numpy(), index=keys.index)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)

    def part(self, data: MapData, interval: tuple[Any, Any], occasions: list[dict[str, Any]]) -> MapData:
        """What a map of one of the spans shows, cut from ``data`` (gathered from this view for all of
        them): the fixes in the span, the cells its events used, and ``occasions``."""
        zone = self._case.info.tz
        t0, t1 = to_utc(interval[0], zone), to_utc(interval[1], zone)
        layers = []
        for layer in data.subjects:
            times = layer.fixes["time"].to_numpy(dtype="datetime64[us]")
            inside = (times >= t0.to_datetime64()) & (times <= t1.to_datetime64())
            layers.append(SubjectLayer(layer.name, layer.role, layer.colour,
                                       layer.fixes[inside].reset_index(drop=True), layer.total_fixes))
        sites = data.sites
        if not sites.empty:
            starts, first, last = self._cells_of_events()
            inside = (starts >= t0.to_datetime64()) & (starts <= t1.to_datetime64())
            used = np.unique(np.concatenate([first[inside], last[inside]]))
            keys = set(self._case.cells["key"].astype(object).to_numpy()[used[used >= 0]])
            sites = sites[sites["key"].isin(keys).to_numpy(dtype=bool)].reset_index(drop=True)
        return MapData(layers, sites, 0, data.places, list(occasions), t0, t1)

    def _cells_of_events(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The narrowed events' start times (UTC) and the cell-list rows of their first and last cells
        (-1: none or not in the list), worked out once: each small map only picks its span out of them."""
        if self._event_cells is None:
            events = self.events
            self._event_cells = (events["start"].to_numpy(dtype="datetime64[us]"),
                                 self.cell_positions(events["cell_first"]).to_numpy(),
                                 self.cell_positions(events["cell_last"]).to_numpy())
        return self._event_cells


def _merged(spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Overlapping spans joined, in time order."""
    out: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _in_range(frame: pd.DataFrame, column: str, t0: pd.Timestamp | None, t1: pd.Timestamp | None,
              spans: list[tuple[pd.Timestamp, pd.Timestamp]] | None = None) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    if t0 is not None:
        mask &= frame[column] >= t0
    if t1 is not None:
        mask &= frame[column] <= t1
    if spans:
        # Merged spans are disjoint and sorted: each time falls in the last span starting before it.
        starts = pd.DatetimeIndex([a for a, _ in spans]).as_unit("us")
        ends = pd.DatetimeIndex([b for _, b in spans]).as_unit("us")
        times = pd.DatetimeIndex(frame[column]).as_unit("us")
        at = starts.searchsorted(times, side="right") - 1
        inside = (at >= 0) & (times <= ends[at.clip(0)])
        mask &= inside
    return frame[mask]


def _sites(case: Any, subjects: list[str], t0: pd.Timestamp | None, t1: pd.Timestamp | None,
           spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> tuple[pd.DataFrame, int]:
    """Cells the subjects' events used in the range, with their positions and use counts."""
    columns = ["key", "site", "lat", "lon", "azimuth", "beamwidth", "range_m", "technology", "events",
               "subjects"]
    events = case.events
    events = events[events["subject"].astype(object).isin(subjects)]
    events = _in_range(events, "start", t0, t1, spans)
    first = events[["cell_first", "subject"]].rename(columns={"cell_first": "key"})
    last = events.loc[events["cell_last"] != events["cell_first"], ["cell_last", "subject"]]
    used = pd.concat([first, last.rename(columns={"cell_last": "key"})], ignore_index=True)
    used = used.dropna(subset=["key"])
    if used.empty:
        return pd.DataFrame(columns=columns), 0
    used["subject"] = used["subject"].astype(object)
    per_key = used.groupby("key", observed=True).agg(
        events=("subject", "size"), subjects=("subject", lambda s: ", ".join(sorted(set(s)))))
    per_key = per_key.reset_index()
    position = case.cell_positions(per_key["key"]) if isinstance(case, Within) else \
        cellkeys.resolve(per_key["key"], case.cells)
    located = position >= 0
    cells = case.cells.iloc[position[located].to_numpy()].reset_index(drop=True)
    found = per_key[located.to_numpy()].reset_index(drop=True)
    out = pd.DataFrame({
        "key": cells["key"].astype(object), "site": cells["site"].astype(object),
        "lat": cells["lat"].to_numpy(float), "lon": cells["lon"].to_numpy(float),
        "azimuth": cells["azimuth"].astype("float64").to_numpy(),
        "beamwidth": cells["beamwidth"].astype("float64").to_numpy(),
        "range_m": cells["range_m"].astype("float64").to_numpy(),
        "technology": cells["technology"].astype(object).to_numpy(),
        "events": found["events"].to_numpy(), "subjects": found["subjects"].to_numpy()})
    out = out[np.isfinite(out["lat"]) & np.isfinite(out["lon"])].reset_index(drop=True)
    return out[columns], int((~located).sum()) + int(located.sum() - len(out))


def fix_count(layer: SubjectLayer) -> str:
    """"12 fixes", or "12 of 340 fixes" when the map shows part of the subject's record."""
    shown = len(layer.fixes)
    return f"{shown} fixes" if shown == layer.total_fixes else f"{shown} of {layer.total_fixes} fixes"


def track_runs(fixes: pd.DataFrame) -> np.ndarray:
    """For fixes in time order, the number of the track run each belongs to (0, 1, ...).

    A new run starts after a gap of more than ``TRACK_BREAK``: the interactive
    map's highlighted track follows the same breaks as the drawn one.
    """
    # On the column's numbers, not through pandas: a page of small maps asks this for hundreds of short tracks.
    times = fixes["time"].to_numpy(dtype="datetime64[us]")
    starts = np.cumsum(np.diff(times) > TRACK_BREAK.to_timedelta64(), dtype="int64")
    return np.concatenate([np.zeros(min(len(times), 1), dtype="int64"), starts])


def track_segments(fixes: pd.DataFrame, limit: int | None = None) -> list[np.ndarray]:
    """Runs of consecutive fixes no more than ``TRACK_BREAK`` apart, as (n, 2) lat/lon arrays.

    With ``limit``, a longer track keeps every k-th fix so that at most about
    ``limit`` vertices are drawn: at map scale a line through a million fixes is
    a blot either way, and the fixes themselves are still all drawn as dots.
    """
    if limit is not None and len(fixes) > limit:
        fixes = fixes.iloc[:: -(-len(fixes) // limit)]
    if len(fixes) < 2:
        return []
    run = track_runs(fixes)
    coords = np.column_stack([fixes["lat"].to_numpy(float), fixes["lon"].to_numpy(float)])
    breaks = np.flatnonzero(np.diff(run)) + 1
    return [seg for seg in np.split(coords, breaks) if len(seg) >= 2]
