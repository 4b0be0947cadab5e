"""Temporaries written beside a file and renamed over it: private, held while alive, removed when stale.

The case file and every output (report, map, export) are written under a
temporary name in the target's folder and renamed into place when complete,
so a kill never leaves half a file under the real name. What a kill does leave
is the temporary itself, perhaps tens of megabytes of personal data in plain
text. So:

- every temporary is named ``.<target name>.<random>.cellsight-partial``, a
  name that says whose it is, and is created private (0600);
- while its writer lives, the writer holds an exclusive ``flock`` on it; the
  operating system drops that lock when the process ends, however it ends;
- before writing, a writer removes the *stale* temporaries in the folder: those
  whose lock it can take. A temporary another live process is still writing is
  locked, so it is left alone: two saves at once never delete each other's file.

A writer that loses the race (a cleaner locked and removed its new file in
the instant between creating and locking it) sees that its file has no name
any more and makes another. Where ``flock`` does not exist (Windows), a
temporary still open by its writer cannot be deleted, which gives the same
protection. Temporaries named by older versions (``.<target>.<random>.tmp``)
are cleaned for the target being written.

A temporary may lie in any folder an output was written to, and the next
output may never go there again. So each temporary is also *recorded* while
it lives: a small file in the user's state folder (``$CELLSIGHT_STATE_DIR``,
else ``$XDG_STATE_HOME/cellsight``, else ``~/.local/state/cellsight``; on
Windows ``%LOCALAPPDATA%\\Cellsight``) holding the temporary's path, removed
with it. Every start of Cellsight (``sweep_leftovers``: the command line and
the workstation) removes the recorded temporaries that no live process
holds, wherever they are, and the sheets that openpyxl left in ``$TMPDIR`` for
exports of earlier versions (``openpyxl.*`` holding an export's header row).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which is the protection there
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".cellsight-partial"
STATE_ENV = "CELLSIGHT_STATE_DIR"
# What an export's sheet held by openpyxl (the XLSX writer of earlier versions) starts with; an
# openpyxl temporary holding it and untouched for LEGACY_IDLE_S seconds is a killed export's.
_LEGACY_MARKS = (b"<t>time_local</t>", b"<t>source_row</t>")
LEGACY_IDLE_S = 60.0


@contextlib.contextmanager
def held_temporary(target: Path) -> Iterator[tuple[int, Path]]:
    """A new private temporary beside ``target``, locked for as long as the block runs.

    Yields the open descriptor (holding the lock) and the path. The caller
    renames or removes the path; the descriptor is closed on exit, which is
    what releases the lock, so rename before leaving the block.
    """
    remove_stale(target)
    while True:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=SUFFIX, dir=target.parent)
        if fcntl is None:
            break
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink > 0:  # still ours: no cleaner removed it before we locked it
            break
        os.close(fd)
    record = _record(Path(name))
    try:
        yield fd, Path(name)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
        if record is not None:
            record.unlink(missing_ok=True)


def remove_stale(target: Path) -> list[Path]:
    """Remove the Cellsight temporaries in ``target``'s folder that no live process holds."""
    folder = target.parent
    candidates = set(folder.glob(f".*{SUFFIX}")) | set(folder.glob(f".{glob.escape(target.name)}.*.tmp"))
    return [path for path in sorted(candidates) if _remove_if_unheld(path)]


def _remove_if_unheld(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False  # gone already, a symbolic link, or not ours to open
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live writer holds it
            with contextlib.suppress(OSError):
                if not os.path.samestat(os.fstat(fd), os.lstat(path)):
                    return False  # the name now belongs to another file
        else:
            os.close(fd)
            fd = -1
        try:
            path.unlink()
        except OSError:
            return False  # Windows: still open in its writer
        return True
    finally:
        if fd >= 0:
            os.close(fd)


# ----- the record of live temporaries, and the sweep at every start -----------------------
def state_folder() -> Path:
    """The user's Cellsight state folder (see the module's note); not created here."""
    chosen = os.environ.get(STATE_ENV)
    if chosen:
        return Path(chosen)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "Cellsight"
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "cellsight"


def _records() -> Path:
    return state_folder() / "partials"


def _record(path: Path) -> Path | None:
    """Note ``path`` as a live temporary; None when the state folder cannot be written (the
    folder-by-folder clean-up still applies)."""
    folder = _records()
    entry = folder / hashlib.sha256(str(path.absolute()).encode("utf-8", "surrogateescape")).hexdigest()[:40]
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(entry, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None
    try:
        os.write(fd, os.fsencode(str(path.absolute())))
    finally:
        os.close(fd)
    return entry


def sweep_leftovers() -> list[Path]:
    """Remove every temporary of Cellsight that a killed process left, wherever it lies; never raises.

    Recorded temporaries that a live process holds are left alone (and stay
    recorded); a record whose file is gone is dropped.
    """
    removed: list[Path] = []
    try:
        entries = sorted(_records().iterdir())
    except OSError:
        entries = []
    for entry in entries:
        try:
            path = Path(os.fsdecode(entry.read_bytes()))
        except OSError:
            continue
        if path.name.endswith(SUFFIX) and _remove_if_unheld(path):
            removed.append(path)
        if not os.path.lexists(path) or not path.name.endswith(SUFFIX):
            entry.unlink(missing_ok=True)
    return removed + _sweep_legacy_sheets()


def _sweep_legacy_sheets() -> list[Path]:
    """openpyxl's sheets of exports made by earlier versions, killed before they finished."""
    removed = []
    folder = Path(tempfile.gettempdir())
    try:
        candidates = sorted(folder.glob("openpyxl.*"))
    except OSError:
        return []
    uid = getattr(os, "getuid", lambda: None)()
    for path in candidates:
        try:
            info = path.lstat()
            if not path.is_file() or path.is_symlink() or (uid is not None and info.st_uid != uid):
                continue
            if time.time() - info.st_mtime < LEGACY_IDLE_S:
                continue  # still being written, perhaps by a running export of an earlier version
            with open(path, "rb") as fh:
                head = fh.read(64 * 1024)
            if all(mark in head for mark in _LEGACY_MARKS):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed
