"""The interactive map: self-contained, offline, hostile names shown as text, thinned when huge."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight import cli
from cellsight.core.casefile import save_case
from cellsight.core.text import reveal
from cellsight.report import mapdata, tileset, webmap
from tests.core.report_fixtures import HOSTILE, make_case

# A URL whose host is a CDN or a tile server (Leaflet's own comments link to bug trackers; those load nothing).
CDN = re.compile(r"(https?:)?//[\w.-]*(cdn|jsdelivr|unpkg|cloudflare|googleapis|jquery|fontawesome|"
                 r"openstreetmap|tile|arcgis|mapbox|stamen|carto)", re.I)
LOADS_REMOTE = re.compile(r"""<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?(https?:)?//""", re.I)


@pytest.fixture(scope="module")
def page():
    return webmap.map_page(make_case(victim_name=HOSTILE))


def test_no_network_resource_anywhere(page):
    assert not CDN.search(page.html)
    assert not LOADS_REMOTE.search(page.html)
    assert "L.map(" in page.html and "Leaflet 1.9.4" in page.html  # Leaflet itself is inlined
    assert "cellsightMap.draw(" in page.html
    assert "url(images/" not in page.html  # Leaflet's CSS images are data URIs


def test_no_cdn_in_the_code():
    folder = Path(webmap.__file__).parent
    for source in folder.glob("*.py"):
        assert not CDN.search(source.read_text()), source


def test_hostile_name_is_escaped(page):
    assert HOSTILE not in page.html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page.html
    assert "<img" not in page.html


def test_layers_and_counts(page):
    assert page.layers == ["Grid (degrees)", "Cell sites and sectors (3)", "Places (1)", "Sam Suspect: track",
                           "Sam Suspect: fixes", f"{HOSTILE}: track", f"{HOSTILE}: fixes",
                           "Proximity occasions (6)"]
    assert page.counts == {"fixes": 288, "cells": 3, "places": 1, "occasions": 6, "subjects": 2}
    assert not page.aggregated


def payload_of(html: str) -> dict:
    text = html.split("cellsightMap.draw(", 1)[1].split(", ", 1)[1].rsplit(");", 1)[0]
    return json.loads(text)


def test_beyond_the_limit_fixes_are_grouped(monkeypatch):
    monkeypatch.setattr(webmap, "MAX_POINTS", 100)
    monkeypatch.setattr(webmap, "MAX_TRACK_VERTICES", 50)
    page = webmap.map_page(make_case(), occasions=[])
    assert page.aggregated
    data = payload_of(page.html)
    for subject in data["subjects"]:
        points = subject["points"]
        assert sum(points["count"]) == 144  # every fix is in some square
        assert len(points["lat"]) <= 500
        assert sum(len(line) for line in subject["tracks"]) <= 50
    assert any("grouped in grid squares" in note for note in data["notes"])


def test_time_range_and_subjects(tmp_path):
    case = make_case()
    summary = webmap.write_map(case, tmp_path / "m.html", subjects=["Sam Suspect"], start="2024-03-02",
                               end="2024-03-02T23:59:59")
    assert summary["fixes"] == 24 and summary["subjects"] == 1
    assert summary["occasions"] == 0  # occasions need the victim on the map
    data = payload_of((tmp_path / "m.html").read_text())
    assert all(t.startswith("2024-03-02") for t in data["subjects"][0]["points"]["time"])


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_json_for_script_is_inert(text):
    out = webmap.json_for_script({"name": text})
    assert "<" not in out and ">" not in out and "&" not in out
    assert json.loads(out) == {"name": reveal(text)}  # invisible controls are shown (core.text)


