"""The workstation's hold on the case it shows: the case's lock while it may change it, or read-only.

While the workstation has a case open for writing it holds the case's lock
(``core.caselock``), so a ``cellsight import`` started meanwhile waits and then
refuses, naming the officer at the workstation, instead of the two overwriting
each other. When another process holds the lock, the workstation says who and
since when, and offers to open the case read-only: everything can be looked
at, analysed and exported, and changes can be kept only under another name
(Save As), which takes that file's lock instead. A read-only window keeps no
recovery copy: the recovery file beside the case belongs to its holder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from cellsight.core.caselock import CaseLock, CaseLocked

PROGRAM = "Cellsight workstation"


class CaseHold:
    """The lock held for the window's case (None for a new case or a read-only one)."""

    def __init__(self) -> None:
        self.lock: CaseLock | None = None
        self.read_only = False

    def lock_for(self, path: str | Path) -> CaseLock:
        """The lock of the case at ``path``: the one already held, or taken now without waiting.

        Raises CaseLocked (naming the holder) or CaseFileError (a folder that cannot be written).
        """
        target = Path(path).absolute()
        if self.lock is not None and self.lock.case_path == target:
            return self.lock
        return CaseLock(target, PROGRAM).acquire(wait=0)

    def keep(self, lock: CaseLock | None) -> None:
        """Hold ``lock`` for the case now shown (None: shown read-only); any other lock is released."""
        if self.lock is not None and self.lock is not lock:
            self.lock.release()
        self.lock = lock
        self.read_only = lock is None

    def follow(self, path: Path | None) -> None:
        """The window now shows the case at ``path``: a lock for another file is released."""
        if self.lock is not None and (path is None or self.lock.case_path != Path(path).absolute()):
            self.release()
        if path is None:
            self.read_only = False

    def drop(self, lock: CaseLock) -> None:
        """Release ``lock`` taken for an open or a save that did not happen (unless it is the one held)."""
        if lock is not self.lock:
            lock.release()

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
        self.lock = None
        self.read_only = False


def ask_open_read_only(parent: QWidget, target: Path, refusal: Exception) -> bool:
    """Say who holds the case and ask whether to open it read-only; True to open it so."""
    if isinstance(refusal, CaseLocked):
        who = refusal.holder.describe() if refusal.holder else "another program (it did not say who)"
        why = f"{target.name} is open for changes by {who}."
    else:
        why = f"{target.name} cannot be locked for changes here: {refusal}"
    answer = QMessageBox.question(
        parent, "Case in use",
        f"{why}\n\nOpen it read-only? You can look at it, analyse it and export from it; to keep "
        "changes, save them under another name. Or Cancel, and open it once the other program has "
        "finished.",
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Open)
    return answer == QMessageBox.StandardButton.Open
