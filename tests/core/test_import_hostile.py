"""Hostile files from a suspect's phone: refused with one clear line, never a hang or a blow-up.

Each file here is built to attack the reader (entity expansion, external entities,
zip bombs, paths outside the archive, nesting, NUL bytes, broken UTF-8). The
reader must refuse it with an ImportFailure naming the file, or import it
cleanly; pytest-timeout turns a hang into a failure and tracemalloc checks that
memory stays bounded.
"""

from __future__ import annotations

import json
import re
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cellsight.importers import gpx, kml, safety, takeout, ufdr
from cellsight.importers.base import ImportFailure, ImportOptions
from cellsight.progress import NullProgress
from factories import xlsx_with_sheet

pytestmark = pytest.mark.timeout(60)

NS = "http://pa.cellebrite.com/report/2.0"
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE {root} [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
{body}
"""
BODIES = {
    "ufdr": ("project", f'<project xmlns="{NS}"><decodedData><modelType type="Location">'
                        '<model type="Location" id="l1"><field name="Name"><value>&lol9;</value>'
                        '</field></model></modelType></decodedData></project>'),
    "gpx": ("gpx", '<gpx version="1.1"><wpt lat="1" lon="1"><name>&lol9;</name></wpt></gpx>'),
    "kml": ("kml", '<kml><Placemark><name>&lol9;</name></Placemark></kml>'),
}
READERS = {"ufdr": ufdr, "gpx": gpx, "kml": kml}


def refused(module, path: Path, pattern: str) -> str:
    """Run the importer; it must refuse with one line that names the file and matches."""
    with pytest.raises(ImportFailure) as caught:
        module.read(path, ImportOptions(case_tz="Europe/London"), NullProgress())
    message = str(caught.value)
    assert "\n" not in message and path.name in message
    assert re.search(pattern, message), message
    return message


def refused_in_bounded_memory(module, path: Path, pattern: str, limit_mb: int = 20) -> None:
    """``refused``, with the memory Python allocated meanwhile held under ``limit_mb``."""
    tracemalloc.start()
    try:
        refused(module, path, pattern)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit_mb * 1024**2, f"peak {peak:,} bytes"


@pytest.mark.parametrize("fmt", sorted(BODIES))
def test_billion_laughs_is_refused(tmp_path: Path, fmt: str) -> None:
    root, body = BODIES[fmt]
    path = tmp_path / f"laughs.{'xml' if fmt == 'ufdr' else fmt}"
    path.write_text(LAUGHS.format(root=root, body=body), encoding="utf-8")
    refused_in_bounded_memory(READERS[fmt], path, "entities")


def test_billion_laughs_inside_a_ufdr_zip(tmp_path: Path) -> None:
    path = tmp_path / "phone.ufdr"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", LAUGHS.format(root="project", body=BODIES["ufdr"][1]))
    refused(ufdr, path, r"phone\.ufdr:report\.xml: declares XML entities")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://127.0.0.1:9/secret"])
@pytest.mark.parametrize("fmt", sorted(BODIES))
def test_external_entities_are_refused(tmp_path: Path, fmt: str, target: str) -> None:
    root, body = BODIES[fmt]
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY lol9 SYSTEM "{target}">]>\n'
           + body)
    path = tmp_path / f"external.{'xml' if fmt == 'ufdr' else fmt}"
    path.write_text(doc, encoding="utf-8")
    refused(READERS[fmt], path, "entities")


def test_an_external_dtd_is_refused_and_never_loaded(tmp_path: Path) -> None:
    """A DTD named by the file would define &secret;; it is refused before anything is read."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "FROM-THE-DTD">', encoding="utf-8")
    path = tmp_path / "track.gpx"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE gpx SYSTEM "{dtd.as_uri()}">\n'
                    '<gpx><wpt lat="1" lon="1"><name>&secret;</name>'
                    '<time>2023-01-01T00:00:00Z</time></wpt></gpx>', encoding="utf-8")
    message = refused(gpx, path, r"refers to an external resource \(a DTD at 'file://")
    assert "FROM-THE-DTD" not in message


@pytest.mark.parametrize("doctype", ['<!DOCTYPE gpx SYSTEM "http://127.0.0.1:9/gpx.dtd">',
                                     "<!DOCTYPE kml PUBLIC '-//X//DTD Y//EN' 'http://x.invalid/k.dtd'>"])
