"""The words of call-record headers, as data: an ordered table of rules.

Each ``Rule`` says which header words (whole words, phrases inside the header,
whole headers or a pattern) give a column its role; the first rule that
matches wins, so the order of ``RULES`` is part of the meaning (``End Cell``
is a cell before it is an end time; ``Release Cause`` is a status, not an
end). Rules whose role is ``None`` stop the search: the column is no party,
cell or event type whatever else its header says (a latitude, a cost, a
routing number). A rule may also carry a value check: a column whose header
says "number" but whose values are counts is not a party, and the reason is
what the import report prints for it (``cdr.columns`` applies the checks).

docs/formats.md lists this table (``vocabulary_markdown``); a test keeps the
two in agreement.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from cellsight.importers import tabular
from cellsight.importers.cdr.checks import holds_counts, holds_ip_addresses, holds_subscriber_classes
from cellsight.importers.templates import Template

TIME_ROLES = ("start", "date", "time")
CHECKED_ROWS = 5000  # rows whose values a rule's check looks at (their distinct values, sampled)
PARTY_ROLES = ("party_a", "party_b", "other_party", "target")
SERIAL_ROLES = ("cell", "lac", "ci", "enodeb", "sector")  # each has a _first and a _last

_IGNORE_WORDS = {"seizure", "lat", "latitude", "lon", "long", "longitude", "lng", "address", "azimuth",
                 "bearing", "postcode", "easting", "northing", "town", "city", "name", "cost", "charge",
                 "price", "amount", "rate", "make", "model", "vendor", "technology", "rat", "tariff",
                 "volume", "bytes", "kb", "mb", "uplink", "downlink", "zone", "timezone", "tz", "offset",
                 "sequence", "seq", "serial", "index", "reference", "ref", "row"}
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
                "number", "phone", "telephone", "msisdn", "party", "connected", "cli", "mdn",
                "numero", "telefone"}
_EVENT_WORDS = {"event", "type", "service", "usage", "category", "record", "activity", "ct",
                "feature", "description", "traffic", "transaction", "communication", "nature",
                "action", "toc", "cdrtype", "tipo", "servico"}
_DIRECTION_WORDS = {"inbound", "outbound", "incoming", "outgoing", "inout", "sentido", "direcao"}
_STATUS_WORDS = {"status", "result", "outcome", "disposition", "answered", "cause", "termination"}
_DURATION_WORDS = {"duration", "dur", "elapsed", "length", "airtime", "et", "secs", "seconds",
                   "mins", "minutes", "sec", "duracao"}
LAST_WORDS = {"last", "end", "final", "closing", "terminating", "2nd", "second"}
_END_WORDS = {"end", "stop", "finish", "finished", "release", "released", "disconnect",
              "disconnected", "ended"}
_DATE_WORDS = {"date", "day", "data"}
_CLOCK_WORDS = {"time", "hour", "hora"}
ZONE_HEADER = re.compile(r"\butc\b")


@dataclass(frozen=True)
class Rule:
    """One line of the vocabulary: when a header means ``role``.

    A header matches when it holds ``min_words`` of ``words`` (whole words),
    one of ``phrases`` (inside its text), is one of ``whole`` (the whole
    header, with or without its spaces) or matches ``pattern`` (from its
    start); and also holds a word of each set in ``also``, and none of
    ``unless``. ``serial`` roles get ``_first``/``_last`` from the header
    (``Last Cell ID``). ``values``: a check of the column's values that must
    not object (it returns why the column is not that role), or None.
    """

    role: str | None
    words: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()
    whole: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    also: tuple[frozenset[str], ...] = ()
    unless: frozenset[str] = frozenset()
    min_words: int = 1
    serial: bool = False
    values: Callable[[pd.Series], str | None] | None = None
    refusal: Callable[[str], str | None] | None = None  # a whole test of the header's words
    examples: tuple[str, ...] = ()  # headers as operators write them (a test checks each)

    def matches(self, text: str, words: set[str]) -> bool:
        if self.refusal is not None:
            return self.refusal(text) is not None
        hit = (len(words & self.words) >= self.min_words if self.words else False) \
            or any(p in text for p in self.phrases) \
            or text in self.whole or text.replace(" ", "") in self.whole \
            or (self.pattern is not None and self.pattern.match(text) is not None)
        return hit and all(words & need for need in self.also) and not words & self.unless

    def describe(self) -> str:
        """The rule in words, for docs/formats.md."""
        parts = []
        if self.words:
            parts.append(("two of the words " if self.min_words == 2 else "a word ") + _listing(self.words))
        if self.phrases:
            parts.append("the phrase " + " or ".join(f"`{p}`" for p in self.phrases))
        if self.whole:
            parts.append("the whole heading " + _listing(self.whole))
        if self.pattern is not None:
            parts.append(f"a heading matching `{self.pattern.pattern}`")
        if self.refusal is not None:
            parts.append(self.refusal.__doc__.strip().splitlines()[0] if self.refusal.__doc__ else "")
        text = "; or ".join(parts)
        for need in self.also:
            text += ", together with a word " + _listing(need)
        if self.unless:
            text += ", unless it holds " + _listing(self.unless)
        return text


def _listing(words: frozenset[str]) -> str:
    return ", ".join(f"`{w}`" for w in sorted(words))


def _words(*groups: set[str] | tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for group in groups for w in group)


def header_words(header: str) -> str:
    """A header as the rules read it: lower-case words, without ``(UTC)`` or a repeat mark."""
    header = re.sub(r"\s\(\d+\)$", "", str(header))  # "Cell ID (2)": a repeated header name
    return " ".join(ZONE_HEADER.sub(" ", tabular.header_text(header)).split())


def _not_read(text: str) -> str | None:
    """a heading of the table below (a routing number, an SMS centre, a switch, ...)"""
    return next((why for pattern, why in _NOT_READ if pattern.search(text)), None)


def _a_site(text: str) -> str | None:
    """a heading naming a serving site's position or address (see "Cells: keys and linking")"""
    return _site_role_of(text)


