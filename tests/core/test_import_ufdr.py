"""Cellebrite UFDR / report.xml: calls, messages, chats, locations, contacts and the device.

The reports are written here from the public structure of report.xml (DOMAIN.md):
one newer report (``Direction``, namespace, in a .ufdr zip) and one older bare
report (``Type``, no namespace). Numbers are Ofcom drama numbers.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from cellsight.core import schema
from cellsight.importers import registry, ufdr
from cellsight.importers.base import ImportFailure, ImportOptions
from cellsight.progress import Cancelled, NullProgress

NS = "http://pa.cellebrite.com/report/2.0"
OWNER = "+447700900001"


# ----- writing reports ----------------------------------------------------------------
def field(name: str, value: str | None, kind: str = "String") -> str:
    if value is None:
        return f'<field name="{name}" type="{kind}"><empty /></field>'
    return f'<field name="{name}" type="{kind}"><value type="{kind}"><![CDATA[{value}]]></value></field>'


def stamp(value: str) -> str:
    return (f'<field name="TimeStamp" type="TimeStamp"><value type="TimeStamp" '
            f'format="TimeStampKnown">{value}</value></field>')


def party(identifier: str, role: str | None = None, owner: bool | None = None,
          name: str | None = None) -> str:
    parts = [field("Identifier", identifier)]
    if role:
        parts.append(field("Role", role, "PartyRole"))
    if name:
        parts.append(field("Name", name))
    if owner is not None:
        parts.append(field("IsPhoneOwner", "True" if owner else "False", "Boolean"))
    return f'<model type="Party" id="p-{identifier}" deleted_state="Unknown">{"".join(parts)}</model>'


def model(kind: str, ident: str, *parts: str, deleted: str = "Intact") -> str:
    return f'<model type="{kind}" id="{ident}" deleted_state="{deleted}">{"".join(parts)}</model>'


def many(name: str, *models: str) -> str:
    return f'<multiModelField name="{name}">{"".join(models)}</multiModelField>'


def one(name: str, inner: str) -> str:
    return f'<modelField name="{name}">{inner}</modelField>'


def project(*model_types: str, metadata: str = "", zone: str | None = None, ns: str = NS) -> str:
    config = (f'<projectConfigurations><timeZoneConfigurations selectedTimeZone="_{zone}" />'
              f'</projectConfigurations>' if zone else "")
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<project id="x" name="Handset"{xmlns}>'
            f'<sourceExtractions><extractionInfo id="0" fullName="Drama Phone 3" /></sourceExtractions>'
            f'{metadata}<decodedData>{"".join(model_types)}</decodedData>'
            f'<taggedFiles><file id="f1"><metadata section="File"><item name="IMEI">not-the-device</item>'
            f'</metadata></file></taggedFiles>{config}</project>')


def model_type(kind: str, *models: str) -> str:
    return f'<modelType type="{kind}">{"".join(models)}</modelType>'


def device_metadata() -> str:
    return ('<metadata section="Device Info">'
            '<item name="DeviceInfoIMEI"><![CDATA[356938035643809]]></item>'
            '<item name="IMSI"><![CDATA[234300000000001]]></item>'
            '<item name="MSISDN"><![CDATA[07700 900001]]></item>'
            '<item name="DeviceInfoOwnerName"><![CDATA[Dan Example]]></item>'
            '<item name="DeviceInfoDetectedModel"><![CDATA[Drama Phone 3]]></item>'
            '</metadata>')


def write_ufdr(path: Path, xml: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", xml)
        archive.writestr("files/Image/photo.jpg", b"\xff\xd8 not really a photo")
    return path


def newer_report() -> str:
    calls = model_type(
        "Call",
        model("Call", "call-out", field("Direction", "Outgoing"), field("Status", "Established"),
              stamp("2023-03-18T14:02:11.000+00:00"), field("Duration", "00:02:15", "TimeSpan"),
              many("Parties", party("07700900001", "From", True), party("+44 7700 900002", "To", False))),
        model("Call", "call-missed", field("Direction", "Incoming"), field("Status", "Missed"),
              stamp("2023-03-18T15:00:00.000+00:00"), field("Duration", "00:00:00", "TimeSpan"),
              many("Parties", party("07700900002", "From", False))),
        model("Call", "call-no-time", field("Direction", "Outgoing"),
              many("Parties", party("07700900003", "To", False))),
    )
    sms = model_type(
        "SMS",
        model("SMS", "sms-deleted", field("Folder", "Inbox"), field("Status", "Read"),
              stamp("2023-03-19T08:00:00.000+00:00"), field("Body", "I can see you"),
              many("Parties", party("07700 900002", "From", False)), deleted="Deleted"),
        model("SMS", "sms-sent", field("Folder", "Sent"), stamp("2023-03-19T08:05:00.000+00:00"),
              field("Body", "leave me alone"), many("Parties", party("07700900002", "To"))),
    )
    mms = model_type("MMS", model("MMS", "mms-1", field("Folder", "Inbox"), field("Subject", "look"),
                                  stamp("2023-03-19T09:00:00.000+00:00"),
                                  many("Parties", party("07700900004", "From"))))
    quoted = model("InstantMessage", "quoted-copy", stamp("2023-03-01T00:00:00.000+00:00"),
                   one("From", party("447700900002@s.whatsapp.net", "From", False)))
    group = model(
        "Chat", "chat-group", field("Source", "WhatsApp"),
        field("Id", "447700900001-1600000000@g.us"),
        many("Participants", party("447700900001@s.whatsapp.net", owner=True),
             party("447700900002@s.whatsapp.net", owner=False),
             party("447700900003@s.whatsapp.net", owner=False)),
        many("Messages",
             model("InstantMessage", "g-1", stamp("2023-03-20T21:00:00.000+00:00"),
                   field("Body", "to you both"),
                   one("From", party("447700900001@s.whatsapp.net", "From", True)),
                   many("To", party("447700900002@s.whatsapp.net", "To", False),
                        party("447700900003@s.whatsapp.net", "To", False))),
             model("InstantMessage", "g-2", stamp("2023-03-20T21:01:00.000+00:00"),
                   field("Body", "stop"), field("Status", "Read"),
                   one("From", party("447700900002@s.whatsapp.net", "From", False)),
                   many("EmbeddedInstantMessage", quoted))),
    )
    direct = model(
        "Chat", "chat-direct", field("Source", "WhatsApp"), field("Id", "447700900002@s.whatsapp.net"),
        many("Participants", party("447700900001@s.whatsapp.net", owner=True),
             party("447700900002@s.whatsapp.net", owner=False)),
        many("Messages",
             model("InstantMessage", "d-1", stamp("2023-03-21T07:00:00.000+00:00"),
                   field("Body", "morning"),
                   one("From", party("447700900001@s.whatsapp.net", "From"))),
             model("InstantMessage", "d-2", stamp("2023-03-21T07:01:00.000+00:00"),
                   one("From", party("447700900002@s.whatsapp.net", "From")), deleted="Deleted")),
    )
    locations = model_type(
        "Location",
        model("Location", "loc-gps", stamp("2023-03-18T14:05:00.000+00:00"), field("Type", "GPS"),
              field("Precision", "12"), field("Category", "Device Locations"),
              one("Position", model("Coordinate", "c1", field("Latitude", "53.4808", "Double"),
                                    field("Longitude", "-2.2426", "Double")))),
        model("Location", "loc-wifi", stamp("2023-03-18T14:06:00.000+00:00"),
              field("Category", "Wireless Networks"),
              one("Position", model("Coordinate", "c2", field("Latitude", "53.4810", "Double"),
                                    field("Longitude", "-2.2430", "Double"))), deleted="Deleted"),
        model("Location", "loc-nowhere", stamp("2023-03-18T14:07:00.000+00:00"),
              one("Position", model("Coordinate", "c3", field("Latitude", "95.1", "Double"),
                                    field("Longitude", "-2.2430", "Double")))),
    )
    contacts = model_type(
        "Contact",
        model("Contact", "contact-1", field("Name", "Sam Victim"),
              many("Entries", model("PhoneNumber", "pn1", field("Value", "07700 900002")),
                   model("UserID", "u1", field("Value", "447700900005@s.whatsapp.net")),
                   model("EmailAddress", "e1", field("Value", "sam@example.org")))),
        model("Contact", "contact-email-only", field("Name", "Nobody"),
              many("Entries", model("EmailAddress", "e2", field("Value", "n@example.org")))),
    )
    other = model_type("WebBookmark", model("WebBookmark", "wb1", field("URL", "https://example.org")))
    chats = model_type("Chat", group, direct)
    return project(calls, sms, mms, chats, locations, contacts, other, metadata=device_metadata())


def assert_conformed(frame: pd.DataFrame, table: str) -> None:
    """The importer's frame is in the schema's shape once the api fills subject and source."""
    n = len(frame)
    filled = frame.assign(source_id=pd.Categorical(["s"] * n), subject=pd.Categorical(["x"] * n))
    schema.validate(filled, table)


def read(path: Path, **options) -> ufdr.ImportResult:
    return ufdr.read(path, ImportOptions(**{"case_tz": "Europe/London", **options}), NullProgress())


def by_row(result) -> pd.DataFrame:
    return result.events.set_index("source_row")


# ----- the newer report ---------------------------------------------------------------
@pytest.fixture
def newer(tmp_path: Path):
    return read(write_ufdr(tmp_path / "phone.ufdr", newer_report()))


def test_every_record_is_accounted_for(newer) -> None:
    # 3 calls + 2 SMS + 1 MMS + 2 group messages + 2 direct messages + 3 locations + 3 contact rows
    assert newer.rows == 16
    assert newer.rows == newer.imported + newer.rejected
    assert newer.kinds() == {"call": 2, "sms": 2, "mms": 1, "chat": 4, "location": 2, "contact": 2}
    reasons = dict(newer.rejections)
    assert set(reasons) == {"call-no-time", "loc-nowhere", "contact-email-only"}
    assert "no time" in reasons["call-no-time"]
    assert "out of range" in reasons["loc-nowhere"]
    assert "no phone number" in reasons["contact-email-only"]
    assert any("WebBookmark" in w for w in newer.warnings)
    for table in ("events", "locations", "contacts"):
        assert_conformed(getattr(newer, table), table)


def test_calls_have_direction_parties_and_duration(newer) -> None:
    events = by_row(newer)
    out = events.loc["call-out"]
    assert (out["kind"], out["direction"], out["status"]) == ("call", "outgoing", "Established")
    assert (out["party_a"], out["party_b"]) == (OWNER, "+447700900002")
    assert out["duration_s"] == 135
    assert out["start"] == pd.Timestamp("2023-03-18T14:02:11Z")
    missed = events.loc["call-missed"]
    assert (missed["direction"], missed["status"]) == ("incoming", "Missed")
    # the report leaves the owner out; the device's MSISDN fills the side
    assert (missed["party_a"], missed["party_b"]) == ("+447700900002", OWNER)
    assert pd.isna(out["cell_first"]) and out["imei"] == "356938035643809"


def test_messages_keep_body_folder_direction_and_deleted_state(newer) -> None:
    events = by_row(newer)
    inbox = events.loc["sms-deleted"]
    assert (inbox["direction"], inbox["text"], bool(inbox["deleted"])) == ("incoming", "I can see you", True)
    sent = events.loc["sms-sent"]
    assert (sent["direction"], sent["party_a"], sent["party_b"]) == ("outgoing", OWNER, "+447700900002")
    assert not sent["deleted"]
    assert events.loc["mms-1", "text"] == "look"


def test_a_message_to_a_group_is_one_event_with_the_chat_as_thread(newer) -> None:
    events = by_row(newer)
    sent = events.loc["g-1"]
    assert sent["direction"] == "outgoing" and sent["party_a"] == OWNER
    assert sent["party_b"] == "447700900001-1600000000@g.us" == sent["thread"]
    received = events.loc["g-2"]
    assert (received["direction"], received["party_a"]) == ("incoming", "+447700900002")
    assert received["thread"] == "447700900001-1600000000@g.us" and received["app"] == "WhatsApp"
    assert "quoted-copy" not in events.index  # a quoted copy is part of g-2, not a message


def test_direct_chat_fills_the_other_side_from_the_participants(newer) -> None:
    events = by_row(newer)
    mine, theirs = events.loc["d-1"], events.loc["d-2"]
    assert (mine["direction"], mine["party_a"], mine["party_b"]) == ("outgoing", OWNER, "+447700900002")
    assert (theirs["direction"], theirs["party_a"], theirs["party_b"]) == ("incoming", "+447700900002", OWNER)
    assert mine["party_a_raw"] == "447700900001@s.whatsapp.net"
    assert bool(theirs["deleted"]) is True


def test_locations_contacts_and_device(newer) -> None:
    fixes = newer.locations.set_index("source_row")
    assert fixes.loc["loc-gps", "origin"] == "gps" and fixes.loc["loc-gps", "accuracy_m"] == 12
    assert fixes.loc["loc-wifi", "origin"] == "wifi" and "[deleted]" in fixes.loc["loc-wifi", "label"]
    assert (fixes.loc["loc-gps", "lat"], fixes.loc["loc-gps", "lon"]) == (53.4808, -2.2426)
    contacts = newer.contacts
    assert sorted(contacts["number"]) == ["+447700900002", "+447700900005"]
    assert set(contacts["name"]) == {"Sam Victim"} and set(contacts["source_row"]) == {"contact-1"}
    assert newer.device["imei"] == ["356938035643809"]  # the tagged file's "IMEI" is not the device
    assert newer.device["imsi"] == ["234300000000001"]
    assert newer.device["msisdn"] == ["07700 900001"]
    assert newer.device["owner"] == ["Dan Example"]
    assert "Drama Phone 3" in newer.device["model"]
    assert newer.tz_rule == "values"


# ----- the older report ---------------------------------------------------------------
def older_report(zone: str | None = None, stamps: tuple[str, ...] = ()) -> str:
    kinds = ["Outgoing", "Incoming", "Missed", "Rejected", "Cancelled"]
    calls = [model("Call", f"t-{kind.lower()}", field("Type", kind),
                   stamp(f"2023-03-1{i}T10:00:00.000+00:00"), field("Duration", "00:01:00"),
                   many("Parties", party("07700900002")))
             for i, kind in enumerate(kinds)]
    calls += [model("Call", f"naive-{i}", field("Type", "Outgoing"), stamp(text),
                    many("Parties", party("07700900002", "To")))
              for i, text in enumerate(stamps)]
    metadata = '<metadata section="Device Info"><item name="MSISDN">447700900001</item></metadata>'
    return project(model_type("Call", *calls), metadata=metadata, zone=zone, ns="")


def test_older_type_field_gives_direction_and_status(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(older_report(), encoding="utf-8")
    events = by_row(read(path))
    expected = {"t-outgoing": ("outgoing", None), "t-incoming": ("incoming", None),
                "t-missed": ("incoming", "Missed"), "t-rejected": ("incoming", "Rejected"),
                "t-cancelled": ("outgoing", "Cancelled")}
    for row, (direction, status) in expected.items():
        assert events.loc[row, "direction"] == direction
        assert (pd.isna(events.loc[row, "status"]) if status is None
                else events.loc[row, "status"] == status)
    assert events.loc["t-outgoing", "party_a"] == OWNER == events.loc["t-incoming", "party_b"]
    assert events.loc["t-incoming", "party_a"] == "+447700900002"


DST_STAMPS = ("2023-03-26T00:30:00.000", "2023-03-26T01:30:00.000", "2023-03-26T02:30:00.000",
              "2023-10-29T00:30:00.000", "2023-10-29T01:30:00.000", "2023-10-29T02:30:00.000")


def test_times_without_offset_across_dst_in_the_given_zone(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(older_report(stamps=DST_STAMPS), encoding="utf-8")
    result = read(path, tz="Europe/London")
    events = by_row(result)
    utc = [events.loc[f"naive-{i}", "start"].isoformat() for i in range(len(DST_STAMPS))]
    assert utc == ["2023-03-26T00:30:00+00:00", "2023-03-26T01:30:00+00:00",
                   "2023-03-26T01:30:00+00:00", "2023-10-28T23:30:00+00:00",
                   "2023-10-29T00:30:00+00:00", "2023-10-29T02:30:00+00:00"]
    flags = [events.loc[f"naive-{i}", "time_flag"] for i in range(len(DST_STAMPS))]
    assert flags == ["", "dst_nonexistent", "", "", "dst_ambiguous", ""]
    assert (result.tz, result.tz_rule) == ("Europe/London", "option")


def test_offsets_written_in_the_values_win_across_dst(tmp_path: Path) -> None:
    stamps = ("2023-03-26T00:59:59.000+00:00", "2023-03-26T02:00:00.000+01:00",
              "2023-10-29T01:30:00.000+01:00", "2023-10-29T01:30:00.000+00:00")
    path = tmp_path / "report.xml"
    path.write_text(older_report(stamps=stamps), encoding="utf-8")
    result = read(path, tz="Asia/Tokyo")  # ignored: every value says its own offset
    events = by_row(result)
    assert [events.loc[f"naive-{i}", "start"].isoformat() for i in range(4)] == [
        "2023-03-26T00:59:59+00:00", "2023-03-26T01:00:00+00:00",
        "2023-10-29T00:30:00+00:00", "2023-10-29T01:30:00+00:00"]
    assert result.tz_rule == "values"


def test_zone_stated_by_the_report_then_assumed_case_zone(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(older_report(zone="Europe/Berlin", stamps=("2023-07-01T12:00:00",)), encoding="utf-8")
    stated = read(path, case_tz="Europe/London")
    assert by_row(stated).loc["naive-0", "start"] == pd.Timestamp("2023-07-01T10:00:00Z")
    assert (stated.tz, stated.tz_rule) == ("Europe/Berlin", "file")
    path.write_text(older_report(stamps=("2023-07-01T12:00:00",)), encoding="utf-8")
    assumed = read(path, case_tz="Europe/London")
    assert by_row(assumed).loc["naive-0", "start"] == pd.Timestamp("2023-07-01T11:00:00Z")
    assert (assumed.tz, assumed.tz_rule) == ("Europe/London", "assumed")
    assert any("ASSUMED" in w for w in assumed.warnings)


def test_owner_number_from_the_subject_when_the_report_has_none(tmp_path: Path) -> None:
    xml = project(model_type("Call", model("Call", "c", field("Direction", "Incoming"),
                                           stamp("2023-03-18T14:02:11Z"),
                                           many("Parties", party("07700900002", "From")))))
    path = tmp_path / "report.xml"
    path.write_text(xml, encoding="utf-8")
    events = ufdr.read(path, ImportOptions(case_tz="Europe/London", subject_numbers=frozenset({"+447700900009"})),
                       NullProgress()).events
    assert events["party_b"].tolist() == ["+447700900009"]
    assert read(path).events["party_b_flag"].tolist() == ["blank"]


def test_voicemail_and_messages_outside_a_chat(tmp_path: Path) -> None:
    xml = project(
        model_type("Voicemail", model("Voicemail", "vm", stamp("2023-03-18T20:00:00Z"),
                                      field("Duration", "00:00:42"),
                                      one("From", party("07700900002", "From")))),
        model_type("Call", model("Call", "odd", stamp("2023-03-18T20:01:00Z"),
                                 field("Duration", "about a minute"), field("Direction", "Outgoing"))),
        model_type("InstantMessage", model("InstantMessage", "im", stamp("2023-03-18T20:05:00Z"),
                                           field("Source", "Signal"), field("Body", "hi"),
                                           one("From", party("07700900001", "From", True)),
                                           many("To", party("07700900002", "To", False)))),
        metadata=device_metadata())
    path = tmp_path / "report.xml"
    path.write_text(xml, encoding="utf-8")
    result = read(path)
    events = by_row(result)
    assert pd.isna(events.loc["odd", "duration_s"])
    assert "1 durations could not be read and are left empty" in result.warnings
    vm = events.loc["vm"]
    assert (vm["kind"], vm["direction"], vm["duration_s"]) == ("voicemail", "incoming", 42)
    assert (vm["party_a"], vm["party_b"]) == ("+447700900002", OWNER)
    im = events.loc["im"]
    assert (im["kind"], im["direction"], im["app"], im["text"]) == ("chat", "outgoing", "Signal", "hi")
    assert (im["party_a"], im["party_b"]) == (OWNER, "+447700900002") and pd.isna(im["thread"])


def test_bare_models_without_namespace_or_project(tmp_path: Path) -> None:
    path = tmp_path / "chat.xml"
    path.write_text(model("Chat", "bare", field("Source", "Signal"),
                          many("Messages", model("InstantMessage", "b1", stamp("2023-01-01T00:00:00Z"),
                                                 one("From", party("07700900002", "From", False))))),
                    encoding="utf-8")
    assert ufdr.sniff(path) > 0.5
    result = read(path)
    assert result.rows == 1 and result.events["app"].tolist() == ["Signal"]
    assert result.events["thread"].tolist() == ["bare"]  # no Id field: the chat's model id


def test_detect_picks_ufdr_for_zip_and_xml(tmp_path: Path) -> None:
    zipped = write_ufdr(tmp_path / "download.bin", newer_report())
    assert registry.detect(zipped).name == "ufdr"
    xml = tmp_path / "report.xml"
    xml.write_text(newer_report(), encoding="utf-8")
    assert registry.detect(xml).name == "ufdr"
    assert ufdr.sniff(tmp_path / "report.xml") == pytest.approx(0.95)


def test_a_zip_without_report_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.ufdr"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("other.xml", "<a/>")
    with pytest.raises(ImportFailure, match="x.ufdr: the archive holds no report.xml"):
        read(path)


def test_cancel_stops_before_anything_is_returned(tmp_path: Path) -> None:
    path = write_ufdr(tmp_path / "phone.ufdr", newer_report())
    progress = NullProgress()
    progress.cancel()
    with pytest.raises(Cancelled):
        ufdr.read(path, ImportOptions(case_tz="Europe/London"), progress)


def test_streaming_frees_records_as_it_goes(tmp_path: Path) -> None:
    """Peak memory stays far below the report's size: elements are freed as they are read."""
    import tracemalloc

    location = model("Location", "L{i}", stamp("2023-03-18T14:05:00.000+00:00"),
                     field("Notes", "x" * 400),
                     one("Position", model("Coordinate", "C{i}", field("Latitude", "53.48", "Double"),
                                           field("Longitude", "-2.24", "Double"))))
    path = tmp_path / "report.xml"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'<project xmlns="{NS}"><decodedData><modelType type="Location">')
        for i in range(8000):
            handle.write(location.replace("{i}", str(i)))
        handle.write("</modelType></decodedData></project>")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        result = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.rows == 8000 and len(result.locations) == 8000
    assert peak < size / 2, f"peak {peak:,} bytes for a {size:,}-byte report"


