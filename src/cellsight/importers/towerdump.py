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

A force-wide dump has tens of millions of rows: a CSV dump is streamed in
batches (``tabular_stream``) and its rows go to the scene's Parquet file as
they are made (``scene_sink``), so that memory does not grow with the file,
while the time format, day/month order and zone stay one decision for the file.
Each batch's numbers are answered per distinct value and key (``phone_keys``)
in a second thread while its times and the rest are read.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
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
from cellsight.core.phone_keys import NumberKeys, written_keys
from cellsight.core.scenestore import Scene, SceneFile
from cellsight.core.schema import STR
from cellsight.core.timezones import check_zone, iso_local
from cellsight.importers import cdr, registry, tabular, tabular_stream
from cellsight.importers.accounting import finish
from cellsight.importers.api import _read, new_file_digest
from cellsight.importers.base import TZ_FROM_VALUES, ImportFailure, ImportOptions, ImportResult
from cellsight.importers.cdr.times import MONTH_FIRST_REGIONS, ParsedTimes, _time_text
from cellsight.importers.cdr.timevalues import trimmed_text
from cellsight.importers.cdr.sites import positions
from cellsight.importers.scene_sink import RowSummary, SceneRowWriter
from cellsight.importers.templates import Template
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
    """One file read: the account of every candidate row, and the summary of the rows kept.

    The rows themselves went to the scene's Parquet file as they were read
    (``scene_sink``): a dump of tens of millions of rows is never all in memory.
    """

    result: ImportResult  # rows, rejections, skipped, warnings, zone and parameters
    summary: RowSummary

    @property
    def imported(self) -> int:
        return self.summary.rows


BATCH_ROWS = 125_000  # rows read and turned into a scene's columns at a time (see ``_TableReader``)


class _Restart(Exception):
    """A later batch proved the other day/month order: read the file again with that order."""

    def __init__(self, month_first: bool, line: str) -> None:
        super().__init__(line)
        self.month_first, self.line = month_first, line


def read_dump(path: Path, options: ImportOptions, progress: Progress | None = None,
              sink: SceneRowWriter | _Collected | None = None) -> TowerDump:
    """Read a tower dump (CSV, XLSX or XLS) into ``sink``; ImportFailure when it cannot be used at all.

    A CSV file whose lines are records is read ``BATCH_ROWS`` rows at a time
    (``tabular_stream``), so that memory does not grow with the file; any other
    is read whole by ``tabular`` and then worked in batches. As for call records,
    a file of which more than half cannot be used is refused: first on its first
    1,000 rows, then on the whole. The day/month order is one decision for the
    file (see ``_TableReader._times``): when a later batch proves the other order,
    the file is read again from its start with that order.
    """
    progress = progress or NullProgress()
    sink = sink if sink is not None else _Collected()
    progress.update(0, None, f"reading {path.name}")
    month_first = None
    with ThreadPoolExecutor(1, thread_name_prefix="scene-numbers") as pool:  # see ``_TableReader``
        for _attempt in range(2):
            try:
                return _read_once(path, options, progress, sink, month_first, pool)
            except _Restart as restart:
                sink.restart()
                month_first = restart.month_first
    raise AssertionError("a second restart cannot happen: the order is then fixed")  # pragma: no cover


def _read_once(path: Path, options: ImportOptions, progress: Progress, sink: SceneRowWriter | _Collected,
               month_first: bool | None, pool: ThreadPoolExecutor) -> TowerDump:
    def find(rows: list[list[str]]) -> tabular.HeaderChoice | None:
        return tabular.best_header(rows, header_score, 2)

    result = ImportResult(format=FORMAT)
    numbers = _NumberCache(options.region)
    try:
        stream = tabular_stream.open_stream(path, find)
        try:
            reader = _TableReader(options, result, path, numbers, month_first, pool)
            for batch in stream.batches(BATCH_ROWS):
                check(progress)
                if reader.batches == 0 and stream.lines > tabular.PROBE_ROWS:
                    _probe(path, options, month_first)(_head(batch, tabular.PROBE_ROWS))
                reader.read(batch, sink)
            reader.close()
            return _finished(path, result, sink, progress)
        except tabular_stream.Unstreamable:
            sink.restart()
            result, numbers = ImportResult(format=FORMAT), _NumberCache(options.region)
    except tabular_stream.Unstreamable:
        pass
    tables, warnings = tabular.read_tables(path, find, probe=_probe(path, options, month_first))
    result.warnings.extend(warnings)
    for table in tables:
        reader = _TableReader(options, result, path, numbers, month_first, pool)
        for start in range(0, max(len(table.frame), 1), BATCH_ROWS):
            check(progress)
            reader.read(_head(table, BATCH_ROWS, start), sink)
        reader.close()
    return _finished(path, result, sink, progress)