def test_cli_map(tmp_path, capsys):
    path = tmp_path / "c.cellsight"
    save_case(make_case(days=2), path)
    before = path.read_bytes()
    assert cli.main(["map", str(path), "--out", str(tmp_path / "m.html"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fixes"] == 96
    assert path.read_bytes() == before
    assert cli.main(["map", str(path), "--out", str(tmp_path / "n.html"), "--from", "soon"]) == 2


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_the_page_draws_with_no_network(tmp_path, page):
    html = tmp_path / "map.html"
    html.write_text(page.html)
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                          "--proxy-server=127.0.0.1:9", "--virtual-time-budget=3000", "--dump-dom",
                          html.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "leaflet-container" in dom  # Leaflet ran
    assert "cs-legend" in dom and "Operation Lantern" in dom  # and so did Cellsight's layer script
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom  # the name is text in the legend
    assert "<img src=\"x\"" not in dom and "<img src=x" not in dom


# ----- occasions in a period, base maps ------------------------------------------------------------
def test_an_occasion_that_overlaps_the_period_is_shown_with_its_own_number(tmp_path):
    """The fixture's occasions run 18:00-19:30 each day; a period starting at 18:45 is inside the second."""
    case = make_case()
    path = tmp_path / "c.cellsight"
    save_case(case, path)
    out = tmp_path / "m.html"
    assert cli.main(["map", str(path), "--out", str(out), "--from", "2024-03-02T18:45", "--to", "2024-03-03"]) == 0
    labels = [o["label"] for o in payload_of(out.read_text())["occasions"]]
    assert labels == ["2", "3"]  # the 2nd began before --from; both keep the table's numbers
    # an occasion that ends exactly as the period starts is in it; one starting after --to is not
    ends = webmap.default_occasions(case, [], "2024-03-04T19:30", "2024-03-05T17:59")
    assert [o["label"] for o in ends] == ["4"]


def make_tileset(path, area, zooms):
    """A small MBTiles file of generated street tiles, written by the project's own writer."""
    from tests.tile_server import street_tile

    with tileset.TilesetWriter(path) as writer:
        writer.set_metadata({"name": "test streets", "format": "png",
                             "attribution": '&copy; <a href="https://x.invalid">Invented</a> <script>x</script>'})
        for z, x, y in tileset.tiles_of(area, zooms):
            writer.put(z, x, y, street_tile(z, x, y))
    return path


def test_a_base_map_file_is_put_into_the_page_within_its_budget(tmp_path):
    case = make_case(days=2)
    area = tileset.pad_area(mapdata.gather(case).bounds(), 3000)
    base = make_tileset(tmp_path / "streets.mbtiles", area, range(12, 16))
    page = webmap.map_page(case, basemap=base)
    data = payload_of(page.html)
    spec = data["basemap"]
    assert spec["url"] is None and (spec["minzoom"], spec["maxzoom"]) == (12, 15)
    assert spec["attribution"] == "© Invented x"  # plain text: no tags from the file reach the page
    z, x, y = tileset.tiles_of(mapdata.gather(case).bounds(), range(14, 15)).__next__()
    assert spec["tiles"][f"{z}/{x}/{y}"].startswith("data:image/png;base64,")
    assert any(note.startswith("Base map: streets.mbtiles, zooms 12–15") for note in data["notes"])
    assert "Base map" in page.layers and not CDN.search(page.html) and not LOADS_REMOTE.search(page.html)
    # a tight budget leaves the finest zooms out, and says so
    sizes = {}
    with tileset.TilesetReader(base) as reader:
        for zz, xx, yy in tileset.tiles_of(area, range(12, 14)):
            sizes[(zz, xx, yy)] = len(reader.tile(zz, xx, yy) or b"")
    small = webmap.embedded_basemap(base, mapdata.gather(case).bounds(), budget=int(sum(sizes.values()) * 1.5))
    assert small["maxzoom"] < 15 and "left out" in small["note"]
    assert all(int(key.split("/")[0]) <= small["maxzoom"] for key in small["tiles"])
    nothing = webmap.embedded_basemap(base, mapdata.gather(case).bounds(), budget=10)
    assert nothing["tiles"] == {} and "left out" in nothing["note"]


def test_cli_map_with_tiles(tmp_path, capsys):
    case = make_case(days=2)
    path = tmp_path / "c.cellsight"
    save_case(case, path)
    base = make_tileset(tmp_path / "streets.mbtiles", tileset.pad_area(mapdata.gather(case).bounds(), 2000),
                        range(13, 15))
    assert cli.main(["map", str(path), "--out", str(tmp_path / "m.html"), "--tiles", str(base), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["basemap"]["zooms"] == [13, 14] and summary["basemap"]["tiles"] > 0
    assert summary["basemap"]["attribution"] == "© Invented x"
    assert cli.main(["map", str(path), "--out", str(tmp_path / "n.html"), "--tiles", str(tmp_path / "no.mbtiles")]) == 2
    assert "no.mbtiles: base map file not found" in capsys.readouterr().err
    assert not (tmp_path / "n.html").exists()
