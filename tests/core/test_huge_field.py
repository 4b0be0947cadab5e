"""One huge field in a CSV: refused before the file is read, naming the line, at a bounded peak."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.importers import safety
from cellsight.importers.base import ImportFailure
from cellsight.importers.safety import MAX_CSV_LINE_BYTES, check_line_lengths

HEADER = b"Date,Time,Calling Number,Called Number,Text\n01/03/2023,10:00:00,07700900001,07700900002,hi\n"


def _import(case: Path, file: Path) -> tuple[int, str, float]:
    """(exit status, stderr, peak resident MB) of ``cellsight import`` in a child of its own."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    if not case.exists():
        subprocess.run([sys.executable, "-m", "cellsight", "new", str(case)], env=env, check=True, capture_output=True)
    child = subprocess.Popen([sys.executable, "-m", "cellsight", "import", str(case), str(file), "--subject", "Dan",
                              "--tz", "UTC"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = child.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    return os.waitstatus_to_exitcode(status), err, usage.ru_maxrss / 1024


def test_a_field_over_the_bound_is_refused_naming_the_line_at_a_bounded_peak(tmp_path: Path) -> None:
    small = tmp_path / "small.csv"
    small.write_bytes(HEADER)
    code, _, baseline = _import(tmp_path / "a.cellsight", small)
    assert code == 0
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as out:
        out.write(HEADER + b"01/03/2023,10:01:00,07700900001,07700900002,")
        block = b"x" * (1 << 20)
        for _ in range(MAX_CSV_LINE_BYTES // len(block) + 40):  # one field of 104 MB
            out.write(block)
        out.write(b"\n01/03/2023,10:02:00,07700900001,07700900002,bye\n")
    code, err, peak = _import(tmp_path / "b.cellsight", huge)
    assert code == 2 and err.count("\n") == 1
    assert "huge.csv: line 3 is longer than 64 MB" in err
    assert peak - baseline < 64, f"peak {peak:.0f} MB against {baseline:.0f} MB for a one-row file"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=30), st.sampled_from([b"\n", b"\r\n", b"\r"]),
       st.integers(3, 17), st.integers(5, 30))
def test_the_chunked_scan_finds_the_first_line_over_the_limit(lengths: list[int], end: bytes, chunk: int,
                                                              limit: int) -> None:
    data = end.join(bytes([97 + i % 26]) * n for i, n in enumerate(lengths))
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"cellsight-scan-{os.getpid()}.csv"
    path.write_bytes(data)
    original = safety.LINE_SCAN_BYTES
    safety.LINE_SCAN_BYTES = chunk
    try:
        over = [i for i, n in enumerate(lengths) if n + (end == b"\r\n" and i < len(lengths) - 1) > limit]
        if over:
            with pytest.raises(ImportFailure, match=rf"line {over[0] + 1} is longer"):
                check_line_lengths(path, limit)
        else:
            check_line_lengths(path, limit)
    finally:
        safety.LINE_SCAN_BYTES = original
        path.unlink()
