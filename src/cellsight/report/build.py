"""From a case to the evidential storyboard PDF: which analyses, in what order, saying what.

``write_report`` is what ``cellsight report`` and the workstation's Export PDF
call. The report reads, in order:

1. the cover (case, who produced it, when, from which case file and its SHA-256);
2. a written summary: who, what period, the headline figures in sentences,
   each with the page where it is set out (``summary.py``);
3. the exhibits with their SHA-256 digests and rejected rows;
4. for each suspect–victim pair: contact (method, limitations, figures, charts),
   the suspect's activity and contacts, proximity by location fixes and, where
   the case has network events with located cells, proximity by cell sites as
   corroboration, in its own section; then proximity to each place;
5. the analyst's saved storyboard frames;
6. the schedule of communications (``chronology.py``), filterable by period;
7. Appendix A: every hit behind every occasion, cited as the exhibits number
   their rows (``evidence.py``);
8. conventions, and the producer's declaration with a place to sign.

Every time prints as a court reads it (``court_time``), every row of evidence
as exhibit reference and row (``citations``); with ``redact`` every third
party's number and name is a pseudonym (``redaction.py``). The produced date is
``--produced``, else ``SOURCE_DATE_EPOCH``, else the clock; it is the only
input that is not the case and the options, so the same case and options give
the same bytes. The PDF is written beside its target and renamed into place,
so a failed report never leaves half a file.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image as PILImage

from cellsight import __version__
from cellsight.core.case import CaseError
from cellsight.core.casefile import file_sha256
from cellsight.analysis.devices import rows_cell
from cellsight.analysis.proximity_params import DEFAULTS_WORDS, method_options
from cellsight.core.citations import cite, exhibit_for
from cellsight.core.outputs import atomic_output, check_distinct, check_output
from cellsight.core.timezones import iso_local
from cellsight.progress import NullProgress, Progress, check
from cellsight.report import (
    chronology,
    companions,
    concern,
    evidence,
    keyevents,
    mapdata,
    occasionmaps,
    staticmap,
    tileset,
)
from cellsight.report import timebasis as time_basis
from cellsight.report.devices import add_device_findings
from cellsight.report.pdf import ReportMeta, Section, render_pdf
from cellsight.report.producer import Producer, fill
from cellsight.report.protect import encrypt_pdf
from cellsight.report.storyboard import Frame, Storyboard, StoryboardError
from cellsight.report.summary import PairRun, ProximityRun, key_figures, pair_paragraphs, place_paragraphs
from cellsight.report.words import court_text, duration_words, end_words, period_words, prime_times
from cellsight.report.words import time_words as court_time

BASEMAP_ENV = "CELLSIGHT_MBTILES"
PAGE_COUNT = "{page:__total__}"  # the report's own page count, filled in at layout

CONTACT_METHOD = (
    "Every communication between the two parties is counted: calls (answered, unanswered and "
    "failed attempts alike), texts, multimedia messages and chat messages, in both directions. "
    "One communication seen in several sources (both parties' call records, a phone download) is "
    "counted once: sightings are matched when they have the same sender and recipient (after "
    "normalisation to international form), the same kind and start within 10 seconds of each "
    "other. A message to a group counts once. Each communication is placed in the period "
    "(day, week, month or hour) of its start in the case's time zone, {tz}, daylight saving "
    "included; periods with no contact are shown as zero.")
CONTACT_LIMITS = (
    "The counts are of records in the exhibits listed at the start of this report. A "
    "communication absent from every exhibit (a deleted message not recovered, a call over an "
    "app the records do not cover) is not counted. The records show numbers, not who used the "
    "phones. A number that belongs to no subject is shown as the number itself; who used it is a "
    "matter for other evidence.")
PATTERN_METHOD = (
    "Each communication of the subject (any kind, any direction, matched across sources as "
    "above) is counted in the hour of the day and the day of the week of its start, in the case's "
    "time zone, {tz}.")
RANKED_METHOD = (
    "The subject's contacts ranked by the number of communications with each number, most first; "
    "a name is shown where a subject or an address-book entry in a phone download names the "
    "number.")
# What each kind of proximity cannot show, printed with every result (the analysis adds its own notes).
PROXIMITY_LIMITS = {
    "gps": ("A phone or account records a fix only now and then: times with no fix are not covered, so an "
            "occasion may have begun earlier or ended later than its first and last hit, and a meeting with "
            "no fix is not found. A fix's reported accuracy is a radius of uncertainty, not a guarantee; the "
            "position may lie outside it. The fixes show where the phones reported themselves, not who "
            "carried them."),
    "cell": ("A network event places a phone only in the service area of the cell it used, which may extend "
             "kilometres from the mast; masts close together show that both phones used nearby cells, not "
             "that the phones were together. Network records hold a cell only for calls, texts and data "
             "sessions, so periods without such activity are not covered, and events on cells missing from "
             "the cell list cannot be compared. This analysis corroborates, and is separate from, the "
             "analysis of location fixes."),
    "any": ("Hits between fixes have the limits of fixes (recorded now and then, each with its accuracy); hits "
            "involving a cell site show only the use of a cell whose mast is near, which may be kilometres "
            "from the phone."),
}
PLACE_LIMITS = ("The place's position and radius were set by the officer in this case (see the cover); "
                "a phone within the radius is consistent with it having been near the place, not with it "
                "having been inside a building there. A place analysis looks only at {a}'s phone: it says "
                "nothing about where anyone else was at those times.")


# ----- inputs ----------------------------------------------------------------------------
def produced_time(produced: str | None, zone: str) -> pd.Timestamp:
    """The report's date: ``produced`` (ISO 8601; no offset means the case's zone), else
    ``SOURCE_DATE_EPOCH``, else now; to the second."""
    if produced:
        try:
            stamp = pd.Timestamp(produced)
        except ValueError as exc:
            raise CaseError(f"--produced {produced!r} is not an ISO 8601 time") from exc
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(zone)
        return stamp.tz_convert("UTC").floor("s")
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return pd.Timestamp(int(epoch), unit="s", tz="UTC")
        except ValueError as exc:
            raise CaseError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from exc
    return pd.Timestamp.now(tz="UTC").floor("s")


def report_pairs(case: Any, a: str | None, b: str | None) -> list[tuple[str, str]]:
    """The (A, B) pairs to report: the pair asked for, else every suspect with every victim."""
    if a and b:
        return [(case.party(a)[0], case.party(b)[0])]
    if a or b:
        return []
    suspects = [s.name for s in case.subjects if s.role == "suspect"]
    victims = [s.name for s in case.subjects if s.role == "victim"]
    return [(s, v) for s in suspects for v in victims]


def report_places(case: Any, a: str | None, places: Sequence[str]) -> list[tuple[str, str]]:
    """The (A, place) analyses: the places asked for (for A, else every suspect); without
    ``--a`` and without places, every place of the case for every suspect."""
    subjects = [case.party(a)[0]] if a else [s.name for s in case.subjects if s.role == "suspect"]
    if places:
        names = []
        for name in places:
            place = case.find_place(name)
            if place is None:
                raise CaseError(f"no place {name!r} in the case")
            names.append(place.name)
    else:
        names = [p.name for p in case.places] if not a else []
    return [(s, p) for s in subjects for p in names]


def proximity_methods(case: Any, method: str | None, a: str, b: str | None) -> list[str]:
    """The proximity analyses to report: the method asked for; by default location fixes, plus cell
    sites as corroboration when every side has network events with a located serving cell."""
    if method:
        return [method]
    from cellsight.analysis import proximity

    labels = [a] + ([b] if b else [])
    if all(proximity.side_items(case, label, False, True).network_events for label in labels):
        return ["gps", "cell"]
    return ["gps"]


# ----- resolving frames ------------------------------------------------------------------
class CaseResolver:
    """Draws the data and images that frames describe, from the case."""

    def __init__(self, case: Any, basemap: str | None = None, progress: Progress | None = None,
                 maps_total: int | None = None) -> None:
        self.case = case
        self.basemap = basemap
        self.progress = progress or NullProgress()
        self.maps = 0
        self.maps_total = maps_total

    def chart_data(self, frame: Frame) -> dict[str, Any]:
        content = frame.content
        if "data" in content:
            return content["data"]
        if content["chart"] == "series":
            from cellsight.analysis import contacts

            return contacts.between(self.case, content["a"], content["b"], kinds=content.get("kinds"),
                                    by=content.get("by", "day"))
        from cellsight.analysis import patterns

        return patterns.hour_weekday(self.case, content["subject"])

    def map_image(self, frame: Frame, size: tuple[int, int]) -> PILImage.Image:
        content = frame.content
        occasions = content.get("occasions") or []
        intervals = [tuple(i) for i in content.get("intervals") or []]
        check(self.progress)
        self.maps += 1
        self.progress.update(self.maps, self.maps_total, "Drawing maps")
        if content.get("grid"):  # small multiples: each occasion framed on its own hits
            # The case's records around these occasions, gathered once for all the small maps and cut
            # into each (their shared legend counts no fixes, so none is counted out of the narrowed tables).
            within = mapdata.Within(self.case, intervals)
            every = self._gather(within, content, [], intervals)
            small = [(title, within.part(every, interval, [occasion]), staticmap.occasion_bounds([occasion]))
                     for title, occasion, interval in zip(content.get("titles") or [], occasions, intervals)]
            return staticmap.render_grid(small, size[0], size[1], int(content["grid"]), basemap=self.basemap)
        data = self._gather(self.case, content, occasions, intervals)
        return staticmap.render_map(data, size[0], size[1], basemap=self.basemap,
                                    bounds=staticmap.occasion_bounds(occasions))

    @staticmethod
    def _gather(case: Any, content: dict[str, Any], occasions: list[dict[str, Any]],
                intervals: list[tuple[Any, ...]]) -> mapdata.MapData:
        return mapdata.gather(case, content.get("subjects") or (), content.get("start"), content.get("end"),
                              places=content.get("places", []), occasions=occasions, intervals=intervals)


# ----- sections --------------------------------------------------------------------------
def _table(caption: str, columns: list[str], rows: list[list[Any]], **extra: Any) -> Frame:
    return Frame("table", caption=caption, content={"columns": columns, "rows": rows, **extra})


def _text(caption: str, text: str, parameters: dict[str, Any] | None = None, anchor: str = "") -> Frame:
    content: dict[str, Any] = {"text": text}
    if anchor:
        content["anchor"] = anchor
    return Frame("text", caption=caption, parameters=parameters or {}, content=content)


def cover_section(case: Any, meta: ReportMeta, case_path: str | None, producer: Producer,
                  redacted: bool) -> Section:
    info = case.info
    rows = [["Case", info.name], ["Reference", info.reference or "(none)"],
            ["Officer in the case", info.officer or "(none)"],
            ["Produced by", producer.described() or "(not stated)"], ["Produced", meta.produced_text()],
            ["Time zone of this report", info.tz], ["Software", f"Cellsight {__version__}"]]
    if case_path:
        rows.append(["Case file", Path(case_path).name])
        rows.append(["Case file SHA-256", meta.case_sha256])
    else:
        rows.append(["Case file", "(not stated: the case had not been saved as it was reported)"])
    if redacted:
        rows.append(["Redaction", "Edited for disclosure: the number or name of every person who is not a "
                                  "subject of the case is replaced by a pseudonym (Third party 1, 2, ...), "
                                  "the same throughout. The key is kept only in the case file."])
    subjects = [[s.name, s.role, ", ".join(s.numbers) or "(none)", ", ".join(s.imeis) or "(none)"]
                for s in case.subjects]
    places = [[p.name, f"{p.lat:.6f}", f"{p.lon:.6f}", f"{p.radius_m:g} m" if p.radius_m else "(none)",
               p.note] for p in case.places]
    frames = [Frame("title", content={"title": info.name or "Untitled case",
                                      "subtitle": "Evidential storyboard: communications and proximity"}),
              _table("", ["Item", "Detail"], rows, widths=[1, 3]),
              _table("Subjects", ["Name", "Role", "Numbers", "IMEIs"], subjects,
                     empty="No subjects are recorded.")]
    if places:
        frames.append(_table("Places", ["Name", "Latitude", "Longitude", "Radius", "Note"], places))
    return Section("", frames)


def exhibits_section(case: Any) -> Section:
    rows = []
    for s in case.sources:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(s.kinds.items()) if v) or "(none)"
        rows.append([s.exhibit or "(none)", s.file, s.format, s.subject or "(none)", s.sha256,
                     rows_cell(s), s.imported, s.rejected, kinds])
    frames = [_text("", "Every file imported into the case, with its SHA-256 digest as computed when "
                    "it was imported (the files themselves are never modified; the verify command "
                    "re-hashes them). Rows are the candidate records read from each file; each was "
                    "either imported or rejected with its row and reason. Evidence is cited throughout "
                    "as the exhibit reference (or the file's name where it has none) and the row as the "
                    "exhibit itself numbers it: the line of a CSV file, the row of a spreadsheet, the "
                    "model id of a phone download, the record of a location history.", anchor="exhibits"),
              _table("", ["Exhibit", "File", "Format", "Subject", "SHA-256", "Rows", "Imported",
                          "Rejected", "Kinds"], rows, empty="No files have been imported.")]
    frames += time_basis.exhibit_frames(case)
    rejections = case.rejections
    if not rejections.empty:
        rej = [[exhibit_for(case, str(r.source_id)), cite(case, str(r.source_id), str(r.row)) if r.row else "",
                r.reason] for r in rejections.itertuples(index=False)]
        frames.append(_table(f"Rejected rows ({len(rej)})", ["Exhibit", "Row", "Reason"], rej,
                             widths=[1, 2, 5]))
    return Section("Exhibits", frames)


def written_summary(case: Any, pairs: list[PairRun], places: list[ProximityRun]) -> Section:
    """Sentences first, then the same figures as a table, then the exhibits' extent."""
    frames: list[Frame] = []
    for run in pairs:
        text = "\n\n".join(pair_paragraphs(case, run))
        frames.append(_text(f"{run.a} and {run.b}" if len(pairs) > 1 else "", text))
    if places:
        frames.append(_text("Places", "\n\n".join(place_paragraphs(places))))
    if not pairs and not places:
        frames.append(_text("", "No analysis was reported: the case has no suspect and victim pair (set roles "
                                "with the subject command) and no pair or place was asked for."))
    figures: list[list[Any]] = []
    for run in pairs:
        figures += key_figures(run)
    figures += [[f"Occasions: {p.analysis_words()}", p.count] for p in places]
    zone = case.info.zone
    events = case.events
    figures += [["Exhibits", len(case.sources)], ["Communication and data records (sightings)", f"{len(events):,}"],
                ["Location fixes", f"{len(case.locations):,}"], ["Cells listed", f"{len(case.cells):,}"],
                ["Rejected rows", len(case.rejections)]]
    if not events.empty:
        figures.append(["First record in the exhibits", court_time(events["start"].min(), zone)])
        figures.append(["Last record in the exhibits", court_time(events["start"].max(), zone)])
    frames.append(_table("Key figures", ["Figure", "Value"], figures, widths=[2, 3]))
    return Section("Summary", frames, anchor="summary")


