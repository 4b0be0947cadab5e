"""The Messages pane: conversations, bubbles, search, terms of concern, linking, the schedule of messages."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QRect, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from cellsight.analysis import messages as analysis
from cellsight.core.selection import TimeRange
from tests.gui.cases import ANN, BOB, DAY0, GROUP, THREAT, make_message_case


@pytest.fixture
def messages(window, qtbot):
    """The window on a case with texts, the Messages pane in front and its index built."""
    window.set_case(make_message_case(), None)
    pane = window.panes["messages"]
    window.docks["messages"].raise_()
    qtbot.waitUntil(lambda: pane.index is not None and not window.tasks, timeout=20_000)
    return pane


def _texts(pane) -> list[str]:
    return [pane.model.text(r) for r in range(pane.model.rowCount())]


def test_conversations_by_contact_with_bubbles_in_time_order(messages, window, qtbot) -> None:
    pane = messages
    titles = pane.conversation_titles()
    # Bob anchors his conversations (the suspect's side), so each pair reads the same way round
    assert "Bob ↔ Ann" in titles and any(t.endswith("(group)") for t in titles)
    assert _texts(pane)[:3] == ["Can we talk?", "Please stop contacting me", THREAT]  # time order
    assert pane.model.rowCount() == 8  # the 5 texts and 3 group chats; call records' texts have no words
    first = pane.model.message(0)
    assert first.right and first.header == "Bob → Ann"
    assert first.time == "Tue 5 Mar 2024 08:00:00 GMT"
    assert first.footer.startswith("AB/2 model m0")  # the exhibit and its row, not the case's S2
    reply = pane.model.message(1)
    assert not reply.right and "Ann (+447700900101) → Bob" in reply.parties
    deleted = next(pane.model.message(r) for r in range(8) if pane.model.text(r) == "I'm watching you")
    assert deleted.deleted
    # the texts call records list without their words come in on request
    records = int((window.case.events["kind"] == "sms").sum()) - 5
    pane.with_records.setChecked(True)
    qtbot.waitUntil(lambda: not pane.index.texts_only and not window.tasks, timeout=20_000)
    assert pane.model.rowCount() == 8 + records and records > 0


def test_a_search_finds_the_planted_threat_and_the_terms_of_concern_mark_it(messages, qtbot, window) -> None:
    pane = messages
    pane.search.setText("burn")
    pane.apply_search()
    assert _texts(pane) == [THREAT, "Sorry. Sunburn is bad today"]  # full text: any capitals, inside words
    assert "searching for “burn”" in pane.count.text()
    # terms of concern match at the start of a word: the threat, not the sunburn
    assert [pane.model.message(r).concern for r in range(2)] == [True, False]
    pane.search.setText("")
    pane.apply_search()
    pane.concern_only.setChecked(True)
    assert sorted(_texts(pane)) == sorted([THREAT, "I'm watching you"])
    assert "2 of concern" in pane.count.text()


def test_the_terms_of_concern_are_the_cases_list_edited_and_saved(messages, qtbot, window) -> None:
    pane = messages
    assert pane.terms == list(analysis.DEFAULT_TERMS)
    pane.set_terms(["sunburn", "  Training  "])
    assert window.case.extras["concern_terms"] == ["sunburn", "Training"]
    assert window.case.dirty and window.case.audit["action"].iloc[-1] == "set terms of concern"
    qtbot.waitUntil(lambda: pane.index is not None and not window.tasks, timeout=20_000)
    pane.concern_only.setChecked(True)
    assert sorted(_texts(pane)) == ["Sorry. Sunburn is bad today", "Training Thursday?"]


def test_a_bubble_paints_its_text_and_highlights_the_threat(messages) -> None:
    pane = messages
    row = _texts(pane).index(THREAT)
    option = QStyleOptionViewItem()
    option.initFrom(pane.view)
    option.rect = QRect(0, 0, 500, 10)
    size = pane.delegate.sizeHint(option, pane.model.index(row))
    assert size.height() > 40
    image = QImage(QSize(500, size.height()), QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    painter = QPainter(image)
    option.rect = QRect(0, 0, 500, size.height())
    pane.delegate.paint(painter, option, pane.model.index(row))
    painter.end()
    colours = {image.pixel(x, y) & 0xFFFFFF for x in range(0, 500, 2) for y in range(0, size.height(), 2)}
    assert 0xF8C9C4 in colours  # the term of concern's red highlight behind "burn"


def test_choosing_a_conversation_selects_its_messages_everywhere_and_follows_the_hub(messages, window) -> None:
    pane = messages
    number = pane.conversation_titles().index("Bob ↔ Ann")
    pane.choose(number)
    facet = window.hub.facets()["messages"]
    events = window.panes["events"]
    events.ensure_fresh()
    shown = events.model.frame.iloc[events.model.order]
    assert len(shown) == 5 and set(shown["text"]) >= {THREAT}
    assert "messages of Bob ↔ Ann" in facet.describe("Europe/London")
    # a time range elsewhere narrows the bubbles (panes never talk to each other: the hub does)
    start = DAY0 + np.timedelta64(1, "D")
    window.hub.set_selection(None, "time", TimeRange(start, start + np.timedelta64(10, "m")))
    pane.ensure_fresh()
    assert _texts(pane) == ["Can we talk?", "Please stop contacting me", THREAT]
    window.clear_selection()
    pane.ensure_fresh()
    assert pane.chosen == -1 and pane.model.rowCount() == 8


def test_chosen_messages_go_to_the_storyboard_as_a_schedule(messages, window) -> None:
    pane = messages
    pane.search.setText("watching")
    pane.apply_search()
    pane.view.selectionModel().select(pane.model.index(0), QItemSelectionModel.SelectionFlag.Select)
    window.add_to_storyboard("messages")
    frame = window.panes["storyboard"].board.frames[-1]
    assert frame.kind == "table" and frame.caption.startswith("Schedule of messages")
    assert frame.content["columns"] == ["Time", "From", "To", "Text", "Deleted", "Exhibit", "Row in exhibit"]
    assert frame.content["rows"] == [["Tue 5 Mar 2024 08:12:00 GMT", f"Bob ({BOB})", f"Ann ({ANN})",
                                      "I'm watching you", "deleted", "AB/2", "model m3"]]
    assert frame.parameters["search"] == "watching" and frame.parameters["chosen_messages"] == 1


def test_group_chats_are_shown_by_the_name_the_case_gives_them(window, qtbot) -> None:
    case = make_message_case()
    names = case.number_names()
    case.number_names = lambda: {**names, GROUP: "Sunday League Lads"}  # as a phone download names it
    window.set_case(case, None)
    pane = window.panes["messages"]
    window.docks["messages"].raise_()
    qtbot.waitUntil(lambda: pane.index is not None and not window.tasks, timeout=20_000)
    assert "Sunday League Lads (group)" in pane.conversation_titles()
    group = next(pane.model.message(r) for r in range(pane.model.rowCount()) if pane.model.text(r) == "I'm in")
    assert group.header == "Bob → Sunday League Lads"
    events = window.panes["events"]
    column = events.model.columns.index("party_b")
    shown = {events.model.display(r, column) for r in range(events.model.rowCount())}
    assert f"{GROUP} (Sunday League Lads)" in shown
    contacts = window.panes["contacts"]
    window.docks["contacts"].raise_()
    contacts.subject.setCurrentText("Bob")
    qtbot.waitUntil(lambda: contacts.model.rowCount() > 0 and not window.tasks, timeout=20_000)
    ranked = {contacts.model.display(r, 0): contacts.model.display(r, 1) for r in range(contacts.model.rowCount())}
    assert ranked[GROUP] == "Sunday League Lads"
