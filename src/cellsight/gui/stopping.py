"""Stopping when the system asks: SIGTERM, SIGHUP, Ctrl-C, or the session's log-off.

A logout, ``timeout``, ``systemctl stop`` or ``kill`` sends SIGTERM (a closed
terminal SIGHUP); Windows ends a session through Qt's session manager
(``commitDataRequest``). In each case the workstation must keep the officer's
unsaved work in its recovery file, release the case's lock (removing the
holder file that names the officer) and exit promptly, without a traceback.

Python runs a signal handler only between bytecodes, and while Qt's event loop
waits no Python code runs, so a handler alone would fire late, inside whatever
Qt calls next (raising there is what printed "Error calling Python override"
before). Instead the C-level handler writes the signal's number to a socket
(``signal.set_wakeup_fd``); a ``QSocketNotifier`` on the other end wakes the
event loop, and the stop runs as an ordinary event on the main thread. The
Python-level handler does nothing: the socket is the messenger.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QSocketNotifier, QTimer

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))


def _noted(signum: int, frame: Any) -> None:
    """The Python-level handler: nothing to do here (the wake-up socket carries the signal to Qt)."""


class SignalStop(QObject):
    """While installed, a stop signal calls ``stop(signum)`` on the Qt main thread, once."""

    def __init__(self, stop: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = stop
        self._stopping = False
        self._receiver, self._sender = socket.socketpair()
        for end in (self._receiver, self._sender):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._receiver.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)
        self._previous_fd = signal.set_wakeup_fd(self._sender.fileno(), warn_on_full_buffer=False)
        self._previous = {signum: signal.signal(signum, _noted) for signum in STOP_SIGNALS}

    def _woken(self, *_: Any) -> None:
        try:
            received = self._receiver.recv(64)
        except BlockingIOError:
            return
        numbers = [n for n in received if n in STOP_SIGNALS]
        if numbers and not self._stopping:
            self._stopping = True
            QTimer.singleShot(0, lambda: self._stop(numbers[0]))

    def uninstall(self) -> None:
        """Give the signals back to whoever had them (the command line's handler)."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._receiver.close()
        self._sender.close()
