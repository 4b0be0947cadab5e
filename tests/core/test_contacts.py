"""Contact counts, periods in the case zone, bursts, ranked contacts and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import contacts
from cellsight.cli import main
from cellsight.core.case import CaseError
from factories import add_address_book, add_events, new_case, save

LONDON = ZoneInfo("Europe/London")
SAM, VIC, OTHER = "07700 900001", "07700 900002", "01632 960123"
AUTUMN = pd.Timestamp("2023-10-29T00:00:00Z")


def people():
    return new_case({"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})


def text(t, sender=SAM, recipient=VIC, kind="sms", **extra):
    return {"start": t, "kind": kind, "direction": "outgoing", "party_a": sender, "party_b": recipient, **extra}


# ----- reference periods ----------------------------------------------------------------
def reference_label(t: pd.Timestamp, by: str) -> str:
    local = t.to_pydatetime().astimezone(LONDON)
    if by == "hour":
        offset = local.strftime("%z")
        return local.strftime("%Y-%m-%dT%H") + offset[:3] + ":" + offset[3:]
    return local.strftime({"day": "%Y-%m-%d", "week": "%G-W%V", "month": "%Y-%m"}[by])


def reference_series(times: list[pd.Timestamp], by: str) -> list[dict]:
    counts: dict[str, int] = {}
    for t in times:
        counts[reference_label(t, by)] = counts.get(reference_label(t, by), 0) + 1
    labels, first, last = [], min(times), max(times)
    if by == "hour":
        step = first.floor("h")
        while step <= last:
            label = reference_label(step, by)
            if label not in labels:
                labels.append(label)
            step += pd.Timedelta(hours=1)
    else:
        day = first.to_pydatetime().astimezone(LONDON).date()
        end = last.to_pydatetime().astimezone(LONDON).date()
        while day <= end:
            label = reference_label(pd.Timestamp(dt.datetime.combine(day, dt.time(12), LONDON)), by)
            if label not in labels:
                labels.append(label)
            day += dt.timedelta(days=1)
    return [{"period": label, "count": counts.get(label, 0)} for label in labels]


@settings(max_examples=60, deadline=None)
@given(offsets=st.lists(st.integers(-30 * 3600, 40 * 24 * 3600), min_size=1, max_size=40),
       by=st.sampled_from(["hour", "day", "week", "month"]))
def test_series_and_peak_match_reference_across_the_autumn_change(offsets, by):
    if by == "hour":
        offsets = [o % (3 * 86400) - 86400 for o in offsets]  # keep hourly series short
    case = people()
    # Each text 20 s apart at least so no two are one communication; one source only.
    times = sorted({AUTUMN + pd.Timedelta(seconds=o - o % 20) for o in offsets})
    add_events(case, "Sam", [text(t) for t in times])
    doc = contacts.between(case, "Sam", "Vic", by=by)
    expected = reference_series(times, by)
    assert doc["series"] == expected
    assert doc["total"] == len(times) == sum(p["count"] for p in doc["series"])
    best = max(p["count"] for p in expected)
    assert doc["peak"] == next(p for p in expected if p["count"] == best)


def test_two_one_oclock_hours_are_two_periods():
    case = people()
    add_events(case, "Sam", [text(AUTUMN + pd.Timedelta(minutes=30)),  # 01:30 BST
                             text(AUTUMN + pd.Timedelta(minutes=90)),  # 01:30 GMT
                             text(AUTUMN + pd.Timedelta(minutes=95))])
    doc = contacts.between(case, "Sam", "Vic", by="hour")
    assert doc["series"] == [{"period": "2023-10-29T01+01:00", "count": 1},
                             {"period": "2023-10-29T01+00:00", "count": 2}]
    assert doc["peak"] == {"period": "2023-10-29T01+00:00", "count": 2}
    assert doc["first"] == "2023-10-29T01:30:00+01:00" and doc["last"] == "2023-10-29T01:35:00+00:00"


def test_counting_rules_dedupe_directions_kinds_and_calls():
    case = people()
    t = pd.Timestamp("2023-03-18T14:00:00Z")
    add_events(case, "Sam", [
        text(t, kind="call", duration_s=65),
        text(t + pd.Timedelta(minutes=5), kind="call", duration_s=0),  # unanswered attempt
        text(t + pd.Timedelta(minutes=6), sender=VIC, recipient=SAM, kind="call", status="Missed",
             direction="incoming"),
        text(t + pd.Timedelta(minutes=7)),
        text(t + pd.Timedelta(minutes=7, seconds=1)),  # a burst: two texts
        text(t + pd.Timedelta(minutes=8), recipient=OTHER),  # someone else
    ])
    # Vic's records: the same first call seen 3 s later, from her side, and a text of hers.
    add_events(case, "Vic", [
        {"start": t + pd.Timedelta(seconds=3), "kind": "call", "direction": "incoming",
         "party_a": "447700900002", "party_b": "+44 7700 900001", "duration_s": 64},
        {"start": t + pd.Timedelta(days=2), "kind": "sms", "direction": "outgoing",
         "party_a": VIC, "party_b": SAM},
    ])
    doc = contacts.between(case, "sam", "+447700900002")
    assert doc["a"] == "Sam" and doc["b"] == "Vic"
    assert doc["total"] == 6
    assert doc["by_kind"] == {"call": 3, "sms": 3}
    assert doc["by_direction"] == {"a_to_b": 4, "b_to_a": 2}
    assert doc["calls"]["answered"] == 1 and doc["calls"]["unanswered"] == 2
    assert doc["calls"]["total_duration_s"] == 65.0
    assert doc["seen_in_several_sources"] == 1
    assert [p["count"] for p in doc["series"]] == [5, 0, 1]  # zero-filled day between
    assert contacts.between(case, "Sam", "Vic", kinds=["call"])["total"] == 3
    with pytest.raises(CaseError):
        contacts.between(case, "Sam", "Vic", kinds=["fax"])
    with pytest.raises(CaseError):
        contacts.between(case, "Sam", "Sam")
    events = contacts.pair_events(case, "Sam", "Vic")
    first = events.iloc[0]
    assert first["sightings"] == 2 and first["seen_in"] == "S1, S2" and first["rows"] == "S1:1; S2:1"
    assert "6 communications" in contacts.describe_between(doc)


def test_no_contact_at_all():
    case = people()
    doc = contacts.between(case, "Sam", "Vic")
    assert doc["total"] == 0 and doc["series"] == [] and doc["peak"] is None
    assert "0 communications" in contacts.describe_between(doc)


def reference_bursts(times: list[int], n: int, span: int) -> list[tuple[int, int, int]]:
    times = sorted(times)
    covered = [False] * len(times)
    for i in range(len(times) - n + 1):
        if times[i + n - 1] - times[i] <= span:
            for j in range(i, i + n):
                covered[j] = True
    bursts, i = [], 0
    while i < len(times):
        if not covered[i]:
            i += 1
            continue
        j = i
        # Windows chain when they share a contact: a covered run is one burst only if its
        # windows overlap, so walk window by window.
        while j + 1 < len(times) and covered[j + 1] and any(
                k <= j < k + n - 1 and times[k + n - 1] - times[k] <= span
                for k in range(max(0, j - n + 2), j + 1) if k + n - 1 < len(times)):
            j += 1
        bursts.append((times[i], times[j], j - i + 1))
        i = j + 1
    return bursts


@settings(max_examples=100, deadline=None)
@given(times=st.lists(st.integers(0, 3600), max_size=30), n=st.integers(1, 5),
       minutes=st.sampled_from([0, 1, 5]))
def test_bursts_match_reference(times, n, minutes):
    frame = pd.DataFrame({"start": pd.Series([AUTUMN + pd.Timedelta(seconds=s) for s in times],
                                             dtype="datetime64[us, UTC]")})
    got = contacts.bursts(frame, n, minutes)
    expected = reference_bursts(times, n, minutes * 60)
    assert [((s - AUTUMN).total_seconds(), (e - AUTUMN).total_seconds(), c)
            for s, e, c in got.itertuples(index=False)] == [(float(a), float(b), c) for a, b, c in expected]


def test_for_subject_ranks_with_names():
    case = people()
    t = pd.Timestamp("2023-03-18T14:00:00Z")
    add_events(case, "Sam", [text(t + pd.Timedelta(minutes=i)) for i in range(3)]
               + [text(t + pd.Timedelta(hours=1), recipient=OTHER, kind="call"),
                  text(t + pd.Timedelta(hours=2), sender=OTHER, recipient=SAM, direction="incoming"),
                  text(t + pd.Timedelta(hours=3), sender="Withheld", recipient=SAM, direction="incoming"),
                  text(t + pd.Timedelta(hours=4), sender="-1", recipient=SAM, direction="incoming"),
                  text(t + pd.Timedelta(hours=5), recipient=None, kind="data")])
    add_address_book(case, "Sam", [{"number": "+44 1632 960123", "name": "Dee (work)"},
                                   {"number": VIC, "name": "V"}])  # a subject's name wins
    doc = contacts.for_subject(case, "07700900001")
    assert doc["subject"] == "Sam"
    assert [(c["number"], c["name"], c["total"]) for c in doc["contacts"]] == [
        ("+447700900002", "Vic", 3), ("+441632960123", "Dee (work)", 2), ("(withheld)", None, 2)]
    assert doc["contacts"][1]["by_kind"] == {"call": 1, "sms": 1}
    assert doc["contacts"][1]["first"] == "2023-03-18T15:00:00+00:00"
    assert len(contacts.for_subject(case, "Sam", top=1)["contacts"]) == 1
    assert "+441632960123" in contacts.describe_for_subject(doc)


def test_cli_contacts(tmp_path, capsys):
    case = people()
    t = pd.Timestamp("2023-03-25T23:30:00Z")  # the last hour before the spring change
    add_events(case, "Sam", [text(t), text(t + pd.Timedelta(hours=2))])
    path = save(case, tmp_path)
    before = path.read_bytes()
    assert main(["contacts", str(path), "--between", "Sam", "Vic", "--by", "hour", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"a", "b", "total", "by_kind", "by_direction", "series", "peak"}
    assert [p["period"] for p in doc["series"]] == ["2023-03-25T23+00:00", "2023-03-26T00+00:00",
                                                    "2023-03-26T02+01:00"]
    assert main(["contacts", str(path), "--subject", "Vic", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["contacts"][0]["total"] == 2
    assert main(["contacts", str(path), "--between", "Sam", "Vic"]) == 0
    assert "2 communications" in capsys.readouterr().out
    assert main(["contacts", str(path), "--between", "Sam", "Nobody"]) == 2
    assert "Nobody" in capsys.readouterr().err
    # --subject names a subject; one that does not exist is created (in memory: read-only command).
    assert main(["contacts", str(path), "--subject", "Nobody", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"subject": "Nobody", "numbers": [], "contacts": [],
                                        "parameters": {"top": 20, "tz": "Europe/London",
                                                       "dedupe_tolerance_s": 10.0}}
    assert "created subject 'Nobody'" in captured.err
    assert path.read_bytes() == before


def test_week_labels_are_iso_weeks():
    case = people()
    add_events(case, "Sam", [text(pd.Timestamp("2023-01-01T12:00:00Z")),  # Sunday of 2022-W52
                             text(pd.Timestamp("2023-01-02T12:00:00Z"))])
    doc = contacts.between(case, "Sam", "Vic", by="week")
    assert doc["series"] == [{"period": "2022-W52", "count": 1}, {"period": "2023-W01", "count": 1}]
    assert np.sum([p["count"] for p in doc["series"]]) == 2
