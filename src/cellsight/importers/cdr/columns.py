"""Which column of a call-record table plays which role, and why each other column is left out.

The header decides first (``cdr.vocabulary``); the columns whose headers name
an event type or a direction are then settled by their values
(``cdr.codes.assign_code_columns``), and the values fill in what the header
left unsaid (times, parties, cells). Every column no role took is listed in
the import report with a reason that is true of it, and the ones that look
like a party, a cell or a direction are warned about.
"""

from __future__ import annotations

import re

import pandas as pd

from cellsight.core.cellkeys import parse_cell
from cellsight.importers import tabular
from cellsight.importers.base import ImportResult
from cellsight.importers.cdr.codes import assign_code_columns, decode_code
from cellsight.importers.cdr.context import _Context
from cellsight.importers.cdr.times import _HAS_CLOCK, _HAS_DATE, _sample
from cellsight.importers.cdr.vocabulary import (PARTY_ROLES, TIME_ROLES, assign_roles, column_role, header_words,
                                                not_read_reason, site_role, volume_role)
from cellsight.importers.templates import Template

_PHONE = re.compile(r"\s*\+?\d[\d ()-]{5,18}\d\s*")
_CGI_LIKE = re.compile(r"^\s*\d{3}-\d{1,3}-\d+-\d+\s*$")


def _unwrapped(frame: pd.DataFrame, roles: dict[str, str], quotes_only: bool = False) -> pd.DataFrame:
    """The frame with every column the import reads unwrapped (values as operators wrap them).

    Each column's distinct values are asked (``tabular.unwrap``): last column first, so that
    this thread works out those not yet begun while the hashing core works from the first
    (``tabular.hash_ahead``)."""
    changed = {}
    for name in reversed(dict.fromkeys(roles.values())):
        if name in frame.columns:
            original = frame[name]
            unwrapped = tabular.unwrap(original, quotes_only)
            if unwrapped is not original:
                changed[name] = unwrapped
    return frame.assign(**changed) if changed else frame


def _roles(table: tabular.Table, template: Template | None) -> tuple[dict[str, str], dict[str, str]]:
    """Role -> column; and the columns left out by their values, with the reason.

    The header decides first; the columns whose headers name an event type or a
    direction are then settled by their values (``cdr_codes.assign_code_columns``),
    and the values fill in what the header left unsaid (times, parties, cells).
    """
    frame = table.frame
    roles, left = assign_roles(table.header, template, frame, table.plain)
    fixed = {n for n in table.header if template is not None and template.role_of(n) is not None}
    if not fixed & {roles.get("event"), roles.get("direction")}:
        candidates = [n for n in table.header if n not in fixed and n not in left
                      and column_role(n) in ("event", "direction")]
        if candidates:
            sample = frame[candidates].apply(tabular.unwrap) if len(frame) and not table.plain \
                else frame[candidates]
            event, direction, by_codes = assign_code_columns(sample, candidates, template)
            left.update(by_codes)
            header_event = next((n for n in candidates if column_role(n) == "event" and n != direction
                                 and not _numeric(frame[n]) and not _subscription_words(frame[n])),
                                None)
            roles.pop("event", None)
            roles.pop("direction", None)
            if event or header_event:
                roles["event"] = event or header_event
                left.pop(roles["event"], None)
            header_direction = next((n for n in candidates if column_role(n) == "direction"
                                     and n != roles.get("event") and not _numeric(frame[n])), None)
            if direction or header_direction:
                roles["direction"] = direction or header_direction
                left.pop(roles["direction"], None)
            for name in list(left):
                if _numeric(frame[name]) and volume_role(name) == "volume" and "volume" not in roles:
                    roles["volume"] = name
                    left.pop(name)
    roles = _infer_missing_roles(frame, roles)
    _cell_parts_by_values(frame, roles)
    return roles, left


def _numeric(values: pd.Series) -> bool:
    """Whether four in five of the column's sampled values (``times._sample``) are plain numbers."""
    sample = [text for text in (str(v).strip() for v in _sample(values)) if text]
    return bool(sample) and sum(1 for text in sample if _NUMBER.fullmatch(text)) / len(sample) >= 0.8


_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


_SUBSCRIPTION = re.compile(r"^(pre|post)\s*(paid)?$", re.I)


def _subscription_words(values: pd.Series) -> bool:
    sample = _sample(values).astype(str).str.strip()
    return bool(len(sample)) and sample.str.match(_SUBSCRIPTION).mean() >= 0.5


