"""The occasions' evidence, built as column operations, equals the plain row-by-row reading.

The reference below is the definition written out one hit at a time (``cite`` per
row, ``short_citation`` per occasion), as ``report.evidence`` worked before it was
vectorised; every format's row wording (CSV lines, spreadsheet sheets, UFDR models,
JSON records, element paths) takes part, for a pair of subjects and for a place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factories import add_fixes, new_case

from cellsight.analysis import proximity
from cellsight.core.case import Place
from cellsight.core.citations import cite, cite_series
from cellsight.core.timezones import court_times
from cellsight.report.evidence import HIT_KIND, occasion_evidence

T0 = pd.Timestamp("2023-03-25T22:00:00Z")  # the spring change falls inside the fixes (court times' BST/GMT)
FILES = [("sam.csv", "cdr", lambda i: str(i + 2)), ("sam-phone.ufdr", "ufdr", lambda i: f"6e51{i:04x}"),
         ("vic.xlsx", "cdr", lambda i: f"Fixes!{i + 3}" if i % 3 else str(i + 3)),
         ("Records.json", "takeout", lambda i: str(i) if i % 4 else f"semanticSegments[{i}].timelinePath[1]")]


def _case(seed: int):
    rng = np.random.default_rng(seed)
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    for n, (file, fmt, row) in enumerate(FILES):
        count = 120
        minutes = np.sort(rng.integers(0, 3 * 24 * 60, count))
        rows = [{"time": (T0 + pd.Timedelta(minutes=int(m), seconds=int(rng.integers(0, 60)))).isoformat(),
                 "lat": 51.5 + rng.normal(0, 0.001), "lon": -0.12 + rng.normal(0, 0.001),
                 "source_row": row(i)} for i, m in enumerate(minutes)]
        source = add_fixes(case, "Sam" if n < 2 else "Vic", rows, file=file)
        source.format = fmt
        source.exhibit = f"AM/{n + 1}" if n != 2 else ""  # one file cited by its name
    case.places.append(Place(name="Home", lat=51.5, lon=-0.12, radius_m=150.0))
    return case


def short_citation(cited: list[tuple[str, str]], reference: str) -> str:
    """The short cell of one occasion: each exhibit's first citation and how many more rows."""
    by_exhibit: dict[str, list[str]] = {}
    for source, citation in cited:  # (source id, citation) pairs
        by_exhibit.setdefault(source, []).append(citation)
    parts = []
    for items in by_exhibit.values():
        more = len(items) - 1
        parts.append(items[0] + (f" and {more} more row{'s' if more != 1 else ''}" if more else ""))
    return "; ".join(parts) + f" (Appendix A, {reference})"


def _reference(case, result, label: str = "") -> list[tuple]:
    """The evidence of each occasion, one hit at a time."""
    frame = result.hits.sort_values(["occasion", "a_time", "a_item"], kind="stable").reset_index(drop=True)
    place = result.parameters.get("place")
    a_times = court_times(frame["a_time"], case.info.tz)
    b_times = court_times(frame["b_time"], case.info.tz) if place is None else None
    out = []
    for number, (_, rows) in enumerate(frame.groupby("occasion", sort=True), start=1):
        pairs, table = [], []
        reference = f"{label} {number}".strip()
        for i in rows.index:
            pairs.append((str(frame.at[i, "a_source_id"]), cite(case, frame.at[i, "a_source_id"],
                                                                 frame.at[i, "a_source_row"])))
        for i in rows.index if place is None else []:
            pairs.append((str(frame.at[i, "b_source_id"]), cite(case, frame.at[i, "b_source_id"],
                                                                 frame.at[i, "b_source_row"])))
        for i in rows.index:
            b_cited = cite(case, frame.at[i, "b_source_id"], frame.at[i, "b_source_row"]) \
                if place is None else f"{place} (the place)"
            table.append([reference, a_times[i], cite(case, frame.at[i, "a_source_id"], frame.at[i, "a_source_row"]),
                          "" if place else b_times[i], b_cited, f"{float(frame.at[i, 'distance_m']):.1f}",
                          HIT_KIND.get(str(frame.at[i, "method"]), str(frame.at[i, "method"]))])
        pairs = list(dict.fromkeys(pairs))
        out.append((number, short_citation(pairs, reference), [text for _, text in pairs], table))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("target", [{"b": "Vic"}, {"place": "Home"}])
def test_occasion_evidence_equals_the_row_by_row_reading(seed: int, target: dict) -> None:
    case = _case(seed)
    result = proximity.run(case, "Sam", method="gps", distance_m=150, window_min=10, gap_min=20, **target)
    assert len(result.occasions) > 5 and len(result.hits) > len(result.occasions)  # occasions of many hits
    expected = _reference(case, result, "GPS")
    got = [(e.number, e.short, e.cited, e.hits) for e in occasion_evidence(case, result, "GPS")]
    assert got == expected
    citations_only = occasion_evidence(case, result, with_hits=False)
    assert [(e.short, e.cited) for e in citations_only] == \
        [(short.replace("GPS ", ""), cited) for _, short, cited, _ in expected]
    assert all(e.hits == [] for e in citations_only)


def test_cited_columns_equal_cite_of_each_row() -> None:
    case = _case(4)
    ids = pd.Series(["S1", "S2", "S3", "S4", None, "S9", "S1", "S3", ""] * 3, dtype=object)
    rows = pd.Series(["14", "ab7b", "Fixes!3", "12", "5", "7", None, "8", "3",
                      "", "x", "Other!sheet", "semanticSegments[3]", None, "", "2", "9", "1",
                      "0012", "١٢", "Calls!14", "record", "1", None, "a", "b", "c"], dtype=object)
    expected = [cite(case, s, r) if s else "" for s, r in zip(ids.fillna(""), rows.where(rows.notna(), None))]
    assert cite_series(case, ids, rows).tolist() == expected
