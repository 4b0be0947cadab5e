"""The contract's case commands: new, subject, place, info --json, verify; exit codes and errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cellsight.cli import main
from cellsight.core.casefile import file_sha256, open_case, save_case
from tests.core.test_casefile import make_events, make_source


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def case_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "kite.cellsight"
    code, _, _ = run(capsys, "new", str(path), "--name", "Operation Kite", "--reference", "OK/1",
                     "--officer", "DC Test")
    assert code == 0
    return path


def test_info_json_has_the_contract_keys(case_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "subject", str(case_path), "Dan Price", "--role", "suspect",
               "--number", "07700 900001", "--imei", "356938035643809")[0] == 0
    assert run(capsys, "subject", str(case_path), "dan price", "--number", "+44 7700 900011")[0] == 0
    assert run(capsys, "place", str(case_path), "Home", "--lat", "53.48", "--lon", "-2.24",
               "--radius", "150")[0] == 0
    code, out, err = run(capsys, "info", str(case_path), "--json")
    assert code == 0
    doc = json.loads(out)
    assert {"name", "reference", "tz", "subjects", "places", "sources", "events", "locations",
            "cells"} <= set(doc)
    assert doc["name"] == "Operation Kite" and doc["reference"] == "OK/1"
    assert doc["tz"] == "Europe/London"
    assert doc["subjects"] == [{"name": "Dan Price", "role": "suspect",
                                "numbers": ["+447700900001", "+447700900011"],
                                "imeis": ["356938035643809"], "ids": []}]
    assert doc["places"][0] == {"name": "Home", "lat": 53.48, "lon": -2.24, "radius_m": 150.0,
                                "note": "", "bssids": []}
    assert doc["events"] == 0 and doc["sources"] == []


def test_new_with_zone_and_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ny.cellsight"
    assert run(capsys, "new", str(path), "--tz", "America/New_York", "--region", "us")[0] == 0
    case = open_case(path)
    assert (case.info.tz, case.info.region) == ("America/New_York", "US")


@pytest.mark.parametrize("argv", [
    ("new", "{case}"),  # exists
    ("subject", "{case}", "X", "--role", "boss"),
    ("place", "{case}", "Home", "--lat", "91", "--lon", "0"),
    ("info", "{missing}"),
    ("new", "{other}", "--tz", "Nowhere/Land"),
    ("subject", "{case}", "Dan", "--number", " "),
])
def test_bad_usage_is_exit_2_with_one_line(case_path: Path, argv: tuple[str, ...],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    before = case_path.read_bytes()
    args = [a.format(case=case_path, missing=case_path.with_name("missing.cellsight"),
                     other=case_path.with_name("other.cellsight")) for a in argv]
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("cellsight", "usage")) or "error" in err
    assert case_path.read_bytes() == before, "a refused command leaves the case as it was"


def _case_with_source(case_path: Path, evidence: Path) -> None:
    case = open_case(case_path)
    source = make_source(3, sha=file_sha256(evidence))
    source.path = str(evidence)
    source.file = evidence.name
    case.add_source(source, {"events": make_events(3)})
    save_case(case, case_path)


def test_verify_reports_ok_changed_and_missing(case_path: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "exhibits" / "dan.csv"
    evidence.parent.mkdir()
    evidence.write_text("a,b\n1,2\n")
    _case_with_source(case_path, evidence)
    code, out, _ = run(capsys, "verify", str(case_path), "--json")
    assert code == 0 and json.loads(out)["sources"][0]["status"] == "ok"

    evidence.write_text("a,b\n1,3\n")
    code, out, _ = run(capsys, "verify", str(case_path), "--json")
    assert code == 1 and json.loads(out)["sources"][0]["status"] == "changed"

    evidence.unlink()
    code, out, _ = run(capsys, "verify", str(case_path), "--json")
    assert code == 1 and json.loads(out)["sources"][0]["status"] == "missing"


def test_verify_finds_a_source_beside_the_case_after_a_move(case_path: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "exhibits" / "dan.csv"
    evidence.parent.mkdir()
    evidence.write_text("a,b\n1,2\n")
    _case_with_source(case_path, evidence)
    moved = tmp_path / "usb"
    moved.mkdir()
    shutil.copy(case_path, moved / case_path.name)
    shutil.move(evidence, moved / "dan.csv")
    code, out, _ = run(capsys, "verify", str(moved / case_path.name), "--json")
    assert code == 0
    assert json.loads(out)["sources"][0]["path"] == str(moved / "dan.csv")


def test_read_only_commands_do_not_touch_the_file(case_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = case_path.stat().st_mtime_ns, case_path.read_bytes()
    assert run(capsys, "info", str(case_path))[0] == 0
    assert run(capsys, "verify", str(case_path))[0] == 0
    assert (case_path.stat().st_mtime_ns, case_path.read_bytes()) == before
