"""Faults an officer found using the workstation: each test reproduces one and checks the fix."""

from __future__ import annotations

from cellsight.core.hub import Change
import io

import pandas as pd
import pytest

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from cellsight.core import crypto
from cellsight.core.casefile import is_encrypted, open_case, save_case
from cellsight.core.selection import BBox
from tests.gui.cases import make_case
from tests.gui.test_map_proximity_storyboard import _map_ready


def _wait_idle(window, qtbot, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not window.tasks, timeout=timeout)


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


# 1 ---------------------------------------------------------------------------------------------------
def test_select_visible_area_selects_the_map_bounds(window, qtbot) -> None:
    pane = _map_ready(window, qtbot)
    pane.select_visible_area()
    qtbot.waitUntil(lambda: "map" in window.hub.facets(), timeout=10_000)
    box = window.hub.facets()["map"]
    assert isinstance(box, BBox)
    assert box.south < box.north and box.west < box.east
    ann = window.case.locations["lat"].iloc[0]
    assert box.south <= ann <= box.north  # the map opens fitted to the case


# 2 ---------------------------------------------------------------------------------------------------
def test_an_encrypted_case_asks_for_its_password_again_when_wrong_and_stays_encrypted(
        window, qtbot, monkeypatch, tmp_path) -> None:
    target = tmp_path / "secret.cellsight"
    sealed = make_case()
    sealed.key = crypto.derive("right horse")
    save_case(sealed, target)
    answers = iter([("wrong", True), ("right horse", True)])
    labels = []

    def ask(parent, title, label, echo, *args, **kwargs):
        labels.append(label)
        assert echo == QLineEdit.EchoMode.Password
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", ask)
    window.open_path(target)
    qtbot.waitUntil(lambda: window.path == target, timeout=60_000)
    _wait_idle(window, qtbot)
    assert len(labels) == 2 and "did not open" in labels[1] and "did not open" not in labels[0]
    assert window.case.key is not None
    copy = tmp_path / "copy.cellsight"
    window.save_as(copy)
    _wait_idle(window, qtbot)
    assert is_encrypted(copy) and len(open_case(copy, "right horse").events) == 84


def test_cancelling_the_password_opens_nothing(window, qtbot, monkeypatch, tmp_path) -> None:
    target = tmp_path / "secret.cellsight"
    sealed = make_case()
    sealed.key = crypto.derive("pw")
    save_case(sealed, target)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    assert window.open_path(target) is None
    assert window.path is None and not window.busy() and window.case.info.name == "Test case"


def test_new_case_can_be_encrypted_with_a_confirmed_password(qtbot, monkeypatch, tmp_path) -> None:
    from cellsight.gui.dialogs.new_case import NewCaseDialog
    from cellsight.gui.settings import AppSettings

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    dialog = NewCaseDialog(None, AppSettings())
    qtbot.addWidget(dialog)
    dialog.name.setText("Operation Larch")
    assert not dialog.password.isEnabled()
    dialog.encrypt.setChecked(True)
    assert dialog.password.isEnabled() and dialog.confirm.isEnabled()
    dialog.password.setText("larch one")
    dialog.confirm.setText("larch two")
    dialog.accept()
    assert warnings and "same" in warnings[-1] and dialog.result() == 0
    dialog.confirm.setText("larch one")
    dialog.accept()
    case = dialog.make_case()
    assert case.key is not None and case.audit["action"].iloc[-1] == "encrypt case"
    out = tmp_path / "larch.cellsight"
    save_case(case, out)
    assert is_encrypted(out) and open_case(out, "larch one").info.name == "Operation Larch"


# 3 ---------------------------------------------------------------------------------------------------
def test_pdf_from_the_workstation_uses_each_places_radius(window, qtbot, monkeypatch, tmp_path) -> None:
    from cellsight.gui.dialogs.report import ReportDialog

    out = tmp_path / "report.pdf"
    window.settings.proximity_distance_m = 200

    def accept(dialog) -> int:
        dialog.out.setText(str(out))
        return 1

    monkeypatch.setattr(ReportDialog, "exec", accept)
    monkeypatch.setattr(type(window.panes["storyboard"]), "ask_save_first", lambda self: "without")
    assert window.panes["storyboard"].export_pdf() is not None
    _wait_idle(window, qtbot, 120_000)
    text = _pdf_text(out)
    place_part = text[text.index("near Ann's home"):]
    assert "150" in place_part  # Ann's home has a 150 m radius
    assert "defaults: 200 for location fixes" in text.replace("\n", " ")
    assert "a place's radius for fixes near a place" in text.replace("\n", " ")


