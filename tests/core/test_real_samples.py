"""Every importer over every real sample file made by other projects (opt-in: ``realsamples``).

Detection must pick the importer the folder says; that import must account for
every row; and every *other* importer, forced on the same file, must either
refuse it with one line naming the file or import it consistently: never a
traceback, never a count that does not add up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cellsight.core.case import Case
from cellsight.core.timezones import outside_accepted
from cellsight.importers import registry
from cellsight.importers.api import MultipleTargets, import_file
from cellsight.importers.base import ImportFailure
from tests.conftest import REAL_SAMPLES

FOLDER_FORMAT = {"cdr": "cdr", "celltowers": "cells", "cellebrite": "ufdr", "google_records": "takeout",
                 "google_semantic": "takeout", "google_timeline_android": "takeout",
                 "google_timeline_ios": "takeout", "gpx": "gpx", "kml": "kml"}
FILES = sorted(str(p.relative_to(REAL_SAMPLES)) for p in REAL_SAMPLES.rglob("*")
               if p.is_file() and p.parent.name in FOLDER_FORMAT) if REAL_SAMPLES.is_dir() else []
IMPORTERS = [i.name for i in registry.all_importers()]


def _consistent(report: dict, case: Case) -> None:
    assert report["rows"] == report["imported"] + report["rejected"]
    assert report["records_read"] == report["rows"] + len(report["skipped"])
    assert sum(report["kinds"].values()) == report["imported"]
    for table, column in (("events", "start"), ("locations", "time")):
        assert not outside_accepted(case.tables[table][column]).any()


@pytest.mark.realsamples
@pytest.mark.parametrize("name", FILES)
def test_detected_importer_reads_the_real_sample(real_samples: Path, name: str) -> None:
    path = real_samples / name
    case = Case.new()
    try:
        report = import_file(case, path, subject="Dan", assume_case_tz=True)
    except MultipleTargets as exc:  # a bulk return of several subscribers: refused, then split
        assert len(exc.report["targets"]) > 1 and len(case.sources) == 0
        report = import_file(case, path, split_by_target=True, assume_case_tz=True)
        assert len(case.sources) == len(report["sources"]) == len(exc.report["targets"])
    assert report["format"] == FOLDER_FORMAT[path.parent.name]
    _consistent(report, case)
    assert report["imported"] or report["format"] == "ufdr"  # a bare account model holds no rows


@pytest.mark.realsamples
@pytest.mark.parametrize("name", FILES)
def test_every_importer_forced_on_the_real_sample_refuses_or_accounts(real_samples: Path,
                                                                    name: str) -> None:
    path = real_samples / name
    for fmt in IMPORTERS:
        case = Case.new()
        try:
            report = import_file(case, path, subject="Dan", format=fmt, assume_case_tz=True)
        except ImportFailure as exc:
            message = str(exc)
            assert "\n" not in message and message.startswith(path.name), (fmt, message)
            assert len(case.sources) == 0
            continue
        _consistent(report, case)
