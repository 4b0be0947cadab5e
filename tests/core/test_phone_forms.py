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
from tests.core.phone_strategies import REGIONS, written_numbers

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
@given(st.sampled_from(sorted(REGIONS)).flatmap(
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
