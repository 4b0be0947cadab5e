"""The evidential PDF: what it must say, that it escapes hostile text, and that it is reproducible."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader

from cellsight import cli
from cellsight.analysis import proximity
from cellsight.core.case import CaseError
from cellsight.core.casefile import file_sha256, save_case
from cellsight.core.timezones import court_time
from cellsight.report import occasionmaps
from cellsight.report.build import produced_time, write_report
from cellsight.report.pdf import esc
from cellsight.progress import Cancelled, NullProgress
from cellsight.report.storyboard import Frame, Storyboard
from tests.core.report_fixtures import HOSTILE, make_case

PRODUCED = "2024-05-01T10:00:00"


def pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    case = make_case(victim_name=HOSTILE, days=4)
    Storyboard([Frame("text", caption="Officer's summary", note="Written by the OIC",
                      content={"text": "The suspect called <b>repeatedly</b> & waited."}),
                Frame("table", caption="Selected calls", parameters={"pane": "events"},
                      content={"columns": ["When", "Text"], "rows": [["2024-03-01", "=cmd|' /C calc'!A0"]]}),
                # Charts and maps saved with only their parameters are drawn again from the case.
                Frame("chart", caption="Saved series chart",
                      content={"chart": "series", "a": "Sam Suspect", "b": HOSTILE, "by": "week"}),
                Frame("chart", caption="Saved heatmap", content={"chart": "heatmap", "subject": HOSTILE}),
                Frame("map", caption="Saved map of the second day", note="Both phones that evening",
                      content={"subjects": ["Sam Suspect", HOSTILE], "start": "2024-03-02T17:00",
                               "end": "2024-03-02T20:00", "places": ["Victim home"]}),
                ]).save(case)
    case_path = folder / "lantern.cellsight"
    save_case(case, case_path)
    out = folder / "report.pdf"
    summary = write_report(case, out, produced=PRODUCED, case_path=case_path)
    return case, case_path, out, summary, pages_text(out)


def test_every_exhibit_hash_and_the_case_file_hash(built):
    case, case_path, _out, summary, pages = built
    text = "\n".join(pages)
    for source in case.sources:
        assert source.sha256 in text
        assert source.file in text
    assert file_sha256(case_path) in text
    assert summary["case_sha256"] == file_sha256(case_path)


def test_every_occasion_and_the_parameters(built):
    case, _path, _out, summary, pages = built
    text = "\n".join(pages)
    pair = proximity.run(case, "Sam Suspect", b=HOSTILE).to_json(case.info.tz)
    place = proximity.run(case, "Sam Suspect", place="Victim home").to_json(case.info.tz)
    assert pair["count"] == 4 and place["count"] == 4
    # The victim has no network events: the pair is reported by fixes only; the place also by cell sites.
    assert [(r["method"], r["occasions"]) for r in summary["analyses"]][:2] == [("gps", 4), ("gps", 4)]
    assert summary["maps"] == sum(mapped_pages(r["occasions"]) for r in summary["analyses"]) + 1  # and the saved map
    for occasion in pair["occasions"] + place["occasions"]:
        assert court_time(pd.Timestamp(occasion["start"]), case.info.tz) in text
    for label in ("distance (m)", "window (min)", "gap (min)", "method", "Method", "Limitations"):
        assert label in text
    assert "200" in text and "Europe/London" in text
    assert pair["method_statement"][:60] in text.replace("\n", " ")


def mapped_pages(occasions: int) -> int:
    """Map images of one analysis: in the storyboard one per occasion for the first few, then pages of
    small maps up to the cap; the occasions beyond it as pages of small maps in the appendix."""
    single = min(occasions, occasionmaps.SINGLE)
    rest = min(occasions, occasionmaps.CAP) - single
    beyond = max(occasions - occasionmaps.CAP, 0)
    return single + -(-rest // occasionmaps.GRID) + -(-beyond // occasionmaps.GRID)


def test_header_and_footer_on_every_page(built):
    _case, _path, _out, summary, pages = built
    assert summary["pages"] == len(pages) > 8
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "OP/LANTERN/1" in page
        assert "Produced Wed 1 May 2024 10:00:00 BST" in page


def test_contents_page_and_bookmarks(built):
    _case, _path, out, _summary, pages = built
    assert "Contents" in pages[1] and f"Proximity of Sam Suspect to {HOSTILE}" in pages[1]
    reader = PdfReader(str(out))
    outline = {item.title: reader.get_destination_page_number(item) for item in reader.outline}
    assert list(outline)[:3] == ["Summary", f"Key events: Sam Suspect and {HOSTILE}",
                                 f"Messages of concern: Sam Suspect and {HOSTILE}"]
    assert list(outline)[-2:] == ["Exhibits", "Declaration"]
    for title, index in outline.items():  # each bookmark opens the page its section starts on
        assert title in pages[index] and title in pages[1]


def test_hostile_text_is_printed_not_interpreted(built):
    text = "\n".join(built[4])
    assert HOSTILE in text  # shown as the characters the phone held
    assert "The suspect called <b>repeatedly</b> & waited." in text
    assert "=cmd|' /C calc'!A0" in text
    assert esc("<font size=80>x</font> & y\x00") == "&lt;font size=80&gt;x&lt;/font&gt; &amp; y"


def test_saved_storyboard_frames_follow_the_analyses(built):
    pages = built[4]
    where = next(i for i, p in enumerate(pages) if "Officer's summary" in p)
    assert "Written by the OIC" in pages[where]
    assert any("Proximity of Sam Suspect" in p for p in pages[:where])
    assert built[3]["storyboard_frames"] == 5
    rest = "\n".join(pages[where:])
    for caption in ("Selected calls", "Saved series chart", "Saved heatmap", "Saved map of the second day"):
        assert caption in rest
    assert "w/c 26 Feb" in rest  # the series was recomputed by week (2024-W09), labelled as a court reads it
    assert built[3]["maps"] == sum(mapped_pages(r["occasions"]) for r in built[3]["analyses"]) + 1


def test_same_inputs_same_bytes_and_the_produced_date(tmp_path, monkeypatch):
    case = make_case(days=1)
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    first = write_report(case, tmp_path / "1" / "a.pdf", produced=PRODUCED)
    second = write_report(case, tmp_path / "2" / "a.pdf", produced=PRODUCED)
    for name in ("a.pdf", "a-schedule.pdf", "a-schedule.xlsx", "a-appendix.pdf"):  # every file of the run
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name
    assert first["sha256"] == second["sha256"]
    assert first["schedule"]["xlsx_sha256"] == second["schedule"]["xlsx_sha256"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714557600")  # 2024-05-01T10:00:00Z
    third = write_report(case, tmp_path / "c.pdf")
    assert third["produced"] == "2024-05-01T11:00:00+01:00"
    assert third["sha256"] != first["sha256"]
    meta = PdfReader(str(tmp_path / "c.pdf")).metadata
    assert meta["/CreationDate"].startswith("D:20240501100000")


def test_produced_time_rules(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert produced_time("2024-07-01T12:00", "Europe/London").isoformat() == "2024-07-01T11:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert produced_time(None, "Europe/London").year == 1970
    with pytest.raises(CaseError, match="ISO 8601"):
        produced_time("yesterday", "Europe/London")


def test_long_occasion_table_repeats_its_header(tmp_path, monkeypatch):
    case = make_case(days=40, fixes_per_day=24, calls=10)
    summary = write_report(case, tmp_path / "r.pdf", a="Sam Suspect", b="Vicky Victim", produced=PRODUCED)
    pages = pages_text(tmp_path / "r.pdf")
    table_pages = [p for p in pages if "Closest" in p and "Duration" in p and "Evidence" in p]
    assert len(table_pages) >= 2
    occasions = proximity.run(case, "Sam Suspect", b="Vicky Victim").to_json(case.info.tz)["occasions"]
    assert len(occasions) == 40
    text = "\n".join(pages)
    assert all(court_time(pd.Timestamp(o["start"]), case.info.tz) in text for o in occasions)
    # The first occasions on maps of their own, then small maps six to a page, up to the stated cap;
    # the rest are mapped in the appendix.
    assert [p for p in pages if "Map of occasion GPS 1 (location fixes)" in p]
    grids = [p for p in pages if "Maps of occasions GPS" in p]
    assert "Maps of occasions GPS 3 to 8 (location fixes)" in grids[0]
    assert "Maps of occasions GPS 9 to 14 (location fixes)" in grids[-1]
    cap = occasionmaps.CAP
    assert f"at most {cap} occasions of one analysis are mapped here" in " ".join(" ".join(pages).split())
    appendix = pages_text(summary["appendix"]["pdf"])
    assert any(f"Maps of occasions GPS {cap + 1} to" in p for p in appendix)
    assert any("Maps of occasions GPS 39 to 40" in p for p in appendix)


class CancelAtSecondMap(NullProgress):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def update(self, done, total=None, message=""):
        self.messages.append(message)
        if message == "Drawing maps" and done == 2:
            self.cancel()


def test_progress_and_cancel_leave_no_file(tmp_path):
    progress = CancelAtSecondMap()
    with pytest.raises(Cancelled):
        write_report(make_case(days=2), tmp_path / "r.pdf", produced=PRODUCED, progress=progress)
    assert progress.messages[0] == "Analysing Sam Suspect and Vicky Victim"
    assert progress.messages.count("Drawing maps") == 2
    assert list(tmp_path.iterdir()) == []  # neither the storyboard nor the schedule or appendix before it


def test_pair_and_place_options(tmp_path):
    case = make_case(days=2)
    only_place = write_report(case, tmp_path / "p.pdf", a="Sam Suspect", places=["Victim home"], produced=PRODUCED)
    assert only_place["pairs"] == [] and only_place["places"] == [{"a": "Sam Suspect", "place": "Victim home"}]
    with pytest.raises(CaseError, match="no place"):
        write_report(case, tmp_path / "x.pdf", places=["Nowhere"], produced=PRODUCED)
    assert not (tmp_path / "x.pdf").exists()
    assert not list(tmp_path.glob(".x.pdf*"))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_map_pages_are_not_blank(built):
    _case, _path, out, _summary, pages = built
    number = next(i for i, p in enumerate(pages, start=1) if "Map of occasion GPS 1 (" in p)
    png = subprocess.run(["pdftoppm", "-r", "100", "-png", "-f", str(number), "-l", str(number), str(out)],
                         check=True, capture_output=True).stdout
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red = ((image[..., 0] > 150) & (image[..., 1] < 120) & (image[..., 2] < 120)).sum()  # the suspect
    blue = ((image[..., 2] > 150) & (image[..., 0] < 100)).sum()  # the victim
    assert red > 20 and blue > 20
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 100


def test_cli_report_leaves_the_case_untouched(tmp_path, capsys):
    case_path = tmp_path / "small.cellsight"
    save_case(make_case(days=1), case_path)
    before = case_path.read_bytes()
    code = cli.main(["report", str(case_path), "--out", str(tmp_path / "cli.pdf"), "--produced", PRODUCED,
                     "--json"])
    assert code == 0
    assert '"pages"' in capsys.readouterr().out
    assert case_path.read_bytes() == before
    assert cli.main(["report", str(case_path), "--out", str(tmp_path / "bad.pdf"), "--a", "Sam Suspect"]) == 2