def _cell_parts_by_values(frame: pd.DataFrame, roles: dict[str, str]) -> None:
    """A "cell" column of plain numbers beside an eNodeB or LAC column is the sector or CI."""
    for part in ("_first", "_last"):
        text = roles.get("cell" + part)
        if text is None or not _numeric(frame[text]):
            continue
        if ("enodeb" + part) in roles and ("sector" + part) not in roles:
            roles["sector" + part] = roles.pop("cell" + part)
        elif ("lac" + part) in roles and ("ci" + part) not in roles:
            roles["ci" + part] = roles.pop("cell" + part)


def _record_parameters(ctx: _Context, result: ImportResult, left: dict[str, str]) -> None:
    table = ctx.table
    params = result.parameters
    params.setdefault("columns", {}).update({name: role for role, name in ctx.roles.items()})
    unused = unused_columns(table.frame, table.header, ctx.roles, left)
    if unused:
        prefix = f"{table.sheet}: " if table.sheet and table.prefix else ""
        params.setdefault("unused_columns", []).extend(
            {"column": prefix + u["column"], "reason": u["reason"]} for u in unused)
        meaningful = [u for u in unused if u["meaningful"]]
        for u in meaningful:
            result.warnings.append(f"{UNUSED_COLUMN} {prefix}{u['column']!r}: {u['reason']}")
    if ctx.template is not None:
        params["template"] = ctx.template.name
    if table.encoding:
        params["encoding"], params["delimiter"] = table.encoding, table.delimiter
    if table.sheet:
        params.setdefault("sheets", []).append(table.sheet)


UNUSED_COLUMN = "column not used:"
_ROLE_WORDS = {"party_a": "caller (party A)", "party_b": "called party (party B)",
               "other_party": "other party", "target": "target number", "event": "event type",
               "direction": "direction", "duration": "duration", "start": "start time",
               "date": "date", "time": "time", "end": "end time", "status": "status",
               "imei": "IMEI", "imsi": "IMSI", "mcc": "MCC", "mnc": "MNC", "volume": "volume",
               "unit": "unit"}
_IGNORED_WHY = (
    (r"\b(cost|charge|price|amount|rate|tariff)\b", "a charge, not evidence of contact or place", False),
    (r"\b(volume|bytes|kb|mb|uplink|downlink)\b", "a data volume, not a duration", False),
    (r"\b(sequence|seq|serial|index|reference|ref|row|record id|call id)\b",
     "a record number of the operator's", False),
    (r"\b(azimuth|bearing|easting|northing|technology|rat)\b",
     "a cell's detail that belongs in a cell list", False),
    (r"\b(zone|timezone|tz|offset)\b", "a time zone column; the zone is taken from --tz or the file", True),
    (r"\b(make|model|vendor)\b", "the handset's make or model", False),
    (r"\bseizure\b", "the time to set up the call, not its duration", False),
)


def _role_label(role: str) -> str:
    base, _, part = role.rpartition("_") if role.endswith(("_first", "_last")) else (role, "", "")
    word = _ROLE_WORDS.get(base, base.replace("_", " "))
    return f"{part} {word}" if part else word


def unused_columns(frame: pd.DataFrame, header: list[str], roles: dict[str, str],
                   left: dict[str, str]) -> list[dict[str, object]]:
    """Every column no role took: ``{"column", "reason", "meaningful"}``.

    ``meaningful`` marks the ones that look like a party, a cell, a direction or
    a service (by header or values): those are warned about, so that a mapping
    that silently missed one cannot pass unnoticed.
    """
    used = set(roles.values())
    out = []
    for name in header:
        if name in used:
            continue
        reason, meaningful = _unused_reason(frame[name] if name in frame else None, name, roles, left)
        out.append({"column": name, "reason": reason, "meaningful": meaningful})
    return out


