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
  produced date as the document's creation and modification dates, the same
  fonts (``fonts.py``) embedded the same way;
- every character printed has a glyph (``fonts.printable``), and with
  ``--redact`` every third party's number and name is a pseudonym: both are
  applied where text becomes a paragraph or a cell, so no frame escapes them;
- a caption never sits alone at a page foot: each is preceded by a
  conditional page break that keeps it with the start of what it captions;
  nor does a table row: a table keeps its header with its first two rows and
  never carries its last row alone onto a new page;
- page references (``{page:KEY}`` in a text frame, resolved against the
  anchors that frames and sections carry) are filled in by building in
  passes until every reference and "Page x of y" agree with the pages made.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
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
from cellsight.core.timezones import NO_CASE_ZONE
from cellsight.progress import NullProgress, Progress, check
from cellsight.report import fonts
from cellsight.report.charts import heatmap_chart, series_chart
from cellsight.report.fonts import MONO, SANS, SANS_BOLD, SANS_ITALIC
from cellsight.report.linkchart import link_chart
from cellsight.report.storyboard import Frame
from cellsight.report.words import court_text, parameters_words, prime_times, time_words

PAGE = landscape(A4)
MARGIN = 14 * mm
TOP = 20 * mm
BOTTOM = 16 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN - 12  # the frame pads 6 pt each side
CONTENT_HEIGHT = PAGE[1] - TOP - BOTTOM
MAP_SIZE_PX = (1560, 780)  # drawn at about 140 dpi for the content width
HEAD_FILL = colors.HexColor("#e3e8ee")
STRIPE = colors.HexColor("#f6f7f9")
SHADE = colors.HexColor("#fff3cd")  # rows that are not like the others (occasions in the chronology)
RULE = colors.HexColor("#9aa5b1")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PAGE_REF = re.compile(r"\{page:([A-Za-z0-9_.\-]+)\}")
PAGE_TOTAL = "__total__"  # ``{page:__total__}``: the document's own number of pages
KEEP_WITH_CAPTION = 70  # points of what follows a caption that must fit under it on the same page

