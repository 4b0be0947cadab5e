"""Tiny MP4/QuickTime files for the video tests, written box by box (no footage: ``mdat`` is zeros).

``box`` writes one ISO-BMFF box (32-bit size, or a 64-bit one with
``large=True``); ``video`` assembles a file the way phones lay theirs out:
``ftyp``, the footage, then ``moov`` with the movie header and the metadata
asked for (Android's ``udta/©xyz``, Apple's ``meta`` keys and item list, or an
iTunes-style ``udta/meta/ilst/©xyz``).
"""

from __future__ import annotations

import struct
from datetime import datetime

MAC_EPOCH = datetime(1904, 1, 1)


def box(kind: bytes, *parts: bytes, large: bool = False) -> bytes:
    body = b"".join(parts)
    if large:
        return struct.pack(">I4sQ", 1, kind, 16 + len(body)) + body
    return struct.pack(">I4s", 8 + len(body), kind) + body


def mvhd(created: datetime | None, version: int = 0) -> bytes:
    seconds = int((created - MAC_EPOCH).total_seconds()) if created else 0
    if version == 1:
        times = struct.pack(">QQIQ", seconds, seconds, 1000, 0)
    else:
        times = struct.pack(">IIII", seconds, seconds, 1000, 0)
    return box(b"mvhd", bytes([version, 0, 0, 0]), times, bytes(80))


def xyz(text: str) -> bytes:
    """QuickTime user-data text: length, language code (0x15c7, English), the text."""
    raw = text.encode()
    return box(b"\xa9xyz", struct.pack(">HH", len(raw), 0x15C7), raw)


def data(value: str) -> bytes:
    return box(b"data", struct.pack(">II", 1, 0), value.encode())  # type 1: UTF-8; locale 0


def apple_meta(values: dict[str, str]) -> bytes:
    """QuickTime ``meta`` (no version/flags): ``hdlr`` 'mdta', ``keys``, ``ilst`` items by key index."""
    hdlr = box(b"hdlr", bytes(8), b"mdta", bytes(12), b"\x00")
    entries = b"".join(struct.pack(">I4s", 8 + len(k.encode()), b"mdta") + k.encode() for k in values)
    keys = box(b"keys", bytes(4), struct.pack(">I", len(values)), entries)
    items = b"".join(box(struct.pack(">I", i), data(v)) for i, v in enumerate(values.values(), start=1))
    return box(b"meta", hdlr, keys, box(b"ilst", items))


def itunes_meta(location: str) -> bytes:
    """MP4 ``udta/meta`` (a full box: version and flags first) with an ``ilst`` ``©xyz`` item."""
    hdlr = box(b"hdlr", bytes(8), b"mdir", bytes(12), b"\x00")
    return box(b"meta", bytes(4), hdlr, box(b"ilst", box(b"\xa9xyz", data(location))))


def video(location: str | None = None, created: datetime | None = None, apple: dict[str, str] | None = None,
          itunes: str | None = None, footage: int = 4096, large_mdat: bool = False,
          moov_first: bool = False) -> bytes:
    """An MP4 whose ``moov`` holds a movie header created at ``created`` and the metadata given."""
    udta_parts = ([xyz(location)] if location else []) + ([itunes_meta(itunes)] if itunes else [])
    moov = box(b"moov", mvhd(created), box(b"trak", box(b"tkhd", bytes(84))),
               *([box(b"udta", *udta_parts)] if udta_parts else []),
               *([apple_meta(apple)] if apple else []))
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2mp41")
    mdat = box(b"mdat", bytes(footage), large=large_mdat)
    return ftyp + (moov + mdat if moov_first else mdat + moov)


class SparseFile:
    """A file of ``size`` bytes holding ``parts`` at their offsets (zeros elsewhere) that records every read.

    It lets a test hand the reader a video whose footage is gigabytes long
    without writing it, and then check which bytes the reader asked for.
    """

    def __init__(self, parts: dict[int, bytes], size: int) -> None:
        self.parts, self.size, self.at = parts, size, 0
        self.reads: list[tuple[int, int]] = []  # (offset, length) of each read

    def seek(self, offset: int, whence: int = 0) -> int:
        self.at = offset
        return offset

    def read(self, n: int) -> bytes:
        n = max(0, min(n, self.size - self.at))
        self.reads.append((self.at, n))
        out = bytearray(n)
        for offset, blob in self.parts.items():
            lo, hi = max(offset, self.at), min(offset + len(blob), self.at + n)
            if lo < hi:
                out[lo - self.at:hi - self.at] = blob[lo - offset:hi - offset]
        self.at += n
        return bytes(out)

    @property
    def bytes_read(self) -> int:
        return sum(n for _, n in self.reads)
