"""A date axis for charts by day whose labels never overlap, in English whatever the desktop's language.

pyqtgraph's ``DateAxisItem`` mixes levels (days, then a month name between
them) and can put labels on top of each other in a narrow pane. A chart by
day needs one level only: the axis picks the smallest step (a day, two days,
a week, a fortnight, then whole months) whose labels fit the width it has,
and writes them as a court would read them (``22 Sep``, ``Oct 2025``).

Values on the axis are wall-clock seconds since 1970 in the case's zone, a
day being 86,400 of them (the bars sit at noon).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyqtgraph as pg

DAY_S = 86_400
DAY_STEPS = (1, 2, 7, 14)
MONTH_STEPS = (1, 2, 3, 6, 12)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EPOCH = dt.date(1970, 1, 1)


def _day(value: float) -> dt.date:
    return EPOCH + dt.timedelta(days=int(value // DAY_S))


class DayAxis(pg.AxisItem):
    """A bottom axis labelled by day (or by month when days cannot fit)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="bottom", **kwargs)
        self._months = False

    def _label_width(self) -> float:
        metrics = pg.QtGui.QFontMetrics(self.style.get("tickFont") or self.font())
        return metrics.horizontalAdvance("30 Sep") + 14

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:  # noqa: N802,N803
        if maxVal <= minVal or size <= 0:
            return []
        per_day = size / ((maxVal - minVal) / DAY_S)
        room = self._label_width()
        step = next((s for s in DAY_STEPS if s * per_day >= room), None)
        if step is not None:
            self._months = False
            first = int(minVal // DAY_S) + 1
            if step == 7:
                first += (7 - _day(first * DAY_S).weekday()) % 7  # weeks start on Mondays
            days = range(first, int(maxVal // DAY_S) + 1, step)
            return [(step * DAY_S, [d * DAY_S for d in days])]
        self._months = True
        months = next((m for m in MONTH_STEPS if m * 30.4 * per_day >= room), MONTH_STEPS[-1])
        start, end = _day(minVal), _day(maxVal)
        values = []
        year, month = start.year, start.month
        while (year, month) <= (end.year, end.month):
            first = dt.date(year, month, 1)
            if first >= start and (month - 1) % months == 0:
                values.append((first - EPOCH).days * DAY_S)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return [(months * 30 * DAY_S, values)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        days = [_day(v) for v in values]
        if self._months:
            return [f"{MONTHS[d.month - 1]} {d.year}" for d in days]
        return [f"{d.day} {MONTHS[d.month - 1]}" for d in days]
