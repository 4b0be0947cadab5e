"""One communication, counted once: matching the sightings of a call or text across sources.

The same call appears in the suspect's network records, the victim's network
records and the victim's phone download. The events table keeps every sighting
(each with its own cells and source row); this module says which sightings are
one communication, so counts count communications while the evidence can still
say "seen in both networks' records".

Rules (the contract's, made precise):

- Sightings of different sources match when they have the same sender and
  recipient (E.164 after normalisation; who sent is read from each source's
  direction and owner by ``orient``, whichever side recorded it), the same
  kind, and start within ``tolerance_s`` seconds. A call from A to B and a
  call back from B to A seconds later stay two communications.
- Matching is one to one and nearest first; two rows of one source are never
  merged (a burst of texts seconds apart is many texts).
- The exception is a message to a group: rows of one source with the same
  ``thread``, kind, sender and start are one message sent to several people.
- A sighting flagged ``dst_ambiguous`` (a local time in the repeated autumn
  hour, stored as its first occurrence) matches at that time or one hour later,
  and the communication takes the time of a sighting that is not in doubt.
- Sources are taken in the order they appear; each new source's sightings are
  matched against the communications found so far (at the time of their first
  sighting), so a communication never holds two sightings of one source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from cellsight.analysis.windows import (KeyedTimes, epoch_us, expand_ranges, first_of_groups,
                                        greedy_nearest_matching, sorted_unique)

DEFAULT_TOLERANCE_S = 10.0
# A local time in the repeated autumn hour is stored as its first occurrence and flagged
# ``dst_ambiguous``; the other reading is this much later (one hour in the UK and most zones).
DEFAULT_DST_SHIFT_S = 3600.0


def owners_of(case) -> dict[str, list[str]]:
    """Subject name → numbers, for ``orient``."""
    return {s.name: list(s.numbers) for s in case.subjects}


def orient(events: pd.DataFrame, owners: Mapping[str, Iterable[str]] | None = None
           ) -> tuple[pd.Series, pd.Series]:
    """Who sent and who received each event: ``(sender, recipient)``.

    ``direction`` is as seen by the subject whose source it is. When exactly one
    party is that subject's number, direction decides; otherwise ``party_a`` is
    the sender (the A-party of operator records is the calling party).
    """
    a = events["party_a"]
    b = events["party_b"]
    flip = pd.Series(False, index=events.index)
    if owners and len(events):
        pairs = [(name, number) for name, numbers in owners.items() for number in numbers]
        if pairs:
            owned = pd.MultiIndex.from_tuples(pairs)
            subject = events["subject"].astype(object)
            own_a = pd.MultiIndex.from_arrays([subject, a.astype(object)]).isin(owned)
            own_b = pd.MultiIndex.from_arrays([subject, b.astype(object)]).isin(owned)
            direction = events["direction"].astype(object)
            flip = pd.Series(((direction == "outgoing") & own_b & ~own_a).to_numpy()
                             | ((direction == "incoming") & own_a & ~own_b).to_numpy(),
                             index=events.index)
    sender = a.where(~flip, b)
    recipient = b.where(~flip, a)
    return sender, recipient


def communications(events: pd.DataFrame, tolerance_s: float = DEFAULT_TOLERANCE_S,
                   owners: Mapping[str, Iterable[str]] | None = None,
                   dst_shift_s: float = DEFAULT_DST_SHIFT_S) -> pd.DataFrame:
    """A frame indexed like ``events``: which communication each sighting belongs to.

    Columns: ``comm_id`` (0.. in time order), ``sender``, ``recipient``,
    ``comm_start`` (earliest sighting), ``comm_sightings`` (rows in the
    communication), ``comm_sources`` (source ids that saw it, e.g. ``"S1, S3"``)
    and ``comm_source_count``.
    """
    if tolerance_s < 0:
        raise ValueError("the matching tolerance cannot be negative")
    n = len(events)
    sender, recipient = orient(events, owners)
    out = pd.DataFrame({"sender": sender, "recipient": recipient}, index=events.index)
    if n == 0:
        for col, dtype in (("comm_id", "int64"), ("comm_sightings", "int64"),
                           ("comm_source_count", "int64"), ("comm_sources", object)):
            out[col] = pd.Series(dtype=dtype)
        out["comm_start"] = events["start"]
        return out[["comm_id", "sender", "recipient", "comm_start", "comm_sightings", "comm_sources",
                    "comm_source_count"]]
    times = epoch_us(events["start"])
    source_codes, source_names = pd.factorize(events["source_id"].astype(object), use_na_sentinel=False)
    keys = _pair_keys(sender, recipient, events["kind"])
    units = _group_units(events, sender, source_codes, times)
    flags = events["time_flag"] if "time_flag" in events else pd.Series("", index=events.index)
    ambiguous = (flags == "dst_ambiguous").fillna(False).to_numpy(dtype=bool)
    cluster = _agglomerate(units, keys, times, source_codes, int(round(tolerance_s * 1_000_000)),
                           ambiguous, int(round(dst_shift_s * 1_000_000)))
    return _describe(out, cluster, times, ambiguous, source_codes, np.asarray(source_names, dtype=object))


def for_case(case, events: pd.DataFrame | None = None,
             tolerance_s: float = DEFAULT_TOLERANCE_S) -> pd.DataFrame:
    """``communications`` of a case's events (or a subset of them), oriented by its subjects."""
    return communications(case.events if events is None else events, tolerance_s, owners_of(case))


