"""A call-record CSV's SHA-256 and byte marks, found in one pass while pyarrow parses the file.

Every exhibit is hashed, and a CSV's bytes are searched for the marks that
decide how its parse is checked and its values read (``importers.bytemarks``).
A large UTF-8 CSV is parsed by pyarrow straight from the file, a few MB at a
time into its own memory pool: held whole as one Python ``bytes`` instead, a
100 MB file costs a page fault for every 4 kB of it, as much as the copy. So
``read_ahead`` starts, as soon as the importer is chosen, one pass over the file
through a small buffer used again and again, on the hashing worker: the digest
and the marks of each window at once, while the window is in the cache.

The digest must describe the bytes imported. The pass opens the file first; the
head the importer judges, pyarrow's parse and any whole read open it again, and
each checks that it is the same file, unchanged since (device, inode, size,
modification and change times: writing to a file changes them, and so does
putting another in its place, which unlinks it); ``unchanged`` asks again once
the parse is done. An import whose file changed while it was read is refused,
rather than record a digest of other bytes.

The line-length check (``safety.check_line_lengths``) comes first in the pass:
a file with a huge field is refused before any of it is parsed beyond the head.
The importer's ``read_head`` gives it the file's first ``HEAD_BYTES`` at once,
enough to find the header and judge the first 1,000 rows of any call record
while the pass runs. A file the parse needs whole (small, another code page,
classic Mac line ends, a record that spans lines) is read by ``read_bytes``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Protocol, TypeVar

from cellsight.importers.base import ImportFailure
from cellsight.importers.bytemarks import MarkScan, lines_and_last_e
from cellsight.importers.safety import check_line_lengths

HEAD_BYTES = 4 * 1024**2  # a header and 1,000 rows of up to 4 kB each
SCAN_BYTES = 1024**2  # the pass's window: hashed and searched while it is in the cache
_AHEAD: ContextVar[FilePass | None] = ContextVar("cellsight_file_pass", default=None)


class _File(Protocol):
    def fileno(self) -> int: ...

    def close(self) -> None: ...


_Opened = TypeVar("_Opened", bound=_File)


class _Stopped(Exception):
    """The import ended without the pass (it failed): the rest of the file is not read."""


class FilePass:
    """One pass over a file on a worker: its SHA-256 (``sha256``) and its marks (``scan``)."""

    def __init__(self, path: Path, pool: ThreadPoolExecutor) -> None:
        self.path = path
        self._opened = threading.Event()  # the file is open (or could not be opened)
        self._checked = threading.Event()  # and its line lengths checked
        self._stop = threading.Event()
        self._file: IO[bytes] | None = None
        self._identity: tuple[int, ...] = ()
        self._error: BaseException | None = None
        self.sha256: Future[str] = Future()
        self.scan: Future[MarkScan] = pool.submit(self._pass)

    def _pass(self) -> MarkScan:
        try:
            self._file = open(self.path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
            self._identity = _identity(self._file.fileno())
            self._opened.set()
            check_line_lengths(self.path)
            self._checked.set()
            scan, digest = MarkScan(), hashlib.sha256()
            window = bytearray(SCAN_BYTES)
            view = memoryview(window)
            while n := self._file.readinto(window):
                if self._stop.is_set():
                    raise _Stopped
                digest.update(view[:n])  # (hashlib lets go of the GIL)
                scan.add(window, n, self._lines_before)
        except BaseException as exc:  # noqa: BLE001 - raised to the importer where it asks for the file
            self._error = exc
            self._opened.set()
            self._checked.set()
            self.sha256.set_exception(exc)
            raise
        self.sha256.set_result(digest.hexdigest())
        return scan

    def _lines_before(self, end: int) -> tuple[int, int]:
        """LFs and the last e in the file's first ``end`` bytes, read again (``MarkScan.add``)."""
        assert self._file is not None
        here = self._file.tell()
        self._file.seek(0)
        lines, last_e, done, window = 0, -1, 0, bytearray(SCAN_BYTES)
        while done < end and (n := self._file.readinto(memoryview(window)[:min(SCAN_BYTES, end - done)])):
            found_lines, found_e = lines_and_last_e(window, n)
            lines, last_e = lines + found_lines, done + found_e if found_e >= 0 else last_e
            done += n
        self._file.seek(here)
        return lines, last_e

    def reopen(self, opener: Callable[[str], _Opened]) -> _Opened:
        """The pass's file opened again by ``opener`` (given its path), checked to be the same file,
        unchanged."""
        self._opened.wait()
        if self._file is None:
            raise self._error or _changed(self.path)
        opened = opener(str(self.path))
        if _identity(opened.fileno()) != self._identity:
            opened.close()
            raise _changed(self.path)
        return opened

    def check_lines(self) -> None:
        """Wait for the line-length check; raise what it (or opening the file) raised."""
        self._checked.wait()
        if self._error is not None and not isinstance(self._error, _Stopped):
            raise self._error

    def unchanged(self) -> None:
        """Refuse the import if the file has changed since the pass opened it."""
        if self._file is not None and _identity(self._file.fileno()) != self._identity:
            raise _changed(self.path)

    def stop(self) -> None:
        """End the pass early (the import failed before needing the file's digest)."""
        self._stop.set()

    def close(self) -> None:
        """Close the pass's file once the pass is over (now, or when it ends)."""
        self.scan.add_done_callback(self._close)

    def _close(self, _: Future[MarkScan]) -> None:
        if self._file is not None:
            self._file.close()


