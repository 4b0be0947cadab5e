"""Import by drag and drop anywhere on the window, the subject question, the summary, the mapping dialog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from cellsight.gui.dialogs.import_mapping import MappingDialog, guess_header_row
from cellsight.gui.dialogs.subject import ChooseSubjectDialog, SubjectAnswer
from cellsight.gui.import_flow import clone_case
from cellsight.importers.templates import load_template
from tests.gui.cases import BOB

DATA = Path(__file__).resolve().parents[1] / "data" / "gui"


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copy(DATA / name, target)
    return target


def _drop(widget, paths: list[Path]) -> QDropEvent:
    """Drag files over the middle of ``widget`` and drop them, as the window system would.

    The events go to the top-level window at the widget's position, so Qt routes
    them as it does a real drag: to the widget under the cursor, then up to the
    first parent that accepts drops.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    top = widget.window()
    point = widget.mapTo(top, QPoint(widget.width() // 2, widget.height() // 2))
    pos = QPointF(point)  # QDropEvent takes a QPointF, QDragEnterEvent a QPoint
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(top.windowHandle(), enter)
    assert enter.isAccepted(), "the window refused the drag"
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(top.windowHandle(), drop)
    return drop


def test_dropping_call_records_on_a_pane_imports_them_for_the_chosen_subject(window, qtbot, tmp_path,
                                                                                monkeypatch) -> None:
    asked = []
    monkeypatch.setattr(ChooseSubjectDialog, "ask",
                        classmethod(lambda cls, parent, case, path, importer:
                                    asked.append(importer.name) or SubjectAnswer("Bob", exhibit="DR/1", assume_case_tz=True)))
    path = _copy("bob_records.csv", tmp_path)
    before = len(window.case.events)
    target = window.panes["events"].view.viewport()  # a drop on any pane reaches the window
    drop = _drop(target, [path])
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    assert asked == ["cdr"]
    outcome = window.last_import[0]
    assert outcome.ok, outcome.error
    assert outcome.report["rows"] == 4 and outcome.report["imported"] == 3 and outcome.report["rejected"] == 1
    assert len(window.case.events) == before + 3
    assert window.case.sources[-1].file == "bob_records.csv" and window.case.sources[-1].subject == "Bob"
    assert window.case.dirty and "*" in window.windowTitle()
    # every pane sees the new rows; the summary lists the rejected row with its reason
    assert window.panes["events"].model.rowCount() == before + 3
    summary = window.import_summary
    assert summary.rejections.rowCount() == 1
    assert "date" in str(summary.rejections.raw(0, 1))
    assert summary.files.topLevelItem(0).text(5) == "1"
    summary.close()
    assert window.panes["case"].sources.count() == len(window.case.sources)
    assert window.case.sources[-1].exhibit == "DR/1"  # the officer's exhibit reference is kept
    last = window.panes["case"].sources.item(len(window.case.sources) - 1)
    assert last.text().startswith("DR/1 · bob_records.csv")


def test_the_same_file_twice_is_refused_and_nothing_changes(window, qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: SubjectAnswer("Bob", assume_case_tz=True)))
    path = _copy("bob_records.csv", tmp_path)
    window.import_files([str(path)])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    window.import_summary.close()
    window.last_import = []
    count = len(window.case.events)
    window.import_files([str(path)])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    outcome = window.last_import[0]
    assert not outcome.ok and "already imported" in outcome.error
    assert len(window.case.events) == count
    window.import_summary.close()


def test_cancelling_the_subject_question_imports_nothing(window, qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: None))
    sources = len(window.case.sources)
    window.import_files([str(_copy("bob_records.csv", tmp_path))])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    assert window.last_import[0].cancelled and len(window.case.sources) == sources
    window.import_summary.close()


