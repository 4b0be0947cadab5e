"""Where and when a photograph in a phone download was taken, from its EXIF header alone.

A UFDR zip holds the phone's own files beside ``report.xml``. For each JPEG
among them only the first ``HEADER_BYTES`` are inflated (``media_locations``):
the EXIF block (a JPEG APP1 segment, at most 64 KB) sits at the start, so the
pixels are never decoded and a huge or hostile file costs no more than a small
one. Pillow parses the
EXIF block (``Image.Exif``), nothing else of the file.

The time of a fix, first rule that applies (the method statement repeats it):

1. the GPS date and time stamps, which are UTC by the EXIF standard;
2. the original time with the offset written beside it (``OffsetTimeOriginal``);
3. the original time alone, read in the zone the import's rule gives for times
   without an offset (``--tz``, the report's stated zone, ...).

A photograph may have been received rather than taken on the phone, so its fix
has origin ``photo`` and enters proximity only when the officer includes photo
fixes.
"""

from __future__ import annotations

import math
import re
import struct
import warnings
from dataclasses import dataclass

from PIL import Image

HEADER_BYTES = 128 * 1024
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".jpe")
_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _DATETIME = 0x9003, 0x9011, 0x0132
_EXIF_TIME = re.compile(r"(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)")
_OFFSET = re.compile(r"[+-]\d\d:\d\d")


@dataclass(frozen=True)
class PhotoFix:
    """A photograph's position and the text of its time (ISO 8601; with ``Z`` or an offset if known)."""

    lat: float
    lon: float
    time: str | None
    time_basis: str  # "gps (UTC)", "written offset", "zone rule", or "none"


def exif_block(header: bytes) -> bytes | None:
    """The EXIF payload of a JPEG's APP1 segment, found by walking the markers; None if absent."""
    if not header.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 4 <= len(header):
        if header[at] != 0xFF:
            return None
        marker = header[at + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no EXIF before the pixels
            return None
        (length,) = struct.unpack(">H", header[at + 2:at + 4])
        payload = header[at + 4:at + 2 + length]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            return payload
        at += 2 + length
    return None


def _degrees(value: object) -> float:
    try:
        d, m, s = (float(part) for part in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return math.nan
    return d + m / 60 + s / 3600


def _exif_time(text: object) -> str | None:
    match = _EXIF_TIME.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    y, mo, d, h, mi, s = match.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}"


def _gps_time(gps: dict) -> str | None:
    date = gps.get(29)
    stamp = gps.get(7)
    if not isinstance(date, str) or stamp is None:
        return None
    try:
        h, m, s = (float(part) for part in stamp)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not (math.isfinite(h) and math.isfinite(m) and math.isfinite(s)):
        return None
    day = date.strip().replace(":", "-")
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", day) or not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 61):
        return None
    return f"{day}T{int(h):02d}:{int(m):02d}:{min(int(s), 59):02d}Z"


def photo_fix(header: bytes) -> PhotoFix | None:
    """The GPS position and time of a JPEG from its first bytes; None when it has no GPS position."""
    block = exif_block(header)
    if block is None:
        return None
    exif = Image.Exif()
    try:
        with warnings.catch_warnings():  # Pillow warns of corrupt EXIF; a bad block is simply no fix
            warnings.simplefilter("ignore")
            exif.load(block)
            gps = dict(exif.get_ifd(_GPS_IFD))
            details = dict(exif.get_ifd(_EXIF_IFD))
    except (SyntaxError, ValueError, struct.error, OSError, KeyError, TypeError):
        return None
    lat, lon = _degrees(gps.get(2)), _degrees(gps.get(4))
    if math.isnan(lat) or math.isnan(lon):
        return None
    if str(gps.get(1, "N")).strip().upper().startswith("S"):
        lat = -lat
    if str(gps.get(3, "E")).strip().upper().startswith("W"):
        lon = -lon
    utc = _gps_time(gps)
    if utc:
        return PhotoFix(lat, lon, utc, "gps (UTC)")
    written = _exif_time(details.get(_DATETIME_ORIGINAL)) or _exif_time(exif.get(_DATETIME))
    if written is None:
        return PhotoFix(lat, lon, None, "none")
    offset = details.get(_OFFSET_ORIGINAL)
    if isinstance(offset, str) and _OFFSET.fullmatch(offset.strip()):
        return PhotoFix(lat, lon, written + offset.strip(), "written offset")
    return PhotoFix(lat, lon, written, "zone rule")
