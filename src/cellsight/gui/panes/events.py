"""The Events pane: every communication of the case in one table that stays fast at millions of rows.

The rows shown are the hub's selection (a mask from the predicates) and the
pane's own quick filter, which is local to this table and not published. Names
from subjects and address books appear beside the numbers. Sorting and
filtering act on arrays of row positions (see ``FrameModel``), never on cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QTableView, QToolButton,
    QVBoxLayout,
)

from cellsight.core.selection import RowIds
from cellsight.gui.models.frame_model import FrameModel
from cellsight.gui.panes.base import Pane
from cellsight.gui.settings import qsettings
from cellsight.report.storyboard import Frame

HEADERS = {
    "start": "Time", "duration_s": "Duration (s)", "kind": "Kind", "direction": "Direction",
    "party_a": "From (A)", "party_b": "To (B)", "party_a_raw": "A as written", "party_b_raw": "B as written",
    "party_a_flag": "A flag", "party_b_flag": "B flag", "thread": "Thread", "app": "App",
    "cell_first": "First cell", "cell_last": "Last cell", "imei": "IMEI", "imsi": "IMSI",
    "status": "Status", "text": "Text", "deleted": "Deleted", "time_flag": "Time flag",
    "subject": "Subject", "source_id": "Source", "source_row": "Row",
}
DEFAULT_COLUMNS = ("start", "kind", "direction", "duration_s", "party_a", "party_b", "cell_first",
                   "app", "text", "subject", "source_id", "source_row")
SEARCHED = ("party_a", "party_b", "party_a_raw", "party_b_raw", "text", "cell_first", "cell_last",
            "app", "imei", "thread", "source_row")
STORYBOARD_ROWS = 200  # a table frame is a snapshot; more rows belong in an export
QUICK_FILTER_DELAY_MS = 250


class EventsPane(Pane):
    name = "events"
    title = "Events"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.model = FrameModel(headers=HEADERS)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measures a million rows
        vertical.setDefaultSectionSize(22)
        horizontal = self.view.horizontalHeader()
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        horizontal.setDefaultSectionSize(120)
        horizontal.setHighlightSections(False)
        horizontal.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        horizontal.customContextMenuRequested.connect(lambda pos: self.columns_menu().exec(
            horizontal.mapToGlobal(pos)))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.setAcceptDrops(False)

        self.quick = QLineEdit()
        self.quick.setPlaceholderText("Quick filter: number, name, cell, text…")
        self.quick.setClearButtonEnabled(True)
        self._quick_timer = QTimer(self)
        self._quick_timer.setObjectName("quick_filter_timer")
        self._quick_timer.setSingleShot(True)
        self._quick_timer.setInterval(QUICK_FILTER_DELAY_MS)
        self._quick_timer.timeout.connect(self.apply_quick_filter)
        self.quick.textChanged.connect(lambda _: self._quick_timer.start())
        self.count = QLabel()
        self.count.setObjectName("hint")
        columns_button = QToolButton()
        columns_button.setText("Columns")
        columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        columns_button.setMenu(QMenu(columns_button))
        columns_button.menu().aboutToShow.connect(lambda: self._fill_columns_menu(columns_button.menu()))
        copy_button = QToolButton()
        copy_button.setText("Copy rows")
        copy_button.clicked.connect(self.copy_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.quick, 1)
        bar.addWidget(self.count)
        bar.addWidget(columns_button)
        bar.addWidget(copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self._quick_text = ""
        self._quick_mask: np.ndarray | None = None
        self._selection_mask: np.ndarray | None = None
        self._names: dict[str, str] = {}

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: the table is the main view
        return QSize(760, 620)

    # ----- data ---------------------------------------------------------------------------------
    def case_changed(self, what: str) -> None:
        case = self.case
        if case is None:
            self.model.set_frame(self.model.frame.iloc[0:0])
        elif what in ("case", "events", "subjects", "contacts", "import"):
            self._names = case.number_names()
            self.model.set_frame(case.events, zone=case.info.tz)
            self.model.set_annotations({"party_a": self._names, "party_b": self._names})
            self._quick_mask = None
            if self._quick_text:
                self._quick_mask = self._quick_filter_mask(self._quick_text)
            self._apply_visible_columns()
        super().case_changed(what)

    def refresh(self) -> None:
        case = self.case
        if case is not None:
            self._selection_mask = self.mask(self.selection)
            self._apply_masks()
        super().refresh()

    def _apply_masks(self) -> None:
        total = len(self.model.frame)
        mask = self._selection_mask
        if self._quick_mask is not None:
            mask = self._quick_mask if mask is None else mask & self._quick_mask
        self.model.set_mask(mask)
        shown = self.model.rowCount()
        self.count.setText(f"{shown:,} of {total:,} events" if shown != total else f"{total:,} events")

    # ----- quick filter -----------------------------------------------------------------------------
    def apply_quick_filter(self) -> None:
        text = self.quick.text().strip()
        if text == self._quick_text:
            return
        self._quick_text = text
        self._quick_mask = self._quick_filter_mask(text) if text and self.case is not None else None
        self._apply_masks()

    def _quick_filter_mask(self, text: str) -> np.ndarray:
        """Rows where any searched column, or the name of either party, contains ``text``."""
        events = self.case.events
        mask = np.zeros(len(events), dtype=bool)
        for column in SEARCHED:
            values = events[column]
            if values.isna().all():
                continue
            mask |= values.astype("string").str.contains(text, case=False, regex=False).to_numpy(
                dtype=bool, na_value=False)
        lowered = text.lower()
        named = [number for number, name in self._names.items() if lowered in name.lower()]
        if named:
            mask |= events["party_a"].isin(named).to_numpy(dtype=bool, na_value=False)
            mask |= events["party_b"].isin(named).to_numpy(dtype=bool, na_value=False)
        for column in ("kind", "direction", "subject"):
            mask |= (events[column].astype("string").str.lower() == lowered).to_numpy(
                dtype=bool, na_value=False)
        return mask

    # ----- columns ------------------------------------------------------------------------------------
    def columns_menu(self) -> QMenu:
        menu = QMenu(self)
        self._fill_columns_menu(menu)
        return menu

    def _fill_columns_menu(self, menu: QMenu) -> None:
        menu.clear()
        for index, column in enumerate(self.model.columns):
            action = QAction(HEADERS.get(column, column), menu)
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(index))
            action.toggled.connect(lambda on, i=index: self.set_column_visible(i, on))
            menu.addAction(action)

    def set_column_visible(self, index: int, visible: bool) -> None:
        self.view.setColumnHidden(index, not visible)
        shown = [c for i, c in enumerate(self.model.columns) if not self.view.isColumnHidden(i)]
        qsettings().setValue("events/columns", shown)

    def visible_columns(self) -> list[str]:
        return [c for i, c in enumerate(self.model.columns) if not self.view.isColumnHidden(i)]

    def _apply_visible_columns(self) -> None:
        stored = qsettings().value("events/columns")
        wanted = set(stored if isinstance(stored, list) and stored else DEFAULT_COLUMNS)
        widths = {"start": 150, "kind": 60, "direction": 80, "duration_s": 90, "party_a": 210,
                  "party_b": 210, "text": 240, "source_row": 60, "source_id": 60, "subject": 90}
        for index, column in enumerate(self.model.columns):
            self.view.setColumnHidden(index, column not in wanted)
            if column in widths:
                self.view.setColumnWidth(index, widths[column])

    # ----- copy, context menu, storyboard ----------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.view.selectionModel().selectedRows()})

    def copy_selected(self) -> str:
        rows = self.selected_rows()
        if not rows:
            return ""
        columns = [i for i in range(self.model.columnCount()) if not self.view.isColumnHidden(i)]
        text = self.model.as_tsv(rows, columns)
        QGuiApplication.clipboard().setText(text)
        self.ctx.statusBar().showMessage(f"Copied {len(rows):,} rows", 4000)
        return text

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction("Copy rows", self.copy_selected)
        menu.addAction("Select these events everywhere", self.select_rows_everywhere)
        menu.addSeparator()
        menu.addAction("Add table to storyboard", lambda: self.ctx.add_to_storyboard(self.name))
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def select_rows_everywhere(self) -> None:
        rows = self.selected_rows()
        if rows:
            positions = self.model.order[np.asarray(rows)]
            self.publish("rows", RowIds("events", positions, label=f"{len(rows):,} chosen events"))

    def capture(self) -> Frame | None:
        if self.case is None or self.model.rowCount() == 0:
            return None
        columns = self.visible_columns()
        indexes = [self.model.columns.index(c) for c in columns]
        shown = min(self.model.rowCount(), STORYBOARD_ROWS)
        rows = [[self.model.display(r, c) for c in indexes] for r in range(shown)]
        total = self.model.rowCount()
        caption = f"Events ({total:,})" if shown == total else f"Events: first {shown} of {total:,}"
        parameters = {"pane": self.name, "quick_filter": self._quick_text, "rows_shown": shown,
                      "rows_selected": total, "zone": self.zone, **self.selection_parameters()}
        sort = self.model.sort_column()
        if sort is not None:
            parameters["sort"] = {"column": self.model.columns[sort[0]],
                                  "descending": sort[1] == Qt.SortOrder.DescendingOrder}
        return Frame("table", caption=caption, parameters=parameters,
                     content={"columns": [HEADERS.get(c, c) for c in columns], "rows": rows})