# The vocabulary, in the order that decides (first match wins). Role None: not a column read here.
RULES: tuple[Rule, ...] = (
    Rule("imei", words=_words({"imei"}), examples=("IMEI", "Handset IMEI")),
    Rule("imsi", words=_words({"imsi"}), examples=("IMSI",)),
    Rule(None, words=_words(_IGNORE_WORDS), pattern=re.compile(r".*\b(record id|call id)\b"),
          examples=("Cost", "Call ID", "Site Name")),
    Rule(None, refusal=_not_read, examples=("Translation of LRN", "Call Fow No", "Circle")),
    Rule(None, refusal=_a_site, examples=("First BTS Location", "Site Location")),
    Rule("cell", words=_words({"lac", "tac"}), also=(_words({"ci", "cell", "cgi", "eci", "cid"}),),
         serial=True, examples=("Serving Cell (LAC/CI)",)),  # one column holding both, "Serving Cell (LAC/CI)"
    Rule("mcc", words=_words({"mcc"}), phrases=("mobile country code",), examples=("MCC",)),
    Rule("mnc", words=_words({"mnc"}), phrases=("mobile network code",), examples=("MNC",)),
    Rule("lac", words=_words({"lac", "tac"}), phrases=("location area", "tracking area"), serial=True,
         examples=("LAC", "First TAC", "Location Area Code")),
    Rule("enodeb", words=_words({"enodeb", "enb", "enodebid"}), phrases=("enode b", "e nodeb"),
         serial=True, examples=("eNodeB ID",)),
    Rule("sector", words=_words({"sector"}), phrases=("local cell",), serial=True, examples=("Sector",)),
    Rule("ci", words=_words({"ci", "eci", "cid"}), pattern=_CI, serial=True, values=holds_ip_addresses,
         examples=("First Cell ID", "Last CI", "1st CI/ECI")),
    Rule("cell", words=_words({"cgi", "ecgi", "cell", "cells", "tower", "mast", "cellid", "celltower",
                               "cellsite", "bts", "erb", "celula"}),
         whole=frozenset({"ipdr format"}), serial=True, values=holds_ip_addresses,
         examples=("First Cell Global Id", "CGI_HEX", "towerId", "End Cell")),
    Rule("duration", words=_words(_DURATION_WORDS), phrases=("air time",), examples=("Dur (secs)", "Call Duration")),
    Rule("end", words=_words(_END_WORDS), unless=_words(_STATUS_WORDS),
         examples=("End Time", "Call End")),  # not "Release Cause"
    Rule("end", phrases=("termination time",), examples=("Call Termination Time",)),
    Rule("start", words=_words(_DATE_WORDS), also=(_words(_CLOCK_WORDS),), unless=frozenset({"volume"}),
         examples=("Call Date Time", "Conn. Date Time(UTC)")),
    Rule("date", words=_words(_DATE_WORDS), unless=frozenset({"volume"}), examples=("Event Date",)),
    Rule("time", words=_words(_CLOCK_WORDS), examples=("Event Time",)),
    Rule("start", words=_words({"timestamp", "datetime", "start", "started", "when", "datestamp"}),
         examples=("Timestamp", "Call Start")),
    Rule("direction", words=_words({"direction", "dir", "inout", "sentido", "direcao"}),
         whole=frozenset({"in out", "i o", "mo mt", "in out flag", "inbound outbound",
                          "incoming outgoing"}), examples=("Direction", "In/Out")),
    Rule("direction", words=_words(_DIRECTION_WORDS), min_words=2, examples=("INBOUND_OUTBOUND_IND",)),
    Rule("target", words=frozenset({"target"}), pattern=_TARGET,
         examples=("TARGET_NO", "Served MSISDN", "mobileNumber")),
    Rule("party_a", words=_words(_A_WORDS), whole=frozenset({"a"}), pattern=_A_PARTY, values=holds_counts,
         examples=("Calling Number", "A Party", "Originating Number")),
    Rule("party_b", words=_words(_B_WORDS), whole=frozenset({"b"}), pattern=_B_PARTY, values=holds_counts,
         examples=("Called Number", "B Number", "CALL_DIALED_NUM")),
    Rule("other_party", words=_words(_OTHER_WORDS), whole=frozenset({"otherparty", "thirdparty"}), values=holds_counts,
         examples=("Other Party", "Other/B-party Number")),
    Rule("event", words=_words(_EVENT_WORDS), whole=frozenset({"cdrtype"}), values=holds_subscriber_classes,
         examples=("Event Type", "CdrType")),
    Rule("status", words=_words(_STATUS_WORDS), examples=("Release Cause", "Call Status")),
)


def rule_for(header: str) -> Rule | None:
    """The first rule that matches a header (its role may be None: a column not read)."""
    return _rule_for_text(header_words(header))


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def _rule_for_text(text: str) -> Rule | None:
    words = set(text.split())
    return next((rule for rule in RULES if rule.matches(text, words)), None)


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def not_read_reason(header: str) -> str | None:
    """Why a column that names a number or code is no party, cell or event type; None if it may be."""
    return _not_read(header_words(header))


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def column_role(header: str) -> str | None:
    """The meaning of a CDR column from its header alone, or None."""
    text = header_words(header)
    rule = _rule_for_text(text)
    if rule is None or rule.role is None:
        return None
    if not rule.serial:
        return rule.role
    return rule.role + ("_last" if set(text.split()) & LAST_WORDS else "_first")


@lru_cache(maxsize=4096)  # headers repeat: every candidate row of every sniff
def volume_role(header: str) -> str | None:
    """``volume`` for an amount of usage (bytes, or seconds where a unit says so), ``unit`` for its unit."""
    text = header_words(header)
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
    return _site_role_of(header_words(header))


def _site_role_of(text: str) -> str | None:
    words = set(text.split())
    last = "_last" if words & LAST_WORDS else "_first"
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


def group_of(role: str) -> str | None:
    """What kind of column a role is, for telling a header row: time, party, kind, duration, cell."""
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
            groups.add(group_of(role))
    groups.discard(None)
    return groups


