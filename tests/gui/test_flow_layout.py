"""The wrapping row of controls: nothing overlaps, nothing leaves the width it is given, and it asks
for no more than its widest control."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

from cellsight.gui.flow_layout import FlowLayout


class _Fixed(QWidget):
    def __init__(self, size: QSize) -> None:
        super().__init__()
        self._size = size

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._size

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._size


@settings(max_examples=40, deadline=None)
@given(widths=st.lists(st.integers(10, 200), min_size=1, max_size=8), room=st.integers(0, 700))
def test_controls_wrap_inside_the_width_without_overlapping(qapp, widths, room) -> None:
    host = QWidget()
    layout = FlowLayout(host, spacing=6)
    items = [_Fixed(QSize(w, 24)) for w in widths]
    layout.addWidgets(*items)
    width = max(room, max(widths))  # a pane is never narrower than its widest control
    assert layout.minimumSize().width() == max(widths)
    layout.setGeometry(QRect(0, 0, width, 400))
    rects = [w.geometry() for w in items]
    for i, rect in enumerate(rects):
        assert rect.left() >= 0 and rect.right() < width, f"control {i} leaves the width"
        assert rect.size() == QSize(widths[i], 24)
        for other in rects[i + 1:]:
            assert not rect.intersects(other)
    lines = len({r.top() for r in rects})
    assert layout.minimumSize().height() == lines * 24 + (lines - 1) * 6  # as high as the lines it took
    host.deleteLater()
