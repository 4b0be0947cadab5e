"""The link chart: who contacts whom across the case's sources, as a graph with counts.

Nodes are numbers (named where a subject or an address book names them); an
edge from A to B counts the communications A sent to B. Counting follows the
contacts analysis exactly: the sightings of one communication in several
sources are matched first (``dedupe``), so a call in both networks' records and
in a phone download is one call; every communication counts, attempts
included; a message to a group counts once for each member it went to (one
edge each), never once per sighting. Withheld and blank parties are no node.

The layout puts the subjects on an inner ring and their contacts around them
(networkx's seeded force-directed layout when no subject is among the
numbers), so that the same case draws the same chart in the workstation and the PDF; the positions travel with
the chart's data so that a storyboard frame is a snapshot of what was shown.
Only the ``max_nodes`` busiest numbers are drawn (subjects always), and the
parameters say how many were left out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis import dedupe
from cellsight.core.case import Case

DEFAULT_MAX_NODES = 40
LAYOUT_SEED = 7
_ROLE_ORDER = {"suspect": 0, "victim": 1, "witness": 2, "other": 3}


def edges(case: Case, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """``sender, recipient, count`` plus one column per kind: communications per ordered pair."""
    events = case.events if events is None else events
    columns = ["sender", "recipient", "count"]
    if events.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else object) for c in columns})
    comms = dedupe.for_case(case, events)
    flags_ok = ~events["party_a_flag"].isin(["withheld", "blank"]).to_numpy() & \
        ~events["party_b_flag"].isin(["withheld", "blank"]).to_numpy()
    frame = pd.DataFrame({"comm_id": comms["comm_id"].to_numpy(), "sender": comms["sender"].astype(object).to_numpy(),
                          "recipient": comms["recipient"].astype(object).to_numpy(),
                          "kind": events["kind"].astype(object).to_numpy()})
    frame = frame[flags_ok].dropna(subset=["sender", "recipient"])
    frame = frame[frame["sender"] != frame["recipient"]]
    # One communication counts once per (sender, recipient), whatever its sightings.
    frame = frame.drop_duplicates(["comm_id", "sender", "recipient"])
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else object) for c in columns})
    kinds = frame.pivot_table(index=["sender", "recipient"], columns="kind", values="comm_id", aggfunc="size",
                              fill_value=0)
    kinds.columns = [str(c) for c in kinds.columns]
    out = kinds.assign(count=kinds.sum(axis=1)).reset_index()
    return out.sort_values(["count", "sender", "recipient"], ascending=[False, True, True], ignore_index=True)


def build(case: Case, events: pd.DataFrame | None = None, max_nodes: int = DEFAULT_MAX_NODES) -> dict[str, Any]:
    """The chart's data: ``nodes`` (with positions in [0, 1]), ``edges``, ``parameters``, ``method``."""
    pairs = edges(case, events)
    names = case.number_names()
    owners = {n: s for s in case.subjects for n in s.numbers}
    totals = pd.concat([pairs.groupby("sender")["count"].sum(), pairs.groupby("recipient")["count"].sum()])
    totals = totals.groupby(level=0).sum()
    subjects = [n for n in totals.index if n in owners]
    others = totals.drop(subjects).sort_values(ascending=False, kind="stable")
    keep = list(subjects) + list(others.index[:max(max_nodes - len(subjects), 0)])
    shown = pairs[pairs["sender"].isin(keep) & pairs["recipient"].isin(keep)]
    kinds = [c for c in shown.columns if c not in ("sender", "recipient", "count")]
    positions = layout(keep, shown, subjects)
    nodes = []
    for number in sorted(keep, key=lambda n: (_ROLE_ORDER.get(owners[n].role, 9) if n in owners else 10,
                                              -int(totals[n]), n)):
        subject = owners.get(number)
        x, y = positions[number]
        nodes.append({"id": number, "name": names.get(number), "subject": subject.name if subject else None,
                      "role": subject.role if subject else None, "total": int(totals[number]),
                      "x": round(float(x), 4), "y": round(float(y), 4)})
    edge_list = [{"source": r.sender, "target": r.recipient, "count": int(r.count),
                  "by_kind": {k: int(getattr(r, k)) for k in kinds if int(getattr(r, k))}}
                 for r in shown.itertuples(index=False)]  # edges among at most max_nodes numbers
    parameters = {"max_nodes": max_nodes, "numbers": int(len(totals)), "numbers_shown": len(keep),
                  "numbers_left_out": int(len(totals) - len(keep)), "edges": len(edge_list),
                  "communications": int(pairs["count"].sum()) if len(pairs) else 0,
                  "dedupe_tolerance_s": dedupe.DEFAULT_TOLERANCE_S}
    return {"nodes": nodes, "edges": edge_list, "parameters": parameters, "method": METHOD}


