"""Patterns of life: when a subject communicates, as counts by weekday and hour.

Hours and weekdays are the case zone's wall clock: the repeated 01:00 hour of
the autumn change adds to hour 1 twice, and the skipped spring hour has none.
Each communication counts once (``dedupe``), at its earliest sighting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis import contacts, dedupe
from cellsight.analysis.windows import epoch_us, from_epoch_us
from cellsight.core.case import Case

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def activity_times(case: Case, subject: str, other: str | None = None) -> tuple[str, str | None, pd.Series]:
    """Labels of the subject (and other) and the start of each of their communications (UTC)."""
    if other is not None:
        comms = contacts.pair_events(case, subject, other)
        label, _ = contacts.resolve_party(case, subject)
        other_label, _ = contacts.resolve_party(case, other)
        return label, other_label, comms["start"]
    label, numbers = contacts.resolve_party(case, subject)
    events = case.events
    own = [c for c in events["subject"].cat.categories if str(c).lower() == label.lower()]
    involved = events["party_a"].isin(numbers) | events["party_b"].isin(numbers) | events["subject"].isin(own)
    subset = events[involved.to_numpy()]
    comms = dedupe.for_case(case, subset)
    starts = comms.drop_duplicates("comm_id")["comm_start"]
    return label, None, starts


def hour_weekday(case: Case, subject: str, other: str | None = None) -> dict[str, Any]:
    """The contract's ``patterns`` document: ``counts[weekday][hour]`` in the case zone.

    Without ``other``: every communication of the subject (any party, data
    sessions included, and rows of the subject's own sources). With ``other``:
    only the communications between the two.
    """
    label, other_label, starts = activity_times(case, subject, other)
    counts = np.zeros((7, 24), dtype="int64")
    if len(starts):
        local = case.info.zone.local(pd.Series(starts).reset_index(drop=True))
        np.add.at(counts, (local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy()), 1)
    doc: dict[str, Any] = {"subject": label, "weekdays": WEEKDAYS, "hours": list(range(24)),
                           "counts": counts.tolist()}
    if other_label is not None:
        doc["other"] = other_label
    doc["total"] = int(counts.sum())
    doc["tz"] = case.info.tz
    return doc


def gaps(starts: pd.Series, minimum_min: float) -> pd.DataFrame:
    """Silences: spans of at least ``minimum_min`` minutes between consecutive activity.

    ``starts`` are activity times (e.g. ``activity_times(...)[2]``); returns
    ``start`` (the last activity before), ``end`` (the next) and ``minutes``,
    longest first. A sudden silence is itself a pattern worth a look.
    """
    times = np.sort(epoch_us(pd.Series(starts)))
    span = np.diff(times)
    long_ = np.flatnonzero(span >= int(round(minimum_min * 60_000_000)))
    frame = pd.DataFrame({"start": from_epoch_us(times[long_]), "end": from_epoch_us(times[long_ + 1]),
                          "minutes": span[long_] / 60_000_000})
    frame = frame.sort_values(["minutes", "start"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


def describe(doc: dict[str, Any]) -> str:
    """The grid as text: one line per weekday, 24 counts, and the busiest slot."""
    who = doc["subject"] + (f" with {doc['other']}" if doc.get("other") else "")
    lines = [f"activity of {who} by weekday and hour ({doc.get('tz', '')}), {doc.get('total', 0)} in all",
             "     " + " ".join(f"{h:>3}" for h in doc["hours"])]
    for day, row in zip(doc["weekdays"], doc["counts"]):
        lines.append(f"{day:<4} " + " ".join(f"{c:>3}" for c in row))
    grid = np.asarray(doc["counts"])
    if grid.sum():
        day, hour = np.unravel_index(int(np.argmax(grid)), grid.shape)
        lines.append(f"busiest: {doc['weekdays'][day]} {hour:02d}:00 ({grid[day, hour]})")
    return "\n".join(lines)
