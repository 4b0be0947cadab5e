"""How much of the long tests (fuzzing, killed processes, races) one run does.

The README's test command and CI run every test and every assertion, with the
smaller budget: fewer fuzz examples and fewer kill or race attempts each. A
developer changing an importer, the case file or the lock runs the whole budget:

    CELLSIGHT_TEST_BUDGET=full python -m pytest tests/core -m long

``bench/fuzz.py`` fuzzes for a stated time beyond either.
"""

from __future__ import annotations

import os

FULL = os.environ.get("CELLSIGHT_TEST_BUDGET", "").strip().lower() == "full"


def budget(full: int, ci: int) -> int:
    """``full`` examples or attempts with ``CELLSIGHT_TEST_BUDGET=full``, else ``ci``."""
    return full if FULL else ci
