"""The Link chart pane: who contacts whom, as circles and arrows, linked to every other pane.

The chart (``analysis.linkchart``: counts as the contacts analysis counts them,
a seeded layout) is built in a worker for the whole case and drawn in a
QGraphicsScene. Clicking a number selects its communications everywhere;
clicking an arrow selects the communications between its two numbers (the
"parties" facet, as the contacts pane sets it); clicking the background clears
that. A selection made elsewhere (a week on the timeline, an area on the map)
highlights the arrows and numbers with communications in it and fades the
rest. "Add to storyboard" keeps the chart as drawn, positions included.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView, QLabel,
    QSpinBox, QHBoxLayout, QVBoxLayout,
)

from cellsight.core.hub import Change
from cellsight.analysis import dedupe, linkchart
from cellsight.core.phone import is_group_chat_id
from cellsight.core.selection import Everything, Parties
from cellsight.gui.panes.base import Pane
from cellsight.gui.workers import Latest
from cellsight.report.storyboard import Frame
from cellsight.gui.workspace import Workspace

ROLE_COLOURS = {"suspect": "#c62828", "victim": "#1565c0", "witness": "#2e7d32", "other": "#6d4c41"}
UNKNOWN = "#90a4ae"
EDGE = "#546e7a"
HIGHLIGHT = "#ff8f00"
WIDTH, HEIGHT = 900.0, 560.0


class _ChartView(QGraphicsView):
    """The view: keeps the whole chart in sight and tells the pane what was clicked."""

    def __init__(self, pane: LinkChartPane) -> None:
        super().__init__()
        self.pane = pane
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAcceptDrops(False)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.scene() is not None:
            self.fitInView(self.scene().sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        item = self.itemAt(event.position().toPoint())
        while item is not None and item.data(0) is None:
            item = item.parentItem()
        self.pane.clicked(item.data(0) if item is not None else None)
        super().mousePressEvent(event)


class LinkChartPane(Pane):
    name = "links"
    title = "Link chart"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.max_nodes = QSpinBox()
        self.max_nodes.setRange(2, 500)
        self.max_nodes.setValue(linkchart.DEFAULT_MAX_NODES)
        self.max_nodes.setPrefix("at most ")
        self.max_nodes.setSuffix(" numbers")
        self.max_nodes.valueChanged.connect(lambda _: self._rebuild())
        self.status = QLabel("Click a number or an arrow to select its communications everywhere.")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.scene = QGraphicsScene(self)
        self.scene.setSceneRect(QRectF(0, 0, WIDTH, HEIGHT))
        self.view = _ChartView(self)
        self.view.setScene(self.scene)
        top = QHBoxLayout()
        top.addWidget(self.max_nodes)
        top.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self._building = Latest(ws.run, self)
        self.data: dict[str, Any] | None = None
        self._nodes: dict[str, list[Any]] = {}
        self._edges: dict[tuple[str, str], list[Any]] = {}
        self.highlighted: set[tuple[str, str]] = set()

    # ----- building ------------------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & (Change.CASE | Change.ROWS | Change.SUBJECTS):
            self.data = None
        super().case_changed(change)

    def _rebuild(self) -> None:
        self.data = None
        self.refresh()

    def refresh(self) -> None:
        super().refresh()
        case = self.case
        if case is None:
            self.data = None
            self._draw()
            return
        if self.data is None:
            limit = self.max_nodes.value()

            def work(progress: Any) -> Any:
                return linkchart.build(case, max_nodes=limit)

            self._building.submit("Drawing the link chart…", work, self._built)
        else:
            self._highlight()

    def _built(self, data: dict[str, Any]) -> None:
        self.data = data
        self._draw()
        self._highlight()
        p = data["parameters"]
        self.status.setText(f"{p['numbers_shown']} of {p['numbers']} numbers, {p['communications']:,} "
                            "communications. Click a number or an arrow to select it everywhere.")

    def _draw(self) -> None:
        self.scene.clear()
        self._nodes, self._edges = {}, {}
        data = self.data
        if not data or not data["nodes"]:
            self.scene.addSimpleText("No communications to chart.").setPos(WIDTH / 2 - 80, HEIGHT / 2)
            return
        nodes = {n["id"]: n for n in data["nodes"]}
        largest = max(n["total"] for n in nodes.values())
        heaviest = max((e["count"] for e in data["edges"]), default=1)
        pairs = {(e["source"], e["target"]) for e in data["edges"]}

        def at(node: dict[str, Any]) -> QPointF:
            return QPointF(60 + node["x"] * (WIDTH - 120), 30 + node["y"] * (HEIGHT - 60))

        def radius(node: dict[str, Any]) -> float:
            return 6 + 12 * math.log1p(node["total"]) / math.log1p(largest)

        font = QFont()
        font.setPointSizeF(9)
        for edge in data["edges"]:
            a, b = nodes[edge["source"]], nodes[edge["target"]]
            p1, p2 = at(a), at(b)
            dx, dy = p2.x() - p1.x(), p2.y() - p1.y()
            length = math.hypot(dx, dy) or 1.0
            ux, uy = dx / length, dy / length
            shift = 4.0 if (edge["target"], edge["source"]) in pairs else 0.0
            ox, oy = -uy * shift, ux * shift
            start = QPointF(p1.x() + ux * radius(a) + ox, p1.y() + uy * radius(a) + oy)
            end = QPointF(p2.x() - ux * (radius(b) + 2) + ox, p2.y() - uy * (radius(b) + 2) + oy)
            path = QPainterPath(start)
            path.lineTo(end)
            head = QPolygonF([end, QPointF(end.x() - ux * 9 - uy * 5, end.y() - uy * 9 + ux * 5),
                              QPointF(end.x() - ux * 9 + uy * 5, end.y() - uy * 9 - ux * 5)])
            path.addPolygon(head)
            item = QGraphicsPathItem(path)
            item.setData(0, ("edge", edge["source"], edge["target"]))
            width = 1 + 3 * math.log1p(edge["count"]) / math.log1p(heaviest)
            item.setPen(QPen(QColor(EDGE), width))
            item.setBrush(QBrush(QColor(EDGE)))
            kinds = ", ".join(f"{k} {v}" for k, v in edge["by_kind"].items())
            item.setToolTip(f"{self._label(a)} → {self._label(b)}: {edge['count']} ({kinds})")
            item.setZValue(0)
            self.scene.addItem(item)
            text = QGraphicsSimpleTextItem(str(edge["count"]), item)
            text.setFont(font)
            text.setPos(start.x() + (end.x() - start.x()) * 0.6, start.y() + (end.y() - start.y()) * 0.6 - 8)
            self._edges[(edge["source"], edge["target"])] = [item, width]
        for node in nodes.values():
            r, c = radius(node), at(node)
            colour = ROLE_COLOURS.get(node.get("role") or "", UNKNOWN) if node.get("subject") else UNKNOWN
            item = QGraphicsEllipseItem(c.x() - r, c.y() - r, 2 * r, 2 * r)
            item.setBrush(QBrush(QColor(colour)))
            item.setPen(QPen(QColor("white"), 1.5))
            item.setData(0, ("node", node["id"]))
            item.setToolTip(f"{self._label(node)}: {node['total']:,} communications")
            item.setZValue(2)
            self.scene.addItem(item)
            label = QGraphicsSimpleTextItem(self._label(node), item)
            label.setFont(font)
            label.setPos(c.x() - label.boundingRect().width() / 2, c.y() + r + 1)
            self._nodes[node["id"]] = [item, colour]
        self.view.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    @staticmethod
    def _label(node: dict[str, Any]) -> str:
        """Name and number; a named group chat by its name alone (its id is a long string of digits)."""
        if not node.get("name"):
            return node["id"]
        return node["name"] if is_group_chat_id(node["id"]) else f"{node['name']} ({node['id']})"

    # ----- selection -------------------------------------------------------------------------------
    def clicked(self, what: tuple | None) -> None:
        if self.case is None:
            return
        if what is None:
            self.publish("parties", None)
        elif what[0] == "node":
            name = self.case.number_names().get(what[1])
            self.publish("parties", Parties(frozenset([what[1]]), label=name or what[1]))
        else:
            names = self.case.number_names()
            label = f"{names.get(what[1], what[1])} ↔ {names.get(what[2], what[2])}"
            self.publish("parties", Parties(frozenset([what[1]]), frozenset([what[2]]), label=label))
        self._highlight()

    def _highlight(self) -> None:
        """Emphasise the arrows with communications in the current selection (all, when there is none)."""
        selection = self.selection
        if isinstance(selection, Everything) or self.case is None or not self._edges:
            self.highlighted = set()
        else:
            events = self.case.events[self.mask(selection)]
            sender, recipient = dedupe.orient(events, dedupe.owners_of(self.case))
            self.highlighted = set(zip(sender.astype(object), recipient.astype(object))) & set(self._edges)
        active = bool(self.highlighted) or not isinstance(selection, Everything)
        touched = {n for pair in self.highlighted for n in pair}
        for pair, (item, width) in self._edges.items():
            on = pair in self.highlighted
            colour = QColor(HIGHLIGHT if on else EDGE)
            colour.setAlpha(255 if on or not active else 50)
            item.setPen(QPen(colour, width + (1.5 if on else 0)))
            item.setBrush(QBrush(colour))
        for number, (item, colour) in self._nodes.items():
            fill = QColor(colour)
            fill.setAlpha(255 if number in touched or not active else 70)
            item.setBrush(QBrush(fill))

    def capture(self) -> Frame | None:
        if not self.data or not self.data["nodes"]:
            return None
        return Frame("chart", caption="Who contacts whom (link chart)", note=self.data["method"],
                     parameters={"pane": self.name, "zone": self.zone, **self.data["parameters"],
                                 **self.selection_parameters()},
                     content={"chart": "links", "data": self.data})

