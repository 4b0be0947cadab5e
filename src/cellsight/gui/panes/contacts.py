"""The Contacts pane: who a subject talks to, how often, and when, for the pair chosen.

The ranking and the pair figures come from ``analysis.contacts`` (so they count
communications, not sightings, exactly as the CLI does), computed in a worker
over the current selection minus this pane's own choice. Clicking a contact
publishes the pair (the "parties" facet): every pane then shows the
communications between the subject and that contact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHeaderView, QLabel, QSpinBox, QSplitter, QTableView,
    QVBoxLayout, QWidget,
)

from cellsight.core.hub import Change
from cellsight.analysis import contacts as contact_analysis
from cellsight.core.selection import Everything, Parties
from cellsight.core.timezones import court_time
from cellsight.gui.models.frame_model import FrameModel
from cellsight.gui.panes.base import Pane, case_view
from cellsight.gui.names import party_names
from cellsight.gui.panes.day_axis import DayAxis
from cellsight.gui.workers import Latest
from cellsight.report.standard import court_day
from cellsight.report.storyboard import Frame
from cellsight.gui.markup import esc
from cellsight.gui.flow_layout import FlowLayout
from cellsight.gui.workspace import Workspace

RANK_COLUMNS = ["number", "name", "total", "calls", "texts", "chats", "first", "last"]
RANK_HEADERS = {"number": "Number", "name": "Name", "total": "Total", "calls": "Calls", "texts": "SMS/MMS",
                "chats": "Chats", "first": "First", "last": "Last"}


def ranking_frame(doc: dict[str, Any], names: dict[str, str] | None = None) -> pd.DataFrame:
    """The ``for_subject`` document as a table (``names`` names what the analysis did not, such as chat ids)."""
    rows = []
    for item in doc.get("contacts", []):
        kinds = item.get("by_kind", {})
        name = item.get("name") or (names or {}).get(item["number"]) or ""
        rows.append({"number": item["number"], "name": name, "total": item["total"],
                     "calls": kinds.get("call", 0), "texts": kinds.get("sms", 0) + kinds.get("mms", 0),
                     "chats": kinds.get("chat", 0), "first": item["first"], "last": item["last"]})
    frame = pd.DataFrame(rows, columns=RANK_COLUMNS)
    for column in ("first", "last"):  # real times: shown in the court form, sorted as times
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


class ContactsPane(Pane):
    name = "contacts"
    title = "Contacts"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.subject = QComboBox()
        self.subject.setMinimumWidth(160)
        self.subject.currentTextChanged.connect(lambda _: self._subject_changed())
        self.top = QSpinBox()
        self.top.setRange(5, 500)
        self.top.setValue(25)
        self.top.setPrefix("top ")
        self.top.valueChanged.connect(lambda _: self.refresh())
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.model = FrameModel(pd.DataFrame(columns=RANK_COLUMNS), headers=RANK_HEADERS)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.clicked.connect(lambda index: self.choose_row(index.row()))
        self.pair_label = QLabel("Click a contact to see the pair and select its events everywhere.")
        self.pair_label.setWordWrap(True)
        self.pair_label.setTextFormat(Qt.TextFormat.RichText)
        self.pair_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.chart = pg.PlotWidget(axisItems={"bottom": DayAxis()})
        self.chart.hide()  # no pair, no chart: an empty chart's axes would mean nothing
        self.chart.setAcceptDrops(False)
        self.chart.setMouseEnabled(x=True, y=False)
        self.chart.hideButtons()
        self.chart.setLabel("left", "a day")
        self.chart.showGrid(x=False, y=True, alpha=0.2)
        self.bars = pg.BarGraphItem(x=[], height=[], width=86_400 * 0.85, brush=pg.mkBrush("#c62828"),
                                    pen=pg.mkPen(None))
        self.chart.addItem(self.bars)
        top = FlowLayout().addWidgets(QLabel("Contacts of"), self.subject, self.top, self.status)
        pair_box = QWidget()
        pair_layout = QVBoxLayout(pair_box)
        pair_layout.setContentsMargins(0, 0, 0, 0)
        pair_layout.addWidget(self.pair_label)
        pair_layout.addWidget(self.chart, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(pair_box)
        splitter.setSizes([300, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self._ranking = Latest(ws.run, self)
        self._pairing = Latest(ws.run, self)
        self.doc: dict[str, Any] | None = None
        self.pair: dict[str, Any] | None = None
        self.chosen: str | None = None

    # ----- data ------------------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & (Change.CASE | Change.SUBJECTS | Change.ROWS):
            current = self.subject.currentText()
            self.subject.blockSignals(True)
            self.subject.clear()
            if self.case is not None:
                ordered = sorted(self.case.subjects, key=lambda s: (s.role != "suspect", s.role != "victim", s.name))
                self.subject.addItems([s.name for s in ordered if s.numbers])
                if current:
                    self.subject.setCurrentText(current)
            self.subject.blockSignals(False)
            self.chosen = None
            self._show_pair(None)
        super().case_changed(change)

    def _subject_changed(self) -> None:
        if self.chosen is not None:
            self.chosen = None
            self.publish("parties", None)
        self.refresh()

    def refresh(self) -> None:
        case, subject = self.case, self.subject.currentText()
        if self.chosen is not None and "parties" not in self.ws.hub.facets():
            # The pair was cleared elsewhere (Clear selection, Esc): forget it here too.
            self.chosen = None
            self.view.clearSelection()
            self._show_pair(None)
        super().refresh()
        if case is None or not subject:
            self.model.set_frame(pd.DataFrame(columns=RANK_COLUMNS))
            self.status.setText("")
            return
        view = case_view(case, self.selection_without("parties"), self.ws.masks)
        top = self.top.value()
        self.status.setText("counting…")

        def work(progress: Any) -> Any:
            try:
                return contact_analysis.for_subject(view, subject, top=top)
            except ValueError as exc:  # CaseError: no such subject or number
                return exc

        self._ranking.submit("Counting contacts…", work, self._show_ranking)
        if self.chosen is not None:
            self._compute_pair(view, subject, self.chosen)

    def _show_ranking(self, doc: Any) -> None:
        if isinstance(doc, Exception):
            self.doc = None
            self.model.set_frame(pd.DataFrame(columns=RANK_COLUMNS))
            self.status.setText(str(doc))
            return
        self.doc = doc
        frame = ranking_frame(doc, party_names(self.case) if self.case is not None else None)
        self.model.set_frame(frame, zone=self.zone)  # the case's zone, GMT/BST, as every pane
        self.status.setText(f"{len(frame)} contacts")
        if self.chosen is not None and self.chosen in set(frame["number"]):
            row = int(np.flatnonzero(frame["number"].to_numpy() == self.chosen)[0])
            self.view.selectRow(row)

    # ----- choosing a contact --------------------------------------------------------------------
    def choose_row(self, row: int) -> None:
        """Select the pair (subject, contact in ``row``) everywhere."""
        if self.case is None or not (0 <= row < self.model.rowCount()):
            return
        number = str(self.model.raw(row, RANK_COLUMNS.index("number")))
        self.choose(number)

    def choose(self, number: str) -> None:
        subject = self.subject.currentText()
        label, numbers = self.case.party(subject)
        name = party_names(self.case).get(number)
        self.chosen = number
        self.publish("parties", Parties(frozenset(numbers), frozenset([number]),
                                        label=f"{label} ↔ {name or number}"))
        self._compute_pair(case_view(self.case, self.selection_without("parties"), self.ws.masks), subject, number)

    def _compute_pair(self, view: Any, subject: str, number: str) -> None:
        def work(progress: Any) -> Any:
            try:
                return contact_analysis.between(view, subject, number, by="day")
            except ValueError as exc:
                return exc

        self._pairing.submit("Counting the pair…", work, self._show_pair)

    def _show_pair(self, doc: Any) -> None:
        if doc is None or isinstance(doc, Exception):
            self.pair = None
            self.pair_label.setText(esc(doc) if doc is not None else
                                    "Click a contact to see the pair and select its events everywhere.")
            self.bars.setOpts(x=[], height=[])
            self.chart.hide()
            return
        self.pair = doc
        kinds = ", ".join(f"{n} {k}" for k, n in doc["by_kind"].items()) or "none"
        peak = doc.get("peak") or {}
        direction = doc["by_direction"]
        self.pair_label.setText(
            f"<b>{esc(doc['a'])} ↔ {esc(doc['b'])}</b>: <b>{doc['total']:,}</b> communications ({kinds}); "
            f"{direction['a_to_b']:,} from {esc(doc['a'])}, {direction['b_to_a']:,} from {esc(doc['b'])}. "
            f"First {esc(court_time(pd.Timestamp(doc['first']), self.zone)) if doc.get('first') else '—'}, "
            f"last {esc(court_time(pd.Timestamp(doc['last']), self.zone)) if doc.get('last') else '—'}. "
            f"Busiest day {court_day(peak['period'], self.zone) if peak else '—'} ({peak.get('count', 0)}).")
        series = doc.get("series", [])
        if series:
            days = pd.to_datetime([s["period"] for s in series])
            xs = (days - pd.Timestamp("1970-01-01")).total_seconds().to_numpy() + 43_200
            heights = np.array([s["count"] for s in series], dtype=float)
            self.bars.setOpts(x=xs, height=heights, width=86_400 * 0.85)
            self.chart.setXRange(xs.min() - 86_400, xs.max() + 86_400, padding=0)
            self.chart.setYRange(0, max(heights.max(), 1) * 1.1, padding=0)
            self.chart.show()
        else:
            self.bars.setOpts(x=[], height=[])
            self.chart.hide()

    def _pair_caption(self) -> str:
        """Says what tells this chart from another of the same pair: the period and the selection."""
        pair = self.pair
        first, last = (pair.get("first") or "")[:10], (pair.get("last") or "")[:10]
        period = (f"{first}" if first == last else f"{first} to {last}") if first else "no contact"
        others = self.selection_without("parties")
        within = "" if isinstance(others, Everything) else f"; selection: {others.describe(self.zone)}"
        return f"Contact between {pair['a']} and {pair['b']}, by day, {period}{within}"

    def capture(self) -> Frame | None:
        params = {"pane": self.name, "zone": self.zone, **self.selection_parameters()}
        if self.pair is not None:
            return Frame("chart", caption=self._pair_caption(),
                         parameters={**params, **self.pair.get("parameters", {})},
                         content={"chart": "series", "a": self.pair["a"], "b": self.pair["b"], "by": "day",
                                  "kinds": None, "data": {"series": self.pair["series"],
                                                          "peak": self.pair["peak"],
                                                          "total": self.pair["total"]}})
        if self.doc is not None and self.doc["contacts"]:
            frame = ranking_frame(self.doc, party_names(self.case))
            return Frame("table", caption=f"Contacts of {self.doc['subject']}",
                         parameters={**params, **self.doc.get("parameters", {})},
                         content={"columns": [RANK_HEADERS[c] for c in RANK_COLUMNS],
                                  "rows": frame.astype(object).values.tolist()})
        return None
