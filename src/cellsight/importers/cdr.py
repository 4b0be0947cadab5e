"""Operator call records (CDRs) in whatever layout the network sends them.

No two operators lay records out alike and each drifts over time, so columns
are recognised by meaning: a wide vocabulary of header words (calling, called,
A/B party, originating, terminating, other party, target, event type, direction,
first/last cell, LAC and CI, eNodeB and sector, IMEI, IMSI, date and time
together or apart, start and end, duration) and, where the header gives no
clue, by what the values look like. A template fixes a layout the vocabulary
cannot read alone.

Everything is decided once per column and done once per distinct value, never
row by row: the date format is chosen from a sample and applied by pyarrow's
strptime over the whole column; numbers, cells and event codes are worked out
per distinct string. Rows that cannot be used (no readable time, no party where
the kind needs one) are rejected with the row number a person would look for;
title, blank, repeated-header and totals rows are listed as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core import schema
from cellsight.core.cellkeys import parse_cell
from cellsight.core.phone import is_normalised, normalise, normalise_series
from cellsight.core.schema import STR
from cellsight.core.timezones import localize, parse_offset_times, plausibility_flags
from cellsight.importers import cdr_parties, cdr_sites, tabular
from cellsight.importers.base import (TZ_ASSUMED, TZ_FROM_FILE, TZ_FROM_OPTION, TZ_FROM_VALUES,
                                      ImportFailure, ImportOptions, ImportResult)
from cellsight.importers.cdr_codes import assign_code_columns, decode_code
from cellsight.importers.cells import eci_from_enodeb, keys_from_parts, keys_from_text, says_hex
from cellsight.importers.registry import importer
from cellsight.importers.templates import Template, builtin_for, template_option
from cellsight.progress import Progress, check

TIME_ROLES = ("start", "date", "time")
PARTY_ROLES = ("party_a", "party_b", "other_party", "target")
SERIAL_ROLES = ("cell", "lac", "ci", "enodeb", "sector")  # each has a _first and a _last
COMMUNICATION_KINDS = ("call", "sms", "mms", "voicemail")
MONTH_FIRST_REGIONS = {"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "FM", "MH", "PW"}

# ----- header vocabulary -----------------------------------------------------------------
_IGNORE = re.compile(r"\b(seizure|lat|latitude|lon|long|longitude|lng|address|azimuth|bearing|"
                     r"postcode|easting|northing|town|city|name|cost|charge|price|amount|rate|"
                     r"make|model|vendor|technology|rat|tariff|volume|bytes|kb|mb|uplink|downlink|"
                     r"zone|timezone|tz|offset|sequence|seq|serial|index|reference|ref|row|"
                     r"record id|call id)\b")
# Columns that name a number or a code but are never a party, a cell or the event type, with the
# reason the import report gives for leaving them out.
_NOT_READ: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), why) for p, why in (
    (r"\blrn\b|\btranslation\b", "a routing number (LRN) of the network, not a party"),
    (r"\bsmsc\b|\bsms (centre|center)\b|\bcentre\b|\bcenter\b", "the SMS centre's number, not a party"),
    (r"\b(forwarding|forwarded|fow|fwd|divert\w*|redirect\w*)\b", "the number a call was forwarded to, "
     "not the other party"),
    (r"\boriginal\b", "the original caller of a forwarded call, not the party of this record"),
    (r"\b(msc|switch|sw)\b|\btg\b|\btrunk\b", "a switch or trunk of the network"),
    (r"\b(ip|port\d*|mac|apn|pgw|ue ip)\b|\bip address\b", "an internet address, port or access point"),
    (r"\broam\w*|\bcircle\b|\boperator\b|\bnetwork (name|circle)\b|\bnw\b",
     "the network or roaming area, not a cell"),
    (r"\btype of connection\b|\bpre ?paid\b|\bpost ?paid\b|\bconnection type\b",
     "the kind of subscription (prepaid or postpaid)"),
))
_TARGET = re.compile(r"^(target|target (number|no|msisdn|phone|id|handset)|served (msisdn|number|mdn)"
                     r"|msisdn|subscriber|subscriber (number|msisdn|no)|service number"
                     r"|account (number|msisdn)|msisdn user id|mobile no|mobile"
                     r"|mobile number|handset number|own number|user number|subject number)$")
_A_PARTY = re.compile(r"^a (party|number|no|num|subscriber|msisdn|side)\b|^(numero|telefone|terminal) a$")
_B_PARTY = re.compile(r"^b (party|number|no|num|subscriber|msisdn|side)\b|^(numero|telefone|terminal) b$")
_CI = re.compile(r"^((first|last|start|end|serving|originating|terminating|initial|final|1st|2nd) )?"
                 r"(ci|cid|eci|e ci|ci eci|cell identity|cell id|cellid|lcid|cell no|cell number)$")
_A_WORDS = {"calling", "caller", "originating", "origin", "orig", "org", "from", "source", "src",
            "sender", "originator", "anumber", "aparty", "anum", "chamador", "origem", "originador"}
_B_WORDS = {"called", "callee", "terminating", "term", "to", "destination", "dest", "recipient",
            "dialled", "dialed", "receiver", "bnumber", "bparty", "bnum", "receiving", "chamado",
            "destino"}
_OTHER_WORDS = {"other", "third", "correspondent", "contact", "partner", "remote", "counterpart",
                "number", "phone", "telephone", "msisdn", "party", "connected", "cli", "mdn"}
_EVENT_WORDS = {"event", "type", "service", "usage", "category", "record", "activity", "ct",
                "feature", "description", "traffic", "transaction", "communication", "nature",
                "action", "toc", "cdrtype", "tipo", "servico"}
_DIRECTION_WORDS = {"inbound", "outbound", "incoming", "outgoing", "inout", "sentido", "direcao"}
_STATUS_WORDS = {"status", "result", "outcome", "disposition", "answered", "cause", "termination"}
_DURATION_WORDS = {"duration", "dur", "elapsed", "length", "airtime", "et", "secs", "seconds",
                   "mins", "minutes", "sec", "duracao"}
_LAST_WORDS = {"last", "end", "final", "closing", "terminating", "2nd", "second"}
_END_WORDS = {"end", "stop", "finish", "finished", "release", "released", "disconnect",
              "disconnected", "ended"}
_ZONE_HEADER = re.compile(r"\butc\b")
_ZONE_TITLE = re.compile(r"\b(?:all\s+)?times?\b[^.;]{0,40}?\b(utc)\b|\btime\s*zone\s*[:=]?\s*"
                         r"(utc|[A-Za-z]+/[A-Za-z_]+)", re.I)
_TARGET_TITLE = re.compile(r"\b(?:target|msisdn|subscriber|served msisdn|target number|mobile no\.?|"
                           r"mobile number|records? (?:of|for))\b[^\d+]{0,20}(\+?\d[\d ()-]{6,20}\d)", re.I)
_SEARCH_TITLE = re.compile(r"^\s*search\s+(criteria|value)\s*:-?\s*(.+?)\s*$", re.I)


def _header_words(header: str) -> str:
    header = re.sub(r"\s\(\d+\)$", "", str(header))  # "Cell ID (2)": a repeated header name
    return " ".join(_ZONE_HEADER.sub(" ", tabular.header_text(header)).split())


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def not_read_reason(header: str) -> str | None:
    """Why a column that names a number or code is no party, cell or event type; None if it may be."""
    text = _header_words(header)
    return next((why for pattern, why in _NOT_READ if pattern.search(text)), None)


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def column_role(header: str) -> str | None:
    """The meaning of a CDR column from its header alone, or None."""
    text = _header_words(header)
    words = set(text.split())
    joined = text.replace(" ", "")
    if "imei" in words:
        return "imei"
    if "imsi" in words:
        return "imsi"
    if _IGNORE.search(text) or not_read_reason(header) or site_role(header):
        return None
    last = "_last" if words & _LAST_WORDS else "_first"
    if words & {"lac", "tac"} and words & {"ci", "cell", "cgi", "eci", "cid"}:
        return "cell" + last  # one column holding both, "Serving Cell (LAC/CI)"
    if "mcc" in words or "mobile country code" in text:
        return "mcc"
    if "mnc" in words or "mobile network code" in text:
        return "mnc"
    if words & {"lac", "tac"} or "location area" in text or "tracking area" in text:
        return "lac" + last
    if words & {"enodeb", "enb", "enodebid"} or "enode b" in text or "e nodeb" in text:
        return "enodeb" + last
    if "sector" in words or "local cell" in text:
        return "sector" + last
    if _CI.match(text) or words & {"ci", "eci", "cid"}:
        return "ci" + last
    if words & {"cgi", "ecgi", "cell", "cells", "tower", "mast", "cellid", "celltower",
                "cellsite", "bts", "erb", "celula"} or text == "ipdr format":
        return "cell" + last
    if words & _DURATION_WORDS or "air time" in text:
        return "duration"
    has_date = bool(words & {"date", "day", "data"}) and "volume" not in words
    has_time = bool(words & {"time", "hour", "hora"})
    if words & _END_WORDS and not words & _STATUS_WORDS or "termination time" in text:
        return "end"  # "End Time", "Call End", "Call Termination Time"; not "Release Cause"
    if has_date and has_time:
        return "start"
    if has_date:
        return "date"
    if has_time:
        return "time"
    if words & {"timestamp", "datetime", "start", "started", "when", "datestamp"}:
        return "start"
    if words & {"direction", "dir", "inout", "sentido", "direcao"} or text in {"in out", "i o", "mo mt", "in out flag",
                                                         "inbound outbound", "incoming outgoing"} \
            or len(words & _DIRECTION_WORDS) >= 2:
        return "direction"
    if _TARGET.match(text) or "target" in words:
        return "target"
    if words & _A_WORDS or text == "a" or _A_PARTY.match(text):
        return "party_a"
    if words & _B_WORDS or text == "b" or _B_PARTY.match(text):
        return "party_b"
    if words & _OTHER_WORDS or joined in {"otherparty", "thirdparty"} or words & {"numero", "telefone"}:
        return "other_party"
    if words & _EVENT_WORDS or joined in _EVENT_WORDS:
        return "event"
    if words & _STATUS_WORDS:
        return "status"
    return None


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def volume_role(header: str) -> str | None:
    """``volume`` for an amount of usage (bytes, or seconds where a unit says so), ``unit`` for its unit."""
    text = _header_words(header)
    words = set(text.split())
    if words & {"uom", "unit", "units"} or text == "unit of measure":
        return "unit"
    if words & {"volume", "usage", "bytes"} and not words & {"type", "uplink", "downlink", "up", "down"}:
        return "volume"
    return None


# Where the serving site is, when the record says so: its position and its address.
_SITE_WORDS = {"address", "location", "site", "place", "area", "bts", "locality"}


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def site_role(header: str) -> str | None:
    """``lat``/``lon``/``latlon``/``site`` (+ ``_first``/``_last``) for a serving site's position or address.

    ``First CGI Lat/Long`` holds both numbers, ``lat`` and ``longitude`` one
    each, ``First BTS Location`` the site's address (a place name, not a cell).
    """
    text = _header_words(header)
    words = set(text.split())
    last = "_last" if words & _LAST_WORDS else "_first"
    lat = bool(words & {"lat", "latitude"})
    lon = bool(words & {"lon", "long", "longitude", "lng"})
    if lat and lon:
        return "latlon" + last
    if lat:
        return "lat" + last
    if lon:
        return "lon" + last
    if words & _SITE_WORDS and not words & {"id", "code", "no", "number"} or \
            words & {"bts", "cell", "site"} and words & {"location", "address", "name"}:
        return "site" + last
    return None


def _group(role: str) -> str | None:
    if role in TIME_ROLES:
        return "time"
    if role in PARTY_ROLES:
        return "party"
    if role in ("event", "direction"):
        return "kind"
    if role == "duration":
        return "duration"
    if role.split("_")[0] in SERIAL_ROLES:
        return "cell"
    return None


def header_score(cells: list[str], template: Template | None = None) -> float:
    """How much a row looks like a CDR header: distinct kinds of column it names.

    A header needs a time column and at least one more kind (parties, event
    type, duration, cell); a row matching the template's columns wins outright.
    """
    if template is not None and template.matches(cells):
        return 100.0
    groups = header_groups(cells, template)
    return float(len(groups)) if "time" in groups and len(groups) >= 2 else 0.0


def header_groups(cells: list[str], template: Template | None = None) -> set[str]:
    """The kinds of CDR column a row names: time, party, kind, duration, cell."""
    groups = set()
    for cell in cells:
        if not isinstance(cell, str) or not cell.strip() or len(cell) > 60:
            continue
        role = (template.role_of(cell) if template else None) or column_role(cell)
        if role and role != "ignore":
            groups.add(_group(role))
    groups.discard(None)
    return groups


def map_columns(header: list[str], template: Template | None) -> dict[str, str]:
    """Role -> column name, the template's roles first, then the vocabulary's."""
    roles: dict[str, str] = {}
    fixed = {}
    if template is not None:
        for name in header:
            role = template.role_of(name)
            if role is not None:
                fixed[name] = role
                if role != "ignore":
                    roles.setdefault(role, name)
    for name in header:
        if name in fixed:
            continue
        role = column_role(name)
        if role is None or role in roles and not role.endswith("_first"):
            continue
        if role in roles:  # a second cell-type column without "last" in its name: the last one
            role = role.replace("_first", "_last")
            if role in roles:
                continue
        roles[role] = name
    for name in header:
        if name in fixed or name in roles.values():
            continue
        role = site_role(name) or volume_role(name)
        if role is not None:
            roles.setdefault(role, name)
    for part in ("_first", "_last"):
        # CI without LAC, or sector without eNodeB, is a cell named on its own.
        for lone, partner in (("ci", "lac"), ("sector", "enodeb")):
            if lone + part in roles and partner + part not in roles and "cell" + part not in roles:
                roles["cell" + part] = roles.pop(lone + part)
    return roles


def header_zone(header: list[str], roles: dict[str, str]) -> bool:
    """True when a time column's header says its times are UTC (``Conn. Time(UTC)``)."""
    names = [roles[r] for r in ("start", "date", "time") if r in roles]
    return any(_ZONE_HEADER.search(tabular.header_text(n)) for n in names)


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


