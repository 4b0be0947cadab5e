"""SIGTERM and SIGHUP to a running workstation: work kept, case released, a prompt exit, no traceback.

The workstation runs in a real child process started as ``cellsight gui CASE``
is (through ``cli.main``), so the command line's own SIGTERM handling is in play.
The child says "ready" once the case is open (and, for the unsaved case, changed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cellsight.core.caselock import CaseLock, holder_path
from cellsight.core.casefile import open_case, save_case
from cellsight.gui.autosave import recovery_path

from .cases import make_case

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32",
                                reason="POSIX signals")

CHILD = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from cellsight.core.hub import Change
from cellsight.gui.app import create_application

app = create_application()
change = sys.argv[2] == "change"

def poll():
    windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "MainWindow"]
    window = windows[0] if windows else None
    if window is None or window.case is None or window.tasks or window.hold.lock is None:
        QTimer.singleShot(50, poll)
        return
    if change:
        window.case.set_subject("Witness Wendy", role="witness")
        window.case_modified(Change.SUBJECTS)
    print("ready", flush=True)

QTimer.singleShot(50, poll)
from cellsight.cli import main
sys.exit(main(["gui", sys.argv[1]]))
"""


def _start(tmp_path: Path, case: Path, change: bool) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CELLSIGHT_SETTINGS_DIR": str(tmp_path / "settings"),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"),
                                          os.environ.get("PYTHONPATH", "")])}
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = (env.get("QTWEBENGINE_CHROMIUM_FLAGS", "") + " --no-sandbox --disable-gpu")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(case), "change" if change else "keep"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()  # blocks until the case is open (or the child died)
    if line.strip() != "ready":
        child.kill()
        pytest.fail(f"the workstation did not start: {line!r} {child.communicate()[1][-2000:]}")
    return child


def _stop(child: subprocess.Popen, signum: int) -> tuple[int, str]:
    child.send_signal(signum)
    try:
        _, err = child.communicate(timeout=5)  # the limit: a session logout does not wait longer
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail(f"the workstation did not stop within 5 s of signal {signum}: {child.communicate()[1][-2000:]}")
    return child.returncode, err


@pytest.mark.parametrize("change", [True, False], ids=["unsaved-changes", "nothing-unsaved"])
def test_sigterm_keeps_unsaved_work_and_releases_the_case(tmp_path, change) -> None:
    case_file = tmp_path / "case.cellsight"
    save_case(make_case(days=3), case_file)
    child = _start(tmp_path, case_file, change)
    assert holder_path(case_file).exists(), "the workstation holds the case while it is open"

    code, err = _stop(child, signal.SIGTERM)

    assert code == 128 + signal.SIGTERM
    assert "Traceback" not in err and "Error calling Python override" not in err, err
    assert not holder_path(case_file).exists(), "the holder file names nobody once the workstation stopped"
    with CaseLock(case_file, "test").acquire(wait=0):  # the lock is free
        pass
    recovery = recovery_path(case_file)
    if change:
        assert recovery.is_file(), err
        assert "Witness Wendy" in [s.name for s in open_case(recovery).subjects]
        assert "Witness Wendy" not in [s.name for s in open_case(case_file).subjects], "the case file is as saved"
        assert "unsaved changes kept in" in err
    else:
        assert not recovery.exists()


def test_sighup_stops_it_the_same_way(tmp_path) -> None:
    case_file = tmp_path / "case.cellsight"
    save_case(make_case(days=2), case_file)
    child = _start(tmp_path, case_file, change=True)

    code, err = _stop(child, signal.SIGHUP)

    assert code == 128 + signal.SIGHUP
    assert "Traceback" not in err, err
    assert recovery_path(case_file).is_file() and not holder_path(case_file).exists()
