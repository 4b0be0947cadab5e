"""Re-read a source in another zone, or take it out of the case: ``cellsight source``.

When a clock check shows that a source's times were read in the wrong zone,
the officer re-reads it from its original file with the zone it is really in.
The file must be the very file imported (same SHA-256), found at its recorded
path, beside the case file, or where the officer says it has moved
(``file``). The source keeps its id, exhibit reference, subject and place in
the case's order of sources, so citations and the matching of the same
communication across sources stay as they were; its rows are read again and
its basis becomes ``corrected``. A source may also be removed. Either is done
whole or not at all, with the reason in the audit log; the clock checks are
computed again, and storyboard frames that hold a snapshot of figures (tables,
charts or maps with their data) are marked stale, since they may show rows
that changed. Frames that hold only their parameters are re-derived from the
case when shown or printed, so they are current by construction.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight.analysis import timechecks
from cellsight.core.case import Case, Source, utc_stamp
from cellsight.core.timezones import check_zone
from cellsight.core.verify import source_candidates
from cellsight.importers.api import file_digest, import_file
from cellsight.importers.base import ImportFailure

SOURCE_TABLES = ("events", "locations", "cells", "contacts", "rejections")
SNAPSHOT_KEYS = ("rows", "data", "occasions")  # frame content that is a copy of figures, not a recipe


def find_source(case: Case, key: str) -> Source:
    """The source named by its exhibit reference, its id or its file name (case-insensitive)."""
    wanted = key.strip().casefold()
    for field in ("exhibit", "id", "file"):
        found = [s for s in case.sources if str(getattr(s, field)).casefold() == wanted]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            parts = ", ".join(f"{s.id} (target {s.parameters.get('file_target') or '?'})" for s in found)
            raise ImportFailure(f"{key}: names {len(found)} sources ({parts}); name one by its id or exhibit")
    known = ", ".join(s.exhibit or s.id for s in case.sources) or "none"
    raise ImportFailure(f"{key}: no such source in the case (sources: {known})")


def original_file(source: Source, case_path: str | Path | None, given: str | Path | None) -> Path:
    """The source's file, checked to be the very file imported (same SHA-256)."""
    candidates = [Path(given)] if given else source_candidates(source, case_path)
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        where = ", ".join(str(p) for p in candidates)
        raise ImportFailure(f"{source.file}: the original file is not found ({where}); say where it is (--file)")
    if file_digest(found) != source.sha256:
        raise ImportFailure(f"{found.name}: not the file imported as {source.exhibit or source.id} "
                            f"(its SHA-256 differs from {source.sha256[:16]}…); nothing was changed")
    return found


def remove_source(case: Case, key: str, reason: str = "") -> dict[str, Any]:
    """Take a source and every row read from it out of the case; returns what was removed."""
    source = find_source(case, key)
    _refuse_scene(source)
    removed = _drop(case, source)
    case.log("remove source", {"source": source.id, "exhibit": source.exhibit, "file": source.file,
                               "sha256": source.sha256, "rows_removed": removed, "reason": reason})
    _after_change(case, source, "removed")
    return {"action": "removed", "source_id": source.id, "exhibit": source.exhibit, "file": source.file,
            "sha256": source.sha256, "removed": removed, "reason": reason,
            "time_checks": timechecks.in_zone(timechecks.stored(case), case.info.tz)}


