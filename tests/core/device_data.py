"""Phone downloads for the device tests: installed apps, Wi-Fi, Bluetooth, photographs.

The reports follow the public structure of Cellebrite's report.xml (models
``InstalledApplication``, ``WirelessNetwork``, ``BluetoothDevice``); the
photographs are tiny JPEGs whose EXIF blocks Pillow writes here.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image

from tests.core.test_import_ufdr import field, many, model, model_type, party, project, stamp


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
                   photos: dict[str, bytes] | None = None, calls: list[str] = (), zone: str | None = None) -> Path:
    """A ``.ufdr`` zip: report.xml with these models, and the photographs under ``files/Image/``."""
    types = [model_type(kind, *models) for kind, models in (
        ("Call", calls), ("InstalledApplication", apps), ("WirelessNetwork", networks),
        ("BluetoothDevice", devices)) if models]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.xml", project(*types, zone=zone))
        for name, data in (photos or {}).items():
            archive.writestr(f"files/Image/{name}", data)
    return path