# 4 ---------------------------------------------------------------------------------------------------
def test_proximity_within_follows_the_place_radius_and_back(window) -> None:
    pane = window.panes["proximity"]
    window.case.set_place("Gym", 51.52, -0.13)  # no radius
    window.case_modified(Change.PLACES)
    window.settings.proximity_distance_m = 250
    pane.apply_defaults()
    assert pane.distance.value() == 250
    pane.b.setCurrentText("Place: Ann's home")
    assert pane.distance.value() == 150 and "150 m" in pane.summary.text()
    assert pane.parameters()["distance_m"] == 150 and pane.parameters()["place"] == "Ann's home"
    pane.b.setCurrentText("Place: Gym")
    assert pane.distance.value() == 100 and "no radius" in pane.summary.text()
    pane.b.setCurrentText("Ann")
    assert pane.distance.value() == 250 and "250" in pane.summary.text()


# 5 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("file_name, expected", [
    ("records.csv", None), ("export_2024.csv", None), ("bob_cdr.csv", "Bob"),
    ("07700 900202 calls.csv", "Bob"), ("CDR-07700-900202.xlsx", "Bob"), ("447700900101.csv", "Ann"),
    ("+447700900101_records.csv", "Ann"),
])
def test_a_subject_is_preselected_only_when_the_file_name_names_them(case, file_name, expected) -> None:
    from cellsight.gui.dialogs.subject import named_in

    assert named_in(file_name, case) == expected


@pytest.mark.parametrize("fmt", ["cdr", "takeout", "gpx"])
def test_without_a_name_the_officer_must_choose_whose_records(qtbot, case, fmt) -> None:
    from cellsight.gui.dialogs.subject import ChooseSubjectDialog
    from cellsight.importers import registry

    dialog = ChooseSubjectDialog(None, case, "records.json", registry.get(fmt))
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled() and "(as the file says" not in dialog.choice.itemText(0)
    dialog.accept()
    assert dialog.answer is None and dialog.result() == 0
    dialog.choice.setCurrentIndex(dialog.choice.findData("Bob"))
    assert dialog.ok_button.isEnabled()
    dialog.accept()
    assert dialog.answer.subject == "Bob" and dialog.answer.tz is None


def test_a_phone_download_defaults_to_its_own_device_and_a_named_file_to_its_subject(qtbot, case) -> None:
    from cellsight.gui.dialogs.subject import ChooseSubjectDialog
    from cellsight.importers import registry

    ufdr = ChooseSubjectDialog(None, case, "phone.ufdr", registry.get("ufdr"))
    named = ChooseSubjectDialog(None, case, "ann_calls.csv", registry.get("cdr"))
    for dialog in (ufdr, named):
        qtbot.addWidget(dialog)
        assert dialog.ok_button.isEnabled()
    assert ufdr.choice.currentData() == "" and named.choice.currentData() == "Ann"


# 7 (time zone) ---------------------------------------------------------------------------------------
def test_the_subject_chooser_states_the_files_zone_and_the_import_uses_it(window, qtbot, monkeypatch,
                                                                         tmp_path) -> None:
    import shutil
    from pathlib import Path

    from cellsight.gui.dialogs.subject import ChooseSubjectDialog
    from cellsight.importers import registry

    dialog = ChooseSubjectDialog(None, window.case, "bob_records.csv", registry.get("cdr"))
    qtbot.addWidget(dialog)
    dialog.zone.setCurrentText("America/New_York")
    dialog.exhibit.setText("  DR/7 ")
    dialog.accept()
    assert dialog.answer.subject == "Bob" and dialog.answer.tz == "America/New_York"
    assert dialog.answer.exhibit == "DR/7"
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: dialog.answer))
    path = tmp_path / "bob_records.csv"
    shutil.copy(Path(__file__).parent.parent / "data" / "gui" / "bob_records.csv", path)
    window.import_files([str(path)])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    window.import_summary.close()
    outcome = window.last_import[0]
    assert outcome.ok, outcome.error
    assert outcome.report["tz"] == "America/New_York"
    assert window.case.sources[-1].exhibit == "DR/7"
    first = window.case.events[window.case.events["source_id"] == window.case.sources[-1].id]["start"].min()
    assert first == pd.Timestamp("2024-03-04T13:01", tz="UTC")  # 08:01 in New York


