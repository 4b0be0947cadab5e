"""Add or edit a subject: name, role, numbers and IMEIs (numbers accumulate, never replace)."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QVBoxLayout, QWidget,
)

from cellsight.core import schema
from cellsight.core.case import Case, CaseError, Subject
from cellsight.gui.dialogs.common import ok_cancel


def _items(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]+", text) if part.strip()]


class SubjectDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Case, name: str | None = None) -> None:
        super().__init__(parent)
        self.case = case
        existing = case.find_subject(name) if name else None
        self.setWindowTitle("Edit subject" if existing else "Add subject")
        self.name = QLineEdit(existing.name if existing else "")
        self.name.setReadOnly(existing is not None)
        self.role = QComboBox()
        self.role.addItems(schema.ROLES)
        self.role.setCurrentText(existing.role if existing else "other")
        self.numbers = QPlainTextEdit()
        self.numbers.setPlaceholderText("one number a line, in any format (07700 900123, +44 7700 900123)")
        self.numbers.setFixedHeight(70)
        self.imeis = QLineEdit()
        self.note = QLineEdit(existing.note if existing else "")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Role", self.role)
        if existing and existing.numbers:
            form.addRow("Numbers", QLabel(", ".join(existing.numbers)))
        form.addRow("Add numbers" if existing else "Numbers", self.numbers)
        form.addRow("IMEIs", self.imeis)
        form.addRow("Note", self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, "Save"))
        self.subject: Subject | None = None

    def accept(self) -> None:
        if not self.name.text().strip():
            QMessageBox.warning(self, "Subject", "A subject needs a name.")
            return
        super().accept()

    def apply(self) -> bool:
        """Write the subject into the case; False (with a message) if the case refuses it."""
        try:
            self.subject = self.case.set_subject(self.name.text(), role=self.role.currentText(),
                                                 numbers=_items(self.numbers.toPlainText()),
                                                 imeis=_items(self.imeis.text()), note=self.note.text())
        except CaseError as exc:
            QMessageBox.warning(self.parentWidget(), "Subject", str(exc))
            return False
        return True


DECIDE_FROM_FILE = "(as the file says: its device's number or IMEI)"
NEW_SUBJECT = "New subject…"


class ChooseSubjectDialog(QDialog):
    """Whose records is this file? An existing subject, a new one, or (phone downloads) the file's device."""

    def __init__(self, parent: QWidget | None, case: Case, path: Any, importer: Any) -> None:
        super().__init__(parent)
        self.case = case
        self.setWindowTitle("Whose records are these?")
        self.choice = QComboBox()
        self.from_file = importer.name != "cdr"
        if self.from_file:
            self.choice.addItem(DECIDE_FROM_FILE, "")
        for subject in case.subjects:
            numbers = f" ({', '.join(subject.numbers[:2])})" if subject.numbers else ""
            self.choice.addItem(f"{subject.name} — {subject.role}{numbers}", subject.name)
        self.choice.addItem(NEW_SUBJECT, None)
        guess = self._guess(str(getattr(path, "name", path)))
        if guess is not None:
            self.choice.setCurrentIndex(self.choice.findData(guess))
        self.name = QLineEdit()
        self.name.setPlaceholderText("name of the new subject")
        self.role = QComboBox()
        self.role.addItems(schema.ROLES)
        self.number = QLineEdit()
        self.number.setPlaceholderText("their number, if known (07700 900123)")
        self.choice.currentIndexChanged.connect(lambda _: self._toggle())
        form = QFormLayout()
        form.addRow(QLabel(f"<b>{getattr(path, 'name', path)}</b> looks like: {importer.label}"))
        form.addRow("Records of", self.choice)
        form.addRow("Name", self.name)
        form.addRow("Role", self.role)
        form.addRow("Number", self.number)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, "Import"))
        self._toggle()
        self.answer: str | None = None

    def _guess(self, file_name: str) -> str | None:
        lowered = file_name.lower()
        for subject in self.case.subjects:
            if subject.name.lower() in lowered:
                return subject.name
        return None

    def _toggle(self) -> None:
        new = self.choice.currentData() is None
        for widget in (self.name, self.role, self.number):
            widget.setEnabled(new)

    def accept(self) -> None:
        data = self.choice.currentData()
        if data is not None:
            self.answer = data
            super().accept()
            return
        try:
            subject = self.case.set_subject(self.name.text(), role=self.role.currentText(),
                                            numbers=_items(self.number.text()))
        except CaseError as exc:
            QMessageBox.warning(self, "Subject", str(exc))
            return
        self.answer = subject.name
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, case: Case, path: Any, importer: Any) -> str | None:
        """The subject's name, ``""`` to let the file decide, or None if the officer cancelled."""
        dialog = cls(parent, case, path, importer)
        return dialog.answer if dialog.exec() else None
