"""A file read whole once, for both the importer that parses it whole and its SHA-256.

A call-record CSV is parsed from its bytes in memory, and every exhibit is
hashed. Read twice (the parse's read on the import's thread, the hash's own
read on another), a 100 MB file costs two copies out of the page cache, one of
them on the thread everything else waits for. ``read_ahead`` reads it once on
the hashing worker, as soon as the importer is chosen, and hashes those very
bytes (hashlib lets go of the GIL); the importer's ``take`` waits for the read
instead of reading again. The hashing waits until the importer says its parse
is done (``parsed``; or ``forget``, when it stops), and runs at a lower priority:
pyarrow's parse of the same bytes wants both cores, and the digest is needed
only when the source is recorded. The line-length check (``safety.check_line_lengths``)
still comes first, so a file with a huge field is refused before it is read;
a refusal, or a file that cannot be read, is raised by ``take`` where the read
would have raised it, and the digest is then worked out from the file as before.

While the worker reads, the importer need not wait idle: ``read_head`` gives it
the file's first ``HEAD_BYTES`` at once, enough to find the header and judge
the first 1,000 rows of any call record, so that this judging overlaps the
whole read (``tabular._read_csv``; a refusal it reaches is raised only after the
whole read's own, so a line too long is still refused first).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path

from cellsight.importers.safety import check_line_lengths

HEAD_BYTES = 4 * 1024**2  # a header and 1,000 rows of up to 4 kB each
PARSE_WAIT_S = 60.0  # the digest waits at most this long for the parse (a safety net: forget() ends it)
_AHEAD: ContextVar[WholeFile | None] = ContextVar("cellsight_whole_file", default=None)


class WholeFile:
    """One file's bytes being read on a worker, handed over once."""

    def __init__(self, path: Path, pool: ThreadPoolExecutor, digest: Callable[[Path], str]) -> None:
        self.path = path
        self._digest = digest
        self._ready = threading.Event()
        self._parsed = threading.Event()  # the importer is done with both cores (or has stopped)
        self.taken = False
        self._raw: bytes | None = None
        self._error: BaseException | None = None
        self.sha256: Future[str] = pool.submit(self._read_and_hash)

    def _read_and_hash(self) -> str:
        try:
            check_line_lengths(self.path)
            raw = self.path.read_bytes()
        except BaseException as exc:  # noqa: BLE001 - handed to the importer's thread by take()
            self._error = exc
            self._ready.set()
            return self._digest(self.path)  # as the digest was worked out before: from the file
        self._raw = raw
        self._ready.set()
        self._parsed.wait(PARSE_WAIT_S)
        _behind_the_import()
        return hashlib.sha256(raw).hexdigest()

    def parsed(self) -> None:
        """Let the digest be worked out now: the parse that wanted both cores is over."""
        self._parsed.set()

    def take(self) -> bytes:
        """The bytes (once: the reference is given up), or what reading them raised."""
        self._ready.wait()
        if self._error is not None:
            raise self._error
        raw, self._raw = self._raw, None
        return raw


BACKGROUND_NICENESS = 10  # CFS gives such a thread about a tenth of a core that others want


def _behind_the_import() -> None:
    """Let this worker thread (the pool's own, ended with the import) run only on CPU the import
    does not use.

    The digest is needed only when the source is recorded, at the end; after the parse it would
    otherwise take turns with the columns hashed ahead on the second core, which the import waits
    for. On Linux a thread has its own nice value (``setpriority`` on its thread id); elsewhere the
    call would name a process, so nothing is changed there.
    """
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


def read_ahead(path: Path, pool: ThreadPoolExecutor, digest: Callable[[Path], str]) -> Future[str]:
    """Start reading ``path`` whole on ``pool`` for this thread's import; the future is its SHA-256."""
    whole = WholeFile(path, pool, digest)
    _AHEAD.set(whole)
    return whole.sha256


def parsed() -> None:
    """The importer has parsed the bytes read ahead for this thread's import: their digest is
    worked out from now on, on the core the parse no longer needs."""
    whole = _AHEAD.get()
    if whole is not None:
        whole.parsed()


def forget() -> None:
    """End this thread's read-ahead (bytes not taken are let go once hashed)."""
    parsed()
    _AHEAD.set(None)


def read_head(path: Path) -> bytes | None:
    """The file's first ``HEAD_BYTES`` (all of a smaller file), read now, while the whole file is
    read ahead for this import; None when it is not (then nothing could overlap the read)."""
    whole = _AHEAD.get()
    if whole is None or whole.path != path or whole.taken:
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError:
        return None  # the whole read raises what is wrong, where it always did


def read_bytes(path: Path) -> bytes:
    """The file's bytes: the ones read ahead for this import, else read now, after the line check."""
    whole = _AHEAD.get()
    if whole is not None and whole.path == path and not whole.taken:
        whole.taken = True  # handed over once; a second read of the file reads it again
        return whole.take()
    check_line_lengths(path)  # one huge field is refused before the file is read (importers.safety)
    return path.read_bytes()