fonts.register()
# Images stored as binary (Flate) rather than ASCII85 text: a quarter smaller, and reportlab's
# pure-Python ASCII85 encoder was most of the time a report with thirty maps took.
rl_config.useA85 = 0

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
    "h3": ParagraphStyle("h3", fontName=SANS_BOLD, fontSize=10, leading=13, spaceBefore=4, spaceAfter=3),
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
    text = clean(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\n", "<br/>")


def clean(value: Any) -> str:
    """Text as it will print: bidi controls revealed, control characters dropped, line ends unified."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    text = reveal(_CONTROL.sub("", str(value)))
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    producer: str = ""  # "DC Alex Morgan, Detective Constable, West Yorkshire Police": who produced it
    footer_by: str = ""  # the same without the rank, short enough for every page's footer
    title: str = "Cellsight evidential report"

    def produced_text(self) -> str:
        return time_words(self.produced, self.tz)


@dataclass
class Section:
    """A titled part of the report; each starts on a new page. ``anchor`` names it for page references."""

    title: str
    frames: list[Frame] = field(default_factory=list)
    anchor: str = ""


class Resolver(Protocol):
    """Supplies what frames only describe: a chart's data and a map's image."""

    def chart_data(self, frame: Frame) -> dict[str, Any]: ...

    def map_image(self, frame: Frame, size: tuple[int, int]) -> PILImage.Image: ...


@dataclass
class RenderContext:
    """What every paragraph and cell of one rendering needs: the zone, the redactor, the page anchors.

    ``anchors`` fills during a pass (anchor → page); ``known`` is the previous
    pass's, which page references print. ``pages`` overrides both with fixed
    pages (a short statement citing the pages of the full report it goes with).
    """

    zone: str  # the case's zone (report.build passes it); NO_CASE_ZONE only outside any rendering
    redactor: Any = None
    progress: Progress = field(default_factory=NullProgress)
    anchors: dict[str, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    pages: dict[str, int] | None = None
    ref_format: str = "page {n}"
    dry: bool = False  # the pass being laid out will not be kept (see ReportCanvas)

    def text(self, value: Any) -> str:
        """A value as it prints: redacted, cleaned, every character drawable."""
        text = clean(value)
        if self.redactor is not None:
            text = self.redactor.text(text)
        return fonts.printable(text)

    def page_of(self, key: str) -> str:
        pages = self.pages if self.pages is not None and key != PAGE_TOTAL else self.known
        return str(pages[key]) if key in pages else "?"


_CTX: ContextVar[RenderContext] = ContextVar("report_render_context",
                                                  default=RenderContext(zone=NO_CASE_ZONE))


def context() -> RenderContext:
    return _CTX.get()


# ----- page furniture --------------------------------------------------------------------
def _canvas_class(meta: ReportMeta) -> type[Canvas]:
    """A canvas in reportlab's invariant mode whose document dates are the produced date."""

    class ReportCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            stamp = meta.produced.tz_convert("UTC")
            self.setDateFormatter(lambda *_: stamp.strftime("D:%Y%m%d%H%M%S+00'00'"))
            self.setTitle(f"{meta.title}: {meta.case_name}")
            self.setAuthor(meta.producer or meta.officer)
            self.setSubject(meta.reference)
            self.setCreator(f"Cellsight {meta.version}")
            self._dry = context().dry

        # The first pass only finds out where pages break (its file is thrown away): nothing
        # is drawn in it, which saves the cost of encoding every map and setting every cell.
        def drawImage(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - reportlab's name
            return None if self._dry else super().drawImage(*args, **kwargs)

        def drawText(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802 - reportlab's name
            if not self._dry:
                super().drawText(*args, **kwargs)

        def drawString(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802 - reportlab's name
            if not self._dry:
                super().drawString(*args, **kwargs)

    return ReportCanvas


def _furniture(meta: ReportMeta) -> Callable[[Canvas, _Document], None]:
    """The header and footer drawn on every page: reference, case, produced date and by whom, "Page x of y"."""

    def draw(canvas: Canvas, doc: _Document) -> None:
        ctx = context()
        width, height = PAGE
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, height - TOP + 6 * mm, width - MARGIN, height - TOP + 6 * mm)
        canvas.line(MARGIN, BOTTOM - 5 * mm, width - MARGIN, BOTTOM - 5 * mm)
        canvas.setFont(SANS, 8)
        canvas.setFillColor(colors.HexColor("#37474f"))
        top = height - TOP + 8 * mm
        canvas.drawString(MARGIN, top, _fit(ctx.text(f"Case reference: {meta.reference or 'none'}"), 70))
        canvas.drawCentredString(width / 2, top, _fit(ctx.text(meta.case_name), 60))
        canvas.drawRightString(width - MARGIN, top, meta.title)
        bottom = BOTTOM - 9 * mm
        by = f" by {meta.footer_by}" if meta.footer_by else ""
        canvas.drawString(MARGIN, bottom, _fit(ctx.text(f"Produced {meta.produced_text()}{by} with Cellsight "
                                                        f"{meta.version}"), 150))
        canvas.drawRightString(width - MARGIN, bottom, f"Page {doc.page} of {doc.total_pages or '?'}")
        canvas.restoreState()
        ctx.progress.update(doc.page, doc.total_pages, "Laying out pages")
        check(ctx.progress)

    return draw


def _fit(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----- frames ----------------------------------------------------------------------------
def _para(text: Any, style: str = "body") -> Paragraph:
    return Paragraph(_markup(text), STYLES[style])


def _markup(text: Any) -> str:
    ctx = context()
    return esc(ctx.text(text))


class _RefParagraph(Flowable):
    """A paragraph whose ``{page:KEY}`` references are filled in from the pages of the previous pass."""

    def __init__(self, text: str, style: str = "body") -> None:
        super().__init__()
        self.text, self.style_name = text, style
        self._para: Paragraph | None = None

    def _build(self) -> Paragraph:
        ctx = context()
        markup = _PAGE_REF.sub(lambda m: _ref_link(ctx, m.group(1)), _markup(self.text))
        return Paragraph(markup, STYLES[self.style_name])

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self._para = self._build()
        return self._para.wrap(available_width, available_height)

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        return (self._para or self._build()).split(available_width, available_height)

    def draw(self) -> None:
        assert self._para is not None
        self._para.drawOn(self.canv, 0, 0)

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return STYLES[self.style_name].spaceBefore

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        return STYLES[self.style_name].spaceAfter


def _ref_link(ctx: RenderContext, key: str) -> str:
    if key == PAGE_TOTAL:
        return ctx.page_of(key)
    words = ctx.ref_format.format(n=ctx.page_of(key))
    if ctx.pages is not None:
        return words  # the pages of another document: no link inside this one
    return f'<a href="#{key}" color="#1a237e">{words}</a>'


class _Anchor(Flowable):
    """Marks where a section or frame starts, for page references and links (draws nothing)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.width = self.height = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        return None


def _text_paragraphs(text: str, style: str = "body") -> list[Flowable]:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", str(text or "")) if b.strip()]
    return [_RefParagraph(block, style) if _PAGE_REF.search(block) else _para(block, style) for block in blocks]


def _caption(text: str, keep: float = KEEP_WITH_CAPTION) -> list[Flowable]:
    """A caption kept with the first ``keep`` points of what it captions: never alone at a page foot."""
    para = _para(text, "h2")
    _, height = para.wrap(CONTENT_WIDTH, CONTENT_HEIGHT)
    return [CondPageBreak(height + para.getSpaceBefore() + max(keep, KEEP_WITH_CAPTION)), para]


def _first_rows_height(table: LongTable, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                       mono: Sequence[str], row_height: float | None) -> float:
    """The height of a table's header and first two rows, which never part (``data_table``): what its
    caption must find room for. Measured on a table of those rows in the same column widths, so
    that a table of thousands of rows is not laid out twice."""
    probe = data_table(columns, rows[:2], mono, table._argW, (), row_height)
    return probe.wrap(CONTENT_WIDTH, CONTENT_HEIGHT)[1] + 4


def parameters_table(parameters: dict[str, Any]) -> list[Flowable]:
    """The parameters that made a frame, in words, as a two-column table."""
    if not parameters:
        return []
    worded = parameters_words(parameters, context().zone)
    rows = [[_para(name, "head"), _para(_plain(value), "cell")] for name, value in worded.items()]
    table = LongTable(rows, colWidths=[150, CONTENT_WIDTH - 150], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.3, RULE), ("BACKGROUND", (0, 0), (0, -1), HEAD_FILL),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    label = _para("Parameters", "h3")
    return [CondPageBreak(40), label, table, Spacer(1, 4)]


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items()) if value else "(none)"
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # Up to six decimals (0.1 m at the equator for coordinates), never an exponent.
        return f"{value:.6f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    return str(value)


class _Table(LongTable):
    """A long table whose rows kept together cost nothing for the rows that are not.

    reportlab maps every cell of a table with a NOSPLIT command to its range
    before each split, so a table of 3,000 rows broken over 60 pages spent
    seconds building cell maps of which it reads only the kept-together
    cells. This keeps those entries alone (the only ones reportlab looks up:
    ``_getRowImpossible`` reads ``_nosplitRanges`` at ``_rowNoSplitCells``);
    where a table breaks, and so the PDF, is unchanged.
    """

    def _calcNoSplitRanges(self) -> None:
        self._nosplitRanges = ranges = {}
        self._colNoSplitCells, self._rowNoSplitCells = [], []
        for _cmd, (x0, y0), (x1, y1) in self._nosplitCmds:
            x0, x1 = sorted((x0 + self._ncols if x0 < 0 else x0, x1 + self._ncols if x1 < 0 else x1))
            y0, y1 = sorted((y0 + self._nrows if y0 < 0 else y0, y1 + self._nrows if y1 < 0 else y1))
            if (x0, y0) == (x1, y1):
                continue
            cells = [(x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
            if x0 != x1:
                self._colNoSplitCells += cells
            if y0 != y1:
                self._rowNoSplitCells += cells
            ranges.update(dict.fromkeys(cells))
            ranges[x0, y0] = (x0, y0, x1, y1)


_PAD = 6.0
_CELL_FONT, _CELL_SIZE, _MONO_SIZE = SANS, 8.0, 7.0


def data_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], mono: Sequence[str] = (),
               widths: Sequence[float] | None = None, shaded: Sequence[int] = (),
               row_height: float | None = None) -> LongTable:
    """A table that continues across pages with its header repeated; every cell escaped.

    A cell that fits its column on one line is drawn as plain text (no markup,
    so nothing to escape, and much faster to lay out than a paragraph); longer
    cells wrap as paragraphs. ``shaded`` rows (0-based, of ``rows``) are tinted.
    """
    ctx = context()
    mono_idx = {i for i, c in enumerate(columns) if c in set(mono)}
    texts = [[ctx.text(_cell_text(v)) for v in row] for row in rows]
    col_widths = _column_widths(columns, texts, widths, mono_idx)
    header = [_para(c, "head") for c in columns]
    body = []
    mono_cells: list[tuple[int, int]] = []  # digests in a column of other text: set in mono one by one
    for r, row in enumerate(texts):
        cells: list[Any] = []
        for i, text in enumerate(row):
            is_mono = i in mono_idx or bool(_HEX64.match(text))
            if is_mono and i not in mono_idx:
                mono_cells.append((i, r))
            font, size = (MONO, _MONO_SIZE) if is_mono else (_CELL_FONT, _CELL_SIZE)
            if "\n" not in text and pdfmetrics.stringWidth(text, font, size) <= col_widths[i] - _PAD:
                cells.append(text)
            else:
                cells.append(Paragraph(esc(text), STYLES["mono" if is_mono else "cell"]))
        body.append(cells)
    headed = any(str(c).strip() for c in columns)  # a table of empty headings (a signature block) has none
    top = 1 if headed else 0
    heights = None if row_height is None else [None] * top + [row_height] * len(body)
    table = _Table([header, *body] if headed else body, colWidths=col_widths, rowHeights=heights,
                      repeatRows=top, hAlign="LEFT")
    style = [("GRID", (0, 0), (-1, -1), 0.3, RULE), ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL if headed else colors.white),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 3),
             ("RIGHTPADDING", (0, 0), (-1, -1), 3),
             ("FONT", (0, top), (-1, -1), _CELL_FONT, _CELL_SIZE, 10)]
    style += [("FONT", (i, top), (i, -1), MONO, _MONO_SIZE, 9) for i in sorted(mono_idx)]
    style += [("FONT", (i, r + top), (i, r + top), MONO, _MONO_SIZE, 9) for i, r in mono_cells]
    style += [("BACKGROUND", (0, r), (-1, r), STRIPE) for r in range(top + 1, len(body) + top, 2)]
    style += [("BACKGROUND", (0, r + top), (-1, r + top), SHADE) for r in shaded]
    if len(body) >= 3:
        # No row left alone: the last row never starts a page by itself, and the header never ends one
        # with a single row under it.
        style += [("NOSPLIT", (0, top + len(body) - 2), (-1, top + len(body) - 1)), ("NOSPLIT", (0, 0), (-1, top + 1))]
    table.setStyle(TableStyle(style))
    return table


def _cell_text(value: Any) -> str:
    return value if isinstance(value, str) else _plain(value)


def _column_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float] | None,
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
        texts = [r[i] for r in sample]
        mono = i in mono_idx or any(_HEX64.match(t) for t in texts[:20])
        font, size = (MONO, _MONO_SIZE) if mono else (_CELL_FONT, _CELL_SIZE)
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
    """The flowables of one frame: caption, its parameters, the analyst's note, then its body.

    A kind this version does not know is printed as its caption, note and
    parameters with a line saying so, never dropped and never a failed report.
    """
    content = frame.content
    anchor: list[Flowable] = [_Anchor(content["anchor"])] if content.get("anchor") else []
    if frame.kind == "title":
        out: list[Flowable] = [Spacer(1, 22 * mm), _para(content.get("title") or frame.caption, "title")]
        if content.get("subtitle"):
            out.append(_para(content["subtitle"], "subtitle"))
        out += _text_paragraphs(frame.note, "note")
        return anchor + out
    table = None
    if frame.kind == "table" and content.get("rows"):
        rows, row_height = content["rows"], 30.0 if content.get("tall") else None
        table = data_table(content["columns"], rows, content.get("mono", ()), content.get("widths"),
                           content.get("shaded", ()), row_height)
        keep = _first_rows_height(table, content["columns"], rows, content.get("mono", ()), row_height)
    head: list[Flowable] = anchor + (_caption(frame.caption, keep) if frame.caption and table is not None
                                     else _caption(frame.caption) if frame.caption else [])
    after: list[Flowable] = parameters_table(frame.parameters) + _text_paragraphs(frame.note, "note")
    if frame.kind == "text":
        return head + _text_paragraphs(content.get("text", "")) + after
    if frame.kind == "table":
        if table is None:
            return head + [_para(content.get("empty", "No rows."), "note")] + after
        return head + [table, Spacer(1, 6)] + after
    if frame.kind == "chart":
        return chart_flowables(frame, resolver, head, after)
    if frame.kind == "map":
        return map_flowables(frame, resolver, head, after)
    return head + [_para(f"(A {frame.kind} frame: this version of Cellsight cannot draw it.)", "note")] + after


def chart_flowables(frame: Frame, resolver: Resolver, head: list[Flowable], after: list[Flowable]) -> list[Flowable]:
    content = frame.content
    data = resolver.chart_data(frame)
    ctx = context()
    if content["chart"] == "links":
        drawing = link_chart(data, CONTENT_WIDTH, 330, font=SANS)
    elif content["chart"] == "series":
        unit = content.get("unit") or ("communications" if content.get("b") else "records")
        drawing = series_chart(data.get("series", []), data.get("peak"), CONTENT_WIDTH, 205, font=SANS,
                               unit=unit, by=content.get("by", "day"), text=ctx.text)
    else:
        drawing = heatmap_chart(data.get("counts", []), data.get("weekdays", []), CONTENT_WIDTH, 205,
                                font=SANS, zone=ctx.zone)
    return [KeepTogether(head + [drawing])] + after


class Picture(Flowable):
    """A drawn picture (a map) placed centred at a given size, its pixels handed to the PDF as they are.

    reportlab's ``Image`` takes a file: the map would be written as PNG only to
    be decoded again, which cost more than half a second per report of small maps.
    """

    def __init__(self, picture: PILImage.Image, width: float, height: float) -> None:
        super().__init__()
        self._reader = ImageReader(picture)
        self.drawWidth, self.drawHeight = width, height
        self.hAlign = "CENTER"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        return self.drawWidth, self.drawHeight

    def draw(self) -> None:
        self.canv.drawImage(self._reader, 0, 0, self.drawWidth, self.drawHeight, mask="auto")


OCCASION_COLUMNS = ["#", "Start", "End", "Hits", "Closest (m)", "Found by"]


def map_flowables(frame: Frame, resolver: Resolver, head: list[Flowable], after: list[Flowable]) -> list[Flowable]:
    """A map sized so that it, its caption, its list of occasions and its parameters share one page.

    The list says, for each occasion drawn, when it was, how many hits and how
    close, and which analysis found it (pair or place, method and parameters).
    """
    occasions = frame.content.get("occasions") or []
    zone = context().zone
    prime_times([o.get(k) for o in occasions for k in ("start", "end")], zone)
    rows = [[o.get("label", ""), court_text(o.get("start", ""), zone), court_text(o.get("end", ""), zone),
             o.get("hits", "not recorded"),
             _plain(round(float(o["min_distance_m"]), 1)) if o.get("min_distance_m") is not None else "not recorded",
             o.get("analysis") or o.get("pair") or "not recorded"] for o in occasions]
    widths = [0.35, 1.9, 1.9, 0.5, 0.8, 4.0]
    listing: list[Flowable] = [Spacer(1, 4), data_table(OCCASION_COLUMNS, rows, widths=widths)] if rows else []
    # Measure what shares the page (a long list may run on; the map keeps room for 8 rows of it).
    measured = head + after + ([Spacer(1, 4), data_table(OCCASION_COLUMNS, rows[:8], widths=widths)] if rows else [])
    reserved = sum(f.wrap(CONTENT_WIDTH, CONTENT_HEIGHT)[1] + f.getSpaceBefore() + f.getSpaceAfter()
                   for f in measured if not isinstance(f, CondPageBreak)) + 16
    aspect = MAP_SIZE_PX[0] / MAP_SIZE_PX[1]
    height = max(min(CONTENT_WIDTH / aspect, CONTENT_HEIGHT - reserved), 180.0)
    image = Picture(resolver.map_image(frame, MAP_SIZE_PX), width=height * aspect, height=height)
    heading = [f for f in head if not isinstance(f, CondPageBreak)]
    return [CondPageBreak(height + 60), KeepTogether(heading + [image])] + listing + after


# ----- the document ----------------------------------------------------------------------
class _Document(SimpleDocTemplate):
    """Builds in passes until the contents, page references and "Page x of y" agree with the pages made.

    Each pass draws "of y" and the page references with the previous pass's
    pages; the document is done when those are the pages the pass produced.
    Section headings go to the contents page and to the PDF's outline (bookmarks).
    """

    total_pages: int | None = None

    def build(self, flowables: list[Flowable], **kwargs: Any) -> None:
        ctx = context()
        self._counted = self.total_pages
        ctx.known, ctx.anchors = dict(ctx.anchors), {}
        ctx.dry = self._counted is None  # the first pass can never be the last (see _allSatisfied)
        super().build(flowables, **kwargs)
        self.total_pages = self.page
        ctx.anchors[PAGE_TOTAL] = self.page

    def _allSatisfied(self) -> bool:  # noqa: N802 - reportlab's name
        ctx = context()
        return super()._allSatisfied() and self._counted == self.total_pages and ctx.known == ctx.anchors

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        if isinstance(flowable, _Anchor):
            context().anchors[flowable.key] = self.page
            self.canv.bookmarkPage(flowable.key)
        elif isinstance(flowable, Paragraph) and flowable.style.name == "h1":
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
               resolver: Resolver, *, redactor: Any = None, progress: Progress | None = None,
               pages: dict[str, int] | None = None, ref_format: str = "page {n}",
               contents_page: bool = True) -> tuple[int, dict[str, int]]:
    """Write the report to ``out``; return the number of pages and the page of every anchor.

    A contents page follows the first section (the cover) when there are more
    than two sections; building it takes reportlab two passes. ``redactor``
    replaces third parties' numbers and names in every paragraph and cell;
    ``pages`` fixes the pages page references print (those of another document).
    """
    ctx = RenderContext(zone=meta.tz, redactor=redactor, progress=progress or NullProgress(), pages=pages,
                        ref_format=ref_format)
    token = _CTX.set(ctx)
    try:
        story: list[Flowable] = []
        for i, section in enumerate(sections):
            if i:
                story.append(PageBreakIfNotEmpty())
            if i == 1 and len(sections) > 2 and contents_page:
                story += contents() + [PageBreakIfNotEmpty()]
            if section.anchor:
                story.append(_Anchor(section.anchor))
            if section.title:
                story.append(_para(section.title, "h1"))
            for j, frame in enumerate(section.frames):
                if j:
                    story.append(Spacer(1, 6))  # between frames only: a trailing one could spill onto a blank page
                story.extend(frame_flowables(frame, resolver))
        doc = _Document(out if isinstance(out, io.BytesIO) else str(out), pagesize=PAGE,
                        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP, bottomMargin=BOTTOM,
                        title=f"{meta.title}: {meta.case_name}", author=meta.producer or meta.officer,
                        subject=meta.reference, creator=f"Cellsight {meta.version}", invariant=1)
        furniture = _furniture(meta)
        doc.multiBuild(story, canvasmaker=_canvas_class(meta), onFirstPage=furniture, onLaterPages=furniture)
        return doc.page, {k: v for k, v in ctx.anchors.items() if k != PAGE_TOTAL}
    finally:
        _CTX.reset(token)
