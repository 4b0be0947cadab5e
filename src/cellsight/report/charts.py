"""Charts for the PDF as reportlab vector drawings: the contact series and the hour × weekday heatmap.

Drawn from shapes rather than a chart library so that every label is placed on
purpose for a jury: the peak bar is coloured and labelled with its period and
count, axis labels are thinned to stay legible over hundreds of days, and the
heatmap prints each cell's count where it fits. Vector drawings keep the text
extractable from the PDF and the output byte-identical between runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from collections.abc import Callable

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from cellsight.report import fonts
from cellsight.report.fonts import SANS
from cellsight.report.words import period_words, short_period_words

BAR = colors.HexColor("#5c7fa3")
PEAK = colors.HexColor("#c62828")
AXIS = colors.HexColor("#424242")
GRIDLINE = colors.HexColor("#dddddd")
FONT = SANS  # embedded with the report, as every font of the PDF is
fonts.register()


def nice_ceiling(value: float) -> tuple[float, float]:
    """An axis top at or above ``value`` and a round tick step (about five ticks)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if raw <= f * power)
    step = max(step, 1.0)
    return math.ceil(value / step) * step, step


def series_chart(series: Sequence[dict[str, Any]], peak: dict[str, Any] | None, width: float,
                 height: float, font: str = FONT, unit: str = "communications", by: str = "day",
                 text: Callable[[str], str] = str) -> Drawing:
    """Bars of ``series`` ([{period, count}]) with the peak in red and labelled.

    ``unit`` names what is counted (communications, or records for a chart of
    sightings); periods are labelled as a court reads them (``period_words``);
    ``text`` makes any label printable (the report's glyph check).
    """
    d = Drawing(width, height)
    left, bottom, right, top = 42.0, 42.0, 10.0, 26.0
    plot_w, plot_h = width - left - right, height - bottom - top
    counts = [int(item["count"]) for item in series]
    if not counts:
        d.add(String(width / 2, height / 2, f"No {unit} in this period.", fontName=font, fontSize=10,
                     textAnchor="middle"))
        return d
    ymax, ystep = nice_ceiling(max(counts))
    d.add(Line(left, bottom, left + plot_w, bottom, strokeColor=AXIS, strokeWidth=0.8))
    d.add(Line(left, bottom, left, bottom + plot_h, strokeColor=AXIS, strokeWidth=0.8))
    tick = 0.0
    while tick <= ymax + 1e-9:
        y = bottom + plot_h * tick / ymax
        if tick > 0:
            d.add(Line(left, y, left + plot_w, y, strokeColor=GRIDLINE, strokeWidth=0.4))
        d.add(String(left - 4, y - 3, f"{tick:g}", fontName=font, fontSize=7, textAnchor="end"))
        tick += ystep
    d.add(String(left - 4, bottom + plot_h + 8, f"{unit} per {by}", fontName=font, fontSize=7, textAnchor="start"))
    n = len(counts)
    slot = plot_w / n
    bar_w = min(max(slot * 0.8, 0.3), 36.0)  # a few periods still read as bars, not blocks
    peak_index = next((i for i, item in enumerate(series) if peak and item["period"] == peak.get("period")),
                      None)
    for i, count in enumerate(counts):
        if count <= 0:
            continue
        h = plot_h * count / ymax
        colour = PEAK if i == peak_index else BAR
        d.add(Rect(left + i * slot + (slot - bar_w) / 2, bottom, bar_w, h, fillColor=colour,
                   strokeColor=None))
    label_every = max(1, math.ceil(n / max(plot_w / 40, 1)))
    for i in range(0, n, label_every):
        x = left + i * slot + slot / 2
        d.add(Line(x, bottom, x, bottom - 3, strokeColor=AXIS, strokeWidth=0.5))
        d.add(String(x, bottom - 12, text(short_period_words(str(series[i]["period"]), by)), fontName=font,
                     fontSize=6.5, textAnchor="middle"))
    if peak_index is not None:
        x = left + peak_index * slot + slot / 2
        y = bottom + plot_h * counts[peak_index] / ymax
        anchor = "start" if x < left + plot_w * 0.7 else "end"
        d.add(String(x + (4 if anchor == "start" else -4), min(y + 4, height - 12),
                     text(f"peak {period_words(str(series[peak_index]['period']), by)}: {counts[peak_index]}"),
                     fontName=font,
                     fontSize=8, fillColor=PEAK, textAnchor=anchor))
    first, last = (text(period_words(str(series[i]["period"]), by)) for i in (0, -1))
    per = {"day": "days", "week": "weeks", "month": "months", "hour": "hours"}.get(by, "periods")
    d.add(String(left + plot_w / 2, 8, f"{n} {per}, {first} to {last}; {sum(counts):,} {unit} in all",
                 fontName=font, fontSize=7, textAnchor="middle", fillColor=AXIS))
    return d


def heat_colour(value: float, vmax: float) -> colors.Color:
    """White for none, through amber to deep red for the busiest hour."""
    if vmax <= 0 or value <= 0:
        return colors.white
    t = min(value / vmax, 1.0)
    stops = [(0.0, (1.0, 0.97, 0.88)), (0.5, (0.98, 0.62, 0.20)), (1.0, (0.70, 0.07, 0.07))]
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return colors.Color(*(a + (b - a) * f for a, b in zip(c0, c1)))
    return colors.Color(*stops[-1][1])


def heatmap_chart(counts: Sequence[Sequence[float]], weekdays: Sequence[str], width: float, height: float,
                  font: str = FONT, *, zone: str) -> Drawing:
    """A 7 × 24 grid of counts, weekdays down and hours across, each cell shaded and numbered."""
    d = Drawing(width, height)
    left, bottom, right, top = 34.0, 30.0, 8.0, 16.0
    cell_w = (width - left - right) / 24
    cell_h = (height - bottom - top) / max(len(counts), 1)
    vmax = max((max(row) for row in counts if len(row)), default=0)
    size = min(7.0, cell_h * 0.55, cell_w * 0.45)
    for r, row in enumerate(counts):
        y = height - top - (r + 1) * cell_h
        d.add(String(left - 4, y + cell_h / 2 - 3, weekdays[r], fontName=font, fontSize=8, textAnchor="end"))
        for h, value in enumerate(row):
            x = left + h * cell_w
            fill = heat_colour(value, vmax)
            d.add(Rect(x, y, cell_w, cell_h, fillColor=fill, strokeColor=GRIDLINE, strokeWidth=0.3))
            if value and size >= 4:
                dark = value / vmax > 0.55 if vmax else False
                d.add(String(x + cell_w / 2, y + cell_h / 2 - size / 3, f"{value:g}", fontName=font,
                             fontSize=size, textAnchor="middle",
                             fillColor=colors.white if dark else colors.black))
    for h in range(24):
        d.add(String(left + h * cell_w + cell_w / 2, bottom - 10, f"{h:02d}", fontName=font, fontSize=7,
                     textAnchor="middle"))
    d.add(String(left + 12 * cell_w, bottom - 22, f"hour of day ({zone}, clock time)", fontName=font, fontSize=7,
                 textAnchor="middle", fillColor=AXIS))
    d.add(String(width - right, height - 10, f"busiest hour: {vmax:g}", fontName=font, fontSize=7,
                 textAnchor="end", fillColor=AXIS))
    return d