# ----- instant messages: the sender from From, the owner from the participants ----------
SUSPECT_JID, VICTIM_JID, FRIEND_JID = ("447700900001@s.whatsapp.net", "447700900002@s.whatsapp.net",
                                       "447700900003@s.whatsapp.net")
GROUP_ID = "120363000000000001@g.us"


def bare_party(identifier: str, owner: bool | None = None) -> str:
    """A party as newer reports write it inside From/To: often no Role, sometimes no flag."""
    flag = "" if owner is None else field("IsPhoneOwner", "True" if owner else "False", "Boolean")
    return f'<model type="Party" id="bp-{identifier}">{field("Identifier", identifier)}{flag}</model>'


def message(ident: str, when: str, sender: str | None, to: tuple[str, ...] = (),
            owner: bool | None = None, body: str = "hi") -> str:
    parts = [stamp(when), field("Body", body)]
    if sender is not None:
        parts.append(one("From", bare_party(sender, owner)))
    parts.append(many("To", *(bare_party(t) for t in to)))
    return model("InstantMessage", ident, *parts)


def chat_report(tmp_path: Path) -> Path:
    direct = model("Chat", "chat-direct", field("Source", "WhatsApp"), field("Id", VICTIM_JID),
                   many("Participants", party(SUSPECT_JID, owner=True),
                        party(VICTIM_JID, owner=False)),
                   many("Messages",
                        message("in-1", "2023-03-20T20:00:00+00:00", VICTIM_JID),  # no Role, no flag
                        message("out-1", "2023-03-20T20:01:00+00:00", SUSPECT_JID),
                        message("in-2", "2023-03-20T20:02:00+00:00", VICTIM_JID, owner=False,
                                to=(SUSPECT_JID,)),
                        message("out-2", "2023-03-20T20:03:00+00:00", None, to=(VICTIM_JID,))))
    group = model("Chat", "chat-group", field("Source", "WhatsApp"), field("Id", GROUP_ID),
                  field("Name", " Family \u2728"),
                  many("Participants", party(SUSPECT_JID, owner=True), party(VICTIM_JID, owner=False),
                       party(FRIEND_JID, owner=False)),
                  many("Messages",
                       message("g-in", "2023-03-21T09:00:00+00:00", VICTIM_JID),
                       message("g-out", "2023-03-21T09:01:00+00:00", SUSPECT_JID)))
    # a group of two: told by its @g.us id
    pair_group = model("Chat", "chat-pair-group", field("Source", "WhatsApp"),
                       field("Id", "447700900001-1600000000@g.us"),
                       many("Participants", party(SUSPECT_JID, owner=True),
                            party(VICTIM_JID, owner=False)),
                       many("Messages", message("pg-in", "2023-03-22T09:00:00+00:00", VICTIM_JID)))
    path = tmp_path / "chats.xml"
    path.write_text(project(model_type("Chat", direct, group, pair_group)), encoding="utf-8")
    return path


