"""Redaction inside message text: third parties' names as whole words, e-mail addresses whole, each
replacement in the key; ordinary words that are also contact names ("Mum", "Will") left alone."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.case import Case
from cellsight.report.export import export_events
from cellsight.report.redaction import Redactor, name_words
from tests.core.test_import_ufdr import field, many, model, model_type, one, party, project, read, stamp, write_ufdr
from tests.factories import add_address_book, add_events, new_case


def _case(texts: list[str], book: list[tuple[str, str]], subjects: dict | None = None) -> Case:
    case = new_case(subjects or {"Sarah Holt": ("victim", ["07700 900001"]), "Dan": ("suspect", ["07700 900002"])})
    add_events(case, "Sarah Holt", [{"start": f"2024-03-01T10:{i:02d}:00Z", "kind": "sms", "direction": "incoming",
                                     "party_a": "07700 900002", "party_b": "07700 900001", "text": text}
                                    for i, text in enumerate(texts)])
    add_address_book(case, "Sarah Holt", [{"number": number, "name": name} for number, name in book])
    return case


def test_a_contacts_first_name_in_a_message_becomes_its_pseudonym_and_is_in_the_key() -> None:
    case = _case(["Liam says hi", "liam's here, Liams not"], [("07700 900555", "Liam bro")])
    redactor = Redactor.for_case(case)
    n = redactor.numbers["+447700900555"]
    assert redactor.text("Liam says hi") == f"Third party {n} says hi"
    assert redactor.text("liam's here, Liams not") == f"Third party {n}'s here, Liams not"  # whole words only
    assert redactor.text("Liam bro") == f"Third party {n}"  # the name column
    assert redactor.key()["names"] == {"liam": [n]}


def test_an_email_address_is_redacted_whole() -> None:
    case = _case(["write to john.smith@example.com or Dan.Price@Example.org"], [("07700 900666", "John")])
    redactor = Redactor.for_case(case)
    out = redactor.text("write to john.smith@example.com or Dan.Price@Example.org")
    assert re.fullmatch(r"write to Third party \d+ or Third party \d+", out), out
    assert "example" not in out and "smith" not in out
    assert redactor.numbers["john.smith@example.com"] != redactor.numbers["dan.price@example.org"]
    assert redactor.text("447700900666@s.whatsapp.net") == redactor.pseudonym("+447700900666"), "a chat id is a number"


def test_ordinary_words_saved_as_names_do_not_blank_ordinary_text() -> None:
    case = _case(["Will you tell Mum? mum will know"], [("07700 900111", "Mum"), ("07700 900222", "Will")])
    redactor = Redactor.for_case(case)
    assert name_words("Mum") == name_words("Will") == []
    assert redactor.text("Will you tell Mum? mum will know") == "Will you tell Mum? mum will know"
    assert redactor.text("Mum") == f"Third party {redactor.numbers['+447700900111']}"  # the name column


def test_a_word_of_two_third_parties_names_names_both_and_a_subjects_name_stays() -> None:
    case = _case(["Liam and Sarah met Jones"], [("07700 900555", "Liam bro"), ("07700 900666", "Liam Jones"),
                                                ("07700 900777", "Sarah Jones")])
    redactor = Redactor.for_case(case)
    a, b, c = (redactor.numbers[n] for n in ("+447700900555", "+447700900666", "+447700900777"))
    assert redactor.text("Liam and Sarah met Jones") == \
        f"Third party {a} or {b} and Sarah met Third party {b} or {c}"
    assert "sarah" not in redactor.key()["names"]


def test_chat_participants_display_names_are_redacted(tmp_path: Path) -> None:
    chat = model(
        "Chat", "chat-direct", field("Source", "WhatsApp"), field("Id", "447700900555@s.whatsapp.net"),
        many("Participants", party("447700900001@s.whatsapp.net", owner=True, name="Me"),
             party("447700900555@s.whatsapp.net", owner=False, name="Kieran Oakes")),
        many("Messages", model("InstantMessage", "d-1", stamp("2023-03-21T07:00:00.000+00:00"),
                               field("Body", "Kieran is outside"),
                               one("From", party("447700900555@s.whatsapp.net", "From")))))
    result = read(write_ufdr(tmp_path / "phone.ufdr", project(model_type("Chat", chat))), tz="UTC")
    assert result.parameters["party_names"] == {"+447700900555": "Kieran Oakes"}
    case = new_case({"Sarah Holt": ("victim", ["07700 900001"])})
    source = add_events(case, "Sarah Holt", [{"start": "2023-03-21T07:00:00Z", "kind": "chat",
                                              "direction": "incoming", "party_a": "07700 900555",
                                              "party_b": "07700 900001", "text": "Kieran is outside"}])
    source.parameters["party_names"] = result.parameters["party_names"]
    redactor = Redactor.for_case(case)
    assert redactor.text("Kieran is outside") == f"Third party {redactor.numbers['+447700900555']} is outside"


def test_a_redacted_export_keeps_no_name_or_address(tmp_path: Path) -> None:
    texts = ["Liam says hi", "mail liam.smith@example.com", "ask Kieran"]
    case = _case(texts, [("07700 900555", "Liam bro"), ("07700 900666", "Kieran")])
    export_events(case, tmp_path / "e.csv", redact=True)
    written = (tmp_path / "e.csv").read_text("utf-8-sig")
    assert not re.search(r"liam|kieran|example\.com|900555|900666", written, re.IGNORECASE)


NAMES = st.sampled_from(["Liam", "Kieran", "Zofia", "Oakes", "Priya", "Tomasz"])


@settings(max_examples=60, deadline=None)
@given(NAMES, st.sampled_from(["", "hi ", "tell ", "(", "@"]), st.sampled_from(["", "!", " says hi", "'s", ","]))
def test_no_whole_word_of_a_third_partys_name_survives(name: str, before: str, after: str) -> None:
    case = _case([], [("07700 900555", f"{name} from work")])
    redactor = Redactor.for_case(case)
    out = redactor.text(f"{before}{name}{after}")
    assert not re.search(rf"(?<!\w){name}(?!\w)", out, re.IGNORECASE), out
