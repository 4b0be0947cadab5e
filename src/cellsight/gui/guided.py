"""A stalking case, step by step: the suspect, the victim, her home, the files, then a storyboard to review.

The wizard asks for what an officer knows at the start (names, numbers,
handsets, the victim's address as a position) and collects the exhibits;
nothing is created until Finish. Then the window takes over with its usual
paths: the case is made, the files go through the ordinary import flow (which
asks whose records each file holds), and when the last file is in, the
standard storyboard (``report.standard``) is built in a worker and added to
the storyboard through its model, for the officer to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import (
    QCheckBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QMessageBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget, QWizard, QWizardPage,
)

from cellsight.core.case import Case, CaseError
from cellsight.core.hub import Change
from cellsight.report.standard import standard_frames
from cellsight.report.storyboard import Storyboard
from cellsight.gui.workspace import Workspace


class GuidedHost(Protocol):
    """What the guided flow needs of the window: its workspace, and the usual ways in."""

    workspace: Workspace

    def set_case(self, case: Case | None, path: Any) -> None: ...

    def import_files(self, paths: list[str], template: str | None = None) -> Any: ...

    def show_pane(self, name: str) -> None: ...

    def find_occasions(self, a: str, b: str) -> Any: ...


def _items(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n,;]+", text) if part.strip()]


@dataclass
class GuidedCase:
    """What the officer told the wizard."""

    name: str
    reference: str
    officer: str
    suspect: str
    suspect_numbers: list[str]
    suspect_imeis: list[str]
    victim: str
    victim_numbers: list[str]
    victim_imeis: list[str]
    home: tuple[str, float, float, float, str] | None  # name, lat, lon, radius, note
    files: list[Path] = field(default_factory=list)

    def make_case(self, zone: str, region: str) -> Case:
        """The case with its two people and her home (raises CaseError for a number it cannot take)."""
        case = Case.new(name=self.name, reference=self.reference, officer=self.officer, tz=zone, region=region)
        case.set_subject(self.suspect, role="suspect", numbers=self.suspect_numbers, imeis=self.suspect_imeis)
        case.set_subject(self.victim, role="victim", numbers=self.victim_numbers, imeis=self.victim_imeis)
        if self.home is not None:
            name, lat, lon, radius, note = self.home
            case.set_place(name, lat, lon, radius, note)
        return case


def _page(title: str, subtitle: str) -> tuple[QWizardPage, QFormLayout]:
    page = QWizardPage()
    page.setTitle(title)
    page.setSubTitle(subtitle)
    form = QFormLayout(page)
    return page, form


class _PersonFields:
    def __init__(self, form: QFormLayout, example: str) -> None:
        self.name = QLineEdit()
        self.name.setPlaceholderText(example)
        self.numbers = QPlainTextEdit()
        self.numbers.setPlaceholderText("one number a line, in any format (07700 900123, +44 7700 900123)")
        self.numbers.setFixedHeight(64)
        self.imeis = QLineEdit()
        self.imeis.setPlaceholderText("the handset's IMEI, if known (several: separate with commas)")
        form.addRow("Name", self.name)
        form.addRow("Numbers", self.numbers)
        form.addRow("IMEIs", self.imeis)


class FileList(QListWidget):
    """The exhibits to import: files dropped here or chosen with Add files…."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)

    def add_paths(self, paths: list[str]) -> None:
        present = set(self.paths())
        for path in paths:
            if path and Path(path).is_file() and Path(path) not in present:
                self.addItem(str(path))
                present.add(Path(path))

    def paths(self) -> list[Path]:
        return [Path(self.item(i).text()) for i in range(self.count())]

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.add_paths([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])
        event.acceptProposedAction()


