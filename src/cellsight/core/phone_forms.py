"""The common written forms of a region's numbers, normalised as column operations.

``phone.normalise`` asks phonenumbers about each distinct string, about 130 µs
each: a force-wide tower dump holds millions of distinct numbers. Almost all of
them are written in a handful of shapes (``+44 7700 900123``, ``0044...``,
``447700900123``, ``07700 900123``, with spaces, dashes, dots or brackets), and
for those shapes phonenumbers' answer follows from its own metadata for the
region: the country code, the national prefix and the pattern that strips it,
the possible lengths, and the national number patterns of each number type.
This module applies exactly those rules to whole columns (the patterns through
pyarrow's RE2, which reads phonenumbers' regular expressions as they are) and
*accepts* only values whose answer is possible or valid by the same steps that
``phonenumbers.parse``, ``is_possible_number`` and ``is_valid_number`` take.
Everything else (short codes, other countries, a national prefix after the
country code, local-only lengths, letters, regions whose metadata transforms
the prefix) is left to ``phone.normalise``. A property test holds the two to
the same answer on generated numbers in the region's written forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, region_code_for_country_code

# phonenumbers' order of types in ``_number_type_helper``: a number is of a known type when its
# national number fits the general description and one of these.
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")
# What ``phone.normalise`` keeps of a written number: separators it removes (spaces and
# no-break spaces round it are what ``str.strip`` takes off), and nothing else but ASCII digits and
# one leading plus (a "(0)", letters or any other mark: phonenumbers decides).
_WRITTEN = "^[ \u00a0]*\\(?\\+?[0-9][0-9 \\-./()\u00a0]*$"
_SEPARATORS = "[ \\-./()\u00a0]"


@dataclass(frozen=True)
class _Kind:
    """One region sharing the country code: its leading digits and when a number is of a known type."""

    leading_digits: str | None
    general_lengths: tuple[int, ...]
    general: str
    types: tuple[tuple[tuple[int, ...], str], ...]  # (possible lengths, pattern) of each type


@dataclass(frozen=True)
class RegionForms:
    """What the fast path needs of a region's metadata (see the module's docstring)."""

    country_code: str
    national_prefix_for_parsing: str | None  # None: national forms are left to phonenumbers
    international_prefix: str
    lengths: frozenset[int]  # possible lengths of a national number (not local-only ones)
    general: str
    kinds: tuple[_Kind, ...]  # every region of the country code, in phonenumbers' order


@lru_cache(maxsize=64)
def region_forms(region: str) -> RegionForms | None:
    """The region's rules, or None when its metadata holds a step this fast path does not take."""
    meta = PhoneMetadata.metadata_for_region(region.upper(), None)
    if meta is None or not meta.country_code:
        return None
    code = meta.country_code
    if region_code_for_country_code(code) != region.upper() or meta.general_desc is None:
        return None  # a region sharing its code with a main region (JE, GG): not the main metadata
    kinds = []
    for other in COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        other_meta = PhoneMetadata.metadata_for_region(other, None)
        if other_meta is None:
            continue
        types = tuple((tuple(desc.possible_length), desc.national_number_pattern)
                      for desc in (getattr(other_meta, t) for t in _TYPES)
                      if desc is not None and desc.national_number_pattern)
        kinds.append(_Kind(other_meta.leading_digits or None, tuple(other_meta.general_desc.possible_length),
                           other_meta.general_desc.national_number_pattern or "", types))
    national = meta.national_prefix_for_parsing  # what phonenumbers strips (without it: nothing)
    simple_prefix = bool(meta.national_prefix) and meta.national_prefix.startswith("0") and \
        not meta.national_prefix_transform_rule and bool(national)
    local_only = set(meta.general_desc.possible_length_local_only)
    return RegionForms(str(code), national if simple_prefix else None,
                       meta.international_prefix or "", frozenset(set(meta.general_desc.possible_length) - local_only),
                       meta.general_desc.national_number_pattern or "", tuple(kinds))


def fast_normalise(texts: np.ndarray, region: str) -> tuple[np.ndarray, np.ndarray]:
    """E.164 values and flags (``valid``/``possible``) for the strings this path accepts.

    ``texts`` are distinct strings; elsewhere the value and the flag are None,
    and ``phone.normalise`` must answer.
    """
    n = len(texts)
    values, flags = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    forms = region_forms(region)
    if forms is None or n == 0:
        return values, flags
    try:
        numbers = national_numbers(compact_written(pa.array(texts, pa.string())), forms)
        where = np.flatnonzero(pc.is_valid(numbers).to_numpy(zero_copy_only=False))
        if not len(where):
            return values, flags
        numbers = numbers.take(pa.array(where))
        valid = valid_numbers(numbers, forms)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return values, flags  # a pattern RE2 cannot take: phonenumbers answers for all
    values[where] = pc.binary_join_element_wise("+" + forms.country_code, numbers, "").to_numpy(
        zero_copy_only=False)
    flags[where] = np.where(valid, "valid", "possible")
    return values, flags


def written_plainly(text: pa.Array) -> pa.Array:
    """Which strings are written only with digits, separators and one leading plus (see ``_WRITTEN``):
    for them, the answer follows from the compact form alone. Missing strings are not."""
    plain = pc.and_(pc.match_substring_regex(text, _WRITTEN), pc.invert(pc.match_substring(text, "(0)")))
    return pc.fill_null(plain, False)


def compact_written(text: pa.Array) -> pa.Array:
    """The compact form (``+`` and digits, separators gone) of each string written plainly, else ""."""
    return pc.replace_substring_regex(pc.if_else(written_plainly(text), text, ""), _SEPARATORS, "")


