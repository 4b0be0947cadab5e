"""Operator records in the layouts operators really send (issue 12), one test per class of layout.

Every file is written here, in the shape of UK, Indian, Pakistani and Brazilian
exports as public descriptions give them, with Ofcom drama numbers only (written
the way each operator writes numbers: 447700900123, '447700900123', 07700 900123).
Each test asserts who called whom (party A the caller), the direction, the kind
and the cell key row by row.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from cellsight.analysis import proximity
from cellsight.core.case import Case
from cellsight.importers.api import MultipleTargets, import_file
from cellsight.importers.base import ImportFailure

SAM, VIC, BOB, CAROL = "+447700900101", "+447700900202", "+447700900303", "+447700900404"


def national(e164: str) -> str:
    return "0" + e164[3:]


def intl(e164: str) -> str:
    return e164[1:]


def write(path, lines, encoding="utf-8"):
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def xlsx(path, rows, title=()):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in title:
        sheet.append([line])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def events_of(case, report):
    ev = case.events
    return ev[ev["source_id"].astype(str) == report["source_id"]].reset_index(drop=True)


def table(ev, *columns):
    return [tuple(str(v) if not pd.isna(v) else None for v in row) for row in ev[list(columns)].itertuples(index=False)]


@pytest.fixture
def case():
    c = Case.new(name="layouts")
    c.set_subject("Sam", role="suspect", numbers=[SAM])
    return c


# ----- 1. subscriber column plus a direction column ------------------------------------------
PAK_ROWS = [  # the subscriber in A on every row; INBOUND_OUTBOUND_IND says who called whom
    (intl(SAM), intl(BOB), "2025-04-02 10:00:00", "OUTGOING", "CALL", "31301", "40013"),
    (intl(SAM), intl(BOB), "2025-04-02 10:05:00", "INCOMING", "CALL", "31301", "40013"),
    (intl(SAM), intl(VIC), "2025-04-02 10:06:00", "INCOMING", "SMS", "31301", "40014"),
    (intl(SAM), intl(VIC), "2025-04-02 10:07:00", "OUTGOING", "SMS", "31301", "40014"),
    (intl(SAM), "internet", "2025-04-02 10:08:00", "DATA", "GPRS", "31301", "40014"),
]
PAK_EXPECTED = [
    (SAM, BOB, "outgoing", "call", "?-?-31301-40013"),
    (BOB, SAM, "incoming", "call", "?-?-31301-40013"),
    (VIC, SAM, "incoming", "sms", "?-?-31301-40014"),
    (SAM, VIC, "outgoing", "sms", "?-?-31301-40014"),
    (SAM, None, "unknown", "data", "?-?-31301-40014"),
]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_1_subscriber_in_a_on_every_row_and_a_direction_column(tmp_path, form):
    case = Case.new()  # no subject: the file must say whose records it holds
    header = ("A_NUMBER", "B_NUMBER", "CALL_START_DT_TM", "INBOUND_OUTBOUND_IND", "CALL_TYPE", "Lac_Id",
              "Cell ID")
    if form == "csv":
        path = write(tmp_path / "pk.csv", [",".join(header)] + [",".join(r) for r in PAK_ROWS])
    else:
        path = xlsx(tmp_path / "pk.xlsx", [header] + [(int(a), int(b) if b.isdigit() else b, *rest)
                                                        for a, b, *rest in PAK_ROWS])
    report = import_file(case, path, assume_case_tz=True)
    assert report["subject"] == SAM  # the subscriber column names the owner
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first") == PAK_EXPECTED
    assert ev.loc[1, "party_a_raw"] == intl(BOB) and ev.loc[4, "party_b_raw"] == "internet"
    assert any(w.startswith("party order:") and "'A_NUMBER' holds the subscriber" in w
               for w in report["warnings"])


def test_1_brazilian_layout_with_sentido_and_accented_headers(case, tmp_path):
    path = tmp_path / "br.csv"
    path.write_text("\n".join([
        "Número A;Número B;Data;Hora;Sentido;Tipo;Duração;ERB",
        f"{national(SAM)};{national(VIC)};02/04/2025;10:00:00;Originada;Voz;35;724-05-1201-3301",
        f"{national(SAM)};{national(VIC)};02/04/2025;10:30:00;Recebida;Voz;12;724-05-1201-3302",
        f"{national(SAM)};{national(BOB)};02/04/2025;11:00:00;Recebida;SMS;0;724-05-1201-3302",
    ]) + "\n", encoding="cp1252")
    ev = events_of(case, import_file(case, path, subject="Sam", assume_case_tz=True))
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first") == [
        (SAM, VIC, "outgoing", "call", "724-5-1201-3301"),
        (VIC, SAM, "incoming", "call", "724-5-1201-3302"),
        (BOB, SAM, "incoming", "sms", "724-5-1201-3302")]
    assert list(ev["duration_s"]) == [35, 12, 0]


def test_1_only_incoming_rows_are_put_in_order_by_the_subjects_number(case, tmp_path):
    path = write(tmp_path / "in.csv", [
        "Subscriber A,Other B,Start,direction",
        f"{national(SAM)},{national(BOB)},2025-04-02 10:00:00,in",
        f"{national(SAM)},{national(VIC)},2025-04-02 11:00:00,in",
    ])
    ev = events_of(case, import_file(case, path, subject="Sam", assume_case_tz=True))
    assert table(ev, "party_a", "party_b", "direction") == [(BOB, SAM, "incoming"), (VIC, SAM, "incoming")]


# ----- 2. a per-row target column with the counterpart ---------------------------------------
def test_2_vodafone_idea_layout_target_a_party_and_incoming_outgoing(tmp_path):
    case = Case.new()
    path = write(tmp_path / "vi.csv", [
        "-" * 60,
        "VODAFONE IDEA CALL DATA RECORDS",
        "-" * 60,
        f"MSISDN : - {intl(SAM)}",
        "Target /A PARTY NUMBER,CALL_TYPE,Type of Connection,B PARTY NUMBER,LRN- B Party Number,"
        "Call date,Call Initiation Time,Call Duration,First BTS Location,First Cell Global Id,"
        "Service Type,IMEI,Roaming Network/Circle,In TG ,Out TG ",
        "-" * 60,
        f"{intl(SAM)},Incoming,POSTPAID,{intl(BOB)},4106,01-01-2026,10:08:37,26,OPEN PLOT NEAR MILL,"
        "404056205320221,Voice,356938035643809,Guj-Vodafone,GMS1,MTB",
        f"{intl(SAM)},Outgoing,PREPAID,{intl(VIC)},3099,01-01-2026,10:32:38,13,BUILDING OF MARKET,"
        "404056205520773,Voice,356938035643809,Guj-Vodafone,GMS1,TRACO",
        f"{intl(SAM)},Outgoing,PREPAID,{intl(VIC)},3099,01-01-2026,10:40:00,0,BUILDING OF MARKET,"
        "404056205520773,SMS,356938035643809,Guj-Vodafone,GMS1,TRACO",
    ])
    report = import_file(case, path, tz="Asia/Kolkata")
    assert report["subject"] == SAM
    assert [s["reason"] for s in report["skipped"]][-1] == "separator row"
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first") == [
        (BOB, SAM, "incoming", "call", "404-5-62053-20221"),
        (SAM, VIC, "outgoing", "call", "404-5-62055-20773"),
        (SAM, VIC, "outgoing", "sms", "404-5-62055-20773")]
    unused = {u["column"]: u["reason"] for u in report["unused_columns"]}
    assert "Type of Connection" in unused and "LRN- B Party Number" in unused
    assert unused["First BTS Location"].startswith("the serving site's address; no row gives")


def test_2_bsnl_layout_with_in_out_codes_search_block_and_footer(tmp_path):
    case = Case.new()
    path = write(tmp_path / "bsnl.csv", [
        "Search Criteria : MSISDN",
        f"Search Value : {intl(SAM)}",
        "Start Date : 202601010000",
        "",
        "Target/A-Party Number,Call Type,Other/B-party Number,Call Date,Call Initiation Time,"
        "Call Duration,First BTS Location,First Cell Global ID,Service Type,Original Calling Party",
        f"{intl(SAM)},IN,{intl(BOB)},17/06/2026,15:58:21,1,Mill Lane; Leeds; Lat-53.80092; "
        f"Long--1.58958,234-15-724-24723,SMS,{intl(CAROL)}",
        f"{intl(SAM)},OUT,{intl(VIC)},19/06/2026,12:15:04,760,Mill Lane; Leeds; Lat-53.80092; "
        "Long--1.58958,234-15-724-24723,Voice Call,",
        "*** END OF REPORT ***",
        "CDR COUNT : 2",
    ])
    report = import_file(case, path, assume_case_tz=True)
    assert report["subject"] == SAM and (report["rows"], report["imported"]) == (2, 2)
    assert report["skipped"][-2:] == [{"row": "8", "reason": "footer row"},
                                      {"row": "9", "reason": "totals row"}]
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first") == [
        (BOB, SAM, "incoming", "sms", "234-15-724-24723"), (SAM, VIC, "outgoing", "call", "234-15-724-24723")]
    # the original caller of a forwarded call is not a party of this record: listed, warned
    assert any("Original Calling Party" in w for w in report["warnings"])
    cells = case.cells
    assert cells["from_records"].all() and cells.loc[0, "site"] == "Mill Lane; Leeds"
    assert (round(cells.loc[0, "lat"], 5), round(cells.loc[0, "lon"], 5)) == (53.80092, -1.58958)
    assert report["derived_cells"] == 1 and report["rows"] == report["imported"] + report["rejected"]


def test_2_target_no_and_b_party_ordered_by_event_codes(case, tmp_path):
    path = write(tmp_path / "codes.csv", [
        "TARGET_NO,B_PARTY,EVENT_DATE,EVENT_TYPE,CELL",
        f"{intl(SAM)},{intl(BOB)},2025-05-01 09:00:00,MO,234-30-1-101",
        f"{intl(SAM)},{intl(BOB)},2025-05-01 09:01:00,MT,234-30-1-101",
        f"{intl(SAM)},{intl(VIC)},2025-05-01 09:02:00,SMS-MO,234-30-1-102",
        f"{intl(SAM)},{intl(VIC)},2025-05-01 09:03:00,SMS-MT,234-30-1-102",
        f"{intl(SAM)},{intl(VIC)},2025-05-01 09:04:00,a_in_volte,234-30-1-102",
        f"{intl(SAM)},{intl(CAROL)},2025-05-01 09:05:00,P2POUT,234-30-1-103",
        f"{intl(SAM)},{intl(CAROL)},2025-05-01 09:06:00,MOC,234-30-1-103",
        f"{intl(SAM)},{intl(CAROL)},2025-05-01 09:07:00,MTC,234-30-1-103",
    ])
    ev = events_of(case, import_file(case, path, subject="Sam", assume_case_tz=True))
    assert table(ev, "party_a", "party_b", "direction", "kind") == [
        (SAM, BOB, "outgoing", "other"), (BOB, SAM, "incoming", "other"),
        (SAM, VIC, "outgoing", "sms"), (VIC, SAM, "incoming", "sms"), (VIC, SAM, "incoming", "call"),
        (SAM, CAROL, "outgoing", "sms"), (SAM, CAROL, "outgoing", "call"), (CAROL, SAM, "incoming", "call")]


def test_2_jio_layout_ordered_columns_with_every_value_in_apostrophes(case, tmp_path):
    path = write(tmp_path / "jio.csv", [
        "RELIANCE JIO INFOCOMM LIMITED",
        "Calling Party Telephone Number,Called Party Telephone Number,Call Forwarding,LRN Called No,"
        "Call Date,Call Time,Call Termination Time,Call Duration,First Cell ID,Last Cell ID,Call Type,"
        "IMEI,IMSI",
        f"'JP-JioPay-S','{intl(SAM)}','-','-','01/01/2026','01:11:49','01:11:49','0','40585703AD319',"
        "'40585703AD319','A2P_SMSIN','356938035643809','234300123456789'",
        f"'{intl(SAM)}','{intl(BOB)}','-','4106','01/01/2026','10:15:30','10:16:15','45','40585703AD319',"
        "'40585703AD323','a_out','356938035643809','234300123456789'",
        f"'{intl(BOB)}','{intl(SAM)}','-','4106','01/01/2026','11:15:30','11:16:15','30','40585703AD319',"
        "'40585703AD319','a_in','356938035643809','234300123456789'",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first", "cell_last") == [
        ("JP-JioPay-S", SAM, "incoming", "sms", "40585703AD319", "40585703AD319"),
        (SAM, BOB, "outgoing", "call", "40585703AD319", "40585703AD323"),
        (BOB, SAM, "incoming", "call", "40585703AD319", "40585703AD319")]
    assert ev.loc[1, "party_b_raw"] == f"'{intl(BOB)}'"  # as written
    assert list(ev["imei"]) == ["356938035643809"] * 3 and list(ev["duration_s"]) == [0, 45, 30]


# ----- 3. several subscribers in one file ------------------------------------------------------
def _two_subscribers(tmp_path):
    return write(tmp_path / "imei.csv", [
        "Ticket Number : 4471",
        "Search Criteria : IMEI",
        "Search Value : 356938035643809",
        "MSISDN,Other Party,Date Time,Direction,Service,Cell",
        f"{intl(SAM)},{intl(BOB)},2025-06-01 10:00:00,OUT,Voice,234-30-1-101",
        f"{intl(SAM)},{intl(VIC)},2025-06-01 10:10:00,IN,SMS,234-30-1-101",
        f"{intl(CAROL)},{intl(BOB)},2025-06-02 09:00:00,IN,Voice,234-30-1-102",
        f"{intl(CAROL)},{intl(BOB)},2025-06-02 09:30:00,OUT,SMS,234-30-1-102",
        f"{intl(CAROL)},{intl(VIC)},2025-06-02 09:45:00,OUT,SMS,234-30-1-102",
    ])


def test_3_a_file_of_two_subscribers_is_refused_and_lists_them(case, tmp_path):
    path = _two_subscribers(tmp_path)
    with pytest.raises(MultipleTargets) as caught:
        import_file(case, path, subject="Sam", assume_case_tz=True)
    assert caught.value.report["targets"] == [{"number": CAROL, "rows": 3}, {"number": SAM, "rows": 2}]
    assert "--split-by-target" in str(caught.value) and case.sources == []


def test_3_split_by_target_gives_each_subscriber_a_source_and_invents_no_contact(case, tmp_path):
    report = import_file(case, _two_subscribers(tmp_path), split_by_target=True, assume_case_tz=True)
    assert [(s["target"], s["subject"], s["rows"]) for s in report["sources"]] == [
        (CAROL, CAROL, 3), (SAM, "Sam", 2)]
    assert report["rows"] == 5 and report["imported"] == 5
    assert {s.sha256 for s in case.sources} == {report["sha256"]} and len(case.sources) == 2
    assert [s.parameters["file_target"] for s in case.sources] == [CAROL, SAM]
    sam = case.events[case.events["subject"].astype(str) == "Sam"]
    assert table(sam, "party_a", "party_b", "direction") == [(SAM, BOB, "outgoing"), (VIC, SAM, "incoming")]
    pairs = set(zip(case.events["party_a"], case.events["party_b"]))
    assert (SAM, CAROL) not in pairs and (CAROL, SAM) not in pairs  # they only share a file
    with pytest.raises(ImportFailure, match="already imported"):
        import_file(case, _two_subscribers(tmp_path), split_by_target=True, assume_case_tz=True)


def test_3_one_target_only_lists_the_others_rows_as_skipped(case, tmp_path):
    report = import_file(case, _two_subscribers(tmp_path), target=national(SAM), assume_case_tz=True)
    assert (report["rows"], report["imported"], report["subject"]) == (2, 2, "Sam")
    assert [s["row"] for s in report["skipped"] if "another subscriber" in s["reason"]] == ["7", "8", "9"]
    assert report["targets"][0] == {"number": CAROL, "rows": 3}
    other = import_file(case, _two_subscribers(tmp_path), target=intl(CAROL), assume_case_tz=True)  # the other part later
    assert other["imported"] == 3 and len(case.sources) == 2


# ----- 4. tower dumps --------------------------------------------------------------------------
def test_4_a_tower_dump_is_refused_and_names_the_scene_import(case, tmp_path):
    lines = ["mobileNumber  ,other_party,eventTime,towerId,imei"]
    for i in range(12):
        lines.append(f"447700900{500 + i},447700900{600 + i},2025-07-01 10:{i:02d}:00,TWR-88-A,3569380356438{i:02d}")
    path = write(tmp_path / "dump.csv", lines)
    with pytest.raises(ImportFailure, match=r"tower dump \(12 subscribers on 1 cell\).*cellsight scene"):
        import_file(case, path, subject="Sam", assume_case_tz=True)
    assert case.sources == [] and len(case.subjects) == 1


# ----- 5. cell identity over several columns --------------------------------------------------
@pytest.mark.parametrize("header, values, key", [
    ("1st LAC/TAC,1st CI/ECI", "10451,23011", "234-30-10451-23011"),
    ("LAC,Cell ID", "10451,23011", "234-30-10451-23011"),
    ("TAC,ECI", "501,12345678", "234-30-501-12345678"),
    ("First Cell Global Id,Last Cell Global Id", "234-30-10451-23011,", "234-30-10451-23011"),
    ("CGI_DEC,IMEI", "520030702518286,356938035643809", "520-3-7025-18286"),
    ("CGI_HEX,IMEI", "520031B71476E,356938035643809", "520-3-7025-18286"),
    ("eNB,cell", "48225,3", f"234-30-?-{48225 * 256 + 3}"),
    ("IPDR FORMAT,IMEI", "234-30-10451-23011,356938035643809", "234-30-10451-23011"),
])
def test_5_cell_identity_split_over_columns(case, tmp_path, header, values, key):
    mcc = "" if header.startswith(("CGI", "First", "IPDR")) else "MCC,MNC,"
    codes = "" if not mcc else "234,30,"
    path = write(tmp_path / "cells.csv", [
        f"Date Time,A Party,B Party,Event,{mcc}{header},First BTS Location",
        f"2025-05-01 09:00,{intl(SAM)},{intl(BOB)},MOC,{codes}{values},Mill Lane",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    ev = events_of(case, report)
    assert ev.loc[0, "cell_first"] == key
    assert case.cells.empty  # the site's address without a position places nothing
    assert {u["column"]: u["reason"] for u in report["unused_columns"]}["First BTS Location"] == \
        "the serving site's address; no row gives the site's position, so it places nothing"


def test_5_eci_links_both_ways_and_positions_on_records_serve_cell_proximity(tmp_path):
    from tests.factories import add_cells

    case = Case.new()
    case.set_subject("Sam", role="suspect", numbers=[SAM])
    case.set_subject("Vic", role="victim", numbers=[VIC])
    eci = 48225 * 256 + 3
    sam = write(tmp_path / "sam.csv", [  # TAC and ECI, position of the site on each row
        "Date Time,A Party,B Party,Event,TAC,ECI,lat,longitude",
        f"2025-05-01 09:00,{intl(SAM)},{intl(BOB)},MOC,501,{eci},53.80000,-1.55000"])
    vic = write(tmp_path / "vic.csv", [  # eNodeB and cell, no TAC, same site
        "Date Time,A Party,B Party,Event,eNodeB ID,Sector,Cell Site Latitude,Cell Site Longitude",
        f"2025-05-01 09:02,{intl(VIC)},{intl(CAROL)},MOC,48225,3,53.80000,-1.55000"])
    import_file(case, sam, subject="Sam", assume_case_tz=True)
    import_file(case, vic, subject="Vic", assume_case_tz=True)
    assert list(case.events["cell_first"]) == [f"?-?-501-{eci}", f"?-?-?-{eci}"]
    assert len(case.cells) == 1  # the second file's cell is already placed by the first
    found = proximity.run(case, "Sam", b="Vic", method="cell", distance_m=0, window_min=5)
    assert len(found.occasions) == 1 and len(found.hits) == 1
    # a list that comes later wins over the position read from the records
    add_cells(case, [{"key": f"234-30-501-{eci}", "lat": 53.8001, "lon": -1.5501, "azimuth": 120}])
    from cellsight.core.cellkeys import resolve
    row = resolve(pd.Series([f"?-?-?-{eci}", f"?-?-501-{eci}"]), case.cells)
    assert list(case.cells["azimuth"].iloc[row]) == [120, 120]


# ----- 6. service and event columns by meaning ------------------------------------------------
def test_6_service_type_beside_call_type_and_toc_by_their_values(case, tmp_path):
    path = write(tmp_path / "airtel.csv", [
        f"Call Details of Mobile No '{intl(SAM)}' from '01-Jun-2025' to '05-Jun-2026'",
        "Target No,Call Type,TOC,B Party No,Date,Time,Dur(s),First CGI Lat/Long,First CGI,Last CGI,"
        "Service Type,IMEI,IN TG,",
        f"'{intl(SAM)}',SMT,Post,'AD-BANK-S','15/04/2026',08:26:10,0,53.8/-1.55,234-30-8331-230711555,---,"
        "SMS,'356938035643809',,",
        f"'{intl(SAM)}',OUT,Post,'{intl(BOB)}','15/04/2026',09:42:17,41,53.8/-1.55,234-30-8331-230711555,"
        "234-30-8331-236717574,Voice,'356938035643809',ims.mnc030.mcc234.3gppnetwork.org,",
        f"'{intl(SAM)}',IN,Post,'{intl(BOB)}','15/04/2026',09:50:00,12,53.8/-1.55,234-30-8331-230711555,"
        "---,Voice,'356938035643809',,",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first", "cell_last") == [
        ("AD-BANK-S", SAM, "incoming", "sms", "234-30-8331-230711555", None),
        (SAM, BOB, "outgoing", "call", "234-30-8331-230711555", "234-30-8331-236717574"),
        (BOB, SAM, "incoming", "call", "234-30-8331-230711555", None)]
    unused = {u["column"]: u["reason"] for u in report["unused_columns"]}
    assert "prepaid" in unused["TOC"] or "values" in unused["TOC"]
    assert case.cells.loc[0, "key"] == "234-30-8331-230711555" and case.cells.loc[0, "lat"] == 53.8


def test_6_camelcase_headers_cdrtype_and_usage_with_a_unit(case, tmp_path):
    path = write(tmp_path / "camel.csv", [
        "msisdn  ,otherParty,startTime,CdrType,Usage,UOM,cellId",
        f"{intl(SAM)},{intl(BOB)},2025-05-01 09:00:00,VoiceMO,173,SEC,TOWER-0343",
        f"{intl(SAM)},{intl(BOB)},2025-05-01 09:10:00,SMSMT,1,EVENT,TOWER-0343",
        f"{intl(SAM)},internet,2025-05-01 09:20:00,Data,52311,BYTES,TOWER-0344",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first") == [
        (SAM, BOB, "outgoing", "call", "TOWER-0343"), (BOB, SAM, "incoming", "sms", "TOWER-0343"),
        (SAM, None, "unknown", "data", "TOWER-0344")]
    assert ev["duration_s"].tolist()[0] == 173 and ev["duration_s"][1:].isna().all()


def test_6_call_network_volume_and_end_time(case, tmp_path):
    path = write(tmp_path / "pk2.csv", [
        "MSISDN,call_org_num,CALL_DIALED_NUM,CALL_START_DT_TM,CALL_END_DT_TM,INBOUND_OUTBOUND_IND,"
        "Call_Network_Volume,Lac_Id,Site_Id,Cell_SITE_ID,lat,longitude,CALL_TYPE,location",
        f"{intl(SAM)},{intl(SAM)},{intl(BOB)},2026-04-02 01:22:34,2026-04-02 01:24:34,OUTGOING,0,3101,"
        "551,40013,53.80,-1.55,CALL,Gulberg",
        f"{intl(SAM)},{intl(BOB)},{intl(SAM)},2026-04-02 02:00:00,2026-04-02 02:00:00,INCOMING,0,3101,"
        "551,40013,53.80,-1.55,SMS,Gulberg",
        f"{intl(SAM)},{intl(SAM)},,2026-04-02 03:00:00,2026-04-02 03:30:00,DATA,52311,3101,551,40014,"
        "53.81,-1.56,GPRS,Gulberg",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    ev = events_of(case, report)
    assert table(ev, "party_a", "party_b", "direction", "kind", "cell_first") == [
        (SAM, BOB, "outgoing", "call", "?-?-3101-40013"), (BOB, SAM, "incoming", "sms", "?-?-3101-40013"),
        (SAM, None, "unknown", "data", "?-?-3101-40014")]
    assert ev["duration_s"].tolist()[:2] == [120, 0]
    assert sorted(case.cells["key"]) == ["?-?-3101-40013", "?-?-3101-40014"]
    assert set(case.cells["site"]) == {"Gulberg"}


# ----- 7. values wrapped as operators write them ----------------------------------------------
def test_7_excel_numbers_formula_text_and_lost_digits(case, tmp_path):
    path = xlsx(tmp_path / "vals.xlsx", [
        ("Date/Time", "Calling Number", "Called Number", "Event Type", "LAC", "CI"),
        ("2025-05-01 09:00:00", 447700900101.0, 447700900303, "MOC", 10451.0, 23011.0),
        ("2025-05-01 09:01:00", "'07700900101", "'07700900303", "MOC", "'10451'", "'23011'"),
        ("2025-05-01 09:02:00", "4.47700900101E+11", "4.477E+11", "MOC", 10451, 23011),
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    ev = events_of(case, report)
    assert list(ev["party_a"]) == [SAM, SAM, SAM]
    assert list(ev["party_b"][:2]) == [BOB, BOB] and ev.loc[2, "party_b"] == "4.477E+11"
    assert list(ev["party_a_raw"][:2]) == ["447700900101", "'07700900101"]
    assert set(ev["cell_first"]) == {"?-?-10451-23011"}
    assert any("lost digits" in w and "4.477E+11" in w for w in report["warnings"])


def test_7_formula_text_in_a_csv(case, tmp_path):
    path = write(tmp_path / "f.csv", ["Date Time,From,To,Type",
                                      f'2025-05-01 09:00,"=""{national(SAM)}""",="{national(BOB)}",SMS-MO'])
    ev = events_of(case, import_file(case, path, subject="Sam", assume_case_tz=True))
    assert table(ev, "party_a", "party_b", "direction", "kind") == [(SAM, BOB, "outgoing", "sms")]
    assert ev.loc[0, "party_a_raw"] == f'="{national(SAM)}"'