# ----- times -----------------------------------------------------------------------------
_DATE_FORMATS = {
    "ymd": ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"],
    "dmy": ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y"],
    "mdy": ["%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y", "%m-%d-%y"],
    "named": ["%d-%b-%Y", "%d %b %Y", "%d-%b-%y", "%d %b %y", "%d/%b/%Y", "%b %d %Y",
              "%d %B %Y", "%B %d %Y", "%d-%B-%Y", "%a %d %b %Y", "%b %d, %Y", "%B %d, %Y"],
}
_TIME_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p",
                 "%H.%M.%S", "%H%M%S"]
_JOINERS = [" ", "T", ", ", " - "]
_FRACTION = re.compile(r"(\d:\d\d)[.,]\d+")
_FRACTION_TEST = re.compile(r"\d:\d\d[.,]\d+")
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)\s*$")
_HAS_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}[ -/][A-Za-z]{3,9}[ -/]\d{2,4}"
                       r"|[A-Za-z]{3,9} \d{1,2},? \d{4}|^\d{8}")
_HAS_CLOCK = re.compile(r"\d{1,2}:\d\d")
_PHONE = re.compile(r"\s*\+?\d[\d ()-]{5,18}\d\s*")
_CGI_LIKE = re.compile(r"^\s*\d{3}-\d{1,3}-\d+-\d+\s*$")


