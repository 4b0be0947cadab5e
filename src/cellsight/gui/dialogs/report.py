"""Export PDF: where to write it, which pair or places, who produces it, which period the schedule of
communications covers, whether to redact third parties for disclosure, and which exhibits to write
beside the storyboard (the schedule of communications as PDF and spreadsheet, the evidence appendix,
an SFR1-style short statement)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from cellsight.core.case import Case
from cellsight.core.outputs import OutputRefused, check_output
from cellsight.gui.dialogs.common import ok_cancel
from cellsight.gui.settings import AppSettings
from cellsight.report import producer as producers

EVERY_PAIR = "every suspect–victim pair"


class ReportDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Case, settings: AppSettings,
                 folder: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export PDF report")
        self.settings = settings
        self.case = case
        self.setMinimumWidth(680)  # wide enough to read a full path to the report
        start = Path(folder or Path.home()) / f"{case.info.name or 'report'}.pdf"
        self.out = QLineEdit(str(start))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        # The people by name and role, suspects offered first as the first person and victims as the second.
        def by_role(first: str) -> list[Any]:
            return sorted(case.subjects, key=lambda s: (s.role != first, s.name.lower()))

        self.a = QComboBox()
        self.a.addItem(EVERY_PAIR, None)
        for subject in by_role("suspect"):
            self.a.addItem(f"{subject.name} ({subject.role})", subject.name)
        self.b = QComboBox()
        self.b.addItem("—", None)
        for subject in by_role("victim"):
            self.b.addItem(f"{subject.name} ({subject.role})", subject.name)
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Whose phone (suspect)", self.a)
        form.addRow("Near or in contact with", self.b)
        # Who produces it: this computer's settings, else what the case holds, else its officer.
        who = producers.for_case(case, **settings.producer_overrides())
        self.producer = who
        self.producer_name = QLineEdit(who.name)
        self.producer_rank = QLineEdit(who.rank)
        self.producer_force = QLineEdit(who.force)
        people = QGroupBox("Produced by (the declaration's wording is in Settings)")
        pform = QFormLayout(people)
        pform.addRow("Name", self.producer_name)
        pform.addRow("Rank or role", self.producer_rank)
        pform.addRow("Force", self.producer_force)
        self.chronology_from = QLineEdit()
        self.chronology_to = QLineEdit()
        for edit in (self.chronology_from, self.chronology_to):
            edit.setPlaceholderText("YYYY-MM-DD (blank: all)")
        period = QHBoxLayout()
        period.addWidget(QLabel("from"))
        period.addWidget(self.chronology_from, 1)
        period.addWidget(QLabel("to"))
        period.addWidget(self.chronology_to, 1)
        form.addRow("Schedule period", period)
        self.redact = QCheckBox("Redact for disclosure: other people's numbers and names become Third party 1, 2, …")
        self.schedule = QCheckBox("Also write the full schedule of communications (PDF and spreadsheet)")
        self.appendix = QCheckBox("Also write the evidence appendix (every hit of every occasion, further maps)")
        for box in (self.schedule, self.appendix):
            box.setChecked(True)
        self.statement = QCheckBox("Also write a short statement (SFR1 style) beside the report")
        hint = QLabel("The storyboard holds a written summary, the key events, the messages of concern, each "
                      "analysis with its method, parameters, limitations, results and maps, your storyboard frames "
                      "and every exhibit with its SHA-256. The schedule and the appendix are exhibits of their "
                      "own, named after the storyboard, each listed in it with its SHA-256. Proximity to a place "
                      "uses the place's radius.")
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
        layout.addWidget(people)
        layout.addWidget(self.redact)
        layout.addWidget(self.schedule)
        layout.addWidget(self.appendix)
        layout.addWidget(self.statement)
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
        for edit in (self.chronology_from, self.chronology_to):
            text = edit.text().strip()
            try:
                if text:
                    pd.Timestamp(text)
            except ValueError:
                QMessageBox.warning(self, "Export PDF", f"{text!r} is not a date: write it as 2025-10-31.")
                return
        if not self._producer_stated():
            return
        if not all(self._may_write(path) for path in (self.output(), self.statement_path()) if path):
            return
        super().accept()

    def _producer_stated(self) -> bool:
        """The cover and the declaration name the producer's rank and force: ask before writing without them."""
        missing = [what for what, edit in (("rank or role", self.producer_rank), ("force", self.producer_force))
                   if not edit.text().strip()]
        if not missing:
            return True
        answer = QMessageBox.question(self, "Export PDF", f"The cover and the declaration name the producer's "
                                      f"{' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                                      "blank. Write the report without?")
        return answer == QMessageBox.StandardButton.Yes

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

    def statement_path(self) -> str | None:
        """Where the SFR1-style statement goes when asked for: beside the report, named after it."""
        if not self.statement.isChecked() or not self.output():
            return None
        out = Path(self.output())
        return str(out.with_name(out.stem + " SFR1 statement.pdf"))

    def reports_places(self) -> bool:
        """Every pair is reported with every place of the case (as ``cellsight report`` does)."""
        return self.a.currentData() is None and bool(self.case.places)

    def options(self) -> dict[str, Any]:
        """The report's parameters. A place is judged within its own radius, as ``cellsight report``
        does: when places are reported the Settings distance (between people) is not passed, since
        the report has one distance for all its analyses and the pairs then use the 200 m default."""
        s = self.settings
        # The default method (location fixes) also brings cell sites in as corroboration, as the command does.
        method = None if s.proximity_method == "gps" else s.proximity_method
        options: dict[str, Any] = {"method": method, "window_min": s.proximity_window_min,
                                   "gap_min": s.proximity_gap_min,
                                   "distance_m": None if self.reports_places() else s.proximity_distance_m}
        if self.a.currentData() is not None:
            options.update(a=self.a.currentData(), b=self.b.currentData())
        if self.force:
            options["force"] = True
        if self.encrypt.isChecked():
            options["password"] = self.password.text()
        options["producer"] = self.producer.merged(name=self.producer_name.text().strip(),
                                                   rank=self.producer_rank.text().strip(),
                                                   force=self.producer_force.text().strip())
        options["redact"] = self.redact.isChecked()
        options["chronology_from"] = self.chronology_from.text().strip() or None
        options["chronology_to"] = self.chronology_to.text().strip() or None
        if self.statement.isChecked():
            options["statement"] = self.statement_path()
        if not self.schedule.isChecked():
            options["schedule"] = False
        if not self.appendix.isChecked():
            options["appendix"] = False
        return options
