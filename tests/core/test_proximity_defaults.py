"""Each proximity method's own defaults (``analysis.proximity_params``), stated with the result."""

from __future__ import annotations

import pandas as pd
import pytest

from cellsight.analysis import proximity, proximity_params
from cellsight.analysis.proximity_params import ProximityParameters, resolve
from cellsight.report.summary import ProximityRun, proximity_sentence
from tests.factories import add_cells, add_events, new_case

SAM, VIC = "07700 900001", "07700 900002"
T0 = pd.Timestamp("2023-03-18T12:00:00Z")
METRES_PER_DEGREE_LAT = 111_195.0


def _sites_case(spacing_m: float, served_apart_m: float | None, minutes_apart: float):
    """A row of sites ``spacing_m`` apart; Sam and Vic each make one call ``minutes_apart`` apart, Sam's
    served by the first site, Vic's by the next one (``None``) or by a site ``served_apart_m`` from it."""
    case = new_case(subjects={"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})
    step = spacing_m / METRES_PER_DEGREE_LAT
    cells = [{"key": f"234-30-1-{i}", "lat": 53.8 + i * step, "lon": -1.55} for i in range(8)]
    if served_apart_m is not None:
        cells.append({"key": "234-30-1-99", "lat": 53.8 + served_apart_m / METRES_PER_DEGREE_LAT, "lon": -1.55})
    add_cells(case, cells)
    add_events(case, "Sam", [{"start": T0.isoformat(), "kind": "call", "direction": "outgoing",
                              "party_a": SAM, "party_b": "07700 900555", "cell_first": "234-30-1-0"}])
    add_events(case, "Vic", [{"start": (T0 + pd.Timedelta(minutes=minutes_apart)).isoformat(), "kind": "call",
                              "direction": "outgoing", "party_a": VIC, "party_b": "07700 900556",
                              "cell_first": "234-30-1-1" if served_apart_m is None else "234-30-1-99"}])
    return case


def test_gps_keeps_its_figures_and_says_they_are_defaults():
    chosen = resolve(ProximityParameters("gps"))
    assert (chosen.distance_m, chosen.window_min, chosen.gap_min) == (200.0, 5.0, 60.0)
    assert "200 m: the default for location fixes" in chosen.basis


@pytest.mark.parametrize("spacing, expected, occasions", [(600.0, 1000.0, 1), (5000.0, 2500.0, 0)])
def test_cell_distance_is_the_larger_of_1_km_and_half_the_site_spacing(spacing, expected, occasions):
    case = _sites_case(spacing, served_apart_m=None, minutes_apart=12)
    result = proximity.run(case, "Sam", "Vic", method="cell")
    p = result.parameters
    assert p["distance_m"] == pytest.approx(expected, abs=10) and p["window_min"] == 15.0
    assert f"median distance ({spacing:,.0f} m)" in p["defaults"]
    assert "Defaults used:" in result.method_statement and "15 minutes" in result.method_statement
    assert len(result.occasions) == occasions  # neighbouring masts, calls 12 minutes apart


def test_explicit_options_win_over_the_cell_defaults():
    case = _sites_case(600.0, served_apart_m=900, minutes_apart=12)
    result = proximity.run(case, "Sam", "Vic", method="cell", distance_m=200, window_min=5)
    assert (result.parameters["distance_m"], result.parameters["window_min"]) == (200.0, 5.0)
    assert result.parameters["defaults"] == "a gap of 60 minutes: the default between occasions"
    assert len(result.occasions) == 0


def test_a_place_radius_is_for_fixes_and_the_cell_method_keeps_its_own_distance():
    case = _sites_case(600.0, served_apart_m=900, minutes_apart=12)
    case.set_place("Home", 53.8, -1.55 + 0.012, radius_m=50)  # about 790 m east of Sam's site
    cell = proximity.run(case, "Sam", place="Home", method="cell")
    assert cell.parameters["distance_m"] == 1000.0 and len(cell.occasions) == 1
    gps = proximity.run(case, "Sam", place="Home", method="gps")
    assert gps.parameters["distance_m"] == 50.0 and "the place's radius" in gps.parameters["defaults"]


def test_report_corroboration_keeps_the_cell_defaults_when_the_officer_set_the_fixes_figures():
    options = {"distance_m": 200.0, "window_min": 5.0, "gap_min": 30.0}
    assert proximity_params.method_options(options, None, "cell") == {
        "distance_m": None, "window_min": None, "gap_min": 30.0}
    assert proximity_params.method_options(options, "cell", "cell") == options  # asked for: explicit wins
    assert proximity_params.method_options(options, None, "gps") == options


def test_a_zero_result_says_what_was_searched():
    case = _sites_case(600.0, served_apart_m=5000, minutes_apart=12)
    result = proximity.run(case, "Sam", "Vic", method="cell")
    doc = result.to_json("Europe/London")
    run = ProximityRun("Sam", "Vic", False, "cell", doc, result, "p1", "Cell")
    words = proximity_sentence(run)
    assert words.startswith("The search of 1 network events of Sam's phone and 1 of Vic's for two within "
                            "15 minutes of each other whose serving masts are within 1,000 m found none")
