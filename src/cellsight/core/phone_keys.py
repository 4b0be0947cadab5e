"""Written numbers as integer keys, so that a column's work follows its distinct numbers.

A force-wide tower dump writes each of millions of subscribers several ways
(``+44 7700 900123``, ``0044 7700 900123``, ``447700900123``, ``07700-900-123``):
hashing and normalising every written form, then remembering each form's
answer across batches, costs more than the answers. For a string that
``phone_forms`` would answer from its compact form alone (digits, separators
and one leading plus), the answer depends only on

- whether it is written internationally (``+R``, ``00R`` or, with more than 10
  digits, a bare ``R``) or nationally (``0R``), and
- the digits ``R`` (never beginning with 0: a ``+0``, ``000`` or ``00`` form is
  left to the full path).

That pair is one ``int64`` (``R``, with bit 60 set for a national form), read
from the string's bytes with a few whole-array passes and no Python per row;
``+44 7700 900123`` and ``0044-7700-900123`` share a key, ``07700 900123`` and
``07700-900-123`` another. ``NumberKeys`` works out the answer of each key once
per file, from the key's own compact form (``+R`` or ``0R``) through
``phone_forms``' steps, so the answer is exactly the one ``phone_forms`` (and
so phonenumbers) gives for every string of that key; strings with no key, and
keys ``phone_forms`` does not answer, go to the full path. A property test
holds keyed answers to ``phone.normalise`` of the strings as written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core import phone_forms

NATIONAL = 1 << 60  # the bit of a national form (``0R``); R < 10**18 < 2**60
MAX_DIGITS = 18  # digits of a keyed string (E.164 numbers have at most 15)
NO_KEY = -1


_ALLOWED = np.zeros(256, bool)  # the bytes of a plainly written string (see ``phone_forms._WRITTEN``)
_ALLOWED[list(b"0123456789 -./()+\xc2\xa0")] = True
_PAD = np.zeros(256, bool)  # what may stand before the number: spaces and no-break spaces (C2 A0)
_PAD[list(b" \xc2\xa0")] = True
_ZERO, _PLUS, _OPEN = ord("0"), ord("+"), ord("(")


def written_keys(text: pa.Array) -> np.ndarray:
    """Each string's key (see the module's docstring), or ``NO_KEY`` (-1) for the full path."""
    n = len(text)
    keys = np.full(n, NO_KEY, dtype=np.int64)
    if not n:
        return keys
    text = text.cast(pa.large_string())
    _, offset_buffer, data_buffer = text.buffers()
    offsets = np.frombuffer(offset_buffer, np.int64)[text.offset:text.offset + n + 1]
    data = np.frombuffer(data_buffer, np.uint8)[offsets[0]:offsets[-1]] if data_buffer is not None \
        else np.zeros(0, np.uint8)
    bounds = offsets - offsets[0]
    plain, plus = plainly_written(data, bounds)
    plain &= pc.is_valid(text).to_numpy(zero_copy_only=False)
    if not plain.any():
        return keys
    # Plainly written: ASCII digits, separators, at most one plus and no-break spaces (whose two
    # UTF-8 bytes are neither digits nor a plus); the digits in order are the compact form.
    is_digit = (data - np.uint8(_ZERO)) < 10
    running = np.zeros(len(data) + 1, np.int64)
    np.cumsum(is_digit, dtype=np.int64, out=running[1:])
    digits_before = running[bounds]
    counts = np.diff(digits_before)
    digits = data[is_digit]
    usable = plain & (counts >= 1) & (counts <= MAX_DIGITS)
    # Each string's digits as one number (the compact form without its plus and leading zeros).
    compact = pa.LargeStringArray.from_buffers(n, pa.py_buffer(digits_before), pa.py_buffer(digits),
                                               pa.py_buffer(np.packbits(usable, bitorder="little")))
    value = pc.fill_null(pc.cast(compact, pa.int64()), 0).to_numpy(zero_copy_only=False)

    def digit(k: int) -> np.ndarray:  # the k-th digit of each string (10 where it has none)
        at = np.minimum(digits_before[:-1] + k, max(len(digits) - 1, 0))
        return np.where(counts > k, digits[at] - _ZERO, 10) if len(digits) else np.full(n, 10)

    first, second, third = digit(0), digit(1), digit(2)
    international = usable & (
        (plus & (first != 0))
        | (~plus & (first == 0) & (second == 0) & (third != 0) & (third != 10))  # 00R
        | (~plus & (first != 0) & (counts > 10)))  # R alone: more than 10 digits
    national = usable & ~plus & (first == 0) & (second != 0) & (second != 10)  # 0R
    keys[international] = value[international]
    keys[national] = value[national] | NATIONAL
    return keys


def plainly_written(data: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``phone_forms.written_plainly`` from the strings' UTF-8 bytes (``data``, split at ``bounds``),
    and which of them hold their one plus; a few passes over the bytes instead of a regular expression.

    Plainly written: only digits, separators, plus signs and no-break spaces (in valid UTF-8 a
    byte A0 or C2 among these is a no-break space); past the leading spaces, an optional "(",
    an optional "+" and a digit; no other plus; no "(0)".
    """
    n, size = len(bounds) - 1, len(data)
    starts, ends = bounds[:-1], bounds[1:]
    plain = ends > starts
    if not size:
        return plain, np.zeros(n, bool)

    def row_of(positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(bounds, positions, side="right") - 1

    def byte(at: np.ndarray, end: np.ndarray = ends) -> np.ndarray:  # 0 (no plain string's) past the end
        return np.where(at < end, data[np.minimum(at, size - 1)], 0)

    plain[row_of(np.flatnonzero(~_ALLOWED[data]))] = False
    head = starts.copy()
    padded = np.flatnonzero(plain & _PAD[byte(head)])
    while len(padded):  # past the leading spaces (rare, and a few at most)
        head[padded] += 1
        padded = padded[_PAD[byte(head[padded], ends[padded])]]
    head += byte(head) == _OPEN
    plus = byte(head) == _PLUS
    plain &= (byte(head + plus) - np.uint8(_ZERO)) < 10
    signs = np.flatnonzero(data == _PLUS)
    rows = row_of(signs)
    plain[rows[~plus[rows] | (signs != head[rows])]] = False  # a plus anywhere but before the first digit
    trunk = np.flatnonzero((data[:-2] == _OPEN) & (data[1:-1] == _ZERO) & (data[2:] == ord(")")))
    rows = row_of(trunk)
    plain[rows[trunk + 3 <= ends[rows]]] = False  # "(0)" within one string
    return plain, plus & plain


def key_compacts(keys: np.ndarray) -> pa.Array:
    """The compact form each key stands for: ``+R`` or ``0R``."""
    digits = pc.cast(pa.array(keys & (NATIONAL - 1), pa.int64()), pa.string())
    front = pc.if_else(pa.array(keys & NATIONAL != 0), "0", "+")
    return pc.binary_join_element_wise(front, digits, "")


def e164_keys(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """E.164 values (``+`` and up to 18 digits, the first not 0) as the integer of their digits, and
    the other non-missing values as they are: one value, one key, so distinct keys count distinct values."""
    digits = pc.utf8_slice_codeunits(values, 1)
    e164 = pc.fill_null(pc.and_(pc.and_(pc.starts_with(values, "+"), pc.ascii_is_decimal(digits)),
                                pc.and_(pc.invert(pc.starts_with(digits, "0")),
                                        pc.less_equal(pc.binary_length(digits), MAX_DIGITS))), False)
    keys = pc.cast(digits.filter(e164), pa.int64()).to_numpy(zero_copy_only=False)
    return keys, values.filter(pc.and_(pc.invert(e164), pc.is_valid(values)))


class SortedKeys:
    """Distinct ``int64`` keys kept sorted, with columns of values aligned with them.

    A batch looks its keys up with one binary search and new keys go in with
    one pass over the arrays: memory grows with the distinct keys, and no
    batch hashes what the batches before it held.
    """

    def __init__(self, *dtypes: np.dtype | type) -> None:
        self.keys = np.zeros(0, np.int64)
        self.columns = [np.zeros(0, dtype) for dtype in dtypes]

    def __len__(self) -> int:
        return len(self.keys)

    def positions(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For distinct keys in order: where each is held or would go, and whether it is held.

        After ``add(keys[~held])`` a key is at its position plus the number of
        added keys before it (``np.searchsorted(added, keys)``).
        """
        at = np.searchsorted(self.keys, keys)  # keys in order: one walk along the held keys
        held = at < len(self.keys)
        held[held] = self.keys[at[held]] == keys[held]
        return at, held

    def add(self, keys: np.ndarray, *values: np.ndarray) -> None:
        """Hold ``keys`` (distinct, in order, none held yet), each with its values of the columns."""
        at = np.searchsorted(self.keys, keys)
        self.keys = np.insert(self.keys, at, keys)
        self.columns = [np.insert(column, at, value) for column, value in zip(self.columns, values)]


class NumberKeys:
    """The region's answer for each key, worked out the first time a key is met and kept for the file.

    Held in ``SortedKeys`` (the national significant number and whether it is
    valid), so memory grows with the distinct keys (17 bytes each), never with
    the rows.
    """

    def __init__(self, region: str) -> None:
        self.forms = phone_forms.region_forms(region)
        self.code = self.forms.country_code if self.forms is not None else ""
        self.held = SortedKeys(np.int64, bool)  # national significant number (-1: the full path answers), valid

    def answers(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key: the national significant number (-1 for ``NO_KEY`` and keys left to the full path)
        and whether the number is valid."""
        numbers, valid = np.full(len(keys), -1, np.int64), np.zeros(len(keys), bool)
        keyed = np.flatnonzero(keys != NO_KEY)
        if self.forms is None or not len(keyed):
            return numbers, valid
        distinct, inverse = np.unique(keys[keyed], return_inverse=True)  # in order: see ``positions``
        at, held = self.held.positions(distinct)
        new = distinct[~held]
        if len(new):
            self.held.add(new, *self._work_out(new))
            at += np.searchsorted(new, distinct)
        held_numbers, held_valid = self.held.columns
        numbers[keyed] = held_numbers[at][inverse]
        valid[keyed] = held_valid[at][inverse]
        return numbers, valid

    def e164(self, numbers: np.ndarray) -> pa.Array:
        """``+CC`` and each national significant number (null where it is -1)."""
        text = pc.cast(pa.array(numbers, pa.int64(), mask=numbers < 0), pa.string())
        return pc.binary_join_element_wise("+" + self.code, text, "")

    def _work_out(self, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The national significant number and validity of each new key, by ``phone_forms``' steps."""
        numbers, valid = np.full(len(new), -1, np.int64), np.zeros(len(new), bool)
        try:
            found = phone_forms.national_numbers(key_compacts(new), self.forms)
            answered = np.flatnonzero(pc.is_valid(found).to_numpy(zero_copy_only=False))
            if len(answered):
                numbers[answered] = pc.cast(found.take(pa.array(answered)), pa.int64()).to_numpy()
                # One check per national number: "+44 N" and "0N" are two keys of one number.
                inverse, distinct = pd.factorize(numbers[answered])
                text = pc.cast(pa.array(distinct), pa.string())
                valid[answered] = phone_forms.valid_numbers(text, self.forms)[inverse]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            numbers[:] = -1  # a pattern RE2 cannot take: the full path answers
        return numbers, valid
