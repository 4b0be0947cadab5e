"""Every row of a file accounted for.

``finish`` is the step that closes each tabular import: the call-record,
cell-list and tower-dump importers end the same way (count the candidate rows,
those kept plus those rejected; refuse a large table of which most rows could
not be used; put the rejections and skipped rows in the order a person reads
the file; say each warning once).

``check_accounted`` is the invariant the import API checks for every
importer, whatever its format: every record read is in exactly one of
imported, rejected or skipped, also when a file of several subscribers is cut
into one source per target. A subscriber named by something other than a
telephone number (a 13-digit M2M MSISDN, an IMSI, an ICCID, a pseudonymised
id) is a target like any other, kept as written.
"""

from __future__ import annotations

from cellsight.importers import tabular
from cellsight.importers.base import ImportFailure, ImportResult


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


def records_read(result: ImportResult) -> int:
    """Every record an importer read: candidate rows (imported or rejected) and skipped rows."""
    return result.rows + len(result.skipped)


def check_accounted(file: str, read: ImportResult, parts: list[ImportResult]) -> int:
    """The every-row invariant, for any importer: returns the number of records read.

    Each part (the whole file, one target's rows, or one source per target)
    must have ``rows == imported + rejected``, and the parts together must hold
    every record the importer read, each once: imported, rejected or skipped
    with a reason. Anything else is a fault of Cellsight's, and the file is
    refused whole rather than imported with rows missing.
    """
    for part in parts:
        if part.rows != part.imported + part.rejected:
            raise ImportFailure(f"{file}: internal count mismatch (rows {part.rows}, imported "
                                f"{part.imported}, rejected {part.rejected}); nothing imported")
    total = records_read(read)
    accounted = sum(records_read(part) for part in parts)
    if accounted != total:
        raise ImportFailure(f"{file}: {total:,} records read but {accounted:,} accounted for as "
                            "imported, rejected or skipped (internal error); nothing imported")
    return total


def is_telephone_number(target: str) -> bool:
    """Whether a subscriber (as the targets table names it) is an E.164 number, not another identifier."""
    return target.startswith("+")


def subscriber_device(target: str) -> dict[str, list[str]]:
    """The device facts a target gives its part: a number, or an identifier kept as written."""
    return {"msisdn": [target]} if is_telephone_number(target) else {"ids": [target]}