def national_numbers(compact: pa.Array, forms: RegionForms) -> pa.Array:
    """The national significant number of each compact form, where this path answers; else null.

    The steps of ``phonenumbers.parse`` for the shapes this path takes (see the module's docstring);
    a number it gives has one of the region's possible lengths and never begins with 0.
    """
    code = forms.country_code
    # "+CC N" and "00CC N"; "CC N" with no plus (more than 10 digits): phonenumbers parses all three
    # as international. The national number must not begin with what the prefix pattern strips.
    plus, double = pc.starts_with(compact, "+"), pc.starts_with(compact, "00")
    bare = pc.and_(pc.invert(pc.starts_with(compact, "0")), pc.greater(pc.utf8_length(compact), 10))
    rest = pc.if_else(plus, pc.utf8_slice_codeunits(compact, 1),
                      pc.if_else(double, pc.utf8_slice_codeunits(compact, 2), pc.if_else(bare, compact, "")))
    international = pc.starts_with(rest, code)
    nsn = pc.if_else(international, pc.utf8_slice_codeunits(rest, len(code)), "")
    if forms.national_prefix_for_parsing:
        stripped_again = pc.match_substring_regex(nsn, f"^(?:{forms.national_prefix_for_parsing})")
        nsn = pc.if_else(stripped_again, "", nsn)
        national = pc.and_(pc.and_(pc.starts_with(compact, "0"), pc.invert(double)),
                           pc.greater(pc.utf8_length(compact), 6))
        rows = np.flatnonzero(national.to_numpy(zero_copy_only=False))
        if len(rows):
            nsn = _national_forms(compact, rows, nsn, forms)
    lengths = pc.utf8_length(nsn)
    accepted = pc.and_(pc.is_in(lengths, pa.array(sorted(forms.lengths), lengths.type)),
                       pc.invert(pc.starts_with(nsn, "0")))
    return pc.if_else(accepted, nsn, pa.scalar(None, nsn.type))


def _national_forms(compact: pa.Array, rows: np.ndarray, nsn: pa.Array, forms: RegionForms) -> pa.Array:
    """``nsn`` with the national forms ("0N", at ``rows``) given their national number: the national
    prefix stripped as phonenumbers strips it, unless the number with it fits the national pattern
    and the number without it does not. Only those rows are read."""
    written = compact.take(pa.array(rows))
    if forms.international_prefix:
        national = pc.invert(pc.match_substring_regex(written, f"^(?:{forms.international_prefix})"))
        rows, written = rows[national.to_numpy(zero_copy_only=False)], written.filter(national)
    after = pc.replace_substring_regex(written, f"^(?:{forms.national_prefix_for_parsing})", "",
                                       max_replacements=1)
    cut = pc.less(pc.utf8_length(after), pc.utf8_length(written))
    general = f"^(?:{forms.general})$" if forms.general else "^$"
    keep = pc.or_(pc.invert(pc.match_substring_regex(written, general)), pc.match_substring_regex(after, general))
    chosen = pc.and_(cut, keep)
    mask = np.zeros(len(nsn), dtype=bool)
    mask[rows[chosen.to_numpy(zero_copy_only=False)]] = True
    return pc.replace_with_mask(nsn, pa.array(mask), after.filter(chosen))


def _fullmatch(numbers: pa.Array, pattern: str) -> np.ndarray:
    """Which strings of ASCII digits fit the whole pattern (RE2: phonenumbers' patterns as they are)."""
    if not pattern or not len(numbers):
        return np.zeros(len(numbers), dtype=bool)
    return pc.match_substring_regex(numbers, f"^(?:{pattern})$").to_numpy(zero_copy_only=False)


def _matching(numbers: pa.Array, lengths: np.ndarray, descs: tuple[tuple[tuple[int, ...], str], ...]
              ) -> np.ndarray:
    """Numbers that fit any of the descriptions (each: its possible lengths, then its pattern)."""
    out = np.zeros(len(numbers), dtype=bool)
    for length in np.unique(lengths).tolist():
        patterns = [p for allowed, p in descs if not allowed or length in allowed]
        if not patterns:
            continue
        rows = np.flatnonzero(lengths == length)
        out[rows] = _fullmatch(numbers.take(pa.array(rows)), "|".join(f"(?:{p})" for p in patterns))
    return out


def valid_numbers(numbers: pa.Array, forms: RegionForms) -> np.ndarray:
    """``is_valid_number``: the region of the number (its leading digits, else the first region
    where it is of a known type), then whether it is of a known type there."""
    lengths = pc.utf8_length(numbers).to_numpy(zero_copy_only=False)
    valid = np.zeros(len(numbers), dtype=bool)
    undecided = np.ones(len(numbers), dtype=bool)
    for kind in forms.kinds:
        rows = np.flatnonzero(undecided)
        if not len(rows):
            break
        sub = numbers.take(pa.array(rows))
        if kind.leading_digits:  # the region of every number it leads, of a known type there or not
            chosen = np.flatnonzero(pc.match_substring_regex(sub, f"^(?:{kind.leading_digits})").to_numpy(
                zero_copy_only=False))
            rows, sub = rows[chosen], sub.take(pa.array(chosen))
            undecided[rows] = False
        typed = _matching(sub, lengths[rows], ((kind.general_lengths, kind.general),))
        if typed.any():
            inside = np.flatnonzero(typed)
            typed[inside] = _matching(sub.take(pa.array(inside)), lengths[rows[inside]], kind.types)
        valid[rows[typed]] = True
        undecided[rows[typed]] = False  # else the region of the first number of a known type
    return valid
