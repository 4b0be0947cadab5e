"""The storyboard's exhibits and maps: outputs of one run never share a file, the schedule and appendix
can be left out or encrypted, and occasion maps are readable (under 1 km, hits in frame, grey-safe)."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from cellsight import cli
from cellsight.core.casefile import save_case
from cellsight.core.outputs import OutputRefused, check_distinct
from cellsight.report import build, mapdata, occasionmaps, staticmap
from cellsight.report.build import write_report
from tests.core.report_fixtures import make_case

PRODUCED = "2024-05-01T10:00:00"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exhibits")
    path = folder / "small.cellsight"
    save_case(make_case(days=2), path)
    return path


def _report(path, tmp_path, *extra: str) -> int:
    return cli.main(["report", str(path), "--out", str(tmp_path / "r.pdf"), "--produced", PRODUCED, *extra])


@pytest.mark.parametrize("other", ["same", "twin", "symlink"])
def test_two_outputs_of_one_run_on_one_file_are_refused(saved, tmp_path, other, capsys):
    if other == "same":
        args = ["--statement", str(tmp_path / "r.pdf")]
    elif other == "twin":  # one file on the case-insensitive disks bundles are copied to
        args = ["--appendix", str(tmp_path / "R-SCHEDULE.PDF")]
    else:
        os.symlink(tmp_path / "r-appendix.pdf", tmp_path / "link.pdf")
        args = ["--schedule", str(tmp_path / "link.pdf")]
    assert _report(saved, tmp_path, *args) == 2
    assert "would be the same file as" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["link.pdf"] if other == "symlink" else [])


def test_a_hard_link_is_the_same_file(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4\n")
    os.link(tmp_path / "a.pdf", tmp_path / "b.pdf")
    with pytest.raises(OutputRefused, match="same file"):
        check_distinct([("storyboard", tmp_path / "a.pdf"), ("statement", tmp_path / "b.pdf")])
    check_distinct([("storyboard", tmp_path / "a.pdf"), ("statement", tmp_path / "c.pdf")])


def test_schedule_and_appendix_named_after_out_or_chosen_or_left_out(saved, tmp_path):
    assert _report(saved, tmp_path) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r-appendix.pdf", "r-schedule.pdf", "r-schedule.xlsx",
                                                          "r.pdf"]
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    assert _report(saved, chosen, "--schedule", str(chosen / "sched.pdf"), "--no-appendix") == 0
    assert sorted(p.name for p in chosen.iterdir()) == ["r.pdf", "sched.pdf", "sched.xlsx"]
    text = " ".join(page.extract_text() for page in PdfReader(str(chosen / "r.pdf")).pages)
    assert "sched.pdf" in text and "appendix" not in " ".join(text.split()).split("Exhibits produced")[-1][:200]


def test_encrypted_run_protects_every_file(tmp_path):
    summary = write_report(make_case(days=1), tmp_path / "r.pdf", produced=PRODUCED, password="correct horse")
    for pdf in (summary["out"], summary["schedule"]["pdf"], summary["appendix"]["pdf"]):
        assert PdfReader(pdf).is_encrypted
    assert summary["schedule"]["xlsx"].endswith("r-schedule.xlsx.zip")
    with zipfile.ZipFile(summary["schedule"]["xlsx"]) as zf:
        assert zf.namelist() == ["r-schedule.xlsx"] and zf.infolist()[0].flag_bits & 0x1


def test_the_schedule_spreadsheet_has_the_schedule_rows(tmp_path):
    from openpyxl import load_workbook

    case = make_case(days=2)
    summary = write_report(case, tmp_path / "r.pdf", produced=PRODUCED)
    sheet = load_workbook(summary["schedule"]["xlsx"], read_only=True)["schedule"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Pair", "#", "Date and time")
    numbered = [r for r in rows[1:] if r[1] not in (None, "")]
    assert len(numbered) == summary["chronology"][0]["communications"]
    assert len(rows) - 1 == summary["schedule"]["rows"]


# ----- occasion maps ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def occasions():
    case = make_case(days=6)
    run = build.run_proximity(case, "Sam Suspect", b="Vicky Victim", method="gps", distance_m=None, window_min=5,
                              gap_min=60, anchor="p", reference="GPS")
    assert len(run.located) >= 3
    return case, run


def test_each_occasion_map_shows_its_hits_in_frame_under_a_kilometre(occasions):
    case, run = occasions
    width, height = 780, 390
    for frame in occasionmaps.storyboard_maps(run, 5, case.info.tz)[0][:occasionmaps.SINGLE]:
        content = frame.content
        (occasion,) = content["occasions"]
        data = mapdata.gather(case, content["subjects"], occasions=[occasion],
                              intervals=[tuple(i) for i in content["intervals"]])
        bounds = staticmap.occasion_bounds([occasion])
        view = staticmap.map_view(data, width, height, bounds)
        across = view.ground_metres_per_pixel() * view.width
        assert across < 1000, across
        hits = np.array(occasion["hit_points"], float)
        xs, ys = view.pixels(hits[:, 0], hits[:, 1])
        assert ((xs > 0) & (xs < view.width) & (ys > 0) & (ys < view.height)).all()
        image = np.asarray(staticmap.render_map(data, width, height, bounds=bounds).convert("RGB")).astype(int)
        # Each hit is drawn where the view puts it: a subject's colour, not the background.
        for x, y in zip(xs / staticmap.SUPERSAMPLE, ys / staticmap.SUPERSAMPLE):
            patch = image[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3].reshape(-1, 3)
            assert (np.abs(patch - np.array(staticmap.BACKGROUND)).sum(axis=1) > 60).any()
        # The legend is under the map, in a band of its own: nothing of it over the map's area.
        assert image.shape[0] == height and view.height / staticmap.SUPERSAMPLE < height


def test_grey_print_tells_the_suspect_from_the_victim():
    """The suspect's and the victim's markers and tracks, printed in grey, still differ (shape and dash)."""
    def grey_symbol(role: str) -> np.ndarray:
        image = Image.new("RGBA", (80, 40), (255, 255, 255, 255))
        staticmap.draw_legend_symbol(ImageDraw.Draw(image), 40, 20, 2.0, "subject", mapdata.ROLE_COLOURS[role], role)
        return np.asarray(image.convert("L")).astype(int)

    suspect, victim = grey_symbol("suspect"), grey_symbol("victim")
    assert (np.abs(suspect - victim) > 60).sum() > 100
    # And on a rendered map: the two markers' grey patches differ (a filled circle, an open square).
    marks = []
    for role in ("suspect", "victim"):
        image = Image.new("RGBA", (40, 40), (255, 255, 255, 255))
        shape, filled, _ = staticmap.subject_style(role)
        staticmap.draw_marker(ImageDraw.Draw(image), 20, 20, 9.6, shape, filled,
                              staticmap._rgb(mapdata.ROLE_COLOURS[role]), 3)
        marks.append(np.asarray(image.convert("L")).astype(int))
    assert marks[0][20, 20] < 150 < marks[1][20, 20]  # filled dark centre against an open white one


def test_occasions_beyond_the_cap_are_mapped_in_the_appendix(occasions):
    case, run = occasions
    located = [dict(run.located[0], label=str(i)) for i in range(1, occasionmaps.CAP + 8)]
    many = type(run)(run.a, run.other, run.place, run.method, {**run.doc, "count": len(located)}, run.result,
                     run.anchor, run.reference, run.evidence, located)
    frames, words = occasionmaps.storyboard_maps(many, 5, case.info.tz)
    shown = sum(len(f.content["occasions"]) for f in frames)
    assert shown == occasionmaps.CAP and f"The other {len(located) - shown} are mapped in the evidence appendix" in words
    rest = occasionmaps.appendix_maps(many, 5, case.info.tz)
    assert sum(len(f.content["occasions"]) for f in rest) == len(located) - shown
    assert all(len(f.content["occasions"]) <= occasionmaps.GRID for f in frames + rest)
    assert pd.Series([f.content.get("grid") for f in rest]).notna().all()
