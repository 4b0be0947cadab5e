"""Cell site lists: analyst spellings, OpenCelliD with and without header, OS grid, linking."""

from __future__ import annotations

import pandas as pd
import pytest

from cellsight.core.case import Case
from cellsight.importers import cells, registry
from cellsight.importers.api import import_file, unlinked_cells
from cellsight.importers.base import ImportFailure

OPENCELLID_ROWS = [
    "GSM,234,30,10451,23011,0,-0.1276,51.5072,1200,12,1,1343330328,1679235202,0",
    "UMTS,234,30,10451,123456789,301,-0.1300,51.5100,900,8,1,1343333041,1664971283,0",
    "LTE,234,30,501,12345678,0,-1.2577,51.7520,3000,30,1,1343333041,1664971341,0",
]
OPENCELLID_HEADER = "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal"


def cells_of(case, report):
    table = case.cells
    return table[table["source_id"].astype(str) == report["source_id"]].reset_index(drop=True)


@pytest.fixture
def case():
    return Case.new(name="cells")


@pytest.mark.parametrize("with_header", [True, False])
def test_opencellid_lon_before_lat(case, tmp_path, with_header):
    path = tmp_path / "ocid.csv"
    path.write_text("\n".join(([OPENCELLID_HEADER] if with_header else []) + OPENCELLID_ROWS) + "\n")
    assert registry.detect(path).name == "cells"
    report = import_file(case, path)
    assert (report["rows"], report["imported"], report["kinds"]) == (3, 3, {"cell": 3})
    assert report["subject"] is None
    got = cells_of(case, report)
    assert list(got["key"]) == ["234-30-10451-23011", "234-30-10451-123456789", "234-30-501-12345678"]
    assert got.loc[0, "lat"] == pytest.approx(51.5072) and got.loc[0, "lon"] == pytest.approx(-0.1276)
    assert list(got["technology"]) == ["GSM", "UMTS", "LTE"]
    assert list(got["range_m"]) == [1200, 900, 3000]
    assert list(got["source_row"]) == (["2", "3", "4"] if with_header else ["1", "2", "3"])
    assert got["azimuth"].isna().all()


