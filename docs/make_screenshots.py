"""Screenshots of the workstation on the demo case, for the user guide (kept current by a script).

Runs offscreen: builds the demo case from ``sample_data/demo`` through the
importers, opens the main window, does what an officer would (finds the
proximity occasions, chooses one, selects a week on the timeline and a contact,
adds frames to the storyboard) and grabs the window and each pane to
``docs/screenshots/*.png``.

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \\
        .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
SIZE = (1600, 1000)


def wait(app, condition, timeout: float = 60.0) -> None:
    """Process events until ``condition()`` is true (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workstation did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    # A throwaway settings file: screenshots show the default layout, not the user's own.
    os.environ["CELLSIGHT_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="cellsight-shots-")
    sys.path.insert(0, str(REPO / "sample_data"))
    from build_demo_case import build

    from cellsight.gui.app import create_application

    app = create_application(["cellsight-screenshots"])
    from cellsight.gui.main_window import MainWindow

    case, _reports = build(case_path=None)
    case.dirty = False
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    window.set_case(case, None)
    map_pane = window.panes["map"]
    wait(app, lambda: map_pane._ready and not window.tasks)
    OUT.mkdir(parents=True, exist_ok=True)

    def shot(name: str, widget=None) -> None:
        settle(app)
        (widget or window).grab().save(str(OUT / f"{name}.png"))
        print(f"wrote {OUT / name}.png")

    shot("main-window")
    for name in ("case", "events", "timeline"):
        window.docks[name].raise_()
        shot(f"pane-{name}", window.docks[name])

    # Proximity: the suspect near the victim, then the first occasion chosen
    prox = window.panes["proximity"]
    window.docks["proximity"].raise_()
    prox.run_analysis()
    wait(app, lambda: prox.doc is not None and not window.tasks)
    wait(app, lambda: map_pane._ready and not window.tasks)
    settle(app, 1.5)
    prox.view.selectRow(0)
    prox.choose(0)
    window.docks["map"].raise_()
    shot("pane-proximity", window.docks["proximity"])
    settle(app, 1.0)
    shot("pane-map", window.docks["map"])

    # A week on the timeline, then the suspect's top contact
    window.panes["timeline"].fit()
    window.panes["timeline"].select_week_in_view()
    contacts = window.panes["contacts"]
    window.docks["contacts"].raise_()
    wait(app, lambda: contacts.model.rowCount() > 0 and not window.tasks)
    contacts.view.selectRow(0)
    contacts.choose_row(0)
    wait(app, lambda: contacts.pair is not None and not window.tasks)
    shot("pane-contacts", window.docks["contacts"])
    shot("main-window-selection")

    # The storyboard, built from what was on screen
    for name in ("proximity", "contacts", "timeline", "map", "case"):
        window.add_to_storyboard(name)
    board = window.panes["storyboard"]
    window.docks["storyboard"].raise_()
    board.list.setCurrentRow(1)
    shot("pane-storyboard", window.docks["storyboard"])

    window.discard_and_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
