"""Selections are predicates over any case table, combinable with & | ~ and JSON round-trippable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core import schema
from cellsight.core.selection import (
    And, BBox, Everything, Kinds, Not, Or, Parties, RowIds, Selection, SourceRows, Subjects,
    TimeRange, table_name,
)

A, B, C = "+447700900001", "+447700900002", "+447700900003"
T0 = pd.Timestamp("2024-03-01T00:00", tz="UTC")


def _events() -> pd.DataFrame:
    rows = {
        "start": [T0 + pd.Timedelta(hours=h) for h in (0, 5, 24, 48, 72)],
        "kind": ["call", "sms", "call", "chat", "sms"],
        "direction": ["outgoing", "incoming", "outgoing", "outgoing", "incoming"],
        "party_a": [A, B, A, C, B],
        "party_b": [B, A, C, A, C],
        "cell_first": ["234-30-1-1", None, "234-30-1-2", None, "234-30-1-1"],
        "cell_last": [None, None, None, None, "234-30-1-2"],
        "subject": ["Ann", "Ann", "Ann", "Cy", "Bob"],
        "source_id": ["S1", "S1", "S1", "S2", "S2"],
        "source_row": ["2", "3", "4", "2", "3"],
    }
    return schema.conform(pd.DataFrame(rows), "events")


def _locations() -> pd.DataFrame:
    rows = {"time": [T0, T0 + pd.Timedelta(days=2)], "lat": [51.5, 52.5], "lon": [-0.1, -1.5],
            "subject": ["Ann", "Bob"], "source_id": ["S3", "S3"], "source_row": ["1", "2"]}
    return schema.conform(pd.DataFrame(rows), "locations")


def _cells() -> pd.DataFrame:
    rows = {"key": ["234-30-1-1", "234-30-1-2"], "lat": [51.50, 53.0], "lon": [-0.12, -2.0]}
    return schema.conform(pd.DataFrame(rows), "cells")


def test_table_name_recognises_every_case_table() -> None:
    for name in schema.TABLES:
        assert table_name(schema.empty(name)) == name


def test_time_range_is_inclusive_and_applies_by_each_tables_time_column() -> None:
    sel = TimeRange(T0 + pd.Timedelta(hours=5), T0 + pd.Timedelta(days=2))
    assert sel.to_mask(_events()).tolist() == [False, True, True, True, False]
    assert sel.to_mask(_locations()).tolist() == [False, True]
    assert sel.to_mask(_cells()).tolist() == [True, True]  # cells have no time: unconstrained


def test_time_range_rejects_naive_times_and_orders_its_ends() -> None:
    with pytest.raises(ValueError, match="no zone"):
        TimeRange(pd.Timestamp("2024-01-01"), T0)
    reversed_range = TimeRange(T0 + pd.Timedelta(days=1), T0)
    assert reversed_range.start == T0


def test_parties_any_and_pair() -> None:
    events = _events()
    assert Parties({C}).to_mask(events).tolist() == [False, False, True, True, True]
    assert Parties({A}, {C}).to_mask(events).tolist() == [False, False, True, True, False]
    contacts = schema.conform(pd.DataFrame({"number": [A, C], "source_id": ["S1", "S1"]}), "contacts")
    assert Parties({C}).to_mask(contacts).tolist() == [False, True]
    assert Parties({C}).to_mask(_locations()).all()


def test_subjects_kinds_rows_and_source_rows() -> None:
    events = _events()
    assert Subjects({"Ann"}).to_mask(events).tolist() == [True, True, True, False, False]
    assert Subjects({"Bob"}).to_mask(_locations()).tolist() == [False, True]
    assert Kinds({"sms"}).to_mask(events).tolist() == [False, True, False, False, True]
    assert RowIds("events", [0, 4]).to_mask(events).tolist() == [True, False, False, False, True]
    # a cut of the table keeps its index, and RowIds still finds the same rows
    assert RowIds("events", [4]).to_mask(events.iloc[3:]).tolist() == [False, True]
    assert RowIds("events", [0]).to_mask(_locations()).all()
    pairs = SourceRows({("S2", "3"), ("S1", "2"), ("S3", "2")})
    assert pairs.to_mask(events).tolist() == [True, False, False, False, True]
    assert pairs.to_mask(_locations()).tolist() == [False, True]


def test_bbox_places_events_by_their_cells() -> None:
    box = BBox(51.0, -1.0, 52.0, 0.0)
    tables = {"cells": _cells()}
    assert box.to_mask(_cells()).tolist() == [True, False]
    assert box.to_mask(_locations()).tolist() == [True, False]
    assert box.to_mask(_events(), tables=tables).tolist() == [True, False, False, False, True]
    assert not box.to_mask(_events()).any()  # no cell list: no event can be placed


def test_algebra() -> None:
    events = _events()
    ann, calls = Subjects({"Ann"}), Kinds({"call"})
    assert (ann & calls).to_mask(events).tolist() == [True, False, True, False, False]
    assert (ann | calls).to_mask(events).tolist() == [True, True, True, False, False]
    assert (~ann).to_mask(events).tolist() == [False, False, False, True, True]
    assert ~~ann == ann
    assert (Everything() & ann) is ann and (ann & Everything()) is ann
    assert isinstance(ann | Everything(), Everything)
    # a part that says nothing about a table stays silent, even negated
    assert (~TimeRange(T0, T0)).to_mask(_cells()).all()
    assert (ann | TimeRange(T0, T0)).to_mask(_cells()).all()
    assert isinstance(ann & calls & Kinds({"sms"}), And)
    assert len((ann & calls & Kinds({"sms"})).parts) == 3


def test_describe_uses_the_zone() -> None:
    sel = TimeRange(pd.Timestamp("2024-07-01T10:00", tz="UTC"), pd.Timestamp("2024-07-01T11:00", tz="UTC"))
    assert sel.describe("Europe/London") == "2024-07-01 11:00 – 2024-07-01 12:00"


_leaf = st.one_of(
    st.builds(lambda h, d: TimeRange(T0 + pd.Timedelta(hours=h), T0 + pd.Timedelta(hours=h + d)),
              st.integers(0, 80), st.integers(0, 80)),
    st.builds(Parties, st.sets(st.sampled_from([A, B, C]), min_size=1)),
    st.builds(Subjects, st.sets(st.sampled_from(["Ann", "Bob", "Cy"]), min_size=1)),
    st.builds(Kinds, st.sets(st.sampled_from(["call", "sms", "chat"]), min_size=1)),
    st.builds(lambda r: RowIds("events", r), st.lists(st.integers(0, 4), max_size=5)),
)
_tree = st.recursive(_leaf, lambda inner: st.one_of(
    st.builds(lambda a, b: a & b, inner, inner), st.builds(lambda a, b: a | b, inner, inner),
    st.builds(Not, inner)), max_leaves=6)


@settings(max_examples=120, deadline=None)
@given(_tree)
def test_masks_obey_boolean_algebra_and_survive_json(sel: Selection) -> None:
    events = _events()
    mask = sel.to_mask(events)
    assert mask.dtype == bool and len(mask) == len(events)
    assert np.array_equal((~sel).to_mask(events), ~mask)  # every leaf applies to events
    assert np.array_equal(Selection.from_dict(sel.to_dict()).to_mask(events), mask)
    assert Selection.from_dict(sel.to_dict()) == sel
    assert isinstance(sel.describe("Europe/London"), str)


def test_from_dict_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown selection kind"):
        Selection.from_dict({"kind": "telepathy"})
    assert isinstance(Or.of(Kinds({"sms"}), Kinds({"call"})), Or)


def test_mask_cache_reuses_leaf_masks_per_frame_and_keeps_them_read_only() -> None:
    from cellsight.core.selection import MaskCache

    events = _events()
    cache = MaskCache(size=4)
    calls = []
    original = Parties._mask

    def counting(self, df, table, tables):
        calls.append(1)
        return original(self, df, table, tables)

    Parties._mask = counting
    try:
        pair = Parties({A}, {C})
        first = (pair & Kinds({"call"})).to_mask(events, cache=cache)
        second = (pair & Subjects({"Ann"})).to_mask(events, cache=cache)
        assert len(calls) == 1  # the parties leaf was computed once for both
        assert first.tolist() == [False, False, True, False, False]
        assert second.tolist() == [False, False, True, False, False]
        assert not pair.to_mask(events, cache=cache).flags.writeable
        other = events.copy()  # a different frame (a new case) is never served the old mask
        pair.to_mask(other, cache=cache)
        assert len(calls) == 2
        for kind in ("call", "sms", "chat", "mms", "data"):
            Kinds({kind}).to_mask(events, cache=cache)
        assert len(cache) == 4
        cache.clear()
        assert len(cache) == 0
    finally:
        Parties._mask = original
