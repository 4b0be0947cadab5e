"""The clock checks (``analysis.timechecks``): offsets measured, periods found, verdicts given.

Built with ``tests.factories`` (times with offsets, so the case holds exactly
what each test says): one source's clock set off from another's by a known
amount, a few minutes, an hour from a date, or too few records to say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import timechecks
from cellsight.core.casefile import open_case
from tests.factories import add_cells, add_events, add_fixes, new_case, save

SAM, VIC = "07700 900001", "07700 900002"
SITES = [(53.80 + 0.02 * i, -1.55 + 0.03 * i) for i in range(12)]


def _case():
    return new_case(subjects={"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})


def _times(n: int, seed: int = 1) -> list[pd.Timestamp]:
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.choice(60 * 24 * 40 // 3, size=n, replace=False)) * 3  # three-minute slots, 40 days
    return [pd.Timestamp("2023-03-01T00:00:00Z") + pd.Timedelta(minutes=int(m), seconds=int(s))
            for m, s in zip(minutes, rng.integers(0, 60, n))]


def _records(times, shift, direction="outgoing") -> list[dict]:
    """Sam's messages and calls to Vic, as Sam's side (outgoing) or Vic's (incoming) records them."""
    return [{"start": (t + shift(t)).isoformat(), "kind": "sms" if i % 3 else "call", "direction": direction,
             "party_a": SAM, "party_b": VIC, "cell_first": f"234-30-1-{i % len(SITES)}"}
            for i, t in enumerate(times)]


def _pair(shift, n=120) -> list[dict]:
    case = _case()
    times = _times(n)
    add_events(case, "Sam", _records(times, lambda t: pd.Timedelta(0)), file="network.csv")
    add_events(case, "Vic", _records(times, shift, "incoming"), file="phone.csv")
    return timechecks.check_clocks(case)


def test_same_clocks_are_consistent_over_the_whole_span():
    checks = _pair(lambda t: pd.Timedelta(0))
    assert [(c["verdict"], c["matched"], c["offset_s"], c["share"]) for c in checks] == [
        ("consistent", 120, 0.0, 1.0)]
    assert (checks[0]["source"], checks[0]["other"]) == ("network.csv", "phone.csv")


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=90, max_value=1700).filter(lambda s: abs(s - 1800) > 20))
def test_a_phone_clock_some_minutes_off_is_measured_as_drift(seconds):
    checks = _pair(lambda t: pd.Timedelta(seconds=seconds))
    assert [(c["verdict"], c["matched"]) for c in checks] == [("clock_drift", 120)]
    assert checks[0]["offset_s"] == pytest.approx(seconds, abs=1)


def test_an_hour_from_the_clock_change_is_a_second_period():
    change = pd.Timestamp("2023-03-26T01:00:00Z")
    checks = _pair(lambda t: pd.Timedelta(hours=1) if t >= change else pd.Timedelta(0))
    assert [c["verdict"] for c in checks] == ["consistent", "hour_offset"]
    assert checks[0]["to"] < change.isoformat() <= checks[1]["from"]
    assert sum(c["matched"] for c in checks) == 120 and checks[1]["offset_s"] == 3600.0
    words = timechecks.sentence(checks[1], "Europe/London")
    assert "exactly 1 hour later" in words and "phone.csv" in words


def test_too_few_matches_are_insufficient_and_unrelated_sources_give_no_check():
    assert [c["verdict"] for c in _pair(lambda t: pd.Timedelta(0), n=8)] == ["insufficient"]
    case = _case()
    add_events(case, "Sam", _records(_times(30), lambda t: pd.Timedelta(0)))
    add_events(case, "Vic", [{"start": "2023-03-02T10:00:00Z", "kind": "call", "direction": "outgoing",
                              "party_a": VIC, "party_b": "07700 900555"}])
    assert timechecks.check_clocks(case) == []


def test_fixes_an_hour_from_the_serving_sites_give_an_hour_offset():
    case = _case()
    add_cells(case, [{"key": f"234-30-1-{i}", "lat": lat, "lon": lon} for i, (lat, lon) in enumerate(SITES)])
    times = _times(60, seed=3)
    events = add_events(case, "Sam", [{**r, "party_b": "07700 900555"} for r in
                                      _records(times, lambda t: pd.Timedelta(0))], file="network.csv")
    # The phone's fixes are at each event's site, but its clock reads one hour behind.
    add_fixes(case, "Sam", [{"time": (t - pd.Timedelta(hours=1)).isoformat(), "lat": SITES[i % len(SITES)][0],
                             "lon": SITES[i % len(SITES)][1]} for i, t in enumerate(times)], file="phone.json")
    fixes = [c for c in timechecks.check_clocks(case) if c["method"] == "fixes"]
    assert fixes and {c["source"] for c in fixes} == {"network.csv"} and events.id in fixes[0]["source_id"]
    assert [(c["verdict"], c["offset_s"]) for c in fixes] == [("hour_offset", -3600.0)] * len(fixes)
    assert sum(c["matched"] for c in fixes) == 60


def test_checks_are_kept_in_the_case_file(tmp_path):
    case = _case()
    times = _times(40)
    add_events(case, "Sam", _records(times, lambda t: pd.Timedelta(0)))
    add_events(case, "Vic", _records(times, lambda t: pd.Timedelta(0), "incoming"))
    kept = timechecks.store(case)
    assert kept and open_case(save(case, tmp_path)).extras["time_checks"] == kept
