"""The mapping dialog: teach Cellsight a table layout it does not recognise.

It shows the first rows of the file, lets the officer pick the header row and
a role for each column, the date format and the zone the times are written
in, and previews live what the importer makes of the file with that mapping
(the parsed rows and the rejections, from a sample of the file). The mapping
is an ordinary template (``importers.templates``), so "Save as template"
writes the same JSON file that ``cellsight import --template`` reads.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QMessageBox, QPlainTextEdit, QPushButton, QSpinBox, QSplitter, QTableView, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from cellsight.core.case import Case
from cellsight.core.schema import DIRECTIONS, EVENT_KINDS
from cellsight.gui.dialogs.common import zone_combo, zone_value
from cellsight.gui.models.frame_model import FrameModel
from cellsight.importers import registry, tabular
from cellsight.importers.base import ImportFailure, ImportOptions
from cellsight.importers.templates import DURATION_UNITS, ROLES, Template, TemplateError, save_template
from cellsight.progress import NullProgress
from cellsight.gui.dialogs.import_summary import plain_words
from cellsight.gui.markup import esc

PREVIEW_ROWS = 30
SAMPLE_LINES = 300  # the live preview parses this many lines of a text file
PREVIEW_DELAY_MS = 350
NOT_STATED = "(not stated: asked at import)"
PREVIEW_COLUMNS = {"events": ["start", "kind", "direction", "party_a", "party_b", "duration_s", "cell_first"],
                   "cells": ["key", "site", "lat", "lon", "azimuth", "beamwidth"]}
PREVIEW_HEADINGS = {"start": "Time", "kind": "Kind", "direction": "Direction", "party_a": "Caller (A)",
                    "party_b": "Called (B)", "duration_s": "Seconds", "cell_first": "First cell",
                    "key": "Cell", "site": "Site", "lat": "Latitude", "lon": "Longitude",
                    "azimuth": "Azimuth", "beamwidth": "Beamwidth"}
# What each role is called in the dialog: words for an officer, not the template's names.
ROLE_LABELS = {
    "ignore": "— not read —", "start": "date and time", "date": "date", "time": "time of day",
    "end": "end time", "duration": "duration", "party_a": "caller (A party)",
    "party_b": "called number (B party)", "other_party": "other party's number",
    "target": "the phone the records are for", "direction": "direction (in/out)",
    "event": "event type (call, SMS…)", "status": "call status", "cell_first": "first cell (CGI)",
    "cell_last": "last cell (CGI)", "lac_first": "first cell's LAC/TAC", "ci_first": "first cell's CI/ECI",
    "lac_last": "last cell's LAC/TAC", "ci_last": "last cell's CI/ECI", "enodeb_first": "first cell's eNodeB",
    "sector_first": "first cell's sector", "enodeb_last": "last cell's eNodeB",
    "sector_last": "last cell's sector", "mcc": "country code (MCC)", "mnc": "network code (MNC)",
    "lat_first": "first site's latitude", "lon_first": "first site's longitude",
    "latlon_first": "first site's latitude/longitude", "site_first": "first site's address",
    "lat_last": "last site's latitude", "lon_last": "last site's longitude",
    "latlon_last": "last site's latitude/longitude", "site_last": "last site's address",
    "volume": "usage amount", "unit": "usage unit (seconds, bytes)", "imei": "handset (IMEI)",
    "imsi": "SIM (IMSI)", "cell": "cell (CGI or name)", "lac": "LAC/TAC", "ci": "CI/ECI",
    "enodeb": "eNodeB", "sector": "sector", "site": "site name", "lat": "latitude", "lon": "longitude",
    "easting": "OS grid easting", "northing": "OS grid northing", "azimuth": "azimuth",
    "beamwidth": "beamwidth", "technology": "technology (2G/3G/4G)", "range": "range (m)",
}


def guess_header_row(rows: list[list[str]]) -> int:
    """The first row with the most filled cells among the first rows (title rows have few)."""
    filled = [sum(1 for c in row if str(c).strip()) for row in rows]
    if not filled:
        return 0
    best = max(filled)
    return next(i for i, n in enumerate(filled) if n == best)


def guess_role(format_name: str, header: str) -> str:
    """The role the importer's own vocabulary gives a header ("ignore" when it has none)."""
    if format_name == "cdr":
        from cellsight.importers.cdr import column_role, site_role, volume_role

        role = column_role(header) or site_role(header) or volume_role(header)
        return role if role in ROLES["cdr"] else "ignore"
    text = tabular.header_text(header)
    for role in ROLES.get(format_name, ()):
        if role != "ignore" and text == role:
            return role
    return "ignore"


