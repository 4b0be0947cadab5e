"""The written summary at the front of the report: who, what period, the headline figures in sentences.

Every figure in it is taken from the analyses' own outputs (``contacts.between``,
``contacts.pair_events``, ``proximity.run``), never typed, and each sentence
ends with the page where the full result is set out (``{page:KEY}``, filled in
when the PDF is laid out). The wording follows the method statement's advice:
records show numbers, not people; proximity is "consistent with", never "he
was with her".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cellsight.report.words import listing, period_words, plural

KIND_ORDER = ("call", "sms", "mms", "chat", "voicemail", "data", "other")


@dataclass
class ProximityRun:
    """One proximity analysis as the report shows it."""

    a: str
    other: str  # B's name, or the place's
    place: bool
    method: str  # gps | cell | any
    doc: dict[str, Any]  # ``ProximityResult.to_json``
    result: Any
    anchor: str
    reference: str  # "GPS", "Cell", "Home GPS": prefixes the appendix's occasion references
    evidence: list[Any] = field(default_factory=list)  # evidence.OccasionEvidence per occasion
    located: list[dict[str, Any]] = field(default_factory=list)  # occasions with a position, for maps

    @property
    def count(self) -> int:
        return int(self.doc.get("count", 0))

    def title(self) -> str:
        kind = {"gps": "location fixes", "cell": "cell sites (corroboration)",
                "any": "location fixes and cell sites"}[self.method]
        return f"Proximity of {self.a} to {self.other}: {kind}"

    def analysis_words(self) -> str:
        """``Daniel Price near Sarah Holt by location fixes, 200 m, 5 min, gap 60 min``."""
        d = self.doc
        how = {"gps": "location fixes", "cell": "cell sites", "any": "fixes and cell sites"}[self.method]
        window = "" if self.place else f", {d['window_min']:g} min"
        return f"{self.a} near {self.other} by {how}, {d['distance_m']:g} m{window}, gap {d['gap_min']:g} min"


@dataclass
class PairRun:
    """Everything the report found for one suspect–victim pair."""

    a: str
    b: str
    doc: dict[str, Any]  # ``contacts.between`` by day
    comms: pd.DataFrame  # ``contacts.pair_events``
    contact_anchor: str
    peak_anchor: str
    proximity: list[ProximityRun] = field(default_factory=list)
    chronology_anchor: str = ""
    # Filled in as the report is built: the schedule's communications and their row numbers there,
    # the messages of concern, the key events, and how the summary names the schedule exhibit.
    schedule_comms: pd.DataFrame | None = None
    schedule_numbers: pd.Series | None = None
    schedule_ref: str = ""
    schedule_words: str = ""
    concern: Any = None  # concern.Concern
    concern_anchor: str = ""
    key_events: list[Any] = field(default_factory=list)


def direction_kinds(comms: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Communications per direction and kind: ``{"a_to_b": {"call": 650, ...}, "b_to_a": {...}}``."""
    out: dict[str, dict[str, int]] = {"a_to_b": {}, "b_to_a": {}}
    if comms.empty:
        return out
    counts = comms.groupby(["direction", "kind"], observed=True).size()
    for (direction, kind), count in counts.items():
        out.setdefault(str(direction), {})[str(kind)] = int(count)
    return out


def _kinds_sentence(kinds: dict[str, int]) -> str:
    ordered = [k for k in KIND_ORDER if kinds.get(k)] + sorted(k for k in kinds if k not in KIND_ORDER and kinds[k])
    return listing([plural(kinds[k], k) for k in ordered])


def subject_words(case: Any, name: str) -> str:
    subject = case.find_subject(name)
    if subject is None:
        return name
    numbers = ", ".join(subject.numbers)
    return f"{subject.name} ({subject.role}{'; ' + numbers if numbers else ''})"


def pair_paragraphs(case: Any, run: PairRun) -> list[str]:
    """The summary's paragraphs for one pair; ``{page:KEY}`` marks where each figure is set out."""
    doc, a, b = run.doc, run.a, run.b
    zone = case.info.tz
    paragraphs = []
    if doc["total"]:
        first = period_words(str(pd.Timestamp(doc["first"]).tz_convert(zone).date()), "day")
        last = period_words(str(pd.Timestamp(doc["last"]).tz_convert(zone).date()), "day")
        period = f"from {first} to {last} (the first and the last communication between them in the exhibits)"
    else:
        period = "over the whole of the exhibits"
    paragraphs.append(f"This report concerns the numbers attributed to {subject_words(case, a)} and "
                      f"{subject_words(case, b)}, {period}.")
    if not doc["total"]:
        paragraphs.append(f"The exhibits record no communication between the numbers of {a} and {b} "
                          f"({{page:{run.contact_anchor}}}).")
        return paragraphs
    kinds = direction_kinds(run.comms)
    by_dir = doc["by_direction"]
    text = (f"The exhibits record {doc['total']:,} communications between the two numbers, each counted once "
            f"however many exhibits record it ({{page:{run.contact_anchor}}}). Of these, "
            f"{by_dir['a_to_b']:,} were from {a}'s number to {b}'s")
    if kinds["a_to_b"]:
        text += f": {_kinds_sentence(kinds['a_to_b'])}"
    text += f"; {by_dir['b_to_a']:,} were from {b}'s number to {a}'s"
    if kinds["b_to_a"]:
        text += f" ({_kinds_sentence(kinds['b_to_a'])})"
    text += "."
    calls = doc.get("calls") or {}
    if calls.get("total"):
        text += f" {calls['answered']:,} of the {calls['total']:,} calls were answered."
    paragraphs.append(text)
    peak = doc.get("peak")
    if peak:
        paragraphs.append(f"The most communications in one day ({zone}) was {peak['count']:,}, on "
                          f"{period_words(peak['period'], 'day')} ({{page:{run.peak_anchor}}}).")
    if run.concern is not None:
        paragraphs.append(concern_sentence(run))
    paragraphs += [proximity_sentence(p) for p in run.proximity]
    if run.schedule_words:
        paragraphs.append(run.schedule_words)
    return paragraphs


