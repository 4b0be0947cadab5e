"""A pane is built and driven with a Workspace alone: no main window, no other pane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget

from cellsight.core.hub import Change
from cellsight.core.timezones import NO_CASE_ZONE, CaseZone
from cellsight.gui.panes.contacts import ContactsPane
from cellsight.gui.panes.proximity import ProximityPane
from cellsight.gui.panes.storyboard import StoryboardPane
from cellsight.gui.settings import AppSettings
from cellsight.gui.workspace import Workspace
from cellsight.report.storyboard import Frame
from tests.gui.cases import CAROL, make_case


class Commands:
    """What a window would do for the pane; here it only records what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def edit_subject(self, name: str | None = None) -> None:
        self.asked.append(("edit_subject", name))

    def add_place(self) -> None:
        self.asked.append(("add_place", None))

    def choose_and_import(self) -> None:
        self.asked.append(("choose_and_import", None))

    def add_to_storyboard(self, pane_name: str | None = None) -> None:
        self.asked.append(("add_to_storyboard", pane_name))

    def save(self, then: Callable[[], Any] | None = None) -> Any:
        self.asked.append(("save", then))


def _workspace(qtbot) -> tuple[Workspace, Commands, QWidget]:
    host = QWidget()  # the parent of dialogs and workers: any widget, not the main window
    qtbot.addWidget(host)
    commands = Commands()
    ws = Workspace(host, AppSettings(), commands)
    ws.case = make_case()
    return ws, commands, host


def test_the_contacts_pane_works_with_a_workspace_and_no_window(qtbot) -> None:
    ws, _, _ = _workspace(qtbot)
    pane = ContactsPane(ws)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitExposed(pane)
    ws.changed(Change.CASE, None)
    pane.subject.setCurrentText("Bob")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2 and not ws.workers.tasks, timeout=20_000)
    assert set(pane.model.frame["number"]) == {CAROL, "+447700900101"}
    assert not [w for w in QApplication.topLevelWidgets() if w.objectName() == "MainWindow"]

    pane.choose(CAROL)  # a contact clicked: the pane sets its facet of the shared selection
    assert ws.selection.describe("Europe/London") != "everything"
    qtbot.waitUntil(lambda: pane.pair is not None and not ws.workers.tasks, timeout=20_000)
    assert "Carol" in pane.pair_label.text() or CAROL in pane.pair_label.text()
    ws.changed(Change.STORYBOARD, None)  # a change it does not show: nothing redrawn, nothing lost
    assert pane.model.rowCount() == 2


def test_the_proximity_pane_runs_its_analysis_through_the_workspace_workers(qtbot) -> None:
    ws, commands, _ = _workspace(qtbot)
    pane = ProximityPane(ws)
    qtbot.addWidget(pane)
    pane.show()
    ws.changed(Change.CASE, None)
    assert pane.find("Bob", "Ann") is not None
    qtbot.waitUntil(lambda: pane.doc is not None and not ws.workers.tasks, timeout=30_000)
    assert pane.doc["count"] >= 1 and pane.model.rowCount() == pane.doc["count"]
    assert commands.asked == []  # it needed nothing of a window


def test_a_pane_shows_times_in_the_case_zone_and_says_when_there_is_no_case(qtbot) -> None:
    """A frame that records no zone is described in the case's; with no case, the pane says NO_CASE_ZONE."""
    ws, _, _ = _workspace(qtbot)
    pane = StoryboardPane(ws)
    qtbot.addWidget(pane)
    frame = Frame(kind="text", parameters={"start": "2023-07-01T12:00:00+00:00"}, content={"text": "x"})
    assert pane.zone == "Europe/London" and isinstance(pane.zone, CaseZone)
    assert "Sat 1 Jul 2023 13:00:00 BST" in pane._describe(frame)  # not 12:00 UTC
    ws.case = None
    assert pane.zone == NO_CASE_ZONE