def test_a_doctype_naming_an_external_dtd_is_refused(tmp_path: Path, doctype: str) -> None:
    path = tmp_path / "plain.gpx"
    path.write_text(f'<?xml version="1.0"?>\n{doctype}\n'
                    '<gpx><wpt lat="1" lon="1"><time>2023-01-01T00:00:00Z</time></wpt></gpx>',
                    encoding="utf-8")
    refused(gpx, path, r"refers to an external resource \(a DTD at 'http://")


def test_a_doctype_without_an_external_dtd_imports(tmp_path: Path) -> None:
    path = tmp_path / "plain.gpx"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE gpx>\n'
                    '<gpx><wpt lat="1" lon="1"><time>2023-01-01T00:00:00Z</time></wpt></gpx>',
                    encoding="utf-8")
    assert len(gpx.read(path, ImportOptions(case_tz="Europe/London"), NullProgress()).locations) == 1


def test_a_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.ufdr"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("report.xml", b"<project>" + b" " * (64 * 1024**2) + b"</project>")
    assert path.stat().st_size < 1024**2
    refused_in_bounded_memory(ufdr, path, r"would expand \d[\d,]* times .*zip bomb")


@pytest.mark.parametrize("member", ["../../outside/report.xml", "/etc/report.xml",
                                    "files/../../report.xml", "C:\\Windows\\report.xml"])
def test_members_named_outside_the_archive_are_skipped_with_a_warning(tmp_path: Path,
                                                                     member: str) -> None:
    """A hostile name costs the officer nothing: that member is never read, the rest imports."""
    path = tmp_path / "evil.ufdr"
    location = ('<model type="Location" id="l1"><field name="TimeStamp"><value>'
                "2023-03-18T14:00:00Z</value></field><modelField name=\"Position\">"
                '<model type="Coordinate"><field name="Latitude"><value>53.8</value></field>'
                '<field name="Longitude"><value>-1.5</value></field></model></modelField></model>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.xml", f'<project xmlns="{NS}"><decodedData><modelType '
                                       f'type="Location">{location}</modelType></decodedData></project>')
        info = zipfile.ZipInfo("placeholder")
        info.filename = member  # ZipInfo would clean the name; an attacker's tool does not
        archive.writestr(info, f'<project xmlns="{NS}"><decodedData>{location * 3}</decodedData>'
                               "</project>")
    result = ufdr.read(path, ImportOptions(case_tz="Europe/London"), NullProgress())
    assert (result.rows, len(result.locations)) == (1, 1)
    assert any("named outside the archive" in w and repr(member) in w for w in result.warnings)
    kmz = tmp_path / "evil.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.writestr("doc.kml", "<kml><Placemark><TimeStamp><when>2023-03-18T14:00:00Z</when>"
                                    "</TimeStamp><Point><coordinates>-1.5,53.8</coordinates></Point>"
                                    "</Placemark></kml>")
        info = zipfile.ZipInfo("placeholder")
        info.filename = member.replace("report.xml", "doc.kml")
        archive.writestr(info, "<kml/>")
    result = kml.read(kmz, ImportOptions(case_tz="Europe/London"), NullProgress())
    assert len(result.locations) == 1 and "skipped, never read" in result.warnings[0]
    assert not (tmp_path.parent / "outside").exists()


def test_the_only_report_named_outside_the_archive_is_no_report(tmp_path: Path) -> None:
    path = tmp_path / "evil.ufdr"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("placeholder")
        info.filename = "../report.xml"
        archive.writestr(info, f'<project xmlns="{NS}"/>')
    refused(ufdr, path, "holds no report.xml")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("names", [("report.xml", "report.xml"), ("a/report.xml", "b/Report.xml")])
def test_two_reports_in_one_ufdr_are_refused_naming_both(tmp_path: Path, names: tuple[str, str]) -> None:
    path = tmp_path / "two.ufdr"
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, f'<project xmlns="{NS}"/>')
        archive.writestr("files/Documents/x/report.xml", "<not-the-report/>")  # a phone's own file
    message = refused(ufdr, path, "holds 2 reports")
    assert all(repr(name) in message for name in names)


def test_a_report_beside_phone_files_of_the_same_name_imports(tmp_path: Path) -> None:
    path = tmp_path / "one.ufdr"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.xml", f'<project xmlns="{NS}"><metadata section="Device Info">'
                                       '<item name="IMEI">356938035643809</item></metadata></project>')
        archive.writestr("files/Documents/report.xml", "<not-the-report/>")
    assert ufdr.read(path, ImportOptions(case_tz="Europe/London"), NullProgress()).device["imei"] == ["356938035643809"]