def _finished(path: Path, result: ImportResult, sink: SceneRowWriter | _Collected,
              progress: Progress) -> TowerDump:
    summary = sink.summary
    finish(result, path.name, kept=summary.rows)  # a dump mostly of junk is refused, as call records are
    distinct = summary.numbers
    if distinct == 1:
        result.warnings.append("every row is of one subscriber number: this looks like one handset's "
                               "records rather than a tower dump (import it with `cellsight import`)")
    result.parameters["subscribers"] = int(distinct)
    progress.update(1, 1, f"read {path.name}")
    return TowerDump(result=result, summary=summary)


def _probe(path: Path, options: ImportOptions, month_first: bool | None) -> tabular.HeadProbe:
    """Read a table's first rows into a scratch result: refuse a file mostly of junk early."""
    def read_head(head: tabular.Table, scratch: ImportResult) -> pa.Table:
        collected = _Collected()
        reader = _TableReader(options, scratch, path, _NumberCache(options.region), month_first)
        reader.read(head, collected)
        return collected.table()

    return tabular.probe_head(path.name, read_head)


def _head(table: tabular.Table, rows: int, start: int = 0) -> tabular.Table:
    """Rows ``start`` to ``start + rows`` of a table (the first carries its title and set-aside rows)."""
    stop = start + rows
    whole = start == 0 and stop >= len(table.frame)
    out = copy.copy(table)
    if not whole:
        out.frame = table.frame.iloc[start:stop].reset_index(drop=True)
        out.rows = table.rows[start:stop]
    if start:
        out.title, out.skipped, out.broken = list(table.title), [], []
    return out


class _Collected:
    """Scene rows kept in memory (a probe's thousand rows): what ``SceneRowWriter`` offers, in memory."""

    def __init__(self) -> None:
        self.parts: list[pa.Table] = []
        self.summary = RowSummary()

    def write(self, table: pa.Table) -> None:
        self.summary.add(table)
        self.parts.append(table)

    def restart(self) -> None:
        self.parts, self.summary = [], RowSummary()

    def table(self) -> pa.Table:
        return pa.concat_tables(self.parts) if self.parts else _BATCH_SCHEMA.empty_table()


