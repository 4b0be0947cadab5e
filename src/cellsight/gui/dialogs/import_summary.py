"""After an import: each file's counts, warnings and rejected rows (nothing silently dropped)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QLabel, QSplitter, QTableView, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

from cellsight.gui.models.frame_model import FrameModel


class ImportSummaryDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Any, outcomes: list[Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import summary")
        self.resize(820, 520)
        self.outcomes = outcomes
        self.case = case
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Format", "Subject", "Rows", "Imported", "Rejected", "Result"])
        self.files.setRootIsDecorated(False)
        self.files.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for outcome in outcomes:
            report = outcome.report or {}
            result = "imported" if outcome.ok else outcome.error
            if outcome.warnings:
                result += " — " + "; ".join(outcome.warnings)
            item = QTreeWidgetItem([outcome.path.name, str(report.get("format", "")),
                                    _owner(outcome.report), _n(report.get("rows")),
                                    _n(report.get("imported")), _n(report.get("rejected")), result])
            item.setToolTip(6, result)
            if not outcome.ok:
                item.setForeground(6, Qt.GlobalColor.darkRed)
            self.files.addTopLevelItem(item)
        self.files.currentItemChanged.connect(lambda item, _: self._show(self.files.indexOfTopLevelItem(item)))
        self.rejections = FrameModel(pd.DataFrame(columns=["row", "reason"]))
        view = QTableView()
        view.setModel(self.rejections)
        view.verticalHeader().hide()
        view.horizontalHeader().setStretchLastSection(True)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # file names and errors, never markup
        self.label.setWordWrap(True)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.label)
        lower_layout.addWidget(view, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.files)
        splitter.addWidget(lower)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        if outcomes:
            self.files.setCurrentItem(self.files.topLevelItem(0))

    def _show(self, index: int) -> None:
        if not (0 <= index < len(self.outcomes)):
            return
        outcome = self.outcomes[index]
        report = outcome.report or {}
        rejected = pd.DataFrame(report.get("rejections", []), columns=["row", "reason"])
        skipped = report.get("skipped", [])
        self.rejections.set_frame(rejected)
        if not outcome.ok:
            self.label.setText(outcome.error)
        elif len(rejected):
            self.label.setText(f"{len(rejected):,} rows of {outcome.path.name} could not be used; they are "
                               f"kept in the case with their reasons. {len(skipped)} title, blank or total "
                               "rows were skipped.")
        else:
            self.label.setText(f"Every row of {outcome.path.name} was used ({len(skipped)} title, blank or "
                               "total rows skipped).")

    @classmethod
    def show_for(cls, parent: QWidget, case: Any, outcomes: list[Any]) -> ImportSummaryDialog:
        dialog = cls(parent, case, outcomes)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        parent.import_summary = dialog
        return dialog


def _owner(report: dict[str, Any] | None) -> str:
    """Whose records: "—" for a file that belongs to no one (a cell list), blank if not imported."""
    if report is None:
        return ""
    return str(report.get("subject") or "—")


def _n(value: Any) -> str:
    return "" if value is None else f"{int(value):,}"
