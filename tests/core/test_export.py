"""Event exports: one row per sighting, times in two zones, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import json

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight import cli
from cellsight.core.casefile import save_case
from cellsight.report.export import ExportError, export_events, neutralise_csv, risky
from factories import add_events, new_case

RISKY = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def case():
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "<img src=x onerror=alert(1)>": ("victim",
                                                                                          ["07700 900002"])})
    add_events(case, "Sam", [
        {"start": "2024-07-01T09:00:00+01:00", "kind": "sms", "direction": "outgoing",
         "party_a": "07700 900001", "party_b": "+44 7700 900002", "text": '=HYPERLINK("http://x.invalid","a")',
         "cell_first": "234-30-1-1"},
        {"start": "2024-07-01T09:05:00+01:00", "kind": "call", "direction": "outgoing", "duration_s": -1,
         "party_a": "07700 900001", "party_b": "-1", "text": "@SUM(1+1)\ttab\x07bell"},
        {"start": "2024-01-02T09:00:00Z", "kind": "call", "direction": "incoming", "duration_s": 12,
         "party_a": "07700 900002", "party_b": "07700 900001", "text": "\r=cmd|' /C calc'!A0"},
    ], file="sam-cdr.csv")
    add_events(case, "<img src=x onerror=alert(1)>", [
        {"start": "2024-07-01T09:00:03+01:00", "kind": "sms", "direction": "incoming",
         "party_a": "07700 900001", "party_b": "07700 900002", "text": "+hello"},
    ], file="vic-phone.xml")
    return case


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_rows_times_numbers_and_sources(case, tmp_path):
    summary = export_events(case, tmp_path / "e.csv")
    rows = read_csv(tmp_path / "e.csv")
    assert summary["rows"] == len(rows) == 4
    first = rows[0]  # in time order: the January call first
    assert first["time_utc"] == "2024-01-02T09:00:00Z" and first["time_local"] == "2024-01-02T09:00:00+00:00"
    summer = rows[1]
    assert summer["time_local"] == "2024-07-01T09:00:00+01:00" and summer["time_utc"] == "2024-07-01T08:00:00Z"
    assert summer["party_b_raw"] == "'+44 7700 900002" and summer["party_b"] == "'+447700900002"
    assert summer["party_a_raw"] == "07700 900001"
    assert summer["party_b_name"] == "<img src=x onerror=alert(1)>"
    assert summer["source_file"] == "sam-cdr.csv" and summer["source_row"] == "1"
    assert summer["cell_first"] == "234-30-1-1" and summer["kind"] == "sms"


def test_csv_never_starts_a_cell_with_a_formula_character(case, tmp_path):
    export_events(case, tmp_path / "e.csv")
    rows = read_csv(tmp_path / "e.csv")
    cells = [value for row in rows for key, value in row.items() if key != "duration_s"]
    assert not [c for c in cells if c.startswith(RISKY)]
    texts = {row["text"] for row in rows}
    assert "'=HYPERLINK(\"http://x.invalid\",\"a\")" in texts
    assert "'\r=cmd|' /C calc'!A0" in texts
    assert "'@SUM(1+1)\ttab[U+0007]bell" in texts  # the bell is shown (core.text), tab kept
    assert "'+hello" in texts
    assert [row["duration_s"] for row in rows if row["party_b_raw"] == "'-1"] == ["-1.0"]  # numbers stay numbers


def test_xlsx_cells_are_text_shown_exactly(case, tmp_path):
    export_events(case, tmp_path / "e.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "e.xlsx").active
    header = [c.value for c in sheet[1]]
    cells = {name: [row[i] for row in sheet.iter_rows(min_row=2)] for i, name in enumerate(header)}
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    numbers = cells["party_b"]
    e164 = [c for c in numbers if c.value == "+447700900002"]
    assert e164 and all(c.quotePrefix and c.data_type == "s" for c in e164)  # reads +447700900002, never runs
    text = {c.value: c for c in cells["text"]}
    assert text['=HYPERLINK("http://x.invalid","a")'].quotePrefix
    assert text["@SUM(1+1)\ttab[U+0007]bell"].quotePrefix  # controls are shown (core.text)
    assert not cells["party_a_raw"][0].quotePrefix  # harmless text is left alone


def test_the_repeated_autumn_hour_is_told_apart(tmp_path):
    case = new_case({"Sam": ("suspect", ["07700 900001"])})
    add_events(case, "Sam", [{"start": t, "kind": "sms", "direction": "outgoing", "party_a": "07700 900001",
                              "party_b": "07700 900002"} for t in ("2025-10-26T00:30:13.6Z", "2025-10-26T01:30:13Z")])
    export_events(case, tmp_path / "dst.csv")
    assert [r["time_local"] for r in read_csv(tmp_path / "dst.csv")] == ["2025-10-26T01:30:13+01:00",
                                                                         "2025-10-26T01:30:13+00:00"]


def test_filters_and_the_communication_id(case, tmp_path):
    assert export_events(case, tmp_path / "a.csv", subject="<img src=x onerror=alert(1)>")["rows"] == 3
    assert export_events(case, tmp_path / "b.csv", kinds=["call"])["rows"] == 2
    export_events(case, tmp_path / "c.csv", dedupe=True)
    rows = read_csv(tmp_path / "c.csv")
    sms = [r["communication_id"] for r in rows if r["kind"] == "sms"]
    assert len(sms) == 2 and sms[0] == sms[1]  # the text as sent and as received: one communication
    assert len({r["communication_id"] for r in rows}) == 3
    with pytest.raises(ExportError, match="unknown kind"):
        export_events(case, tmp_path / "d.csv", kinds=["fax"])
    with pytest.raises(ExportError, match=".csv or .xlsx"):
        export_events(case, tmp_path / "e.ods")
    assert not (tmp_path / "d.csv").exists() and not (tmp_path / "e.ods").exists()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.none(), st.integers()), min_size=1, max_size=8))
def test_neutralisation_rule(values):
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    out = neutralise_csv(frame)["v"].tolist()
    for before, after in zip(values, out):
        if isinstance(before, str) and before.startswith(RISKY):
            assert after == "'" + before
        else:
            assert after == before or (before is None and after is None)
    assert risky(frame["v"]).sum() == sum(isinstance(v, str) and v.startswith(RISKY) for v in values)


def test_cli_export(case, tmp_path, capsys):
    path = tmp_path / "c.cellsight"
    save_case(case, path)
    before = path.read_bytes()
    assert cli.main(["export", str(path), "--out", str(tmp_path / "x.xlsx"), "--subject", "07700 900001",
                     "--kind", "sms", "--dedupe", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 2
    assert path.read_bytes() == before
    assert cli.main(["export", str(path), "--out", str(tmp_path / "y.csv"), "--subject", "Nobody"]) == 0
    assert "created subject 'Nobody'" in capsys.readouterr().err
