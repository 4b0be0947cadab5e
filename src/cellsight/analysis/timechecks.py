"""Each source's clock checked against the others: matched records and their time offsets.

A source whose times were read in the wrong zone (an operator's bare UTC times
read as UK local time) sits an hour away from every other exhibit from the
spring clock change on: its records of a call no longer match the other
party's records of the same call, and every such communication is counted
twice. The evidence of the mistake is in the case itself, so it is measured:

- **Records against records.** For two sources that record the same
  communications (both parties' call records, a phone's call log against the
  network's), each record of one is matched to the other's record of the same
  sender, recipient and kind whose time lies within ``SEARCH_S`` (two hours and
  ten minutes) and whose offset agrees with one of the offsets on which many
  records concentrate; matching is one to one, nearest first. The matched records, taken
  in time order, form **periods of constant offset** (runs of at least
  ``MIN_RUN`` records at one offset). Each period is reported with the median
  offset (``other's time - source's``), its first and last record, the number
  matched and their share of the source's records in it.
- **Fixes against serving cells.** A subject's network events with placed
  serving cells are compared with the same subject's location fixes at the
  same instants, with the events' times shifted by each whole or half hour
  from -2 h to +2 h: the shift whose nearest fixes (within ``FIX_WINDOW_S``)
  lie closest to the serving sites is the measured offset, between clock
  changes of the case's zone (where such errors start and stop).

Verdicts: ``consistent`` (the offset is within the matching tolerance of 0),
``hour_offset`` (within it of a non-zero whole or half hour: a zone read
wrongly), ``clock_drift`` (any other offset: a clock some minutes off),
``insufficient`` (fewer than ``MIN_MATCHES`` matches). The check reports; it
never changes a time. The officer re-reads a source in another zone
(``cellsight source``) when the figures show it was read wrongly.

Everything is vectorised over the keyed-window engine of ``analysis.windows``
(no Python loop over rows): cases hold millions of records.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis.dedupe import DEFAULT_TOLERANCE_S, orient, owners_of
from cellsight.analysis.dedupe import _pair_keys as pair_keys  # the same key as matching sightings
from cellsight.analysis.windows import KeyedTimes, epoch_us, expand_ranges, greedy_nearest_matching
from cellsight.core.cellkeys import resolve
from cellsight.core.geo import haversine_m
from cellsight.core.timezones import offset_changes

SEARCH_S = 2 * 3600 + 600  # offsets looked for: up to two hours (a continental zone read as UTC), and a margin
MIN_MATCHES = 20  # fewer matched records than this in a period: "insufficient"
MIN_RUN = 5  # a shorter run of records at one offset, between runs at another, is taken as noise
PEAK_SHARE = 0.02  # an offset is a candidate when at least this share of the source's records sit at it
MAX_PEAKS = 4
NOISE_FACTOR = 5.0
COMMUNICATION_KINDS = ("call", "sms", "mms")
FIX_WINDOW_S = 300  # a fix within five minutes of an event is "at the same instant"
FIX_SHIFTS_S = tuple(range(-7200, 7201, 1800))
FIX_GAIN = 0.5  # a shift must bring fixes at least this much closer (median) to count as the offset
VERDICTS = ("consistent", "hour_offset", "clock_drift", "insufficient")
# How the basis of a source's zone ranks: the weakest is taken as "source", its clock checked against the other.
_BASIS_ORDER = {"assumed": 0, "option": 1, "corrected": 2, "file": 3, "values": 4}


def verdict(offset_s: float | None, matched: int, tolerance_s: float = DEFAULT_TOLERANCE_S) -> str:
    """The word for a period's offset (see the module's docstring)."""
    if matched < MIN_MATCHES or offset_s is None:
        return "insufficient"
    if abs(offset_s) <= tolerance_s:
        return "consistent"
    nearest = round(offset_s / 1800) * 1800
    if nearest and abs(offset_s - nearest) <= tolerance_s:
        return "hour_offset"
    return "clock_drift"


def check_clocks(case: Any, tolerance_s: float = DEFAULT_TOLERANCE_S) -> list[dict[str, Any]]:
    """Every clock check of the case: record pairs, then fixes against serving cells.

    Entries are JSON-able, with ``from``/``to`` as UTC ISO strings (``in_zone``
    turns them into the case's zone for output) and ``method`` saying which check it is.
    """
    order = {s.id: i for i, s in enumerate(case.sources)}
    label = {s.id: s.exhibit or s.file for s in case.sources}
    basis = {s.id: _BASIS_ORDER.get(s.tz_rule, 5) for s in case.sources}
    checks = _record_checks(case, tolerance_s, order, basis)
    checks += _fix_checks(case, tolerance_s)
    zone = {s.id: s.declared_tz for s in case.sources}
    for entry in checks:
        entry["source"], entry["other"] = label.get(entry["source_id"], entry["source_id"]), \
            label.get(entry["other_id"], entry["other_id"])
        entry["source_tz"] = zone.get(entry["source_id"], "")
    return checks


# ----- records against records ---------------------------------------------------------------------
def _record_checks(case: Any, tolerance_s: float, order: dict[str, int],
                   basis: dict[str, int]) -> list[dict[str, Any]]:
    events = case.events
    if events.empty or events["source_id"].nunique() < 2:
        return []  # one source's records: no other records of the same communications to check against
    keep = events["kind"].isin(COMMUNICATION_KINDS).to_numpy() & events["start"].notna().to_numpy()
    events = events[keep]
    sender, recipient = orient(events, owners_of(case))
    frame = pd.DataFrame({"key": pair_keys(sender, recipient, events["kind"]),
                          "us": epoch_us(events["start"]), "source": events["source_id"].astype(object)})
    frame = frame[frame["key"].to_numpy() >= 0]  # a party missing: nothing to match on
    all_starts = {str(k): np.sort(epoch_us(g)) for k, g in case.events.groupby(
        case.events["source_id"].astype(object), observed=True)["start"]}
    ids = sorted(frame["source"].unique(), key=lambda s: order.get(s, 0))
    checks = []
    for i, first in enumerate(ids):
        for second in ids[i + 1:]:
            source, other = sorted((first, second), key=lambda s: (basis.get(s, 5), order.get(s, 0)))
            checks += _pair(frame[frame["source"].eq(source).to_numpy()], frame[frame["source"].eq(other).to_numpy()],
                            source, other, tolerance_s, all_starts.get(source, np.array([], dtype="int64")))
    return checks


def _pair(mine: pd.DataFrame, theirs: pd.DataFrame, source: str, other: str, tolerance_s: float,
          source_starts: np.ndarray) -> list[dict[str, Any]]:
    """The periods of constant offset between two sources' records of the same communications."""
    shared = np.intersect1d(mine["key"].to_numpy(), theirs["key"].to_numpy())
    mine = mine[np.isin(mine["key"].to_numpy(), shared)]
    theirs = theirs[np.isin(theirs["key"].to_numpy(), shared)]
    if mine.empty:
        return []  # they record none of the same communications: nothing to check
    tol_us = int(tolerance_s * 1e6)
    index = KeyedTimes(theirs["key"].to_numpy(), theirs["us"].to_numpy())
    times = mine["us"].to_numpy()
    lo, hi = index.ranges(mine["key"].to_numpy(), times - SEARCH_S * 10**6, times + SEARCH_S * 10**6)
    query, position = expand_ranges(lo, hi)
    offsets = index.times[position] - times[query]
    centres = _peaks(offsets, query, len(mine), tol_us)
    matched_q, matched_off = _match(query, position, offsets, centres, tol_us)
    entry = {"source_id": source, "other_id": other, "method": "records"}
    if len(matched_q) < MIN_MATCHES:
        offset = float(np.median(matched_off)) / 1e6 if len(matched_off) else None
        return [{**entry, "matched": int(len(matched_q)), "offset_s": _round(offset),
                 "from": _iso(times.min()), "to": _iso(times.max()),
                 "share": _share(len(matched_q), source_starts, times.min(), times.max()),
                 "verdict": "insufficient"}]
    by_time = np.argsort(times[matched_q], kind="stable")
    when, off = times[matched_q][by_time], matched_off[by_time]
    centre = np.argmin(np.abs(off[:, None] - centres[None, :]), axis=1)
    periods = []
    for start, stop in _runs(centre):
        offset = float(np.median(off[start:stop])) / 1e6
        n = stop - start
        periods.append({**entry, "matched": int(n), "offset_s": _round(offset), "from": _iso(when[start]),
                        "to": _iso(when[stop - 1]), "share": _share(n, source_starts, when[start], when[stop - 1]),
                        "verdict": verdict(offset, n, tolerance_s)})
    return periods


def _peaks(offsets: np.ndarray, query: np.ndarray, n_queries: int, tol_us: int) -> np.ndarray:
    """Offsets (µs) on which many of the source's records concentrate: the candidate clock offsets."""
    if not len(offsets):
        return np.array([0], dtype="int64")
    width = max(2 * tol_us, 1)
    bins = np.floor_divide(offsets, width)
    # Each record counts once per bin, however many of the other's records it meets there. The pairs
    # come query by query with the other's times ascending, so a repeat is next to its first.
    first = np.ones(len(bins), dtype=bool)
    first[1:] = (query[1:] != query[:-1]) | (bins[1:] != bins[:-1])
    low = int(bins.min())
    per_bin = np.bincount(bins[first] - low)
    values = np.flatnonzero(per_bin) + low
    counts = per_bin[values - low]
    # A peak may straddle two bins: add each bin's neighbour on the side where it is larger.
    padded = np.zeros(len(values) + 2, dtype="int64")
    padded[1:-1] = counts
    neighbour_next = np.where(np.append(values[1:] - values[:-1] == 1, False), padded[2:], 0)
    neighbour_prev = np.where(np.insert(values[1:] - values[:-1] == 1, 0, False), padded[:-2], 0)
    support = counts + np.maximum(neighbour_next, neighbour_prev)
    # Records of a busy pair meet many unrelated records at every offset: a peak must also stand
    # well above that background (NOISE_FACTOR times the median bin over the whole search range).
    background = float(np.median(np.concatenate([counts, np.zeros(max(0, len(per_bin) - len(counts)))])))
    wanted = support >= max(MIN_RUN, PEAK_SHARE * n_queries, NOISE_FACTOR * background)
    chosen: list[int] = []
    for i in np.argsort(-support, kind="stable"):
        if not wanted[i] or len(chosen) == MAX_PEAKS:
            break
        if all(abs(values[i] - values[j]) > 2 for j in chosen):
            chosen.append(int(i))
    if not chosen:
        return np.array([int(np.median(offsets))], dtype="int64")
    # Each candidate is the median offset of its bin and the two beside it (pairs sorted by bin once).
    order = np.argsort(bins, kind="stable")
    ordered = bins[order]
    centres = []
    for i in chosen:
        lo, hi = np.searchsorted(ordered, values[i] - 1, "left"), np.searchsorted(ordered, values[i] + 1, "right")
        centres.append(int(np.median(offsets[order[lo:hi]])))
    return np.array(centres, dtype="int64")


def _match(query: np.ndarray, position: np.ndarray, offsets: np.ndarray, centres: np.ndarray,
           tol_us: int) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matches of candidate pairs lying within the tolerance of a candidate offset."""
    distance = np.abs(offsets - centres[0])
    for centre in centres[1:]:  # one pass per candidate offset, no (pairs x candidates) array
        np.minimum(distance, np.abs(offsets - centre), out=distance)
    near = distance <= tol_us
    q, p, d = query[near], position[near], distance[near]
    if not len(q):
        return q, offsets[near]
    accepted = greedy_nearest_matching(q, p, d)
    return q[accepted], offsets[near][accepted]


def _runs(labels: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each period of one label, runs shorter than MIN_RUN between others dropped."""
    if not len(labels):
        return []
    change = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(labels)]])
    long_enough = (stops - starts) >= MIN_RUN
    if not long_enough.any():
        return [(0, len(labels))]
    kept = [(int(a), int(b), int(labels[a])) for a, b, ok in zip(starts, stops, long_enough) if ok]
    merged: list[list[int]] = []
    for a, b, label in kept:
        if merged and merged[-1][2] == label:
            merged[-1][1] = b
        else:
            merged.append([a, b, label])
    return [(a, b) for a, b, _ in merged]


