"""XLSX exports leave no plaintext on disk: a real child process is killed in the middle of an export
(plain, and ``--encrypt`` of an encrypted case), and no file holding a test number is left in the
temporary folder ($TMPDIR) or beside the output once Cellsight has started again."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cellsight.core.crypto import derive
from cellsight.core.outputs import is_output
from cellsight.core import tempfiles
from cellsight.core.tempfiles import LEGACY_IDLE_S, STATE_ENV, SUFFIX, held_temporary, sweep_leftovers
from cellsight.report.xlsx import CHUNK_ROWS, write_xlsx
from tests.factories import add_events, new_case, save

CASE_PASSWORD = "kite runner 7"
EXPORT_PASSWORD = "another one 9"
ROWS = 40_000
# Every form in which a test number can stand in a file: E.164, national, digits alone.
NEEDLES = (b"+447700900", b"07700 900", b"7700900", "+447700900".encode("utf-16-le"))


def _case(folder: Path, encrypted: bool) -> Path:
    case = new_case({"Dan": ("suspect", ["07700 900001"]), "Sarah": ("victim", ["07700 900002"])})
    add_events(case, "Dan", [{"start": f"2023-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "kind": "sms",
                              "direction": "outgoing", "party_a": "07700 900001",
                              "party_b": f"07700 900{i % 1000:03d}", "text": f"message {i} to 07700 900{i % 997:03d}"}
                             for i in range(ROWS)])
    if encrypted:
        case.key = derive(CASE_PASSWORD)
    return save(case, folder, "sealed.cellsight" if encrypted else "plain.cellsight")


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Path]:
    folder = tmp_path_factory.mktemp("cases")
    return {False: _case(folder, False), True: _case(folder, True)}


def _holding_a_number(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(needle in data for needle in NEEDLES):
                found.append(f"{path} ({len(data):,} bytes)")
    return found


def _environment(tmp: Path, state: Path) -> dict[str, str]:
    return dict(os.environ, TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp), CELLSIGHT_PASSWORD=CASE_PASSWORD,
                CELLSIGHT_EXPORT_PASSWORD=EXPORT_PASSWORD, **{STATE_ENV: str(state)},
                PYTHONPATH=os.pathsep.join(sys.path))


def _written(out_dir: Path, tmp: Path) -> bool:
    """Bytes of the export have reached the disk: its partial file, or anything in $TMPDIR."""
    files = [p for p in list(out_dir.iterdir()) + list(tmp.rglob("*")) if p.is_file()]
    return any(p.stat().st_size > 0 for p in files)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_a_killed_xlsx_export_leaves_no_number_on_disk(cases: dict[bool, Path], tmp_path: Path, encrypted: bool,
                                                       sig: signal.Signals) -> None:
    tmp, state, out_dir = tmp_path / "tmp", tmp_path / "state", tmp_path / "out"
    for folder in (tmp, state, out_dir):
        folder.mkdir()
    env = _environment(tmp, state)
    command = [sys.executable, "-m", "cellsight", "export", str(cases[encrypted]), "--out", str(out_dir / "events.xlsx")]
    child = subprocess.Popen(command + (["--encrypt"] if encrypted else []), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while child.poll() is None and not _written(out_dir, tmp):
            time.sleep(0.002)
        assert child.poll() is None, "the export ended before it could be killed: make the case larger"
        child.send_signal(sig)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert b"Traceback" not in err
    assert not _holding_a_number(tmp), "the sheet reached $TMPDIR in plain text"
    if encrypted:
        assert not _holding_a_number(out_dir), "an encrypted export's partial file is ciphertext"
    # The next start of Cellsight, whatever it does and wherever it runs, removes the partial file.
    subprocess.run([sys.executable, "-m", "cellsight", "formats"], env=env, cwd=tmp_path, check=True,
                   capture_output=True)
    assert not list(out_dir.iterdir()), "nothing is left beside the output"
    assert not _holding_a_number(tmp) and not _holding_a_number(state)


def test_the_writer_holds_no_temporary_and_streams_into_an_unseekable_stream(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # where any temporary file would go

    class OneWay(io.RawIOBase):  # like the member of an encrypted zip: written once, never sought
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:
            self.data += b
            return len(b)

    rows = 3 * CHUNK_ROWS + 7
    frame = pd.DataFrame({"number": [f"+447700900{i % 1000:03d}" for i in range(rows)],
                          "seconds": pd.array([float(i) if i % 5 else None for i in range(rows)], dtype="Float64"),
                          "note": ["=1+1" if i == 3 else "a < b & c\x07" if i == 4 else None for i in range(rows)]})
    stream = OneWay()
    write_xlsx(frame, stream, sheet="events")
    assert not list((tmp_path / "tmp").iterdir())
    book = openpyxl.load_workbook(io.BytesIO(bytes(stream.data)))
    sheet = book["events"]
    assert sheet.max_row == rows + 1 and sheet.freeze_panes == "A2" and book.properties.creator == "Cellsight"
    assert [c.value for c in sheet[1]] == ["number", "seconds", "note"] and sheet["A1"].font.b
    assert sheet["A2"].value == "+447700900000" and sheet["A2"].quotePrefix and sheet["A2"].data_type == "s"
    assert sheet["B2"].value is None and sheet["B3"].value == 1.0
    assert sheet["C5"].value == "=1+1" and sheet["C5"].data_type == "s" and sheet["C5"].quotePrefix
    assert sheet["C6"].value == "a < b & c\\x07" and not sheet["C6"].quotePrefix
    assert sheet.cell(rows + 1, 1).value == f"+447700900{(rows - 1) % 1000:03d}"
    with zipfile.ZipFile(io.BytesIO(bytes(stream.data))) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}, "the same bytes every run"
    path = tmp_path / "events.xlsx"
    path.write_bytes(bytes(stream.data))
    assert is_output(path, "export")


def test_a_killed_earlier_versions_sheet_in_tmpdir_is_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old = time.time() - LEGACY_IDLE_S - 5
    ours = tmp_path / "openpyxl.abc123"
    ours.write_bytes(b'<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>time_local</t></is></c>'
                     b'<c t="inlineStr"><is><t>source_row</t></is></c></row><row r="2"><c><is><t>+447700900001</t>')
    someone_elses = tmp_path / "openpyxl.def456"
    someone_elses.write_bytes(b"<worksheet><sheetData><row><c><is><t>Quarterly sales</t>")
    fresh = tmp_path / "openpyxl.ghi789"
    fresh.write_bytes(ours.read_bytes())  # being written this minute: perhaps a live export of an earlier version
    for path in (ours, someone_elses):
        os.utime(path, (old, old))
    assert ours in sweep_leftovers()
    assert not ours.exists() and someone_elses.exists() and fresh.exists()


def test_a_recorded_partial_is_removed_at_the_next_start_unless_a_live_writer_holds_it(tmp_path: Path) -> None:
    target = tmp_path / "far" / "away.xlsx"
    target.parent.mkdir()
    with held_temporary(target) as (fd, partial):
        os.write(fd, b"+447700900001")
        assert partial not in sweep_leftovers() and partial.exists(), "a live writer's temporary is left alone"
    left = target.parent / f".away.xlsx.killed{SUFFIX}"  # what SIGKILL leaves: the file and its record
    left.write_bytes(b"+447700900001")
    record = tempfiles._record(left)
    assert record is not None and record.exists()
    assert left in sweep_leftovers()
    assert not left.exists() and not record.exists()
