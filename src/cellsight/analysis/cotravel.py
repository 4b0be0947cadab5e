"""Co-travel: which number keeps turning up where and when the subject's phone does (a second handset).

A suspect who carries a second phone leaves it on the same masts as the first,
hour after hour. This analysis ranks numbers by the share of the subject's
hours in which both were on the same or nearby sites within a few minutes.

Definitions (the method statement repeats them):

- A **located item** is a record with a time and a position: a network event
  (call, text or data session) whose serving cell a cell list in the case
  locates (its first cell and, when different, its last, as proximity takes
  them), or a row of a scene's tower dump, placed at its cell's site when a
  cell list locates that cell, else at the scene's own position (the mast the
  dump was asked for), else not at all.
- The **subject's items**: the network events of the subject's own records,
  and the scene rows whose subscriber is one of the subject's numbers.
- The **candidates' items**: the scene rows of every other subscriber number
  (withheld and blank numbers are no number), and the network events of the
  other subjects' own records, each counted for the subject's number that is a
  party to it (or the subject's only number).
- An **hour** is a clock hour in the case's zone, daylight saving included
  (the two 01:00 hours of the autumn change are two hours). The subject's hours
  are the hours holding at least one of their located items.
- A candidate is **together** with the subject in an hour when one of the
  subject's items in that hour has one of the candidate's items within
  ``window`` minutes and whose site is within ``distance`` metres of the
  subject's site (both inclusive; haversine on a sphere of radius 6,371,008.8 m;
  0 m: the same site).
- **share** = hours together / the subject's hours. Candidates are ranked by
  share, then hours together, then number.

How it scales: the candidates' items are the scenes' rows (tens of millions),
so the join runs in the query engine (``scenequery``): items are bucketed by
time (``window`` wide) and each subject item meets the candidates of its own
and the two neighbouring buckets (an equi-join, not a cross join); the pairs
of sites within ``distance`` are worked out once in numpy over the distinct
sites (hundreds), exactly as proximity measures them, and joined in.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis import scenequery
from cellsight.analysis.contacts import resolve_party
from cellsight.analysis.proximity import side_items
from cellsight.analysis.scenes import USABLE_FLAGS
from cellsight.analysis.windows import from_epoch_us
from cellsight.core import geo
from cellsight.core.case import Case, CaseError
from cellsight.core.cellkeys import resolve
from cellsight.core.scenestore import Scene, scenes as case_scenes
from cellsight.core.timezones import period_labels

DEFAULT_DISTANCE_M = 1000.0
DEFAULT_WINDOW_MIN = 15.0
DEFAULT_TOP = 20


# ----- positions -----------------------------------------------------------------------
class Sites:
    """Distinct positions (cell sites and scenes' own positions), numbered."""

    def __init__(self) -> None:
        self._ids: dict[tuple[float, float], int] = {}

    def id(self, lat: float, lon: float) -> int:
        key = (float(lat), float(lon))
        return self._ids.setdefault(key, len(self._ids))

    def ids(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return np.array([self.id(a, b) for a, b in zip(lat, lon)], dtype="int64")

    def frame(self) -> pd.DataFrame:
        keys = list(self._ids)
        return pd.DataFrame({"site": list(self._ids.values()), "lat": [k[0] for k in keys],
                             "lon": [k[1] for k in keys]})


def near_pairs(sites: pd.DataFrame, wanted: np.ndarray, distance_m: float) -> pd.DataFrame:
    """Pairs ``(s_site, c_site)``: each site in ``wanted`` with every site within ``distance_m``."""
    mine = sites[sites["site"].isin(wanted)]
    parts = []
    lat, lon = sites["lat"].to_numpy(), sites["lon"].to_numpy()
    for row in mine.itertuples(index=False):  # the subject's sites: hundreds at most
        dist = geo.haversine_m(row.lat, row.lon, lat, lon)
        hit = sites["site"].to_numpy()[dist <= distance_m]
        parts.append(pd.DataFrame({"s_site": row.site, "c_site": hit}))
    if not parts:
        return pd.DataFrame({"s_site": pd.Series(dtype="int64"), "c_site": pd.Series(dtype="int64")})
    return pd.concat(parts, ignore_index=True).astype("int64")


def _cell_sites(case: Case, sites: Sites, keys: pd.Series) -> np.ndarray:
    """The site of each cell key (-1 where no cell list locates it)."""
    cells = case.cells
    position = resolve(pd.Series(keys, dtype=object), cells).to_numpy()
    lat = cells["lat"].to_numpy("float64") if len(cells) else np.empty(0)
    lon = cells["lon"].to_numpy("float64") if len(cells) else np.empty(0)
    out = np.full(len(keys), -1, dtype="int64")
    for i, p in enumerate(position):
        if p >= 0 and abs(lat[p]) <= 90 and abs(lon[p]) <= 180:
            out[i] = sites.id(lat[p], lon[p])
    return out


def scene_cell_sites(case: Case, scenes: list[Scene], pairs: pd.DataFrame, sites: Sites) -> pd.DataFrame:
    """``scene, cell, site`` for each distinct (scene, cell) of the scenes' rows ("" for no cell).

    A cell that a cell list locates is at its site; any other cell (or none) at
    the scene's own position; a row of a scene with neither has no position.
    """
    own = {s.name: sites.id(s.lat, s.lon) for s in scenes if s.located}
    pairs = pairs.fillna("").drop_duplicates().reset_index(drop=True)
    located = _cell_sites(case, sites, pairs["cell"].where(pairs["cell"] != "", None))
    fallback = pairs["scene"].map(own).fillna(-1).astype("int64").to_numpy()
    site = np.where(located >= 0, located, fallback)
    return pd.DataFrame({"scene": pairs["scene"], "cell": pairs["cell"], "site": site})[site >= 0]


def hour_ids(times_us: np.ndarray, zone: str) -> np.ndarray:
    """The start of each time's clock hour in ``zone``, as UTC microseconds (unique per hour)."""
    local = from_epoch_us(times_us).dt.tz_convert(zone)
    # pandas gives the parts as int32: widen before scaling to microseconds (36 minutes overflow int32).
    minutes, seconds = local.dt.minute.to_numpy("int64"), local.dt.second.to_numpy("int64")
    past = (minutes * 60 + seconds) * 1_000_000 + local.dt.microsecond.to_numpy("int64")
    return np.asarray(times_us, dtype="int64") - past


# ----- the two sides ---------------------------------------------------------------------
def _subject_items(case: Case, label: str, numbers: list[str], sites: Sites, scene_points: pd.DataFrame
                   ) -> tuple[pd.DataFrame, dict[str, int]]:
    """``time_us, site`` of every located item of the subject; and counts for the limitations."""
    side = side_items(case, label, use_fixes=False, use_cells=True)
    own = pd.DataFrame({"time_us": side.points.time, "site": sites.ids(side.points.lat, side.points.lon)})
    seen = scene_points[scene_points["number"].isin(numbers)][["time_us", "site"]]
    items = pd.concat([own, seen], ignore_index=True).astype("int64")
    return items, {"network_events": side.network_events, "unlocated_events": side.unlocated_events,
                   "scene_rows": int(len(seen))}


def _other_subjects_items(case: Case, label: str, sites: Sites) -> tuple[pd.DataFrame, int]:
    """``number, time_us, site`` of the other subjects' located network events; and those unattributed."""
    parts, unattributed = [], 0
    events = case.events
    keys = pd.DataFrame({"source_id": events["source_id"].astype(str), "source_row": events["source_row"].astype(str),
                         "party_a": events["party_a"].astype(object), "party_b": events["party_b"].astype(object)})
    keys = keys.drop_duplicates(["source_id", "source_row"])
    for subject in case.subjects:
        if subject.name == label or not subject.numbers:
            continue
        side = side_items(case, subject.name, use_fixes=False, use_cells=True)
        if not len(side.points):
            continue
        items = side.items.iloc[side.points.item]
        rows = pd.DataFrame({"source_id": items["source_id"].astype(str).to_numpy(),
                             "source_row": items["source_row"].astype(str).to_numpy()})
        rows = rows.merge(keys, on=["source_id", "source_row"], how="left")
        mine = set(subject.numbers)
        number = rows["party_a"].where(rows["party_a"].isin(mine), rows["party_b"].where(rows["party_b"].isin(mine)))
        if len(mine) == 1:
            number = number.fillna(subject.numbers[0])
        ok = number.notna().to_numpy()
        unattributed += int((~ok).sum())
        parts.append(pd.DataFrame({"number": number[ok].to_numpy(), "time_us": side.points.time[ok],
                                   "site": sites.ids(side.points.lat[ok], side.points.lon[ok])}))
    if not parts:
        return pd.DataFrame({"number": pd.Series(dtype=object), "time_us": pd.Series(dtype="int64"),
                             "site": pd.Series(dtype="int64")}), unattributed
    return pd.concat(parts, ignore_index=True), unattributed


def _scene_expr(engine: scenequery.Engine, case_path: Any, scenes: list[Scene], case: Case, sites: Sites
                ) -> tuple[Any, pd.DataFrame]:
    """The scenes' located rows as an ibis table ``number, time_us, site``; and their cell sites."""
    rows = engine.scene_rows(case_path, scenes)
    rows = rows.filter(rows.number.notnull() & rows.number_flag.isin(list(USABLE_FLAGS)))
    cells = engine.fetch(rows.select("scene", "cell_first", "cell_last").distinct())
    pairs = pd.concat([cells[["scene", "cell_first"]].set_axis(["scene", "cell"], axis=1),
                       cells[["scene", "cell_last"]].set_axis(["scene", "cell"], axis=1)], ignore_index=True)
    mapping = scene_cell_sites(case, scenes, pairs, sites)
    table = engine.memtable(mapping)
    first = rows.mutate(cell=rows.cell_first.fill_null(""))
    last = rows.filter(rows.cell_last.notnull() & (rows.cell_first.isnull() | (rows.cell_last != rows.cell_first)))
    last = last.mutate(cell=last.cell_last)
    parts = []
    for part in (first, last):
        joined = part.join(table, [part.scene == table.scene, part.cell == table.cell])
        parts.append(joined.select(number=part.number, time_us=part.time_us, site=table.site))
    import ibis

    return ibis.union(*parts), mapping


# ----- running it ------------------------------------------------------------------------
def run(case: Case, case_path: str | os.PathLike[str] | None, subject: str,
        distance_m: float | None = None, window_min: float | None = None, top: int = DEFAULT_TOP,
        engine: scenequery.Engine | None = None) -> dict[str, Any]:
    """The contract's ``cotravel --json`` document."""
    distance_m = DEFAULT_DISTANCE_M if distance_m is None else float(distance_m)
    window_min = DEFAULT_WINDOW_MIN if window_min is None else float(window_min)
    for name, value in (("distance", distance_m), ("window", window_min)):
        if not np.isfinite(value) or value < 0:
            raise CaseError(f"the {name} must be a number of at least 0, not {value}")
    if top < 1:
        raise CaseError("--top must be at least 1")
    label, numbers = resolve_party(case, subject)
    zone = case.info.tz
    scenes = case_scenes(case)
    if scenes and case_path is None:
        raise CaseError("the case's scenes are kept beside its file: save the case first")
    window_us = int(round(window_min * 60_000_000))
    sites = Sites()
    own_engine = engine is None
    engine = engine or scenequery.engine_from()
    try:
        scene_rows, mapping = (_scene_expr(engine, case_path, scenes, case, sites) if scenes
                               else (None, pd.DataFrame(columns=["scene", "cell", "site"])))
        subject_scene = (engine.fetch(scene_rows.filter(scene_rows.number.isin(numbers)))
                         if scene_rows is not None and numbers else
                         pd.DataFrame({"number": pd.Series(dtype=object), "time_us": pd.Series(dtype="int64"),
                                       "site": pd.Series(dtype="int64")}))
        items, counts = _subject_items(case, label, numbers, sites, subject_scene)
        others, unattributed = _other_subjects_items(case, label, sites)
        others = others[~others["number"].isin(numbers)]
        items["hour"] = hour_ids(items["time_us"].to_numpy(), zone)
        pairs = _together(engine, scene_rows, others, items, numbers, sites, distance_m, window_us)
    finally:
        if own_engine:
            engine.close()
    subject_hours = int(items["hour"].nunique())
    parameters = {"subject": label, "numbers": numbers, "distance_m": distance_m, "window_min": window_min,
                  "top": top, "tz": zone, "scenes": [s.name for s in scenes],
                  "earth_radius_m": geo.EARTH_RADIUS_M, "engine": engine.name}
    candidates = _ranked(pairs, subject_hours, top, zone, case.number_names())
    return {"subject": label, "hours_of_subject": subject_hours, "candidates": candidates,
            "parameters": parameters, "method": method_statement(parameters),
            "limitations": _limitations(label, counts, unattributed, scenes, mapping, subject_hours)}


def subject_intervals(items: pd.DataFrame, window_us: int) -> pd.DataFrame:
    """The subject's items as time intervals per (site, hour): ``s_site, hour, s_lo, s_hi``.

    A candidate's item is within ``window`` of one of the subject's items at a
    site in an hour exactly when it lies in the union of ``[t - window, t +
    window]`` over those items' times ``t``; consecutive times at most two
    windows apart give overlapping intervals, so the union is a few merged
    intervals, and the engine joins against those instead of every item.
    """
    f = items.sort_values(["site", "hour", "time_us"], kind="stable").reset_index(drop=True)
    t = f["time_us"].to_numpy()
    same = np.zeros(len(f), dtype=bool)
    if len(f) > 1:
        same[1:] = ((f["site"].to_numpy()[1:] == f["site"].to_numpy()[:-1])
                    & (f["hour"].to_numpy()[1:] == f["hour"].to_numpy()[:-1])
                    & (t[1:] - t[:-1] <= 2 * window_us))
    group = np.cumsum(~same)
    out = f.groupby(group).agg(s_site=("site", "first"), hour=("hour", "first"), s_lo=("time_us", "min"),
                               s_hi=("time_us", "max"))
    out["s_lo"] -= window_us
    out["s_hi"] += window_us
    return out.reset_index(drop=True).astype("int64")


def _together(engine: scenequery.Engine, scene_rows: Any, others: pd.DataFrame, items: pd.DataFrame,
              numbers: list[str], sites: Sites, distance_m: float, window_us: int) -> pd.DataFrame:
    """``number, hour``: the hours in which each candidate was together with the subject."""
    empty = pd.DataFrame({"number": pd.Series(dtype=object), "hour": pd.Series(dtype="int64")})
    if items.empty:
        return empty
    width = max(window_us, 1)
    near = near_pairs(sites.frame(), items["site"].unique(), distance_m)
    spans = subject_intervals(items, window_us)
    # Each interval meets the candidates of every time bucket it touches (an equi-join, not a cross join).
    first, last = spans["s_lo"] // width, spans["s_hi"] // width
    count = (last - first + 1).to_numpy()
    buckets = np.repeat(first.to_numpy(), count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count,
                                                                                       count))
    spans = spans.loc[spans.index.repeat(count)].assign(s_bucket=buckets)
    s = engine.memtable(spans[["s_site", "hour", "s_lo", "s_hi", "s_bucket"]].astype("int64"))
    near_t = engine.memtable(near.rename(columns={"s_site": "n_s_site", "c_site": "n_c_site"}))
    parts = []
    if scene_rows is not None:
        parts.append(scene_rows.filter(~scene_rows.number.isin(numbers)) if numbers else scene_rows)
    if len(others):
        parts.append(engine.memtable(others[["number", "time_us", "site"]].astype(
            {"number": object, "time_us": "int64", "site": "int64"})))
    if not parts:
        return empty
    import ibis

    cand = ibis.union(*parts) if len(parts) > 1 else parts[0]
    cand = cand.mutate(c_bucket=cand.time_us // width)
    joined = cand.join(near_t, cand.site == near_t.n_c_site)
    joined = joined.join(s, [joined.c_bucket == s.s_bucket, joined.n_s_site == s.s_site])
    joined = joined.filter((joined.time_us >= joined.s_lo) & (joined.time_us <= joined.s_hi))
    return engine.fetch(joined.select("number", "hour").distinct())


def _ranked(pairs: pd.DataFrame, subject_hours: int, top: int, zone: str,
            names: dict[str, str]) -> list[dict[str, Any]]:
    if pairs.empty or not subject_hours:
        return []
    per = pairs.groupby("number").agg(hours=("hour", "nunique")).reset_index()
    per["share"] = per["hours"] / subject_hours
    per = per.sort_values(["share", "hours", "number"], ascending=[False, False, True]).head(top)
    chosen = pairs[pairs["number"].isin(per["number"])].drop_duplicates().sort_values(["number", "hour"])
    labels = period_labels(from_epoch_us(chosen["hour"].to_numpy()), zone, "hour").to_numpy()
    hours_of = pd.Series(labels).groupby(chosen["number"].to_numpy()).agg(list)
    return [{"number": row.number, "name": names.get(row.number), "share": round(float(row.share), 4),
             "hours_together": int(row.hours), "hours_of_subject": subject_hours, "hours": hours_of[row.number]}
            for row in per.itertuples(index=False)]  # at most ``top`` rows


def method_statement(p: dict[str, Any]) -> str:
    """Plain words for the report: what was compared, and what a high share is consistent with."""
    listed = ", ".join(p["scenes"])
    own_rows = (f", and the rows of the scenes' tower dumps ({listed}) where one of their numbers is the "
                f"subscriber" if p["scenes"] else "")
    dumps = "the rows of the same tower dumps and " if p["scenes"] else ""
    return (f"The subject's located items are the network events of {p['subject']}'s own records whose "
            f"serving cell a cell list locates{own_rows}. Each clock hour (in the case's time zone, {p['tz']}) "
            f"holding at least one of them is one of the subject's hours. Other numbers' located items are "
            f"{dumps}the network events of the other subjects' own records. A number is together with the "
            f"subject in an hour when one of the subject's items in that hour has an item of that number "
f"within {p['window_min']:g} minutes whose cell site is within {p['distance_m']:g} m of the "
            f"subject's (0 m: the same site; great-circle distance on a sphere of radius 6,371,008.8 m). "
            f"The share is the number of such hours divided by the subject's hours. Cell sites are the "
            f"masts' positions, not the handsets': a high share is consistent with the number's handset "
            f"having been served by the same or nearby masts as the subject's at about the same times, "
            f"hour after hour, as a second handset carried by the same person would be; it does not show "
            f"who carried either handset.")


def _limitations(label: str, counts: dict[str, int], unattributed: int, scenes: list[Scene],
                 mapping: pd.DataFrame, subject_hours: int) -> list[str]:
    notes = ["Only records in the case can show two handsets together: a number is seen only where a tower "
             "dump of a scene or a subject's own records place it; hours in which the subject's phone was "
             "not located count against every number."]
    if subject_hours < 10:
        notes.append(f"{label} has only {subject_hours} located hour{'s' if subject_hours != 1 else ''}: a "
                     "share over so few hours means little.")
    if counts["unlocated_events"]:
        notes.append(f"{counts['unlocated_events']} network events of {label} have a serving cell that no "
                     f"cell list in the case locates; they were not compared.")
    if unattributed:
        notes.append(f"{unattributed} located network events of other subjects name none of their numbers "
                     "and were not counted for any number.")
    unplaced = [s.name for s in scenes if not s.located and s.name not in set(mapping["scene"])]
    if unplaced:
        notes.append("Scenes with no position and no located cell were not compared: " + ", ".join(unplaced) + ".")
    notes.append("A handset that stays near a mast the subject often uses (a neighbour, a workplace) is "
                 "together with the subject whenever the subject is there: look at the hours listed.")
    return notes


def describe(doc: dict[str, Any]) -> str:
    p = doc["parameters"]
    lines = [f"co-travel with {doc['subject']}: {doc['hours_of_subject']} located hours "
             f"(distance {p['distance_m']:g} m, window {p['window_min']:g} min)"]
    for c in doc["candidates"]:
        name = f" ({c['name']})" if c.get("name") else ""
        lines.append(f"{c['share'] * 100:6.1f}%  {c['number']}{name}: together in {c['hours_together']} of "
                     f"{c['hours_of_subject']} hours")
    lines.append(doc["method"])
    lines.extend(f"Note: {text}" for text in doc["limitations"])
    return "\n".join(lines)
