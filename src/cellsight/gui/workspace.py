"""What a pane sees: the case, the hub, the selection, the settings, the workers and the status line.

Panes never import or reach into the main window (glue hands its views a
session, not the application). The window owns one ``Workspace`` and hands it
to every pane; a pane reads the case and the selection from it, publishes on
its hub, runs long work through its workers and says what it changed with a
typed ``Change``. What only the window can do (dialogs that edit the case,
saving, the storyboard) a pane asks through ``commands``, a small protocol the
window implements. So a pane can be built and tested alone, with a workspace
and a stand-in for those commands, and the GUI modules import in one
direction: the window imports panes, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QMessageBox, QWidget

from cellsight.core.case import Case
from cellsight.core.casefile import CaseFileError
from cellsight.core.hub import CaseChanged, Change, Hub, StatusMessage
from cellsight.core.selection import MaskCache, Selection
from cellsight.gui import settings as app_settings
from cellsight.gui.bridge import HubBridge
from cellsight.gui.workers import Task, run_task


class WindowCommands(Protocol):
    """What a pane may ask of the window that holds it (the window shows the dialogs)."""

    def edit_subject(self, name: str | None = None) -> None: ...

    def add_place(self) -> None: ...

    def choose_and_import(self) -> None: ...

    def add_to_storyboard(self, pane_name: str | None = None) -> None: ...

    def save(self, then: Callable[[], Any] | None = None) -> Any: ...


class Workers:
    """Background tasks with a progress dialog; their failures are shown to the officer, not raised."""

    def __init__(self, parent: QWidget, status: Callable[[str, int], None]) -> None:
        self.parent = parent
        self.status = status
        self.tasks: list[Task] = []

    def run(self, title: str, fn: Callable[[Any], Any], on_success: Callable[[Any], None] | None = None,
            dialog: bool = True, on_cancel: Callable[[], None] | None = None,
            on_error: Callable[[BaseException, str], None] | None = None) -> Task:
        """Run ``fn(progress)`` in a worker (with a progress dialog unless ``dialog`` is False)."""
        task = run_task(self.parent, title, fn, on_success=on_success, on_error=on_error or self.show_error,
                        on_cancel=on_cancel or (lambda: self.status(
                            f"{title.rstrip('…')}: cancelled; nothing was changed", 8000)),
                        dialog=dialog)
        self.tasks.append(task)
        task.done.connect(lambda: task in self.tasks and self.tasks.remove(task))
        return task

    def show_error(self, exc: BaseException, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Cellsight", str(exc) or type(exc).__name__,
                          QMessageBox.StandardButton.Ok, self.parent)
        if not isinstance(exc, (CaseFileError, ValueError, OSError)):
            box.setDetailedText(details)
        box.open()

    def busy(self) -> bool:
        """Work the officer is waiting for is running (background refreshes do not count)."""
        return any(task.foreground for task in self.tasks)

    def stop(self, wait_ms: int) -> bool:
        """Cancel every task and wait up to ``wait_ms`` for the workers; True if they all finished."""
        for task in list(self.tasks):
            task.cancel()
        return QThreadPool.globalInstance().waitForDone(wait_ms)


class Workspace:
    """The shared state panes work on; ``case``, ``path`` and ``settings`` change as the officer works."""

    def __init__(self, parent: QWidget, settings: app_settings.AppSettings, commands: WindowCommands) -> None:
        self.hub = Hub()
        self.bridge = HubBridge(self.hub, parent)
        self.masks = MaskCache()  # leaf masks shared by the panes while they draw one selection
        self.settings = settings
        self.commands = commands
        self.case: Case | None = None
        self.path: Path | None = None  # the case file shown, None until saved
        self.workers = Workers(parent, self.status)

    @property
    def selection(self) -> Selection:
        return self.hub.selection

    def changed(self, change: Change, sender: object) -> None:
        """Say that ``sender`` changed the case: masks are recomputed and every other view redraws."""
        self.masks.clear()
        self.hub.publish(CaseChanged(sender, change))

    def status(self, text: str, timeout_ms: int = 8000) -> None:
        """A line in the window's status bar."""
        self.hub.publish(StatusMessage(self, text, timeout_ms))

    def run(self, title: str, fn: Callable[[Any], Any], on_success: Callable[[Any], None] | None = None,
            dialog: bool = True, on_cancel: Callable[[], None] | None = None,
            on_error: Callable[[BaseException, str], None] | None = None) -> Task:
        return self.workers.run(title, fn, on_success, dialog, on_cancel, on_error)

    def last_dir(self) -> str:
        """Where file dialogs start: beside the case, or beside the case opened last."""
        if self.path is not None:
            return str(self.path.parent)
        recent = app_settings.recent_cases()
        return str(Path(recent[0]).parent) if recent else str(Path.home())
