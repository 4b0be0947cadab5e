"""The desktop bundle (scripts/build_bundle.py): built with PyInstaller, then started on its own.

Opt-in (marker ``bundle``, minutes of work and about a gigabyte of disk): builds
the bundle for this machine into a temporary folder, then runs the bundled
program with no Python environment, from another folder, offscreen: its
version, and ``selfcheck``, which builds the demo case from the bundled
exhibits, opens the workstation on it, waits for the map to draw with the
bundled Leaflet, and exits.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

import cellsight

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(3600)]
REPO = Path(__file__).resolve().parents[2]


def test_the_bundle_runs_the_demo_on_its_own(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason='needs PyInstaller: pip install -e ".[bundle]"')
    spec = importlib.util.spec_from_file_location("build_bundle", REPO / "scripts" / "build_bundle.py")
    build_bundle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_bundle)
    program = build_bundle.build(tmp_path / "bundle")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("CELLSIGHT_")}
    env.update(QT_QPA_PLATFORM="offscreen", CELLSIGHT_SETTINGS_DIR=str(tmp_path / "settings"))

    def run(*args: str) -> str:
        done = subprocess.run([str(program), *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stderr[-3000:]}"
        return done.stdout

    assert run("--version").strip() == f"cellsight {cellsight.__version__}"
    result = json.loads(run("selfcheck", "--json"))
    assert result["ok"], result
    assert str(program.parent) in result["steps"][0]["detail"]  # the bundle's own copy of Cellsight
    assert [s["step"] for s in result["steps"]] == ["package", "resources", "demo case", "workstation"]
