"""Scenes: tower dumps kept as Parquet files beside the case, and their registry inside it.

A *scene* is a place and a period that an operator was asked about (every
subscriber seen on a cell or mast between two times), named by the officer
("Car park", "Offence 2"), with one or more tower-dump files (one per operator
or per cell). Each file is an exhibit like any other: it is a ``Source`` of the
case, with its SHA-256, its row counts, its rejected and skipped rows, its
exhibit reference, and ``verify`` re-hashes it. Its rows are not anyone's
communications, so they never enter the case's events table (and so never feed
contacts, proximity or the timeline).

Why Parquet files beside the case rather than members of the case file: a dump
holds 10^5 to 10^7 rows, and the scene queries (``analysis.scenequery``) read
them out of core through DuckDB, which reads a Parquet file in place but not a
member of a zip. Each scene file's rows go to ``<case stem>.scenes/<scene>-<sha>.parquet``
(``sha`` the first 16 hex digits of the dump's own SHA-256); the registry in
``case.extras["scenes"]`` records that path relative to the case's folder, so a
case copied with its folder keeps working, and the Parquet file's SHA-256, so
``verify`` notices a changed or missing file.

A ``scene`` run killed after writing a file's rows but before saving the case
leaves an *orphan*: a Parquet file the case does not know, still holding
third parties' numbers. ``verify`` lists every file in the folder that the
case does not know (``unknown_files``), and the next ``scene`` run, which
holds the case's lock, removes the orphans (``remove_orphans``): Parquet files
named as Cellsight names them, and temporaries no live process holds.

An encrypted case cannot hold scenes: its Parquet files would lie unencrypted
beside it, holding thousands of third parties' numbers. Adding a scene to such
a case is refused (``ScenesUnavailable``), and said so; decrypting the case, or
keeping scenes in a plain case on an encrypted volume, is the officer's choice.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cellsight.core.case import Case, CaseError
from cellsight.core.casefile import file_sha256
from cellsight.core.outputs import atomic_output
from cellsight.core.tempfiles import remove_stale

EXTRAS_KEY = "scenes"
_OUR_PARQUET = re.compile(r"^[A-Za-z0-9._-]{1,60}-[0-9a-f]{16}\.parquet$")  # as ``file_stem`` names them
FORMAT_VERSION = 1
FOLDER_SUFFIX = ".scenes"

# The rows of one tower-dump file, as the scene queries read them. Times are kept twice: as a
# UTC timestamp for anyone who opens the file, and as integer microseconds, which every engine
# compares the same way (no session time zone can shift an integer).
ROW_SCHEMA = pa.schema([
    ("time", pa.timestamp("us", tz="UTC")),
    ("time_us", pa.int64()),
    ("time_flag", pa.string()),
    ("number", pa.string()),  # the subscriber seen on the cell: E.164 where it normalises
    ("number_raw", pa.string()),
    ("number_flag", pa.string()),
    ("imei", pa.string()),
    ("imsi", pa.string()),
    ("other", pa.string()),  # the other party of the subscriber's call or message, if any
    ("other_raw", pa.string()),
    ("kind", pa.string()),
    ("direction", pa.string()),
    ("cell_first", pa.string()),
    ("cell_last", pa.string()),
    ("source_id", pa.string()),
    ("source_row", pa.string()),
])


class ScenesUnavailable(CaseError):
    """Scenes cannot be kept for this case (encrypted, or never saved)."""


@dataclass
class SceneFile:
    """One tower-dump file of a scene: its source, its Parquet rows and a summary of them."""

    source_id: str
    parquet: str  # relative to the case file's folder, with forward slashes
    sha256: str  # of the Parquet file
    rows: int
    first: str | None  # ISO 8601 UTC of the earliest row
    last: str | None
    numbers: int  # distinct subscriber numbers
    cells: list[str] = field(default_factory=list)


@dataclass
class Scene:
    """A named place and period with its tower dumps."""

    name: str
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    at: str | None = None  # ISO 8601 UTC: the time of the offence, for "only the scene's hour"
    files: list[SceneFile] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def first(self) -> str | None:
        return min((f.first for f in self.files if f.first), default=None)

    @property
    def last(self) -> str | None:
        return max((f.last for f in self.files if f.last), default=None)

    @property
    def cells(self) -> list[str]:
        return sorted({c for f in self.files for c in f.cells})

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


def scenes(case: Case) -> list[Scene]:
    """The case's scenes in the order they were made."""
    data = case.extras.get(EXTRAS_KEY) or {}
    version = data.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CaseError(f"the case's scenes were written by a newer Cellsight (version {version})")
    out = []
    for item in data.get("scenes", []):
        files = [SceneFile(**f) for f in item.get("files", [])]
        out.append(Scene(**{**item, "files": files}))
    return out