@dataclass
class Mapping:
    """The officer's mapping: a template, and the format it is for."""

    template: Template

    @property
    def format(self) -> str:
        return self.template.format

    def save(self, path: str | Path) -> None:
        save_template(self.template, path)


def sample_file(path: Path, folder: Path, lines: int = SAMPLE_LINES) -> Path:
    """A copy of the first ``lines`` lines of a text table (the whole file for spreadsheets).

    The copy has the file's own name (in ``folder``), so that a message the importer
    gives about it names the file the officer chose, not a temporary one.
    """
    if tabular.kind_of(path) != "csv":
        return path
    sample = folder / path.name
    with open(path, "rb") as source, open(sample, "wb") as handle:
        for number, line in enumerate(source):
            if number >= lines:
                break
            handle.write(line)
    return sample


def parse_codes(text: str) -> dict[str, str]:
    """Event codes typed one a line as ``CODE = kind/direction`` (``:`` works too)."""
    codes = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, meaning = line.replace(":", "=", 1).partition("=")
        if not sep or not code.strip() or not meaning.strip():
            raise TemplateError(f"event codes, line {number}: write CODE = kind/direction "
                                "(e.g. MOC = call/outgoing)")
        codes[code.strip()] = meaning.strip().replace(" ", "")
    return codes


