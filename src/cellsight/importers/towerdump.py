"""Tower dumps ("cell dumps"): every subscriber an operator saw on a cell or mast in a period.

A tower dump answers "which phones used this mast between 12:00 and 14:00?":
one row per subscriber event (the subscriber's number, IMEI and IMSI, the other
party of a call or text, the time, the cell or tower and its LAC). It is never
one person's records, so it is not imported as events: ``add_scene`` keeps its
rows as a scene (``core.scenestore``), and ``cellsight import`` refuses it.

Layouts vary as call records do (``mobileNumber  ``, ``msisdn``, ``Target No``,
``towerId``, ``cell_id``, ``LAC``, ``IMEI``, ``IMSI``, ``other_party``, date and
time together or apart, camelCase and trailing spaces), so this reader reuses
the call-record importer's machinery rather than a second vocabulary: the
tabular reader (header discovery, title and totals rows), ``cdr.column_role``
(after splitting camelCase words that it does not know whole), ``cdr``'s time
parsing with the contract's order of zone rules and its DST rule, its cell keys
and its number normalisation, so that a scene's numbers and cells are written
exactly as the case's are and meet them in the queries.

Which column is the subscriber seen on the mast: a target column (``msisdn``,
``mobile number``, ``Target No``); else the A party (calling number), or the B
party on rows whose event code or direction says the call or text was
incoming; else a lone number column. The other party is kept beside it but
never counts as seen on the mast.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight import __version__
from cellsight.analysis.windows import epoch_us
from cellsight.core import scenestore
from cellsight.core.case import Case, CaseError, Source, utc_stamp
from cellsight.core.scenestore import Scene, SceneFile
from cellsight.core.schema import STR
from cellsight.core.timezones import check_zone, iso_local
from cellsight.importers import cdr, registry, tabular
from cellsight.importers.accounting import finish
from cellsight.importers.api import _read, new_file_digest
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.importers.cdr.sites import positions
from cellsight.importers.timebasis import require_stated_zone
from cellsight.progress import NullProgress, Progress, check

FORMAT = "tower-dump"
KIND = "scene"  # the Source's ``kinds`` key: rows kept in a scene
IDENTITY_ROLES = ("target", "party_a", "party_b", "other_party", "imei", "imsi")
_BATCH_SCHEMA = pa.schema([f for f in scenestore.ROW_SCHEMA if f.name != "source_id"])


# ----- recognising the layout --------------------------------------------------------------
def column_name(header: str) -> str:
    """A header with its runs of spaces made one (``mobileNumber  `` -> ``mobileNumber``).

    The call-record vocabulary reads camelCase itself (``towerId`` is ``tower id``),
    so this only tidies the name that the import report and the scene's columns show.
    """
    return " ".join(str(header).split())


def header_groups(cells: list[str]) -> set[str]:
    """What a row names, as a tower dump needs it: ``time``, ``identity`` and ``cell``."""
    groups = set()
    for cell in cells:
        if not isinstance(cell, str) or not cell.strip() or len(cell) > 60:
            continue
        role = cdr.column_role(column_name(cell))
        if role in cdr.TIME_ROLES:
            groups.add("time")
        elif role in IDENTITY_ROLES:
            groups.add("identity")
        elif role and role.split("_")[0] in cdr.SERIAL_ROLES:
            groups.add("cell")
    return groups


def header_score(cells: list[str]) -> float:
    """A header of a tower dump names a time and a subscriber (number, IMEI or IMSI); a cell helps."""
    groups = header_groups(cells)
    return float(len(groups)) if {"time", "identity"} <= groups else 0.0


def sniff(path: Path) -> float:
    """Confidence that ``path`` is laid out as a tower dump (a time, a subscriber and a cell column)."""
    try:
        best = 0.0
        for _sheet, rows in tabular.peek(path):
            for cells in rows:
                groups = header_groups(cells)
                if {"time", "identity", "cell"} <= groups:
                    best = max(best, 0.8)
                elif {"time", "identity"} <= groups:
                    best = max(best, 0.4)
        return best
    except Exception:  # noqa: BLE001 - a sniffer says "not mine", never crashes
        return 0.0


# ----- reading one file --------------------------------------------------------------------
@dataclass
class TowerDump:
    """One file's rows as a scene keeps them, and the account of every candidate row."""

    table: pa.Table  # scenestore.ROW_SCHEMA, without source_id (the case gives it)
    result: ImportResult  # rows, rejections, skipped, warnings, zone and parameters

    @property
    def imported(self) -> int:
        return self.table.num_rows


