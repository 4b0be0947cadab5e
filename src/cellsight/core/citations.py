"""Evidence cited as a court reads it: the exhibit reference and the row as the exhibit numbers it.

Inside the case every row carries ``source_id`` (``S4``) and ``source_row``: the
case's own bookkeeping, which appears nowhere in the exhibits a prosecutor
holds. Every output that names the evidence behind a figure (the PDF, the
chronology, the workstation's tables, exports) cites it through this module
instead: the exhibit reference the officer gave the file (``AM/4``), or the
file's name when none was given, followed by the place in that exhibit in the
words its own viewer uses:

- a CSV or text table: ``line 14`` (the 1-based line of the file);
- a spreadsheet: ``row 14``, or ``sheet Calls row 14`` when the workbook had
  data on several sheets;
- a Cellebrite report: ``model <id>`` (the id Physical Analyzer shows), or
  ``file <path>`` for a photograph in the download;
- a JSON location history: ``record 12`` (or the path inside it,
  ``semanticSegments[3].timelinePath[7]``);
- GPX and KML: the element path, ``trk[1].trkseg[1].trkpt[5]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from cellsight.core.case import Case, Source

_SPREADSHEET = {".xlsx", ".xlsm", ".xls"}
_SHEET_ROW = re.compile(r"^(?P<sheet>.+)!(?P<row>\d+)$")


def exhibit_label(source: Source) -> str:
    """What the court calls a source: its exhibit reference, else its file name."""
    return source.exhibit.strip() or source.file


def row_words(source: Source, row: str) -> str:
    """The place of one row inside its exhibit, worded as the exhibit's own viewer numbers it."""
    row = str(row)
    suffix = PurePath(source.file).suffix.lower()
    if source.format == "ufdr":  # a model id, or the path of one of the phone's files (a photograph)
        return f"file {row}" if "/" in row or row.lower().endswith((".jpg", ".jpeg", ".jpe")) else f"model {row}"
    if suffix in _SPREADSHEET:
        match = _SHEET_ROW.match(row)
        return f"sheet {match['sheet']} row {match['row']}" if match else f"row {row}"
    if row.isdigit():
        return f"record {row}" if suffix == ".json" else f"line {row}"
    return row


def cite(case: Case, source_id: str, row: str | None) -> str:
    """``AM/4 line 14``: one row of one source, as a prosecutor can find it in the exhibit."""
    source = _source(case, source_id)
    if source is None:
        return f"{source_id} {row}" if row else str(source_id)
    label = exhibit_label(source)
    return f"{label} {row_words(source, row)}" if row not in (None, "") else label


def cite_series(case: Case, source_ids: pd.Series, rows: pd.Series) -> pd.Series:
    """``cite`` over columns, as column operations per source (a proximity run cites
    hundreds of thousands of rows; a Python call per row was most of its time).

    A missing source gives ""; a missing or empty row gives the exhibit alone.
    """
    index = pd.Series(rows).index
    sources = pd.Series(source_ids).astype(object).to_numpy()
    row_text = pd.Series(rows).astype(object)
    row_text = row_text.where(row_text.notna(), "").astype(str).to_numpy(object)
    out = np.full(len(sources), "", dtype=object)
    present = pd.notna(sources) & (sources != "")
    codes, uniques = pd.factorize(sources[present])
    where = np.flatnonzero(present)
    for code, source_id in enumerate(uniques):
        positions = where[codes == code]
        out[positions] = _cite_column(case, source_id, row_text[positions])
    return pd.Series(out, index=index, dtype=object)


def _cite_column(case: Case, source_id: object, rows: np.ndarray) -> np.ndarray:
    """``cite`` of many rows (text, "" for none) of one source."""
    source = _source(case, source_id)
    label = exhibit_label(source) if source is not None else str(source_id)
    words = rows if source is None else _row_words_column(source, rows)
    return np.where(rows != "", label + " " + words, label)


def _row_words_column(source: Source, rows: np.ndarray) -> np.ndarray:
    """``row_words`` of many rows of one source."""
    suffix = PurePath(source.file).suffix.lower()
    if source.format == "ufdr":
        return "model " + rows
    text = pd.Series(rows, dtype=object)
    if suffix in _SPREADSHEET:
        parts = text.str.extract(_SHEET_ROW)
        sheet = "sheet " + parts["sheet"] + " row " + parts["row"]
        return sheet.where(parts["row"].notna(), "row " + text).to_numpy(object)
    digits = text.map(str.isdigit).to_numpy(bool)
    noun = "record " if suffix == ".json" else "line "
    return np.where(digits, noun + rows, rows)


def cite_rows(case: Case, source_id: str, rows: Iterable[str]) -> str:
    """Several rows of one source in one citation: ``AM/4 lines 14, 15 and 19``."""
    rows = [str(r) for r in rows]
    source = _source(case, source_id)
    if source is None or not rows:
        return cite(case, source_id, rows[0] if rows else None)
    words = [row_words(source, r) for r in rows]
    if len(words) == 1:
        return f"{exhibit_label(source)} {words[0]}"
    nouns = {w.rsplit(" ", 1)[0] for w in words}
    if len(nouns) == 1 and " " in words[0]:
        noun = nouns.pop()
        numbers = [w.rsplit(" ", 1)[1] for w in words]
        plural = noun + ("s" if not noun.endswith("s") else "")
        return f"{exhibit_label(source)} {plural} {_joined(numbers)}"
    return f"{exhibit_label(source)} {_joined(words)}"


def exhibit_for(case: Case, source_id: str) -> str:
    """The exhibit label of a source id (the id itself when the case does not know it)."""
    source = _source(case, source_id)
    return exhibit_label(source) if source is not None else str(source_id)


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _source(case: Case, source_id: str) -> Source | None:
    return next((s for s in case.sources if s.id == str(source_id)), None)