def test_too_many_members_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_ZIP_MEMBERS", 10)
    path = tmp_path / "many.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(11):
            archive.writestr(f"f{i}.kml", "<kml/>")
    refused(kml, path, "11 members")


def test_a_damaged_zip_member_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.ufdr"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", f'<project xmlns="{NS}">' + "<x/>" * 50_000 + "</project>")
    raw = bytearray(path.read_bytes())
    raw[200:400] = b"\x00" * 200  # inside the compressed data
    path.write_bytes(bytes(raw))
    refused(ufdr, path, "damaged.ufdr")


def test_deeply_nested_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    depth = 200_000
    path.write_text('{"locations": [' + "[" * depth + "]" * depth + "]}", encoding="utf-8")
    refused(takeout, path, "nested too deeply")
    top = tmp_path / "Timeline.json"
    top.write_text('{"semanticSegments": [], "userLocationProfile": ' + '{"a":' * depth + "1"
                   + "}" * depth + "}", encoding="utf-8")
    refused(takeout, top, "nested too deeply")


def test_an_oversized_json_record_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_JSON_RECORD_CHARS", 4096)
    monkeypatch.setattr(safety, "JSON_CHUNK_BYTES", 1024)
    path = tmp_path / "Records.json"
    path.write_text(json.dumps({"locations": [{"latitudeE7": 1, "note": "x" * 100_000}]}),
                    encoding="utf-8")
    refused(takeout, path, "larger than")


def test_nul_bytes(tmp_path: Path) -> None:
    records = tmp_path / "Records.json"
    records.write_bytes(b'{"locations": [{"latitudeE7": 1, "source": "G\x00PS"}]}')
    refused(takeout, records, r"invalid control character \(at locations record 0\)")
    between = tmp_path / "Between.json"
    between.write_bytes(b'{"locations": [\x00{"latitudeE7": 1}]}')
    refused(takeout, between, "not valid JSON")
    track = tmp_path / "track.gpx"
    track.write_bytes(b'<gpx><wpt lat="1" lon="1"><name>a\x00b</name></wpt></gpx>')
    refused(gpx, track, r"line 1, column \d+: not well-formed XML")


def test_invalid_utf8(tmp_path: Path) -> None:
    records = tmp_path / "Records.json"
    records.write_bytes(b'{"locations": [{"latitudeE7": 1, "source": "\xff\xfe"}]}')
    refused(takeout, records, r"not UTF-8 text \(near byte 44\)")
    report = tmp_path / "report.xml"
    report.write_bytes(f'<project xmlns="{NS}"><decodedData>'.encode() + b"\xff\xfe</decodedData></project>")
    refused(ufdr, report, "not well-formed XML")