# ----- fixes against serving cells ----------------------------------------------------------------
def _fix_checks(case: Any, tolerance_s: float) -> list[dict[str, Any]]:
    events, fixes, cells = case.events, case.locations, case.cells
    if events.empty or fixes.empty or cells.empty:
        return []
    served = events[events["cell_first"].notna().to_numpy() & events["subject"].notna().to_numpy()]
    if served.empty:
        return []
    position = resolve(served["cell_first"].astype(object), cells).to_numpy()
    served = served[position >= 0]
    position = position[position >= 0]
    if served.empty:
        return []
    site_lat = cells["lat"].to_numpy()[position]
    site_lon = cells["lon"].to_numpy()[position]
    subjects = pd.factorize(pd.concat([served["subject"].astype(object), fixes["subject"].astype(object)]))[0]
    ev_subject, fix_subject = subjects[:len(served)], subjects[len(served):]
    ev_us, fix_us = epoch_us(served["start"]), epoch_us(fixes["time"])
    ev_source = served["source_id"].astype(object).to_numpy()
    fix_source = fixes["source_id"].astype(object).to_numpy()
    bounds = offset_changes(case.info.tz, ev_us)
    checks = []
    for source in pd.unique(ev_source):
        mine = ev_source == source
        for other in pd.unique(fix_source[np.isin(fix_subject, ev_subject[mine])]):
            theirs = (fix_source == other) & (fix_subject >= 0)
            index = KeyedTimes(fix_subject[theirs], fix_us[theirs])
            lats, lons = fixes["lat"].to_numpy()[theirs], fixes["lon"].to_numpy()[theirs]
            period = np.searchsorted(bounds, ev_us[mine], "right")
            for p in np.unique(period):
                rows = np.flatnonzero(mine)[period == p]
                checks.append(_fix_period(index, lats, lons, ev_subject[rows], ev_us[rows], site_lat[rows],
                                          site_lon[rows], str(source), str(other), tolerance_s))
    return [c for c in checks if c is not None]


