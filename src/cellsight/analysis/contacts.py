"""Contact frequency: how often two parties communicated, when, and who a subject talks to.

Counts are of communications, not sightings: the events between the parties are
matched across sources first (``dedupe``), so a call in both networks' records
and the phone download counts once. Every communication counts, attempts
included (unanswered and failed calls); a message to a group counts once.
Periods are the case zone's (``CaseZone.periods``: its own midnights), zero-filled between
the first and the last, and the peak is the earliest of equal maxima.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis import dedupe
from cellsight.analysis.windows import epoch_us, from_epoch_us
from cellsight.core.case import Case, CaseError
from cellsight.core.phone import is_normalised, normalise
from cellsight.core.schema import EVENT_KINDS
from cellsight.core.timezones import CaseZone

PERIODS = ("hour", "day", "week", "month")
WITHHELD = "(withheld)"
_UNANSWERED = re.compile(r"miss|unanswer|no.?answer|reject|declin|fail|cancel|busy|not.?connect|abandon",
                         re.I)


# ----- who is who --------------------------------------------------------------------
def unknown_name(case: Case, key: str) -> bool:
    """True when ``key`` is neither a subject, nor a number, nor a party the events name."""
    if case.find_subject(key) is not None or is_normalised(normalise(key, case.info.region)[1]):
        return False
    label = case.party(key)[0]
    events = case.events
    return not ((events["party_a"] == label).any() or (events["party_b"] == label).any())


def resolve_party(case: Case, key: str) -> tuple[str, list[str]]:
    """``case.party(key)``, refusing a name that is neither a subject nor a number in the case."""
    if unknown_name(case, key):
        raise CaseError(f"no subject or number {key!r} in this case")
    return case.party(key)


def check_kinds(kinds: list[str] | None) -> list[str] | None:
    if not kinds:
        return None
    cleaned = [k.strip().lower() for k in kinds if k.strip()]
    unknown = [k for k in cleaned if k not in EVENT_KINDS]
    if unknown:
        raise CaseError(f"unknown kind {', '.join(unknown)}: use {', '.join(EVENT_KINDS)}")
    return cleaned


def _involving(events: pd.DataFrame, numbers: list[str]) -> pd.Series:
    return events["party_a"].isin(numbers) | events["party_b"].isin(numbers)


# ----- one pair ----------------------------------------------------------------------
def pair_events(case: Case, a: str, b: str, kinds: list[str] | None = None,
                tolerance_s: float = dedupe.DEFAULT_TOLERANCE_S) -> pd.DataFrame:
    """The communications between A and B, one row each, oldest first.

    Columns: ``comm_id``, ``start`` (earliest sighting, UTC), ``kind``, ``sender``,
    ``recipient``, ``direction`` (``a_to_b``/``b_to_a``), ``duration_s`` (longest
    sighting), ``answered`` (True, False, or missing when no source says),
    ``sightings``, ``seen_in`` (source ids), ``rows`` (``S1:12; S2:40``).
    """
    a_label, a_numbers = resolve_party(case, a)
    b_label, b_numbers = resolve_party(case, b)
    if a_label == b_label:
        raise CaseError("contacts between a party and itself: name two different parties")
    kinds = check_kinds(kinds)
    events = case.events
    sender, recipient = dedupe.orient(events, dedupe.owners_of(case))
    mask = ((sender.isin(a_numbers) & recipient.isin(b_numbers))
            | (sender.isin(b_numbers) & recipient.isin(a_numbers)))
    if kinds:
        mask &= events["kind"].isin(kinds)
    subset = events[mask.to_numpy()]
    comms = dedupe.for_case(case, subset, tolerance_s)
    return _one_row_per_communication(subset, comms, a_numbers)


def _one_row_per_communication(subset: pd.DataFrame, comms: pd.DataFrame,
                               a_numbers: list[str]) -> pd.DataFrame:
    if subset.empty:
        return pd.DataFrame({"comm_id": pd.Series(dtype="int64"), "start": subset["start"],
                             "kind": pd.Series(dtype=object), "sender": pd.Series(dtype=object),
                             "recipient": pd.Series(dtype=object), "direction": pd.Series(dtype=object),
                             "duration_s": pd.Series(dtype="float64"),
                             "answered": pd.Series(dtype="boolean"), "sightings": pd.Series(dtype="int64"),
                             "seen_in": pd.Series(dtype=object), "rows": pd.Series(dtype=object)})
    status = subset["status"].astype(object).fillna("").astype(str)
    duration = subset["duration_s"].astype("float64")
    said_unanswered = (duration == 0) | status.str.contains(_UNANSWERED)
    frame = pd.DataFrame({
        "comm_id": comms["comm_id"].to_numpy(),
        "start": comms["comm_start"].reset_index(drop=True),
        "kind": subset["kind"].astype(object).to_numpy(),
        "sender": comms["sender"].astype(object).to_numpy(),
        "recipient": comms["recipient"].astype(object).to_numpy(),
        "duration_s": duration.to_numpy(),
        "answered_any": (duration > 0).to_numpy(),
        "unanswered_any": said_unanswered.to_numpy(),
        "sightings": comms["comm_sightings"].to_numpy(),
        "seen_in": comms["comm_sources"].to_numpy(),
        "row": (subset["source_id"].astype(str) + ":" + subset["source_row"].astype(str)).to_numpy(),
        "time": epoch_us(subset["start"]),
    }).sort_values(["comm_id", "time"], kind="stable")
    grouped = frame.groupby("comm_id", sort=True)
    out = grouped.agg(start=("start", "first"), kind=("kind", "first"), sender=("sender", "first"),
                      recipient=("recipient", "first"), duration_s=("duration_s", "max"),
                      answered_any=("answered_any", "any"), unanswered_any=("unanswered_any", "any"),
                      sightings=("sightings", "first"), seen_in=("seen_in", "first"))
    out["rows"] = join_per_group(frame["comm_id"], frame["row"]).reindex(out.index)
    out = out.reset_index()
    out["direction"] = np.where(out["sender"].isin(a_numbers), "a_to_b", "b_to_a")
    answered = pd.Series(pd.NA, index=out.index, dtype="boolean")
    answered[out["unanswered_any"]] = False
    answered[out["answered_any"]] = True
    out["answered"] = answered.where(out["kind"] == "call", pd.NA)
    return out[["comm_id", "start", "kind", "sender", "recipient", "direction", "duration_s", "answered",
                "sightings", "seen_in", "rows"]]


def join_per_group(ids: pd.Series, labels: pd.Series, sep: str = "; ") -> pd.Series:
    """``sep.join(labels)`` per id, in the given order; vectorised over ranks, not groups.

    A communication has a handful of sightings, so this loops a handful of
    times however many communications there are.
    """
    ids = ids.reset_index(drop=True)
    labels = labels.astype(str).reset_index(drop=True)
    rank = ids.groupby(ids).cumcount()
    joined = pd.Series(labels[rank == 0].to_numpy(), index=ids[rank == 0].to_numpy(), dtype=object)
    for level in range(1, int(rank.max()) + 1 if len(rank) else 1):
        pick = rank == level
        owners = ids[pick].to_numpy()
        joined.loc[owners] = joined.loc[owners].to_numpy() + sep + labels[pick].to_numpy()
    return joined


def between(case: Case, a: str, b: str, kinds: list[str] | None = None, by: str = "day",
            tolerance_s: float = dedupe.DEFAULT_TOLERANCE_S) -> dict[str, Any]:
    """The contract's ``contacts --between`` document, plus first/last, calls and parameters."""
    if by not in PERIODS:
        raise CaseError(f"unknown period {by!r}: use {', '.join(PERIODS)}")
    a_label, a_numbers = resolve_party(case, a)
    b_label, b_numbers = resolve_party(case, b)
    comms = pair_events(case, a, b, kinds, tolerance_s)
    zone = case.info.zone
    series = period_series(comms["start"], zone, by)
    peak = None
    if series:
        best = max(series, key=lambda item: item["count"])  # max keeps the earliest of equal maxima
        peak = dict(best)
    calls = comms[comms["kind"] == "call"]
    durations = calls["duration_s"].dropna()
    doc = {
        "a": a_label,
        "b": b_label,
        "total": int(len(comms)),
        "by_kind": {str(k): int(v) for k, v in comms["kind"].value_counts().sort_index().items()},
        "by_direction": {"a_to_b": int((comms["direction"] == "a_to_b").sum()),
                         "b_to_a": int((comms["direction"] == "b_to_a").sum())},
        "series": series,
        "peak": peak,
        "first": zone.iso(comms["start"].min()) if len(comms) else None,
        "last": zone.iso(comms["start"].max()) if len(comms) else None,
        "calls": {
            "total": int(len(calls)),
            "answered": int((calls["answered"] == True).sum()),  # noqa: E712 - nullable boolean
            "unanswered": int((calls["answered"] == False).sum()),  # noqa: E712
            "unknown": int(calls["answered"].isna().sum()),
            "total_duration_s": float(durations.sum()) if len(durations) else 0.0,
            "mean_duration_s": round(float(durations.mean()), 1) if len(durations) else None,
        },
        "seen_in_several_sources": int((comms["seen_in"].astype(str).str.contains(",")).sum()),
        "parameters": {"a_numbers": a_numbers, "b_numbers": b_numbers, "kinds": check_kinds(kinds),
                       "by": by, "tz": case.info.tz, "dedupe_tolerance_s": tolerance_s},
    }
    return doc


