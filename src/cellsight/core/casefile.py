"""The single-file case (``.cellsight``): a zip of Parquet tables and a JSON manifest.

Layout of the zip (members stored, not deflated: Parquet is already compressed):

- ``manifest.json``: format name and version, the writing Cellsight version, the
  save time, and the SHA-256 and size of every other member;
- ``case.json``: case info, subjects, places, sources and extras;
- ``tables/<name>.parquet``: one per table of ``schema.TABLES``.

Opening checks every member it reads against the SHA-256 in the manifest (a
changed member is refused even when its zip CRC was fixed up to match). The
hash costs a few per cent of the read (``bench/casefile.py`` prints the
figure). A table is read on its first use (``open_case(lazy=True)``), so a
command pays only for the tables it needs; the file handle stays open until
every table has been read and the case's state on disk is the one it was opened
with. ``verify_members`` re-hashes every member, and lists members the manifest
does not name. Without a key nothing in a plain case can stop a forger who
rewrites a member *and* the manifest: docs/security.md says what can be
detected. An encrypted case is sealed whole with AES-GCM, which authenticates
every byte, manifest included, under the case key (``crypto``).

Saving is atomic: the new file is written beside the old one under a temporary
name held by this process (``tempfiles``), flushed and fsynced, then renamed over
it, and the directory is fsynced. A process killed at any moment leaves either
the old file or the new one. A case remembers the state of the file it was read
from (``Case.origin``); a save over that file after another program replaced
it is refused (CaseChangedOnDisk), never silently overwriting their work.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import threading
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cellsight import __version__
from cellsight.core import crypto, schema
from cellsight.core.case import Case
from cellsight.core.tempfiles import held_temporary

FORMAT = "cellsight-case"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
RECORD = "case.json"
SUFFIX = ".cellsight"


class CaseFileError(Exception):
    """A case file that cannot be read: missing, not a case, damaged, too new, or locked."""


class PasswordRequired(CaseFileError):
    """The case is encrypted and no password was given."""


class MemberDamaged(CaseFileError):
    """A member of a case file that is missing or does not match the manifest; ``problem`` says how."""

    def __init__(self, source: Path, problem: str) -> None:
        super().__init__(f"{source}: damaged case file ({problem})")
        self.problem = problem


class CaseChangedOnDisk(CaseFileError):
    """A save refused because another program replaced the case file since it was read."""


@dataclass(frozen=True)
class Origin:
    """The case file a case was read from (or last saved to) and that file's state then."""

    path: Path  # resolved
    stamp: tuple[int, int, int, int]  # device, inode, size, modification time (ns)


def file_stamp(stat: os.stat_result) -> tuple[int, int, int, int]:
    """What changes whenever a case file is replaced or rewritten (a save renames a new inode in)."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def save_case(case: Case, path: str | os.PathLike[str], mark_clean: bool = True) -> None:
    """Write ``case`` to ``path`` atomically (sealed with its key when it is encrypted).

    ``mark_clean=False`` is for copies that are not the case's own file (the
    workstation's recovery file): the case still has unsaved changes after them,
    and it still belongs to the file it came from. Refuses (CaseChangedOnDisk) to
    replace the file the case was read from if another program has replaced it
    since.
    """
    target = Path(path).absolute()
    if mark_clean:
        refuse_if_changed(case, target)
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

    with held_temporary(target) as (fd, tmp):
        with os.fdopen(os.dup(fd), "wb") as raw:  # a duplicate: closing it keeps the temporary held
            if case.key is None:
                write_zip(raw)
            else:
                plain = io.BytesIO()
                write_zip(plain)
                raw.write(crypto.seal(plain.getvalue(), case.key))
            raw.flush()
            os.fsync(raw.fileno())
        written = os.fstat(fd)
        os.replace(tmp, target)
    _fsync_dir(target.parent)
    if mark_clean:
        case.dirty = False
        case.origin = Origin(target.resolve(), file_stamp(written))


def refuse_if_changed(case: Case, target: Path) -> None:
    """CaseChangedOnDisk when ``target`` is the file ``case`` was read from and it was replaced since."""
    origin = getattr(case, "origin", None)
    if origin is None or origin.path != target.resolve():
        return
    try:
        now = target.stat()
    except FileNotFoundError:
        return  # removed since: writing it again loses nobody's work
    if file_stamp(now) != origin.stamp:
        when = pd.Timestamp(now.st_mtime_ns, unit="ns", tz="UTC").tz_convert(None).floor("s")
        raise CaseChangedOnDisk(
            f"{target}: another program saved this case at {when} UTC, after you opened it; your changes "
            "were not written, so as not to overwrite theirs. Save your version under another name, then "
            "open both to bring the changes together")


def is_encrypted(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is an encrypted case (needs a password to open)."""
    with open(path, "rb") as fh:
        return crypto.is_sealed(fh.read(len(crypto.MAGIC)))