def _fix_period(index: KeyedTimes, lats: np.ndarray, lons: np.ndarray, subject: np.ndarray, times: np.ndarray,
                site_lat: np.ndarray, site_lon: np.ndarray, source: str, other: str,
                tolerance_s: float) -> dict[str, Any] | None:
    """The shift that brings one period's events nearest to the fixes at the same instants."""
    medians, counts = [], []
    for shift in FIX_SHIFTS_S:
        shifted = times + shift * 10**6
        lo, hi = index.ranges(subject, shifted - FIX_WINDOW_S * 10**6, shifted + FIX_WINDOW_S * 10**6)
        query, position = expand_ranges(lo, hi)
        if not len(query):
            medians.append(np.inf)
            counts.append(0)
            continue
        gap = np.abs(index.times[position] - shifted[query])
        nearest = np.lexsort((gap, query))
        first = np.ones(len(nearest), dtype=bool)
        first[1:] = query[nearest][1:] != query[nearest][:-1]
        pick = nearest[first]
        fix = index.order[position[pick]]
        metres = haversine_m(site_lat[query[pick]], site_lon[query[pick]], lats[fix], lons[fix])
        medians.append(float(np.median(metres)))
        counts.append(int(len(pick)))
    medians_a, counts_a = np.array(medians), np.array(counts)
    if not counts_a.any():
        return None  # no fix near any event of this period: nothing to compare
    zero = FIX_SHIFTS_S.index(0)
    best = int(np.argmin(medians_a))
    offset = FIX_SHIFTS_S[best] if medians_a[best] < FIX_GAIN * medians_a[zero] else 0
    chosen = FIX_SHIFTS_S.index(offset)
    matched = int(counts_a[chosen])
    return {"source_id": source, "other_id": other, "method": "fixes", "matched": matched,
            "offset_s": float(offset), "from": _iso(times.min()), "to": _iso(times.max()),
            "share": round(matched / len(times), 4) if len(times) else 0.0,
            "median_distance_m": round(float(medians_a[chosen]), 1),
            "verdict": verdict(float(offset), matched, tolerance_s)}


