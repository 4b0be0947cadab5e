"""GPX tracks, routes and waypoints; KML placemarks, gx:Track and gx:MultiTrack; KMZ."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cellsight.importers import gpx, kml, registry
from cellsight.importers.base import ImportFailure, ImportOptions
from cellsight.progress import NullProgress
from tests.core.location_results import fixes, read_fixes


run = read_fixes


# ----- GPX ----------------------------------------------------------------------------
GPX_11 = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <metadata><name>not a track name</name><time>2023-03-01T00:00:00Z</time></metadata>
 <wpt lat="53.4808" lon="-2.2426"><time>2023-03-18T13:00:00Z</time><name>Home</name></wpt>
 <wpt lat="53.4700" lon="-2.2300"><name>Planned stop</name></wpt>
 <trk><name>Evening</name>
  <trkseg>
   <trkpt lat="53.4810" lon="-2.2430"><ele>40</ele><time>2023-03-18T18:00:00+00:00</time></trkpt>
   <trkpt lat="53.4812" lon="-2.2432"><time>2023-03-18T19:00:05+01:00</time></trkpt>
   <trkpt lat="53.4814" lon="-2.2434"></trkpt>
  </trkseg>
  <trkseg>
   <trkpt lat="91.0" lon="-2.2436"><time>2023-03-18T18:02:00Z</time></trkpt>
   <trkpt lat="53.4818" lon="-2.2438"><time>2023-03-18T18:03:00Z</time></trkpt>
  </trkseg>
 </trk>
 <rte><name>Route</name><rtept lat="53.49" lon="-2.25"/><rtept lat="53.50" lon="-2.26"/></rte>
</gpx>
"""


def test_gpx_points_with_and_without_times(tmp_path: Path) -> None:
    path = tmp_path / "walk.gpx"
    path.write_text(GPX_11, encoding="utf-8")
    result = run(gpx, path)
    # 2 waypoints + 5 track points + 2 route points
    assert (result.rows, result.imported, result.rejected) == (9, 4, 5)
    reasons = dict(result.rejections)
    assert set(reasons) == {"wpt[2]", "trk[1].trkseg[1].trkpt[3]", "trk[1].trkseg[2].trkpt[1]",
                            "rte[1].rtept[1]", "rte[1].rtept[2]"}
    assert reasons["wpt[2]"] == "no time: a fix needs one"
    assert "out of range" in reasons["trk[1].trkseg[2].trkpt[1]"]
    got = fixes(result)
    assert got.loc["trk[1].trkseg[1].trkpt[2]", "time"] == pd.Timestamp("2023-03-18T18:00:05Z")
    assert got.loc["trk[1].trkseg[1].trkpt[1]", "origin"] == "gps"
    assert got.loc["trk[1].trkseg[1].trkpt[1]", "label"] == "Evening"
    assert got.loc["wpt[1]", "label"] == "waypoint: Home" and got.loc["wpt[1]", "origin"] == "unknown"
    assert got.loc["trk[1].trkseg[2].trkpt[2]", "lat"] == 53.4818


def test_gpx_apple_hacc_is_the_fix_accuracy(tmp_path: Path) -> None:
    path = tmp_path / "route.gpx"
    path.write_text('<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
                    '<trkpt lon="-2.2426" lat="53.4808"><ele>40</ele><time>2023-03-18T13:00:00Z</time>'
                    "<extensions><speed>1.2</speed><course>90</course><hAcc>4.5</hAcc><vAcc>3</vAcc>"
                    "</extensions></trkpt>"
                    '<trkpt lon="-2.2427" lat="53.4809"><time>2023-03-18T13:00:01Z</time></trkpt>'
                    "</trkseg></trk></gpx>", encoding="utf-8")
    got = run(gpx, path).locations["accuracy_m"].tolist()
    assert got[0] == 4.5 and pd.isna(got[1])


def test_gpx_10_with_local_times_uses_the_given_zone(tmp_path: Path) -> None:
    path = tmp_path / "old.gpx"
    path.write_text('<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0"><trk><trkseg>'
                    '<trkpt lat="53.48" lon="-2.24"><time>2023-10-29T01:30:00</time></trkpt>'
                    '<trkpt lat="53.48" lon="-2.24"><time>2023-07-01T12:00:00</time></trkpt>'
                    '</trkseg></trk></gpx>', encoding="utf-8")
    assert registry.detect(path).name == "gpx"
    result = run(gpx, path, tz="Europe/London")
    assert result.locations["time"].tolist() == [pd.Timestamp("2023-10-29T00:30Z"),
                                                 pd.Timestamp("2023-07-01T11:00Z")]
    assert result.locations["time_flag"].tolist() == ["dst_ambiguous", ""]
    assert (result.tz, result.tz_rule) == ("Europe/London", "option")
    assumed = run(gpx, path, case_tz="Europe/Paris")
    assert assumed.tz_rule == "assumed" and assumed.tz == "Europe/Paris"
    assert assumed.locations["time"].iloc[1] == pd.Timestamp("2023-07-01T10:00Z")


