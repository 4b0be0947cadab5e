"""The workstation never imports bare times on an unstated zone; the clock banner re-reads a source.

The suspect's records (bare UTC) and the victim's (bare UK local time) are
written by ``tests.core.clock_data``. Imported through the window (the road the
guided stalking case takes too), the first is not read until the officer has
chosen a zone or accepted the case's zone as an assumption; with the
assumption, the banner shows the clock check and its Re-read button fixes it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from cellsight.core.case import Case
from cellsight.gui.dialogs.subject import ChooseSubjectDialog, SubjectAnswer
from cellsight.gui.dialogs.time_zone import CHOOSE_ZONE, ZoneChoice, ZoneChoiceDialog
from cellsight.gui.import_flow import ImportFlow
from cellsight.gui.source_actions import apply_reread
from tests.core import clock_data


def _case() -> Case:
    case = Case.new(name="Clocks", officer="DC Test", tz="Europe/London")
    case.set_subject("Sam", role="suspect", numbers=[clock_data.SUSPECT])
    case.set_subject("Vic", role="victim", numbers=[clock_data.VICTIM])
    return case


def _import(window, qtbot, path, subject, monkeypatch, zone_answer):
    asked = []
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: SubjectAnswer(subject)))
    monkeypatch.setattr(ImportFlow, "ask_zone", lambda self, p, fmt: asked.append(fmt) or zone_answer)
    window.last_import = []
    window.import_files([str(path)])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=30_000)
    window.import_summary.close()
    return asked, window.last_import[0]


def test_the_zone_dialog_preselects_nothing_and_suggests_the_likely_zone(qtbot, tmp_path):
    dialog = ZoneChoiceDialog(None, tmp_path / "records.csv", "cdr", "Europe/London")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.zone.currentText() == CHOOSE_ZONE and not ok.isEnabled()
    assert dialog.zone.itemData(1) == "UTC" and "likely" in dialog.zone.itemText(1)
    dialog.zone.setCurrentIndex(1)
    assert ok.isEnabled()
    dialog.accept()
    assert dialog.choice == ZoneChoice(tz="UTC")
    assumed = ZoneChoiceDialog(None, tmp_path / "records.csv", "cdr", "Europe/London")
    qtbot.addWidget(assumed)
    assumed.assumed.setChecked(True)
    assumed.accept()
    assert assumed.choice == ZoneChoice(assume_case_tz=True)


def test_bare_times_are_not_imported_without_a_choice(qtbot, tmp_path, monkeypatch):
    from tests.gui.conftest import _main_window

    files = clock_data.write(tmp_path)
    for window in _main_window(qtbot, _case()):
        asked, outcome = _import(window, qtbot, files.suspect, "Sam", monkeypatch, None)
        assert asked == ["cdr"] and outcome.cancelled and window.case.sources == []
        asked, outcome = _import(window, qtbot, files.suspect, "Sam", monkeypatch, ZoneChoice(tz="UTC"))
        assert outcome.ok and [(s.declared_tz, s.tz_rule) for s in window.case.sources] == [("UTC", "option")]
        assert "as chosen by DC Test" in window.panes["case"].sources.item(0).text()


def test_the_banner_flags_the_assumed_source_and_its_reread_fixes_the_count(qtbot, tmp_path, monkeypatch):
    from cellsight.analysis.contacts import between
    from tests.gui.conftest import _main_window

    files = clock_data.write(tmp_path)
    for window in _main_window(qtbot, _case()):
        _import(window, qtbot, files.suspect, "Sam", monkeypatch, ZoneChoice(assume_case_tz=True))
        assert not window.clock_banner.isVisible()  # one source: nothing to check against
        assert "ASSUMED" in window.panes["case"].sources.item(0).text()
        _import(window, qtbot, files.victim, "Vic", monkeypatch, ZoneChoice(tz="Europe/London"))
        assert window.clock_banner.isVisible()
        assert "probably UTC, not Europe/London" in window.clock_banner.text.text()
        assert window.clock_banner.button.text() == "Re-read suspect_records.csv…"
        assert between(window.case, "Sam", "Vic")["total"] == files.between + files.after_change
        apply_reread(window.workspace, "S1", "UTC", "the clock check")
        qtbot.waitUntil(lambda: window.case.sources[0].tz_rule == "corrected", timeout=30_000)
        assert not window.clock_banner.isVisible()
        assert between(window.case, "Sam", "Vic")["total"] == files.between


def test_the_proximity_pane_takes_the_cell_methods_own_defaults(demo_window, qtbot):
    pane = demo_window.panes["proximity"]
    demo_window.docks["proximity"].show()
    pane.method.setCurrentIndex(pane.method.findData("cell"))
    assert pane.distance.value() == 1000.0 and pane.window.value() == 15.0
    assert "median distance" in pane.summary.text()
    pane.b.setCurrentText("Place: Sarah Holt's home")
    assert pane.distance.value() == 1000.0  # a place's radius is about fixes, not masts
    pane.method.setCurrentIndex(pane.method.findData("gps"))
    assert pane.distance.value() == 150.0 and pane.window.value() == 5.0
