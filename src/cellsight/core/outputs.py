"""Writing an output file (report, map, export) whole or not at all, with ordinary permissions.

An output is written under a temporary name beside its target and renamed over
it only when complete, so an interrupted export never leaves half a PDF that
looks finished. The temporary file is private while it is written (mkstemp
makes it 0600); the finished file gets the permissions any new file of the
user gets (0666 less the umask), because a report is made to be shared.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
def atomic_output(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path to write; renamed to ``target`` if the block ends without an error."""
    final = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.absolute().parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
