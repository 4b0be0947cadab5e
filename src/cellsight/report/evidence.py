"""The evidence behind each proximity occasion, cited as the exhibits number it.

The occasions table gives each occasion one short cell (each exhibit involved,
its first row, and how many more) so that a 157-occasion table stays a few
pages; the appendix lists every hit: the time and the row of A's item, the
time and the row of B's item (or the place), the distance and the kind of
comparison. Every citation is ``citations.cite``'s: exhibit reference and the
row as the exhibit itself numbers it, never the case's internal source ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cellsight.core.citations import cite_series
from cellsight.core.timezones import court_times

HIT_KIND = {"gps": "fix and fix", "cell": "cell site and cell site", "fix-site": "fix and cell site",
            "site-fix": "cell site and fix"}


@dataclass
class OccasionEvidence:
    """One occasion's citations: a short cell for the table and every hit for the appendix."""

    number: int
    short: str
    cited: list[str] = field(default_factory=list)  # every distinct citation, A's then B's
    hits: list[list[Any]] = field(default_factory=list)


def occasion_evidence(case: Any, result: Any, label: str = "") -> list[OccasionEvidence]:
    """Citations for every occasion of a ``proximity.run`` result, in occasion order.

    ``label`` prefixes the appendix reference (``GPS 3``) so that a pair's GPS and
    cell analyses can share one appendix.
    """
    hits = result.hits
    count = len(result.occasions)
    if hits is None or hits.empty or count == 0:
        return [OccasionEvidence(i + 1, "") for i in range(count)]
    zone = case.info.tz
    place = result.parameters.get("place")
    frame = hits.sort_values(["occasion", "a_time", "a_item"], kind="stable").reset_index(drop=True)
    a_cited = cite_series(case, frame["a_source_id"].astype(object), frame["a_source_row"].astype(object))
    if place is None:
        b_cited = cite_series(case, frame["b_source_id"].astype(object), frame["b_source_row"].astype(object))
        b_times = court_times(frame["b_time"], zone)
    else:
        b_cited = pd.Series([f"{place} (the place)"] * len(frame), dtype=object)
        b_times = pd.Series([""] * len(frame), dtype=object)
    a_times = court_times(frame["a_time"], zone)
    base = int(frame["occasion"].min())
    out = []
    for occasion, rows in frame.groupby("occasion", sort=True):
        number = int(occasion) - base + 1
        index = rows.index
        sources = list(frame.loc[index, "a_source_id"].astype(str)) + (
            [] if place else list(frame.loc[index, "b_source_id"].astype(str)))
        pairs = list(dict.fromkeys(zip(sources, list(a_cited[index]) + ([] if place else list(b_cited[index])))))
        cited = [text for _, text in pairs]
        reference = f"{label} {number}".strip()
        table = [[reference, a_times[i], a_cited[i], b_times[i], b_cited[i], _metres(frame.at[i, "distance_m"]),
                  HIT_KIND.get(str(frame.at[i, "method"]), str(frame.at[i, "method"]))] for i in index]
        out.append(OccasionEvidence(number, short_citation(pairs, reference), cited, table))
    return out


def short_citation(cited: list[tuple[str, str]], reference: str) -> str:
    """``AM/4 model 6e51… and 2 more rows; AM/5 record 1662 and 3 more rows (Appendix A, GPS 1)``.

    Each exhibit is named once with the first row cited from it, so that the
    cell always points at a row a reader can find, and the appendix holds the rest.
    """
    by_exhibit: dict[str, list[str]] = {}
    for source, citation in cited:  # (source id, citation) pairs
        by_exhibit.setdefault(source, []).append(citation)
    parts = []
    for items in by_exhibit.values():
        more = len(items) - 1
        parts.append(items[0] + (f" and {more} more row{'s' if more != 1 else ''}" if more else ""))
    return "; ".join(parts) + (f" (Appendix A, {reference})" if reference else "")


APPENDIX_COLUMNS = ["Occasion", "Time of A's item", "A's item (exhibit and row)", "Time of B's item",
                    "B's item (exhibit and row)", "Distance (m)", "Compared"]


def _metres(value: Any) -> str:
    try:
        return f"{float(value):.1f}"
    except (TypeError, ValueError):
        return ""
