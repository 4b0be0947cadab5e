"""Distances, bearings, sector wedges and projections."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core import geo


def slow_haversine(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_known_distances():
    assert geo.haversine_m(0, 0, 1, 0) == pytest.approx(6_371_008.8 * math.pi / 180, rel=1e-12)
    assert geo.haversine_m(51.5, -0.1, 51.5, -0.1) == 0.0
    assert geo.haversine_m(0, 179.9, 0, -179.9) == pytest.approx(0.2 * 6_371_008.8 * math.pi / 180, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(lat=st.floats(-89, 89), lon=st.floats(-180, 180), bearing=st.floats(0, 359.9),
       distance=st.floats(1, 100_000))
def test_destination_bearing_and_distance_round_trip(lat, lon, bearing, distance):
    lat2, lon2 = geo.destination(lat, lon, bearing, distance)
    assert geo.haversine_m(lat, lon, lat2, lon2) == pytest.approx(distance, rel=1e-6, abs=1e-6)
    assert slow_haversine(lat, lon, float(lat2), float(lon2)) == pytest.approx(distance, rel=1e-6, abs=1e-6)
    back = geo.initial_bearing_deg(lat, lon, lat2, lon2)
    assert min(abs(back - bearing), 360 - abs(back - bearing)) < 1e-3
    chord = np.linalg.norm(geo.unit_vectors([lat], [lon])[0] - geo.unit_vectors([lat2], [lon2])[0])
    assert chord == pytest.approx(geo.chord_for_distance(distance), rel=1e-6, abs=1e-12)


def test_sector_polygon_is_a_closed_wedge():
    ring = geo.sector_polygon(51.5, -0.1, azimuth_deg=120, beamwidth_deg=60, range_m=2000, steps=12)
    assert ring[0] == ring[-1] == (51.5, -0.1)
    arc = ring[1:-1]
    assert len(arc) == 13
    for lat, lon in arc:
        assert geo.haversine_m(51.5, -0.1, lat, lon) == pytest.approx(2000, rel=1e-9)
        assert 90 - 1e-6 <= geo.initial_bearing_deg(51.5, -0.1, lat, lon) <= 150 + 1e-6
    circle = geo.sector_polygon(51.5, -0.1, None, None, 500)
    assert circle[0] == pytest.approx(circle[-1])
    assert all(geo.haversine_m(51.5, -0.1, la, lo) == pytest.approx(500, rel=1e-9) for la, lo in circle)
    with pytest.raises(ValueError):
        geo.sector_polygon(51.5, -0.1, 0, 60, 0)


def test_ranges_default_per_technology():
    cells = pd.DataFrame({"lat": [51.5, 51.5, np.nan], "lon": [-0.1, -0.1, np.nan],
                          "azimuth": pd.array([0, None, 10], dtype="Float64"),
                          "beamwidth": pd.array([None, None, None], dtype="Float64"),
                          "range_m": pd.array([None, 750, None], dtype="Float64"),
                          "technology": pd.Categorical(["GSM", "LTE", None])})
    assert list(geo.cell_ranges(cells)) == [5000.0, 750.0, 3000.0]
    polygons = geo.sector_polygons(cells)
    assert polygons[2] is None and len(polygons[0]) == 27 and polygons[1][0] == polygons[1][-1]


def test_local_projection_round_trip_and_scale():
    x, y = geo.local_xy([51.51, 51.5], [-0.1, -0.09], 51.5, -0.1)
    assert y[0] == pytest.approx(geo.haversine_m(51.5, -0.1, 51.51, -0.1), rel=1e-9)
    assert x[1] == pytest.approx(geo.haversine_m(51.5, -0.1, 51.5, -0.09), rel=1e-4)
    lat, lon = geo.from_local_xy(x, y, 51.5, -0.1)
    assert np.allclose(lat, [51.51, 51.5]) and np.allclose(lon, [-0.1, -0.09])
    assert geo.utm_crs_for(51.5, -0.1) == "EPSG:32630" and geo.utm_crs_for(-33.9, 151.2) == "EPSG:32756"