def _unused_reason(values: pd.Series | None, name: str, roles: dict[str, str],
                   left: dict[str, str]) -> tuple[str, bool]:
    if values is None or tabular.blank_only(values):
        return "empty", False
    if name in left:
        return left[name], True
    why = not_read_reason(name)
    if why:
        return why, "forward" in why or "original" in why
    text = header_words(name)
    role = column_role(name) or site_role(name) or volume_role(name)
    if role == "volume":
        return "a data volume, not a duration (no unit column says it is seconds)", False
    if role == "unit":
        return "the unit of a volume column that is not used", False
    if role in ("party_a", "party_b", "other_party", "target") and "party_a" in roles and \
            "party_b" in roles:
        return (f"a third number column; the parties were read from {roles['party_a']!r} and "
                f"{roles['party_b']!r}"), True
    if role is not None:
        base = role.replace("_first", "").replace("_last", "")
        taken = roles.get(role) or roles.get(base + "_first") or roles.get(base + "_last")
        if taken is not None:
            return f"a second {_role_label(role)} column; {taken!r} was used", True
        return f"looks like the {_role_label(role)} but could not be used with the other columns", True
    for pattern, reason, meaningful in _IGNORED_WHY:
        if re.search(pattern, text):
            return reason, meaningful
    sample = [str(v) for v in _sample(values).dropna() if str(v).strip()]
    if sample and sum(_looks_like_phone(tabular.unwrap_text(v)) for v in sample) >= 0.8 * len(sample):
        return "holds phone numbers, but its header does not say whose", True
    if sample and sum((parse_cell(v) or "??").count("?") < 2 for v in sample) >= 0.8 * len(sample):
        return "holds cell identities, but its header does not say which cell", True
    if sample and sum(decode_code(v) != (None, None) for v in sample) >= 0.5 * len(sample):
        return "holds event codes or directions, but another column was used", True
    if "name" in text.split():
        return "a name; the analyses work on numbers", False
    if "site" in text.split():
        return "a site (mast) identifier, not a cell", False
    return "not a column Cellsight reads", False


def _looks_like_phone(cell: str) -> bool:
    return bool(_PHONE.fullmatch(cell)) and not _CGI_LIKE.match(cell)


def _looks_like_time(cell: str) -> bool:
    return bool(_HAS_DATE.search(cell)) and bool(_HAS_CLOCK.search(cell))


def header_by_values(rows: list[list[str]]) -> tabular.HeaderChoice | None:
    """A header found by what lies under it, for layouts whose words we do not know.

    The header is a row of several labels (no dates) followed by rows that each
    hold a date with a time and a phone number: what any call record looks like.
    """
    for index, cells in enumerate(rows[:-1]):
        labels = [c for c in cells if c.strip()]
        if len(labels) < 3 or any(_looks_like_time(c) or _looks_like_phone(c) for c in labels):
            continue
        below = [r for r in rows[index + 1:index + 6] if any(c.strip() for c in r)]
        if below and all(any(_looks_like_time(c) for c in r) and any(_looks_like_phone(c) for c in r)
                         for r in below):
            found = tabular.best_header(rows[index:], lambda row, h=cells: float(row is h), 1)
            return tabular.HeaderChoice(index=index, names=found.names, data_start=index + 1)
    return None


def _infer_missing_roles(frame: pd.DataFrame, roles: dict[str, str]) -> dict[str, str]:
    """Where the header names no time or no party, recognise those columns by their values."""
    used = set(roles.values())
    free = [c for c in frame.columns if c not in used]
    if not any(r in roles for r in TIME_ROLES):
        for name in free:
            sample = _sample(frame[name])
            if len(sample) and sample.astype(str).str.contains(_HAS_DATE).mean() >= 0.8 and \
                    sample.astype(str).str.contains(_HAS_CLOCK).mean() >= 0.8:
                roles["start"] = name
                free.remove(name)
                break
    if not any(r in roles for r in PARTY_ROLES):
        phones = []
        for name in free:
            sample = _sample(frame[name]).astype(str)
            sample = sample[sample.str.strip() != ""]
            if len(sample) and sample.map(_looks_like_phone).mean() >= 0.8:
                phones.append(name)
        if len(phones) >= 2:
            roles["party_a"], roles["party_b"] = phones[:2]
        elif phones:
            roles["other_party"] = phones[0]
        free = [c for c in free if c not in phones]
    if "event" not in roles:
        for name in free:
            sample = [str(v) for v in _sample(frame[name]).dropna() if str(v).strip()]
            known = [decode_code(v) != (None, None) for v in sample]
            if sample and sum(known) >= max(1, 0.5 * len(sample)):
                roles["event"] = name
                free.remove(name)
                break
    if not any(r.startswith(("cell", "lac", "ci", "enodeb")) for r in roles):
        for name in free:
            sample = [str(v) for v in _sample(frame[name]).dropna() if str(v).strip()]
            if sample and all(parse_cell(v) and parse_cell(v).count("?") < 2 for v in sample):
                roles["cell_first"] = name
                break
    return roles


