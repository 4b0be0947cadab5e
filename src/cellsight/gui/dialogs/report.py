"""Export PDF: where to write it, and which pair or places to report on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
    QPushButton, QVBoxLayout, QWidget,
)

from cellsight.core.case import Case
from cellsight.core.outputs import OutputRefused, check_output
from cellsight.gui.dialogs.common import ok_cancel
from cellsight.gui.settings import AppSettings

EVERY_PAIR = "every suspect–victim pair"


class ReportDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Case, settings: AppSettings,
                 folder: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export PDF report")
        self.settings = settings
        self.case = case
        self.setMinimumWidth(560)  # wide enough to read a full path to the report
        start = Path(folder or Path.home()) / f"{case.info.name or 'report'}.pdf"
        self.out = QLineEdit(str(start))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.a = QComboBox()
        self.a.addItem(EVERY_PAIR, None)
        for subject in case.subjects:
            self.a.addItem(subject.name, subject.name)
        self.b = QComboBox()
        self.b.addItem("—", None)
        for subject in case.subjects:
            self.b.addItem(subject.name, subject.name)
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("A", self.a)
        form.addRow("B", self.b)
        hint = QLabel("The report holds every source with its SHA-256, the method and parameters of each "
                      "analysis, its results, and the storyboard frames in order. Proximity to a place uses the place's "
                      "radius.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.force = False  # the officer agreed to replace a file that is not a Cellsight report
        self.encrypt = QCheckBox("Protect the PDF with a password (AES-256)")
        self.password = QLineEdit()
        self.repeat = QLineEdit()
        for field in (self.password, self.repeat):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.encrypt.toggled.connect(self.password.setEnabled)
        self.encrypt.toggled.connect(self.repeat.setEnabled)
        self.encrypt.setChecked(case.key is not None)  # an encrypted case's report is protected by default
        self.password.setEnabled(self.encrypt.isChecked())
        self.repeat.setEnabled(self.encrypt.isChecked())
        secret = QFormLayout()  # its own form: its wider labels do not narrow the File box
        secret.addRow(self.encrypt)
        secret.addRow("Password", self.password)
        secret.addRow("Repeat", self.repeat)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(secret)
        if case.key is not None:
            warning = QLabel("This case is encrypted. A PDF without a password can be read by anyone who gets "
                             "the file.")
            warning.setObjectName("warning")
            warning.setWordWrap(True)
            layout.addWidget(warning)
        layout.addWidget(hint)
        layout.addWidget(ok_cancel(self, "Export"))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PDF", self.out.text(), "PDF (*.pdf)")
        if path:
            self.out.setText(path if path.lower().endswith(".pdf") else path + ".pdf")

    def accept(self) -> None:
        a, b = self.a.currentData(), self.b.currentData()
        if (a is None) != (b is None) or (a is not None and a == b):
            QMessageBox.warning(self, "Export PDF", f"Choose two different people, or {EVERY_PAIR}.")
            return
        if not self.out.text().strip():
            return
        if self.encrypt.isChecked() and (not self.password.text() or self.password.text() != self.repeat.text()):
            QMessageBox.warning(self, "Export PDF", "Type the same password twice, or clear the password box.")
            return
        if not self._may_write(self.output()):
            return
        super().accept()

    def _may_write(self, out: str) -> bool:
        """The rules of every output (core.outputs): never the case or an exhibit; another file knowingly."""
        try:
            check_output(out, "report", self.case)
        except OutputRefused as refusal:
            if not refusal.forceable:
                QMessageBox.warning(self, "Export PDF", str(refusal))
                return False
            answer = QMessageBox.question(self, "Export PDF", f"{Path(out).name} exists and is not a Cellsight "
                                          "report. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
            self.force = True
        return True

    def output(self) -> str:
        return self.out.text().strip()

    def reports_places(self) -> bool:
        """Every pair is reported with every place of the case (as ``cellsight report`` does)."""
        return self.a.currentData() is None and bool(self.case.places)

    def options(self) -> dict[str, Any]:
        """The report's parameters. A place is judged within its own radius, as ``cellsight report``
        does: when places are reported the Settings distance (between people) is not passed, since
        the report has one distance for all its analyses and the pairs then use the 200 m default."""
        s = self.settings
        options: dict[str, Any] = {"method": s.proximity_method, "window_min": s.proximity_window_min,
                                   "gap_min": s.proximity_gap_min,
                                   "distance_m": None if self.reports_places() else s.proximity_distance_m}
        if self.a.currentData() is not None:
            options.update(a=self.a.currentData(), b=self.b.currentData())
        if self.force:
            options["force"] = True
        if self.encrypt.isChecked():
            options["password"] = self.password.text()
        return options