def _pair_keys(sender: pd.Series, recipient: pd.Series, kind: pd.Series) -> np.ndarray:
    """One integer per (sender, recipient, kind); -1 where a party is missing.

    The pair is ordered: a call from A to B and a call from B to A seconds apart
    are two communications, never sightings of one.
    """
    both = pd.concat([sender, recipient], ignore_index=True).astype(object)
    codes, uniques = pd.factorize(both)
    n = len(sender)
    s, r = codes[:n].astype("int64"), codes[n:].astype("int64")
    kind_codes = pd.factorize(kind.astype(object), use_na_sentinel=False)[0].astype("int64")
    width = len(uniques) + 1
    keys = (s * width + r) * (int(kind_codes.max(initial=0)) + 1) + kind_codes
    return np.where((s < 0) | (r < 0), -1, keys)


def _group_units(events: pd.DataFrame, sender: pd.Series, source_codes: np.ndarray,
                 times: np.ndarray) -> np.ndarray:
    """Unit of each row: its own position, or the first row of its group message in its source."""
    n = len(events)
    unit = np.arange(n, dtype="int64")
    thread = events["thread"]
    grouped = thread.notna().to_numpy()
    if grouped.any():
        frame = pd.DataFrame({
            "source": source_codes[grouped],
            "thread": thread[grouped].astype(object).to_numpy(),
            "kind": events["kind"].astype(object).to_numpy()[grouped],
            "sender": sender.astype(object).fillna("").to_numpy()[grouped],
            "time": times[grouped],
            "pos": unit[grouped],
        })
        first = frame.groupby(["source", "thread", "kind", "sender", "time"], sort=False,
                              dropna=False)["pos"].transform("min")
        unit[grouped] = first.to_numpy()
    return unit


def _agglomerate(unit: np.ndarray, keys: np.ndarray, times: np.ndarray, source_codes: np.ndarray,
                 tolerance_us: int, ambiguous: np.ndarray, shift_us: int) -> np.ndarray:
    """Cluster id (a unit id) of every row, adding one source at a time.

    A unit whose time is ``ambiguous`` (read in the repeated autumn hour, so
    taken as its first occurrence) may really be ``shift_us`` later; it matches
    at either reading, and a communication first seen that way takes the time of
    the first unambiguous sighting that joins it.
    """
    n = len(unit)
    keys = keys.copy()
    keyed_rows = keys >= 0
    keys[keyed_rows] = pd.factorize(keys[keyed_rows])[0]  # dense codes < n: pairs pack into one int64
    cluster_of_unit = np.full(n, -1, dtype="int64")
    cluster_time = np.zeros(n, dtype="int64")  # indexed by cluster id (= its first unit's id)
    cluster_ambiguous = np.zeros(n, dtype=bool)
    anchor_cluster = np.empty(0, dtype="int64")
    anchor_key = np.empty(0, dtype="int64")
    for source in range(int(source_codes.max()) + 1):
        rows = np.flatnonzero(source_codes == source)
        if len(rows) == 0:
            continue
        keyed = rows[keys[rows] >= 0]
        if len(anchor_key) and len(keyed):
            _match_source(keyed, unit, keys, times, ambiguous, shift_us, tolerance_us, anchor_cluster,
                          anchor_key, cluster_time, cluster_ambiguous, cluster_of_unit, n)
        new_units = sorted_unique(unit[rows])
        fresh = new_units[cluster_of_unit[new_units] < 0]
        cluster_of_unit[fresh] = fresh
        cluster_time[fresh] = times[fresh]
        cluster_ambiguous[fresh] = ambiguous[fresh]
        if len(keyed):
            both = _unique_pairs(np.concatenate([anchor_cluster, cluster_of_unit[unit[keyed]]]),
                                 np.concatenate([anchor_key, keys[keyed]]), n)
            anchor_cluster, anchor_key = both[:, 0], both[:, 1]
    return cluster_of_unit[unit]


def _with_alternatives(ids: np.ndarray, times: np.ndarray, ambiguous: np.ndarray,
                       shift_us: int) -> tuple[np.ndarray, np.ndarray]:
    """Each id with its time, plus a second row at ``time + shift`` where ambiguous."""
    return (np.concatenate([ids, ids[ambiguous]]),
            np.concatenate([times, times[ambiguous] + shift_us]))