# ----- KML ----------------------------------------------------------------------------
KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>Export</name>
 <Placemark><name>Stamped</name><TimeStamp><when>2023-03-18T14:00:00Z</when></TimeStamp>
  <Point><coordinates>-2.2426,53.4808,12</coordinates></Point></Placemark>
 <Placemark><name>Span</name><TimeSpan><begin>2023-03-18T15:00:00+01:00</begin>
  <end>2023-03-18T16:00:00+01:00</end></TimeSpan>
  <Point><coordinates>-2.2300,53.4700</coordinates></Point></Placemark>
 <Placemark><name>Timeless</name><Point><coordinates>-2.23,53.47</coordinates></Point></Placemark>
 <Placemark id="trip"><name>Trip</name>
  <gx:MultiTrack>
   <gx:Track>
    <when>2023-03-18T17:00:00Z</when><when>2023-03-18T17:00:10Z</when>
    <gx:coord>-2.2426 53.4808 40</gx:coord><gx:coord>-2.2427 53.4809 41</gx:coord>
   </gx:Track>
   <gx:Track>
    <when>2023-03-18T18:00:00Z</when>
    <gx:coord>-2.2500 53.4900 40</gx:coord><gx:coord>-2.2501 53.4901 40</gx:coord>
   </gx:Track>
  </gx:MultiTrack></Placemark>
 <Placemark><name>Drive</name><TimeSpan><begin>2023-03-18T19:00:00Z</begin>
  <end>2023-03-18T19:30:00Z</end></TimeSpan>
  <LineString><coordinates>-2.20,53.40,0 -2.21,53.41,0 -2.22,53.42,0</coordinates></LineString>
 </Placemark>
 <Placemark><name>Area</name><Polygon><outerBoundaryIs><LinearRing>
  <coordinates>-2.2,53.4 -2.3,53.4 -2.3,53.5 -2.2,53.4</coordinates></LinearRing></outerBoundaryIs>
  </Polygon></Placemark>
</Document></kml>
"""


def test_kml_placemarks_tracks_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.kml"
    path.write_text(KML, encoding="utf-8")
    result = run(kml, path)
    # 3 points, 2 + 2 track points, 3 line points; the polygon is not a row
    assert (result.rows, result.imported, result.rejected) == (10, 7, 3)
    reasons = dict(result.rejections)
    assert reasons == {
        "Placemark[3].Point[1]": "no time: a fix needs one",
        "Placemark[4].Track[2].coord[2]": "a coordinate without a time (the track has fewer "
                                          "<when> than <gx:coord>)",
        "Placemark[5].LineString[1].coord[2]": "a point of a line with no time of its own"}
    got = fixes(result)
    # gx:coord is longitude first
    first = got.loc["Placemark[4].Track[1].coord[1]"]
    assert (first["lat"], first["lon"], first["time"]) == (53.4808, -2.2426,
                                                            pd.Timestamp("2023-03-18T17:00Z"))
    assert got.loc["Placemark[4].Track[1].coord[2]", "label"] == "track: Trip"
    assert got.loc["Placemark[2].Point[1]", "time"] == pd.Timestamp("2023-03-18T14:00Z")
    assert "until 2023-03-18T16:00:00+01:00" in got.loc["Placemark[2].Point[1]", "label"]
    assert got.loc["Placemark[5].LineString[1].coord[3]", "time"] == pd.Timestamp("2023-03-18T19:30Z")
    assert got.loc["Placemark[1].Point[1]", "lon"] == -2.2426
    assert result.skipped == [("-", "1 polygons: areas, not positions")]


def test_kmz_is_read_in_place(tmp_path: Path) -> None:
    path = tmp_path / "export.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("files/icon.png", b"\x89PNG")
        archive.writestr("doc.kml", KML)
    assert registry.detect(path).name == "kml"
    result = run(kml, path)
    assert (result.rows, result.imported) == (10, 7)


def test_kmz_without_kml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(ImportFailure, match=r"empty.kmz: the archive holds no KML document"):
        kml.read(path, ImportOptions(case_tz="Europe/London"), NullProgress())


# ----- real files made by others (opt-in) ---------------------------------------------
REAL = {
    "gpx/dawarich_arc_example.gpx": ("gpx", 7),
    "gpx/gpxpy_Mojstrovka.gpx": ("gpx", 184),
    "gpx/gpxpy_around-visnjan-with-car.gpx": ("gpx", 104),
    "kml/togeojson_gxmultitrack.kml": ("kml", 28),
    "kml/togeojson_multitrack.kml": ("kml", 18),
    "kml/dawarich_points_with_timestamps.kmz": ("kml", 3),
}


@pytest.mark.realsamples
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_tracks(real_samples: Path, name: str) -> None:
    path = real_samples / name
    importer = registry.detect(path)
    assert importer.name == REAL[name][0]
    result = run(gpx if importer.name == "gpx" else kml, path)
    assert (result.rows, result.imported, result.rejected) == (REAL[name][1], REAL[name][1], 0)


@pytest.mark.realsamples
def test_real_broken_clock_is_imported_and_flagged(real_samples: Path) -> None:
    result = run(gpx, real_samples / "gpx" / "gpxpy_Mojstrovka.gpx")
    assert set(result.locations["time_flag"]) == {"implausible"}
    assert result.locations["time"].dt.year.unique().tolist() == [1901]
    assert any("implausible" in w for w in result.warnings)


@pytest.mark.realsamples
def test_real_arc_times_with_offsets(real_samples: Path) -> None:
    got = run(gpx, real_samples / "gpx" / "dawarich_arc_example.gpx").locations
    assert got["time"].iloc[1] == pd.Timestamp("2024-12-18T01:44:09Z")  # 08:44:09+07:00
    assert got["label"].iloc[1] == "taxi"