def _candidates(month_first: bool) -> list[tuple[str, str]]:
    """Every (format, family) to try, in the order that breaks ties."""
    order = ["ymd", "mdy", "dmy", "named"] if month_first else ["ymd", "dmy", "mdy", "named"]
    out = [("%Y%m%d%H%M%S", "ymd")]
    for family in order:
        for date in _DATE_FORMATS[family]:
            for joiner in _JOINERS:
                out.extend((date + joiner + clock, family) for clock in _TIME_FORMATS)
            out.append((date, family))
    for family in order:  # time first, as some US exports write it: "2:05:07 PM 3/18/2023"
        out.extend((clock + " " + date, family) for date in _DATE_FORMATS[family]
                   for clock in _TIME_FORMATS)
    return out


def _strptime(values: pa.Array, fmt: str) -> pa.Array:
    """pyarrow's strptime, with impossible days (31 September) refused rather than rolled over.

    The C library behind pyarrow reads 31/09/2025 as 1 October: a date the
    record never gave. A rolled-over day lands on the 1st to 3rd of the next
    month, so only those rows are checked against the day as written.
    """
    parsed = pc.strptime(values, format=fmt, unit="s", error_is_null=True)
    if "%d" not in fmt or not len(values):
        return parsed
    day = pc.day(parsed)
    suspect = pc.fill_null(pc.less_equal(day, 3), False)
    if not pc.any(suspect).as_py():
        return parsed
    positions = pc.indices_nonzero(suspect)
    written = _written_day(pc.take(values, positions), fmt)
    wrong = pc.fill_null(pc.not_equal(written, pc.take(day, positions)), True)
    if not pc.any(wrong).as_py():
        return parsed
    mask = np.zeros(len(values), dtype=bool)
    mask[positions.to_numpy()[wrong.to_numpy(zero_copy_only=False)]] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)


def _written_day(texts: pa.Array, fmt: str) -> pa.Array:
    """The day of the month as written, by the position of ``%d`` among the format's numbers."""
    if fmt.startswith("%Y%m%d"):
        digits = pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(texts), 6, 8)
    else:
        numeric = re.findall(r"%([dmYyHIMS])", fmt)
        skip = r"(?:\d+\D+)" * numeric.index("d")
        found = pc.extract_regex(texts, pattern=rf"^\D*{skip}(?P<day>\d+)")
        digits = pc.struct_field(found, [0])
    return pc.cast(digits, pa.int64(), safe=False)


def _plausible_count(parsed: pa.Array) -> int:
    years = pc.year(parsed)
    ok = pc.and_(pc.greater_equal(years, 1970), pc.less_equal(years, 2100))
    return int(pc.sum(pc.cast(pc.fill_null(ok, False), pa.int64())).as_py() or 0)


@dataclass
class ParsedTimes:
    """Times read from text: naive wall clock, or UTC where the values carry offsets."""

    naive: pd.Series  # datetime64[us]; NaT where unreadable or offset-aware
    aware: pd.Series  # datetime64[us, UTC]; NaT where the value has no offset
    format: str
    month_first: bool

    @property
    def readable(self) -> pd.Series:
        return self.naive.notna() | self.aware.notna()


def parse_times(text: pd.Series, month_first: bool, date_format: str | None = None,
                order_fixed: bool = False) -> ParsedTimes:
    """Parse a column of date-and-time text, choosing its format once for the whole column.

    Times are kept to the second (fractions of a second, rare in call records,
    are dropped); values with their own offsets are read as such.

    Day-first unless ``month_first``; the data overrules the default when only
    the other order can read it (a value above 12 in the second field), unless
    ``order_fixed`` (a template said so).
    """
    text = text.astype(STR).str.strip()
    arr = _arrow(text)
    present = text.fillna("").ne("").to_numpy(dtype=bool, copy=True)
    sample = _sample(text[present])
    aware = pd.Series(pd.NaT, index=text.index, dtype=schema.UTC_TIME)
    if sample.str.contains(_OFFSET, na=False).any():
        aware = parse_offset_times(text)
        present = present & aware.isna().to_numpy(dtype=bool)
        sample = _sample(text[present])
    if sample.str.contains(_FRACTION_TEST, na=False).any():
        arr = pc.replace_substring_regex(arr, pattern=r"(\d:\d\d)[.,]\d+", replacement=r"\1")
        sample = sample.str.replace(_FRACTION, r"\1", regex=True)
    candidates = _candidates(month_first)
    if order_fixed:  # a template said which order: the other is never tried
        candidates = [c for c in candidates if c[1] != ("dmy" if month_first else "mdy")]
    if date_format:  # a template's own format, and nothing else
        candidates = [(date_format, "template")]
    sample_arr = pa.array(sample.tolist(), pa.string())
    chosen, family = _best_format(sample_arr, candidates)
    parsed = _strptime(arr, chosen) if chosen else pa.nulls(len(arr), pa.timestamp("s"))
    switched = False
    ok = parsed.is_valid().to_numpy(zero_copy_only=False)
    if chosen and family in ("dmy", "mdy") and not order_fixed and not date_format \
            and (present & ~ok).any():
        # Only values the column's order cannot read can prove the other order.
        alternative = _swap_day_month(chosen)
        other = _strptime(arr, alternative)
        ok_other = other.is_valid().to_numpy(zero_copy_only=False)
        if (ok_other & ~ok).any() and not (ok & ~ok_other).any():
            parsed, chosen, switched = other, alternative, True
    naive = pd.Series(parsed.to_pandas(), index=text.index).astype("datetime64[us]")
    missing = present & naive.isna().to_numpy()
    if missing.any() and not date_format:
        naive = _fill_other_formats(naive, arr, missing, candidates, chosen, family, switched)
    naive[~present] = pd.NaT
    return ParsedTimes(naive=naive, aware=aware, format=chosen or "",
                       month_first=(family == "mdy") != switched if family in ("dmy", "mdy")
                       else month_first)


def _sample(values: pd.Series, size: int = 200) -> pd.Series:
    if len(values) > size * 20:
        step = len(values) // (size * 20)
        values = values.iloc[::step]
    return pd.Series(pd.unique(values.dropna().astype(object))[:size], dtype=object)


