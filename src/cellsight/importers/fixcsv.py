"""Location fixes in a table: what GPS logger apps export (time, latitude, longitude, ...).

A table whose header names a time, a latitude and a longitude, and no party,
cell or duration, is a list of positions the phone reported, not call records:
read as call records its positions would be thrown away. Each data row is one
fix (``row`` is its line or Excel row); ``accuracy`` (metres) and the
provider (``gps``, ``network``, ``fused``) are kept; an activity column
(``walking``, ``in vehicle``) labels the fix. Times with an offset are read as
such, epoch seconds or milliseconds as UTC, and the rest in the zone the
officer states (``--tz``), as for every location format.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from cellsight.importers import cdr, tabular
from cellsight.importers.accounting import finish
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.importers.fixes import FixBuffer, finish_locations, naive_zone, origin_of
from cellsight.importers.registry import importer
from cellsight.progress import Progress, check

_ROLES = (  # role, heading words (first match wins, in this order)
    ("lat", {"lat", "latitude"}),
    ("lon", {"lon", "lng", "long", "longitude"}),
    ("accuracy", {"accuracy", "acc", "hacc", "precision", "error"}),
    ("origin", {"provider", "source", "method"}),
    ("label", {"activity", "mode", "motion"}),
    ("time", {"time", "timestamp", "datetime", "date", "utc", "when"}),
)
_EPOCH = re.compile(r"^\s*(\d{10}|\d{13})(?:\.\d+)?\s*$")


def column_roles(header: list[str]) -> dict[str, list[str]]:
    """Role -> the columns that hold it (``time`` may be a date and a time column)."""
    roles: dict[str, list[str]] = {}
    for name in header:
        words = set(tabular.header_text(name).split())
        role = next((role for role, vocabulary in _ROLES if words & vocabulary), None)
        if role is not None:
            roles.setdefault(role, []).append(name)
    return roles


def header_score(cells: list[str]) -> float:
    """A fix table's header names a time, a latitude and a longitude, and no party, cell or duration."""
    names = [c for c in cells if isinstance(c, str) and c.strip() and len(c) <= 60]
    roles = column_roles(names)
    if not {"time", "lat", "lon"} <= set(roles):
        return 0.0
    if cdr.header_groups(names) & {"party", "cell", "duration"}:
        return 0.0  # call records (or a tower dump) that state the serving site's position
    return float(len(roles))


def sniff(path: Path) -> float:
    """Confidence that ``path`` is a table of location fixes."""
    try:
        for _sheet, rows in tabular.peek(path):
            if any(header_score(cells) for cells in rows):
                return 0.85
        return 0.0
    except Exception:  # noqa: BLE001 - a sniffer says "not mine", never crashes detection
        return 0.0


@importer("fixes", "Location fixes in a table (GPS logger CSV, XLSX)", ("locations",), sniff, priority=6)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    progress.update(0, None, f"reading {path.name}")
    tables, warnings = tabular.read_tables(path, lambda rows: tabular.best_header(rows, header_score, 3))
    result = ImportResult(format="fixes", warnings=warnings)
    fixes = FixBuffer(zone=naive_zone(options)[0])
    for table in tables:
        check(progress)
        _read_table(table, fixes, result, path)
    finish_locations(fixes, result, options)
    finish(result, path.name, kept=len(result.locations))
    progress.update(1, 1, f"read {path.name}")
    return result


def _read_table(table: tabular.Table, fixes: FixBuffer, result: ImportResult, path: Path) -> None:
    roles = column_roles(table.header)
    if not {"time", "lat", "lon"} <= set(roles):
        raise ImportFailure(f"{path.name}: no time, latitude and longitude columns "
                            f"(columns: {', '.join(table.header)})")
    frame = table.frame
    result.skipped.extend(table.skipped)
    result.rejections.extend(table.broken)
    used = {name for names in roles.values() for name in names}
    result.parameters.setdefault("columns", {}).update({n: r for r, names in roles.items() for n in names})
    result.parameters.setdefault("unused_columns", []).extend(
        tabular.unread_columns(frame, table.header, used, "not a column Cellsight reads in a table of fixes"))
    time = frame[roles["time"][0]].fillna("")
    for extra in roles["time"][1:]:  # a date column and a time column: joined
        time = time.str.cat(frame[extra].fillna(""), sep=" ")

    def first(role: str) -> list[object]:
        return frame[roles[role][0]].tolist() if role in roles else [None] * len(frame)

    for row, when, lat, lon, accuracy, origin, label in zip(
            table.labels().tolist(), time.str.strip().tolist(), first("lat"), first("lon"),
            first("accuracy"), first("origin"), first("label")):
        epoch = _EPOCH.match(when)
        ms = float(epoch.group(1)) * (1 if len(epoch.group(1)) == 13 else 1000) if epoch else math.nan
        fixes.add(row, lat, lon, time=None if epoch else when or None, epoch_ms=ms, accuracy=accuracy,
                  origin=origin_of(origin) if isinstance(origin, str) and origin.strip() else "gps",
                  label=f"activity {label.strip()}" if isinstance(label, str) and label.strip() else None)
