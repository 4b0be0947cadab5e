"""Warnings in the import summary are true of the case after the whole drop, not of the moment each file went in."""

from __future__ import annotations


from cellsight.core.case import Case
from cellsight.demo import DEMO_FILES
from cellsight.gui.import_flow import FileOutcome, settle_cell_warnings
from cellsight.importers.api import UNPLACED_ADVICE, import_file

DEMO = DEMO_FILES  # the packaged demo exhibits


def test_call_records_warning_goes_once_the_cell_list_dropped_with_them_is_in(tmp_path) -> None:
    case = Case.new(name="Drop", tz="Europe/London", region="GB")
    case.set_subject("Daniel Price", role="suspect", numbers=["+447700900417"])
    records = import_file(case, DEMO / "price_cdr_pennine.csv", subject="Daniel Price", tz="Europe/London")
    stale = [w for w in records["warnings"] if w.endswith(UNPLACED_ADVICE)]
    assert stale, "the call records name cells before any list places them"
    cells = import_file(case, DEMO / "cell_sites.csv", tz="UTC")
    outcomes = [FileOutcome(DEMO / "price_cdr_pennine.csv", report=records, warnings=list(records["warnings"])),
                FileOutcome(DEMO / "cell_sites.csv", report=cells, warnings=list(cells["warnings"]))]

    settle_cell_warnings(case, outcomes)

    assert not any(w.endswith(UNPLACED_ADVICE) for w in outcomes[0].warnings)
    source = next(s for s in case.sources if s.id == records["source_id"])
    assert not any(w.endswith(UNPLACED_ADVICE) for w in source.warnings)
    others = [w for w in records["warnings"] if w not in stale]
    assert outcomes[0].warnings == others, "other warnings are kept as they were"


def test_a_warning_still_true_after_the_drop_stays(tmp_path) -> None:
    case = Case.new(name="Drop", tz="Europe/London", region="GB")
    case.set_subject("Daniel Price", role="suspect", numbers=["+447700900417"])
    records = import_file(case, DEMO / "price_cdr_pennine.csv", subject="Daniel Price", tz="Europe/London")
    outcomes = [FileOutcome(DEMO / "price_cdr_pennine.csv", report=records, warnings=list(records["warnings"]))]

    settle_cell_warnings(case, outcomes)

    assert [w for w in outcomes[0].warnings if w.endswith(UNPLACED_ADVICE)] == \
        [w for w in records["warnings"] if w.endswith(UNPLACED_ADVICE)]
