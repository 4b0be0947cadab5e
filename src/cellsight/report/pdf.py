"""Rendering a report (sections of storyboard frames) to an A4 landscape PDF with reportlab.

This module knows layout, not analyses: ``build.py`` turns a case into sections
of frames and supplies a ``Resolver`` that draws each chart's data and each
map's image; this module lays them out with a header and footer on every page
(case reference, produced date, "Page x of y").

Rules that make the document stand up in court:

- every piece of text from the case (names, message bodies, notes) is escaped
  before it enters reportlab's Paragraph markup, so a contact named
  ``<font size=80>`` or ``<img src=x>`` prints as those characters;
- long tables continue across pages with their header row repeated;
- SHA-256 digests are set in a monospaced font on one line so that they can be
  read and compared character by character (and found by text search);
- the same inputs give the same bytes: reportlab's invariant mode, the
  produced date as the document's creation and modification dates, fonts
  shipped with reportlab (DejaVu-like Bitstream Vera) embedded the same way.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    LongTable,
    PageBreakIfNotEmpty,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from cellsight.core.text import reveal
from cellsight.report.charts import heatmap_chart, series_chart
from cellsight.report.linkchart import link_chart
from cellsight.report.storyboard import Frame

PAGE = landscape(A4)
MARGIN = 14 * mm
TOP = 20 * mm
BOTTOM = 16 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN - 12  # the frame pads 6 pt each side
CONTENT_HEIGHT = PAGE[1] - TOP - BOTTOM
MAP_SIZE_PX = (1560, 780)  # drawn at about 140 dpi for the content width
SANS, SANS_BOLD, SANS_ITALIC, MONO = "CsSans", "CsSans-Bold", "CsSans-Italic", "Courier"
HEAD_FILL = colors.HexColor("#e3e8ee")
STRIPE = colors.HexColor("#f6f7f9")
RULE = colors.HexColor("#9aa5b1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _register_fonts() -> None:
    """Bitstream Vera ships with reportlab: Unicode beyond Latin-1, and the same file everywhere."""
    if SANS in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(__import__("reportlab").__file__).parent / "fonts"
    for name, file in ((SANS, "Vera.ttf"), (SANS_BOLD, "VeraBd.ttf"), (SANS_ITALIC, "VeraIt.ttf"),
                       ("CsSans-BoldItalic", "VeraBI.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    from reportlab.pdfbase.pdfmetrics import registerFontFamily

    registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic="CsSans-BoldItalic")


_register_fonts()

STYLES = {
    "title": ParagraphStyle("title", fontName=SANS_BOLD, fontSize=26, leading=32, alignment=TA_CENTER,
                            spaceAfter=10),
    "subtitle": ParagraphStyle("subtitle", fontName=SANS, fontSize=14, leading=18, alignment=TA_CENTER,
                               spaceAfter=18, textColor=colors.HexColor("#37474f")),
    "h1": ParagraphStyle("h1", fontName=SANS_BOLD, fontSize=17, leading=21, spaceBefore=2, spaceAfter=8,
                         textColor=colors.HexColor("#1a237e")),
    "contents": ParagraphStyle("contents", fontName=SANS_BOLD, fontSize=17, leading=21, spaceAfter=10,
                               textColor=colors.HexColor("#1a237e")),
    "h2": ParagraphStyle("h2", fontName=SANS_BOLD, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4),
    "body": ParagraphStyle("body", fontName=SANS, fontSize=9.5, leading=12.5, spaceAfter=4),
    "note": ParagraphStyle("note", fontName=SANS_ITALIC, fontSize=9, leading=12, spaceAfter=4,
                           textColor=colors.HexColor("#37474f")),
    "small": ParagraphStyle("small", fontName=SANS, fontSize=7.5, leading=9.5),
    "cell": ParagraphStyle("cell", fontName=SANS, fontSize=8, leading=10),
    "head": ParagraphStyle("head", fontName=SANS_BOLD, fontSize=8, leading=10),
    "mono": ParagraphStyle("mono", fontName=MONO, fontSize=7, leading=9),
}


def esc(value: Any) -> str:
    """Text from the case made safe for Paragraph markup: escaped, control characters dropped."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = reveal(_CONTROL.sub("", str(value)))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br/>")


