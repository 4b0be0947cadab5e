"""Phone downloads for the device tests (and the case built from two of them).

Installed apps, Wi-Fi, Bluetooth, photographs and videos. The reports follow
the public structure of Cellebrite's report.xml (models ``InstalledApplication``,
``WirelessNetwork``, ``BluetoothDevice``); the photographs are tiny JPEGs whose
EXIF blocks Pillow writes here, the videos MP4s written box by box (``video_data``).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from PIL import Image

from cellsight.core.case import Case
from cellsight.importers.api import import_file

from tests.core.test_import_ufdr import field, many, model, model_type, party, project, stamp
from tests.core.video_data import video


def jpeg(lat: float | None, lon: float | None, gps_utc: tuple[str, tuple[int, int, int]] | None = None,
         original: str | None = None, offset: str | None = None) -> bytes:
    """An 8x8 JPEG with an EXIF GPS position (degrees, minutes, seconds) and the times given."""
    exif = Image.Exif()
    gps: dict[int, object] = {}
    if lat is not None and lon is not None:
        gps.update({1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)), 3: "E" if lon >= 0 else "W", 4: _dms(abs(lon))})
    if gps_utc is not None:
        gps.update({29: gps_utc[0], 7: tuple(float(v) for v in gps_utc[1])})
    if gps:
        exif[0x8825] = gps
    details: dict[int, object] = {}
    if original:
        details[0x9003] = original
    if offset:
        details[0x9011] = offset
    if details:
        exif[0x8769] = details
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 120, 150)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return float(degrees), float(minutes), seconds


def app(ident: str, package: str, name: str, installed: str | None = None,
        permissions: tuple[str, ...] = (), deleted: str = "Intact") -> str:
    parts = [field("Identifier", package), field("Name", name), field("Version", "1.0")]
    if installed:
        parts.append(f'<field name="PurchaseDate" type="TimeStamp"><value type="TimeStamp">{installed}</value></field>')
    if permissions:
        values = "".join(f'<value type="String">{p}</value>' for p in permissions)
        parts.append(f'<multiField name="Permissions" type="String">{values}</multiField>')
    return model("InstalledApplication", ident, *parts, deleted=deleted)


def wifi(ident: str, ssid: str, bssid: str, last: str | None = None, security: str = "WPA2") -> str:
    parts = [field("SSId", ssid), field("BSSId", bssid), field("SecurityMode", security)]
    if last:
        parts.append(f'<field name="LastConnection" type="TimeStamp"><value type="TimeStamp">{last}</value></field>')
    return model("WirelessNetwork", ident, *parts)


def bluetooth(ident: str, name: str, address: str) -> str:
    return model("BluetoothDevice", ident, field("Name", name), field("MACAddress", address))


def call(ident: str, when: str, other: str) -> str:
    return model("Call", ident, field("Direction", "Outgoing"), stamp(when),
                 many("Parties", party(other, "To", False)))


def phone_download(path: Path, apps: list[str] = (), networks: list[str] = (), devices: list[str] = (),
                   photos: dict[str, bytes] | None = None, calls: list[str] = (), zone: str | None = None,
                   videos: dict[str, bytes] | None = None, video_compression: int = zipfile.ZIP_STORED) -> Path:
    """A ``.ufdr`` zip: report.xml with these models, the photographs under ``files/Image/`` and the
    videos under ``files/Video/`` (stored, as media usually is, unless ``video_compression`` says)."""
    types = [model_type(kind, *models) for kind, models in (
        ("Call", calls), ("InstalledApplication", apps), ("WirelessNetwork", networks),
        ("BluetoothDevice", devices)) if models]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", project(*types, zone=zone))
        for name, data in (photos or {}).items():
            archive.writestr(f"files/Image/{name}", data)
        for name, data in (videos or {}).items():
            archive.writestr(f"files/Video/{name}", data, compress_type=video_compression)
    return path


HOME = (51.5012, -0.1245)
ACCESSIBILITY = "android.permission.BIND_ACCESSIBILITY_SERVICE"


def victim_download(path: Path) -> Path:
    return phone_download(
        path,
        apps=[app("a-spy", "com.mxspy", "System Service", "2024-03-01T09:15:00+00:00",
                  permissions=("android.permission.BIND_DEVICE_ADMIN", ACCESSIBILITY)),
              app("a-watch", "com.wondershare.famisafe.kids", "FamiSafe Kids", "2024-02-20T18:00:00+00:00"),
              app("a-near", "com.mxspy.helper", "Helper"),  # an indicator's id as a prefix: another app
              app("a-named", "org.example.truthspy", "TheTruthSpy"),  # an indicator's name: not an identifier
              app("a-case", "COM.MXSPY", "Shouting"),  # identifiers are compared exactly
              app("a-reader", "org.example.reader", "Screen Reader", permissions=(ACCESSIBILITY,)),
              app("a-maps", "org.example.maps", "Maps", permissions=("android.permission.ACCESS_FINE_LOCATION",))],
        networks=[wifi("w-home", "Maple-Home", "AA-BB-CC-00-11-22", "2024-03-05T21:00:00+00:00"),
                  wifi("w-cafe", "Cafe", "10:20:30:40:50:60")],
        devices=[bluetooth("b-1", "Car kit", "00:11:22:33:44:55")],
        photos={"gps.jpg": jpeg(*HOME, gps_utc=("2024:03:02", (13, 45, 10))),
                "offset.jpg": jpeg(51.52, -0.13, original="2024:07:01 10:00:00", offset="+02:00"),
                "zone.jpg": jpeg(51.53, -0.14, original="2024:07:01 10:00:00"),
                "plain.jpg": jpeg(None, None, original="2024:07:01 10:00:00"),
                "notime.jpg": jpeg(51.54, -0.15)},
        calls=[call("c-1", "2024-03-01T10:00:00+00:00", "07700900002")])


def suspect_download(path: Path) -> Path:
    return phone_download(
        path,
        networks=[wifi("s-home", "Maple-Home", "aabb.cc00.1122", "2024-03-04T23:10:00+00:00"),
                  wifi("s-near", "Maple-Home", "aa:bb:cc:00:11:23")],  # one digit away: another router
        calls=[call("s-c1", "2024-03-01T10:00:00+00:00", "07700900001")],
        videos={"VID_20240304_224500.mp4": video("+51.5013-000.1246/", created=datetime(2024, 3, 4, 22, 45))})


def device_case(folder: Path) -> Case:
    """Alice (victim) and Dan (suspect), her home with its router's BSSID, and both downloads imported.

    Dan's download holds a video recorded outside her home (its time only in ``mvhd``, read in UTC here)."""
    case = Case.new(name="Devices", tz="Europe/London")
    case.set_subject("Alice", role="victim", numbers=["07700 900001"])
    case.set_subject("Dan", role="suspect", numbers=["07700 900002"])
    case.set_place("Home", *HOME, radius_m=50)
    case.add_bssids("Home", ["AA:BB:CC:00:11:22"])
    import_file(case, victim_download(folder / "alice.ufdr"), subject="Alice", exhibit="AM/1", tz="Europe/London")
    import_file(case, suspect_download(folder / "dan.ufdr"), subject="Dan", exhibit="DR/1", tz="UTC")
    return case