def test_every_instant_message_gets_its_sender_and_direction(tmp_path: Path) -> None:
    events = read(chat_report(tmp_path)).events.set_index("source_row")
    got = {row: (e["direction"], e["party_a_raw"], e["party_b_raw"]) for row, e in events.iterrows()}
    assert got == {
        "in-1": ("incoming", VICTIM_JID, SUSPECT_JID),
        "out-1": ("outgoing", SUSPECT_JID, VICTIM_JID),
        "in-2": ("incoming", VICTIM_JID, SUSPECT_JID),
        "out-2": ("outgoing", SUSPECT_JID, VICTIM_JID),
        "g-in": ("incoming", VICTIM_JID, GROUP_ID),
        "g-out": ("outgoing", SUSPECT_JID, GROUP_ID),
        "pg-in": ("incoming", VICTIM_JID, "447700900001-1600000000@g.us"),
    }
    assert set(events.loc[["in-1", "in-2"], "party_a"]) == {"+447700900002"}
    assert set(events.loc[["in-1", "in-2"], "party_b"]) == {"+447700900001"}


def test_incoming_chats_count_for_the_pair_and_the_group_is_named(tmp_path: Path) -> None:
    from cellsight.analysis.contacts import between
    from cellsight.core.case import Case
    from cellsight.importers.api import import_file

    case = Case.new(name="chats")
    case.set_subject("Sam", role="suspect", numbers=["07700 900001"])
    case.set_subject("Vic", role="victim", numbers=["07700 900002"])
    report = import_file(case, chat_report(tmp_path), subject="Sam", assume_case_tz=True)
    assert report["rows"] == report["imported"] == 7 and report["kinds"] == {"chat": 7}
    doc = between(case, "Sam", "Vic")
    assert doc["total"] == 4  # the group messages went to the group, not to Vic alone
    assert doc["by_direction"] == {"a_to_b": 2, "b_to_a": 2}
    names = case.number_names()
    assert names[GROUP_ID] == " Family \u2728"
    assert names["+447700900002"] == "Vic"  # a subject's name wins over any chat's


