"""Common numbers: which phones were seen at several scenes.

The question of a series of offences (a run of burglaries, a stalker seen near
the victim's home, work and gym): which number, or which handset, appears in
the tower dumps of k of the n scenes? Written as one ibis expression
(``scenequery``), so it runs over tens of millions of rows on DuckDB, or on a
Spark cluster, unchanged.

Definitions (the method statement repeats them):

- A number is **seen at a scene** when it is the subscriber of at least one row
  of one of the scene's tower dumps (the number the operator saw on the mast,
  never the other party of a call). Numbers are compared in E.164 where they
  normalise; withheld and blank subscribers are no number.
- **Common**: seen at ``min_scenes`` (k) or more of the n scenes chosen.
- **IMEIs**: each number lists the IMEIs seen with it; a handset (IMEI) is
  listed on its own when it reaches k scenes and some of its rows carry no
  number or more than one number (a SIM changed between scenes), since
  otherwise its number's entry already says everything it would.
- **Only at night**: only rows whose time, in the case's zone (daylight saving
  included), is from ``night_from`` o'clock (included) to ``night_to``
  o'clock (excluded) the next morning; by default 22:00 to 06:00.
- **Only the scene's hour**: only rows within ``hour_window_min`` minutes (both
  ends included; 30 by default) either side of the scene's time (the time of
  the offence given with ``cellsight scene --at``): one hour centred on it.
  Every scene chosen needs such a time.
- **Excluding the subjects**: numbers and IMEIs of the case's subjects are left out.

Per scene, ``first`` and ``last`` are the first and last rows of the entry at
that scene and ``count`` is its rows there; entries are sorted by the number
of scenes they were seen at, then by their rows in all, then by the number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cellsight.analysis import scenequery
from cellsight.analysis.windows import epoch_us, from_epoch_us
from cellsight.core.case import Case, CaseError
from cellsight.core.scenestore import Scene, chosen_scenes
from cellsight.core.timezones import court_time, iso_local, iso_local_series

DEFAULT_NIGHT = (22, 6)
DEFAULT_HOUR_WINDOW_MIN = 30.0
USABLE_FLAGS = ("valid", "possible", "short_code", "alphanumeric", "invalid")


@dataclass
class CommonOptions:
    scenes: list[str] | None = None
    min_scenes: int | None = None
    exclude_subjects: bool = False
    night: tuple[int, int] | None = None
    scene_hour: bool = False
    hour_window_min: float = DEFAULT_HOUR_WINDOW_MIN


def parse_night(text: str | None) -> tuple[int, int] | None:
    """``"22-6"`` → ``(22, 6)``; None stays None."""
    if text is None:
        return None
    try:
        start, end = (int(part) for part in str(text).split("-"))
    except ValueError:
        raise CaseError(f"night hours {text!r}: write them as FROM-TO in whole hours, e.g. 22-6") from None
    if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
        raise CaseError(f"night hours {text!r}: two different hours from 0 to 23, e.g. 22-6")
    return start, end


def night_intervals(first_us: int, last_us: int, zone: str, night: tuple[int, int]) -> list[tuple[int, int]]:
    """The nights from ``first`` to ``last`` as UTC ``[start, end)`` in microseconds.

    Each local day's night starts at ``night[0]`` o'clock and ends at ``night[1]``
    o'clock (the next day when that is earlier), localised in ``zone`` so that
    a night across a daylight-saving change is an hour longer or shorter.
    """
    start_hour, end_hour = night
    first = from_epoch_us([first_us]).dt.tz_convert(zone).iat[0]
    last = from_epoch_us([last_us]).dt.tz_convert(zone).iat[0]
    days = pd.date_range(first.tz_localize(None).normalize() - pd.Timedelta(days=1),
                         last.tz_localize(None).normalize(), freq="D")
    starts = pd.Series(days + pd.Timedelta(hours=start_hour))
    ends = pd.Series(days + pd.Timedelta(days=1 if end_hour < start_hour else 0, hours=end_hour))

    def utc(wall: pd.Series) -> pd.Series:
        local = wall.dt.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
        return pd.Series(epoch_us(local))

    pairs = zip(utc(starts), utc(ends))
    return [(int(s), int(e)) for s, e in pairs if e > first_us and s <= last_us]


def _scene_windows(scenes: list[Scene], minutes: float) -> dict[str, tuple[int, int]]:
    missing = [s.name for s in scenes if not s.at]
    if missing:
        raise CaseError("only the scene's hour needs each scene's time; none is given for "
                        + ", ".join(missing) + " (cellsight scene CASE --name NAME --at TIME)")
    half = int(round(minutes * 60_000_000))
    out = {}
    for scene in scenes:
        at = int(epoch_us(pd.Series([pd.Timestamp(scene.at)]))[0])
        out[scene.name] = (at - half, at + half + 1)  # both ends included
    return out


def filtered_rows(engine: scenequery.Engine, case: Case, case_path: str | os.PathLike[str],
                  scenes: list[Scene], options: CommonOptions) -> Any:
    """The scenes' rows after the night, scene-hour and subject filters (an ibis table)."""
    rows = engine.scene_rows(case_path, scenes)
    if options.night is not None:
        first = min(int(epoch_us(pd.Series([pd.Timestamp(s.first)]))[0]) for s in scenes if s.first)
        last = max(int(epoch_us(pd.Series([pd.Timestamp(s.last)]))[0]) for s in scenes if s.last)
        rows = rows.filter(scenequery.between_any(rows.time_us, night_intervals(first, last, case.info.tz,
                                                                                options.night)))
    if options.scene_hour:
        windows = _scene_windows(scenes, options.hour_window_min)
        import ibis

        rows = rows.filter(ibis.or_(*[(rows.scene == name) & (rows.time_us >= lo) & (rows.time_us < hi)
                                      for name, (lo, hi) in windows.items()]))
    if options.exclude_subjects:
        numbers = sorted({n for s in case.subjects for n in s.numbers})
        imeis = sorted({i for s in case.subjects for i in s.imeis})
        if numbers:
            rows = rows.filter(rows.number.isnull() | ~rows.number.isin(numbers))
        if imeis:
            rows = rows.filter(rows.imei.isnull() | ~rows.imei.isin(imeis))
    return rows


