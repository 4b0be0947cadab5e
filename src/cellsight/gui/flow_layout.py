"""A row of controls that wraps onto more lines when its pane is narrow (Qt's "flow layout" example).

A pane's buttons and options laid in a plain row make the pane as wide as the
whole row, and a dock's minimum width is its widest pane's: three such rows
pushed the main window past 2,000 px, off a laptop's 1366 px screen. In a flow
layout the minimum width is that of the widest single control, and the row
takes as many lines as the width the officer gives it needs.

Unlike Qt's example it does not report a height-for-width: a vertical box
layout then sums its other items' *preferred* heights, which grew every pane
holding a flow to its preferred height and the window past a laptop's 700 px.
Instead its minimum height is the height it needed at the width it was last
given, and it asks to be laid out again when that changes.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Controls left to right, wrapping to the next line where the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._height = 0  # the height the controls took at the width last given (0: one line)
        self.setContentsMargins(0, 0, 0, 0)

    def addWidgets(self, *widgets: QWidget) -> FlowLayout:  # noqa: N802 - reads like Qt's addWidget
        for widget in widgets:
            self.addWidget(widget)
        return self

    # ----- QLayout's item protocol ----------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt override
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # ----- sizes -------------------------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt override
        return Qt.Orientation(0)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt override
        super().setGeometry(rect)
        height = self._arrange(rect, move=True)
        if height != self._height:  # more or fewer lines than the layout above allowed for: ask again
            self._height = height
            QTimer.singleShot(0, self, self.invalidate)  # not after the layout is gone

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """All on one line, when there is room for it."""
        width = sum(item.sizeHint().width() for item in self._items) + self._spacing * max(len(self._items) - 1, 0)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(), self._lines_height())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as the widest control; as high as the lines at the present width."""
        width = max((item.minimumSize().width() for item in self._items), default=0)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(), self._lines_height())

    def _lines_height(self) -> int:
        one_line = max((item.sizeHint().height() for item in self._items), default=0)
        margins = self.contentsMargins()
        return max(self._height, one_line + margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place (or, with ``move`` False, only measure) the items in ``rect``; returns the height used."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line_height = area.x(), area.y(), 0
        for item in self._items:
            if item.widget() is not None and not item.widget().isVisibleTo(item.widget().parentWidget()):
                continue
            hint = item.sizeHint()
            width = min(hint.width(), area.width())
            if x > area.x() and x + width > area.right() + 1:
                x = area.x()
                y += line_height + self._spacing
                line_height = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y() + margins.bottom()

