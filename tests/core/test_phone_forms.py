"""The column fast path for a region's written forms gives phonenumbers' own answers.

``phone_forms.fast_normalise`` may leave any value to ``phone.normalise``; every
value it does answer must get exactly what ``normalise`` (phonenumbers, one at a
time) gives: the same E.164 value and the same valid/possible flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core.phone import normalise, normalise_series
from cellsight.core.phone_forms import fast_normalise

# National numbers: Ofcom's drama ranges, real-looking mobile, London, freephone and premium
# shapes, and digits of any length (short, long, a national prefix inside).
_GB_STARTS = ["7700900", "1632960", "20794", "7911", "7624", "1481", "1534", "800", "845", "9098",
              "0", "00", "180020", "56", "70", "76", "3", "55", "1", "2", ""]
_REGIONS = {"GB": ("44", "0", _GB_STARTS), "DE": ("49", "0", ["30", "151", "89", "0", ""]),
            "FR": ("33", "0", ["6", "1", "9", "0", ""]), "US": ("1", "1", ["415", "212", "800", "0", ""]),
            "IN": ("91", "0", ["98", "11", "80", "0", ""]), "AU": ("61", "0", ["4", "2", "0", ""]),
            "JE": ("44", "0", ["7797", "1534", ""])}


@st.composite
def written_numbers(draw, region: str) -> str:
    """A number as a person or an operator writes it in ``region``: +CC, 00CC, CC, 0 or nothing in
    front, spaces, dashes, dots or brackets between digits, spaces round it."""
    code, prefix, starts = _REGIONS[region]
    national = draw(st.sampled_from(starts)) + draw(st.text("0123456789", min_size=0, max_size=11))
    front = draw(st.sampled_from(["+" + code, "00" + code, code, prefix, "", "+" + code + "0",
                                  "+" + code + " (0)", "(" + prefix]))
    digits = front + national
    out = []
    for ch in digits:
        out.append(ch)
        if ch.isdigit() and draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from([" ", "-", ".", ") ", "\u00a0", "/", "  "])))
    pad = draw(st.sampled_from(["", " ", "\u00a0", "\t"]))
    return pad + "".join(out) + draw(st.sampled_from(["", " ", "\u00a0"]))


def _agrees(texts: list[str], region: str) -> int:
    values, flags = fast_normalise(np.array(texts, dtype=object), region)
    for text, value, flag in zip(texts, values, flags):
        if flag is not None:
            assert (value, flag) == normalise.__wrapped__(text, region), text
    return int(sum(f is not None for f in flags))


@settings(max_examples=150, deadline=None)
@given(st.lists(written_numbers("GB"), min_size=1, max_size=40))
def test_fast_path_agrees_with_phonenumbers_on_british_numbers(texts: list[str]) -> None:
    _agrees(texts, "GB")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_REGIONS)).flatmap(
    lambda region: st.tuples(st.just(region), st.lists(written_numbers(region), min_size=1, max_size=30))))
def test_fast_path_agrees_with_phonenumbers_in_other_regions(drawn: tuple[str, list[str]]) -> None:
    region, texts = drawn
    _agrees(texts, region)


def test_the_common_forms_take_the_fast_path() -> None:
    common = ["+447700900123", "+44 7700 900123", "0044 7700 900123", "447700900123", "07700 900123",
              "07700-900-123", "(07700) 900123", "020 7946 0018", "+44 20 7946 0018", " 07911 123456 "]
    assert _agrees(common, "GB") == len(common)
    assert _agrees(["030 1234567", "+49 151 23456789", "0151 23456789"], "DE") == 3
    # Left to phonenumbers: a trunk "(0)", an annotation, letters, short codes, other countries.
    left = ["+44 (0)7700 900123", "07700900123 (D)", "VODAFONE", "999", "+1 415 555 0123", "-1", ""]
    assert _agrees(left, "GB") == 0


def test_normalise_series_equals_normalise_of_each_value() -> None:
    rng = np.random.default_rng(7)
    texts = [f"07700 900{n:03d}" for n in rng.integers(0, 1000, 300)] + \
        ["+44 (0)7700 900001", "01632 960001", "999", None, "withheld", "447700900777", "+33 6 12 34 56 78"]
    values, flags = normalise_series(pd.Series(texts, dtype=object), "GB")
    for text, value, flag in zip(texts, values, flags):
        expected_value, expected_flag = normalise(text, "GB") if text is not None else (None, "blank")
        assert flag == expected_flag
        assert (None if pd.isna(value) else value) == (expected_value if expected_flag != "blank" else None)
