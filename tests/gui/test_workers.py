"""Workers: the Progress protocol in a thread, Cancel, errors, and hub messages arriving on the main thread."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread, QThreadPool
from PySide6.QtWidgets import QApplication, QPushButton

from cellsight.core.hub import Hub, StatusMessage
from cellsight.gui.bridge import HubBridge
from cellsight.gui.workers import Latest, run_task
from cellsight.progress import Cancelled, check


def test_progress_reaches_the_dialog_and_cancel_stops_the_work(qtbot) -> None:
    started, results, cancelled = threading.Event(), [], []

    def work(progress):
        for i in range(1000):
            progress.update(i, 1000, f"row {i}")
            started.set()
            check(progress)
            time.sleep(0.01)
        return "finished"

    task = run_task(None, "Working…", work, on_success=results.append, on_cancel=lambda: cancelled.append(1))
    assert task.dialog is not None and task.dialog.labelText() == "Working…"
    qtbot.waitUntil(lambda: started.is_set() and task.dialog.maximum() == 1000, timeout=5000)
    assert task.dialog.labelText().startswith("row ")
    task.dialog.findChild(QPushButton).click()  # the Cancel button
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)
    assert results == [] and task.finished
    assert QThreadPool.globalInstance().waitForDone(5000)


def test_errors_and_results_come_back_on_the_main_thread(qtbot) -> None:
    seen = []
    main = QThread.currentThread()

    def boom(progress):
        raise ValueError("bad row 7")

    run_task(None, "x", boom, on_error=lambda exc, tb: seen.append((str(exc), QThread.currentThread() is main)),
             dialog=False)
    run_task(None, "y", lambda p: threading.get_ident(), dialog=False,
             on_success=lambda ident: seen.append((ident != threading.get_ident(),
                                                   QThread.currentThread() is main)))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert ("bad row 7", True) in seen and (True, True) in seen
    assert QThreadPool.globalInstance().waitForDone(5000)


def test_cancelled_is_not_an_error(qtbot) -> None:
    outcome = []

    def stop(progress):
        raise Cancelled()

    run_task(None, "z", stop, dialog=False, on_error=lambda *a: outcome.append("error"),
             on_cancel=lambda: outcome.append("cancelled"))
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    assert outcome == ["cancelled"]


def test_latest_drops_stale_results(qtbot) -> None:
    got = []
    gate = threading.Event()

    def start(title, fn, on_success, dialog):
        return run_task(None, title, fn, on_success=on_success, dialog=dialog)

    latest = Latest(start)
    latest.submit("slow", lambda p: gate.wait(5) and "old", got.append)
    latest.submit("fast", lambda p: "new", got.append)
    qtbot.waitUntil(lambda: got == ["new"], timeout=5000)
    gate.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    QApplication.processEvents()
    assert got == ["new"]


def test_bridge_delivers_messages_published_from_a_thread_on_the_main_thread(qtbot) -> None:
    hub = Hub()
    bridge = HubBridge(hub)
    received = []
    bridge.statusMessage.connect(lambda m: received.append((m.text, QThread.currentThread() is bridge.thread())))
    worker = threading.Thread(target=lambda: hub.publish(StatusMessage(None, "from a worker")))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(received), timeout=5000)
    assert received == [("from a worker", True)]
    bridge.detach()
    assert hub.subscriber_count() == 0


def test_a_tasks_qt_objects_belong_to_it_and_are_deleted_on_the_main_thread(qtbot) -> None:
    """A worker (or a garbage collection running in one) must never be the one to delete them."""
    import gc

    from shiboken6 import Shiboken

    done = []
    task = run_task(None, "Owned", lambda progress: progress.update(1, 1) or 7, on_success=done.append,
                    dialog=False)
    progress, signals = task.progress, task._signals  # the main thread has not run the finish yet
    destroyed = []
    progress.destroyed.connect(lambda *_: destroyed.append(QThread.currentThread()))
    assert progress.parent() is task and signals.parent() is task
    assert not Shiboken.ownedByPython(progress) and not Shiboken.ownedByPython(signals)
    del task
    qtbot.waitUntil(lambda: done == [7], timeout=5000)
    assert QThreadPool.globalInstance().waitForDone(5000)
    qtbot.waitUntil(lambda: bool(destroyed), timeout=5000)  # with the Task, by its deleteLater
    gc.collect()
    assert destroyed == [QApplication.instance().thread()]
    assert not Shiboken.isValid(progress) and not Shiboken.isValid(signals)
