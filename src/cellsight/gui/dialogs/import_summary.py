"""After an import: each file's counts, warnings and rejected rows (nothing silently dropped).

The list gives each file one short result; the panel below gives the selected
file's whole account, in words for an officer rather than command-line
options: what was imported (per phone number, for a file of several), every
warning, the columns that were not read and why, and the rejected rows.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QLabel, QPlainTextEdit, QSplitter, QTableView, QTreeWidget,
    QTreeWidgetItem, QVBoxLayout, QWidget,
)

from cellsight.core.device_records import also_held
from cellsight.gui.models.frame_model import FrameModel


class ImportSummaryDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Any, outcomes: list[Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import summary")
        self.resize(960, 640)
        self.outcomes = outcomes
        self.case = case
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Format", "Subject", "Rows", "Imported", "Rejected", "Result"])
        self.files.setRootIsDecorated(False)
        self.files.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.files.header().setStretchLastSection(True)
        for outcome in outcomes:
            report = outcome.report or {}
            result = short_result(outcome)
            item = QTreeWidgetItem([outcome.path.name, str(report.get("format", "")),
                                    _owner(outcome.report), _n(report.get("rows")),
                                    _n(report.get("imported")), _n(report.get("rejected")), result])
            item.setToolTip(6, account(outcome))
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
        self.details = QPlainTextEdit()  # the whole account: nothing cut off, and it can be copied
        self.details.setReadOnly(True)
        self.details.setObjectName("import_details")
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.label)
        lower_layout.addWidget(self.details, 2)
        lower_layout.addWidget(QLabel("Rows that could not be used:"))
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
        self.details.setPlainText(account(outcome))
        if not outcome.ok:
            self.label.setText(plain_words(outcome.error))
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


_FLAG = re.compile(r"\s*\((?:--[a-z-]+(?: [A-Z]+)?)\)")
_SCENE = re.compile(r"import it as a scene with `[^`]*`")


def plain_words(text: str) -> str:
    """A message as an officer reads it: no command-line options in brackets."""
    text = _SCENE.sub("import it as a scene (a tower dump), not as anyone's records", text)
    return _FLAG.sub("", text).replace("--split-by-target", "each number as its own records") \
        .replace("--target NUMBER", "one number only")


def short_result(outcome: Any) -> str:
    """One line for the list: imported, with how many warnings, or not imported."""
    if not outcome.ok:
        return "not imported: " + plain_words(outcome.error).split(": ", 1)[-1]
    count = len(outcome.warnings)
    return "imported" + (f", {count} warning{'s' if count != 1 else ''} (see below)" if count else "")


def account(outcome: Any) -> str:
    """The selected file's whole account, in plain words."""
    report = outcome.report or {}
    if not outcome.ok:
        return plain_words(outcome.error)
    lines = [f"{outcome.path.name}: {report.get('rows', 0):,} records, {report.get('imported', 0):,} "
             f"imported, {report.get('rejected', 0):,} could not be used"
             f"{also_held(report.get('device_records'))}."]
    for part in report.get("sources", []):
        lines.append(f"  {part['target']}: {part['imported']:,} records, to {part['subject']}")
    if report.get("target") and not report.get("sources"):
        lines.append(f"Only the records of {report['target']} were imported; the file's other numbers' "
                     "records are listed as skipped.")
    if report.get("derived_cells"):
        lines.append(f"{report['derived_cells']:,} cell sites were placed from the positions written on "
                     "the records.")
    if outcome.warnings:
        lines += ["", "Warnings:"] + [f"  • {plain_words(w)}" for w in outcome.warnings]
    unused = report.get("unused_columns", [])
    if unused:
        lines += ["", "Columns not read:"] + [f"  • {u['column']}: {u['reason']}" for u in unused]
    return "\n".join(lines)
