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

import numpy as np
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


def occasion_evidence(case: Any, result: Any, label: str = "", with_hits: bool = True) -> list[OccasionEvidence]:
    """Citations for every occasion of a ``proximity.run`` result, in occasion order.

    ``label`` prefixes the appendix reference (``GPS 3``) so that a pair's GPS and
    cell analyses can share one appendix. Without ``with_hits`` the appendix rows
    (and their court times) are not built: ``proximity --json`` needs only the
    citations. Everything is worked out as column operations over all hits at
    once and split per occasion at the end: a year of two phones' fixes gives
    hundreds of thousands of hits, and a Python step per hit was most of the command.
    """
    hits = result.hits
    count = len(result.occasions)
    if hits is None or hits.empty or count == 0:
        return [OccasionEvidence(i + 1, "") for i in range(count)]
    place = result.parameters.get("place")
    frame = hits.sort_values(["occasion", "a_time", "a_item"], kind="stable").reset_index(drop=True)
    occasion = frame["occasion"].to_numpy("int64")
    numbers = np.unique(occasion)
    cuts = np.searchsorted(occasion, numbers[1:])  # where each occasion's hits begin (after the first)
    references = [f"{label} {number}".strip() for number in numbers - numbers[0] + 1]
    a_cited = cite_series(case, frame["a_source_id"], frame["a_source_row"]).to_numpy(object)
    sides = [(frame["a_source_id"], a_cited)]
    if place is None:
        b_cited = cite_series(case, frame["b_source_id"], frame["b_source_row"]).to_numpy(object)
        sides.append((frame["b_source_id"], b_cited))
    cited, shorts = _cited_per_occasion(occasion, sides, references)
    tables: list[list[list[Any]]] = [[] for _ in numbers]
    if with_hits:
        tables = _appendix_rows(case, frame, place, a_cited, b_cited if place is None else None,
                                np.repeat(np.array(references, dtype=object),
                                          np.diff(np.concatenate([[0], cuts, [len(frame)]]))), cuts)
    return [OccasionEvidence(int(n - numbers[0] + 1), short, texts, table)
            for n, short, texts, table in zip(numbers, shorts, cited, tables)]


def _cited_per_occasion(occasion: np.ndarray, sides: list[tuple[pd.Series, np.ndarray]],
                        references: list[str]) -> tuple[list[list[str]], list[str]]:
    """Per occasion, its distinct (exhibit, citation) pairs in order (A's hits, then B's), and the
    short cell: ``AM/4 model 6e51… and 2 more rows; AM/5 record 1662 and 3 more rows (Appendix A, GPS 1)``.

    Each exhibit is named once with the first row cited from it, so that the
    cell always points at a row a reader can find, and the appendix holds the rest.
    """
    long = pd.concat([pd.DataFrame({"occasion": occasion, "side": side,
                                    "source": ids.astype(str).to_numpy(object), "text": texts})
                      for side, (ids, texts) in enumerate(sides)], ignore_index=True)
    pairs = long.sort_values(["occasion", "side"], kind="stable").drop_duplicates(["occasion", "source", "text"])
    pair_cuts = np.searchsorted(pairs["occasion"].to_numpy(), np.unique(occasion)[1:])
    cited = [part.tolist() for part in np.split(pairs["text"].to_numpy(object), pair_cuts)]
    per = pairs.groupby(["occasion", "source"], sort=False).agg(first=("text", "first"), n=("text", "size"))
    more = per["n"].to_numpy() - 1
    tail = np.where(more == 1, " and 1 more row", " and " + more.astype(str).astype(object) + " more rows")
    parts = pd.Series(per["first"].to_numpy(object) + np.where(more > 0, tail, ""),
                      index=per.index.get_level_values("occasion"))
    joined = parts.groupby(level=0, sort=True).agg("; ".join).tolist()
    shorts = [text + f" (Appendix A, {reference})" for text, reference in zip(joined, references)]
    return cited, shorts


def _appendix_rows(case: Any, frame: pd.DataFrame, place: str | None, a_cited: np.ndarray,
                   b_cited: np.ndarray | None, references: np.ndarray,
                   cuts: np.ndarray) -> list[list[list[Any]]]:
    """Every hit as an appendix row (``APPENDIX_COLUMNS``), split into one table per occasion."""
    zone = case.info.tz
    a_times = court_times(frame["a_time"], zone).to_numpy(object)
    if place is None:
        b_times = court_times(frame["b_time"], zone).to_numpy(object)
    else:
        b_cited = np.full(len(frame), f"{place} (the place)", dtype=object)
        b_times = np.full(len(frame), "", dtype=object)
    metres = [_metres(value) for value in frame["distance_m"].tolist()]
    methods = frame["method"].astype(str)
    kinds = methods.map(HIT_KIND).where(methods.isin(list(HIT_KIND)), methods).tolist()
    rows = list(map(list, zip(references.tolist(), a_times.tolist(), a_cited.tolist(), b_times.tolist(),
                              b_cited.tolist(), metres, kinds)))
    bounds = np.concatenate([[0], cuts, [len(rows)]])
    return [rows[start:end] for start, end in zip(bounds[:-1], bounds[1:])]


def short_citation(cited: list[tuple[str, str]], reference: str) -> str:
    """The short cell of one list of ``(source id, citation)`` pairs, worded as
    ``_cited_per_occasion`` words it over all occasions at once: each exhibit once,
    with its first row and how many more, then the appendix reference if any."""
    by_exhibit: dict[str, list[str]] = {}
    for source, citation in cited:
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
