"""The hostile content catalogue: every item, through every output that shows text.

Input-side items (entity expansion, external entities, zip bombs, ``../`` and
absolute member names, deeply nested JSON, NUL bytes, invalid UTF-8) are in
test_import_hostile.py; the fuzzers are in test_fuzz_importers.py. This file
covers what is left of the catalogue: huge lines, extreme dates, impossible or
swapped coordinates, and hostile names and message bodies through the map
export, the PDF and the CSV/XLSX exports (the map pane shows the same page as
the map export; tests/gui checks it offline).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cellsight.core.case import Case
from cellsight.importers.api import import_file
from cellsight.importers.base import ImportFailure
from cellsight.report.build import write_report
from cellsight.report.export import export_events
from cellsight.report.webmap import write_map
from factories import add_events, add_fixes, new_case

HTML = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert('x')</script>"
POPUP = '<a href="javascript:alert(1)" onmouseover="alert(2)">Leaflet popup</a>'
RTL = "invoice\u202egnp.exe"
FORMULAS = ["=HYPERLINK(\"http://example.invalid\",\"click\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1+1)", "\t=1+1", "\r=1+1"]
NAMES = [HTML, SCRIPT, POPUP, RTL, *FORMULAS]


@pytest.fixture(scope="module")
def hostile_case() -> Case:
    """A case whose contact names (address book) and message bodies are all hostile."""
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    rows = []
    for i, text in enumerate(NAMES):
        rows.append({"start": f"2023-03-18T14:{i:02d}:00+00:00", "kind": "sms", "direction": "outgoing",
                     "party_a": "07700 900001", "party_b": "07700 900002", "text": text})
        rows.append({"start": f"2023-03-18T15:{i:02d}:00+00:00", "kind": "call", "direction": "outgoing",
                     "party_a": "07700 900001", "party_b": f"07700 9001{i:02d}"})
    add_events(case, "Sam", rows)
    from factories import add_address_book

    add_address_book(case, "Sam", [{"number": f"07700 9001{i:02d}", "name": name}
                                   for i, name in enumerate(NAMES)])
    add_fixes(case, "Sam", [{"time": "2023-03-18T14:00:00Z", "lat": 53.80, "lon": -1.55}])
    add_fixes(case, "Vic", [{"time": "2023-03-18T14:01:00Z", "lat": 53.8001, "lon": -1.5501}])
    for i, name in enumerate((HTML, SCRIPT, POPUP, RTL)):  # people named by a hostile phone
        case.set_subject(name, role="witness")
        add_fixes(case, name, [{"time": f"2023-03-18T14:0{i}:30Z", "lat": 53.81 + i / 100, "lon": -1.56}])
    return case


def test_map_export_shows_every_hostile_name_as_text_only(hostile_case: Case, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    write_map(hostile_case, out)
    page = out.read_text(encoding="utf-8")
    for raw in (HTML, SCRIPT, POPUP):
        assert raw not in page, f"{raw!r} reached the page unescaped"
    assert page.count("</script>") == page.count("<script"), "no script element is closed early"
    assert 'href="javascript' not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page, "the name is there, as JSON text"
    assert "\u202e" not in page and "\\u202e" not in page.lower()
    assert "[U+202E]" in page, "the override is shown, not obeyed"


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_pdf_prints_hostile_names_literally_and_reveals_overrides(hostile_case: Case, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    write_report(hostile_case, out, a="Sam", b="Vic", produced="2024-01-01T00:00:00+00:00")
    text = _pdf_text(out)
    assert "<img src=x onerror=alert(1)>" in text  # shown as characters, never interpreted
    assert "\u202e" not in text
    assert "invoice[U+202E]gnp.exe" in text.replace("\n", "")


def test_csv_export_neutralises_formulas_and_reveals_overrides(hostile_case: Case, tmp_path: Path) -> None:
    out = tmp_path / "events.csv"
    export_events(hostile_case, out)
    with open(out, newline="", encoding="utf-8-sig") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    for formula in FORMULAS:
        assert formula not in cells, f"{formula!r} would run in a spreadsheet"
        assert "'" + formula in cells
    assert not any("\u202e" in cell for cell in cells)
    assert "invoice[U+202E]gnp.exe" in cells
    assert HTML in cells  # plain text in a CSV is harmless and must stay what the phone said


def test_xlsx_export_stores_formulas_as_text(hostile_case: Case, tmp_path: Path) -> None:
    out = tmp_path / "events.xlsx"
    export_events(hostile_case, out)
    sheet = load_workbook(out).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    for cell in cells:
        assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
    values = {str(c.value) for c in cells}
    assert "invoice[U+202E]gnp.exe" in values
    assert not any("\u202e" in v for v in values)


def test_a_huge_single_line_is_refused_or_read_in_bounded_time(tmp_path: Path) -> None:
    """The catalogue's 2 GB line, scaled to 64 MB for CI: one clear error, no hang."""
    path = tmp_path / "records.csv"
    with open(path, "wb") as fh:
        fh.write(b"Date,Time,Calling Number,Called Number\n01/03/2023,10:00:00,07700900001,")
        fh.write(b"7" * (64 << 20))
    case = Case.new()
    try:
        report = import_file(case, path, subject="Dan", assume_case_tz=True)
    except ImportFailure as exc:
        assert "records.csv" in str(exc)
    else:
        assert report["rows"] == report["imported"] + report["rejected"]


