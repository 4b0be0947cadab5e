"""Google location history: Records.json, Semantic Location History, Timeline.json (Android, iPhone)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.importers import registry, takeout
from cellsight.importers.base import ImportFailure, ImportOptions
from cellsight.importers.fixes import FixBuffer
from cellsight.progress import Cancelled, NullProgress
from tests.core.location_results import fixes, read_fixes


def write(path: Path, doc: object, bom: bool = False) -> Path:
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def read(path: Path, **options):
    return read_fixes(takeout, path, **options)


# ----- Records.json -------------------------------------------------------------------
RECORDS = {"locations": [
    {"latitudeE7": 515073510, "longitudeE7": -1277580, "accuracy": 12, "source": "GPS",
     "timestamp": "2023-03-18T14:02:11.123Z"},
    {"latitudeE7": 515074000, "longitudeE7": -1277000, "accuracy": 40, "source": "WIFI",
     "timestampMs": "1679148131000"},
    # longitude -0.1277580 written past the int32 wrap, as some exports do
    {"latitudeE7": 515073510, "longitudeE7": 2**32 - 1277580, "source": "CELL",
     "timestamp": "2023-03-18T14:10:00+01:00"},
    {"latitudeE7": 955073510, "longitudeE7": -1277580, "timestamp": "2023-03-18T14:11:00Z"},
    {"longitudeE7": -1277580, "timestamp": "2023-03-18T14:12:00Z"},
    {"latitudeE7": 515073510, "longitudeE7": -1277580},
    {"latitudeE7": 515073510, "longitudeE7": -1277580, "timestamp": "1901-12-13T20:45:52Z"},
    "not a record",
]}


def test_records_every_record_is_a_row(tmp_path: Path) -> None:
    result = read(write(tmp_path / "Records.json", RECORDS, bom=True))
    assert (result.rows, result.imported, result.rejected) == (8, 4, 4)
    reasons = dict(result.rejections)
    assert "out of range" in reasons["3"] and "latitude 95.5" in reasons["3"]
    assert reasons["4"] == "no latitude/longitude"
    assert "no time" in reasons["5"]
    assert reasons["7"] == "not a location record"
    got = fixes(result)
    assert got.loc["0", "time"] == pd.Timestamp("2023-03-18T14:02:11.123Z")
    assert got.loc["1", "time"] == pd.Timestamp(1679148131000, unit="ms", tz="UTC")
    assert got.loc["2", "time"] == pd.Timestamp("2023-03-18T13:10:00Z")
    assert got.loc["2", "lon"] == pytest.approx(-0.127758)
    assert list(got["origin"].loc[["0", "1", "2"]]) == ["gps", "wifi", "cell"]
    assert got.loc["0", "accuracy_m"] == 12 and pd.isna(got.loc["2", "accuracy_m"])
    assert got.loc["6", "time_flag"] == "implausible"
    assert result.tz_rule == "values"
    assert any("implausible" in w for w in result.warnings)


def test_sniff_and_detect(tmp_path: Path) -> None:
    path = write(tmp_path / "history.dat", RECORDS)
    assert registry.detect(path).name == "takeout"
    other = write(tmp_path / "other.json", {"type": "FeatureCollection", "features": []})
    assert takeout.sniff(other) == 0
    with pytest.raises(ImportFailure, match="other.json: not a Google location history"):
        takeout.read(other, ImportOptions(case_tz="Europe/London"), NullProgress())


def test_cancel(tmp_path: Path) -> None:
    progress = NullProgress()
    progress.cancel()
    with pytest.raises(Cancelled):
        takeout.read(write(tmp_path / "Records.json", RECORDS), ImportOptions(case_tz="Europe/London"), progress)


# ----- Semantic Location History ------------------------------------------------------
SEMANTIC = {"timelineObjects": [
    {"placeVisit": {"location": {"latitudeE7": 534808000, "longitudeE7": -22426000,
                                 "name": "Canal Wharf Café"},
                    "duration": {"startTimestamp": "2023-03-18T09:00:00Z",
                                 "endTimestamp": "2023-03-18T10:00:00Z"}}},
    {"activitySegment": {
        "startLocation": {"latitudeE7": 534808000, "longitudeE7": -22426000},
        "endLocation": {"latitudeE7": 534900000, "longitudeE7": -22500000},
        "duration": {"startTimestampMs": "1679130000000", "endTimestampMs": "1679131800000"},
        "activityType": "WALKING",
        "waypointPath": {"waypoints": [{"latE7": 534808000, "lngE7": -22426000},
                                       {"latE7": 534850000, "lngE7": -22460000},
                                       {"latE7": 534900000, "lngE7": -22500000}]},
        "simplifiedRawPath": {"points": [
            {"latE7": 534820000, "lngE7": -22440000, "timestampMs": "1679130300000",
             "accuracyMeters": 8},
            {"latE7": 534870000, "lngE7": -22480000, "timestamp": "2023-03-18T09:10:00Z"}]}}},
    {"activitySegment": {
        "startLocation": {}, "endLocation": {},
        "duration": {"startTimestamp": "2023-03-18T11:00:00Z", "endTimestamp": "2023-03-18T11:20:00Z"},
        "waypointPath": {"waypoints": [{"latE7": 534900000, "lngE7": -22500000},
                                       {"latE7": 534950000, "lngE7": -22550000},
                                       {"latE7": 535000000, "lngE7": -22600000}]}}},
]}


def test_semantic_visits_activities_and_paths(tmp_path: Path) -> None:
    result = read(write(tmp_path / "2023_MARCH.json", SEMANTIC))
    # visit 1; first segment: start, end, 3 waypoints, 2 raw points; second: start, end, 1 middle
    assert (result.rows, result.imported, result.rejected) == (11, 7, 4)
    got = fixes(result)
    visit = got.loc["0.placeVisit"]
    assert visit["origin"] == "visit" and "Canal Wharf Café" in visit["label"]
    assert "until 2023-03-18T10:00:00Z" in visit["label"]
    assert got.loc["1.activitySegment.start", "time"] == pd.Timestamp(1679130000000, unit="ms", tz="UTC")
    assert got.loc["1.activitySegment.end", "lat"] == pytest.approx(53.49)
    assert got.loc["1.activitySegment.simplifiedRawPath[0]", "accuracy_m"] == 8
    assert got.loc["1.activitySegment.simplifiedRawPath[1]", "time"] == pd.Timestamp("2023-03-18T09:10:00Z")
    # empty start/end locations: the ends of the drawn path stand in
    assert got.loc["2.activitySegment.start", "lat"] == pytest.approx(53.49)
    assert got.loc["2.activitySegment.end", "lat"] == pytest.approx(53.5)
    rejected = dict(result.rejections)
    assert set(rejected) == {"1.activitySegment.waypointPath[0]", "1.activitySegment.waypointPath[1]",
                             "1.activitySegment.waypointPath[2]", "2.activitySegment.waypointPath[1]"}
    assert all("no time" in reason for reason in rejected.values())


# ----- Timeline.json (Android) --------------------------------------------------------
def android_timeline(points: int = 20) -> dict:
    path = [{"point": f"53.{4800000 + i}°, -2.2426000°",
             "time": f"2023-03-26T00:{40 + i:02d}:00.000+00:00" if i < 20 else
             f"2023-03-26T02:{i - 20:02d}:00.000+01:00"} for i in range(points)]
    return {"semanticSegments": [
        {"startTime": "2023-03-26T00:40:00.000+00:00", "endTime": "2023-03-26T02:10:00.000+01:00",
         "timelinePath": path},
        {"startTime": "2023-03-26T03:00:00.000+01:00", "endTime": "2023-03-26T05:00:00.000+01:00",
         "startTimeTimezoneUtcOffsetMinutes": 60,
         "visit": {"topCandidate": {"semanticType": "HOME",
                                    "placeLocation": {"latLng": "53.4700000°, -2.2300000°"}}}},
        {"startTime": "2023-03-26T05:00:00.000+01:00", "endTime": "2023-03-26T05:30:00.000+01:00",
         "activity": {"start": {"latLng": "53.47°, -2.23°"}, "end": {"latLng": "53.48°, -2.24°"},
                      "topCandidate": {"type": "WALKING"}}},
        {"startTime": "2023-03-26T06:00:00.000+01:00", "endTime": "2023-03-26T07:00:00.000+01:00",
         "timelineMemory": {"destinations": []}},
    ], "rawSignals": [
        {"position": {"LatLng": "53.4808100°, -2.2426100°", "accuracyMeters": 10, "source": "WIFI",
                      "timestamp": "2023-03-26T09:30:00.000+01:00"}},
        {"wifiScan": {"deliveryTime": "2023-03-26T09:30:00.000+01:00", "devicesRecords": []}},
        {"position": {"LatLng": "not a place", "timestamp": "2023-03-26T09:31:00.000+01:00"}},
    ], "userLocationProfile": {"frequentPlaces": [{"placeLocation": "53.47°, -2.23°"}]}}


def test_android_timeline_path_of_twenty_points_is_twenty_rows(tmp_path: Path) -> None:
    result = read(write(tmp_path / "Timeline.json", android_timeline(22)))
    # 22 path points + 1 visit + 2 activity ends + 2 raw positions
    assert (result.rows, result.imported, result.rejected) == (27, 26, 1)
    assert result.rejections == [("rawSignals[2]", "no latitude/longitude")]
    got = fixes(result)
    path = got[got.index.str.contains("timelinePath")]
    assert len(path) == 22
    # across the spring change: 00:59 UTC, then 02:00+01:00 = 01:00 UTC
    assert got.loc["semanticSegments[0].timelinePath[19]", "time"] == pd.Timestamp("2023-03-26T00:59Z")
    assert got.loc["semanticSegments[0].timelinePath[20]", "time"] == pd.Timestamp("2023-03-26T01:00Z")
    visit = got.loc["semanticSegments[1].visit"]
    assert (visit["origin"], visit["lat"]) == ("visit", 53.47)
    assert visit["time"] == pd.Timestamp("2023-03-26T02:00Z")
    assert got.loc["semanticSegments[2].activity.end", "lon"] == -2.24
    assert got.loc["rawSignals[0]", "origin"] == "wifi" and got.loc["rawSignals[0]", "accuracy_m"] == 10
    skipped = " ".join(reason for _, reason in result.skipped)
    assert "timelineMemory" in skipped and "wifiScan" in skipped


def test_parts_in_unexpected_shapes_are_skipped_with_their_row(tmp_path: Path) -> None:
    """Nothing is dropped silently: an activity that is a text, a path that is an object,
    a segment holding a visit and a path, summaries and unknown arrays all say so."""
    doc = {
        "semanticSegments": [
            {"startTime": "2023-03-18T10:00:00Z", "endTime": "2023-03-18T10:30:00Z",
             "activity": "walking"},
            {"startTime": "2023-03-18T11:00:00Z", "endTime": "2023-03-18T11:30:00Z",
             "timelinePath": {"point": "53.48°, -2.24°"}},
            {"startTime": "2023-03-18T12:00:00Z", "endTime": "2023-03-18T12:30:00Z",
             "visit": {"topCandidate": {"placeLocation": {"latLng": "53.47°, -2.23°"}}},
             "timelinePath": [{"point": "53.46°, -2.22°", "time": "2023-03-18T12:10:00Z"}]},
            ["not", "a", "segment"],
        ],
        "rawSignals": {"position": "not an array"},
        "frequentPlaces": [{"placeId": "a"}, {"placeId": "b"}],
        "userLocationProfile": {"persona": {}},
    }
    result = read(write(tmp_path / "Timeline.json", doc))
    assert (result.rows, result.imported, result.rejected) == (2, 2, 0)
    assert set(fixes(result).index) == {"semanticSegments[2].visit",
                                        "semanticSegments[2].timelinePath[0]"}
    skipped = dict(result.skipped)
    assert skipped["semanticSegments[0].activity"] == "activity in an unexpected shape (a text); not read"
    assert "an object" in skipped["semanticSegments[1].timelinePath"]
    assert "a list" in skipped["semanticSegments[3]"]
    assert "rawSignals in an unexpected shape (an object)" in skipped["rawSignals"]
    assert skipped["frequentPlaces"] == "frequentPlaces: 2 entries that are not location records; not read"
    assert "no location records" in skipped["userLocationProfile"]
    semantic = read(write(tmp_path / "2023_MARCH.json", {"timelineObjects": [
        {"activitySegment": ["broken"]}, "text", {"placeVisit": {
            "location": {"latitudeE7": 534800000, "longitudeE7": -22400000},
            "duration": {"startTimestamp": "2023-03-18T10:00:00Z"}}}]}))
    assert (semantic.rows, semantic.imported) == (1, 1)
    assert dict(semantic.skipped) == {
        "0.activitySegment": "activitySegment in an unexpected shape (a list); not read",
        "1": "a timeline object in an unexpected shape (a text); not read"}


# ----- the iPhone variant -------------------------------------------------------------
IPHONE = [
    {"endTime": "2023-08-27T17:04:26.999-05:00", "startTime": "2023-08-27T15:48:56.000-05:00",
     "visit": {"hierarchyLevel": "0", "probability": "0.71",
               "topCandidate": {"probability": "0.78", "semanticType": "Unknown",
                                "placeLocation": "geo:27.720022,-97.347951"}}},
    {"endTime": "2023-08-28T00:00:00.000Z", "startTime": "2023-08-27T22:00:00.000Z",
     "timelinePath": [{"point": "geo:27.701123,-97.362988", "durationMinutesOffsetFromStartTime": "4"},
                      {"point": "geo:27.687173,-97.363743", "durationMinutesOffsetFromStartTime": "7"},
                      {"point": "geo:27.68,-97.36"}]},
    {"endTime": "2023-08-27T23:00:00.000Z", "startTime": "2023-08-27T22:30:00.000Z",
     "activity": {"start": "geo:27.70,-97.36", "end": "geo:27.69,-97.37",
                  "topCandidate": {"type": "walking"}, "distanceMeters": "123.0"}},
]


def test_iphone_array_with_geo_strings(tmp_path: Path) -> None:
    path = write(tmp_path / "location-history.json", IPHONE)
    assert registry.detect(path).name == "takeout"
    result = read(path)
    assert (result.rows, result.imported, result.rejected) == (6, 5, 1)
    got = fixes(result)
    assert got.loc["0.visit", "time"] == pd.Timestamp("2023-08-27T20:48:56Z")
    assert (got.loc["0.visit", "lat"], got.loc["0.visit", "lon"]) == (27.720022, -97.347951)
    assert got.loc["1.timelinePath[1]", "time"] == pd.Timestamp("2023-08-27T22:07:00Z")
    assert got.loc["2.activity.end", "time"] == pd.Timestamp("2023-08-27T23:00:00Z")
    assert result.rejections == [("1.timelinePath[2]", "no time: a fix needs one")]


# ----- the buffer behind every location importer --------------------------------------
@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(st.floats(-100, 100), st.floats(-200, 200),
                                 st.integers(0, 2_000_000_000)), max_size=40),
       chunk=st.integers(1, 7))
def test_chunked_buffer_equals_one_pass(points: list, chunk: int) -> None:
    def fill(buffer: FixBuffer) -> FixBuffer:
        for i, (lat, lon, seconds) in enumerate(points):
            buffer.add(str(i), lat, lon, time=pd.Timestamp(seconds, unit="s", tz="UTC").isoformat())
        return buffer

    chunked = fill(FixBuffer(zone="UTC", chunk=chunk))
    whole = fill(FixBuffer())
    a, b = chunked.finish(), whole.finish("UTC")
    pd.testing.assert_frame_equal(a, b)
    assert sorted(chunked.rejections) == sorted(whole.rejections)
    assert len(a) + len(chunked.rejections) == len(points) == chunked.rows
    off = sum(1 for lat, lon, _ in points if abs(lat) > 90 or abs(lon) > 180)
    assert len(chunked.rejections) == off
    assert all(not math.isnan(v) for v in a["lat"])


# ----- real files made by others (opt-in) ---------------------------------------------
REAL = {
    "google_records/dawarich_records.json": (3, 3),
    "google_semantic/dawarich_semantic_history.json": (6, 6),
    "google_semantic/dawarich_semantic_history_with_bom.json": (2, 2),
    "google_timeline_android/dawarich_phone-takeout_w_3_duplicates.json": (4, 4),
    "google_timeline_android/reitti_Zeitachse.json": (3, 3),
    "google_timeline_ios/dawarich_location-history.json": (11, 11),
}


@pytest.mark.realsamples
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_google_exports(real_samples: Path, name: str) -> None:
    path = real_samples / name
    assert registry.detect(path).name == "takeout"
    result = read(path)
    assert (result.rows, result.imported) == REAL[name]
    assert result.tz_rule == "values"


@pytest.mark.realsamples
def test_real_records_keep_accuracy_and_source(real_samples: Path) -> None:
    got = read(real_samples / "google_records" / "dawarich_records.json").locations
    assert got["accuracy_m"].tolist() == [150, 18000, 22]
    assert got["origin"].tolist() == ["unknown", "unknown", "wifi"]
    assert got["time"].iloc[0] == pd.Timestamp("2012-12-15T14:21:29.460Z")


@pytest.mark.realsamples
def test_real_iphone_offsets_and_minutes(real_samples: Path) -> None:
    got = fixes(read(real_samples / "google_timeline_ios" / "dawarich_location-history.json"))
    assert got.loc["0.visit", "time"] == pd.Timestamp("2023-08-27T20:48:56Z")  # -05:00
    assert got.loc["3.timelinePath[5]", "time"] == pd.Timestamp("2023-08-27T23:48:00Z")  # +108 min


# ----- end to end ---------------------------------------------------------------------
def test_cli_imports_takeout_and_refuses_hostile_json(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from cellsight.cli import main

    case = tmp_path / "case.cellsight"
    assert main(["new", str(case)]) == 0
    good = write(tmp_path / "Timeline.json", android_timeline(20))
    nested = tmp_path / "Records.json"
    nested.write_text('{"locations": [{"latitudeE7": 1, "deep": ' + "[" * 100_000 + "]" * 100_000
                      + "}]}", encoding="utf-8")
    capsys.readouterr()
    status = main(["import", "--assume-case-tz", str(case), str(good), str(nested), "--subject", "Sam", "--json"])
    out = capsys.readouterr()
    assert status == 2  # one file failed; the other still went in
    report, refused = json.loads(out.out)  # one object per file, the refused one with its error
    assert refused["file"] == "Records.json" and "nested too deeply" in refused["error"]
    assert (report["format"], report["rows"], report["imported"], report["rejected"]) == \
        ("takeout", 25, 24, 1)
    assert report["kinds"] == {"location": 24}
    assert "Records.json" in out.err and "nested too deeply" in out.err
    assert "Traceback" not in out.err