def contact_sections(case: Any, run: PairRun, index: int) -> list[Section]:
    """Contact between A and B: method, limits, figures, the daily series, the hour-by-weekday chart
    of their communications and the weekly table (A's own pattern and contacts are in the appendix)."""
    from cellsight.analysis import patterns

    zone = case.info.zone
    doc, a, b = run.doc, run.a, run.b
    params = {"A": doc["a"], "B": doc["b"], "kinds": "all", "period": "day", "time zone": zone,
              "matching tolerance (s)": doc["parameters"]["dedupe_tolerance_s"]}
    peak = doc.get("peak") or {}
    by_dir = doc.get("by_direction", {})
    figures = [["Total communications", f"{doc['total']:,}"],
               ["By kind", ", ".join(f"{k}: {v:,}" for k, v in doc.get("by_kind", {}).items() if v) or "(none)"],
               [f"From {doc['a']} to {doc['b']}", f"{by_dir.get('a_to_b', 0):,}"],
               [f"From {doc['b']} to {doc['a']}", f"{by_dir.get('b_to_a', 0):,}"],
               ["Busiest day", f"{period_words(peak['period'], 'day')}: {peak['count']:,}" if peak else "(none)"]]
    calls = doc.get("calls") or {}
    if calls.get("total"):
        figures.append(["Calls: answered, unanswered, not stated",
                        f"{calls.get('answered', 0):,}, {calls.get('unanswered', 0):,}, {calls.get('unknown', 0):,}"])
        figures.append(["Calls: time in all", duration_words(calls.get("total_duration_s"))])
    if "seen_in_several_sources" in doc:
        figures.append(["Communications recorded in more than one exhibit", f"{doc['seen_in_several_sources']:,}"])
    for key, label in (("first", "First communication"), ("last", "Last communication")):
        if doc.get(key):
            figures.append([label, court_time(doc[key], zone)])
    contact = Section(f"Contact between {doc['a']} and {doc['b']}", [
        _text("Method", CONTACT_METHOD.format(tz=zone), params),
        _text("Limitations", CONTACT_LIMITS),
        _table("Results", ["Figure", "Value"], figures, widths=[2, 3]),
        Frame("chart", caption=f"Communications per day between {doc['a']} and {doc['b']} (the busiest day in red)",
              content={"chart": "series", "a": a, "b": b, "by": "day", "data": doc, "unit": "communications",
                       "anchor": run.peak_anchor}),
        Frame("chart", caption=f"Communications between {doc['a']} and {doc['b']} by hour of day and day of week",
              content={"chart": "heatmap", "subject": a, "data": patterns.hour_weekday(case, a, other=b)})],
        anchor=run.contact_anchor)
    contact.frames.append(weekly_frame(case, run))
    return [contact]


