"""Shared test fixtures: where the real sample files are, when this workspace has them."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_SAMPLES = REPO.parent / "shared" / "real-samples"


@pytest.fixture
def real_samples() -> Path:
    """The folder of real files made by other projects; the test skips when it is absent."""
    if not REAL_SAMPLES.is_dir():
        pytest.skip("../shared/real-samples is not beside this checkout")
    return REAL_SAMPLES
