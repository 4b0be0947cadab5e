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
    """Open the workstation (with ``case_path`` if given) and run until it is closed."""
    app = create_application()
    from cellsight.core.tempfiles import sweep_leftovers
    from cellsight.gui.main_window import MainWindow

    sweep_leftovers()  # temporaries a killed run left, wherever they are

    window = MainWindow()
    window.show()
    if case_path:
        window.open_path(case_path)
    else:
        window.offer_recovery(None)  # work on a case never saved, left by a crash
    return app.exec()
