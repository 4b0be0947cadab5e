"""Number normalisation: the forms operators and phones write all meet in one E.164 value."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.phone import normalise, normalise_series, same_number

DRAMA_FORMS = [
    "447700900123",
    "07700 900123",
    "07700900123",
    "+44 7700 900123",
    "+44 (0)7700-900123",
    "0044 7700 900123",
    "07700 900123 (D)",
    "447700900123@s.whatsapp.net",
    "+447700900123",
    " 07700-900-123 ",
]


@pytest.mark.parametrize("raw", DRAMA_FORMS)
def test_every_form_of_a_drama_mobile_normalises(raw: str) -> None:
    assert normalise(raw, "GB") == ("+447700900123", "possible")


def test_drama_landline_normalises() -> None:
    assert normalise("01632 960001", "GB") == ("+441632960001", "possible")


def test_a_valid_foreign_number_is_flagged_valid() -> None:
    assert normalise("+1 202 555 0100", "GB") == ("+12025550100", "valid")


def test_the_region_applies_to_national_numbers() -> None:
    value, flag = normalise("(202) 555-0100", "US")
    assert (value, flag) == ("+12025550100", "valid")


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("-1", "withheld"),
        ("Withheld", "withheld"),
        ("", "blank"),
        ("   ", "blank"),
        ("123", "short_code"),
        ("88888", "short_code"),
        ("BANKUK", "alphanumeric"),
        ("+91 98765", "invalid"),
        ("12345678901234567890", "invalid"),
    ],
)
def test_what_is_not_a_number_is_kept_as_written_and_flagged(raw: str, flag: str) -> None:
    value, got = normalise(raw, "GB")
    assert got == flag
    assert value == raw


def test_series_keeps_raw_and_flags_every_row() -> None:
    raw = pd.Series(["07700 900123", None, "447700900123", "BANK", 447700900124.0, "-1"])
    values, flags = normalise_series(raw, "GB")
    assert values.tolist()[0] == "+447700900123"
    assert pd.isna(values.iloc[1])
    assert values.iloc[2] == "+447700900123"
    assert values.iloc[3] == "BANK"
    assert values.iloc[4] == "+447700900124"
    assert values.iloc[5] == "-1"
    assert flags.astype(str).tolist() == ["possible", "blank", "possible", "alphanumeric", "possible",
                                          "withheld"]


def test_same_number_across_formats() -> None:
    assert same_number("07700 900123", "447700900123@s.whatsapp.net")
    assert not same_number("07700 900123", "07700 900124")


drama_suffix = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")
separators = st.sampled_from(["", " ", "-", "  ", "."])
prefixes = st.sampled_from(["0", "44", "+44", "+44 (0)", "0044", "+44 "])


@settings(max_examples=200, deadline=None)
@given(prefix=prefixes, sep1=separators, sep2=separators, suffix=drama_suffix,
       annotation=st.sampled_from(["", " (D)", "(M)"]))
def test_any_spelling_of_a_drama_number_reaches_the_same_e164(prefix: str, sep1: str, sep2: str,
                                                                suffix: str, annotation: str) -> None:
    raw = f"{prefix}{sep1}7700{sep2}900{suffix}{annotation}"
    assert normalise(raw, "GB") == (f"+447700900{suffix}", "possible")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_string_gives_a_value_and_a_known_flag_and_never_raises(raw: str) -> None:
    value, flag = normalise(raw, "GB")
    assert flag in {"valid", "possible", "short_code", "alphanumeric", "withheld", "blank", "invalid"}
    if flag in ("valid", "possible"):
        assert value.startswith("+") and value[1:].isdigit()
    else:
        assert value == raw


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(DRAMA_FORMS + ["BANK", "-1", "", "999"]), max_size=50))
def test_series_agrees_with_the_scalar_function(values: list[str]) -> None:
    series = pd.Series(values, dtype=object)
    normalised, flags = normalise_series(series, "GB")
    for raw, value, flag in zip(values, normalised, flags):
        expected_value, expected_flag = normalise(raw, "GB")
        assert flag == expected_flag
        if expected_flag == "blank":
            assert pd.isna(value)
        else:
            assert value == expected_value