# 6, 7 (codes, saved template), 10 ---------------------------------------------------------------------
HOUSE_CODES = ("Col1,Col2,Col3,Col4\n"
               "04/03/2024 08:01:00,07700900202,07700900101,V\n"
               "05/03/2024 09:15:00,07700900101,07700900202,T\n"
               "06/03/2024 09:15:00,07700900202,07700900303,V\n")
HOUSE_ROLES = (("Col1", "start"), ("Col2", "party_a"), ("Col3", "party_b"), ("Col4", "event"))


def _house_file(tmp_path):
    path = tmp_path / "house_codes.csv"
    path.write_text(HOUSE_CODES)
    return path


def _house_mapping(qtbot, case, path):
    from cellsight.gui.dialogs.import_mapping import MappingDialog

    dialog = MappingDialog(None, case, path)
    qtbot.addWidget(dialog)
    for header, role in HOUSE_ROLES:
        dialog.set_role(header, role)
    dialog.dayfirst.setCurrentIndex(dialog.dayfirst.findData(True))
    dialog.codes.setPlainText("V = call/outgoing\nT: sms/incoming\n")
    return dialog


def _import(window, qtbot, paths, **kwargs):
    window.last_import = []
    window.import_files([str(p) for p in paths], **kwargs)
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=30_000)
    window.import_summary.close()
    return window.last_import[0]


def _imported_kinds(window) -> set[str]:
    events = window.case.events
    return set(events.loc[events["source_id"] == window.case.sources[-1].id, "kind"].astype(str))


def test_mapping_dialog_stores_event_codes_in_the_template(qtbot, case, tmp_path) -> None:
    dialog = _house_mapping(qtbot, case, _house_file(tmp_path))
    assert dialog.template().codes == {"V": "call/outgoing", "T": "sms/incoming"}
    outcome = dialog.update_preview()
    assert outcome["ok"] and outcome["rows"] == 3
    assert set(dialog.preview_model.frame["kind"].astype(str)) == {"call", "sms"}
    dialog.codes.setPlainText("V call")
    outcome = dialog.update_preview()
    assert not outcome["ok"] and "line 1" in outcome["error"]


@pytest.mark.parametrize("answer, kinds", [("map", {"call", "sms"}), ("keep", {"other"}), ("cancel", None)])
def test_a_table_read_without_an_event_type_offers_the_mapping_first(window, qtbot, monkeypatch, tmp_path,
                                                                     answer, kinds) -> None:
    from cellsight.gui.dialogs.import_mapping import MappingDialog
    from cellsight.gui.dialogs.subject import ChooseSubjectDialog, SubjectAnswer
    from cellsight.gui.import_flow import ImportFlow

    path = _house_file(tmp_path)
    asked = []
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: SubjectAnswer("Bob", assume_case_tz=True)))
    monkeypatch.setattr(ImportFlow, "ask_to_map", lambda self, p, warning: asked.append(warning) or answer)
    monkeypatch.setattr(MappingDialog, "ask",
                        classmethod(lambda cls, parent, case, file: _house_mapping(qtbot, case, file).mapping()))
    sources = len(window.case.sources)
    outcome = _import(window, qtbot, [path])
    assert len(asked) == 1 and "event type" in asked[0]
    if kinds is None:
        assert outcome.cancelled and len(window.case.sources) == sources
    else:
        assert outcome.ok, outcome.error
        assert _imported_kinds(window) == kinds


def test_file_import_can_use_a_saved_template(window, qtbot, monkeypatch, tmp_path) -> None:
    from cellsight.gui.dialogs.subject import ChooseSubjectDialog, SubjectAnswer
    from cellsight.gui.import_flow import ImportFlow

    path = _house_file(tmp_path)
    template = tmp_path / "house.json"
    _house_mapping(qtbot, window.case, path).mapping().save(template)
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: SubjectAnswer("Bob", assume_case_tz=True)))
    monkeypatch.setattr(ImportFlow, "ask_to_map", lambda *a: pytest.fail("the template says it all"))
    chosen = iter([(str(template), ""), ([str(path)], "")])
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *a, **k: next(chosen))
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getOpenFileNames", lambda *a, **k: next(chosen))
    window.last_import = []
    window.act_import_template.trigger()
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=30_000)
    window.import_summary.close()
    outcome = window.last_import[0]
    assert outcome.ok, outcome.error
    assert _imported_kinds(window) == {"call", "sms"} and window.case.sources[-1].format == "cdr"