# ----- real files made by others (opt-in) ---------------------------------------------
@pytest.mark.realsamples
def test_real_cellebrite_location_report(real_samples: Path) -> None:
    result = read(real_samples / "cellebrite" / "ufed-geo2x_test_report.xml")
    assert (result.rows, result.imported, result.rejected) == (1, 1, 0)
    fix = result.locations.iloc[0]
    # DateTimeOnly: no offset; the project's zone (Europe/Berlin, +01:00 in December) applies
    assert fix["time"] == pd.Timestamp("2020-12-16T10:53:14Z")
    assert (fix["lat"], fix["lon"]) == (52.3461127, 12.21821)
    assert result.tz_rule == "file" and result.tz == "Europe/Berlin"


@pytest.mark.realsamples
def test_real_bare_whatsapp_chat(real_samples: Path) -> None:
    result = read(real_samples / "cellebrite" / "iped_ufed-model-chat.xml")
    # 11 messages in the chat; 3 more InstantMessages are quoted/replied copies inside them
    assert (result.rows, result.imported, result.rejected) == (11, 11, 0)
    assert result.kinds() == {"chat": 10, "other": 1}
    events = result.events
    assert set(events["thread"]) == {"5511999996666@s.whatsapp.net"}
    assert (events["party_a"] == "+5511999997777").sum() == 6
    assert set(events.loc[events["kind"] == "chat", "direction"]) == {"incoming", "outgoing"}