def test_cancel_during_the_import_leaves_the_case_untouched(window, qtbot, tmp_path, monkeypatch) -> None:
    from cellsight.gui import import_flow
    from cellsight.progress import Cancelled

    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: SubjectAnswer("Bob", assume_case_tz=True)))

    def cancelled_import(case, path, **kwargs):
        case.set_subject("Half-made")  # a change to the clone that must not reach the case
        raise Cancelled()

    monkeypatch.setattr("cellsight.importers.api.import_file", cancelled_import)
    window.import_files([str(_copy("bob_records.csv", tmp_path))])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    assert window.last_import[0].cancelled
    assert window.case.find_subject("Half-made") is None
    assert import_flow.ImportFlow  # the flow object is gone, the window is usable
    assert window.import_flow is None
    window.import_summary.close()


def test_clone_case_shares_frames_but_not_lists(case) -> None:
    clone = clone_case(case)
    assert clone.events is case.events
    clone.set_subject("Zed")
    assert case.find_subject("Zed") is None and clone.find_subject("Zed") is not None


def test_mapping_dialog_previews_live_and_saves_a_template(qtbot, case, tmp_path, monkeypatch) -> None:
    path = _copy("odd_layout.csv", tmp_path)
    dialog = MappingDialog(None, case, path)
    qtbot.addWidget(dialog)
    assert dialog.header() == ["Quand", "Heure", "De", "Vers", "Secs", "Nature"]
    assert dialog.grid.rowCount() == 1 + 3  # the role row and the data rows
    first = dialog.update_preview()
    assert not first["ok"]  # nothing mapped yet: the preview says why
    for header, role in (("Quand", "date"), ("Heure", "time"), ("De", "party_a"), ("Vers", "party_b"),
                         ("Secs", "duration")):
        dialog.set_role(header, role)
    dialog.dayfirst.setCurrentIndex(dialog.dayfirst.findData(True))
    dialog.zone.setCurrentText("UTC")
    result = dialog.update_preview()
    assert result == {"ok": True, "rows": 3, "rejected": 0}
    model = dialog.preview_model
    assert model.rowCount() == 3
    # 4 March 08:01 UTC is 08:01 in London (GMT): day first, in the zone the officer chose
    assert model.data(model.index(0, 0)) == "Mon 4 Mar 2024 08:01:00 GMT"
    assert model.data(model.index(0, model.columns.index("party_a"))) == BOB
    saved = tmp_path / "odd.json"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(saved), ""))
    assert dialog.save_as_template() == str(saved)
    template = load_template(saved)
    assert template.columns["Quand"] == "date" and template.zone == "UTC" and template.dayfirst is True
    assert json.loads(saved.read_text())["format"] == "cdr"
    dialog.reject()


def test_an_unrecognised_table_opens_the_mapping_dialog_and_imports_with_it(window, qtbot, tmp_path,
                                                                              monkeypatch) -> None:
    path = _copy("odd_layout.csv", tmp_path)
    opened = []

    def fake_ask(cls, parent, case, file):
        dialog = MappingDialog(parent, case, file)
        for header, role in (("Quand", "date"), ("Heure", "time"), ("De", "party_a"), ("Vers", "party_b")):
            dialog.set_role(header, role)
        dialog.dayfirst.setCurrentIndex(dialog.dayfirst.findData(True))
        opened.append(file)
        mapping = dialog.mapping()
        dialog.reject()
        return mapping

    monkeypatch.setattr(MappingDialog, "ask", classmethod(fake_ask))
    monkeypatch.setattr(ChooseSubjectDialog, "ask", classmethod(lambda cls, *a: SubjectAnswer("Bob", assume_case_tz=True)))
    window.import_files([str(path)])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    assert opened == [path]
    outcome = window.last_import[0]
    assert outcome.ok, outcome.error
    assert outcome.report["imported"] == 3
    window.import_summary.close()


def test_guess_header_row_skips_title_rows() -> None:
    assert guess_header_row([["Records"], ["a", "b", "c"], ["1", "2", ""]]) == 1
