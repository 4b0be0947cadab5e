"""Matching sightings of one communication across sources, against a slow reference."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import dedupe
from factories import add_events, new_case

T0 = pd.Timestamp("2023-03-26T00:30:00Z")  # the London spring change is at 01:00 UTC
NUMBERS = ["+447700900001", "+447700900002", "+447700900003"]


def frame(rows: list[dict]) -> pd.DataFrame:
    """A bare events frame (the columns dedupe reads) from rows with ``t`` in seconds."""
    return pd.DataFrame({
        "start": pd.Series([T0 + pd.Timedelta(seconds=r["t"]) for r in rows], dtype="datetime64[us, UTC]"),
        "kind": [r.get("kind", "sms") for r in rows],
        "direction": [r.get("direction", "outgoing") for r in rows],
        "party_a": pd.Series([r.get("a") for r in rows], dtype=object),
        "party_b": pd.Series([r.get("b") for r in rows], dtype=object),
        "thread": pd.Series([r.get("thread") for r in rows], dtype=object),
        "subject": [r.get("subject", "x") for r in rows],
        "source_id": [r["source"] for r in rows],
        "time_flag": ["dst_ambiguous" if r.get("amb") else "" for r in rows],
    })


def reference(rows: list[dict], tolerance_s: float, shift_s: float = 3600) -> set[frozenset[int]]:
    """The rules written out one row at a time; returns the partition of row numbers."""
    unit_of, first_of_group = [], {}
    for i, r in enumerate(rows):
        if r.get("thread") is not None:
            key = (r["source"], r["thread"], r.get("kind", "sms"), r.get("a"), r["t"])
            unit_of.append(first_of_group.setdefault(key, i))
        else:
            unit_of.append(i)

    def pair_key(r):
        if r.get("a") is None or r.get("b") is None:
            return None
        return r["a"], r["b"], r.get("kind", "sms")  # sender first: direction matters

    tol, shift = round(tolerance_s * 1_000_000), round(shift_s * 1_000_000)

    def readings(i):  # an ambiguous time may be its first occurrence or one shift later
        t = round(rows[i]["t"] * 1_000_000)
        return {t, t + shift} if rows[i].get("amb") else {t}

    cluster_of, cluster_times, cluster_keys = {}, {}, defaultdict(set)
    for source in dict.fromkeys(r["source"] for r in rows):
        units = sorted({unit_of[i] for i, r in enumerate(rows) if r["source"] == source})
        keys = {u: {pair_key(rows[i]) for i in range(len(rows)) if unit_of[i] == u} - {None} for u in units}
        candidates = []
        for u in units:
            for c, times in cluster_times.items():
                cost = min(abs(x - y) for x in readings(u) for y in times)
                if keys[u] & cluster_keys[c] and cost <= tol:
                    candidates.append((cost, c, u))
        used_u, used_c = set(), set()
        for _cost, c, u in sorted(candidates):
            if u not in used_u and c not in used_c:
                used_u.add(u)
                used_c.add(c)
                cluster_of[u] = c
                if len(cluster_times[c]) > 1 and len(readings(u)) == 1:
                    cluster_times[c] = readings(u)
        for u in units:
            if u not in cluster_of:
                cluster_of[u] = u
                cluster_times[u] = readings(u)
        for u in units:
            cluster_keys[cluster_of[u]] |= keys[u]
    groups = defaultdict(set)
    for i in range(len(rows)):
        groups[cluster_of[unit_of[i]]].add(i)
    return {frozenset(g) for g in groups.values()}


def partition(result: pd.DataFrame) -> set[frozenset[int]]:
    groups = defaultdict(set)
    for i, comm in enumerate(result["comm_id"]):
        groups[comm].add(i)
    return {frozenset(g) for g in groups.values()}


row = st.fixed_dictionaries({
    "t": st.integers(0, 40).map(lambda s: s / 2),  # half seconds: many ties and exact 10 s gaps
    "source": st.sampled_from(["S1", "S2", "S3"]),
    "a": st.sampled_from(NUMBERS + [None]),
    "b": st.sampled_from(NUMBERS[:2]),
    "kind": st.sampled_from(["sms", "call"]),
    "thread": st.sampled_from([None, None, "g1"]),
    "amb": st.sampled_from([False, False, True]),
})


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(row, max_size=30), tolerance=st.sampled_from([0.0, 2.0, 10.0]),
       shift=st.sampled_from([3.0, 3600.0]))
def test_matches_reference(rows, tolerance, shift):
    for r in rows:  # a group message's rows share one time, hence one flag
        if r["thread"] is not None:
            r["amb"] = False
    result = dedupe.communications(frame(rows), tolerance, dst_shift_s=shift)
    assert partition(result) == reference(rows, tolerance, shift)
    # Never two rows of one source in a communication, unless they are one group message.
    for members in partition(result):
        by_source = defaultdict(list)
        for i in members:
            by_source[rows[i]["source"]].append(i)
        for same in by_source.values():
            if len(same) > 1:
                assert all(rows[i]["thread"] is not None for i in same)
                assert len({rows[i]["t"] for i in same}) == 1
    if rows:
        assert (result.groupby("comm_id")["comm_start"].min().diff().dropna() >= pd.Timedelta(0)).all()
        counts = result.groupby("comm_id").size()
        assert (result["comm_sightings"].to_numpy() == counts.reindex(result["comm_id"]).to_numpy()).all()


def test_one_call_in_three_sources_counts_once_and_says_where():
    rows = [{"t": 0, "source": "S1", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"},
            {"t": 4, "source": "S2", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"},  # callee's network
            {"t": 10, "source": "S3", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"},  # exactly 10 s: in
            {"t": 10.5, "source": "S1", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"},  # 10.5 s: a new call
            {"t": 10.25, "source": "S3", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"}]  # nearest to it
    result = dedupe.communications(frame(rows))
    assert list(result["comm_id"]) == [0, 0, 0, 1, 1]
    assert list(result["comm_sources"]) == ["S1, S2, S3"] * 3 + ["S1, S3"] * 2
    assert list(result["comm_sightings"]) == [3, 3, 3, 2, 2]


def test_calls_in_opposite_directions_seconds_apart_are_two_communications():
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    add_events(case, "Sam", [{"start": T0, "kind": "call", "direction": "outgoing",
                              "party_a": "07700900001", "party_b": "07700900002"}])
    # Vic's records, target first: her call back to Sam three seconds later.
    add_events(case, "Vic", [{"start": T0 + pd.Timedelta(seconds=3), "kind": "call",
                              "direction": "outgoing", "party_a": "07700900002",
                              "party_b": "07700900001"}])
    comms = dedupe.for_case(case)
    assert comms["comm_id"].nunique() == 2
    assert list(comms["sender"]) == [NUMBERS[0], NUMBERS[1]]


def test_a_burst_in_one_source_is_many_texts_and_kinds_do_not_mix():
    rows = [{"t": t, "source": "S1", "a": NUMBERS[0], "b": NUMBERS[1]} for t in (0, 1, 2)]
    rows += [{"t": 1, "source": "S2", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"}]
    result = dedupe.communications(frame(rows))
    assert result["comm_id"].nunique() == 4


def test_group_message_counts_once_and_matches_each_recipients_copy():
    rows = [{"t": 0, "source": "S1", "a": NUMBERS[0], "b": NUMBERS[1], "thread": "g", "kind": "chat"},
            {"t": 0, "source": "S1", "a": NUMBERS[0], "b": NUMBERS[2], "thread": "g", "kind": "chat"},
            {"t": 1, "source": "S2", "a": NUMBERS[0], "b": NUMBERS[2], "thread": "g7", "kind": "chat"},
            {"t": 0, "source": "S1", "a": NUMBERS[1], "b": NUMBERS[2], "thread": "g", "kind": "chat"}]
    result = dedupe.communications(frame(rows))
    assert list(result["comm_id"]) == [0, 0, 0, 1]  # another sender in the same thread is another message


def test_a_time_in_the_repeated_hour_matches_its_second_reading():
    # The suspect's records were in local time: 01:07:40 GMT became 01:07:40 BST (an hour early).
    rows = [{"t": 0, "source": "S1", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call", "amb": True},
            {"t": 3602, "source": "S2", "a": NUMBERS[0], "b": NUMBERS[1], "kind": "call"},
            {"t": 3, "source": "S2", "a": NUMBERS[0], "b": NUMBERS[2], "kind": "call"}]
    result = dedupe.communications(frame(rows))
    assert list(result["comm_id"]) == [1, 1, 0]
    assert result["comm_start"].iloc[0] == T0 + pd.Timedelta(seconds=3602)  # the time not in doubt


def test_missing_party_never_matches():
    rows = [{"t": 0, "source": "S1", "a": None, "b": NUMBERS[1]},
            {"t": 0, "source": "S2", "a": None, "b": NUMBERS[1]}]
    assert dedupe.communications(frame(rows))["comm_id"].nunique() == 2


def test_empty():
    result = dedupe.communications(frame([]))
    assert result.empty and "comm_id" in result.columns


def test_orient_uses_direction_of_the_sources_owner():
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    # A layout that writes the target first: party_a is the owner whatever the direction.
    add_events(case, "Vic", [
        {"start": T0, "kind": "sms", "direction": "incoming", "party_a": "07700900002", "party_b": "07700900001"},
        {"start": T0, "kind": "sms", "direction": "outgoing", "party_a": "07700900002", "party_b": "07700900001"},
    ])
    # The A-party layout: party_a is the sender.
    add_events(case, "Sam", [
        {"start": T0, "kind": "sms", "direction": "outgoing", "party_a": "07700900001", "party_b": "07700900002"},
        {"start": T0, "kind": "sms", "direction": "unknown", "party_a": "07700900002", "party_b": "07700900001"},
    ])
    sender, recipient = dedupe.orient(case.events, dedupe.owners_of(case))
    assert list(sender) == [NUMBERS[0], NUMBERS[1], NUMBERS[0], NUMBERS[1]]
    assert list(recipient) == [NUMBERS[1], NUMBERS[0], NUMBERS[1], NUMBERS[0]]
    comms = dedupe.for_case(case)
    # Vic's incoming text (from Sam) and Sam's outgoing one are the same text; the other two differ
    # in direction but share parties, kind and time, so they pair up one to one as well.
    assert comms["comm_id"].nunique() == 2
    assert np.array_equal(comms["comm_sightings"].to_numpy(), [2, 2, 2, 2])
