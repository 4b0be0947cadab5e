"""Starting the workstation: QtWebEngine first, then the application, the style and the window.

QtWebEngine must be imported (and the map's tile scheme registered) before the
QApplication exists. Chromium refuses to run as root without ``--no-sandbox``,
so that flag is added only when running as root (a live forensic boot, a
container), never otherwise.
"""

from __future__ import annotations

import os
import sys


def _prepare_environment() -> None:
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()


def create_application(argv: list[str] | None = None):
    """The QApplication (made once), with QtWebEngine ready and Cellsight's style applied."""
    _prepare_environment()
    from PySide6 import QtWebEngineWidgets  # noqa: F401  (must precede the QApplication)
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from cellsight.gui.mbtiles import register_scheme
    from cellsight.gui.resources import icon, style_sheet
    from cellsight.gui.settings import APPLICATION, ORGANISATION

    app = QApplication.instance()
    if app is None:
        register_scheme()
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Cellsight")
    app.setWindowIcon(icon("cellsight"))
    app.setStyle("Fusion")
    app.setStyleSheet(style_sheet())
    return app


def run(case_path: str | None = None) -> int:
    """Open the workstation (with ``case_path`` if given) and run until it is closed.

    A stop signal or the session's log-off closes it as ``MainWindow.stop_now``
    says, and the exit status is 128 + the signal's number (the shell's
    convention for "stopped by a signal"). A background task that does not stop
    when cancelled (a long read inside a library) is not waited for.
    """
    app = create_application()
    from PySide6.QtCore import QThreadPool

    from cellsight.core.tempfiles import sweep_leftovers
    from cellsight.gui.main_window import MainWindow
    from cellsight.gui.stopping import SignalStop

    sweep_leftovers()  # temporaries a killed run left, wherever they are

    window = MainWindow()
    stopped: list[int] = []

    def stop(signum: int) -> None:
        stopped.append(signum)
        window.stop_now()
        app.exit(128 + signum)  # also ends a dialog's loop, if one was open

    stopper = SignalStop(stop)
    app.commitDataRequest.connect(lambda manager: window.stop_now())  # the session is ending (log-off)
    window.show()
    if case_path:
        window.open_path(case_path)
    else:
        window.offer_recovery(None)  # work on a case never saved, left by a crash
    code = app.exec()
    stopper.uninstall()
    if stopped and QThreadPool.globalInstance().activeThreadCount():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # the work is kept and the case released: do not wait on a worker that will not stop
    return code