def period_series(starts: pd.Series, zone: CaseZone, by: str) -> list[dict[str, Any]]:
    """Counts per period of the case's zone (its own midnights), zero-filled from the first to the last."""
    if len(starts) == 0:
        return []
    starts = pd.Series(starts).reset_index(drop=True)
    counts = zone.periods(starts, by).value_counts()
    labels = zone.period_range(starts.min(), starts.max(), by)
    return [{"period": label, "count": int(counts.get(label, 0))} for label in labels]


def describe_between(doc: dict[str, Any]) -> str:
    """A short human summary of ``between``."""
    lines = [f"between {doc['a']} and {doc['b']}: {doc['total']} communications "
             f"({doc['by_direction']['a_to_b']} from {doc['a']}, {doc['by_direction']['b_to_a']} "
             f"from {doc['b']})"]
    if doc["total"]:
        kinds = ", ".join(f"{k} {v}" for k, v in doc["by_kind"].items())
        lines.append(f"by kind: {kinds}")
        lines.append(f"first {doc['first']}, last {doc['last']}")
        peak = doc["peak"]
        lines.append(f"busiest {doc['parameters']['by']}: {peak['period']} ({peak['count']})")
        calls = doc["calls"]
        if calls["total"]:
            lines.append(f"calls: {calls['answered']} answered, {calls['unanswered']} unanswered, "
                         f"{calls['unknown']} unknown; {calls['total_duration_s']:.0f} s in all")
        lines.append(f"seen in more than one source: {doc['seen_in_several_sources']}")
    return "\n".join(lines)