class _TableReader:
    """One table's rows as the scene's columns, a batch at a time, with one decision for the table.

    The columns' roles, the time format, day/month order and zone are decided
    on the first batch, as call records decide them on a whole column; each later
    batch is checked against them: a batch that proves the other day/month order
    restarts the file with that order (``_Restart``), one that contradicts the
    zone's basis or the restarted order refuses the file, and a batch mostly
    written in another format is named in a warning. Each distinct number is
    normalised once for the file (``_NumberCache``), the rest per distinct value
    within the batch; what a batch makes is kept as compact Arrow columns.
    """

    def __init__(self, options: ImportOptions, result: ImportResult, path: Path, numbers: _NumberCache,
                 month_first: bool | None, pool: ThreadPoolExecutor | None = None) -> None:
        self.options, self.result, self.path, self.numbers = options, result, path, numbers
        self.pool = pool
        self.forced = month_first  # the order a restart fixed, or None
        self.batches = 0
        self.roles: dict[str, str] = {}
        self.renamed: dict[str, str] = {}
        self.basis: tuple[str, bool, str, str] | None = None  # format, month first, zone, rule
        self.positions: set[tuple[float, float]] = set()
        self.position_warning_at = 0
        self.format_warned = False

    def read(self, table: tabular.Table, sink: SceneRowWriter | _Collected) -> None:
        if self.batches == 0:
            self._decide_columns(table)
        table = copy.copy(table)
        table.frame = table.frame.rename(columns=self.renamed)
        table.header = list(self.renamed.values())
        self.result.skipped.extend(table.skipped)
        self.result.rejections.extend(table.broken)
        ctx = cdr._Context(table, self.roles, None, self.options)
        numbers = self._number_answers(ctx)
        self._collect_positions(ctx)
        times, zone = self._times(ctx)
        self.batches += 1
        readable = times.readable.to_numpy()
        unusable = np.flatnonzero(~readable)
        noise = tabular.noise_reasons(table.frame.iloc[unusable], table.header)
        is_noise = noise.ne("").to_numpy()
        self.result.skipped.extend(zip(table.labels(unusable[is_noise]), noise[is_noise]))
        bad = unusable[~is_noise]
        if len(bad):
            self.result.rejections.extend(zip(table.labels(bad), cdr._time_reasons(ctx, bad)))
        keep = np.flatnonzero(readable)
        sink.write(_batch(table, self.roles, self.options, times, zone, numbers, keep, self.result))

    def _number_answers(self, ctx: cdr._Context) -> Callable[[], dict[str, Answers]]:
        """The batch's numbers, per role: worked out in the second thread while this one reads the
        times and the rest (numpy and pyarrow work without the GIL), or now without one. The one
        thread meets the batches in order, so the cache learns as it would in one pass."""
        columns = {role: ctx.col(role) for role in NUMBER_ROLES if role in self.roles}

        def work() -> dict[str, Answers]:
            return {role: self.numbers.answers_for(column) for role, column in columns.items()}

        if self.pool is None:
            done = work()
            return lambda: done
        return self.pool.submit(work).result

    def _decide_columns(self, table: tabular.Table) -> None:
        names = tabular.unique_names([column_name(h) for h in table.header])
        self.renamed = dict(zip(table.header, names))
        frame = table.frame.rename(columns=self.renamed)
        self.roles = roles = _lac_with_tower(cdr.map_columns(names, None), frame)
        if not any(r in roles for r in IDENTITY_ROLES):
            raise ImportFailure(f"{self.path.name}: no column holds the subscriber's number, IMEI or IMSI "
                                f"(columns: {', '.join(names)})")
        params = self.result.parameters
        renamed = self.renamed
        params.setdefault("columns", {}).update({original: roles_of(roles, renamed[original])
                                                 for original in renamed if roles_of(roles, renamed[original])})
        unused = [original for original, name in renamed.items() if name not in roles.values()]
        if unused:
            params.setdefault("unused_columns", []).extend(unused)
        if table.sheet:
            params.setdefault("sheets", []).append(table.sheet)
        self.position_warning_at = len(self.result.warnings)

    def _times(self, ctx: cdr._Context) -> tuple[ParsedTimes, str]:
        """The batch's times read by the table's decision (made on its first batch)."""
        if self.basis is None:
            timed = ctx
            if self.forced is not None:
                timed = copy.copy(ctx)
                timed.template = Template(name="the file's day/month order", dayfirst=not self.forced)
            times, zone, rule = cdr._times(timed, self.result, self.path)
            if self.forced is not None:
                self._check_forced(ctx, times)
                if self.forced and self.options.region.upper() not in MONTH_FIRST_REGIONS:
                    self.result.warnings.append("dates read month-first: a value in the second field is above 12")
            self.basis = (times.format, times.month_first, zone, rule)
            self.result.tz, self.result.tz_rule = zone, rule
            return times, zone
        fmt, month_first, zone, rule = self.basis
        text = _time_text(ctx)
        times = cdr.parse_times(text, month_first, None, order_fixed=self.forced is not None)
        first = str(ctx.table.labels(np.arange(1))[0]) if len(ctx.table.frame) else "?"
        if self.forced is not None:
            self._check_forced(ctx, times)
        elif times.month_first != month_first:
            raise _Restart(times.month_first, first)
        if rule == TZ_FROM_VALUES and times.naive.notna().any():
            raise ImportFailure(f"{self.path.name}: rows from row {first} give times without a UTC offset, "
                                "while the rows before them all carry one: one file, one time basis; refused "
                                "(split the file where its times change)")
        if times.format and times.format != fmt and not self.format_warned:
            self.format_warned = True
            self.result.warnings.append(f"rows from row {first} are mostly written as '{times.format}', "
                                        f"the rows before them as '{fmt}': both were read")
        return times, zone

    def _check_forced(self, ctx: cdr._Context, times: ParsedTimes) -> None:
        """After a restart: refuse a batch holding dates that only the other day/month order reads."""
        text = _time_text(ctx)
        missed = np.flatnonzero(~times.readable.to_numpy() & text.fillna("").str.strip().ne("").to_numpy())
        if not len(missed):
            return
        other = cdr.parse_times(text.iloc[missed], not self.forced, None, order_fixed=True)
        proof = np.flatnonzero(other.readable.to_numpy())
        if len(proof):
            row = ctx.table.labels(missed[proof[:1]])[0]
            orders = ("day-first", "month-first") if self.forced else ("month-first", "day-first")
            raise ImportFailure(f"{self.path.name}: row {row} can only be read {orders[0]}, other rows only "
                                f"{orders[1]}: the file's dates are not in one order; refused")

    def _collect_positions(self, ctx: cdr._Context) -> None:
        found = positions(ctx.table.frame, ctx.roles, "_first")
        if found is None:
            return
        lat, lon, _ = found
        placed = pd.DataFrame({"lat": lat.round(6), "lon": lon.round(6)}).dropna().drop_duplicates()
        self.positions.update(zip(placed["lat"].astype(float), placed["lon"].astype(float)))

    def close(self) -> None:
        """Record the tower's position when every row of the table gives the same one (a mast's
        latitude and longitude on each row): the scene takes it unless the officer gave one."""
        if len(self.positions) == 1:
            params = list(self.result.parameters.items())
            params.insert(len(params) - 2, ("tower_position", list(next(iter(self.positions)))))
            self.result.parameters.clear()
            self.result.parameters.update(params)
        elif len(self.positions) > 1:
            self.result.warnings.insert(
                self.position_warning_at, f"the rows give {len(self.positions)} different tower positions: the "
                "scene's position is not taken from them (give it with --lat/--lon or --place)")