def weekly_frame(case: Any, run: PairRun) -> Frame:
    """Communications per week each way, with the messages of concern among them."""
    table = concern.weekly(run.schedule_comms, run.concern, case.info.tz)
    rows = [[period_words(w, "week"), f"{x:,}", f"{y:,}", f"{t:,}", f"{c:,}"]
            for w, x, y, t, c in zip(table["week"], table["a_to_b"], table["b_to_a"], table["total"],
                                     table["concern"])]
    return _table(f"Communications by week between {run.a} and {run.b}",
                  ["Week (Monday to Sunday)", f"From {run.a}", f"From {run.b}", "Total", "Messages of concern"],
                  rows, widths=[2.2, 1.2, 1.2, 1, 1.4], empty="No communication.")


def activity_sections(case: Any, run: PairRun) -> list[Section]:
    """A's pattern of activity and A's ranked contacts: background, set out in the evidence appendix."""
    from cellsight.analysis import contacts, patterns

    zone = case.info.zone
    a = run.a
    heat = patterns.hour_weekday(case, a)
    pattern = Section(f"Activity pattern of {heat.get('subject', a)}", [
        _text("Method", PATTERN_METHOD.format(tz=zone), {"subject": heat.get("subject", a), "time zone": zone}),
        Frame("chart", caption=f"All communications of {heat.get('subject', a)} by hour of day and day of week",
              content={"chart": "heatmap", "subject": a, "data": heat})])
    ranked = contacts.for_subject(case, a, top=20)
    prime_times([c.get(k) for c in ranked.get("contacts", []) for k in ("first", "last")], zone)
    rows = [[i, c.get("number", ""), c.get("name") or "", f"{c.get('total', 0):,}",
             ", ".join(f"{k} {v}" for k, v in (c.get("by_kind") or {}).items() if v),
             court_text(c.get("first", ""), zone), court_text(c.get("last", ""), zone)]
            for i, c in enumerate(ranked.get("contacts", []), 1)]
    top = Section(f"Contacts of {ranked.get('subject', a)}", [
        _text("Method", RANKED_METHOD, {"subject": ranked.get("subject", a), "top": 20, "time zone": zone}),
        _table("Ranked contacts", ["#", "Number", "Name", "Total", "By kind", "First", "Last"], rows,
               widths=[0.4, 1.5, 1.6, 0.6, 1.6, 2.1, 2.1], empty="No contacts.")])
    return [pattern, top]


