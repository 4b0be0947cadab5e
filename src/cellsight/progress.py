"""One Progress protocol for long work, shown as a bar on a terminal and a dialog in the GUI.

Long work is a plain function that takes a Progress: it reports with
``update(done, total, message)`` and asks ``cancelled()`` at safe points, raising
``Cancelled`` so that nothing half-done reaches the case. The same function runs
under the CLI (``TerminalProgress``), the GUI (a Qt adapter in ``gui/workers``)
and the tests (``NullProgress``).
"""

from __future__ import annotations

import sys
import threading
from typing import Protocol, TextIO


class Cancelled(Exception):
    """The user cancelled; the work stopped before changing anything."""


class Progress(Protocol):
    def update(self, done: int, total: int | None = None, message: str = "") -> None: ...

    def cancelled(self) -> bool: ...


class NullProgress:
    """Reports nothing and is never cancelled; can be cancelled by code (tests, GUI)."""

    def __init__(self) -> None:
        self._cancel = threading.Event()

    def update(self, done: int, total: int | None = None, message: str = "") -> None:
        return None

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


class TerminalProgress(NullProgress):
    """A tqdm bar on stderr, only when stderr is a terminal (the CLI contract)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream or sys.stderr
        self._bar = None
        self._message = ""

    def update(self, done: int, total: int | None = None, message: str = "") -> None:
        if not self._stream.isatty():
            return
        from tqdm import tqdm

        if self._bar is None or message != self._message or (total and self._bar.total != total):
            self.close()
            self._bar = tqdm(total=total, desc=message or None, file=self._stream, leave=False,
                             dynamic_ncols=True)
            self._message = message
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def check(progress: Progress) -> None:
    """Raise Cancelled if the user asked to stop."""
    if progress.cancelled():
        raise Cancelled()
