"""Every record read is imported, rejected or skipped: the invariant, over every registered importer.

Each test writes a file of some good records, some unusable ones and some that
are no records at all (titles, blanks, totals), and checks, through the one
import road (``importers.api.import_file``), that ``rows == imported +
rejected`` and that ``records_read = rows + skipped`` is every record written.
A file of several subscribers, some named by identifiers that are no telephone
numbers, must come in whole when split by target, and by each identifier with
``--target``.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cellsight import cli
from cellsight.core.case import Case, CaseError
from cellsight.importers import registry
from cellsight.importers.api import MultipleTargets, import_file
from cellsight.importers.base import ImportFailure

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Good and bad records of each format, as the files write them; "noise" is what a file holds that
# is no record (a title, a blank line, a totals row).
GOOD, BAD = "good", "bad"
layouts = st.lists(st.sampled_from([GOOD, GOOD, BAD, "blank"]), min_size=1, max_size=12).filter(
    lambda kinds: GOOD in kinds)


def _cdr(kinds: list[str]) -> tuple[str, int]:
    lines = ["Call records of 07700 900123", "Date,Time,Calling Number,Called Number,Call Type"]
    for i, kind in enumerate(kinds):
        if kind == GOOD:
            lines.append(f"01/02/2023,10:{i:02d}:00,07700900123,0770090{i:04d},MOC")
        elif kind == BAD:
            lines.append(f"01/02/2023,xx:{i:02d}:00,07700900123,0770090{i:04d},MOC")
        else:
            lines.append(",,,,")
    lines.append(f"Total,{len(kinds)},,,")
    return "\n".join(lines) + "\n", len(lines) - 1  # every line but the header


def _table(header: str, good: str, bad: str, kinds: list[str]) -> tuple[str, int]:
    """A table of good rows, bad rows and blank rows (``{i}`` in a row is its index)."""
    blank = "," * header.count(",")
    lines = [header] + [(good if kind == GOOD else bad if kind == BAD else blank).format(i=i, j=i + 1)
                        for i, kind in enumerate(kinds)]
    return "\n".join(lines) + "\n", len(lines) - 1


def _cells(kinds: list[str]) -> tuple[str, int]:
    return _table("Cell ID,Site Name,Latitude,Longitude,Azimuth", "234-30-1000-{j},Mast {i},51.5{i:02d},-0.1{i:02d},120",
                  "234-30-1000-{j},Mast {i},north,west,120", kinds)


def _gpx(kinds: list[str]) -> tuple[str, int]:
    points = []
    for i, kind in enumerate(kinds):
        time = f"<time>2023-02-01T10:{i:02d}:00Z</time>" if kind == GOOD else \
            "<time>not a time</time>" if kind == BAD else ""
        points.append(f'<trkpt lat="51.5{i:02d}" lon="-0.1{i:02d}">{time}</trkpt>')
    text = ('<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><trkseg>{''.join(points)}</trkseg></trk></gpx>")
    return text, len(kinds)


def _kml(kinds: list[str]) -> tuple[str, int]:
    marks = []
    for i, kind in enumerate(kinds):
        when = f"<TimeStamp><when>2023-02-01T10:{i:02d}:00Z</when></TimeStamp>" if kind == GOOD else \
            "<TimeStamp><when>never</when></TimeStamp>" if kind == BAD else ""
        marks.append(f"<Placemark>{when}<Point><coordinates>-0.1{i:02d},51.5{i:02d}</coordinates></Point>"
                     "</Placemark>")
    text = ('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"{''.join(marks)}</Document></kml>")
    return text, len(kinds)


def _takeout(kinds: list[str]) -> tuple[str, int]:
    records = []
    for i, kind in enumerate(kinds):
        record = {"latitudeE7": 515000000 + i, "longitudeE7": -1000000 - i, "accuracy": 10}
        if kind == GOOD:
            record["timestamp"] = f"2023-02-01T10:{i:02d}:00Z"
        elif kind == BAD:
            record["timestamp"] = "sometime"
        records.append(record)
    return json.dumps({"locations": records}), len(kinds)


def _fixes(kinds: list[str]) -> tuple[str, int]:
    return _table("time,latitude,longitude,accuracy,activity",
                  "2023-02-01T10:{i:02d}:00Z,51.5{i:02d},-0.1{i:02d},8,walking",
                  "2023-02-01T10:{i:02d}:00Z,north,west,8,walking", kinds)


WRITERS = {"fixes": ("logger.csv", _fixes), "cdr": ("records.csv", _cdr), "cells": ("cells.csv", _cells), "gpx": ("track.gpx", _gpx),
           "kml": ("places.kml", _kml), "takeout": ("Records.json", _takeout)}


def test_every_registered_importer_is_covered():
    """A new importer must join this file's writers (or the UFDR test below)."""
    assert {i.name for i in registry.all_importers()} == set(WRITERS) | {"ufdr"}


