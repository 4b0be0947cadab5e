"""``cellsight selfcheck``: does this installation work, from the files it was installed with?

Written for whoever installs Cellsight (a force's IT department rolling out the
desktop bundle, an analyst after ``pip install``) and for the CI checks of the
wheel and the bundle: it finds every packaged resource, builds the demo case
from the packaged exhibits in a temporary folder, opens the workstation on it,
waits until the map pane has drawn the case with the packaged Leaflet, then
closes the window. Nothing outside the temporary folder is written (the
workstation's settings go there too). Each step is one line ``ok``/``FAILED``
with what it found; the exit status is 0 only when every step passed. On a
machine with no display, run it with ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import cellsight
from cellsight.packagedata import resource

MAP_ASSETS = ("leaflet/leaflet.js", "leaflet/leaflet.css", "cellsight-map/cellsight-map.js",
              "cellsight-map/cellsight-map.css", "style.qss", "icons/cellsight.svg")
PAGE_PROBE = ("JSON.stringify({leaflet: typeof L === 'object' ? L.version : null, "
              "subjects: window.cellsight ? cellsight.state().subjects.length : 0})")


def _step(steps: list[dict[str, Any]], name: str, ok: bool, detail: str) -> bool:
    steps.append({"step": name, "ok": bool(ok), "detail": detail})
    return bool(ok)


def _resources(steps: list[dict[str, Any]]) -> bool:
    from cellsight.demo import DEMO_FILES, load_answers
    from cellsight.report import fonts

    wanted = [resource(*name.split("/")) for name in MAP_ASSETS]
    wanted += [fonts.font_file(face) for face in (fonts.SANS, fonts.SANS_BOLD, fonts.SANS_ITALIC,
                                                   fonts.SANS_BOLD_ITALIC)]
    wanted.append(DEMO_FILES / "answers.json")
    if wanted[-1].is_file():
        wanted += [DEMO_FILES / f["file"] for f in load_answers()["files"]]
    absent = [str(p) for p in wanted if not p.is_file()]
    return _step(steps, "resources", not absent,
                 f"missing: {', '.join(absent)}" if absent else f"{len(wanted)} files in {resource()}")


def _demo(steps: list[dict[str, Any]], folder: Path) -> Path | None:
    from cellsight.demo import make_demo

    case_path, reports = make_demo(folder)
    unaccounted = [r["file"] for r in reports if r["rows"] != r["imported"] + r["rejected"]]
    rows = sum(r["rows"] for r in reports)
    ok = _step(steps, "demo case", not unaccounted,
               f"{len(reports)} exhibits, {rows:,} rows imported or rejected"
               + (f"; rows unaccounted in {', '.join(unaccounted)}" if unaccounted else ""))
    return case_path if ok else None


def _workstation(steps: list[dict[str, Any]], case_path: Path, timeout_s: float) -> bool:
    from cellsight.gui.app import create_application
    from cellsight.gui.resources import icon

    app = create_application(["cellsight-selfcheck"])
    from cellsight.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.open_path(case_path)
    pane = window.panes["map"]
    window.docks["map"].raise_()
    probe: list[Any] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if window.case is not None and not window.tasks and pane._ready and not probe:
            pane.page.runJavaScript(PAGE_PROBE, 0, probe.append)
        if probe:
            break
        time.sleep(0.02)
    page = json.loads(probe[0]) if probe and isinstance(probe[0], str) else {}
    styled = bool(app.styleSheet()) and not icon("open").isNull()
    subjects = len(window.case.subjects) if window.case is not None else 0
    window.discard_and_close()
    app.processEvents()
    ok = bool(page.get("leaflet")) and page.get("subjects", 0) > 0 and styled
    detail = (f"map drawn with Leaflet {page['leaflet']}, {page['subjects']} of {subjects} subjects; "
              f"style sheet and icons {'loaded' if styled else 'MISSING'}" if page else
              f"the map did not finish drawing within {timeout_s:.0f} s")
    return _step(steps, "workstation", ok, detail)


def selfcheck(timeout_s: float = 90.0) -> dict[str, Any]:
    """Run every step (stopping at the first that fails) and say what each found."""
    steps: list[dict[str, Any]] = []
    _step(steps, "package", True, f"Cellsight {cellsight.__version__} in {Path(cellsight.__file__).parent}")
    settings = os.environ.get("CELLSIGHT_SETTINGS_DIR")
    with tempfile.TemporaryDirectory(prefix="cellsight-selfcheck-") as tmp:
        os.environ["CELLSIGHT_SETTINGS_DIR"] = str(Path(tmp) / "settings")  # the user's own stay untouched
        try:
            if _resources(steps):
                case_path = _demo(steps, Path(tmp) / "demo")
                if case_path is not None:
                    _workstation(steps, case_path, timeout_s)
        finally:
            if settings is None:
                del os.environ["CELLSIGHT_SETTINGS_DIR"]
            else:
                os.environ["CELLSIGHT_SETTINGS_DIR"] = settings
    return {"version": cellsight.__version__, "ok": all(s["ok"] for s in steps) and len(steps) == 4,
            "steps": steps}


def describe(result: dict[str, Any]) -> str:
    return "\n".join(f"{'ok' if s['ok'] else 'FAILED':6} {s['step']}: {s['detail']}" for s in result["steps"])
