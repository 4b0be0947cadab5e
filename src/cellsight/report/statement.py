"""A short statement in the style of an SFR1 (UK Streamlined Forensic Reporting), beside the full storyboard.

Streamlined Forensic Reporting asks first for a short report of the key
findings that the defence can agree or dispute early, with the full work
available behind it. This writes such a summary from the same analyses as the
storyboard it goes with: who made it and for which case, the exhibits
examined (with their digests), the key findings in sentences (each citing the
page of the full report where it is set out), what the findings do not show,
the full report's own SHA-256, and the producer's declaration. It follows the
SFR1's order of parts; it is not the official form, and says so.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from cellsight.core.outputs import atomic_output
from cellsight.report.devices import statement_lines
from cellsight.report.pdf import ReportMeta, Section, render_pdf
from cellsight.report.producer import Producer, fill
from cellsight.report.protect import encrypt_pdf
from cellsight.report import timebasis as time_basis
from cellsight.report.storyboard import Frame
from cellsight.report.summary import PairRun, ProximityRun, pair_paragraphs, place_paragraphs

STATUS = ("This is a short report of key findings, laid out after the first stage of the Streamlined Forensic "
          "Reporting process (SFR1). It summarises the full evidential report named above, which sets out the "
          "methods, parameters, limitations and every exhibit row behind each figure, and should be read with "
          "it. It is not a report of an expert under Part 19 of the Criminal Procedure Rules. Where a finding "
          "is not agreed, the full report and a fuller statement can be served.")
NOT_SHOWN = ("The records show the use of telephone numbers and the positions that phones and accounts "
             "reported; they do not show who was using a phone. Location fixes are recorded only now and then "
             "and each has its own accuracy; cell sites show only that a phone used a cell whose service area "
             "may extend kilometres from its mast. A communication that no exhibit holds (a deleted message "
             "not recovered, a call over an app the records do not cover) is not counted.")


def _text(caption: str, text: str) -> Frame:
    return Frame("text", caption=caption, content={"text": text})


def _table(caption: str, columns: list[str], rows: list[list[Any]], **extra: Any) -> Frame:
    return Frame("table", caption=caption, content={"columns": columns, "rows": rows, **extra})


def write_statement(case: Any, out: str | os.PathLike[str], *, meta: ReportMeta, producer: Producer,
                    pairs: list[PairRun], places: list[ProximityRun], report: dict[str, Any],
                    anchors: dict[str, int], redactor: Any, values: dict[str, Any], force: bool = False,
                    case_path: str | os.PathLike[str] | None = None,
                    password: str | None = None) -> dict[str, Any]:
    """Write the short statement to ``out``; ``report`` is the full report's summary, ``anchors`` its pages.

    ``force``, ``case_path`` and ``password`` as for the full report: the same
    output rules (``core.outputs``) and, with a password, the same encryption.
    """
    info = case.info
    suspects = ", ".join(s.name for s in case.subjects if s.role == "suspect") or "(none)"
    victims = ", ".join(s.name for s in case.subjects if s.role == "victim") or "(none)"
    header = [["Case", info.name], ["Reference (URN)", info.reference or "(none)"],
              ["Force", producer.force or "(not stated)"], ["Suspect", suspects], ["Complainant", victims],
              ["Report by", producer.described() or "(not stated)"], ["Date", meta.produced_text()],
              ["Type of evidence", "Analysis of communications records, phone downloads and location records"],
              ["Full report", f"{Path(report['out']).name}, {report['pages']} pages, SHA-256 {report['sha256']}"]]
    if meta.case_sha256:
        header.append(["Case file SHA-256", meta.case_sha256])
    exhibits = [[s.exhibit or s.file, s.file, s.subject or "(none)", s.sha256] for s in case.sources]
    times = time_basis.statement_paragraph(case)  # each exhibit's time basis and the clock checks
    findings: list[str] = []
    for run in pairs:
        findings += pair_paragraphs(case, run)
    findings += place_paragraphs(places)
    findings += statement_lines(case)
    purpose = ("To set out the key findings of an analysis of the communications between "
               + " and ".join(f"{p.a} and {p.b}" for p in pairs) + " and of the locations of their phones."
               if pairs else "To set out the key findings of the analyses in the full report.")
    declaration = fill(producer.template(), {**values, "pages": "{page:__total__}"})
    signature = [["Signed", ""], ["Name", producer.name], ["Rank or role", producer.rank],
                 ["Force", producer.force], ["Date", ""]]
    # Two sections only (a section starts a page): the header, then the numbered parts one after another.
    sections = [
        Section("", [Frame("title", content={"title": "Streamlined forensic report (SFR1 style)",
                                             "subtitle": "Key findings: communications and proximity"}),
                     _table("", ["Item", "Detail"], header, widths=[1, 4])]),
        Section("Findings", [
            _text("1. Purpose", purpose),
            _table("2. Exhibits examined", ["Exhibit", "File", "Subject", "SHA-256"], exhibits,
                   widths=[0.8, 1.8, 1.1, 4]),
            *([_text("", times)] if times else []),
            _text("3. Key findings", "\n\n".join(findings)),
            _text("4. What the findings do not show", NOT_SHOWN),
            _text("5. Status of this report", STATUS),
            _text("6. Declaration", declaration),
            _table("", ["", ""], signature, widths=[1, 4], tall=True)]),
    ]
    target = Path(out)
    statement_meta = ReportMeta(meta.case_name, meta.reference, meta.officer, meta.produced, meta.tz, meta.version,
                                meta.case_sha256, producer=meta.producer, footer_by=meta.footer_by,
                                title="Short statement (SFR1 style)")

    class _NoResolver:
        def chart_data(self, frame: Frame) -> dict[str, Any]:
            raise AssertionError("a statement has no charts")

        def map_image(self, frame: Frame, size: tuple[int, int]) -> PILImage.Image:
            raise AssertionError("a statement has no maps")

    with atomic_output(target, "report", case, force, case_path) as tmp:
        pages, _ = render_pdf(str(tmp), statement_meta, sections, _NoResolver(), redactor=redactor,
                              pages=anchors, ref_format="page {n} of the full report", contents_page=False)
        if password:
            encrypt_pdf(tmp, password)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    return {"out": str(target), "pages": pages, "sha256": digest, "encrypted": bool(password)}
