"""Videos in a phone download as location fixes: MP4/QuickTime files written box by box here.

The download holds an Android-style video (``udta/©xyz``, the time only in
``mvhd``), an iPhone-style one (Apple's keys with a creation date carrying its
offset, after a 64-bit ``mdat``), an iTunes-style item list, one without a
position, one without a time and one whose footage box runs past the end of
the file. Hostile files are fed to the reader through ``SparseFile``, which
records every byte asked for.
"""

from __future__ import annotations

import struct
import zipfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import proximity
from cellsight.analysis.devices import device_findings
from cellsight.core.case import Case
from cellsight.importers.api import import_file
from cellsight.importers.video_location import (MAX_BOXES, MAX_PAYLOAD, MAX_READ_BYTES, VideoFix,
                                                VideoUnreadable, parse_iso6709, video_fix)
from tests.core.device_data import HOME, call, phone_download
from tests.core.video_data import SparseFile, apple_meta, box, mvhd, video, xyz

APPLE = {"com.apple.quicktime.location.ISO6709": "+51.5072-000.1276+011.000/",
         "com.apple.quicktime.make": "Apple",
         "com.apple.quicktime.creationdate": "2024-03-02T13:45:10+0100"}


def _download(path: Path, compression: int = zipfile.ZIP_STORED) -> Path:
    return phone_download(path, calls=[call("c-1", "2024-03-01T10:00:00+00:00", "07700900002")],
                          video_compression=compression, videos={
        "android.mp4": video("+51.5012-000.1245/", created=datetime(2024, 7, 1, 10, 0, 0)),
        "iphone.mov": video(apple=APPLE, created=datetime(2024, 3, 2, 12, 45, 10), large_mdat=True),
        "itunes.m4v": video(itunes="+5130.0000-00007.2000/", created=datetime(2024, 1, 10, 8, 0, 0)),
        "plain.mp4": video(created=datetime(2024, 7, 1, 10, 0, 0)),
        "notime.3gp": video("+51.5200-000.1300/"),
        "cut.mp4": video("+51.5012-000.1245/", created=datetime(2024, 7, 1, 10, 0, 0))[:-40]})


