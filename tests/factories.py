"""Build cases from plain Python rows, through the same API the importers use.

Tests of every area can write the data they need as a few dicts and get a real
``Case``: subjects via ``Case.set_subject``, rows via ``Case.add_source`` with a
proper ``Source`` record (so counts, dtypes and validation are the importers'),
and a saved case file via ``save``.

    case = new_case(subjects={"Sam": ("suspect", ["07700 900001"]),
                              "Vic": ("victim", ["07700 900002"])})
    add_events(case, "Sam", [
        {"start": "2023-03-18T14:00:05+00:00", "kind": "call", "direction": "outgoing",
         "party_a": "07700 900001", "party_b": "07700 900002", "duration_s": 30,
         "cell_first": "234-30-1-1"},
    ])
    add_fixes(case, "Vic", [{"time": "2023-03-18T14:01:00Z", "lat": 51.5, "lon": -0.1}])
    add_cells(case, [{"key": "234-30-1-1", "lat": 51.5, "lon": -0.1}])
    path = save(case, tmp_path)

Numbers are normalised as importers do (``phone.normalise_series`` in the case's
region); times are ISO strings with an offset, or zone-aware Timestamps. Only
Ofcom drama numbers belong in tests.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight import __version__
from cellsight.core.case import Case, Source, utc_stamp
from cellsight.core.casefile import save_case
from cellsight.core.phone import normalise_series


def new_case(subjects: dict[str, tuple[str, list[str]]] | None = None, tz: str = "Europe/London",
             region: str = "GB", name: str = "Test case") -> Case:
    """A new case with subjects given as ``{name: (role, [numbers])}``."""
    case = Case.new(name=name, reference="TEST/1", officer="Tester", tz=tz, region=region)
    for subject, (role, numbers) in (subjects or {}).items():
        case.set_subject(subject, role=role, numbers=numbers)
    return case


def utc(values: Any) -> pd.Series:
    """Times with offsets (strings or Timestamps) as a UTC series."""
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"))


def _source(case: Case, subject: str, frames: dict[str, pd.DataFrame], kinds: dict[str, int],
            file: str | None) -> Source:
    rows = sum(len(f) for f in frames.values())
    payload = json.dumps({k: f.astype(str).to_dict("list") for k, f in frames.items()}, sort_keys=True)
    # Unique per call, so adding the same rows twice is two sources (as two files would be).
    digest = hashlib.sha256(f"{len(case.sources)}:{payload}".encode()).hexdigest()
    source_id = case.next_source_id()
    return Source(id=source_id, file=file or f"{source_id}.test", path=f"/nonexistent/{source_id}.test",
                  sha256=digest, size=len(payload), format="test", subject=subject, declared_tz="UTC",
                  tz_rule="values", parameters={}, rows=rows, imported=rows, rejected=0,
                  kinds=kinds, skipped=[], warnings=[], imported_at=utc_stamp(), version=__version__)


def _with_source(frame: pd.DataFrame, source_id: str, subject: str | None) -> pd.DataFrame:
    frame = frame.copy()
    frame["source_id"] = source_id
    if "source_row" not in frame:
        frame["source_row"] = [str(i + 1) for i in range(len(frame))]
    frame["source_row"] = frame["source_row"].astype(str)
    if subject is not None and "subject" not in frame:
        frame["subject"] = subject
    return frame


def add_events(case: Case, subject: str, rows: list[dict[str, Any]], file: str | None = None) -> Source:
    """Add one source of events owned by ``subject``; returns its Source.

    Each row needs ``start``, ``kind`` and ``direction``; ``party_a``/``party_b``
    are numbers as written (normalised here, raw kept); anything else of the
    events schema may be given (``duration_s``, ``thread``, ``cell_first``...).
    """
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["start"] = utc(frame["start"])
        for side in ("party_a", "party_b"):
            if side in frame:
                raw = frame[side].astype(object).where(frame[side].notna(), None)
                frame[f"{side}_raw"] = raw
                frame[side], frame[f"{side}_flag"] = normalise_series(raw, case.info.region)
    kinds = dict(Counter(frame["kind"])) if len(frame) else {}
    source = _source(case, subject, {"events": frame}, kinds, file)
    case.add_source(source, {"events": _with_source(frame, source.id, subject)})
    return source


def add_fixes(case: Case, subject: str, rows: list[dict[str, Any]], file: str | None = None) -> Source:
    """Add one source of location fixes (``time``, ``lat``, ``lon``, optional ``origin``...)."""
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["time"] = utc(frame["time"])
        if "origin" not in frame:
            frame["origin"] = "gps"
    source = _source(case, subject, {"locations": frame}, {"location": len(frame)}, file)
    case.add_source(source, {"locations": _with_source(frame, source.id, subject)})
    return source


def add_cells(case: Case, rows: list[dict[str, Any]], file: str | None = None) -> Source:
    """Add one cell list (``key``, ``lat``, ``lon``, optional ``azimuth``, ``technology``...)."""
    frame = pd.DataFrame(rows)
    source = _source(case, "", {"cells": frame}, {"cell": len(frame)}, file)
    case.add_source(source, {"cells": _with_source(frame, source.id, None)})
    return source


def add_address_book(case: Case, subject: str, rows: list[dict[str, Any]], file: str | None = None) -> Source:
    """Add one source of address-book entries (``number`` as written, ``name``)."""
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["number_raw"] = frame["number"]
        frame["number"], _flags = normalise_series(frame["number"], case.info.region)
    source = _source(case, subject, {"contacts": frame}, {"contact": len(frame)}, file)
    case.add_source(source, {"contacts": _with_source(frame, source.id, subject)})
    return source


def save(case: Case, folder: Path, name: str = "case.cellsight") -> Path:
    """Save the case into ``folder`` and return the path."""
    path = Path(folder) / name
    save_case(case, path)
    return path


def xlsx_with_sheet(path: Path, sheet_xml: bytes | str) -> Path:
    """A real workbook (openpyxl's) whose first sheet's XML is replaced by ``sheet_xml``.

    For hostile workbooks: a sheet that inflates a thousand times, or declares
    a dimension it does not hold.
    """
    import zipfile

    import openpyxl

    plain = path.with_suffix(".plain.xlsx")
    book = openpyxl.Workbook()
    book.active.append(["x"])
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                          compresslevel=9) as target:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, data)
    plain.unlink()
    return path


def sqlite_file(path: Path, script: str) -> Path:
    """A SQLite database made by ``script`` (hostile base map files, for instance)."""
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(script)
    db.commit()
    db.close()
    return path
