"""Small valid files of every format, the seeds that the fuzzers mutate.

Each builder returns ``(file name, bytes)``. They follow the public structure of
each format (shared/DOMAIN.md) and use only Ofcom drama numbers.
"""

from __future__ import annotations

import io
import json
import zipfile

UFDR_NS = "http://pa.cellebrite.com/report/2.0"


def cdr_csv() -> tuple[str, bytes]:
    text = (
        "Operator call data records\n"
        "Target MSISDN: 447700900001\n"
        "\n"
        "Date,Time,Event Type,Calling Number,Called Number,Duration,First Cell,Last Cell,IMEI\n"
        "01/03/2023,09:15:02,MOC,447700900001,07700 900002,00:01:05,234-30-10451-23011,234-30-10451-23012,356938035643809\n"
        "01/03/2023,09:20:40,SMS-MO,447700900001,+44 7700 900002,00:00:00,234-30-10451-23011,,356938035643809\n"
        "26/03/2023,01:30:00,MTC,07700 900003,447700900001,00:00:45,234-30-10452-23013,234-30-10452-23013,356938035643809\n"
        "29/10/2023,01:30:00,SMS-MT,07700 900002,447700900001,,234-30-10451-23011,,356938035643809\n"
        "Total,,,,,00:01:50,,,\n"
    )
    return "cdr.csv", text.encode("utf-8")


def cdr_xlsx() -> tuple[str, bytes]:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Network records for 07700 900002"])
    ws.append(["All times UTC"])
    ws.append([])
    ws.append(["Start Time", "A Party", "B Party", "Direction", "Type", "Duration (s)", "LAC", "CI"])
    ws.append(["2023-03-01 09:15:02", "447700900001", "447700900002", "Incoming", "Voice", 65, 10451, 23011])
    ws.append(["2023-03-01 09:20:40", "447700900001", "447700900002", "Incoming", "SMS", 0, 10451, 23011])
    ws.append(["2023-03-02 18:01:00", "447700900002", "447700900004", "Outgoing", "Voice", 12, 10453, 23020])
    buffer = io.BytesIO()
    wb.save(buffer)
    return "victim.xlsx", buffer.getvalue()


def cells_csv() -> tuple[str, bytes]:
    text = (
        "Cell ID,Site Name,Latitude,Longitude,Azimuth,Beamwidth,Technology\n"
        "234-30-10451-23011,Northfield Road,53.4808,-2.2426,60,65,LTE\n"
        "234-30-10451-23012,Northfield Road,53.4808,-2.2426,180,65,LTE\n"
        "234-30-10452-23013,Canal Wharf,53.4721,-2.2390,300,90,UMTS\n"
    )
    return "cells.csv", text.encode("utf-8")


def opencellid_csv() -> tuple[str, bytes]:
    text = (
        "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
        "LTE,234,30,10451,23011,0,-2.2426,53.4808,1200,14,1,1459692000,1659692000,0\n"
        "GSM,234,30,10453,23020,0,-2.2501,53.4850,3000,3,1,1459692000,1659692000,0\n"
    )
    return "opencellid.csv", text.encode("utf-8")


def _field(name: str, value: str, kind: str = "String") -> str:
    return f'<field name="{name}"><value type="{kind}">{value}</value></field>'


def _party(identifier: str, role: str, owner: bool) -> str:
    return (f'<model type="Party">{_field("Identifier", identifier)}{_field("Role", role)}'
            f'{_field("IsPhoneOwner", "True" if owner else "False", "Boolean")}</model>')


