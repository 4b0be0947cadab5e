"""Make docs/report/: the demo case's storyboard PDF, every page as a small image, for the user guide
(the schedule of communications and the evidence appendix written beside it are counted in the index).

Builds the demo case from the packaged exhibits (``cellsight.demo``, as ``cellsight demo`` does),
writes its report with a fixed produced date and a fictional producer, and
renders each page with poppler's ``pdftoppm`` at 60 dpi, reduced to a palette
of 48 colours (the pages are text, tables and flat-coloured maps, so this keeps
them legible at a fraction of the size). Also writes ``index.md`` listing the
pages with their section titles.

    .venv/bin/python docs/make_report_pages.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "report"
DPI = 60
COLOURS = 48


def main() -> None:
    from cellsight.demo import build
    from cellsight.report.build import write_report
    from cellsight.report.producer import Producer

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("page-*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        case_path = Path(folder) / "demo.cellsight"
        case, _ = build(case_path)
        pdf = Path(folder) / "storyboard.pdf"
        producer = Producer("DC Alex Morgan (fictional)", "Detective Constable", "West Yorkshire Police (fictional)")
        summary = write_report(case, pdf, produced="2025-11-20T10:00", case_path=case_path, producer=producer)
        subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(Path(folder) / "raw")], check=True)
        for raw in sorted(Path(folder).glob("raw-*.png")):
            number = int(raw.stem.split("-")[1])
            image = Image.open(raw).convert("RGB")
            image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                OUT / f"page-{number:03d}.png", optimize=True)
        reader = PdfReader(str(pdf))
        starts = {reader.get_destination_page_number(item): item.title for item in reader.outline}
        titles, current = [], "Cover and contents"
        for index in range(len(reader.pages)):
            current = starts.get(index, current)
            titles.append(current if index in starts or index == 0 else f"{current} (continued)")
    schedule, appendix = summary["schedule"], summary["appendix"]
    lines = ["# The demo case's storyboard, page by page", "",
             f"`cellsight report` on the demo case (Operation Larkspur, fictional): {summary['pages']} pages, "
             f"produced date fixed. Made by `docs/make_report_pages.py`. Written beside it in the same run, "
             f"as exhibits of their own listed in it with their SHA-256: the schedule of communications "
             f"(exhibit {schedule['exhibit']}, {schedule['pages']} pages, and the same {schedule['rows']:,} rows "
             f"as a spreadsheet, exhibit {schedule['xlsx_exhibit']}) and the evidence appendix (exhibit "
             f"{appendix['exhibit']}, {appendix['pages']} pages).", ""]
    for number, heading in enumerate(titles, start=1):
        lines.append(f"- [Page {number}](page-{number:03d}.png): {heading}")
    (OUT / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{summary['pages']} pages written to {OUT}")


if __name__ == "__main__":
    main()
