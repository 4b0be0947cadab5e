"""Recovery after a crash: the open case's unsaved work is copied aside every few minutes.

The copy (the *recovery file*) is a complete case file written atomically by
the same code as Save, encrypted with the case's key when the case is
encrypted, beside the case as ``.NAME.cellsight.recovery`` (or, for a case
never saved, in the settings folder). It never replaces the officer's file:
Save does that. It is deleted when the case is saved or the officer chooses to
discard the changes, so a recovery file that is still there when the case is
next opened means the workstation stopped with unsaved work; the window then
offers to restore it. A window that shows a case read-only (another process
holds its lock) neither writes nor deletes that file: it is the holder's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from cellsight.core.casefile import save_case
from cellsight.core.companions import recovery_path as companion_recovery_path
from cellsight.gui.settings import data_folder

INTERVAL_MS = 120_000  # two minutes of work at most is lost


def recovery_path(case_path: Path | None) -> Path:
    """Where the recovery copy of the case at ``case_path`` (None: never saved) is kept."""
    if case_path is not None:
        return companion_recovery_path(case_path)
    return data_folder() / "untitled.cellsight.recovery"


def pending_recovery(case_path: Path | None) -> Path | None:
    """The recovery file left by a workstation that stopped with unsaved work, if any.

    For a saved case it counts only when it is newer than the case file: an
    older one is work the officer already saved over.
    """
    path = recovery_path(case_path)
    if not path.is_file():
        return None
    if case_path is not None and case_path.is_file() and path.stat().st_mtime <= case_path.stat().st_mtime:
        return None
    return path


class Autosave(QObject):
    """Writes the window's case to its recovery file, in a worker, while it has unsaved changes."""

    def __init__(self, window: Any, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(window)
        self.window = window
        self.timer = QTimer(self)
        self.timer.setObjectName("autosave")
        self.timer.timeout.connect(self.write_now)
        self.timer.start(interval_ms)

    def write_now(self) -> Any:
        """Copy the case aside now if it has unsaved changes; returns the worker's task or None."""
        case = self.window.case
        if case is None or not case.dirty or self.window.hold.read_only:
            return None  # read-only: the recovery file beside the case is its holder's
        target = recovery_path(self.window.path)
        return self.window.run("Keeping a recovery copy…",
                               lambda progress: save_case(case, target, mark_clean=False), dialog=False,
                               on_error=lambda exc, details: self.window.statusBar().showMessage(
                                   f"The recovery copy could not be written: {exc}", 10000))

    def write_before_stopping(self) -> Path | None:
        """Copy the case aside now, on this thread, when the workstation is told to stop.

        Returns the recovery file written (None when there was nothing unsaved, or
        the case is read-only). Raises what ``save_case`` raises.
        """
        case = self.window.case
        if case is None or not case.dirty or self.window.hold.read_only:
            return None
        target = recovery_path(self.window.path)
        save_case(case, target, mark_clean=False)
        return target

    def discard(self) -> None:
        """Forget the recovery copy (the case was saved, or its changes were discarded)."""
        if not self.window.hold.read_only:  # a read-only window's case has its holder's copy, not ours
            recovery_path(self.window.path).unlink(missing_ok=True)

    def stop(self) -> None:
        self.timer.stop()