@dataclass
class ReportMeta:
    """What the header, footer, cover and document properties say."""

    case_name: str
    reference: str
    officer: str
    produced: pd.Timestamp  # zone-aware
    tz: str
    version: str
    case_sha256: str | None = None

    def produced_text(self) -> str:
        local = self.produced.tz_convert(self.tz)
        return local.strftime("%d %B %Y %H:%M %Z").lstrip("0")


@dataclass
class Section:
    """A titled part of the report; each starts on a new page."""

    title: str
    frames: list[Frame] = field(default_factory=list)


class Resolver(Protocol):
    """Supplies what frames only describe: a chart's data and a map's image."""

    def chart_data(self, frame: Frame) -> dict[str, Any]: ...

    def map_png(self, frame: Frame, size: tuple[int, int]) -> bytes: ...


# ----- page furniture --------------------------------------------------------------------
def _canvas_class(meta: ReportMeta) -> type[Canvas]:
    """A canvas in reportlab's invariant mode whose document dates are the produced date."""

    class ReportCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            stamp = meta.produced.tz_convert("UTC")
            self.setDateFormatter(lambda *_: stamp.strftime("D:%Y%m%d%H%M%S+00'00'"))
            self.setTitle(f"Evidential report: {meta.case_name}")
            self.setAuthor(meta.officer)
            self.setSubject(meta.reference)
            self.setCreator(f"Cellsight {meta.version}")

    return ReportCanvas


def _furniture(meta: ReportMeta) -> Callable[[Canvas, _Document], None]:
    """The header and footer drawn on every page: reference, case, produced date, "Page x of y"."""

    def draw(canvas: Canvas, doc: _Document) -> None:
        width, height = PAGE
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, height - TOP + 6 * mm, width - MARGIN, height - TOP + 6 * mm)
        canvas.line(MARGIN, BOTTOM - 5 * mm, width - MARGIN, BOTTOM - 5 * mm)
        canvas.setFont(SANS, 8)
        canvas.setFillColor(colors.HexColor("#37474f"))
        top = height - TOP + 8 * mm
        canvas.drawString(MARGIN, top, _fit(f"Case reference: {meta.reference or 'none'}", 70))
        canvas.drawCentredString(width / 2, top, _fit(meta.case_name, 60))
        canvas.drawRightString(width - MARGIN, top, "Cellsight evidential report")
        bottom = BOTTOM - 9 * mm
        canvas.drawString(MARGIN, bottom, f"Produced {meta.produced_text()} by Cellsight {meta.version}")
        canvas.drawRightString(width - MARGIN, bottom, f"Page {doc.page} of {doc.total_pages or '?'}")
        canvas.restoreState()

    return draw


def _fit(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----- frames ----------------------------------------------------------------------------
def _para(text: Any, style: str = "body") -> Paragraph:
    return Paragraph(esc(text), STYLES[style])


def _text_paragraphs(text: str, style: str = "body") -> list[Flowable]:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text or "")) if b.strip()]
    return [_para(block, style) for block in blocks]


def parameters_table(parameters: dict[str, Any]) -> list[Flowable]:
    """The parameters that made a frame, as a two-column table (nested values as JSON-like text)."""
    if not parameters:
        return []
    rows = [[_para(name, "head"), _para(_plain(value), "cell")] for name, value in parameters.items()]
    table = LongTable(rows, colWidths=[150, CONTENT_WIDTH - 150], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, RULE), ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return [_para("Parameters", "h2"), table, Spacer(1, 4)]


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) if value else "(none)"
    if value is None:
        return "(not set)"
    if isinstance(value, float):
        # Up to six decimals (0.1 m at the equator for coordinates), never an exponent.
        return f"{value:.6f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    return str(value)


