"""The Scenes pane and the Link chart pane: planted answers on screen, linked through the hub.

(docs/make_scene_screenshots.py draws the user guide's pictures of these panes.)
"""

from __future__ import annotations


import pandas as pd
import pytest
from PySide6.QtCore import QThreadPool

import factories
from cellsight.core.casefile import save_case
from cellsight.core.selection import Parties, TimeRange
from cellsight.report.storyboard import check_frame
from tests.core import scene_data as sd

@pytest.fixture
def scene_window(qtbot, tmp_path):
    from cellsight.gui.main_window import MainWindow

    case = sd.planted_case()
    path = factories.save(case, tmp_path)
    files = sd.write_dumps(tmp_path)
    sd.add_planted_scenes(case, path, files, "ABC")
    save_case(case, path)
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=lambda w: setattr(w, "_closing", True))
    win.set_case(case, path=path)
    win.resize(1500, 950)
    win.show()
    qtbot.waitExposed(win)
    yield win, files["D"]
    win.discard_and_close()
    assert QThreadPool.globalInstance().waitForDone(10_000)


def _show(win, name: str):
    win.docks[name].show()
    win.docks[name].raise_()
    pane = win.panes[name]
    pane.ensure_fresh()
    return pane


def test_scenes_pane_lists_adds_and_finds_the_planted_numbers(qtbot, scene_window, monkeypatch) -> None:
    from cellsight.gui.dialogs.time_zone import ZoneChoice

    win, dump_d = scene_window
    pane = _show(win, "scenes")
    assert pane.scene_model.rowCount() == 3
    asked = []  # the dump's times state no zone: the officer is asked, and says UK local time
    monkeypatch.setattr(pane, "ask_zone", lambda path, zone: asked.append(path.name) or ZoneChoice("Europe/London"))
    pane.add_files([str(dump_d)], "D", at=sd.scene_time("D"))
    qtbot.waitUntil(lambda: pane.scene_model.rowCount() == 4, timeout=30_000)
    assert asked == ["dump_D.csv"]
    assert win.case.sources[-1].tz_rule == "option"
    assert "dump_D.csv: 26 rows kept, 0 rejected" in pane.status.text()
    scenes = pane.scene_model.frame.set_index("scene")
    assert scenes.loc["D", "at"] == "Wed 3 May 2023 00:30:00 BST"  # as every pane writes a time
    assert scenes["first"].str.endswith(" BST").all()
    assert win.case.dirty  # the new source waits for Save; its rows are already beside the case
    pane.min_scenes.setValue(3)
    pane.find_common()
    qtbot.waitUntil(lambda: pane.common_doc is not None, timeout=30_000)
    numbers = list(pane.common_model.frame["number"])
    assert set(numbers) == {sd.e164(sd.SAM), "+447700900777", "+447700900333", "+447700900335"}
    row = numbers.index("+447700900777")
    pane.choose(pane.common_model, row)
    assert win.hub.facets()["parties"] == Parties(frozenset(["+447700900777"]), label="+447700900777")
    frame = pane.capture()
    check_frame(frame)
    assert frame.kind == "table" and "3 or more of 4 scenes" in frame.caption

    pane.tabs.setCurrentIndex(1)
    pane.subject.setCurrentText("Sam")
    pane.find_cotravel()
    qtbot.waitUntil(lambda: pane.cotravel_doc is not None, timeout=30_000)
    top = pane.cotravel_model.frame.iloc[0]
    assert (top["number"], top["share"], top["hours"], top["of"]) == ("+447700900777", 80.0, 8, 10)
    assert top["first"].endswith(":00:00 BST") and top["last"].endswith(":00:00 BST")
    assert "co-travel" in pane.capture().caption


def test_link_chart_selects_and_highlights(qtbot, scene_window) -> None:
    win, _ = scene_window
    pane = _show(win, "links")
    qtbot.waitUntil(lambda: pane.data is not None, timeout=30_000)
    sam, vic, bob = sd.e164(sd.SAM), sd.e164(sd.VIC), sd.e164(sd.BOB)
    edges = {(e["source"], e["target"]): e["count"] for e in pane.data["edges"]}
    assert edges == {(sam, vic): 10, (bob, vic): 5}  # tower dumps are not communications
    assert len(pane._nodes) == 3
    pane.clicked(("edge", sam, vic))
    assert win.hub.facets()["parties"] == Parties(frozenset([sam]), frozenset([vic]), label="Sam ↔ Vic")
    assert pane.highlighted == {(sam, vic)}
    pane.clicked(None)
    assert "parties" not in win.hub.facets() and pane.highlighted == set()
    # A time selected elsewhere (Bob's calls end at 21:15): only Sam's later calls stay lit.
    start = sd.local(22, 0).tz_localize("Europe/London")
    win.hub.set_selection(win.panes["timeline"], "time", TimeRange(start, start + pd.Timedelta(hours=4)))
    pane.ensure_fresh()
    assert pane.highlighted == {(sam, vic)}
    frame = pane.capture()
    check_frame(frame)
    assert frame.content["chart"] == "links" and frame.content["data"]["nodes"]


def test_a_group_chat_is_labelled_by_its_name_and_a_number_by_name_and_number() -> None:
    from cellsight.gui.panes.linkchart import LinkChartPane

    group = {"id": "447700900356-1727612400@g.us", "name": "Sunday League Lads"}
    assert LinkChartPane._label(group) == "Sunday League Lads"
    assert LinkChartPane._label({"id": "+447700900417", "name": "Dan"}) == "Dan (+447700900417)"
    assert LinkChartPane._label({"id": "+447700900417", "name": None}) == "+447700900417"