def layout(numbers: list[str], pairs: pd.DataFrame, subjects: list[str] = ()) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1] × [0, 1].

    With subjects among the numbers: the subjects on an inner ring and every
    other number on an outer ring, beside the subject it has most
    communications with (or, for a number that talks to no subject, beside
    its busiest neighbour's), so that lines run outwards and rarely cross a
    circle. Without: networkx's spring layout, seeded. Either way the same case
    draws the same chart.
    """
    if not numbers:
        return {}
    if len(numbers) == 1:
        return {numbers[0]: (0.5, 0.5)}
    inner = [n for n in subjects if n in set(numbers)]
    raw = _rings(numbers, pairs, inner) if inner else _spring(numbers, pairs)
    xy = np.array([raw[n] for n in numbers], dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 1e-12, high - low, 1.0)
    scaled = 0.06 + 0.88 * (xy - low) / span
    return {n: (float(x), float(y)) for n, (x, y) in zip(numbers, scaled)}


def _weights(pairs: pd.DataFrame) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for r in pairs.itertuples(index=False):
        for key in ((r.sender, r.recipient), (r.recipient, r.sender)):
            out[key] = out.get(key, 0) + int(r.count)
    return out


def _rings(numbers: list[str], pairs: pd.DataFrame, inner: list[str]) -> dict[str, tuple[float, float]]:
    weight = _weights(pairs)
    angle = {s: 2 * math.pi * i / len(inner) for i, s in enumerate(inner)}
    others = [n for n in numbers if n not in angle]
    home: dict[str, int] = {}
    for n in others:  # the subject it talks to most
        best = max(range(len(inner)), key=lambda i: (weight.get((n, inner[i]), 0), -i))
        if weight.get((n, inner[best]), 0):
            home[n] = best
    for n in others:  # else its busiest neighbour's subject
        if n not in home:
            near = sorted((w, m) for (a, m), w in weight.items() if a == n and m in home)
            home[n] = home[near[-1][1]] if near else len(inner)
    ordered = sorted(others, key=lambda n: (home[n], -sum(w for (a, _), w in weight.items() if a == n), n))
    out = {s: (0.35 * math.cos(a), 0.35 * math.sin(a)) for s, a in angle.items()}
    if not ordered:
        return out
    step = 2 * math.pi / len(ordered)
    first_group = sum(1 for n in ordered if home[n] == home[ordered[0]])
    turn = angle.get(inner[home[ordered[0]]] if home[ordered[0]] < len(inner) else inner[0], 0.0) \
        - step * (first_group - 1) / 2
    for i, n in enumerate(ordered):
        out[n] = (math.cos(turn + i * step), math.sin(turn + i * step))
    return out


def _spring(numbers: list[str], pairs: pd.DataFrame) -> dict[str, tuple[float, float]]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(numbers))
    graph.add_edges_from((r.sender, r.recipient) for r in pairs.itertuples(index=False))
    return nx.spring_layout(graph, seed=LAYOUT_SEED, k=2.5 / math.sqrt(len(numbers)), iterations=300)


METHOD = ("Each line is the communications from one number to another (the arrow points to the "
          "recipient), counted as the contacts analysis counts them: calls (answered or not), texts, "
          "multimedia and chat messages in the case's exhibits, one communication seen in several "
          "exhibits counted once, a message to a group once for each member it went to. Withheld and "
          "blank numbers are left out. Names are those of the case's subjects, else of address-book "
          "entries in phone downloads; a name does not show who used a number.")
