"""Static map images: drawn offline, the right things in the right places, same pixels every time."""

from __future__ import annotations

import io
import sqlite3

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cellsight.report import mapdata, staticmap
from cellsight.report.mapdata import OCCASION_COLOUR, PLACE_COLOUR, ROLE_COLOURS
from tests.core.report_fixtures import HOME, make_case


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


def near_colour(image: np.ndarray, colour: str, tolerance: int = 30) -> np.ndarray:
    return (np.abs(image[..., :3].astype(int) - rgb(colour)).sum(axis=-1) <= tolerance)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def case():
    return make_case()


def test_map_shows_subjects_places_and_occasions(case):
    data = mapdata.gather(case, occasions=[{"label": "1", "lat": HOME[0], "lon": HOME[1]}])
    image = pixels(staticmap.render_map(data, 700, 450))
    assert image.shape == (450, 700, 3)
    assert near_colour(image, ROLE_COLOURS["suspect"]).sum() > 50
    assert near_colour(image, ROLE_COLOURS["victim"]).sum() > 50
    assert near_colour(image, PLACE_COLOUR, 60).sum() > 20
    assert near_colour(image, OCCASION_COLOUR).sum() > 20
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # not a blank canvas


def test_same_inputs_same_pixels(case):
    data = mapdata.gather(case)
    assert staticmap.render_map(data, 500, 300).tobytes() == staticmap.render_map(data, 500, 300).tobytes()


def test_nothing_to_draw_still_gives_an_image():
    from factories import new_case

    assert staticmap.render_map(mapdata.gather(new_case(), places=[]), 400, 250).size == (400, 250)


def test_time_window_and_intervals_narrow_the_fixes(case):
    full = mapdata.gather(case)
    day = mapdata.gather(case, start="2024-03-01", end="2024-03-01")
    spans = mapdata.gather(case, intervals=[("2024-03-01T19:00Z", "2024-03-01T19:30Z"),
                                            ("2024-03-03T19:00Z", "2024-03-03T19:30Z")])
    assert [len(s.fixes) for s in full.subjects] == [144, 144]
    assert [len(s.fixes) for s in day.subjects] == [24, 24]  # a bare --to date includes the whole day
    assert [len(s.fixes) for s in spans.subjects] == [4, 4]
    assert set(spans.subjects[0].fixes["time"].dt.day) == {1, 3}


def test_sites_come_from_the_subjects_events(case):
    data = mapdata.gather(case, subjects=["Sam Suspect"])
    assert set(data.sites["key"]) == {"234-30-1001-11", "234-30-1001-12", "234-30-1002-21"}
    assert data.sites["events"].sum() == 80  # 40 events, each with a first and a different last cell
    victim_only = mapdata.gather(case, subjects=["Vicky Victim"])
    assert victim_only.sites.empty


def test_wedge_points_the_way_the_cell_faces():
    from factories import add_cells, add_events, new_case

    case = new_case({"Sam": ("suspect", ["07700 900001"])})
    add_cells(case, [{"key": "234-30-1-1", "lat": 51.5, "lon": -0.1, "azimuth": 90.0, "beamwidth": 40.0}])
    add_events(case, "Sam", [{"start": "2024-01-01T10:00:00Z", "kind": "call", "direction": "outgoing",
                              "party_a": "07700 900001", "party_b": "07700 900002",
                              "cell_first": "234-30-1-1"}])
    data = mapdata.gather(case, places=[])
    image = pixels(staticmap.render_map(data, 600, 600))
    wedge = near_colour(image, "#d0d2cf", 12)  # the site colour at low opacity over the background
    cols = np.nonzero(wedge)[1]
    assert len(cols) > 100
    assert np.median(cols) > 300  # east of the site at the centre, not west


def test_mercator_round_trip_and_scale():
    lat, lon = np.array([51.5, -33.9, 0.0]), np.array([-0.1, 151.2, 0.0])
    x, y = staticmap.mercator(lat, lon)
    back_lat, back_lon = staticmap.inverse_mercator(x, y)
    assert np.allclose(back_lat, lat) and np.allclose(back_lon, lon)
    view = staticmap.fit_view((51.50, -0.11, 51.51, -0.10), 800, 800)
    # At 51.5° one degree of longitude is about 69.4 km; the view spans at least 0.01° plus margins.
    assert 0.5 < view.ground_metres_per_pixel() * 800 / 694.0 < 2.0
    assert staticmap.nice_step(0.023, 4) == 0.01


def make_mbtiles(path, colour=(200, 30, 30)):
    tile = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(tile, format="PNG")
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name text, value text)")
    db.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
    db.execute("INSERT INTO metadata VALUES ('attribution', 'Invented test tiles')")
    for z in range(10, 16):
        n = 2 ** z
        x = int((HOME[1] + 180) / 360 * n)
        lat = np.radians(HOME[0])
        y = int((1 - np.log(np.tan(lat) + 1 / np.cos(lat)) / np.pi) / 2 * n)
        for dx in range(-3, 4):
            for dy in range(-3, 4):
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x + dx, n - 1 - (y + dy), tile.getvalue()))
    db.commit()
    db.close()


def test_mbtiles_base_map(tmp_path):
    path = tmp_path / "base.mbtiles"
    make_mbtiles(path)
    data = mapdata.gather(make_case(days=1), subjects=["Vicky Victim"], places=["Victim home"])
    image = pixels(staticmap.render_map(data, 500, 300, basemap=path))
    assert near_colour(image, "#c81e1e", 20).mean() > 0.3  # the base map's colour fills the background
    plain = pixels(staticmap.render_map(data, 500, 300))
    assert near_colour(plain, "#c81e1e", 20).mean() < 0.01
    with pytest.raises(staticmap.BaseMapError, match="not found"):
        staticmap.render_map(data, 100, 100, basemap=tmp_path / "missing.mbtiles")
    (tmp_path / "junk.mbtiles").write_text("not a database")
    with pytest.raises(staticmap.BaseMapError, match="not an MBTiles"):
        staticmap.render_map(data, 100, 100, basemap=tmp_path / "junk.mbtiles")


def test_tracks_break_at_long_gaps():
    fixes = pd.DataFrame({"time": pd.to_datetime(["2024-01-01T10:00Z", "2024-01-01T10:10Z",
                                                  "2024-01-01T13:00Z", "2024-01-01T13:05Z",
                                                  "2024-01-01T15:00Z"]),
                          "lat": [1.0, 2, 3, 4, 5], "lon": [1.0, 2, 3, 4, 5]})
    segments = mapdata.track_segments(fixes)
    assert [len(s) for s in segments] == [2, 2]  # the lone last fix is no line
