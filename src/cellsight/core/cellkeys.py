"""One canonical key per cell, and the link from an event's cell to a cell list.

Operators write cells as one CGI string (``234-30-10451-23011``), as separate LAC
and CI columns, or as TAC with eNodeB and sector; some leave out MCC and MNC.
Every form becomes ``MCC-MNC-LAC-CI`` with ``?`` for a part the records do not
give, so that ``?-?-10451-23011`` is recognisably the same cell as
``234-30-10451-23011`` while never pretending to know the network.

Linking is done on the unique keys of a column (thousands), not on its rows
(millions): exact key first, then LAC and CI alone when the event's key lacks
MCC/MNC and exactly one listed cell has that LAC and CI, then an LTE/NR cell
identity alone (ECI = eNodeB x 256 + cell, unique in its network without the
TAC) when one side does not give the TAC. An ECI is always stored whole, so a
list that gives eNodeB and cell and records that give the ECI (or the other way
round) meet on the same key.

MCC and MNC come only from the file (its columns, its CGI strings), never from
the case's region: a roaming handset's cells belong to another country's
network, and a key that claimed the home network would be a statement the
record never made. The linking rules above make a region unnecessary.

Operators also write a CGI without separators: as decimal digits with fixed
widths (``CGI_DEC``: MCC 3, MNC 2 or 3, LAC 5, CI 5 digits, e.g.
``404056205320221``) or, where the header says so, in hexadecimal (``CGI_HEX``:
MCC and MNC in decimal, LAC and CI as 4 hex digits each, e.g.
``520031B71476E``). Both become the same canonical key as the separated form.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

UNKNOWN = "?"

_CGI = re.compile(r"^\s*(\d{3})\D{1,3}(\d{1,3})\D{1,3}(\d{1,6})\D{1,3}(\d{1,10})\s*$")
_LAC_CI = re.compile(r"^\s*(\d{1,6})\D{1,3}(\d{1,10})\s*$")
_CGI_DEC = re.compile(r"^\s*([2-7]\d{2})(\d{2,3})(\d{5})(\d{5})\s*$")  # 15 or 16 digits
_CGI_HEX = re.compile(r"^\s*([2-7]\d{2})(\d{2,3})([0-9A-Fa-f]{4})([0-9A-Fa-f]{4})\s*$")  # 13 or 14
SHORT_CI_MAX = 65535  # a GSM/UMTS CI; above it, an E-UTRAN or NR cell identity


def make_key(mcc: object, mnc: object, lac: object, ci: object) -> str | None:
    """The canonical key from parts; None when CI is missing, or LAC is and the CI is a short one.

    A 16-bit CI is only unique within its LAC, so it needs one; an LTE/NR cell
    identity (above 65535) is unique in its network and makes a key
    ``MCC-MNC-?-ECI`` without the TAC.
    """
    parts = [_part(mcc, 3), _part(mnc, 3), _part(lac, 6), _part(ci, 10)]
    if parts[3] == UNKNOWN or parts[2] == UNKNOWN and int(parts[3]) <= SHORT_CI_MAX:
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


def parse_cell(text: object, hexadecimal: bool = False) -> str | None:
    """Parse a cell as an operator writes it: a CGI string, ``LAC-CI``, or an undelimited CGI.

    ``hexadecimal`` (the column's header says HEX) reads 13/14-character CGIs
    with LAC and CI in hex; otherwise 15/16-digit strings are read as decimal
    CGIs with 5-digit LAC and CI. None if the text is none of these.
    """
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return None
    s = str(text)
    m = _CGI.match(s)
    if m:
        return make_key(*m.groups())
    m = _LAC_CI.match(s)
    if m:
        return make_key(None, None, *m.groups())
    m = (_CGI_HEX if hexadecimal else _CGI_DEC).match(s)
    if m:
        mcc, mnc, lac, ci = m.groups()
        lac_n, ci_n = (int(lac, 16), int(ci, 16)) if hexadecimal else (int(lac), int(ci))
        if lac_n <= SHORT_CI_MAX and ci_n <= SHORT_CI_MAX:
            return make_key(mcc, mnc, lac_n, ci_n)
    return None


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


def _parts(key: str) -> list[str] | None:
    parts = key.split("-")
    return parts if len(parts) == 4 and parts[3].isdigit() else None


def _long_ci(key: str) -> str | None:
    """The cell identity of a key whose CI is an LTE/NR one (unique without the TAC), else None."""
    parts = _parts(key)
    return parts[3] if parts is not None and int(parts[3]) > SHORT_CI_MAX else None


def _compatible(key: str, listed: str) -> bool:
    """MCC and MNC agree wherever both keys give them."""
    a, b = _parts(key), _parts(listed)
    if a is None or b is None:
        return False
    return all(x == y or UNKNOWN in (x, y) for x, y in zip(a[:2], b[:2]))


def resolve(keys: pd.Series, cells: pd.DataFrame) -> pd.Series:
    """Position (row number) in ``cells`` of each key, or -1 when it links to no cell.

    Exact canonical key first. Then LAC and CI alone, when one side does not
    know the network (an event key ``?-?-LAC-CI`` against a listed full key, or a
    full event key against a listed ``?-?-LAC-CI``), but only when that pair is
    unique in the list, because guessing between two networks' cells would put
    a handset in the wrong place. Then an LTE/NR cell identity alone, when one
    side lacks the TAC, unique among the listed cells of a compatible network.
    Two full keys of different networks never link.

    Cell lists are asked first, by every rule; positions read from operator
    records (``from_records``) only for keys no list places, so a list's cell,
    with its azimuth and beamwidth, always wins.
    """
    result = pd.Series(-1, index=keys.index, dtype="int64")
    if cells.empty or keys.empty:
        return result
    derived = cells["from_records"].fillna(False).to_numpy(dtype=bool) if "from_records" in cells \
        else np.zeros(len(cells), dtype=bool)
    distinct = list(pd.unique(keys.dropna()))
    mapping: dict[str, int] = {}
    for rows in (np.flatnonzero(~derived), np.flatnonzero(derived)):
        todo = [k for k in distinct if k not in mapping]
        if todo and len(rows):
            mapping.update(_link(todo, cells["key"].astype(object).to_numpy()[rows], rows))
    if mapping:
        result = keys.map(mapping).fillna(-1).astype("int64")
    return result


def _link(keys: list[str], listed_keys: np.ndarray, positions: np.ndarray) -> dict[str, int]:
    """The linking rules of ``resolve`` for ``keys`` against one set of cells (first of a key wins)."""
    exact = pd.Series(positions, index=listed_keys)
    exact = exact[~exact.index.duplicated(keep="first")]
    listed = pd.Series(exact.index, dtype=object)
    tails = listed.map(lac_ci_of)
    tail_counts = tails.value_counts()
    unique_tails = pd.Series(listed.to_numpy(), index=tails.values)
    unique_tails = unique_tails[unique_tails.index.map(tail_counts) == 1]
    long_cis = listed.map(_long_ci)
    by_ci = listed[long_cis.notna().to_numpy()].groupby(long_cis.dropna().to_numpy()).agg(list)
    mapping: dict[str, int] = {}
    for key in keys:
        if key in exact.index:
            mapping[key] = int(exact[key])
            continue
        tail = lac_ci_of(key)
        if tail in unique_tails.index:
            match = unique_tails[tail]
            if _network_unknown(key) or _network_unknown(match):
                mapping[key] = int(exact[match])
                continue
        ci = _long_ci(key)
        if ci is not None and ci in by_ci.index:
            fits = [c for c in by_ci[ci] if _compatible(key, c)]
            if len(fits) == 1 and UNKNOWN in (_parts(key)[2], _parts(fits[0])[2]):
                mapping[key] = int(exact[fits[0]])
    return mapping


def _network_unknown(key: str) -> bool:
    """True when a canonical key lacks its MCC or MNC (``?-?-LAC-CI``, ``234-?-LAC-CI``)."""
    parts = key.split("-")
    return len(parts) == 4 and UNKNOWN in parts[:2]