@pytest.mark.realsamples
def test_real_chat_every_message_gets_its_sender(real_samples: Path) -> None:
    """The 14 InstantMessages: 11 are the chat's messages, each an event naming its sender
    (From) with the direction its IsPhoneOwner flag gives; 3 are forwarded or replied-to
    copies inside a message (two without any sender), part of that message."""
    import xml.etree.ElementTree as ET

    path = real_samples / "cellebrite" / "iped_ufed-model-chat.xml"
    root = ET.parse(path).getroot()
    assert len(root.findall(".//model[@type='InstantMessage']")) == 14
    expected = {}
    for m in root.findall("./multiModelField[@name='Messages']/model[@type='InstantMessage']"):
        sender = m.find("./modelField[@name='From']/model")
        identifier = sender.find("./field[@name='Identifier']/value").text
        flag = sender.find("./field[@name='IsPhoneOwner']/value")
        owner = None if flag is None else flag.text == "True"
        expected[m.get("id")] = (identifier, owner)
    events = read(path).events.set_index("source_row")
    assert set(events.index) == set(expected)
    for row, (identifier, owner) in expected.items():
        event = events.loc[row]
        assert event["party_a_raw"] == identifier, row
        if event["kind"] == "chat":
            assert event["direction"] == {True: "outgoing", False: "incoming"}[owner], row
            assert pd.notna(event["party_b_raw"]), row


