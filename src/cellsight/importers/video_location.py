"""Where and when a video in a phone download was recorded, from its box headers alone.

MP4, QuickTime (``.mov``) and 3GPP files are trees of boxes (ISO/IEC 14496-12,
the QuickTime File Format): a 4-byte big-endian size (``1``: a 64-bit size
follows; ``0``: the box runs to the end of its parent), a 4-byte type, then the
payload. The footage is one ``mdat`` box; the index and metadata sit in
``moov``, often *after* the footage (phones write it when recording stops).
This reader follows the headers only: it steps over every box it does not need
(``mdat``, the tracks) by its declared size, without reading it, and descends
only along the paths below (at most five levels: ``moov/udta/meta/ilst/item``),
so however deep a hostile file nests its boxes, the walk goes no deeper. It
reads the payloads of a few small metadata boxes:

- ``moov/udta/©xyz``: an ISO 6709 position as QuickTime user-data text (a
  16-bit length, a 16-bit language code, the text), which Android's own
  recorder writes, e.g. ``+51.5012-000.1245/``;
- ``moov/meta`` with ``keys`` and ``ilst`` (Apple's QuickTime metadata):
  ``com.apple.quicktime.location.ISO6709`` and
  ``com.apple.quicktime.creationdate`` (a time with its UTC offset);
- ``moov/udta/meta/ilst/©xyz/data`` (the iTunes-style item list some muxers use);
- ``moov/mvhd``: the movie's creation time, seconds since 1904-01-01.

3GPP's ``loci`` box is not read: phones of the last decade write ``©xyz`` (and
Apple's keys) instead. Its absence is stated in docs/formats.md.

The time of a fix, first rule that applies (docs/method.md repeats it):

1. Apple's ``creationdate``, which carries its UTC offset;
2. the ``mvhd`` creation time, read as a wall-clock time in the zone the
   import's rule gives (``--tz``). The QuickTime specification leaves its zone
   open ("common practice is to use local time"; UTC is recommended) and phones
   differ (Android's own recorder writes UTC, several camera apps local time),
   so no zone is assumed for it: the import states how many times rest on it.

Bad input never costs more than the limits below: at most ``MAX_BOXES`` boxes
are visited, ``MAX_READ_BYTES`` read, and no payload larger than ``MAX_PAYLOAD``
read. A box whose size is smaller than its own header (a loop), or runs past
its parent (a giant size, or a truncated file), is refused with
``VideoUnreadable`` naming the box and byte, so the importer can reject the
file with that reason. The three layouts were checked against files
ExifTool 13.58 wrote (``Keys:``, ``UserData:`` and ``ItemList:GPSCoordinates``).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".3gp", ".3g2")
MAX_READ_BYTES = 1024 * 1024  # headers and metadata payloads of one file; a moov's metadata is a few kB
MAX_PAYLOAD = 64 * 1024  # one metadata box read whole (keys, a data item, ©xyz)
MAX_BOXES = 4096  # a phone video has tens of boxes at the levels walked here
_MAC_EPOCH = datetime(1904, 1, 1)
_LOCATION_KEY = "com.apple.quicktime.location.ISO6709"
_CREATION_KEY = "com.apple.quicktime.creationdate"
_XYZ = b"\xa9xyz"
_APPLE_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(?:(Z)|([+-]\d\d):?(\d\d))?$")
# ISO 6709 point: latitude (±DD, ±DDMM or ±DDMMSS, each with an optional fraction),
# longitude (±DDD, ±DDDMM or ±DDDMMSS), then an optional altitude and CRS; the closing "/" optional.
_ISO6709 = re.compile(r"([+-])(\d{2}|\d{4}|\d{6})(\.\d+)?([+-])(\d{3}|\d{5}|\d{7})(\.\d+)?"
                      r"(?:[+-]\d+(?:\.\d+)?)?(?:CRS[A-Za-z0-9_:]*)?/?$")


class VideoUnreadable(Exception):
    """A video whose box structure is broken or hostile; the message is the reason, for a rejection."""


@dataclass(frozen=True)
class VideoFix:
    """A video's recorded position, the text of its time (with an offset when known) and the bases of both."""

    lat: float
    lon: float
    time: str | None
    time_basis: str  # "written offset", "mvhd, zone rule", "zone rule" or "none"
    position_from: str  # which box gave the position: "keys", "©xyz" or "ilst ©xyz"


