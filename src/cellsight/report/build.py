"""From a case to the evidential storyboard PDF: which analyses, in what order, saying what.

``write_report`` is what ``cellsight report`` and the GUI's Export PDF call. It
runs the analyses for each suspect–victim pair (or the pair asked for) and for
the places asked for, turns every result into storyboard frames (method
statement, parameters, limitations, then charts, tables and maps), appends the
analyst's saved storyboard, and hands the lot to ``pdf.render_pdf``.

The produced date is ``--produced``, else ``SOURCE_DATE_EPOCH``, else the clock;
it is the only input that is not the case and the options, so the same case
and options give the same bytes. The PDF is written beside its target and
renamed into place, so a failed report never leaves half a file.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight import __version__
from cellsight.core.outputs import atomic_output, check_output
from cellsight.core.case import CaseError
from cellsight.core.casefile import file_sha256
from cellsight.core.timezones import iso_local
from cellsight.progress import NullProgress, Progress, check
from cellsight.report import mapdata, staticmap, tileset
from cellsight.report.pdf import ReportMeta, Section, render_pdf
from cellsight.report.protect import encrypt_pdf
from cellsight.report.storyboard import Frame, Storyboard, StoryboardError

MAX_MAPS_PER_ANALYSIS = 30
BASEMAP_ENV = "CELLSIGHT_MBTILES"

CONTACT_METHOD = (
    "Every communication between the two parties is counted: calls (answered, unanswered and "
    "failed attempts alike), texts, multimedia messages and chat messages, in both directions. "
    "One communication seen in several sources (both parties' call records, a phone download) is "
    "counted once: sightings are matched when they have the same two numbers (after "
    "normalisation to international form), the same kind and start within a few seconds of each "
    "other. A message to a group counts once. Each communication is placed in the period "
    "(day, week, month or hour) of its start in the case's time zone, {tz}, daylight saving "
    "included; periods with no contact are shown as zero.")
CONTACT_LIMITS = (
    "The counts are of records in the exhibits listed at the start of this report. A "
    "communication absent from every exhibit (a deleted message not recovered, a call over an "
    "app the records do not cover) is not counted. A number that belongs to no subject is shown "
    "as the number itself; who used it is a matter for other evidence.")
PATTERN_METHOD = (
    "Each communication of the subject (any kind, any direction, matched across sources as "
    "above) is counted in the hour of the day and the day of the week of its start, in the case's "
    "time zone, {tz}.")
RANKED_METHOD = (
    "The subject's contacts ranked by the number of communications with each number, most first; "
    "a name is shown where a subject or an address-book entry in a phone download names the "
    "number.")


# ----- inputs ----------------------------------------------------------------------------
def produced_time(produced: str | None = None, zone: str = "UTC") -> pd.Timestamp:
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


# ----- resolving frames ------------------------------------------------------------------
class CaseResolver:
    """Draws the data and images that frames describe, from the case."""

    def __init__(self, case: Any, basemap: str | None = None, progress: Progress | None = None) -> None:
        self.case = case
        self.basemap = basemap
        self.progress = progress or NullProgress()
        self.maps = 0

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

    def map_png(self, frame: Frame, size: tuple[int, int]) -> bytes:
        content = frame.content
        data = mapdata.gather(self.case, content.get("subjects") or (), content.get("start"),
                              content.get("end"), places=content.get("places", []),
                              occasions=content.get("occasions"),
                              intervals=[tuple(i) for i in content.get("intervals") or []])
        check(self.progress)
        self.maps += 1
        self.progress.update(self.maps, None, "Drawing maps")
        return staticmap.render_map(data, size[0], size[1], basemap=self.basemap)


# ----- sections --------------------------------------------------------------------------
def _table(caption: str, columns: list[str], rows: list[list[Any]], **extra: Any) -> Frame:
    return Frame("table", caption=caption, content={"columns": columns, "rows": rows, **extra})


def _text(caption: str, text: str, parameters: dict[str, Any] | None = None) -> Frame:
    return Frame("text", caption=caption, parameters=parameters or {}, content={"text": text})


def cover_section(case: Any, meta: ReportMeta, case_path: str | None) -> Section:
    info = case.info
    rows = [["Case", info.name], ["Reference", info.reference or "(none)"],
            ["Officer in the case", info.officer or "(none)"], ["Produced", meta.produced_text()],
            ["Time zone of this report", info.tz],
            ["Software", f"Cellsight {__version__}"]]
    if case_path:
        rows.append(["Case file", Path(case_path).name])
        rows.append(["Case file SHA-256", meta.case_sha256])
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
                     s.rows, s.imported, s.rejected, kinds])
    frames = [_text("", "Every file imported into the case, with its SHA-256 digest as computed when "
                    "it was imported (the files themselves are never modified; the verify command "
                    "re-hashes them). Rows are the candidate records read from each file; each was "
                    "either imported or rejected with its row and reason."),
              _table("", ["Exhibit", "File", "Format", "Subject", "SHA-256", "Rows", "Imported",
                                  "Rejected", "Kinds"], rows, empty="No files have been imported.")]
    rejections = case.rejections
    if not rejections.empty:
        names = {s.id: s.exhibit or s.file for s in case.sources}
        rej = [[names.get(str(r.source_id), str(r.source_id)), r.row, r.reason]
               for r in rejections.itertuples(index=False)]
        frames.append(_table(f"Rejected rows ({len(rej)})", ["Exhibit", "Row", "Reason"], rej,
                             widths=[1, 1, 6]))
    return Section("Exhibits", frames)


def summary_section(case: Any, figures: list[list[Any]]) -> Section:
    zone = case.info.tz
    events = case.events
    rows = [["Exhibits", len(case.sources)], ["Communication and data records (sightings)", len(events)],
            ["Location fixes", len(case.locations)], ["Cells listed", len(case.cells)],
            ["Rejected rows", len(case.rejections)]]
    if not events.empty:
        rows.append(["First record", iso_local(events["start"].min(), zone)])
        rows.append(["Last record", iso_local(events["start"].max(), zone)])
    return Section("Summary of key figures", [_table("", ["Figure", "Value"], rows + figures,
                                                     widths=[2, 3])])


def contact_sections(case: Any, a: str, b: str, resolver: CaseResolver) -> tuple[list[Section], list[list[Any]]]:
    """Contact between A and B, A's pattern and A's ranked contacts; and key figures for the summary."""
    from cellsight.analysis import contacts, patterns

    zone = case.info.tz
    doc = contacts.between(case, a, b, by="day")
    params = {"A": doc["a"], "B": doc["b"], "kinds": "all", "period": "day", "time zone": zone}
    peak = doc.get("peak") or {}
    by_dir = doc.get("by_direction", {})
    figures = [["Total communications", doc["total"]],
               ["By kind", ", ".join(f"{k}: {v}" for k, v in doc.get("by_kind", {}).items() if v) or "(none)"],
               [f"From {doc['a']} to {doc['b']}", by_dir.get("a_to_b", 0)],
               [f"From {doc['b']} to {doc['a']}", by_dir.get("b_to_a", 0)],
               ["Busiest day", f"{peak.get('period', '(none)')}: {peak.get('count', 0)}"]]
    calls = doc.get("calls") or {}
    if calls.get("total"):
        figures.append(["Calls: answered, unanswered, not stated",
                        f"{calls.get('answered', 0)}, {calls.get('unanswered', 0)}, {calls.get('unknown', 0)}"])
    if "seen_in_several_sources" in doc:
        figures.append(["Communications seen in more than one exhibit", doc["seen_in_several_sources"]])
    for key, label in (("first", "First contact"), ("last", "Last contact")):
        if doc.get(key):
            figures.append([label, doc[key]])
    contact = Section(f"Contact between {doc['a']} and {doc['b']}", [
        _text("Method", CONTACT_METHOD.format(tz=zone), params),
        _text("Limitations", CONTACT_LIMITS),
        _table("Results", ["Figure", "Value"], figures, widths=[2, 3]),
        Frame("chart", caption=f"Communications per day between {doc['a']} and {doc['b']} (peak in red)",
              parameters={}, content={"chart": "series", "a": a, "b": b, "by": "day", "data": doc}),
        Frame("chart", caption=f"Communications between {doc['a']} and {doc['b']} by hour of day and day of week",
              content={"chart": "heatmap", "subject": a, "data": patterns.hour_weekday(case, a, other=b)})])
    heat = patterns.hour_weekday(case, a)
    pattern = Section(f"Activity pattern of {heat.get('subject', a)}", [
        _text("Method", PATTERN_METHOD.format(tz=zone), {"subject": heat.get("subject", a), "time zone": zone}),
        Frame("chart", caption=f"All communications of {heat.get('subject', a)} by hour of day and day of week",
              content={"chart": "heatmap", "subject": a, "data": heat})])
    ranked = contacts.for_subject(case, a, top=20)
    rows = [[i, c.get("number", ""), c.get("name") or "", c.get("total", 0),
             ", ".join(f"{k} {v}" for k, v in (c.get("by_kind") or {}).items() if v),
             c.get("first", ""), c.get("last", "")] for i, c in enumerate(ranked.get("contacts", []), 1)]
    top = Section(f"Contacts of {ranked.get('subject', a)}", [
        _text("Method", RANKED_METHOD, {"subject": ranked.get("subject", a), "top": 20, "time zone": zone}),
        _table("Ranked contacts", ["#", "Number", "Name", "Total", "By kind", "First", "Last"], rows,
               widths=[0.4, 1.6, 2, 0.7, 1.8, 2, 2], empty="No contacts.")])
    summary = [[f"Communications between {doc['a']} and {doc['b']}", doc["total"]],
               [f"Busiest day ({doc['a']} and {doc['b']})", f"{peak.get('period', '(none)')}: {peak.get('count', 0)}"]]
    return [contact, pattern, top], summary


def proximity_section(case: Any, a: str, *, b: str | None = None, place: str | None = None, method: str,
                      distance_m: float | None, window_min: float, gap_min: float) -> tuple[Section, list[Any]]:
    """Method, parameters, limitations, every occasion in a table, and maps of the occasions."""
    from cellsight.analysis import proximity

    zone = case.info.tz
    result = proximity.run(case, a, b=b, place=place, method=method, distance_m=distance_m,
                           window_min=window_min, gap_min=gap_min)
    doc = result.to_json(zone)
    other = doc.get("b") or doc.get("place")
    params = {"A": doc["a"], ("B" if b else "place"): other, "method": doc["method"],
              "distance (m)": doc["distance_m"], "window (min)": doc["window_min"],
              "gap (min)": doc["gap_min"], "time zone": zone}
    occasions = doc.get("occasions", [])
    located = occasion_points(result, occasions)
    rows = [[i, o["start"], o["end"], _duration(o["start"], o["end"]), o["hits"],
             _metres(o.get("min_distance_m")), _metres(o.get("max_accuracy_m")),
             _evidence(o.get("evidence"))]
            for i, o in enumerate(occasions, 1)]
    limitations = getattr(result, "limitations", "") or ""
    if isinstance(limitations, (list, tuple)):
        limitations = "\n\n".join(limitations)
    frames = [_text("Method", doc.get("method_statement") or result.method_statement, params),
              _text("Limitations", limitations or "None stated."),
              _table(f"Occasions ({len(occasions)})", ["#", "Start", "End", "Duration", "Hits",
                                                      "Closest (m)", "Fix accuracy (m)", "Evidence"], rows,
                     widths=[0.4, 2.1, 2.1, 0.9, 0.6, 0.9, 0.9, 3.6],
                     empty="No occasion met these parameters.")]
    subjects = [a] + ([b] if b else [])
    window = pd.Timedelta(minutes=window_min)
    for group in group_occasions(located, MAX_MAPS_PER_ANALYSIS):
        first, last = group[0], group[-1]
        label = f"occasion {first['label']}" if len(group) == 1 else f"occasions {first['label']}–{last['label']}"
        intervals = [[(pd.Timestamp(o["start"]) - window).isoformat(),
                      (pd.Timestamp(o["end"]) + window).isoformat()] for o in group]
        map_params = {"subjects": subjects, **({"place": place} if place else {}),
                      "fixes and cells shown": f"within {window_min:g} min of each occasion shown"}
        frames.append(Frame("map", caption=f"Map of {label}: {first['start']} to {last['end']}",
                            parameters=map_params,
                            content={"subjects": subjects, "places": [place] if place else [],
                                     "occasions": group, "intervals": intervals}))
    title = f"Proximity of {doc['a']} to {other}" + ("" if b else " (place)")
    return Section(title, frames), [[f"Occasions: {doc['a']} near {other} ({doc['method']})", len(occasions)]]


def occasion_points(result: Any, occasions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Occasions with a position for the map: the mean position of A's items in each occasion.

    The proximity result's hits carry the occasion they belong to and A's
    position (a fix, or the serving site); an occasion with no located hit is
    listed in the table but not drawn.
    """
    hits = getattr(result, "hits", None)
    positions: dict[int, tuple[float, float]] = {}
    if hits is not None and not hits.empty and "occasion" in hits.columns:
        lat_col = next((c for c in ("a_lat", "lat") if c in hits.columns), None)
        lon_col = next((c for c in ("a_lon", "lon") if c in hits.columns), None)
        if lat_col and lon_col:
            means = hits.groupby("occasion")[[lat_col, lon_col]].mean()
            positions = {int(k): (float(v[lat_col]), float(v[lon_col])) for k, v in means.iterrows()}
    out = []
    base = min(positions) if positions else 0
    for i, occasion in enumerate(occasions):
        where = positions.get(base + i)
        if where is None or not all(math.isfinite(x) for x in where):
            continue
        out.append({"label": str(i + 1), "lat": where[0], "lon": where[1], "start": occasion["start"],
                    "end": occasion["end"], "hits": occasion["hits"],
                    "min_distance_m": occasion.get("min_distance_m"),
                    "evidence": _evidence(occasion.get("evidence"))})
    return out