def key_events_section(case: Any, run: PairRun, index: int, place_runs: list[ProximityRun]) -> Section:
    """The key-events chronology of a pair (``keyevents``), each entry cited."""
    zone = case.info.zone
    numbers = run.schedule_comms["comm_id"].map(run.schedule_numbers)
    run.key_events = keyevents.key_events(run, run.schedule_comms, numbers, run.concern, zone,
                                          run.schedule_ref.split(" ")[0], place_runs)
    where = (f"Every communication is in the schedule of communications, exhibit {run.schedule_ref}, whose rows the "
             f"last column gives. " if run.schedule_ref else "No schedule of communications was produced with this "
             "report, so no schedule row is given. ")
    prime_times([e.when for e in run.key_events], zone)
    intro = (f"The moments of the case a reader needs first, taken from the analyses in this report: the first and "
             f"last communication between {run.a} and {run.b}, the first message of concern, the busiest day and "
             f"week, weeks in which contact rose or fell sharply, and the first occasion of each proximity "
             f"analysis and each later one at a new place. " + where + keyevents.RULES)
    return Section(f"Key events: {run.a} and {run.b}", [
        _text("", intro, anchor=f"key-events-{index}"),
        _table("", keyevents.COLUMNS, [e.row(zone) for e in run.key_events], widths=keyevents.WIDTHS,
               empty="No key event: the exhibits record no communication and no occasion.")])


CONCERN_SHOWN = 30  # messages of concern quoted in the storyboard; all are marked in the schedule


def concern_section(case: Any, run: PairRun, index: int) -> Section:
    """The messages of concern between the pair, quoted with sender, time and exhibit row."""
    zone = case.info.zone
    found = run.concern.messages
    names = {"a_to_b": (run.a, run.b), "b_to_a": (run.b, run.a)}
    numbers = found["comm_id"].map(run.schedule_numbers)
    prime_times(list(found["start"]), zone)
    rows = [[court_time(m.start, zone), names.get(m.direction, (m.sender, m.recipient))[0],
             f"\u201c{m.text}\u201d", m.cited, "" if pd.isna(n) else int(n)]
            for m, n in zip(found.head(CONCERN_SHOWN).itertuples(index=False), numbers.head(CONCERN_SHOWN))]
    terms = ", ".join(f"\u201c{t}\u201d" for t in run.concern.terms) or "(none)"
    intro = (f"Messages between {run.a} and {run.b} holding one of the case's terms of concern ({terms}): "
             f"{run.concern.count:,} in all. A term matches at the start of a word, in any capitals. A match is "
             f"a reason to read the message, not a finding: each should be read in its conversation. Each is "
             f"quoted as the exhibit holds it, with the exhibit rows that record it"
             + (f" and its row in the schedule of communications ({run.schedule_ref})" if run.schedule_ref else "")
             + "; the weekly counts are in the contact section.")
    if run.concern.count > CONCERN_SHOWN:
        intro += (f" The first {CONCERN_SHOWN} are quoted here; every one is marked in the schedule of "
                  f"communications.")
    return Section(f"Messages of concern: {run.a} and {run.b}", [
        _text("", intro, {"terms of concern": run.concern.terms}, anchor=run.concern_anchor),
        _table("", ["Time", "From", "Message", "Recorded in (exhibit and row)", "Schedule row"], rows,
               widths=[1.7, 1.1, 3.9, 2.6, 0.8], empty="No message between them holds a term of concern.")])


def produced_exhibits_frame(docs: list[companions.Companion]) -> Frame:
    """The exhibits this run wrote beside the storyboard, with their digests."""
    return _table("Exhibits produced with this report", ["Exhibit", "Document", "File", "Size", "SHA-256"],
                  [d.listed() for d in docs], widths=[0.7, 2.2, 1.9, 0.8, 4.2])


def companion_cover(case: Any, meta: ReportMeta, producer: Producer, title: str, doc: companions.Companion,
                    storyboard: str, redacted: bool) -> Section:
    """The first page of an exhibit written beside the storyboard: what it is and what it goes with."""
    info = case.info
    rows = [["Exhibit", doc.reference], ["Case", info.name], ["Reference", info.reference or "(none)"],
            ["Produced by", producer.described() or "(not stated)"], ["Produced", meta.produced_text()],
            ["Produced with", f"the evidential storyboard {storyboard}, which lists this exhibit's SHA-256"],
            ["Time zone of this document", info.tz]]
    if meta.case_sha256:
        rows.append(["Case file SHA-256", meta.case_sha256])
    if redacted:
        rows.append(["Redaction", "Edited for disclosure as the storyboard is: every person who is not a subject "
                                  "of the case appears as a pseudonym (Third party 1, 2, ...)."])
    return Section("", [Frame("title", content={"title": title, "subtitle": info.name or "Untitled case"}),
                        _table("", ["Item", "Detail"], rows, widths=[1, 3])])


def schedule_frame(schedules: list[chronology.Chronology], pairs: list[PairRun]) -> pd.DataFrame:
    """Every schedule's rows as one table for the spreadsheet, each row naming its pair."""
    rows = [[f"{run.a} and {run.b}", *row] for sched, run in zip(schedules, pairs) for row in sched.rows]
    return pd.DataFrame(rows, columns=["Pair", *chronology.COLUMNS], dtype=object)


def appendix_map_sections(runs: list[ProximityRun], zone: str) -> list[Section]:
    """Maps of the occasions beyond the storyboard's cap, one section per analysis that has any."""
    out = []
    for run in runs:
        frames = occasionmaps.appendix_maps(run, run.doc["window_min"], zone)
        if frames:
            out.append(Section(f"Maps of further occasions: {run.reference}", frames))
    return out


def run_proximity(case: Any, a: str, *, b: str | None = None, place: str | None = None, method: str,
                  distance_m: float | None, window_min: float | None, gap_min: float | None, anchor: str,
                  reference: str, include_photos: bool = False) -> ProximityRun:
    """One proximity analysis, with its occasions cited and located for maps."""
    from cellsight.analysis import proximity

    result = proximity.run(case, a, b=b, place=place, method=method, distance_m=distance_m,
                           window_min=window_min, gap_min=gap_min, include_photos=include_photos)
    doc = result.to_json(case.info.tz)
    run = ProximityRun(doc["a"], doc.get("b") or doc.get("place"), place is not None, method, doc, result,
                       anchor, reference)
    run.evidence = evidence.occasion_evidence(case, result, reference)
    for point in occasion_points(result, doc.get("occasions", []), case, run.evidence):
        point["analysis"] = run.analysis_words()
        point["reference"] = f"{reference} {point['label']}"
        run.located.append(point)
    return run