def _identity(descriptor: int) -> tuple[int, ...]:
    """What changes when a file is replaced or written: device, inode, size, modification and change
    times (to the nanosecond)."""
    found = os.fstat(descriptor)
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def _binary(name: str) -> IO[bytes]:
    return open(name, "rb")  # noqa: SIM115 - the caller closes it


def _changed(path: Path) -> ImportFailure:
    return ImportFailure(f"{path.name}: the file changed while it was read; nothing was imported "
                         "(import it again once it is no longer being written)")


def read_ahead(path: Path, pool: ThreadPoolExecutor) -> Future[str]:
    """Start the pass over ``path`` on ``pool`` for this thread's import; the future is its SHA-256."""
    ahead = FilePass(path, pool)
    _AHEAD.set(ahead)
    return ahead.sha256


def _ahead(path: Path) -> FilePass | None:
    ahead = _AHEAD.get()
    return ahead if ahead is not None and ahead.path == path else None


def forget(failed: bool = False) -> None:
    """End this thread's pass: stopped early if the import ``failed`` before it needed the file."""
    ahead = _AHEAD.get()
    if ahead is None:
        return
    if failed:
        ahead.stop()
    ahead.close()
    _AHEAD.set(None)


def read_head(path: Path) -> bytes | None:
    """The file's first ``HEAD_BYTES`` (all of a smaller file), read now, while the pass runs for
    this import; None when it does not (or the head cannot be read: then the whole read says why)."""
    ahead = _ahead(path)
    if ahead is None:
        return None
    try:
        with ahead.reopen(_binary) as fh:
            return fh.read(HEAD_BYTES)
    except (OSError, ImportFailure):
        return None


def passing(path: Path) -> FilePass | None:
    """This thread's pass over ``path``, if one runs: the importer may parse the file itself."""
    return _ahead(path)


def check_lines(path: Path) -> None:
    """Raise the refusal of a line too long (after the pass's check), if the file has one."""
    ahead = _ahead(path)
    if ahead is not None:
        ahead.check_lines()
    else:
        check_line_lengths(path)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, read whole after the line check: the pass's file, checked unchanged."""
    ahead = _ahead(path)
    if ahead is None:
        check_line_lengths(path)  # one huge field is refused before the file is read (importers.safety)
        return path.read_bytes()
    ahead.check_lines()
    with ahead.reopen(_binary) as fh:
        raw = fh.read()
    ahead.unchanged()
    return raw
