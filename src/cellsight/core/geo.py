"""Geometry on the Earth: distances, bearings, sector wedges and local metric projections.

Every distance Cellsight states is the haversine distance on a sphere of radius
6,371,008.8 m (the mean Earth radius), between reported positions, because the
contract says so and because one formula used everywhere means the tests, the
analyses and the report can never disagree about a fix "exactly at" a threshold.

Cell geometry is drawn from what a cell list states: the site position, and when
azimuth and beamwidth are known a wedge out to a range. A list rarely gives the
range, so a default per technology stands in for it; such wedges are drawn for
orientation only and the method statement says that the handset may have been
anywhere the cell served, which these shapes do not prove.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_M = 6_371_008.8

# Typical serving ranges (metres) used to draw a sector when the cell list gives
# none: urban macro cells reach a few kilometres; older 2G cells further. They
# are drawing aids, stated as such, never evidence of where a handset was.
DEFAULT_RANGE_M: dict[str, float] = {
    "GSM": 5_000.0,
    "CDMA": 5_000.0,
    "UMTS": 3_000.0,
    "LTE": 2_000.0,
    "NR": 1_000.0,
    "unknown": 3_000.0,
}
DEFAULT_BEAMWIDTH_DEG = 65.0  # a common three-sector antenna's half-power beamwidth


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres between positions in degrees (arrays broadcast).

    This is the one distance of the program: analyses and their tests call it, so
    a threshold comparison gives the same answer in both.
    """
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    half_dlat = np.sin((p2 - p1) * 0.5)
    half_dlon = np.sin(np.radians(np.subtract(lon2, lon1)) * 0.5)
    a = half_dlat * half_dlat + np.cos(p1) * np.cos(p2) * (half_dlon * half_dlon)
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def unit_vectors(lat, lon) -> np.ndarray:
    """Positions as unit vectors (n × 3): chord length between them is monotone in distance.

    Comparing squared chords needs no trigonometry per pair, which is what lets
    proximity screen millions of candidate pairs cheaply before the exact
    haversine decides the ones near a threshold.
    """
    phi = np.radians(np.asarray(lat, dtype="float64"))
    lam = np.radians(np.asarray(lon, dtype="float64"))
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def chord_for_distance(distance_m: float) -> float:
    """The chord (on the unit sphere) of a great-circle distance in metres."""
    return 2.0 * float(np.sin(min(distance_m / EARTH_RADIUS_M, np.pi) * 0.5))


def initial_bearing_deg(lat1, lon1, lat2, lon2):
    """Initial bearing from the first position to the second, degrees clockwise from north."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlon = np.radians(np.subtract(lon2, lon1))
    y = np.sin(dlon) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlon)
    return np.mod(np.degrees(np.arctan2(y, x)), 360.0)


def destination(lat, lon, bearing_deg, distance_m):
    """The position reached from ``(lat, lon)`` along ``bearing_deg`` after ``distance_m``."""
    p1, l1 = np.radians(lat), np.radians(lon)
    theta = np.radians(bearing_deg)
    delta = np.asarray(distance_m, dtype="float64") / EARTH_RADIUS_M
    p2 = np.arcsin(np.sin(p1) * np.cos(delta) + np.cos(p1) * np.sin(delta) * np.cos(theta))
    l2 = l1 + np.arctan2(np.sin(theta) * np.sin(delta) * np.cos(p1),
                         np.cos(delta) - np.sin(p1) * np.sin(p2))
    return np.degrees(p2), (np.degrees(l2) + 540.0) % 360.0 - 180.0


def sector_polygon(lat: float, lon: float, azimuth_deg: float | None, beamwidth_deg: float | None,
                   range_m: float, steps: int = 24) -> list[tuple[float, float]]:
    """A cell's drawn service wedge as ``[(lat, lon), ...]``, closed (first point repeated).

    Without an azimuth the cell is drawn as a circle around the site (an
    omnidirectional cell, or one whose direction the list does not state).
    """
    if range_m <= 0:
        raise ValueError("a sector needs a positive range")
    if azimuth_deg is None or pd.isna(azimuth_deg):
        bearings = np.linspace(0.0, 360.0, steps * 2 + 1)
        lats, lons = destination(lat, lon, bearings, range_m)
        return list(zip(lats.tolist(), lons.tolist()))
    width = DEFAULT_BEAMWIDTH_DEG if beamwidth_deg is None or pd.isna(beamwidth_deg) else beamwidth_deg
    width = float(min(max(width, 1.0), 360.0))
    bearings = np.linspace(azimuth_deg - width / 2, azimuth_deg + width / 2, steps + 1)
    lats, lons = destination(lat, lon, bearings, range_m)
    ring = [(float(lat), float(lon))] + list(zip(lats.tolist(), lons.tolist()))
    return ring + [ring[0]]


def cell_ranges(cells: pd.DataFrame) -> pd.Series:
    """Each cell's drawing range in metres: the list's own, else its technology's default."""
    tech = cells["technology"].astype(object).where(cells["technology"].notna(), "unknown")
    default = tech.map(DEFAULT_RANGE_M).astype("float64")
    stated = cells["range_m"].astype("float64")
    return stated.where(stated > 0, default)


def sector_polygons(cells: pd.DataFrame, steps: int = 24) -> pd.Series:
    """``sector_polygon`` for each located cell of a cell table (loops over cells, not events)."""
    ranges = cell_ranges(cells)
    located = cells["lat"].notna() & cells["lon"].notna()
    polygons = pd.Series([None] * len(cells), index=cells.index, dtype=object)
    for idx in cells.index[located]:
        row = cells.loc[idx]
        polygons[idx] = sector_polygon(row["lat"], row["lon"], row["azimuth"], row["beamwidth"],
                                       float(ranges[idx]), steps)
    return polygons


def local_xy(lat, lon, lat0: float, lon0: float) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north of ``(lat0, lon0)`` (equirectangular): for drawing and scale bars.

    Good to a fraction of a percent within tens of kilometres; never used to
    decide a distance threshold (``haversine_m`` does that).
    """
    k = np.radians(1.0) * EARTH_RADIUS_M
    x = (np.asarray(lon, dtype="float64") - lon0) * k * np.cos(np.radians(lat0))
    y = (np.asarray(lat, dtype="float64") - lat0) * k
    return x, y


def from_local_xy(x, y, lat0: float, lon0: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``local_xy``."""
    k = np.radians(1.0) * EARTH_RADIUS_M
    lat = lat0 + np.asarray(y, dtype="float64") / k
    lon = lon0 + np.asarray(x, dtype="float64") / (k * np.cos(np.radians(lat0)))
    return lat, lon


def utm_crs_for(lat: float, lon: float) -> str:
    """The EPSG code of the UTM zone holding a position: a metric CRS for pyproj when needed."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"
