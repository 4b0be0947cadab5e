"""Checks of a column's values against the role its heading suggests.

Heading words are loose: ``sms_number`` may hold counts, ``SUBSCRIBER_TYPE``
the letters R and H, ``PGW_ADDRESS`` an IP address. Each check looks at a
sample of the column's distinct values and returns why they cannot be that
role (what the import report prints for the column), or None when they can.
The first line of each docstring is what docs/formats.md shows for it.
"""

from __future__ import annotations

import re

import pandas as pd

from cellsight.importers.cdr.codes import decode_code
from cellsight.importers.cells import is_ip_address

SAMPLE = 200  # distinct values looked at


def _distinct(values: pd.Series) -> list[str]:
    """The first ``SAMPLE`` distinct values written (trimmed; blanks and dashes left out), in order.

    Distinct values keep the order they first appear in, so those of the first
    rows begin those of the whole column: a million-row column is looked at
    only as far as it takes to find them.
    """
    rows = 4 * SAMPLE
    while True:
        written = dict.fromkeys(values.iloc[:rows].dropna().tolist())  # in the order first written
        found = [text for text in (str(v).strip() for v in written) if text and not _DASHES.fullmatch(text)]
        if len(found) >= SAMPLE or rows >= len(values):
            return found[:SAMPLE]
        rows *= 8


_DASHES = re.compile(r"-{1,3}")


def _listed(values: list[str]) -> str:
    return ", ".join(values[:4])


def holds_counts(values: pd.Series) -> str | None:
    """counts (every value a number of three digits or fewer)"""
    sample = _distinct(values)
    if sample and all(v.isdigit() and len(v) <= 3 for v in sample):
        return f"holds counts ({_listed(sample)}), not telephone numbers"
    return None


def holds_ip_addresses(values: pd.Series) -> str | None:
    """IP addresses (every value)"""
    sample = _distinct(values)
    if sample and all(is_ip_address(v) for v in sample):
        return f"holds IP addresses ({_listed(sample)}), not cells or sites"
    return None


def holds_subscriber_classes(values: pd.Series) -> str | None:
    """one- or two-letter classes that are no event code (`R`, `H`)"""
    sample = _distinct(values)
    if sample and all(len(v) <= 2 and v.isalpha() for v in sample) and \
            not any(decode_code(v) != (None, None) for v in sample):
        return f"its values ({_listed(sample)}) are classes of subscriber or call, not event types"
    return None