def test_analyst_list_in_other_spellings(case, tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("\n".join([
        "Cell Site Export (invented)",
        "CGI;Site Name;Lat;Long;Bearing;Beam Width;Tech",
        "234-30-10451-23011;Thames House roof;51,4946;-0,1267;120;65;4G",
        "234-30-10451-23012;Thames House roof;51,4946;-0,1267;240;65;4G",
        "234-30-10451-23013;;;;0;65;4G",
        "234-30-10451-23014;Nowhere;123;0;0;65;2G",
    ]), encoding="cp1252")
    report = import_file(case, path)
    assert (report["rows"], report["imported"], report["rejected"]) == (4, 2, 2)
    assert report["rejections"] == [{"row": "5", "reason": "no usable position"},
                                    {"row": "6", "reason": "position out of range"}]
    got = cells_of(case, report)
    assert list(got["azimuth"]) == [120, 240] and list(got["beamwidth"]) == [65, 65]
    assert list(got["technology"]) == ["LTE", "LTE"]
    assert got.loc[0, "site"] == "Thames House roof" and got.loc[0, "lat"] == pytest.approx(51.4946)
    assert got.loc[0, "mcc"] == 234 and got.loc[0, "ci"] == 23011


def test_os_grid_easting_northing_to_wgs84(case, tmp_path):
    # Ordnance Survey's worked example: Caister water tower, 651409.903 E, 313177.270 N,
    # is 52°39'28.8282"N 1°42'57.7870"E in ETRS89 (= WGS84 to well under a metre here);
    # the Helmert transformation without grids is good to a few metres.
    path = tmp_path / "grid.csv"
    path.write_text("Cell ID,LAC,Easting,Northing,Azimuth\n23011,10451,651409.903,313177.270,90\n"
                    "23012,10451,-5,313177,90\n")
    report = import_file(case, path)
    assert report["rejections"] == [{"row": "3", "reason": "position out of range"}]
    got = cells_of(case, report)
    assert got.loc[0, "key"] == "?-?-10451-23011"
    assert got.loc[0, "lat"] == pytest.approx(52 + 39 / 60 + 28.8282 / 3600, abs=0.0001)
    assert got.loc[0, "lon"] == pytest.approx(1 + 42 / 60 + 57.7870 / 3600, abs=0.0001)
    assert "EPSG:27700" in case.sources[-1].parameters["grid"]


def test_names_that_are_not_cgis_are_kept_and_link_by_name(case, tmp_path):
    towers = tmp_path / "towers.csv"
    towers.write_text('cell_id,latitude,longitude,operator,address\nTOWER-0343,51.5,-0.1,Invented,'
                      '"1, High Street"\n')
    records = tmp_path / "cdr.csv"
    records.write_text("timestamp,caller,recipient,cell_tower_id\n"
                       "2024-01-15 09:30:00,07700900123,07700900456,TOWER-0343\n"
                       "2024-01-15 09:31:00,07700900123,07700900456,TOWER-9999\n")
    report = import_file(case, records, subject="Alice", tz="UTC")
    assert set(unlinked_cells(case)["cell"]) == {"TOWER-0343", "TOWER-9999"}
    assert any("2 events name 2 cells" in w for w in report["warnings"])
    listed = import_file(case, towers)
    assert cells_of(case, listed).loc[0, "site"] == "1, High Street"
    assert list(unlinked_cells(case)["cell"]) == ["TOWER-9999"]


def test_events_without_mcc_mnc_link_by_lac_and_ci_once_a_list_arrives(case, tmp_path):
    records = tmp_path / "cdr.csv"
    records.write_text("Date/Time,A Number,B Number,Type,LAC,CI\n"
                       "01/02/2023 10:00,07700900123,07700900456,MOC,10451,23011\n"
                       "01/02/2023 10:05,07700900123,07700900456,MOC,10451,23011\n"
                       "01/02/2023 10:09,07700900123,07700900456,MOC,777,1\n")
    report = import_file(case, records, subject="Alice", tz="UTC")
    unlinked = unlinked_cells(case)
    assert unlinked.to_dict("records") == [
        {"source_id": report["source_id"], "cell": "?-?-10451-23011", "events": 2},
        {"source_id": report["source_id"], "cell": "?-?-777-1", "events": 1}]
    assert len(case.events) == 3  # never dropped
    ocid = tmp_path / "ocid.csv"
    ocid.write_text("\n".join(OPENCELLID_ROWS) + "\n")
    import_file(case, ocid)
    assert unlinked_cells(case).to_dict("records") == [
        {"source_id": report["source_id"], "cell": "?-?-777-1", "events": 1}]


def test_first_and_last_cell_count_once_per_event(case, tmp_path):
    records = tmp_path / "fl.csv"
    records.write_text("Start,From,To,Type,First CGI,Last CGI\n"
                       "2023-02-01 10:00:00,07700900123,07700900456,MOC,234-30-1-1,234-30-1-1\n"
                       "2023-02-01 10:05:00,07700900123,07700900456,MOC,234-30-1-1,234-30-1-2\n")
    import_file(case, records, subject="Alice", tz="UTC")
    got = unlinked_cells(case).set_index("cell")["events"].to_dict()
    assert got == {"234-30-1-1": 2, "234-30-1-2": 1}


def test_empty_radio_in_an_opencellid_file_is_rejected_with_a_reason(case, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(OPENCELLID_HEADER + "\n" + OPENCELLID_ROWS[0] + "\n" + OPENCELLID_ROWS[1][4:] + "\n")
    report = import_file(case, path)
    assert report["rejections"] == [{"row": "3", "reason": "no radio type"}]


@pytest.mark.parametrize("header, role", [
    ("Cell ID", "ci"), ("CGI", "cell"), ("Site Name", "site"), ("Latitude", "lat"), ("lng", "lon"),
    ("Easting", "easting"), ("Northing", "northing"), ("Azimuth", "azimuth"), ("Beamwidth", "beamwidth"),
    ("Technology", "technology"), ("radio", "technology"), ("net", "mnc"), ("area", "lac"),
    ("range", "range"), ("samples", None),
])
def test_cell_vocabulary(header, role):
    assert cells.cell_role(header) == role


def test_call_records_are_not_taken_for_a_cell_list(tmp_path):
    path = tmp_path / "cdr_with_sites.csv"
    path.write_text("Date,Time,Calling Number,Called Number,Cell ID,Cell Latitude,Cell Longitude\n"
                    "01/02/2023,10:00,07700900123,07700900456,23011,51.5,-0.1\n")
    assert registry.detect(path).name == "cdr"


def test_key_helpers():
    lac = pd.Series(["10451", "10451.0", "", None], dtype="str")
    ci = pd.Series(["23011", "23011", "1", "2"], dtype="str")
    assert cells.keys_from_parts(lac, ci).tolist()[:2] == ["?-?-10451-23011"] * 2
    assert cells.keys_from_parts(lac, ci)[2:].isna().all()
    assert cells.eci_from_enodeb(pd.Series(["48225"]), pd.Series(["3"])).tolist() == [str(48225 * 256 + 3)]
    assert cells.keys_from_text(pd.Series(["234 30 10451 23011", "10451/23011", " Mast 7 ", ""])).tolist()[:3] \
        == ["234-30-10451-23011", "?-?-10451-23011", "Mast 7"]


def test_a_list_without_positions_is_refused_naming_the_file(case, tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("Cell ID,LAC,Azimuth\n23011,10451,120\n")
    with pytest.raises(ImportFailure, match=r"^ids.csv: no header row"):
        import_file(case, path, format="cells")
    assert case.sources == []


def test_impossible_sector_geometry_is_blanked_with_a_warning_and_the_cell_kept(case, tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text("Cell ID,Site Name,Latitude,Longitude,Azimuth,Beamwidth,Range\n"
                    "234-30-10451-23011,Mill Lane,53.48,-2.24,400,65,1500\n"
                    "234-30-10451-23012,Mill Lane,53.48,-2.24,120,0,1e20\n"
                    "234-30-10451-23013,Mill Lane,53.48,-2.24,240,65,1500\n")
    report = import_file(case, path)
    assert (report["imported"], report["rejected"]) == (3, 0)
    geometry = case.cells.set_index("key")[["azimuth", "beamwidth", "range_m"]]
    assert pd.isna(geometry.loc["234-30-10451-23011", "azimuth"])
    assert pd.isna(geometry.loc["234-30-10451-23012", "beamwidth"])
    assert pd.isna(geometry.loc["234-30-10451-23012", "range_m"])
    assert geometry.loc["234-30-10451-23013"].tolist() == [240.0, 65.0, 1500.0]
    warnings = " ".join(report["warnings"])
    assert "impossible azimuth" in warnings and "rows 2" in warnings
    assert "impossible beamwidth" in warnings and "impossible range_m" in warnings


def test_a_list_without_mcc_mnc_links_call_records_that_write_the_full_cgi():
    from cellsight.core.cellkeys import resolve

    cells_table = pd.DataFrame({"key": ["?-?-10451-23011", "234-30-10452-23013", "234-15-10452-23013"]})
    keys = pd.Series(["234-30-10451-23011", "234-20-10451-23011", "?-?-10452-23013",
                      "234-30-10452-23013", "234-10-10452-23013", None])
    # The full key links to the network-less listing; an ambiguous LAC-CI pair and a
    # full key of another network with both listed fully never link.
    assert resolve(keys, cells_table).tolist() == [0, 0, -1, 1, -1, -1]


def test_a_cell_list_names_the_columns_it_leaves_unread(case, tmp_path):
    """Every column no role takes is listed, as for call records: what the officer's file said is never
    passed over in silence; a column of blanks and dashes is called empty."""
    path = tmp_path / "masts.csv"
    path.write_text("\n".join([
        "cell_id,latitude,longitude,operator,installed,notes",
        "234-30-10451-23011,51.4946,-0.1267,Invented Mobile,2021-04-01,-",
        "234-30-10451-23012,51.4950,-0.1270,Invented Mobile,2022-09-12,",
    ]), encoding="utf-8")
    report = import_file(case, path)
    assert report["imported"] == 2
    assert report["unused_columns"] == [
        {"column": "operator", "reason": "not a column Cellsight reads in a cell list"},
        {"column": "installed", "reason": "not a column Cellsight reads in a cell list"},
        {"column": "notes", "reason": "empty"}]
