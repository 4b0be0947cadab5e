"""The link chart: counts as contacts counts them, direction kept, drawn the same twice, into the PDF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

import factories
from cellsight.analysis import contacts, linkchart
from cellsight.report.build import write_report
from cellsight.report.storyboard import Frame, Storyboard, StoryboardError

SAM, VIC, BOB = "07700 900001", "07700 900002", "07700 900003"


def _case():
    case = factories.new_case(subjects={"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})
    rows = [{"start": f"2023-03-18T14:0{i}:05+00:00", "kind": "call", "direction": "outgoing",
             "party_a": SAM, "party_b": VIC, "duration_s": 10} for i in range(5)]
    rows += [{"start": "2023-03-18T15:00:05+00:00", "kind": "sms", "direction": "incoming",
              "party_a": VIC, "party_b": SAM},
             {"start": "2023-03-18T15:30:00+00:00", "kind": "call", "direction": "incoming",
              "party_a": "withheld", "party_b": SAM},
             {"start": "2023-03-18T16:00:00+00:00", "kind": "chat", "direction": "outgoing", "thread": "g1",
              "party_a": SAM, "party_b": BOB},
             {"start": "2023-03-18T16:00:00+00:00", "kind": "chat", "direction": "outgoing", "thread": "g1",
              "party_a": SAM, "party_b": "07700 900004"}]
    factories.add_events(case, "Sam", rows)
    # Vic's records see three of Sam's calls again: still five calls.
    factories.add_events(case, "Vic", [{"start": f"2023-03-18T14:0{i}:07+00:00", "kind": "call",
                                        "direction": "incoming", "party_a": SAM, "party_b": VIC}
                                       for i in range(3)])
    return case


def test_edges_count_communications_once_with_their_direction() -> None:
    case = _case()
    data = linkchart.build(case)
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    sam, vic = "+447700900001", "+447700900002"
    assert edges[(sam, vic)]["count"] == 5 and edges[(sam, vic)]["by_kind"] == {"call": 5}
    assert edges[(vic, sam)]["count"] == 1 and edges[(vic, sam)]["by_kind"] == {"sms": 1}
    # The group message: once for each member it went to; the withheld caller is no node.
    assert edges[(sam, "+447700900003")]["count"] == 1 and edges[(sam, "+447700900004")]["count"] == 1
    assert {n["id"] for n in data["nodes"]} == {sam, vic, "+447700900003", "+447700900004"}
    named = {n["id"]: n["name"] for n in data["nodes"]}
    assert named[sam] == "Sam" and named["+447700900003"] is None
    # The same count as the contacts analysis of the pair.
    assert contacts.between(case, "Sam", "Vic")["total"] == edges[(sam, vic)]["count"] + edges[(vic, sam)]["count"]


def test_layout_is_the_same_twice_and_subjects_stay_when_numbers_are_cut() -> None:
    case = _case()
    assert linkchart.build(case) == linkchart.build(case)
    small = linkchart.build(case, max_nodes=2)
    assert {n["id"] for n in small["nodes"]} == {"+447700900001", "+447700900002"}
    assert small["parameters"]["numbers_left_out"] == 2
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in small["nodes"])


def test_a_link_chart_frame_needs_its_data_and_prints_in_the_pdf(tmp_path) -> None:
    with pytest.raises(StoryboardError, match="link chart"):
        Frame("chart", content={"chart": "links"})
    case = _case()
    data = linkchart.build(case)
    board = Storyboard()
    board.add(Frame("chart", caption="Who contacts whom", parameters=data["parameters"],
                    content={"chart": "links", "data": data}))
    board.save(case)
    out = tmp_path / "r.pdf"
    write_report(case, out, produced="2024-01-01T00:00:00")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "Who contacts whom" in text and "+447700900004" in text
    assert "4 of 4 numbers shown" in text
