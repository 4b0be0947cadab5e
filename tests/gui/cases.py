"""A small invented case for the GUI tests (Ofcom drama numbers only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellsight.core.case import Case, Source, utc_stamp

ANN, BOB, CAROL = "+447700900101", "+447700900202", "+447700900303"
DAY0 = pd.Timestamp("2024-03-04T08:00", tz="UTC")  # a Monday


def source(case: Case, file: str, subject: str, frames: dict[str, pd.DataFrame], rejections=()) -> None:
    """Add ``frames`` to ``case`` as one source, with its record filled in as an importer would."""
    sid = case.next_source_id()
    frames = {name: frame.assign(source_id=sid, subject=subject) if name != "cells"
              else frame.assign(source_id=sid) for name, frame in frames.items()}
    rejected = pd.DataFrame({"source_id": [sid] * len(rejections),
                             "row": [r for r, _ in rejections], "reason": [why for _, why in rejections]})
    imported = sum(len(f) for f in frames.values())
    case.add_source(Source(
        id=sid, file=file, path=f"/evidence/{file}", sha256=f"{abs(hash(file)):064x}"[:64], size=1000,
        format="test", subject=subject, declared_tz="Europe/London", tz_rule="option", parameters={},
        rows=imported + len(rejections), imported=imported, rejected=len(rejections), kinds={},
        skipped=[], warnings=[], imported_at=utc_stamp(), version="test"),
        {**frames, "rejections": rejected})


def make_case(days: int = 14, per_day: int = 6) -> Case:
    """Ann (victim) and Bob (suspect): Bob calls and texts Ann every day; Carol now and then."""
    case = Case.new(name="Test case", reference="OP TEST", officer="DC Test")
    case.set_subject("Ann", role="victim", numbers=[ANN])
    case.set_subject("Bob", role="suspect", numbers=[BOB])
    case.set_place("Ann's home", 51.5007, -0.1246, radius_m=150)
    n = days * per_day
    rng = np.random.default_rng(7)
    starts = [DAY0 + pd.Timedelta(days=i // per_day, minutes=int(m))
              for i, m in zip(range(n), rng.integers(0, 12 * 60, n))]
    outgoing = np.arange(n) % 3 != 0
    other = np.where(np.arange(n) % 5 == 0, CAROL, ANN)
    events = pd.DataFrame({
        "start": starts,
        "duration_s": np.where(np.arange(n) % 2 == 0, 60.0, np.nan),
        "kind": np.where(np.arange(n) % 2 == 0, "call", "sms"),
        "direction": np.where(outgoing, "outgoing", "incoming"),
        "party_a": np.where(outgoing, BOB, other),
        "party_b": np.where(outgoing, other, BOB),
        "cell_first": np.where(np.arange(n) % 4 == 0, "234-30-100-1", "234-30-100-2"),
        "source_row": [str(i + 2) for i in range(n)],
    })
    source(case, "bob_cdr.csv", "Bob", {"events": events}, rejections=[("999", "no date")])
    contacts = pd.DataFrame({"number": [BOB, CAROL], "name": ["Bobby", "Carol Mobile"],
                             "source_row": ["c1", "c2"]})
    times = [DAY0 + pd.Timedelta(days=d, hours=2) for d in range(days)]
    locations = pd.DataFrame({"time": times, "lat": 51.5007 + np.arange(days) * 1e-4,
                              "lon": -0.1246 + np.zeros(days), "origin": "gps",
                              "source_row": [f"l{i}" for i in range(days)]})
    source(case, "ann_phone.ufdr", "Ann", {"contacts": contacts, "locations": locations})
    bob_fixes = locations.assign(lat=locations["lat"] + 5e-4, source_row=[f"b{i}" for i in range(days)])
    source(case, "bob_takeout.json", "Bob", {"locations": bob_fixes})
    cells = pd.DataFrame({"key": ["234-30-100-1", "234-30-100-2"], "lat": [51.501, 51.52],
                          "lon": [-0.125, -0.10], "azimuth": [90.0, 200.0], "beamwidth": [65.0, 65.0],
                          "source_row": ["2", "3"]})
    source(case, "cells.csv", "", {"cells": cells})
    case.dirty = False
    return case


GROUP = "447700900202-1700000000@g.us"
THREAT = "Open the door or I'll burn the place down"


def make_message_case() -> Case:
    """Ann and Bob's texts and chats from Bob's phone: a planted threat, a deleted message, a group chat.

    The phone download is exhibit AB/2 (rows are model ids); Bob's call records, exhibit AB/1, list two
    of the texts again without their words.
    """
    case = make_case(days=3, per_day=2)
    t = DAY0 + pd.Timedelta(days=1)
    texts = [  # minutes after t, from, to, text, deleted
        (0, BOB, ANN, "Can we talk?", False),
        (5, ANN, BOB, "Please stop contacting me", False),
        (9, BOB, ANN, THREAT, False),
        (12, BOB, ANN, "I'm watching you", True),
        (30, BOB, ANN, "Sorry. Sunburn is bad today", False),
    ]
    messages = pd.DataFrame({
        "start": [t + pd.Timedelta(minutes=m) for m, *_ in texts],
        "kind": "sms", "direction": ["outgoing" if a == BOB else "incoming" for _, a, *_ in texts],
        "party_a": [a for _, a, *_ in texts], "party_b": [b for _, _, b, *_ in texts],
        "text": [x for *_, x, _ in texts], "deleted": [d for *_, d in texts],
        "app": "SMS Messages", "source_row": [f"m{i}" for i in range(len(texts))],
    })
    group = pd.DataFrame({
        "start": [t + pd.Timedelta(minutes=40 + i) for i in range(3)], "kind": "chat",
        "direction": ["incoming", "outgoing", "incoming"], "party_a": [CAROL, BOB, CAROL],
        "party_b": GROUP, "thread": GROUP, "text": ["Training Thursday?", "I'm in", "Great"],
        "app": "WhatsApp", "source_row": ["g1", "g2", "g3"],
    })
    source(case, "bob_phone.ufdr", "Bob", {"events": pd.concat([messages, group], ignore_index=True)})
    case.sources[-1].format = "ufdr"
    case.sources[-1].exhibit = "AB/2"
    case.sources[0].exhibit = "AB/1"
    case.dirty = False
    return case
