"""The conversation view's model and its bubbles, virtualised for a thread of a hundred thousand messages.

``MessageListModel`` holds only the positions (in the case's events) of the
messages shown, in time order; every text it gives is made when a bubble is
painted, and the court form of the times and the citations a block of rows at
a time (``LazyText``). ``BubbleDelegate`` paints each message as a bubble on
its sender's side: who wrote to whom above the text; when (court form), any
deleted state, and the exhibit and row below it; terms of concern highlighted
in red and the words searched for in yellow. A bubble's height comes from the font's metrics
for the wrapped text, cached per message until the width changes, so the
view (in batched layout) never builds a document for a bubble it does not
paint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from cellsight.analysis.messages import party_text, spans
from cellsight.core.text import reveal
from cellsight.gui.models.evidence import exhibit_text, row_text
from cellsight.gui.models.frame_model import LazyText, court_time_text

BUBBLE_SHARE = 0.86  # of the view's width
META_LINES = 3  # who to whom; when; exhibit and row
PAD = 8  # inside a bubble
GAP = 5  # between bubbles
SIDE = 12  # between a bubble and the view's edge
COLOURS = {"right": "#dbe8f6", "left": "#f1f3f5", "deleted": "#fbe9e7", "border": "#c9d3de",
           "selected": "#2b4a6f", "concern": "#f8c9c4", "search": "#fff1a8", "meta": "#5b6b7c",
           "deleted_text": "#a12b1f"}


@dataclass(frozen=True)
class Message:
    """What one bubble shows."""

    header: str  # "Daniel Price → Sarah Holt"
    text: str  # revealed: bidirectional controls shown as [U+XXXX]
    time: str  # "Sat 11 Oct 2025 22:35:00 BST"
    footer: str  # "AM/4 model 991 · WhatsApp · Read"
    parties: str  # "Daniel Price (+447700900417) → Sarah Holt (+447700900832)": names with numbers
    deleted: bool
    right: bool  # written by the conversation's anchor party (drawn on the right)
    concern: bool


class MessageListModel(QAbstractListModel):
    """Messages at ``positions`` of ``events``, in the order given (time order)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._positions = np.empty(0, dtype=np.int64)
        self._events: pd.DataFrame | None = None
        self._right = np.empty(0, dtype=bool)
        self._concern = np.empty(0, dtype=bool)
        self._names: dict[str, str] = {}
        self.terms: list[str] = []
        self.search = ""

    # ----- content -----------------------------------------------------------------------------
    def set_case(self, case: Any, names: dict[str, str], right: np.ndarray, concern: np.ndarray) -> None:
        """Read messages from ``case``'s events; ``right``/``concern`` are per event (True where so)."""
        self.beginResetModel()
        events = case.events
        self._events = events
        self._names = names
        self._right, self._concern = right, concern
        self._times = LazyText(court_time_text(events["start"].array, case.info.zone), len(events))
        self._exhibits = LazyText(exhibit_text(case, events), len(events))
        self._rows = LazyText(row_text(case, events), len(events))
        self._arrays = {c: events[c].array for c in ("party_a", "party_b", "text", "deleted", "app", "status")}
        self._positions = np.empty(0, dtype=np.int64)
        self.endResetModel()

    def set_concern(self, concern: np.ndarray, terms: list[str]) -> None:
        self._concern, self.terms = concern, terms
        self._repaint()

    def set_positions(self, positions: np.ndarray, search: str = "") -> None:
        self.beginResetModel()
        self._positions = np.asarray(positions, dtype=np.int64)
        self.search = search
        self.endResetModel()

    def _repaint(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    @property
    def positions(self) -> np.ndarray:
        """Positions in the case's events of the messages shown, in the order shown."""
        return self._positions

    # ----- one message -------------------------------------------------------------------------
    def _value(self, column: str, position: int) -> Any:
        value = self._arrays[column][position]
        return None if value is None or pd.isna(value) else value

    def text(self, row: int) -> str:
        """The text of the message at ``row``, as shown (bidirectional controls revealed)."""
        return reveal(str(self._value("text", int(self._positions[row])) or ""))

    def message(self, row: int) -> Message:
        position = int(self._positions[row])
        a, b = self._value("party_a", position), self._value("party_b", position)
        deleted = bool(self._value("deleted", position) or False)
        place = f"{self._exhibits.text(self._positions, row)} {self._rows.text(self._positions, row)}"
        extra = [str(v) for v in (self._value("app", position), self._value("status", position)) if v]
        return Message(header=f"{self._short(a)} → {self._short(b)}", text=self.text(row),
                       time=self._times.text(self._positions, row), footer=" · ".join([place, *extra]),
                       parties=f"{party_text(self._names, a) or '(unknown)'} → {party_text(self._names, b) or '(unknown)'}",
                       deleted=deleted, right=bool(self._right[position]), concern=bool(self._concern[position]))

    def _short(self, party: Any) -> str:
        """A party's name where the case knows it (the number is in the reading strip), else the party."""
        return "(unknown)" if party is None else self._names.get(str(party), str(party))

    # ----- Qt model interface --------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._positions)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            message = self.message(index.row())
            return f"<p>{escape(message.parties)}</p><p>{escape(message.time)}<br>{escape(message.footer)}</p>"
        return None


def _highlighted(text: str, concern: Sequence[tuple[int, int]], search: str) -> str:
    """``text`` as HTML with the concern spans in red and the searched words in yellow."""
    marks = np.zeros(len(text), dtype=np.int8)
    for start, end in concern:
        marks[start:end] = 2
    if search:
        lowered, needle = text.lower(), search.lower()
        at = lowered.find(needle)
        while at >= 0 and needle:
            marks[at:at + len(needle)] = np.maximum(marks[at:at + len(needle)], 1)
            at = lowered.find(needle, at + len(needle))
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and marks[j] == marks[i]:
            j += 1
        chunk = escape(text[i:j]).replace("\n", "<br>")
        colour = {1: COLOURS["search"], 2: COLOURS["concern"]}.get(int(marks[i]))
        out.append(f"<span style='background:{colour}'>{chunk}</span>" if colour else chunk)
        i = j
    return "".join(out)


class BubbleDelegate(QStyledItemDelegate):
    """Paints a message as a bubble on its sender's side; heights cached per message and width."""

    def __init__(self, model: MessageListModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model
        self._heights: dict[int, int] = {}
        self._width = 0

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() - 1.0, 6.0))
        return option.font, small

    def _text_width(self, view_width: int) -> int:
        return max(int(view_width * BUBBLE_SHARE) - 2 * PAD, 80)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 - Qt override
        width = option.rect.width() or (option.widget.viewport().width() if option.widget else 600)
        if width != self._width:
            self._heights.clear()
            self._width = width
        row = index.row()
        position = int(self.model.positions[row])
        height = self._heights.get(position)
        if height is None:
            font, small = self._fonts(option)
            text = self.model.text(row) or " "
            body = QFontMetrics(font).boundingRect(QRect(0, 0, self._text_width(width), 100_000),
                                                   int(Qt.TextFlag.TextWordWrap), text).height()
            height = body + META_LINES * QFontMetrics(small).height() + 2 * PAD + GAP + 6
            self._heights[position] = height
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        message = self.model.message(index.row())
        font, small = self._fonts(option)
        metrics = QFontMetrics(small)
        line = metrics.height()
        text_width = self._text_width(option.rect.width())
        document = QTextDocument()
        document.setDefaultFont(font)
        document.setDocumentMargin(0)
        document.setTextWidth(text_width)
        document.setHtml(_highlighted(message.text, spans(message.text, self.model.terms) if message.concern
                                      else [], self.model.search))
        deleted_note = "  deleted (recovered)" if message.deleted else ""
        meta_width = max(metrics.horizontalAdvance(message.header),
                         metrics.horizontalAdvance(message.time + deleted_note),
                         metrics.horizontalAdvance(message.footer))
        bubble_width = min(max(int(document.idealWidth()), meta_width) + 2 * PAD, text_width + 2 * PAD)
        left = (option.rect.right() - SIDE - bubble_width) if message.right else option.rect.left() + SIDE
        bubble = QRect(left, option.rect.top() + GAP, bubble_width, option.rect.height() - GAP - 2)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pen = QPen(QColor(COLOURS["selected"] if selected else
                          COLOURS["deleted_text"] if message.concern else COLOURS["border"]),
                   2.0 if selected or message.concern else 1.0)
        if message.deleted:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QColor(COLOURS["deleted"] if message.deleted else
                                COLOURS["right" if message.right else "left"]))
        painter.drawRoundedRect(bubble, 8, 8)
        inner = bubble.adjusted(PAD, PAD // 2, -PAD, -PAD // 2)
        left_aligned = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.setFont(small)
        painter.setPen(QColor(COLOURS["meta"]))
        painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line), left_aligned,
                         metrics.elidedText(message.header, Qt.TextElideMode.ElideRight, inner.width()))
        painter.translate(inner.left(), inner.top() + line + 2)
        document.drawContents(painter)
        painter.translate(-inner.left(), -(inner.top() + line + 2))
        when = QRect(inner.left(), inner.bottom() - 2 * line, inner.width(), line)
        painter.drawText(when, left_aligned, message.time)
        painter.drawText(QRect(inner.left(), inner.bottom() - line, inner.width(), line), left_aligned,
                         metrics.elidedText(message.footer, Qt.TextElideMode.ElideMiddle, inner.width()))
        if message.deleted:
            painter.setPen(QColor(COLOURS["deleted_text"]))
            painter.drawText(when, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                             deleted_note.strip())
        painter.restore()
