"""Issue 20: no figure from an unstated assumption about a source's clock.

A suspect's operator records in bare UTC and a victim's in bare UK local time,
written by ``clock_data``: the first cannot go in without a stated zone; with
the case's zone assumed, the clock check finds the hour from the spring change;
re-read in UTC (``cellsight source``), the pair's count equals the brute force.
"""

from __future__ import annotations

import json

import pytest

from cellsight import cli
from cellsight.analysis import timechecks
from cellsight.core.case import Case
from cellsight.core.casefile import open_case, save_case
from cellsight.importers.api import import_file
from cellsight.importers.base import ImportFailure
from cellsight.importers.reread import find_source, reread_source
from cellsight.importers.timebasis import ZoneNotStated
from cellsight.report.storyboard import Frame, Storyboard
from tests.core import clock_data


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path):
    return clock_data.write(tmp_path / "exhibits")


@pytest.fixture
def case_path(tmp_path, capsys):
    path = tmp_path / "case.cellsight"
    assert run(capsys, "new", path)[0] == 0
    assert run(capsys, "subject", path, "Sam", "--role", "suspect", "--number", clock_data.SUSPECT)[0] == 0
    assert run(capsys, "subject", path, "Vic", "--role", "victim", "--number", clock_data.VICTIM)[0] == 0
    return path


def _pair_total(capsys, case_path) -> int:
    code, out, err = run(capsys, "contacts", case_path, "--between", "Sam", "Vic", "--json")
    assert code == 0, err
    return json.loads(out)["total"]


def test_the_cli_refuses_bare_times_without_a_zone_in_one_line_naming_both_options(capsys, case_path, files):
    code, out, err = run(capsys, "import", case_path, files.suspect, "--subject", "Sam")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "suspect_records.csv" in lines[0]
    assert "--tz" in lines[0] and "--assume-case-tz" in lines[0]
    assert open_case(case_path).sources == []  # nothing half-written


def test_the_rule_is_the_import_apis_and_spares_files_without_bare_times(tmp_path, files):
    case = Case.new(name="api", tz="Europe/London")
    with pytest.raises(ZoneNotStated) as refused:
        import_file(case, files.suspect, subject="Sam")
    assert refused.value.format == "cdr" and case.sources == [] and case.events.empty
    cells = tmp_path / "cells.csv"
    cells.write_text("Cell ID,LAC,Latitude,Longitude\n23011,10451,53.80,-1.55\n")
    assert import_file(case, cells)["tz_rule"] in ("", None)  # no times: exempt
    offsets = tmp_path / "offsets.csv"
    offsets.write_text("Date Time,Calling Number,Called Number,Call Type\n"
                       "2023-04-01T10:00:00+01:00,07700900001,07700900002,MOC\n")
    assert import_file(case, offsets, subject="Sam")["tz_rule"] == "values"  # offsets in the values


def test_a_tower_dump_of_bare_times_follows_the_same_rule(capsys, case_path, tmp_path):
    dump = tmp_path / "dump.csv"
    dump.write_text("Date,Time,MSISDN,IMEI,Cell\n" + "".join(
        f"02/05/2023,11:{m:02d}:00,0770090{m:04d},35693803564{m:04d},234-30-1-101\n" for m in range(30)))
    code, _, err = run(capsys, "scene", case_path, dump, "--name", "Shop")
    assert code == 2 and "--assume-case-tz" in err
    code, _, err = run(capsys, "scene", case_path, dump, "--name", "Shop", "--tz", "UTC")
    assert code == 0, err
    assert find_source(open_case(case_path), "dump.csv").tz_rule == "option"


