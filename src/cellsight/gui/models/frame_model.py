"""A QAbstractTableModel over a pandas DataFrame that stays smooth at millions of rows.

After napari's ``features_table.py``: display text depends on the dtype (times
as a court reads them, in the case's zone with the zone's letters, numbers
right-aligned, missing values blank) and EditRole gives the raw value, so a
time column sorts by the real time whatever its text. Unlike a QSortFilterProxyModel, which asks ``data()`` for
every row to sort or filter, this model keeps one numpy array of row positions
(``order``): filtering is a boolean mask from a selection predicate, sorting is
a vectorised sort of one column taken at those positions, and ``data()`` only
formats the few cells the view is painting. No cell is ever turned into a
Python object unless it is on screen, so a million rows cost a few arrays of
integers, and the view (with fixed row heights) never walks them all.

Some text is only worth making a page at a time: the court form of a time
(``core.timezones.court_times``) and the citation of a source row
(``core.citations``) are vectorised over a batch, and cost little more for a
hundred rows than for one. ``LazyText`` makes them for the block of shown rows
around the first one painted and keeps them, per frame row, until the frame
changes. Rows whose ``flag_column`` holds a flag (``dst_ambiguous``,
``implausible``...) are marked: a tinted background and a warning icon on the
marked columns, and the flag explained in the tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from cellsight.core.text import reveal
from cellsight.core.timezones import court_times
from cellsight.gui.markup import esc
from cellsight.gui.resources import icon

Formatter = Callable[[Any], str]
BatchText = Callable[[np.ndarray], Sequence[str]]  # frame positions -> one text each

FLAG_EXPLANATIONS = {
    "dst_ambiguous": "The exhibit wrote a wall-clock time in the hour that occurs twice when the clocks "
                     "go back, without saying which; Cellsight read it as the first of the two (summer "
                     "time). It may have been an hour later.",
    "dst_nonexistent": "The exhibit wrote a wall-clock time in the hour skipped when the clocks go "
                       "forward; Cellsight moved it forward by the hour. Check the exhibit.",
    "implausible": "The time cannot be right for a phone record (before 1980, or in the future of the "
                   "import). It is kept as the exhibit wrote it.",
}
MARK_COLOUR = QColor("#fdebc8")  # a warm tint: seen at a glance, still readable in grey

_ROW_COUNT_LIMIT = 2**31 - 1  # Qt's row counts are C ints


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value))


class LazyText:
    """Display text made in batches by ``make`` and kept per frame position.

    ``text(order, view_row)`` returns the text of the frame row shown at
    ``view_row``; when it is not made yet, the whole block of ``block`` shown
    rows around it is made in one call (the rows a view paints together).
    """

    def __init__(self, make: BatchText, size: int, block: int = 64) -> None:
        self._make = make
        self._block = block
        self._texts = np.full(size, None, dtype=object)

    def text(self, order: np.ndarray, view_row: int) -> str:
        position = int(order[view_row])
        done = self._texts[position]
        if done is None:
            first = view_row - view_row % self._block
            positions = order[first:first + self._block]
            missing = positions[np.equal(self._texts[positions], None)]
            self._texts[missing] = np.asarray(list(self._make(missing)), dtype=object)
            done = self._texts[position]
        return done


def court_time_text(times: Any, zone: str) -> BatchText:
    """Batches of zone-aware times (any array indexable by position) in the court form.

    ``court_times`` takes UTC: flooring to the second in a local zone would be
    ambiguous in the repeated autumn hour.
    """
    return lambda positions: court_times(pd.Series(times[positions]).dt.tz_convert("UTC"), zone).to_numpy(object)


def _number_text(value: Any) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.6g}"


class FrameModel(QAbstractTableModel):
    """Table model over ``frame``; rows shown are ``frame.iloc[order]``.

    ``zone`` is the zone zone-aware times are shown in, the case's (given here or
    with each ``set_frame``); a model given none shows frames without zone-aware
    times only, and refuses one that has them rather than show it in a zone nobody
    chose. ``annotations`` maps a
    column to a ``{value: label}`` dict shown beside the value (contact names
    beside numbers).
    """

    TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

    def __init__(self, frame: pd.DataFrame | None = None, zone: str | None = None,
                 headers: Mapping[str, str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._headers = dict(headers or {})
        self._annotations: dict[str, Mapping[str, str]] = {}
        self._frame = pd.DataFrame()
        self._columns: list[str] = []
        self._arrays: list[Any] = []
        self._formatters: list[Formatter] = []
        self._lazy: dict[int, LazyText] = {}  # column -> batched text (times, citations)
        self._numeric: list[bool] = []
        self._marked: Any = None  # the flag column's values, per frame row
        self._flagged = np.empty(0, dtype=bool)  # per frame row: it carries a flag
        self._marked_columns: set[int] = set()
        self._mask: np.ndarray | None = None
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._sorted_all: np.ndarray | None = None  # every row, in the current sort order
        self._order = np.empty(0, dtype=np.int64)
        self.set_frame(frame if frame is not None else pd.DataFrame())

    # ----- content ----------------------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    @property
    def order(self) -> np.ndarray:
        """Positions in ``frame`` of the rows shown, in the order shown."""
        return self._order

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def set_frame(self, frame: pd.DataFrame, zone: str | None = None) -> None:
        """Show a new frame; the filter is cleared and the current sort re-applied."""
        timed = [str(c) for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
        if timed and zone is None and self._zone is None:
            raise ValueError(f"column {timed[0]!r} holds times, but this table was given no zone "
                             "to show them in (pass the case's zone)")
        self.beginResetModel()
        self._frame = frame
        if zone is not None:
            self._zone = zone
        self._columns = [str(c) for c in frame.columns]
        self._arrays, self._formatters, self._numeric, self._lazy = [], [], [], {}
        for index, name in enumerate(frame.columns):
            array, formatter, numeric = self._column_view(frame[name])
            self._arrays.append(array)
            self._formatters.append(formatter)
            self._numeric.append(numeric)
            if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
                self._lazy[index] = LazyText(court_time_text(array, self._zone), len(frame))
        self._marked, self._marked_columns = None, set()
        self._mask = None
        self._sorted_all = None
        self._order = self._compute_order()
        self.endResetModel()

    def set_annotations(self, annotations: Mapping[str, Mapping[str, str]]) -> None:
        """Labels shown beside values of some columns (e.g. names beside numbers)."""
        self._annotations = {c: a for c, a in annotations.items() if c in self._columns}
        self._changed(Qt.ItemDataRole.DisplayRole)

    def set_column_text(self, column: str, make: BatchText) -> None:
        """Show ``column`` as ``make(positions)`` says, made a block of rows at a time.

        The stored value still sorts and filters the column; only its text
        changes (an exhibit reference for a source id, a citation for a row).
        """
        if column in self._columns:
            self._lazy[self._columns.index(column)] = LazyText(make, len(self._frame))
            self._changed(Qt.ItemDataRole.DisplayRole)

    def set_marks(self, flag_column: str, columns: Sequence[str]) -> None:
        """Mark ``columns`` (and the flag column) of the rows whose ``flag_column`` holds a flag."""
        if flag_column not in self._columns:
            return
        values = self._frame[flag_column]
        if isinstance(values.dtype, pd.CategoricalDtype):  # on the codes: a million rows in milliseconds
            words = np.asarray(values.cat.categories, dtype=object).astype(str)
            codes = values.cat.codes.to_numpy()
            self._flagged = (codes >= 0) & (words[codes] != "")
        else:
            self._flagged = (values.notna() & (values.astype(str) != "")).to_numpy(dtype=bool)
        self._marked = values.array
        self._marked_columns = {self._columns.index(c) for c in (*columns, flag_column) if c in self._columns}
        self._changed(Qt.ItemDataRole.BackgroundRole)

    def marked_count(self) -> int:
        """How many of the rows shown carry a flag."""
        return 0 if self._marked is None else int(np.count_nonzero(self._flagged[self._order]))

    def flag(self, row: int) -> str:
        """The flag of view ``row`` ("" when it has none or nothing is marked)."""
        if self._marked is None:
            return ""
        position = int(self._order[row])
        return str(self._marked[position]) if self._flagged[position] else ""

    def _changed(self, role: Qt.ItemDataRole) -> None:
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [role])

    def set_mask(self, mask: np.ndarray | None) -> None:
        """Show only rows where ``mask`` is True (None: all rows), keeping the sort."""
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if len(mask) != len(self._frame):
                raise ValueError(f"mask has {len(mask)} rows, the frame {len(self._frame)}")
            if mask.all():
                mask = None
        if mask is None and self._mask is None:
            return
        self.beginResetModel()
        self._mask = mask
        self._order = self._compute_order()
        self.endResetModel()

    def _column_view(self, series: pd.Series) -> tuple[Any, Formatter, bool]:
        """What ``data()`` reads for one column (an array indexable by position) and how to show it."""
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):  # shown through LazyText, in the court form
            return series.dt.tz_convert(self._zone).array, str, False
        if pd.api.types.is_datetime64_dtype(dtype):
            fmt = self.TIME_FORMAT
            return series.array, lambda v: v.strftime(fmt), False
        if pd.api.types.is_bool_dtype(dtype):
            return series.array, lambda v: "yes" if v else "no", False
        if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
            return series.array, _number_text, True
        return series.array, str, False

    # ----- ordering ---------------------------------------------------------------------
    def _compute_order(self) -> np.ndarray:
        """The rows to show: the sorted permutation of all rows, cut by the mask (order kept).

        The full permutation is sorted once per sort key; a new mask only filters
        it (linear), so selections on a sorted million-row table stay fast.
        """
        if self._sort is None or self._sort[0] >= len(self._columns):
            rows = np.arange(len(self._frame), dtype=np.int64)
        else:
            if self._sorted_all is None:
                self._sorted_all = self._sorted_permutation(*self._sort)
            rows = self._sorted_all
        return rows if self._mask is None else rows[self._mask[rows]]

    def _sorted_permutation(self, column: int, order: Qt.SortOrder) -> np.ndarray:
        keys = self._frame.iloc[:, column].reset_index(drop=True)
        if isinstance(keys.dtype, pd.CategoricalDtype):  # by the words, not the category codes
            keys = keys.astype(object).where(keys.notna(), None).astype("str")
        return keys.sort_values(ascending=order == Qt.SortOrder.AscendingOrder, kind="stable",
                                na_position="last").index.to_numpy().astype(np.int64)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by one column (missing values last), keeping persistent indexes on their rows."""
        if not (0 <= column < len(self._columns)):
            self._sort = None
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_positions = [self._order[p.row()] if p.isValid() else -1 for p in persistent]
        self._sort = (column, order)
        self._sorted_all = None
        self._order = self._compute_order()
        if persistent:
            inverse = np.empty(len(self._frame), dtype=np.int64)
            inverse[self._order] = np.arange(len(self._order))
            self.changePersistentIndexList(
                persistent,
                [self.index(int(inverse[pos]), p.column()) if pos >= 0 else QModelIndex()
                 for p, pos in zip(persistent, old_positions)])
        self.layoutChanged.emit()

    def sort_column(self) -> tuple[int, Qt.SortOrder] | None:
        return self._sort

    # ----- Qt model interface ------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else min(len(self._order), _ROW_COUNT_LIMIT)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def raw(self, row: int, column: int) -> Any:
        """The stored value at view ``row`` (None where missing)."""
        value = self._arrays[column][int(self._order[row])]
        return None if _is_missing(value) else value

    def display(self, row: int, column: int) -> str:
        lazy = self._lazy.get(column)
        if lazy is not None:
            text = lazy.text(self._order, row)
            if not text:
                return ""
        else:
            value = self.raw(row, column)
            if value is None:
                return ""
            text = self._formatters[column](value)
        labels = self._annotations.get(self._columns[column])
        if labels:
            label = labels.get(text)
            if label:
                return reveal(f"{text} ({label})")
        return reveal(text)  # a right-to-left override from a phone is shown, not obeyed

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < self.rowCount()) \
                or not (0 <= index.column() < self.columnCount()):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(index.row(), index.column())
        if role == Qt.ItemDataRole.EditRole:
            return _plain(self.raw(index.row(), index.column()))
        marked = index.column() in self._marked_columns and bool(self.flag(index.row()))
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.display(index.row(), index.column())
            if marked:
                flag = self.flag(index.row())
                return f"<p>{esc(text)}</p><p><b>{esc(flag)}</b>: {esc(FLAG_EXPLANATIONS.get(flag, ''))}</p>"
            # Qt renders tooltip text that looks like HTML: make it rich text that shows the characters.
            return f"<p>{esc(text)}</p>" if len(text) > 40 else None
        if role == Qt.ItemDataRole.BackgroundRole and marked:
            return MARK_COLOUR
        if role == Qt.ItemDataRole.DecorationRole and marked and index.column() == min(self._marked_columns):
            return icon("warning")
        if role == Qt.ItemDataRole.TextAlignmentRole and self._numeric[index.column()]:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if 0 <= section < len(self._columns):
                name = self._columns[section]
                return self._headers.get(name, name)
            return None
        return None  # no row numbers: the frame's own index is not the exhibit's, and would be quoted as it

    # ----- export -----------------------------------------------------------------------
    def frame_rows(self, view_rows: Sequence[int]) -> pd.DataFrame:
        """The frame's rows behind some view rows, in view order."""
        positions = self._order[np.asarray(list(view_rows), dtype=np.int64)]
        return self._frame.iloc[positions]

    def as_tsv(self, view_rows: Sequence[int], columns: Sequence[int] | None = None) -> str:
        """Tab-separated text of some rows as displayed, with a header line (for copy)."""
        cols = list(range(len(self._columns))) if columns is None else list(columns)
        lines = ["\t".join(str(self.headerData(c, Qt.Orientation.Horizontal)) for c in cols)]
        for row in view_rows:
            lines.append("\t".join(self.display(row, c).replace("\t", " ").replace("\n", " ")
                                   for c in cols))
        return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    """A raw value Qt can carry: Python scalars and datetimes."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value