class MappingDialog(QDialog):
    def __init__(self, parent: QWidget | None, case: Case, path: Path) -> None:
        super().__init__(parent)
        self.case, self.path = case, Path(path)
        self.setWindowTitle(f"Map the columns of {self.path.name}")
        self.resize(1100, 760)
        sheets = tabular.peek(self.path, max_rows=PREVIEW_ROWS + 20)
        self.rows = [list(map(str, r)) for r in (sheets[0][1] if sheets else [])]
        self._work = Path(tempfile.mkdtemp(prefix="cellsight-mapping-"))
        self.sample = sample_file(self.path, self._work)
        self._temp_template = self._work / f"mapping of {self.path.stem}.json"

        self.format = QComboBox()
        self.format.addItem("Call records (CDR)", "cdr")
        self.format.addItem("Cell site list", "cells")
        self.header_row = QSpinBox()
        self.header_row.setRange(1, max(len(self.rows), 1))
        self.header_row.setValue(guess_header_row(self.rows[:20]) + 1)
        self.date_format = QLineEdit()
        self.date_format.setPlaceholderText("automatic, or e.g. %d/%m/%Y %H:%M:%S")
        self.dayfirst = QComboBox()
        self.dayfirst.addItem("automatic", None)
        self.dayfirst.addItem("day first (UK: 31/12/2024)", True)
        self.dayfirst.addItem("month first (US: 12/31/2024)", False)
        self.zone = zone_combo("", allow_blank=NOT_STATED)
        self.duration_unit = QComboBox()
        self.duration_unit.addItems(DURATION_UNITS)
        self.codes = QPlainTextEdit()
        self.codes.setPlaceholderText("one a line, e.g.\nMOC = call/outgoing\nSMT = sms/incoming\nGPRS = data/")
        self.codes.setToolTip("What the file's event codes mean: kind (" + ", ".join(EVENT_KINDS) + ") / "
                              "direction (" + ", ".join(DIRECTIONS) + "); either part may be left out. "
                              "Saved in the template.")
        self.codes.setFixedHeight(90)
        self.grid = QTableWidget()
        self.grid.setAlternatingRowColors(True)
        self.grid.verticalHeader().setDefaultSectionSize(22)
        self.preview_model = FrameModel(pd.DataFrame(), zone=case.info.tz, headers=PREVIEW_HEADINGS)
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.verticalHeader().hide()
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)  # escaped text, an error in red
        self.unused_label = QLabel()  # every column the mapping leaves out, with why
        self.unused_label.setWordWrap(True)
        self.unused_label.setTextFormat(Qt.TextFormat.PlainText)
        self.unused_label.setObjectName("unused_columns")
        self._timer = QTimer(self)
        self._timer.setObjectName("mapping_preview_timer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self._role_boxes: list[QComboBox] = []

        options = QGroupBox("How to read it")
        form = QFormLayout(options)
        form.addRow("This file holds", self.format)
        form.addRow("Header row", self.header_row)
        form.addRow("Date and time format", self.date_format)
        form.addRow("Dates are written", self.dayfirst)
        form.addRow("Times are in zone", self.zone)
        form.addRow("Plain-number durations in", self.duration_unit)
        form.addRow("Event codes", self.codes)
        save = QPushButton("Save this mapping for other files…")
        save.setToolTip("Keep this mapping in a file, to read other files of the same layout with it")
        save.clicked.connect(self.save_as_template)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import with this mapping")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(save)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        grid_box = QWidget()
        grid_layout = QVBoxLayout(grid_box)
        grid_layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("The first rows of the file. In the top row, choose what each column holds; "
                      "columns left as “— not read —” are not imported.")
        hint.setObjectName("hint")
        grid_layout.addWidget(hint)
        grid_layout.addWidget(self.grid, 1)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("What Cellsight reads with this mapping")
        heading.setObjectName("heading")
        preview_layout.addWidget(heading)
        preview_layout.addWidget(self.preview_label)
        preview_layout.addWidget(self.unused_label)
        preview_layout.addWidget(self.preview, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(grid_box)
        splitter.addWidget(preview_box)
        top = QHBoxLayout()
        top.addWidget(options)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self.format.currentIndexChanged.connect(lambda _: self._fill_grid())
        self.header_row.valueChanged.connect(lambda _: self._fill_grid())
        for signal in (self.date_format.textChanged, self.dayfirst.currentIndexChanged,
                       self.zone.currentTextChanged, self.duration_unit.currentIndexChanged,
                       self.codes.textChanged):
            signal.connect(lambda *_: self._timer.start())
        self._fill_grid()

    # ----- the grid of first rows with a role per column --------------------------------------------------
    def header(self) -> list[str]:
        index = self.header_row.value() - 1
        return self.rows[index] if 0 <= index < len(self.rows) else []

    def _fill_grid(self) -> None:
        header = self.header()
        body = self.rows[self.header_row.value():][:PREVIEW_ROWS]
        fmt = self.format.currentData()
        self.grid.clear()
        self.grid.setColumnCount(len(header))
        self.grid.setRowCount(len(body) + 1)
        self.grid.setHorizontalHeaderLabels([h or f"(column {i + 1})" for i, h in enumerate(header)])
        self.grid.setVerticalHeaderLabels(["role"] + [str(self.header_row.value() + 1 + i)
                                                     for i in range(len(body))])
        self._role_boxes = []
        for column, name in enumerate(header):
            box = QComboBox()
            for role in ROLES[fmt]:
                box.addItem(ROLE_LABELS.get(role, role), role)
            box.setCurrentIndex(box.findData(guess_role(fmt, name)))
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.currentIndexChanged.connect(lambda *_: self._timer.start())
            self.grid.setCellWidget(0, column, box)
            self._role_boxes.append(box)
        for r, row in enumerate(body, start=1):
            for c in range(len(header)):
                item = QTableWidgetItem(row[c] if c < len(row) else "")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.grid.setItem(r, c, item)
        self.grid.resizeColumnsToContents()
        self._timer.start()

    def set_role(self, header: str, role: str) -> None:
        """Choose the role of the column headed ``header`` (what a click in the grid does)."""
        index = self.header().index(header)
        box = self._role_boxes[index]
        box.setCurrentIndex(box.findData(role))

    # ----- the mapping as a template ------------------------------------------------------------------
    def template(self) -> Template:
        columns = {name: box.currentData() for name, box in zip(self.header(), self._role_boxes)
                   if name.strip() and box.currentData() != "ignore"}
        return Template(name=self.path.stem, label=f"Layout of {self.path.name}", format=self.format.currentData(),
                        columns=columns, date_format=self.date_format.text().strip() or None,
                        dayfirst=self.dayfirst.currentData(), zone=zone_value(self.zone) or None,
                        duration_unit=self.duration_unit.currentText(),
                        codes=parse_codes(self.codes.toPlainText()), auto=False)

    def mapping(self) -> Mapping:
        return Mapping(self.template())

    def update_preview(self) -> dict[str, Any]:
        """Parse the sample with the current mapping; show the rows and what was rejected."""
        self._timer.stop()
        try:
            template = self.template()
            save_template(template, self._temp_template)
            options = ImportOptions(case_tz=self.case.info.tz, region=self.case.info.region,
                                    template=self._temp_template)
            result = registry.get(template.format).read(self.sample, options, NullProgress())
        except (ImportFailure, TemplateError, ValueError, KeyError) as exc:
            self.preview_model.set_frame(pd.DataFrame())
            self.preview_label.setText(f"<span style='color:#b71c1c'>{esc(plain_words(str(exc)))}</span>")
            self.unused_label.setText("")
            return {"ok": False, "error": plain_words(str(exc))}
        table = result.cells if template.format == "cells" else result.events
        wanted = PREVIEW_COLUMNS["cells" if template.format == "cells" else "events"]
        self.preview_model.set_frame(table[wanted].head(200).reset_index(drop=True), zone=self.case.info.tz)
        self.preview.resizeColumnsToContents()  # whole numbers and cells, never "+447700900…"
        reasons = "; ".join(f"row {row}: {why}" for row, why in result.rejections[:3])
        sampled = " (from the first rows of the file)" if self.sample != self.path else ""
        self.preview_label.setText(esc(
            f"{len(table):,} records read, {result.rejected:,} could not be used{sampled}. "
            f"Times shown in {self.case.info.tz}." + (f" Not used: {reasons}" if reasons else "")))
        unused = result.parameters.get("unused_columns", [])
        self.unused_label.setText("Columns not read: " + "; ".join(
            f"{u['column']} ({u['reason']})" for u in unused) if unused else "")
        return {"ok": True, "rows": len(table), "rejected": result.rejected}

    def save_as_template(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save template", f"{self.path.stem}.json",
                                              "Templates (*.json)")
        if not path:
            return None
        try:
            save_template(self.template(), path)
        except TemplateError as exc:
            QMessageBox.warning(self, "Save template", str(exc))
            return None
        return path

    def accept(self) -> None:
        outcome = self.update_preview()
        if not outcome["ok"]:
            QMessageBox.warning(self, "Mapping", f"This mapping cannot read the file yet: {outcome['error']}")
            return
        super().accept()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override: clean up the temporary files
        self._timer.stop()
        shutil.rmtree(self._work, ignore_errors=True)
        super().done(result)

    @classmethod
    def ask(cls, parent: QWidget | None, case: Case, path: Path) -> Mapping | None:
        dialog = cls(parent, case, path)
        return dialog.mapping() if dialog.exec() else None
