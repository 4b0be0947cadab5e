"""The storyboard model: frames are checked, ordered, and saved in the case file."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.casefile import open_case, save_case
from cellsight.report.storyboard import EXTRAS_KEY, Frame, Storyboard, StoryboardError
from factories import new_case


def table(caption: str = "t") -> Frame:
    return Frame("table", caption=caption, note="n", parameters={"subject": "Sam"},
                 content={"columns": ["a", "b"], "rows": [[1, "x"], [2, None]]})


def test_frames_are_checked():
    with pytest.raises(StoryboardError, match="unknown frame kind"):
        Frame("video")
    with pytest.raises(StoryboardError, match="row 2"):
        Frame("table", content={"columns": ["a", "b"], "rows": [[1, 2], [3]]})
    with pytest.raises(StoryboardError, match="chart"):
        Frame("chart", content={"chart": "pie"})
    with pytest.raises(StoryboardError, match="JSON"):
        Frame("text", parameters={"when": object()}, content={"text": "x"})
    with pytest.raises(StoryboardError, match="caption"):
        Frame("text", caption=3)  # type: ignore[arg-type]


def test_add_move_remove_keep_order():
    board = Storyboard()
    for name in "abcd":
        board.add(table(name))
    board.move(0, 3)
    assert [f.caption for f in board] == ["b", "c", "d", "a"]
    board.add(table("e"), index=1)
    assert [f.caption for f in board] == ["b", "e", "c", "d", "a"]
    assert board.remove(-1).caption == "a"
    with pytest.raises(StoryboardError, match="no frame 9"):
        board.remove(9)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 8), st.lists(st.tuples(st.integers(0, 20), st.integers(-2, 20)), max_size=12))
def test_moves_match_a_list(n, moves):
    board = Storyboard([table(str(i)) for i in range(n)])
    model = [str(i) for i in range(n)]
    for src, dst in moves:
        src %= n
        board.move(src, dst)
        item = model.pop(src)
        model.insert(max(0, min(dst, len(model))), item)
    assert [f.caption for f in board] == model


def test_saved_in_the_case_file(tmp_path):
    case = new_case({"Sam": ("suspect", ["07700 900001"])})
    board = Storyboard([Frame("title", content={"title": "Story", "subtitle": "s"}), table(),
                        Frame("chart", caption="c", content={"chart": "heatmap", "subject": "Sam"}),
                        Frame("map", caption="m", content={"subjects": ["Sam"], "start": None, "end": None})])
    case.dirty = False
    board.save(case)
    assert case.dirty
    assert case.audit["action"].iloc[-1] == "update storyboard"
    path = tmp_path / "c.cellsight"
    save_case(case, path)
    again = Storyboard.load(open_case(path))
    assert [f.to_dict() for f in again] == [f.to_dict() for f in board]


def test_unreadable_storyboards_are_refused():
    case = new_case()
    assert len(Storyboard.load(case)) == 0
    case.extras[EXTRAS_KEY] = {"version": 99, "frames": []}
    with pytest.raises(StoryboardError, match="newer"):
        Storyboard.load(case)
    case.extras[EXTRAS_KEY] = {"version": 1, "frames": [{"kind": "text", "colour": "red"}]}
    with pytest.raises(StoryboardError, match="frame 1"):
        Storyboard.load(case)
