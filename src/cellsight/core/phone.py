"""Telephone number normalisation: every number in one form, nothing guessed or dropped.

The same handset appears as ``447700900123``, ``07700 900123``,
``+44 (0)7700-900123``, ``0044 7700 900123``, ``07700900123 (D)`` and
``447700900123@s.whatsapp.net``; matching them is the difference between finding
and missing contact. Each becomes E.164 when phonenumbers calls it *possible* in
the source's region (Ofcom's drama ranges are possible but not valid, and must
normalise); validity is a separate flag. Short codes, sender names, ``-1`` and
blanks are kept exactly as written, with a flag saying what they are.

Work is done once per distinct string (a column of 2 million cells holds perhaps
10 thousand numbers), and the per-string result is cached. Columns go through
``phone_forms`` first: the region's common written forms, worked out from
phonenumbers' metadata as column operations, with the same answers.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from cellsight.core.phone_forms import fast_normalise
from cellsight.core.schema import NUMBER_FLAGS, STR

_ACCOUNT = re.compile(r"^\s*\+?(\d{6,15})@(s\.whatsapp\.net|c\.us|whatsapp\.net|g\.us)?", re.I)
_ANNOTATION = re.compile(r"\((?:[A-Za-z]{1,3})\)")  # "(D)", "(M)", "(Fwd)"
_TRUNK_ZERO = re.compile(r"\(0\)")
_WITHHELD = {"-1", "withheld", "private", "unknown", "anonymous", "restricted", "unavailable",
             "no caller id", "not available", "n/a", "null", "none"}
_DIGITS_ONLY = re.compile(r"^\d+$")


def _blank(raw: str) -> bool:
    return not raw.strip()


@lru_cache(maxsize=200_000)
def normalise(raw: str | None, region: str = "GB") -> tuple[str, str]:
    """Return ``(value, flag)`` for one number as written.

    ``value`` is E.164 (``+447700900123``) when the flag is ``valid`` or
    ``possible``, otherwise the string exactly as written.
    """
    if raw is None or _blank(raw):
        return ("" if raw is None else raw, "blank")
    text = raw.strip()
    if text.lower() in _WITHHELD:
        return raw, "withheld"
    account = _ACCOUNT.match(text)
    if account and "@" in text:
        text = "+" + account.group(1)
    cleaned = _TRUNK_ZERO.sub("", _ANNOTATION.sub("", text)).strip()
    compact = re.sub(r"[\s\-./()\u00a0]", "", cleaned)
    if not compact:
        return raw, "invalid"
    if any(c.isalpha() for c in compact):
        return raw, "alphanumeric"
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif not compact.startswith("+") and _DIGITS_ONLY.match(compact) and not compact.startswith("0"):
        # Operators often write international numbers without the plus: 447700900123.
        candidate = _parse("+" + compact, None)
        if candidate is not None and phonenumbers.is_possible_number(candidate) and len(compact) > 10:
            return _result(candidate)
    if not re.match(r"^\+?\d+$", compact):
        return raw, "invalid"
    if not compact.startswith("+") and len(compact) <= 6:
        return raw, "short_code"
    number = _parse(compact, region)
    if number is None or not phonenumbers.is_possible_number(number):
        return raw, "short_code" if len(compact) <= 6 else "invalid"
    return _result(number)


def is_group_chat_id(value: str | None) -> bool:
    """A WhatsApp group's id (``447700900356-1727612400@g.us``): a chat, not anyone's number."""
    return (value or "").strip().lower().endswith("@g.us")


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _result(number: phonenumbers.PhoneNumber) -> tuple[str, str]:
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return e164, "valid" if phonenumbers.is_valid_number(number) else "possible"


def normalise_series(raw: pd.Series, region: str = "GB") -> tuple[pd.Series, pd.Series]:
    """Normalise a column of numbers as written; returns ``(values, flags)``.

    Missing values count as blank. Each distinct string is normalised once and
    the results are spread back by the factorised codes, so the cost follows the
    number of distinct numbers, not the number of rows.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    texts = np.asarray(uniques, dtype=object)
    if not isinstance(getattr(uniques, "dtype", None), pd.StringDtype):  # numbers a spreadsheet stored as numbers
        texts = np.array([u if isinstance(u, str) else _number_text(u) for u in texts], dtype=object)
    # The region's common written forms as column operations; phonenumbers for the rest.
    values, flags = fast_normalise(texts, region)
    for i in np.flatnonzero(pd.isna(flags)).tolist():
        value, flag = normalise(texts[i], region)
        values[i], flags[i] = (value if flag != "blank" else None), flag
    # One extra slot at the end stands for missing values (code -1).
    values = np.append(values, None)
    flag_codes = np.append(pd.Categorical(flags, categories=list(NUMBER_FLAGS)).codes.astype(np.int8),
                           np.int8(NUMBER_FLAGS.index("blank")))
    taken = np.where(codes < 0, len(texts), codes)
    out_values = pd.Series(values[taken], index=raw.index, dtype=STR)
    out_flags = pd.Series(pd.Categorical.from_codes(flag_codes[taken], categories=list(NUMBER_FLAGS)),
                          index=raw.index)
    return out_values, out_flags


def _number_text(value: object) -> str:
    """Text of a number that a spreadsheet stored as a number (447700900123.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_normalised(flag: str) -> bool:
    """True when a flag means the value is E.164 and can be matched across sources."""
    return flag in ("valid", "possible")


def same_number(a: str, b: str, region: str = "GB") -> bool:
    """True when two strings, as written, are the same number after normalisation."""
    va, fa = normalise(a, region)
    vb, fb = normalise(b, region)
    if is_normalised(fa) and is_normalised(fb):
        return va == vb
    return a.strip() == b.strip()
