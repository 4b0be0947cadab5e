"""Where outputs may be written: never over the case or an exhibit, over a foreign file only with --force,
over yesterday's output of the same kind freely; and no partial plaintext left behind by a kill."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cellsight.cli import main
from cellsight.core.casefile import file_sha256, is_case_file, open_case
from cellsight.core.outputs import OutputRefused, check_output, is_output
from cellsight.core.tempfiles import SUFFIX


def write_cdr(path: Path, rows: int = 40) -> None:
    lines = ["Date,Time,Event Type,Calling Number,Called Number,Duration"]
    for i in range(rows):
        lines.append(f"0{1 + i % 5}/03/2023,{i % 24:02d}:{i % 60:02d}:00,MOC,07700 900001,07700 900002,00:00:30")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, Path]:
    """A case (Dan the suspect, Sarah the victim) with one imported call record; (case, exhibit)."""
    case = tmp_path / "kite.cellsight"
    exhibit = tmp_path / "evidence" / "dan.csv"
    exhibit.parent.mkdir()
    write_cdr(exhibit)
    assert main(["new", str(case)]) == 0
    assert main(["subject", str(case), "Dan", "--role", "suspect", "--number", "07700 900001"]) == 0
    assert main(["subject", str(case), "Sarah", "--role", "victim", "--number", "07700 900002"]) == 0
    assert main(["import", str(case), str(exhibit), "--subject", "Dan", "--tz", "UTC"]) == 0
    return case, exhibit


OUTPUTS = {"report": ["report", "--a", "Dan", "--b", "Sarah"], "map": ["map"], "export": ["export"]}


def run(kind: str, case: Path, out: Path, *extra: str) -> int:
    verb, *options = OUTPUTS[kind]
    return main([verb, str(case), "--out", str(out), *options, *extra])


@pytest.mark.parametrize("kind", list(OUTPUTS))
@pytest.mark.parametrize("force", [False, True])
def test_an_output_over_the_case_file_is_refused_whatever_force(
        imported: tuple[Path, Path], kind: str, force: bool, capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = imported
    before = file_sha256(case)
    assert run(kind, case, case, *(["--force"] if force else [])) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is the case file itself" in err[0]
    assert file_sha256(case) == before
    assert not list(case.parent.glob(f".*{SUFFIX}"))


def _other_names(exhibit: Path, folder: Path) -> list[Path]:
    """The exhibit under other names: a relative path, a symbolic link, a hard link and a copy."""
    link = folder / "link.csv"
    link.symlink_to(exhibit)
    hard = folder / "hard.csv"
    os.link(exhibit, hard)
    copy = folder / "copy.csv"
    shutil.copyfile(exhibit, copy)
    return [exhibit, Path(os.path.relpath(exhibit)), link, hard, copy]


def test_an_export_over_an_exhibit_is_refused_by_any_name(imported: tuple[Path, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    case, exhibit = imported
    before = file_sha256(exhibit)
    for name in _other_names(exhibit, tmp_path):
        assert run("export", case, name, "--force") == 2, name
        assert "is exhibit dan.csv of the case" in capsys.readouterr().err
    assert file_sha256(exhibit) == before
    assert main(["verify", str(case)]) == 0


def test_an_exhibit_moved_beside_the_case_is_still_protected(imported: tuple[Path, Path]) -> None:
    case, exhibit = imported
    beside = case.parent / exhibit.name
    exhibit.rename(beside)  # verify finds it here; so does the output check
    with pytest.raises(OutputRefused, match="exhibit"):
        check_output(beside, "map", open_case(case), force=True)


def test_any_case_file_is_refused(imported: tuple[Path, Path], tmp_path: Path) -> None:
    case, _ = imported
    other = tmp_path / "another.cellsight"
    assert main(["new", str(other)]) == 0
    assert is_case_file(other)
    assert run("map", case, other, "--force") == 2
    assert is_case_file(other)


@pytest.mark.parametrize("kind,name", [("report", "r.pdf"), ("map", "m.html"), ("export", "e.csv"),
                                       ("export", "e.xlsx")])
def test_a_foreign_file_needs_force_and_yesterdays_output_does_not(
        imported: tuple[Path, Path], tmp_path: Path, kind: str, name: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    case, _ = imported
    out = tmp_path / name
    out.write_bytes(b"the officer's own notes, not made by Cellsight\n")
    assert run(kind, case, out) == 2
    assert "is not a Cellsight" in capsys.readouterr().err
    assert out.read_bytes().startswith(b"the officer's own notes")
    assert run(kind, case, out, "--force") == 0
    assert is_output(out, kind)
    assert run(kind, case, out) == 0, "today's output replaces yesterday's without --force"
    other_kinds = [k for k in OUTPUTS if k != kind]
    assert not any(is_output(out, k) for k in other_kinds)
    assert run(other_kinds[0], case, out) == 2, "a report does not replace a map"


def test_a_folder_is_refused(imported: tuple[Path, Path], tmp_path: Path) -> None:
    case, _ = imported
    assert run("export", case, tmp_path) == 2


def test_stale_partials_of_a_killed_export_are_removed_by_the_next_run(imported: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    case, _ = imported
    stale = tmp_path / f".out.csv.x1y2z3{SUFFIX}"
    stale.write_text("time_local,party_a\n2023-03-01,+447700900001\n")
    old_style = tmp_path / ".out.csv.abcd.tmp"
    old_style.write_text("left by an earlier version")
    assert run("export", case, tmp_path / "elsewhere.csv") == 0
    assert not stale.exists(), "partials of any output in the folder are cleaned"
    assert old_style.exists(), "an earlier version's name is cleaned only with its own target"
    assert run("export", case, tmp_path / "out.csv") == 0
    assert not old_style.exists()


EXPORTER = r"""
import sys, time
from cellsight.report import export
real = export._write_csv
def slow(frame, path):
    real(frame, path)
    print("written", flush=True)
    time.sleep(60)  # killed here: the temporary holds the whole export in plain text
export._write_csv = slow
from cellsight.cli import main
sys.exit(main(["export", {case!r}, "--out", {out!r}]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_an_export_leaves_no_partial_file(imported: tuple[Path, Path], tmp_path: Path,
                                                          sig: signal.Signals) -> None:
    case, _ = imported
    out = tmp_path / "out.csv"
    proc = subprocess.Popen([sys.executable, "-c", EXPORTER.format(case=str(case), out=str(out))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "written"
    assert list(tmp_path.glob(f".out.csv.*{SUFFIX}")), "the export is being written under a temporary name"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert not list(tmp_path.glob(f".*{SUFFIX}")) and not out.exists()


def test_read_only_commands_leave_the_case_untouched_while_checking_outputs(imported: tuple[Path, Path],
                                                                            tmp_path: Path) -> None:
    case, _ = imported
    before = (file_sha256(case), case.stat().st_mtime_ns)
    for kind, name in (("report", "r.pdf"), ("map", "m.html"), ("export", "e.csv")):
        assert run(kind, case, tmp_path / name) == 0
    assert (file_sha256(case), case.stat().st_mtime_ns) == before
