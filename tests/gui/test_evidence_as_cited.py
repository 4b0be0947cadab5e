"""Evidence as the exhibit says it: exhibit and row first, no internal numbers, the case's zone,
whole numbers, and one occasion at a time on the map."""

from __future__ import annotations

import json

import pandas as pd
from PySide6.QtCore import Qt

from cellsight.core import schema
from tests.gui.cases import BOB, DAY0, make_message_case, source


STATE = "window.cellsight ? JSON.stringify(cellsight.state()) : ''"


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
    case = make_message_case()
    stranger = "+447700900999"  # nobody's name: the number is all the officer has to tell rows apart
    texts = schema.conform(pd.DataFrame({
        "start": [DAY0 + pd.Timedelta(hours=h) for h in (1, 2)], "kind": "sms", "direction": "incoming",
        "party_a": stranger, "party_b": BOB, "text": ["who is this", "answer me"], "app": "SMS Messages",
        "source_row": ["s1", "s2"]}), "events").drop(columns=["source_id", "subject"])
    source(case, "bob_sim.csv", "Bob", {"events": texts})
    window.set_case(case, None)
    pane = window.panes["messages"]
    window.docks["messages"].raise_()
    pane.ensure_fresh()
    qtbot.waitUntil(lambda: pane.index is not None and pane.threads.count() > 1 and not window.tasks,
                    timeout=20_000)
    entry = next(pane.threads.item(i) for i in range(pane.threads.count()) if stranger in pane.threads.item(i).text())
    room = pane.threads.viewport().width() - 2 * pane.threads.spacing()
    for line in entry.text().splitlines():
        assert pane.threads.fontMetrics().horizontalAdvance(line) <= room, f"{line!r} is cut in {room} px"
    assert pane.threads.textElideMode() == Qt.TextElideMode.ElideNone


def test_select_its_evidence_focuses_the_map_on_the_occasion(window, qtbot) -> None:
    prox = window.panes["proximity"]
    window.show_pane("proximity")
    assert window.find_occasions("Bob", "Ann") is not None  # as the guided flow asks for them
    qtbot.waitUntil(lambda: prox.doc is not None and not window.tasks, timeout=30_000)
    assert prox.doc["count"] >= 3
    map_pane = window.panes["map"]
    window.docks["map"].raise_()
    qtbot.waitUntil(lambda: map_pane._ready and len(map_pane._occasions) == prox.doc["count"], timeout=30_000)

    def state():
        text = _js(map_pane.page, qtbot, STATE)
        return json.loads(text) if text else {}

    count = prox.doc["count"]  # the page with the occasions on it (drawn again when they arrived)
    qtbot.waitUntil(lambda: state().get("occasions", {}).get("total") == count, timeout=30_000)
    assert state()["focus"] is None and len(state()["labels"]) >= 1

    prox.view.selectRow(1)
    prox.select_evidence()
    map_pane.ensure_fresh()

    qtbot.waitUntil(lambda: state().get("focus") == "2", timeout=10_000)
    now = state()
    assert now["labels"] == ["2"], "only the focused occasion's number"
    assert now["occasions"]["selected"] == 1 and now["occasions"]["faded"] == count - 1
    assert now["legend_folded"]
    assert any(s["faded"] for s in now["subjects"]), "the fixes outside the evidence fade"
    window.clear_selection()
    map_pane.ensure_fresh()
    qtbot.waitUntil(lambda: state().get("focus", "") is None, timeout=10_000)
    assert state()["occasions"]["faded"] == 0
