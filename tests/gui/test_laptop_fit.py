"""The workstation on a police laptop: the default layout with a case open fits a 1366 × 768 screen.

About 1366 × 700 is left once a taskbar is shown, and the window must still be
usable at 1280 × 720; every pane must be reachable (in view, or a tab in view).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize, QThreadPool
from PySide6.QtWidgets import QTabBar

from cellsight.gui.main_window import default_size

LAPTOP = QSize(1366, 700)
SMALLEST = QSize(1280, 700)


def _reachable(window, dock) -> bool:
    """In view inside the window, or a tab (in view) that brings it there."""
    inside = window.rect()
    if dock.isVisible() and not dock.visibleRegion().isEmpty():
        return inside.contains(QRect(dock.mapTo(window, dock.rect().topLeft()), dock.size()))
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    return any(inside.contains(bar.geometry()) and dock.windowTitle() in {bar.tabText(i) for i in range(bar.count())}
               for bar in bars)


@pytest.fixture
def laptop_window(qtbot, demo_case_file):
    """The workstation started on a laptop's screen (no layout saved yet), with the demo case open."""
    from cellsight.core.casefile import open_case
    from cellsight.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window, before_close_func=lambda w: setattr(w, "_closing", True))
    window.resize(LAPTOP)
    window.show()
    qtbot.waitExposed(window)
    window.set_case(open_case(demo_case_file), None)
    qtbot.wait(50)  # the default proportions are applied once the panes are out
    yield window
    window.discard_and_close()
    assert QThreadPool.globalInstance().waitForDone(20_000)


def test_the_default_layout_with_a_case_open_fits_a_laptop_screen(laptop_window, qtbot) -> None:
    window = laptop_window
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALLEST.width() and hint.height() <= SMALLEST.height(), (
        f"the window needs {hint.width()} × {hint.height()} px; panes: "
        + ", ".join(f"{n} {d.minimumSizeHint().width()}" for n, d in window.docks.items()))
    assert window.size() == LAPTOP
    for name, dock in window.docks.items():
        assert _reachable(window, dock), f"the {name} pane cannot be reached at 1366 × 700"
    for name, dock in window.docks.items():  # brought to the front, each pane lies wholly in the window
        dock.raise_()
        qtbot.waitUntil(lambda d=dock: not d.visibleRegion().isEmpty())
        assert _reachable(window, dock), f"the {name} pane is cut off at 1366 × 700"
    window.reset_layout()  # View > Reset layout keeps the window on the screen
    qtbot.wait(50)
    assert window.size() == LAPTOP and window.minimumSizeHint().width() <= SMALLEST.width()


def test_reset_layout_brings_back_a_closed_or_floating_pane(demo_window, qtbot) -> None:
    window = demo_window
    window.docks["map"].close()
    window.docks["messages"].setFloating(True)
    window.reset_layout()
    assert window.docks["map"].isVisible() and not window.docks["messages"].isFloating()
    assert window.act_reset_layout in window.menuBar().actions()[3].menu().actions()  # View > Reset layout


def test_the_first_window_is_no_larger_than_the_screen() -> None:
    assert default_size(QSize(1366, 705)) == QSize(1366, 705)
    assert default_size(QSize(2560, 1400)) == QSize(1440, 900)


def test_timeline_lane_labels_each_get_a_line(demo_window, qtbot) -> None:
    timeline = demo_window.panes["timeline"]
    demo_window.docks["timeline"].raise_()
    timeline.ensure_fresh()
    ticks = timeline.lanes.getAxis("left")._tickLevels[0]
    assert len(ticks) >= 4
    line = timeline.fontMetrics().lineSpacing()
    timeline.graphics.resize(timeline.graphics.width(), timeline.graphics.minimumHeight())
    qtbot.wait(20)
    view = timeline.lanes.getViewBox()
    span = view.mapViewToScene(view.viewRect().topLeft()).y(), view.mapViewToScene(view.viewRect().bottomLeft()).y()
    per_lane = abs(span[1] - span[0]) / (len(ticks) + 0.4)
    assert per_lane >= line, f"{per_lane:.1f} px a lane, labels need {line}"
