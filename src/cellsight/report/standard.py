"""The standard storyboard of a stalking case, built for the officer to review.

Once the suspect, the victim, her home and the files are in, the same few
frames start nearly every stalking storyboard: how often he contacted her,
day by day; the busiest day; the occasions he was near her, and near her home;
and the messages that hold a term of concern. ``standard_frames`` builds them
with the same analyses and defaults the command line uses (and records their
parameters on each frame), through the storyboard model, so that they are
edited, reordered and printed like any frame the officer adds. They are a
draft: the title frame says so, and every figure stays traceable to its rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cellsight.analysis import contacts, proximity
from cellsight.analysis import messages as message_analysis
from cellsight.core.timezones import court_time
from cellsight.report.storyboard import Frame

OCCASION_COLUMNS = ["#", "Start", "End", "Hits", "Closest (m)", "By", "Evidence (first row of each exhibit)"]
REVIEW_NOTE = ("Built by Cellsight as a starting point: check every frame against the exhibits, and "
               "remove, reorder or annotate frames before the storyboard goes to the prosecutor.")


def court_day(period: str, zone: str) -> str:
    """A day label (``2025-11-01``) as a court reads it: ``Sat 1 Nov 2025``."""
    noon = pd.Timestamp(period).tz_localize(zone) + pd.Timedelta(hours=12)
    return " ".join(court_time(noon, zone).split()[:4])


def occasion_rows(doc: dict[str, Any], zone: str) -> list[list[Any]]:
    """The occasions of a ``proximity`` document as table rows, times as a court reads them."""
    rows = []
    for number, occasion in enumerate(doc.get("occasions", []), start=1):
        evidence = occasion.get("evidence") or {}
        rows.append([number, court_time(pd.Timestamp(occasion["start"]), zone),
                     court_time(pd.Timestamp(occasion["end"]), zone), occasion["hits"],
                     occasion["min_distance_m"], ", ".join(evidence.get("methods", [])),
                     source_rows(evidence.get("rows", []))])
    return rows


def source_rows(rows: list[str]) -> str:
    """An occasion's source rows (``S4:12``) as the first row of each source and how many more:
    ``S4:12 and 2 more rows; S5:1662``. The report prints each ``S4:12`` as its exhibit and row
    (``AM/4 line 12``), so a frame's evidence reads as citations, not as a count."""
    from cellsight.report.evidence import short_citation

    return short_citation([(str(r).partition(":")[0], str(r)) for r in rows], "")


def occasions_frame(doc: dict[str, Any], zone: str, **parameters: Any) -> Frame:
    """A table frame of the occasions, with the method statement as its note."""
    target = doc.get("b") or doc.get("place")
    kept = {k: doc.get(k) for k in ("a", "b", "place", "method", "distance_m", "window_min", "gap_min")}
    return Frame("table", caption=f"Occasions when {doc['a']} was near {target} ({doc['count']})",
                 note=doc["method_statement"],
                 parameters={**kept, "method_statement": doc["method_statement"], "zone": zone, **parameters},
                 content={"columns": list(OCCASION_COLUMNS), "rows": occasion_rows(doc, zone)})


def contact_frames(case: Any, suspect: str, victim: str) -> list[Frame]:
    """Contact by day (a chart) and the busiest day (a note), as ``contacts --between`` counts them."""
    doc = contacts.between(case, suspect, victim, by="day")
    zone = case.info.tz
    first, last = (doc.get("first") or "")[:10], (doc.get("last") or "")[:10]
    period = f"{first} to {last}" if first else "no contact"
    chart = Frame("chart", caption=f"Contact between {doc['a']} and {doc['b']}, by day, {period}",
                  parameters={"standard": True, "zone": zone, **doc["parameters"]},
                  content={"chart": "series", "a": doc["a"], "b": doc["b"], "by": "day", "kinds": None,
                           "data": {"series": doc["series"], "peak": doc["peak"], "total": doc["total"]}})
    if not doc["total"]:
        return [chart]
    peak = doc["peak"]
    kinds = ", ".join(f"{n:,} {k}" for k, n in doc["by_kind"].items())
    direction = doc["by_direction"]
    text = (f"Between {court_day(first, zone)} and {court_day(last, zone)} there were {doc['total']:,} "
            f"communication{'' if doc['total'] == 1 else 's'} between {doc['a']} and {doc['b']} ({kinds}): {direction['a_to_b']:,} from "
            f"{doc['a']} and {direction['b_to_a']:,} from {doc['b']}. Each communication is counted once "
            f"however many exhibits recorded it.\n\nThe busiest day was {court_day(peak['period'], zone)}, "
            f"with {peak['count']:,} communication{'' if peak['count'] == 1 else 's'}.")
    note = Frame("text", caption=f"The busiest day: {court_day(peak['period'], zone)} ({peak['count']:,})",
                 parameters={"standard": True, "zone": zone, "peak": peak, **doc["parameters"]},
                 content={"text": text})
    return [chart, note]


def concern_frame(case: Any, suspect: str, victim: str, terms: list[str] | None = None) -> Frame | None:
    """A schedule of the messages between the two that hold a term of concern (None when none do)."""
    terms = message_analysis.terms(case) if terms is None else terms
    _, a_numbers = case.party(suspect)
    _, b_numbers = case.party(victim)
    events = case.events
    positions = message_analysis.message_positions(events)
    messages = events.iloc[positions]
    a, b = messages["party_a"], messages["party_b"]
    between = ((a.isin(a_numbers) & b.isin(b_numbers)) | (a.isin(b_numbers) & b.isin(a_numbers))).to_numpy(
        dtype=bool, na_value=False)
    hits = positions[between & message_analysis.concern_mask(messages["text"], terms)]
    if not len(hits):
        return None
    rows = message_analysis.schedule_rows(case, hits, case.number_names())
    return Frame("table", caption=f"Messages of concern between {suspect} and {victim} ({len(rows):,})",
                 note="Messages holding a term of concern. A term found is a reason to read the message, "
                      "not a finding: read each in its conversation.",
                 parameters={"standard": True, "terms_of_concern": list(terms), "zone": case.info.tz,
                             "messages": len(rows)},
                 content={"columns": list(message_analysis.SCHEDULE_COLUMNS), "rows": rows})


def standard_frames(case: Any, suspect: str, victim: str, home: str | None = None, *, method: str = "gps",
                    distance_m: float | None = None, window_min: float | None = None,
                    gap_min: float | None = None) -> list[Frame]:
    """The standard storyboard of ``suspect`` and ``victim`` (and her ``home``), for review."""
    frames = [Frame("title", caption="Standard storyboard",
                    content={"title": f"{case.info.name or 'The case'}: {suspect} and {victim}",
                             "subtitle": REVIEW_NOTE},
                    parameters={"standard": True})]
    frames += contact_frames(case, suspect, victim)
    zone = case.info.tz
    near_her = proximity.run(case, suspect, b=victim, method=method, distance_m=distance_m,
                             window_min=window_min, gap_min=gap_min).to_json(zone)
    frames.append(occasions_frame(near_her, zone, standard=True))
    if home:
        near_home = proximity.run(case, suspect, place=home, method=method, window_min=window_min,
                                  gap_min=gap_min).to_json(zone)
        frames.append(occasions_frame(near_home, zone, standard=True))
    concern = concern_frame(case, suspect, victim)
    if concern is not None:
        frames.append(concern)
    return frames