def test_mapping_preview_errors_name_the_officers_file(qtbot, case, tmp_path) -> None:
    from cellsight.gui.dialogs.import_mapping import MappingDialog

    path = _house_file(tmp_path)
    dialog = MappingDialog(None, case, path)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("cells"))  # a call record is no cell list
    outcome = dialog.update_preview()
    assert not outcome["ok"]
    assert outcome["error"].startswith("house_codes.csv: ") and "cellsight-" not in outcome["error"]
    assert "house_codes.csv" in dialog.preview_label.text()


# 8 ---------------------------------------------------------------------------------------------------
def test_the_import_summary_shows_a_dash_for_a_file_of_no_one(qtbot, case, tmp_path) -> None:
    from pathlib import Path

    from cellsight.gui.dialogs.import_summary import ImportSummaryDialog
    from cellsight.gui.import_flow import FileOutcome

    outcomes = [FileOutcome(Path("cells.csv"), report={"format": "cells", "subject": None, "rows": 2,
                                                       "imported": 2, "rejected": 0}),
                FileOutcome(Path("bob.csv"), report={"format": "cdr", "subject": "Bob", "rows": 1,
                                                     "imported": 1, "rejected": 0}),
                FileOutcome(Path("bad.bin"), error="bad.bin: not a format Cellsight recognises")]
    dialog = ImportSummaryDialog(None, case, outcomes)
    qtbot.addWidget(dialog)
    subjects = [dialog.files.topLevelItem(i).text(2) for i in range(3)]
    assert subjects == ["—", "Bob", ""]


def test_the_import_summary_says_what_a_download_of_apps_only_holds() -> None:
    from pathlib import Path

    from cellsight.gui.dialogs.import_summary import account
    from cellsight.gui.import_flow import FileOutcome

    apps = FileOutcome(Path("phone.ufdr"), report={"format": "ufdr", "subject": "Sam", "rows": 0, "imported": 0,
                                                   "rejected": 0, "device_records": {"apps": 6, "wifi": 1,
                                                                                     "bluetooth": 0}})
    calls = FileOutcome(Path("calls.csv"), report={"format": "cdr", "subject": "Sam", "rows": 3, "imported": 3,
                                                   "rejected": 0})
    assert account(apps).splitlines()[0] == ("phone.ufdr: 0 records, 0 imported, 0 could not be used; "
                                             "also 6 apps, 1 Wi-Fi network (device records).")
    assert account(calls).splitlines()[0] == "calls.csv: 3 records, 3 imported, 0 could not be used."


# 11 --------------------------------------------------------------------------------------------------
def test_clear_selection_resets_the_contacts_pair(window, qtbot) -> None:
    from tests.gui.cases import ANN

    pane = window.panes["contacts"]
    window.docks["contacts"].raise_()
    qtbot.waitUntil(lambda: pane.model.rowCount() > 0, timeout=20_000)
    pane.choose(ANN)
    qtbot.waitUntil(lambda: pane.pair is not None, timeout=20_000)
    assert "parties" in window.hub.facets()
    window.clear_selection()
    assert pane.chosen is None and pane.pair is None
    assert "Click a contact" in pane.pair_label.text()
    assert not pane.view.selectionModel().selectedRows()


# 12 --------------------------------------------------------------------------------------------------
def test_export_and_place_dialogs_are_wide_enough_to_read(qtbot, case) -> None:
    from cellsight.gui.dialogs.place import PlaceDialog
    from cellsight.gui.dialogs.report import ReportDialog
    from cellsight.gui.settings import AppSettings

    report = ReportDialog(None, case, AppSettings(), "/evidence/op-larch/reports/final")
    place = PlaceDialog(None, case)
    for dialog in (report, place):
        qtbot.addWidget(dialog)
        dialog.show()
    assert report.width() >= 560 and report.out.width() >= 400
    assert place.width() >= 440 and place.note.width() >= 300


# 13 --------------------------------------------------------------------------------------------------
def test_two_contact_chart_frames_say_what_differs(window, qtbot) -> None:
    from cellsight.core.selection import TimeRange
    from tests.gui.cases import ANN, DAY0

    pane = window.panes["contacts"]
    window.docks["contacts"].raise_()
    qtbot.waitUntil(lambda: pane.model.rowCount() > 0, timeout=20_000)
    pane.choose(ANN)
    qtbot.waitUntil(lambda: pane.pair is not None, timeout=20_000)
    whole = pane.capture().caption
    week = TimeRange(DAY0.normalize(), DAY0.normalize() + pd.Timedelta(days=7))
    window.hub.set_selection(None, "time", week)
    pane.refresh()
    qtbot.waitUntil(lambda: pane.pair is not None and pane.pair["total"] < 60, timeout=20_000)
    first_week = pane.capture().caption
    assert whole != first_week
    assert "2024-03-04" in whole and "2024-03-17" in whole and "selection" not in whole
    assert "2024-03-10" in first_week and "selection" in first_week