@pytest.fixture(params=[zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def case(tmp_path: Path, request) -> tuple[Case, object]:
    case = Case.new(name="Videos", tz="Europe/London")
    case.set_subject("Alice", role="victim", numbers=["07700 900001"])
    case.set_place("Home", *HOME, radius_m=50)
    report = import_file(case, _download(tmp_path / "alice.ufdr", request.param), subject="Alice",
                         exhibit="AM/1", tz="Europe/London")
    return case, report


def test_videos_become_photo_fixes_with_their_time_basis(case) -> None:
    case, _report = case
    loc = case.locations[case.locations["origin"] == "photo"].set_index("source_row")
    assert sorted(loc.index) == ["files/Video/android.mp4", "files/Video/iphone.mov", "files/Video/itunes.m4v"]
    android, iphone, itunes = (loc.loc[f"files/Video/{n}"] for n in ("android.mp4", "iphone.mov", "itunes.m4v"))
    assert (android["lat"], android["lon"]) == (pytest.approx(51.5012), pytest.approx(-0.1245))
    assert android["time"] == pd.Timestamp("2024-07-01T09:00:00Z")  # mvhd read as London wall clock (BST)
    assert android["label"] == "video android.mp4 (position: ©xyz; time: mvhd, zone rule)"
    assert (iphone["lat"], iphone["lon"]) == (pytest.approx(51.5072), pytest.approx(-0.1276))
    assert iphone["time"] == pd.Timestamp("2024-03-02T12:45:10Z")  # the written offset, not mvhd
    assert iphone["label"] == "video iphone.mov (position: keys; time: written offset)"
    assert (itunes["lat"], itunes["lon"]) == (pytest.approx(51.5), pytest.approx(-0.12))  # DDMM.MMMM form
    assert itunes["time"] == pd.Timestamp("2024-01-10T08:00:00Z")  # GMT in January
    assert _phone(case)["photo_fixes"] == 3


def _phone(case: Case) -> dict:
    (phone,) = device_findings(case)
    return phone


def test_unreadable_and_timeless_videos_are_rejected_with_the_reason(case) -> None:
    case, report = case
    rejected = case.rejections.set_index("row")["reason"]
    assert rejected["files/Video/notime.3gp"].startswith("no time")
    assert rejected["files/Video/cut.mp4"] == (
        "video's location metadata cannot be read: box 'moov' at byte 4,132 declares 254 bytes, beyond "
        "the end of the file (byte 4,346): truncated or corrupt")  # ftyp 28 + mdat 4,104; 40 bytes cut
    assert "files/Video/plain.mp4" not in rejected.index  # no position: not a location record
    assert (report["rows"], report["imported"], report["rejected"]) == (1 + 5, 1 + 3, 2)  # a call, 5 videos
    warnings = " | ".join(report["warnings"])
    assert ("6 videos in the archive, 4 with a recorded position (fixes of origin photo); 1 could not be "
            "read") in warnings
    assert "2 videos' times rest on the QuickTime creation time (mvhd)" in warnings
    assert "read as Europe/London wall-clock time" in warnings


def test_video_fixes_enter_proximity_only_when_photos_are_included(case) -> None:
    case, _report = case
    without = proximity.run(case, "Alice", place="Home")
    with_media = proximity.run(case, "Alice", place="Home", include_photos=True)
    assert len(without.occasions) == 0 and len(with_media.occasions) == 1


def test_the_footage_is_never_read() -> None:
    """A 6 GB video with its metadata after the footage: only headers and metadata are asked for."""
    head = box(b"ftyp", b"qt  ", bytes(4), b"qt  ")
    footage = 6 * 1024**3
    mdat_header = struct.pack(">I4sQ", 1, b"mdat", 16 + footage)
    moov = box(b"moov", mvhd(datetime(2024, 3, 2, 12, 45, 10), version=1), box(b"udta", xyz("+51.5012-000.1245/")),
               apple_meta(APPLE))
    mdat_at = len(head)
    moov_at = mdat_at + 16 + footage
    sparse = SparseFile({0: head, mdat_at: mdat_header, moov_at: moov}, moov_at + len(moov))
    found = video_fix(sparse, sparse.size)
    assert found == VideoFix(51.5072, -0.1276, "2024-03-02T13:45:10+01:00", "written offset", "keys")
    assert all(offset + n <= mdat_at + 16 or offset >= moov_at for offset, n in sparse.reads)
    assert sparse.bytes_read < 1024


def _reason(data: bytes) -> tuple[str, SparseFile]:
    sparse = SparseFile({0: data}, len(data))
    with pytest.raises(VideoUnreadable) as caught:
        video_fix(sparse, len(data))
    return str(caught.value), sparse


def test_hostile_videos_give_reasons_within_the_limits() -> None:
    ftyp = box(b"ftyp", b"isom")
    loop, _ = _reason(ftyp + struct.pack(">I4s", 4, b"free") + bytes(64))
    assert loop == "box 'free' at byte 12 declares 4 bytes, fewer than its own header"
    giant, sparse = _reason(ftyp + struct.pack(">I4sQ", 1, b"mdat", 2**63) + bytes(64))
    assert giant.startswith("box 'mdat' at byte 12 declares 9,223,372,036,854,775,808 bytes, beyond the end "
                            "of the file")
    assert sparse.bytes_read == 8 + 16  # two headers (one with its 64-bit size), nothing of the footage
    to_end, _ = _reason(ftyp + struct.pack(">I4s", 0, b"mdat") + bytes(64))  # size 0: to the end, no moov after
    assert to_end.startswith("no 'moov' box")
    inner, _ = _reason(ftyp + box(b"moov", struct.pack(">I4s", 500, b"udta")))
    assert inner.startswith("box 'udta' at byte 20 declares 500 bytes, beyond the end of the 'moov' box")
    many, sparse = _reason(ftyp + box(b"free") * (MAX_BOXES + 10))
    assert many == f"more than {MAX_BOXES:,} boxes: not a phone's video"
    assert sparse.bytes_read <= 8 * (MAX_BOXES + 2)
    huge_keys, sparse = _reason(ftyp + box(b"moov", box(b"meta", box(b"hdlr", bytes(24)),
                                                       box(b"keys", bytes(MAX_PAYLOAD + 1)))))
    assert "declares 65,537 bytes of metadata, more than the 65,536 read" in huge_keys
    assert sparse.bytes_read < 200
    junk, _ = _reason(b"\x00\x00\x00\x10\x00\x01\x02\x03" + bytes(64))
    assert junk.startswith("not an MP4 or QuickTime file")
    bad_place, _ = _reason(video("somewhere/", created=datetime(2024, 1, 1)))
    assert bad_place == "its position (©xyz) 'somewhere/' is not an ISO 6709 point on the globe"


def test_deep_nesting_goes_no_deeper_than_the_paths_read() -> None:
    nested = xyz("+51.5012-000.1245/")
    for _ in range(5000):
        nested = box(b"udta", nested)  # a position 5000 levels down is not where a phone writes it
    data = box(b"ftyp", b"isom") + box(b"moov", mvhd(datetime(2024, 1, 1)), nested)
    sparse = SparseFile({0: data}, len(data))
    assert video_fix(sparse, len(data)) is None
    assert sparse.bytes_read < 200


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 700), st.integers(0, 255))
def test_any_broken_video_gives_a_fix_none_or_a_reason(noise: bytes, cut: int, flip: int) -> None:
    real = bytearray(video("+51.5012-000.1245/", created=datetime(2024, 7, 1), apple=APPLE, footage=64))
    real[cut % len(real)] ^= flip
    for data in (bytes(real[:cut]) + noise, bytes(real), noise):
        sparse = SparseFile({0: data}, len(data))
        try:
            found = video_fix(sparse, len(data))
        except VideoUnreadable as exc:
            assert str(exc)
        else:
            assert found is None or isinstance(found, VideoFix)
        assert sparse.bytes_read <= MAX_READ_BYTES


