"""The start page: what an officer sees when no case is open, and the first thing to do.

Four ways in, each one click: start a stalking case with the guided steps
(suspect, victim, her home, the files, then a storyboard built for review),
start an empty case, open a case file, or open the demo case to practise on.
Below them, the cases opened lately. The page only asks the window to act
(``MainWindow.new_guided_case``, ``new_case``, ``choose_and_open``,
``open_demo``, ``open_path``), so every path still goes through the window's
checks (unsaved work, passwords, recovery).
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QFrame, QGridLayout, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from cellsight.gui import settings as app_settings
from cellsight.gui.resources import icon


class StartActions(Protocol):
    """What the start page asks of the window (each goes through the window's checks)."""

    def new_guided_case(self) -> None: ...

    def new_case(self) -> None: ...

    def choose_and_open(self) -> None: ...

    def open_demo(self) -> Any: ...

    def demo_available(self) -> bool: ...

    def when_safe(self, action: Callable[[], Any]) -> None: ...

    def open_path(self, path: str, retry: str = "") -> Any: ...


def _action_button(icon_name: str, title: str, explanation: str) -> QPushButton:
    button = QPushButton(icon(icon_name), f"  {title}")
    button.setObjectName("startAction")
    button.setIconSize(QSize(28, 28))
    button.setToolTip(explanation)
    button.setMinimumHeight(48)
    return button


class StartPage(QWidget):
    """Shown in the window's centre while no case is open."""

    def __init__(self, window: StartActions) -> None:
        super().__init__()
        self.setObjectName("startPage")
        self.window_ = window
        heading = QLabel("Cellsight")
        heading.setObjectName("startTitle")
        intro = QLabel("Call records, phone downloads and location histories of a stalking or harassment "
                       "case, in one place: who contacted whom and how often, when the suspect was near "
                       "the victim or her home, and a storyboard for the prosecutor. Nothing leaves this "
                       "computer.")
        intro.setWordWrap(True)
        intro.setObjectName("hint")
        self.guided = _action_button("story", "Start a stalking case, step by step",
                                     "Name the suspect, the victim and her home, add the files, and get "
                                     "the standard storyboard built for you to review")
        self.guided.clicked.connect(window.new_guided_case)
        self.empty = _action_button("new", "Start an empty case", "A new case with nothing in it yet")
        self.empty.clicked.connect(window.new_case)
        self.open = _action_button("open", "Open a case file…", "A .cellsight file saved before")
        self.open.clicked.connect(window.choose_and_open)
        self.demo = _action_button("table", "Open the demo case",
                                   "Operation Larkspur: an invented case to practise on")
        self.demo.clicked.connect(window.open_demo)
        explanations = {
            self.guided: "Suspect, victim, her home, then the files: the storyboard is built for review.",
            self.empty: "Name people and import files yourself.",
            self.open: "A case file saved before (.cellsight).",
            self.demo: "An invented case with answers you can check.",
        }
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(6)
        for row, (button, text) in enumerate(explanations.items()):
            note = QLabel(text)
            note.setObjectName("hint")
            note.setWordWrap(True)
            grid.addWidget(button, row, 0)
            grid.addWidget(note, row, 1)
        grid.setColumnStretch(1, 1)
        recent_heading = QLabel("Recent cases")
        recent_heading.setObjectName("heading")
        self.recent = QListWidget()
        self.recent.setObjectName("recentCases")
        self.recent.itemClicked.connect(self._open_recent)
        self.recent_hint = QLabel("Cases you open or save appear here.")
        self.recent_hint.setObjectName("hint")
        drop = QLabel("You can also drop a case file, or the files of a case, anywhere on this window.")
        drop.setObjectName("hint")
        card = QFrame()
        card.setObjectName("startCard")
        column = QVBoxLayout(card)
        column.setContentsMargins(32, 28, 32, 28)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addSpacing(8)
        column.addLayout(grid)
        column.addSpacing(12)
        column.addWidget(recent_heading)
        column.addWidget(self.recent_hint)
        column.addWidget(self.recent)
        column.addWidget(drop)
        card.setMaximumWidth(820)
        self.recent.setMaximumHeight(170)
        middle = QVBoxLayout()
        middle.addStretch(1)
        middle.addWidget(card)
        middle.addStretch(2)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(middle, 4)
        outer.addStretch(1)
        self.fill_recent()

    def fill_recent(self) -> None:
        """List the recent cases (those no longer on disk greyed out, with the reason)."""
        self.recent.clear()
        paths = app_settings.recent_cases()
        for path in paths:
            exists = Path(path).exists()
            item = QListWidgetItem(icon("open"), f"{Path(path).name}    {Path(path).parent}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path if exists else f"{path}\n(not found: moved or deleted)")
            if not exists:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent.addItem(item)
        self.recent.setVisible(bool(paths))
        self.recent_hint.setVisible(not paths)

    def _open_recent(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path and Path(path).exists():
            self.window_.when_safe(lambda: self.window_.open_path(path))