# ----- 8. footers, summaries and non-party B values -------------------------------------------
def test_8_footers_title_blocks_and_access_points(case, tmp_path):
    path = write(tmp_path / "foot.csv", [
        "Ticket Number : 99812",
        "Search Criteria : IMEI",
        "Date Time,Calling Number,Called Number,Event Type",
        f"2025-05-01 09:00:00,{intl(SAM)},{intl(BOB)},MOC",
        f"2025-05-01 09:10:00,{intl(SAM)},airtelgprs.com,GPRS",
        f"2025-05-01 09:20:00,{intl(SAM)},ims,GPRS",
        "Total Records : 3,,,",
        "This is System generated report, and needs no signature.",
        "*** END OF REPORT ***",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    assert (report["rows"], report["imported"], report["rejected"]) == (3, 3, 0)
    assert report["skipped"] == [{"row": "1", "reason": "title row"}, {"row": "2", "reason": "title row"},
                                 {"row": "7", "reason": "totals row"}, {"row": "8", "reason": "footer row"},
                                 {"row": "9", "reason": "footer row"}]
    ev = events_of(case, report)
    assert list(ev["party_b"].isna()) == [False, True, True]
    assert list(ev["party_b_raw"][1:]) == ["airtelgprs.com", "ims"]
    from cellsight.analysis import contacts
    numbers = [c["number"] for c in contacts.for_subject(case, "Sam")["contacts"]]
    assert numbers == [BOB]


# ----- 9. every unused column reported; uncertain mappings say how they decided ----------------
def test_9_unused_columns_with_reasons_and_the_decision_recorded(case, tmp_path):
    path = write(tmp_path / "u.csv", [
        "Date Time,Calling Number,Called Number,Event Type,Call Fow No,SMSC No,Cost,Notes,Mystery",
        f"2025-05-01 09:00:00,{intl(SAM)},{intl(BOB)},MOC,{intl(CAROL)},447700900999,0.10,x,{intl(VIC)}",
    ])
    report = import_file(case, path, subject="Sam", assume_case_tz=True)
    unused = {u["column"]: u["reason"] for u in report["unused_columns"]}
    assert set(unused) == {"Call Fow No", "SMSC No", "Cost", "Notes", "Mystery"}
    assert "forwarded" in unused["Call Fow No"] and "SMS centre" in unused["SMSC No"]
    assert "phone numbers" in unused["Mystery"]
    warned = " ".join(w for w in report["warnings"] if w.startswith("column not used"))
    assert "Call Fow No" in warned and "Mystery" in warned and "Cost" not in warned
    source = case.sources[-1]
    assert source.parameters["unused_columns"] == report["unused_columns"]
    assert "party A read from column 'Calling Number'" in source.parameters["party_order"]


# ----- the real samples made by other projects (opt-in) ---------------------------------------
@pytest.mark.realsamples
def test_real_sample_call_records_import_correctly(real_samples):
    """Every CSV in real-samples/cdr: right parties, direction and kinds; every unused column reported."""
    import csv

    folder = real_samples / "cdr"
    files = sorted(folder.glob("*.csv"))
    assert {f.name for f in files} >= {"cdr-analyzer_sample_cdr.csv", "forensictelco_sample_cdr.csv"}
    case = Case.new()
    for path in files:
        header = next(csv.reader(path.open(encoding="utf-8")))
        try:
            report = import_file(case, path, subject="Owner " + path.stem, assume_case_tz=True)
        except MultipleTargets as refused:
            report = import_file(case, path, split_by_target=True, assume_case_tz=True)
            assert refused.report["targets"] == report["targets"]
        mapped = set(case.sources[-1].parameters["columns"])
        unused = {u["column"] for u in report["unused_columns"]}
        assert mapped | unused == set(header) and not mapped & unused  # every column accounted for
        assert report["rows"] == report["imported"] + report["rejected"]

    # caller,recipient,type: the columns are the calls' order; voice and sms words
    small = case.events[case.events["subject"].astype(str) == "Owner cdr-analyzer_sample_cdr"]
    raw = pd.read_csv(folder / "cdr-analyzer_sample_cdr.csv", dtype=str)
    assert list(small["party_a_raw"]) == list(raw["caller"])
    assert list(small["party_b_raw"]) == list(raw["recipient"])
    assert list(small["kind"].astype(str)) == [{"voice": "call", "sms": "sms"}[t] for t in raw["type"]]
    cost = [s for s in case.sources if s.file == "cdr-analyzer_sample_cdr.csv"][0]
    assert cost.parameters["unused_columns"] == [{"column": "cost", "reason": cost.parameters[
        "unused_columns"][0]["reason"]}]

    # source_number holds the subscriber on every row (50 of them, never among the destinations);
    # call_type inbound/outbound says who called whom: one source per subscriber
    raw = pd.read_csv(folder / "forensictelco_sample_cdr.csv", dtype=str)
    parts = [s for s in case.sources if s.file == "forensictelco_sample_cdr.csv"]
    assert len(parts) == raw["source_number"].nunique() == 50
    ev = case.events[case.events["source_id"].isin([s.id for s in parts])].copy()
    ev["line"] = ev["source_row"].astype(int) - 2
    ev = ev.sort_values("line")
    inbound = raw["call_type"].eq("inbound").to_numpy()
    expected_a = raw["source_number"].where(~inbound, raw["destination_number"])
    expected_b = raw["destination_number"].where(~inbound, raw["source_number"])
    assert list(ev["party_a_raw"]) == list(expected_a) and list(ev["party_b_raw"]) == list(expected_b)
    assert list(ev["direction"].astype(str)) == ["incoming" if i else "outgoing" for i in inbound]
    assert set(ev["kind"].astype(str)) == {"call"} and ev["cell_first"].str.startswith("TOWER-").all()
    owners = ev["subject"].astype(str).to_numpy()
    from cellsight.core.phone import normalise
    subscribers = [normalise(n, "GB")[0] for n in raw["source_number"]]
    assert list(owners) == subscribers  # each row in its subscriber's source
    assert not ev["party_a_flag"].eq("valid").any()  # "+91" numbers too short: flagged, kept as written


# ----- value unwrapping, as properties -------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cellsight.importers import tabular  # noqa: E402

DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=15)


@settings(max_examples=60)
@given(DIGITS, st.sampled_from(["'{}'", "'{}", '="{}"', '"{}"', " '{}' ", "{}"]))
def test_wrapped_numbers_come_out_as_the_digits(digits, wrapping):
    assert tabular.unwrap_text(wrapping.format(digits)) == digits


@settings(max_examples=60)
@given(st.integers(min_value=10**9, max_value=10**15 - 1), st.booleans())
def test_scientific_notation_is_read_only_when_every_digit_is_there(number, upper):
    digits = len(str(number))
    full = f"{number:.{digits - 1}{'E' if upper else 'e'}}"
    assert tabular.unwrap_text(full) == str(number) and not tabular.lost_digits(full)
    short = f"{number:.3E}"
    if float(short) != number:  # digits were dropped when Excel wrote it: never completed with zeros
        assert tabular.unwrap_text(short) == short and tabular.lost_digits(short)


@settings(max_examples=60)
@given(st.text(alphabet=st.characters(blacklist_characters="'\"=", blacklist_categories=("Cs",)),
               max_size=20))
def test_plain_values_are_left_as_they_are(text):
    if not tabular._SCIENTIFIC.match(text):
        assert tabular.unwrap_text(text) == text.strip()


def test_a_column_with_nothing_wrapped_is_returned_itself():
    from cellsight.core.schema import STR

    column = pd.Series(["447700900101", "07700 900303", None], dtype=STR)
    assert tabular.unwrap(column) is column
    wrapped = pd.Series(["'447700900101'", None, '="07700900303"'], dtype=STR)
    assert tabular.unwrap(wrapped).tolist()[::2] == ["447700900101", "07700900303"]
