"""Where an exhibit (an imported source file) is looked for on disk.

Both continuity checking (``verify``) and the refusal to write an output over an
exhibit (``outputs``) need the same answer; it lives here, below both, so that
neither imports the other (``outputs`` is used by ``scenestore``, which
``verify`` uses to re-hash scene files).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def source_candidates(source: Any, case_path: str | os.PathLike[str] | None) -> list[Path]:
    """Where an exhibit is looked for: its recorded path, then its file name beside the case file."""
    candidates = [Path(source.path)] if source.path else []
    if case_path is not None:
        candidates.append(Path(case_path).absolute().parent / source.file)
    return candidates
