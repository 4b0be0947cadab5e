"""Operator call records in many layouts: mapping, times and zones, numbers, codes, cells.

Every file here is written by the test from public descriptions of operator
layouts, with Ofcom drama numbers only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from cellsight.core.case import Case
from cellsight.importers import cdr
from cellsight.importers.api import import_file
from cellsight.importers.base import ImportFailure

ALICE = "07700 900123"
ALICE_E164 = "+447700900123"
BOB_E164 = "+447700900456"


def write(path, lines, encoding="utf-8"):
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def events_of(case, report):
    ev = case.events
    return ev[ev["source_id"].astype(str) == report["source_id"]].reset_index(drop=True)


@pytest.fixture
def case():
    c = Case.new(name="test")
    c.set_subject("Alice", role="victim", numbers=[ALICE])
    return c


# ----- layouts ---------------------------------------------------------------------------
def test_uk_layout_separate_date_and_time_with_cgi_strings(case, tmp_path):
    path = write(tmp_path / "uk.csv", [
        "Mobile Call Records,,,,,,,",
        "Produced for: Thames Valley Police,,,,,,,",
        ",,,,,,,",
        "Date,Time,Calling Number,Called Number,Call Type,Duration,First CGI,Last CGI",
        f"18/06/2023,14:05:00,{ALICE},+44 7700 900456,MOC,00:01:30,234-30-10451-23011,234-30-10451-23012",
        "18/06/2023,14:10:00,447700900456,07700900123,MTC,45,234-30-10451-23011,",
        "19/06/2023,09:00:00,07700900123,07700900456,SMS-MO,0,234-30-10451-23011,",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert (report["rows"], report["imported"], report["rejected"]) == (3, 3, 0)
    assert report["skipped"] == [{"row": "1", "reason": "title row"}, {"row": "2", "reason": "title row"},
                                 {"row": "3", "reason": "blank row"}]
    assert report["kinds"] == {"call": 2, "sms": 1}
    assert any("assumed" in w for w in report["warnings"])  # no zone stated: the case's
    ev = events_of(case, report)
    # 14:05 BST is 13:05 UTC
    assert ev.loc[0, "start"] == pd.Timestamp("2023-06-18 13:05", tz="UTC")
    assert list(ev["direction"]) == ["outgoing", "incoming", "outgoing"]
    assert list(ev["party_a"]) == [ALICE_E164, BOB_E164, ALICE_E164]
    assert list(ev["party_b"]) == [BOB_E164, ALICE_E164, BOB_E164]
    assert ev.loc[0, "party_b_raw"] == "+44 7700 900456"
    assert list(ev["duration_s"]) == [90, 45, 0]
    assert ev.loc[0, "cell_first"] == "234-30-10451-23011"
    assert ev.loc[0, "cell_last"] == "234-30-10451-23012"
    assert pd.isna(ev.loc[1, "cell_last"])
    assert list(ev["source_row"]) == ["5", "6", "7"]
    assert set(ev["subject"].astype(str)) == {"Alice"}


def test_us_layout_conn_time_utc_and_mm_ss(case, tmp_path):
    path = write(tmp_path / "att.csv", [
        "Item,Conn. Date,Conn. Time(UTC),Seizure Time,ET,Originating Number,Terminating Number,IMEI,IMSI,CT,Feature,Cell Location",
        "1,03/05/2023,23:15:00,0:05,2:53,16175550100,07700900123,356938035643809,234300123456789,MO,,",
        "2,03/12/2023,01:00:00,0:02,0:07,07700900123,16175550100,356938035643809,234300123456789,MT,,",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert report["imported"] == 2
    source = case.sources[-1]
    assert source.tz_rule == "file" and source.declared_tz == "UTC"
    assert source.parameters["template"] == "att-us-cdr"
    ev = events_of(case, report)
    # month-first by the template; the header says UTC, so no DST shift on 12 March
    assert list(ev["start"]) == [pd.Timestamp("2023-03-05 23:15", tz="UTC"),
                                 pd.Timestamp("2023-03-12 01:00", tz="UTC")]
    assert list(ev["duration_s"]) == [173, 7]
    assert ev.loc[0, "imei"] == "356938035643809" and ev.loc[0, "imsi"] == "234300123456789"
    assert ev.loc[0, "party_a"] == "+16175550100"


def test_xlsx_with_title_rows_keeps_excel_row_numbers(case, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Calls"
    sheet["A1"] = "NETWORK OPERATOR - CALL DATA"
    sheet["A2"] = "All times UTC"
    sheet.append([])
    sheet.append(["Start Date/Time", "A Party", "B Party", "Event Type", "Duration (secs)", "LAC", "CI"])
    sheet.append([dt.datetime(2023, 3, 18, 14, 5), 447700900123, 447700900456, "Voice", 61, 10451, 23011])
    sheet.append([dt.datetime(2023, 3, 18, 0, 0), 447700900456, 447700900123, "SMS", 0, 10451, 23012])
    notes = book.create_sheet("Notes")
    notes["A1"] = "These records were produced under RIPA."
    path = tmp_path / "records.xlsx"
    book.save(path)
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert (report["rows"], report["imported"]) == (2, 2)
    assert [s["row"] for s in report["skipped"]] == ["1", "2", "3"]
    assert any("Notes" in w for w in report["warnings"])
    ev = events_of(case, report)
    assert list(ev["source_row"]) == ["5", "6"]
    assert case.sources[-1].tz_rule == "file"
    assert ev.loc[0, "start"] == pd.Timestamp("2023-03-18 14:05", tz="UTC")
    assert ev.loc[1, "start"] == pd.Timestamp("2023-03-18 00:00", tz="UTC")  # midnight: date only
    assert list(ev["kind"]) == ["call", "sms"]
    assert list(ev["cell_first"]) == ["?-?-10451-23011", "?-?-10451-23012"]
    assert ev.loc[0, "party_a"] == ALICE_E164  # a number cell, not 4.477e11


def test_totals_and_repeated_header_rows_are_skipped_not_rows(case, tmp_path):
    header = "Date Time,From,To,Type"
    path = write(tmp_path / "t.csv", [
        header,
        f"01/02/2023 10:00,{ALICE},07700900456,Voice",
        header,
        f"01/02/2023 11:00,{ALICE},07700900456,SMS",
        ",,,",
        "Total records: 2,,,",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert (report["rows"], report["imported"], report["rejected"]) == (2, 2, 0)
    assert report["skipped"] == [{"row": "3", "reason": "repeated header"},
                                 {"row": "5", "reason": "blank row"},
                                 {"row": "6", "reason": "totals row"}]


def test_mixed_number_formats_normalise_to_one(case, tmp_path):
    forms = ["447700900456", "07700 900456", "+44 7700 900456", "07700900456 (D)", "0044 7700 900456",
             "+44 (0)7700-900456"]
    lines = ["Timestamp,Target,Other Party,Direction"]
    lines += [f"2023-05-0{i + 1} 10:00:00,{ALICE},{form},Outgoing" for i, form in enumerate(forms)]
    lines += ["2023-05-08 10:00:00,07700900123,-1,Incoming", "2023-05-09 10:00:00,07700900123,ACME,Incoming"]
    report = import_file(case, write(tmp_path / "m.csv", lines), subject="Alice", assume_case_tz=True)
    ev = events_of(case, report)
    assert list(ev["party_b"][:6]) == [BOB_E164] * 6
    assert list(ev["party_b_raw"][:6]) == forms
    assert list(ev["party_a"][:6]) == [ALICE_E164] * 6
    # incoming rows: the other party called the target
    assert list(ev["party_a_flag"][6:]) == ["withheld", "alphanumeric"]
    assert list(ev["party_a"][6:]) == ["-1", "ACME"]
    assert list(ev["party_b"][6:]) == [ALICE_E164] * 2


def test_rows_in_the_dst_change_hours(case, tmp_path):
    path = write(tmp_path / "dst.csv", [
        "Call Date,Call Time,Caller,Callee,Service",
        "26/03/2023,00:30:00,07700900123,07700900456,Voice",
        "26/03/2023,01:30:00,07700900123,07700900456,Voice",  # skipped hour: moves forward
        "29/10/2023,01:30:00,07700900123,07700900456,Voice",  # repeated hour: first occurrence
        "29/10/2023,02:30:00,07700900123,07700900456,Voice",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    ev = events_of(case, report)
    assert list(ev["start"]) == [pd.Timestamp(t, tz="UTC") for t in
                                 ("2023-03-26 00:30", "2023-03-26 01:30", "2023-10-29 00:30",
                                  "2023-10-29 02:30")]
    assert list(ev["time_flag"]) == ["", "dst_nonexistent", "dst_ambiguous", ""]


def test_one_broken_row_in_a_thousand(case, tmp_path):
    lines = ["Start Time,Calling Party,Called Party,Record Type,Duration"]
    for i in range(1000):
        when = pd.Timestamp("2023-04-01") + pd.Timedelta(minutes=7 * i)
        lines.append(f"{when:%d/%m/%Y %H:%M:%S},07700900{i % 1000:03d},{ALICE},MTC,{i % 300}")
    lines[501] = "31/02/2023 25:99:00,07700900001,07700900123,MTC,12"
    report = import_file(case, write(tmp_path / "k.csv", lines), subject="Alice", assume_case_tz=True)
    assert (report["rows"], report["imported"], report["rejected"]) == (1000, 999, 1)
    assert report["rejections"] == [{"row": "502", "reason": "date/time not readable: '31/02/2023 25:99:00'"}]
    ev = events_of(case, report)
    assert "502" not in set(ev["source_row"])
    assert ev["direction"].eq("incoming").all()


def test_quoted_newline_and_short_rows_keep_line_numbers(case, tmp_path):
    path = write(tmp_path / "q.csv", [
        "Date,Time,From,To,Type,Notes",
        f'01/02/2023,10:00,{ALICE},07700900456,Voice,"two',
        'lines"',
        f"01/02/2023,11:00,{ALICE},07700900456,Voice,x,unexpected,extra",
        f"01/02/2023,12:00,{ALICE},07700900456,Voice",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert (report["rows"], report["imported"], report["rejected"]) == (3, 2, 1)
    assert report["rejections"][0]["row"] == "4"
    assert list(events_of(case, report)["source_row"]) == ["2", "5"]


def test_rows_without_party_are_rejected_with_reason(case, tmp_path):
    path = write(tmp_path / "p.csv", [
        "Date & Time,A Number,B Number,Event",
        f"01/02/2023 10:00,{ALICE},07700900456,MOC",
        "01/02/2023 10:05,,,MOC",
        "01/02/2023 10:10,,,GPRS",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert report["rejections"] == [{"row": "3", "reason": "no party number for a call"}]
    assert report["kinds"] == {"call": 1, "data": 1}


def test_month_first_when_the_data_proves_it(case, tmp_path):
    path = write(tmp_path / "us.csv", [
        "Date,Time,From,To,Type",
        "03/05/2023,10:00,07700900123,07700900456,Voice",
        "03/25/2023,10:00,07700900123,07700900456,Voice",
    ])
    report = import_file(case, path, subject="Alice", tz="UTC")
    ev = events_of(case, report)
    assert list(ev["start"].dt.strftime("%Y-%m-%d")) == ["2023-03-05", "2023-03-25"]
    assert any("month-first" in w for w in report["warnings"])
    assert case.sources[-1].tz_rule == "option"


def test_day_first_by_default_for_gb(case, tmp_path):
    path = write(tmp_path / "gb.csv", ["Date,Time,From,To,Type",
                                       "03/05/2023,10:00,07700900123,07700900456,Voice"])
    report = import_file(case, path, subject="Alice", tz="UTC")
    assert events_of(case, report).loc[0, "start"] == pd.Timestamp("2023-05-03 10:00", tz="UTC")


def test_offsets_in_values_win_over_tz_option(case, tmp_path):
    path = write(tmp_path / "iso.csv", ["Event Time,Caller,Callee,Type",
                                        "2023-07-01T10:00:00+02:00,07700900123,07700900456,SMS",
                                        "2023-07-01T10:00:00Z,07700900123,07700900456,SMS"])
    report = import_file(case, path, subject="Alice", tz="America/New_York")
    ev = events_of(case, report)
    assert list(ev["start"]) == [pd.Timestamp("2023-07-01 08:00", tz="UTC"),
                                 pd.Timestamp("2023-07-01 10:00", tz="UTC")]
    assert case.sources[-1].tz_rule == "values"


def test_direction_follows_from_the_subjects_number(case, tmp_path):
    path = write(tmp_path / "d.csv", [
        "timestamp,caller,recipient,type,duration",
        "2024-01-15 09:30:00,07700900123,07700900456,voice,120",
        "2024-01-15 09:35:00,07700900456,+447700900123,sms,0",
        "2024-01-15 09:40:00,07700900456,07700900789,voice,10",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert list(events_of(case, report)["direction"]) == ["outgoing", "incoming", "unknown"]


def test_target_and_other_party_layout_swaps_on_incoming(case, tmp_path):
    path = write(tmp_path / "t.csv", [
        "Target MSISDN,Other Party,Start,Direction,Service",
        "447700900123,07700900456,2023-01-02 10:00:00,IN,SMS",
        "447700900123,07700900456,2023-01-02 10:01:00,OUT,SMS",
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    ev = events_of(case, report)
    assert list(ev["party_a"]) == [BOB_E164, ALICE_E164]
    assert list(ev["party_b"]) == [ALICE_E164, BOB_E164]
    assert list(ev["direction"]) == ["incoming", "outgoing"]


def test_cells_from_lac_ci_tac_eci_and_enodeb_sector(case, tmp_path):
    path = write(tmp_path / "c.csv", [
        "Date/Time,A Party,B Party,Type,MCC,MNC,First LAC,First CI,Last TAC,Last ECI",
        "01/02/2023 10:00,07700900123,07700900456,MOC,234,30,10451,23011,501,12345678",
    ])
    ev = events_of(case, import_file(case, path, subject="Alice", assume_case_tz=True))
    assert ev.loc[0, "cell_first"] == "234-30-10451-23011"
    assert ev.loc[0, "cell_last"] == "234-30-501-12345678"
    path = write(tmp_path / "e.csv", [
        "Date/Time,A Party,B Party,Type,TAC,eNodeB ID,Sector",
        "01/02/2023 10:00,07700900123,07700900456,MOC,501,48225,3",
    ])
    ev = events_of(case, import_file(case, path, subject="Alice", assume_case_tz=True))
    assert ev.loc[0, "cell_first"] == f"?-?-501-{48225 * 256 + 3}"


def test_a_layout_the_vocabulary_was_not_written_for(case, tmp_path):
    """Foreign headers, pipes, cp1252: recognised by what the values look like."""
    path = tmp_path / "export.txt"
    text = "\r\n".join([
        "Nr|Beginn|Rufnummer A|Rufnummer B|Dienst|Zelle|Bemerkung",
        "1|18.03.2023 14:05:07|07700 900123|07700 900456|Sprache|234-30-10451-23011|Gespräch",
        "2|18.03.2023 15:05:07|07700 900456|07700 900123|SMS|234-30-10451-23012|Nachricht",
        "3|19.03.2023 08:00:00|07700 900123|07700 900789|MOC|234-30-10451-23012|Café",
    ]) + "\r\n"
    path.write_bytes(text.encode("cp1252"))
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert (report["rows"], report["imported"]) == (3, 3)
    ev = events_of(case, report)
    assert list(ev["party_a"]) == [ALICE_E164, BOB_E164, ALICE_E164]
    assert list(ev["direction"]) == ["outgoing", "incoming", "outgoing"]
    assert list(ev["kind"]) == ["other", "sms", "call"]
    assert ev.loc[1, "cell_first"] == "234-30-10451-23012"
    assert ev.loc[0, "start"] == pd.Timestamp("2023-03-18 14:05:07", tz="UTC")  # GMT in March


def test_semicolon_utf16_layout_with_unfamiliar_spellings(case, tmp_path):
    path = tmp_path / "records.csv"
    text = "\n".join([
        "Served MSISDN;Connected Number;Seizure Date Time;Call Direction;Bearer Service;Air Time (mins);Cell Global Identity",
        "447700900123;07700900456;2023-08-01 09:00:00;MT;Telephony;2;234-15-2001-3001",
        "447700900123;07700900456;2023-08-01 09:30:00;MO;Short Message;0;234-15-2001-3002",
    ])
    path.write_text(text, encoding="utf-16")
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert report["imported"] == 2
    ev = events_of(case, report)
    assert list(ev["direction"]) == ["incoming", "outgoing"]
    assert list(ev["party_a"]) == [BOB_E164, ALICE_E164]
    assert list(ev["duration_s"]) == [120, 0]
    assert list(ev["cell_first"]) == ["234-15-2001-3001", "234-15-2001-3002"]


def test_unrecognised_codes_become_other_with_a_warning(case, tmp_path):
    path = write(tmp_path / "u.csv", ["Date Time,From,To,Record Type",
                                      "01/02/2023 10:00,07700900123,07700900456,ZZTOP"])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert report["kinds"] == {"other": 1}
    assert any("ZZTOP" in w for w in report["warnings"])


def test_file_with_no_time_column_is_refused(case, tmp_path):
    path = write(tmp_path / "n.csv", ["Calling Number,Called Number,Call Type,Duration",
                                      "07700900123,07700900456,MOC,10"])
    with pytest.raises(ImportFailure, match="n.csv"):
        import_file(case, path, subject="Alice", format="cdr", assume_case_tz=True)


# ----- vocabulary ------------------------------------------------------------------------
@pytest.mark.parametrize("code, expected", [
    ("MOC", ("call", "outgoing")), ("MTC", ("call", "incoming")),
    ("SMS-MO", ("sms", "outgoing")), ("SMS-MT", ("sms", "incoming")), ("GPRS", ("data", None)),
    ("mSOriginating", ("call", "outgoing")), ("mSTerminating", ("call", "incoming")),
    ("mSOriginatingSMSinMSC", ("sms", "outgoing")), ("mSTerminatingSMSinMSC", ("sms", "incoming")),
    ("callForwarding", ("call", "forwarded")), ("Voice", ("call", None)), ("SMS", ("sms", None)),
    ("Data", ("data", None)), ("Outgoing Voice Call", ("call", "outgoing")),
    ("SMS Received", ("sms", "incoming")), ("inbound", (None, "incoming")), ("Fnord", (None, None)),
])
def test_event_codes(code, expected):
    assert cdr.decode_code(code) == expected


@pytest.mark.parametrize("header, role", [
    ("Calling Number", "party_a"), ("A-Party", "party_a"), ("Originating Number", "party_a"),
    ("source_number", "party_a"), ("Called Number", "party_b"), ("B Party No", "party_b"),
    ("Terminating Number", "party_b"), ("destination_number", "party_b"), ("recipient", "party_b"),
    ("Other Party", "other_party"), ("Target MSISDN", "target"), ("Conn. Time(UTC)", "time"),
    ("Conn. Date", "date"), ("Start Date/Time", "start"), ("timestamp", "start"),
    ("End Time", "end"), ("Call End", "end"), ("Release Cause", "status"), ("ET", "duration"), ("Duration (secs)", "duration"),
    ("First CGI", "cell_first"), ("Last Cell ID", "ci_last"), ("cell_tower_id", "cell_first"),
    ("LAC", "lac_first"), ("Last TAC", "lac_last"), ("CI", "ci_first"), ("eNodeB ID", "enodeb_first"),
    ("Event Type", "event"), ("call_type", "event"), ("Direction", "direction"), ("IMEI", "imei"),
    ("Served IMSI", "imsi"), ("call_status", "status"), ("Cell Site Latitude", None), ("cost", None),
    ("Time Zone", None), ("Sequence Number", None), ("Calling Party Number", "party_a"),
    ("Dialled Digits", "party_b"), ("Location Area Code", "lac_first"), ("Serving Cell (LAC/CI)", "cell_first"),
])
def test_header_vocabulary(header, role):
    assert cdr.column_role(header) == role


def test_lone_cell_id_is_a_cell_and_a_second_cell_column_the_last():
    roles = cdr.map_columns(["Start", "Cell ID", "Cell ID (2)", "A Number"], None)
    assert roles["cell_first"] == "Cell ID" and roles["cell_last"] == "Cell ID (2)"
    roles = cdr.map_columns(["Start", "LAC", "Cell ID"], None)
    assert roles["lac_first"] == "LAC" and roles["ci_first"] == "Cell ID"


def test_zone_and_target_statements_in_titles():
    assert cdr.title_zone(["Call records", "All times are UTC"]) == "UTC"
    assert cdr.title_zone(["Time zone: Europe/Paris"]) == "Europe/Paris"
    assert cdr.title_zone(["Call records for March"]) is None
    assert cdr.title_target(["Target: 07700 900123"]) == "07700 900123"


def test_durations():
    values = pd.Series(["173", "2:53", "0:02:53", "1:00:00", "", "n/a", "soon", "12.5"])
    seconds, unreadable = cdr.parse_durations(values)
    assert list(seconds[:4]) == [173, 173, 173, 3600]
    assert seconds[4:6].isna().all() and pd.isna(seconds[6]) and seconds[7] == 12.5
    assert unreadable == 1
    minutes, _ = cdr.parse_durations(pd.Series(["2"]), "minutes")
    assert minutes[0] == 120


@pytest.mark.parametrize("zone", ["Europe/London", "Australia/Lord_Howe", "America/St_Johns", "UTC"])
def test_localising_by_hour_gives_exactly_what_localize_gives(zone):
    """The hour-by-hour shortcut must agree with core.timezones.localize to the microsecond."""
    from cellsight.core.timezones import localize

    rng = np.random.default_rng(5)
    days = pd.to_datetime(["2023-03-26", "2023-04-02", "2023-10-01", "2023-10-29", "2023-11-05"])
    seconds = rng.integers(0, 86400 * 10**6, 40_000)
    naive = pd.Series(days[rng.integers(0, len(days), len(seconds))] +
                      pd.to_timedelta(seconds, unit="us")).astype("datetime64[us]")
    naive[::997] = pd.NaT
    expected_utc, expected_flags = localize(naive, zone)
    utc, flags = cdr.localize_by_hour(naive, zone)
    assert utc.equals(expected_utc)
    assert flags.astype(str).tolist() == expected_flags.astype(str).tolist()


def test_impossible_dates_and_blank_times_are_rejected_not_moved(case, tmp_path):
    path = write(tmp_path / "bad.csv", [
        "Event Date,Event Time,Event Type,Calling Number,Called Number",
        "30/09/2025,19:02:44,SMS-MO,07700900123,07700900456",
        "31/09/2025,19:02:44,SMS-MO,07700900123,07700900456",  # no 31 September
        "07/10/2025,,GPRS,07700900123,",  # a date alone is not midnight
        ",10:00:00,GPRS,07700900123,",
        "29/02/2024,08:00:00,MOC,07700900123,07700900456",  # a leap day is fine
    ])
    report = import_file(case, path, subject="Alice", assume_case_tz=True)
    assert report["rejections"] == [
        {"row": "3", "reason": "date/time not readable: '31/09/2025 19:02:44'"},
        {"row": "4", "reason": "no time"}, {"row": "5", "reason": "no date"}]
    starts = events_of(case, report)["start"].dt.strftime("%Y-%m-%d").tolist()
    assert starts == ["2025-09-30", "2024-02-29"]


def test_a_template_order_is_never_overruled_by_the_data(case, tmp_path):
    from cellsight.importers.templates import Template, save_template

    template = tmp_path / "us.json"
    save_template(Template(name="us", format="cdr", dayfirst=False, columns={"When": "start"}), template)
    path = write(tmp_path / "t.csv", ["When,From,To,Type",
                                      "03/05/2023 10:00,07700900123,07700900456,Voice",
                                      "25/03/2023 10:00,07700900123,07700900456,Voice"])
    report = import_file(case, path, subject="Alice", template=template, tz="UTC")
    assert report["rejections"] == [{"row": "3", "reason": "date/time not readable: '25/03/2023 10:00'"}]
    assert events_of(case, report).loc[0, "start"] == pd.Timestamp("2023-03-05 10:00", tz="UTC")


def test_blank_event_type_takes_the_files_default_kind(case, tmp_path):
    path = write(tmp_path / "k.csv", ["Date Time,From,To,Call Type,Direction",
                                      "01/02/2023 10:00,07700900123,07700900456,,O",
                                      "01/02/2023 10:01,07700900123,07700900456,SMS,",
                                      "01/02/2023 10:02,07700900456,07700900123,,I"])
    ev = events_of(case, import_file(case, path, subject="Alice", assume_case_tz=True))
    assert list(ev["kind"]) == ["call", "sms", "call"]
    assert list(ev["direction"]) == ["outgoing", "outgoing", "incoming"]  # the blank one by number


def test_duration_from_an_end_time_when_there_is_no_duration(case, tmp_path):
    path = write(tmp_path / "se.csv", [
        "Start Date,Start Time,End Time,From,To,Type",
        "01/02/2023,10:00:00,10:02:30,07700900123,07700900456,Voice",
        "01/02/2023,23:59:00,00:01:00,07700900123,07700900456,Voice",  # over midnight
        "01/02/2023,11:00:00,,07700900123,07700900456,Voice",
    ])
    ev = events_of(case, import_file(case, path, subject="Alice", assume_case_tz=True))
    assert ev["duration_s"].tolist()[:2] == [150, 120] and pd.isna(ev.loc[2, "duration_s"])
    path = write(tmp_path / "se2.csv", [
        "Call Start,Call End,From,To",
        "2023-02-01 10:00:00,2023-02-01 11:00:05,07700900123,07700900456",
    ])
    ev = events_of(case, import_file(case, path, subject="Alice", assume_case_tz=True))
    assert ev["duration_s"].tolist() == [3605] and ev["kind"].tolist() == ["call"]
