"""Map (offline QtWebEngine, changed in place), Proximity (occasions, zoom), Storyboard (capture, order, PDF)."""

from __future__ import annotations

import pandas as pd
from cellsight.core.hub import FocusRequested
from cellsight.core.selection import BBox, Subjects, TimeRange
from cellsight.report.storyboard import Storyboard
from tests.gui.cases import DAY0


def _js(page, qtbot, script: str):
    box = []
    page.runJavaScript(script, 0, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def _map_ready(window, qtbot):
    pane = window.panes["map"]
    window.docks["map"].raise_()
    qtbot.waitUntil(lambda: pane._ready, timeout=30_000)
    qtbot.waitUntil(lambda: _js(pane.page, qtbot, "window.cellsightLinked === true") is True, timeout=10_000)
    return pane


def test_the_map_loads_offline_and_fades_what_is_not_selected(window, qtbot) -> None:
    pane = _map_ready(window, qtbot)
    assert pane.page.url().isLocalFile()
    assert _js(pane.page, qtbot, "document.querySelectorAll('script[src^=http], link[href^=http]').length") == 0
    count = _js(pane.page, qtbot, "cellsight.data.subjects.length")
    assert count == 2
    window.hub.set_selection(None, "subjects", Subjects({"Ann"}))
    qtbot.waitUntil(lambda: _js(pane.page, qtbot,
                                "cellsight.layers['Bob: fixes'].getLayers()[0].options.fillOpacity") < 0.5,
                    timeout=5000)
    assert _js(pane.page, qtbot, "cellsight.layers['Ann: fixes'].getLayers()[0].options.fillOpacity") > 0.5
    # a time range fades Ann's fixes outside it, in the page's order
    start = DAY0.normalize()
    window.hub.set_selection(None, "time", TimeRange(start, start + pd.Timedelta(days=1)))
    state = pane.selection_state()
    assert state["fixes"][0].count("1") == 1 and state["fixes"][1].count("1") == 0
    window.clear_selection()
    assert pane.selection_state() == {"fixes": [None, None], "sites": None, "occasions": None}


def test_clicking_a_site_selects_the_events_that_used_it(window, qtbot) -> None:
    pane = _map_ready(window, qtbot)
    cell = window.case.cells.iloc[0]
    pane.select_site(float(cell["lat"]), float(cell["lon"]))
    facet = window.hub.facets()["map"]
    assert isinstance(facet, BBox)
    events = window.panes["events"].model
    shown = events.frame.iloc[events.order]
    assert len(shown) and (shown["cell_first"] == cell["key"]).all()
    # the click came through the page: simulate it in JavaScript
    window.clear_selection()
    _js(pane.page, qtbot, "cellsight.layers['Ann: fixes'].getLayers()[3].fire('click'); true")
    qtbot.waitUntil(lambda: "map" in window.hub.facets(), timeout=5000)
    assert "Ann" in window.hub.facets()["map"].describe("Europe/London")


def test_proximity_finds_occasions_and_choosing_one_zooms_the_views(window, qtbot) -> None:
    pane = window.panes["proximity"]
    window.docks["proximity"].raise_()
    assert pane.a.currentText() == "Bob" and pane.b.currentText() == "Ann"
    pane.distance.setValue(200)
    pane.run_analysis()
    qtbot.waitUntil(lambda: pane.doc is not None, timeout=30_000)
    assert pane.doc["count"] == 14  # Bob's fix is ~56 m from Ann's at the same minute, every day
    assert pane.model.rowCount() == 14 and len(pane.located) == 14
    focus = []
    window.bridge.focusRequested.connect(focus.append)
    before = window.panes["timeline"].lanes.getViewBox().viewRange()[0]
    pane.view.selectRow(2)
    pane.choose(2)
    assert isinstance(focus[-1], FocusRequested) and focus[-1].bbox is not None
    after = window.panes["timeline"].lanes.getViewBox().viewRange()[0]
    assert after[1] - after[0] < (before[1] - before[0]) / 3
    pane.select_evidence()
    shown = window.panes["events"].model.rowCount()
    assert "proximity" in window.hub.facets() and shown == 0  # the evidence is fixes, not events
    frame = pane.capture()
    assert frame.kind == "table" and len(frame.content["rows"]) == 14
    assert frame.parameters["distance_m"] == 200 and "haversine" in frame.parameters["method_statement"].lower()


def test_storyboard_captures_panes_reorders_edits_and_saves_in_the_case(window, qtbot) -> None:
    board = window.panes["storyboard"]
    window.panes["timeline"].select_week_in_view()
    assert window.add_to_storyboard("events") is None
    window.add_to_storyboard("timeline")
    window.add_to_storyboard("case")
    assert [f.kind for f in board.board] == ["table", "chart", "table"]
    events_frame = board.board.frames[0]
    assert events_frame.parameters["selection"]["kind"] == "time"
    assert len(events_frame.content["rows"]) == window.panes["events"].model.rowCount()
    assert window.case.dirty
    board.move(2, 0)
    assert [f.caption for f in board.board][0].startswith("Exhibits")
    board.list.setCurrentRow(1)
    board.caption.setText("Contact in the first week")
    board.caption.editingFinished.emit()
    board.note.setPlainText("Bob texted Ann every day.")
    board.flush()
    saved = Storyboard.load(window.case)
    assert saved.frames[1].caption == "Contact in the first week"
    assert saved.frames[1].note == "Bob texted Ann every day."
    assert window.case.audit["action"].iloc[-1] == "update storyboard"
    board.list.setCurrentRow(0)
    board.remove_current()
    assert len(Storyboard.load(window.case)) == 2


def test_dragging_a_frame_in_the_list_reorders_the_storyboard(window, qtbot) -> None:
    board = window.panes["storyboard"]
    window.add_to_storyboard("case")
    window.add_to_storyboard("timeline")
    first = board.board.frames[0].caption
    model = board.list.model()
    # what an internal drag-and-drop move does to the list's model
    assert model.moveRows(model.index(0, 0).parent(), 0, 1, model.index(0, 0).parent(), 2)
    assert board.board.frames[1].caption == first
    assert Storyboard.load(window.case).frames[1].caption == first


def test_export_pdf_runs_in_a_worker(window, qtbot, tmp_path, monkeypatch) -> None:
    board = window.panes["storyboard"]
    monkeypatch.setattr(type(board), "ask_save_first", lambda self: "without")  # the case is not saved
    window.add_to_storyboard("case")
    out = tmp_path / "report.pdf"
    task = board.export_pdf(str(out))
    assert task is not None
    qtbot.waitUntil(lambda: not window.tasks, timeout=120_000)
    assert out.exists() and out.read_bytes()[:4] == b"%PDF"


def test_settings_dialog_round_trip(window, qtbot) -> None:
    from cellsight.gui.dialogs.settings import SettingsDialog
    from cellsight.gui.settings import AppSettings

    dialog = SettingsDialog(window, window.settings)
    qtbot.addWidget(dialog)
    dialog.mbtiles.setChecked(True)
    dialog.mbtiles_path.setText("/maps/leeds.mbtiles")
    dialog.tile_url.setText("http://tiles.internal/{z}/{x}/{y}.png")
    dialog.tile_attribution.setText("Force mapping unit")
    dialog.tile_max.setValue(2000)
    dialog.distance.setValue(150)
    new = dialog.result_settings()
    assert new.basemap == "mbtiles" and new.basemap_file() == "/maps/leeds.mbtiles"
    assert new.tile_url == "http://tiles.internal/{z}/{x}/{y}.png" and new.tile_max == 2000
    assert set(dialog.changed) == {"basemap", "mbtiles_path", "tile_url", "tile_attribution", "tile_max",
                                   "proximity_distance_m"}
    assert "base map file not found" in dialog.mbtiles_info.text()
    new.save()
    assert AppSettings.load() == new
    window.settings = new
    window.panes["proximity"].apply_defaults()
    assert window.panes["proximity"].distance.value() == 150
    dialog.reject()
