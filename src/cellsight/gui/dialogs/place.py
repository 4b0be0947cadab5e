"""Add a place: a name, a position and a radius (the victim's home, her workplace)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDoubleSpinBox, QFormLayout, QLineEdit, QMessageBox, QVBoxLayout, QWidget

from cellsight.core.case import Case, CaseError
from cellsight.gui.dialogs.common import ok_cancel


def _spin(low: float, high: float, decimals: int, value: float = 0.0, suffix: str = "") -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class PlaceDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Case) -> None:
        super().__init__(parent)
        self.case = case
        self.setWindowTitle("Add place")
        self.setMinimumWidth(440)  # room to read a note of a sentence
        self.name = QLineEdit()
        self.lat = _spin(-90, 90, 6, 51.5)
        self.lon = _spin(-180, 180, 6, -0.1)
        self.radius = _spin(1, 100_000, 0, 100, " m")
        self.note = QLineEdit()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Latitude", self.lat)
        form.addRow("Longitude", self.lon)
        form.addRow("Radius", self.radius)
        form.addRow("Note", self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, "Save"))

    def apply(self) -> bool:
        try:
            self.case.set_place(self.name.text(), self.lat.value(), self.lon.value(), self.radius.value(),
                                self.note.text())
        except CaseError as exc:
            QMessageBox.warning(self.parentWidget(), "Place", str(exc))
            return False
        return True
