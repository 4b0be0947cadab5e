"""Writing an output file (report, map, export): to a path that is safe to write, whole or not at all.

Where an output may go (the one check every output passes, in ``check_output``):

- never over the case file, nor over an exhibit of the case, nor over any
  Cellsight case file, whatever ``force`` says: paths are compared resolved
  (symbolic links followed), then by file identity (a hard link is the same
  file), and for exhibits also by content (size, then SHA-256), so no other
  name for the evidence gets through;
- over an existing file only when it is a previous Cellsight output of the
  same kind (yesterday's report replaced by today's), or with ``force``.
  Outputs are recognised by the mark each kind carries: a PDF whose creator
  is Cellsight (or, encrypted, whose header comment says so), a map page with
  ``<meta name="generator" content="Cellsight ...">``, an export whose header
  row is the export's, an XLSX whose creator is Cellsight, and an encrypted
  zip whose comment names Cellsight and the kind.

How it is written (``atomic_output``): under a private temporary name beside
its target, held by this process (see ``tempfiles``), and renamed over the
target only when complete, so an interrupted output never leaves half a PDF
that looks finished, and its partial plaintext is removed on the next run
(and on SIGINT/SIGTERM by the command line). The finished file gets the
permissions any new file of the user gets (0666 less the umask), because a
report is made to be shared.
"""

from __future__ import annotations

import mmap
import os
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cellsight.core.case import CaseError
from cellsight.core.casefile import file_sha256, is_case_file
from cellsight.core.exhibit_paths import source_candidates
from cellsight.core.tempfiles import held_temporary

KINDS = {"report": "report (PDF)", "map": "map", "export": "export", "tiles": "offline map (MBTiles)"}
GENERATOR = "Cellsight"  # the creator/generator every output names
ZIP_COMMENT = "Cellsight {kind} (AES-256 encrypted zip)"
PDF_MARK = b"%Cellsight report"
EXPORT_HEADER = {"kind", "source_id", "source_row"}  # provenance columns every export's header holds
_SNIFF = 64 * 1024


class OutputRefused(CaseError):
    """An output path that may not be written; ``forceable`` when ``--force`` would allow it."""

    def __init__(self, message: str, forceable: bool = False) -> None:
        super().__init__(message)
        self.forceable = forceable


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(target: str | os.PathLike[str], kind: str | None = None, case: Any = None,
                  force: bool = False, case_path: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A temporary path to write; renamed to ``target`` if the block ends without an error.

    With ``kind`` (and the ``case`` the output comes from) the target is first
    checked by ``check_output``; every output of Cellsight passes them.
    """
    final = Path(target)
    if kind is not None:
        check_output(final, kind, case, force, case_path)
    with held_temporary(final.absolute()) as (_, tmp):
        yield tmp
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, final)


def check_output(target: str | os.PathLike[str], kind: str, case: Any = None, force: bool = False,
                 case_path: str | os.PathLike[str] | None = None) -> None:
    """Refuse (OutputRefused) a target that is the case, an exhibit, a case file or, unless
    ``force``, an existing file that is not a Cellsight output of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    path = Path(target)
    resolved = path.resolve()
    if resolved.is_dir():
        raise OutputRefused(f"{path}: is a folder; name the file to write")
    own = _case_path(case, case_path)
    if own is not None and _same_file(resolved, own):
        raise OutputRefused(f"{path}: is the case file itself; choose another name for the {KINDS[kind]}")
    exhibit = _exhibit_at(resolved, case, own)
    if exhibit is not None:
        raise OutputRefused(f"{path}: is exhibit {exhibit} of the case; an output never replaces evidence")
    if not resolved.exists():
        return
    if is_case_file(resolved):
        raise OutputRefused(f"{path}: is a Cellsight case file; an output never replaces a case")
    if not force and not is_output(resolved, kind):
        raise OutputRefused(f"{path}: exists and is not a Cellsight {KINDS[kind]}; choose another name, "
                            "or replace it knowingly (--force)", forceable=True)


def check_distinct(outputs: Sequence[tuple[str, str | os.PathLike[str]]]) -> None:
    """Refuse (OutputRefused, never forceable) two outputs of one run that would be one file.

    ``outputs`` are (what, path) pairs, e.g. ``("report", "a.pdf")``. Two paths
    are one file when they resolve to the same path (symbolic links followed),
    when they name one existing file (a hard link), or when they differ only in
    capitals: on the case-insensitive file systems of Windows and macOS, and of
    most USB sticks a bundle is copied to, ``a.pdf`` and ``A.PDF`` are one file,
    so the second written would silently replace the first.
    """
    seen: list[tuple[str, Path, Path]] = []
    for what, target in outputs:
        path = Path(target)
        resolved = path.resolve()
        for other_what, other_path, other_resolved in seen:
            same = (str(resolved).casefold() == str(other_resolved).casefold()
                    or (resolved.exists() and other_resolved.exists() and _same_file(resolved, other_resolved)))
            if same:
                raise OutputRefused(f"{path}: the {what} would be the same file as the {other_what} "
                                    f"({other_path}); give each output of one run its own name")
        seen.append((what, path, resolved))


def is_output(path: str | os.PathLike[str], kind: str) -> bool:
    """True when ``path`` holds a Cellsight output of ``kind`` (by the mark that kind carries)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF)
            if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
                return _zip_output(fh, kind)
            if kind == "report":
                creator = f"/Creator ({GENERATOR}".encode()
                return head.startswith(b"%PDF-") and (PDF_MARK in head[:256] or _contains(fh, creator))
            if kind == "map":
                return f'<meta name="generator" content="{GENERATOR}'.encode() in head
            if kind == "tiles":  # MBTiles is SQLite; the tile pack checks it is its own kind of file
                return head.startswith(b"SQLite format 3\x00")
            if kind == "export":
                first = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
                return EXPORT_HEADER <= {c.strip().strip('"') for c in first.split(",")}
    except OSError:
        return False
    return False


def output_zip_comment(kind: str) -> bytes:
    """The comment that marks an encrypted zip as a Cellsight output of ``kind``."""
    return ZIP_COMMENT.format(kind=kind).encode()


def _zip_output(fh: Any, kind: str) -> bool:
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as zf:
            if zf.comment.startswith(output_zip_comment(kind)):
                return True
            if kind == "export" and "docProps/core.xml" in zf.namelist():  # an XLSX
                core = zf.read("docProps/core.xml")
                return f"<dc:creator>{GENERATOR}".encode() in core
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return False
    return False


def _contains(fh: Any, needle: bytes) -> bool:
    if os.fstat(fh.fileno()).st_size == 0:
        return False
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        return mapped.find(needle) >= 0


def _case_path(case: Any, case_path: str | os.PathLike[str] | None) -> Path | None:
    if case_path:
        return Path(case_path).resolve()
    origin = getattr(case, "origin", None)
    return origin.path if origin is not None else None


def _same_file(a: Path, b: Path) -> bool:
    if a == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _exhibit_at(resolved: Path, case: Any, case_file: Path | None) -> str | None:
    """The exhibit (reference or file name) that ``resolved`` is, by path, identity or content."""
    sources = list(getattr(case, "sources", []) or [])
    if not sources:
        return None
    for source in sources:
        if any(_same_file(resolved, candidate) for candidate in source_candidates(source, case_file)):
            return source.exhibit or source.file
    try:
        size = resolved.stat().st_size
    except OSError:
        return None
    same_size = [s for s in sources if s.size == size]
    if same_size:
        digest = file_sha256(resolved)
        for source in same_size:
            if source.sha256 == digest:
                return source.exhibit or source.file
    return None

