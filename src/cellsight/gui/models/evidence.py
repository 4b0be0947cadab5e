"""Where a row came from, in the words of the exhibit: ``AM/4`` and ``model 991``, never ``S4``.

Every table of the workstation cites its rows the way the PDF and the exports
do (``core.citations``): the exhibit reference the officer gave the file (or its
name) and the row as that exhibit numbers it (``line 14``, ``row 14``, ``model
991``, ``record 12``). These make the batched text of a ``FrameModel``'s
``source_id`` and ``source_row`` columns, so the stored ids still sort them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cellsight.core.citations import exhibit_for, row_words
from cellsight.gui.models.frame_model import BatchText, FrameModel

if TYPE_CHECKING:
    from cellsight.core.case import Case

EXHIBIT_HEADER = "Exhibit"
ROW_HEADER = "Row in exhibit"


def _strings(values: Any, positions: np.ndarray) -> list[str]:
    """The values at ``positions`` as text ("" where missing), read a batch at a time."""
    return ["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
            for v in np.asarray(values[positions], dtype=object)]


def exhibit_text(case: Case, frame: pd.DataFrame) -> BatchText:
    """Each row's exhibit reference (its file name when none was given)."""
    ids = frame["source_id"].array
    labels = {s.id: exhibit_for(case, s.id) for s in case.sources}
    return lambda positions: [labels.get(sid, sid) for sid in _strings(ids, positions)]


def row_text(case: Case, frame: pd.DataFrame) -> BatchText:
    """Each row's place in its exhibit, as the exhibit's own viewer numbers it."""
    ids, rows = frame["source_id"].array, frame["source_row"].array
    sources = {s.id: s for s in case.sources}

    def words(positions: np.ndarray) -> list[str]:
        out = []
        for sid, row in zip(_strings(ids, positions), _strings(rows, positions)):
            source = sources.get(sid)
            out.append(row_words(source, row) if source is not None and row else row)
        return out

    return words


def cite_columns(model: FrameModel, case: Case) -> None:
    """Show ``model``'s source columns as exhibit references and rows in the exhibit."""
    frame = model.frame
    if "source_id" in frame.columns:
        model.set_column_text("source_id", exhibit_text(case, frame))
    if "source_id" in frame.columns and "source_row" in frame.columns:
        model.set_column_text("source_row", row_text(case, frame))