def test_assumed_zone_is_recorded_and_the_check_finds_the_hour_from_the_clock_change(capsys, case_path, files):
    assert run(capsys, "import", case_path, files.suspect, "--subject", "Sam", "--assume-case-tz",
               "--exhibit", "DR/1")[0] == 0
    code, out, err = run(capsys, "import", case_path, files.victim, "--subject", "Vic", "--tz", "Europe/London",
                         "--exhibit", "AC/2", "--json")
    assert code == 0, err
    assert "clock check: " in err and "exactly 1 hour later: DR/1's times are probably UTC, not Europe/London" in err
    info = json.loads(run(capsys, "info", case_path, "--json")[1])
    assert [(s["exhibit"], s["tz"], s["tz_rule"]) for s in info["sources"]] == [
        ("DR/1", "Europe/London", "assumed"), ("AC/2", "Europe/London", "option")]
    checks = info["time_checks"]
    assert [(c["source"], c["other"], c["verdict"], c["offset_s"], c["matched"]) for c in checks] == [
        ("DR/1", "AC/2", "consistent", 0.0, files.between - files.after_change),
        ("DR/1", "AC/2", "hour_offset", 3600.0, files.after_change)]
    assert checks[1]["from"].startswith("2023-03-26") and checks[0]["to"] < "2023-03-26T02"
    assert 0 < checks[1]["share"] <= 1
    # The wrong basis counts every communication after the change twice: the figure the check warns about.
    assert _pair_total(capsys, case_path) == files.between + files.after_change
    code, out, err = run(capsys, "verify", case_path)
    assert code == 0 and "probably UTC, not Europe/London" in out  # reported; the exit status is the hashes'
    assert f"{files.between - files.after_change} records matched at 0 s" in out


def test_reread_in_utc_gives_the_brute_force_count_and_keeps_the_audit(capsys, case_path, files):
    run(capsys, "import", case_path, files.suspect, "--subject", "Sam", "--assume-case-tz", "--exhibit", "DR/1")
    run(capsys, "import", case_path, files.victim, "--subject", "Vic", "--tz", "Europe/London", "--exhibit", "AC/2")
    code, out, err = run(capsys, "source", case_path, "DR/1", "--tz", "UTC", "--reason", "clock check", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["source_id"], doc["tz"], doc["tz_rule"], doc["rows"]) == ("S1", "UTC", "corrected", doc["imported"])
    assert _pair_total(capsys, case_path) == files.between
    case = open_case(case_path)
    assert [s.id for s in case.sources] == ["S1", "S2"]  # same id, same place in the order
    assert set(case.events["source_id"].astype(str)) == {"S1", "S2"}
    assert [(c["verdict"], c["matched"]) for c in timechecks.stored(case)] == [("consistent", files.between)]
    reread = [json.loads(d) for a, d in zip(case.audit["action"], case.audit["details"]) if a == "re-read source"]
    assert reread and reread[0]["reason"] == "clock check" and reread[0]["rule_before"] == "assumed"
    imports = [(json.loads(d), u) for a, d, u in zip(case.audit["action"], case.audit["details"], case.audit["user"])
               if a == "import"]
    assert [(d["tz"], d["tz_rule"]) for d, _ in imports] == [
        ("Europe/London", "assumed"), ("Europe/London", "option"), ("UTC", "corrected")]
    assert all(user for _, user in imports)  # who chose each zone, and when (the line's time)


def test_reread_refuses_a_file_that_is_not_the_original(capsys, case_path, files, tmp_path):
    run(capsys, "import", case_path, files.suspect, "--subject", "Sam", "--assume-case-tz", "--exhibit", "DR/1")
    other = tmp_path / "moved.csv"
    other.write_text(files.suspect.read_text() + "\n")
    code, _, err = run(capsys, "source", case_path, "DR/1", "--tz", "UTC", "--file", other)
    assert code == 2 and "moved.csv" in err and "SHA-256" in err
    assert open_case(case_path).sources[0].tz_rule == "assumed"
    moved = tmp_path / "elsewhere.csv"
    files.suspect.rename(moved)
    code, _, err = run(capsys, "source", case_path, "suspect_records.csv", "--tz", "UTC")
    assert code == 2 and "--file" in err
    assert run(capsys, "source", case_path, "S1", "--tz", "UTC", "--file", moved)[0] == 0


def test_remove_takes_every_row_out_and_marks_snapshots_stale(capsys, case_path, files):
    run(capsys, "import", case_path, files.suspect, "--subject", "Sam", "--tz", "UTC", "--exhibit", "DR/1")
    run(capsys, "import", case_path, files.victim, "--subject", "Vic", "--tz", "Europe/London", "--exhibit", "AC/2")
    case = open_case(case_path)
    board = Storyboard([Frame("table", caption="Counts", content={"columns": ["n"], "rows": [[1]]}),
                        Frame("chart", caption="Daily", content={"chart": "series", "a": "Sam", "b": "Vic",
                                                                  "by": "day"})])
    board.save(case)
    save_case(case, case_path)
    code, out, err = run(capsys, "source", case_path, "ac/2", "--remove", "--reason", "wrong request", "--json")
    assert code == 0, err
    assert json.loads(out)["removed"] == {"events": 300}
    case = open_case(case_path)
    assert [s.id for s in case.sources] == ["S1"] and len(case.events) == 300
    frames = case.extras["storyboard"]["frames"]
    assert "AC/2" in frames[0]["parameters"]["stale"] and "stale" not in frames[1]["parameters"]
    assert timechecks.stored(case) == []


