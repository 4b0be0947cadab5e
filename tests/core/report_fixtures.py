"""A small invented case for the report tests: two subjects near each other, calls, cells, a place.

Numbers are Ofcom drama numbers; people and places are invented. Built with the
case's own API (``Case.new``, ``set_subject``, ``add_source``) so the tests
exercise the same paths as an import.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from cellsight.core.case import Case, Source

SUSPECT_NUMBER = "+447700900001"
VICTIM_NUMBER = "+447700900002"
HOME = (51.4545, -2.5879)


def _source(case: Case, file: str, subject: str, rows: int, kinds: dict[str, int], fmt: str) -> Source:
    digest = hashlib.sha256(f"{case.info.reference}/{file}".encode()).hexdigest()
    return Source(id=case.next_source_id(), file=file, path=f"/evidence/{file}", sha256=digest,
                  size=1000 + rows, format=fmt, subject=subject, declared_tz="Europe/London",
                  tz_rule="values", parameters={}, rows=rows, imported=rows, rejected=0, kinds=kinds,
                  skipped=[], warnings=[], imported_at="2024-01-01T00:00:00+00:00", version="0.1.0",
                  exhibit=f"DR/{len(case.sources) + 1}")


def make_case(victim_name: str = "Vicky Victim", days: int = 6, fixes_per_day: int = 24,
              seed: int = 7) -> Case:
    """Suspect and victim with GPS fixes (close on some evenings), calls and SMS, cells, a home."""
    rng = np.random.default_rng(seed)
    case = Case.new(name="Operation Lantern", reference="OP/LANTERN/1", officer="DC Ada Example")
    case.set_subject("Sam Suspect", role="suspect", numbers=[SUSPECT_NUMBER])
    case.set_subject(victim_name, role="victim", numbers=[VICTIM_NUMBER])
    case.set_place("Victim home", HOME[0], HOME[1], radius_m=150, note="invented address")
    t0 = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    times = pd.Series([t0 + pd.Timedelta(hours=24 * d) + pd.Timedelta(minutes=30 * i)
                       for d in range(days) for i in range(fixes_per_day)])
    n = len(times)
    victim_lat = HOME[0] + rng.normal(0, 0.0004, n)
    victim_lon = HOME[1] + rng.normal(0, 0.0006, n)
    near = (np.arange(n) % fixes_per_day) >= fixes_per_day - 4  # the last two hours of each day
    sus_lat = np.where(near, victim_lat + 0.0003, HOME[0] + 0.03 + rng.normal(0, 0.002, n))
    sus_lon = np.where(near, victim_lon + 0.0003, HOME[1] - 0.04 + rng.normal(0, 0.002, n))
    for subject, lat, lon, file in (("Sam Suspect", sus_lat, sus_lon, "suspect-records.json"),
                                    (victim_name, victim_lat, victim_lon, "victim-records.json")):
        frame = pd.DataFrame({"time": times, "lat": lat, "lon": lon, "accuracy_m": 12.0,
                              "origin": "gps", "subject": subject, "source_row": [str(i + 1) for i in range(n)]})
        source = _source(case, file, subject, n, {"location": n}, "takeout-records")
        frame["source_id"] = source.id
        case.add_source(source, {"locations": frame})
    cells = pd.DataFrame({"key": ["234-30-1001-11", "234-30-1001-12", "234-30-1002-21"],
                          "mcc": [234] * 3, "mnc": [30] * 3, "lac": [1001, 1001, 1002],
                          "ci": [11, 12, 21], "site": ["Harbourside", "Harbourside", "Hilltop"],
                          "lat": [HOME[0] + 0.002, HOME[0] + 0.002, HOME[0] + 0.031],
                          "lon": [HOME[1] + 0.003, HOME[1] + 0.003, HOME[1] - 0.041],
                          "azimuth": [200.0, 320.0, 90.0], "beamwidth": [65.0, 65.0, 120.0],
                          "source_row": ["2", "3", "4"]})
    source = _source(case, "cell-list.csv", "", 3, {"cell": 3}, "cells")
    cells["source_id"] = source.id
    case.add_source(source, {"cells": cells})
    k = 40
    starts = pd.Series([t0 + pd.Timedelta(minutes=int(m)) for m in np.sort(rng.integers(0, days * 1440, k))])
    outgoing = rng.random(k) < 0.8
    events = pd.DataFrame({
        "start": starts, "duration_s": 30.0,
        "kind": np.where(rng.random(k) < 0.5, "call", "sms"),
        "direction": np.where(outgoing, "outgoing", "incoming"),
        "party_a": np.where(outgoing, SUSPECT_NUMBER, VICTIM_NUMBER),
        "party_b": np.where(outgoing, VICTIM_NUMBER, SUSPECT_NUMBER),
        "party_a_raw": np.where(outgoing, "07700900001", "07700900002"),
        "party_b_raw": np.where(outgoing, "=07700900002", "07700900001"),
        "party_a_flag": "possible", "party_b_flag": "possible",
        "cell_first": np.where(rng.random(k) < 0.5, "234-30-1001-11", "234-30-1002-21"),
        "cell_last": "234-30-1001-12",
        "text": "=HYPERLINK(\"http://example.invalid\",\"click\")",
        "subject": "Sam Suspect", "source_row": [str(i + 2) for i in range(k)]})
    source = _source(case, "suspect-cdr.csv", "Sam Suspect", k, {"call": k}, "cdr")
    events["source_id"] = source.id
    case.add_source(source, {"events": events})
    return case