def data_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], mono: Sequence[str] = (),
               widths: Sequence[float] | None = None) -> LongTable:
    """A table that continues across pages with its header repeated; every cell escaped."""
    mono_idx = {i for i, c in enumerate(columns) if c in set(mono)}
    header = [_para(c, "head") for c in columns]
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            text = _cell_text(value)
            style = "mono" if i in mono_idx or _HEX64.match(text or "") else "cell"
            cells.append(_para(text, style))
        body.append(cells)
    col_widths = _column_widths(columns, rows, widths, mono_idx)
    table = LongTable([header, *body], colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    style = [("GRID", (0, 0), (-1, -1), 0.3, RULE), ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 3),
             ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    style += [("BACKGROUND", (0, r), (-1, r), STRIPE) for r in range(2, len(body) + 1, 2)]
    table.setStyle(TableStyle(style))
    return table


def _cell_text(value: Any) -> str:
    return value if isinstance(value, str) else _plain(value)


def _column_widths(columns: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None,
                   mono_idx: set[int]) -> list[float]:
    """Widths from given proportions, else measured: no word is ever split, and a digest fits whole.

    Each column gets at least its longest word (header in bold, cells as set);
    the space left is shared in proportion to how much more each column's
    typical text would need to sit on one line.
    """
    n = len(columns)
    if widths and len(widths) == n:
        total = float(sum(widths))
        return [CONTENT_WIDTH * w / total for w in widths]
    sample = rows[:300]
    pad = 7.0
    least, want = [], []
    for i, name in enumerate(columns):
        texts = [_cell_text(r[i]) for r in sample]
        mono = i in mono_idx or any(_HEX64.match(t) for t in texts[:20])
        font, size = (MONO, 7) if mono else (SANS, 8)
        words = [w for t in texts for w in t.split()] or [""]
        longest = max(pdfmetrics.stringWidth(w, font, size) for w in set(words))
        head = max(pdfmetrics.stringWidth(w, SANS_BOLD, 8) for w in name.split() or [""])
        lines = sorted(pdfmetrics.stringWidth(t, font, size) for t in texts) or [0.0]
        typical = lines[int(len(lines) * 0.9)]
        least.append(max(longest, head) + pad)
        want.append(min(max(typical, head), 320.0) + pad)
    spare = CONTENT_WIDTH - sum(least)
    if spare <= 0:
        return [w * CONTENT_WIDTH / sum(least) for w in least]
    extra = [max(w - m, 0.0) for w, m in zip(want, least)]
    total_extra = sum(extra)
    if total_extra <= spare:
        # Everything fits on one line: share what is left evenly to fill the width.
        return [w + (spare - total_extra) / n + e for w, e in zip(least, extra)]
    return [m + spare * e / total_extra for m, e in zip(least, extra)]


def frame_flowables(frame: Frame, resolver: Resolver) -> list[Flowable]:
    """The flowables of one frame: caption, its parameters, the analyst's note, then its body."""
    content = frame.content
    if frame.kind == "title":
        out: list[Flowable] = [Spacer(1, 22 * mm), _para(content.get("title") or frame.caption, "title")]
        if content.get("subtitle"):
            out.append(_para(content["subtitle"], "subtitle"))
        out += _text_paragraphs(frame.note, "note")
        return out
    head: list[Flowable] = [_para(frame.caption, "h2")] if frame.caption else []
    after: list[Flowable] = parameters_table(frame.parameters) + _text_paragraphs(frame.note, "note")
    if frame.kind == "text":
        return head + _text_paragraphs(content.get("text", "")) + after
    if frame.kind == "table":
        rows = content.get("rows", [])
        if not rows:
            return head + [_para(content.get("empty", "No rows."), "note")] + after
        table = data_table(content["columns"], rows, content.get("mono", ()), content.get("widths"))
        return head + [table, Spacer(1, 6)] + after
    if frame.kind == "chart":
        data = resolver.chart_data(frame)
        if content["chart"] == "links":
            drawing = link_chart(data, CONTENT_WIDTH, 330, font=SANS)
        elif content["chart"] == "series":
            drawing = series_chart(data.get("series", []), data.get("peak"), CONTENT_WIDTH, 205, font=SANS)
        else:
            drawing = heatmap_chart(data.get("counts", []), data.get("weekdays", []), CONTENT_WIDTH, 205,
                                    font=SANS)
        return [KeepTogether(head + [drawing])] + after
    return map_flowables(frame, resolver, head, after)


def _occasion_list(rows: list[list[Any]]) -> LongTable:
    return data_table(["#", "Start", "End", "Hits", "Closest (m)"], rows, widths=[0.4, 2, 2, 0.6, 0.9])


def map_flowables(frame: Frame, resolver: Resolver, head: list[Flowable], after: list[Flowable]) -> list[Flowable]:
    """A map sized so that it, its caption, its list of occasions and its parameters share one page."""
    occasions = frame.content.get("occasions") or []
    rows = [[o.get("label", ""), o.get("start", ""), o.get("end", ""), o.get("hits", ""),
             _plain(round(float(o["min_distance_m"]), 1)) if o.get("min_distance_m") is not None else ""]
            for o in occasions]
    listing: list[Flowable] = [Spacer(1, 4), _occasion_list(rows)] if rows else []
    # Measure what shares the page (a long list may run on; the map keeps room for 12 rows of it).
    measured = head + after + ([Spacer(1, 4), _occasion_list(rows[:12])] if rows else [])
    reserved = sum(f.wrap(CONTENT_WIDTH, CONTENT_HEIGHT)[1] + f.getSpaceBefore() + f.getSpaceAfter()
                   for f in measured) + 16
    aspect = MAP_SIZE_PX[0] / MAP_SIZE_PX[1]
    height = max(min(CONTENT_WIDTH / aspect, CONTENT_HEIGHT - reserved), 180.0)
    image = Image(io.BytesIO(resolver.map_png(frame, MAP_SIZE_PX)), width=height * aspect, height=height)
    return [CondPageBreak(height + 40), KeepTogether(head + [image])] + listing + after


# ----- the document ----------------------------------------------------------------------
class _Document(SimpleDocTemplate):
    """Builds in passes until the contents page and "Page x of y" agree with the pages made.

    Each pass draws "of y" with the previous pass's page count; the document is
    done when that count is the one the pass produced. Section headings go to
    the contents page and to the PDF's outline (bookmarks).
    """

    total_pages: int | None = None

    def build(self, flowables: list[Flowable], **kwargs: Any) -> None:
        self._counted = self.total_pages
        super().build(flowables, **kwargs)
        self.total_pages = self.page

    def _allSatisfied(self) -> bool:  # noqa: N802 - reportlab's name
        return super()._allSatisfied() and self._counted == self.total_pages

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        if isinstance(flowable, Paragraph) and flowable.style.name == "h1":
            title = flowable.getPlainText()
            key = f"section-{len(self._sections_seen)}"
            self._sections_seen.append(key)
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(title, key, level=0)
            # The contents page sets its entries as Paragraph markup: escape them again.
            self.notify("TOCEntry", (0, esc(title), self.page, key))

    def handle_documentBegin(self) -> None:  # noqa: N802 - reportlab's name
        self._sections_seen: list[str] = []
        super().handle_documentBegin()


def contents() -> list[Flowable]:
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [ParagraphStyle("toc0", parent=STYLES["body"], fontSize=10, leading=15, leftIndent=8)]
    return [_para("Contents", "contents"), toc]


def render_pdf(out: str | Path | io.BytesIO, meta: ReportMeta, sections: Sequence[Section],
               resolver: Resolver) -> int:
    """Write the report to ``out``; return the number of pages.

    A contents page follows the first section (the cover) when there are more
    than two sections; building it takes reportlab two passes.
    """
    story: list[Flowable] = []
    for i, section in enumerate(sections):
        if i:
            story.append(PageBreakIfNotEmpty())
        if i == 1 and len(sections) > 2:
            story += contents() + [PageBreakIfNotEmpty()]
        if section.title:
            story.append(_para(section.title, "h1"))
        for j, frame in enumerate(section.frames):
            if j:
                story.append(Spacer(1, 6))  # between frames only: a trailing one could spill onto a blank page
            story.extend(frame_flowables(frame, resolver))
    doc = _Document(out if isinstance(out, io.BytesIO) else str(out), pagesize=PAGE,
                    leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP, bottomMargin=BOTTOM,
                    title=f"Evidential report: {meta.case_name}", author=meta.officer,
                    subject=meta.reference, creator=f"Cellsight {meta.version}", invariant=1)
    furniture = _furniture(meta)
    doc.multiBuild(story, canvasmaker=_canvas_class(meta), onFirstPage=furniture, onLaterPages=furniture)
    return doc.page
