"""The Proximity pane: when A was near B or a place, with the parameters in plain view.

The form holds the contract's parameters (method, distance, window, gap;
defaults from Settings). ``analysis.proximity.run`` works in a worker; the
occasions fill a table and, located, go to the map through the hub
(``ResultsChanged``). Choosing an occasion asks the map and the timeline to
zoom to it (``FocusRequested``); "Select its evidence" selects the source rows
behind it in every pane.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
    QPushButton, QTableView, QTextBrowser, QToolButton, QVBoxLayout,
)

from cellsight.analysis import proximity
from cellsight.core.case import CaseError
from cellsight.core.hub import Change, FocusRequested, ResultsChanged
from cellsight.core.selection import SourceRows
from cellsight.analysis.proximity_params import DEFAULT_PLACE_RADIUS_M  # "Within" for a place with no radius
from cellsight.gui.models.frame_model import FrameModel
from cellsight.gui.panes.base import Pane
from cellsight.report.build import occasion_points
from cellsight.report.standard import OCCASION_COLUMNS, occasions_frame as occasions_table_frame
from cellsight.report.storyboard import Frame
from cellsight.gui.markup import esc
from cellsight.gui.workspace import Workspace

COLUMNS = ["#", "start", "end", "hits", "closest_m", "evidence", "rows"]
# The storyboard's table says "Closest (m)" and "Source rows"; the narrow pane says it shorter.
HEADERS = {**dict(zip(COLUMNS, OCCASION_COLUMNS)), "closest_m": "Near (m)", "rows": "Rows"}
PLACE_PREFIX = "Place: "
METERS_PER_DEGREE = 111_320.0


def occasions_frame(doc: dict[str, Any]) -> pd.DataFrame:
    """The occasions as a table whose times are real times (shown in the court form, sorted as times)."""
    rows = []
    for i, o in enumerate(doc.get("occasions", []), start=1):
        evidence = o.get("evidence") or {}
        rows.append({"#": i, "start": pd.Timestamp(o["start"]), "end": pd.Timestamp(o["end"]),
                     "hits": o["hits"], "closest_m": o["min_distance_m"],
                     "evidence": ", ".join(evidence.get("methods", [])),
                     "rows": len(evidence.get("rows", []))})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("start", "end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


class ProximityPane(Pane):
    name = "proximity"
    title = "Proximity"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.a = QComboBox()
        self.b = QComboBox()
        self.method = QComboBox()
        self.method.addItem("GPS and other fixes", "gps")
        self.method.addItem("Cell sites of network events", "cell")
        self.method.addItem("Both, and fixes against sites", "any")
        self.distance = QDoubleSpinBox()
        self.distance.setRange(0, 100_000)
        self.distance.setDecimals(0)
        self.distance.setSuffix(" m")
        self.distance.setSpecialValueText("place radius")
        self.window = QDoubleSpinBox()
        self.window.setRange(0, 24 * 60)
        self.window.setSuffix(" min")
        self.gap = QDoubleSpinBox()
        self.gap.setRange(0, 7 * 24 * 60)
        self.gap.setSuffix(" min")
        self._near_place: str | None = None  # the place "Within" was last set for, if any
        self.photos = QCheckBox("Count photographs' and videos' positions as fixes")
        self.photos.setToolTip("A photograph or video on a phone may have been received rather than made "
                               "there: off unless you choose it; the method statement says which")
        self.apply_defaults()
        ws.bridge.settingsChanged.connect(lambda m: self.apply_defaults())
        self.b.currentTextChanged.connect(self._target_changed)
        self.method.currentIndexChanged.connect(lambda _: self._method_changed())
        run = QPushButton("Find occasions")
        run.setObjectName("primary")
        run.clicked.connect(self.run_analysis)
        form = QFormLayout()
        form.addRow("A (who)", self.a)
        form.addRow("near B or a place", self.b)
        form.addRow("Method", self.method)
        form.addRow("Within", self.distance)
        form.addRow("Time window", self.window)
        form.addRow("New occasion after", self.gap)
        form.addRow("", self.photos)
        self.summary = QLabel("Choose A and B (or a place) and press Find occasions.")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setMinimumHeight(2 * self.summary.fontMetrics().lineSpacing() + 4)  # results take two lines
        self.statement = QTextBrowser()
        self.statement.setPlaceholderText("The method statement of the analysis appears here.")
        self.statement.setOpenLinks(False)
        self.statement.setMinimumHeight(70)
        self.model = FrameModel(pd.DataFrame(columns=COLUMNS), headers=HEADERS)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setWordWrap(True)  # a court time may take two lines in a narrow column
        self.view.setStyleSheet("QHeaderView::section { padding: 4px 3px; }")  # narrow: every column in view
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.clicked.connect(lambda index: self.choose(index.row()))
        evidence = QPushButton("Select its evidence")
        evidence.setToolTip("Select the source rows behind the chosen occasion in every pane (the fixes show "
                            "in the Locations pane, network events in the Events pane)")
        evidence.clicked.connect(self.select_evidence)
        buttons = QHBoxLayout()
        buttons.addWidget(run)
        buttons.addStretch(1)
        buttons.addWidget(evidence)
        # The occasions get the pane's height; the method statement opens below them when asked for.
        self.statement_toggle = QToolButton()
        self.statement_toggle.setText("Method statement (the wording to use)")
        self.statement_toggle.setCheckable(True)
        self.statement_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.statement_toggle.setAutoRaise(True)
        self.statement_toggle.toggled.connect(self.show_statement)
        self.statement.setMaximumHeight(180)
        self.show_statement(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.statement_toggle)
        layout.addWidget(self.statement)
        self.result: Any = None
        self.doc: dict[str, Any] | None = None
        self.located: list[dict[str, Any]] = []

    def apply_defaults(self) -> None:
        s = self.ws.settings
        index = self.method.findData(s.proximity_method)
        self.method.setCurrentIndex(max(index, 0))
        self.distance.setValue(s.proximity_distance_m)
        self.window.setValue(s.proximity_window_min)
        self.gap.setValue(s.proximity_gap_min)
        self._near_place = None
        self._target_changed(self.b.currentText())

    def _target_changed(self, target: str) -> None:
        """A place is judged within its own radius (100 m without one); a person, within the
        Settings distance. Says so, since the officer may not expect the number to change."""
        if self.method.currentData() == "cell":
            self._method_changed()  # masts, not fixes: the cell method's own distance, with a place too
            return
        place = self.case.find_place(target[len(PLACE_PREFIX):]) if (
            self.case is not None and target.startswith(PLACE_PREFIX)) else None
        if place is not None:
            radius = place.radius_m or DEFAULT_PLACE_RADIUS_M
            self.distance.setValue(radius)
            self._near_place = place.name
            why = "its radius" if place.radius_m else "it has no radius; the default for a place"
            self.summary.setText(f"Within set to {radius:g} m for {esc(place.name)} ({why}).")
        elif self._near_place is not None:
            self._near_place = None
            self.distance.setValue(self.ws.settings.proximity_distance_m)
            self.summary.setText(f"Within set back to {self.ws.settings.proximity_distance_m:g} m "
                                 "between people (Settings).")

    def _method_changed(self) -> None:
        """Cell sites have their own defaults (``proximity_params``): Within and the window are set to
        them, and back to the Settings figures for fixes; the line under the form says which."""
        method, target = self.method.currentData(), self.b.currentText()
        if self.case is None or not self.a.currentText() or not target:
            return
        if method != "cell":
            self.window.setValue(self.ws.settings.proximity_window_min)
            self._target_changed(target)
            return
        place = target[len(PLACE_PREFIX):] if target.startswith(PLACE_PREFIX) else None
        try:
            chosen = proximity.default_parameters(self.case, self.a.currentText(), None if place else target,
                                                  place, "cell")
        except CaseError:
            return
        self.distance.setValue(chosen.distance_m)
        self.window.setValue(chosen.window_min)
        self.summary.setText(f"Within and the window set to the cell method's defaults: {esc(chosen.basis)}.")

    def case_changed(self, change: Change) -> None:
        if change & Change.DATA:
            self._fill_parties()
        if change & Change.CASE:
            self._show(None)
        super().case_changed(change)

    def _fill_parties(self) -> None:
        case = self.case
        for combo in (self.a, self.b):
            combo.clear()
        if case is None:
            return
        suspects = sorted(case.subjects, key=lambda s: (s.role != "suspect", s.name))
        victims = sorted(case.subjects, key=lambda s: (s.role != "victim", s.name))
        self.a.addItems([s.name for s in suspects])
        self.b.addItems([s.name for s in victims])
        self.b.addItems([PLACE_PREFIX + p.name for p in case.places])
        if self.b.currentText() == self.a.currentText() and self.b.count() > 1:
            self.b.setCurrentIndex(1)

    # ----- running -----------------------------------------------------------------------------
    def parameters(self) -> dict[str, Any]:
        target = self.b.currentText()
        place = target[len(PLACE_PREFIX):] if target.startswith(PLACE_PREFIX) else None
        distance = self.distance.value()
        return {"a": self.a.currentText(), "b": None if place else target, "place": place,
                "method": self.method.currentData(),
                "distance_m": None if (place and distance == 0) else distance,
                "window_min": self.window.value(), "gap_min": self.gap.value(),
                "include_photos": self.photos.isChecked()}

    def find(self, a: str, b: str) -> Any:
        """Find the occasions of subject ``a`` near subject ``b`` with the current parameters."""
        self._fill_parties()
        self.a.setCurrentText(a)
        self.b.setCurrentText(b)
        return self.run_analysis() if (self.a.currentText(), self.b.currentText()) == (a, b) else None

    def run_analysis(self) -> Any:
        case = self.case
        if case is None or not self.a.currentText() or not self.b.currentText():
            return None
        params = self.parameters()
        self.summary.setText("Looking for occasions…")

        def work(progress: Any) -> Any:
            result = proximity.run(case, **params)
            doc = result.to_json(case.info.tz)
            pair = f"{doc['a']} and {doc.get('b') or doc.get('place')}"
            located = [{**o, "pair": pair} for o in occasion_points(result, doc.get("occasions", []))]
            return result, doc, located

        return self.ws.run("Finding occasions…", work, on_success=self._finished)

    def _finished(self, outcome: Any) -> None:
        result, doc, located = outcome
        self._show(doc, result, located)
        self.ws.hub.publish(ResultsChanged(self, "proximity", located))

    def _show(self, doc: dict[str, Any] | None, result: Any = None,
              located: list[dict[str, Any]] | None = None) -> None:
        self.result, self.doc, self.located = result, doc, located or []
        if doc is None:
            self.model.set_frame(pd.DataFrame(columns=COLUMNS))
            self.summary.setText("Choose A and B (or a place) and press Find occasions.")
            self.statement.clear()
            return
        self.model.set_frame(occasions_frame(doc), zone=self.zone)
        self._fit_columns()
        QTimer.singleShot(0, self._fit_columns)  # again once the new rows are laid out
        target = doc.get("b") or f"place {doc.get('place')}"
        self.summary.setText(f"<b>{doc['count']}</b> occasions of {esc(doc['a'])} near {esc(target)} "
                             f"({doc['hits']} hits; within {doc['distance_m']:g} m and "
                             f"{doc['window_min']:g} min; new occasion after {doc['gap_min']:g} min).")
        notes = " ".join(doc.get("limitations", []))
        self.statement.setPlainText(f"{doc['method_statement']} {notes}".strip())

    def _fit_columns(self) -> None:
        """Every occasion and every column in view: the two times share what the others leave.

        A time takes two lines ("Fri 3 Oct 2025" over "17:20:13 BST") rather than push
        a column out of sight. The number of source rows, which the storyboard's table
        keeps, is left out of this narrow view.
        """
        view, header = self.view, self.view.horizontalHeader()
        view.setColumnHidden(COLUMNS.index("rows"), True)
        view.resizeColumnsToContents()
        times = [COLUMNS.index(c) for c in ("start", "end")]
        others = sum(header.sectionSize(i) for i in range(len(COLUMNS))
                     if i not in times and not view.isColumnHidden(i))
        two_lines = view.fontMetrics().horizontalAdvance("Wed 30 Sep 2025") + 6
        for scrolled in (False, True):  # a vertical scroll bar, if the rows cannot all be shown, takes width
            width = view.width() - 2 * view.frameWidth()
            if scrolled:
                width -= view.verticalScrollBar().sizeHint().width()
            share = (width - others) // 2
            for column in times:
                header.resizeSection(column, max(min(view.sizeHintForColumn(column), share), two_lines))
            view.resizeRowsToContents()
            rows = sum(view.rowHeight(r) for r in range(self.model.rowCount()))
            if header.height() + rows + 2 * view.frameWidth() <= view.height():  # no scroll bar: done
                break

    def show_statement(self, shown: bool) -> None:
        """Open or fold the method statement under the occasions."""
        self.statement.setVisible(shown)
        self.statement_toggle.setChecked(shown)
        self.statement_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.model.rowCount():
            self._fit_columns()

    # ----- choosing -------------------------------------------------------------------------------
    def choose(self, row: int) -> None:
        """Zoom the map and the timeline to occasion ``row``."""
        if self.result is None or not (0 <= row < len(self.result.occasions)):
            return
        occasion = self.result.occasions.iloc[row]
        label = str(row + 1)
        spot = next((o for o in self.located if o["label"] == label), None)
        bbox = None
        if spot is not None:
            pad = max(float(self.doc["distance_m"]), 50.0) / METERS_PER_DEGREE
            bbox = (spot["lat"] - pad, spot["lon"] - pad, spot["lat"] + pad, spot["lon"] + pad)
        self.ws.hub.publish(FocusRequested(self, pd.Timestamp(occasion["start"]),
                                            pd.Timestamp(occasion["end"]), bbox, occasion=label))

    def select_evidence(self) -> None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        if self.doc is None or not rows:
            return
        index = rows[0].row()
        evidence = self.doc["occasions"][index].get("evidence") or {}
        pairs = {tuple(r.split(":", 1)) for r in evidence.get("rows", []) if ":" in r}
        self.publish("proximity", SourceRows(frozenset(pairs), label=f"evidence of occasion {index + 1}"))
        self.choose(index)  # and the views focus on it: the map zooms in and shows its number alone

    def capture(self) -> Frame | None:
        if self.doc is None:
            return None
        return occasions_table_frame(self.doc, self.zone, pane=self.name)
