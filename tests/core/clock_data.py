"""Two operators' records of the same communications, one in bare UTC, one in bare UK local time.

The suspect's operator writes its times in UTC all year and does not say so;
the victim's writes UK local time (also without saying so). Read with the
right zones, every communication between them is in both files at the same
instant; read with the suspect's times taken as UK local time, every record
from the spring clock change (Sun 26 Mar 2023) on sits one hour away from the
victim's record of it. Each side also has calls with third parties that the
other file does not hold. Ofcom drama numbers only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SUSPECT, VICTIM = "07700 900001", "07700 900002"
OTHERS = [f"07700 900{n}" for n in range(100, 110)]
CLOCK_CHANGE = pd.Timestamp("2023-03-26T01:00:00Z")
HEADER = "Date,Time,Calling Number,Called Number,Call Type"


@dataclass
class ClockFiles:
    suspect: Path  # bare UTC times
    victim: Path  # bare Europe/London times
    between: int  # communications between the two (each in both files)
    after_change: int  # of them, on or after the clock change


def _code(kind: str, outgoing: bool) -> str:
    return {("call", True): "MOC", ("call", False): "MTC", ("sms", True): "SMS-MO", ("sms", False): "SMS-MT"}[
        (kind, outgoing)]


def _line(when: pd.Timestamp, a: str, b: str, code: str) -> str:
    return f"{when:%d/%m/%Y},{when:%H:%M:%S},{a.replace(' ', '')},{b.replace(' ', '')},{code}"


def write(folder: Path, between: int = 240, others: int = 60, seed: int = 20) -> ClockFiles:
    """Write both files into ``folder``; communications at least two minutes apart, 1 Mar - 30 Apr 2023."""
    rng = random.Random(seed)
    start = pd.Timestamp("2023-03-01T00:00:00Z")
    slots = rng.sample(range(0, 60 * 24 * 60 // 2), between + 2 * others)  # two-minute slots over 60 days
    times = [start + pd.Timedelta(minutes=2 * s, seconds=rng.randrange(0, 50)) for s in slots]
    suspect_rows, victim_rows = [], []
    for when in times[:between]:
        kind = rng.choice(["call", "sms"])
        from_suspect = rng.random() < 0.8
        a, b = (SUSPECT, VICTIM) if from_suspect else (VICTIM, SUSPECT)
        suspect_rows.append((when, _line(when, a, b, _code(kind, from_suspect))))
        local = when.tz_convert("Europe/London")
        victim_rows.append((when, _line(local, a, b, _code(kind, not from_suspect))))
    for i, when in enumerate(times[between:between + others]):
        suspect_rows.append((when, _line(when, SUSPECT, OTHERS[i % len(OTHERS)], "MOC")))
    for i, when in enumerate(times[between + others:]):
        victim_rows.append((when.tz_convert("Europe/London"),
                            _line(when.tz_convert("Europe/London"), VICTIM, OTHERS[i % len(OTHERS)], "MOC")))
    folder.mkdir(parents=True, exist_ok=True)
    suspect, victim = folder / "suspect_records.csv", folder / "victim_records.csv"
    suspect.write_text("\n".join([HEADER] + [line for _, line in sorted(suspect_rows)]) + "\n")
    victim.write_text("\n".join([HEADER] + [line for _, line in sorted(victim_rows)]) + "\n")
    after = sum(1 for when in times[:between] if when >= CLOCK_CHANGE)
    return ClockFiles(suspect, victim, between, after)
