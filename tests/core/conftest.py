"""Core tests run without Qt; in the core-only run, importing PySide6 fails the session.

With pytest-xdist the tests run in worker processes: each worker hands the Qt
modules it saw to the controller (``workeroutput``), which fails the session.
"""

from __future__ import annotations

import os
import sys

import pytest

_QT_IN_WORKERS: list[str] = []


@pytest.hookimpl(tryfirst=True)  # before xdist's worker sends its output to the controller
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CELLSIGHT_CORE_ONLY") != "1":
        return
    qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:
        worker_output["qt_modules"] = qt[:5]
        return
    qt = qt or sorted(set(_QT_IN_WORKERS))
    if qt:
        print(f"\nthe Qt-free core tests imported Qt modules: {qt[:5]}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # noqa: ANN001 - xdist's hook
    _QT_IN_WORKERS.extend(getattr(node, "workeroutput", {}).get("qt_modules", []))