def test_truncated_json_is_refused_at_the_record(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    text = json.dumps({"locations": [{"latitudeE7": i, "longitudeE7": i,
                                      "timestamp": "2023-01-01T00:00:00Z"} for i in range(50)]})
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    refused(takeout, path, r"locations record \d+")


def test_json_records_split_across_reads_decode_the_same(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny reads cut numbers, strings, escapes and multi-byte characters at every point."""
    doc = {"locations": [{"latitudeE7": 534808000 + i, "longitudeE7": -22426000, "accuracy": 1.5e1,
                          "source": "WIFI", "note": "café \\ \"quoted\" ✓",
                          "timestamp": f"2023-03-18T14:{i:02d}:00Z"} for i in range(30)],
           "other": [1, 2.5, True, None]}
    path = tmp_path / "Records.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    for size in (1, 3, 7, 64):
        monkeypatch.setattr(safety, "JSON_CHUNK_BYTES", size)
        with open(path, "rb") as handle:
            got = list(safety.JsonStream(handle, path.name))
        records = [value for key, _, value in got if key == "locations"]
        assert records == doc["locations"]
        assert [value for key, _, value in got if key == "other"] == doc["other"]


@pytest.mark.parametrize(("start", "plain"), [
    (b'<?xml version="1.0"?>\n<!-- a > b --><?pi x?>\n<gpx>', True),
    (b"\xef\xbb\xbf<kml xmlns='x'>", True),
    (b'<?xml version="1.0"?><!-- hidden --><!DOCTYPE gpx [<!ENTITY a "b">]><gpx>', False),
    (b"<!-- an unterminated comment <gpx>", False),
    ('<?xml version="1.0" encoding="utf-16"?><gpx>'.encode("utf-16"), False),
    (b"", False),
])
def test_only_a_prolog_without_doctype_takes_the_fast_parser(start: bytes, plain: bool) -> None:
    assert safety.plain_prolog(start) is plain


def test_an_entity_reference_without_a_doctype_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(f'<project xmlns="{NS}"><decodedData>&lol9;</decodedData></project>',
                    encoding="utf-8")
    refused(ufdr, path, r"line 1, column \d+: not well-formed XML \(undefined entity")


@pytest.mark.parametrize("fmt", sorted(BODIES))
def test_deeply_nested_xml_is_refused(tmp_path: Path, fmt: str) -> None:
    root = BODIES[fmt][0]
    path = tmp_path / f"deep.{'xml' if fmt == 'ufdr' else fmt}"
    ns = f' xmlns="{NS}"' if fmt == "ufdr" else ""
    path.write_text(f"<{root}{ns}>" + "<a>" * 1_000_000 + "</a>" * 1_000_000 + f"</{root}>",
                    encoding="utf-8")
    refused_in_bounded_memory(READERS[fmt], path, "nested more than 512 deep")


# ----- strings are kept exactly as written (issue 13 item 8) --------------------------
AS_WRITTEN = [" =1+1", "\t=1+1", "\u2028line\u2029", "  two  spaces  ", "tail\t"]


def _ufdr_value(name: str, value: str) -> str:
    return f'<field name="{name}"><value><![CDATA[{value}]]></value></field>'


def test_ufdr_bodies_names_and_chats_keep_every_character(tmp_path: Path) -> None:
    sms = "".join(
        f'<model type="SMS" id="s{i}">{_ufdr_value("TimeStamp", " 2023-03-18T14:00:00+00:00 ")}'
        f'{_ufdr_value("Body", body)}{_ufdr_value("Folder", "Sent")}<multiModelField name="Parties">'
        f'<model type="Party">{_ufdr_value("Identifier", " 07700 900002 ")}'
        f'{_ufdr_value("Role", " To ")}</model></multiModelField></model>'
        for i, body in enumerate(AS_WRITTEN))
    contacts = "".join(
        f'<model type="Contact" id="k{i}">{_ufdr_value("Name", name)}<multiModelField name="Entries">'
        f'<model type="PhoneNumber">{_ufdr_value("Value", f"07700 90010{i}")}</model>'
        f"</multiModelField></model>" for i, name in enumerate(AS_WRITTEN))
    chat = ('<model type="Chat" id="c1">' + _ufdr_value("Id", " chat 1 ")
            + '<multiModelField name="Participants">'
            + f'<model type="Party">{_ufdr_value("Identifier", "447700900001@s.whatsapp.net")}'
            + f'{_ufdr_value("IsPhoneOwner", " True ")}</model>'
            + f'<model type="Party">{_ufdr_value("Identifier", "447700900002@s.whatsapp.net")}'
            + f'{_ufdr_value("IsPhoneOwner", "False")}</model></multiModelField>'
            + '<multiModelField name="Messages"><model type="InstantMessage" id="m1">'
            + _ufdr_value("TimeStamp", "2023-03-18T15:00:00+00:00") + _ufdr_value("Body", " =1+1")
            + '<modelField name="From"><model type="Party">'
            + _ufdr_value("Identifier", "447700900002@s.whatsapp.net") + "</model></modelField>"
            + "</model></multiModelField></model>")
    path = tmp_path / "report.xml"
    path.write_text(f'<project xmlns="{NS}"><decodedData><modelType type="SMS">{sms}</modelType>'
                    f'<modelType type="Contact">{contacts}</modelType><modelType type="Chat">{chat}'
                    "</modelType></decodedData></project>", encoding="utf-8")
    result = ufdr.read(path, ImportOptions(case_tz="Europe/London"), NullProgress())
    sms_rows = result.events[result.events["kind"] == "sms"]
    assert sms_rows["text"].tolist() == AS_WRITTEN
    assert set(sms_rows["direction"]) == {"outgoing"}  # " To " and " Sent " still decide
    assert set(sms_rows["party_b"]) == {"+447700900002"}
    assert set(sms_rows["party_b_raw"]) == {" 07700 900002 "}
    assert sms_rows["start"].notna().all()
    assert result.contacts["name"].tolist() == AS_WRITTEN
    message = result.events[result.events["kind"] == "chat"].iloc[0]
    assert (message["text"], message["thread"], message["direction"]) == (" =1+1", " chat 1 ", "incoming")


def test_gpx_kml_and_cell_names_keep_every_character(tmp_path: Path) -> None:
    track = tmp_path / "t.gpx"
    track.write_text('<gpx version="1.1"><wpt lat="53.8" lon="-1.5"><name> =1+1</name>'
                     "<time> 2023-03-18T14:00:00Z </time></wpt></gpx>", encoding="utf-8")
    got = gpx.read(track, ImportOptions(case_tz="Europe/London"), NullProgress()).locations
    assert got["label"].tolist() == ["waypoint:  =1+1"]
    places = tmp_path / "p.kml"
    places.write_text("<kml><Placemark><name>\tHome\u2028</name><TimeStamp><when>2023-03-18T14:00:00Z"
                      "</when></TimeStamp><Point><coordinates> -1.5,53.8 </coordinates></Point>"
                      "</Placemark></kml>", encoding="utf-8")
    assert kml.read(places, ImportOptions(case_tz="Europe/London"), NullProgress()).locations["label"].tolist() == ["\tHome\u2028"]
    from cellsight.importers import cells

    listing = tmp_path / "cells.csv"
    listing.write_text("Cell ID,Site Name,Latitude,Longitude\n234-30-1-1, Mast  One ,53.8,-1.5\n"
                       "234-30-1-2,   ,53.8,-1.5\n", encoding="utf-8")
    sites = cells.read(listing, ImportOptions(case_tz="Europe/London"), NullProgress()).cells["site"].tolist()
    assert sites[0] == " Mast  One " and pd.isna(sites[1])


@pytest.mark.parametrize("filler", [
    "x" * 1000,  # one text node
    "<!--" + "a" * 200 + "-->b",  # text and comments alternating: joined into one text
    "<![CDATA[<a><b>" + "c" * 200 + "]]>",  # markup-like text inside CDATA
])
def test_an_xml_text_node_larger_than_the_cap_is_refused(tmp_path: Path, filler: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The catalogue's 2 GB SMS body, scaled down: refused once the cap is passed, before
    the parser holds it whole."""
    monkeypatch.setattr(safety, "MAX_XML_TEXT_BYTES", 256 * 1024)
    body = filler * (1024 * 1024 // len(filler))
    sms = (f'<model type="SMS" id="s1"><field name="Body"><value>{body}</value></field>'
           '<field name="TimeStamp"><value>2023-03-18T14:00:00Z</value></field></model>')
    path = tmp_path / "phone.ufdr"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", f'<project xmlns="{NS}"><decodedData><modelType type="SMS">'
                                       f"{sms}</modelType></decodedData></project>")
    refused_in_bounded_memory(ufdr, path, r"phone\.ufdr:report\.xml: more than 0.25 MB of text in "
                                          r"one XML node", limit_mb=8)


def test_many_small_records_are_never_taken_for_one_big_node(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_XML_TEXT_BYTES", 64 * 1024)
    points = "".join(f'<wpt lat="1" lon="1"><name>{"n" * 500}</name>'
                     "<time>2023-01-01T00:00:00Z</time></wpt>" for _ in range(2000))
    path = tmp_path / "many.gpx"
    path.write_text(f"<gpx>{points}</gpx>", encoding="utf-8")
    assert len(gpx.read(path, ImportOptions(case_tz="Europe/London"), NullProgress()).locations) == 2000


# ----- resource bounds of tables (issue 13 item 4) ------------------------------------
SHEET = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b"%s<sheetData>%s</sheetData></worksheet>")
HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr">'
              b'<is><t>Time</t></is></c><c r="C1" t="inlineStr"><is><t>Calling Number</t></is></c>'
              b'<c r="D1" t="inlineStr"><is><t>Called Number</t></is></c></row>')


def _data_row(n: int, extra: bytes = b"") -> bytes:
    return (b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>01/03/2023</t></is></c>'
            b'<c r="B%d" t="inlineStr"><is><t>10:%02d:00</t></is></c>'
            b'<c r="C%d" t="inlineStr"><is><t>07700900001</t></is></c>'
            b'<c r="D%d" t="inlineStr"><is><t>07700900002</t></is></c>%s</row>'
            % (n, n, n, n % 60, n, n, extra))


def test_an_xlsx_sheet_that_inflates_a_thousand_times_is_refused(tmp_path: Path) -> None:
    from cellsight.importers import cdr

    padding = b"<!--" + b" " * (64 * 1024**2) + b"-->"
    path = xlsx_with_sheet(tmp_path / "bomb.xlsx", SHEET % (padding, HEADER_ROW + _data_row(2)))
    assert path.stat().st_size < 1024**2
    refused_in_bounded_memory(cdr, path, r"bomb\.xlsx: archive member 'xl/worksheets/sheet1\.xml' "
                                         r"would expand [\d,]+ times .*zip bomb")


def test_a_declared_dimension_of_column_xfd_is_ignored(tmp_path: Path) -> None:
    """openpyxl would pad each of these rows to 16,384 cells (2,000 rows: 260 MB of lists)."""
    from cellsight.importers import cdr

    rows = b"".join(_data_row(n) for n in range(2, 2002))
    path = xlsx_with_sheet(tmp_path / "wide.xlsx",
                            SHEET % (b'<dimension ref="A1:XFD1048576"/>', HEADER_ROW + rows))
    tracemalloc.start()
    try:
        result = cdr.read(path, ImportOptions(case_tz="Europe/London", subject="Dan", tz="UTC"), NullProgress())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.rows, len(result.events), result.rejected) == (2000, 2000, 0)
    assert peak < 60 * 1024**2, f"peak {peak:,} bytes"