def proximity_section(case: Any, run: ProximityRun, window_min: float) -> Section:
    """Method, parameters, limitations, every occasion in a table, and maps of the occasions."""
    zone = case.info.zone
    doc = run.doc
    params = {"A": doc["a"], ("place" if run.place else "B"): run.other, "method": doc["method"],
              "distance (m)": doc["distance_m"], "gap (min)": doc["gap_min"], "time zone": zone}
    if not run.place:
        params["window (min)"] = doc["window_min"]
    occasions = doc.get("occasions", [])
    prime_times([o[k] for o in occasions for k in ("start", "end")], zone)
    starts = [court_time(o["start"], zone) for o in occasions]
    ends = [end_words(o["start"], o["end"], zone) for o in occasions]  # as written: found among those primed
    rows = [[i, starts[i - 1], ends[i - 1], _duration(o["start"], o["end"]), o["hits"],
             _metres(o.get("min_distance_m")), _metres(o.get("max_accuracy_m")),
             run.evidence[i - 1].short if i - 1 < len(run.evidence) else ""]
            for i, o in enumerate(occasions, 1)]
    notes = list(getattr(run.result, "limitations", []) or [])
    limits = [PROXIMITY_LIMITS[run.method]] + ([PLACE_LIMITS.format(a=run.a)] if run.place else []) + notes
    frames = [_text("Method", doc.get("method_statement") or run.result.method_statement, params),
              _text("Limitations", "\n\n".join(limits)),
              _table(f"Occasions ({len(occasions)})", ["#", "Start", "End", "Duration", "Hits",
                                                      "Closest (m)", "Fix accuracy (m)", "Evidence (first row "
                                                      "of each exhibit; every row in the appendix)"], rows,
                     widths=[0.3, 1.75, 1.0, 0.65, 0.4, 0.65, 0.65, 4.0],
                     empty="No occasion met these parameters.")]
    maps, words = occasionmaps.storyboard_maps(run, window_min, zone)
    if maps:
        frames.append(_text("", words))
    frames += maps
    return Section(run.title(), frames, anchor=run.anchor)


def _short_kind(run: ProximityRun) -> str:
    return {"gps": "location fixes", "cell": "cell sites", "any": "fixes and cell sites"}[run.method]


def appendix_section(runs: list[ProximityRun]) -> Section | None:
    """Appendix A: every hit of every occasion, cited."""
    frames = []
    for run in runs:
        rows = [hit for occ in run.evidence for hit in occ.hits]
        if not rows:
            continue
        columns = list(evidence.APPENDIX_COLUMNS)
        columns[1] = f"Time of {run.a}'s item"
        columns[2] = f"{run.a}'s item (exhibit and row)"
        if run.place:
            columns[3], columns[4] = "", "Place"
            rows = [[r[0], r[1], r[2], r[4], r[5], r[6]] for r in rows]
            del columns[3]
            widths = [0.95, 1.9, 3.1, 2.0, 0.8, 1.2]
        else:
            columns[3] = f"Time of {run.other}'s item"
            columns[4] = f"{run.other}'s item (exhibit and row)"
            widths = [0.8, 1.6, 2.5, 1.6, 2.5, 0.8, 1.15]
        frames.append(_table(f"{run.reference}: {run.analysis_words()}", columns, rows, widths=widths))
    if not frames:
        return None
    intro = _text("", "Each row is one hit: an item of the first party (a location fix, or a network event and "
                      "its serving cell) with the nearest matching item of the other party or the place. "
                      "Occasions are numbered as in the analysis they belong to.", anchor="appendix")
    return Section("Appendix A: the evidence for each occasion", [intro, *frames], anchor="appendix-a")


def chronology_section(case: Any, run: PairRun, start: Any, end: Any) -> tuple[Section, chronology.Chronology]:
    occasions = [{**o, "a": run.a, "other": o_run.other if not o_run.place else o_run.other}
                 for o_run in run.proximity for o in o_run.located]
    sched = chronology.build(case, run.a, run.b, start, end, occasions, comms=run.schedule_comms,
                             concern_ids=set(run.concern.messages["comm_id"]))
    zone = case.info.zone
    period = ("the whole of the exhibits" if sched.start is None and sched.end is None else
              f"{court_time(sched.start, zone) if sched.start is not None else 'the first record'} to "
              f"{court_time(sched.end, zone) if sched.end is not None else 'the last record'}")
    intro = (f"Every communication between the numbers of {run.a} and {run.b}, {period}: {sched.communications:,} "
             f"communications, one row each, counted and matched across exhibits as in the contact figures. "
             f"Each row cites every exhibit row that records it; a message holding a term of concern says so. "
             f"Proximity occasions ({sched.occasions}) are shaded, at their start; their evidence is in the "
             f"evidence appendix.")
    frames = [_text("", intro, {"period": period, "time zone": zone}, anchor=run.chronology_anchor),
              _table("", chronology.COLUMNS, sched.rows, widths=chronology.WIDTHS, shaded=sched.occasion_rows,
                     empty="No communication in this period.")]
    return Section(f"Schedule of communications: {run.a} and {run.b}", frames), sched


def occasion_points(result: Any, occasions: list[dict[str, Any]], case: Any = None,
                    cited: list[Any] | None = None) -> list[dict[str, Any]]:
    """Occasions with a position for the map: the mean position of A's items in each occasion.

    The proximity result's hits carry the occasion they belong to and A's
    position (a fix, or the serving site); an occasion with no located hit is
    listed in the table but not drawn. ``hit_points`` are every position of its
    hits (A's and, between people, B's), so that a map of it can always show
    them all. With ``case``, the evidence is cited as the exhibits number it (``cited``: already
    worked out by ``evidence.occasion_evidence``).
    """
    hits = getattr(result, "hits", None)
    positions: dict[int, tuple[float, float]] = {}
    points: dict[int, list[list[float]]] = {}
    if hits is not None and not hits.empty and "occasion" in hits.columns:
        lat_col = next((c for c in ("a_lat", "lat") if c in hits.columns), None)
        lon_col = next((c for c in ("a_lon", "lon") if c in hits.columns), None)
        if lat_col and lon_col:
            means = hits.groupby("occasion")[[lat_col, lon_col]].mean()
            positions = {int(k): (float(v[lat_col]), float(v[lon_col])) for k, v in means.iterrows()}
            sides = [(lat_col, lon_col)] + ([("b_lat", "b_lon")] if "b_lat" in hits.columns else [])
            for occasion, group in hits.groupby("occasion"):
                coords = np.concatenate([group[[y, x]].to_numpy(float) for y, x in sides])
                coords = coords[np.isfinite(coords).all(axis=1)]
                points[int(occasion)] = np.round(coords, 6).tolist()
    if cited is None and case is not None:
        cited = evidence.occasion_evidence(case, result, with_hits=False)
    out = []
    base = min(positions) if positions else 0
    for i, occasion in enumerate(occasions):
        where = positions.get(base + i)
        if where is None or not all(math.isfinite(x) for x in where):
            continue
        out.append({"label": str(i + 1), "lat": where[0], "lon": where[1], "start": occasion["start"],
                    "end": occasion["end"], "hits": occasion["hits"],
                    "min_distance_m": occasion.get("min_distance_m"),
                    "evidence": "; ".join(cited[i].cited) if cited else _evidence(occasion.get("evidence")),
                    "hit_points": points.get(base + i, [])})
    return out


def locate_occasions(case: Any, a: str, *, b: str | None = None, place: str | None = None,
                     method: str = "gps", distance_m: float | None = None, window_min: float | None = None,
                     gap_min: float | None = None) -> list[dict[str, Any]]:
    """Proximity occasions of A to B or a place, located for a map, each naming its pair."""
    from cellsight.analysis import proximity

    result = proximity.run(case, a, b=b, place=place, method=method, distance_m=distance_m,
                           window_min=window_min, gap_min=gap_min)
    doc = result.to_json(case.info.tz)
    pair = f"{doc['a']} and {doc.get('b') or doc.get('place')}"
    return [{**o, "pair": pair} for o in occasion_points(result, doc.get("occasions", []), case)]


