"""Proximity's parameters in one place: method, distance, window, gap, and each method's defaults.

The command line, the settings, the panes, the report dialog and storyboard
frames all say "proximity with these parameters"; a parameter left out
(``None``) takes the method's own default here, never a copy of a number
elsewhere. The defaults suit what each method compares:

- ``gps``: fixes against fixes, 200 m and 5 minutes (positions good to tens of
  metres; two people together report fixes minutes apart).
- ``cell``: serving sites against serving sites. Two phones side by side are
  often served by different masts (different operators, different load), and
  network events are sparse. The distance is the larger of
  ``CELL_MIN_DISTANCE_M`` (1,000 m) and ``CELL_SPACING_MULTIPLE`` (0.5) times
  the median distance from each site the two phones used to its nearest
  neighbouring site in the case's cells (masts closer than ``SAME_SITE_M``,
  200 m, count as one site: operators share masts and rooftops). A phone is
  usually served by a mast within about half the spacing of the network around
  it, so two phones at one place are served by masts about that far apart or
  less; where masts are sparse (a rural network with masts 4 km apart) the
  distance grows with them (2 km). The default errs towards missing an
  occasion rather than inventing one: wider distances take in masts across
  the town. The window is ``CELL_WINDOW_MIN`` (15 minutes): network events are
  minutes apart at best. These apply with a place too: a place's radius is
  about fixes, not masts.
- ``any``: fixes and sites together take the GPS figures (the strictest), as
  before; cell corroboration is run with ``cell``.
- Occasions: hits less than ``DEFAULT_GAP_MIN`` (60 minutes) apart are one occasion.

Each result states its parameters and, for a default, on what it rests
(``basis``), so the report prints why 1,800 m and not 200 m.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from cellsight.core import geo

METHODS = ("gps", "cell", "any")
GPS_DISTANCE_M = 200.0
GPS_WINDOW_MIN = 5.0
CELL_MIN_DISTANCE_M = 1000.0
CELL_SPACING_MULTIPLE = 0.5
SAME_SITE_M = 200.0  # masts closer than this (operators sharing a site, sectors drawn apart) are one site
CELL_WINDOW_MIN = 15.0
DEFAULT_GAP_MIN = 60.0
DEFAULT_PLACE_RADIUS_M = 100.0  # a place given no radius, for fixes
_CHUNK = 512  # used sites compared with every listed site at a time (bounded memory)


@dataclass(frozen=True)
class ProximityParameters:
    """What a proximity analysis is asked for; ``None`` means "the method's default"."""

    method: str = "gps"
    distance_m: float | None = None
    window_min: float | None = None
    gap_min: float | None = None

    def with_method(self, method: str) -> ProximityParameters:
        return replace(self, method=method)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Resolved:
    """The figures a run uses, and in words on what each default rests."""

    method: str
    distance_m: float
    window_min: float
    gap_min: float
    basis: str  # "" when every figure was given


DEFAULTS_WORDS = {
    "distance": (f"defaults: {GPS_DISTANCE_M:g} for location fixes; for cell sites the larger of "
                 f"{CELL_MIN_DISTANCE_M:,.0f} and {CELL_SPACING_MULTIPLE:g} times the median spacing of the sites "
                 "used; a place's radius for fixes near a place"),
    "window": f"defaults: {GPS_WINDOW_MIN:g} for location fixes, {CELL_WINDOW_MIN:g} for cell sites",
    "gap": f"default: {DEFAULT_GAP_MIN:g}",
}


def method_options(options: dict[str, Any], asked_method: str | None, method: str) -> dict[str, Any]:
    """The options for one method of a report that runs several: with no method asked for, the
    officer's distance and window are the fixes analysis's, and cell corroboration keeps its own."""
    if asked_method is None and method == "cell":
        return {**options, "distance_m": None, "window_min": None}
    return options


def default_window(method: str) -> float:
    return CELL_WINDOW_MIN if method == "cell" else GPS_WINDOW_MIN


def resolve(params: ProximityParameters, case: Any = None, sites: np.ndarray | None = None,
            place_radius_m: float | None = None, place: bool = False) -> Resolved:
    """The figures for a run: those given, else the method's defaults.

    ``sites`` (n × 2 latitude, longitude) are the serving sites the parties
    used, for the cell distance; ``place``: the run is against a place, whose
    radius (``place_radius_m``) is the distance for fixes.
    """
    method = params.method
    notes = []
    window = params.window_min if params.window_min is not None else default_window(method)
    gap = params.gap_min if params.gap_min is not None else DEFAULT_GAP_MIN
    if params.distance_m is not None:
        distance = float(params.distance_m)
    elif method == "cell":
        spacing = median_site_spacing(case, sites) if case is not None and sites is not None else None
        distance = cell_distance(spacing)
        notes.append(cell_distance_words(distance, spacing))
    elif place:
        distance = float(place_radius_m) if place_radius_m else DEFAULT_PLACE_RADIUS_M
        notes.append(f"{distance:g} m: the place's radius" if place_radius_m else
                     f"{distance:g} m: the default for a place given no radius")
    else:
        distance = GPS_DISTANCE_M
        notes.append(f"{distance:g} m: the default for location fixes")
    if params.window_min is None and not place:
        notes.append(f"{window:g} minutes: the default window for "
                     f"{'cell sites' if method == 'cell' else 'location fixes'}")
    if params.gap_min is None:
        notes.append(f"a gap of {gap:g} minutes: the default between occasions")
    return Resolved(method, distance, float(window), float(gap), "; ".join(notes))


def cell_distance(spacing_m: float | None) -> float:
    """The cell method's default distance for a median nearest-neighbour site spacing."""
    if spacing_m is None or not np.isfinite(spacing_m):
        return CELL_MIN_DISTANCE_M
    return float(max(CELL_MIN_DISTANCE_M, round(CELL_SPACING_MULTIPLE * spacing_m, -1)))


def cell_distance_words(distance_m: float, spacing_m: float | None) -> str:
    if spacing_m is None:
        return (f"{distance_m:,.0f} m: the default for cell sites (no site spacing could be measured: "
                "fewer than two listed sites)")
    return (f"{distance_m:,.0f} m: the default for cell sites, the larger of {CELL_MIN_DISTANCE_M:,.0f} m and "
            f"{CELL_SPACING_MULTIPLE:g} times the median distance ({spacing_m:,.0f} m) from each site used "
            "to its nearest neighbouring site")


def median_site_spacing(case: Any, used: np.ndarray) -> float | None:
    """Median distance (m) from each used site to its nearest other site in the case's cells."""
    cells = case.cells
    if cells.empty or used is None or not len(used):
        return None
    every = cells[["lat", "lon"]].dropna().to_numpy(dtype=float)
    every = np.unique(np.round(every, 6), axis=0)
    used = np.unique(np.round(np.asarray(used, dtype=float), 6), axis=0)
    if len(every) < 2:
        return None
    nearest = np.empty(len(used))
    for start in range(0, len(used), _CHUNK):
        part = used[start:start + _CHUNK]
        d = geo.haversine_m(part[:, :1], part[:, 1:], every[None, :, 0], every[None, :, 1])
        d = np.where(d < SAME_SITE_M, np.inf, d)  # the site itself, and masts sharing its site
        nearest[start:start + _CHUNK] = d.min(axis=1)
    nearest = nearest[np.isfinite(nearest)]
    return float(np.median(nearest)) if len(nearest) else None
