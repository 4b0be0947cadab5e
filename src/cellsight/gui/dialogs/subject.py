"""Add or edit a subject: name, role, numbers and IMEIs (numbers accumulate, never replace)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox, QPlainTextEdit,
    QPushButton, QVBoxLayout, QWidget,
)

from cellsight.core import schema
from cellsight.core.case import Case, CaseError, Subject
from cellsight.core.phone import normalise
from cellsight.core.timezones import ZoneError, check_zone
from cellsight.gui.dialogs.common import ok_cancel, zone_combo, zone_value
from cellsight.gui.markup import esc


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
CHOOSE = "Choose whose records these are…"
NEW_SUBJECT = "New subject…"
_UNCHOSEN = "\0unchosen"  # the combo's data for "no choice made yet" (no subject can be named so)
ZONE_FROM_FILE = "(as the file says; asked if it does not)"
_NUMBER_IN_NAME = re.compile(r"\+?\d[\d ._()-]{6,}\d")


@dataclass(frozen=True)
class SubjectAnswer:
    """The officer's answer: whose records (``""``: the file's device says) and the zone of times
    the file gives without one (None: as the file says; a file that says nothing is asked about)."""

    subject: str
    tz: str | None = None
    exhibit: str = ""  # the exhibit reference the officer gives the file (e.g. DR/1)
    assume_case_tz: bool = False  # times stating no zone in the case's zone, as an assumption


def named_in(file_name: str, case: Case) -> str | None:
    """The subject the file name names, by a name or by a number written in any format; else None.

    Only an explicit mention counts: a guess from anything else would file one person's records
    under another's name without the officer noticing.
    """
    lowered = file_name.lower()
    region = case.info.region
    found: set[str] = set()
    for match in _NUMBER_IN_NAME.findall(file_name):
        digits = re.sub(r"\D", "", match)
        for written in (match, digits, "+" + digits):
            value, flag = normalise(written, region)
            if flag in ("valid", "possible"):
                found.add(value)
    for subject in case.subjects:
        if subject.name.lower() in lowered or found & set(subject.numbers):
            return subject.name
    return None


class ChooseSubjectDialog(QDialog):
    """Whose records is this file? An existing subject, a new one, or (phone downloads) the file's device.

    A subject is preselected only when the file name names them; otherwise the officer must choose
    (Import stays disabled), except for a phone download, whose own device details say whose it is.
    """

    def __init__(self, parent: QWidget | None, case: Case, path: Any, importer: Any) -> None:
        super().__init__(parent)
        self.case = case
        self.setWindowTitle("Whose records are these?")
        self.choice = QComboBox()
        self.from_file = importer.name == "ufdr"
        guess = named_in(str(getattr(path, "name", path)), case)
        if self.from_file:
            self.choice.addItem(DECIDE_FROM_FILE, "")
        elif guess is None:
            self.choice.addItem(CHOOSE, _UNCHOSEN)
        for subject in case.subjects:
            numbers = f" ({', '.join(subject.numbers[:2])})" if subject.numbers else ""
            self.choice.addItem(f"{subject.name} — {subject.role}{numbers}", subject.name)
        self.choice.addItem(NEW_SUBJECT, None)
        if guess is not None:
            self.choice.setCurrentIndex(self.choice.findData(guess))
        self.name = QLineEdit()
        self.name.setPlaceholderText("name of the new subject")
        self.role = QComboBox()
        self.role.addItems(schema.ROLES)
        self.number = QLineEdit()
        self.number.setPlaceholderText("their number, if known (07700 900123)")
        self.zone = zone_combo("", allow_blank=ZONE_FROM_FILE)
        self.zone.setCurrentIndex(0)
        self.zone.setToolTip("The zone of times the file writes without an offset or zone. Files that "
                             "give one are read as they say.")
        self.exhibit = QLineEdit()
        self.exhibit.setPlaceholderText("e.g. DR/1 (shown in the report's list of exhibits)")
        self.choice.currentIndexChanged.connect(lambda _: self._toggle())
        form = QFormLayout()
        form.addRow(QLabel(f"<b>{esc(getattr(path, 'name', path))}</b> looks like: {esc(importer.label)}"))
        form.addRow("Records of", self.choice)
        form.addRow("Name", self.name)
        form.addRow("Role", self.role)
        form.addRow("Number", self.number)
        form.addRow("Times are in", self.zone)
        form.addRow("Exhibit reference", self.exhibit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.buttons = ok_cancel(self, "Import")
        layout.addWidget(self.buttons)
        self._toggle()
        self.answer: SubjectAnswer | None = None

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _toggle(self) -> None:
        data = self.choice.currentData()
        for widget in (self.name, self.role, self.number):
            widget.setEnabled(data is None)
        self.ok_button.setEnabled(data != _UNCHOSEN)

    def _zone(self) -> str | None:
        zone = zone_value(self.zone)
        return zone if zone and zone != ZONE_FROM_FILE else None

    def accept(self) -> None:
        data = self.choice.currentData()
        if data == _UNCHOSEN:
            return
        zone = self._zone()
        if zone is not None:
            try:
                check_zone(zone)
            except ZoneError as exc:
                QMessageBox.warning(self, "Time zone", str(exc))
                return
        exhibit = self.exhibit.text().strip()
        if data is not None:
            self.answer = SubjectAnswer(data, zone, exhibit)
            super().accept()
            return
        try:
            subject = self.case.set_subject(self.name.text(), role=self.role.currentText(),
                                            numbers=_items(self.number.text()))
        except CaseError as exc:
            QMessageBox.warning(self, "Subject", str(exc))
            return
        self.answer = SubjectAnswer(subject.name, zone, exhibit)
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, case: Case, path: Any, importer: Any) -> SubjectAnswer | None:
        """The officer's answer, or None if they cancelled."""
        dialog = cls(parent, case, path, importer)
        return dialog.answer if dialog.exec() else None

