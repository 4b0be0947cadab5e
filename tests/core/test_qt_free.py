"""The core runs with no Qt: importing every core module must not import PySide6."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import importlib, json, pkgutil, sys
import cellsight
qt_free = ["cellsight.core", "cellsight.importers", "cellsight.analysis", "cellsight.report",
           "cellsight.cli", "cellsight.progress"]
imported = []
for name in qt_free:
    module = importlib.import_module(name)
    imported.append(name)
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, prefix=name + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
print(json.dumps({"imported": imported, "qt": qt}))
"""


def test_no_qt_module_is_imported_by_the_core() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    assert "cellsight.core.case" in report["imported"]
    assert report["qt"] == [], f"the Qt-free core imported {report['qt']}"
