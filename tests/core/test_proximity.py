"""Proximity against a reference written the slow, obvious way (every A item against every B item)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cellsight.analysis import proximity
from cellsight.analysis.proximity import Points, _Grid, nearest_within
from cellsight.cli import main
from cellsight.core import geo
from cellsight.core.case import CaseError
from factories import add_cells, add_events, add_fixes, new_case, save

T0 = pd.Timestamp("2023-10-29T00:00:00Z")  # the autumn change in London: 01:00 happens twice
SAM, VIC = "07700 900001", "07700 900002"


def people():
    return new_case({"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})


# ----- the reference -------------------------------------------------------------------
def reference_matches(a: list[tuple], b: list[tuple], distance_m: float, window_s: float) -> dict:
    """A index → (distance, b index) of its nearest B item within window and distance.

    Items are (time_seconds, lat, lon). Ties: nearer, then earlier B, then lower B index.
    """
    out = {}
    for i, (ta, la, lo) in enumerate(a):
        best = None
        for j, (tb, lb, lob) in enumerate(b):
            if abs(tb - ta) > window_s:
                continue
            d = float(geo.haversine_m(np.array([la]), np.array([lo]), np.array([lb]), np.array([lob]))[0])
            if d <= distance_m and (best is None or (d, tb, j) < best):
                best = (d, tb, j)
        if best is not None:
            out[i] = (best[0], best[2])
    return out


def reference_occasions(hit_times: list[float], gap_s: float) -> list[list[int]]:
    occasions: list[list[int]] = []
    order = sorted(range(len(hit_times)), key=lambda i: hit_times[i])
    previous = None
    for i in order:
        if previous is None or hit_times[i] - previous >= gap_s:
            occasions.append([])
        occasions[-1].append(i)
        previous = hit_times[i]
    return occasions


def _points(items: list[tuple]) -> Points:
    arr = np.array(items, dtype="float64").reshape(-1, 3)
    return Points(np.arange(len(arr), dtype="int64"), (arr[:, 0] * 1_000_000).astype("int64"),
                  arr[:, 1].copy(), arr[:, 2].copy())


def _engine(a, b, distance_m, window_s, max_pairs=proximity._MAX_PAIRS) -> dict:
    found = nearest_within(_points(a), _points(b), distance_m, int(round(window_s * 1_000_000)), max_pairs)
    return {int(r.a): (float(r.distance_m), int(r.b)) for r in found.itertuples(index=False)}


# Tracks on a small patch so that many pairs are near the threshold; integer seconds make ties.
coordinate = st.tuples(st.integers(0, 600), st.floats(51.5, 51.503), st.floats(-0.103, -0.1))
track = st.lists(coordinate, min_size=0, max_size=25)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=track, b=track, distance=st.sampled_from([0.0, 25.0, 120.0, 400.0]),
       window=st.sampled_from([0.0, 30.0, 120.0]), use_edge=st.booleans(),
       max_pairs=st.sampled_from([1, 7, 2_000_000]))
def test_engine_equals_reference(a, b, distance, window, use_edge, max_pairs):
    if use_edge and a and b:
        # Put the thresholds exactly on a pair: distance and window both inclusive.
        distance = float(geo.haversine_m(np.array([a[0][1]]), np.array([a[0][2]]),
                                         np.array([b[-1][1]]), np.array([b[-1][2]]))[0])
        window = float(abs(a[0][0] - b[-1][0]))
    assert _engine(a, b, distance, window, max_pairs) == reference_matches(a, b, distance, window)


def test_exact_threshold_and_window_edges_are_inclusive():
    a = [(100, 51.5, -0.1)]
    lat2, lon2 = geo.destination(51.5, -0.1, 45.0, 200.0)
    b = [(400, float(lat2), float(lon2))]
    d = float(geo.haversine_m(51.5, -0.1, lat2, lon2))
    assert _engine(a, b, d, 300) == {0: (d, 0)}
    assert _engine(a, b, np.nextafter(d, 0), 300) == {}
    assert _engine(a, b, d, 299.999999) == {}


def test_identical_positions_at_distance_zero():
    a = [(0, 51.5, -0.1), (10, 51.5, -0.1000001)]
    b = [(5, 51.5, -0.1)]
    assert _engine(a, b, 0.0, 60) == {0: (0.0, 0)}


@pytest.mark.parametrize("lat, lon, bearing, distance", [
    (51.5, 179.9995, 90.0, 150.0),  # across the antimeridian
    (-33.9, -179.9999, 270.0, 50.0),
    (89.9999, 10.0, 180.0, 30.0),  # near the pole, where longitude cells widen
    (89.99995, 0.0, 0.0, 20.0),  # over the pole
    (0.0, 0.0, 90.0, 5_000_000.0),  # a huge distance
])
def test_grid_never_misses_a_pair(lat, lon, bearing, distance):
    lat2, lon2 = geo.destination(lat, lon, bearing, distance * 0.999)
    a = [(0, lat, lon)]
    b = [(0, float(lat2), float(lon2))]
    found = _engine(a, b, distance, 0)
    assert found == {0: (float(geo.haversine_m(lat, lon, lat2, lon2)), 0)}
    assert found[0][0] == pytest.approx(distance * 0.999, rel=1e-4)  # destination() is coarse at a pole


@settings(max_examples=80, deadline=None)
@given(lat=st.floats(-89.9, 89.9), lon=st.floats(-180, 180), bearing=st.floats(0, 360),
       distance=st.floats(0.5, 50_000))
def test_grid_neighbours_cover_every_pair_within_distance(lat, lon, bearing, distance):
    lat2, lon2 = geo.destination(lat, lon, bearing, distance)
    real = float(geo.haversine_m(lat, lon, lat2, lon2))
    grid = _Grid(real, max(abs(lat), abs(float(lat2))))
    cell_b = grid.cells(np.array([lat2]), np.array([lon2]))[0]
    assert cell_b in grid.neighbours(np.array([lat]), np.array([lon]))[0]


def test_hits_and_occasions_match_reference_on_a_case():
    rng = np.random.default_rng(5)
    case = people()
    a_items = [(int(t), 51.5 + rng.uniform(0, 0.004), -0.1 + rng.uniform(0, 0.004))
               for t in np.sort(rng.integers(0, 4 * 3600, 60))]
    b_items = [(int(t), 51.5 + rng.uniform(0, 0.004), -0.1 + rng.uniform(0, 0.004))
               for t in np.sort(rng.integers(0, 4 * 3600, 60))]
    to_rows = lambda items: [{"time": T0 + pd.Timedelta(seconds=t), "lat": la, "lon": lo}
                             for t, la, lo in items]
    add_fixes(case, "Sam", to_rows(a_items))
    add_fixes(case, "Vic", to_rows(b_items))
    result = proximity.run(case, "sam", "07700900002", distance_m=150, window_min=5, gap_min=20)
    expected = reference_matches(a_items, b_items, 150, 300)
    assert len(result.hits) == len(expected)
    occasions = reference_occasions([a_items[i][0] for i in sorted(expected)], 20 * 60)
    assert len(result.occasions) == len(occasions) > 1
    hit_ids = sorted(expected)
    for row, members in zip(result.occasions.itertuples(index=False), occasions):
        assert row.hits == len(members)
        assert row.min_distance_m == pytest.approx(min(expected[hit_ids[i]][0] for i in members), abs=1e-9)
        assert row.start == T0 + pd.Timedelta(seconds=a_items[hit_ids[members[0]]][0])
        sam_rows = {f"S1:{hit_ids[i] + 1}" for i in members}
        vic_rows = {f"S2:{expected[hit_ids[i]][1] + 1}" for i in members}
        assert set(row.rows) == sam_rows | vic_rows
    doc = result.to_json("Europe/London")
    assert doc["count"] == len(occasions) and doc["b"] == "Vic" and doc["distance_m"] == 150.0
    assert doc["occasions"][0]["start"].endswith(("+01:00", "+00:00"))
    assert doc["occasions"][0]["evidence"]["methods"] == ["gps"]


def test_gap_is_strict_and_occasions_cross_the_autumn_change():
    case = people()
    # Fixes at 00:30 UTC (01:30 BST) and 01:30 UTC (01:30 GMT): the same wall clock twice.
    times = [T0 + pd.Timedelta(minutes=30), T0 + pd.Timedelta(minutes=90), T0 + pd.Timedelta(minutes=149)]
    add_fixes(case, "Sam", [{"time": t, "lat": 51.5, "lon": -0.1} for t in times])
    add_fixes(case, "Vic", [{"time": t, "lat": 51.5001, "lon": -0.1} for t in times])
    result = proximity.run(case, "Sam", "Vic", gap_min=60)
    assert list(result.occasions["hits"]) == [1, 2]  # exactly 60 min apart starts a new occasion
    doc = result.to_json("Europe/London")
    assert [o["start"] for o in doc["occasions"]] == ["2023-10-29T01:30:00+01:00", "2023-10-29T01:30:00+00:00"]
    assert doc["occasions"][0]["min_distance_m"] == round(float(geo.haversine_m(51.5, -0.1, 51.5001, -0.1)), 1)


def test_one_side_only_and_empty():
    case = people()
    add_fixes(case, "Sam", [{"time": T0, "lat": 51.5, "lon": -0.1}])
    add_fixes(case, "Vic", [{"time": T0, "lat": 95.0, "lon": -0.1}])  # off the globe: not a position
    result = proximity.run(case, "Sam", "Vic")
    assert result.to_json("UTC")["count"] == 0 and result.hits.empty
    assert any("Vic has no location fixes" in note for note in result.limitations)
    assert any("1 location rows of Vic have no usable position" in note for note in result.limitations)
    assert "0 occasions" in result.describe("UTC")


def _cell_case():
    case = people()
    add_cells(case, [{"key": "234-30-10-1", "lat": 51.5, "lon": -0.1, "technology": "LTE"},
                     {"key": "234-30-10-2", "lat": 51.5, "lon": -0.1},  # same site, another sector
                     {"key": "234-30-10-3", "lat": 51.51, "lon": -0.1},
                     {"key": "234-30-10-4"}])  # listed without a position
    call = {"kind": "call", "direction": "outgoing", "party_a": SAM, "party_b": VIC}
    add_events(case, "Sam", [
        {**call, "start": T0, "cell_first": "234-30-10-1"},
        {**call, "start": T0 + pd.Timedelta(minutes=10), "cell_first": "234-30-10-3",
         "cell_last": "?-?-10-2"},  # no MCC/MNC in the records: links by LAC and CI
        {**call, "start": T0 + pd.Timedelta(minutes=20), "cell_first": "234-30-10-9"},  # unlisted
        {**call, "start": T0 + pd.Timedelta(minutes=30), "cell_first": "234-30-10-4"},
    ])
    add_events(case, "Vic", [
        {"kind": "sms", "direction": "incoming", "party_a": SAM, "party_b": VIC,
         "start": T0 + pd.Timedelta(minutes=4), "cell_first": "234-30-10-2"},
        {"kind": "data", "direction": "outgoing", "party_a": VIC,
         "start": T0 + pd.Timedelta(minutes=14), "cell_first": "234-30-10-1"},
    ])
    return case


def test_cell_method_same_site_at_distance_zero():
    case = _cell_case()
    result = proximity.run(case, "Sam", "Vic", method="cell", distance_m=0, window_min=5)
    # Sam's first call (site of cells 1 and 2) matches Vic's sms 4 min later; the second call's
    # last cell is on that site too and Vic's data session 4 min later used cell 1.
    assert len(result.hits) == 2
    assert list(result.hits["distance_m"]) == [0.0, 0.0]
    assert set(result.hits["method"]) == {"cell"}
    assert any("2 network events of Sam" in note for note in result.limitations)
    statement = result.method_statement
    assert "consistent with" in statement and "does not show where" in statement
    doc = result.to_json("UTC")
    assert doc["occasions"][0]["evidence"] == {"methods": ["cell"], "rows": ["S2:1", "S2:2", "S3:1", "S3:2"]}


def test_cell_method_distance_and_window():
    case = _cell_case()
    assert len(proximity.run(case, "Sam", "Vic", method="cell", distance_m=0, window_min=3.99).hits) == 0
    far = proximity.run(case, "Sam", "Vic", method="cell", distance_m=1200, window_min=5)
    assert len(far.hits) == 2 and far.hits["distance_m"].min() == 0.0


def test_any_method_compares_fixes_with_sites():
    case = _cell_case()
    add_fixes(case, "Vic", [{"time": T0 + pd.Timedelta(minutes=31), "lat": 51.5101, "lon": -0.1}])
    add_fixes(case, "Sam", [{"time": T0 + pd.Timedelta(minutes=50), "lat": 51.5, "lon": -0.1}])
    add_events(case, "Vic", [{"kind": "data", "direction": "outgoing", "party_a": VIC,
                              "start": T0 + pd.Timedelta(minutes=52), "cell_first": "234-30-10-1"}])
    assert proximity.run(case, "Sam", "Vic", method="gps").hits.empty  # 19 minutes apart
    both = proximity.run(case, "Sam", "Vic", method="any", distance_m=50)
    assert list(both.hits["method"]) == ["cell", "cell", "fix-site"]
    assert list(both.hits["a_type"]) == ["cell", "cell", "fix"]
    assert both.to_json("UTC")["occasions"][0]["evidence"]["methods"] == ["cell"]
    assert "fixes with the other's serving sites" in both.method_statement


def test_place_method_and_default_radius():
    case = people()
    case.set_place("Home", 51.5, -0.1)
    case.set_place("Work", 51.52, -0.1, radius_m=2500)
    inside = geo.destination(51.5, -0.1, 10.0, 99.99)
    outside = geo.destination(51.5, -0.1, 10.0, 100.01)
    add_fixes(case, "Sam", [{"time": T0, "lat": float(inside[0]), "lon": float(inside[1])},
                            {"time": T0 + pd.Timedelta(hours=3), "lat": float(outside[0]), "lon": float(outside[1])}])
    home = proximity.run(case, "Sam", place="home")
    assert home.parameters["distance_m"] == 100.0 and len(home.hits) == 1
    doc = home.to_json("Europe/London")
    assert doc["place"] == "Home" and "b" not in doc and doc["occasions"][0]["hits"] == 1
    work = proximity.run(case, "Sam", place="Work")
    assert work.parameters["distance_m"] == 2500 and len(work.occasions) == 2
    with pytest.raises(CaseError):
        proximity.run(case, "Sam", place="Nowhere")


def test_bad_requests():
    case = people()
    with pytest.raises(CaseError):
        proximity.run(case, "Sam", "Sam")
    with pytest.raises(CaseError):
        proximity.run(case, "Sam", "Vic", method="radar")
    with pytest.raises(CaseError):
        proximity.run(case, "Sam", "Vic", distance_m=-1)
    with pytest.raises(CaseError):
        proximity.run(case, "Nobody at all", "Vic")


def test_cli_proximity_json(tmp_path, capsys):
    case = people()
    add_fixes(case, "Sam", [{"time": T0, "lat": 51.5, "lon": -0.1}])
    add_fixes(case, "Vic", [{"time": T0 + pd.Timedelta(minutes=5), "lat": 51.5012, "lon": -0.1}])
    path = save(case, tmp_path)
    before = path.read_bytes()
    assert main(["proximity", str(path), "--a", "Sam", "--b", "+447700900002", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["count"] == 1 and doc["window_min"] == 5.0 and doc["gap_min"] == 60.0
    assert doc["occasions"][0]["min_distance_m"] == 133.4
    assert main(["proximity", str(path), "--a", "Sam", "--b", "Vic", "--distance", "133", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 0
    assert main(["proximity", str(path), "--a", "Sam", "--place", "Nowhere"]) == 2
    assert "Nowhere" in capsys.readouterr().err
    assert path.read_bytes() == before  # read-only


SITES = [("234-30-7-1", 51.5, -0.1), ("234-30-7-2", 51.5, -0.1), ("234-30-7-3", 51.5009, -0.1),
         ("234-30-7-4", 51.52, -0.1), ("234-30-7-5", None, None)]  # the last is listed without a position
network_event = st.tuples(st.integers(0, 60).map(lambda m: m * 30), st.integers(0, 5), st.sampled_from([None, 0, 1, 2, 3, 4]))


def _site(index):
    if index is None or index >= len(SITES) or SITES[index][1] is None:
        return None  # not listed (index 5) or listed without a position
    return SITES[index][1], SITES[index][2]


def reference_cell_hits(a, b, distance_m, window_s):
    """Per A event: nearest distance between any of its sites and any site of a B event in the window."""
    def positions(first, last):
        sites = [_site(first)] + ([_site(last)] if last is not None and last != first else [])
        return [s for s in sites if s is not None]

    hits = {}
    for i, (ta, fa, la) in enumerate(a):
        for tb, fb, lb in b:
            if abs(ta - tb) > window_s:
                continue
            for pa in positions(fa, la):
                for pb in positions(fb, lb):
                    d = float(geo.haversine_m(pa[0], pa[1], pb[0], pb[1]))
                    if d <= distance_m:
                        hits[i] = min(hits.get(i, d), d)
    return hits


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=st.lists(network_event, max_size=12), b=st.lists(network_event, max_size=12),
       distance=st.sampled_from([0.0, 100.0, 100.07, 5000.0]), window=st.sampled_from([0, 60, 600]),
       gap=st.sampled_from([1, 10, 30]))
def test_cell_method_equals_reference(a, b, distance, window, gap):
    case = people()
    add_cells(case, [{"key": k, "lat": la, "lon": lo} for k, la, lo in SITES])

    def rows(items, sender, recipient):
        key = lambda i: None if i is None else (SITES[i][0] if i < len(SITES) else "234-30-7-99")
        return [{"start": T0 + pd.Timedelta(seconds=t), "kind": "call", "direction": "outgoing",
                 "party_a": sender, "party_b": recipient, "cell_first": key(f), "cell_last": key(la)}
                for t, f, la in items]

    if a:
        add_events(case, "Sam", rows(a, SAM, VIC))
    if b:
        add_events(case, "Vic", rows(b, VIC, SAM))
    result = proximity.run(case, "Sam", "Vic", method="cell", distance_m=distance, window_min=window / 60,
                           gap_min=gap)
    expected = reference_cell_hits(a, b, distance, window)
    order = sorted(expected, key=lambda i: (a[i][0], i))
    assert list(result.hits["distance_m"]) == [expected[i] for i in order]
    assert list(result.hits["a_source_row"]) == [str(i + 1) for i in order]
    assert len(result.occasions) == len(reference_occasions([a[i][0] for i in order], gap * 60))
