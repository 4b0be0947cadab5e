"""Proximity: when A was near B, or near a place, by GPS fixes, cell sites, or both.

The contract's definitions, exactly:

- A **hit** is one item of A (a fix, or a network event with a serving cell)
  that has at least one matching item of B: reported within ``window`` minutes
  and ``distance`` metres (both inclusive), the distance being the haversine
  distance on a sphere of radius 6,371,008.8 m between reported positions.
- ``gps`` compares fixes with fixes; ``cell`` network events with network
  events through their serving sites (first cell and, when different, last);
  ``any`` does both and compares fixes of one with the other's serving sites.
- With a place, A's fixes (or serving sites) within ``distance`` of the place.
- **Occasions**: hits in time order; a hit less than ``gap`` minutes after the
  previous hit joins its occasion.

How it scales without a cross join: B's positions go into a grid whose cells
are at least twice ``distance`` wide (exactly: every position within
``distance`` of a point lies in the 2 × 2 block of cells around it, at any
latitude, across the antimeridian and over the poles), sorted by (cell, time).
Each A position, taken in (cell, time) order, finds the block's time ranges by
binary search, and only those candidate pairs are examined, in bounded chunks.
Candidates are screened by squared chord length (no trigonometry), and the
exact haversine decides every pair near the threshold and every pair that could
be the nearest, so each hit's distance is the true minimum to a matching item
of B. When two phones are together for hours, every pair in the window is a
candidate and the cost is proportional to those pairs (a few tens of nanoseconds each).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis.contacts import resolve_party
from cellsight.analysis.windows import KeyedTimes, epoch_us, expand_ranges, first_of_groups
from cellsight.core import geo
from cellsight.core.case import Case, CaseError
from cellsight.core.cellkeys import resolve
from cellsight.core.timezones import iso_local, iso_local_series

from cellsight.analysis import proximity_params
from cellsight.analysis.proximity_params import METHODS, ProximityParameters

_CHORD_MARGIN = 1e-13  # unit-sphere chord ≈ 0.6 µm: far above rounding, far below any threshold
_MIN_CELL_DEG = 1e-5  # grid cells never smaller than ~1 m, so cell numbers stay small
_MAX_PAIRS = 2_000_000  # candidate pairs examined per chunk (bounded memory)


# ----- the exact nearest-match engine -------------------------------------------------
@dataclass
class Points:
    """Positions to compare: item id (row of the side's item table), time (µs), lat, lon."""

    item: np.ndarray
    time: np.ndarray
    lat: np.ndarray
    lon: np.ndarray

    @classmethod
    def empty(cls) -> Points:
        return cls(np.empty(0, "int64"), np.empty(0, "int64"), np.empty(0), np.empty(0))

    def __len__(self) -> int:
        return len(self.item)

    def take(self, which: np.ndarray) -> Points:
        """The positions picked by a mask or an index array."""
        return Points(self.item[which], self.time[which], self.lat[which], self.lon[which])

    @staticmethod
    def concat(parts: list[Points]) -> Points:
        fields = ("item", "time", "lat", "lon")
        return Points(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))