def _batch(table: tabular.Table, roles: dict[str, str], options: ImportOptions, times: ParsedTimes, zone: str,
           numbers: Callable[[], dict[str, Answers]], keep: np.ndarray, result: ImportResult) -> pa.Table:
    """The scene's columns of the rows at positions ``keep`` (rows without any identity rejected)."""
    sub = table.frame if len(keep) == len(table.frame) else table.frame.iloc[keep].reset_index(drop=True)
    rows_ctx = cdr._Context(tabular.Table(frame=sub, rows=table.rows[keep], header=table.header,
                                          prefix=table.prefix), roles, None, options)
    utc, flags = cdr._localise(times, keep, zone)
    utc = utc.reset_index(drop=True)
    columns = {"time": pa.Array.from_pandas(utc), "time_us": pa.array(epoch_us(utc), pa.int64()),
               "time_flag": _category_text(flags),
               **_rows(rows_ctx, numbers, keep), "source_row": _text_array(rows_ctx.table.labels())}
    rows = pa.table(columns).cast(_BATCH_SCHEMA)
    anonymous = pc.and_kleene(pc.and_kleene(pc.is_null(rows["number"]), pc.is_null(rows["imei"])),
                              pc.is_null(rows["imsi"]))
    if pc.any(anonymous).as_py():
        labels = rows["source_row"].filter(anonymous).to_pylist()
        result.rejections.extend(zip(labels, ["no subscriber number, IMEI or IMSI"] * len(labels)))
        rows = rows.filter(pc.invert(anonymous))
    return rows


