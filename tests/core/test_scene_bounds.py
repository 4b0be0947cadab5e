"""Tower dumps within bounds: junk is refused as call records are, and batches change no answer.

A dump is streamed in batches; the rows equal those of one read of the whole file, and the time
format, day/month order and zone stay one decision for the whole file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import factories
from cellsight.cli import main
from cellsight.core.scenestore import parquet_path
from cellsight.importers import tabular_stream, towerdump
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


# ----- streamed in batches ------------------------------------------------------------------
IGNORE = ("source_id", "parquet", "parquet_sha256", "path")


def _read_whole(monkeypatch) -> None:
    """Make every dump be read whole by ``tabular`` (the path taken by files that cannot be streamed)."""
    def whole(path, find_header):
        raise tabular_stream.Unstreamable("read whole for the test")

    monkeypatch.setattr(tabular_stream, "open_stream", whole)


def _both(tmp_path: Path, monkeypatch, dump: Path, batch_rows: int = 333):
    """The dump read in batches of ``batch_rows`` (streamed), and read whole in one batch."""
    for name in ("streamed", "whole"):
        (tmp_path / name).mkdir()
    with monkeypatch.context() as patch:
        patch.setattr(towerdump, "BATCH_ROWS", batch_rows)
        streamed = _scene(tmp_path, "streamed", dump)
    with monkeypatch.context() as patch:
        _read_whole(patch)
        patch.setattr(towerdump, "BATCH_ROWS", 10**9)
        whole = _scene(tmp_path, "whole", dump)
    return streamed, whole


def _same(streamed, whole) -> None:
    (streamed_report, streamed_rows), (whole_report, whole_rows) = streamed, whole
    assert streamed_rows.equals(whole_rows)
    assert {k: v for k, v in streamed_report.items() if k not in IGNORE} == \
        {k: v for k, v in whole_report.items() if k not in IGNORE}


def test_a_dump_streamed_in_several_batches_gives_the_rows_of_one_read(tmp_path: Path, monkeypatch) -> None:
    dump = _dump(tmp_path / "dump.csv", 2_500)
    streamed, whole = _both(tmp_path, monkeypatch, dump)
    _same(streamed, whole)
    assert whole[0]["imported"] > 2_000 and whole[0]["rejected"] > 20
    assert whole[0]["skipped"] == [{"row": "1", "reason": "title row"}]


def test_streamed_rows_are_numbered_as_the_file_s_lines(tmp_path: Path, monkeypatch) -> None:
    dump = _dump(tmp_path / "dump.csv", 1_000)
    (tmp_path / "s").mkdir()
    monkeypatch.setattr(towerdump, "BATCH_ROWS", 100)
    _report, rows = _scene(tmp_path, "s", dump)
    lines = dump.read_text().splitlines()
    for label, raw in zip(rows["source_row"].to_pylist()[::97], rows["number_raw"].to_pylist()[::97]):
        assert lines[int(label) - 1].startswith(raw + ",")


def test_a_line_that_breaks_the_stream_late_reads_the_file_whole_again(tmp_path: Path, monkeypatch) -> None:
    """A quoted line break after the first batches: the file is read again whole, nothing doubled."""
    dump = _dump(tmp_path / "dump.csv", 2_000)
    with open(dump, "a") as out:
        out.write('"07700 900123\nstill the same field",,2023-03-26 01:00:00,234-30-100-1,,MOC\n')
        out.write("07700900124,,2023-03-26 01:00:01,234-30-100-1,,MOC\n")
    streamed, whole = _both(tmp_path, monkeypatch, dump)
    _same(streamed, whole)
    assert streamed[0]["rows"] == whole[0]["rows"] == 2_002


def _dated(path: Path, dates: list[str]) -> Path:
    lines = [HEADER] + [f"07700900{i % 1000:03d},,{d},234-30-100-1,,MOC\n" for i, d in enumerate(dates)]
    path.write_text("".join(lines))
    return path


def test_a_later_batch_that_proves_month_first_restarts_the_file_with_that_order(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """The first rows could be either order; rows further on can only be month-first: every row
    is read month-first, as one read of the whole column decides, and the warning says so."""
    dates = ["05/03/2023 10:%02d:00" % (i % 60) for i in range(1_000)] + \
        ["05/13/2023 10:%02d:00" % (i % 60) for i in range(500)]
    streamed, whole = _both(tmp_path, monkeypatch, _dated(tmp_path / "us.csv", dates))
    _same(streamed, whole)
    times = streamed[1]["time"].to_pylist()
    assert times[0].month == 5 and times[0].day == 3 and times[-1].day == 13
    assert any("month-first" in w for w in streamed[0]["warnings"])


def test_a_file_with_dates_in_both_orders_across_batches_is_refused(tmp_path: Path, monkeypatch) -> None:
    """Day-first proven in the first batch, month-first in a later one: never read half each way."""
    dates = ["13/03/2023 10:%02d:00" % (i % 60) for i in range(500)] + \
        ["03/14/2023 10:%02d:00" % (i % 60) for i in range(500)]
    failure = _refused(tmp_path, monkeypatch, _dated(tmp_path / "mixed.csv", dates), "UTC")
    assert failure.startswith("mixed.csv: row 2 can only be read day-first, other rows only month-first")


@pytest.mark.parametrize("tz", [None, "UTC"])
def test_times_with_offsets_then_without_across_batches_are_refused(tmp_path: Path, monkeypatch, tz) -> None:
    dates = ["2023-03-26T10:%02d:00+01:00" % (i % 60) for i in range(400)] + \
        ["2023-03-26 10:%02d:00" % (i % 60) for i in range(400)]
    failure = _refused(tmp_path, monkeypatch, _dated(tmp_path / "offsets.csv", dates), tz)
    assert "rows from row 402 give times without a UTC offset" in failure


def _refused(tmp_path: Path, monkeypatch, dump: Path, tz: str | None) -> str:
    """The one failure of a dump read in batches of 200 rows; nothing is kept beside the case."""
    monkeypatch.setattr(towerdump, "BATCH_ROWS", 200)
    case = factories.new_case()
    case_path = factories.save(case, tmp_path)
    _scene_, reports, failures = add_scene(case, case_path, [dump], "Refused", tz=tz)
    assert reports == [] and len(failures) == 1
    assert not list(tmp_path.glob("**/*.parquet"))
    return failures[0]
