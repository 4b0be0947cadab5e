"""New case: its name, reference, officer, zone and numbering region."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox, QDialog, QFormLayout, QLabel, QLineEdit, QMessageBox, QVBoxLayout, QWidget,
)

from cellsight.core import crypto
from cellsight.core.case import Case, CaseError
from cellsight.core.timezones import ZoneError
from cellsight.gui.dialogs.common import ok_cancel, zone_combo, zone_value
from cellsight.gui.settings import AppSettings


class NewCaseDialog(QDialog):
    def __init__(self, parent: QWidget | None, settings: AppSettings) -> None:
        super().__init__(parent)
        self.setWindowTitle("New case")
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Operation Larch")
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("crime or case reference")
        self.officer = QLineEdit()
        self.zone = zone_combo(settings.zone)
        self.region = QLineEdit(settings.region)
        self.region.setMaxLength(2)
        self.region.setToolTip("Country whose national numbers the records use (GB: 07700 900123)")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Reference", self.reference)
        form.addRow("Officer", self.officer)
        form.addRow("Time zone", self.zone)
        form.addRow("Numbers from", self.region)
        self.encrypt = QCheckBox("Encrypt this case")
        self.encrypt.setToolTip("The case file is sealed with AES-256-GCM; without the password it cannot "
                                "be opened, and a lost password cannot be recovered.")
        self.password = QLineEdit()
        self.confirm = QLineEdit()
        for field in (self.password, self.confirm):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setEnabled(False)
            self.encrypt.toggled.connect(field.setEnabled)
        form.addRow(self.encrypt)
        form.addRow("Password", self.password)
        form.addRow("Confirm password", self.confirm)
        hint = QLabel("Times are stored in UTC and shown in this zone, with its summer time.")
        hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(ok_cancel(self, "Create"))
        self.case: Case | None = None

    def accept(self) -> None:
        try:
            self.case = Case.new(name=self.name.text().strip(), reference=self.reference.text().strip(),
                                 officer=self.officer.text().strip(), tz=zone_value(self.zone),
                                 region=self.region.text().strip() or "GB")
        except (CaseError, ZoneError) as exc:
            QMessageBox.warning(self, "New case", str(exc))
            return
        if self.encrypt.isChecked():
            password = self.password.text()
            if not password or password != self.confirm.text():
                QMessageBox.warning(self, "New case", "Enter the password twice, the same both times."
                                    if password else "Enter a password to encrypt the case.")
                self.case = None
                return
            self.case.key = crypto.derive(password)
            self.case.log("encrypt case", {"cipher": "AES-256-GCM", "kdf": "scrypt"})
        super().accept()

    def make_case(self) -> Case:
        assert self.case is not None, "make_case() after the dialog was accepted"
        return self.case
