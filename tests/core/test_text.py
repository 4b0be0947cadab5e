"""Invisible controls are shown, never obeyed: core.text and the command line's printing point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cellsight.cli import main
from cellsight.core.text import BIDI_CONTROLS, CONTROLS, reveal, reveal_any
from factories import add_address_book, add_events, new_case, save

ESC_NAME = "Jo\x1b[2J\x1b[31mRED\x1b]0;pwned\x07"  # clear screen, red, set the window title
CR_NAME = "Innocent\rGuilty"  # the terminal would show "Guilty" over "Innocent"
C1_NAME = "Al\x9b2Jex"  # the one-byte CSI
LINE_NAME = "Sam\nTotal 0 contacts\u2028\u2029"
RTL_NAME = "invoice\u202egnp.exe"
NAMES = [ESC_NAME, CR_NAME, C1_NAME, LINE_NAME, RTL_NAME]


def test_reveal_writes_every_control_as_its_code_point() -> None:
    assert reveal(ESC_NAME) == "Jo[U+001B][2J[U+001B][31mRED[U+001B]]0;pwned[U+0007]"
    assert reveal(C1_NAME) == "Al[U+009B]2Jex"
    assert reveal("a\x7fb\x00c") == "a[U+007F]b[U+0000]c"
    assert reveal("\u2028\u2029") == "[U+2028][U+2029]"
    assert reveal(RTL_NAME) == "invoice[U+202E]gnp.exe"
    # tab, line feed and carriage return are white space in a document, kept by default
    assert reveal("a\tb\nc\rd") == "a\tb\nc\rd"
    assert reveal("a\tb\nc\rd", keep="") == "a[U+0009]b[U+000A]c[U+000D]d"
    assert reveal_any({"k\x1b": ["v\x9b", ("w\u202e",)]}) == {"k[U+001B]": ["v[U+009B]", ["w[U+202E]"]]}


@given(st.text())
def test_revealed_text_holds_no_control_and_loses_nothing_else(text: str) -> None:
    assume("[U+" not in text)
    shown = reveal(text, keep="")
    assert not any(c in shown for c in BIDI_CONTROLS + CONTROLS)
    back = re.sub(r"\[U\+([0-9A-F]{4})\]", lambda m: chr(int(m.group(1), 16)), shown)
    assert back == text


@pytest.fixture
def hostile_case(tmp_path: Path) -> Path:
    case = new_case({"Sam": ("suspect", ["07700 900001"]), "Vic": ("victim", ["07700 900002"])})
    add_events(case, "Sam", [
        {"start": f"2023-03-18T14:0{i}:00+00:00", "kind": "call", "direction": "outgoing",
         "party_a": "07700 900001", "party_b": f"07700 90010{i}"} for i in range(len(NAMES))])
    add_address_book(case, "Sam", [{"number": f"07700 90010{i}", "name": name}
                                   for i, name in enumerate(NAMES)])
    return save(case, tmp_path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_inert(text: str) -> None:
    """No control a terminal would obey, other than the line feeds between lines."""
    bad = [c for c in text if c in BIDI_CONTROLS + CONTROLS and c != "\n"]
    assert not bad, [hex(ord(c)) for c in bad]


def test_contacts_prints_hostile_names_inert(hostile_case: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "contacts", str(hostile_case), "--subject", "Sam")
    assert code == 0, err
    _assert_inert(out + err)
    assert "Jo[U+001B][2J[U+001B][31mRED" in out
    assert "Innocent[U+000D]Guilty" in out and "Al[U+009B]2Jex" in out
    assert "invoice[U+202E]gnp.exe" in out
    # a line feed inside a name is shown, so the name cannot fake a line of its own
    assert "Sam[U+000A]Total 0 contacts[U+2028][U+2029]" in out
    assert len(out.splitlines()) == 1 + len(NAMES)


def test_json_stays_exact_and_holds_no_raw_c1_control(hostile_case: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "contacts", str(hostile_case), "--subject", "Sam", "--json")
    assert code == 0
    assert {c["name"] for c in json.loads(out)["contacts"]} == set(NAMES)
    assert not any(c in out for c in "\x1b\r\x9b\u2028\u2029\x07")
    assert "\u202e" in out  # bidi stays data in JSON: a decoder gives it back, a terminal shows it


def test_error_lines_and_import_messages_are_inert(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "c.cellsight"
    assert _run(capsys, "new", str(case))[0] == 0
    missing = tmp_path / "evil\x1b[2J\rname.csv"
    code, out, err = _run(capsys, "import", "--assume-case-tz", str(case), str(missing), "--subject", "Sam")
    assert code == 2
    _assert_inert(err)
    assert err.count("\n") == 1 and "evil[U+001B][2J[U+000D]name.csv" in err
    code, out, err = _run(capsys, "info", str(case))
    _assert_inert(out)


def test_subject_names_in_info_patterns_and_proximity_are_inert(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = new_case({ESC_NAME: ("suspect", ["07700 900001"]), CR_NAME: ("victim", ["07700 900002"])})
    add_events(case, ESC_NAME, [{"start": "2023-03-18T14:00:00+00:00", "kind": "call",
                                 "direction": "outgoing", "party_a": "07700 900001",
                                 "party_b": "07700 900002"}])
    path = str(save(case, tmp_path))
    for argv in (("info", path), ("patterns", path, "--subject", "07700 900001"),
                 ("proximity", path, "--a", "07700 900001", "--b", "07700 900002"),
                 ("contacts", path, "--between", "07700 900001", "07700 900002")):
        code, out, err = _run(capsys, *argv)
        assert code == 0, err
        _assert_inert(out + err)
        assert "[U+001B]" in out
