"""What a call-record file says about itself outside its rows: the zone and the target.

A header ``Conn. Time(UTC)`` or a title row "All times UTC" states the zone of
the times; a title row "Target: 07700 900123" or a search by MSISDN
(``Search Criteria : MSISDN`` / ``Search Value : ...``) names the subscriber
whose records these are.
"""

from __future__ import annotations

import re

from cellsight.importers import tabular
from cellsight.importers.cdr.vocabulary import ZONE_HEADER

_ZONE_TITLE = re.compile(r"\b(?:all\s+)?times?\b[^.;]{0,40}?\b(utc)\b|\btime\s*zone\s*[:=]?\s*"
                         r"(utc|[A-Za-z]+/[A-Za-z_]+)", re.I)
_TARGET_TITLE = re.compile(r"\b(?:target|msisdn|subscriber|served msisdn|target number|mobile no\.?|"
                           r"mobile number|records? (?:of|for))\b[^\d+]{0,20}(\+?\d[\d ()-]{6,20}\d)", re.I)
_SEARCH_TITLE = re.compile(r"^\s*search\s+(criteria|value)\s*:-?\s*(.+?)\s*$", re.I)


def header_zone(header: list[str], roles: dict[str, str]) -> bool:
    """True when a time column's header says its times are UTC (``Conn. Time(UTC)``)."""
    names = [roles[r] for r in ("start", "date", "time") if r in roles]
    return any(ZONE_HEADER.search(tabular.header_text(n)) for n in names)


def title_zone(title: list[str]) -> str | None:
    """A zone stated in a title row: "All times UTC", "Time zone: Europe/London"."""
    for line in title:
        m = _ZONE_TITLE.search(line)
        if m:
            zone = m.group(1) or m.group(2)
            return "UTC" if zone.upper() == "UTC" else zone
    return None


def search_target(title: list[str]) -> str | None:
    """The number a request searched for, when it searched by number.

    ``Search Criteria : MSISDN`` with ``Search Value : 9477523061`` names the
    target; a search by IMEI (``Search Criteria : IMEI``) names a handset, whose
    records may hold several numbers, so it names none.
    """
    found = {}
    for line in title:
        m = _SEARCH_TITLE.match(line)
        if m:
            found[m.group(1).lower()] = m.group(2).strip()
    criteria = tabular.header_text(found.get("criteria", ""))
    if criteria in ("msisdn", "mobile number", "mobile no", "number", "mdn") and found.get("value"):
        return found["value"]
    return None


def title_target(title: list[str]) -> str | None:
    """The target number a title row states ("Target: 07700 900123"), as written."""
    for line in title:
        m = _TARGET_TITLE.search(line)
        if m:
            return m.group(1).strip()
    return None