def _dms(value: float, degree_digits: int, form: str) -> str:
    """``value`` written in an ISO 6709 form, rounded in its last unit first (so 59.9996 s is never "60.000")."""
    sign = "-" if value < 0 else "+"
    value = abs(value)
    if form == "d":
        return f"{sign}{value:0{degree_digits + 6}.5f}"
    if form == "dm":
        minutes = round(value * 60, 5)
        degrees = int(minutes // 60)
        return f"{sign}{degrees:0{degree_digits}d}{minutes - degrees * 60:08.5f}"
    seconds = round(value * 3600, 3)
    degrees, rest = int(seconds // 3600), seconds - int(seconds // 3600) * 3600
    return f"{sign}{degrees:0{degree_digits}d}{int(rest // 60):02d}{rest - int(rest // 60) * 60:06.3f}"


@settings(max_examples=120, deadline=None)
@given(st.floats(-89.99, 89.99), st.floats(-179.99, 179.99), st.sampled_from(["d", "dm", "dms"]),
       st.sampled_from(["", "+011.000", "-002.5", "+35.2CRSWGS_84"]), st.booleans())
def test_any_iso6709_point_reads_back(lat: float, lon: float, form: str, altitude: str, slash: bool) -> None:
    text = _dms(lat, 2, form) + _dms(lon, 3, form) + altitude + ("/" if slash else "")
    found = parse_iso6709(text)
    assert found is not None, text
    assert found[0] == pytest.approx(lat, abs=1e-5) and found[1] == pytest.approx(lon, abs=1e-5)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="+-0123456789./CRSWGS_ ", max_size=30))
def test_iso6709_text_is_a_point_on_the_globe_or_nothing(text: str) -> None:
    found = parse_iso6709(text)
    assert found is None or (abs(found[0]) <= 90 and abs(found[1]) <= 180)


@pytest.mark.parametrize("text", ["+91.0000+000.0000/", "+51.5072+180.0001/", "+5160.00-00007.20/",
                                  "51.5072-000.1276/", "+51.5072/", "+5.5072-000.1276/"])
def test_not_iso6709_points(text: str) -> None:
    assert parse_iso6709(text) is None
