"""Round three of real-world layouts (issue 21, section 2): a file the tests make for each class,
and the absence of each warning that was not true of the file."""

from __future__ import annotations

import pandas as pd
import pytest

from cellsight.core.case import Case
from cellsight.importers import registry
from cellsight.importers.api import import_file
from cellsight.importers.cdr import NO_DIRECTION, NO_EVENT_TYPE, UNUSED_COLUMN

SAM, BOB, VIC = "+447700900123", "+447700900456", "+447700900789"


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def imported(path, lines, **options):
    """A file the test makes, imported into a new case (times stated as UTC)."""
    case = Case.new()
    return case, import_file(case, write(path, lines), tz="UTC", **options)


def events_of(case, report):
    events = case.events
    return events[events["source_id"].eq(report["source_id"]).to_numpy()].reset_index(drop=True)


# ----- 1. a duration in a column named like a volume ---------------------------------------------
def test_1_volume_column_is_the_duration_of_calls_and_bytes_of_data(tmp_path):
    case, report = imported(tmp_path / "iot.csv", [
        "Subscriber_MSISDN,Event_Date_Time,Call_Type,Other_Party,Call_Network_Volume",
        f"{SAM},2023-03-01 10:00:00,MOC,{BOB},65",
        f"{SAM},2023-03-01 10:05:00,MTC,{VIC},12",
        f"{SAM},2023-03-01 10:06:00,GPRS,,52311",
    ])
    ev = events_of(case, report)
    assert list(ev["kind"].astype(str)) == ["call", "call", "data"]
    assert ev["duration_s"].iloc[:2].tolist() == [65, 12]
    assert pd.isna(ev["duration_s"].iloc[2])  # bytes on a data session, not seconds
    assert "Call_Network_Volume" in case.sources[0].parameters["duration_from"]
    assert "Call_Network_Volume" in case.sources[0].parameters["columns"]


# ----- 11. a -1 duration is kept and named, as docs/formats.md says --------------------------------
def test_11_negative_duration_is_kept_and_named(tmp_path):
    case, report = imported(tmp_path / "neg.csv", [
        "Date,Time,Calling Number,Called Number,Call Type,Duration",
        f"01/03/2023,10:00:00,{SAM},{BOB},MOC,-1",
        f"01/03/2023,10:05:00,{SAM},{BOB},MOC,30",
    ], subject="Sam")
    assert events_of(case, report)["duration_s"].tolist() == [-1, 30]
    assert not any("could not be read" in w for w in report["warnings"])
    assert any("negative or longer than 24 hours (rows 2)" in w for w in report["warnings"])


# ----- 9. a phone-download XML with a comment before its root ------------------------------------
def test_9_cellebrite_model_with_a_comment_before_the_root_is_recognised(tmp_path):
    path = tmp_path / "chat.xml"
    path.write_text('<?xml version="1.0"?>\n<!-- exported by <IPED> 4.1 -->\n<?iped note?>\n'
                    '<model type="Call" id="c1"><field name="TimeStamp"><value type="TimeStamp">'
                    "2023-03-01T10:00:00.000+00:00</value></field></model>\n", encoding="utf-8")
    assert registry.detect(path).name == "ufdr"


# ----- 12. warnings that were not true of the file ------------------------------------------------
def test_12_direction_codes_that_name_texts_leave_no_every_event_a_call_warning(tmp_path):
    case, report = imported(tmp_path / "jio.csv", [
        "Call Date,Call Time,Calling Party,Called Party,Call Direction,Duration",
        f"01/03/2023,10:00:00,{SAM},{BOB},A2P_SMSIN,0",
        f"01/03/2023,10:05:00,{SAM},{BOB},a_out,30",
        f"01/03/2023,10:06:00,{SAM},{VIC},a_in,30",
    ], subject="Sam")
    assert list(events_of(case, report)["kind"].astype(str)) == ["sms", "call", "call"]
    said = [w for w in report["warnings"] if w.startswith(NO_EVENT_TYPE)]
    assert said == [f"{NO_EVENT_TYPE}: 2 events whose codes name no kind imported as 'call' "
                    "(the file has call durations); map the columns to read it (--template)"]


