"""A file holds several people's phone records: ask the officer how to import it.

A request by IMEI, or a bulk return from an operator, can hold the records of
more than one telephone number. Poured into one person's records, they would
put the other numbers' calls and cells on that person; so the workstation
lists the numbers with how many records each has, and the officer chooses:
each number as its own set of records (each to the person with that number,
or a new person), one number only (the rest are listed as skipped), or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QDialogButtonBox, QHeaderView, QLabel, QRadioButton, QTreeWidget,
    QTreeWidgetItem, QVBoxLayout, QWidget,
)


@dataclass
class TargetChoice:
    """``split``: one source per number; otherwise ``target``: only that number's records."""

    split: bool = False
    target: str | None = None


class TargetsDialog(QDialog):
    def __init__(self, parent: QWidget | None, path: Path, targets: list[dict[str, Any]],
                 names: dict[str, str]) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Several phone numbers in {path.name}")
        self.resize(620, 440)
        total = sum(int(t["rows"]) for t in targets)
        intro = QLabel(f"{path.name} holds the records of {len(targets)} phone numbers ({total:,} records). "
                       "Importing them as one person's records would give that person the other numbers' "
                       "calls and places. How should they be imported?")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Phone number", "Records", "Person in this case"])
        self.table.setRootIsDecorated(False)
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for t in targets:
            item = QTreeWidgetItem([str(t["number"]), f"{int(t['rows']):,}",
                                    names.get(str(t["number"]), "(new person)")])
            item.setData(0, Qt.ItemDataRole.UserRole, str(t["number"]))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.addTopLevelItem(item)
        self.table.setCurrentItem(self.table.topLevelItem(0))
        self.split = QRadioButton("Import each number as its own records (recommended)")
        self.one = QRadioButton("Import only the number selected above; list the other records as skipped")
        self.split.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.split)
        group.addButton(self.one)
        self.table.itemClicked.connect(lambda *_: self.one.setChecked(True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Do not import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.split)
        layout.addWidget(self.one)
        layout.addWidget(buttons)

    def choice(self) -> TargetChoice:
        if self.split.isChecked():
            return TargetChoice(split=True)
        item = self.table.currentItem()
        return TargetChoice(target=item.data(0, Qt.ItemDataRole.UserRole) if item else None)

    @classmethod
    def ask(cls, parent: QWidget | None, path: Path, targets: list[dict[str, Any]],
            names: dict[str, str]) -> TargetChoice | None:
        dialog = cls(parent, path, targets, names)
        return dialog.choice() if dialog.exec() else None
