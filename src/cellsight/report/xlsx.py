"""One-sheet XLSX files written straight into their destination: no temporary file, bounded memory.

openpyxl writes every sheet to a temporary file in ``$TMPDIR`` (``openpyxl.*``)
before zipping it, even in its write-only mode: the whole sheet in plain XML
on disk, left there for good when the process is killed. For an encrypted
case's export that is exactly the plaintext the encryption is there to keep
off the disk. So Cellsight writes its own XLSX (a table of text and numbers
needs a handful of small XML parts) directly into the zip stream it is given,
which for ``--encrypt`` is the member of the AES-256 zip: nothing reaches the
disk in the clear, and a kill leaves only the output's own partial file
(``core.tempfiles``), ciphertext when encrypted.

Memory: the sheet's XML is built ``CHUNK_ROWS`` rows at a time, column by
column, deflated and passed on; beyond the table itself the writer holds one chunk's XML
(about 3 MB for an export's 26 columns).

What a cell holds (the rule, stated once):

- text is an inline string, so it is never a formula; text a spreadsheet
  would run as one (``risky``: a leading ``=``, ``+``, ``-``, ``@``, tab or
  carriage return) also gets Excel's "quote prefix" flag, the apostrophe Excel
  itself adds for typed text, so it stays text even after editing and shows
  exactly as written;
- numbers (int, float, not missing) are numbers; True/False are booleans;
  anything else (a timestamp) is written as its text;
- control characters that XML cannot hold are written as visible ``\\xNN``.

The bytes are the same for the same table: members carry a fixed date and the
workbook records no creation time.
"""

from __future__ import annotations

import os
import re
import zipfile
from typing import IO, Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from cellsight.core.case import CaseError

MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
MAX_COLUMNS = 16_384
CHUNK_ROWS = 2_000
RISKY_START = re.compile(r"^[=+\-@\t\r]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP64_FROM = 1 << 30  # an estimated sheet this large is written with ZIP64 sizes
_STYLE_HEADER, _STYLE_QUOTED = 1, 2

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    '</Relationships>')
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:creator>{creator}</dc:creator>{dates}</cp:coreProperties>')
_DATES = ('<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
          '<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>')
_APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        '<Application>{creator}</Application></Properties>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    '</Relationships>')
# Three cell formats: 0 plain, 1 bold (the header), 2 quote prefix (text that looks like a formula).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData>')
_FROZEN_HEADER = '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
_SHEET_END = "</sheetData></worksheet>"


class XlsxError(CaseError):
    """A table that cannot be written as one XLSX sheet (nothing is written)."""


def risky(values: pd.Series) -> pd.Series:
    """True for text cells a spreadsheet would run as a formula."""
    text = values.astype(object)
    is_text = text.map(lambda v: isinstance(v, str)).astype(bool)
    starts = text.where(is_text, "").astype(str).str.contains(RISKY_START, na=False)
    return is_text & starts


