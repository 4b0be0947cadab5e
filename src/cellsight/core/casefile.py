"""The single-file case (``.cellsight``): a zip of Parquet tables and a JSON manifest.

Layout of the zip (members stored, not deflated: Parquet is already compressed):

- ``manifest.json``: format name and version, the writing Cellsight version, the
  save time, and the SHA-256 and size of every other member;
- ``case.json``: case info, subjects, places, sources and extras;
- ``tables/<name>.parquet``: one per table of ``schema.TABLES``.

Opening relies on the zip's own CRC-32 of each member (checked as it is read),
so that it costs little more than the Parquet read itself; ``verify_members``
re-hashes every member against the manifest for a full integrity check.

Saving is atomic: the new file is written beside the old one under a temporary
name, flushed and fsynced, then renamed over it, and the directory is fsynced.
A process killed at any moment leaves either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import mmap
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cellsight import __version__
from cellsight.core import crypto, schema
from cellsight.core.case import Case

FORMAT = "cellsight-case"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
RECORD = "case.json"
SUFFIX = ".cellsight"


class CaseFileError(Exception):
    """A case file that cannot be read: missing, not a case, damaged, too new, or locked."""


class PasswordRequired(CaseFileError):
    """The case is encrypted and no password was given."""


def save_case(case: Case, path: str | os.PathLike[str], mark_clean: bool = True) -> None:
    """Write ``case`` to ``path`` atomically (sealed with its key when it is encrypted).

    ``mark_clean=False`` is for copies that are not the case's own file (the
    workstation's recovery file): the case still has unsaved changes after them.
    """
    target = Path(path).absolute()
    members: dict[str, bytes] = {RECORD: _json_bytes(case.source_record())}
    for name in schema.TABLES:
        members[f"tables/{name}.parquet"] = _parquet_bytes(case.tables[name])
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "written_by": f"Cellsight {__version__}",
        "saved_at": pd.Timestamp.now(tz="UTC").floor("s").isoformat(),
        "members": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    for name, data in members.items()},
    }

    def write_zip(out: IO[bytes]) -> None:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(MANIFEST, _json_bytes(manifest))
            for name, data in members.items():
                zf.writestr(name, data)

    _remove_stale_temporaries(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            if case.key is None:
                write_zip(raw)
            else:
                plain = io.BytesIO()
                write_zip(plain)
                raw.write(crypto.seal(plain.getvalue(), case.key))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    if mark_clean:
        case.dirty = False


def is_encrypted(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is an encrypted case (needs a password to open)."""
    with open(path, "rb") as fh:
        return crypto.is_sealed(fh.read(len(crypto.MAGIC)))


@contextlib.contextmanager
def _container(source: Path, password: str | None, key: crypto.CaseKey | None = None):
    """The case's zip, the bytes behind it, and its key (None when not encrypted).

    A plain case is memory-mapped so that stored Parquet members are read in
    place; an encrypted one is decrypted whole (GCM authenticates it whole).
    """
    if not source.exists():
        raise CaseFileError(f"{source}: no such case file")
    try:
        with open(source, "rb") as fh:
            if crypto.is_sealed(fh.read(len(crypto.MAGIC))):
                if password is None and key is None:
                    raise PasswordRequired(f"{source}: the case is encrypted; a password is needed")
                fh.seek(0)
                plain, key = crypto.unseal(fh.read(), password, key)
                with zipfile.ZipFile(io.BytesIO(plain)) as zf:
                    yield zf, plain, key
                return
            # The map is left to the garbage collector: Arrow may still hold views of it.
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            with zipfile.ZipFile(fh) as zf:
                yield zf, mapped, None
    except CaseFileError:
        raise
    except crypto.DecryptionError as exc:
        raise CaseFileError(f"{source}: {exc}") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise CaseFileError(f"{source}: not a readable case file ({exc})") from exc
    except (KeyError, ValueError, TypeError, OSError, pa.ArrowException, EOFError) as exc:
        raise CaseFileError(f"{source}: damaged case file ({_short(exc)})") from exc


def open_case(path: str | os.PathLike[str], password: str | None = None,
              key: crypto.CaseKey | None = None) -> Case:
    """Read a case file whole, or raise CaseFileError with one clear sentence.

    An encrypted case opens with its password, or with the key of an open case
    it is a copy of (``key``), which saves deriving it again.
    """
    source = Path(path)
    with _container(source, password, key) as (zf, buffer, key):
        manifest = _read_manifest(zf, source)
        record = json.loads(zf.read(RECORD))
        tables = {}
        for name in schema.TABLES:
            member = f"tables/{name}.parquet"
            if member not in manifest["members"]:
                raise CaseFileError(f"{source}: damaged case file (table {name!r} is missing)")
            table = pq.read_table(pa.BufferReader(_stored_member(zf, buffer, member)))
            frame = schema.restore(table.to_pandas(), name)
            schema.validate(frame, name)
            tables[name] = frame
        case = Case.from_record(record, tables)
    case.key = key
    return case


def verify_members(path: str | os.PathLike[str], password: str | None = None) -> list[str]:
    """Re-hash every member against the manifest; return the problems found (none: [])."""
    source = Path(path)
    problems = []
    with _container(source, password) as (zf, _, _):
        manifest = _read_manifest(zf, source)
        for name, expected in manifest["members"].items():
            try:
                data = zf.read(name)
            except KeyError:
                problems.append(f"member {name} is missing")
                continue
            except zipfile.BadZipFile as exc:
                problems.append(f"member {name} is damaged ({exc})")
                continue
            if hashlib.sha256(data).hexdigest() != expected["sha256"]:
                problems.append(f"member {name} does not match its recorded SHA-256")
    return problems


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (sources can be gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _stored_member(zf: zipfile.ZipFile, mapped: mmap.mmap | bytes, name: str) -> pa.Buffer:
    """A stored member's bytes, straight from the mapped file, after checking its CRC-32.

    Parquet members are stored uncompressed, so they can be read in place without
    the copy ``ZipFile.read`` makes; the CRC check is the one the zip would do.
    """
    info = zf.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        return pa.py_buffer(zf.read(name))
    header = mapped[info.header_offset: info.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {name}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    data = memoryview(mapped)[start: start + info.file_size]
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        data.release()
        raise zipfile.BadZipFile(f"bad CRC-32 for {name}")
    return pa.py_buffer(data)


def _read_manifest(zf: zipfile.ZipFile, source: Path) -> dict:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError as exc:
        raise CaseFileError(f"{source}: not a Cellsight case (no manifest)") from exc
    if manifest.get("format") != FORMAT:
        raise CaseFileError(f"{source}: not a Cellsight case (format {manifest.get('format')!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CaseFileError(f"{source}: written by a newer Cellsight (case format {version}); "
                            "update Cellsight to open it")
    return manifest


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _json_bytes(data: object) -> bytes:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _remove_stale_temporaries(target: Path) -> None:
    """Delete temporaries that a save killed before its rename left beside the case."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        stale.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
