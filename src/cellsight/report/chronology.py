"""The chronology: a dated schedule of a pair's communications (and occasions), each with its exhibit and row.

One row per communication of the pair, matched across exhibits exactly as the
contact counts match them (``contacts.pair_events``, which uses
``analysis/dedupe.py``), so the schedule's rows add up to the count in the
summary. Each row cites every exhibit row that records the communication
(``AM/2 line 13; AM/3 row 19; AM/4 model b7b8…``), which is what a schedule
exhibited to a statement needs. Proximity occasions are placed among the
communications at their start, so a reader sees the barrage of calls and the
visit to her home on one page.

``start``/``end`` limit the schedule to a period (ISO 8601; a bare date is the
whole day, in the case's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cellsight.core.citations import cite_series
from cellsight.core.timezones import court_times
from cellsight.report.mapdata import to_utc
from cellsight.report.words import KIND_PLURAL, duration_words, prime_times, time_words

COLUMNS = ["#", "Date and time", "From", "To", "What", "Recorded in (exhibit and row)"]
WIDTHS = [34, 146, 64, 64, 100, 394]  # points: the citations get the room to sit on one line


@dataclass
class Chronology:
    """The schedule's rows and what they cover."""

    rows: list[list[Any]]
    communications: int
    occasions: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    occasion_rows: list[int]  # indexes of the occasion rows (printed shaded)
    numbers: pd.Series  # each communication's row number in the schedule, indexed by comm_id


def communications(case: Any, a: str, b: str, start: Any = None, end: Any = None,
                   events: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pair's communications in the period, one row each, with their cited exhibit rows.

    ``events`` is ``contacts.pair_events(case, a, b)`` when the caller has it already (matching the
    sightings of a large case is not done twice).
    """
    from cellsight.analysis import contacts

    comms = contacts.pair_events(case, a, b) if events is None else events
    zone = case.info.tz
    t0, t1 = to_utc(start, zone), to_utc(end, zone, end_of_day=True)
    if t0 is not None:
        comms = comms[comms["start"] >= t0]
    if t1 is not None:
        comms = comms[comms["start"] <= t1]
    comms = comms.sort_values(["start", "comm_id"], kind="stable").reset_index(drop=True)
    # "S1:12; S2:40" → one (source, row) per sighting, cited, and joined again per communication.
    labels = comms["rows"].astype(str).str.split("; ").explode()
    source, row = labels.str.split(":", n=1).str[0], labels.str.split(":", n=1).str[1]
    cited = cite_series(case, source, row)
    # Exhibits in the case's order (AM/2 before AM/3 before AM/10), whatever the sightings' times.
    position = source.map({s.id: i for i, s in enumerate(case.sources)}).fillna(len(case.sources))
    ordered = pd.DataFrame({"cited": cited, "position": position}).reset_index()
    ordered = ordered.sort_values(["index", "position"], kind="stable")
    comms["cited"] = ordered.groupby("index")["cited"].agg("; ".join).reindex(comms.index).fillna("")
    return comms


def build(case: Any, a: str, b: str, start: Any = None, end: Any = None,
          occasions: list[dict[str, Any]] | None = None, comms: pd.DataFrame | None = None,
          concern_ids: Any = ()) -> Chronology:
    """The schedule of ``a`` and ``b``'s communications, with ``occasions`` (located occasions carrying
    ``start``, ``end``, ``label``, ``analysis`` and ``min_distance_m``) placed among them.

    ``comms`` are the pair's communications already read (``communications`` of the whole period);
    those whose ``comm_id`` is in ``concern_ids`` say that their text holds a term of concern."""
    zone = case.info.tz
    if comms is None:
        comms = communications(case, a, b, start, end)
    else:
        t0, t1 = to_utc(start, zone), to_utc(end, zone, end_of_day=True)
        inside = pd.Series(True, index=comms.index)
        if t0 is not None:
            inside &= comms["start"] >= t0
        if t1 is not None:
            inside &= comms["start"] <= t1
        comms = comms[inside].reset_index(drop=True)
    concern = set(concern_ids)
    names = {"a_to_b": (a, b), "b_to_a": (b, a)}
    times = court_times(comms["start"], zone)
    entries: list[tuple[pd.Timestamp, int, list[Any]]] = []
    for i, row in enumerate(comms.itertuples(index=False)):
        sender, recipient = names.get(row.direction, (row.sender, row.recipient))
        what = _what(row) + (" (holds a term of concern)" if row.comm_id in concern else "")
        entries.append((row.start, 0, [times.iat[i], sender, recipient, what, row.cited]))
    t0, t1 = to_utc(start, zone), to_utc(end, zone, end_of_day=True)
    prime_times([o[k] for o in occasions or [] for k in ("start", "end")], zone)
    shown_occasions = 0
    for occasion in occasions or []:
        when = pd.Timestamp(occasion["start"]).tz_convert("UTC")
        if (t0 is not None and when < t0) or (t1 is not None and when > t1):
            continue
        shown_occasions += 1
        first, last = time_words(occasion["start"], zone), time_words(occasion["end"], zone)
        closest = occasion.get("min_distance_m")
        reference = occasion.get("reference", occasion["label"])
        what = f"Proximity occasion {reference} ({occasion.get('analysis', 'proximity')}), until {last}"
        if closest is not None:
            what += f"; closest {float(closest):.1f} m"
        entries.append((when, 1, [first, occasion.get("a", ""), occasion.get("other", ""), what,
                                  f"Appendix A, {reference}"]))
    entries.sort(key=lambda e: (e[0], e[1]))
    rows, shaded, counted = [], [], 0
    for index, (_, is_occasion, cells) in enumerate(entries):
        if is_occasion:
            shaded.append(index)
            rows.append(["", *cells])
        else:
            counted += 1
            rows.append([counted, *cells])
    numbers = pd.Series(np.arange(1, len(comms) + 1), index=comms["comm_id"].to_numpy())
    return Chronology(rows, len(comms), shown_occasions, t0, t1, shaded, numbers)


def _what(row: Any) -> str:
    kind = str(row.kind)
    one = KIND_PLURAL.get(kind, (kind, kind))[0]
    text = one[0].upper() + one[1:]
    if kind == "call" and not pd.isna(row.answered):
        text += f", answered, {duration_words(row.duration_s)}" if bool(row.answered) else ", not answered"
    return text