def reread_source(case: Case, key: str, tz: str, *, reason: str = "", file: str | Path | None = None,
                  case_path: str | Path | None = None) -> dict[str, Any]:
    """Read a source again from its original file with its times in ``tz``; the import report."""
    check_zone(tz)
    source = find_source(case, key)
    _refuse_scene(source)
    path = original_file(source, case_path, file)
    before = _snapshot(case)
    position = case.sources.index(source)
    try:
        _drop(case, source)
        report = import_file(case, path, subject=source.subject or None, format=source.format,
                             template=source.parameters.get("template"), tz=tz,
                             region=source.parameters.get("region"), exhibit=source.exhibit,
                             target=source.parameters.get("file_target"), correction=True)
        new = case.sources.pop()
        _renumber(case, new.id, source.id)
        new.id = source.id
        new.parameters["reread"] = {"from_tz": source.declared_tz, "from_rule": source.tz_rule,
                                    "reason": reason, "at": utc_stamp(), "first_imported_at": source.imported_at}
        case.sources.insert(position, new)
    except BaseException:
        _restore(case, before)
        raise
    case.log("re-read source", {"source": source.id, "exhibit": source.exhibit, "file": path.name,
                                "path": str(path.absolute()), "sha256": source.sha256,
                                "tz_before": source.declared_tz, "rule_before": source.tz_rule,
                                "tz": new.declared_tz, "rule": new.tz_rule, "reason": reason})
    _after_change(case, source, "re-read")
    checks = [c for c in timechecks.stored(case) if source.id in (c["source_id"], c["other_id"])]
    return {**report, "action": "reread", "source_id": source.id, "tz_rule": new.tz_rule,
            "reason": reason, "time_checks": timechecks.in_zone(checks, case.info.tz)}


def _refuse_scene(source: Source) -> None:
    if source.format == "tower-dump":
        raise ImportFailure(f"{source.file}: a tower dump of a scene; add it to the scene again instead "
                            "(cellsight scene)")


def _drop(case: Case, source: Source) -> dict[str, int]:
    """Remove the source's rows from every table and its record; the counts removed per table."""
    removed = {}
    for name in SOURCE_TABLES:
        table = case.tables[name]
        if table.empty:
            continue
        mine = table["source_id"].astype(object).eq(source.id).to_numpy()
        if mine.any():
            removed[name] = int(mine.sum())
            kept = table[~mine].reset_index(drop=True)
            if "source_id" in kept and isinstance(kept["source_id"].dtype, pd.CategoricalDtype):
                kept["source_id"] = kept["source_id"].cat.remove_unused_categories()
            case.tables[name] = kept
    case.sources = [s for s in case.sources if s is not source]
    case.dirty = True
    return removed


def _renumber(case: Case, old: str, new: str) -> None:
    """Give the rows of source ``old`` the id ``new`` (a re-read source keeps its id)."""
    for name in SOURCE_TABLES:
        table = case.tables[name]
        if table.empty:
            continue
        column = table["source_id"]
        if isinstance(column.dtype, pd.CategoricalDtype) and old in column.cat.categories:
            table = table.copy()
            table["source_id"] = column.cat.rename_categories({old: new})
            case.tables[name] = table
        elif column.astype(object).eq(old).any():
            table = table.copy()
            table["source_id"] = column.astype(object).where(column.astype(object).ne(old), new)
            case.tables[name] = table


def _snapshot(case: Case) -> tuple[Any, ...]:
    return (copy.deepcopy(case.subjects), list(case.sources), dict(case.tables), copy.deepcopy(case.extras))


def _restore(case: Case, before: tuple[Any, ...]) -> None:
    case.subjects, case.sources, tables, case.extras = before
    for name, frame in tables.items():
        case.tables[name] = frame


def _after_change(case: Case, source: Source, what: str) -> None:
    """Check the clocks again and mark the storyboard's snapshots of figures as made before the change."""
    timechecks.store(case)
    board = case.extras.get("storyboard")
    if not board:
        return
    note = (f"made before {source.exhibit or source.file} ({source.id}) was {what} on {utc_stamp()[:10]}: "
            "its figures may have changed; make the frame again")
    marked = 0
    for frame in board.get("frames", []):
        if any(k in (frame.get("content") or {}) for k in SNAPSHOT_KEYS):
            frame.setdefault("parameters", {})["stale"] = note
            marked += 1
    if marked:
        case.log("storyboard frames marked stale", {"frames": marked, "source": source.id, "after": what})
