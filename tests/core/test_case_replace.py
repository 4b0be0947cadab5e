"""`new --force` replaces only a case, and takes the old case's scenes, recovery copy and stale holder note
with it; `verify` lists scene files the case does not know; the next `scene` removes a killed run's orphans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cellsight.cli import main
from cellsight.core.caselock import holder_path
from cellsight.core.casefile import file_sha256, is_encrypted, open_case
from cellsight.core.companions import recovery_path
from cellsight.core.scenestore import scene_folder
from cellsight.importers.towerdump import add_scene

DUMP = ("msisdn,imei,event_time,cell_id\n07700900101,,2023-05-02 10:00:00,1-2\n"
        "07700900102,353333333333333,2023-05-02 10:03:00,1-2\n")


@pytest.fixture
def with_scene(tmp_path: Path) -> Path:
    """A plain case with one scene of two rows (third parties' numbers in CASE.scenes/)."""
    case = tmp_path / "kite.cellsight"
    dump = tmp_path / "dump.csv"
    dump.write_text(DUMP)
    assert main(["new", str(case)]) == 0
    assert main(["scene", str(case), str(dump), "--name", "Car park", "--tz", "UTC"]) == 0
    assert list(scene_folder(case).glob("*.parquet"))
    return case


def test_new_force_over_a_case_removes_its_scenes_recovery_and_stale_holder_and_names_them(
        with_scene: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    case = with_scene
    recovery = recovery_path(case.absolute())
    recovery.write_bytes(b"the workstation's copy of the old case's unsaved work")
    holder_path(case).write_text(json.dumps({"user": "pc1234", "host": "laptop", "program": "cellsight gui",
                                             "pid": 999999, "since": "2026-12-01T09:00:00+00:00"}))
    capsys.readouterr()
    monkeypatch.setenv("CELLSIGHT_PASSWORD", "a new password 1")
    assert main(["new", str(case), "--force", "--encrypt"]) == 0
    err = capsys.readouterr().err
    assert is_encrypted(case) and open_case(case, "a new password 1").sources == []
    assert not scene_folder(case).exists(), "no third party's row is left in plain text beside the new case"
    assert not recovery.exists() and not holder_path(case).exists()
    assert f"removed {scene_folder(case)} (the old case's scene rows, 1 file)" in err
    assert f"removed {recovery} " in err
    assert f"removed {holder_path(case)} (a stale note that pc1234 on laptop" in err


@pytest.mark.parametrize("content", [DUMP.encode(), b"%PDF-1.7 a report", b"PK\x03\x04 not a case", b""])
def test_new_force_refuses_anything_but_a_case(tmp_path: Path, content: bytes,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    exhibit = tmp_path / "dan.csv"
    exhibit.write_bytes(content)
    before = file_sha256(exhibit)
    assert main(["new", str(exhibit), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(exhibit) in err and "not a Cellsight case file" in err
    assert file_sha256(exhibit) == before


def test_new_force_refuses_a_folder(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path), "--force"]) == 2
    assert tmp_path.is_dir()


def test_verify_lists_a_killed_scene_runs_orphans_and_the_next_scene_removes_them(
        with_scene: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = with_scene
    second = tmp_path / "dump2.csv"
    second.write_text(DUMP.replace("07700900101", "07700900103"))
    # A scene run stopped after writing the file's rows, before saving the case: the saved case does not know them.
    loaded = open_case(case)
    add_scene(loaded, case, [second], "Shop", tz="UTC")
    folder = scene_folder(case)
    orphan = next(p for p in folder.glob("Shop-*.parquet"))
    by_hand = folder / "notes.txt"
    by_hand.write_text("the officer's own file")
    capsys.readouterr()
    assert main(["verify", str(case), "--json"]) == 0, "the evidence itself is whole"
    report = json.loads(capsys.readouterr().out)
    listed = {item["file"] for item in report["unknown_scene_files"]}
    assert listed == {f"kite.scenes/{orphan.name}", "kite.scenes/notes.txt"}
    assert main(["verify", str(case)]) == 0
    assert f"kite.scenes/{orphan.name}: not known to the case" in capsys.readouterr().out
    third = tmp_path / "dump3.csv"
    third.write_text(DUMP.replace("07700900101", "07700900104"))
    assert main(["scene", str(case), str(third), "--name", "Bus stop", "--tz", "UTC"]) == 0
    assert f"removed {orphan}" in capsys.readouterr().err
    assert not orphan.exists() and by_hand.exists(), "only Cellsight's own orphans are removed"
    assert main(["verify", str(case), "--json"]) == 0
    assert [i["file"] for i in json.loads(capsys.readouterr().out)["unknown_scene_files"]] == ["kite.scenes/notes.txt"]