def ufdr() -> tuple[str, bytes]:
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<project xmlns="{UFDR_NS}" id="p1" name="Extraction">
 <metadata section="Device Info">
  <item name="IMEI">356938035643809</item>
  <item name="MSISDN">447700900001</item>
  <item name="Device Model">Handset X</item>
 </metadata>
 <decodedData>
  <modelType type="Call">
   <model type="Call" id="c1" deleted_state="Intact">
    {_field("Direction", "Outgoing")}{_field("Status", "Established")}
    {_field("TimeStamp", "2023-03-01T09:15:02.000+00:00", "TimeStamp")}{_field("Duration", "00:01:05", "TimeSpan")}
    <multiModelField name="Parties">{_party("447700900001", "From", True)}{_party("07700 900002", "To", False)}</multiModelField>
   </model>
   <model type="Call" id="c2" deleted_state="Deleted">
    {_field("Type", "Incoming")}{_field("TimeStamp", "2023-10-29T01:30:00.000+01:00", "TimeStamp")}
    <multiModelField name="Parties">{_party("07700 900002", "From", False)}{_party("447700900001", "To", True)}</multiModelField>
   </model>
  </modelType>
  <modelType type="Chat">
   <model type="Chat" id="ch1">
    {_field("Source", "WhatsApp")}
    <multiModelField name="Messages">
     <model type="InstantMessage" id="m1">
      {_field("TimeStamp", "2023-03-02T22:00:00.000+00:00", "TimeStamp")}{_field("Body", "where are you")}
      <modelField name="From">{_party("447700900001@s.whatsapp.net", "From", True)}</modelField>
     </model>
    </multiModelField>
   </model>
  </modelType>
  <modelType type="Location">
   <model type="Location" id="l1">
    {_field("TimeStamp", "2023-03-01T09:16:00.000+00:00", "TimeStamp")}
    <modelField name="Position"><model type="Coordinate">{_field("Latitude", "53.4809", "Double")}{_field("Longitude", "-2.2425", "Double")}</model></modelField>
   </model>
  </modelType>
  <modelType type="Contact">
   <model type="Contact" id="k1">
    {_field("Name", "S")}
    <multiModelField name="Entries"><model type="PhoneNumber">{_field("Value", "07700 900002")}</model></multiModelField>
   </model>
  </modelType>
 </decodedData>
</project>
"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("report.xml", xml)
    return "phone.ufdr", buffer.getvalue()


def records_json() -> tuple[str, bytes]:
    doc = {"locations": [
        {"latitudeE7": 534808000, "longitudeE7": -22426000, "accuracy": 12,
         "timestamp": "2023-03-01T09:16:30Z", "source": "GPS"},
        {"latitudeE7": 534810000, "longitudeE7": -22420000, "accuracy": 30,
         "timestampMs": "1677662400000", "source": "WIFI"},
    ]}
    return "Records.json", json.dumps(doc).encode()


def timeline_json() -> tuple[str, bytes]:
    doc = {"semanticSegments": [
        {"startTime": "2023-03-01T09:00:00.000+00:00", "endTime": "2023-03-01T10:00:00.000+00:00",
         "timelinePath": [{"point": "53.4808000°, -2.2426000°", "time": "2023-03-01T09:10:00.000+00:00"},
                          {"point": "53.4809000°, -2.2427000°", "time": "2023-03-01T09:20:00.000+00:00"}]},
        {"startTime": "2023-03-01T10:00:00.000+00:00", "endTime": "2023-03-01T11:00:00.000+00:00",
         "visit": {"topCandidate": {"placeLocation": {"latLng": "53.4700000°, -2.2300000°"}}}},
    ], "rawSignals": [{"position": {"LatLng": "53.4808100°, -2.2426100°", "accuracyMeters": 10,
                                    "timestamp": "2023-03-01T09:30:00.000+00:00"}}]}
    return "Timeline.json", json.dumps(doc, ensure_ascii=False).encode("utf-8")


def gpx() -> tuple[str, bytes]:
    text = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="53.4808" lon="-2.2426"><time>2023-03-01T09:00:00Z</time><name>start</name></wpt>
 <trk><trkseg>
  <trkpt lat="53.4808" lon="-2.2426"><time>2023-03-01T09:10:00Z</time></trkpt>
  <trkpt lat="53.4810" lon="-2.2420"><time>2023-03-01T09:11:00Z</time></trkpt>
 </trkseg></trk>
</gpx>
"""
    return "track.gpx", text.encode()


def kml() -> tuple[str, bytes]:
    text = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
 <Document>
  <Placemark><name>stop</name><TimeStamp><when>2023-03-01T09:00:00Z</when></TimeStamp>
   <Point><coordinates>-2.2426,53.4808,0</coordinates></Point></Placemark>
  <Placemark><gx:Track>
   <when>2023-03-01T09:10:00Z</when><when>2023-03-01T09:11:00Z</when>
   <gx:coord>-2.2426 53.4808 0</gx:coord><gx:coord>-2.2420 53.4810 0</gx:coord>
  </gx:Track></Placemark>
 </Document>
</kml>
"""
    return "track.kml", text.encode()


def seed(name: str) -> tuple[str, bytes]:
    """A seed by name, built once, so every draw mutates the same bytes (XLSX stamps times)."""
    if name not in _BUILT:
        _BUILT[name] = SEEDS[name]()
    return _BUILT[name]


_BUILT: dict[str, tuple[str, bytes]] = {}

SEEDS = {
    "cdr_csv": cdr_csv,
    "cdr_xlsx": cdr_xlsx,
    "cells_csv": cells_csv,
    "opencellid_csv": opencellid_csv,
    "ufdr": ufdr,
    "records_json": records_json,
    "timeline_json": timeline_json,
    "gpx": gpx,
    "kml": kml,
}
