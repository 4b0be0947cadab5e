"""Evidence as the exhibit says it: exhibit and row first, no internal numbers, the case's zone,
whole numbers, and one occasion at a time on the map."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.cases import ANN, BOB, CAROL


def _js(page, qtbot, script: str):
    box = []
    page.runJavaScript(script, 0, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def test_locations_show_whose_exhibit_and_row_first_and_no_internal_row_number(window) -> None:
    pane = window.panes["locations"]
    window.docks["locations"].raise_()
    pane.ensure_fresh()
    model = pane.model
    shown = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert shown == ["Subject", "Exhibit", "Row in exhibit"]
    assert not pane.view.verticalHeader().isVisible()
    assert all(model.headerData(r, Qt.Orientation.Vertical) is None for r in range(model.rowCount()))
    exhibit, row, time = (model.columns.index(c) for c in ("source_id", "source_row", "time"))
    first = next(r for r in range(model.rowCount()) if model.display(r, exhibit) == "ann_phone.ufdr")
    assert model.display(first, row).startswith("l")  # the phone's own row name, as it numbers it
    assert model.display(first, time).endswith("GMT")  # March 2024 in the case's zone (Europe/London)


def test_contacts_show_first_and_last_in_the_case_zone(window, qtbot) -> None:
    pane = window.panes["contacts"]
    window.docks["contacts"].raise_()
    pane.subject.setCurrentText("Bob")
    pane.ensure_fresh()
    qtbot.waitUntil(lambda: pane.model.rowCount() > 0 and not window.tasks, timeout=20_000)
    model = pane.model
    first, last = model.columns.index("first"), model.columns.index("last")
    for r in range(model.rowCount()):
        assert model.display(r, first).endswith("GMT") and model.display(r, last).endswith("GMT")
        assert "UTC" not in model.display(r, first)


def test_the_conversation_list_shows_whole_numbers(window, qtbot) -> None:
    pane = window.panes["messages"]
    window.docks["messages"].raise_()
    pane.ensure_fresh()
    qtbot.waitUntil(lambda: pane.index is not None and pane.threads.count() > 1 and not window.tasks,
                    timeout=20_000)
    texts = [pane.threads.item(i).text() for i in range(pane.threads.count())]
    carol = next(t for t in texts if CAROL in t or "Carol" in t)
    line = next(line for line in carol.splitlines() if "Carol" in line or CAROL in line)
    room = pane.threads.viewport().width()
    assert pane.threads.fontMetrics().horizontalAdvance(line) <= room, f"{line!r} is cut in {room} px"
    assert pane.threads.textElideMode() == Qt.TextElideMode.ElideNone
    assert BOB and ANN  # the case's own numbers, as imported


def test_select_its_evidence_focuses_the_map_on_the_occasion(window, qtbot) -> None:
    prox = window.panes["proximity"]
    window.docks["proximity"].raise_()
    prox.a.setCurrentText("Bob")
    prox.b.setCurrentText("Ann")
    prox.run_analysis()
    qtbot.waitUntil(lambda: prox.doc is not None and not window.tasks, timeout=30_000)
    assert prox.doc["count"] >= 3
    map_pane = window.panes["map"]
    window.docks["map"].raise_()
    qtbot.waitUntil(lambda: map_pane._ready and len(map_pane._occasions) == prox.doc["count"], timeout=30_000)
    qtbot.waitUntil(lambda: not window.tasks and map_pane._ready, timeout=30_000)
    qtbot.waitUntil(lambda: _js(map_pane.page, qtbot, "window.cellsightLinked === true") is True, timeout=10_000)
    everything = _js(map_pane.page, qtbot, "JSON.stringify(cellsight.state())")
    assert '"focus":null' in everything

    prox.view.selectRow(1)
    prox.select_evidence()
    map_pane.ensure_fresh()

    def state():
        import json
        return json.loads(_js(map_pane.page, qtbot, "JSON.stringify(cellsight.state())"))

    qtbot.waitUntil(lambda: state()["focus"] == "2", timeout=10_000)
    now = state()
    assert now["labels"] == ["2"], "only the focused occasion's number"
    assert now["occasions"]["selected"] == 1 and now["occasions"]["faded"] == prox.doc["count"] - 1
    assert now["legend_folded"]
    assert any(s["faded"] for s in now["subjects"]), "the fixes outside the evidence fade"
    window.clear_selection()
    map_pane.ensure_fresh()
    qtbot.waitUntil(lambda: state()["focus"] is None, timeout=10_000)
    assert state()["occasions"]["faded"] == 0
