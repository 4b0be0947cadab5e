"""What the table panes share (events, locations): a linked, sortable table of one case table.

The rows shown are the hub's selection over the pane's case table (a mask
from the predicates) and the pane's own quick filter, which is local to the
table and not published. Times are in the court form with their zone, rows
whose time the import had to decide are marked, and each row cites its
exhibit and its row there. Sorting and filtering act on arrays of row
positions (see ``FrameModel``), never on cells, so a million rows stay fast.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QTableView, QToolButton,
    QVBoxLayout,
)

from cellsight.core.hub import Change
from cellsight.core.selection import RowIds
from cellsight.gui.models.evidence import cite_columns
from cellsight.gui.models.frame_model import FrameModel
from cellsight.gui.panes.base import Pane
from cellsight.gui.settings import qsettings
from cellsight.report.storyboard import Frame
from cellsight.gui.workspace import Workspace

STORYBOARD_ROWS = 200  # a table frame is a snapshot; more rows belong in an export
QUICK_FILTER_DELAY_MS = 250


class TablePane(Pane):
    """A pane showing one case table. Subclasses say which, and how its rows are named and searched."""

    table: ClassVar[str] = "events"  # the case table shown
    noun: ClassVar[str] = "rows"  # what a row is, in the count and captions ("events", "fixes")
    headers: ClassVar[dict[str, str]] = {}
    default_columns: ClassVar[tuple[str, ...]] = ()
    widths: ClassVar[dict[str, int]] = {}
    placeholder: ClassVar[str] = "Quick filter…"
    time_column: ClassVar[str] = ""  # marked when the row's time_flag holds a flag
    leading: ClassVar[tuple[str, ...]] = ()  # columns shown first, in this order, whatever the table's order

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.model = FrameModel(headers=self.headers)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.hide()  # rows are cited by exhibit and row in exhibit, never by an internal number
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
        self.quick.setPlaceholderText(self.placeholder)
        self.quick.setClearButtonEnabled(True)
        self._quick_timer = QTimer(self)
        self._quick_timer.setObjectName(f"{self.name}_quick_filter_timer")
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
        self.bar = QHBoxLayout()
        self.bar.addWidget(self.quick, 1)
        self.bar.addWidget(columns_button)
        self.bar.addWidget(copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.bar)
        layout.addWidget(self.count)
        layout.addWidget(self.view, 1)
        self._quick_text = ""
        self._quick_mask: np.ndarray | None = None
        self._selection_mask: np.ndarray | None = None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: the table is the main view
        return QSize(760, 620)

    # ----- data ---------------------------------------------------------------------------------
    def frame_of(self, case: Any) -> pd.DataFrame:
        """The frame shown: the case's table (subclasses may choose and order its columns)."""
        return case.tables[self.table]

    def show_case(self, case: Any) -> None:
        """Load the case's table into the model, with its marks and citations."""
        self.model.set_frame(self.frame_of(case), zone=case.info.zone)
        if self.time_column:
            self.model.set_marks("time_flag", [self.time_column])
        cite_columns(self.model, case)

    def case_changed(self, change: Change) -> None:
        case = self.case
        if case is None:
            self.model.set_frame(self.model.frame.iloc[0:0])
        elif change & (Change.CASE | Change.ROWS | Change.SUBJECTS):
            self.show_case(case)
            self._quick_mask = None
            if self._quick_text:
                self._quick_mask = self.quick_filter_mask(self._quick_text)
            self._apply_visible_columns()
        super().case_changed(change)

    def refresh(self) -> None:
        if self.case is not None:
            self._selection_mask = self.mask(self.selection, self.table)
            self._apply_masks()
        super().refresh()

    def _apply_masks(self) -> None:
        total = len(self.model.frame)
        mask = self._selection_mask
        if self._quick_mask is not None:
            mask = self._quick_mask if mask is None else mask & self._quick_mask
        self.model.set_mask(mask)
        shown = self.model.rowCount()
        text = f"{shown:,} of {total:,} {self.noun}" if shown != total else f"{total:,} {self.noun}"
        flagged = self.model.marked_count()
        if flagged:
            text += f" · {flagged:,} with a marked time (hover over it to see why)"
        self.count.setText(text + self.count_note(shown))

    def count_note(self, shown: int) -> str:
        """More to say after the count (subclasses)."""
        return ""

    def shutdown(self) -> None:
        self._quick_timer.stop()

    # ----- quick filter -----------------------------------------------------------------------------
    def apply_quick_filter(self) -> None:
        text = self.quick.text().strip()
        if text == self._quick_text:
            return
        self._quick_text = text
        self._quick_mask = self.quick_filter_mask(text) if text and self.case is not None else None
        self._apply_masks()

    def quick_filter_mask(self, text: str) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def contains(frame: pd.DataFrame, columns: tuple[str, ...], text: str) -> np.ndarray:
        """Rows where any of ``columns`` contains ``text`` (any capitals)."""
        mask = np.zeros(len(frame), dtype=bool)
        for column in columns:
            values = frame[column]
            if values.isna().all():
                continue
            mask |= values.astype("string").str.contains(text, case=False, regex=False).to_numpy(
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
            action = QAction(self.headers.get(column, column), menu)
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(index))
            action.toggled.connect(lambda on, i=index: self.set_column_visible(i, on))
            menu.addAction(action)

    def set_column_visible(self, index: int, visible: bool) -> None:
        self.view.setColumnHidden(index, not visible)
        qsettings().setValue(f"{self.name}/columns", self.visible_columns())

    def visible_columns(self) -> list[str]:
        """The columns shown, in the order shown."""
        header = self.view.horizontalHeader()
        shown = [i for i in range(self.model.columnCount()) if not self.view.isColumnHidden(i)]
        return [self.model.columns[i] for i in sorted(shown, key=header.visualIndex)]

    def _apply_visible_columns(self) -> None:
        stored = qsettings().value(f"{self.name}/columns")
        wanted = set(stored if isinstance(stored, list) and stored else self.default_columns)
        header = self.view.horizontalHeader()
        for place, column in enumerate(c for c in self.leading if c in self.model.columns):
            header.moveSection(header.visualIndex(self.model.columns.index(column)), place)
        for index, column in enumerate(self.model.columns):
            self.view.setColumnHidden(index, column not in wanted)
            if column in self.widths:
                self.view.setColumnWidth(index, self.widths[column])

    # ----- copy, context menu, storyboard ----------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.view.selectionModel().selectedRows()})

    def copy_selected(self) -> str:
        rows = self.selected_rows()
        if not rows:
            return ""
        columns = [self.model.columns.index(c) for c in self.visible_columns()]
        text = self.model.as_tsv(rows, columns)
        QGuiApplication.clipboard().setText(text)
        self.ws.status(f"Copied {len(rows):,} rows", 4000)
        return text

    def context_actions(self, menu: QMenu) -> None:
        """More entries for the table's right-click menu (subclasses)."""

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction("Copy rows", self.copy_selected)
        menu.addAction(f"Select these {self.noun} everywhere", self.select_rows_everywhere)
        self.context_actions(menu)
        menu.addSeparator()
        menu.addAction("Add table to storyboard", lambda: self.ws.commands.add_to_storyboard(self.name))
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def select_rows_everywhere(self) -> None:
        rows = self.selected_rows()
        if rows:
            positions = self.model.order[np.asarray(rows)]
            self.publish("rows", RowIds(self.table, positions, label=f"{len(rows):,} chosen {self.noun}"))

    def capture(self) -> Frame | None:
        if self.case is None or self.model.rowCount() == 0:
            return None
        columns = self.visible_columns()
        indexes = [self.model.columns.index(c) for c in columns]
        shown = min(self.model.rowCount(), STORYBOARD_ROWS)
        rows = [[self.model.display(r, c) for c in indexes] for r in range(shown)]
        total = self.model.rowCount()
        title = self.noun.capitalize()
        caption = f"{title} ({total:,})" if shown == total else f"{title}: first {shown} of {total:,}"
        parameters = {"pane": self.name, "quick_filter": self._quick_text, "rows_shown": shown,
                      "rows_selected": total, "zone": self.zone, **self.selection_parameters()}
        sort = self.model.sort_column()
        if sort is not None:
            parameters["sort"] = {"column": self.model.columns[sort[0]],
                                  "descending": sort[1] == Qt.SortOrder.DescendingOrder}
        return Frame("table", caption=caption, parameters=parameters,
                     content={"columns": [self.headers.get(c, c) for c in columns], "rows": rows})