def _best_format(sample: pa.Array, candidates: list[tuple[str, str]]) -> tuple[str | None, str]:
    if len(sample) == 0:
        return None, ""
    best, best_family, best_count = None, "", 0
    for fmt, family in candidates:
        count = _plausible_count(_strptime(sample, fmt))
        if count > best_count:
            best, best_family, best_count = fmt, family, count
            if count == len(sample):
                break
    return best, best_family


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _fill_other_formats(naive: pd.Series, arr: pa.Array, missing: np.ndarray,
                        candidates: list[tuple[str, str]], chosen: str | None, family: str,
                        switched: bool) -> pd.Series:
    """Read the values the column's format missed (a date-only midnight, another separator).

    Only formats of the same day/month order as the column are tried, so that
    one file is never read half day-first and half month-first.
    """
    if family in ("dmy", "mdy"):
        keep = {"dmy", "mdy"} - {family} if switched else {family}
        candidates = [(f, fam) for f, fam in candidates if fam not in {"dmy", "mdy"} - keep]
    positions = np.flatnonzero(missing)
    rest = arr.take(pa.array(positions))
    sample = pa.array(_sample(pd.Series(rest.to_pandas())).tolist(), pa.string())
    for fmt, _family in candidates:
        if fmt == chosen or _plausible_count(_strptime(sample, fmt)) == 0:
            continue
        parsed = _strptime(rest, fmt)
        got = parsed.is_valid().to_numpy(zero_copy_only=False)
        if got.any():
            values = pd.Series(parsed.to_pandas()).astype("datetime64[us]").to_numpy()
            naive.iloc[positions[got]] = values[got]
            rest, positions = rest.filter(pa.array(~got)), positions[~got]
            if not len(positions):
                break
    return naive


# ----- durations -------------------------------------------------------------------------
_CLOCK_DURATION = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$")
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_NO_DURATION = {"", "-", "--", "n/a", "na"}


def parse_durations(text: pd.Series, unit: str = "seconds") -> tuple[pd.Series, int]:
    """Seconds from ``173``, ``2:53`` (MM:SS) or ``0:02:53`` (hh:mm:ss); and how many were unreadable.

    Blank and "-" durations are missing; anything else that cannot be read is
    missing too, and counted so that the import can say so.
    """
    scale = 60.0 if unit == "minutes" else 1.0
    codes, uniques = pd.factorize(text.astype(STR))
    seconds, unreadable = [], []
    for u in uniques:
        value = str(u).strip()
        m = _CLOCK_DURATION.match(value)
        if m:
            hours = int(m.group(1) or 0)
            seconds.append(hours * 3600 + int(m.group(2)) * 60 + float(m.group(3).replace(",", ".")))
        elif _NUMBER.match(value):
            seconds.append(float(value.replace(",", ".")) * scale)
        else:
            seconds.append(np.nan)
        unreadable.append(bool(np.isnan(seconds[-1])) and value.lower() not in _NO_DURATION)
    lookup = np.append(np.array(seconds, dtype="float64"), np.nan)
    out = pd.Series(lookup[codes], index=text.index).astype("Float64")  # code -1 (missing) -> NaN
    bad = int(np.bincount(codes[codes >= 0], minlength=len(uniques))[np.array(unreadable, bool)].sum()) \
        if len(uniques) else 0
    return out, bad


