"""Hour × weekday activity in the case zone, against a per-event reference."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import patterns
from cellsight.cli import main
from factories import add_events, new_case, save

SAM, VIC, OTHER = "07700 900001", "07700 900002", "01632 960555"
AUTUMN = pd.Timestamp("2023-10-29T00:00:00Z")


def people():
    return new_case({"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})


def reference_grid(times: list[pd.Timestamp], zone: str = "Europe/London") -> list[list[int]]:
    grid = [[0] * 24 for _ in range(7)]
    for t in times:
        local = t.to_pydatetime().astimezone(ZoneInfo(zone))
        grid[local.weekday()][local.hour] += 1
    return grid


@settings(max_examples=50, deadline=None)
@given(offsets=st.lists(st.integers(-2 * 86400, 9 * 86400).map(lambda s: s - s % 30), max_size=40, unique=True),
       others=st.lists(st.booleans(), min_size=40, max_size=40))
def test_grid_matches_reference_around_the_autumn_change(offsets, others):
    case = people()
    times = [AUTUMN + pd.Timedelta(seconds=o) for o in offsets]
    rows = [{"start": t, "kind": "sms", "direction": "outgoing", "party_a": SAM,
             "party_b": OTHER if other else VIC} for t, other in zip(times, others)]
    add_events(case, "Sam", rows)
    doc = patterns.hour_weekday(case, "Sam")
    assert doc["weekdays"] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] and doc["hours"] == list(range(24))
    assert doc["counts"] == reference_grid(times)
    pair = patterns.hour_weekday(case, "Sam", "Vic")
    assert pair["counts"] == reference_grid([t for t, other in zip(times, others) if not other])


def test_repeated_hour_counts_twice_in_hour_one_and_sightings_once():
    case = people()
    first, second = AUTUMN + pd.Timedelta(minutes=30), AUTUMN + pd.Timedelta(minutes=90)
    call = {"kind": "call", "direction": "outgoing", "party_a": SAM, "party_b": VIC}
    add_events(case, "Sam", [{**call, "start": first}, {**call, "start": second}])
    add_events(case, "Vic", [{**call, "direction": "incoming", "start": second + pd.Timedelta(seconds=2)}])
    doc = patterns.hour_weekday(case, "Sam")
    assert doc["counts"][6][1] == 2 and doc["total"] == 2  # Sunday 01:00, both 01:00 hours
    assert "busiest: Sun 01:00 (2)" in patterns.describe(doc)


def test_cli_patterns(tmp_path, capsys):
    case = people()
    add_events(case, "Sam", [{"start": pd.Timestamp("2023-07-03T08:15:00Z"), "kind": "data",
                              "direction": "outgoing", "party_a": SAM}])  # Monday 09:15 BST
    path = save(case, tmp_path)
    assert main(["patterns", str(path), "--subject", "sam", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["subject"] == "Sam" and doc["counts"][0][9] == 1 and sum(map(sum, doc["counts"])) == 1
    assert main(["patterns", str(path), "--subject", "Sam"]) == 0
    assert "Mon" in capsys.readouterr().out


def test_gaps_are_silences_longest_first_and_inclusive():
    times = pd.Series([AUTUMN + pd.Timedelta(minutes=m) for m in (0, 30, 150, 151, 271)])
    got = patterns.gaps(times, 120)
    assert list(got["minutes"]) == [120.0, 120.0]
    assert list(got["start"]) == [times[1], times[3]]
    assert patterns.gaps(times.iloc[:1], 1).empty
