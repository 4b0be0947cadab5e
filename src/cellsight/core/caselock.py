"""One writer per case at a time: an operating-system lock beside the case file, and who holds it.

Every command that changes a case (import, subject, place, new) and the
workstation, while it has a case open for writing, hold the case's lock:
``.NAME.cellsight.lock`` beside the case, locked with ``filelock`` (``flock`` on
Unix, ``LockFileEx`` on Windows). The operating system releases it when the
process ends, however it ends, so a killed command never leaves the case
locked. The holder writes who it is (user, host, program, process, since when)
to ``.NAME.cellsight.holder`` so that the process that has to wait can say
who it is waiting for.

A writer takes the lock *before* reading the case and releases it after the
save, so no change is ever made to a stale copy: a second writer waits
(``wait`` seconds; the command line's default is ``DEFAULT_WAIT_S``, or
``CELLSIGHT_LOCK_WAIT``), then reads the case with the first one's change in
it, or gives up naming the holder. Reading never locks and never waits.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import filelock

from cellsight.core.case import current_user
from cellsight.core.casefile import CaseFileError
from cellsight.core.outputs import current_umask
from cellsight.core.tempfiles import held_temporary

DEFAULT_WAIT_S = 10.0
WAIT_ENV = "CELLSIGHT_LOCK_WAIT"


@dataclass(frozen=True)
class Holder:
    """Who holds a case's lock, as that process recorded it."""

    user: str
    host: str
    program: str
    pid: int
    since: str  # ISO 8601, UTC, to the second
    token: str = ""

    def describe(self) -> str:
        since = self.since.replace("T", " ").replace("+00:00", " UTC")
        return f"{self.user} on {self.host} ({self.program}, process {self.pid}) since {since}"


class CaseLocked(CaseFileError):
    """Another process holds the case's lock; ``holder`` says who, when it said so."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


def lock_path(case_path: str | os.PathLike[str]) -> Path:
    path = Path(case_path).absolute()
    return path.with_name(f".{path.name}.lock")


def holder_path(case_path: str | os.PathLike[str]) -> Path:
    path = Path(case_path).absolute()
    return path.with_name(f".{path.name}.holder")


def holder_of(case_path: str | os.PathLike[str]) -> Holder | None:
    """Who last said they hold the case's lock (None when nobody recorded it, or it is unreadable)."""
    try:
        data = json.loads(holder_path(case_path).read_text(encoding="utf-8"))
        return Holder(**{k: data[k] for k in ("user", "host", "program", "pid", "since")},
                      token=str(data.get("token", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def wait_from_environment(default: float = DEFAULT_WAIT_S) -> float:
    """Seconds a writer waits for the lock: ``CELLSIGHT_LOCK_WAIT`` if set, else ``default``."""
    text = os.environ.get(WAIT_ENV, "").strip()
    if not text:
        return default
    try:
        return max(0.0, float(text))
    except ValueError as exc:
        raise CaseFileError(f"{WAIT_ENV}={text!r} is not a number of seconds") from exc


class CaseLock:
    """The lock of the case at ``case_path``, taken for ``program`` (e.g. "cellsight import")."""

    def __init__(self, case_path: str | os.PathLike[str], program: str) -> None:
        self.case_path = Path(case_path).absolute()
        self.program = program
        self._lock = filelock.FileLock(str(lock_path(self.case_path)), thread_local=False)
        self._token = ""

    @property
    def held(self) -> bool:
        return bool(self._token)

    def acquire(self, wait: float = 0.0) -> CaseLock:
        """Take the lock, waiting up to ``wait`` seconds; CaseLocked names the holder otherwise."""
        if self.held:
            return self
        try:
            self._lock.acquire(timeout=wait, poll_interval=0.1)
        except filelock.Timeout:
            holder = holder_of(self.case_path)
            who = holder.describe() if holder else "another program (it did not say who)"
            waited = f" after waiting {wait:g} s" if wait else ""
            raise CaseLocked(f"{self.case_path}: the case is being changed by {who}; nothing was "
                             f"changed{waited}. Try again when it has finished", holder) from None
        except OSError as exc:
            raise CaseFileError(f"{self.case_path}: cannot take the case's lock to change it "
                                f"({exc.strerror or exc})") from exc
        self._token = uuid.uuid4().hex
        try:
            self._record()
        except BaseException:
            self._token = ""
            self._lock.release()
            raise
        return self

    def release(self) -> None:
        if not self.held:
            return
        try:
            current = holder_of(self.case_path)
            if current is not None and current.token == self._token:
                holder_path(self.case_path).unlink(missing_ok=True)
        finally:
            self._token = ""
            self._lock.release()

    def __enter__(self) -> CaseLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def _record(self) -> None:
        holder = Holder(user=current_user(), host=socket.gethostname(), program=self.program, pid=os.getpid(),
                        since=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                        token=self._token)
        target = holder_path(self.case_path)
        with held_temporary(target) as (fd, tmp):
            os.write(fd, json.dumps(asdict(holder), sort_keys=True).encode("utf-8"))
            os.chmod(tmp, 0o666 & ~current_umask())  # colleagues sharing the folder can read who it is
            os.replace(tmp, target)
