"""The call-record importer: finds the header, reads each table, accounts for every row.

See the package's docstring for the approach; this module ties the parts
together: the header row (by the vocabulary, a built-in template, or what lies
under it), the roles of the columns, the times and their zone, the events,
the serving sites the rows state, and which subscriber each row belongs to
(several make a multi-target file, or a tower dump).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from cellsight.importers import tabular
from cellsight.importers.accounting import finish, subscriber_device
from cellsight.importers.base import ImportOptions, ImportResult
from cellsight.importers.cdr.sites import derived_cells, site_rows
from cellsight.importers.cdr.columns import _record_parameters, _roles, _unwrapped, header_by_values
from cellsight.importers.cdr.context import _Context, _stated_target, numbers_ahead
from cellsight.importers.cdr.durations import _duration_from_end, duration_unit, durations_ahead
from cellsight.importers.cdr.events import COMMUNICATION_KINDS, _events
from cellsight.importers.cdr.parties import PartyLayout, subscriber_keys, targets_table
from cellsight.importers.cdr.times import _localise, _sample, _time_reasons, _times
from cellsight.importers.cdr.vocabulary import PARTY_ROLES, column_role, header_groups, header_score, map_columns
from cellsight.importers.registry import importer
from cellsight.importers.templates import Template, builtin_for, template_option
from cellsight.progress import Progress, check

_DATA_EXT = {".csv", ".txt", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls", ".dat", ""}


def sniff(path: Path) -> float:
    """Confidence that ``path`` is call records: a header row naming times and parties or codes."""
    try:
        if path.suffix.lower() not in _DATA_EXT:
            return 0.0
        best = 0.0
        for _sheet, rows in tabular.peek(path):
            for cells in rows:
                groups = header_groups(cells)
                if "time" in groups and groups & {"party", "kind"}:
                    best = max(best, 0.5 + 0.1 * len(groups))
                elif "time" in groups and len(groups) >= 2:
                    best = max(best, 0.3)
            if best == 0 and header_by_values(rows) is not None:
                best = 0.4
        return min(best, 0.9)
    except Exception:  # noqa: BLE001 - a sniffer says "not mine", never crashes detection
        return 0.0


@importer("cdr", "Operator call records (CSV, XLSX, XLS)", ("events",), sniff, priority=10)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    """Read one call-record file into events, rejections and skipped rows."""
    template = template_option(options.template, "cdr")
    progress.update(0, None, f"reading {path.name}")

    def find(rows: list[list[str]]) -> tabular.HeaderChoice | None:
        if template is not None and template.headerless:
            return tabular.headerless(rows, list(template.columns))
        chosen = template
        if chosen is None:
            for cells in rows:
                chosen = builtin_for("cdr", cells)
                if chosen:
                    break
        found = tabular.best_header(rows, lambda cells: header_score(cells, chosen), 2)
        return found if found is not None else header_by_values(rows)

    probe = tabular.probe_head(path.name, lambda head, scratch: _read_table(  # its events only
        head, template or builtin_for("cdr", head.header), options, scratch, path)[0])
    tables, warnings = tabular.read_tables(
        path, find, delimiter=template.delimiter if template else None,
        encoding=template.encoding if template else None, probe=probe)
    check(progress)
    result = ImportResult(format="cdr", warnings=warnings)
    parts, subscribers, sites = [], [], []
    with ThreadPoolExecutor(1, thread_name_prefix="hash-ahead") as hasher:
        for table in tables:
            layout = template or builtin_for("cdr", table.header)
            events, subscriber, stated = _read_table(table, layout, options, result, path, hasher)
            parts.append(events)
            subscribers.append(subscriber)
            if stated is not None:
                sites.append(stated)
            check(progress)
    events = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    result.events = events
    result.row_targets = pd.concat(subscribers, ignore_index=True) if len(subscribers) > 1 \
        else subscribers[0]
    _targets(result)
    result.derived_cells = derived_cells(sites, result.warnings)
    finish(result, path.name, kept=len(events))
    progress.update(1, 1, f"read {path.name}")
    return result


TOWER_DUMP_SUBSCRIBERS = 10  # a tower dump: at least this many subscribers ...
TOWER_DUMP_RATIO = 5  # ... and at least this many subscribers per cell
SMALL_DUMP_CELLS = 3  # or a few subscribers on at most this many cells, undirected


def _targets(result: ImportResult) -> None:
    """The subscribers the records belong to; several make a multi-target file or a tower dump.

    A file of one subscriber states its target (the owner of the records). A
    file of many subscribers seen on few cells (``TOWER_DUMP_SUBSCRIBERS`` or
    more, ``TOWER_DUMP_RATIO`` subscribers a cell or more), or of a few seen on
    at most ``SMALL_DUMP_CELLS`` cells with no direction, is a tower dump:
    everyone who used a mast in a period, never one person's records.
    """
    result.row_targets = subscriber_keys(result.row_targets)
    table = targets_table(result.row_targets)
    layout = result.parameters.get("party_layout")
    named = layout is None or PartyLayout(layout).names_owner
    if len(table) == 1 and named and "target" not in result.parameters:
        result.parameters["target"] = table[0]["number"]
        for key, values in subscriber_device(table[0]["number"]).items():
            result.device.setdefault(key, []).extend(values)
    if len(table) <= 1:
        return
    result.targets = table
    result.parameters["targets"] = table
    events = result.events
    cells = int(pd.concat([events["cell_first"], events["cell_last"]]).dropna().nunique())
    many = len(table) >= TOWER_DUMP_SUBSCRIBERS and cells * TOWER_DUMP_RATIO <= len(table)
    if cells and (many or _dump_shaped(events, cells, len(table))):
        result.tower_dump = {"subscribers": len(table), "cells": cells}


def _dump_shaped(events: pd.DataFrame, cells: int, subscribers: int) -> bool:
    """A small tower dump, told by its shape whatever its size: a few subscribers seen on one to
    three cells, more subscribers than cells, and no row directed relative to its subscriber
    (records of several targets say who called whom; a dump only says who was on the mast)."""
    return cells <= SMALL_DUMP_CELLS and subscribers > cells and \
        bool(events["direction"].eq("unknown").all())


def _list_unplaced_addresses(roles: dict[str, str], sites: pd.DataFrame | None, result: ImportResult) -> None:
    """A site address column places nothing when no row gives the site's position: list it as
    not used, with that reason, rather than leave it neither kept nor listed."""
    if sites is not None and sites["lat"].notna().any():
        return
    for role in ("site_first", "site_last"):
        if role in roles:
            result.parameters.setdefault("unused_columns", []).append(
                {"column": roles[role], "reason": "the serving site's address; no row gives the site's "
                                                  "position, so it places nothing"})


HASH_AHEAD_ROWS = 50_000  # a table this long has its columns' distinct values found on a second core
HASHED_ROLES = ("date", "party_a", "party_b", "other_party", "target", "cell_first", "cell_last",
                "imei", "imsi")  # in the order the times, then the events, are made from them (durations: last)
SAMPLED_ROLES = ("cell_first", "cell_last", "date", "time", "start")  # looked at by their samples (roles, times)


def _hash_ahead(hasher: ThreadPoolExecutor, frame: pd.DataFrame, columns: dict[str, str], options: ImportOptions,
                template: Template | None) -> None:
    """Start the distinct values of the columns of ``HASHED_ROLES`` on ``hasher`` in the order the
    events need them, each party column's numbers (``context.party_numbers``) right after its own,
    and the durations last (they ask for the distinct values only where they are not read by their
    bytes): the second core is the busier, and the events, reaching the durations before the cells'
    keys, read them themselves when it has not begun them (``tabular.per_column``)."""
    for role in HASHED_ROLES:
        if role in columns:
            tabular.hash_ahead(hasher, [frame[columns[role]]])
            if role in PARTY_ROLES:
                numbers_ahead(hasher, frame[columns[role]], options.region)
    if "duration" in columns:
        durations_ahead(hasher, frame[columns["duration"]], duration_unit(columns["duration"], template))


def _read_table(table: tabular.Table, template: Template | None, options: ImportOptions,
                result: ImportResult, path: Path, hasher: ThreadPoolExecutor | None = None
                ) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame | None]:
    """Events of one table, the subscriber (target) each event row belongs to, and the serving
    sites the rows state (``cdr.sites.site_rows``). With ``hasher``, a long table's columns are
    hashed on it ahead of their turn (``tabular.hash_ahead``)."""
    written = table.frame
    ahead = hasher is not None and len(written) >= HASH_AHEAD_ROWS
    if ahead:  # the columns _roles weighs by their codes, then those the header names for the times and events
        by_header = map_columns(table.header, template)
        coded = [written[n] for n in table.header if column_role(n) in ("event", "direction")]
        tabular.hash_ahead(hasher, coded)
        _hash_ahead(hasher, written, by_header, options, template)
        for column in coded + [written[by_header[role]] for role in SAMPLED_ROLES if role in by_header]:
            _sample(column)  # meanwhile, not waited for: the first column's distinct values take as long
    # Every row's label, written here while the second core finds the first column's distinct values
    # (the roles wait for them), rather than after all its columns (the events would wait for it).
    labels = table.labels() if ahead else None
    roles, left = _roles(table, template)
    if ahead:  # as written: a column nothing wraps is the one the events are made from
        _hash_ahead(hasher, written, roles, options, template)
    frame = written if table.plain else _unwrapped(written, roles, table.quotes_only)
    table = tabular.Table(frame=frame, rows=table.rows, header=table.header, sheet=table.sheet,
                          prefix=table.prefix, title=table.title, skipped=table.skipped,
                          broken=table.broken, encoding=table.encoding, delimiter=table.delimiter,
                          plain=table.plain, quotes_only=table.quotes_only)
    ctx = _Context(table, roles, template, options, written=written)
    if ahead and frame is not written:  # the columns unwrapping changed
        _hash_ahead(hasher, frame, roles, options, template)
    ctx.target = _stated_target(ctx)
    if ctx.target:
        result.parameters["target"] = ctx.target
        msisdns = result.device.setdefault("msisdn", [])
        if ctx.target not in msisdns:
            msisdns.append(ctx.target)
    result.skipped.extend(table.skipped)
    result.rejections.extend(table.broken)
    _record_parameters(ctx, result, left)

    times, zone, rule = _times(ctx, result, path)
    readable = times.readable.to_numpy()
    unusable = np.flatnonzero(~readable)
    if len(unusable):  # (taking even no rows of a million-row frame costs a pass over its chunks)
        noise = tabular.noise_reasons(written.iloc[unusable], table.header)
        is_noise = noise.ne("").to_numpy()
        result.skipped.extend(zip(table.labels(unusable[is_noise]), noise[is_noise]))
        bad = unusable[~is_noise]
        if len(bad):
            result.rejections.extend(zip(table.labels(bad), _time_reasons(ctx, bad)))

    keep = np.flatnonzero(readable) if len(unusable) else None  # None: every row (no million positions)
    ctx_rows = ctx if keep is None else ctx.rows(keep)
    utc, flags = _localise(times, keep, zone)
    events, has_party, subscriber = _events(ctx_rows, result)
    if "duration" not in roles and "end" in roles:
        naive = times.naive if keep is None else times.naive.iloc[keep]
        from_end = _duration_from_end(ctx_rows, naive, times.month_first)
        events["duration_s"] = events["duration_s"].fillna(from_end)
    events["start"] = utc.reset_index(drop=True)
    events["time_flag"] = flags.reset_index(drop=True)
    if labels is None:
        labels = ctx_rows.table.labels()
    elif keep is not None:  # the rows kept: their labels taken, not written again
        labels = labels.iloc[keep].reset_index(drop=True)
    events["source_row"] = labels
    sites = site_rows(ctx_rows.table.frame, roles, events)
    _list_unplaced_addresses(roles, sites, result)

    needs_party = tabular.in_categories(events["kind"], COMMUNICATION_KINDS) & ~has_party
    if needs_party.any():
        result.rejections.extend(zip(events.loc[needs_party, "source_row"],
                                     "no party number for a " + events.loc[needs_party, "kind"].astype(str)))
        events = events[~needs_party].reset_index(drop=True)
        subscriber = subscriber[~needs_party].reset_index(drop=True)
        if sites is not None:
            sites = sites[sites["source_row"].isin(set(events["source_row"]))]
    result.tz, result.tz_rule = zone, rule
    return events, subscriber, sites