# ----- times outside the years 1900-2100: rejected by every importer, with the row ------
INSIDE = ["1900-01-01T00:00:00Z", "2100-12-31T23:59:59Z", "2023-03-18T14:00:00Z"]
OUTSIDE = ["1899-12-31T23:59:59Z", "-0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
           "9999-12-31T23:59:59Z", "2101-01-01T00:00:00Z"]
UFDR_NS = "http://pa.cellebrite.com/report/2.0"


def _ufdr_field(name: str, value: str) -> str:
    return f'<field name="{name}"><value>{value}</value></field>'


def _time_file(fmt: str, folder: Path, times: list[str]) -> Path:
    """A file of ``fmt`` with one row per time, in the order given."""
    if fmt == "cdr":
        path = folder / "records.csv"
        lines = ["Start Time,Event Type,Calling Number,Called Number"]
        lines += [f"{t},MOC,07700900001,07700900002" for t in times]
        path.write_text("\n".join(lines) + "\n")
    elif fmt == "takeout":
        path = folder / "Records.json"
        path.write_text(json.dumps({"locations": [
            {"latitudeE7": 538000000, "longitudeE7": -15500000, "timestamp": t} for t in times]}))
    elif fmt == "gpx":
        path = folder / "track.gpx"
        points = "".join(f'<trkpt lat="53.8" lon="-1.55"><time>{t}</time></trkpt>' for t in times)
        path.write_text(f'<gpx version="1.1"><trk><trkseg>{points}</trkseg></trk></gpx>')
    elif fmt == "kml":
        path = folder / "places.kml"
        marks = "".join(f"<Placemark><TimeStamp><when>{t}</when></TimeStamp><Point>"
                        "<coordinates>-1.55,53.8</coordinates></Point></Placemark>" for t in times)
        path.write_text(f"<kml><Document>{marks}</Document></kml>")
    else:
        path = folder / "report.xml"
        calls = "".join(f'<model type="Call" id="c{i}">{_ufdr_field("TimeStamp", t)}'
                        f'{_ufdr_field("Direction", "Outgoing")}<multiModelField name="Parties">'
                        f'<model type="Party">{_ufdr_field("Identifier", "07700900002")}'
                        f'{_ufdr_field("Role", "To")}</model></multiModelField></model>'
                        for i, t in enumerate(times))
        path.write_text(f'<project xmlns="{UFDR_NS}"><decodedData><modelType type="Call">{calls}'
                        "</modelType></decodedData></project>")
    return path


