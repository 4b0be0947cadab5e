"""Screenshots of the Scenes and Link chart panes, for the user guide.

The Scenes pane is shown on the planted world of the scene tests (four tower
dumps, a burner that follows the suspect); the link chart on the demo case
(the packaged exhibits, ``cellsight.demo``), built through the importers as ``make_screenshots.py``
does. Each pane is floated at a readable size and grabbed to
``docs/screenshots/scenes-common.png``, ``scenes-cotravel.png`` and
``link-chart.png``.

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \\
        PYTHONPATH=src:tests:. .venv/bin/python docs/make_scene_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "docs"), str(REPO / "tests"), str(REPO)]

from make_screenshots import OUT, settle, wait  # noqa: E402


def floated(window, name: str, size: tuple[int, int]):
    dock = window.docks[name]
    dock.setFloating(True)
    dock.show()
    dock.resize(*size)
    pane = window.panes[name]
    pane.ensure_fresh()
    return dock, pane


def main() -> int:
    from PySide6 import QtWebEngineWidgets  # noqa: F401  (before the QApplication)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["cellsight-screenshots"])
    from cellsight.demo import build as build_demo
    import factories
    from cellsight.core.casefile import save_case
    from cellsight.gui.main_window import MainWindow
    from tests.core import scene_data as sd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        case = sd.planted_case()
        path = factories.save(case, folder)
        sd.add_planted_scenes(case, path, sd.write_dumps(folder))
        save_case(case, path)
        window = MainWindow()
        window._closing = True  # no unsaved-work prompt
        window.set_case(case, path)
        window.resize(1500, 950)
        window.show()
        dock, pane = floated(window, "scenes", (1100, 640))
        pane.min_scenes.setValue(3)
        pane.find_common()
        wait(app, lambda: pane.common_doc is not None)
        settle(app)
        dock.grab().save(str(OUT / "scenes-common.png"))
        pane.tabs.setCurrentIndex(1)
        pane.subject.setCurrentText("Sam")
        pane.find_cotravel()
        wait(app, lambda: pane.cotravel_doc is not None)
        settle(app)
        dock.grab().save(str(OUT / "scenes-cotravel.png"))

        demo, _ = build_demo(folder / "demo.cellsight")
        window.set_case(demo, folder / "demo.cellsight")
        dock, pane = floated(window, "links", (1200, 760))
        wait(app, lambda: pane.data is not None)
        settle(app)
        suspect = next(s for s in demo.subjects if s.role == "suspect")
        victim = next(s for s in demo.subjects if s.role == "victim")
        pane.clicked(("edge", suspect.numbers[0], victim.numbers[0]))
        settle(app)
        dock.grab().save(str(OUT / "link-chart.png"))
        window.discard_and_close()
    print(f"wrote scenes-common.png, scenes-cotravel.png and link-chart.png to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