def test_12_a_column_of_dashes_is_empty_not_a_column_not_used(tmp_path):
    case, report = imported(tmp_path / "dash.csv", [
        "Date,Time,Calling Number,Called Number,Call Type,Forwarded Number",
        f"01/03/2023,10:00:00,{SAM},{BOB},MOC,-",
        f"01/03/2023,10:05:00,{SAM},{BOB},MOC, - ",
    ], subject="Sam")
    assert {"column": "Forwarded Number", "reason": "empty"} in report["unused_columns"]
    assert not any(w.startswith(UNUSED_COLUMN) for w in report["warnings"])


def test_12_vowifi_ip_addresses_are_no_cells(tmp_path):
    case, report = imported(tmp_path / "wifi.csv", [
        "Date,Time,Calling Number,Called Number,Call Type,Cell ID",
        f"01/03/2023,10:00:00,{SAM},{BOB},MOC,234-30-1045-2301",
        f"01/03/2023,10:05:00,{SAM},{BOB},MOC,10.12.1.5",
        f"01/03/2023,10:06:00,{SAM},{BOB},MOC,2a00:1450::1",
    ], subject="Sam")
    cells = events_of(case, report)["cell_first"]
    assert cells.iloc[0] == "234-30-1045-2301" and cells.iloc[1:].isna().all()
    assert any("2 rows give an IP address" in w for w in report["warnings"])
    assert any(w.startswith("1 event names 1 cell that no cell list") for w in report["warnings"])


def test_12_direction_unknown_counts_only_the_rows_imported(tmp_path):
    case, report = imported(tmp_path / "ordered.csv", [
        "Date,Time,Calling Number,Called Number,Duration",
        f"01/03/2023,10:00:00,{SAM},{BOB},30",
        f"01/03/2023,10:05:00,{BOB},{VIC},30",
        "01/03/2023,10:06:00,,,30",
        "01/03/2023,10:07:00,,,30",
        "01/03/2023,10:08:00,,,30",
    ], subject="Sam")
    assert (report["imported"], report["rejected"]) == (2, 3)
    [said] = [w for w in report["warnings"] if w.startswith(NO_DIRECTION)]
    assert "for 2 of 2 rows" in said  # not "of 5": three rows were rejected


def test_12_with_target_no_serving_site_comes_from_another_subscribers_row(tmp_path):
    case, report = imported(tmp_path / "two.csv", [
        "MSISDN,Call Date,Call Time,Other Party,Direction,Cell ID,Latitude,Longitude",
        f"{SAM},01/03/2023,10:00:00,{BOB},Outgoing,234-30-1045-2301,51.5,-0.1",
        f"{VIC},01/03/2023,10:01:00,{BOB},Outgoing,234-30-1045-2302,51.6,-0.2",
        f"{SAM},01/03/2023,10:02:00,{BOB},Outgoing,234-30-1045-2302,51.6,-0.2",
        f"{VIC},01/03/2023,10:03:00,{BOB},Outgoing,234-30-1045-2303,51.7,-0.3",
    ], target=SAM)
    assert report["derived_cells"] == 1  # 2302 is first stated on Vic's row 3; 2303 only on Vic's
    cited = set(case.cells["source_row"].astype(str))
    assert cited == {"2"}
    assert report["records_read"] == 4


@pytest.mark.parametrize("split", [True, False])
def test_12_split_parts_each_keep_their_own_serving_sites(tmp_path, split):
    case, report = imported(tmp_path / "two.csv", [
        "MSISDN,Call Date,Call Time,Other Party,Direction,Cell ID,Latitude,Longitude",
        f"{SAM},01/03/2023,10:00:00,{BOB},Outgoing,234-30-1045-2301,51.5,-0.1",
        f"{VIC},01/03/2023,10:03:00,{BOB},Outgoing,234-30-1045-2303,51.7,-0.3",
    ], split_by_target=split, target=None if split else VIC)
    assert report["derived_cells"] == (2 if split else 1)


