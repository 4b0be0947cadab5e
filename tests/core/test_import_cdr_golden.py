"""The speed work on call-record imports (issue 24) must not change a single answer.

The digests below were produced by the code of the commit the work started
from (e8a6a96), on the benchmark's own kind of file (``bench/import_cdr.py``'s
generator, 20,000 rows: enough for the 1,000-row probe to run) and on the demo
case. Each digest covers the import report (counts, kinds, warnings,
rejections, skipped rows, zone) and every column of the events, cells and
rejections tables, values and dtypes. A change that alters any of them fails
here; a deliberate change of answers must come with new digests and a reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from cellsight import demo
from cellsight.core.case import Case
from cellsight.importers.api import import_file

BENCH = Path(__file__).resolve().parents[2] / "bench" / "import_cdr.py"

GOLDEN_BENCH = {
    "report": "92b916de1092fe89ff6c0307aef9afddbb10c711787532d3ac3f683aadf770cf",
    "events": "4c734313fe346c569c36c8d7ab2bc10d13e4a54667b4f2dc1c1846cc62454891",
}
GOLDEN_DEMO = {
    "reports": "a3066bc003f5d2c7a50fd9501e8c5f0e07a7c2d0b7ab94680a48f3ef82da5158",  # + the cell list's unused Network column
    "events": "c298e602902ad55a21c1c0e809ec65c93927ac389db7a239d80d01e40d8de3bb",
    "cells": "01c123d9a507befc128a12047c33281bc5b1c419eb1a344e3f9745c2cd6d5e3a",
    "rejections": "a813612fa2fc0709094e0f1f73b3cb063cc210fcb4dd9d33d8370efe7b505700",
}

_REPORT_KEYS = ("file", "format", "subject", "rows", "imported", "rejected", "rejections", "skipped", "kinds",
                "warnings", "tz", "tz_rule", "unused_columns", "target", "derived_cells", "targets")


def report_digest(reports: list[dict]) -> str:
    """The reports' answers (not their paths, hashes of the file or source ids)."""
    kept = [{k: r.get(k) for k in _REPORT_KEYS} for r in reports]
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def table_digest(frame: pd.DataFrame | None) -> str:
    """Every column's name, dtype and values, in order."""
    if frame is None:
        return "none"
    text = json.dumps([(str(c), str(t)) for c, t in frame.dtypes.items()]) + frame.to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_import_cdr", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_digests(folder: Path) -> dict[str, str]:
    path = folder / "cdr.csv"
    _bench_module().make_cdr(path, 20_000)
    case = Case.new(name="golden", tz="Europe/London")
    report = import_file(case, path, subject="Target", tz="Europe/London")
    return {"report": report_digest([report]), "events": table_digest(case.events)}


def demo_digests() -> dict[str, str]:
    case, reports = demo.build(None)
    return {"reports": report_digest(reports), "events": table_digest(case.events),
            "cells": table_digest(case.cells), "rejections": table_digest(case.tables.get("rejections"))}


def test_the_benchmarks_file_imports_as_before(tmp_path: Path) -> None:
    if not BENCH.is_file():
        pytest.skip("bench/ is not in this copy")
    assert bench_digests(tmp_path) == GOLDEN_BENCH


def test_the_demo_imports_as_before() -> None:
    assert demo_digests() == GOLDEN_DEMO
