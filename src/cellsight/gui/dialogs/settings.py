"""Settings: default region and zone for new cases and imports, base map, proximity defaults, and the
report's producer and declaration."""

from __future__ import annotations

from dataclasses import asdict, replace

from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton, QRadioButton, QSpinBox, QTabWidget,
    QVBoxLayout, QWidget,
)

from cellsight.core.timezones import ZoneError, check_zone
from cellsight.gui.dialogs.common import ok_cancel, zone_combo, zone_value
from cellsight.gui.markup import esc
from cellsight.gui.settings import AppSettings
from cellsight.report.tilepack import TilePackError, check_template
from cellsight.report.tileset import TilesetError, read_info
from cellsight.report.producer import DEFAULT_DECLARATION, PLACEHOLDERS, unknown_placeholders


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

        basemap = self._basemap_group(settings)
        server = self._tile_server_group(settings)

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
        # Three tabs rather than one long page: all of it stacked is taller than a laptop's screen.
        self.tabs = QTabWidget()
        for title, groups in (("Cases", (defaults, prox)), ("Maps", (basemap, server)),
                              ("Reports", (producer,))):
            page = QWidget()
            column = QVBoxLayout(page)
            for group in groups:
                column.addWidget(group)
            column.addStretch(1)
            self.tabs.addTab(page, title)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(hint)
        layout.addWidget(ok_cancel(self, "Save"))

    def _basemap_group(self, settings: AppSettings) -> QGroupBox:
        """None, or an MBTiles file (what the Map pane and the PDF's maps draw under the data)."""
        group = QGroupBox("Base map")
        self.none = QRadioButton("None: a plain grid (works anywhere, reveals nothing)")
        self.mbtiles = QRadioButton("A local MBTiles file (streets; the PDF's maps use it too)")
        buttons = QButtonGroup(group)
        for button in (self.none, self.mbtiles):
            buttons.addButton(button)
        (self.mbtiles if settings.basemap == "mbtiles" else self.none).setChecked(True)
        self.mbtiles_path = QLineEdit(settings.mbtiles_path)
        self.mbtiles_path.setPlaceholderText("a .mbtiles file on this computer")
        self.mbtiles_info = QLabel()
        self.mbtiles_info.setObjectName("hint")
        self.mbtiles_info.setWordWrap(True)
        self.mbtiles_path.textChanged.connect(self._describe_file)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.mbtiles_path, 1)
        path_row.addWidget(browse)
        box = QVBoxLayout(group)
        box.addWidget(self.none)
        box.addWidget(self.mbtiles)
        box.addLayout(path_row)
        box.addWidget(self.mbtiles_info)
        self._describe_file()
        return group

    def _tile_server_group(self, settings: AppSettings) -> QGroupBox:
        """The server that "Prepare offline map…" downloads from: nothing is built in."""
        group = QGroupBox("Tile server, for preparing offline maps")
        self.tile_url = QLineEdit(settings.tile_url)
        self.tile_url.setPlaceholderText("your map service's tile address, with {z}, {x} and {y}")
        self.tile_attribution = QLineEdit(settings.tile_attribution)
        self.tile_attribution.setPlaceholderText("the credit its usage policy asks for")
        self.tile_contact = QLineEdit(settings.tile_contact)
        self.tile_contact.setPlaceholderText("optional: an e-mail the server's operator can reach")
        self.tile_rate = self._spin(settings.tile_rate, 50, " tiles a second")
        self.tile_rate.setMinimum(0.1)
        self.tile_max = QSpinBox()
        self.tile_max.setRange(1, 1_000_000)
        self.tile_max.setGroupSeparatorShown(True)
        self.tile_max.setValue(settings.tile_max)
        self.tile_max.setSuffix(" tiles a map")
        # Broken by hand, not wrapped: a wrapped label in a group box gets less height than it needs.
        hint = QLabel("Used only by <b>Offline map…</b> on the Map pane, after you confirm<br>(the server "
                      "learns the case's area). The map itself never goes on the network.")
        hint.setObjectName("hint")
        box = QVBoxLayout(group)
        box.addWidget(hint)
        form = QFormLayout()
        box.addLayout(form)
        form.addRow("Tile URL", self.tile_url)
        form.addRow("Attribution", self.tile_attribution)
        form.addRow("Your contact", self.tile_contact)
        pace = QHBoxLayout()
        pace.addWidget(self.tile_rate)
        pace.addWidget(self.tile_max)
        form.addRow("At most", pace)
        return group

    def _describe_file(self) -> None:
        path = self.mbtiles_path.text().strip()
        if not path:
            self.mbtiles_info.setText("No file chosen. Prepare one for a case with <b>Offline map…</b> on "
                                      "the Map pane.")
            return
        try:
            self.mbtiles_info.setText(esc(read_info(path).describe()))
        except TilesetError as exc:
            self.mbtiles_info.setText(esc(exc))

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
        new = replace(self.original, region=self.region.text().strip().upper() or "GB",
                      zone=zone_value(self.zone), basemap="mbtiles" if self.mbtiles.isChecked() else "none",
                      mbtiles_path=self.mbtiles_path.text().strip(), tile_url=self.tile_url.text().strip(),
                      tile_attribution=self.tile_attribution.text().strip(),
                      tile_contact=self.tile_contact.text().strip(), tile_rate=self.tile_rate.value(),
                      tile_max=self.tile_max.value(),
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
        problem = self._basemap_problem()
        if problem:
            QMessageBox.warning(self, "Settings", problem)
            return
        unknown = unknown_placeholders(self.declaration.toPlainText())
        if unknown:
            QMessageBox.warning(self, "Settings", "The declaration names placeholders that do not exist: "
                                + ", ".join("{" + u + "}" for u in unknown) + ".")
            return
        super().accept()

    def _basemap_problem(self) -> str | None:
        """Why the base-map settings cannot be saved as they are, or None."""
        if self.mbtiles.isChecked():
            try:
                read_info(self.mbtiles_path.text().strip() or "(no file chosen)")
            except TilesetError as exc:
                return str(exc)
        url = self.tile_url.text().strip()
        if url:
            try:
                check_template(url)
            except TilePackError as exc:
                return f"The {exc}."
            if not self.tile_attribution.text().strip():
                return "Give the tile server's attribution: its usage policy asks for it, and the maps show it."
        return None
