"""Background work with progress and Cancel, without touching a widget off the main thread.

Long work is a plain function taking a ``progress.Progress`` (the same function
the CLI runs). ``run_task`` runs it on the global QThreadPool; ``QtProgress``
implements the protocol by emitting Qt signals, which Qt queues to the main
thread, where a QProgressDialog shows them; its Cancel button sets a flag that
the function reads through ``progress.cancelled()`` at its safe points. The
result, error or cancellation comes back as a signal too, so callbacks run on
the main thread and may update widgets and the case.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from cellsight.progress import Cancelled

_MIN_INTERVAL_S = 0.05  # at most ~20 progress signals a second reach the dialog
_LIVE: set[Task] = set()  # running tasks, kept alive until they finish even without a Qt parent


class QtProgress(QObject):
    """The Progress protocol for a worker: thread-safe ``update`` and ``cancelled``."""

    progressed = Signal(int, int, str)  # done, total (0: unknown), message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._last = 0.0

    def update(self, done: int, total: int | None = None, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last < _MIN_INTERVAL_S and not (total and done >= total):
            return
        self._last = now
        self.progressed.emit(int(done), int(total or 0), message)

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Signals(QObject):
    """The worker's way back to the main thread (owned by its Task, so deleted on the main thread)."""

    succeeded = Signal(object)
    failed = Signal(object, str)  # exception, formatted traceback
    cancelled = Signal()
    finished = Signal()


class _Runnable(QRunnable):
    """Runs ``fn`` on a pool thread and lets go of every Python reference before it ends.

    The work function is usually a closure over a pane. If the worker thread
    dropped the last reference to it (the window closed meanwhile), the pane's
    widgets would be destroyed on the worker thread, which deadlocks against the
    main thread's own deletions (seen as a hang in the GUI tests). So the Task
    on the main thread keeps ``fn``, the progress and the signals alive until
    this runnable has emptied itself and said so through ``released``.
    """

    def __init__(self, fn: Callable[[QtProgress], Any], progress: QtProgress, signals: _Signals,
                 released: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._progress, self._signals, self._released = fn, progress, signals, released

    def run(self) -> None:
        signals, released = self._signals, self._released
        try:
            result = self._fn(self._progress)
        except Cancelled:
            signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the main thread
            signals.failed.emit(exc, traceback.format_exc())
        else:
            signals.succeeded.emit(result)
            del result
        self.__dict__.clear()
        signals.finished.emit()
        del signals
        released.set()


class Task(QObject):
    """One piece of background work; its callbacks run on the main thread."""

    done = Signal()

    def __init__(self, fn: Callable[[QtProgress], Any], title: str, parent: QWidget | None,
                 on_success: Callable[[Any], None] | None, on_error: Callable[[BaseException, str], None] | None,
                 on_cancel: Callable[[], None] | None, dialog: bool) -> None:
        super().__init__(parent)
        # Both are children of the Task: Qt deletes them with it, on the main thread. Owned by
        # Python instead, they would be deleted wherever their last reference went, which may be
        # the worker thread (the runnable is deleted there) or a garbage collection that happens
        # to run in a worker: destroying a main-thread QObject off the main thread is unsafe in
        # Qt and was seen to hang the test suite.
        self.progress = QtProgress(self)
        self._signals = _Signals(self)
        self.dialog: QProgressDialog | None = None
        self.foreground = dialog  # the officer is waiting for it (background refreshes are not)
        self.finished = False
        if dialog:
            self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
            self.dialog.setWindowTitle("Cellsight")
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(400)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(self.cancel)
            self.progress.progressed.connect(self._show_progress)
        self._signals.succeeded.connect(lambda r: on_success and on_success(r))
        self._signals.failed.connect(lambda e, tb: on_error and on_error(e, tb))
        self._signals.cancelled.connect(lambda: on_cancel and on_cancel())
        self._signals.finished.connect(self._finish)
        self._fn = fn  # owned here, on the main thread (see _Runnable)
        self._released = threading.Event()
        self._runnable = _Runnable(fn, self.progress, self._signals, self._released)

    def start(self, pool: QThreadPool | None = None) -> Task:
        collect_garbage_on_main_thread()  # before any worker can allocate
        _LIVE.add(self)
        (pool or QThreadPool.globalInstance()).start(self._runnable)
        return self

    def cancel(self) -> None:
        self.progress.cancel()
        if self.dialog is not None:
            self.dialog.setLabelText("Cancelling…")

    def _show_progress(self, done: int, total: int, message: str) -> None:
        if self.dialog is None or self.finished:
            return
        if message and not self.progress.cancelled():
            self.dialog.setLabelText(message)
        self.dialog.setMaximum(total)
        self.dialog.setValue(min(done, total) if total else 0)

    def _finish(self) -> None:
        if not self._released.is_set():  # the worker is still letting go: look again shortly
            QTimer.singleShot(1, self._finish)
            return
        self.finished = True
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.done.emit()
        _LIVE.discard(self)
        self.deleteLater()


_COLLECTOR: list[object] = []


def collect_garbage_on_main_thread() -> None:
    """From now on, Python's cyclic garbage collector runs only on the main thread.

    Left automatic, a collection can start in whichever thread happens to
    allocate, often a worker in the middle of an analysis; if it frees a closed
    window's widgets there, Qt destroys them off the main thread and the two
    threads deadlock (seen in the GUI tests, stack dumps in the issue notes).
    pyqtgraph's GarbageCollector disables the automatic collector and collects on
    a main-thread timer instead.
    """
    if not _COLLECTOR:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _COLLECTOR.append(GarbageCollector(interval=0.5))


def run_task(parent: QWidget | None, title: str, fn: Callable[[QtProgress], Any], *,
             on_success: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException, str], None] | None = None,
             on_cancel: Callable[[], None] | None = None, dialog: bool = True) -> Task:
    """Run ``fn(progress)`` on the thread pool; show a progress dialog with Cancel if ``dialog``."""
    return Task(fn, title, parent, on_success, on_error, on_cancel, dialog).start()


class Latest(QObject):
    """Runs background refreshes of one pane, delivering only the newest request's result.

    A pane that recomputes an analysis on every selection change must not show
    an older answer that arrives after a newer one; each request gets a number
    and stale results are dropped on the main thread.
    """

    def __init__(self, start: Callable[..., Task], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._start = start
        self._generation = 0

    def submit(self, title: str, fn: Callable[[QtProgress], Any], on_result: Callable[[Any], None]) -> Task:
        self._generation += 1
        generation = self._generation

        def deliver(result: Any) -> None:
            if generation == self._generation:
                on_result(result)

        return self._start(title, fn, on_success=deliver, dialog=False)

    @property
    def generation(self) -> int:
        return self._generation