# ----- 2. small tower dumps, told by their shape ---------------------------------------------------
def _small_dumps(tmp_path):
    first = write(tmp_path / "mast.csv", [
        "msisdn,imei,imsi,other_party,timestamp,tower_id,cell_id,lac",
        f"{SAM},356938035643809,234150000000001,{BOB},2023-03-01 10:00:00,T1,2301,1045",
        f"{VIC},356938035643810,234150000000002,,2023-03-01 10:02:00,T1,2301,1045",
        f"{BOB},356938035643811,234150000000003,{SAM},2023-03-01 10:04:00,T1,2302,1045",
    ])
    second = write(tmp_path / "tower.csv", [
        "mobileNumber,towerId,timestamp,latitude,longitude",
        f"{SAM},TOWER-7,2023-03-01T10:00:00Z,51.5,-0.1",
        f"{VIC},TOWER-7,2023-03-01T10:05:00Z,51.5,-0.1",
    ])
    return first, second


def test_2_small_tower_dumps_are_refused_and_named_a_scene(tmp_path):
    for path in _small_dumps(tmp_path):
        case = Case.new()
        with pytest.raises(Exception, match=r"looks like a tower dump .*cellsight scene"):
            import_file(case, path, tz="UTC")
        with pytest.raises(Exception, match=r"looks like a tower dump"):
            import_file(case, path, tz="UTC", split_by_target=True)
        assert not case.sources and not case.subjects


def test_2_small_tower_dump_goes_into_a_scene(tmp_path):
    from cellsight.importers.towerdump import add_scene

    case = Case.new()
    scene, reports, failures = add_scene(case, tmp_path / "case.cellsight", list(_small_dumps(tmp_path)),
                                         "Mast", tz="UTC")
    assert failures == []
    assert [r["imported"] for r in reports] == [3, 2]
    assert all(r["rows"] == r["imported"] + r["rejected"] for r in reports)
    assert (scene.lat, scene.lon) == (51.5, -0.1)  # the tower's position, as the second dump gives it


def test_2_records_of_several_targets_with_directions_are_no_dump(tmp_path):
    case, report = imported(tmp_path / "two.csv", [
        "MSISDN,Call Date,Call Time,Other Party,Direction,Cell ID",
        f"{SAM},01/03/2023,10:00:00,{BOB},Outgoing,234-30-1045-2301",
        f"{VIC},01/03/2023,10:01:00,{BOB},Incoming,234-30-1045-2301",
    ], split_by_target=True)
    assert report["imported"] == 2 and len(report["sources"]) == 2


# ----- 4. heading words checked against the column's values ---------------------------------------
def test_4_headings_read_too_loosely_lose_to_what_the_values_say(tmp_path):
    case, report = imported(tmp_path / "loose.csv", [
        "Call Date,Call Time,A Party,B Party,Call Type,SUBSCRIBER_TYPE,sms_number,PGW_ADDRESS,Duration",
        f"01/03/2023,10:00:00,{SAM},{BOB},MOC,R,3,10.0.0.1,30",
        f"01/03/2023,10:05:00,{BOB},{SAM},MTC,H,0,10.0.0.2,12",
    ], subject="Sam")
    ev = events_of(case, report)
    assert list(ev["kind"].astype(str)) == ["call", "call"] and ev["party_b"].tolist() == [BOB, SAM]
    unused = {u["column"]: u["reason"] for u in report["unused_columns"]}
    assert unused["SUBSCRIBER_TYPE"].startswith("its values (R, H) are classes")
    assert "holds counts (3, 0)" in unused["sms_number"]
    assert "IP address" in unused["PGW_ADDRESS"]
    assert case.cells.empty  # no "site" read from an IP address


def test_4_a_party_column_of_counts_gives_way_to_the_real_one(tmp_path):
    case, report = imported(tmp_path / "counts.csv", [
        "Date,Time,sms_number,Other Party Number,Call Type",
        f"01/03/2023,10:00:00,2,{BOB},MOC",
        f"01/03/2023,10:05:00,5,{VIC},MOC",
    ], subject="Sam")
    assert events_of(case, report)["party_b"].tolist() == [BOB, VIC]
    assert case.sources[0].parameters["columns"]["Other Party Number"] == "other_party"


