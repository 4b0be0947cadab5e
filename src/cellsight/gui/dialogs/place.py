"""Add a place: a name, a position, a radius and its router's BSSIDs (the victim's home, her workplace)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QDialog, QDoubleSpinBox, QFormLayout, QLineEdit, QMessageBox, QVBoxLayout, QWidget

from cellsight.core.bssid import normalise_bssid
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
        self.bssids = QLineEdit()
        self.bssids.setPlaceholderText("optional: a4:91:b1:3c:52:e0, a4:91:b1:3c:52:e4")
        self.bssids.setToolTip("The BSSIDs of the place's Wi-Fi router, one per band, separated by commas: "
                               "a phone download that saved one of them is a device finding")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Latitude", self.lat)
        form.addRow("Longitude", self.lon)
        form.addRow("Radius", self.radius)
        form.addRow("Note", self.note)
        form.addRow("Router BSSIDs", self.bssids)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, "Save"))

    def apply(self) -> bool:
        written = [w for w in re.split(r"[,;\s]+", self.bssids.text()) if w]
        bad = next((w for w in written if normalise_bssid(w) is None), None)
        if bad is not None:  # checked before the place changes
            QMessageBox.warning(self.parentWidget(), "Place", f"{bad!r} is not a BSSID (six hexadecimal pairs)")
            return False
        try:
            place = self.case.set_place(self.name.text(), self.lat.value(), self.lon.value(), self.radius.value(),
                                        self.note.text())
            if written:
                self.case.add_bssids(place.name, written)
        except CaseError as exc:
            QMessageBox.warning(self.parentWidget(), "Place", str(exc))
            return False
        return True
