"""A QAbstractTableModel over a pandas DataFrame that stays smooth at millions of rows.

After napari's ``features_table.py``: display text depends on the dtype (times
in the case's zone, numbers right-aligned, missing values blank) and EditRole
gives the raw value. Unlike a QSortFilterProxyModel, which asks ``data()`` for
every row to sort or filter, this model keeps one numpy array of row positions
(``order``): filtering is a boolean mask from a selection predicate, sorting is
a vectorised sort of one column taken at those positions, and ``data()`` only
formats the few cells the view is painting. No cell is ever turned into a
Python object unless it is on screen, so a million rows cost a few arrays of
integers, and the view (with fixed row heights) never walks them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from cellsight.core.text import reveal
from cellsight.gui.markup import esc

Formatter = Callable[[Any], str]

_ROW_COUNT_LIMIT = 2**31 - 1  # Qt's row counts are C ints


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value))


def _number_text(value: Any) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.6g}"


class FrameModel(QAbstractTableModel):
    """Table model over ``frame``; rows shown are ``frame.iloc[order]``.

    ``zone`` is the zone zone-aware times are shown in; ``annotations`` maps a
    column to a ``{value: label}`` dict shown beside the value (contact names
    beside numbers).
    """

    TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

    def __init__(self, frame: pd.DataFrame | None = None, zone: str = "UTC",
                 headers: Mapping[str, str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._headers = dict(headers or {})
        self._annotations: dict[str, Mapping[str, str]] = {}
        self._frame = pd.DataFrame()
        self._columns: list[str] = []
        self._arrays: list[Any] = []
        self._formatters: list[Formatter] = []
        self._numeric: list[bool] = []
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
        self.beginResetModel()
        self._frame = frame
        if zone is not None:
            self._zone = zone
        self._columns = [str(c) for c in frame.columns]
        self._arrays, self._formatters, self._numeric = [], [], []
        for name in frame.columns:
            array, formatter, numeric = self._column_view(frame[name])
            self._arrays.append(array)
            self._formatters.append(formatter)
            self._numeric.append(numeric)
        self._mask = None
        self._sorted_all = None
        self._order = self._compute_order()
        self.endResetModel()

    def set_annotations(self, annotations: Mapping[str, Mapping[str, str]]) -> None:
        """Labels shown beside values of some columns (e.g. names beside numbers)."""
        self._annotations = {c: a for c, a in annotations.items() if c in self._columns}
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [Qt.ItemDataRole.DisplayRole])

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
        if isinstance(dtype, pd.DatetimeTZDtype):
            zone, fmt = self._zone, self.TIME_FORMAT
            return (series.dt.tz_convert(zone).array,
                    lambda v: v.strftime(fmt), False)
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
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.display(index.row(), index.column())
            # Qt renders tooltip text that looks like HTML: make it rich text that shows the characters.
            return f"<p>{esc(text)}</p>" if len(text) > 40 else None
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
        if 0 <= section < self.rowCount():
            return str(int(self._order[section]) + 1)
        return None

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