def test_a_part_of_a_file_split_by_target_is_reread_as_its_own_source(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("MSISDN,Other Party,Date Time,Direction,Service\n"
                    "447700900001,447700900002,2023-04-01 10:00:00,OUT,Voice\n"
                    "447700900003,447700900002,2023-04-01 11:00:00,OUT,Voice\n")
    case = Case.new(name="split", tz="Europe/London")
    import_file(case, path, split_by_target=True, assume_case_tz=True)
    second = case.sources[1]
    before = case.events[case.events["source_id"].astype(str).eq(second.id)]["start"].iloc[0]
    report = reread_source(case, second.id, "UTC", reason="check")
    after = case.events[case.events["source_id"].astype(str).eq(second.id)]["start"].iloc[0]
    assert report["target"] == second.parameters["file_target"] and report["rows"] == 1
    assert (after - before).total_seconds() == 3600  # 11:00 BST was 10:00 UTC; read as UTC it is 11:00 UTC
    assert [s.id for s in case.sources] == ["S1", "S2"] and case.sources[1].tz_rule == "corrected"
    assert case.sources[0].tz_rule == "assumed" and len(case.events) == 2


def test_a_source_the_case_does_not_hold_is_refused_naming_those_it_does(tmp_path, files):
    case = Case.new(name="names", tz="Europe/London")
    import_file(case, files.suspect, subject="Sam", tz="UTC", exhibit="DR/1")
    with pytest.raises(ImportFailure, match=r"DR/9: no such source in the case \(sources: DR/1\)"):
        find_source(case, "DR/9")


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def test_the_report_and_the_statement_state_each_time_basis_and_the_check(capsys, case_path, files, tmp_path):
    run(capsys, "import", case_path, files.suspect, "--subject", "Sam", "--assume-case-tz", "--exhibit", "DR/1")
    run(capsys, "import", case_path, files.victim, "--subject", "Vic", "--tz", "Europe/London", "--exhibit", "AC/2")
    out, statement = tmp_path / "report.pdf", tmp_path / "sfr.pdf"
    code, _, err = run(capsys, "report", case_path, "--out", out, "--statement", statement)
    assert code == 0, err
    for text in (_pdf_text(out), _pdf_text(statement)):
        assert "ASSUMED to be the case's zone" in text and "as chosen by" in text
        assert "probably UTC, not Europe/London" in text
        assert f"{files.between - files.after_change} records matched at 0 s" in text
    run(capsys, "source", case_path, "DR/1", "--tz", "UTC", "--reason", "clock check")
    run(capsys, "report", case_path, "--out", out)
    text = _pdf_text(out)
    assert "ASSUMED" not in text and "as corrected after a check of its clock" in text
    assert f"{files.between} records matched at 0 s" in text


def test_a_phone_download_with_bare_times_and_no_selected_zone_follows_the_same_rule(tmp_path):
    from tests.core.test_import_ufdr import older_report

    path = tmp_path / "report.xml"
    path.write_text(older_report(stamps=("2023-07-01T12:00:00",)), encoding="utf-8")
    case = Case.new(name="phone", tz="Europe/London")
    with pytest.raises(ZoneNotStated, match="--assume-case-tz"):
        import_file(case, path, subject="Dan")
    assert case.sources == []
    assert import_file(case, path, subject="Dan", assume_case_tz=True)["tz_rule"] == "assumed"
    stated = tmp_path / "stated.xml"  # the project's selected zone is a statement in the file
    stated.write_text(older_report(zone="Europe/Berlin", stamps=("2023-07-01T12:00:01",)), encoding="utf-8")
    assert import_file(case, stated, subject="Dan")["tz_rule"] == "file"
