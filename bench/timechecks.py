"""Benchmark of the clock checks (``analysis.timechecks``) at the scale of a large case.

    .venv/bin/python bench/timechecks.py [--events 1000000]

Two sources of ``--events`` / 2 records each (a suspect's and a victim's call
records): a fifth of each are the pair's communications, recorded by both, the
victim's an hour later from the spring clock change (a zone read wrongly); the
rest are calls with a few thousand third parties. The clock check is timed
against ``contacts.between`` on the same case in the same run (it matches the
same sightings across the two sources, so it is the yardstick), and the check's
answer is verified: two periods, 0 s and 3,600 s. Prints seconds and the ratio.
Not run by the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import time

import numpy as np
import pandas as pd

from cellsight import __version__
from cellsight.analysis import contacts, timechecks
from cellsight.core.case import Case, Source, utc_stamp

SAM, VIC = "+447700900001", "+447700900002"
START = pd.Timestamp("2023-01-01", tz="UTC")
CHANGE = pd.Timestamp("2023-03-26T01:00:00Z")


def _add(case: Case, subject: str, frame: pd.DataFrame) -> None:
    sid = case.next_source_id()
    frame = frame.assign(source_id=sid, source_row=np.arange(1, len(frame) + 1).astype(str), subject=subject)
    n = len(frame)
    case.add_source(Source(id=sid, file=f"{sid}.bench", path="", sha256=hashlib.sha256(sid.encode()).hexdigest(),
                           size=0, format="bench", subject=subject, declared_tz="UTC", tz_rule="option",
                           parameters={}, rows=n, imported=n, rejected=0, kinds={}, skipped=[], warnings=[],
                           imported_at=utc_stamp(), version=__version__), {"events": frame})


def build(n: int, rng: np.random.Generator) -> Case:
    case = Case.new(name="bench", tz="Europe/London")
    case.set_subject("Sam", "suspect", [SAM])
    case.set_subject("Vic", "victim", [VIC])
    half = n // 2
    pair = half // 5
    # The pair's communications at distinct seconds over six months, a minute apart at least.
    slots = np.sort(rng.choice(180 * 24 * 60, size=pair, replace=False))
    pair_t = START + pd.to_timedelta(slots * 60 + rng.integers(0, 50, pair), unit="s")
    kinds = rng.choice(["call", "sms"], pair)
    others = np.array([f"+44770090{i:04d}" for i in range(100, 5000)], dtype=object)
    for subject, own, shift in (("Sam", SAM, False), ("Vic", VIC, True)):
        t = pd.Series(pair_t)
        if shift:
            t = t.where(t < CHANGE, t + pd.Timedelta(hours=1))
        background = half - pair
        back_t = START + pd.to_timedelta(rng.integers(0, 180 * 86400, background), unit="s")
        frame = pd.DataFrame({
            "start": pd.concat([t, pd.Series(back_t)], ignore_index=True),
            "kind": np.concatenate([kinds, rng.choice(["call", "sms"], background)]),
            "direction": np.concatenate([np.full(pair, "outgoing" if own == SAM else "incoming"),
                                         np.full(background, "outgoing")]),
            "party_a": np.concatenate([np.full(pair, SAM, dtype=object), np.full(background, own, dtype=object)]),
            "party_b": np.concatenate([np.full(pair, VIC, dtype=object), rng.choice(others, background)])})
        _add(case, subject, frame)
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    case = build(args.events, np.random.default_rng(20))
    t = time.perf_counter()
    doc = contacts.between(case, "Sam", "Vic")
    baseline = time.perf_counter() - t
    t = time.perf_counter()
    checks = timechecks.check_clocks(case)
    took = time.perf_counter() - t
    got = [(c["verdict"], c["offset_s"]) for c in checks]
    assert got == [("consistent", 0.0), ("hour_offset", 3600.0)], got
    print(f"{len(case.events):,} events in 2 sources: clock check {took:.2f} s, contacts.between {baseline:.2f} s "
          f"(ratio {took / baseline:.2f}); {sum(c['matched'] for c in checks):,} records matched, "
          f"{doc['total']:,} communications counted with the wrong zone")


if __name__ == "__main__":
    main()
