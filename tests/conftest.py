"""Shared test fixtures: where the real sample files are, when this workspace has them."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from cellsight.core.tempfiles import STATE_ENV

REPO = Path(__file__).resolve().parents[1]
REAL_SAMPLES = REPO.parent / "shared" / "real-samples"


@pytest.fixture
def real_samples() -> Path:
    """The folder of real files made by other projects; the test skips when it is absent."""
    if not REAL_SAMPLES.is_dir():
        pytest.skip("../shared/real-samples is not beside this checkout")
    return REAL_SAMPLES


def pytest_configure(config: pytest.Config) -> None:
    """Cellsight's state folder (the record of live temporaries) in a private folder of this run,
    never the user's own; child processes inherit it."""
    if not os.environ.get(STATE_ENV):
        folder = tempfile.mkdtemp(prefix="cellsight-test-state-")
        os.environ[STATE_ENV] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