def test_a_cell_far_to_the_right_rejects_its_row_and_costs_nothing(tmp_path: Path) -> None:
    from cellsight.importers import cdr

    far = b'<c r="XFD3" t="inlineStr"><is><t>hidden</t></is></c>'
    rows = _data_row(2) + _data_row(3, far) + _data_row(4)
    path = xlsx_with_sheet(tmp_path / "far.xlsx", SHEET % (b"", HEADER_ROW + rows))
    result = cdr.read(path, ImportOptions(case_tz="Europe/London", subject="Dan", tz="UTC"), NullProgress())
    assert (result.rows, len(result.events), result.rejected) == (3, 2, 1)
    assert result.rejections[0][0] == "3" and "beyond" in result.rejections[0][1]


@pytest.mark.parametrize(("good", "junk", "message"), [
    (50, 3000, r"950 of the first 1,000 rows cannot be used \(more than half; most often: "
               r"no time \(950\)\); refused"),  # stopped before the rest is read
    (900, 3000, r"3,000 of 3,900 rows cannot be used \(more than half"),  # the whole file
    (50, 900, None),  # a small broken file still imports what it can
])
def test_a_table_mostly_of_junk_lines_is_refused_with_one_line(tmp_path: Path, good: int, junk: int,
                                                               message: str | None) -> None:
    """The catalogue's 5.6 million lines of ``B,``, scaled down: more than half of the first
    1,000 rows, or of a whole file of at least 1,000, unusable is one error."""
    from cellsight.importers import cdr, cells

    path = tmp_path / "junk.csv"
    path.write_text("Date,Time,Calling Number,Called Number\n"
                    + "01/03/2023,10:00:00,07700900001,07700900002\n" * good + "B,\n" * junk)
    if message:
        refused(cdr, path, r"junk\.csv: " + message)
        xlsx = tmp_path / "junk.xlsx"
        rows = b"".join(_data_row(n) for n in range(2, good + 2)) + b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>B</t></is></c></row>' % (n, n)
            for n in range(good + 2, good + junk + 2))
        xlsx_with_sheet(xlsx, SHEET % (b"", HEADER_ROW + rows))
        refused(cdr, xlsx, r"junk\.xlsx: " + message)
    else:
        result = cdr.read(path, ImportOptions(case_tz="Europe/London", subject="Dan", tz="UTC"), NullProgress())
        assert (result.rows, result.rejected) == (good + junk, junk)
    listing = tmp_path / "cells.csv"
    listing.write_text("Cell ID,Site Name,Latitude,Longitude\n" + "234-30-1-1,Mast,53.8,-1.5\n" * 10
                       + "234-30-1-2,Mast,north,west\n" * 2000)
    refused(cells, listing, r"cells\.csv: 990 of the first 1,000 rows cannot be used")


def test_a_workbook_bomb_is_named_as_such_when_the_format_is_detected(tmp_path: Path) -> None:
    from cellsight.core.case import Case
    from cellsight.importers.api import import_file

    padding = b"<!--" + b" " * (16 * 1024**2) + b"-->"
    path = xlsx_with_sheet(tmp_path / "bomb.xlsx", SHEET % (padding, HEADER_ROW + _data_row(2)))
    with pytest.raises(ImportFailure, match=r"bomb\.xlsx: archive member .* zip bomb is refused"):
        import_file(Case.new(), path, subject="Dan", assume_case_tz=True)