def common_table(engine: scenequery.Engine, rows: Any, key: str, companion: str,
                 min_scenes: int) -> pd.DataFrame:
    """Identifiers (``key``: ``number`` or ``imei``) seen at ``min_scenes`` or more scenes.

    One row per (identifier, scene): ``key``, ``scene``, ``first_us``,
    ``last_us``, ``count``, ``seen`` (scenes in all), ``total`` (rows in all),
    ``companions`` (the IMEIs of a number, or the numbers of an IMEI, over all
    its scenes) and ``without`` (its rows with no companion).

    Two passes over the rows: the first counts scenes per identifier and keeps
    those seen often enough (few); the second, over their rows only, gives their
    times and companions per scene. Collecting companions for every identifier
    of every scene would cost several times the rest of the query.
    """
    rows = rows.mutate(key=rows[key], companion=rows[companion])
    per = rows.group_by(["key", "scene"]).agg(count=rows.count())
    overall = per.group_by("key").agg(seen=per.count(), total=per["count"].sum())
    keys = engine.fetch(overall.filter(overall.seen >= min_scenes))
    columns = ["key", "scene", "first_us", "last_us", "count", "seen", "total", "companions", "without"]
    if keys.empty:
        return pd.DataFrame(columns=columns)
    kept = rows.semi_join(engine.memtable(keys[["key"]]), "key")
    stats = kept.group_by(["key", "scene"]).agg(first_us=kept.time_us.min(), last_us=kept.time_us.max(),
                                               count=kept.count(), companions=kept.companion.collect(distinct=True),
                                               without=kept.companion.isnull().sum())
    frame = engine.fetch(stats).merge(keys, on="key")
    merged = frame.groupby("key").agg(companions=("companions", lambda parts: sorted(
        {v for part in parts for v in _listed(part)})), without=("without", "sum"))
    return frame.drop(columns=["companions", "without"]).join(merged, on="key")[columns]


