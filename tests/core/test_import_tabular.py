"""Reading tables as they come: encodings, delimiters, header discovery, row numbers, Excel."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from cellsight.importers import cdr, tabular
from cellsight.importers.base import ImportFailure

ROWS = [
    "Call records for Zoë Example (invented)",
    "",
    "Date,Time,Caller,Callee,Type",
    "01/02/2023,10:00,07700900123,07700900456,Voice",
    "01/02/2023,11:00,07700900456,07700900123,SMS",
]


def find(rows):
    return tabular.best_header(rows, cdr.header_score, 2)


def read(path, **kw):
    tables, warnings = tabular.read_tables(path, find, **kw)
    assert len(tables) == 1
    return tables[0], warnings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_encodings_give_the_same_table(tmp_path, encoding):
    path = tmp_path / "e.csv"
    path.write_bytes("\r\n".join(ROWS).encode(encoding))
    table, _ = read(path)
    assert table.header == ["Date", "Time", "Caller", "Callee", "Type"]
    assert list(table.frame["Caller"]) == ["07700900123", "07700900456"]
    assert list(table.rows) == [4, 5]
    assert table.title == ["Call records for Zoë Example (invented)"]
    assert table.skipped == [("1", "title row"), ("2", "blank row")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter(tmp_path, delimiter):
    path = tmp_path / "d.csv"
    path.write_text("\n".join(r.replace(",", delimiter) for r in ROWS), encoding="utf-8")
    table, _ = read(path)
    assert table.delimiter == delimiter
    assert list(table.frame["Type"]) == ["Voice", "SMS"]


def test_quoted_commas_and_embedded_newlines_keep_the_line_a_person_sees(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('Date,Time,Caller,Callee,Note\n'
                    '01/02/2023,10:00,07700900123,07700900456,"Smith, J"\n'
                    '01/02/2023,11:00,07700900123,07700900456,"line one\nline two"\n'
                    '01/02/2023,12:00,07700900123,07700900456,plain\n', encoding="utf-8")
    table, _ = read(path)
    assert list(table.rows) == [2, 3, 5]
    assert table.frame["Note"].tolist() == ["Smith, J", "line one\nline two", "plain"]


def test_row_with_too_many_fields_is_broken_not_shifted(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("Date,Time,Caller,Callee\n01/02/2023,10:00,1,2\n01/02/2023,10:00,1,2,3,4\n"
                    "01/02/2023,11:00,5,6\n", encoding="utf-8")
    table, _ = read(path)
    assert table.broken == [("3", "6 fields where the header has 4")]
    assert list(table.rows) == [2, 4]
    assert table.frame["Callee"].tolist() == ["2", "6"]


def test_trailing_delimiter_on_every_line_is_not_a_broken_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Date,Time,Caller,Callee\n01/02/2023,10:00,1,2,\n01/02/2023,11:00,5,6,\n")
    table, _ = read(path)
    assert table.broken == [] and list(table.rows) == [2, 3]


def test_empty_cells_are_missing_and_blank_lines_kept_as_rows(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Date,Time,Caller,Callee\n01/02/2023,,1,\n\n01/02/2023,11:00,5,6\n")
    table, _ = read(path)
    assert list(table.rows) == [2, 3, 4]
    assert table.frame["Time"].isna().tolist() == [True, True, False]


def test_no_header_is_one_clear_failure(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("hello,world\n1,2\n")
    with pytest.raises(ImportFailure, match="x.csv: no header row"):
        tabular.read_tables(path, find)
    empty = tmp_path / "empty.csv"
    empty.write_text("  \n")
    with pytest.raises(ImportFailure, match="empty"):
        tabular.read_tables(empty, find)


def test_xlsx_sheets_title_rows_and_excel_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    first = book.active
    first.title = "March"
    first["B2"] = "Operator export"
    first.append(["Date", "Time", "Caller", "Callee"])
    first.append([dt.date(2023, 3, 1), dt.time(10, 0), 447700900123, "07700900456"])
    second = book.create_sheet("April")
    second.append(["Date", "Time", "Caller", "Callee"])
    second.append([dt.datetime(2023, 4, 1), dt.time(9, 30, 5), 447700900123, 7700900456.0])
    book.create_sheet("Empty")
    path = tmp_path / "w.xlsx"
    book.save(path)
    tables, warnings = tabular.read_tables(path, find)
    assert [t.sheet for t in tables] == ["March", "April"]
    march, april = tables
    assert march.skipped == [("March!1", "blank row"), ("March!2", "title row")]
    assert list(march.labels()) == ["March!4"] and list(april.labels()) == ["April!2"]
    assert march.frame.iloc[0].tolist() == ["2023-03-01", "10:00:00", "447700900123", "07700900456"]
    assert april.frame.iloc[0].tolist() == ["2023-04-01", "09:30:05", "447700900123", "7700900456"]
    assert warnings == []


def test_damaged_workbook_is_one_clear_failure(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFailure, match="bad.xlsx"):
        tabular.read_tables(path, find)


def test_noise_reasons():
    frame = pd.DataFrame({"Date": ["", "Total", "Date", "x"], "Caller": ["", "12", "Caller", ""],
                          "Callee": [None, "", "Callee", ""]})
    reasons = tabular.noise_reasons(frame, ["Date", "Caller", "Callee"])
    assert reasons.tolist() == ["blank row", "totals row", "repeated header", ""]


@pytest.mark.parametrize("value, text", [
    (None, ""), (447700900123.0, "447700900123"), (1.5, "1.5"), (True, "TRUE"),
    (dt.datetime(2023, 3, 1, 0, 0), "2023-03-01"), (dt.datetime(2023, 3, 1, 14, 5, 9), "2023-03-01 14:05:09"),
    (dt.time(1, 2, 3), "01:02:03"), (dt.timedelta(seconds=3725), "1:02:05"),
])
def test_cell_text(value, text):
    assert tabular.cell_text(value) == text


def test_utf16_without_bom_is_recognised():
    sample = "Date,Time\n".encode("utf-16-le")
    assert tabular.detect_encoding(sample) == "utf-16-le"
    assert tabular.detect_encoding("Caf\u00e9,x\n".encode("cp1252") * 50) in ("cp1252", "windows-1252",
                                                                              "latin_1", "cp1250")


def test_by_unique_spreads_results_and_keeps_missing():
    values = pd.Series(["a", None, "b", "a"], dtype="str")
    out = tabular.by_unique(values, lambda u: u.str.upper())
    assert out.tolist()[0] == "A" and pd.isna(out[1]) and out.tolist()[2:] == ["B", "A"]


def test_legacy_xls_with_dates_numbers_and_title(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Calls")
    sheet.write(0, 0, "Operator export (invented)")
    for col, name in enumerate(["Date/Time", "A Number", "B Number", "Type", "Time only"]):
        sheet.write(2, col, name)
    when = xlwt.easyxf(num_format_str="dd/mm/yyyy hh:mm:ss")
    clock = xlwt.easyxf(num_format_str="hh:mm:ss")
    sheet.write(3, 0, dt.datetime(2023, 3, 18, 14, 5), when)
    sheet.write(3, 1, 447700900123)
    sheet.write(3, 2, "07700900456")
    sheet.write(3, 3, "MOC")
    sheet.write(3, 4, dt.time(9, 30), clock)
    path = tmp_path / "old.xls"
    book.save(str(path))
    table, _ = read(path)
    assert table.skipped == [("1", "title row"), ("2", "blank row")]
    assert list(table.rows) == [4]
    assert table.frame.iloc[0].tolist() == ["2023-03-18 14:05:00", "447700900123", "07700900456", "MOC",
                                           "09:30:00"]


# ----- a few damaged bytes in UTF-8: replaced and named, never mojibake ---------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cellsight.core.case import Case  # noqa: E402
from cellsight.importers.api import import_file  # noqa: E402

SITES = ["Zoë Müllerstraße", "Łódź Północ", "Straße 12", "Ærø Øst", "Café Noël"]


def _cell_list(rows: int, bad_line: int | None) -> bytes:
    lines = ["Cell ID,Site Name,Latitude,Longitude"]
    lines += [f"234-30-1-{i},{SITES[i % len(SITES)]},53.8,-1.5" for i in range(1, rows + 1)]
    data = [line.encode("utf-8") for line in lines]
    if bad_line is not None:
        data[bad_line - 1] = data[bad_line - 1].replace(b",", b",\xff", 1).replace(
            b"\xc3\xab", b"\xeb", 1)  # a stray byte, and one ë written in Latin-1
    return b"\n".join(data) + b"\n"


@pytest.mark.parametrize(("rows", "bad_line"), [(10, 5), (4000, 3900), (10, 1)])
def test_utf8_with_a_damaged_row_is_replaced_there_and_named(tmp_path, rows, bad_line):
    path = tmp_path / "cells.csv"
    raw = _cell_list(rows, bad_line)
    if bad_line == 1:
        raw = raw.replace(b"Site Name", b"Site \xe9Name", 1)
    path.write_bytes(raw)
    case = Case.new()
    report = import_file(case, path, assume_case_tz=True)
    assert report["imported"] == rows
    sites = case.cells.set_index("source_row")["site"]
    clean = [site for row, site in sites.items() if row != str(bad_line)]
    assert set(clean) <= set(SITES), "no mojibake anywhere else"
    assert "Ã" not in "".join(clean)
    warnings = [w for w in report["warnings"] if "not UTF-8" in w]
    assert warnings == [f"line {bad_line}: bytes that are not UTF-8 shown as U+FFFD (the rest of "
                        "the file is UTF-8)"]
    if bad_line != 1:
        assert "\ufffd" in sites[str(bad_line)]


def test_a_file_clearly_in_a_code_page_is_read_in_it(tmp_path):
    path = tmp_path / "cells.csv"
    text = _cell_list(300, None).decode("utf-8")
    western = ["Zoë Müllerstraße", "Straße 12", "Ærø Øst", "Café Noël"]
    for other in set(SITES) - set(western):
        text = text.replace(other, western[0])
    path.write_bytes(text.encode("cp1252"))
    case = Case.new()
    report = import_file(case, path, assume_case_tz=True)
    assert set(case.cells["site"]) == set(western)
    assert not [w for w in report["warnings"] if "not UTF-8" in w]
    legacy = tmp_path / "legacy.csv"  # ASCII for 64 kB, then Latin-1: the body decides
    ascii_rows = "".join(f"234-30-2-{i},Mast {i},53.8,-1.5\n" for i in range(3000))
    legacy.write_bytes(("Cell ID,Site Name,Latitude,Longitude\n" + ascii_rows
                        + "234-30-3-1,Café Noël,53.8,-1.5\n").encode("latin-1"))
    case = Case.new()
    report = import_file(case, legacy, assume_case_tz=True)
    assert "Café Noël" in set(case.cells["site"])
    assert not [w for w in report["warnings"] if "not UTF-8" in w]


def test_call_records_share_the_rule(tmp_path):
    path = tmp_path / "records.csv"
    path.write_bytes("Date,Time,Calling Number,Called Number,Status\n".encode()
                     + "01/03/2023,10:00:00,07700900001,07700900002,Zoë\n".encode() * 3
                     + b"01/03/2023,11:00:00,07700900001,07700900002,Zo\xeb\n")
    case = Case.new()
    report = import_file(case, path, subject="Dan", tz="UTC")
    assert report["imported"] == 4
    assert any(w.startswith("line 5: bytes that are not UTF-8") for w in report["warnings"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1), min_size=2, max_size=30), st.data())
def test_damage_is_found_exactly_where_a_bad_byte_was_put(parts, data):
    text = "é".join(parts)  # at least one valid non-ASCII character
    raw = text.encode("utf-8")
    assert tabular.utf8_damage(raw).bad == []
    boundaries = [i for i in range(len(raw) + 1) if i == len(raw) or (raw[i] & 0xC0) != 0x80]
    at = data.draw(st.sampled_from(boundaries))
    damaged = raw[:at] + b"\xff" + raw[at:]
    found = tabular.utf8_damage(damaged)
    assert found.bad == [at]
    assert found.valid == sum(1 for c in text if ord(c) > 127)