class GuidedCaseWizard(QWizard):
    """New stalking case: five short pages, nothing created until Finish."""

    def __init__(self, parent: QWidget | None, zone: str, region: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("New stalking case")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Create the case")
        self.setMinimumSize(640, 480)
        self.zone, self.region = zone, region

        page, form = _page("The case", f"Times will be shown in {zone}; national numbers read as {region} "
                                       "(Settings changes both for new cases).")
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Operation Larch")
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("crime or case reference")
        self.officer = QLineEdit()
        form.addRow("Name", self.name)
        form.addRow("Reference", self.reference)
        form.addRow("Officer", self.officer)
        self.addPage(page)

        page, form = _page("The suspect", "The person whose contact and movements you are examining.")
        self.suspect = _PersonFields(form, "e.g. Daniel Price")
        self.addPage(page)

        page, form = _page("The victim", "The person he contacted and followed.")
        self.victim = _PersonFields(form, "e.g. Sarah Holt")
        self.addPage(page)

        page, form = _page("Her home", "Where she lives, as a position (from a phone's map or an online map, "
                                       "in decimal degrees) and how near counts. Proximity to it is part of "
                                       "the standard storyboard.")
        self.has_home = QCheckBox("Add her home now")
        self.has_home.setChecked(True)
        self.home_name = QLineEdit()
        self.lat = QDoubleSpinBox()
        self.lon = QDoubleSpinBox()
        for spin, low, high in ((self.lat, -90, 90), (self.lon, -180, 180)):
            spin.setRange(low, high)
            spin.setDecimals(6)
        self.radius = QDoubleSpinBox()
        self.radius.setRange(1, 100_000)
        self.radius.setDecimals(0)
        self.radius.setValue(150)
        self.radius.setSuffix(" m")
        self.home_note = QLineEdit()
        self.home_note.setPlaceholderText("e.g. the address")
        for widget in (self.home_name, self.lat, self.lon, self.radius, self.home_note):
            self.has_home.toggled.connect(widget.setEnabled)
        form.addRow(self.has_home)
        form.addRow("Name", self.home_name)
        form.addRow("Latitude", self.lat)
        form.addRow("Longitude", self.lon)
        form.addRow("Within", self.radius)
        form.addRow("Note", self.home_note)
        self.home_page = self.addPage(page)
        self.currentIdChanged.connect(self._name_home)

        page = QWizardPage()
        page.setTitle("The files")
        page.setSubTitle("Drop the exhibits here, or add them: call records, phone downloads, location "
                         "histories, cell lists. For each, Cellsight asks whose records it holds.")
        self.files = FileList()
        add = QPushButton("Add files…")
        add.clicked.connect(self._choose_files)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_files)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        after = QLabel("When the last file is in, the standard storyboard is built for you to review: contact "
                       "by day, the busiest day, occasions near her and near her home, and messages of "
                       "concern.")
        after.setWordWrap(True)
        after.setObjectName("hint")
        layout = QVBoxLayout(page)
        layout.addWidget(self.files, 1)
        layout.addLayout(buttons)
        layout.addWidget(after)
        self.addPage(page)
        self.answer: GuidedCase | None = None
        self.case: Case | None = None

    def _name_home(self, page: int) -> None:
        if page == self.home_page and not self.home_name.text().strip():
            self.home_name.setText(f"{self.victim.name.text().strip() or 'Her'}'s home")

    def _remove_files(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Exhibits to import", str(Path.home()), "All files (*)")
        self.files.add_paths(paths)

    def validateCurrentPage(self) -> bool:  # noqa: N802 - Qt override
        page = self.currentId()
        needed = {1: (self.suspect.name, "the suspect"), 2: (self.victim.name, "the victim")}.get(page)
        if needed is not None and not needed[0].text().strip():
            QMessageBox.warning(self, "New stalking case", f"Give {needed[1]}'s name.")
            return False
        if page == 3 and self.has_home.isChecked() and not self.home_name.text().strip():
            QMessageBox.warning(self, "New stalking case", "Give the place a name, or untick Add her home now.")
            return False
        return super().validateCurrentPage()

    def collected(self) -> GuidedCase:
        home = None
        if self.has_home.isChecked():
            home = (self.home_name.text().strip(), self.lat.value(), self.lon.value(), self.radius.value(),
                    self.home_note.text().strip())
        return GuidedCase(name=self.name.text().strip(), reference=self.reference.text().strip(),
                          officer=self.officer.text().strip(), suspect=self.suspect.name.text().strip(),
                          suspect_numbers=_items(self.suspect.numbers.toPlainText()),
                          suspect_imeis=_items(self.suspect.imeis.text()),
                          victim=self.victim.name.text().strip(),
                          victim_numbers=_items(self.victim.numbers.toPlainText()),
                          victim_imeis=_items(self.victim.imeis.text()), home=home, files=self.files.paths())

    def accept(self) -> None:
        answer = self.collected()
        try:
            self.case = answer.make_case(self.zone, self.region)
        except CaseError as exc:  # a number that cannot be read, or given to both people
            QMessageBox.warning(self, "New stalking case", str(exc))
            return
        self.answer = answer
        super().accept()


def start(window: GuidedHost, answer: GuidedCase, case: Case) -> None:
    """Show ``case``, import the files through the usual flow, then build the storyboard for review."""
    window.set_case(case, None)
    home = answer.home[0] if answer.home else None
    if not answer.files:
        build_storyboard(window, answer.suspect, answer.victim, home)
        return
    flow = window.import_files([str(p) for p in answer.files])
    flow.destroyed.connect(lambda *_: build_storyboard(window, answer.suspect, answer.victim, home))


def build_storyboard(window: GuidedHost, suspect: str, victim: str, home: str | None) -> Any:
    """Build the standard storyboard in a worker and add it (through the model) for review.

    Then the occasions of the suspect near the victim are found as the proximity
    pane finds them, so the map and the proximity pane show what the storyboard
    says, without the officer running the analysis again.
    """
    ws = window.workspace
    case = ws.case
    if case is None:
        return None
    s = ws.settings
    home = home if home and case.find_place(home) is not None else None

    def work(progress: Any) -> Any:
        return standard_frames(case, suspect, victim, home, method=s.proximity_method,
                               distance_m=s.proximity_distance_m, window_min=s.proximity_window_min,
                               gap_min=s.proximity_gap_min)

    def built(frames: Any) -> None:
        if ws.case is not case:
            return
        board = Storyboard.load(case)
        for frame in frames:
            board.add(frame)
        board.save(case)
        ws.changed(Change.STORYBOARD, window)
        window.show_pane("storyboard")
        ws.status(f"Built the standard storyboard ({len(frames)} frames) for you to review: check each "
                  "frame before you export the PDF", 12000)
        window.find_occasions(suspect, victim)

    return ws.run("Building the standard storyboard…", work, on_success=built)


def guided_case(parent: QWidget, window: GuidedHost) -> None:
    """Ask with the wizard (over ``parent``), then ``start``; nothing happens if the officer cancels."""
    settings = window.workspace.settings
    wizard = GuidedCaseWizard(parent, settings.zone, settings.region)
    if wizard.exec() and wizard.case is not None:
        start(window, wizard.answer, wizard.case)