BATCH_ROWS = 250_000  # rows turned into a scene's columns at a time (see ``_read_table``)


def read_dump(path: Path, options: ImportOptions, progress: Progress | None = None) -> TowerDump:
    """Read a tower dump (CSV, XLSX or XLS); ImportFailure when it cannot be used at all.

    As for call records, a file of which more than half cannot be used is refused:
    first on its first 1,000 rows (before the rest is parsed), then on the whole.
    """
    progress = progress or NullProgress()
    progress.update(0, None, f"reading {path.name}")
    probe = tabular.probe_head(path.name, lambda head, scratch: _read_table(head, options, scratch, path))
    tables, warnings = tabular.read_tables(
        path, lambda rows: tabular.best_header(rows, header_score, 2), probe=probe)
    result = ImportResult(format=FORMAT, warnings=warnings)
    parts = []
    for table in tables:
        check(progress)
        parts.append(_read_table(table, options, result, path, progress))
    rows = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    finish(result, path.name, kept=rows.num_rows)  # a dump mostly of junk is refused, as call records are
    distinct = pc.count_distinct(rows["number"]).as_py()
    if distinct == 1:
        result.warnings.append("every row is of one subscriber number: this looks like one handset's "
                               "records rather than a tower dump (import it with `cellsight import`)")
    result.parameters["subscribers"] = int(distinct)
    progress.update(1, 1, f"read {path.name}")
    return TowerDump(table=rows, result=result)


def _read_table(table: tabular.Table, options: ImportOptions, result: ImportResult,
                path: Path, progress: Progress | None = None) -> pa.Table:
    """One table's rows as the scene's columns (``scenestore.ROW_SCHEMA`` but ``source_id``).

    Times are parsed and their format and zone decided over the whole table (one
    decision for the file, as for call records), and each distinct number is
    normalised once for the whole table; the rest (identities, kinds, cells, the
    rows' answers) is worked out ``BATCH_ROWS`` rows at a time, each batch kept as
    compact Arrow columns, so that the Python objects of a batch's columns never
    exist for the whole file (they were most of a big dump's peak memory).
    """
    names = tabular.unique_names([column_name(h) for h in table.header])
    renamed = dict(zip(table.header, names))
    table = copy.copy(table)
    table.frame = table.frame.rename(columns=renamed)
    table.header = names
    roles = _lac_with_tower(cdr.map_columns(names, None), table.frame)
    if not any(r in roles for r in IDENTITY_ROLES):
        raise ImportFailure(f"{path.name}: no column holds the subscriber's number, IMEI or IMSI "
                            f"(columns: {', '.join(names)})")
    ctx = cdr._Context(table, roles, None, options)
    _state_tower_position(ctx, result)
    params = result.parameters
    params.setdefault("columns", {}).update({original: roles_of(roles, renamed[original])
                                             for original in renamed if roles_of(roles, renamed[original])})
    unused = [original for original, name in renamed.items() if name not in roles.values()]
    if unused:
        params.setdefault("unused_columns", []).extend(unused)
    if table.sheet:
        params.setdefault("sheets", []).append(table.sheet)
    result.skipped.extend(table.skipped)
    result.rejections.extend(table.broken)

    times, zone, rule = cdr._times(ctx, result, path)
    readable = times.readable.to_numpy()
    unusable = np.flatnonzero(~readable)
    noise = tabular.noise_reasons(table.frame.iloc[unusable], table.header)
    is_noise = noise.ne("").to_numpy()
    result.skipped.extend(zip(table.labels(unusable[is_noise]), noise[is_noise]))
    bad = unusable[~is_noise]
    if len(bad):
        result.rejections.extend(zip(table.labels(bad), cdr._time_reasons(ctx, bad)))
    keep = np.flatnonzero(readable)
    result.tz, result.tz_rule = zone, rule
    numbers = {role: DistinctNumbers.of(ctx.col(role), options.region) for role in NUMBER_ROLES if role in roles}
    batches = []
    for start in range(0, max(len(keep), 1), BATCH_ROWS):
        if progress is not None:
            check(progress)
        batches.append(_batch(table, roles, options, times, zone, numbers, keep[start:start + BATCH_ROWS],
                              result))
    return pa.concat_tables(batches) if len(batches) > 1 else batches[0]


