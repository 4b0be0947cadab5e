"""The case file: round trip, clear refusal of damaged files, and saves that survive SIGKILL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from budget import budget

from cellsight.cli import main
from cellsight.core import schema
from cellsight.core.case import Case, Source, utc_stamp
from cellsight.core.casefile import CaseFileError, open_case, save_case, verify_members
from cellsight.core.tempfiles import SUFFIX


def make_events(n: int, source_id: str = "S1") -> pd.DataFrame:
    start = pd.Timestamp("2023-03-01", tz="UTC")
    frame = pd.DataFrame({
        "start": start + pd.to_timedelta(range(n), unit="min"),
        "duration_s": [float(i % 300) for i in range(n)],
        "kind": ["call", "sms"] * (n // 2) + ["call"] * (n % 2),
        "direction": "outgoing",
        "party_a": "+447700900001",
        "party_b": [f"+447700900{i % 1000:03d}" for i in range(n)],
        "party_a_raw": "07700 900001",
        "party_b_raw": [f"07700 900{i % 1000:03d}" for i in range(n)],
        "party_a_flag": "possible",
        "party_b_flag": "possible",
        "cell_first": "234-30-10451-23011",
        "subject": "Dan",
        "source_id": source_id,
        "source_row": [str(i + 2) for i in range(n)],
        "text": ["hello <b>there</b>", None] * (n // 2) + [None] * (n % 2),
        "deleted": False,
    })
    return schema.conform(frame, "events")


def make_source(n: int, source_id: str = "S1", sha: str = "ab" * 32) -> Source:
    return Source(id=source_id, file="dan.csv", path="/evidence/dan.csv", sha256=sha, size=100,
                  format="cdr", subject="Dan", declared_tz="Europe/London", tz_rule="assumed",
                  parameters={}, rows=n, imported=n, rejected=0, kinds={"call": n}, skipped=[],
                  warnings=[], imported_at=utc_stamp(), version="test")


def populated_case(n: int = 200) -> Case:
    case = Case.new(name="Operation Kite", reference="OK/1", officer="DC Test")
    case.set_subject("Dan", role="suspect", numbers=["07700 900001"])
    case.set_subject("Sarah", role="victim", numbers=["07700 900002"])
    case.set_place("Home", 53.48, -2.24, 150)
    case.add_source(make_source(n), {"events": make_events(n)})
    return case


def test_round_trip_keeps_every_table_dtype_and_record(tmp_path: Path) -> None:
    case = populated_case()
    path = tmp_path / "kite.cellsight"
    save_case(case, path)
    back = open_case(path)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(back.tables[name], case.tables[name], check_categorical=False)
        schema.validate(back.tables[name], name)
    assert back.source_record() == case.source_record()
    assert verify_members(path) == []
    assert not case.dirty


def test_adding_a_source_is_whole_or_nothing() -> None:
    case = populated_case(10)
    before = case.events.copy()
    broken = make_events(5, "S2")
    broken.loc[2, "start"] = pd.NaT  # a required value missing: nothing may go in
    with pytest.raises(schema.SchemaError):
        case.add_source(make_source(5, "S2", "cd" * 32), {"events": broken})
    pd.testing.assert_frame_equal(case.events, before)
    assert [s.id for s in case.sources] == ["S1"]


def test_counts_that_do_not_add_up_are_refused() -> None:
    case = populated_case(10)
    source = make_source(6, "S2", "cd" * 32)  # says 6 imported, gives 5
    with pytest.raises(ValueError, match="counts do not add up"):
        case.add_source(source, {"events": make_events(5, "S2")})
    assert len(case.events) == 10


def test_same_file_twice_is_refused() -> None:
    case = populated_case(10)
    with pytest.raises(ValueError, match="already imported"):
        case.add_source(make_source(10, "S2"), {"events": make_events(10, "S2")})


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "flip":
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("tables/events.parquet")
        offset = info.header_offset + 30 + len(info.filename) + info.file_size // 2
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))
    elif how == "garbage":
        path.write_bytes(b"not a zip at all")
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_file_is_one_clear_line_and_exit_2(tmp_path: Path, how: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kite.cellsight"
    save_case(populated_case(), path)
    _damage(path, how)
    with pytest.raises(CaseFileError):
        open_case(path)
    assert main(["info", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0]
    assert "Traceback" not in captured.err


def test_a_newer_format_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "new.cellsight"
    save_case(populated_case(), path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["format_version"] = 99
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(CaseFileError, match="newer Cellsight"):
        open_case(path)


def test_verify_members_finds_a_member_that_no_longer_matches_the_manifest(tmp_path: Path) -> None:
    path = tmp_path / "kite.cellsight"
    save_case(populated_case(), path)
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    record = json.loads(members["case.json"])
    record["info"]["officer"] = "someone else"
    members["case.json"] = json.dumps(record).encode()  # a valid zip, but not what was saved
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert verify_members(path) == ["member case.json does not match its recorded SHA-256"]
    assert main(["verify", str(path)]) == 2


SAVER = r"""
import sys
from cellsight.core.casefile import save_case
sys.path.insert(0, {tests!r})
from core.test_casefile import populated_case
case = populated_case({rows})
i = 0
print("ready", flush=True)
while True:
    i += 1
    case.info.officer = f"save {{i}}"
    save_case(case, {path!r})
"""


@pytest.mark.long
def test_a_save_killed_at_any_moment_leaves_a_readable_case(tmp_path: Path) -> None:
    path = tmp_path / "kite.cellsight"
    first = populated_case(20_000)
    first.info.officer = "save 0"
    save_case(first, path)
    script = SAVER.format(tests=str(Path(__file__).parents[1]), rows=20_000, path=str(path))
    rng = random.Random(7)
    officers = set()
    for _ in range(budget(6, 3)):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        case = open_case(path)  # must never fail
        assert len(case.events) == 20_000
        assert verify_members(path) == []
        officers.add(case.info.officer)
    assert all(o.startswith("save ") for o in officers)
    save_case(open_case(path), path)
    assert not list(tmp_path.glob(f".*{SUFFIX}")), "stale temporaries are cleaned by the next save"