def _category_text(values: pd.Series) -> pa.Array:
    """A column of categories as text, missing as null: ``values.astype(str)``, by the categories' codes."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return _text_array(values.astype(str))
    codes = values.cat.codes.to_numpy()
    names = pa.array([str(c) for c in values.cat.categories], pa.string())
    return names.take(pa.array(codes, mask=codes < 0))


def _text_array(values: pd.Series) -> pa.Array:
    """A text column (pandas text or objects, missing as NaN or None) as one pyarrow string array."""
    arr = pa.Array.from_pandas(values.reset_index(drop=True))
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


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


Answers = tuple[pa.Array, pa.Array, pa.Array]  # per row: as written, normalised, flag


def _rows(ctx: cdr._Context, answers: Callable[[], dict[str, Answers]], keep: np.ndarray) -> dict[str, pa.Array]:
    """Subscriber, other party, identities, kind and cells of the rows at ``keep`` (per distinct value);
    the numbers' answers (``answers()``, per row of the whole batch) are awaited last."""
    roles = ctx.roles
    kind, direction = _kinds(ctx)
    identities = {"imei": _trimmed(ctx, "imei"), "imsi": _trimmed(ctx, "imsi")}
    cells = {"cell_first": _text_array(cdr._cells(ctx, "_first")), "cell_last": _text_array(cdr._cells(ctx, "_last"))}
    numbers = answers()
    at = pa.array(keep, pa.int64())

    def column(role: str) -> Answers | None:
        if role not in numbers:
            return None
        every = len(numbers[role][0]) == len(keep)  # no row of the batch left out: nothing to take
        return numbers[role] if every else tuple(part.take(at) for part in numbers[role])

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
            incoming = pc.equal(direction, "incoming")
            subscriber, other = (tuple(pc.if_else(incoming, o, s) for s, o in zip(subscriber, other)),
                                 tuple(pc.if_else(incoming, s, o) for s, o in zip(subscriber, other)))
    else:
        subscriber, other = column("other_party"), column("party_b")
    missing = _NumberCache.missing(len(keep))
    number_raw, number, number_flag = subscriber or missing
    other_raw, other_number, _ = other or missing
    usable = pc.is_in(number_flag, value_set=pa.array(["valid", "possible", "short_code", "alphanumeric",
                                                       "invalid"]))
    return {
        "number": pc.if_else(usable, number, pa.scalar(None, pa.string())),
        "number_raw": number_raw, "number_flag": number_flag,
        **identities, "other": other_number, "other_raw": other_raw, "kind": kind, "direction": direction,
        **cells,
    }


NUMBER_ROLES = ("target", "party_a", "party_b", "other_party")
_KEYED_FLAGS = pa.array(["possible", "valid"])  # a keyed number's flag, by whether it is valid


class _NumberCache:
    """Each distinct number of the file normalised once (``cdr``'s normalisation), for all batches.

    A dump of millions of rows holds hundreds of thousands of subscribers, each
    on many rows and written several ways. A value written plainly (digits,
    separators, a leading plus) takes its answer from its key (``phone_keys``:
    ``+44 7700 900123`` and ``0044 7700 900123`` share one), worked out the
    first time a batch meets the key; any other value is normalised the first
    time a batch meets it, as written. Every batch takes its rows' answers from
    here by position (all in Arrow and numpy, no Python per row). Memory grows
    with the distinct keys and other values, never with the rows.
    """

    def __init__(self, region: str) -> None:
        self.region = region
        self.keys = NumberKeys(region)
        self.known = pa.array([], pa.large_string())  # values as written, without a key
        self.answers = [pa.array([], pa.string()) for _ in range(3)]  # theirs, at the same positions

    def answers_for(self, column: pd.Series) -> Answers:
        """As written (blank and dashes as missing), normalised and flagged, per row of a batch's column."""
        values = pa.Array.from_pandas(column.reset_index(drop=True).astype(STR))
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = values.cast(pa.large_string()).dictionary_encode()  # the work is per distinct value
        written = encoded.dictionary
        numbers, valid = self.keys.answers(written_keys(written))
        keyed = numbers >= 0
        answers = [written.cast(pa.string()), self.keys.e164(numbers),
                   _KEYED_FLAGS.take(pa.array(valid.view(np.int8)))]
        if not keyed.all():
            mask = pa.array(~keyed)
            others = self._as_written(written.filter(mask))
            answers = [pc.replace_with_mask(part, mask, other) for part, other in zip(answers, others)]
        # One more slot for a missing cell: nothing as written, nothing normalised, flagged blank.
        at = pc.fill_null(encoded.indices, len(written))
        missing = self.missing(1)
        value, flag = (pa.concat_arrays([part, none]).take(at) for part, none in zip(answers[1:], missing[1:]))
        # As written: the column itself when every value has a key (none is a blank or a dash).
        raw = values.cast(pa.string()) if keyed.all() else pa.concat_arrays([answers[0], missing[0]]).take(at)
        return raw, value, flag

    def _as_written(self, values: pa.Array) -> Answers:
        """Answers of distinct values (a batch's, without a key, never missing): each value as written
        normalised once for the file."""
        # Where each known value is among the batch's (hashing the batch's values, not the file's).
        found = pc.index_in(self.known, value_set=values)
        at = np.full(len(values), -1, dtype=np.int64)
        hit = pc.indices_nonzero(pc.is_valid(found))
        at[pc.take(found, hit).to_numpy()] = hit.to_numpy()
        new = np.flatnonzero(at < 0)
        if len(new):
            written = values.take(pa.array(new))
            parts = cdr._normalised(pd.Series(written.to_pylist(), dtype=STR), self.region)
            at[new] = len(self.known) + np.arange(len(new))
            self.answers = [pa.concat_arrays([old, _text_array(part)]) for old, part in zip(self.answers, parts)]
            self.known = pa.concat_arrays([self.known, written])
        rows = pa.array(at)
        raw, value, flag = (part.take(rows) for part in self.answers)
        return raw, value, flag

    @staticmethod
    def missing(n: int) -> Answers:
        """No column: no number on any of ``n`` rows."""
        nothing = pa.nulls(n, pa.string())
        return nothing, nothing, pc.fill_null(nothing, "blank")


