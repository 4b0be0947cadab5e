"""The Timeline pane (pyqtgraph): lanes per subject and kind, daily counts, a draggable time range.

The x axis holds *local wall-clock* seconds in the case's zone (UTC plus that
moment's offset), so the date axis and the day bars read in the case's zone,
DST included, with pyqtgraph's own date axis (set to show its numbers as UTC).
Going back from the axis to a time uses ``core.timezones.localize``, the one
place where DST rules live. Dragging the range publishes a ``TimeRange``
(the "time" facet); the bars show the rest of the selection, so the range is
seen against its context. Lanes with more events than can be seen at once are
drawn as one tick per occupied bin rather than a tick per event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout

from cellsight.core.hub import Change, FocusRequested
from cellsight.core.selection import TimeRange
from cellsight.core.timezones import localize
from cellsight.gui.panes.base import Pane
from cellsight.report.mapdata import subject_colours
from cellsight.report.storyboard import Frame
from cellsight.gui.flow_layout import FlowLayout
from cellsight.gui.workspace import Workspace

DAY_S = 86_400
MAX_TICKS_PER_LANE = 20_000  # beyond this, a lane shows occupied bins
LANE_BINS = 6_000
RANGE_DELAY_MS = 120  # publish the range shortly after the drag settles
BARS_MIN_HEIGHT = 60  # the events-a-day bars stay readable under many lanes

pg.setConfigOptions(antialias=False, background="w", foreground="#33475b")


def local_seconds(utc: pd.Series, zone: str) -> np.ndarray:
    """Seconds since 1970-01-01 of the local wall clock in ``zone`` (NaN where missing)."""
    if utc.empty:
        return np.empty(0, dtype=float)
    wall = utc.dt.tz_convert(zone).dt.tz_localize(None).astype("datetime64[us]")
    values = wall.to_numpy().astype("datetime64[us]").astype(np.int64).astype(float) / 1e6
    values[wall.isna().to_numpy()] = np.nan
    return values


def to_utc(seconds: float, zone: str) -> pd.Timestamp:
    """The UTC time whose local wall clock in ``zone`` is ``seconds`` since 1970."""
    wall = pd.Series([pd.Timestamp(int(round(seconds * 1e6)), unit="us")])
    utc, _ = localize(wall, zone)
    return utc.iloc[0]


class TimelinePane(Pane):
    name = "timeline"
    title = "Timeline"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setAcceptDrops(False)
        axis_top = pg.DateAxisItem(orientation="bottom", utcOffset=0)
        axis_bottom = pg.DateAxisItem(orientation="bottom", utcOffset=0)
        self.lanes = self.graphics.addPlot(row=0, col=0, axisItems={"bottom": axis_top})
        self.bars_plot = self.graphics.addPlot(row=1, col=0, axisItems={"bottom": axis_bottom})
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)
        self.bars_plot.setXLink(self.lanes)
        for plot in (self.lanes, self.bars_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.showGrid(x=True, y=False, alpha=0.15)
            plot.getViewBox().setLimits(yMin=-1)
        # One date scale, under the bars: the lanes share it (their x is linked), so their own axis
        # keeps its ticks for the eye but no labels, and the band fits a laptop without scrolling.
        self.lanes.getAxis("bottom").setStyle(showValues=False)
        self.lanes.getAxis("bottom").setHeight(6)
        self.lanes.hideButtons()
        self.bars_plot.hideButtons()
        self.lanes.getAxis("left").setWidth(130)
        self.bars_plot.getAxis("left").setWidth(130)
        self.bars_plot.setLabel("left", "events a day")
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(43, 74, 111, 40), pen=pg.mkPen("#2b4a6f", width=2),
                                          movable=True)
        self.region.setZValue(10)
        self.region_lanes = pg.LinearRegionItem(brush=pg.mkBrush(43, 74, 111, 30),
                                                pen=pg.mkPen("#2b4a6f", width=1), movable=True)
        self.region_lanes.setZValue(10)
        self.region.hide()
        self.region_lanes.hide()
        self.bars_plot.addItem(self.region, ignoreBounds=True)
        self.lanes.addItem(self.region_lanes, ignoreBounds=True)
        self.region.sigRegionChanged.connect(lambda: self._sync(self.region, self.region_lanes))
        self.region_lanes.sigRegionChanged.connect(lambda: self._sync(self.region_lanes, self.region))
        self.region.sigRegionChangeFinished.connect(self._region_moved)
        self.region_lanes.sigRegionChangeFinished.connect(self._region_moved)
        self._publish_timer = QTimer(self)
        self._publish_timer.setObjectName("timeline_publish_timer")
        self._publish_timer.setSingleShot(True)
        self._publish_timer.setInterval(RANGE_DELAY_MS)
        self._publish_timer.timeout.connect(self._publish_region)
        self.all_bars = pg.BarGraphItem(x=[], height=[], width=DAY_S * 0.9, brush=pg.mkBrush("#d5dde7"),
                                        pen=pg.mkPen(None))
        self.sel_bars = pg.BarGraphItem(x=[], height=[], width=DAY_S * 0.9, brush=pg.mkBrush("#2b4a6f"),
                                        pen=pg.mkPen(None))
        self.bars_plot.addItem(self.all_bars)
        self.bars_plot.addItem(self.sel_bars)
        self._lane_items: list[Any] = []
        self._x: np.ndarray = np.empty(0)
        self._day_index = np.empty(0, dtype=np.int64)
        self._first_day = 0
        self._syncing = False

        select_week = QPushButton("Select a week")
        select_week.setToolTip("Put a seven-day range at the start of the view; drag it or its edges")
        select_week.clicked.connect(self.select_week_in_view)
        clear = QPushButton("Clear range")
        clear.clicked.connect(lambda: self.set_range(None))
        fit = QPushButton("Fit")
        fit.clicked.connect(self.fit)
        self.info = QLabel("Drag the shaded range, or its edges, to select a time span.")
        self.info.setObjectName("hint")
        self.info.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        bar.addLayout(FlowLayout().addWidgets(select_week, clear, fit))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.empty = QLabel("No events yet. Import call records or a phone download (drop them on the "
                            "window): each subject's calls, texts and chats then show here, day by day.")
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addLayout(bar)
        # Each lane's label needs a line of text: with many lanes in a low band the chart scrolls
        # rather than print the labels over each other.
        self.chart_area = QScrollArea()
        self.chart_area.setWidgetResizable(True)
        self.chart_area.setFrameShape(QFrame.Shape.NoFrame)
        self.chart_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart_area.setWidget(self.graphics)
        layout.addWidget(self.chart_area, 1)
        layout.addWidget(self.empty, 1)
        self.chart_area.hide()  # no events, no axes: an empty chart's numbers would mean nothing

    # ----- building --------------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & (Change.CASE | Change.ROWS | Change.SUBJECTS):
            self._build_lanes()
            self.fit()
        super().case_changed(change)

    def _build_lanes(self) -> None:
        for item in self._lane_items:
            self.lanes.removeItem(item)
        self._lane_items = []
        case = self.case
        self.region.hide()
        self.region_lanes.hide()
        has_events = case is not None and not case.events.empty
        self.chart_area.setVisible(has_events)
        self.empty.setVisible(not has_events)
        if not has_events:
            self._x = np.empty(0)
            self._index_days()
            self.lanes.getAxis("left").setTicks([[]])
            return
        events = case.events
        self._x = local_seconds(events["start"], self.zone)
        self._index_days()
        colours = subject_colours(case)
        subjects = events["subject"].astype("string").fillna("(no subject)").to_numpy()
        kinds = events["kind"].astype("string").fillna("other").to_numpy()
        lanes = pd.DataFrame({"subject": subjects, "kind": kinds}).value_counts(sort=False)
        ticks = []
        finite = np.isfinite(self._x)
        lo, hi = (np.nanmin(self._x), np.nanmax(self._x)) if finite.any() else (0.0, 1.0)
        for lane, ((subject, kind), _) in enumerate(sorted(lanes.items())):
            in_lane = (subjects == subject) & (kinds == kind) & finite
            xs = self._x[in_lane]
            if len(xs) > MAX_TICKS_PER_LANE:
                counts, edges = np.histogram(xs, bins=LANE_BINS, range=(lo, hi + 1))
                xs = ((edges[:-1] + edges[1:]) / 2)[counts > 0]
            y0 = np.full(len(xs), lane - 0.35)
            y1 = np.full(len(xs), lane + 0.35)
            item = pg.PlotCurveItem(np.repeat(xs, 2), np.column_stack([y0, y1]).ravel(),
                                    connect="pairs", pen=pg.mkPen(colours.get(subject, "#455a64"), width=1),
                                    skipFiniteCheck=True)
            self.lanes.addItem(item)
            self._lane_items.append(item)
            ticks.append((lane, f"{subject} · {kind}"))
        self.lanes.getAxis("left").setTicks([ticks])
        self._fit_lane_labels(len(ticks))
        self.lanes.setYRange(-0.7, max(len(ticks) - 0.3, 0.7), padding=0)
        days, counts = self._daily(np.ones(len(events), dtype=bool))
        self.all_bars.setOpts(x=days + DAY_S / 2, height=counts, width=DAY_S * 0.9)

    def _fit_lane_labels(self, lanes: int) -> None:
        """Give every lane a line of text, so that no label is printed over its neighbour."""
        line = self.fontMetrics().lineSpacing() + 2
        axis = (self.lanes.getAxis("bottom").height() + self.bars_plot.getAxis("bottom").height()
                + 8)  # the lanes' unlabelled axis, the date axis and the plots' margins
        lanes_height = max(lanes, 1) * line + line
        self.lanes.setMinimumHeight(lanes_height)
        self.bars_plot.setMinimumHeight(BARS_MIN_HEIGHT)
        self.graphics.setMinimumHeight(lanes_height + BARS_MIN_HEIGHT + axis)

    def _daily(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local-midnight seconds of each day with selected events, and their counts.

        Counting is a ``bincount`` of precomputed day numbers: linear in the
        events, with no sort, so a million rows redraw in milliseconds.
        """
        days = self._day_index[mask]
        days = days[days >= 0]
        if not len(days):
            return np.empty(0), np.empty(0)
        counts = np.bincount(days)
        present = np.flatnonzero(counts)
        return (present + self._first_day).astype(float) * DAY_S, counts[present].astype(float)

    def _index_days(self) -> None:
        """Each event's local day, counted from the first day (-1 where the time is missing)."""
        finite = np.isfinite(self._x)
        day = np.full(len(self._x), -1, dtype=np.int64)
        self._first_day = int(np.floor(np.nanmin(self._x) / DAY_S)) if finite.any() else 0
        day[finite] = np.floor(self._x[finite] / DAY_S).astype(np.int64) - self._first_day
        self._day_index = day

    def fit(self) -> None:
        finite = self._x[np.isfinite(self._x)] if len(self._x) else self._x
        if len(finite):
            self.lanes.setXRange(finite.min() - DAY_S / 2, finite.max() + DAY_S / 2, padding=0.01)

    # ----- selection ----------------------------------------------------------------------------
    def refresh(self) -> None:
        case = self.case
        if case is not None and len(self._x) == len(case.events):
            mask = self.mask(self.selection_without("time"))
            days, counts = self._daily(mask)
            self.sel_bars.setOpts(x=days + DAY_S / 2, height=counts, width=DAY_S * 0.9)
            self.bars_plot.setYRange(0, max(float(counts.max()) if len(counts) else 1.0, 1.0) * 1.1,
                                     padding=0)
            self._show_time_facet()
        super().refresh()

    def _show_time_facet(self) -> None:
        facet = self.ws.hub.facets().get("time")
        if isinstance(facet, TimeRange):
            x0 = local_seconds(pd.Series([facet.start]), self.zone)[0]
            x1 = local_seconds(pd.Series([facet.end]), self.zone)[0]
            self._set_region((x0, x1))
        else:
            self.region.hide()
            self.region_lanes.hide()
        self._update_info()

    def _set_region(self, xs: tuple[float, float]) -> None:
        self._syncing = True
        for region in (self.region, self.region_lanes):
            region.blockSignals(True)
            region.setRegion(xs)
            region.blockSignals(False)
            region.show()
        self._syncing = False

    def _sync(self, source: pg.LinearRegionItem, target: pg.LinearRegionItem) -> None:
        if self._syncing:
            return
        self._syncing = True
        target.setRegion(source.getRegion())
        self._syncing = False

    def _region_moved(self) -> None:
        if self.region.isVisible():
            self._publish_timer.start()

    def _publish_region(self) -> None:
        x0, x1 = self.region.getRegion()
        self.set_range(TimeRange(to_utc(x0, self.zone), to_utc(x1, self.zone)), publish_only=True)

    def set_range(self, time_range: TimeRange | None, publish_only: bool = False) -> None:
        """Make ``time_range`` the "time" facet of the selection (None clears it)."""
        if not publish_only:
            if time_range is None:
                self.region.hide()
                self.region_lanes.hide()
            else:
                x0, x1 = local_seconds(pd.Series([time_range.start, time_range.end]), self.zone)
                self._set_region((x0, x1))
        self.publish("time", time_range)
        self._update_info()

    def select_week_in_view(self) -> None:
        """A seven-day range starting at the local midnight at the left of the view."""
        if not len(self._x):
            return
        left = self.lanes.getViewBox().viewRange()[0][0]
        first = np.nanmin(self._x)
        start = max(np.floor(left / DAY_S), np.floor(first / DAY_S)) * DAY_S
        self.set_range(TimeRange(to_utc(start, self.zone), to_utc(start + 7 * DAY_S - 1, self.zone)))

    def _update_info(self) -> None:
        facet = self.ws.hub.facets().get("time")
        if isinstance(facet, TimeRange) and self.case is not None:
            self.info.setText(f"Range {facet.describe(self.zone)} ({self.zone})")
        else:
            self.info.setText(f"“Select a week”, then drag the range or its edges. Dates in {self.zone}.")

    def focus(self, message: FocusRequested) -> None:
        if message.start is None or message.end is None or not len(self._x):
            return
        x0, x1 = local_seconds(pd.Series([message.start, message.end]), self.zone)
        pad = max((x1 - x0) * 0.5, 3600.0)
        self.lanes.setXRange(x0 - pad, x1 + pad, padding=0)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: a band under the tables, not half the window
        return QSize(900, 240)

    def shutdown(self) -> None:
        self._publish_timer.stop()

    def capture(self) -> Frame | None:
        case = self.case
        if case is None or case.events.empty:
            return None
        mask = self.mask(self.selection)
        days, counts = self._daily(mask)
        series = [{"period": pd.Timestamp(int(d), unit="s").strftime("%Y-%m-%d"), "count": int(c)}
                  for d, c in zip(days, counts)]
        peak = max(series, key=lambda s: s["count"]) if series else None
        subjects = sorted(set(case.events.loc[mask, "subject"].dropna().astype(str)))
        return Frame("chart", caption="Events a day in the selection",
                     parameters={"pane": self.name, "by": "day", "zone": self.zone,
                                 "subjects": subjects, **self.selection_parameters()},
                     content={"chart": "series", "a": ", ".join(subjects), "b": "", "by": "day",
                              "kinds": None, "data": {"series": series, "peak": peak,
                                                      "total": int(mask.sum())}})