def common_rows(engine: scenequery.Engine, rows: Any, min_scenes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers (usable subscribers only) and IMEIs seen at ``min_scenes`` or more scenes."""
    numbered = rows.filter(rows.number.notnull() & rows.number_flag.isin(list(USABLE_FLAGS)))
    return (common_table(engine, numbered, "number", "imei", min_scenes),
            common_table(engine, rows.filter(rows.imei.notnull()), "imei", "number", min_scenes))


def common_numbers(case: Case, case_path: str | os.PathLike[str], options: CommonOptions | None = None,
                   engine: scenequery.Engine | None = None) -> dict[str, Any]:
    """The contract's ``common --json`` document."""
    options = options or CommonOptions()
    scenes = chosen_scenes(case, options.scenes)
    if not scenes:
        raise CaseError("the case has no scenes (add tower dumps with `cellsight scene`)")
    n = len(scenes)
    k = options.min_scenes if options.min_scenes is not None else min(2, n)
    if not 1 <= k <= n:
        raise CaseError(f"--min must be from 1 to the {n} scene{'s' if n != 1 else ''} chosen, not {k}")
    own = engine is None
    engine = engine or scenequery.engine_from()
    try:
        rows = filtered_rows(engine, case, case_path, scenes, options)
        numbers, imeis = common_rows(engine, rows, k)
    finally:
        if own:
            engine.close()
    zone = case.info.tz
    names = case.number_names()
    order = {s.name: i for i, s in enumerate(scenes)}
    entries = _entries(numbers, "number", order, zone, names)
    several = imeis["companions"].map(lambda c: len(_listed(c)) > 1)
    handsets = imeis[(imeis["without"] > 0).to_numpy() | several.to_numpy(dtype=bool)]
    entries += _entries(handsets, "imei", order, zone, names)
    entries.sort(key=lambda e: (-len(e["scenes"]), -e["total"], e["number"] or "", e["imei"] or ""))
    parameters = {"scenes": [s.name for s in scenes], "min_scenes": k, "of_scenes": n,
                  "exclude_subjects": options.exclude_subjects,
                  "night": f"{options.night[0]:02d}:00-{options.night[1]:02d}:00" if options.night else None,
                  "scene_hour": options.scene_hour,
                  "hour_window_min": options.hour_window_min if options.scene_hour else None,
                  "tz": zone, "engine": engine.name}
    return {"scenes": [s.name for s in scenes], "scene_details": [scene_json(s, zone) for s in scenes],
            "numbers": entries, "parameters": parameters, "method": method_statement(parameters)}


def _entries(frame: pd.DataFrame, key: str, order: dict[str, int], zone: str,
             names: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per identifier with its scenes in the scenes' order (one pass over the rows)."""
    out: list[dict[str, Any]] = []
    if frame.empty:
        return out
    frame = frame.assign(rank=frame["scene"].map(order),
                         first=iso_local_series(from_epoch_us(frame["first_us"].to_numpy()), zone).to_numpy(),
                         last=iso_local_series(from_epoch_us(frame["last_us"].to_numpy()), zone).to_numpy())
    frame = frame.sort_values(["key", "rank"], kind="stable")
    entry: dict[str, Any] = {}
    for row in frame.itertuples(index=False):  # one row per (identifier, scene)
        if not out or entry["id"] != row.key:
            companions = _listed(row.companions)
            value = str(row.key)
            if key == "number":
                entry = {"key": "number", "number": value, "imei": companions[0] if len(companions) == 1 else None,
                         "imeis": companions, "name": names.get(value)}
            else:
                entry = {"key": "imei", "number": None, "imei": value, "numbers": companions,
                         "rows_without_number": int(row.without),
                         "name": next((names[c] for c in companions if c in names), None)}
            entry.update({"id": row.key, "total": int(row.total), "scenes": []})
            out.append(entry)
        entry["scenes"].append({"scene": row.scene, "first": row.first, "last": row.last, "count": int(row.count)})
    for item in out:
        del item["id"]
    return out


def _listed(values: Any) -> list[str]:
    """A collected array from the engine (None, list or numpy array) as sorted text."""
    return [] if values is None else sorted(str(v) for v in values if v is not None)


def scene_json(scene: Scene, zone: str) -> dict[str, Any]:
    """A scene as the JSON outputs list it (times in the case's zone)."""
    def local(value: str | None) -> str | None:
        return iso_local(pd.Timestamp(value), zone) if value else None

    return {"name": scene.name, "place": scene.place, "lat": scene.lat, "lon": scene.lon,
            "at": local(scene.at), "first": local(scene.first), "last": local(scene.last),
            "rows": scene.rows, "sources": [f.source_id for f in scene.files],
            "cells": scene.cells}


def method_statement(p: dict[str, Any]) -> str:
    """Plain words for the report: what was counted, and what it is consistent with."""
    filters = []
    if p.get("night"):
        filters.append(f"only rows from {p['night'].replace('-', ' to ')} (the next morning) in the case's "
                       f"time zone, {p['tz']}, daylight saving included")
    if p.get("scene_hour"):
        filters.append(f"only rows within {p['hour_window_min']:g} minutes either side of each scene's time")
    if p.get("exclude_subjects"):
        filters.append("leaving out the numbers and IMEIs of the case's subjects")
    where = ("Counted are " + "; ".join(filters) + ". ") if filters else ""
    return (f"A number is counted at a scene when it is the subscriber of at least one row of that scene's "
            f"tower dumps (the number the network saw on the mast; the other party of a call is not "
            f"counted). Numbers are compared in international (E.164) form; withheld and blank numbers are "
            f"no number. Listed are the numbers seen at {p['min_scenes']} or more of the {p['of_scenes']} "
            f"scenes ({', '.join(p['scenes'])}), with each scene's first and last row and its number of "
            f"rows. {where}A handset (IMEI) is listed on its own when it reaches as many scenes and some of "
            f"its rows carry no number or more than one number. A number seen at several scenes is "
            f"consistent with a handset using that number having been served by those masts at those "
            f"times; it does not show who carried it, nor where within the masts' coverage it was.")


def _rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def describe(doc: dict[str, Any], zone: str) -> str:
    """A short human table of ``common_numbers``: court times, scene by scene."""
    p = doc["parameters"]
    lines = [f"numbers seen at {p['min_scenes']} or more of {p['of_scenes']} scenes: {len(doc['numbers'])}"]
    for entry in doc["numbers"]:
        label = entry["number"] or f"IMEI {entry['imei']}"
        extra = f" ({entry['name']})" if entry.get("name") else ""
        handset = f", IMEI {entry['imei']}" if entry["number"] and entry.get("imei") else ""
        lines.append(f"{label}{extra}{handset}: {len(entry['scenes'])} scenes, {_rows(entry['total'])}")
        for visit in entry["scenes"]:
            lines.append(f"    {visit['scene']}: {_rows(visit['count'])}, {court_time(pd.Timestamp(visit['first']), zone)}"
                         f" to {court_time(pd.Timestamp(visit['last']), zone)}")
    lines.append(doc["method"])
    return "\n".join(lines)
