"""The standard storyboard of a stalking case, built for review from the demo case's planted answers."""

from __future__ import annotations

import json

import pytest

from cellsight import demo as cellsight_demo
from cellsight.report.standard import court_day, standard_frames
from cellsight.report.storyboard import Storyboard
from tests.factories import add_events, new_case

SUSPECT, VICTIM, HOME = "Daniel Price", "Sarah Holt", "Sarah Holt's home"


@pytest.fixture(scope="module")
def demo():
    case, _ = cellsight_demo.build(case_path=None)
    return case, cellsight_demo.load_answers()


def test_the_standard_frames_hold_the_planted_answers(demo) -> None:
    case, answers = demo
    frames = standard_frames(case, SUSPECT, VICTIM, HOME)
    assert [f.kind for f in frames] == ["title", "chart", "text", "table", "table", "table"]
    title, chart, busiest, near_her, near_home, concern = frames
    assert "check every frame" in title.content["subtitle"]
    contacts = answers["contacts"]
    assert chart.content["data"]["total"] == contacts["total"] == 1582
    assert chart.content["data"]["peak"] == contacts["peak"]
    assert busiest.caption == f"The busiest day: {court_day(contacts['peak']['period'], 'Europe/London')} (102)"
    assert "Sat 1 Nov 2025, with 102 communications" in busiest.content["text"]
    assert len(near_her.content["rows"]) == answers["proximity"]["gps"]["count"] == 6
    assert len(near_home.content["rows"]) == answers["proximity"]["place_gps"]["count"] == 6
    assert near_home.parameters["place"] == HOME and near_home.note.startswith("A hit is")
    first = near_her.content["rows"][0]
    assert first[1] == "Fri 3 Oct 2025 17:20:13 BST" and first[5] == "gps"
    threats = {row[3]: row for row in concern.content["rows"]}
    for text in ("Your lights are on. I know you're in. I'm watching you",
                 "Open the door Sarah or I'll burn the place down"):
        assert threats[text][5] == "AM/4" and threats[text][6].startswith("model ")
        assert threats[text][1] == "Daniel Price (+447700900417)"
    assert concern.parameters["terms_of_concern"][:3] == ["kill", "burn", "watching you"]
    board = Storyboard(frames)
    assert Storyboard.from_dict(json.loads(json.dumps(board.to_dict()))).to_dict() == board.to_dict()


def test_without_a_home_texts_or_contact_only_what_exists_is_built() -> None:
    case = new_case(subjects={"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    frames = standard_frames(case, "Sam", "Vic")
    assert [f.kind for f in frames] == ["title", "chart", "table"]  # no contact: no busiest day
    assert frames[2].content["rows"] == [] and frames[2].caption.endswith("(0)")
    add_events(case, "Sam", [{"start": "2024-02-01T10:00:00Z", "kind": "sms", "direction": "outgoing",
                              "party_a": "07700 900001", "party_b": "07700 900002", "text": "hello"}])
    frames = standard_frames(case, "Sam", "Vic")
    assert [f.kind for f in frames] == ["title", "chart", "text", "table"]  # nothing of concern in "hello"
    assert "Thu 1 Feb 2024, with 1 communication." in frames[2].content["text"]
