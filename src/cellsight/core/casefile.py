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

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cellsight import __version__
from cellsight.core import schema
from cellsight.core.case import Case

FORMAT = "cellsight-case"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
RECORD = "case.json"
SUFFIX = ".cellsight"


class CaseFileError(Exception):
    """A case file that cannot be read: missing, not a case, damaged or too new."""


def save_case(case: Case, path: str | os.PathLike[str]) -> None:
    """Write ``case`` to ``path`` atomically."""
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
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr(MANIFEST, _json_bytes(manifest))
                for name, data in members.items():
                    zf.writestr(name, data)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    case.dirty = False


def open_case(path: str | os.PathLike[str]) -> Case:
    """Read a case file whole, or raise CaseFileError with one clear sentence."""
    source = Path(path)
    if not source.exists():
        raise CaseFileError(f"{source}: no such case file")
    try:
        with zipfile.ZipFile(source) as zf:
            manifest = _read_manifest(zf, source)
            record = json.loads(zf.read(RECORD))
            tables = {}
            for name in schema.TABLES:
                member = f"tables/{name}.parquet"
                if member not in manifest["members"]:
                    raise CaseFileError(f"{source}: damaged case file (table {name!r} is missing)")
                table = pq.read_table(io.BytesIO(zf.read(member)))
                frame = schema.restore(table.to_pandas(), name)
                schema.validate(frame, name)
                tables[name] = frame
        return Case.from_record(record, tables)
    except CaseFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise CaseFileError(f"{source}: not a readable case file ({exc})") from exc
    except (KeyError, ValueError, TypeError, OSError, pa.ArrowException, EOFError) as exc:
        raise CaseFileError(f"{source}: damaged case file ({_short(exc)})") from exc


def verify_members(path: str | os.PathLike[str]) -> list[str]:
    """Re-hash every member against the manifest; return the problems found (none: [])."""
    source = Path(path)
    problems = []
    try:
        with zipfile.ZipFile(source) as zf:
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
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise CaseFileError(f"{source}: damaged case file ({_short(exc)})") from exc
    return problems


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (sources can be gigabytes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


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