def _batch(table: tabular.Table, roles: dict[str, str], options: ImportOptions, times: Any, zone: str,
           numbers: dict[str, DistinctNumbers], keep: np.ndarray, result: ImportResult) -> pa.Table:
    """The scene's columns of the rows at positions ``keep`` (rows without any identity rejected)."""
    sub = table.frame if len(keep) == len(table.frame) else table.frame.iloc[keep].reset_index(drop=True)
    rows_ctx = cdr._Context(tabular.Table(frame=sub, rows=table.rows[keep], header=table.header,
                                          prefix=table.prefix), roles, None, options)
    utc, flags = cdr._localise(times, keep, zone)
    frame = _rows(rows_ctx, numbers, keep)
    frame.insert(0, "time", utc.reset_index(drop=True))
    frame.insert(1, "time_us", epoch_us(frame["time"]))
    frame.insert(2, "time_flag", flags.reset_index(drop=True).astype(str))
    frame["source_row"] = rows_ctx.table.labels().astype(object)
    anonymous = frame[["number", "imei", "imsi"]].isna().all(axis=1).to_numpy()
    if anonymous.any():
        result.rejections.extend(zip(frame.loc[anonymous, "source_row"],
                                     ["no subscriber number, IMEI or IMSI"] * int(anonymous.sum())))
        frame = frame[~anonymous].reset_index(drop=True)
    return pa.Table.from_pandas(frame, schema=_BATCH_SCHEMA, preserve_index=False)


def _state_tower_position(ctx: cdr._Context, result: ImportResult) -> None:
    """Record the tower's position when every row of the dump gives the same one (a mast's
    latitude and longitude on each row): the scene takes it unless the officer gave one."""
    found = positions(ctx.table.frame, ctx.roles, "_first")
    if found is None:
        return
    lat, lon, _ = found
    placed = pd.DataFrame({"lat": lat.round(6), "lon": lon.round(6)}).dropna().drop_duplicates()
    if len(placed) == 1:
        result.parameters["tower_position"] = [float(placed["lat"].iloc[0]), float(placed["lon"].iloc[0])]
    elif len(placed) > 1:
        result.warnings.append(f"the rows give {len(placed)} different tower positions: the scene's "
                               "position is not taken from them (give it with --lat/--lon or --place)")


def _lac_with_tower(roles: dict[str, str], frame: pd.DataFrame) -> dict[str, str]:
    """A numeric tower or cell column beside a LAC column is the cell identity (``towerId`` + ``LAC``)."""
    for part in ("_first", "_last"):
        cell, lac = roles.get("cell" + part), roles.get("lac" + part) or roles.get("lac_first")
        if cell is None or lac is None or "ci" + part in roles:
            continue
        sample = cdr._sample(frame[cell]).astype(str).str.strip()
        if len(sample) and sample.str.fullmatch(r"\d{1,10}").all():
            roles["ci" + part] = roles.pop("cell" + part)
    return roles


def roles_of(roles: dict[str, str], name: str) -> str:
    """The roles a column was given, joined (``"target"``, ``"cell_first"``)."""
    return ", ".join(role for role, column in roles.items() if column == name)


def _rows(ctx: cdr._Context, numbers: dict[str, DistinctNumbers], keep: np.ndarray) -> pd.DataFrame:
    """Subscriber, other party, identities, kind and cells of the rows at ``keep`` (per distinct value)."""
    roles = ctx.roles
    kind, direction = _kinds(ctx)

    def column(role: str) -> tuple[pd.Series, pd.Series, pd.Series] | None:
        return numbers[role].take(keep) if role in numbers else None

    if "target" in roles:
        subscriber, other = column("target"), column("other_party")
        if other is None:
            other = column("party_b") if "party_b" in roles else column("party_a")
    elif "party_a" in roles:
        subscriber, other = column("party_a"), column("party_b")
        if other is None:
            other = column("other_party")
        else:
            # On an incoming call or text the handset on the mast is the called party.
            incoming = direction.eq("incoming").to_numpy()
            subscriber, other = ([s.where(~incoming, o) for s, o in zip(subscriber, other)],
                                 [o.where(~incoming, s) for s, o in zip(subscriber, other)])
    else:
        subscriber, other = column("other_party"), column("party_b")
    missing = DistinctNumbers.missing(len(keep))
    number_raw, number, number_flag = subscriber or missing
    other_raw, other_number, _ = other or missing
    usable = number_flag.isin(["valid", "possible", "short_code", "alphanumeric", "invalid"])
    return pd.DataFrame({
        "number": number.where(usable.to_numpy(), None).astype(object),
        "number_raw": number_raw.astype(object), "number_flag": number_flag.astype(object),
        "imei": cdr._text(ctx, "imei").astype(object), "imsi": cdr._text(ctx, "imsi").astype(object),
        "other": other_number.astype(object), "other_raw": other_raw.astype(object),
        "kind": kind, "direction": direction.astype(object),
        "cell_first": cdr._cells(ctx, "_first").astype(object),
        "cell_last": cdr._cells(ctx, "_last").astype(object),
    })