# ----- 7. cell lists keyed by a tower name; a CGI headed IPDR FORMAT -------------------------------
def test_7_cell_list_keyed_by_tower_links_to_records_keyed_the_same_way(tmp_path):
    cells = write(tmp_path / "towers.csv", ["tower_id,longitude,latitude,azimuth",
                                            "TWR-0343,-0.1,51.5,120", "TWR-0344,-0.2,51.6,240"])
    records = write(tmp_path / "records.csv", [
        "Date,Time,Calling Number,Called Number,Call Type,tower_id",
        f"01/03/2023,10:00:00,{SAM},{BOB},MOC,TWR-0343"])
    case = Case.new()
    listed = import_file(case, cells, tz="UTC")
    assert listed["format"] == "cells" and listed["imported"] == 2
    assert case.cells.set_index("key").loc["TWR-0343", "lat"] == 51.5  # longitude first: by heading
    report = import_file(case, records, tz="UTC", subject="Sam")
    assert not any("no cell list places" in w for w in report["warnings"])


def test_7_ipdr_format_column_keeps_mcc_and_mnc(tmp_path):
    path = write(tmp_path / "4g.csv", ["IPDR FORMAT,Circle Name,BTS Name,Latitude,Longitude",
                                       "405-854-1045-23011,Gujarat,Mill Lane,22.3,73.1"])
    case = Case.new()
    import_file(case, path, format="cells", tz="UTC")
    row = case.cells.iloc[0]
    assert (row["key"], int(row["mcc"]), int(row["mnc"]), row["site"]) == ("405-854-1045-23011", 405, 854,
                                                                           "Mill Lane")


# ----- 8. location history variants ------------------------------------------------------------------
def test_8_epoch_string_times_point_starts_and_timeline_edits(tmp_path):
    import json

    semantic = tmp_path / "2023_MARCH.json"
    semantic.write_text(json.dumps({"timelineObjects": [
        {"placeVisit": {"location": {"latitudeE7": 515000000, "longitudeE7": -1000000},
                        "duration": {"startTimestamp": "1677664800", "endTimestamp": "1677668400"}}},
        {"placeVisit": {"location": {"latitudeE7": 515100000, "longitudeE7": -1100000},
                        "duration": {"startTimestamp": "1677672000000"}}},
        {"someSummary": {}}]}))
    case = Case.new()
    report = import_file(case, semantic, tz="UTC", subject="Sam")
    assert report["imported"] == 2 and report["records_read"] == 3
    times = [t.isoformat() for t in case.locations["time"]]
    assert times == ["2023-03-01T10:00:00+00:00", "2023-03-01T12:00:00+00:00"]
    phone = tmp_path / "Timeline.json"
    phone.write_text(json.dumps({"semanticSegments": [
        {"startTime": "2023-03-01T10:00:00Z", "endTime": "2023-03-01T10:30:00Z",
         "activity": {"start": {"point": "51.5, -0.1"}, "end": {"latLng": "51.6°, -0.2°"},
                      "activityType": "WALKING"}}]}))
    report = import_file(case, phone, tz="UTC", subject="Sam")
    assert report["imported"] == 2 and report["rejected"] == 0
    edits = tmp_path / "Timeline Edits.json"
    edits.write_text(json.dumps({"timelineEdits": [{"deviceId": "1", "placeAggregates": {}}]}))
    with pytest.raises(Exception, match="Timeline Edits.json: the phone's edits to its timeline"):
        import_file(case, edits, tz="UTC", subject="Sam")


# ----- 10. KML MultiGeometry: one time, a point and a line ----------------------------------------
def test_10_multigeometry_time_dates_the_point_not_the_line(tmp_path):
    path = tmp_path / "trip.kml"
    path.write_text('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
                    "<Placemark><TimeStamp><when>2023-03-01T10:00:00Z</when></TimeStamp><MultiGeometry>"
                    "<Point><coordinates>-0.1,51.5</coordinates></Point>"
                    "<LineString><coordinates>-0.2,51.6 -0.3,51.7</coordinates></LineString>"
                    "</MultiGeometry></Placemark></Document></kml>", encoding="utf-8")
    case = Case.new()
    report = import_file(case, path, tz="UTC", subject="Sam")
    assert (report["imported"], report["rejected"]) == (1, 2)
    assert case.locations["lat"].tolist() == [51.5]