# 14, 17 ----------------------------------------------------------------------------------------------
def test_settings_say_what_they_set_and_check_tile_urls(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QGroupBox

    from cellsight.gui.dialogs.settings import SettingsDialog
    from cellsight.gui.settings import AppSettings

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    dialog = SettingsDialog(None, AppSettings())
    qtbot.addWidget(dialog)
    titles = [box.title() for box in dialog.findChildren(QGroupBox)]
    assert "New cases start with" in titles and "New cases and imports" not in titles
    for url in ("https://tiles.example/{z}.png", "https://tiles.example/{z}/{x}.png"):
        dialog.tile_url.setText(url)
        dialog.accept()
        assert dialog.result() == 0 and "{y}" in warnings[-1]
    dialog.tile_url.setText("https://tiles.example/{z}/{x}/{y}.png")
    dialog.accept()
    assert dialog.result() == 0 and "attribution" in warnings[-1]
    dialog.tile_attribution.setText("Invented Mapping")
    dialog.accept()
    assert dialog.result() == 1


# 15 --------------------------------------------------------------------------------------------------
def test_add_to_storyboard_takes_the_pane_last_worked_in(window, qtbot) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from PySide6.QtWidgets import QWidget

    inner = window.panes["timeline"].findChildren(QWidget)[-1]
    window._focus_changed(None, inner)  # what QApplication.focusChanged reports
    assert window._current_pane() is window.panes["timeline"]
    dock = window.docks["case"]
    press = QMouseEvent(QEvent.Type.MouseButtonPress, QPointF(5, 5), QPointF(5, 5), Qt.MouseButton.LeftButton,
                        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(dock, press)
    assert window.last_pane is window.panes["case"]
    window._note_interaction(window.panes["storyboard"].list)  # the storyboard receives, never gives
    board = window.panes["storyboard"]
    before = len(board.board)
    window.add_to_storyboard()
    assert len(board.board) == before + 1 and board.board.frames[-1].parameters["pane"] == "case"


# 16 --------------------------------------------------------------------------------------------------
def test_dropping_a_case_with_other_files_says_the_others_were_not_imported(window, qtbot, monkeypatch,
                                                                            tmp_path) -> None:
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    target = tmp_path / "other.cellsight"
    save_case(make_case(), target)
    extra = tmp_path / "bob_records.csv"
    extra.write_text("x\n")
    window.case.dirty = False
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(target)), QUrl.fromLocalFile(str(extra))])
    drop = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: window.path == target, timeout=20_000)
    qtbot.waitUntil(lambda: getattr(window, "drop_note", None) is not None, timeout=5000)
    text = window.drop_note.text()
    assert "bob_records.csv" in text and "not imported" in text
    window.drop_note.close()


# 18, 19 ----------------------------------------------------------------------------------------------
def test_export_offers_to_save_first_so_the_report_states_the_case_hash(window, qtbot, monkeypatch,
                                                                        tmp_path) -> None:
    import os
    import stat

    from cellsight.core.casefile import file_sha256

    board = window.panes["storyboard"]
    asked = []
    monkeypatch.setattr(type(board), "ask_save_first", lambda self: asked.append(1) or "save")
    target = tmp_path / "op.cellsight"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    window.add_to_storyboard("case")
    out = tmp_path / "report.pdf"
    old = os.umask(0o022)
    try:
        board.export_pdf(str(out))
        qtbot.waitUntil(lambda: out.exists() and not window.busy(), timeout=120_000)
    finally:
        os.umask(old)
    assert asked == [1] and target.exists() and not window.case.dirty
    assert file_sha256(target) in _pdf_text(out).replace("\n", "")
    assert stat.S_IMODE(out.stat().st_mode) == 0o644

    # unsaved again, exported without: the status bar says the hash is left out
    window.case.set_place("Gym", 51.52, -0.13, 50)
    window.case_modified(Change.PLACES)
    monkeypatch.setattr(type(board), "ask_save_first", lambda self: "without")
    second = tmp_path / "second.pdf"
    board.export_pdf(str(second))
    qtbot.waitUntil(lambda: second.exists() and not window.busy(), timeout=120_000)
    qtbot.waitUntil(lambda: "without the case file's SHA-256" in window.statusBar().currentMessage(),
                    timeout=5000)
    assert file_sha256(target) not in _pdf_text(second).replace("\n", "")