# ----- output ------------------------------------------------------------------------------------
def _iso(us: int) -> str:
    return pd.Timestamp(int(us), unit="us", tz="UTC").floor("s").isoformat()


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _share(matched: int, starts: np.ndarray, first: int, last: int) -> float:
    inside = int(np.searchsorted(starts, last, "right") - np.searchsorted(starts, first, "left"))
    return round(matched / inside, 4) if inside else 0.0


def in_zone(checks: list[dict[str, Any]], zone: str) -> list[dict[str, Any]]:
    """The contract's ``time_checks`` entries: times in the case's zone, internal ids left out."""
    from cellsight.core.timezones import iso_local

    out = []
    for c in checks:
        item = {k: v for k, v in c.items() if k not in ("source_id", "other_id")}
        for key in ("from", "to"):
            item[key] = iso_local(pd.Timestamp(c[key]), zone) if c.get(key) else None
        out.append(item)
    return out


def sentence(check: dict[str, Any], zone: str) -> str:
    """One check in words, with its figures: what a reader of the report or the import needs to know."""
    from cellsight.core.timezones import court_time

    start, end = court_time(pd.Timestamp(check["from"]), zone), court_time(pd.Timestamp(check["to"]), zone)
    source, other, n, offset = check["source"], check["other"], check["matched"], check["offset_s"]
    if check.get("method", "records") == "records":
        what, against = "records", f"{other}'s records of the same communications"
    else:
        what, against = "network events", f"the location fixes of {other} near the serving sites"
    if check["verdict"] == "insufficient":
        return (f"{source} against {against}: only {n:,} {what} matched from {start} to {end}, "
                "too few to check its clock.")
    if check["verdict"] == "consistent":
        return (f"{source} against {against}: {n:,} {what} matched at {float(offset):g} s "
                f"from {start} to {end}.")
    head = f"{n:,} of {source}'s {what} from {start} to {end} match {against} {_offset_words(offset)}"
    if check["verdict"] == "hour_offset":
        return f"{head}: {_likely_zone(check)}; re-read it in the right zone."
    return f"{head}: a measured offset of {source}'s clock."