@pytest.mark.parametrize("name", sorted(WRITERS))
@SETTINGS
@given(kinds=layouts)
def test_every_record_read_is_imported_rejected_or_skipped(tmp_path_factory, name, kinds):
    file_name, writer = WRITERS[name]
    text, records = writer(kinds)
    path = tmp_path_factory.mktemp(name) / file_name
    path.write_text(text, encoding="utf-8")
    case = Case.new()
    try:
        report = import_file(case, path, format=name, tz="UTC", subject="Alice")
    except ImportFailure as exc:  # a file of no usable record is refused whole, with a reason
        assert kinds.count(GOOD) == 0 or "no " in str(exc), exc
        return
    assert report["rows"] == report["imported"] + report["rejected"]
    assert report["records_read"] == report["rows"] + len(report["skipped"])
    assert report["records_read"] == records, (report["skipped"], report["rejections"])
    assert report["imported"] == kinds.count(GOOD)


def test_ufdr_every_model_is_accounted_for(tmp_path):
    ns = "http://pa.cellebrite.com/report/2.0"
    calls = "".join(
        f'<model type="Call" id="c{i}"><field name="TimeStamp"><value type="TimeStamp">'
        f'{"2023-02-01T10:0" + str(i) + ":00.000+00:00" if i != 2 else "garbage"}</value></field>'
        '<field name="Direction"><value type="String">Outgoing</value></field>'
        '<multiModelField name="Parties"><model type="Party" id="p{i}"><field name="Identifier">'
        '<value type="String">07700900456</value></field><field name="Role"><value type="String">To'
        "</value></field></model></multiModelField></model>" for i in range(4))
    path = tmp_path / "report.xml"
    path.write_text(f'<?xml version="1.0"?><project xmlns="{ns}"><decodedData>'
                    f'<modelType type="Call">{calls}</modelType></decodedData></project>', encoding="utf-8")
    report = import_file(Case.new(), path, format="ufdr", tz="UTC", subject="Alice")
    assert report["rows"] == report["imported"] + report["rejected"] == 4
    assert report["records_read"] == report["rows"] + len(report["skipped"])


# ----- several subscribers, some named by identifiers that are not telephone numbers ---------------
NUMBER = "+447700900123"
M2M = "8944500102198304"  # a 16-digit M2M subscriber: not a telephone number in any region
IMSI = "234150999999999"
PSEUDONYM = "SUBJ-0007"
SUBSCRIBERS = [NUMBER, M2M, PSEUDONYM, ""]


def _multi(path, subscribers: list[str]):
    lines = ["MSISDN,Call Date,Call Time,Other Party,Direction,Call Type"]
    for i, who in enumerate(subscribers):
        lines.append(f"{who},01/02/2023,10:{i % 60:02d}:{i // 60:02d},0770090{i:04d},Outgoing,Voice")
    lines.append("*** END OF REPORT ***")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines) - 1


@SETTINGS
@given(subscribers=st.lists(st.sampled_from(SUBSCRIBERS), min_size=2, max_size=40).filter(
    lambda s: len(set(s) - {""}) >= 2))
