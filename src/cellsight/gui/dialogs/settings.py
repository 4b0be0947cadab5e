"""Settings: default region and zone for new cases and imports, base map, proximity defaults, and the
report's producer and declaration."""

from __future__ import annotations

from dataclasses import asdict, replace

from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from cellsight.core.timezones import ZoneError, check_zone
from cellsight.gui.dialogs.common import ok_cancel, zone_combo, zone_value
from cellsight.gui.settings import AppSettings
from cellsight.report.producer import DEFAULT_DECLARATION, PLACEHOLDERS, unknown_placeholders


TILE_PARTS = ("{z}", "{x}", "{y}")  # a tile URL names the zoom, column and row


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, settings: AppSettings) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(600)  # the declaration is a paragraph: room to read it
        self.original = settings
        self.changed: list[str] = []
        self.region = QLineEdit(settings.region)
        self.region.setMaxLength(2)
        self.zone = zone_combo(settings.zone)
        # Imports read numbers and zones by the open case's own settings (chosen when it was made),
        # so these are only what a new case starts with: the label says no more than that.
        defaults = QGroupBox("New cases start with")
        defaults.setToolTip("A case keeps the country and zone it was made with; imports into it use "
                            "those, not these.")
        form = QFormLayout(defaults)
        form.addRow("Numbers from (country)", self.region)
        form.addRow("Time zone", self.zone)

        basemap = QGroupBox("Base map")
        self.none = QRadioButton("None: a plain grid (works anywhere, reveals nothing)")
        self.mbtiles = QRadioButton("A local MBTiles file")
        self.url = QRadioButton("A tile server (internal network only)")
        group = QButtonGroup(self)
        for button in (self.none, self.mbtiles, self.url):
            group.addButton(button)
        {"none": self.none, "mbtiles": self.mbtiles, "url": self.url}[settings.basemap].setChecked(True)
        self.mbtiles_path = QLineEdit(settings.mbtiles_path)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.tile_url = QLineEdit(settings.tile_url)
        self.tile_url.setPlaceholderText("https://tiles.example.police.uk/{z}/{x}/{y}.png")
        path_row = QHBoxLayout()
        path_row.addWidget(self.mbtiles_path, 1)
        path_row.addWidget(browse)
        box = QVBoxLayout(basemap)
        box.addWidget(self.none)
        box.addWidget(self.mbtiles)
        box.addLayout(path_row)
        box.addWidget(self.url)
        box.addWidget(self.tile_url)

        prox = QGroupBox("Proximity defaults")
        pform = QFormLayout(prox)
        self.method = QComboBox()
        for label, value in (("GPS and other fixes", "gps"), ("Cell sites", "cell"), ("Both", "any")):
            self.method.addItem(label, value)
        self.method.setCurrentIndex(max(self.method.findData(settings.proximity_method), 0))
        self.distance = self._spin(settings.proximity_distance_m, 100_000, " m")
        self.window = self._spin(settings.proximity_window_min, 24 * 60, " min")
        self.gap = self._spin(settings.proximity_gap_min, 7 * 24 * 60, " min")
        pform.addRow("Method", self.method)
        pform.addRow("Distance", self.distance)
        pform.addRow("Window", self.window)
        pform.addRow("Gap", self.gap)
        producer = self._producer_box(settings)
        hint = QLabel("These are settings of this computer, not of a case.")
        hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(defaults)
        layout.addWidget(basemap)
        layout.addWidget(prox)
        layout.addWidget(producer)
        layout.addWidget(hint)
        layout.addWidget(ok_cancel(self, "Save"))

    def _producer_box(self, settings: AppSettings) -> QGroupBox:
        """Who produces reports here and the declaration they sign (blank: the case's, else its officer)."""
        box = QGroupBox("Reports are produced by")
        form = QFormLayout(box)
        self.producer_name = QLineEdit(settings.producer_name)
        self.producer_name.setPlaceholderText("blank: the producer stored in the case, else its officer")
        self.producer_rank = QLineEdit(settings.producer_rank)
        self.producer_rank.setPlaceholderText("Detective Constable, Intelligence analyst…")
        self.producer_force = QLineEdit(settings.producer_force)
        self.declaration = QPlainTextEdit(settings.producer_declaration or DEFAULT_DECLARATION)
        self.declaration.setMinimumHeight(110)
        reset = QPushButton("Default wording")
        reset.clicked.connect(lambda: self.declaration.setPlainText(DEFAULT_DECLARATION))
        names = ["{" + p + "}" for p in PLACEHOLDERS]
        half = (len(names) + 1) // 2
        # Two fixed lines: a word-wrapped label under a text box is given too little height by the form.
        fields = QLabel("Placeholders: " + ", ".join(names[:half]) + ",\n" + ", ".join(names[half:]))
        fields.setObjectName("hint")
        form.addRow("Name", self.producer_name)
        form.addRow("Rank or role", self.producer_rank)
        form.addRow("Force", self.producer_force)
        form.addRow("Declaration", self.declaration)
        form.addRow("", fields)
        form.addRow("", reset)
        return box

    def declaration_text(self) -> str:
        """The template as typed; the default wording is stored as empty, so it follows new versions."""
        text = self.declaration.toPlainText().strip()
        return "" if text == DEFAULT_DECLARATION else text

    @staticmethod
    def _spin(value: float, high: float, suffix: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0, high)
        spin.setDecimals(1)
        spin.setValue(value)
        spin.setSuffix(suffix)
        return spin

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "MBTiles file", self.mbtiles_path.text(),
                                              "MBTiles (*.mbtiles);;All files (*)")
        if path:
            self.mbtiles_path.setText(path)
            self.mbtiles.setChecked(True)

    def result_settings(self) -> AppSettings:
        basemap = "mbtiles" if self.mbtiles.isChecked() else "url" if self.url.isChecked() else "none"
        new = replace(self.original, region=self.region.text().strip().upper() or "GB",
                      zone=zone_value(self.zone), basemap=basemap,
                      mbtiles_path=self.mbtiles_path.text().strip(), tile_url=self.tile_url.text().strip(),
                      proximity_method=self.method.currentData(),
                      proximity_distance_m=self.distance.value(), proximity_window_min=self.window.value(),
                      proximity_gap_min=self.gap.value(), producer_name=self.producer_name.text().strip(),
                      producer_rank=self.producer_rank.text().strip(),
                      producer_force=self.producer_force.text().strip(),
                      producer_declaration=self.declaration_text())
        old = asdict(self.original)
        self.changed = [k for k, v in asdict(new).items() if old[k] != v]
        return new

    def accept(self) -> None:
        try:
            check_zone(zone_value(self.zone))
        except ZoneError as exc:
            QMessageBox.warning(self, "Settings", str(exc))
            return
        if self.url.isChecked() and not all(part in self.tile_url.text() for part in TILE_PARTS):
            QMessageBox.warning(self, "Settings", "A tile URL needs {z}, {x} and {y} in it.")
            return
        unknown = unknown_placeholders(self.declaration.toPlainText())
        if unknown:
            QMessageBox.warning(self, "Settings", "The declaration names placeholders that do not exist: "
                                + ", ".join("{" + u + "}" for u in unknown) + ".")
            return
        super().accept()
