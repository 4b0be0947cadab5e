"""The phones as witnesses: indicator matches, Wi-Fi joins, photo fixes, from UFDR zips made here.

Two downloads: the victim's phone holds one stalkerware app and one watchware
app among ordinary apps (some named or identified like an indicator, never
matched), her home network and a photograph of each time basis; the suspect's
phone saved her home network under another spelling of its BSSID.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import proximity
from cellsight.analysis.devices import device_findings
from cellsight.cli import main
from cellsight.core.bssid import normalise_bssid
from cellsight.core.case import Case, CaseError
from cellsight.core.casefile import open_case, save_case
from cellsight.core.indicators import for_case, update
from cellsight.importers.api import import_file
from cellsight.report.devices import finding_lines, statement_lines, summary_line
from tests.core.device_data import HOME, app, call, device_case, jpeg, phone_download

@pytest.fixture
def case(tmp_path: Path) -> Case:
    return device_case(tmp_path)


def _phone(phones: list[dict], subject: str) -> dict:
    return next(p for p in phones if p["subject"] == subject)


def test_exact_identifiers_match_and_look_alikes_do_not(case: Case) -> None:
    alice = _phone(device_findings(case), "Alice")
    assert alice["installed_apps"] == 7
    assert [(a["package"], a["indicator"], a["type"], a["row"]) for a in alice["apps"]] == [
        ("com.mxspy", "TheTruthSpy", "stalkerware", "a-spy"),
        ("com.wondershare.famisafe.kids", "FamiSafe", "watchware", "a-watch")]
    assert alice["apps"][0]["installed"] == "2024-03-01T09:15:00+00:00"  # GMT in March
    assert alice["apps"][1]["permissions"] == []
    # Only the unmatched app with a watched permission is a lead; the matched one is a finding already.
    assert [(a["package"], a["permissions"]) for a in alice["to_look_at"]] == [
        ("org.example.reader", ["accessibility service"])]
    assert alice["bluetooth"] == [{"name": "Car kit", "address": "00:11:22:33:44:55", "last": None, "row": "b-1"}]


def test_saved_networks_join_the_place_and_the_other_phone(case: Case) -> None:
    phones = device_findings(case)
    alice, dan = _phone(phones, "Alice"), _phone(phones, "Dan")
    home = dan["wifi"][0]
    assert (home["bssid"], home["place"], home["row"]) == ("aa:bb:cc:00:11:22", "Home", "s-home")
    assert home["last"] == "2024-03-04T23:10:00+00:00"
    assert [(o["subject"], o["exhibit"], o["row"]) for o in home["shared_with"]] == [("Alice", "AM/1", "w-home")]
    assert (dan["wifi"][1]["place"], dan["wifi"][1]["shared_with"]) == (None, [])
    assert [(w["row"], w["place"], len(w["shared_with"])) for w in alice["wifi"]] == [
        ("w-home", "Home", 1), ("w-cafe", None, 0)]
    lines = finding_lines(case, phones)
    assert sum("saved on both" in line for line in lines) == 1  # one network, told once
    assert any("Dan's phone (DR/1 model s-home) had saved the Wi-Fi network Maple-Home" in line for line in lines)
    assert lines[0].startswith("Alice's phone (AM/1 model a-spy) lists an installed app System Service")


def test_photos_become_fixes_with_their_time_basis(case: Case) -> None:
    loc = case.locations[case.locations["origin"] == "photo"].set_index("source_row")
    assert sorted(loc.index) == ["files/Image/gps.jpg", "files/Image/offset.jpg", "files/Image/zone.jpg",
                                 "files/Video/VID_20240304_224500.mp4"]
    clip = loc.loc["files/Video/VID_20240304_224500.mp4"]
    assert clip["time"] == pd.Timestamp("2024-03-04T22:45:00Z")  # mvhd read in Dan's download's zone, UTC
    assert clip["label"] == "video VID_20240304_224500.mp4 (position: ©xyz; time: mvhd, zone rule)"
    assert loc.loc["files/Image/gps.jpg", "lat"] == pytest.approx(HOME[0], abs=1e-6)
    assert loc.loc["files/Image/gps.jpg", "lon"] == pytest.approx(HOME[1], abs=1e-6)
    assert loc.loc["files/Image/gps.jpg", "time"] == pd.Timestamp("2024-03-02T13:45:10Z")
    assert loc.loc["files/Image/offset.jpg", "time"] == pd.Timestamp("2024-07-01T08:00:00Z")
    assert loc.loc["files/Image/zone.jpg", "time"] == pd.Timestamp("2024-07-01T09:00:00Z")  # BST, --tz
    rejected = case.rejections.set_index("row")["reason"]
    assert rejected["files/Image/notime.jpg"].startswith("no time")
    assert "files/Image/plain.jpg" not in rejected.index  # no position: not a location record
    assert _phone(device_findings(case), "Alice")["photo_fixes"] == 3
    assert _phone(device_findings(case), "Dan")["photo_fixes"] == 1


def test_photo_fixes_enter_proximity_only_when_included(case: Case) -> None:
    without = proximity.run(case, "Alice", place="Home")
    with_photos = proximity.run(case, "Alice", place="Home", include_photos=True)
    assert len(without.occasions) == 0 and len(with_photos.occasions) == 1
    assert "not included" in without.method_statement
    assert "are included" in with_photos.method_statement


def test_officer_indicator_files_replace_the_bundled_copy(case: Case, tmp_path: Path) -> None:
    newer = tmp_path / "watchware.yaml"
    newer.write_text("- name: NewWatch\n  type: watchware\n  packages:\n  - org.example.reader\n", encoding="utf-8")
    update(case, [newer])
    files = {f["file"]: f for f in for_case(case).files}
    assert files["watchware.yaml"]["origin"] == "officer" and files["watchware.yaml"]["entries"] == 1
    assert files["ioc.yaml"]["origin"] == "bundled"
    alice = _phone(device_findings(case), "Alice")
    assert [(a["package"], a["indicator"]) for a in alice["apps"]] == [
        ("com.mxspy", "TheTruthSpy"), ("org.example.reader", "NewWatch")]
    assert alice["to_look_at"] == []


@pytest.mark.parametrize("text, words", [
    ("- name: x\n  type: spyware\n", "type 'spyware'"),
    ("!!python/object/apply:os.system ['true']\n", "not readable YAML"),
    ("name: x\n", "not an indicator file"),
    ("- name: x\n  type: watchware\n  packages: com.example\n", "packages is not a list"),
])
def test_bad_indicator_files_change_nothing(case: Case, tmp_path: Path, text: str, words: str) -> None:
    bad = tmp_path / "ioc.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError, match=words):
        update(case, [bad])
    assert "indicators" not in case.extras


def test_report_lines_state_the_limits(case: Case) -> None:
    phones = device_findings(case)
    line = summary_line(phones)
    assert line.startswith("The phone downloads show 2 installed apps whose identifier the indicator files list as "
                           "stalkerware or watchware (on Alice's phone); a Wi-Fi network of Home saved on Alice's "
                           "phone and Dan's phone; 1 Wi-Fi network saved on two subjects' phones ({page:devices}).")
    assert "not proof" in line and "not show who installed it" in line
    statement = statement_lines(case)
    assert any("AM/1 model a-spy" in s and "TheTruthSpy" in s for s in statement)


def test_no_findings_no_lines(tmp_path: Path) -> None:
    case = Case.new(name="Quiet", tz="UTC")
    import_file(case, phone_download(tmp_path / "q.ufdr", apps=[app("x", "org.example.maps", "Maps")]),
                subject="Quiet", tz="UTC")
    phones = device_findings(case)
    assert phones[0]["apps"] == [] and summary_line(phones) is None and statement_lines(case) == []


def test_cli_place_bssid_device_and_indicators(case: Case, tmp_path: Path, capsys) -> None:
    path = tmp_path / "case.cellsight"
    save_case(case, path)
    assert main(["place", str(path), "Home", "--bssid", "AABB.CC00.1133", "--bssid", "aa:bb:cc:00:11:22"]) == 0
    capsys.readouterr()
    assert main(["info", str(path), "--json"]) == 0
    places = json.loads(capsys.readouterr().out)["places"]
    assert places[0]["bssids"] == ["aa:bb:cc:00:11:22", "aa:bb:cc:00:11:33"]
    assert main(["place", str(path), "Home", "--bssid", "aa:bb:cc"]) == 2
    assert "not a BSSID" in capsys.readouterr().err
    assert main(["device", str(path), "--subject", "Dan", "--json"]) == 0
    dan = json.loads(capsys.readouterr().out)
    assert len(dan) == 1 and set(dan[0]) >= {"source", "exhibit", "subject", "apps", "to_look_at", "wifi",
                                           "photo_fixes", "bluetooth", "indicators"}
    assert dan[0]["indicators"]["entries"] == 174 and len(dan[0]["indicators"]["files"]) == 2
    newer = tmp_path / "ioc.yaml"
    newer.write_text("- name: Other\n  type: stalkerware\n  packages:\n  - org.example.other\n", encoding="utf-8")
    assert main(["indicators", str(path), "--update", str(newer), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["entries"] == 1 + 27
    reopened = open_case(path)
    assert reopened.extras["indicators"]["files"][-1]["sha256"] == doc["files"][-1]["sha256"]
    assert any(a == "update indicators" for a in reopened.audit["action"])


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-", ""]), st.booleans())
def test_any_spelling_of_a_bssid_is_one_form(raw: bytes, sep: str, upper: bool) -> None:
    text = sep.join(f"{b:02x}" for b in raw)
    text = text.upper() if upper else text
    assert normalise_bssid(text) == ":".join(f"{b:02x}" for b in raw)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20))
def test_only_twelve_hex_digits_are_a_bssid(text: str) -> None:
    result = normalise_bssid(text)
    if result is not None:
        assert len(result) == 17 and result == normalise_bssid(result)
        assert sum(c in "0123456789abcdefABCDEF" for c in text) == 12


def test_storyboard_gains_the_section_the_summary_line_and_the_indicator_files(case: Case) -> None:
    from cellsight.report.devices import add_device_findings
    from cellsight.report.pdf import Section
    from cellsight.report.storyboard import Frame

    figures = Frame("table", caption="Key figures", content={"columns": ["Figure"], "rows": []})
    summary, exhibits = Section("Summary", [figures]), Section("Exhibits", [])
    added = add_device_findings(case, summary=summary, exhibits=exhibits)
    assert [s.title for s in added] == ["Device findings"]
    assert summary.frames[0].caption == "Device findings" and summary.frames[-1].caption == "Key figures"
    rows = exhibits.frames[0].content["rows"]
    assert [(r[0], r[1], r[3]) for r in rows] == [("ioc.yaml", "shipped with Cellsight", 147),
                                                 ("watchware.yaml", "shipped with Cellsight", 27)]
    media = next(f for f in added[0].frames if f.caption.startswith("Photograph and video positions"))
    assert [r[:3] + r[4:] for r in media.content["rows"]] == [
        ["AM/1 file files/Image/gps.jpg", "Alice", "photo gps.jpg (time: gps (UTC))", "Sat 2 Mar 2024 13:45:10 GMT"],
        ["DR/1 file files/Video/VID_20240304_224500.mp4", "Dan",
         "video VID_20240304_224500.mp4 (position: ©xyz; time: mvhd, zone rule)", "Mon 4 Mar 2024 22:45:00 GMT"],
        ["AM/1 file files/Image/offset.jpg", "Alice", "photo offset.jpg (time: written offset)",
         "Mon 1 Jul 2024 09:00:00 BST"],
        ["AM/1 file files/Image/zone.jpg", "Alice", "photo zone.jpg (time: zone rule)", "Mon 1 Jul 2024 10:00:00 BST"]]
    apps = next(f for f in added[0].frames if f.caption.startswith("Installed apps"))
    assert [r[:2] + r[3:6] for r in apps.content["rows"]] == [
        ["AM/1 model a-spy", "Alice", "com.mxspy", "TheTruthSpy", "stalkerware"],
        ["AM/1 model a-watch", "Alice", "com.wondershare.famisafe.kids", "FamiSafe", "watchware"]]


@settings(max_examples=40, deadline=None)
@given(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9))
def test_any_exif_position_reads_back(lat: float, lon: float) -> None:
    from cellsight.importers.photo_exif import photo_fix

    found = photo_fix(jpeg(lat, lon, gps_utc=("2024:03:02", (23, 59, 59))))
    assert found.lat == pytest.approx(lat, abs=1e-6) and found.lon == pytest.approx(lon, abs=1e-6)
    assert found.time == "2024-03-02T23:59:59Z"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 299))
def test_hostile_headers_give_no_fix_and_no_error(noise: bytes, cut: int) -> None:
    from cellsight.importers.photo_exif import PhotoFix, photo_fix

    real = jpeg(*HOME, gps_utc=("2024:03:02", (13, 45, 10)))
    for data in (b"\xff\xd8" + noise, real[:cut] + noise):  # noise, or truncated and corrupted EXIF
        found = photo_fix(data)
        assert found is None or isinstance(found, PhotoFix)


def test_ios_bundle_identifiers_match_too(tmp_path: Path) -> None:
    case = Case.new(name="iPhone", tz="UTC")
    download = phone_download(tmp_path / "i.ufdr", apps=[app("i-1", "com.life360.safetymap", "Life360"),
                                                         app("i-2", "com.life360", "Life360 look-alike")])
    import_file(case, download, subject="Ann", tz="UTC")
    (phone,) = device_findings(case)
    assert [(a["package"], a["indicator"], a["type"], a["file"]) for a in phone["apps"]] == [
        ("com.life360.safetymap", "Life360", "watchware", "watchware.yaml")]


def test_report_counts_photographs_only_when_asked(case: Case, tmp_path: Path, capsys) -> None:
    path = tmp_path / "case.cellsight"
    save_case(case, path)
    counts = []
    for extra in ([], ["--include-photos"]):
        out = tmp_path / f"r{len(extra)}.pdf"
        assert main(["report", str(path), "--out", str(out), "--a", "Alice", "--place", "Home",
                     "--produced", "2024-04-01T12:00:00+01:00", "--json", *extra]) == 0
        doc = json.loads(capsys.readouterr().out)
        counts.append([a["occasions"] for a in doc["analyses"] if a.get("place") == "Home"])
    assert counts == [[0], [1]]


def test_exhibits_tables_say_what_a_download_holds_beside_its_rows(case: Case, tmp_path: Path) -> None:
    from cellsight.analysis.devices import rows_cell
    from cellsight.core.device_records import holdings
    from cellsight.report.build import exhibits_section

    alice, dan = case.sources
    assert holdings(alice) == "7 apps, 2 Wi-Fi networks, 1 Bluetooth device"
    assert rows_cell(dan) == f"{dan.rows:,} rows; also 2 Wi-Fi networks (device records)"
    only_apps = Case.new(name="Apps", tz="UTC")
    report = import_file(only_apps, phone_download(tmp_path / "a.ufdr", apps=[app("x", "org.example.maps", "Maps")]),
                         subject="Ann", tz="UTC")
    assert report["rows"] == 0 and report["device_records"] == {"apps": 1, "wifi": 0, "bluetooth": 0}
    (source,) = only_apps.sources
    assert source.rows == 0 and rows_cell(source) == "0 rows; also 1 app (device records)"
    table = next(f for f in exhibits_section(only_apps).frames if f.kind == "table")
    assert table.content["rows"][0][5] == "0 rows; also 1 app (device records)"
    calls_only = Case.new(name="Calls", tz="UTC")
    import_file(calls_only, phone_download(tmp_path / "c.ufdr", calls=[call("c", "2024-03-01T10:00:00+00:00",
                                                                          "07700900002")]), subject="Ann", tz="UTC")
    assert holdings(calls_only.sources[0]) == "" and rows_cell(calls_only.sources[0]) == 1  # a plain count


def test_the_import_line_says_what_a_download_of_apps_only_holds(tmp_path: Path, capsys) -> None:
    path = tmp_path / "apps.cellsight"
    save_case(Case.new(name="Apps", tz="UTC"), path)
    download = phone_download(tmp_path / "a.ufdr", apps=[app("x", "org.example.maps", "Maps"),
                                                           app("y", "org.example.notes", "Notes")])
    assert main(["import", str(path), str(download), "--subject", "Ann", "--tz", "UTC"]) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line == "a.ufdr: ufdr, 0 rows, 0 imported, 0 rejected; also 2 apps (device records)"
    assert main(["import", str(path), str(phone_download(tmp_path / "c.ufdr", calls=[
        call("c", "2024-03-01T10:00:00+00:00", "07700900002")])), "--subject", "Ann", "--tz", "UTC", "--json"]) == 0
    (doc,) = json.loads(capsys.readouterr().out)
    assert doc["rows"] == 1 and "device_records" not in doc  # calls only: nothing beside the rows
