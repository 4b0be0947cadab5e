"""Core tests run without Qt; in the core-only run, importing PySide6 fails the session."""

from __future__ import annotations

import os
import sys

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CELLSIGHT_CORE_ONLY") != "1":
        return
    qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
    if qt:
        print(f"\nthe Qt-free core tests imported Qt modules: {qt[:5]}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