# ----- 6. a CSV of location fixes (GPS logger apps) --------------------------------------------------
def test_6_gps_logger_csv_is_location_fixes(tmp_path):
    path = write(tmp_path / "logger.csv", [
        "time,latitude,longitude,accuracy,activity,provider",
        "2023-03-01T10:00:00Z,51.5,-0.1,8,walking,gps",
        "2023-03-01 10:01:00,51.51,-0.11,12,in vehicle,network",
        "1677665000,51.52,-0.12,20,,",
        "2023-03-01T10:03:00Z,,,5,walking,gps",
    ])
    assert registry.detect(path).name == "fixes"
    case = Case.new()
    report = import_file(case, path, tz="Europe/London", subject="Sam")
    assert report["format"] == "fixes" and report["kinds"] == {"location": 3}
    assert (report["rows"], report["rejected"], report["records_read"]) == (4, 1, 4)
    locations = case.locations.sort_values("time")
    assert locations["accuracy_m"].tolist() == [8, 12, 20]
    assert locations["origin"].astype(str).tolist()[0] == "gps"
    assert [t.isoformat() for t in locations["time"]] == [
        "2023-03-01T10:00:00+00:00", "2023-03-01T10:01:00+00:00", "2023-03-01T10:03:20+00:00"]


# ----- 3. bulk A/B extracts with no direction and no target -----------------------------------------
def _bulk(tmp_path):
    callers = ["+447700900101", "+447700900102", "+447700900103", "+447700900104"]
    lines = ["Date,Time,A Number,B Number,Duration"]
    for i in range(8):
        lines.append(f"01/03/2023,10:{i:02d}:00,{callers[i % 4]},+44770090{i + 200:04d},30")
    lines.append(f"01/03/2023,11:00:00,{SAM},{BOB},30")
    return write(tmp_path / "bulk.csv", lines)


def test_3_bulk_extract_is_refused_by_originating_number_never_poured_onto_the_subject(tmp_path):
    from cellsight.importers.api import MultipleTargets

    case = Case.new()
    case.set_subject("Sam", numbers=[SAM])
    with pytest.raises(MultipleTargets, match="told apart by originating number") as refused:
        import_file(case, _bulk(tmp_path), tz="UTC", subject="Sam")
    assert len(refused.value.report["targets"]) == 5 and not case.sources
    report = import_file(case, _bulk(tmp_path), tz="UTC", split_by_target=True)
    assert report["imported"] == 9 and len(report["sources"]) == 5
    assert report["records_read"] == 9


def test_3_one_persons_undirected_records_are_not_a_bulk_extract(tmp_path):
    path = write(tmp_path / "one.csv", [
        "Date,Time,A Number,B Number,Duration",
        f"01/03/2023,10:00:00,{SAM},{BOB},30",
        f"01/03/2023,10:01:00,{VIC},{SAM},30",
        f"01/03/2023,10:02:00,{SAM},+447700900999,30",
    ])
    report = import_file(Case.new(), path, tz="UTC", subject="Sam")
    assert report["imported"] == 3 and "targets" not in report


# ----- 5. switch exports: teleservice codes, APN data sessions, ';' and padded values ----------------
def test_5_switch_export_with_teleservice_codes_and_access_points(tmp_path):
    case, report = imported(tmp_path / "switch.txt", [
        "CALLING_NUMBER ;CALLED_NUMBER  ;TELESERVICE;START_TIME     ;DURATION;APN",
        "447700900123   ;447700900456   ;11         ;20230301100000 ;65      ;",
        "447700900456   ;447700900123   ;21         ;20230301100500 ;0       ;",
        "447700900123   ;447700900456   ;22         ;20230301100600 ;0       ;",
        "447700900123   ;               ;           ;20230301101000 ;        ;internet.example",
    ], subject="Sam")
    ev = events_of(case, report)
    assert list(ev["kind"].astype(str)) == ["call", "sms", "sms", "data"]
    assert list(ev["direction"].astype(str))[1:3] == ["incoming", "outgoing"]
    assert ev["party_a"].tolist()[:3] == [SAM, BOB, SAM]
    assert report["rejected"] == 0


def test_12_a_site_address_with_no_position_is_listed_not_lost(tmp_path):
    case, report = imported(tmp_path / "site.csv", [
        "Date,Time,Calling Number,Called Number,Call Type,Cell ID,Site Address",
        f"01/03/2023,10:00:00,{SAM},{BOB},MOC,234-30-1045-2301,Mill Lane Leeds",
    ], subject="Sam")
    unused = {u["column"]: u["reason"] for u in report["unused_columns"]}
    assert unused["Site Address"].startswith("the serving site's address; no row gives")
    assert case.cells.empty