def is_case_file(path: str | os.PathLike[str]) -> bool:
    """True for a Cellsight case file, plain or encrypted (judged by content, not by name)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(crypto.MAGIC))
            if crypto.is_sealed(head):
                return True
            if not head.startswith(b"PK"):
                return False
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                return json.loads(zf.read(MANIFEST)).get("format") == FORMAT
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, AttributeError):
        return False


class _Members:
    """The members of an opened case file, each read on demand and checked against the manifest.

    A plain case is read from its open file handle (kept until the last table
    is read, so every table comes from the same file even if it is replaced
    meanwhile); an encrypted one from its decrypted bytes (GCM authenticated
    them whole). Reads are serialised: the handle has one position.
    """

    def __init__(self, source: Path, zf: zipfile.ZipFile, data: IO[bytes] | memoryview,
                 key: crypto.CaseKey | None, stamp: tuple[int, int, int, int]) -> None:
        self.source = source
        self.zf = zf
        self.data = data
        self.key = key
        self.stamp = stamp
        self._lock = threading.Lock()
        self.manifest = _read_manifest(zf, source)

    def names(self) -> list[str]:
        return list(self.manifest["members"])

    def read(self, name: str) -> bytes | memoryview:
        """The member's bytes, refused unless their size and SHA-256 are the manifest's."""
        expected = self.manifest["members"].get(name)
        if not isinstance(expected, dict):
            raise MemberDamaged(self.source, f"member {name} is not in the manifest")
        with self._lock:
            try:
                data = self._raw(name)
            except KeyError as exc:
                raise MemberDamaged(self.source, f"member {name} is missing") from exc
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise MemberDamaged(self.source, f"member {name} is damaged ({_short(exc)})") from exc
        if len(data) != expected.get("size") or hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            raise MemberDamaged(self.source, f"member {name} does not match its recorded SHA-256")
        return data

    def table(self, name: str) -> pd.DataFrame:
        member = f"tables/{name}.parquet"
        if member not in self.manifest["members"]:
            raise CaseFileError(f"{self.source}: damaged case file (table {name!r} is missing)")
        data = self.read(member)
        try:
            # One file's reader, not pq.read_table's dataset scanner: the scanner's threads could outlive
            # the command and abort the process as it exited (std::terminate; about 1 in 40 runs of
            # `cellsight info`, apache/arrow#34314), after its output was written.
            frame = schema.restore(pq.ParquetFile(pa.BufferReader(pa.py_buffer(data))).read().to_pandas(), name)
            schema.validate(frame, name)
        except CaseFileError:
            raise
        except (KeyError, ValueError, TypeError, pa.ArrowException) as exc:
            raise CaseFileError(f"{self.source}: damaged case file (table {name}: {_short(exc)})") from exc
        return frame

    def _raw(self, name: str) -> bytes | memoryview:
        info = self.zf.getinfo(name)
        if info.compress_type != zipfile.ZIP_STORED:
            return self.zf.read(name)
        header = self._slice(info.header_offset, 30)
        if len(header) < 30 or bytes(header[:4]) != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {name}")
        name_len, extra_len = struct.unpack("<HH", bytes(header[26:30]))
        return self._slice(info.header_offset + 30 + name_len + extra_len, info.file_size)

    def _slice(self, start: int, size: int) -> bytes | memoryview:
        if isinstance(self.data, memoryview):
            return self.data[start: start + size]
        self.data.seek(start)
        return self.data.read(size)

    def close(self) -> None:
        if not isinstance(self.data, memoryview):
            self.data.close()


def _open_members(source: Path, password: str | None, key: crypto.CaseKey | None) -> _Members:
    """The members of ``source``, or CaseFileError with one clear sentence."""
    if not source.exists():
        raise CaseFileError(f"{source}: no such case file")
    fh = None
    try:
        fh = open(source, "rb")  # noqa: SIM115 - kept open by _Members until every table is read
        stamp = file_stamp(os.fstat(fh.fileno()))
        if crypto.is_sealed(fh.read(len(crypto.MAGIC))):
            if password is None and key is None:
                raise PasswordRequired(f"{source}: the case is encrypted; a password is needed")
            fh.seek(0)
            blob = fh.read()
            fh.close()
            plain, key = crypto.unseal(blob, password, key)
            return _Members(source, zipfile.ZipFile(io.BytesIO(plain)), memoryview(plain), key, stamp)
        fh.seek(0)
        members = _Members(source, zipfile.ZipFile(fh), fh, None, stamp)
        weakref.finalize(members, fh.close)
        return members
    except BaseException as exc:
        if fh is not None:
            fh.close()
        if isinstance(exc, CaseFileError):
            raise
        if isinstance(exc, crypto.DecryptionError):
            raise CaseFileError(f"{source}: {exc}") from exc
        if isinstance(exc, (zipfile.BadZipFile, zipfile.LargeZipFile)):
            raise CaseFileError(f"{source}: not a readable case file ({exc})") from exc
        if isinstance(exc, (KeyError, ValueError, TypeError, OSError, EOFError)):
            raise CaseFileError(f"{source}: damaged case file ({_short(exc)})") from exc
        raise


def open_case(path: str | os.PathLike[str], password: str | None = None,
              key: crypto.CaseKey | None = None, lazy: bool = False) -> Case:
    """Read a case file, or raise CaseFileError with one clear sentence.

    An encrypted case opens with its password, or with the key of an open case
    it is a copy of (``key``), which saves deriving it again. With ``lazy`` a
    table is read (and its SHA-256 checked) on its first use, which may then
    raise CaseFileError; otherwise every table is read now.
    """
    from cellsight.core.case import Tables

    source = Path(path)
    members = _open_members(source, password, key)
    try:
        try:
            record = json.loads(bytes(members.read(RECORD)))
        except ValueError as exc:
            raise CaseFileError(f"{source}: damaged case file ({_short(exc)})") from exc
        for name in schema.TABLES:
            if f"tables/{name}.parquet" not in members.manifest["members"]:
                raise CaseFileError(f"{source}: damaged case file (table {name!r} is missing)")
        tables = Tables(pending={name: (lambda n=name: members.table(n)) for name in schema.TABLES},
                        when_loaded=members.close)
        if not lazy:
            tables.load_all()
        try:
            case = Case.from_record(record, tables)
        except (KeyError, TypeError, ValueError) as exc:
            raise CaseFileError(f"{source}: damaged case file (case.json: {_short(exc)})") from exc
    except BaseException:
        members.close()
        raise
    case.key = members.key
    case.origin = Origin(source.resolve(), members.stamp)
    return case


def verify_members(path: str | os.PathLike[str], password: str | None = None) -> list[str]:
    """Re-hash every member against the manifest; return the problems found (none: [])."""
    members = _open_members(Path(path), password, None)
    problems = []
    try:
        for name in members.names():
            try:
                members.read(name)
            except MemberDamaged as exc:
                problems.append(exc.problem)
        unlisted = sorted(set(members.zf.namelist()) - set(members.names()) - {MANIFEST})
        problems += [f"member {name} is not in the manifest" for name in unlisted]
    finally:
        members.close()
    return problems


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (sources can be gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _read_manifest(zf: zipfile.ZipFile, source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError as exc:
        raise CaseFileError(f"{source}: not a Cellsight case (no manifest)") from exc
    except ValueError as exc:
        raise CaseFileError(f"{source}: damaged case file (manifest: {_short(exc)})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise CaseFileError(f"{source}: not a Cellsight case (format {found!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CaseFileError(f"{source}: written by a newer Cellsight (case format {version}); "
                            "update Cellsight to open it")
    if not isinstance(manifest.get("members"), dict):
        raise CaseFileError(f"{source}: damaged case file (the manifest lists no members)")
    return manifest


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def _json_bytes(data: object) -> bytes:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


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
