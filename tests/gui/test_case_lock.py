"""The workstation and other processes on one case: it holds the lock, shows who else holds it, opens
read-only, and refuses to save over a case another program changed."""

from __future__ import annotations

from cellsight.core.hub import Change
import socket
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from cellsight.cli import main
from cellsight.core.case import current_user
from cellsight.core.caselock import CaseLock
from cellsight.core.casefile import file_sha256, open_case, save_case
from cellsight.gui.autosave import recovery_path
from cellsight.gui.main_window import MainWindow


def _wait(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.tasks, timeout=30_000)


def _saved_case(window, qtbot, path: Path) -> Path:
    window.save_as(str(path))
    _wait(qtbot, window)
    return path


def save_case_copy(window, tmp_path: Path) -> Path:
    """The fixture's case saved to a file that no window holds."""
    path = tmp_path / "held.cellsight"
    save_case(window.case, path)
    return path


def test_the_workstation_shows_who_holds_the_case_and_opens_it_read_only(window, qtbot, tmp_path, monkeypatch):
    path = save_case_copy(window, tmp_path)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Open)
    holder = CaseLock(path, "cellsight import").acquire()
    try:
        other = MainWindow()
        qtbot.addWidget(other, before_close_func=lambda w: setattr(w, "_closing", True))
        other.open_path(path)
        _wait(qtbot, other)
        assert asked, "the officer is told before anything is opened"
        text = asked[0]
        for part in (path.name, current_user(), socket.gethostname(), "cellsight import", "since", "read-only"):
            assert part in text, (part, text)
        assert other.case is not None and other.hold.read_only
        assert "(read-only)" in other.windowTitle()
        assert not other.act_save.isEnabled()
        other.case.set_subject("Witness Wendy", role="witness")
        other.case_modified(Change.SUBJECTS)
        assert other.autosave.write_now() is None and not recovery_path(path).exists()
        before = file_sha256(path)
        copy = tmp_path / "my-copy.cellsight"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
        other.save()  # read-only: Save means Save As
        _wait(qtbot, other)
        assert file_sha256(path) == before, "the holder's case is untouched"
        assert "Witness Wendy" in [s.name for s in open_case(copy).subjects]
        assert not other.hold.read_only and other.path == copy and "(read-only)" not in other.windowTitle()
    finally:
        holder.release()


def test_while_the_workstation_has_the_case_a_command_waits_then_names_it(window, qtbot, tmp_path, monkeypatch,
                                                                          capsys):
    path = _saved_case(window, qtbot, tmp_path / "case.cellsight")
    monkeypatch.setenv("CELLSIGHT_LOCK_WAIT", "0.2")
    assert main(["subject", str(path), "Witness Wendy"]) == 2
    err = capsys.readouterr().err
    assert "Cellsight workstation" in err and current_user() in err
    assert main(["info", str(path), "--json"]) == 0, "reading is never blocked"
    window.set_case(None, None)  # the window lets the case go
    assert main(["subject", str(path), "Witness Wendy"]) == 0


def test_a_save_over_a_case_changed_on_disk_is_refused_with_a_way_forward(window, qtbot, tmp_path, monkeypatch):
    path = _saved_case(window, qtbot, tmp_path / "case.cellsight")
    theirs = open_case(path)  # a program that ignores the lock (an older Cellsight, a file copied over)
    theirs.set_subject("Their Subject")
    save_case(theirs, path)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel)
    window.case.set_subject("My Subject")
    window.case_modified(Change.SUBJECTS)
    window.save()
    _wait(qtbot, window)
    assert asked and "another program saved this case" in asked[0] and "Save your version as" in asked[0]
    names = [s.name for s in open_case(path).subjects]
    assert "Their Subject" in names and "My Subject" not in names
    assert window.case.dirty, "the officer's work is still there to save elsewhere"


def test_the_report_dialog_refuses_the_case_file_and_asks_before_replacing_another_file(window, qtbot, tmp_path,
                                                                                       monkeypatch):
    from cellsight.gui.dialogs.report import ReportDialog

    path = _saved_case(window, qtbot, tmp_path / "case.cellsight")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    dialog = ReportDialog(window, window.case, window.settings, str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.producer_rank.setText("DC")  # the cover names them: without them the dialog asks first
    dialog.producer_force.setText("Example Constabulary (fictional)")
    dialog.out.setText(str(path))
    dialog.accept()
    assert warned and "is the case file itself" in warned[0] and not dialog.result()
    notes = tmp_path / "notes.pdf"
    notes.write_bytes(b"%PDF-1.4 someone else's document")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.out.setText(str(notes))
    dialog.accept()
    assert dialog.result() and dialog.options().get("force") is True
    assert "password" not in dialog.options()
