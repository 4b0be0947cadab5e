"""Recovery after a crash: unsaved work is copied aside and offered back when the case is opened."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from cellsight.core.hub import Change
from cellsight.core.casefile import open_case, save_case
from cellsight.core.crypto import derive
from cellsight.gui.autosave import pending_recovery, recovery_path
from cellsight.gui.main_window import MainWindow


def _second_window(qtbot) -> MainWindow:
    """The workstation started again after the first one 'crashed' (was never closed)."""
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=lambda w: setattr(w, "_closing", True))
    return win


def _wait(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.tasks, timeout=30_000)


def test_unsaved_work_is_kept_aside_and_restored_after_a_crash(window, qtbot, tmp_path, monkeypatch) -> None:
    path = tmp_path / "case.cellsight"
    window.save_as(str(path))
    _wait(qtbot, window)
    window.case.set_subject("Witness Wendy", role="witness")
    window.case_modified(Change.SUBJECTS)
    assert window.autosave.write_now() is not None
    _wait(qtbot, window)
    recovery = recovery_path(path)
    assert recovery.is_file() and window.case.dirty, "the copy does not count as saving"
    assert "Witness Wendy" not in [s.name for s in open_case(path).subjects]

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    window.hold.release()  # the operating system releases a crashed workstation's lock on the case
    second = _second_window(qtbot)
    second.open_path(path)
    _wait(qtbot, second)
    _wait(qtbot, second)
    assert asked and "unsaved changes to case.cellsight" in asked[0]
    assert "Witness Wendy" in [s.name for s in second.case.subjects]
    assert second.case.dirty and second.path == path
    assert "restore recovery copy" in second.case.audit["action"].tolist()

    second.save()
    _wait(qtbot, second)
    assert not recovery.exists(), "saving retires the recovery copy"
    assert "Witness Wendy" in [s.name for s in open_case(path).subjects]


def test_declining_deletes_the_copy_and_an_old_copy_is_not_offered(window, qtbot, tmp_path, monkeypatch) -> None:
    path = tmp_path / "case.cellsight"
    save_case(window.case, path)
    recovery = recovery_path(path)
    save_case(window.case, recovery, mark_clean=False)
    import os

    os.utime(recovery, (path.stat().st_mtime - 60,) * 2)  # older than the case file: already saved over
    assert pending_recovery(path) is None
    os.utime(recovery, (path.stat().st_mtime + 60,) * 2)
    assert pending_recovery(path) == recovery
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert window.offer_recovery(path) is None
    assert not recovery.exists()


def test_an_encrypted_case_is_copied_aside_encrypted(window, qtbot, tmp_path) -> None:
    path = tmp_path / "sealed.cellsight"
    window.case.key = derive("correct horse")
    window.save_as(str(path))
    _wait(qtbot, window)
    window.case.set_subject("Witness Wendy", role="witness")
    window.case_modified(Change.SUBJECTS)
    window.autosave.write_now()
    _wait(qtbot, window)
    data = recovery_path(path).read_bytes()
    assert b"Witness Wendy" not in data and b"PK\x03\x04" not in data
    restored = open_case(recovery_path(path), key=window.case.key)
    assert "Witness Wendy" in [s.name for s in restored.subjects]


def test_nothing_is_written_without_unsaved_changes(window, qtbot, tmp_path) -> None:
    path = tmp_path / "case.cellsight"
    window.save_as(str(path))
    _wait(qtbot, window)
    assert window.autosave.write_now() is None
    assert not recovery_path(path).exists()