def _match_source(keyed, unit, keys, times, ambiguous, shift_us, tolerance_us, anchor_cluster, anchor_key,
                  cluster_time, cluster_ambiguous, cluster_of_unit, n) -> None:
    """Match one source's rows to the communications found so far (one to one, nearest first)."""
    anchor_ids = np.arange(len(anchor_key))
    anchor_ids, anchor_times = _with_alternatives(anchor_ids, cluster_time[anchor_cluster],
                                                  cluster_ambiguous[anchor_cluster], shift_us)
    index = KeyedTimes(anchor_key[anchor_ids], anchor_times)
    query_rows, query_times = _with_alternatives(keyed, times[keyed], ambiguous[keyed], shift_us)
    lo, hi = index.ranges(keys[query_rows], query_times - tolerance_us, query_times + tolerance_us)
    query, position = expand_ranges(lo, hi)
    if len(query) == 0:
        return
    cand_unit = unit[query_rows[query]]
    cand_cluster = anchor_cluster[anchor_ids[index.order[position]]]
    cost = np.abs(query_times[query] - index.times[position])
    # One candidate per (unit, communication): the cheaper reading.
    packed = cand_unit * n + cand_cluster
    order = np.lexsort((cost, packed))
    first = order[first_of_groups(packed[order])]
    cand_unit, cand_cluster, cost = cand_unit[first], cand_cluster[first], cost[first]
    take = greedy_nearest_matching(cand_unit, cand_cluster, cost)
    matched_unit, matched_cluster = cand_unit[take], cand_cluster[take]
    cluster_of_unit[matched_unit] = matched_cluster
    settles = cluster_ambiguous[matched_cluster] & ~ambiguous[matched_unit]
    cluster_time[matched_cluster[settles]] = times[matched_unit[settles]]
    cluster_ambiguous[matched_cluster[settles]] = False


def _unique_pairs(first: np.ndarray, second: np.ndarray, bound: int) -> np.ndarray:
    """Distinct ``(first, second)`` rows (both in ``[0, bound)``), sorted, as an (n × 2) array."""
    packed = sorted_unique(first.astype("int64") * bound + second)
    return np.column_stack([packed // bound, packed % bound])


def _describe(out: pd.DataFrame, cluster: np.ndarray, times: np.ndarray, ambiguous: np.ndarray,
              source_codes: np.ndarray, source_names: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"cluster": cluster, "time": times, "source": source_codes})
    grouped = frame.groupby("cluster", sort=True)
    # The communication's time: its earliest sighting whose time is not in doubt, if any.
    settled = pd.Series(np.where(ambiguous, np.iinfo("int64").max, times)).groupby(cluster).min()
    first_time = settled.where(settled != np.iinfo("int64").max, grouped["time"].min())
    ranking = pd.DataFrame({"cluster": first_time.index, "time": first_time.to_numpy()})
    ranking = ranking.sort_values(["time", "cluster"], kind="stable")
    comm_of_cluster = pd.Series(np.arange(len(ranking), dtype="int64"), index=ranking["cluster"].to_numpy())
    comm = comm_of_cluster.reindex(cluster).to_numpy()
    sightings = grouped.size().reindex(cluster).to_numpy()
    distinct = frame.drop_duplicates(["cluster", "source"])
    source_count = distinct.groupby("cluster").size().reindex(cluster).to_numpy()
    labels = _source_labels(distinct, source_names).reindex(cluster).to_numpy()
    start_us = first_time.reindex(cluster).to_numpy().astype("int64")
    comm_start = pd.Series(start_us.view("datetime64[us]"), index=out.index).dt.tz_localize("UTC")
    out = out.assign(comm_id=comm, comm_start=comm_start, comm_sightings=sightings,
                     comm_sources=labels, comm_source_count=source_count)
    return out[["comm_id", "sender", "recipient", "comm_start", "comm_sightings", "comm_sources",
                "comm_source_count"]]


def _source_labels(distinct: pd.DataFrame, source_names: np.ndarray) -> pd.Series:
    """``"S1, S3"`` per cluster, built once per distinct combination of sources."""
    names = np.array([str(s) for s in source_names], dtype=object)
    ordered = distinct.assign(name=names[distinct["source"].to_numpy()]).sort_values(["cluster", "name"])
    if len(source_names) <= 62:
        weights = np.left_shift(np.int64(1), ordered["source"].to_numpy().astype("int64"))
        mask = pd.Series(weights).groupby(ordered["cluster"].to_numpy()).sum()
        combos = pd.unique(mask.to_numpy())
        text = {int(m): ", ".join(sorted(str(names[i]) for i in range(len(names)) if (int(m) >> i) & 1))
                for m in combos}
        return mask.map(text)
    return ordered.groupby("cluster")["name"].agg(", ".join)