def _angle(sign: str, whole: str, fraction: str | None, degree_digits: int) -> float | None:
    """ISO 6709 degrees from ±D[D]D, ±D[D]DMM or ±D[D]DMMSS, the fraction on the last unit;
    None when the minutes or seconds reach 60."""
    frac = float(fraction) if fraction else 0.0
    degrees, rest = int(whole[:degree_digits]), whole[degree_digits:]
    parts = [int(rest[i:i + 2]) for i in range(0, len(rest), 2)]
    if any(part >= 60 for part in parts):
        return None
    if not parts:
        value = degrees + frac
    elif len(parts) == 1:
        value = degrees + (parts[0] + frac) / 60
    else:
        value = degrees + parts[0] / 60 + (parts[1] + frac) / 3600
    return -value if sign == "-" else value


def parse_iso6709(text: object) -> tuple[float, float] | None:
    """``(latitude, longitude)`` of an ISO 6709 point string; None unless it is one on the globe."""
    match = _ISO6709.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    lat_sign, lat_whole, lat_frac, lon_sign, lon_whole, lon_frac = match.groups()
    lat = _angle(lat_sign, lat_whole, lat_frac, 2)
    lon = _angle(lon_sign, lon_whole, lon_frac, 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon


@dataclass(frozen=True)
class _Box:
    kind: bytes
    at: int  # where its header starts
    start: int  # where its payload starts
    end: int

    @property
    def name(self) -> str:
        return self.kind.decode("latin-1").replace("\xa9", "©")


class _Walker:
    """Box headers and small payloads of one file, within the module's limits."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.read_bytes = 0
        self.boxes_seen = 0

    def read(self, at: int, n: int, what: str) -> bytes:
        if self.read_bytes + n > MAX_READ_BYTES:
            raise VideoUnreadable(f"more than {MAX_READ_BYTES:,} bytes of box headers and metadata "
                                  f"(at {what}, byte {at:,}): not a phone's video")
        self.read_bytes += n
        self.stream.seek(at)
        data = self.stream.read(n)
        if len(data) < n:
            raise VideoUnreadable(f"the file ends inside {what} at byte {at:,} (truncated)")
        return data

    def payload(self, box: _Box) -> bytes:
        if box.end - box.start > MAX_PAYLOAD:
            raise VideoUnreadable(f"box {box.name} at byte {box.at:,} declares {box.end - box.start:,} bytes "
                                  f"of metadata, more than the {MAX_PAYLOAD:,} read")
        return self.read(box.start, box.end - box.start, f"box {box.name}")

    def children(self, start: int, end: int, parent: _Box | None = None) -> Iterator[_Box]:
        """The boxes between ``start`` and ``end`` (in ``parent``, or the file), checked against its bounds."""
        at = start
        while end - at >= 8:
            self.boxes_seen += 1
            if self.boxes_seen > MAX_BOXES:
                raise VideoUnreadable(f"more than {MAX_BOXES:,} boxes: not a phone's video")
            size, kind = struct.unpack(">I4s", self.read(at, 8, "a box header"))
            head = 8
            if size == 1:
                (size,) = struct.unpack(">Q", self.read(at + 8, 8, "a 64-bit box size"))
                head = 16
            elif size == 0:
                size = end - at  # runs to the end of its parent
            box = _Box(kind, at, at + head, at + size)
            if size < head:
                raise VideoUnreadable(f"box {box.name!r} at byte {at:,} declares {size} bytes, fewer than "
                                      "its own header")
            if box.end > end:
                where = "the file" if parent is None else f"the {parent.name!r} box that holds it"
                raise VideoUnreadable(f"box {box.name!r} at byte {at:,} declares {size:,} bytes, beyond the "
                                      f"end of {where} (byte {end:,}): truncated or corrupt")
            yield box
            at = box.end


def _text_value(payload: bytes) -> str | None:
    return payload.decode("utf-8", "replace").rstrip("\x00").strip() or None


def _data_value(walker: _Walker, item: _Box) -> str | None:
    """The text of an item-list entry's ``data`` box (type indicator and locale, then the value)."""
    for child in walker.children(item.start, item.end, item):
        if child.kind == b"data":
            payload = walker.payload(child)
            return _text_value(payload[8:]) if len(payload) > 8 else None
    return None


def _keys(payload: bytes) -> dict[int, str]:
    """A ``keys`` box's names by their 1-based index (version and flags, a count, then sized entries)."""
    names: dict[int, str] = {}
    if len(payload) < 8:
        return names
    (count,) = struct.unpack(">I", payload[4:8])
    at = 8
    for index in range(1, count + 1):
        if at + 8 > len(payload):
            break
        (size,) = struct.unpack(">I", payload[at:at + 4])
        if size < 8 or at + size > len(payload):
            break
        names[index] = payload[at + 8:at + size].decode("utf-8", "replace")
        at += size
    return names


class _Found:
    """What the metadata boxes of one file said, before the rules choose."""

    def __init__(self) -> None:
        self.positions: dict[str, str] = {}  # "keys", "©xyz", "ilst ©xyz" -> the ISO 6709 text
        self.creationdate: str | None = None
        self.created: datetime | None = None  # mvhd's creation time, as written (no zone)

    def meta(self, walker: _Walker, box: _Box) -> None:
        """A ``meta`` box: a full box in MP4 (version and flags first), a plain one in QuickTime."""
        first = walker.read(box.start, 8, "box meta") if box.end - box.start >= 8 else b""
        start = box.start if first[4:8] == b"hdlr" else box.start + 4
        names: dict[int, str] = {}
        items: list[tuple[bytes, str | None]] = []
        for child in walker.children(start, box.end, box):
            if child.kind == b"keys":
                names = _keys(walker.payload(child))
            elif child.kind == b"ilst":
                items = [(item.kind, _data_value(walker, item))
                         for item in walker.children(child.start, child.end, child)]
        for kind, value in items:
            key = names.get(int.from_bytes(kind, "big")) if names else None
            if key == _LOCATION_KEY and value:
                self.positions.setdefault("keys", value)
            elif key == _CREATION_KEY and value:
                self.creationdate = value
            elif kind == _XYZ and value:
                self.positions.setdefault("ilst ©xyz", value)

    def udta(self, walker: _Walker, box: _Box) -> None:
        for child in walker.children(box.start, box.end, box):
            if child.kind == _XYZ:
                payload = walker.payload(child)
                if len(payload) >= 4:
                    (length,) = struct.unpack(">H", payload[:2])
                    text = _text_value(payload[4:4 + length])
                    if text:
                        self.positions.setdefault("©xyz", text)
            elif child.kind == b"meta":
                self.meta(walker, child)

    def mvhd(self, walker: _Walker, box: _Box) -> None:
        head = walker.read(box.start, min(box.end - box.start, 12), "box mvhd")
        if len(head) < 8:
            return
        seconds = struct.unpack(">Q", head[4:12])[0] if head[0] == 1 and len(head) >= 12 else \
            struct.unpack(">I", head[4:8])[0]
        try:
            self.created = _MAC_EPOCH + timedelta(seconds=seconds) if seconds else None
        except OverflowError:
            self.created = None  # beyond any calendar: no time


def _time(found: _Found) -> tuple[str | None, str]:
    if found.creationdate:
        match = _APPLE_TIME.match(found.creationdate.strip())
        if match:
            wall, zulu, hours, minutes = match.groups()
            if zulu:
                return wall + "Z", "written offset"
            if hours:
                return f"{wall}{hours}:{minutes}", "written offset"
            return wall, "zone rule"
    if found.created is not None:
        return found.created.isoformat(timespec="seconds"), "mvhd, zone rule"
    return None, "none"


def video_fix(stream: BinaryIO, size: int) -> VideoFix | None:
    """The recorded position and time of an MP4/QuickTime video; None when it records no position.

    ``stream`` must support ``seek`` and ``read``; ``size`` is the file's length.
    Raises ``VideoUnreadable`` with the reason when the boxes are broken or hostile.
    """
    walker = _Walker(stream)
    found = _Found()
    moov = None
    for box in walker.children(0, size):
        if walker.boxes_seen == 1 and not re.fullmatch(rb"[\x20-\x7e\xa9]{4}", box.kind):
            raise VideoUnreadable(f"not an MP4 or QuickTime file (its first box type is {box.kind!r})")
        if box.kind == b"moov":
            moov = box
            break  # everything read here is in moov: what follows is never visited
    if moov is None:
        raise VideoUnreadable("no 'moov' box (the video's index and metadata): truncated, or not a video")
    for child in walker.children(moov.start, moov.end, moov):
        if child.kind == b"mvhd":
            found.mvhd(walker, child)
        elif child.kind == b"udta":
            found.udta(walker, child)
        elif child.kind == b"meta":
            found.meta(walker, child)
    for origin in ("keys", "©xyz", "ilst ©xyz"):
        position = parse_iso6709(found.positions.get(origin))
        if position is not None:
            time, basis = _time(found)
            return VideoFix(position[0], position[1], time, basis, origin)
    if found.positions:
        origin, text = next(iter(found.positions.items()))
        raise VideoUnreadable(f"its position ({origin}) {text[:40]!r} is not an ISO 6709 point on the globe")
    return None