def _kinds(ctx: cdr._Context) -> tuple[pa.Array, pa.Array]:
    """Kind and direction from the event code and direction columns, per distinct code."""
    n = len(ctx.table.frame)
    kind, direction = pa.nulls(n, pa.string()), pa.nulls(n, pa.string())
    for role in ("event", "direction"):
        column = ctx.col(role)
        if column is None:
            continue
        if column.dtype == STR:  # its distinct values from Arrow (a quarter of pandas' cost)
            encoded = _text_array(column).dictionary_encode()
            uniques = encoded.dictionary.to_pylist()
            positions = pc.fill_null(encoded.indices, len(uniques))
        else:
            codes, uniques = pd.factorize(column.reset_index(drop=True))
            positions = pa.array(np.where(codes < 0, len(uniques), codes))
        decoded = [cdr.decode_code(str(u).strip()) for u in uniques] + [(None, None)]
        if role == "event":
            kind = pa.array([d[0] for d in decoded], pa.string()).take(positions)
        direction = pc.coalesce(pa.array([d[1] for d in decoded], pa.string()).take(positions), direction)
    return kind, pc.fill_null(direction, "unknown")


def _trimmed(ctx: cdr._Context, role: str) -> pa.Array:
    """A free-text column (IMEI, IMSI) trimmed, blank as missing: ``cdr._text``'s answer, in Arrow."""
    column = ctx.col(role)
    if column is None:
        return pa.nulls(len(ctx.table.frame), pa.string())
    return trimmed_text(_text_array(column.astype(STR)))


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
    source_id = case.next_source_id()
    with _arrow_memory(), SceneRowWriter(case_path, scenestore.file_stem(scene_name, sha256), source_id) as rows:
        # any failure of the content: one line naming the file, and no rows left beside the case
        reader = registry.Importer(FORMAT, "Tower dump (a scene)", (), sniff, partial(read_dump, sink=rows))
        dump = _read(reader, path, options, progress)
        require_stated_zone(dump.result, path, options.case_tz, options.assume_case_tz, timed=dump.imported > 0)
        check(progress)
    return Prepared(path, sha256, dump, source_id, scene_name, rows.relative, rows.sha256(), options)


@contextmanager
def _arrow_memory() -> Iterator[None]:
    """Arrow's buffers from jemalloc while a dump is read and written, where pyarrow has it.

    Four threads (reading ahead, numbers, the rest, writing) make and drop
    hundreds of megabytes of columns per batch; pyarrow's default allocator
    (mimalloc) hands freed pages back to the system at once and takes them
    again, which cost a fifth of the CPU of a million-row dump, where jemalloc
    keeps them a moment for the next batch. The answers are the same either way.
    """
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without it (Windows)
        yield
        return
    before = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        yield
    finally:
        pa.set_memory_pool(before)


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
    summary = dump.summary.as_dict()
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
