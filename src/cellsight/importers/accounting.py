"""Every row of a file accounted for: the step that closes each tabular import.

The call-record, cell-list and tower-dump importers end the same way: count
the candidate rows (those kept plus those rejected), refuse a large table of
which most rows could not be used, put the rejections and skipped rows in the
order a person reads the file, and say each warning once.
"""

from __future__ import annotations

from cellsight.importers import tabular
from cellsight.importers.base import ImportResult


def finish(result: ImportResult, file: str, kept: int, *, refuse_mostly_rejected: bool = True) -> None:
    """Close a tabular import: ``kept`` rows became rows of the case (or of a scene).

    ``refuse_mostly_rejected``: refuse a table of 1,000 rows or more of which
    more than half were rejected (``tabular.refuse_mostly_rejected``).
    """
    result.rows = kept + len(result.rejections)
    if refuse_mostly_rejected:
        tabular.refuse_mostly_rejected(file, result.rows, result.rejections)
    result.rejections = tabular.in_row_order(result.rejections)
    result.skipped = tabular.in_row_order(result.skipped)
    result.warnings = list(dict.fromkeys(result.warnings))

