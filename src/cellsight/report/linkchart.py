"""The link chart for the PDF: numbers as circles, communications as arrows with their counts.

A vector drawing (reportlab shapes), like the other charts: its text stays
searchable and the bytes are the same on every run. It draws the positions
that ``analysis.linkchart`` computed (the ones the workstation showed), so the
storyboard frame and the page agree. Two numbers that called each other get
two arrows, set apart, each with its own count.
"""

from __future__ import annotations

import math
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from cellsight.report import fonts
from cellsight.report.fonts import SANS

ROLE_COLOURS = {"suspect": colors.HexColor("#c62828"), "victim": colors.HexColor("#1565c0"),
                "witness": colors.HexColor("#2e7d32"), "other": colors.HexColor("#6d4c41")}
UNKNOWN = colors.HexColor("#90a4ae")
EDGE = colors.HexColor("#546e7a")
FONT = SANS  # embedded with the report, as every font of the PDF is
fonts.register()


def node_radius(total: int, largest: int) -> float:
    """5 to 14 points, by the logarithm of the node's communications."""
    if largest <= 0:
        return 5.0
    return 5.0 + 9.0 * math.log1p(max(total, 0)) / math.log1p(largest)


def link_chart(data: dict[str, Any], width: float, height: float, font: str = FONT) -> Drawing:
    """The chart of ``analysis.linkchart.build`` output in a ``width`` × ``height`` drawing."""
    d = Drawing(width, height)
    nodes = {n["id"]: n for n in data.get("nodes", [])}
    if not nodes:
        d.add(String(width / 2, height / 2, "No communications to chart.", fontName=font, fontSize=10,
                     textAnchor="middle"))
        return d
    pad_x, pad_top, pad_bottom = 70.0, 14.0, 30.0
    largest = max(n["total"] for n in nodes.values())
    heaviest = max((e["count"] for e in data.get("edges", [])), default=1)

    def where(node: dict[str, Any]) -> tuple[float, float]:
        return (pad_x + node["x"] * (width - 2 * pad_x),
                pad_bottom + (1 - node["y"]) * (height - pad_top - pad_bottom))

    pairs = {(e["source"], e["target"]) for e in data.get("edges", [])}
    labels = []
    for edge in data.get("edges", []):
        a, b = nodes.get(edge["source"]), nodes.get(edge["target"])
        if a is None or b is None:
            continue
        (x1, y1), (x2, y2) = where(a), where(b)
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        shift = 3.0 if (edge["target"], edge["source"]) in pairs else 0.0  # both ways: two arrows
        ox, oy = -uy * shift, ux * shift
        r1, r2 = node_radius(a["total"], largest), node_radius(b["total"], largest)
        sx, sy = x1 + ux * r1 + ox, y1 + uy * r1 + oy
        ex, ey = x2 - ux * (r2 + 1) + ox, y2 - uy * (r2 + 1) + oy
        stroke = 0.6 + 2.6 * math.log1p(edge["count"]) / math.log1p(heaviest)
        d.add(Line(sx, sy, ex - ux * 5, ey - uy * 5, strokeColor=EDGE, strokeWidth=stroke))
        head = 4.0 + stroke
        d.add(Polygon([ex, ey, ex - ux * head - uy * head * 0.55, ey - uy * head + ux * head * 0.55,
                       ex - ux * head + uy * head * 0.55, ey - uy * head - ux * head * 0.55],
                      fillColor=EDGE, strokeColor=None))
        # Past the middle, toward the recipient: the two counts of a pair never meet.
        labels.append((sx + (ex - sx) * 0.62 + ox * 2, sy + (ey - sy) * 0.62 + oy * 2, str(edge["count"])))
    for node in nodes.values():
        x, y = where(node)
        r = node_radius(node["total"], largest)
        fill = ROLE_COLOURS.get(node.get("role") or "", UNKNOWN) if node.get("subject") else UNKNOWN
        d.add(Circle(x, y, r, fillColor=fill, strokeColor=colors.white, strokeWidth=1))
        name = node.get("name")
        _label(d, x, y - r - 8, node["id"], font, 6.5)
        if name:
            _label(d, x, y + r + 3, name if len(name) <= 28 else name[:27] + "…", font, 7.5)
    for x, y, text in labels:  # counts last: above lines and circles
        w = len(text) * 4.2 + 4
        d.add(Rect(x - w / 2, y - 4, w, 9, fillColor=colors.white, strokeColor=EDGE, strokeWidth=0.3))
        d.add(String(x, y - 2, text, fontName=font, fontSize=6.5, textAnchor="middle"))
    legend = [("suspect", "Suspect"), ("victim", "Victim"), ("witness", "Witness"), ("other", "Other subject")]
    x = 4.0
    for role, text in legend + [("", "Not a subject")]:
        d.add(Circle(x + 4, 8, 3.5, fillColor=ROLE_COLOURS.get(role, UNKNOWN), strokeColor=None))
        d.add(String(x + 10, 5.5, text, fontName=font, fontSize=7, fillColor=EDGE))
        x += 14 + len(text) * 4.2
    p = data.get("parameters", {})
    d.add(String(width - 4, 5.5, f"{p.get('numbers_shown', len(nodes))} of {p.get('numbers', len(nodes))} numbers "
                 f"shown; arrows point to the recipient; counts are communications", fontName=font, fontSize=7,
                 textAnchor="end", fillColor=EDGE))
    return d


def _label(d: Drawing, x: float, y: float, text: str, font: str, size: float) -> None:
    """Text centred on ``x`` over a pale backing, so that lines passing under it do not hide it."""
    width = stringWidth(text, font, size)
    d.add(Rect(x - width / 2 - 1, y - 1.5, width + 2, size + 1, fillColor=colors.white, strokeColor=None,
               fillOpacity=0.8))
    d.add(String(x, y, text, fontName=font, fontSize=size, textAnchor="middle"))
