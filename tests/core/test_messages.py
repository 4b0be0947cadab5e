"""Messages read by conversation, the terms of concern, and the schedule of messages (no Qt)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.analysis import messages
from cellsight.core.casefile import open_case
from tests.factories import add_events, new_case, save

SAM, VIC, KEV = "07700 900001", "07700 900002", "07700 900003"
GROUP = "447700900001-1690000000@g.us"


def _case():
    case = new_case(subjects={"Sam": ("suspect", [SAM]), "Vic": ("victim", [VIC])})
    add_events(case, "Sam", [
        {"start": "2023-10-29T00:30:00+00:00", "kind": "sms", "direction": "outgoing", "party_a": SAM,
         "party_b": VIC, "text": "I'm WATCHING   you", "source_row": "7"},
        {"start": "2023-10-29T01:30:00+00:00", "kind": "sms", "direction": "incoming", "party_a": VIC,
         "party_b": SAM, "text": "Leave me alone", "source_row": "8", "deleted": True},
        {"start": "2023-10-29T02:00:00+00:00", "kind": "chat", "direction": "incoming", "party_a": KEV,
         "party_b": GROUP, "thread": GROUP, "text": "Sunburn today", "source_row": "9"},
        {"start": "2023-10-29T02:05:00+00:00", "kind": "chat", "direction": "outgoing", "party_a": SAM,
         "party_b": GROUP, "thread": GROUP, "text": "I'll burn it", "source_row": "10"},
        {"start": "2023-10-29T03:00:00+00:00", "kind": "sms", "direction": "outgoing", "party_a": SAM,
         "party_b": VIC, "source_row": "11"},  # an operator's record: no words
        {"start": "2023-10-29T03:10:00+00:00", "kind": "call", "direction": "outgoing", "party_a": SAM,
         "party_b": VIC, "source_row": "12"},
    ], file="sam_phone.csv")
    case.sources[-1].exhibit = "DR/4"
    return case


def test_terms_match_at_the_start_of_a_word_in_any_capitals_across_spaces() -> None:
    texts = pd.Series(["I will BURN it", "sunburn", "watching\n you now", None, "skill", "killer", "burn-out"])
    found = messages.concern_mask(texts, ["burn", "kill", "watching you"])
    assert found.tolist() == [True, False, True, False, False, True, True]
    assert messages.concern_mask(texts, []).tolist() == [False] * 7
    assert messages.spans("Open up or I'll Burn it. Watching you", ["burn", "watching you"]) == [(16, 20), (25, 37)]


def test_the_terms_are_the_cases_saved_with_an_audit_line(tmp_path) -> None:
    case = _case()
    assert messages.terms(case) == list(messages.DEFAULT_TERMS)
    kept = messages.set_terms(case, ["  burn ", "Burn", "", "watching   you"])
    assert kept == ["burn", "watching you"] and case.audit["action"].iloc[-1] == "set terms of concern"
    assert messages.terms(open_case(save(case, tmp_path))) == ["burn", "watching you"]
    messages.set_terms(case, [])
    assert messages.terms(case) == []  # an empty list is the officer's choice, not the defaults


def test_conversations_are_pairs_either_way_round_and_groups_by_thread() -> None:
    case = _case()
    positions = messages.message_positions(case.events)
    assert len(positions) == 4  # the call and the record without words are not messages to read
    assert len(messages.message_positions(case.events, with_text_only=False)) == 5
    ids, keys = messages.conversations(case.events.iloc[positions])
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    assert messages.conversation_parties(keys[ids[0]]) == ("+447700900001", "+447700900002")
    assert keys[ids[2]] == GROUP and messages.is_group(GROUP) and not messages.is_group(keys[ids[0]])


def test_the_schedule_cites_exhibit_and_row_with_times_as_a_court_reads_them() -> None:
    case = _case()
    positions = messages.message_positions(case.events)
    rows = messages.schedule_rows(case, positions[::-1], case.number_names())
    assert rows[0] == ["Sun 29 Oct 2023 01:30:00 BST (UTC+01:00)", "Sam (+447700900001)", "Vic (+447700900002)",
                       "I'm WATCHING   you", "", "DR/4", "line 7"]
    assert rows[1][0] == "Sun 29 Oct 2023 01:30:00 GMT (UTC+00:00)" and rows[1][4] == "deleted"
    assert rows[2][1:3] == ["+447700900003", GROUP]  # no names known: as stored
    assert [r[3] for r in rows] == ["I'm WATCHING   you", "Leave me alone", "Sunburn today", "I'll burn it"]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P", "S", "Zs")), min_size=1,
               max_size=12).filter(lambda t: t.strip() and re.match(r"\w", t.strip())))
def test_any_term_is_found_where_it_stands_and_never_breaks_the_pattern(term: str) -> None:
    """Regular-expression characters in a term are taken literally, by Arrow's RE2 and Python alike."""
    term = " ".join(term.split())
    texts = pd.Series([f"start {term} end", f"x{term}", "nothing here"])
    found = messages.concern_mask(texts, [term])
    assert found[0]
    assert np.array_equal(found, [bool(messages.spans(t, [term])) for t in texts])