def find_scene(case: Case, name: str) -> Scene | None:
    wanted = name.strip().lower()
    return next((s for s in scenes(case) if s.name.lower() == wanted), None)


def chosen_scenes(case: Case, names: list[str] | None) -> list[Scene]:
    """The scenes named (all when none is), refusing a name the case does not have."""
    known = scenes(case)
    if not names:
        return known
    out = []
    for name in names:
        scene = find_scene(case, name)
        if scene is None:
            have = ", ".join(s.name for s in known) or "none"
            raise CaseError(f"no scene {name!r} in this case (scenes: {have})")
        if scene.name not in {s.name for s in out}:
            out.append(scene)
    return out


def save_scenes(case: Case, items: list[Scene], action: str, details: dict[str, Any]) -> None:
    """Write the registry into ``case.extras`` and note the change in the audit log."""
    case.extras[EXTRAS_KEY] = {"version": FORMAT_VERSION, "scenes": [asdict(s) for s in items]}
    case.log(action, details)


def scene_folder(case_path: str | os.PathLike[str]) -> Path:
    """``<folder>/<case stem>.scenes``: where a case's scene files live."""
    path = Path(case_path).absolute()
    return path.with_name(path.stem + FOLDER_SUFFIX)


def check_can_hold_scenes(case: Case, case_path: str | os.PathLike[str] | None) -> None:
    """Refuse scenes for an encrypted case or one with no file yet (see the module's note)."""
    if case.key is not None:
        raise ScenesUnavailable("this case is encrypted and a scene's rows would be kept unencrypted "
                                "beside it; scenes can only be added to a case that is not encrypted")
    if case_path is None:
        raise ScenesUnavailable("save the case first: a scene's rows are kept beside the case file")


def parquet_path(case_path: str | os.PathLike[str], scene_file: SceneFile) -> Path:
    return Path(case_path).absolute().parent / scene_file.parquet


def file_stem(name: str, sha256: str) -> str:
    """A file name for a scene file: the scene name made safe, and the dump's digest."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("._") or "scene"
    return f"{safe[:60]}-{sha256[:16]}"


def write_rows(case_path: str | os.PathLike[str], stem: str, table: pa.Table) -> tuple[str, str]:
    """Write a dump's rows as Parquet beside the case, whole or not at all; ``(relative path, SHA-256)``.

    The file is private to its owner (0600, in a 0700 folder), as the case file
    is: it holds the numbers of everyone the mast saw.
    """
    folder = scene_folder(case_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"{stem}.parquet"
    with atomic_output(target) as tmp:
        pq.write_table(table.cast(ROW_SCHEMA), tmp, compression="zstd")
    os.chmod(target, 0o600)
    relative = target.relative_to(Path(case_path).absolute().parent).as_posix()
    return relative, file_sha256(target)


def verify_scenes(case: Case, case_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Re-hash every scene file's Parquet rows against the SHA-256 recorded when they were written."""
    results = []
    for scene in scenes(case):
        for item in scene.files:
            path = parquet_path(case_path, item)
            if not path.is_file():
                status = "missing"
            else:
                status = "ok" if file_sha256(path) == item.sha256 else "changed"
            results.append({"scene": scene.name, "source_id": item.source_id, "parquet": item.parquet,
                            "sha256": item.sha256, "status": status})
    return results


def unknown_files(case: Case, case_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Files in the case's scenes folder that its registry does not name (orphans of a killed run,
    partial files, anything put there by hand): relative path and size."""
    folder = scene_folder(case_path)
    if not folder.is_dir():
        return []
    base = Path(case_path).absolute().parent
    known = {(base / f.parquet).resolve() for scene in scenes(case) for f in scene.files}
    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        if path.resolve() not in known:
            size = path.lstat().st_size
            out.append({"file": path.relative_to(base).as_posix(), "bytes": size})
    return out


def remove_orphans(case: Case, case_path: str | os.PathLike[str]) -> list[Path]:
    """Remove what killed ``scene`` runs left in the case's scenes folder; the caller holds the case's lock.

    Only Cellsight's own files go: Parquet files named as ``file_stem`` names
    scene files that the case does not know, and temporaries nobody holds.
    Anything else is left where it is (``verify`` lists it).
    """
    folder = scene_folder(case_path)
    if not folder.is_dir():
        return []
    removed = remove_stale(folder / "x.parquet")
    base = Path(case_path).absolute().parent
    for item in unknown_files(case, case_path):
        path = base / item["file"]
        if path.parent == folder and not path.is_symlink() and _OUR_PARQUET.match(path.name):
            path.unlink()
            removed.append(path)
    return removed
