"""An invented case for the report tests: a suspect repeatedly near a victim, calls and texts, cells, a home.

Built with ``tests/factories.py`` (the same path as an import). Numbers are
Ofcom drama numbers; people, places and exhibits are invented. The suspect's
fixes are far away except in the last two hours of each day, when they sit
about 40 m from the victim's: each day gives one proximity occasion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellsight.core.case import Case
from factories import add_cells, add_events, add_fixes, new_case

SUSPECT_NUMBER = "07700 900001"
VICTIM_NUMBER = "07700 900002"
HOME = (51.4545, -2.5879)
HOSTILE = "<img src=x onerror=alert(1)>"


def make_case(victim_name: str = "Vicky Victim", days: int = 6, fixes_per_day: int = 24, calls: int = 40,
              seed: int = 7) -> Case:
    rng = np.random.default_rng(seed)
    case = new_case({"Sam Suspect": ("suspect", [SUSPECT_NUMBER]), victim_name: ("victim", [VICTIM_NUMBER])},
                    name="Operation Lantern")
    case.info.reference = "OP/LANTERN/1"
    case.info.officer = "DC Ada Example"
    case.set_place("Victim home", HOME[0], HOME[1], radius_m=150, note="invented address")
    t0 = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    times = [t0 + pd.Timedelta(days=d, minutes=30 * i) for d in range(days) for i in range(fixes_per_day)]
    n = len(times)
    victim_lat = HOME[0] + rng.normal(0, 0.0004, n)
    victim_lon = HOME[1] + rng.normal(0, 0.0006, n)
    near = (np.arange(n) % fixes_per_day) >= fixes_per_day - 4
    sus_lat = np.where(near, victim_lat + 0.0003, HOME[0] + 0.03 + rng.normal(0, 0.002, n))
    sus_lon = np.where(near, victim_lon + 0.0003, HOME[1] - 0.04 + rng.normal(0, 0.002, n))
    for subject, lat, lon, file in (("Sam Suspect", sus_lat, sus_lon, "suspect-records.json"),
                                    (victim_name, victim_lat, victim_lon, "victim-records.json")):
        rows = [{"time": t, "lat": a, "lon": b, "accuracy_m": 12.0} for t, a, b in zip(times, lat, lon)]
        add_fixes(case, subject, rows, file=file)
    add_cells(case, [
        {"key": "234-30-1001-11", "site": "Harbourside", "lat": HOME[0] + 0.002, "lon": HOME[1] + 0.003,
         "azimuth": 200.0, "beamwidth": 65.0, "technology": "LTE"},
        {"key": "234-30-1001-12", "site": "Harbourside", "lat": HOME[0] + 0.002, "lon": HOME[1] + 0.003,
         "azimuth": 320.0, "beamwidth": 65.0, "technology": "LTE"},
        {"key": "234-30-1002-21", "site": "Hilltop", "lat": HOME[0] + 0.031, "lon": HOME[1] - 0.041,
         "azimuth": 90.0, "beamwidth": 120.0, "technology": "UMTS"}], file="cell-list.csv")
    minutes = np.sort(rng.integers(0, days * 1440, calls))
    outgoing = rng.random(calls) < 0.8
    events = [{"start": t0 + pd.Timedelta(minutes=int(m)), "duration_s": 30.0,
               "kind": "call" if rng.random() < 0.5 else "sms",
               "direction": "outgoing" if out else "incoming",
               "party_a": SUSPECT_NUMBER if out else VICTIM_NUMBER,
               "party_b": VICTIM_NUMBER if out else SUSPECT_NUMBER,
               "cell_first": "234-30-1001-11" if rng.random() < 0.5 else "234-30-1002-21",
               "cell_last": "234-30-1001-12",
               "text": '=HYPERLINK("http://example.invalid","click")'}
              for m, out in zip(minutes, outgoing)]
    add_events(case, "Sam Suspect", events, file="suspect-cdr.csv")
    for i, source in enumerate(case.sources, start=1):
        source.exhibit = f"DR/{i}"
    return case