def _duration(start: str, end: str) -> str:
    minutes = int(round((pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _metres(value: Any) -> str:
    try:
        return f"{float(value):.1f}" if value is not None and math.isfinite(float(value)) else ""
    except (TypeError, ValueError):
        return ""


def _evidence(evidence: Any) -> str:
    """The evidence of an occasion as one line: its method, then each source's rows."""
    if isinstance(evidence, dict):
        parts = []
        for key, value in evidence.items():
            if isinstance(value, (list, tuple)):
                value = ", ".join(_evidence(v) for v in value)
            elif isinstance(value, dict):
                value = _evidence(value)
            parts.append(f"{key}: {value}")
        return "; ".join(parts)
    if isinstance(evidence, (list, tuple)):
        return ", ".join(_evidence(v) for v in evidence)
    return "" if evidence is None else str(evidence)


# ----- the analyst's saved frames --------------------------------------------------------
_SOURCE_ROW = re.compile(r"\b(S\d+):([^\s;,]+)")
_SOURCE_COLUMNS = {"source", "source id", "source_id"}


def cited_frame(case: Any, frame: Frame, runs: list[ProximityRun]) -> Frame:
    """A saved frame made ready to print: exhibits instead of source ids, times as a court reads them,
    a chart of records labelled as records, and a map's occasions with their hits and analysis."""
    zone = case.info.zone
    content = dict(frame.content)
    known = {s.id for s in case.sources}

    def cell(value: Any, source_column: bool) -> Any:
        if not isinstance(value, str):
            return value
        if source_column and value in known:
            return exhibit_for(case, value)
        text = _SOURCE_ROW.sub(lambda m: cite(case, m.group(1), m.group(2)) if m.group(1) in known else m.group(0),
                               value)
        return court_text(text, zone)

    if frame.kind == "table":
        columns = list(content.get("columns", []))
        sources = [str(c).strip().lower() in _SOURCE_COLUMNS for c in columns]
        content["columns"] = ["Exhibit" if s else c for c, s in zip(columns, sources)]
        content["rows"] = [[cell(v, sources[i]) for i, v in enumerate(row)] for row in content.get("rows", [])]
    elif frame.kind == "chart" and content.get("chart") == "series" and "unit" not in content:
        pair = content.get("b") and frame.parameters.get("pane") != "timeline"
        content["unit"] = "communications" if pair else "records"
    elif frame.kind == "map" and content.get("occasions"):
        content["occasions"] = [_with_analysis(o, runs, zone) for o in content["occasions"]]
    caption = court_text(frame.caption, zone)
    return Frame(frame.kind, caption=caption, note=frame.note, parameters=frame.parameters, content=content)


def _with_analysis(occasion: dict[str, Any], runs: list[ProximityRun], zone: str) -> dict[str, Any]:
    """A map frame's occasion completed from the report's analyses (same start): hits, closest, analysis."""
    if occasion.get("hits") is not None and occasion.get("analysis"):
        return occasion
    try:
        start = pd.Timestamp(occasion.get("start"))
        if start.tzinfo is None:
            start = start.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    except (ValueError, TypeError):
        return occasion
    for run in runs:
        for located in run.located:
            if pd.Timestamp(located["start"]) == start:
                return {**located, **{k: v for k, v in occasion.items() if v is not None},
                        "hits": located["hits"], "min_distance_m": located["min_distance_m"],
                        "analysis": run.analysis_words()}
    return {**occasion, "analysis": occasion.get("pair") or "not found by this report's analyses"}


def storyboard_section(case: Any, runs: list[ProximityRun]) -> Section | None:
    try:
        board = Storyboard.load(case)
    except StoryboardError as exc:
        raise CaseError(f"the case's saved storyboard cannot be read: {exc}") from exc
    if not len(board):
        return None
    return Section("Storyboard", [cited_frame(case, f, runs) for f in board])


def about_section(case: Any, options: dict[str, Any]) -> Section:
    text = (f"Times are shown in the case's time zone, {case.info.tz}, as a court reads them: day, date, "
            "time to the second and the zone's abbreviation (BST, GMT), with the offset from UTC added for a "
            "time in the hour that occurs twice when the clocks go back. They are stored in UTC as the "
            "sources give them or as their declared zone implies. "
            "Telephone numbers are shown in international (E.164) form where the number is possible "
            "in its region, and otherwise as the source wrote them. Distances are great-circle "
            "(haversine) distances between reported positions on a sphere of radius 6,371,008.8 m. "
            "Maps are drawn in Web Mercator; each subject's fixes have their own shape and line style as "
            "well as colour, so they stay apart in black-and-white print. Cell sector wedges show the "
            "direction a cell faces and are drawn to a nominal length: they are not coverage, and a handset "
            "using a cell may have been anywhere that cell served.")
    return Section("About this report", [_text("Conventions", text, options)])


def basemap_record(path: str | os.PathLike[str] | None) -> dict[str, str] | None:
    """Which base map the report's maps are drawn on, for the About page: file, SHA-256, attribution.

    Read before any analysis runs, so that a missing or damaged file is refused
    at once (one line, exit 2) rather than after minutes of work.
    """
    if not path:
        return None
    info = tileset.read_info(path)
    return {"file": info.path.name, "sha256": file_sha256(info.path),
            "attribution": info.attribution or "no attribution given in the file"}


def declaration_section(producer: Producer, values: dict[str, Any]) -> Section:
    text = fill(producer.template(), values)
    signature = [["Signed", ""], ["Name", producer.name or ""], ["Rank or role", producer.rank or ""],
                 ["Force", producer.force or ""], ["Date", ""]]
    return Section("Declaration", [_text("", text, anchor="declaration"),
                                   _table("", ["", ""], signature, widths=[1, 4], tall=True)])


# ----- the report ------------------------------------------------------------------------
COMPANION_WORDS = {"schedule": "schedule of communications (PDF)",
                   "xlsx": "schedule of communications (spreadsheet, the same rows)",
                   "appendix": "evidence appendix (PDF)"}


def write_report(case: Any, out: str | os.PathLike[str], *, a: str | None = None, b: str | None = None,
                 places: Sequence[str] = (), method: str | None = None, distance_m: float | None = None,
                 window_min: float | None = None, gap_min: float | None = None, produced: str | None = None,
                 case_path: str | os.PathLike[str] | None = None, basemap: str | None = None,
                 progress: Progress | None = None, force: bool = False,
                 password: str | None = None, redact: bool = False, producer: Producer | None = None,
                 chronology_from: Any = None, chronology_to: Any = None,
                 statement: str | os.PathLike[str] | None = None,
                 schedule: str | os.PathLike[str] | None | bool = None,
                 appendix: str | os.PathLike[str] | None | bool = None,
                 include_photos: bool = False) -> dict[str, Any]:
    """Write the evidential storyboard PDF for ``case`` to ``out``, and beside it the schedule of
    communications (PDF and XLSX) and the evidence appendix (PDF); return a summary.

    Without ``a``/``b``, every suspect–victim pair is reported; ``places`` adds
    proximity to those places (without ``a``, of every suspect; with neither,
    every place of the case). ``method`` None reports location fixes and, where
    the case has located network events, cell sites as corroboration.
    ``basemap`` (else ``CELLSIGHT_MBTILES``) is a local MBTiles file for the
    maps. ``redact`` replaces third parties' numbers and names by pseudonyms in
    every file written. ``producer`` says who produced it (default: the
    case's). The schedule covers ``chronology_from`` to ``chronology_to`` (ISO
    8601; default all). ``schedule`` and ``appendix`` name those exhibits
    (default: after ``out``, see ``companions``; ``False``: not written, and
    the storyboard cites no schedule row); ``statement`` also writes an
    SFR1-style short statement there. No two of these may be one file.
    ``progress`` reports analyses, maps and pages and can cancel
    (``Cancelled``) before anything is written. ``password`` encrypts every
    file (``report.protect``); ``force`` allows replacing a file that is not a
    Cellsight output (never the case or an exhibit: ``core.outputs``).
    """
    from cellsight.report import producer as producers
    from cellsight.report.redaction import Redactor

    sched_pdf, sched_xlsx, app_pdf = companions.default_paths(out, schedule or None, appendix or None,
                                                              bool(password))
    wanted = {"schedule": schedule is not False, "xlsx": schedule is not False, "appendix": appendix is not False}
    paths = {"schedule": sched_pdf, "xlsx": sched_xlsx, "appendix": app_pdf}
    named = [("storyboard", out)] + [(COMPANION_WORDS[k], paths[k]) for k in paths if wanted[k]]
    if statement is not None:
        named.append(("statement", statement))
    check_distinct(named)
    check_output(out, "report", case, force, case_path)
    if statement is not None:
        check_output(statement, "report", case, force, case_path)
    companions.check_paths(case, [paths[k] for k in paths if wanted[k]], force, case_path)
    zone = case.info.zone
    stamp = produced_time(produced, zone)
    case_sha = file_sha256(case_path) if case_path else None
    producer = producer or producers.for_case(case)
    meta = ReportMeta(case.info.name, case.info.reference, case.info.officer, stamp, zone, __version__, case_sha,
                      producer=producer.described(),
                      footer_by=", ".join(p for p in (producer.name, producer.force) if p.strip()))
    progress = progress or NullProgress()
    basemap = basemap or os.environ.get(BASEMAP_ENV) or None
    base = basemap_record(basemap)
    redactor = Redactor.for_case(case) if redact else None
    options = {"distance_m": distance_m, "window_min": window_min, "gap_min": gap_min,
               "include_photos": include_photos}  # photographs' positions as fixes: the officer's choice
    pairs, place_results, place_runs = analyse(case, a, b, places, method, options, progress)
    all_runs = [r for p in pairs for r in p.proximity] + place_results
    refs = dict(zip(paths, companions.references(case, producer.name, 3)))
    docs = {k: companions.Companion(COMPANION_WORDS[k], paths[k], refs[k]) for k in paths if wanted[k]}
    # The schedule's rows, only when it is written (the key events cite their numbers there).
    schedules = [chronology_section(case, run, chronology_from, chronology_to) for run in pairs] \
        if "schedule" in docs else []
    for run in pairs:
        run.schedule_numbers = pd.Series(dtype="int64")
    for run, (_, sched) in zip(pairs, schedules):
        run.schedule_numbers = sched.numbers
        run.schedule_ref = f"{refs['schedule']} ({sched_pdf.name})"
    maps_total = sum(len(occasionmaps.storyboard_maps(r, r.doc["window_min"], zone)[0]) + (len(
        occasionmaps.appendix_maps(r, r.doc["window_min"], zone)) if "appendix" in docs else 0) for r in all_runs)
    resolver = CaseResolver(case, basemap, progress, maps_total)
    render = _renderer(meta, resolver, redactor, progress)
    storyboard_name = Path(out).name

    # Every file of the run is written under a temporary name and renamed only when all are complete,
    # so a cancelled or failed run leaves none of them (``atomic_output``).
    with ExitStack() as outputs:
        temps = {k: outputs.enter_context(atomic_output(d.path, companions.kind(d.path), case, force, case_path))
                 for k, d in docs.items()}
        # The schedule (PDF, then the same rows as a spreadsheet) and the appendix first: the storyboard
        # lists their digests.
        if "schedule" in docs:
            schedule_sections = [companion_cover(case, meta, producer, "Schedule of communications",
                                                 docs["schedule"], storyboard_name, redact),
                                 *[sec for sec, _ in schedules]]
            if not schedules:
                schedule_sections.append(Section("Schedule of communications", [_text(
                    "", "No suspect and victim pair was reported, so there is no schedule of communications.")]))
            companions.write_pdf(docs["schedule"], render("Schedule of communications", schedule_sections),
                                 temps["schedule"], password)
            frame = schedule_frame([sched for _, sched in schedules], pairs)
            if redactor is not None:
                frame = redactor.frame(frame)
            companions.write_schedule_xlsx(docs["xlsx"], frame, stamp, temps["xlsx"], password)
            for run in pairs:
                run.schedule_words = _schedule_words(run, docs["schedule"], docs["xlsx"])
        if "appendix" in docs:
            appendix_sections = [companion_cover(case, meta, producer, "Evidence appendix", docs["appendix"],
                                                 storyboard_name, redact)]
            evidence_part = appendix_section(all_runs)
            if evidence_part is not None:
                appendix_sections.append(evidence_part)
            appendix_sections += appendix_map_sections(all_runs, zone)
            for run in pairs:
                appendix_sections += activity_sections(case, run)
            companions.write_pdf(docs["appendix"], render("Evidence appendix", appendix_sections),
                                 temps["appendix"], password)
        sections = [cover_section(case, meta, str(case_path) if case_path else None, producer, redact),
                    written_summary(case, pairs, place_results)]
        for index, run in enumerate(pairs, start=1):
            sections.append(key_events_section(case, run, index, place_results if len(pairs) == 1 else []))
            sections.append(concern_section(case, run, index))
        for index, run in enumerate(pairs, start=1):
            sections += contact_sections(case, run, index)
            sections += [proximity_section(case, r, r.doc["window_min"]) for r in run.proximity]
        sections += [proximity_section(case, r, r.doc["window_min"]) for r in place_results]
        exhibits = exhibits_section(case)
        sections += add_device_findings(case, summary=sections[1], exhibits=exhibits)
        board = storyboard_section(case, all_runs)
        if board is not None:
            sections.append(board)
        sections.append(about_section(case, {
            "pairs reported": [f"{x.a} and {x.b}" for x in pairs] or "(none)",
            "places reported": [f"{x} near {y}" for x, y in place_runs] or "(none)",
            "proximity method": method or "location fixes, with cell sites as corroboration where the case has them",
            "distance (m)": distance_m if distance_m is not None else DEFAULTS_WORDS["distance"],
            "window (min)": window_min if window_min is not None else DEFAULTS_WORDS["window"],
            "gap (min)": gap_min if gap_min is not None else DEFAULTS_WORDS["gap"],
            "photographs' positions": "counted as fixes" if include_photos else "not counted as fixes",
            "base map of the maps": (f"{base['file']} (SHA-256 {base['sha256']}): {base['attribution']}" if base
                                     else "none: a grid in WGS84 degrees")}))
        if docs:
            exhibits.frames.append(produced_exhibits_frame(list(docs.values())))
        sections.append(exhibits)
        values = {"name": producer.name, "rank": producer.rank, "force": producer.force,
                  "produced": meta.produced_text(), "case_name": case.info.name, "reference": case.info.reference,
                  "case_file": Path(case_path).name if case_path else None, "case_sha256": case_sha,
                  "pages": PAGE_COUNT, "software": f"Cellsight {__version__}"}
        sections.append(declaration_section(producer, values))
        target = Path(out)
        tmp = outputs.enter_context(atomic_output(target, "report", case, force, case_path))
        pages, anchors = render(meta.title, sections)(tmp)
        if password:
            encrypt_pdf(tmp, password)
        digest = file_sha256(tmp)
        summary = {"out": str(target), "pages": pages, "sha256": digest, "produced": iso_local(stamp, zone),
                   "pairs": [{"a": run.a, "b": run.b} for run in pairs],
                   "places": [{"a": x, "place": y} for x, y in place_runs],
                   "occasions": sum(r.count for r in all_runs),
                   "analyses": [{"a": r.a, ("place" if r.place else "b"): r.other, "method": r.method,
                                 "occasions": r.count, "page": anchors.get(r.anchor)} for r in all_runs],
                   "maps": resolver.maps, "storyboard_frames": len(board.frames) if board else 0,
                   "chronology": [{"a": run.a, "b": run.b, "communications": sched.communications,
                                   "occasions": sched.occasions, "document": str(sched_pdf),
                                   "page": docs["schedule"].anchors.get(run.chronology_anchor)}
                                  for run, (_, sched) in zip(pairs, schedules)],
                   "key_events": [{"a": run.a, "b": run.b, "time": iso_local(e.when, zone), "event": e.what,
                                   "evidence": e.cited, "schedule_rows": e.schedule} for run in pairs
                                  for e in run.key_events],
                   "concern": [{"a": run.a, "b": run.b, "messages": run.concern.count, "terms": run.concern.terms}
                               for run in pairs],
                   "schedule": {"pdf": str(sched_pdf), "xlsx": str(sched_xlsx), "pages": docs["schedule"].pages,
                                "rows": docs["xlsx"].rows, "sha256": docs["schedule"].sha256,
                                "xlsx_sha256": docs["xlsx"].sha256, "exhibit": docs["schedule"].reference,
                                "xlsx_exhibit": docs["xlsx"].reference} if "schedule" in docs else None,
                   "appendix": {"pdf": str(app_pdf), "pages": docs["appendix"].pages, "sha256": docs["appendix"].sha256,
                                "exhibit": docs["appendix"].reference} if "appendix" in docs else None,
                   "case_sha256": case_sha, "redacted": bool(redact), "producer": producer.described(),
                   "basemap": base, "encrypted": bool(password)}
    if statement is not None:
        from cellsight.report.statement import write_statement

        summary["statement"] = write_statement(case, statement, meta=meta, producer=producer, pairs=pairs,
                                               places=place_results, report=summary, anchors=anchors,
                                               redactor=redactor, values=values, force=force, case_path=case_path,
                                               password=password)
    return summary


def analyse(case: Any, a: str | None, b: str | None, places: Sequence[str], method: str | None,
            options: dict[str, Any], progress: Progress) -> tuple[list[PairRun], list[ProximityRun],
                                                                   list[tuple[str, str]]]:
    """Every analysis the report sets out: each pair's contact, messages of concern and proximity, then
    proximity to places (``report_pairs``, ``report_places``)."""
    from cellsight.analysis import contacts

    pairs = report_pairs(case, a, b)
    place_runs = report_places(case, a, places)
    steps = len(pairs) + len(place_runs)
    pair_results: list[PairRun] = []
    for index, (pa, pb) in enumerate(pairs, start=1):
        check(progress)
        progress.update(index - 1, steps, f"Analysing {pa} and {pb}")
        run = PairRun(pa, pb, contacts.between(case, pa, pb, by="day"), contacts.pair_events(case, pa, pb),
                      f"contact-{index}", f"peak-{index}", chronology_anchor=f"chronology-{index}")
        run.schedule_comms = chronology.communications(case, pa, pb, events=run.comms)
        run.concern = concern.find(case, run.schedule_comms)
        run.concern_anchor = f"concern-{index}"
        for m in proximity_methods(case, method, pa, pb):
            run.proximity.append(run_proximity(case, pa, b=pb, method=m, anchor=f"proximity-{index}-{m}",
                                               reference=_reference(m, len(pairs) > 1, index),
                                               **method_options(options, method, m)))
        pair_results.append(run)
    place_results: list[ProximityRun] = []
    for index, (pa, place) in enumerate(place_runs, start=1):
        check(progress)
        progress.update(len(pairs) + index - 1, steps, f"Analysing {pa} near {place}")
        for m in proximity_methods(case, method, pa, None):
            place_results.append(run_proximity(case, pa, place=place, method=m, anchor=f"place-{index}-{m}",
                                               reference=_reference(m, True, index, place=True),
                                               **method_options(options, method, m)))
    return pair_results, place_results, place_runs


def _renderer(meta: ReportMeta, resolver: CaseResolver, redactor: Any, progress: Progress) -> Any:
    """``render(title, sections)(path) -> (pages, anchors)``: one document of the run, same meta and redaction."""
    def render(title: str, sections: list[Section]) -> Any:
        doc_meta = ReportMeta(meta.case_name, meta.reference, meta.officer, meta.produced, meta.tz, meta.version,
                              meta.case_sha256, producer=meta.producer, footer_by=meta.footer_by, title=title)
        return lambda path: render_pdf(str(path), doc_meta, sections, resolver, redactor=redactor,
                                       progress=progress)
    return render


def _schedule_words(run: PairRun, doc: companions.Companion, sheet: companions.Companion) -> str:
    page = doc.anchors.get(run.chronology_anchor)
    return (f"Each communication is listed with the exhibits and rows that record it in the schedule of "
            f"communications, exhibit {doc.reference} ({doc.path.name}{f', from page {page}' if page else ''}; "
            f"the same rows in exhibit {sheet.reference}, {sheet.path.name}).")


def _reference(method: str, numbered: bool, index: int, place: bool = False) -> str:
    """How the appendix and the chronology name an analysis's occasions: ``GPS 3``, ``Cell 2``, ``Place 1 GPS 4``."""
    word = {"gps": "GPS", "cell": "Cell", "any": "GPS+cell"}[method]
    if place:
        return f"Place {index} {word}" if numbered else f"Place {word}"
    return f"Pair {index} {word}" if numbered else word