def likely_zone(check: dict[str, Any]) -> str:
    """The zone an hour offset points to: ``UTC``, or a fixed offset such as ``UTC+01:00``; '' if unknown.

    The source was read in ``source_tz``; its times sit ``offset_s`` from the
    other's, so they were really written at (the zone's offset then) minus
    ``offset_s`` from UTC, taken at the middle of the period.
    """
    read_as = check.get("source_tz") or ""
    if not read_as:
        return ""
    middle = pd.Timestamp(check["from"]) + (pd.Timestamp(check["to"]) - pd.Timestamp(check["from"])) / 2
    really = middle.tz_convert(read_as).utcoffset().total_seconds() - float(check["offset_s"])
    return "UTC" if really == 0 else f"UTC{'+' if really > 0 else '-'}{_hours(abs(really))}"


def _likely_zone(check: dict[str, Any]) -> str:
    """``DR/1's times are probably UTC, not Europe/London``: the zone the offset points to."""
    zone = likely_zone(check)
    if not zone:
        return f"{check['source']}'s times are probably in another zone than their offsets say"
    return f"{check['source']}'s times are probably {zone}, not {check['source_tz']}"


def _hours(seconds: float) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


def _offset_words(offset_s: float) -> str:
    later = "later" if offset_s > 0 else "earlier"
    seconds = abs(float(offset_s))
    if seconds % 3600 == 0:
        amount = f"exactly {int(seconds // 3600)} hour{'s' if seconds != 3600 else ''}"
    elif seconds % 1800 == 0:
        amount = f"exactly {seconds / 3600:g} hours"
    elif seconds >= 60:
        amount = f"{seconds / 60:.1f} minutes"
    else:
        amount = f"{seconds:.0f} s"
    return f"{amount} {later}"


def flagged(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checks that say a clock is off (an hour or some minutes)."""
    return [c for c in checks if c["verdict"] in ("hour_offset", "clock_drift")]


def store(case: Any) -> list[dict[str, Any]]:
    """Compute the case's clock checks and keep them in the case (saved with it)."""
    checks = check_clocks(case)
    case.extras["time_checks"] = checks
    return checks


def stored(case: Any) -> list[dict[str, Any]]:
    """The checks kept in the case (computed at the last import or re-read); computed now for a case
    saved before they were kept (nothing is saved then: reading a case never changes it)."""
    if "time_checks" in case.extras:
        return list(case.extras["time_checks"])
    return check_clocks(case)


def describe(case: Any) -> list[str]:
    """Every check of the case as a sentence, the ones that flag a clock first."""
    checks = stored(case)
    ordered = flagged(checks) + [c for c in checks if c not in flagged(checks)]
    return [sentence(c, case.info.tz) for c in ordered]
