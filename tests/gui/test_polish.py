"""Polish found by driving the workstation as an officer would (issue 15, item 6)."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QSpinBox, QStyle, QStyleOptionSpinBox, QTabBar

from cellsight.core.case import Case
from cellsight.gui.panes.case import short_hash
from cellsight.gui.panes.day_axis import DAY_S, DayAxis
from cellsight.gui.resources import style_sheet


def test_the_proximity_dock_shows_every_occasion_every_column_and_the_statement(demo_window, qtbot) -> None:
    window = demo_window
    prox = window.panes["proximity"]
    window.docks["proximity"].raise_()
    prox.run_analysis()
    qtbot.waitUntil(lambda: prox.doc is not None and not window.tasks, timeout=30_000)
    qtbot.wait(50)  # the columns are fitted again once the rows are laid out
    view = prox.view
    assert prox.model.rowCount() == 6
    viewport = view.viewport().rect()
    for row in range(6):
        assert view.rowViewportPosition(row) >= 0
        assert view.rowViewportPosition(row) + view.rowHeight(row) <= viewport.height(), f"occasion {row + 1}"
    for column in range(prox.model.columnCount()):
        if not view.isColumnHidden(column):
            right = view.columnViewportPosition(column) + view.columnWidth(column)
            assert right <= viewport.width(), f"column {prox.model.headerData(column, 1)} is cut off"
    assert not view.verticalScrollBar().isVisible() and not view.horizontalScrollBar().isVisible()
    # the method statement is folded (the occasions get the height) and opens inside the pane
    assert not prox.statement.isVisible() and prox.statement.toPlainText()
    prox.statement_toggle.click()
    qtbot.waitUntil(prox.statement.isVisible)
    bottom = prox.statement.mapTo(prox, QPoint(0, prox.statement.height())).y()
    assert bottom <= prox.height() and prox.statement.height() >= 70
    prox.statement_toggle.click()
    assert not prox.statement.isVisible()
    assert "Sat 1 Nov 2025" in prox.model.display(5, 1)  # times as a court reads them


def test_spin_boxes_show_their_arrows(qtbot) -> None:
    app = QApplication.instance()
    before = app.styleSheet()
    app.setStyleSheet(style_sheet())
    try:
        assert "@RESOURCES@" not in app.styleSheet() and "arrow-up.svg" in app.styleSheet()
        spin = QSpinBox()
        qtbot.addWidget(spin)
        spin.setRange(0, 100)
        spin.setValue(50)
        spin.resize(120, 30)
        spin.show()
        qtbot.waitExposed(spin)
        image = spin.grab().toImage()
        option = QStyleOptionSpinBox()
        option.initFrom(spin)
        option.subControls = QStyle.SubControl.SC_SpinBoxUp | QStyle.SubControl.SC_SpinBoxDown
        for control in (QStyle.SubControl.SC_SpinBoxUp, QStyle.SubControl.SC_SpinBoxDown):
            rect: QRect = spin.style().subControlRect(QStyle.ComplexControl.CC_SpinBox, option, control, spin)
            assert rect.width() >= 12, "no room for the arrow buttons"
            dark = [image.pixelColor(x, y).lightness() < 110 for x in range(rect.left(), rect.right())
                    for y in range(rect.top(), rect.bottom())]
            assert sum(dark) >= 4, f"no arrow drawn in {control}"
    finally:
        app.setStyleSheet(before)


def _stray_tab_bars(window) -> list[set[str]]:
    """Tab bars drawn on screen that do not sit under any of their docks (left over from a move)."""
    stray = []
    for bar in window.findChildren(QTabBar):
        if bar.parent() is not window or not bar.isVisible() or bar.geometry().x() < 0:
            continue
        names = {bar.tabText(i) for i in range(bar.count())}
        docks = [d for d in window.docks.values() if d.windowTitle() in names and d.isVisible()
                 and not d.isFloating()]
        if not any(abs(d.geometry().bottom() + 1 - bar.geometry().top()) <= 2 for d in docks):
            stray.append(names)
    return stray


def test_floating_and_docking_again_leaves_no_stray_tab_bar(window, qtbot) -> None:
    qtbot.wait(50)
    for name in ("map", "contacts", "events"):
        window.docks[name].setFloating(True)
        qtbot.wait(50)
        window.docks[name].setFloating(False)
        qtbot.wait(50)
        assert _stray_tab_bars(window) == [], f"after floating {name}"
    window.reset_layout()
    qtbot.wait(50)
    assert _stray_tab_bars(window) == []


def test_contact_chart_day_labels_never_overlap() -> None:
    axis = DayAxis()
    width = axis._label_width()
    first = (pd.Timestamp("2025-09-22") - pd.Timestamp("1970-01-01")).days * DAY_S
    for days in (7, 30, 49, 120, 400):
        for pixels in (180, 300, 500, 900):
            (spacing, values), = axis.tickValues(first, first + days * DAY_S, pixels)
            per_second = pixels / (days * DAY_S)
            gaps = [(b - a) * per_second for a, b in zip(values, values[1:])]
            assert all(gap >= width * 0.95 for gap in gaps), (days, pixels, gaps)
            labels = axis.tickStrings(values, 1, spacing)
            assert all(label and label.isascii() for label in labels)
    (_, values), = axis.tickValues(first, first + 7 * DAY_S, 900)
    assert axis.tickStrings(values, 1, DAY_S)[:2] == ["23 Sep", "24 Sep"]  # English, whatever the desktop


def test_contacts_chart_waits_for_a_pair_and_timeline_for_events(window, qtbot) -> None:
    contacts = window.panes["contacts"]
    window.docks["contacts"].raise_()
    qtbot.waitUntil(lambda: contacts.model.rowCount() > 0 and not window.tasks, timeout=20_000)
    assert not contacts.chart.isVisible()  # no pair chosen: no axes with meaningless numbers
    contacts.choose_row(0)
    qtbot.waitUntil(lambda: contacts.pair is not None and not window.tasks, timeout=20_000)
    assert contacts.chart.isVisible()
    window.set_case(Case.new(name="Empty"), None)
    timeline = window.panes["timeline"]
    assert not timeline.graphics.isVisible() and timeline.empty.isVisible()
    assert "No events yet" in timeline.empty.text()


def test_sha256_fits_its_column_and_the_chosen_file_shows_it_whole(window, qtbot) -> None:
    pane = window.panes["case"]
    window.docks["case"].raise_()
    pane.tabs.setCurrentIndex(1)
    qtbot.wait(50)
    files = pane.sources
    source = window.case.sources[0]
    assert files.item(0).text().splitlines()[1].endswith(f"SHA-256 {short_hash(source.sha256)}")  # then the time basis
    assert len(short_hash(source.sha256)) < 20 and not files.horizontalScrollBar().isVisible()
    assert files.visualItemRect(files.item(0)).right() <= files.viewport().width()
    files.setCurrentItem(files.item(0))
    shown = pane.source_details.text().replace(" ", "")
    assert source.sha256 in shown  # whole, in groups of eight that wrap instead of scrolling
    assert pane.source_details.geometry().right() <= pane.width()