def concern_sentence(run: PairRun) -> str:
    """How many of the pair's messages hold a term of concern, and who sent them."""
    found = run.concern.messages
    n = len(found)
    ref = f" ({{page:{run.concern_anchor}}})" if run.concern_anchor else ""
    if not n:
        return f"No message between the two numbers holds one of the case's terms of concern{ref}."
    from_a = int((found["direction"] == "a_to_b").sum())
    return (f"{n:,} message{'s' if n != 1 else ''} between the two numbers hold{'s' if n == 1 else ''} one of the "
            f"case's terms of concern (words such as threats, listed with the messages): {from_a:,} from {run.a}'s "
            f"number and {n - from_a:,} from {run.b}'s{ref}.")


def proximity_sentence(run: ProximityRun) -> str:
    """One proximity result in words, as the method statement advises, with its page."""
    d = run.doc
    n = run.count
    occasions = f"{n} occasion{'s' if n != 1 else ''}" if n else "no occasion"
    ref = f" ({{page:{run.anchor}}})"
    window = f"{d['window_min']:g} minutes"
    if not n:
        return nothing_found(run) + ref
    if run.place:
        if run.method == "cell":
            return (f"On {occasions}, {run.a}'s phone used a cell whose mast is within {d['distance_m']:g} m of "
                    f"{run.other}, which is consistent with it having been in that cell's service area; it "
                    f"does not show that the phone was at the place{ref}.")
        return (f"On {occasions}, the location fixes of {run.a}'s phone are consistent with it having been "
                f"within {d['distance_m']:g} m of {run.other}{ref}.")
    if run.method == "cell":
        return (f"On {occasions}, both phones used cells whose masts are within {d['distance_m']:g} m of each "
                f"other within {window}, which is consistent with, but does not show, the phones having been "
                f"near each other{ref}.")
    if run.method == "any":
        return (f"On {occasions}, the location fixes or cell sites of {run.a}'s phone and {run.other}'s phone "
                f"were within {d['distance_m']:g} m of each other within {window}{ref}.")
    return (f"On {occasions}, the location fixes of {run.a}'s phone are consistent with it having been within "
            f"{d['distance_m']:g} m of {run.other}'s phone, within {window}{ref}.")


def nothing_found(run: ProximityRun) -> str:
    """A zero result as what was searched, in plain words, and among how many records."""
    d = run.doc
    p = d.get("parameters") or {}
    metres, window = f"{d['distance_m']:,.0f} m", f"{d['window_min']:g} minutes"
    a_events, a_fixes = p.get("a_network_events", 0), p.get("a_fixes", 0)
    b_events, b_fixes = p.get("b_network_events", 0), p.get("b_fixes", 0)
    if run.place:
        looked = {"cell": f"{a_events:,} network events of {run.a}'s phone for a serving mast within {metres} of "
                          f"{run.other}",
                  "gps": f"{a_fixes:,} location fixes of {run.a}'s phone for one within {metres} of {run.other}",
                  "any": f"{a_fixes:,} location fixes and {a_events:,} network events of {run.a}'s phone for a "
                         f"position or serving mast within {metres} of {run.other}"}[run.method]
    else:
        looked = {"cell": f"{a_events:,} network events of {run.a}'s phone and {b_events:,} of {run.other}'s for "
                          f"two within {window} of each other whose serving masts are within {metres}",
                  "gps": f"{a_fixes:,} location fixes of {run.a}'s phone and {b_fixes:,} of {run.other}'s for "
                         f"two within {window} and {metres} of each other",
                  "any": f"the location fixes and network events of {run.a}'s and {run.other}'s phones for two "
                         f"within {window} and {metres} of each other"}[run.method]
    return f"The search of {looked} found none"


def place_paragraphs(runs: list[ProximityRun]) -> list[str]:
    return [proximity_sentence(r) for r in runs]


def key_figures(run: PairRun) -> list[list[Any]]:
    """The pair's headline figures as a table (the same numbers as the sentences)."""
    doc = run.doc
    kinds = direction_kinds(run.comms)
    rows: list[list[Any]] = [[f"Communications between {run.a} and {run.b}", f"{doc['total']:,}"]]
    for direction, (x, y) in (("a_to_b", (run.a, run.b)), ("b_to_a", (run.b, run.a))):
        rows.append([f"From {x} to {y}", f"{doc['by_direction'][direction]:,}"
                     + (f" ({_kinds_sentence(kinds[direction])})" if kinds[direction] else "")])
    peak = doc.get("peak")
    if peak:
        rows.append(["Busiest day", f"{period_words(peak['period'], 'day')}: {peak['count']:,}"])
    if run.concern is not None:
        rows.append(["Messages of concern (holding a term of concern)", f"{run.concern.count:,}"])
    for p in run.proximity:
        rows.append([f"Occasions: {p.analysis_words()}", p.count])
    return rows