NUMBER_ROLES = ("target", "party_a", "party_b", "other_party")


@dataclass
class DistinctNumbers:
    """A number column normalised once per distinct value (``cdr``'s normalisation), for all batches.

    A dump of millions of rows holds hundreds of thousands of subscribers, each
    on many rows in every batch: each is normalised once for the whole file, and
    a batch takes its rows' answers by position.
    """

    codes: np.ndarray  # per row of the table, the position of its value's answer (last: missing)
    raw: pd.Series  # as written (blank and dashes as missing), normalised, and the flag, per value
    value: pd.Series
    flag: pd.Series

    @classmethod
    def of(cls, column: pd.Series, region: str) -> DistinctNumbers:
        codes, uniques = pd.factorize(column.reset_index(drop=True))
        raw, value, flag = cdr._normalised(pd.Series(uniques, dtype=STR), region)
        gap = cls.missing(1)
        answers = [pd.concat([part.astype(object).reset_index(drop=True), extra], ignore_index=True)
                   for part, extra in zip((raw, value, flag), gap)]
        return cls(np.where(codes < 0, len(uniques), codes), *answers)

    @staticmethod
    def missing(n: int) -> tuple[pd.Series, pd.Series, pd.Series]:
        """No column: no number on any of ``n`` rows."""
        nothing = pd.Series([None] * n, dtype=object)
        return nothing, nothing, pd.Series(["blank"] * n, dtype=object)

    def take(self, keep: np.ndarray) -> tuple[pd.Series, pd.Series, pd.Series]:
        """As written, normalised and flagged, for the rows at positions ``keep``."""
        at = self.codes[keep]
        return tuple(pd.Series(part.to_numpy(object)[at], dtype=object) for part in (self.raw, self.value, self.flag))


def _kinds(ctx: cdr._Context) -> tuple[pd.Series, pd.Series]:
    """Kind and direction from the event code and direction columns, per distinct code."""
    n = len(ctx.table.frame)
    kind = pd.Series([None] * n, dtype=object)
    direction = pd.Series(["unknown"] * n, dtype=object)
    for role in ("event", "direction"):
        column = ctx.col(role)
        if column is None:
            continue
        codes, uniques = pd.factorize(column.reset_index(drop=True))
        decoded = [cdr.decode_code(str(u).strip()) for u in uniques] + [(None, None)]
        positions = np.where(codes < 0, len(uniques), codes)
        kinds = pd.Series([decoded[p][0] for p in positions], dtype=object)
        directions = pd.Series([decoded[p][1] for p in positions], dtype=object)
        if role == "event":
            kind = kinds
        direction = directions.where(directions.notna(), direction)
    return kind, direction


# ----- adding files to a scene -------------------------------------------------------------
def add_scene(case: Case, case_path: str | Path | None, files: list[str | Path], name: str, *,
              place: str | None = None, lat: float | None = None, lon: float | None = None,
              at: str | None = None, tz: str | None = None, region: str | None = None,
              exhibit: str = "", progress: Progress | None = None, assume_case_tz: bool = False
              ) -> tuple[Scene, list[dict[str, Any]], list[str]]:
    """Add tower-dump files to the scene ``name`` (made if new); returns the scene, reports, failures.

    With no files, an existing scene gets the position or time it lacked. Each
    file goes in whole or not at all (its Parquet rows written, its source
    recorded, the scene registered); the others still go in. ``failures`` holds
    one line per file that could not be used.
    """
    scenestore.check_can_hold_scenes(case, case_path)
    progress = progress or NullProgress()
    if exhibit and len(files) > 1:
        raise CaseError("an exhibit reference names one file: add the files one at a time")
    scene = scene_for(case, name, place, lat, lon, at)
    if not files:  # setting a scene's position or time after its dumps went in
        if scenestore.find_scene(case, scene.name) is None:
            raise CaseError(f"a new scene needs at least one tower dump (scene {scene.name!r})")
        scenestore.save_scenes(case, _in_order(case, [], scene), "update scene",
                               {"scene": scene.name, "place": scene.place, "lat": scene.lat, "lon": scene.lon,
                                "at": scene.at})
        return scene, [], []
    options = scene_options(case, tz, region, assume_case_tz)
    reports, failures = [], []
    for file in files:
        try:
            prepared = prepare_file(case, case_path, scene.name, Path(file), options, progress)
            reports.append(commit_file(case, case_path, scene, prepared, exhibit))
        except (ImportFailure, CaseError) as exc:
            failures.append(str(exc))
    return scene, reports, failures


