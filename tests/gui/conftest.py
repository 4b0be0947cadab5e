"""GUI test setup: QtWebEngine imported before pytest-qt makes the QApplication, offscreen.

QtWebEngine must be imported before any QApplication exists, and as root
Chromium needs ``--no-sandbox``; both are arranged here, at import time, before
pytest-qt's ``qapp`` fixture runs. Every test also checks that it leaves no
worker running in the global thread pool and no timer owned by the window.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

from PySide6 import QtWebEngineWidgets  # noqa: E402,F401  (must precede the QApplication)

from cellsight.gui.mbtiles import register_scheme  # noqa: E402

register_scheme()  # like QtWebEngine, URL schemes must be declared before the QApplication

import pytest  # noqa: E402
from PySide6.QtCore import QThreadPool, QTimer  # noqa: E402

from tests.gui.cases import make_case  # noqa: E402


@pytest.fixture(scope="session")
def qapp_args():
    return ["cellsight-tests"]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each test gets its own settings file, so recent files and layouts do not leak."""
    monkeypatch.setenv("CELLSIGHT_SETTINGS_DIR", str(tmp_path / "settings"))
    yield


@pytest.fixture(autouse=True)
def no_unanswered_message_box(monkeypatch):
    """A modal message box that a test did not answer fails the test at once.

    ``QMessageBox.question`` and its siblings run a modal loop in C++ that no
    Python timeout can interrupt: unanswered, the run would hang for ever. A
    test that expects one replaces it with its answer (``monkeypatch.setattr``),
    which takes precedence over this.
    """
    from PySide6.QtWidgets import QMessageBox

    def refuse(kind):
        def shown(*args, **kwargs):
            text = args[2] if len(args) > 2 else kwargs.get("text", "")
            raise AssertionError(f"unexpected QMessageBox.{kind}: {text}")
        return shown

    for kind in ("question", "warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, refuse(kind))


@pytest.fixture
def case():
    return make_case()


def _main_window(qtbot, case):
    """A main window showing ``case`` (the start page when None); closed and checked for leftovers."""
    from cellsight.gui.main_window import MainWindow

    win = MainWindow()
    # closed here without the unsaved-work prompt, which would wait for an answer forever
    qtbot.addWidget(win, before_close_func=lambda w: setattr(w, "_closing", True))
    if case is not None:
        win.set_case(case, path=None)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.discard_and_close()
    assert QThreadPool.globalInstance().waitForDone(20_000), "a worker was still running"
    running = [t for t in win.findChildren(QTimer) if t.isActive()]
    assert not running, "timers still running: " + ", ".join(
        f"{t.objectName() or '?'} in {type(t.parent()).__name__}" for t in running)


@pytest.fixture
def window(qtbot, case):
    """A main window showing the small test case."""
    yield from _main_window(qtbot, case)


@pytest.fixture
def empty_window(qtbot):
    """The workstation as it starts: no case open."""
    yield from _main_window(qtbot, None)


@pytest.fixture(scope="session")
def demo_case_file(tmp_path_factory):
    """The demo case (the packaged exhibits), built once through the importers and saved; open it per test."""
    from cellsight import demo

    path = tmp_path_factory.mktemp("demo") / "demo.cellsight"
    demo.build(path)
    return path


@pytest.fixture
def demo_window(qtbot, demo_case_file):
    """A main window showing the demo case."""
    from cellsight.core.casefile import open_case

    yield from _main_window(qtbot, open_case(demo_case_file))