class _Grid:
    """Cells at least twice ``distance`` wide, so that the 2 × 2 block around a position holds
    every position within ``distance`` of it.

    Two positions at haversine distance d satisfy d ≥ R·|Δφ| and
    sin(Δλ/2) ≤ sin(d/2R) / cos φ for both latitudes φ (so for the data's
    worst latitude). The band ``[v - half, v + half]`` along each axis is then
    at most one cell boundary wide: four cell look-ups per position rather than
    nine, which is what the binary searches cost.
    """

    def __init__(self, distance_m: float, max_abs_lat: float) -> None:
        angle = distance_m / geo.EARTH_RADIUS_M
        self.lat_half = np.degrees(angle) * (1 + 1e-6) + 1e-12
        self.lat_step = max(2 * self.lat_half, _MIN_CELL_DEG)
        cos_max = np.cos(np.radians(min(max_abs_lat, 90.0)))
        ratio = np.sin(min(angle, np.pi) / 2) / cos_max if cos_max > 1e-12 else 2.0
        self.lon_half = 360.0
        if ratio < 1.0:
            self.lon_half = np.degrees(2 * np.arcsin(ratio)) * (1 + 1e-6) + 1e-12
        self.nlon = max(1, int(360.0 // max(2 * self.lon_half, _MIN_CELL_DEG)))
        self.lon_step = 360.0 / self.nlon
        self.nlat = int(180.0 // self.lat_step) + 2

    def _row(self, lat: np.ndarray) -> np.ndarray:
        return np.floor((lat + 90.0) / self.lat_step).astype("int64")

    def _col(self, lon: np.ndarray) -> np.ndarray:
        return np.floor((lon + 180.0) / self.lon_step).astype("int64") % self.nlon

    def cells(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return self._row(lat) * self.nlon + self._col(lon)

    def neighbours(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """(n × 4) cells of the block around each position; -1 where the block needs fewer."""
        row_lo, row_hi = self._row(lat - self.lat_half), self._row(lat + self.lat_half)
        col_lo, col_hi = self._col(lon - self.lon_half), self._col(lon + self.lon_half)
        rows = [(row_lo, np.ones(len(lat), dtype=bool)), (row_lo + 1, row_hi > row_lo)]
        second_col = (col_hi != col_lo) & (self.nlon > 1)
        cols = [(col_lo, np.ones(len(lat), dtype=bool)), ((col_lo + 1) % self.nlon, second_col)]
        out = np.empty((len(lat), 4), dtype="int64")
        j = 0
        for row, row_used in rows:
            usable = row_used & (row >= 0) & (row < self.nlat)
            for col, col_used in cols:
                out[:, j] = np.where(usable & col_used, row * self.nlon + col, -1)
                j += 1
        return out


def nearest_within(a: Points, b: Points, distance_m: float, window_us: int,
                   max_pairs: int = _MAX_PAIRS) -> pd.DataFrame:
    """For each position of A with a position of B within the window and distance, the nearest.

    Returns one row per matched A position: ``a`` and ``b`` (positions in the
    inputs), ``distance_m``. The nearest is by haversine distance, then the
    earlier B time, then the lower B position.
    """
    out_cols = {"a": np.empty(0, "int64"), "b": np.empty(0, "int64"), "distance_m": np.empty(0)}
    if len(a) == 0 or len(b) == 0:
        return pd.DataFrame(out_cols)
    grid = _Grid(distance_m, float(max(np.abs(a.lat).max(), np.abs(b.lat).max())))
    index = KeyedTimes(grid.cells(b.lat, b.lon), b.time)
    b_lat, b_lon, b_time, b_pos = b.lat[index.order], b.lon[index.order], index.times, index.order
    ub = np.ascontiguousarray(geo.unit_vectors(b_lat, b_lon).T)  # three contiguous rows
    # A in (cell, time) order: the binary searches then run over sorted queries.
    a_order = np.lexsort((a.time, grid.cells(a.lat, a.lon)))
    a = a.take(a_order)
    ua = geo.unit_vectors(a.lat, a.lon)
    neighbours = grid.neighbours(a.lat, a.lon)
    k = neighbours.shape[1]
    lo, hi = index.ranges(neighbours, a.time - window_us, a.time + window_us)
    per_a = (hi - lo).sum(axis=1)
    chord = geo.chord_for_distance(distance_m)
    outer = (chord + _CHORD_MARGIN) ** 2
    inner = (chord - _CHORD_MARGIN) ** 2 if chord > _CHORD_MARGIN else -1.0
    results = []
    cumulative = np.cumsum(per_a)
    start = 0
    while start < len(a):
        done_before = cumulative[start - 1] if start else 0
        end = max(int(np.searchsorted(cumulative, done_before + max_pairs, "right")), start + 1)
        if cumulative[end - 1] > done_before:
            results.append(_chunk(start, lo[start:end].ravel(), hi[start:end].ravel(), k, a, ua,
                                  b_lat, b_lon, b_time, b_pos, ub, distance_m, outer, inner))
        start = end
    if not results:
        return pd.DataFrame(out_cols)
    found = pd.concat(results, ignore_index=True)
    found["a"] = a_order[found["a"].to_numpy()]
    return found


def _chunk(offset: int, lo: np.ndarray, hi: np.ndarray, k: int, a: Points, ua: np.ndarray,
           b_lat: np.ndarray, b_lon: np.ndarray, b_time: np.ndarray, b_pos: np.ndarray,
           ub: np.ndarray, distance_m: float, outer: float, inner: float) -> pd.DataFrame:
    _, sorted_b = expand_ranges(lo, hi)
    per_a = (hi - lo).reshape(-1, k).sum(axis=1)
    # Pairs are A-major: A's side is a repeat (cheap), B's a gather from contiguous ranges.
    ai = np.repeat(np.arange(offset, offset + len(per_a), dtype="int64"), per_a)
    c2 = np.repeat(ua[offset:offset + len(per_a), 0], per_a)
    c2 -= ub[0].take(sorted_b)
    c2 *= c2
    for axis in (1, 2):
        diff = np.repeat(ua[offset:offset + len(per_a), axis], per_a)
        diff -= ub[axis].take(sorted_b)
        diff *= diff
        c2 += diff
    keep = c2 <= outer
    if not keep.all():
        keep = np.flatnonzero(keep)
        ai, sorted_b, c2 = ai[keep], sorted_b[keep], c2[keep]
    band = np.flatnonzero(c2 > inner)
    if len(band):
        exact = geo.haversine_m(a.lat[ai[band]], a.lon[ai[band]], b_lat[sorted_b[band]],
                                b_lon[sorted_b[band]])
        ok = np.ones(len(ai), dtype=bool)
        ok[band] = exact <= distance_m
        ai, sorted_b, c2 = ai[ok], sorted_b[ok], c2[ok]
    if len(ai) == 0:
        return pd.DataFrame({"a": np.empty(0, "int64"), "b": np.empty(0, "int64"), "distance_m": np.empty(0)})
    # Only pairs whose chord is within rounding of the A position's smallest can be its nearest.
    starts = np.flatnonzero(first_of_groups(ai))
    smallest = np.sqrt(np.minimum.reduceat(c2, starts))
    lengths = np.diff(np.append(starts, len(ai)))
    limit = np.repeat((smallest + 2 * _CHORD_MARGIN) ** 2, lengths)
    near = np.flatnonzero(c2 <= limit)
    ai, sorted_b = ai[near], sorted_b[near]
    dist = geo.haversine_m(a.lat[ai], a.lon[ai], b_lat[sorted_b], b_lon[sorted_b])
    original_b = b_pos[sorted_b]
    order = np.lexsort((original_b, b_time[sorted_b], dist, ai))
    first = order[first_of_groups(ai[order])]
    return pd.DataFrame({"a": ai[first], "b": original_b[first], "distance_m": dist[first]})


def within_of_place(a: Points, lat: float, lon: float, distance_m: float) -> pd.DataFrame:
    """A positions within ``distance_m`` of a point: ``a``, ``distance_m``."""
    dist = geo.haversine_m(a.lat, a.lon, lat, lon)
    hit = np.flatnonzero(dist <= distance_m)
    return pd.DataFrame({"a": hit.astype("int64"), "distance_m": dist[hit]})


# ----- items of a side ----------------------------------------------------------------
@dataclass
class Side:
    """One party's comparable items (fixes and/or network events) and their positions."""

    label: str
    items: pd.DataFrame  # time, type ('fix'|'cell'), cell, accuracy_m, source_id, source_row
    points: Points
    unlocated_events: int = 0
    unusable_fixes: int = 0
    fixes: int = 0
    network_events: int = 0


def _valid_position(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Latitude and longitude present and on the globe (NaN compares false)."""
    return (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)


def _owned(table: pd.DataFrame, label: str) -> np.ndarray:
    """Rows of the subject's own sources (subject names compared case-insensitively)."""
    subject = table["subject"]
    names = [c for c in subject.cat.categories if str(c).lower() == label.lower()]
    return subject.isin(names).to_numpy(dtype=bool)


def side_items(case: Case, label: str, use_fixes: bool, use_cells: bool,
               include_photos: bool = False) -> Side:
    """The items of the subject ``label``: their fixes and/or their network events' serving sites.

    A subject's items are the rows of their own sources (``subject`` column): a
    network event's cell is the serving cell of the handset whose records hold it.
    Fixes of origin ``photo`` (a photograph's EXIF position, a video's recorded
    position) count only with ``include_photos``: a picture on a phone may have
    been received, not taken there.
    """
    frames, parts = [], []
    side = Side(label, pd.DataFrame(), Points.empty())
    offset = 0
    if use_fixes:
        loc = case.locations
        owned = _owned(loc, label)
        if not include_photos:
            owned = owned & (loc["origin"] != "photo").to_numpy(dtype=bool)
        valid = _valid_position(loc["lat"].to_numpy("float64"), loc["lon"].to_numpy("float64"))
        side.unusable_fixes = int((owned & ~valid).sum())
        fixes = loc[owned & valid]
        fixes = fixes.sort_values("time", kind="stable")
        n = len(fixes)
        frames.append(pd.DataFrame({"time": fixes["time"].reset_index(drop=True), "type": "fix",
                                    "cell": pd.Series([None] * n, dtype=object),
                                    "accuracy_m": fixes["accuracy_m"].astype("float64").to_numpy(),
                                    "source_id": fixes["source_id"].reset_index(drop=True),
                                    "source_row": fixes["source_row"].reset_index(drop=True)}))
        parts.append(Points(np.arange(n, dtype="int64"), epoch_us(fixes["time"]),
                            fixes["lat"].to_numpy("float64"), fixes["lon"].to_numpy("float64")))
        side.fixes, offset = n, n
    if use_cells:
        events_frame, points, unlocated = _network_items(case, label, offset)
        frames.append(events_frame)
        parts.append(points)
        side.network_events, side.unlocated_events = len(events_frame), unlocated
    side.items = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    side.points = Points.concat(parts) if parts else Points.empty()
    return side


def _network_items(case: Case, label: str, offset: int) -> tuple[pd.DataFrame, Points, int]:
    events = case.events
    with_cell = (events["cell_first"].notna() | events["cell_last"].notna()).to_numpy()
    mine = events[_owned(events, label) & with_cell]
    mine = mine.sort_values("start", kind="stable").reset_index(drop=True)
    # Resolve each distinct cell once (thousands), not each event (millions).
    codes, uniques = pd.factorize(pd.concat([mine["cell_first"], mine["cell_last"]], ignore_index=True))
    cells = case.cells
    position_of = np.append(resolve(pd.Series(uniques, dtype=object), cells).to_numpy(), -1)
    first_code, last_code = codes[: len(mine)], codes[len(mine):]
    first = position_of[first_code]  # code -1 (missing) picks the appended -1
    last = np.where(last_code != first_code, position_of[last_code], -1)
    located = (first >= 0) | (last >= 0)
    mine, first, last = mine[located].reset_index(drop=True), first[located], last[located]
    n = len(mine)
    items = pd.DataFrame({"time": mine["start"], "type": "cell",
                          "cell": mine["cell_first"].where(first >= 0, mine["cell_last"]),
                          "accuracy_m": np.nan, "source_id": mine["source_id"],
                          "source_row": mine["source_row"]})
    ids = np.arange(n, dtype="int64") + offset
    times = epoch_us(mine["start"])
    lat = cells["lat"].to_numpy("float64")
    lon = cells["lon"].to_numpy("float64")
    parts = []
    for which in (first, last):
        ok = which >= 0
        ok &= _valid_position(lat[np.where(ok, which, 0)], lon[np.where(ok, which, 0)])
        parts.append(Points(ids[ok], times[ok], lat[which[ok]], lon[which[ok]]))
    points = Points.concat(parts)
    # An event whose cells are listed without coordinates has no position either.
    has_position = np.zeros(n, dtype=bool)
    has_position[points.item - offset] = True
    return items, points, int((~located).sum() + (~has_position).sum())


# ----- the result -----------------------------------------------------------------------
@dataclass
class ProximityResult:
    """Hits, occasions, parameters and the words the report prints with them.

    ``occasions``: one row per occasion, in time order: ``start``, ``end`` (UTC),
    ``hits``, ``min_distance_m``, ``methods`` (``gps``/``cell``), ``rows``
    (``S1:12`` labels of both sides' source rows) and ``evidence`` (the two as
    a dict, as in the JSON).

    ``hits``: one row per hit (an item of A), in time order: ``a_item``,
    ``a_time``, ``a_lat``, ``a_lon``, ``a_type`` (``fix``/``cell``), ``a_cell``,
    ``a_accuracy_m``, ``a_source_id``, ``a_source_row``, the same ``b_*`` for
    its nearest matching item of B (or the place), ``distance_m``, ``dt_s``
    (B's time minus A's), ``method`` (``gps``, ``cell``, ``fix-site``,
    ``site-fix``) and ``occasion``.
    """

    occasions: pd.DataFrame
    hits: pd.DataFrame
    parameters: dict[str, Any]
    method_statement: str
    limitations: list[str] = field(default_factory=list)

    def to_json(self, tz: str) -> dict[str, Any]:
        """The contract's ``proximity --json`` document (times in ``tz``, metres to 0.1)."""
        p = self.parameters
        doc: dict[str, Any] = {"a": p["a"]}
        if p.get("place") is not None:
            doc["place"] = p["place"]
        else:
            doc["b"] = p["b"]
        doc.update({"method": p["method"], "distance_m": round(p["distance_m"], 1),
                    "window_min": p["window_min"], "gap_min": p["gap_min"],
                    "count": int(len(self.occasions)), "hits": int(len(self.hits)),
                    "method_statement": self.method_statement,
                    "occasions": [{"start": start, "end": end,
                                   "hits": int(o.hits), "min_distance_m": round(float(o.min_distance_m), 1),
                                   "max_accuracy_m": _metres(o.max_accuracy_m), "evidence": o.evidence}
                                  for o, start, end in zip(self.occasions.itertuples(index=False),
                                                           *self._iso_times(tz))],
                    "limitations": list(self.limitations),
                    "parameters": {k: v for k, v in p.items() if k not in ("a", "b", "place")}})
        return doc

    def _iso_times(self, tz: str) -> tuple[list[str], list[str]]:
        """Every occasion's start and end in ``tz``, in one vectorised call each (one call per time
        cost a report a third of a second per analysis)."""
        if self.occasions.empty:
            return [], []
        return list(iso_local_series(self.occasions["start"], tz)), list(iso_local_series(self.occasions["end"], tz))

    def describe(self, tz: str) -> str:
        """A short human account: the count, each occasion, the method and its limits."""
        p = self.parameters
        target = f"place {p['place']}" if p.get("place") is not None else p["b"]
        window = "" if p.get("place") is not None else f", window {p['window_min']:g} min"
        lines = [f"{p['a']} near {target}: {len(self.occasions)} occasions, {len(self.hits)} hits "
                 f"(method {p['method']}, distance {p['distance_m']:g} m{window}, gap {p['gap_min']:g} min)"]
        for o in self.occasions.itertuples(index=False):
            accuracy = "" if pd.isna(o.max_accuracy_m) else f", fixes report accuracy up to {o.max_accuracy_m:.0f} m"
            lines.append(f"  {iso_local(o.start, tz)} to {iso_local(o.end, tz)}: {o.hits} hits, "
                         f"closest {o.min_distance_m:.1f} m{accuracy} ({', '.join(o.methods)})")
        lines.append(self.method_statement)
        lines.extend(f"Note: {text}" for text in self.limitations)
        return "\n".join(lines)


def _metres(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 1)


# ----- running it ------------------------------------------------------------------------
def run(case: Case, a: str, b: str | None = None, place: str | None = None, method: str = "gps",
        distance_m: float | None = None, window_min: float | None = None,
        gap_min: float | None = None, include_photos: bool = False) -> ProximityResult:
    """Proximity of A to B (``b``) or to a place (``place``), per the contract.

    A parameter left ``None`` takes the method's default (``proximity_params``),
    stated with the result.
    """
    if method not in METHODS:
        raise CaseError(f"unknown method {method!r}: use {', '.join(METHODS)}")
    if (b is None) == (place is None):
        raise CaseError("proximity needs exactly one of B or a place")
    for name, value in (("distance", distance_m), ("window", window_min), ("gap", gap_min)):
        if value is not None and (not np.isfinite(value) or value < 0):
            raise CaseError(f"the {name} must be a number of at least 0, not {value}")
    asked = ProximityParameters(method, distance_m, window_min, gap_min)
    a_label, _ = resolve_party(case, a)
    use_fixes, use_cells = method in ("gps", "any"), method in ("cell", "any")
    side_a = side_items(case, a_label, use_fixes, use_cells, include_photos)
    if place is not None:
        spot = case.find_place(place)
        if spot is None:
            raise CaseError(f"no place {place!r} in this case")
        chosen = proximity_params.resolve(asked, case, _sites(side_a), spot.radius_m, place=True)
        matches = within_of_place(side_a.points, spot.lat, spot.lon, chosen.distance_m)
        hits = _place_hits(side_a, matches, spot)
        parameters = {"a": a_label, "b": None, "place": spot.name, "place_lat": spot.lat,
                      "place_lon": spot.lon, "place_radius_m": spot.radius_m}
        side_b = None
    else:
        b_label, _ = resolve_party(case, b)
        if b_label == a_label:
            raise CaseError("proximity of a party to itself: name two different parties")
        side_b = side_items(case, b_label, use_fixes, use_cells, include_photos)
        chosen = proximity_params.resolve(asked, case, np.concatenate([_sites(side_a), _sites(side_b)]))
        matches = nearest_within(side_a.points, side_b.points, chosen.distance_m,
                                 int(round(chosen.window_min * 60_000_000)))
        hits = _pair_hits(side_a, side_b, matches)
        parameters = {"a": a_label, "b": b_label, "place": None}
    distance_m, window_min, gap_min = chosen.distance_m, chosen.window_min, chosen.gap_min
    hits, occasions = _occasions(hits, int(round(gap_min * 60_000_000)))
    parameters.update({"method": method, "distance_m": float(distance_m), "window_min": window_min,
                       "gap_min": gap_min, "defaults": chosen.basis, "include_photos": include_photos,
                       "earth_radius_m": geo.EARTH_RADIUS_M, "tz": case.info.tz,
                       "a_fixes": side_a.fixes, "a_network_events": side_a.network_events})
    if side_b is not None:
        parameters.update({"b_fixes": side_b.fixes, "b_network_events": side_b.network_events})
    return ProximityResult(occasions=occasions, hits=hits, parameters=parameters,
                           method_statement=method_statement(parameters),
                           limitations=_limitations(parameters, side_a, side_b))


def default_parameters(case: Case, a: str, b: str | None = None, place: str | None = None,
                       method: str = "gps") -> proximity_params.Resolved:
    """The figures ``run`` would use for ``method`` with nothing given (for a form to start from)."""
    a_label, _ = resolve_party(case, a)
    cells = method in ("cell", "any")
    sites = _sites(side_items(case, a_label, False, cells))
    if b is not None:
        sites = np.concatenate([sites, _sites(side_items(case, resolve_party(case, b)[0], False, cells))])
    spot = case.find_place(place) if place is not None else None
    return proximity_params.resolve(ProximityParameters(method), case, sites,
                                    spot.radius_m if spot is not None else None, place=spot is not None)


def _sites(side: Side) -> np.ndarray:
    """The serving sites among a side's positions (n × 2), for the cell method's default distance."""
    if not len(side.points):
        return np.empty((0, 2))
    site = side.items["type"].to_numpy()[side.points.item] == "cell"
    return np.column_stack([side.points.lat[site], side.points.lon[site]])


def _item_best(side: Side, matches: pd.DataFrame, partner: pd.DataFrame) -> pd.DataFrame:
    """One row per A item: its nearest partner over all of its positions."""
    frame = pd.DataFrame({"item": side.points.item[matches["a"].to_numpy()],
                          "distance_m": matches["distance_m"].to_numpy()})
    for col in partner.columns:
        frame[col] = partner[col].to_numpy()
    frame = frame.sort_values(["item", "distance_m"] + [c for c in ("b_time_us", "b_pos") if c in frame],
                              kind="stable")
    return frame.drop_duplicates("item", keep="first").reset_index(drop=True)


def _a_columns(side: Side, best: pd.DataFrame) -> pd.DataFrame:
    items = side.items.iloc[best["item"].to_numpy()].reset_index(drop=True)
    pos = best["a_pos"].to_numpy()
    return pd.DataFrame({"a_item": best["item"].to_numpy(), "a_time": items["time"],
                         "a_lat": side.points.lat[pos], "a_lon": side.points.lon[pos],
                         "a_type": items["type"].to_numpy(), "a_cell": items["cell"].to_numpy(),
                         "a_accuracy_m": items["accuracy_m"].to_numpy(),
                         "a_source_id": items["source_id"].to_numpy(),
                         "a_source_row": items["source_row"].to_numpy()})


def _pair_hits(side_a: Side, side_b: Side, matches: pd.DataFrame) -> pd.DataFrame:
    b_pos = matches["b"].to_numpy()
    partner = pd.DataFrame({"a_pos": matches["a"].to_numpy(), "b_pos": b_pos,
                            "b_time_us": side_b.points.time[b_pos]})
    best = _item_best(side_a, matches, partner)
    hits = _a_columns(side_a, best)
    bp = best["b_pos"].to_numpy()
    b_items = side_b.items.iloc[side_b.points.item[bp]].reset_index(drop=True)
    hits = hits.assign(b_time=b_items["time"], b_lat=side_b.points.lat[bp], b_lon=side_b.points.lon[bp],
                       b_type=b_items["type"].to_numpy(), b_cell=b_items["cell"].to_numpy(),
                       b_accuracy_m=b_items["accuracy_m"].to_numpy(),
                       b_source_id=b_items["source_id"].to_numpy(),
                       b_source_row=b_items["source_row"].to_numpy(),
                       distance_m=best["distance_m"].to_numpy())
    hits["dt_s"] = (hits["b_time"] - hits["a_time"]).dt.total_seconds()
    types = hits["a_type"].astype(str) + "-" + hits["b_type"].astype(str)
    hits["method"] = types.map({"fix-fix": "gps", "cell-cell": "cell", "fix-cell": "fix-site",
                                "cell-fix": "site-fix"})
    return hits


def _place_hits(side: Side, matches: pd.DataFrame, spot) -> pd.DataFrame:
    partner = pd.DataFrame({"a_pos": matches["a"].to_numpy()})
    best = _item_best(side, matches, partner)
    hits = _a_columns(side, best)
    hits = hits.assign(b_time=pd.NaT, b_lat=spot.lat, b_lon=spot.lon, b_type="place", b_cell=None,
                       b_accuracy_m=spot.radius_m, b_source_id=None, b_source_row=None,
                       distance_m=best["distance_m"].to_numpy(), dt_s=np.nan)
    hits["method"] = hits["a_type"].map({"fix": "gps", "cell": "cell"})
    return hits


_EVIDENCE_METHOD = {"gps": "gps", "cell": "cell", "fix-site": "cell", "site-fix": "cell"}


def _occasions(hits: pd.DataFrame, gap_us: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hits in time order, grouped: a hit less than ``gap`` after the previous joins its occasion."""
    columns = ["start", "end", "hits", "min_distance_m", "max_accuracy_m", "methods", "rows", "evidence"]
    if hits.empty:
        hits = hits.assign(occasion=pd.Series(dtype="int64"))
        return hits, pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    hits = hits.sort_values(["a_time", "a_item"], kind="stable").reset_index(drop=True)
    times = epoch_us(hits["a_time"])
    new = np.ones(len(times), dtype=bool)
    new[1:] = (times[1:] - times[:-1]) >= gap_us
    hits["occasion"] = np.cumsum(new) - 1
    hits["evidence_method"] = hits["method"].map(_EVIDENCE_METHOD)
    grouped = hits.groupby("occasion", sort=True)
    occasions = grouped.agg(start=("a_time", "first"), end=("a_time", "last"), hits=("a_time", "size"),
                            min_distance_m=("distance_m", "min"))
    occasions["max_accuracy_m"] = _worst_accuracy(hits).groupby(hits["occasion"]).max()
    methods = hits[["occasion", "evidence_method"]].drop_duplicates()
    methods = methods.sort_values(["occasion", "evidence_method"])
    occasions["methods"] = _lists_per_occasion(methods["occasion"], methods["evidence_method"],
                                               len(occasions))
    sides = [pd.DataFrame({"occasion": hits["occasion"], "source": hits[f"{side}_source_id"].astype(object),
                           "row": hits[f"{side}_source_row"].astype(object)}) for side in ("a", "b")]
    rows = pd.concat(sides, ignore_index=True).dropna().drop_duplicates()
    # Natural order: S2 before S10, row 9 before row 10.
    rows = rows.assign(source=rows["source"].astype(str), row=rows["row"].astype(str))
    rows = rows.assign(source_len=rows["source"].str.len(), row_len=rows["row"].str.len())
    rows = rows.sort_values(["occasion", "source_len", "source", "row_len", "row"], kind="stable")
    rows["label"] = rows["source"] + ":" + rows["row"]
    occasions["rows"] = _lists_per_occasion(rows["occasion"], rows["label"], len(occasions))
    hits = hits.drop(columns="evidence_method")
    occasions = occasions.reset_index(drop=True)
    occasions["evidence"] = pd.Series([{"methods": list(m), "rows": list(r)}  # one per occasion
                                       for m, r in zip(occasions["methods"], occasions["rows"])], dtype=object)
    return hits, occasions[columns]


def _worst_accuracy(hits: pd.DataFrame) -> pd.Series:
    """Per hit, the largest accuracy radius reported by the fixes behind it (NaN: none given).

    A place's radius and a cell site are not fixes and have no reported accuracy.
    """
    sides = [hits[f"{side}_accuracy_m"].astype("float64").where(hits[f"{side}_type"] == "fix")
             for side in ("a", "b")]
    return pd.concat(sides, axis=1).max(axis=1)


def _lists_per_occasion(occasion: pd.Series, values: pd.Series, count: int) -> pd.Series:
    """Values grouped into one Python list per occasion (0..count-1), keeping their order."""
    occasion = occasion.to_numpy()
    values = values.to_numpy(dtype=object)
    cuts = np.searchsorted(occasion, np.arange(1, count))
    return pd.Series([part.tolist() for part in np.split(values, cuts)], dtype=object)


def method_statement(p: dict[str, Any]) -> str:
    """Plain words for the report: what was compared and what the result is consistent with."""
    d, w, gap = f"{p['distance_m']:g} m", f"{p['window_min']:g} minutes", f"{p['gap_min']:g} minutes"
    distance = ("Distances are great-circle (haversine) distances on a sphere of radius 6,371,008.8 m "
                "between the reported positions" +
                ("." if p["method"] == "cell" else "; the largest accuracy radius the fixes report is "
                 "given with each occasion, and is not subtracted."))
    grouping = f"Hits less than {gap} apart are grouped into one occasion."
    if p["method"] != "cell":
        grouping += (" Photographs' EXIF positions and videos' recorded positions are included as fixes "
                     "(the officer's choice; a photograph or video may have been received rather than made on "
                     "the phone)." if p.get("include_photos") else
                     " Photographs' EXIF positions and videos' recorded positions are not included.")
    if p.get("defaults"):
        grouping += f" Defaults used: {p['defaults']}."
    if p.get("place") is not None:
        what = {"gps": f"location fixes of {p['a']} within {d} of {p['place']}",
                "cell": f"network events of {p['a']} whose serving cell site is within {d} of {p['place']}",
                "any": f"location fixes of {p['a']} within {d} of {p['place']}, and network events of "
                       f"{p['a']} whose serving cell site is within {d} of it"}[p["method"]]
        meaning = {"gps": "The fixes are consistent with the handset having been within about that "
                          "distance of the place at those times, within the accuracy each fix reports.",
                   "cell": "A serving cell site near the place is consistent with the handset having been "
                           "in that cell's service area, which may extend kilometres from the mast; it does "
                           "not show that the handset was at the place.",
                   "any": "Fix hits are consistent with the handset having been near the place, within each "
                          "fix's accuracy; cell hits only with it having been in the service area of a cell "
                          "whose mast is near the place, not with it being at the place."}[p["method"]]
        return f"A hit is one of the {what}. {grouping} {distance} {meaning}"
    what = {"gps": f"a location fix of {p['a']} with at least one fix of {p['b']} reported within {w} "
                   f"and {d}",
            "cell": f"a network event of {p['a']} (call, text or data session with a serving cell) with at "
                    f"least one network event of {p['b']} within {w} whose serving cell sites (first and, "
                    f"when different, last cell) are within {d} of each other (0 m: the same site)",
            "any": f"a location fix or network event of {p['a']} with at least one fix or network event of "
                   f"{p['b']} within {w} and {d}, comparing fixes with fixes, serving sites with serving "
                   f"sites, and fixes with the other's serving sites"}[p["method"]]
    meaning = {"gps": "The result is consistent with the two handsets having been close together at those "
                      "times, within the accuracy the fixes report; it does not show who carried them.",
               "cell": "Cell sites are the masts' positions, not the handsets': a handset may be served by a "
                       "cell kilometres away. The result is consistent with both handsets having used cells "
                       "with nearby masts at about the same time; it does not show where either handset was "
                       "or that they were together.",
               "any": "Fix-to-fix hits are consistent with the handsets having been close together, within "
                      "the fixes' accuracy; hits involving a cell site are consistent only with the use of "
                      "cells with nearby masts and do not show where a handset was."}[p["method"]]
    return f"A hit is {what}. {grouping} {distance} {meaning}"


def _limitations(p: dict[str, Any], side_a: Side, side_b: Side | None) -> list[str]:
    notes = []
    for side in (side_a, side_b):
        if side is None:
            continue
        if p["method"] in ("gps", "any") and side.fixes == 0:
            notes.append(f"{side.label} has no location fixes in this case.")
        if p["method"] in ("gps", "any") and side.unusable_fixes:
            notes.append(f"{side.unusable_fixes} location rows of {side.label} have no usable position "
                         f"(missing or off the globe) and were not compared.")
        if p["method"] in ("cell", "any"):
            if side.network_events == 0:
                notes.append(f"{side.label} has no network events with a located serving cell.")
            if side.unlocated_events:
                notes.append(f"{side.unlocated_events} network events of {side.label} have a serving cell "
                             f"that no cell list in the case locates; they could not be compared.")
    if side_b is not None:
        notes.append(f"Hits are counted on {side_a.label}'s side: each item of {side_a.label} counts once "
                     f"however many items of {side_b.label} match it.")
    return notes