def scene_options(case: Case, tz: str | None = None, region: str | None = None,
                  assume_case_tz: bool = False) -> ImportOptions:
    """What a tower dump is read with: the zone given (or the case's, if assumed) and the region."""
    if tz:
        check_zone(tz)
    return ImportOptions(case_tz=case.info.tz, region=(region or case.info.region).upper(), tz=tz,
                         assume_case_tz=assume_case_tz)


def scene_for(case: Case, name: str, place: str | None, lat: float | None, lon: float | None,
               at: str | None) -> Scene:
    """The scene to add to: an existing one (its place may be set, never changed) or a new one."""
    name = " ".join(name.split())
    if not name:
        raise CaseError("a scene needs a name (--name)")
    if place and (lat is not None or lon is not None):
        raise CaseError("give the scene's position as --place NAME or as --lat and --lon, not both")
    if (lat is None) != (lon is None):
        raise CaseError("give both --lat and --lon")
    if place:
        spot = case.find_place(place)
        if spot is None:
            raise CaseError(f"no place {place!r} in this case (add it with `cellsight place`)")
        place, lat, lon = spot.name, spot.lat, spot.lon
    elif lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CaseError(f"scene {name!r}: latitude {lat} / longitude {lon} out of range")
    when = _utc_iso(at, case.info.tz) if at else None
    scene = scenestore.find_scene(case, name) or Scene(name=name)
    for label, old, new in (("position", (scene.lat, scene.lon), (lat, lon)), ("place", scene.place, place),
                            ("time", scene.at, when)):
        if new not in (None, (None, None)) and old not in (None, (None, None)) and old != new:
            raise CaseError(f"scene {scene.name!r} already has its {label}; it cannot be changed")
    if lat is not None:
        scene.lat, scene.lon = float(lat), float(lon)
    scene.place = scene.place or place
    scene.at = scene.at or when
    return scene


def _utc_iso(text: str, zone: str) -> str:
    try:
        stamp = pd.Timestamp(text)
    except ValueError as exc:
        raise CaseError(f"--at {text!r} is not an ISO 8601 time") from exc
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC").isoformat()


@dataclass
class Prepared:
    """A tower dump read and its rows written beside the case, not yet in the case."""

    path: Path
    sha256: str
    dump: TowerDump
    source_id: str
    scene: str
    relative: str
    parquet_sha256: str
    options: ImportOptions


def prepare_file(case: Case, case_path: str | Path, scene_name: str, path: Path, options: ImportOptions,
                 progress: Progress) -> Prepared:
    """Hash, read and write one dump's rows; the case is only read (safe in a worker thread)."""
    if not path.is_file():
        raise ImportFailure(f"{path.name}: no such file ({path})")
    sha256 = new_file_digest(case, path)
    reader = registry.Importer(FORMAT, "Tower dump (a scene)", (), sniff, read_dump)
    dump = _read(reader, path, options, progress)  # any failure of the content: one line naming the file
    require_stated_zone(dump.result, path, options.case_tz, options.assume_case_tz, timed=dump.imported > 0)
    check(progress)
    source_id = case.next_source_id()
    dump.table = dump.table.append_column("source_id", pa.array([source_id] * dump.imported, pa.string()))
    relative, parquet_sha = scenestore.write_rows(case_path, scenestore.file_stem(scene_name, sha256),
                                                  dump.table.select(scenestore.ROW_SCHEMA.names))
    return Prepared(path, sha256, dump, source_id, scene_name, relative, parquet_sha, options)


def discard(case_path: str | Path, prepared: Prepared) -> None:
    """Remove the rows of a prepared dump that will not go into the case."""
    (Path(case_path).absolute().parent / prepared.relative).unlink(missing_ok=True)