def test_split_by_target_loses_no_row_whatever_names_the_subscribers(tmp_path_factory, subscribers):
    path, written = _multi(tmp_path_factory.mktemp("split") / "m2m.csv", subscribers)
    case = Case.new()
    report = import_file(case, path, tz="UTC", split_by_target=True)
    assert report["records_read"] == written
    assert report["records_read"] == report["rows"] + len(report["skipped"])
    assert report["rows"] == report["imported"] + report["rejected"]
    named = [s for s in subscribers if s]
    assert report["imported"] == len(named)
    assert {t["number"] for t in report["targets"]} == set(named)
    blanks = subscribers.count("")
    assert sum("names no target" in s["reason"] for s in report["skipped"]) == blanks


def test_identifier_targets_are_listed_chosen_and_made_subjects(tmp_path):
    path, _ = _multi(tmp_path / "m2m.csv", [NUMBER, M2M, M2M, PSEUDONYM, M2M])
    case = Case.new()
    with pytest.raises(MultipleTargets) as refused:
        import_file(case, path, tz="UTC")
    targets = {t["number"]: t for t in refused.value.report["targets"]}
    assert targets[M2M]["rows"] == 3 and targets[M2M]["identifier"] is True
    assert "identifier" not in targets[NUMBER]
    report = import_file(case, path, tz="UTC", target=M2M)
    assert (report["imported"], report["target"], report["subject"]) == (3, M2M, M2M)
    assert case.find_subject(M2M).ids == [M2M]
    assert [s["reason"] for s in report["skipped"]].count(f"a record of another subscriber ({NUMBER})") == 1
    assert report["records_read"] == 6


def test_target_of_another_subject_is_refused(tmp_path):
    path, _ = _multi(tmp_path / "m2m.csv", [NUMBER, M2M])
    case = Case.new()
    case.set_subject("Sam", numbers=["07700 900999"])
    with pytest.raises(ImportFailure, match="is not one of subject 'Sam'"):
        import_file(case, path, tz="UTC", target=NUMBER, subject="Sam")
    assert not case.sources
    report = import_file(case, path, tz="UTC", target=M2M, subject="Alice")
    assert report["subject"] == "Alice" and case.find_subject(M2M).name == "Alice"


def test_subject_ids_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "case.cellsight"
    assert cli.main(["new", str(path)]) == 0
    assert cli.main(["subject", str(path), "Sam", "--id", IMSI, "--id", M2M, "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["info", str(path), "--json"]) == 0
    [sam] = json.loads(capsys.readouterr().out)["subjects"]
    assert sam["ids"] == [IMSI, M2M] and sam["numbers"] == []
    case = Case.new()
    case.set_subject("Sam", ids=[IMSI])
    assert case.find_subject(IMSI).name == "Sam"
    with pytest.raises(CaseError, match="already belongs to subject 'Sam'"):
        case.set_subject("Vic", ids=[IMSI])


def test_import_json_gives_an_unrecognised_file_its_own_object(tmp_path, capsys):
    path = tmp_path / "case.cellsight"
    assert cli.main(["new", str(path)]) == 0
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping: milk, eggs\n")
    capsys.readouterr()
    assert cli.main(["import", str(path), str(junk), "--tz", "UTC", "--json"]) == 2
    [report] = json.loads(capsys.readouterr().out)
    assert report["file"] == "notes.txt" and report["imported"] == 0 and "notes.txt" in report["error"]


def test_a_split_after_a_target_still_names_every_row(tmp_path):
    path, written = _multi(tmp_path / "m2m.csv", [NUMBER, M2M, "", PSEUDONYM, M2M])
    case = Case.new()
    first = import_file(case, path, tz="UTC", target=M2M)
    rest = import_file(case, path, tz="UTC", split_by_target=True)
    assert first["records_read"] == rest["records_read"] == written
    assert rest["imported"] == 2 and rest["rows"] + len(rest["skipped"]) == written
    earlier = [s["row"] for s in rest["skipped"] if s["reason"].startswith("accounted for when this file")]
    assert sorted(earlier, key=int) == ["3", "4", "6", "7"]  # M2M's two rows, the blank one, the footer
