"""Running a location importer in a test, with the checks every such run must pass."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd

from cellsight.core import schema
from cellsight.importers.base import ImportOptions, ImportResult
from cellsight.progress import NullProgress


def read_fixes(module: ModuleType, path: Path, **options: object) -> ImportResult:
    """``module.read`` on ``path``: every row accounted for, locations in the schema's shape."""
    result = module.read(path, ImportOptions(**{"case_tz": "Europe/London", **options}), NullProgress())
    assert result.rows == result.imported + result.rejected
    n = len(result.locations)
    schema.validate(result.locations.assign(source_id=pd.Categorical(["s"] * n),
                                            subject=pd.Categorical(["x"] * n)), "locations")
    return result


def fixes(result: ImportResult) -> pd.DataFrame:
    """The imported fixes, indexed by the row each came from."""
    return result.locations.set_index("source_row")