def commit_file(case: Case, case_path: str | Path, scene: Scene, prepared: Prepared,
                exhibit: str = "") -> dict[str, Any]:
    """Put a prepared dump into the case (its source, its rejections, the scene); whole or not at all."""
    if case.next_source_id() != prepared.source_id or case.source_by_hash(prepared.sha256) is not None:
        discard(case_path, prepared)
        raise ImportFailure(f"{prepared.path.name}: the case changed while the file was read; add it again")
    path, dump, source_id, relative = prepared.path, prepared.dump, prepared.source_id, prepared.relative
    result, options = dump.result, prepared.options
    source = Source(
        id=source_id, file=path.name, path=str(path.absolute()), sha256=prepared.sha256, size=path.stat().st_size,
        format=FORMAT, subject="", declared_tz=result.tz, tz_rule=result.tz_rule,
        parameters={"region": options.region, "tz_option": options.tz, "scene": scene.name,
                    "parquet": relative, **result.parameters},
        rows=result.rows, imported=dump.imported, rejected=result.rejected,
        kinds={KIND: dump.imported} if dump.imported else {},
        skipped=[{"row": str(r), "reason": str(why)} for r, why in result.skipped],
        warnings=list(result.warnings), imported_at=utc_stamp(), version=__version__,
        exhibit=exhibit.strip())
    frames = {}
    if result.rejections:
        rejected_rows, reasons = zip(*result.rejections)
        frames["rejections"] = pd.DataFrame({"source_id": [source_id] * len(rejected_rows),
                                             "row": [str(r) for r in rejected_rows],
                                             "reason": [str(r) for r in reasons]})
    summary = _summary(dump.table)
    item = SceneFile(source_id=source_id, parquet=relative, sha256=prepared.parquet_sha256, rows=dump.imported,
                     **summary)
    others = [s for s in scenestore.scenes(case) if s.name != scene.name]
    before, position = list(scene.files), (scene.lat, scene.lon)
    scene.files = before + [item]
    if not scene.located and "tower_position" in result.parameters:
        scene.lat, scene.lon = result.parameters["tower_position"]  # the dump's own mast
    try:
        case.add_source(source, frames, kept_outside=dump.imported)
        scenestore.save_scenes(case, _in_order(case, others, scene), "add scene file",
                               {"scene": scene.name, "source": source_id, "parquet": relative,
                                "parquet_sha256": prepared.parquet_sha256, "rows": dump.imported})
    except BaseException:
        scene.files, (scene.lat, scene.lon) = before, position
        discard(case_path, prepared)
        raise
    summary_local = {**summary, **{k: iso_local(pd.Timestamp(summary[k]), case.info.tz)
                                   for k in ("first", "last") if summary[k]}}
    return {"file": source.file, "path": source.path, "sha256": prepared.sha256, "format": FORMAT,
            "scene": scene.name, "rows": source.rows, "imported": source.imported,
            "rejected": source.rejected,
            "rejections": [{"row": str(r), "reason": str(why)} for r, why in result.rejections],
            "skipped": list(source.skipped), "kinds": dict(source.kinds), "warnings": list(source.warnings),
            "source_id": source_id, "exhibit": source.exhibit, "tz": source.declared_tz,
            "tz_rule": source.tz_rule, "parquet": relative, "parquet_sha256": prepared.parquet_sha256,
            **summary_local}


def _in_order(case: Case, others: list[Scene], scene: Scene) -> list[Scene]:
    """The registry with ``scene`` where it was (or last, when new)."""
    names = [s.name for s in scenestore.scenes(case)]
    if scene.name not in names:
        return others + [scene]
    return [scene if s.name == scene.name else s for s in scenestore.scenes(case)]


MAX_LISTED_CELLS = 200


def _summary(rows: pa.Table) -> dict[str, Any]:
    """First and last time, distinct numbers and the cells named (for the scenes list)."""
    frame = rows.select(["time", "number", "cell_first", "cell_last"]).to_pandas()
    times = frame["time"]
    cells = pd.unique(pd.concat([frame["cell_first"], frame["cell_last"]]).dropna())
    return {"first": times.min().isoformat() if len(times) else None,
            "last": times.max().isoformat() if len(times) else None,
            "numbers": int(frame["number"].nunique()),
            "cells": sorted(str(c) for c in cells)[:MAX_LISTED_CELLS]}