def map_columns(header: list[str], template: Template | None) -> dict[str, str]:
    """Role -> column name, the template's roles first, then the vocabulary's (headers alone)."""
    return assign_roles(header, template, None)[0]


def assign_roles(header: list[str], template: Template | None, frame: pd.DataFrame | None,
                 plain: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """Role -> column name, and the columns whose values refused the role their header names.

    The template's roles first, then the vocabulary's; with ``frame``, each
    rule's value check is asked before a column takes its role, so that the
    role goes to the next column that can hold it (``sms_number`` holding
    counts is no party; ``PGW_ADDRESS`` holding IP addresses is no site).
    The checks look at values unwrapped, unless ``plain`` (``tabular.Table.plain``:
    the file holds no mark of wrapping).
    """
    roles: dict[str, str] = {}
    refused: dict[str, str] = {}
    fixed = {}
    if template is not None:
        for name in header:
            role = template.role_of(name)
            if role is not None:
                fixed[name] = role
                if role != "ignore":
                    roles.setdefault(role, name)

    def objection(name: str, check: Callable[[pd.Series], str | None] | None) -> str | None:
        if frame is None or check is None or name not in frame:
            return None
        sample = frame[name].iloc[:CHECKED_ROWS]  # as written
        why = check(sample if plain else tabular.unwrap(sample))
        if why:
            refused[name] = why
        return why

    for name in header:
        if name in fixed:
            continue
        role = column_role(name)
        if role is None or objection(name, rule_for(name).values):
            continue
        if role in roles and not role.endswith("_first"):
            continue
        if role in roles:  # a second cell-type column without "last" in its name: the last one
            role = role.replace("_first", "_last")
            if role in roles:
                continue
        roles[role] = name
    for name in header:
        if name in fixed or name in roles.values() or name in refused:
            continue
        role = site_role(name) or volume_role(name)
        if role is not None and role.startswith(("site", "lat", "lon")) and objection(name, holds_ip_addresses):
            continue
        if role is not None:
            roles.setdefault(role, name)
    for part in ("_first", "_last"):
        # CI without LAC, or sector without eNodeB, is a cell named on its own.
        for lone, partner in (("ci", "lac"), ("sector", "enodeb")):
            if lone + part in roles and partner + part not in roles and "cell" + part not in roles:
                roles["cell" + part] = roles.pop(lone + part)
    return roles, refused


def vocabulary_markdown() -> str:
    """The vocabulary as the Markdown tables docs/formats.md prints (in the order that decides)."""
    lines = ["| # | role | a heading means it when it holds | unless its values are | e.g. |",
             "|---|---|---|---|---|"]
    for number, rule in enumerate(RULES, 1):
        role = (f"`{rule.role}`" + (" (first or last)" if rule.serial else "")) if rule.role else \
            "*(not read: listed with the reason)*"
        examples = ", ".join(f"`{e}`" for e in rule.examples)
        check = (rule.values.__doc__ or "").strip().splitlines()[0] if rule.values else ""
        lines.append(f"| {number} | {role} | {_cell(rule.describe())} | {check} | {examples} |")
    lines += ["", "Headings never read as a party, a cell or the event type, and the reason the import "
              "report gives:", "", "| heading matching | reason |", "|---|---|"]
    lines += [f"| {_cell(f'`{pattern.pattern}`')} | {why} |" for pattern, why in _NOT_READ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text for a Markdown table cell: its pipes escaped (patterns hold them)."""
    return text.replace("|", "\\|")


DOCS_START = "<!-- vocabulary: generated by scripts/formats_vocabulary.py from importers/cdr/vocabulary.py -->"
DOCS_END = "<!-- end vocabulary -->"


def with_vocabulary(markdown: str) -> str:
    """docs/formats.md's text with the block between the vocabulary markers made from ``RULES``."""
    before, _, rest = markdown.partition(DOCS_START + "\n")
    _, _, after = rest.partition(DOCS_END)
    return before + DOCS_START + "\n" + vocabulary_markdown() + DOCS_END + after