@pytest.mark.parametrize("fmt", ["cdr", "takeout", "gpx", "kml", "ufdr"])
def test_times_outside_1900_to_2100_are_rejected_naming_the_row(tmp_path: Path, fmt: str) -> None:
    path = _time_file(fmt, tmp_path, INSIDE + OUTSIDE)
    case = Case.new()
    report = import_file(case, path, subject="Dan", tz="UTC")
    assert report["rows"] == len(INSIDE + OUTSIDE) == report["imported"] + report["rejected"]
    assert report["imported"] == len(INSIDE)
    reasons = [r["reason"] for r in report["rejections"]]
    assert all("outside the years 1900-2100" in r for r in reasons), reasons
    assert len({r["row"] for r in report["rejections"]}) == len(OUTSIDE), "each row is named"
    table = case.events if fmt in ("cdr", "ufdr") else case.locations
    times = table["start" if fmt in ("cdr", "ufdr") else "time"]
    assert times.min() == pd.Timestamp("1900-01-01", tz="UTC")
    assert times.max() == pd.Timestamp("2100-12-31T23:59:59", tz="UTC")
    flags = table.set_index(times.dt.year)["time_flag"].astype(str).to_dict()
    assert flags[1900] == flags[2100] == "implausible" and flags[2023] == ""


def test_takeout_epoch_milliseconds_far_outside_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    path.write_text(json.dumps({"locations": [
        {"latitudeE7": 538000000, "longitudeE7": -15500000, "timestampMs": ms}
        for ms in ("-99999999999999", "-2208988800001", "-2208988800000", "1679148000000",
                   "999999999999999999")]}))
    case = Case.new()
    report = import_file(case, path, subject="Dan", assume_case_tz=True)
    assert (report["imported"], report["rejected"]) == (2, 3)
    assert [r["row"] for r in report["rejections"]] == ["0", "1", "4"]
    assert all("outside the years 1900-2100" in r["reason"] for r in report["rejections"])
    assert "-99999999999999 ms since 1970" in report["rejections"][0]["reason"]


def test_out_of_range_and_swapped_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    path.write_text(json.dumps({"locations": [
        {"latitudeE7": 538000000, "longitudeE7": -15500000, "timestamp": "2023-03-18T14:00:00Z"},
        {"latitudeE7": 1538000000, "longitudeE7": -15500000, "timestamp": "2023-03-18T14:01:00Z"},
        {"latitudeE7": -15500000, "longitudeE7": 1938000000, "timestamp": "2023-03-18T14:02:00Z"},
    ]}))
    case = Case.new()
    report = import_file(case, path, subject="Vic", assume_case_tz=True)
    # Latitude 153.8 and longitude 193.8 cannot be positions: rejected with a reason, never moved.
    assert (report["imported"], report["rejected"]) == (1, 2)
    assert all("range" in r["reason"] or "position" in r["reason"] for r in report["rejections"])
    assert case.locations["lat"].between(-90, 90).all()


# ----- smaller items: templates, durations --------------------------------------------
def test_a_deeply_nested_template_is_one_line_and_exit_2(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from cellsight.cli import main

    case = tmp_path / "c.cellsight"
    assert main(["new", str(case)]) == 0
    records = tmp_path / "records.csv"
    records.write_text("Date,Time,Calling Number,Called Number\n01/03/2023,10:00:00,07700900001,"
                       "07700900002\n")
    for name, text in (("deep.json", "[" * 100_000 + "]" * 100_000),
                       ("huge.json", '{"name": "' + "x" * (2 * 1024**2) + '"}')):
        template = tmp_path / name
        template.write_text(text)
        capsys.readouterr()
        code = main(["import", "--assume-case-tz", str(case), str(records), "--subject", "Dan", "--template", str(template)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1 and name in err and "Traceback" not in err
        assert "nested too deeply" in err or "too large for a template" in err


def test_implausible_durations_are_kept_and_flagged_naming_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("Date,Time,Calling Number,Called Number,Duration\n"
                    "01/03/2023,10:00:00,07700900001,07700900002,359999996400\n"  # 99,999,999 hours
                    "01/03/2023,11:00:00,07700900001,07700900002,86400\n"  # a day: plausible
                    "01/03/2023,12:00:00,07700900001,07700900002,86401\n"
                    "01/03/2023,13:00:00,07700900001,07700900002,60\n")
    case = Case.new()
    report = import_file(case, path, subject="Dan", tz="UTC")
    assert report["imported"] == 4  # kept as written
    assert case.events["duration_s"].max() == 359999996400
    warning = [w for w in report["warnings"] if "24 hours" in w]
    assert warning == ["2 durations are negative or longer than 24 hours (rows 2, 4); "
                       "kept as written: check them"]
