"""Every value the importers accept survives every output and analysis.

The importers accept times from 1900-01-01 to 2100-12-31 (UTC); inside that
range they also accept times a DST change makes odd (flagged) and times a
phone clock cannot have been right about (flagged implausible). This test
imports call records, a cell list, GPS tracks and a Google history holding
exactly those values for a suspect and a victim, in a case whose zone had a
local mean time offset with seconds in 1900 (Asia/Kolkata: +05:21:10) as well
as in London, and runs every command of the contract over them: nothing may
fail, and the extreme times must come out written, not dropped.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cellsight.cli import main

# Wall-clock times written without an offset (read in the case's zone) and the
# same moments as fixes with an offset. 1900-01-01 00:00:00 local in London is
# 00:00:00 UTC; the DST edges are London's 2023 changes.
WALL = ["1900-01-01 00:00:00", "1900-01-01 00:04:00", "1950-06-01 12:00:00",
        "2023-03-26 01:30:00", "2023-03-26 01:32:00", "2023-10-29 01:30:00",
        "2023-10-29 01:31:00", "2100-12-31 23:50:00", "2100-12-31 23:59:59"]
UTC = ["1900-01-01T00:00:00Z", "1900-01-01T00:03:00Z", "1950-06-01T12:00:00Z",
       "2023-03-26T00:59:00Z", "2023-03-26T01:00:00Z", "2023-10-29T00:30:00Z",
       "2023-10-29T01:30:00Z", "2100-12-31T23:50:00Z", "2100-12-31T23:59:59Z"]
SAM, VIC = "07700900001", "07700900002"
CELL = "234-30-10451-23011"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, f"{argv[0]} failed: {err}"
    assert "Traceback" not in err
    return out, err


def _write_inputs(folder: Path) -> dict[str, Path]:
    files = {}
    for who, mine in (("sam", SAM), ("vic", VIC)):
        path = folder / f"{who}_records.csv"
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Start Time", "Event Type", "Calling Number", "Called Number",
                             "Duration", "Cell ID"])
            for i, wall in enumerate(WALL):
                a, b = (SAM, VIC) if i % 2 == 0 else (VIC, SAM)  # one call, seen by both
                writer.writerow([wall, "MOC" if a == mine else "MTC", a, b, 60, CELL])
        files[f"{who}_cdr"] = path
        gpx = folder / f"{who}.gpx"
        points = "".join(f'<trkpt lat="{53.8 + i * 1e-5}" lon="-1.55"><time>{t}</time></trkpt>'
                         for i, t in enumerate(UTC))
        gpx.write_text(f'<gpx version="1.1"><trk><name>{who}</name><trkseg>{points}</trkseg>'
                       "</trk></gpx>")
        files[f"{who}_gpx"] = gpx
    records = folder / "Records.json"
    records.write_text(json.dumps({"locations": [
        {"latitudeE7": 538000000, "longitudeE7": -15500000, "timestamp": t, "accuracy": 10}
        for t in UTC]}))
    files["takeout"] = records
    cells = folder / "cells.csv"
    cells.write_text("Cell ID,Site Name,Latitude,Longitude,Azimuth,Beamwidth\n"
                     f"{CELL},Mast One,53.8,-1.55,120,65\n")
    files["cells"] = cells
    return files


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kolkata"])
def test_every_command_survives_the_extreme_accepted_times(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], zone: str) -> None:
    case = str(tmp_path / "edge.cellsight")
    files = _write_inputs(tmp_path)
    run(capsys, "new", case, "--tz", zone)
    run(capsys, "subject", case, "Sam", "--role", "suspect", "--number", SAM)
    run(capsys, "subject", case, "Vic", "--role", "victim", "--number", VIC)
    run(capsys, "place", case, "Home", "--lat", "53.8", "--lon", "-1.55", "--radius", "100")
    for key, subject in (("sam_cdr", "Sam"), ("vic_cdr", "Vic"), ("sam_gpx", "Sam"),
                         ("vic_gpx", "Vic"), ("takeout", "Vic")):
        # the call records were made in London, whatever zone the case is shown in
        out, _ = run(capsys, "import", case, str(files[key]), "--subject", subject, "--json",
                     "--tz", "Europe/London")
        report = json.loads(out)[0]
        assert (report["imported"], report["rejected"]) == (len(WALL), 0), report["rejections"]
    run(capsys, "import", "--assume-case-tz", case, str(files["cells"]))

    info = json.loads(run(capsys, "info", case, "--json")[0])
    assert info["events"] == 2 * len(WALL) and info["locations"] == 3 * len(WALL)
    run(capsys, "info", case)

    between = json.loads(run(capsys, "contacts", case, "--between", "Sam", "Vic", "--json")[0])
    assert between["total"] == len(WALL)
    # by hour, 200 years zero-filled are 1.75 million periods (15 s): once is enough
    for by in ("week", "month") + (("hour",) if zone == "Europe/London" else ()):
        run(capsys, "contacts", case, "--between", "Sam", "Vic", "--by", by)
    listed = json.loads(run(capsys, "contacts", case, "--subject", "Sam", "--json")[0])
    first = listed["contacts"][0]["first"]
    assert first.startswith(("1900-01-01T", "1899-12-31T")), first
    assert listed["contacts"][0]["last"].startswith(("2100-12-31T", "2101-01-01T"))
    run(capsys, "contacts", case, "--subject", "Sam")

    patterns = json.loads(run(capsys, "patterns", case, "--subject", "Sam", "--json")[0])
    assert sum(map(sum, patterns["counts"])) == len(WALL)
    run(capsys, "patterns", case, "--subject", "Vic")

    for method in ("gps", "cell", "any"):
        doc = json.loads(run(capsys, "proximity", case, "--a", "Sam", "--b", "Vic", "--method",
                             method, "--json")[0])
        assert doc["count"] >= 1
        run(capsys, "proximity", case, "--a", "Sam", "--b", "Vic", "--method", method)
    for method in ("gps", "cell"):
        doc = json.loads(run(capsys, "proximity", case, "--a", "Vic", "--place", "Home",
                             "--method", method, "--json")[0])
        starts = [o["start"] for o in doc["occasions"]]
        assert any(s.startswith(("1900-01-01", "1899-12-31")) for s in starts), starts

    html = tmp_path / "map.html"
    run(capsys, "map", case, "--out", str(html))
    run(capsys, "map", case, "--out", str(tmp_path / "from.html"), "--from", "1900-01-01",
        "--to", "2100-12-31T23:59:59")
    page = html.read_text(encoding="utf-8")
    assert "2100-12-31T" in page or "2101-01-01T" in page  # the last fix, in the case's zone

    pdf = tmp_path / "report.pdf"
    run(capsys, "report", case, "--out", str(pdf), "--a", "Sam", "--b", "Vic", "--place", "Home",
        "--method", "any", "--produced", "2024-01-01T00:00:00+00:00")
    assert pdf.read_bytes().startswith(b"%PDF")

    out_csv = tmp_path / "events.csv"
    run(capsys, "export", case, "--out", str(out_csv), "--dedupe")
    with open(out_csv, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * len(WALL)
    utc_times = {r["time_utc"] for r in rows}
    assert "2100-12-31T23:59:59Z" in utc_times
    assert min(utc_times).startswith("1899-12-31T") or min(utc_times).startswith("1900-01-01T")
    assert {r["time_flag"] for r in rows} >= {"implausible", "dst_ambiguous", "dst_nonexistent"}
    out_xlsx = tmp_path / "events.xlsx"
    run(capsys, "export", case, "--out", str(out_xlsx))
    assert load_workbook(out_xlsx).active.max_row == 2 * len(WALL) + 1
