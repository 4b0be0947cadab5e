"""First start: the start page's actions, New and Open on the toolbar, the guided stalking case."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QTabBar, QToolBar

from cellsight import demo
from cellsight.core.casefile import save_case
from cellsight.gui import guided
from cellsight.gui import settings as app_settings
from cellsight.gui.dialogs.exhibit import ExhibitDialog
from cellsight.gui.dialogs.new_case import NewCaseDialog
from cellsight.gui.dialogs.subject import ChooseSubjectDialog, SubjectAnswer
from cellsight.gui.dialogs.time_zone import ZoneChoice
from cellsight.gui.import_flow import ImportFlow
from cellsight.gui.main_window import MainWindow
from tests.gui.cases import make_case

DEMO = demo.DEMO_FILES


def test_with_no_case_the_start_page_says_what_to_do(empty_window) -> None:
    win = empty_window
    page = win.start_page
    assert page.isVisible() and not any(d.isVisible() for d in win.docks.values())
    assert not [b for b in win.findChildren(QTabBar) if b.parent() is win and b.isVisible()]  # no stray tabs
    assert page.guided.isVisible() and page.empty.isVisible() and page.open.isVisible()
    toolbar = [a.text() for a in win.findChild(QToolBar, "toolbar_main").actions() if a.text()]
    assert toolbar[:2] == ["&New case…", "&Open case…"]
    assert win.act_new.isEnabled() and win.act_open.isEnabled() and not win.act_save.isEnabled()


def test_start_page_new_case_opens_the_panes(empty_window, monkeypatch) -> None:
    win = empty_window
    def fill_and_create(self) -> bool:
        self.name.setText("Op Start")
        self.accept()
        return True

    monkeypatch.setattr(NewCaseDialog, "exec", fill_and_create)
    win.start_page.empty.click()
    assert win.case is not None and win.case.info.name == "Op Start"
    assert not win.start_page.isVisible() and win.docks["events"].isVisible() and win.docks["case"].isVisible()
    tabs = [{b.tabText(i) for i in range(b.count())} for b in win.findChildren(QTabBar) if b.isVisible()]
    assert {"Events", "Messages", "Locations", "Device findings"} in tabs  # the panes' tabs come back with them


def test_start_page_open_and_recent_cases(empty_window, qtbot, tmp_path, monkeypatch) -> None:
    win = empty_window
    target = tmp_path / "recent.cellsight"
    save_case(make_case(), target)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    win.start_page.open.click()
    qtbot.waitUntil(lambda: win.case is not None and not win.tasks, timeout=20_000)
    assert win.path == target and win.docks["events"].isVisible()
    win.discard_and_close()  # quit, which lets go of the case; the next start lists it, one click opens it
    second = MainWindow()
    qtbot.addWidget(second, before_close_func=lambda w: setattr(w, "_closing", True))
    second.show()
    assert app_settings.recent_cases()[0] == str(target)
    item = second.start_page.recent.item(0)
    assert item.data(Qt.ItemDataRole.UserRole) == str(target)
    second.start_page.recent.itemClicked.emit(item)
    qtbot.waitUntil(lambda: second.case is not None and not second.tasks, timeout=20_000)
    assert second.path == target
    second.discard_and_close()


def test_start_page_builds_the_demo_case_from_the_packaged_files(empty_window, qtbot) -> None:
    """As in an installed copy: the exhibits are copied into the data folder and imported from there."""
    win = empty_window
    assert win.start_page.demo.isVisible()
    win.start_page.demo.click()
    qtbot.waitUntil(lambda: win.case is not None and not win.tasks, timeout=60_000)
    folder = app_settings.data_folder() / "demo"
    assert win.path == folder / "demo.cellsight"
    assert win.case.info.name == demo.load_answers()["case"]["name"]
    assert sorted(Path(s.path).parent for s in win.case.sources) == [folder] * len(demo.load_answers()["files"])


def test_start_page_opens_the_demo_case_built_before(empty_window, qtbot) -> None:
    folder = app_settings.data_folder() / "demo"
    folder.mkdir()
    save_case(make_case(), folder / "demo.cellsight")
    win = empty_window
    win.start_page.demo.click()
    qtbot.waitUntil(lambda: win.case is not None and not win.tasks, timeout=20_000)
    assert win.path == folder / "demo.cellsight" and win.case.info.name == "Test case"


def _fill_wizard(wizard: guided.GuidedCaseWizard, answers: dict) -> None:
    suspect, victim = answers["subjects"]
    home = answers["places"][0]
    wizard.name.setText("Operation Larkspur (practice)")
    wizard.officer.setText("DC Test")
    for fields, person in ((wizard.suspect, suspect), (wizard.victim, victim)):
        fields.name.setText(person["name"])
        fields.numbers.setPlainText("\n".join(person["numbers"]))
        fields.imeis.setText(", ".join(person["imeis"]))
    wizard.lat.setValue(home["lat"])
    wizard.lon.setValue(home["lon"])
    wizard.radius.setValue(home["radius_m"])
    wizard.home_note.setText(home["note"])
    wizard.files.add_paths([str(DEMO / f["file"]) for f in answers["files"]])


def test_the_guided_stalking_case_builds_the_standard_storyboard_for_review(empty_window, qtbot,
                                                                              monkeypatch) -> None:
    win = empty_window
    answers = json.loads((DEMO / "answers.json").read_text(encoding="utf-8"))
    owners = {f["file"]: f["subject"] for f in answers["files"]}
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(
        lambda cls, parent, case, path, importer: SubjectAnswer(owners[Path(path).name] or "")))
    # The suspect's records state no zone: the guided flow asks (and imports nothing until answered).
    zones = {f["file"]: f["tz"] for f in answers["files"]}
    asked = []
    monkeypatch.setattr(ImportFlow, "ask_zone", lambda self, path, fmt: asked.append(path.name) or ZoneChoice(
        zones[path.name]))
    asked_exhibit = []
    monkeypatch.setattr(ExhibitDialog, "ask", classmethod(
        lambda cls, parent, path, importer: asked_exhibit.append(Path(path).name) or "AM/1"))
    shown = []

    def run_wizard(self):
        self.restart()  # as showing the wizard does: its first page
        _fill_wizard(self, answers)
        for _ in range(4):  # the pages in order, each checked as Next would
            assert self.validateCurrentPage()
            self.next()
        assert self.home_name.text() == "Sarah Holt's home"  # named after her, when the page opened
        shown.append(self.currentId())
        self.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(guided.GuidedCaseWizard, "exec", run_wizard)
    win.start_page.guided.click()
    assert shown == [4]
    qtbot.waitUntil(lambda: len(win.panes["storyboard"].board) > 0 and not win.tasks, timeout=120_000)
    case = win.case
    assert [s.role for s in case.subjects] == ["suspect", "victim"]
    assert case.find_place("Sarah Holt's home").radius_m == 150
    assert len(case.sources) == 6 and len(case.events) == 5941  # every file in, through the usual flow
    assert asked == ["price_cdr_pennine.csv"] and case.sources[1].tz_rule == "option"
    frames = win.panes["storyboard"].board.frames
    captions = [f.caption for f in frames]
    assert [f.kind for f in frames] == ["title", "chart", "text", "table", "table", "table"]
    assert captions[1] == "Contact between Daniel Price and Sarah Holt, by day, 2025-09-22 to 2025-11-09"
    assert captions[2] == "The busiest day: Sat 1 Nov 2025 (102)"
    assert captions[3] == "Occasions when Daniel Price was near Sarah Holt (6)"
    assert captions[4] == "Occasions when Daniel Price was near Sarah Holt's home (6)"
    assert captions[5].startswith("Messages of concern between Daniel Price and Sarah Holt")
    texts = {row[3] for row in frames[5].content["rows"]}
    assert "Open the door Sarah or I'll burn the place down" in texts
    assert win.docks["storyboard"].isVisible() and "for you to review" in win.statusBar().currentMessage()
    assert case.dirty  # the storyboard is saved with the case when the officer saves
    assert asked_exhibit == ["cell_sites.csv"]  # the cell list is an exhibit too, with its own reference
    assert next(s for s in case.sources if s.file == "cell_sites.csv").exhibit == "AM/1"
    # the analyses it set up have run: the proximity pane and the map show the occasions
    qtbot.waitUntil(lambda: win.panes["proximity"].doc is not None and not win.tasks, timeout=60_000)
    assert win.panes["proximity"].doc["count"] == 6 and len(win.panes["map"]._occasions) == 6


def test_the_wizard_refuses_a_number_given_to_both_people(qtbot, monkeypatch) -> None:
    wizard = guided.GuidedCaseWizard(None, "Europe/London", "GB")
    qtbot.addWidget(wizard)
    warned = []
    monkeypatch.setattr(guided.QMessageBox, "warning", lambda *a: warned.append(a[2]))
    wizard.suspect.name.setText("Daniel Price")
    wizard.suspect.numbers.setPlainText("07700 900417")
    wizard.victim.name.setText("Sarah Holt")
    wizard.victim.numbers.setPlainText("+44 7700 900417")
    wizard.accept()
    assert wizard.case is None and warned and "already belongs to subject 'Daniel Price'" in warned[0]