def bursts(events: pd.DataFrame, n: int, minutes: float, time_column: str = "start") -> pd.DataFrame:
    """Runs of at least ``n`` contacts within ``minutes`` (inclusive), merged where they overlap.

    ``events`` is one row per contact (e.g. ``pair_events``). Each burst is the
    union of every window of ``n`` consecutive contacts spanning at most
    ``minutes``; returns ``start``, ``end`` and ``contacts`` per burst.
    """
    if n < 1:
        raise ValueError("a burst needs at least one contact")
    empty = pd.DataFrame({"start": pd.Series(dtype="datetime64[us, UTC]"),
                          "end": pd.Series(dtype="datetime64[us, UTC]"),
                          "contacts": pd.Series(dtype="int64")})
    if len(events) < n:
        return empty
    times = np.sort(epoch_us(events[time_column]))
    span = times[n - 1:] - times[: len(times) - n + 1]
    qualifying = np.flatnonzero(span <= int(round(minutes * 60_000_000)))
    if len(qualifying) == 0:
        return empty
    # Windows [i, i + n - 1] overlapping (sharing a contact) belong to one burst.
    new_burst = np.ones(len(qualifying), dtype=bool)
    new_burst[1:] = qualifying[1:] > qualifying[:-1] + n - 1
    burst_id = np.cumsum(new_burst) - 1
    first = pd.Series(qualifying).groupby(burst_id).min().to_numpy()
    last = pd.Series(qualifying + n - 1).groupby(burst_id).max().to_numpy()
    return pd.DataFrame({"start": from_epoch_us(times[first]), "end": from_epoch_us(times[last]),
                         "contacts": (last - first + 1).astype("int64")})