@pytest.mark.realsamples
def test_real_user_accounts_give_the_device_number(real_samples: Path) -> None:
    result = read(real_samples / "cellebrite" / "iped_ufed-model-useraccount.xml")
    assert (result.rows, result.imported, result.rejected) == (0, 0, 0)
    assert result.device == {"msisdn": ["+5511999997777"]}


# ----- end to end: import_file and the command line -----------------------------------
def test_import_file_attaches_the_device_to_a_new_subject(tmp_path: Path) -> None:
    from cellsight.core.case import Case
    from cellsight.importers.api import import_file

    case = Case.new(name="e2e")
    report = import_file(case, write_ufdr(tmp_path / "phone.ufdr", newer_report()), assume_case_tz=True)
    assert report["format"] == "ufdr"
    assert (report["rows"], report["imported"], report["rejected"]) == (16, 13, 3)
    assert report["kinds"] == {"call": 2, "sms": 2, "mms": 1, "chat": 4, "location": 2, "contact": 2}
    assert {r["row"] for r in report["rejections"]} == {"call-no-time", "loc-nowhere",
                                                         "contact-email-only"}
    subject = case.find_subject("Dan Example")
    assert subject is not None and subject.numbers == [OWNER]
    assert subject.imeis == ["356938035643809"]
    assert set(case.events["subject"]) == {"Dan Example"}
    assert case.events.loc[case.events["source_row"] == "g-1", "thread"].item() == \
        "447700900001-1600000000@g.us"


def test_cli_import_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cellsight.cli import main

    case = tmp_path / "case.cellsight"
    assert main(["new", str(case)]) == 0
    report_xml = tmp_path / "report.xml"
    report_xml.write_text(older_report(stamps=("2023-07-01T12:00:00",)), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(case), str(report_xml), "--subject", "Dan", "--tz", "UTC",
                 "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert (report["format"], report["subject"], report["rows"], report["imported"]) == \
        ("ufdr", "Dan", 6, 6)
    assert report["kinds"] == {"call": 6}
    assert main(["info", str(case), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["events"] == 6 and info["sources"][0]["tz_rule"] == "option"
    assert "+447700900001" in info["subjects"][0]["numbers"]


def test_records_compacted_in_chunks_read_the_same(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_ufdr(tmp_path / "phone.ufdr", newer_report())
    whole = read(path)
    monkeypatch.setattr(ufdr, "_CHUNK", 2)
    chunked = read(path)
    for table in ("events", "locations", "contacts"):
        pd.testing.assert_frame_equal(getattr(chunked, table), getattr(whole, table))
    assert sorted(chunked.rejections) == sorted(whole.rejections)
    assert chunked.rows == whole.rows