# ----- the importer ----------------------------------------------------------------------
_DATA_EXT = {".csv", ".txt", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls", ".dat", ""}


def sniff(path: Path) -> float:
    """Confidence that ``path`` is call records: a header row naming times and parties or codes."""
    try:
        if path.suffix.lower() not in _DATA_EXT:
            return 0.0
        best = 0.0
        for _sheet, rows in tabular.peek(path):
            for cells in rows:
                groups = header_groups(cells)
                if "time" in groups and groups & {"party", "kind"}:
                    best = max(best, 0.5 + 0.1 * len(groups))
                elif "time" in groups and len(groups) >= 2:
                    best = max(best, 0.3)
            if best == 0 and header_by_values(rows) is not None:
                best = 0.4
        return min(best, 0.9)
    except Exception:  # noqa: BLE001 - a sniffer says "not mine", never crashes detection
        return 0.0


@importer("cdr", "Operator call records (CSV, XLSX, XLS)", ("events",), sniff, priority=10)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    """Read one call-record file into events, rejections and skipped rows."""
    template = template_option(options.template, "cdr")
    progress.update(0, None, f"reading {path.name}")

    def find(rows: list[list[str]]) -> tabular.HeaderChoice | None:
        if template is not None and template.headerless:
            return tabular.headerless(rows, list(template.columns))
        chosen = template
        if chosen is None:
            for cells in rows:
                chosen = builtin_for("cdr", cells)
                if chosen:
                    break
        found = tabular.best_header(rows, lambda cells: header_score(cells, chosen), 2)
        return found if found is not None else header_by_values(rows)

    probe = tabular.probe_head(path.name, lambda head, scratch: _read_table(  # its events only
        head, template or builtin_for("cdr", head.header), options, scratch, path)[0])
    tables, warnings = tabular.read_tables(
        path, find, delimiter=template.delimiter if template else None,
        encoding=template.encoding if template else None, probe=probe)
    check(progress)
    result = ImportResult(format="cdr", warnings=warnings)
    parts, subscribers, sites = [], [], []
    for table in tables:
        layout = template or builtin_for("cdr", table.header)
        events, subscriber, stated = _read_table(table, layout, options, result, path)
        parts.append(events)
        subscribers.append(subscriber)
        if stated is not None:
            sites.append(stated)
        check(progress)
    events = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    result.events = events
    result.row_targets = pd.concat(subscribers, ignore_index=True) if len(subscribers) > 1 \
        else subscribers[0]
    _targets(result)
    result.derived_cells = cdr_sites.derived_cells(sites, result.warnings)
    result.rows = len(events) + len(result.rejections)
    tabular.refuse_mostly_rejected(path.name, result.rows, result.rejections)
    result.rejections = tabular.in_row_order(result.rejections)
    result.skipped = tabular.in_row_order(result.skipped)
    result.warnings = list(dict.fromkeys(result.warnings))
    progress.update(1, 1, f"read {path.name}")
    return result


TOWER_DUMP_SUBSCRIBERS = 10  # a tower dump: at least this many subscribers ...
TOWER_DUMP_RATIO = 5  # ... and at least this many subscribers per cell


def _targets(result: ImportResult) -> None:
    """The subscribers the records belong to; several make a multi-target file or a tower dump.

    A file of one subscriber states its target (the owner of the records). A
    file of many subscribers seen on few cells (``TOWER_DUMP_SUBSCRIBERS`` or
    more, ``TOWER_DUMP_RATIO`` subscribers a cell or more) is a tower dump:
    everyone who used a mast in a period, never one person's records.
    """
    table = cdr_parties.targets_table(result.row_targets)
    # In an ordered file the subscriber is only inferred from the codes: enough to see that a file
    # holds several, not to name the owner without the officer (--subject).
    named = result.parameters.get("party_layout") != cdr_parties.ORDERED
    if len(table) == 1 and named and "target" not in result.parameters:
        result.parameters["target"] = table[0]["number"]
        result.device.setdefault("msisdn", []).append(table[0]["number"])
    if len(table) <= 1:
        return
    result.targets = table
    result.parameters["targets"] = table
    events = result.events
    cells = int(pd.concat([events["cell_first"], events["cell_last"]]).dropna().nunique())
    if len(table) >= TOWER_DUMP_SUBSCRIBERS and cells and cells * TOWER_DUMP_RATIO <= len(table):
        result.tower_dump = {"subscribers": len(table), "cells": cells}


@dataclass
class _Context:
    """What one table's columns are and what the file says about itself."""

    table: tabular.Table  # values unwrapped ('919234228158' -> 919234228158) in the columns used
    roles: dict[str, str]
    template: Template | None
    options: ImportOptions
    target: str | None = None  # the target number (E.164) the file states for all its rows
    written: pd.DataFrame | None = None  # the columns as written, for the parties' raw text

    def col(self, role: str) -> pd.Series | None:
        name = self.roles.get(role)
        return None if name is None else self.table.frame[name]

    def as_written(self, role: str) -> pd.Series | None:
        name = self.roles.get(role)
        frame = self.written if self.written is not None else self.table.frame
        return None if name is None else frame[name]

    def rows(self, keep: np.ndarray) -> _Context:
        """The same context for the rows at positions ``keep``."""
        table = self.table
        if len(keep) == len(table.frame):
            return self

        def take(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.iloc[keep].reset_index(drop=True)

        frame = take(table.frame)
        written = None if self.written is None else frame if self.written is table.frame \
            else take(self.written)
        sub = tabular.Table(frame=frame, rows=table.rows[keep], header=table.header,
                            prefix=table.prefix)
        return _Context(sub, self.roles, self.template, self.options, self.target, written)


def _read_table(table: tabular.Table, template: Template | None, options: ImportOptions,
                result: ImportResult, path: Path) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame | None]:
    """Events of one table, the subscriber (target) each event row belongs to, and the serving
    sites the rows state (``cdr_sites.site_rows``)."""
    written = table.frame
    roles, left = _roles(table, template)
    frame = written if table.plain else _unwrapped(written, roles)
    table = tabular.Table(frame=frame, rows=table.rows, header=table.header, sheet=table.sheet,
                          prefix=table.prefix, title=table.title, skipped=table.skipped,
                          broken=table.broken, encoding=table.encoding, delimiter=table.delimiter,
                          plain=table.plain)
    ctx = _Context(table, roles, template, options, written=written)
    ctx.target = _stated_target(ctx)
    if ctx.target:
        result.parameters["target"] = ctx.target
        msisdns = result.device.setdefault("msisdn", [])
        if ctx.target not in msisdns:
            msisdns.append(ctx.target)
    result.skipped.extend(table.skipped)
    result.rejections.extend(table.broken)
    _record_parameters(ctx, result, left)

    times, zone, rule = _times(ctx, result, path)
    readable = times.readable.to_numpy()
    unusable = np.flatnonzero(~readable)
    noise = tabular.noise_reasons(written.iloc[unusable], table.header)
    is_noise = noise.ne("").to_numpy()
    result.skipped.extend(zip(table.labels(unusable[is_noise]), noise[is_noise]))
    bad = unusable[~is_noise]
    if len(bad):
        result.rejections.extend(zip(table.labels(bad), _time_reasons(ctx, bad)))

    keep = np.flatnonzero(readable)
    ctx_rows = ctx.rows(keep)
    utc, flags = _localise(times, keep, zone)
    events, has_party, subscriber = _events(ctx_rows, result)
    if "duration" not in roles and "end" in roles:
        from_end = _duration_from_end(ctx_rows, times.naive.iloc[keep], times.month_first)
        events["duration_s"] = events["duration_s"].fillna(from_end)
    events["start"] = utc.reset_index(drop=True)
    events["time_flag"] = flags.reset_index(drop=True)
    events["source_row"] = ctx_rows.table.labels()
    sites = cdr_sites.site_rows(ctx_rows.table.frame, roles, events)

    needs_party = events["kind"].isin(COMMUNICATION_KINDS).to_numpy() & ~has_party
    if needs_party.any():
        result.rejections.extend(zip(events.loc[needs_party, "source_row"],
                                     "no party number for a " + events.loc[needs_party, "kind"].astype(str)))
        events = events[~needs_party].reset_index(drop=True)
        subscriber = subscriber[~needs_party].reset_index(drop=True)
        if sites is not None:
            sites = sites[sites["source_row"].isin(set(events["source_row"]))]
    result.tz, result.tz_rule = zone, rule
    return events, subscriber, sites


def _unwrapped(frame: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """The frame with every column the import reads unwrapped (values as operators wrap them)."""
    changed = {}
    for name in dict.fromkeys(roles.values()):
        if name in frame.columns:
            original = frame[name]
            unwrapped = tabular.unwrap(original)
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
    roles = map_columns(table.header, template)
    fixed = {n for n in table.header if template is not None and template.role_of(n) is not None}
    left: dict[str, str] = {}
    if not fixed & {roles.get("event"), roles.get("direction")}:
        candidates = [n for n in table.header if n not in fixed
                      and column_role(n) in ("event", "direction")]
        if candidates:
            sample = frame[candidates].apply(tabular.unwrap) if len(frame) and not table.plain \
                else frame[candidates]
            event, direction, left = assign_code_columns(sample, candidates, template)
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
    sample = _sample(values).astype(str).str.strip()
    sample = sample[sample.ne("")]
    return bool(len(sample)) and sample.str.fullmatch(r"-?\d+(?:[.,]\d+)?").mean() >= 0.8


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
    if values is None or not values.notna().any():
        return "empty", False
    if name in left:
        return left[name], True
    why = not_read_reason(name)
    if why:
        return why, "forward" in why or "original" in why
    text = _header_words(name)
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


def _time_reasons(ctx: _Context, rows: np.ndarray) -> np.ndarray:
    """Why each of these rows has no usable time: no date, no time, or what could not be read."""
    written = _time_text(ctx).iloc[rows].fillna("").str.slice(0, 40)
    reasons = ("date/time not readable: '" + written + "'").to_numpy(dtype=object)
    reasons[written.eq("").to_numpy()] = "no date/time"
    date, clock = ctx.col("date"), ctx.col("time")
    if date is not None and clock is not None and "start" not in ctx.roles:
        has_date = date.iloc[rows].fillna("").str.strip().ne("").to_numpy()
        has_time = clock.iloc[rows].fillna("").str.strip().ne("").to_numpy()
        reasons[has_date & ~has_time] = "no time"
        reasons[has_time & ~has_date] = "no date"
    return reasons


def _time_text(ctx: _Context) -> pd.Series:
    """The text holding each row's start: one column, or date and time joined."""
    frame = ctx.table.frame
    start, date, clock = ctx.col("start"), ctx.col("date"), ctx.col("time")
    if start is not None:
        return start
    if date is not None and clock is not None:
        if _sample(clock).astype(str).str.contains(_HAS_DATE).mean() > 0.5:
            return clock  # a "time" column that holds the date too
        if _sample(date).astype(str).str.contains(_HAS_CLOCK).mean() > 0.5:
            return date
        # A blank date or time leaves the pair missing: a date alone is not midnight.
        joined = pc.binary_join_element_wise(_arrow(date, keep_missing=True),
                                             _arrow(clock, keep_missing=True), " ")
        return pd.Series(STR.__from_arrow__(pa.chunked_array([joined])), index=frame.index)
    only = date if date is not None else clock
    if only is not None:
        return only
    raise ImportFailure(f"no column holds the date and time of each record (columns: "
                        f"{', '.join(frame.columns)}); map the columns (--template)")


def _arrow(values: pd.Series, keep_missing: bool = False) -> pa.Array:
    """A text column as one pyarrow string array; missing (or, kept, blank) values as ""."""
    arr = pa.array(values.astype(STR).array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.string()) if arr.type != pa.string() else arr
    if not keep_missing:
        return pc.fill_null(arr, "")
    trimmed = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _times(ctx: _Context, result: ImportResult, path: Path) -> tuple[ParsedTimes, str, str]:
    """Parse the start times and decide their zone by the contract's order of rules."""
    template, options = ctx.template, ctx.options
    try:
        text = _time_text(ctx)
    except ImportFailure as exc:
        raise ImportFailure(f"{path.name}: {exc}") from None
    month_first = (template.dayfirst is False) if template and template.dayfirst is not None \
        else options.region.upper() in MONTH_FIRST_REGIONS
    fixed = bool(template and template.dayfirst is not None)
    times = parse_times(text, month_first, template.date_format if template else None, fixed)
    result.parameters["date_format"] = times.format
    result.parameters["month_first"] = bool(times.month_first)
    if times.month_first and not month_first and not fixed:
        result.warnings.append("dates read month-first: a value in the second field is above 12")
    stated = "UTC" if header_zone(ctx.table.header, ctx.roles) else title_zone(ctx.table.title)
    if stated is None and template is not None and template.zone:
        stated = template.zone
    if times.aware.notna().any() and times.naive.isna().all():
        return times, "", TZ_FROM_VALUES
    if options.tz:
        return times, options.tz, TZ_FROM_OPTION
    if stated:
        return times, stated, TZ_FROM_FILE
    if times.naive.notna().any():
        result.warnings.append(f"the file does not state its time zone; times assumed to be "
                               f"{options.case_tz}; if they are not, state the time zone (--tz)")
    return times, options.case_tz, TZ_ASSUMED


def _localise(times: ParsedTimes, keep: np.ndarray, zone: str) -> tuple[pd.Series, pd.Series]:
    naive = times.naive.iloc[keep].reset_index(drop=True)
    aware = times.aware.iloc[keep].reset_index(drop=True)
    if zone:
        utc, flags = localize_by_hour(naive, zone)
    else:
        utc = pd.Series(pd.NaT, index=naive.index, dtype=schema.UTC_TIME)
        flags = pd.Series("", index=naive.index).astype(pd.CategoricalDtype(list(schema.TIME_FLAGS)))
    has_offset = aware.notna()
    if has_offset.any():
        utc = utc.where(~has_offset, aware)
        flags = flags.where(~has_offset, plausibility_flags(aware))
    return utc, flags


def localize_by_hour(naive: pd.Series, zone: str) -> tuple[pd.Series, pd.Series]:
    """``core.timezones.localize``, asked once per distinct hour instead of once per row.

    Each distinct wall-clock hour is localised at its first and last microsecond.
    Where both ends agree (same offset, same flag) every time inside the hour
    has that offset and flag, since no zone changes its offset twice within an
    hour and "implausible" is a range; the rest (the hours holding a DST change
    or the plausibility limit) are localised row by row. Same answers as
    ``localize``, in a fraction of the time for a million rows.
    """
    naive = pd.Series(naive).astype("datetime64[us]")
    hours = naive.dt.floor("h")
    codes, distinct = pd.factorize(hours)
    if len(distinct) == 0 or len(distinct) * 4 > len(naive):
        return localize(naive, zone)
    starts = pd.Series(distinct)
    ends = starts + pd.Timedelta(hours=1) - pd.Timedelta(microseconds=1)
    utc_start, flag_start = localize(starts, zone)
    utc_end, flag_end = localize(ends, zone)
    offset = (starts - utc_start.dt.tz_localize(None)).to_numpy()
    same = (offset == (ends - utc_end.dt.tz_localize(None)).to_numpy()) & \
        (flag_start.astype(str).to_numpy() == flag_end.astype(str).to_numpy())
    row_same = np.where(codes >= 0, same[np.maximum(codes, 0)], True)
    shift = offset[np.maximum(codes, 0)]
    utc = pd.Series((naive.to_numpy() - shift), index=naive.index).dt.tz_localize("UTC")
    utc = utc.astype(schema.UTC_TIME)
    flag_codes = flag_start.cat.codes.to_numpy()[np.maximum(codes, 0)]
    flags = pd.Series(pd.Categorical.from_codes(np.where(codes >= 0, flag_codes, 0),
                                                dtype=flag_start.dtype), index=naive.index)
    exact = np.flatnonzero(~row_same)
    if len(exact):
        utc_exact, flags_exact = localize(naive.iloc[exact], zone)
        utc.iloc[exact] = utc_exact.to_numpy()
        flags.iloc[exact] = flags_exact.to_numpy()
    return utc, flags


def _events(ctx: _Context, result: ImportResult) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Everything but the start time, for rows that have one; whether each row names a party;
    and the subscriber (target) each row belongs to.

    A row names a party when one of its own party columns holds one (the
    target a file states for every row does not count); a layout with no party
    columns at all (a list of data sessions) needs none.
    """
    frame, options = ctx.table.frame, ctx.options
    kind, direction = _kinds(ctx, result)
    roles = ctx.roles
    own = set(options.subject_numbers) | ({ctx.target} if ctx.target else set())
    if ("party_a" in roles or "other_party" in roles) and ("party_b" in roles or "other_party" in roles) \
            and ("party_a" in roles or "party_b" in roles):
        xa = "party_a" if "party_a" in roles else "other_party"
        ya = "party_b" if "party_b" in roles else "other_party"
        x, y = _party(ctx, xa), _party(ctx, ya)
        target = _party(ctx, "target")[1] if "target" in roles else None
        parties = cdr_parties.order(x, y, direction, target=target, own=own,
                                    names=(roles[xa], roles[ya]), target_name=roles.get("target", ""))
        has_party = _mask(x[0].notna() | y[0].notna())
    else:
        # The target (or the subscriber's number) and one counterpart column, whatever its name
        counterpart = next((r for r in ("other_party", "party_b", "party_a") if r in roles), None)
        if "target" in roles:
            x, name = _party(ctx, "target"), roles["target"]
        else:
            stated = options.subject_numbers
            own_text = ctx.target or (sorted(stated)[0] if len(stated) == 1 else "")
            x = _constant_party(own_text, frame.index, options.region)
            name = "the subscriber's number"
        y = _party(ctx, counterpart) if counterpart else _constant_party("", frame.index, options.region)
        parties = cdr_parties.order(x, y, direction, target=x[1], own=own,
                                    names=(name, roles.get(counterpart, "")), target_name=name)
        has_party = _mask(y[0].notna()) if counterpart else np.ones(len(frame), dtype=bool)
    _lost_digits(ctx, result)
    direction = _direction_by_number(parties, direction, own)
    subscriber = _subscriber_by_number(parties, direction, own)
    _say_how(parties, kind, direction, own, result, options.subject)
    b, b_flag = _not_parties(parties, kind, result)

    duration, unreadable = _duration(ctx)
    if unreadable:
        result.warnings.append(f"{unreadable} durations could not be read and are left empty")
    events = pd.DataFrame({
        "duration_s": duration,
        "kind": kind.astype(pd.CategoricalDtype(list(schema.EVENT_KINDS))),
        "direction": direction.astype(pd.CategoricalDtype(list(schema.DIRECTIONS))),
        "party_a": parties.a, "party_b": b,
        "party_a_raw": parties.a_raw, "party_b_raw": parties.b_raw,
        "party_a_flag": parties.a_flag, "party_b_flag": b_flag,
        "cell_first": _cells(ctx, "_first"), "cell_last": _cells(ctx, "_last"),
        "imei": _text(ctx, "imei"), "imsi": _text(ctx, "imsi"),
        "status": _text(ctx, "status").astype("category"),
    }, index=frame.index)
    return events, has_party, subscriber.reset_index(drop=True)


def _mask(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)


def _direction_by_number(parties: cdr_parties.Parties, direction: pd.Series, own: set[str]) -> pd.Series:
    """In an ordered layout, a row no column directs is outgoing when A is the subject's number."""
    unknown = direction.eq("unknown").to_numpy(dtype=bool)
    if not unknown.any() or parties.layout != cdr_parties.ORDERED or not own:
        return direction
    a_own = _mask(parties.a.isin(own))
    b_own = _mask(parties.b.isin(own))
    codes = direction.cat.codes.to_numpy().copy()
    codes[unknown & a_own & ~b_own] = schema.DIRECTIONS.index("outgoing")
    codes[unknown & b_own & ~a_own] = schema.DIRECTIONS.index("incoming")
    return pd.Series(pd.Categorical.from_codes(codes, list(schema.DIRECTIONS)), index=direction.index)


def _subscriber_by_number(parties: cdr_parties.Parties, direction: pd.Series, own: set[str]) -> pd.Series:
    """The row's subscriber, with the subject's number where nothing else said whose the row is."""
    subscriber = parties.subscriber
    missing = int(subscriber.isna().sum())
    if len(own) == 1 and 0 < missing < len(subscriber):  # all missing: one subscriber, nothing to split
        subscriber = subscriber.fillna(next(iter(own)))
    return subscriber


def _say_how(parties: cdr_parties.Parties, kind: pd.Series, direction: pd.Series, own: set[str],
             result: ImportResult, subject: str | None) -> None:
    """Record how the parties were put in order, and warn where it could not be decided."""
    result.parameters["party_order"] = parties.how
    result.parameters["party_layout"] = parties.layout
    if parties.uncertain or parties.layout == cdr_parties.SUBSCRIBER:
        result.warnings.append(f"{PARTY_ORDER} {parties.how}")
    talk = kind.ne("data").to_numpy(dtype=bool)  # a data session has no direction to tell
    undirected = int((talk & direction.eq("unknown").to_numpy(dtype=bool)).sum())
    if not undirected:
        return
    total = int(talk.sum())
    if parties.layout == cdr_parties.ORDERED:
        whose = "neither party is the subject's number" if own else \
            "the subject's number is not known" if subject else "no subject was chosen"
        result.warnings.append(
            f"{NO_DIRECTION}: for {undirected:,} of {total:,} rows (calls, messages and other events) the "
            f"file does not say whose records they are and {whose}; party A is the caller as the columns are written, the "
            "direction is imported as 'unknown' (choose the subject (--subject) or map the columns "
            "(--template))")
    else:
        result.warnings.append(
            f"{NO_DIRECTION}: for {undirected:,} of {total:,} rows (calls, messages and other events) no "
            "column or code says who called whom; party A is the subscriber as written, not necessarily the caller, and "
            "the direction is imported as 'unknown' (map the columns (--template))")


_NOT_A_PARTY = r"^(internet|ims|apn|wap|web|gprs|data|mms|lte|volte)$|^(?=.*[a-z])[a-z0-9_-]+(\.[a-z0-9_-]+)+$"


def _not_parties(parties: cdr_parties.Parties, kind: pd.Series, result: ImportResult
                 ) -> tuple[pd.Series, pd.Series]:
    """Party B without access points and services (``internet``, ``ims``, an APN): they are no contact.

    The value stays in ``party_b_raw`` as written; ``party_b`` is left empty, so
    that no analysis counts a data session as a contact with "internet".
    """
    b, flag = parties.b, parties.b_flag
    named = b.notna() & ~flag.isin(["valid", "possible", "withheld"])
    if not named.any():
        return b, flag
    positions = np.flatnonzero(_mask(named))
    text = b.iloc[positions].str.strip().str.lower()
    service = np.zeros(len(b), dtype=bool)
    service[positions] = _mask(text.str.match(_NOT_A_PARTY))
    clear = (_mask(named) & kind.eq("data").to_numpy(dtype=bool)) | service
    if not clear.any():
        return b, flag
    values = ", ".join(sorted(set(b[clear].astype(str)))[:4])
    result.warnings.append(f"{int(clear.sum()):,} rows name an access point or service as party B "
                           f"({values}); kept as written, not counted as a contact")
    return b.where(~clear), flag


def _party(ctx: _Context, role: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """``(as written, E.164, flag)`` of a party column; normalised from its unwrapped values."""
    raw, value, flag = _normalised(ctx.col(role), ctx.options.region)
    if ctx.written is None or ctx.written is ctx.table.frame:
        return raw, value, flag  # nothing was unwrapped: as written, blanks missing
    written = ctx.as_written(role).astype(STR)
    return written.where(raw.notna(), None).astype(STR), value, flag


def _lost_digits(ctx: _Context, result: ImportResult) -> None:
    """Warn about numbers Excel wrote in scientific notation that no longer hold all their digits."""
    for role in PARTY_ROLES:
        written = ctx.as_written(role)
        if written is None or ctx.written is ctx.table.frame:  # nothing was unwrapped
            continue
        distinct = pd.Series(written.dropna().unique(), dtype=object)
        lost = distinct[distinct.astype(str).str.contains(r"\d[eE]\+?\d") &
                        distinct.map(lambda v: tabular.lost_digits(str(v)))]
        if len(lost):
            rows = int(written.isin(set(lost)).sum())
            result.warnings.append(
                f"{rows:,} numbers in column {ctx.roles[role]!r} were saved in scientific notation "
                f"and have lost digits (e.g. {lost.iloc[0]}); kept as written, they match no other "
                "number: ask the operator for the file as text")


def _constant_party(text: str, index: pd.Index, region: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    series = pd.Series([text] * len(index), index=index, dtype=STR)
    return _normalised(series, region)


def _normalised(raw: pd.Series | None, region: str
                ) -> tuple[pd.Series, pd.Series, pd.Series] | tuple[None, None, None]:
    """Numbers as written (blank as missing), in E.164, and their flags; once per distinct string.

    A dash or two (``-``, ``--``, ``---``) is how many operators write "no number": blank.
    """
    if raw is None:
        return None, None, None
    raw = raw.astype(STR)
    codes, uniques = pd.factorize(raw.fillna(""))
    written = pd.Series(uniques, dtype=STR)
    blank = written.str.strip().str.fullmatch(r"-{0,3}").fillna(True).to_numpy(bool)
    values, flags = normalise_series(written.where(~blank, ""), region)
    out = [s.take(codes).reset_index(drop=True) for s in (values, flags)]
    for series in out:
        series.index = raw.index
    if blank.any():  # whitespace-only cells become missing; otherwise the column is as written
        raw = written.where(~blank, None).take(codes).reset_index(drop=True)
        raw.index = out[0].index
    return raw, out[0], out[1]


# Warnings the workstation recognises, to offer the column mapping before anything is imported.
NO_EVENT_TYPE = "no column gives the event type"
NO_DIRECTION = "direction unknown"
PARTY_ORDER = "party order:"


def _kinds(ctx: _Context, result: ImportResult) -> tuple[pd.Series, pd.Series]:
    """Kind and direction of each row, from the event code and direction columns."""
    index = ctx.table.frame.index
    event, direction_col = ctx.col("event"), ctx.col("direction")
    default_kind = "call" if ("duration" in ctx.roles or "end" in ctx.roles or
                              "call" in tabular.header_text(ctx.roles.get("event", ""))) else "other"
    unknown_codes: set[str] = set()

    def decode(values: pd.Series, fallback_kind: str | None) -> tuple[pd.Series, pd.Series]:
        codes, uniques = pd.factorize(values)  # a blank cell has code -1
        kinds, directions = [], []
        for u in uniques:
            text = str(u).strip()
            kind, direction = decode_code(text, ctx.template) if text else (None, None)
            if text and kind is None and direction is None:
                unknown_codes.add(text)
                kind = "other" if fallback_kind else None
            kinds.append(kind or fallback_kind)
            directions.append(direction)
        return (_spread_category(kinds, codes, schema.EVENT_KINDS, fallback_kind),
                _spread_category(directions, codes, schema.DIRECTIONS))

    kind = pd.Series(pd.Categorical.from_codes(
        np.full(len(index), schema.EVENT_KINDS.index(default_kind)), list(schema.EVENT_KINDS)),
        index=index)
    direction = pd.Series(pd.Categorical.from_codes(np.full(len(index), -1), list(schema.DIRECTIONS)),
                          index=index)
    if event is None:
        result.warnings.append(f"{NO_EVENT_TYPE}: every event imported as '{default_kind}' "
                               + ("(the file has call durations)" if default_kind == "call" else
                                  "(calls and messages cannot be told apart)")
                               + "; map the columns to read it (--template)")
    else:
        kind, direction = decode(event, default_kind)
        if unknown_codes:
            result.warnings.append("event types not recognised, imported as 'other': "
                                   + ", ".join(sorted(unknown_codes)[:10]))
    if direction_col is not None:
        unknown_codes.clear()
        coded_kind, stated = decode(direction_col, None)
        direction = stated.where(stated.notna(), direction)
        if event is None:  # "A2P_SMSIN" in a direction column still says it was a message
            coded_kind.index = kind.index
            kind = coded_kind.where(coded_kind.notna(), kind).astype(kind.dtype)
    direction = direction.fillna("unknown")
    kind.index = direction.index = index
    return kind, direction


def _spread_category(values: list[str | None], codes: np.ndarray, categories: tuple[str, ...],
                     missing: str | None = None) -> pd.Series:
    """Per-distinct results spread over the rows as a categorical; code -1 (a blank cell) gets ``missing``."""
    lookup = np.array([categories.index(v) if v in categories else -1 for v in [*values, missing]])
    return pd.Series(pd.Categorical.from_codes(lookup[codes], list(categories)))


def _duration(ctx: _Context) -> tuple[pd.Series, int]:
    unit = ctx.template.duration_unit if ctx.template else "seconds"
    name = ctx.roles.get("duration")
    if name is not None:
        if re.search(r"\b(mins?|minutes)\b", tabular.header_text(name)):
            unit = "minutes"
        return parse_durations(ctx.table.frame[name], unit)
    if "volume" in ctx.roles and "unit" in ctx.roles:
        return _duration_from_volume(ctx.col("volume"), ctx.col("unit")), 0
    return pd.Series(pd.NA, index=ctx.table.frame.index, dtype="Float64"), 0


_TIME_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "min": 60.0,
               "mins": 60.0, "minute": 60.0, "minutes": 60.0}


def _duration_from_volume(volume: pd.Series, unit: pd.Series) -> pd.Series:
    """A usage column is a duration on the rows whose unit column says seconds or minutes.

    ``Usage`` 173 with ``UOM`` SEC is a 173-second call; ``Usage`` 52311 with
    ``UOM`` BYTES is a data volume and gives no duration.
    """
    scale = tabular.by_unique(unit.astype(STR), lambda u: pd.Series(
        [_TIME_UNITS.get(str(x).strip().lower(), np.nan) for x in u], dtype="float64"))
    amount = pd.to_numeric(volume.astype(STR).str.strip().str.replace(",", ".", regex=False),
                           errors="coerce")
    return (amount.astype("float64") * scale.astype("float64")).astype("Float64")


def _duration_from_end(ctx: _Context, start: pd.Series, month_first: bool) -> pd.Series:
    """Seconds from start to an end column: a full date and time, or a clock time alone.

    A clock time alone is taken on the start's day, or the next day when it is
    earlier than the start (a call over midnight). Missing where either is unreadable.
    """
    end = ctx.col("end").astype(STR)
    start = start.reset_index(drop=True)
    if _sample(end).astype(str).str.contains(_HAS_DATE).mean() > 0.5:
        finish = parse_times(end, month_first).naive.reset_index(drop=True)
        seconds = (finish - start).dt.total_seconds()
    else:
        clock = parse_times("1970-01-01 " + end.str.strip(), month_first).naive.reset_index(drop=True)
        of_day = (clock - pd.Timestamp("1970-01-01")).dt.total_seconds()
        seconds = (of_day - (start - start.dt.floor("D")).dt.total_seconds()) % 86400
    return seconds.where(seconds >= 0).astype("Float64")


def _cells(ctx: _Context, which: str) -> pd.Series:
    """Canonical keys of the first or last cell, from whichever columns the layout has."""
    frame = ctx.table.frame
    mcc, mnc = ctx.col("mcc"), ctx.col("mnc")
    lac, ci = ctx.col("lac" + which), ctx.col("ci" + which)
    enodeb, sector = ctx.col("enodeb" + which), ctx.col("sector" + which)
    text = ctx.col("cell" + which)
    hexadecimal = text is not None and says_hex(ctx.roles["cell" + which])
    if lac is None and which == "_last":
        lac = ctx.col("lac_first")  # one LAC column serving both cells
    if enodeb is not None and sector is not None:
        ci = eci_from_enodeb(enodeb, sector)
    if ci is not None:
        # Without a LAC/TAC column an LTE/NR cell identity is a key by itself (?-?-?-ECI)
        parts = lac if lac is not None else pd.Series("", index=frame.index, dtype=STR)
        keys = keys_from_parts(parts, ci, mcc, mnc)
        if text is not None:
            keys = keys.fillna(keys_from_text(text, hexadecimal))
        elif lac is None:
            keys = keys.fillna(keys_from_text(ci))  # a short CI alone: kept as written
        return keys
    if text is not None:
        keys = keys_from_text(text, hexadecimal)
        if mcc is not None and mnc is not None:
            keys = _fill_network(keys, mcc, mnc)
        return keys
    return pd.Series(np.nan, index=frame.index, dtype=STR)


def _fill_network(keys: pd.Series, mcc: pd.Series, mnc: pd.Series) -> pd.Series:
    """Put MCC/MNC columns into ``?-?-LAC-CI`` keys written without them."""
    lacking = keys.fillna("").str.startswith("?-?-")
    if not lacking.any():
        return keys
    tail = keys[lacking].str.slice(4).str.split("-", n=1, expand=True)
    filled = keys_from_parts(tail[0], tail[1], mcc[lacking], mnc[lacking])
    return keys.where(~lacking, filled)


def _text(ctx: _Context, role: str) -> pd.Series:
    col = ctx.col(role)
    if col is None:
        return pd.Series(np.nan, index=ctx.table.frame.index, dtype=STR)

    def clean(uniques: pd.Series) -> pd.Series:
        out = uniques.astype(STR).str.strip()
        return out.where(out.ne(""), None)

    return tabular.by_unique(col.astype(STR), clean, unchanged_ok=True)


def _stated_target(ctx: _Context) -> str | None:
    """The one target number the file states: in a title row, or alone in a target column."""
    region = ctx.options.region
    written = title_target(ctx.table.title) or search_target(ctx.table.title)
    if written:
        value, flag = normalise(written, region)
        if is_normalised(flag):
            return value
    column = ctx.col("target")
    if column is not None:
        _, values, flags = _normalised(pd.Series(column.dropna().unique(), dtype=STR), region)
        found = set(values[flags.isin(["valid", "possible"])].dropna())
        if len(found) == 1:
            return found.pop()
    return None
