"""Evidence cited by exhibit reference and the row as the exhibit numbers it, never by source id."""

from __future__ import annotations

import pandas as pd

from cellsight.core.case import Case, Source
from cellsight.core.citations import cite, cite_rows, cite_series, exhibit_for


def _source(source_id: str, file: str, format: str, exhibit: str = "") -> Source:
    return Source(id=source_id, file=file, path=f"/evidence/{file}", sha256=source_id * 8, size=1,
                  format=format, subject="", declared_tz="", tz_rule="", parameters={}, rows=0,
                  imported=0, rejected=0, kinds={}, skipped=[], warnings=[], imported_at="",
                  version="", exhibit=exhibit)


def _case() -> Case:
    case = Case()
    case.sources = [_source("S1", "calls.csv", "cdr", "AM/1"), _source("S2", "calls.xlsx", "cdr"),
                    _source("S3", "phone.ufdr", "ufdr", "AM/3"),
                    _source("S4", "Records.json", "takeout", "AM/4"),
                    _source("S5", "walk.gpx", "gpx", "AM/5")]
    return case


def test_each_format_is_cited_as_its_own_viewer_numbers_rows() -> None:
    case = _case()
    assert cite(case, "S1", "14") == "AM/1 line 14"
    assert cite(case, "S2", "Calls!14") == "calls.xlsx sheet Calls row 14"
    assert cite(case, "S2", "7") == "calls.xlsx row 7"
    assert cite(case, "S3", "ab7b2787") == "AM/3 model ab7b2787"
    assert cite(case, "S4", "12") == "AM/4 record 12"
    assert cite(case, "S4", "semanticSegments[3].timelinePath[7]") == \
        "AM/4 semanticSegments[3].timelinePath[7]"
    assert cite(case, "S5", "trk[1].trkseg[1].trkpt[5]") == "AM/5 trk[1].trkseg[1].trkpt[5]"
    assert exhibit_for(case, "S2") == "calls.xlsx"


def test_a_column_of_rows_is_cited_without_source_ids() -> None:
    case = _case()
    cited = cite_series(case, pd.Series(["S1", "S3", "S1", None]), pd.Series(["2", "x", "2", None]))
    assert cited.tolist() == ["AM/1 line 2", "AM/3 model x", "AM/1 line 2", ""]
    assert not any("S1" in c or "S3" in c for c in cited)


def test_several_rows_of_one_exhibit_read_as_one_citation() -> None:
    case = _case()
    assert cite_rows(case, "S1", ["14", "15", "19"]) == "AM/1 lines 14, 15 and 19"
    assert cite_rows(case, "S3", ["a"]) == "AM/3 model a"
    assert cite_rows(case, "S5", ["wpt[1]", "wpt[2]"]) == "AM/5 wpt[1] and wpt[2]"