# ----- one subject -------------------------------------------------------------------
def subject_communications(case: Case, subject: str, tolerance_s: float = dedupe.DEFAULT_TOLERANCE_S
                           ) -> tuple[str, list[str], pd.DataFrame, pd.DataFrame]:
    """The subject's label and numbers, the events involving them, and their communications."""
    label, numbers = resolve_party(case, subject)
    events = case.events
    subset = events[_involving(events, numbers).to_numpy()]
    return label, numbers, subset, dedupe.for_case(case, subset, tolerance_s)


def for_subject(case: Case, subject: str, top: int = 20,
                tolerance_s: float = dedupe.DEFAULT_TOLERANCE_S) -> dict[str, Any]:
    """The contract's ``contacts --subject`` document: ranked contacts with names."""
    if top < 1:
        raise CaseError("--top must be at least 1")
    label, numbers, subset, comms = subject_communications(case, subject, tolerance_s)
    own = comms["sender"].isin(numbers)
    other = comms["recipient"].where(own, comms["sender"]).astype(object)
    # Calls from withheld numbers are contacts of an unknown party, however the source wrote it;
    # a row with no other party at all (a data session) is no contact.
    other_flag = subset["party_a_flag"].astype(object).where(other == subset["party_a"].astype(object),
                                                            subset["party_b_flag"].astype(object))
    other = other.where(other_flag != "withheld", WITHHELD)
    frame = pd.DataFrame({"comm_id": comms["comm_id"].to_numpy(), "number": other.to_numpy(),
                          "kind": subset["kind"].astype(object).to_numpy(),
                          "start": comms["comm_start"].reset_index(drop=True)})
    # A communication is counted once per other party (a group message once per member).
    frame = frame.dropna(subset=["number"]).drop_duplicates(["comm_id", "number"])
    frame = frame[~frame["number"].isin(numbers)]
    zone = case.info.zone
    names = case.number_names()
    contacts = []
    if len(frame):
        totals = frame.groupby("number").agg(total=("comm_id", "size"), first=("start", "min"),
                                             last=("start", "max"))
        kinds = frame.groupby(["number", "kind"]).size()
        totals = totals.reset_index().sort_values(["total", "first", "number"],
                                                   ascending=[False, True, True]).head(top)
        for row in totals.itertuples(index=False):  # at most ``top`` rows
            by_kind = kinds.loc[row.number]
            contacts.append({"number": row.number, "name": names.get(row.number),
                             "total": int(row.total),
                             "by_kind": {str(k): int(v) for k, v in by_kind.sort_index().items()},
                             "first": zone.iso(row.first), "last": zone.iso(row.last)})
    return {"subject": label, "numbers": numbers, "contacts": contacts,
            "parameters": {"top": top, "tz": case.info.tz, "dedupe_tolerance_s": tolerance_s}}


def describe_for_subject(doc: dict[str, Any]) -> str:
    """A short human table of ``for_subject``."""
    lines = [f"contacts of {doc['subject']} ({len(doc['contacts'])} shown)"]
    for c in doc["contacts"]:
        name = f" ({c['name']})" if c["name"] else ""
        lines.append(f"{c['total']:>6}  {c['number']}{name}  first {c['first']}, last {c['last']}")
    return "\n".join(lines)
