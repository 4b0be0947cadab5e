"""Prepare offline map: which area, which zooms, into which file; the count and the warning first.

The only place in the workstation that leads to network traffic, so it says
plainly what will happen before anything does: the tile server (from Settings;
none is built in) will receive a request for every tile of the area, and so
learns where the investigation is looking. Download stays disabled until the
officer ticks that they understand, and while the count is over the limit set
in Settings. The download itself runs in the map pane's worker with a progress
dialog and Cancel (``MapPane.download``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QPushButton, QRadioButton, QSpinBox, QVBoxLayout, QWidget,
)

from cellsight.gui.markup import esc
from cellsight.report import tilepack
from cellsight.report.tileset import Area, TilesetError, pad_area

DEFAULT_ZOOMS = (12, 16)


class PrepareMapDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Any, settings: Any, case_path: Path | None,
                 view: Area | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Prepare offline map")
        self.settings = settings
        self.view = view
        self.server: tilepack.TileServer | None = None
        self.plan: tilepack.Plan | None = None
        problem = ""
        try:
            self.server = tilepack.TileServer(settings.tile_url, settings.tile_attribution,
                                              contact=settings.tile_contact, rate=settings.tile_rate,
                                              max_tiles=settings.tile_max)
        except tilepack.TilePackError as exc:
            problem = str(exc) if settings.tile_url.strip() else "no tile server is set"
        try:
            self.case_bounds: Area | None = tilepack.case_area(case, 0)
        except tilepack.TilePackError:
            self.case_bounds = None

        intro = QLabel("Downloads the map tiles of an area once, into an MBTiles file on this computer. "
                       "The Map pane and the PDF's maps then show streets with no network.")
        intro.setWordWrap(True)
        if self.server is not None:
            source = QLabel(f"From <b>{esc(tilepack.server_host(self.server.url))}</b>, credited as "
                            f"“{esc(self.server.attribution)}”; at most {self.server.rate:g} tiles a second.")
        else:
            source = QLabel(f"Cannot download: {esc(problem)}. Set the tile server's URL and attribution in "
                            "<b>Edit › Settings</b> first.")
        source.setWordWrap(True)

        self.whole = QRadioButton("The case's fixes, cell sites and places, with a margin of")
        self.visible = QRadioButton("The map's current view")
        group = QButtonGroup(self)
        group.addButton(self.whole)
        group.addButton(self.visible)
        self.whole.setChecked(self.case_bounds is not None or view is None)
        self.visible.setChecked(not self.whole.isChecked())
        self.whole.setEnabled(self.case_bounds is not None)
        self.visible.setEnabled(view is not None)
        self.margin = QSpinBox()
        self.margin.setRange(0, 20_000)
        self.margin.setSingleStep(100)
        self.margin.setValue(int(tilepack.DEFAULT_MARGIN_M))
        self.margin.setSuffix(" m")
        whole_row = QHBoxLayout()
        whole_row.addWidget(self.whole)
        whole_row.addWidget(self.margin)
        whole_row.addStretch(1)

        self.low = QSpinBox()
        self.high = QSpinBox()
        for spin, value in ((self.low, DEFAULT_ZOOMS[0]), (self.high, DEFAULT_ZOOMS[1])):
            spin.setRange(0, tilepack.MAX_ZOOM)
            spin.setValue(value)
        zoom_row = QHBoxLayout()
        zoom_row.addWidget(self.low)
        zoom_row.addWidget(QLabel("to"))
        zoom_row.addWidget(self.high)
        zoom_row.addWidget(QLabel("(16: streets; 17–18: buildings and car parks)"))
        zoom_row.addStretch(1)

        folder = case_path.parent if case_path else Path.home()
        stem = case_path.stem if case_path else (case.info.name or "case")
        self.out = QLineEdit(str(folder / f"{stem}-map.mbtiles"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)

        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        host = tilepack.server_host(self.server.url) if self.server else "the tile server"
        warning = QLabel(f"<b>Before you download:</b> {esc(tilepack.area_warning(host))}")
        warning.setWordWrap(True)
        warning.setObjectName("warning")
        warning.setStyleSheet("QLabel#warning { background: #fff4e5; border: 1px solid #e0a030; padding: 6px; }")
        self.confirm = QCheckBox("I understand that the tile server learns the area of this case")

        form = QFormLayout()
        form.addRow("Area", whole_row)
        form.addRow("", self.visible)
        form.addRow("Zooms", zoom_row)
        form.addRow("Save as", out_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.download = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.download.setText("Download")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(source)
        layout.addLayout(form)
        layout.addWidget(self.estimate)
        layout.addWidget(warning)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        for signal in (self.whole.toggled, self.margin.valueChanged, self.low.valueChanged,
                       self.high.valueChanged, self.out.editingFinished, self.confirm.toggled):
            signal.connect(self._update)
        self.resize(640, self.sizeHint().height())
        self._update()

    def area(self) -> Area | None:
        if self.whole.isChecked() and self.case_bounds is not None:
            return pad_area(self.case_bounds, self.margin.value())
        return self.view if self.visible.isChecked() else None

    def _update(self) -> None:
        """The count for what is chosen now, and whether Download may be pressed."""
        self.margin.setEnabled(self.whole.isChecked())
        area = self.area()
        self.plan = None
        ready = False
        if area is None:
            self.estimate.setText("There is no area to prepare: the case has no located fixes, cell sites or places.")
        elif self.low.value() > self.high.value():
            self.estimate.setText("The first zoom must not be above the last.")
        else:
            try:
                self.plan = tilepack.plan(area, range(self.low.value(), self.high.value() + 1), self.out.text())
            except TilesetError as exc:
                self.estimate.setText(esc(exc))
            else:
                ready = self._describe(self.plan)
        self.download.setEnabled(ready and self.server is not None and self.confirm.isChecked())

    def _describe(self, plan: tilepack.Plan) -> bool:
        limit = self.settings.tile_max
        text = esc(plan.describe()) + "."
        if plan.to_fetch > limit:
            self.estimate.setText(f"{text} <b style='color:#b3261e'>That is more than the limit of {limit:,} "
                                  "(Settings)</b>: choose fewer zooms or a smaller area.")
            return False
        minutes = plan.to_fetch / max(self.settings.tile_rate, 0.1) / 60
        when = "under a minute" if minutes < 1 else f"about {minutes:.0f} minutes"
        self.estimate.setText(f"{text} At {self.settings.tile_rate:g} tiles a second, {when}. A download that "
                              "stops can be resumed: prepare the same file again.")
        return True

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the offline map as", self.out.text(),
                                              "MBTiles (*.mbtiles)")
        if path:
            self.out.setText(path if path.endswith(".mbtiles") else path + ".mbtiles")
            self._update()

    def request(self) -> tuple[Area, range, tilepack.TileServer, str]:
        """What to download: (area, zooms, server, file), as ``MapPane.download`` takes it."""
        assert self.plan is not None and self.server is not None
        return self.plan.area, self.plan.zooms, self.server, self.out.text().strip()
