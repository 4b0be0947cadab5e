"""The main window: docks and layout restored, saving and reopening, never losing unsaved work."""

from __future__ import annotations

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QMessageBox

from cellsight.core.hub import Change
from cellsight.core.casefile import open_case
from cellsight.gui import settings as app_settings
from cellsight.gui.main_window import MainWindow
from tests.gui.cases import make_case


def _wait_idle(window, qtbot) -> None:
    qtbot.waitUntil(lambda: not window.tasks, timeout=20_000)


def test_every_pane_is_a_movable_dock_and_the_menus_exist(window) -> None:
    assert set(window.panes) == {"case", "events", "messages", "locations", "timeline", "contacts", "map",
                                 "proximity", "storyboard", "scenes", "links", "devices"}
    for dock in window.docks.values():
        assert dock.objectName().startswith("dock_")
        assert dock.features() & dock.DockWidgetFeature.DockWidgetMovable
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&Case", "&View", "&Help"]
    assert window.act_save.isEnabled() and window.act_import.isEnabled()
    assert "Test case" in window.windowTitle()
    assert "84 events" in window.case_label.text()


def test_save_and_reopen_keeps_the_case_and_notes_who_opened_it(window, qtbot, tmp_path) -> None:
    target = tmp_path / "op.cellsight"
    window.case.set_subject("Carol", role="witness", numbers=["07700 900303"])
    assert window.case.dirty and window.windowTitle().startswith("Test case *") is False
    window.case_modified(Change.SUBJECTS)
    assert "*" in window.windowTitle()
    window.save_as(target)
    _wait_idle(window, qtbot)
    assert target.exists() and not window.case.dirty and window.path == target
    assert "*" not in window.windowTitle()
    assert app_settings.recent_cases()[0] == str(target)

    window.open_path(target)
    _wait_idle(window, qtbot)
    reopened = window.case
    assert reopened.find_subject("Carol").role == "witness"
    assert len(reopened.events) == 84 and window.panes["events"].model.rowCount() == 84
    assert not reopened.dirty  # opening is read-only...
    window.save()
    _wait_idle(window, qtbot)
    audit = open_case(target).audit  # ...and the next save notes who opened it
    assert audit["action"].iloc[-1] == "open in workstation"


def test_unsaved_work_prompts_and_cancel_keeps_the_window(window, qtbot, monkeypatch, tmp_path) -> None:
    asked = []

    def answer(result):
        def fake(*args, **kwargs):
            asked.append(args[1] if len(args) > 1 else "")
            return result
        return fake

    window.case.set_place("Work", 51.51, -0.12, 80)
    window.case_modified(Change.PLACES)
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    window.close()
    assert asked == ["Unsaved changes"] and window.isVisible()

    # Save: asks for a file (patched), saves in a worker, then goes on with the action
    target = tmp_path / "saved.cellsight"
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Save))
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    done = []
    window.when_safe(lambda: done.append(True))
    _wait_idle(window, qtbot)
    assert done == [True] and target.exists()
    assert open_case(target).find_place("Work") is not None

    # Discard: the action runs and nothing is written
    window.case.set_place("Gym", 51.52, -0.13, 50)
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Discard))
    window.when_safe(lambda: done.append("discarded"))
    assert done[-1] == "discarded" and open_case(target).find_place("Gym") is None


def test_a_clean_case_closes_without_asking(qtbot, monkeypatch) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.set_case(make_case(days=2), None)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: (_ for _ in ()).throw(AssertionError("asked")))
    window.show()
    assert window.close()
    assert QThreadPool.globalInstance().waitForDone(10_000)


def test_layout_is_restored_on_the_next_start(qtbot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.set_case(make_case(), None)
    first.docks["storyboard"].setFloating(True)
    first.docks["contacts"].hide()
    first.discard_and_close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    assert not any(d.isVisible() for d in second.docks.values())  # the start page first: no case yet
    second.set_case(make_case(), None)
    assert second.docks["storyboard"].isFloating()
    assert not second.docks["contacts"].isVisible() and second.docks["events"].isVisible()
    second.reset_layout()
    assert not second.docks["storyboard"].isFloating()
    second.discard_and_close()


def test_opening_a_damaged_file_says_so_without_a_traceback(window, qtbot, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.cellsight"
    bad.write_bytes(b"not a zip")
    shown = []
    monkeypatch.setattr(QMessageBox, "open", lambda self: shown.append(self.text()))
    window.open_path(bad)
    _wait_idle(window, qtbot)
    assert shown and "bad.cellsight" in shown[0] and "Traceback" not in shown[0]
    assert window.case.info.name == "Test case"  # the open case is untouched


def test_escape_clears_the_selection(window, qtbot) -> None:
    from cellsight.core.selection import Subjects

    window.hub.set_selection(None, "subjects", Subjects({"Bob"}))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.hub.facets() == {}
