"""Tower dumps within bounds: junk is refused as call records are, and batches change no answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import factories
from cellsight.cli import main
from cellsight.core.scenestore import parquet_path
from cellsight.importers import towerdump
from cellsight.importers.towerdump import add_scene

HEADER = "msisdn,imei,event_time,cell_id,other_party,call_type\n"
# The A and B parties of each call instead of a target column: on incoming rows the B party is seen.
PARTIES = "Calling Number,IMEI,event_time,cell_id,Called Number,call_type\n"


def _dump(path: Path, rows: int, seed: int = 3, header: str = HEADER) -> Path:
    """A dump in the written forms operators use, with a few rows to reject and one title row."""
    rng = np.random.default_rng(seed)
    forms = ["07700 900{:03d}", "+44 7700 900{:03d}", "447700900{:03d}", "0044-7700-900{:03d}",
             "01632 960{:03d}", "(01632) 960{:03d}", "07700900{:03d} (D)", "+44 (0)1632 960{:03d}"]
    lines = ["Tower dump, all times UTC\n", header]
    for i in range(rows):
        n = int(rng.integers(0, 1000))
        number = forms[int(rng.integers(0, len(forms)))].format(n)
        if i % 97 == 5:
            number = ""  # no identity at all: rejected
        stamp = "2023-03-26 00:%02d:%02d" % (i // 60 % 60, i % 60) if i % 89 != 7 else "soon"
        kind = ["MOC", "MTC", "SMS-MO", "SMS-MT", "GPRS"][i % 5]
        lines.append(f"{number},,{stamp},234-30-{100 + i % 4}-{i % 7},07700 900{(n + 1) % 1000:03d},{kind}\n")
    path.write_text("".join(lines))
    return path


def _scene(tmp_path: Path, name: str, dump: Path):
    case = factories.new_case()
    case_path = factories.save(case, tmp_path / name)
    scene, reports, failures = add_scene(case, case_path, [dump], "Mast", tz="UTC")
    assert failures == []
    return reports[0], pq.read_table(parquet_path(case_path, scene.files[0]))


@pytest.mark.parametrize("header", [HEADER, PARTIES])
def test_batches_give_the_same_rows_and_account_as_one_pass(tmp_path: Path, monkeypatch, header: str) -> None:
    dump = _dump(tmp_path / "dump.csv", 2_500, header=header)
    for name in ("whole", "batched"):
        (tmp_path / name).mkdir()
    whole_report, whole_rows = _scene(tmp_path, "whole", dump)
    monkeypatch.setattr(towerdump, "BATCH_ROWS", 333)
    batched_report, batched_rows = _scene(tmp_path, "batched", dump)
    assert whole_rows.num_rows == whole_report["imported"] > 2_000
    assert whole_report["rejected"] > 20 and whole_report["rows"] == 2_500
    assert batched_rows.equals(whole_rows)
    ignore = ("source_id", "parquet", "parquet_sha256", "path")
    assert {k: v for k, v in batched_report.items() if k not in ignore} == \
        {k: v for k, v in whole_report.items() if k not in ignore}
    assert batched_report["parquet_sha256"] == whole_report["parquet_sha256"]


def test_a_dump_mostly_of_junk_is_refused_on_its_first_rows(tmp_path: Path, capsys) -> None:
    """30 good rows and then junk lines: refused as call records are (issue 25), nothing kept."""
    dump = tmp_path / "junk.csv"
    good = "".join(f"07700900{i:03d},,2023-05-02 10:{i:02d}:00,234-30-1-1,,MOC\n" for i in range(30))
    dump.write_text(HEADER + good + "B,\n" * 5_000)
    case_path = factories.save(factories.new_case(), tmp_path)
    code = main(["scene", str(case_path), str(dump), "--name", "Junk", "--tz", "UTC"])
    err = capsys.readouterr().err
    assert code == 2
    assert "junk.csv" in err and "of the first 1,000 rows cannot be used" in err and "Traceback" not in err
    assert not list(tmp_path.glob("**/*.parquet"))  # no rows kept beside the case


def test_junk_after_a_good_head_is_refused_on_the_whole(tmp_path: Path) -> None:
    dump = tmp_path / "tail.csv"
    good = "".join(f"07700900{i % 1000:03d},,2023-05-02 10:{i % 60:02d}:00,234-30-1-1,,MOC\n"
                   for i in range(1_200))
    dump.write_text(HEADER + good + "B,\n" * 2_000)
    case = factories.new_case()
    case_path = factories.save(case, tmp_path)
    _scene_, reports, failures = add_scene(case, case_path, [dump], "Junk", tz="UTC")
    assert reports == [] and len(failures) == 1
    assert failures[0].startswith("tail.csv: 2,000 of 3,200 rows cannot be used")


@pytest.mark.parametrize("rows", [0, 1])
def test_tiny_dumps_still_read(tmp_path: Path, rows: int) -> None:
    dump = tmp_path / "tiny.csv"
    dump.write_text(HEADER + "07700900001,,2023-05-02 10:00:00,234-30-1-1,,MOC\n" * rows +
                    "07700900002,,2023-05-02 10:00:00,234-30-1-1,,MOC\n")
    report, rows_read = _scene(tmp_path, ".", dump)
    assert report["imported"] == rows_read.num_rows == rows + 1
