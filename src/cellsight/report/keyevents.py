"""The key-events chronology: the few moments a prosecutor needs first, generated from the analyses.

Not every communication (that is the schedule, an exhibit of its own) but:
the first and the last communication between the pair; the first message of
concern; the busiest day and the busiest week; each week in which contact rose
or fell sharply; the first occasion of each proximity analysis and each later
occasion at a place that analysis had not found before. Each entry has its
time in the court's form and cites the exhibit rows behind it and, for
communications, the rows of the schedule of communications that list them.

The rules, stated once (the report prints them with the table):

- a **sharp rise** is a week with at least twice the communications of the
  week before and at least ``SHARP_MIN`` more; a **sharp fall** a week with at
  most half and at least ``SHARP_MIN`` fewer;
- a **new place** is an occasion whose position is more than ``NEW_PLACE_M``
  metres from the position of every earlier occasion of the same analysis.

Nothing here is typed by anyone: every entry is a row of an analysis's output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cellsight.core.geo import haversine_m
from cellsight.report.concern import WEEK, Concern
from cellsight.report.words import period_words, time_words

SHARP_MIN = 10
NEW_PLACE_M = 500.0
COLUMNS = ["Time", "Key event", "Evidence (exhibit and row)", "Schedule row"]
WIDTHS = [1.7, 3.6, 4.0, 0.9]
RULES = (f"A sharp rise is a week with at least twice the communications of the week before and at least "
         f"{SHARP_MIN} more; a sharp fall, a week with at most half and at least {SHARP_MIN} fewer. An occasion "
         f"at a new place is one more than {NEW_PLACE_M:g} m from every earlier occasion found by the same "
         "analysis. Weeks are ISO weeks (Monday to Sunday) in the case's time zone.")


@dataclass
class KeyEvent:
    when: pd.Timestamp
    what: str
    cited: str
    schedule: str = ""  # rows of the schedule of communications, "" for an occasion

    def row(self, zone: str) -> list[Any]:
        return [time_words(self.when, zone), self.what, self.cited, self.schedule]


def _rows(numbers: pd.Series) -> str:
    """``12`` or ``12–48``: schedule rows of a span of communications."""
    if numbers.empty:
        return ""
    first, last = int(numbers.min()), int(numbers.max())
    return str(first) if first == last else f"{first}–{last}"


def communication_events(run: Any, comms: pd.DataFrame, numbers: pd.Series, concern: Concern | None,
                         zone: str, schedule_ref: str) -> list[KeyEvent]:
    """First and last contact, first message of concern, busiest day and week, sharp weekly changes.

    ``comms`` are the pair's communications (``chronology.communications``), ``numbers`` their row in
    the schedule (indexed like ``comms``; missing where the schedule's period leaves them out).
    """
    if comms.empty:
        return []
    a, b = run.a, run.b
    names = {"a_to_b": (a, b), "b_to_a": (b, a)}
    out = []
    for position, label in ((0, "First"), (len(comms) - 1, "Last")):
        row = comms.iloc[position]
        x, y = names.get(row["direction"], (row["sender"], row["recipient"]))
        out.append(KeyEvent(row["start"], f"{label} communication between {a} and {b}: {_kind(row['kind'])} "
                                          f"from {x} to {y}", row["cited"], _rows(numbers.iloc[[position]].dropna())))
    if concern is not None and concern.count:
        first = concern.messages.iloc[0]
        sender = names.get(first["direction"], (first["sender"],))[0]
        match = comms.index[comms["comm_id"] == first["comm_id"]]
        out.append(KeyEvent(first["start"], f"First message of concern ({concern.count:,} in all), from {sender}: "
                                            f"\u201c{_quote(first['text'])}\u201d", first["cited"],
                            _rows(numbers.loc[match].dropna())))
    local = comms["start"].dt.tz_convert(zone)
    for unit, key in (("day", local.dt.strftime("%Y-%m-%d")), ("week", local.dt.strftime(WEEK))):
        counts = key.value_counts(sort=False)
        peak = counts[counts == counts.max()].index.min()  # the earliest of equal maxima
        inside = key == peak
        out.append(KeyEvent(comms.loc[inside, "start"].min(),
                            f"Busiest {unit}: {period_words(peak, unit)}, {int(counts[peak]):,} communications",
                            _span_cited(comms, numbers, inside, schedule_ref), _rows(numbers[inside].dropna())))
    out += sharp_weeks(comms, numbers, local, schedule_ref)
    return out


def sharp_weeks(comms: pd.DataFrame, numbers: pd.Series, local: pd.Series, schedule_ref: str) -> list[KeyEvent]:
    """Weeks whose contact rose to at least twice, or fell to at most half, the week before (``RULES``)."""
    mondays = (local.dt.normalize().dt.tz_localize(None) - pd.to_timedelta(local.dt.day_of_week, unit="D"))
    counts = mondays.value_counts().reindex(pd.date_range(mondays.min(), mondays.max(), freq="7D"), fill_value=0)
    out = []
    for previous, (monday, count) in zip(counts.to_numpy()[:-1], list(counts.items())[1:]):
        rose = count >= 2 * previous and count - previous >= SHARP_MIN
        fell = 2 * count <= previous and previous - count >= SHARP_MIN
        if not (rose or fell):
            continue
        inside = mondays == monday
        week = monday.strftime(WEEK)
        start = comms.loc[inside, "start"].min() if inside.any() else \
            pd.Timestamp(monday).tz_localize(local.dt.tz, nonexistent="shift_forward", ambiguous=True)
        what = (f"Contact {'rose' if rose else 'fell'} sharply in the {period_words(week, 'week')}: "
                f"{int(count):,} communications, against {int(previous):,} the week before")
        cited = _span_cited(comms, numbers, inside, schedule_ref) if inside.any() else "(no communication that week)"
        out.append(KeyEvent(start, what, cited, _rows(numbers[inside].dropna())))
    return out


def _span_cited(comms: pd.DataFrame, numbers: pd.Series, inside: pd.Series, schedule_ref: str) -> str:
    """The evidence of a span of communications: its rows in the schedule, or without a schedule the
    exhibit rows of the first of them."""
    rows = _rows(numbers[inside].dropna())
    if rows and schedule_ref:
        return f"{schedule_ref} rows {rows}"
    return f"{comms.loc[inside, 'cited'].iloc[0]} (the first of them)"


def occasion_events(runs: list[Any]) -> list[KeyEvent]:
    """The first occasion of each proximity analysis, and each later one at a new place (``RULES``)."""
    out = []
    for run in runs:
        seen: list[tuple[float, float]] = []
        located = {int(o["label"]): o for o in run.located}
        for number, occasion in enumerate(run.doc.get("occasions", []), start=1):
            where = located.get(number)
            position = (where["lat"], where["lon"]) if where else None
            new = position is not None and all(haversine_m(position[0], position[1], lat, lon) > NEW_PLACE_M
                                               for lat, lon in seen)
            if position is not None:
                seen.append(position)
            if number > 1 and not new:
                continue
            closest = occasion.get("min_distance_m")
            what = (f"{'First occasion' if number == 1 else 'Occasion at a new place'} ({run.reference} {number}): "
                    f"{run.analysis_words()}" + (f"; closest {float(closest):.1f} m" if _finite(closest) else ""))
            cited = run.evidence[number - 1].short if number - 1 < len(run.evidence) else ""
            out.append(KeyEvent(pd.Timestamp(occasion["start"]), what, cited))
    return out


def key_events(run: Any, comms: pd.DataFrame, numbers: pd.Series, concern: Concern | None, zone: str,
               schedule_ref: str, place_runs: list[Any] = ()) -> list[KeyEvent]:
    """The pair's key events and its proximity analyses' (and ``place_runs``'), in time order."""
    events = communication_events(run, comms, numbers, concern, zone, schedule_ref)
    events += occasion_events(list(run.proximity) + list(place_runs))
    order = np.argsort([pd.Timestamp(e.when).tz_convert("UTC").value for e in events], kind="stable")
    return [events[i] for i in order]


def _kind(kind: Any) -> str:
    from cellsight.report.words import KIND_PLURAL

    return KIND_PLURAL.get(str(kind), (str(kind), str(kind)))[0]


def _quote(text: Any, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
