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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellsight.core import cellkeys

TRACK_BREAK = pd.Timedelta(minutes=60)
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
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)  # key, site, lat, lon, azimuth, beamwidth, range_m, events, subjects
    unlocated_cells: int = 0
    places: list[Any] = field(default_factory=list)  # core.case.Place
    occasions: list[dict[str, Any]] = field(default_factory=list)  # label, lat, lon, start, end, hits, ...
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) around everything drawn; None when nothing is."""
        lats, lons = [], []
        for layer in self.subjects:
            lats.append(layer.fixes["lat"].to_numpy(float))
            lons.append(layer.fixes["lon"].to_numpy(float))
        if not self.sites.empty:
            lats.append(self.sites["lat"].to_numpy(float))
            lons.append(self.sites["lon"].to_numpy(float))
        for place in self.places:
            pad = (place.radius_m or 100.0) / 111_320.0
            lats.append(np.array([place.lat - pad, place.lat + pad]))
            lons.append(np.array([place.lon - pad / max(np.cos(np.radians(place.lat)), 0.01),
                                  place.lon + pad / max(np.cos(np.radians(place.lat)), 0.01)]))
        located = [o for o in self.occasions if _finite(o.get("lat")) and _finite(o.get("lon"))]
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


def _finite(value: Any) -> bool:
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


def to_utc(value: Any, zone: str) -> pd.Timestamp | None:
    """An ISO time or timestamp as UTC; a time without an offset is read in the case's zone."""
    if value is None or value == "":
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def gather(case: Any, subjects: tuple[str, ...] | list[str] = (), start: Any = None, end: Any = None,
           places: tuple[str, ...] | list[str] | None = None,
           occasions: list[dict[str, Any]] | None = None) -> MapData:
    """Collect what a map of ``subjects`` between ``start`` and ``end`` shows.

    ``subjects`` are names or numbers (empty: every subject); ``places`` are
    names (None: every place of the case); ``occasions`` are already located
    dicts (see ``occasion_points``).
    """
    zone = case.info.tz
    t0, t1 = to_utc(start, zone), to_utc(end, zone)
    if subjects:
        chosen = []
        for key in subjects:
            found = case.find_subject(key)
            if found is None:
                raise ValueError(f"no subject {key!r} in the case")
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
        rows = _in_range(rows, "time", t0, t1)
        fixes = rows[["time", "lat", "lon", "accuracy_m", "origin", "source_id", "source_row"]]
        fixes = fixes.sort_values("time", kind="stable").reset_index(drop=True)
        layers.append(SubjectLayer(subject.name, subject.role, colours[subject.name], fixes, total))
    names = [s.name for s in chosen]
    sites, unlocated = _sites(case, names, t0, t1)
    if places is None:
        chosen_places = list(case.places)
    else:
        chosen_places = []
        for name in places:
            place = case.find_place(name)
            if place is None:
                raise ValueError(f"no place {name!r} in the case")
            chosen_places.append(place)
    return MapData(layers, sites, unlocated, chosen_places, list(occasions or []), t0, t1)


def _in_range(frame: pd.DataFrame, column: str, t0: pd.Timestamp | None,
              t1: pd.Timestamp | None) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    if t0 is not None:
        mask &= frame[column] >= t0
    if t1 is not None:
        mask &= frame[column] <= t1
    return frame[mask]


def _sites(case: Any, subjects: list[str], t0: pd.Timestamp | None,
           t1: pd.Timestamp | None) -> tuple[pd.DataFrame, int]:
    """Cells the subjects' events used in the range, with their positions and use counts."""
    columns = ["key", "site", "lat", "lon", "azimuth", "beamwidth", "range_m", "events", "subjects"]
    events = case.events
    events = events[events["subject"].astype(object).isin(subjects)]
    events = _in_range(events, "start", t0, t1)
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
    position = cellkeys.resolve(per_key["key"], case.cells)
    located = position >= 0
    cells = case.cells.iloc[position[located].to_numpy()].reset_index(drop=True)
    found = per_key[located.to_numpy()].reset_index(drop=True)
    out = pd.DataFrame({
        "key": cells["key"].astype(object), "site": cells["site"].astype(object),
        "lat": cells["lat"].to_numpy(float), "lon": cells["lon"].to_numpy(float),
        "azimuth": cells["azimuth"].astype("float64").to_numpy(),
        "beamwidth": cells["beamwidth"].astype("float64").to_numpy(),
        "range_m": cells["range_m"].astype("float64").to_numpy(),
        "events": found["events"].to_numpy(), "subjects": found["subjects"].to_numpy()})
    out = out[np.isfinite(out["lat"]) & np.isfinite(out["lon"])].reset_index(drop=True)
    return out[columns], int((~located).sum()) + int(located.sum() - len(out))


def track_segments(fixes: pd.DataFrame) -> list[np.ndarray]:
    """Runs of consecutive fixes no more than ``TRACK_BREAK`` apart, as (n, 2) lat/lon arrays."""
    if len(fixes) < 2:
        return []
    gaps = fixes["time"].diff() > TRACK_BREAK
    run = gaps.cumsum().to_numpy()
    coords = fixes[["lat", "lon"]].to_numpy(float)
    breaks = np.flatnonzero(np.diff(run)) + 1
    return [seg for seg in np.split(coords, breaks) if len(seg) >= 2]
