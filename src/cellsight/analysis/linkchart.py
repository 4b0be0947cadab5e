"""The link chart: who contacts whom across the case's sources, as a graph with counts.

Nodes are numbers (named where a subject or an address book names them); an
edge from A to B counts the communications A sent to B. Counting follows the
contacts analysis exactly: the sightings of one communication in several
sources are matched first (``dedupe``), so a call in both networks' records and
in a phone download is one call; every communication counts, attempts
included; a message to a group counts once for each member it went to (one
edge each), never once per sighting. Withheld and blank parties are no node.

The layout is networkx's force-directed one, seeded, so that the same case
draws the same chart in the workstation and the PDF; the positions travel with
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
    positions = layout(keep, shown)
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


def layout(numbers: list[str], pairs: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1] × [0, 1]: networkx's spring layout, seeded, spread so labels can be read."""
    import networkx as nx

    if not numbers:
        return {}
    graph = nx.Graph()
    graph.add_nodes_from(sorted(numbers))
    for r in pairs.itertuples(index=False):
        weight = 1.0 + math.log1p(int(r.count))
        if graph.has_edge(r.sender, r.recipient):
            graph[r.sender][r.recipient]["weight"] += weight
        else:
            graph.add_edge(r.sender, r.recipient, weight=weight)
    if len(numbers) == 1:
        return {numbers[0]: (0.5, 0.5)}
    raw = nx.spring_layout(graph, seed=LAYOUT_SEED, weight=None, k=2.5 / math.sqrt(len(numbers)),
                           iterations=300)
    xy = np.array([raw[n] for n in numbers], dtype=float)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 1e-12, high - low, 1.0)
    scaled = 0.06 + 0.88 * (xy - low) / span
    return {n: (float(x), float(y)) for n, (x, y) in zip(numbers, scaled)}


METHOD = ("Each line is the communications from one number to another (the arrow points to the "
          "recipient), counted as the contacts analysis counts them: calls (answered or not), texts, "
          "multimedia and chat messages in the case's exhibits, one communication seen in several "
          "exhibits counted once, a message to a group once for each member it went to. Withheld and "
          "blank numbers are left out. Names are those of the case's subjects, else of address-book "
          "entries in phone downloads; a name does not show who used a number.")
