"""The photographs and videos of a phone download that record where they were taken.

A UFDR zip holds the phone's files beside ``report.xml``. Each JPEG is read
for its EXIF position (``photo_exif``), each MP4/QuickTime/3GPP video for the
position in its metadata boxes (``video_location``); each position becomes a
fix of origin ``photo`` named by the file's path in the archive, labelled with
what kind of file it is and on what its time rests.

A video's metadata often sits after the footage, so its reader seeks past the
footage by the boxes' declared sizes. A member stored without compression (as
media usually is, being compressed already) is read straight from the archive
file at its offset, so the footage is never read; a compressed member can only
be reached by inflating what comes before (Python's ``zipfile`` seeks forward by
reading), which costs time, not memory.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cellsight.importers.fixes import FixBuffer
from cellsight.importers.photo_exif import HEADER_BYTES, PHOTO_SUFFIXES, photo_fix
from cellsight.importers.safety import checked_members
from cellsight.importers.video_location import VIDEO_SUFFIXES, VideoUnreadable, video_fix
from cellsight.progress import Progress, check

_ZIP_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError)


@dataclass
class MediaCounts:
    """What the scan of an archive's photographs and videos found (for the import's warnings)."""

    photos: int = 0
    located: int = 0
    videos: int = 0
    videos_located: int = 0
    videos_unreadable: int = 0
    video_bases: dict[str, int] = field(default_factory=dict)  # time basis -> located videos

    def warnings(self, zone: str) -> list[str]:
        """The import's lines about the media; none about videos when there are none."""
        out = []
        if self.photos:
            out.append(f"{self.photos} photographs in the archive, {self.located} with a GPS position "
                       "(fixes of origin photo)")
        if self.videos:
            unreadable = (f"; {self.videos_unreadable} could not be read (rejected, each with its reason)"
                          if self.videos_unreadable else "")
            out.append(f"{self.videos} videos in the archive, {self.videos_located} with a recorded position "
                       f"(fixes of origin photo){unreadable}")
        on_mvhd = self.video_bases.get("mvhd, zone rule", 0)
        if on_mvhd:
            out.append(f"{on_mvhd} videos' times rest on the QuickTime creation time (mvhd), which states no "
                       f"zone: read as {zone} wall-clock time (the zone rule). If the phone's camera wrote "
                       "UTC there, as the specification recommends, those times are off by the zone's offset")
        return out


class _StoredMember:
    """A zip member stored without compression, read in place: seeking skips without reading."""

    def __init__(self, raw: BinaryIO, info: zipfile.ZipInfo) -> None:
        raw.seek(info.header_offset)
        header = raw.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {info.filename}")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        self.raw, self.start, self.size = raw, info.header_offset + 30 + name_length + extra_length, info.file_size
        self.at = 0

    def seek(self, offset: int) -> int:
        self.at = max(0, min(offset, self.size))
        return self.at

    def read(self, n: int) -> bytes:
        n = max(0, min(n, self.size - self.at))
        self.raw.seek(self.start + self.at)
        data = self.raw.read(n)
        self.at += len(data)
        return data


def _video(archive: zipfile.ZipFile, raw: BinaryIO, info: zipfile.ZipInfo):
    """The video's fix (or None); raises VideoUnreadable or a zip error with the reason."""
    if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
        return video_fix(_StoredMember(raw, info), info.file_size)
    with archive.open(info) as stream:
        return video_fix(stream, info.file_size)


def scan_archive(path: Path, fixes: FixBuffer, progress: Progress) -> MediaCounts:
    """Add a ``photo`` fix to ``fixes`` for each photograph or video in the zip that records a position.

    Each becomes a row named by its path in the archive; one with a position but
    no readable time is one too, and is rejected with that reason when the fixes
    are finished. A file that cannot be read is rejected with the reason.
    """
    counts = MediaCounts()
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        members, _ = checked_members(archive, path.name)
        media = [m for m in members if not m.is_dir()
                 and m.filename.lower().endswith(PHOTO_SUFFIXES + VIDEO_SUFFIXES)]
        for done, info in enumerate(media):
            if done % 200 == 0:
                check(progress)
                progress.update(done, len(media), f"Reading photographs' and videos' locations in {path.name}")
            name = info.filename.rsplit("/", 1)[-1]
            if info.filename.lower().endswith(PHOTO_SUFFIXES):
                counts.photos += 1
                try:
                    with archive.open(info) as stream:
                        header = stream.read(HEADER_BYTES)
                except _ZIP_ERRORS as exc:
                    fixes.reject(info.filename, f"photograph cannot be read from the archive ({exc})")
                    continue
                found = photo_fix(header)
                if found is not None:
                    counts.located += 1
                    fixes.add(info.filename, found.lat, found.lon, time=found.time, origin="photo",
                              label=f"photo {name} (time: {found.time_basis})")
                continue
            counts.videos += 1
            try:
                clip = _video(archive, raw, info)
            except (VideoUnreadable, *_ZIP_ERRORS) as exc:
                counts.videos_unreadable += 1
                fixes.reject(info.filename, f"video's location metadata cannot be read: {exc}")
                continue
            if clip is not None:
                counts.videos_located += 1
                counts.video_bases[clip.time_basis] = counts.video_bases.get(clip.time_basis, 0) + 1
                fixes.add(info.filename, clip.lat, clip.lon, time=clip.time, origin="photo",
                          label=f"video {name} (position: {clip.position_from}; time: {clip.time_basis})")
    return counts