def write_xlsx(frame: pd.DataFrame, out: str | os.PathLike[str] | IO[bytes], *, sheet: str = "Sheet1",
               creator: str = "Cellsight", freeze_header: bool = True, produced: Any = None) -> None:
    """Write ``frame`` (header row, then its rows) as the only sheet of an XLSX at ``out``.

    ``out`` is a path or a binary stream (which need not be seekable: the
    member of an encrypted zip). ``creator`` is recorded as the workbook's
    author, the mark by which Cellsight knows its own outputs (``core.outputs``).
    ``produced`` (a time) is the workbook's created and modified date and every
    member's time, as a report's produced date is its only date; without it the
    workbook states no date. Either way the same rows give the same bytes.
    """
    stamp = pd.Timestamp(produced).tz_convert("UTC") if produced is not None else None
    dates = _DATES.format(when=stamp.strftime("%Y-%m-%dT%H:%M:%SZ")) if stamp is not None else ""
    zip_date = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute,
                stamp.second) if stamp is not None else _ZIP_DATE
    if len(frame) > MAX_ROWS or len(frame.columns) > MAX_COLUMNS:
        raise XlsxError(f"{len(frame):,} rows of {len(frame.columns)} columns do not fit in one XLSX sheet "
                        f"({MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns at most)")
    name = _sheet_name(sheet)
    creator_xml = escape(_clean(creator))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, text in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
                             ("docProps/core.xml", _CORE.format(creator=creator_xml, dates=dates)),
                             ("docProps/app.xml", _APP.format(creator=creator_xml)),
                             ("xl/workbook.xml", _WORKBOOK.format(sheet=escape(name, {'"': "&quot;"}))),
                             ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS), ("xl/styles.xml", _STYLES)):
            archive.writestr(_member(member, zip_date), text.encode("utf-8"))
        big = _estimated_bytes(frame) >= _ZIP64_FROM
        with archive.open(_member("xl/worksheets/sheet1.xml", zip_date), "w", force_zip64=big) as stream:
            stream.write(_SHEET_START.format(pane=_FROZEN_HEADER if freeze_header else "").encode("utf-8"))
            header = pd.DataFrame([[str(c) for c in frame.columns]], columns=range(len(frame.columns)))
            stream.write(_rows_xml(header, 1, style=_STYLE_HEADER).encode("utf-8"))
            for start in range(0, len(frame), CHUNK_ROWS):
                chunk = frame.iloc[start:start + CHUNK_ROWS]
                stream.write(_rows_xml(chunk, start + 2).encode("utf-8", "backslashreplace"))
            stream.write(_SHEET_END.encode("utf-8"))


def _member(name: str, date_time: tuple[int, ...] = _ZIP_DATE) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _sheet_name(name: str) -> str:
    """A name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", _clean(name)).strip("'")[:31]
    return cleaned or "Sheet1"


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _estimated_bytes(frame: pd.DataFrame) -> int:
    """An upper estimate of the sheet's XML: its text (UTF-8 at most 4 bytes a character) and 60 bytes a cell."""
    text = 0
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            text += int(values.astype(object).map(lambda v: len(v) if isinstance(v, str) else 0).sum())
    return 4 * text + 60 * frame.size


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _rows_xml(chunk: pd.DataFrame, first_row: int, style: int = 0) -> str:
    """``<row>`` elements for ``chunk``, whose first row is sheet row ``first_row``.

    Cells are built column by column; characters XML cannot hold are made
    visible in one pass over the chunk's text (the markup itself has none).
    """
    if chunk.empty:
        return ""
    columns = [_column_cells(chunk.iloc[:, i], letter, first_row, style)
               for i, letter in enumerate(_column_letters(len(chunk.columns)))]
    xml = "".join(f'<row r="{first_row + offset}">{"".join(cells)}</row>'
                  for offset, cells in enumerate(zip(*columns)))
    return _clean(xml)


def _column_cells(values: pd.Series, letter: str, first_row: int, style: int) -> list[str]:
    """One column's ``<c>`` elements, ``""`` where the value is missing (see the module's rule)."""
    quoted = risky(values).to_numpy(dtype=bool) if not style else np.zeros(len(values), dtype=bool)
    plain, quote = (f' t="inlineStr" s="{style}">', "") if style else (' t="inlineStr">', f' t="inlineStr" s="{_STYLE_QUOTED}">')
    style_attr = f' s="{style}"' if style else ""
    out = []
    for offset, value in enumerate(values.astype(object).tolist()):
        ref = f'<c r="{letter}{first_row + offset}"'
        if isinstance(value, str):
            text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out.append(f'{ref}{quote if quoted[offset] else plain}<is><t xml:space="preserve">{text}</t></is></c>')
        elif value is None or value is pd.NA or value is pd.NaT:
            out.append("")
        elif isinstance(value, (bool, np.bool_)):
            out.append(f'{ref} t="b"{style_attr}><v>{int(value)}</v></c>')
        elif isinstance(value, (int, np.integer)):
            out.append(f"{ref}{style_attr}><v>{int(value)}</v></c>")
        elif isinstance(value, (float, np.floating)):
            out.append(f"{ref}{style_attr}><v>{float(value)!r}</v></c>" if np.isfinite(value) else "")
        else:  # a timestamp or any other object: its text
            text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            out.append(f'{ref}{plain}<is><t xml:space="preserve">{text}</t></is></c>')
    return out
