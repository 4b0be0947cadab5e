"""The exhibits written beside the storyboard: the schedule of communications (PDF and XLSX) and the
evidence appendix (PDF).

A prosecutor reads the storyboard; the full schedule (every communication,
one row each, with every exhibit row that records it) and the appendix (every
hit behind every occasion, and maps of the occasions beyond the storyboard's
cap) are exhibits of their own, written in the same run from the same
analyses, so that the storyboard stays short and still cites them by row and
page. Each is hashed, and its reference, file and SHA-256 are listed in the
storyboard's exhibits.

Names: after ``--out`` by default (``NAME-schedule.pdf``, ``NAME-schedule.xlsx``,
``NAME-appendix.pdf``); ``--schedule PATH`` names the schedule's PDF (its
XLSX takes the same name with ``.xlsx``), ``--appendix PATH`` the appendix.
Under ``--encrypt`` the PDFs are encrypted like the storyboard and the XLSX
goes into an AES-256 zip (``NAME-schedule.xlsx.zip``) as exports do.

Exhibit references: the producer's initials (as the demo's officer's exhibits
are ``AM/1`` ...) numbered on from the highest such reference among the case's
exhibits; with no initials, ``SCHEDULE``/``APPENDIX``. The storyboard lists
them, and the officer can renumber them in the statement that exhibits them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight.core.casefile import file_sha256
from cellsight.core.outputs import check_output
from cellsight.report.protect import encrypt_pdf, encrypted_member, inner_name, zipped


@dataclass
class Companion:
    """One exhibit written beside the storyboard: where, its reference, and (once written) pages and digest."""

    what: str  # "schedule of communications (PDF)"
    path: Path
    reference: str
    pages: int | None = None  # pages of a PDF; rows of the XLSX
    rows: int | None = None
    sha256: str = ""
    anchors: dict[str, int] = field(default_factory=dict)

    def listed(self) -> list[Any]:
        size = f"{self.pages} pages" if self.pages is not None else f"{self.rows:,} rows"
        return [self.reference, self.what, self.path.name, size, self.sha256]


def default_paths(out: str | os.PathLike[str], schedule: str | os.PathLike[str] | None,
                  appendix: str | os.PathLike[str] | None, encrypted: bool) -> tuple[Path, Path, Path]:
    """(schedule PDF, schedule XLSX, appendix PDF) for a storyboard written to ``out``."""
    target = Path(out)
    stem = target.with_suffix("") if target.suffix.lower() == ".pdf" else target
    pdf = Path(schedule) if schedule else stem.with_name(stem.name + "-schedule.pdf")
    xlsx = pdf.with_suffix(".xlsx") if pdf.suffix.lower() == ".pdf" else pdf.with_name(pdf.name + ".xlsx")
    return pdf, zipped(xlsx) if encrypted else xlsx, Path(appendix) if appendix else \
        stem.with_name(stem.name + "-appendix.pdf")


def references(case: Any, producer_name: str, count: int) -> list[str]:
    """``count`` exhibit references following the producer's own among the case's exhibits."""
    words = re.sub(r"\(.*?\)", "", producer_name or "").split()
    initials = "".join(w[0] for w in words[-2:] if w[:1].isalpha()).upper()
    if not initials:
        return ["SCHEDULE", "SCHEDULE (XLSX)", "APPENDIX"][:count]
    pattern = re.compile(rf"^{re.escape(initials)}/(\d+)$")
    taken = [int(m.group(1)) for s in case.sources if (m := pattern.match(str(s.exhibit or "")))]
    first = max(taken, default=0) + 1
    return [f"{initials}/{first + i}" for i in range(count)]


def check_paths(case: Any, paths: list[Path], force: bool, case_path: Any) -> None:
    for path in paths:
        check_output(path, kind(path), case, force, case_path)


def write_pdf(companion: Companion, render: Any, tmp: Path, password: str | None) -> None:
    """Write a PDF companion to ``tmp`` (its temporary, renamed when the whole run succeeds) with
    ``render(tmp) -> (pages, anchors)``; record its pages and digest."""
    companion.pages, companion.anchors = render(tmp)
    if password:
        encrypt_pdf(tmp, password)
    companion.sha256 = file_sha256(tmp)


def write_schedule_xlsx(companion: Companion, frame: pd.DataFrame, produced: pd.Timestamp, tmp: Path,
                        password: str | None) -> None:
    """The schedule's rows as a spreadsheet, through the export's one XLSX writer (formula-safe, dated
    ``produced`` so that the same case gives the same bytes; encrypted into a zip with ``password``)."""
    from cellsight.report.export import write_export_xlsx

    if password:
        with encrypted_member(tmp, inner_name(companion.path), password, "export") as stream:
            write_export_xlsx(frame, stream, "schedule", produced)
    else:
        write_export_xlsx(frame, str(tmp), "schedule", produced)
    companion.sha256 = file_sha256(tmp)
    companion.rows = len(frame)


def kind(path: Path) -> str:
    """The output kind (``core.outputs``) of a companion: the spreadsheet is an export, the rest reports."""
    return "export" if ".xlsx" in path.name.lower() else "report"
