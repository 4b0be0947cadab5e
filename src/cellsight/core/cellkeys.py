"""One canonical key per cell, and the link from an event's cell to a cell list.

Operators write cells as one CGI string (``234-30-10451-23011``), as separate LAC
and CI columns, or as TAC with eNodeB and sector; some leave out MCC and MNC.
Every form becomes ``MCC-MNC-LAC-CI`` with ``?`` for a part the records do not
give, so that ``?-?-10451-23011`` is recognisably the same cell as
``234-30-10451-23011`` while never pretending to know the network.

Linking is done on the unique keys of a column (thousands), not on its rows
(millions): exact key first, then LAC and CI alone when the event's key lacks
MCC/MNC and exactly one listed cell has that LAC and CI.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

UNKNOWN = "?"

_CGI = re.compile(r"^\s*(\d{3})\D{1,3}(\d{1,3})\D{1,3}(\d{1,6})\D{1,3}(\d{1,10})\s*$")
_LAC_CI = re.compile(r"^\s*(\d{1,6})\D{1,3}(\d{1,10})\s*$")


def make_key(mcc: object, mnc: object, lac: object, ci: object) -> str | None:
    """The canonical key from parts; None when LAC or CI is missing."""
    parts = [_part(mcc, 3), _part(mnc, 3), _part(lac, 6), _part(ci, 10)]
    if parts[2] == UNKNOWN or parts[3] == UNKNOWN:
        return None
    return "-".join(parts)


def _part(value: object, max_digits: int) -> str:
    """One part as digits without leading zeros; ``?`` when missing or longer than any real id."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return UNKNOWN
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text or not text.isdigit() or len(text.lstrip("0")) > max_digits:
        return UNKNOWN
    return str(int(text))


def parse_cell(text: object) -> str | None:
    """Parse a cell as an operator writes it: a CGI string or ``LAC-CI``; None if neither."""
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text)
    m = _CGI.match(s)
    if m:
        return make_key(*m.groups())
    m = _LAC_CI.match(s)
    if m:
        return make_key(None, None, *m.groups())
    return None


def parse_cells(values: pd.Series) -> pd.Series:
    """``parse_cell`` over a column, computed once per distinct value."""
    uniques = pd.unique(values.dropna())
    mapping = {u: parse_cell(u) for u in uniques}
    return values.map(mapping).astype("str")


def eci_to_parts(eci: int) -> tuple[int, int]:
    """Split an LTE ECI into eNodeB and local cell id (ECI = eNodeB × 256 + cell)."""
    return int(eci) // 256, int(eci) % 256


def lac_ci_of(key: str) -> str:
    """The ``LAC-CI`` tail of a canonical key, used when MCC/MNC are unknown.

    A cell an operator names in no numeric form (``TOWER-0343``) is kept as its
    own key by the importers; its "tail" is the whole name, which no numeric
    tail can equal.
    """
    parts = key.split("-", 2)
    return parts[2] if len(parts) == 3 else key


def resolve(keys: pd.Series, cells: pd.DataFrame) -> pd.Series:
    """Position (row number) in ``cells`` of each key, or -1 when it links to no cell.

    Exact canonical key first. Then LAC and CI alone, when one side does not
    know the network (an event key ``?-?-LAC-CI`` against a listed full key, or a
    full event key against a listed ``?-?-LAC-CI``), but only when that pair is
    unique in the list, because guessing between two networks' cells would put
    a handset in the wrong place. Two full keys of different networks never link.
    """
    result = pd.Series(-1, index=keys.index, dtype="int64")
    if cells.empty or keys.empty:
        return result
    listed = cells["key"].astype(object)
    exact = pd.Series(np.arange(len(cells)), index=listed.values)
    exact = exact[~exact.index.duplicated(keep="first")]
    tails = listed.map(lac_ci_of)
    tail_counts = tails.value_counts()
    unique_tails = pd.Series(np.arange(len(cells)), index=tails.values)
    unique_tails = unique_tails[unique_tails.index.map(tail_counts) == 1]
    mapping: dict[str, int] = {}
    for key in pd.unique(keys.dropna()):
        if key in exact.index:
            mapping[key] = int(exact[key])
            continue
        tail = lac_ci_of(key)
        if tail not in unique_tails.index:
            continue
        row = int(unique_tails[tail])
        if _network_unknown(key) or _network_unknown(listed.iloc[row]):
            mapping[key] = row
    if mapping:
        result = keys.map(mapping).fillna(-1).astype("int64")
    return result


def _network_unknown(key: str) -> bool:
    """True when a canonical key lacks its MCC or MNC (``?-?-LAC-CI``, ``234-?-LAC-CI``)."""
    parts = key.split("-")
    return len(parts) == 4 and UNKNOWN in parts[:2]