def locate_occasions(case: Any, a: str, *, b: str | None = None, place: str | None = None,
                     method: str = "gps", distance_m: float | None = None, window_min: float = 5,
                     gap_min: float = 60) -> list[dict[str, Any]]:
    """Proximity occasions of A to B or a place, located for a map, each naming its pair."""
    from cellsight.analysis import proximity

    result = proximity.run(case, a, b=b, place=place, method=method, distance_m=distance_m,
                           window_min=window_min, gap_min=gap_min)
    doc = result.to_json(case.info.tz)
    pair = f"{doc['a']} and {doc.get('b') or doc.get('place')}"
    return [{**o, "pair": pair} for o in occasion_points(result, doc.get("occasions", []))]


def group_occasions(occasions: list[dict[str, Any]], max_maps: int) -> list[list[dict[str, Any]]]:
    """Consecutive occasions in groups, so that no analysis draws more than ``max_maps`` maps."""
    if not occasions:
        return []
    size = max(1, math.ceil(len(occasions) / max_maps))
    return [occasions[i:i + size] for i in range(0, len(occasions), size)]


def _duration(start: str, end: str) -> str:
    minutes = int(round((pd.Timestamp(end) - pd.Timestamp(start)).total_seconds() / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _metres(value: Any) -> str:
    try:
        return f"{float(value):.1f}"
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


def storyboard_section(case: Any) -> Section | None:
    try:
        board = Storyboard.load(case)
    except StoryboardError as exc:
        raise CaseError(f"the case's saved storyboard cannot be read: {exc}") from exc
    if not len(board):
        return None
    return Section("Storyboard", list(board))


def about_section(case: Any, options: dict[str, Any]) -> Section:
    text = (f"Times are shown in the case's time zone, {case.info.tz}, with their offset from UTC; "
            "they are stored in UTC as the sources give them or as their declared zone implies. "
            "Telephone numbers are shown in international (E.164) form where the number is possible "
            "in its region, and otherwise as the source wrote them. Distances are great-circle "
            "(haversine) distances between reported positions on a sphere of radius 6,371,008.8 m. "
            "Maps are drawn in Web Mercator; cell sector wedges show the direction a cell faces and "
            "are drawn to a nominal length: they are not coverage, and a handset using a cell may "
            "have been anywhere that cell served.")
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


# ----- the report ------------------------------------------------------------------------
def write_report(case: Any, out: str | os.PathLike[str], *, a: str | None = None, b: str | None = None,
                 places: Sequence[str] = (), method: str = "gps", distance_m: float | None = None,
                 window_min: float = 5, gap_min: float = 60, produced: str | None = None,
                 case_path: str | os.PathLike[str] | None = None, basemap: str | None = None,
                 progress: Progress | None = None, force: bool = False,
                 password: str | None = None) -> dict[str, Any]:
    """Write the evidential storyboard PDF for ``case`` to ``out``; return a summary.

    Without ``a``/``b``, every suspect–victim pair is reported; ``places`` adds
    proximity to those places (without ``a``, of every suspect; with neither,
    every place of the case). ``basemap`` (else ``CELLSIGHT_MBTILES``) is a
    local MBTiles file for the maps. ``progress`` reports analyses and maps and
    can cancel (``Cancelled``) before anything is written. ``password``
    encrypts the PDF (``report.protect``); ``force`` allows replacing a file that
    is not a Cellsight report (never the case or an exhibit: ``core.outputs``).
    """
    check_output(out, "report", case, force, case_path)
    zone = case.info.tz
    stamp = produced_time(produced, zone)
    case_sha = file_sha256(case_path) if case_path else None
    meta = ReportMeta(case.info.name, case.info.reference, case.info.officer, stamp, zone, __version__, case_sha)
    progress = progress or NullProgress()
    basemap = basemap or os.environ.get(BASEMAP_ENV) or None
    base = basemap_record(basemap)
    resolver = CaseResolver(case, basemap, progress)
    pairs = report_pairs(case, a, b)
    place_runs = report_places(case, a, places)
    analysis: list[Section] = []
    figures: list[list[Any]] = []
    occasion_total = 0
    options = {"distance_m": distance_m, "window_min": window_min, "gap_min": gap_min, "method": method}
    steps = len(pairs) + len(place_runs)
    for done, (pa, pb) in enumerate(pairs):
        check(progress)
        progress.update(done, steps, f"Analysing {pa} and {pb}")
        sections, summary = contact_sections(case, pa, pb, resolver)
        prox, prox_fig = proximity_section(case, pa, b=pb, **options)
        analysis += sections + [prox]
        figures += summary + prox_fig
        occasion_total += prox_fig[0][1]
    for done, (pa, place) in enumerate(place_runs, start=len(pairs)):
        check(progress)
        progress.update(done, steps, f"Analysing {pa} near {place}")
        prox, prox_fig = proximity_section(case, pa, place=place, **options)
        analysis.append(prox)
        figures += prox_fig
        occasion_total += prox_fig[0][1]
    if not steps:
        figures.append(["Analyses", "none: the case has no suspect and victim pair (set roles with the subject "
                                    "command) and no pair or place was asked for"])
    sections = [cover_section(case, meta, str(case_path) if case_path else None), exhibits_section(case),
                summary_section(case, figures), *analysis]
    board = storyboard_section(case)
    if board is not None:
        sections.append(board)
    sections.append(about_section(case, {
        "pairs reported": [f"{x} and {y}" for x, y in pairs] or "(none)",
        "places reported": [f"{x} near {y}" for x, y in place_runs] or "(none)",
        "proximity method": method,
        "distance (m)": distance_m if distance_m is not None else "default: 200 between people; a place's radius",
        "window (min)": window_min, "gap (min)": gap_min,
        "base map of the maps": (f"{base['file']} (SHA-256 {base['sha256']}): {base['attribution']}" if base
                                 else "none: a grid in WGS84 degrees")}))
    target = Path(out)
    with atomic_output(target, "report", case, force, case_path) as tmp:
        pages = render_pdf(str(tmp), meta, sections, resolver)
        if password:
            encrypt_pdf(tmp, password)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    return {"out": str(target), "pages": pages, "sha256": digest, "produced": iso_local(stamp, zone),
            "pairs": [{"a": x, "b": y} for x, y in pairs],
            "places": [{"a": x, "place": y} for x, y in place_runs], "occasions": occasion_total,
            "maps": resolver.maps, "storyboard_frames": len(board.frames) if board else 0,
            "case_sha256": case_sha, "basemap": base, "encrypted": bool(password)}
