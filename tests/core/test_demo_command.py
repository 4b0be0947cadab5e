"""``cellsight demo DIR``: never overwrites an officer's file unasked, and says why in one line.

The demo being built from the packaged files is checked from an installed wheel
(tests/gui/test_installed_wheel.py) and from the start page (tests/gui/test_first_steps.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cellsight import cli, demo
from cellsight.packagedata import resource


@pytest.mark.parametrize("name", ["demo.cellsight", "price_phone.ufdr", "answers.json"])
def test_a_file_of_the_same_name_is_refused_without_force(tmp_path: Path, capsys, name: str) -> None:
    (tmp_path / name).write_text("the officer's own file", encoding="utf-8")
    assert cli.main(["demo", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"cellsight: {tmp_path / name}: already exists (use --force to replace the demo case and its files)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing copied, nothing built
    assert (tmp_path / name).read_text(encoding="utf-8") == "the officer's own file"


def test_a_file_given_as_the_folder_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    assert cli.main(["demo", str(tmp_path / "notes.txt")]) == 2
    assert capsys.readouterr().err.strip() == f"cellsight: {tmp_path / 'notes.txt'}: not a folder"


def test_the_demo_files_are_package_data() -> None:
    answers = demo.load_answers()
    assert demo.DEMO_FILES == resource("demo")
    assert all((demo.DEMO_FILES / f["file"]).is_file() for f in answers["files"]) and len(answers["files"]) == 6
