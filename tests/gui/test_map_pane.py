"""The Map pane through its page API: fading with the selection, the legend, occasion labels, base maps.

What the page shows is read back with ``cellsight.state()`` (resources/cellsight-map),
which reports the styles the layers really have, not what was asked of them.
Base maps come from a tile server the test starts on 127.0.0.1
(``tests/tile_server.py``), through the same downloader an officer uses.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtWidgets import QMessageBox

from cellsight.core.hub import ResultsChanged, SettingsChanged
from cellsight.core.selection import Subjects, TimeRange
from cellsight.report import tilepack, tileset
from tests.gui.cases import DAY0, make_case, source
from tests.tile_server import TileServer

HOME = (51.5007, -0.1246)
WALK = 8  # fixes of Ann's walk on the first day, 10 minutes apart: a track


@pytest.fixture
def case():
    """The GUI tests' case, with a walk of Ann's so that there is a track to fade and highlight."""
    built = make_case()
    times = [DAY0 + pd.Timedelta(hours=4, minutes=10 * i) for i in range(WALK)]
    walk = pd.DataFrame({"time": times, "lat": HOME[0] + 0.0004 * np.arange(WALK),
                         "lon": HOME[1] + 0.0003 * np.arange(WALK), "origin": "gps",
                         "source_row": [f"w{i}" for i in range(WALK)]})
    source(built, "ann_walk.gpx", "Ann", {"locations": walk})
    built.dirty = False
    return built


def js(page, qtbot, script: str):
    box = []
    page.runJavaScript(script, 0, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def state(pane, qtbot) -> dict:
    return json.loads(js(pane.page, qtbot, "JSON.stringify(cellsight.state())"))


def ready(window, qtbot, generation: int | None = None):
    pane = window.panes["map"]
    window.docks["map"].raise_()
    qtbot.waitUntil(lambda: pane._ready and (generation is None or pane._build_generation > generation),
                    timeout=30_000)
    qtbot.waitUntil(lambda: js(pane.page, qtbot, "window.cellsightLinked === true") is True, timeout=10_000)
    return pane


def rebuilt(window, qtbot, change) -> object:
    """Do ``change`` (which makes the pane build its page again) and wait for the new page."""
    pane = window.panes["map"]
    before = pane._build_generation
    change()
    qtbot.waitUntil(lambda: pane._build_generation > before and pane._ready and not window.tasks, timeout=30_000)
    return ready(window, qtbot)


def test_tracks_and_fixes_fade_with_the_selection_and_the_selected_stand_out(window, qtbot) -> None:
    pane = ready(window, qtbot)
    shown = state(pane, qtbot)
    assert shown["selection"] is False
    assert [s["faded"] for s in shown["subjects"]] == [0, 0]
    assert shown["subjects"][0]["track_opacity"] > 0.5 and shown["subjects"][1]["track_opacity"] is None
    window.hub.set_selection(None, "subjects", Subjects({"Ann"}))
    qtbot.waitUntil(lambda: state(pane, qtbot)["selection"], timeout=5000)
    ann, bob = state(pane, qtbot)["subjects"]
    assert ann["name"] == "Ann" and ann["faded"] == 0 and ann["selected"] == ann["fixes"] == 14 + WALK
    assert bob["faded"] == bob["fixes"] == 14 and bob["selected"] == 0
    assert ann["track_opacity"] > 0.5 and ann["highlight_lines"] == 0  # all of hers: drawn as it is
    # the walk's first half: four fixes stand out, the rest of the track fades under a bold line through them
    start = DAY0 + pd.Timedelta(hours=4)
    window.hub.set_selection(None, "time", TimeRange(start, start + pd.Timedelta(minutes=35)))
    qtbot.waitUntil(lambda: state(pane, qtbot)["subjects"][0]["selected"] == 4, timeout=5000)
    ann, bob = state(pane, qtbot)["subjects"]
    assert ann["faded"] == 14 + WALK - 4 and bob["selected"] == 0
    assert ann["track_opacity"] < 0.2 and ann["highlight_lines"] == 1
    # two days: single fixes a day apart are no journey, so no bold line joins them
    window.hub.set_selection(None, "time", TimeRange(DAY0 + pd.Timedelta(days=5), DAY0 + pd.Timedelta(days=7)))
    qtbot.waitUntil(lambda: state(pane, qtbot)["subjects"][0]["selected"] == 2, timeout=5000)
    assert state(pane, qtbot)["subjects"][0]["highlight_lines"] == 0
    window.hub.set_selection(None, "time", None)
    qtbot.waitUntil(lambda: state(pane, qtbot)["subjects"][0]["selected"] == 14 + WALK, timeout=5000)
    # Ann's records use no cell: both of Bob's cell sites (and their sectors) fade
    assert state(pane, qtbot)["sites"] == {"total": 2, "selected": 0, "faded": 2}
    window.clear_selection()
    qtbot.waitUntil(lambda: not state(pane, qtbot)["selection"], timeout=5000)
    cleared = state(pane, qtbot)
    assert [s["faded"] for s in cleared["subjects"]] == [0, 0] and cleared["sites"]["faded"] == 0
    assert cleared["subjects"][0]["highlight_lines"] == 0 and cleared["subjects"][0]["track_opacity"] > 0.5


def occasion(label: str, lat: float, lon: float, day: int) -> dict:
    start = DAY0 + pd.Timedelta(days=day, hours=2)
    return {"label": label, "lat": lat, "lon": lon, "start": start.isoformat(),
            "end": (start + pd.Timedelta(minutes=10)).isoformat(), "hits": 1, "pair": "Bob and Ann",
            "evidence": "gps"}


def test_occasions_at_one_spot_share_a_label_and_follow_the_selection(window, qtbot) -> None:
    ready(window, qtbot)
    far = (HOME[0] + 0.01, HOME[1] + 0.02)
    found = [occasion("1", *HOME, 0), occasion("2", *HOME, 1), occasion("3", *HOME, 2), occasion("4", *far, 5)]
    pane = rebuilt(window, qtbot, lambda: window.hub.publish(ResultsChanged(None, "proximity", found)))
    labels = state(pane, qtbot)["labels"]
    assert sorted(labels) == ["1–3", "4"]  # not three numbers piled on one ring
    # zoomed right in, the shared spot still has one label; the far one is out of view but kept
    js(pane.page, qtbot, f"cellsight.map.setView([{HOME[0]}, {HOME[1]}], 18, {{animate: false}}); true")
    qtbot.waitUntil(lambda: sorted(state(pane, qtbot)["labels"]) == ["1–3", "4"], timeout=5000)
    # the second day selected: only occasion 2 stays bright
    start = DAY0.normalize() + pd.Timedelta(days=1)
    window.hub.set_selection(None, "time", TimeRange(start, start + pd.Timedelta(days=1)))
    qtbot.waitUntil(lambda: state(pane, qtbot)["occasions"]["selected"] == 1, timeout=5000)
    assert pane.selection_state()["occasions"] == ["2"]
    assert js(pane.page, qtbot, "cellsightMap.labelList(['1', '2', '4', '5', '6', '9', '2.1'])") == \
        "1, 2, 4–6, 9, 2.1"


def test_the_legend_names_every_kind_of_thing_on_the_map(window, qtbot) -> None:
    ready(window, qtbot)
    pane = rebuilt(window, qtbot, lambda: window.hub.publish(
        ResultsChanged(None, "proximity", [occasion("1", *HOME, 0)])))
    legend = js(pane.page, qtbot, "document.querySelector('.cs-legend').textContent")
    for words in ("Ann (victim)", "Bob (suspect)", "cell sites used (2 cells)", "sector direction",
                  "not coverage", "place and its radius: Ann's home", "proximity occasion"):
        assert words in legend, words
    assert js(pane.page, qtbot, "document.querySelectorAll('.cs-legend svg.cs-symbol').length") == 6


def make_base_map(area, out: Path) -> tuple[tilepack.PackSummary, list[str]]:
    with TileServer() as server:
        summary = tilepack.prepare(area, range(14, 16), tilepack.TileServer(
            server.template, "Invented Streets Ltd", rate=1000), out)
        return summary, server.paths()


def test_the_base_map_from_settings_is_served_to_the_page(window, qtbot, tmp_path) -> None:
    pane = ready(window, qtbot)
    assert state(pane, qtbot)["basemap"]["shown"] is False
    area = tilepack.case_area(window.case, 500)
    out = tmp_path / "streets.mbtiles"
    make_base_map(area, out)
    served = pane._tile_handler.served

    def choose() -> None:
        window.settings.basemap, window.settings.mbtiles_path = "mbtiles", str(out)
        window.hub.publish(SettingsChanged(window, ("basemap", "mbtiles_path")))

    pane = rebuilt(window, qtbot, choose)
    shown = state(pane, qtbot)["basemap"]
    assert shown == {"shown": True, "attribution": "Invented Streets Ltd", "minzoom": 14, "maxzoom": 15}
    qtbot.waitUntil(lambda: pane._tile_handler.served > served, timeout=10_000)  # tiles came from the file
    credit = js(pane.page, qtbot, "document.querySelector('.leaflet-control-attribution').textContent")
    assert "Invented Streets Ltd" in credit
    assert "base map streets.mbtiles" in pane.info.text() and "Invented Streets Ltd" in pane.notes.text()
    assert js(pane.page, qtbot, "cellsight.map.hasLayer(cellsight.layers['Grid (degrees)'])") is False
    # a file that is not a tileset: the map is drawn without it, and says why
    (tmp_path / "junk.mbtiles").write_text("junk")

    def junk() -> None:
        window.settings.mbtiles_path = str(tmp_path / "junk.mbtiles")
        window.hub.publish(SettingsChanged(window, ("mbtiles_path",)))

    pane = rebuilt(window, qtbot, junk)
    assert state(pane, qtbot)["basemap"]["shown"] is False and "not an MBTiles file" in pane.info.text()


def configure_server(window, server: TileServer, rate: float = 1000.0) -> None:
    settings = window.settings
    settings.tile_url, settings.tile_attribution, settings.tile_rate = server.template, "Invented Streets Ltd", rate
    settings.tile_max = 500


def open_prepare(window, qtbot):
    pane = ready(window, qtbot)
    pane.prepare_offline_map()
    qtbot.waitUntil(lambda: getattr(pane, "prepare_dialog", None) is not None, timeout=5000)
    return pane, pane.prepare_dialog


def test_prepare_offline_map_warns_counts_downloads_and_becomes_the_base_map(window, qtbot, tmp_path) -> None:
    with TileServer() as server:
        configure_server(window, server)
        pane, dialog = open_prepare(window, qtbot)
        dialog.out.setText(str(tmp_path / "case-map.mbtiles"))
        dialog.low.setValue(14)
        dialog.high.setValue(15)
        expected = tileset.count_tiles(tilepack.case_area(window.case, 500), range(14, 16))
        assert f"{expected:,} tiles at zooms 14-15" in dialog.estimate.text()
        assert not dialog.download.isEnabled()  # not before the officer says they understand
        dialog.confirm.setChecked(True)
        assert dialog.download.isEnabled()
        dialog.high.setValue(19)  # too many for the limit in Settings
        assert "more than the limit of 500" in dialog.estimate.text() and not dialog.download.isEnabled()
        dialog.high.setValue(15)
        generation = pane._build_generation
        window.panes["proximity"].distance.setValue(123)  # the officer's own choice, not a setting
        dialog.accept()
        qtbot.waitUntil(lambda: window.settings.basemap == "mbtiles" and not window.tasks, timeout=60_000)
        assert len(server.requests) == expected
        assert {r.user_agent.split(" ")[0] for r in server.requests} == {f"Cellsight/{_version()}"}
    assert window.settings.mbtiles_path == str(tmp_path / "case-map.mbtiles")
    assert tileset.read_info(tmp_path / "case-map.mbtiles").tiles == expected
    pane = ready(window, qtbot, generation)
    assert state(pane, qtbot)["basemap"]["shown"] is True
    assert "Offline map ready" in window.statusBar().currentMessage()
    assert window.panes["proximity"].distance.value() == 123


def test_a_cancelled_download_keeps_its_tiles_for_next_time(window, qtbot, tmp_path) -> None:
    out = tmp_path / "slow.mbtiles"
    with TileServer() as server:
        configure_server(window, server, rate=4.0)
        pane, dialog = open_prepare(window, qtbot)
        dialog.out.setText(str(out))
        dialog.low.setValue(15)
        dialog.high.setValue(16)
        dialog.confirm.setChecked(True)
        dialog.accept()
        qtbot.waitUntil(lambda: len(server.requests) >= 2, timeout=30_000)
        window.tasks[0].cancel()
        qtbot.waitUntil(lambda: not window.tasks, timeout=30_000)
        asked = len(server.requests)
    assert not out.exists() and tilepack.part_path(out).exists()
    assert "stopped" in pane.info.text() and "slow.mbtiles.part" in pane.info.text()
    assert window.settings.basemap == "none"
    with sqlite3.connect(tilepack.part_path(out)) as db:
        assert db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0] == asked


def test_without_a_tile_server_nothing_can_be_downloaded(window, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    pane, dialog = open_prepare(window, qtbot)
    dialog.confirm.setChecked(True)
    assert not dialog.download.isEnabled()
    assert "no tile server is set" in dialog.findChildren(type(dialog.estimate))[1].text()
    dialog.reject()


def _version() -> str:
    from cellsight import __version__

    return __version__
