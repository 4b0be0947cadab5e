"""Two processes on one case: the lock, the holder it names, and saves that never lose each other's work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from budget import budget

from cellsight.cli import main
from cellsight.core.case import Case, current_user
from cellsight.core.caselock import CaseLock, CaseLocked, holder_of, holder_path
from cellsight.core.casefile import CaseChangedOnDisk, open_case, save_case
from cellsight.core.tempfiles import SUFFIX, held_temporary, remove_stale


def write_cdr(path: Path, first_minute: int, rows: int = 30) -> None:
    lines = ["Date,Time,Event Type,Calling Number,Called Number,Duration"]
    for i in range(first_minute, first_minute + rows):
        lines.append(f"01/03/2023,{i // 60 % 24:02d}:{i % 60:02d}:00,MOC,07700 900001,07700 900{i % 1000:03d},"
                     "00:00:30")
    path.write_text("\n".join(lines) + "\n")


def make_case(folder: Path) -> Path:
    path = folder / "kite.cellsight"
    case = Case.new(name="Kite")
    case.set_subject("Dan", role="suspect", numbers=["07700 900001"])
    save_case(case, path)
    return path


def cellsight(*args: str, wait: float | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    if wait is not None:
        env["CELLSIGHT_LOCK_WAIT"] = str(wait)
    return subprocess.Popen([sys.executable, "-m", "cellsight", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.long
def test_two_imports_at_once_never_lose_a_source(tmp_path: Path) -> None:
    """Repeated, to give the race every chance: both sources go in, or one is refused naming the holder."""
    case_path = make_case(tmp_path)
    expected: set[str] = set()
    attempts = budget(6, 3)
    for attempt in range(attempts):
        files = [tmp_path / f"dan-{attempt}-{side}.csv" for side in "ab"]
        for offset, file in enumerate(files):
            write_cdr(file, first_minute=attempt * 100 + offset * 40)
        procs = [cellsight("import", "--assume-case-tz", str(case_path), str(file), "--subject", "Dan", wait=60) for file in files]
        for proc, file in zip(procs, files):
            out, err = proc.communicate(timeout=120)
            if proc.returncode == 0:
                expected.add(file.name)
            else:
                assert proc.returncode == 2, err
                assert "being changed by" in err and "cellsight import" in err, err
        imported = {s.file for s in open_case(case_path).sources}
        assert imported == expected, f"attempt {attempt}: a source was lost"
    assert len(expected) >= attempts, "the second import normally waits for the first and goes in"
    assert not list(tmp_path.glob(f".*{SUFFIX}")), "no temporary is left behind"


def test_a_writer_that_cannot_get_the_lock_exits_2_naming_the_holder(tmp_path: Path) -> None:
    case_path = make_case(tmp_path)
    with CaseLock(case_path, "Cellsight workstation"):
        proc = cellsight("subject", str(case_path), "Sarah", "--role", "victim", wait=0.5)
        out, err = proc.communicate(timeout=60)
        # reading never waits for the lock
        info = cellsight("info", str(case_path), "--json", wait=0)
        info_out, info_err = info.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert current_user() in lines[0] and socket.gethostname() in lines[0]
    assert "Cellsight workstation" in lines[0] and "since" in lines[0] and str(case_path) in lines[0]
    assert [s.name for s in open_case(case_path).subjects] == ["Dan"], "nothing was changed"
    assert info.returncode == 0, info_err
    assert '"Kite"' in info_out


def test_the_holder_is_recorded_while_held_and_forgotten_on_release(tmp_path: Path) -> None:
    case_path = make_case(tmp_path)
    lock = CaseLock(case_path, "cellsight import").acquire()
    holder = holder_of(case_path)
    assert holder is not None and holder.pid == os.getpid() and holder.program == "cellsight import"
    other = CaseLock(case_path, "cellsight subject")
    started = time.monotonic()
    with pytest.raises(CaseLocked, match="cellsight import") as refused:
        other.acquire(wait=0.3)
    assert time.monotonic() - started >= 0.3, "the second writer waited before giving up"
    assert refused.value.holder == holder
    lock.release()
    assert not holder_path(case_path).exists()
    other.acquire()  # free again
    assert holder_of(case_path).program == "cellsight subject"
    other.release()


def test_a_killed_holder_frees_the_case(tmp_path: Path) -> None:
    case_path = make_case(tmp_path)
    script = ("import sys, time\nfrom cellsight.core.caselock import CaseLock\n"
              f"lock = CaseLock({str(case_path)!r}, 'cellsight import').acquire()\nprint('held', flush=True)\n"
              "time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(CaseLocked):
            CaseLock(case_path, "cellsight subject").acquire()
    finally:
        proc.kill()
        proc.wait()
    assert main(["subject", str(case_path), "Sarah"]) == 0  # the operating system released the lock
    assert [s.name for s in open_case(case_path).subjects] == ["Dan", "Sarah"]


def test_a_save_over_a_case_replaced_since_it_was_read_is_refused(tmp_path: Path) -> None:
    case_path = make_case(tmp_path)
    mine = open_case(case_path)
    theirs = open_case(case_path)
    theirs.set_subject("Sarah", role="victim")
    save_case(theirs, case_path)
    mine.set_place("Home", 53.48, -2.24, 100)
    with pytest.raises(CaseChangedOnDisk, match="another program saved this case"):
        save_case(mine, case_path)
    assert [s.name for s in open_case(case_path).subjects] == ["Dan", "Sarah"], "their work is intact"
    save_case(mine, tmp_path / "mine.cellsight")  # the way forward: another name
    save_case(theirs, case_path)  # the one that saved last may go on saving
    assert open_case(tmp_path / "mine.cellsight").find_place("Home") is not None


def test_a_recovery_copy_does_not_take_the_case_over(tmp_path: Path) -> None:
    case_path = make_case(tmp_path)
    case = open_case(case_path)
    case.set_subject("Sarah")
    save_case(case, tmp_path / ".kite.cellsight.recovery", mark_clean=False)
    assert case.dirty and case.origin.path == case_path.resolve()
    save_case(case, case_path)
    assert not case.dirty


def test_a_live_temporary_survives_the_cleaning_and_a_stale_one_does_not(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    stale = tmp_path / f".out.csv.dead{SUFFIX}"
    stale.write_text("partial plaintext of a killed export")
    legacy = tmp_path / ".out.csv.k3j2.tmp"  # named by an earlier version
    legacy.write_text("partial")
    unrelated = tmp_path / ".notes.tmp"
    unrelated.write_text("not ours")
    with held_temporary(target) as (_, live):
        assert not stale.exists() and not legacy.exists()
        assert remove_stale(tmp_path / "other.pdf") == []  # another writer's cleaning spares the live one
        assert live.exists()
        os.replace(live, target)
    assert unrelated.exists()
    assert target.exists() and not list(tmp_path.glob(f".*{SUFFIX}"))


def test_a_temporary_held_by_another_process_is_left_alone(tmp_path: Path) -> None:
    script = ("import os, sys, time\nfrom pathlib import Path\n"
              "from cellsight.core.tempfiles import held_temporary\n"
              f"with held_temporary(Path({str(tmp_path / 'big.csv')!r})) as (fd, tmp):\n"
              "    print(tmp, flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        live = Path(proc.stdout.readline().strip())
        assert live.exists()
        assert remove_stale(tmp_path / "big.csv") == []
        assert live.exists()
    finally:
        proc.kill()
        proc.wait()
    assert remove_stale(tmp_path / "big.csv") == [live], "once its writer is gone it is stale"
