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
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which is the protection there
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".cellsight-partial"


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
    try:
        yield fd, Path(name)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


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
