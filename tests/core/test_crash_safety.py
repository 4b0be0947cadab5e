"""Crash safety: an import killed at any moment leaves the case as it was, or whole."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from budget import budget

from cellsight.core.casefile import open_case, save_case, verify_members
from cellsight.core.case import Case


def write_cdr(path: Path, rows: int) -> None:
    lines = ["Date,Time,Event Type,Calling Number,Called Number,Duration,First Cell"]
    for i in range(rows):
        minute = i % 1440
        lines.append(f"{1 + i // 1440 % 28:02d}/03/2023,{minute // 60:02d}:{minute % 60:02d}:00,MOC,"
                     f"07700 900001,07700 900{i % 1000:03d},00:00:{i % 60:02d},234-30-10451-{23000 + i % 50}")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.long
def test_an_import_killed_at_random_moments_never_half_writes_the_case(tmp_path: Path) -> None:
    case_path = tmp_path / "kite.cellsight"
    case = Case.new(name="Kite")
    case.set_subject("Dan", role="suspect", numbers=["07700 900001"])
    save_case(case, case_path)
    rng = random.Random(3)
    outcomes = set()
    for attempt in range(budget(5, 3)):
        cdr = tmp_path / f"dan-{attempt}.csv"
        write_cdr(cdr, 60_000 + attempt)  # a different file each time (a new SHA-256)
        before = open_case(case_path)
        proc = subprocess.Popen([sys.executable, "-m", "cellsight", "import", "--assume-case-tz", str(case_path), str(cdr),
                                 "--subject", "Dan"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 4.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        after = open_case(case_path)  # never a damaged file
        assert verify_members(case_path) == []
        added = len(after.sources) - len(before.sources)
        assert added in (0, 1)
        if added:
            assert len(after.events) == len(before.events) + after.sources[-1].imported
            outcomes.add("imported")
        else:
            assert len(after.events) == len(before.events)
            outcomes.add("untouched")
    assert outcomes, "every attempt left a readable case"
