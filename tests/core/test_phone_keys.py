"""Keyed numbers get exactly the answers of the numbers as written.

``phone_keys`` reduces a plainly written number to an integer key and answers
once per key; every string it keys must get what ``phone.normalise``
(phonenumbers, one string at a time) gives the string as written, and what
``phone_forms`` gives it; the byte-level test for "written plainly" must agree
with ``phone_forms``' regular expression on any text at all.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from cellsight.core import phone_forms
from cellsight.core.phone import normalise
from cellsight.core.phone_keys import NO_KEY, NumberKeys, SortedKeys, e164_keys, plainly_written, written_keys
from tests.core.phone_strategies import REGIONS, written_numbers

# Odd text: the characters of written numbers and their neighbours (tab, letters, other spaces and
# marks, a byte sequence whose second byte is A0, a lone "(0)").
_ODD = st.text(alphabet="0123456789 +-()./\u00a0\t\u2007\u00a9\u20a0AbO@", max_size=24)
_JUNK = st.sampled_from(["", " ", "-", "withheld", "VODAFONE", "999", "+44 (0)7700 900123", "(0)",
                         "07700900123 (D)", "447700900123@s.whatsapp.net", "+33 6 12 34 56 78",
                         "00", "0", "+", "+0", "+0044 7700", "000447700900123", "4477009001234567890123"])


def _texts(region: str) -> st.SearchStrategy[list[str | None]]:
    return st.lists(st.one_of(written_numbers(region), _ODD, _JUNK, st.none()), min_size=1, max_size=40)


def _bytes(texts: list[str | None]) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    arr = pa.array(texts, pa.large_string())
    _, offsets, data = arr.buffers()
    bounds = np.frombuffer(offsets, np.int64)[:len(arr) + 1]
    body = np.frombuffer(data, np.uint8)[:bounds[-1]] if data is not None else np.zeros(0, np.uint8)
    return arr, body, bounds


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_ODD, written_numbers("GB"), _JUNK), min_size=1, max_size=30))
def test_plainly_written_agrees_with_the_regular_expression(texts: list[str]) -> None:
    arr, data, bounds = _bytes(texts)
    plain, plus = plainly_written(data, bounds)
    expected = phone_forms.written_plainly(arr).to_numpy(zero_copy_only=False)
    assert plain.tolist() == expected.tolist()
    # The plus a plainly written string holds is the one its compact form starts with.
    compact = phone_forms.compact_written(arr).to_pylist()
    assert [bool(p) for p in plus] == [bool(ok and c.startswith("+")) for ok, c in zip(plain, compact)]


def _keyed_answers(texts: list[str | None], region: str, cut: int) -> tuple[np.ndarray, list, list]:
    """Keys and answers, the strings met in two batches (cut at ``cut``) by one ``NumberKeys``."""
    arr = pa.array(texts, pa.large_string())
    keys = written_keys(arr)
    numbers = NumberKeys(region)
    first = numbers.answers(keys[:cut])
    second = numbers.answers(keys[cut:])
    national = np.concatenate([first[0], second[0]])
    valid = np.concatenate([first[1], second[1]])
    return keys, numbers.e164(national).to_pylist(), np.where(valid, "valid", "possible").tolist()


def _check(texts: list[str | None], region: str, cut: int) -> int:
    keys, values, flags = _keyed_answers(texts, region, cut)
    fast_values, fast_flags = phone_forms.fast_normalise(np.array([t or "" for t in texts], dtype=object), region)
    answered = 0
    for text, key, value, flag, fast_value, fast_flag in zip(texts, keys, values, flags, fast_values, fast_flags):
        if value is None:
            continue
        answered += 1
        assert key != NO_KEY
        assert (value, flag) == normalise.__wrapped__(text, region), text
        assert (value, flag) == (fast_value, fast_flag), text
    return answered


@settings(max_examples=200, deadline=None)
@given(_texts("GB"), st.integers(0, 40))
def test_keyed_answers_agree_with_phonenumbers_on_british_numbers(texts: list[str | None], cut: int) -> None:
    _check(texts, "GB", cut)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(REGIONS)).flatmap(lambda region: st.tuples(st.just(region), _texts(region))),
       st.integers(0, 40))
def test_keyed_answers_agree_with_phonenumbers_in_other_regions(drawn, cut: int) -> None:
    region, texts = drawn
    _check(texts, region, cut)


def test_the_written_forms_of_one_number_share_keys_and_the_common_ones_are_answered() -> None:
    international = ["+447700900123", "+44 7700 900123", "0044 7700 900123", "0044-7700-900-123",
                     "447700900123", "(+44) 7700 900123", " +44 7700 900123 "]
    national = ["07700 900123", "07700-900-123", "(07700) 900123", "\u00a007700\u00a0900123", "07700.900.123"]
    keys = written_keys(pa.array(international + national))
    assert len(set(keys[:len(international)])) == 1 and len(set(keys[len(international):])) == 1
    assert _check(international + national, "GB", 3) == len(international) + len(national)
    # Left to the full path: a trunk "(0)", an annotation, letters, short codes, "+0", "000".
    left = ["+44 (0)7700 900123", "07700900123 (D)", "VODAFONE", "999", "+0447700900123", "0007700900123",
            "7700900123", None, ""]
    assert (written_keys(pa.array(left)) == NO_KEY).all()


def test_a_region_without_rules_answers_nothing() -> None:
    keys = written_keys(pa.array(["+44 7700 900123"]))
    numbers, _ = NumberKeys("ZZ").answers(keys)
    assert (numbers == -1).all()


def test_keys_of_a_sliced_column_are_the_slice_s_keys() -> None:
    texts = ["07700 900123", "+44 1632 960001", "x", "0044 20 7946 0018"] * 3
    arr = pa.array(texts)
    assert written_keys(arr.slice(5, 6)).tolist() == written_keys(pa.array(texts[5:11])).tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["+447700900123", "+44770090012", "999", "+0123", "+123",
                                                       "VODAFONE", "+1234567890123456789"]),
                          st.from_regex(r"\+[1-9][0-9]{0,19}", fullmatch=True)), max_size=30))
def test_e164_keys_count_the_distinct_values(values: list[str | None]) -> None:
    arr = pa.array(values, pa.string())
    keys, others = e164_keys(arr)
    assert len(np.unique(keys)) + len(pc.unique(others)) == len({v for v in values if v is not None})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(-5, 10**15), max_size=20), max_size=6))
def test_sorted_keys_hold_what_was_added(batches: list[list[int]]) -> None:
    held, expected = SortedKeys(np.int64), {}
    for batch in batches:
        distinct = np.unique(np.array(batch, np.int64))
        at, found = held.positions(distinct)
        assert found.tolist() == [int(k) in expected for k in distinct]
        new = distinct[~found]
        held.add(new, new * 2)
        at += np.searchsorted(new, distinct)
        assert held.keys[at].tolist() == distinct.tolist()  # where they are after the new ones went in
        expected.update({int(k): int(k) * 2 for k in new})
    assert held.keys.tolist() == sorted(expected)
    assert held.columns[0].tolist() == [expected[k] for k in sorted(expected)]
