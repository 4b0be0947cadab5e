"""Import orchestration: the one road every file takes into a case.

``import_file`` hashes the file, refuses one already in the case, picks the
importer (forced or detected from content), reads the file, checks that every
candidate row is accounted for, decides whose records they are, and adds the
rows and the source record to the case whole or not at all. Whatever goes
wrong with a file's content becomes one ``ImportFailure`` naming the file, so
the command line prints one line and the GUI one message, never a traceback.

``unlinked_cells`` lists the cells that events name but no imported cell list
places: they are counted per source, never dropped, and link by themselves
once a list holding them is imported.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellsight import __version__
from cellsight.core import device_records, schema
from cellsight.core.case import Case, CaseError, Source, utc_stamp
from cellsight.core.casefile import file_sha256
from cellsight.core.cellkeys import resolve
from cellsight.core.phone import is_normalised, normalise
from cellsight.core.timezones import (check_zone, implausible_durations, iso_local_series,
                                     outside_accepted, outside_reason)
from cellsight.importers import filepass, registry, tabular
from cellsight.importers.accounting import check_accounted, records_read, subscriber_device
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.importers.cellcounts import NamedCells, named_cells
from cellsight.importers.safety import check_archive, is_zip
from cellsight.importers.timebasis import chosen_by, corrected_rule, report_clock_checks, require_stated_zone
from cellsight.progress import Cancelled, NullProgress, Progress, check

NETWORK_FORMATS = ("cdr",)  # records whose owner is the target number, not a device


class MultipleTargets(ImportFailure):
    """Operator records of several subscribers, imported neither split nor for one target."""

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report  # file, path, sha256, format, rows, targets: what --json prints


def import_file(case: Case, path: str | os.PathLike[str], *, subject: str | None = None,
                format: str | None = None, template: str | os.PathLike[str] | None = None,
                tz: str | None = None, region: str | None = None,
                progress: Progress | None = None, exhibit: str = "",
                split_by_target: bool = False, target: str | None = None,
                assume_case_tz: bool = False, correction: bool = False) -> dict[str, Any]:
    """Import one file into ``case``; returns the contract's per-file report.

    Times that state no zone need ``tz`` (the zone they are in) or
    ``assume_case_tz`` (the case's zone, recorded as assumed); without either
    such a file is refused (``importers.timebasis``).

    A file of several subscribers' records (a request by IMEI, a bulk return)
    is refused with ``MultipleTargets`` unless ``split_by_target`` (one source
    per target, each owned by the subject with that number or a new one; the
    report then lists them under ``sources``) or ``target`` (that subscriber's
    rows only; the others are listed as skipped). A tower dump is refused.
    Raises ImportFailure (nothing changed) when the file cannot be used at all.
    """
    progress = progress or NullProgress()
    path = Path(path)
    if not path.is_file():
        raise ImportFailure(f"{path.name}: no such file ({path})")
    if tz:
        check_zone(tz)
    if split_by_target and (target or subject):
        raise ImportFailure(f"{path.name}: --split-by-target gives each target its own subject; "
                            "it cannot be combined with --target or --subject")
    region = (region or case.info.region).upper()
    wanted = _wanted_target(target, region, path) if target else None
    # The file is hashed while it is parsed (hashlib lets go of the GIL): a second read of a
    # large exhibit costs a core rather than time. A file already in the case is refused after.
    with ThreadPoolExecutor(1, thread_name_prefix="sha256") as hasher:
        if template and not format:
            format = _template_format(Path(template))  # a template says which importer reads its layout
        chosen = _importer(format, path)
        known = case.find_subject(subject) if subject else None
        _refuse_other_subjects_target(known, wanted, path)
        options = ImportOptions(
            case_tz=case.info.tz, region=region, tz=tz,
            template=Path(template) if template else None,
            subject=known.name if known else subject,
            subject_numbers=frozenset(known.numbers) if known else frozenset(),
            assume_case_tz=assume_case_tz, correction=correction)
        digest = _digest_ahead(hasher, chosen, path)
        result = _read(chosen, path, options, progress)
        require_stated_zone(result, path, case.info.tz, assume_case_tz)
        reject_outside_times(result)  # (these two while the digest may still be worked out)
        warn_implausible_durations(result)
        sha256 = digest.result()
    _refuse_repeat(case, path, sha256, wanted, split_by_target)
    check(progress)
    done = {s.parameters.get("file_target") for s in case.sources if s.sha256 == sha256}
    parts = _parts(result, path, sha256, wanted, split_by_target, done)
    read = check_accounted(path.name, result, parts)

    # From here the case changes: subjects, then the sources; any failure puts it back. Meanwhile a
    # second core counts the cells each part's events name, for the warning about unplaced cells.
    before = (copy.deepcopy(case.subjects), len(case.audit), dict(case.tables), list(case.sources))
    reports = []
    with ThreadPoolExecutor(1, thread_name_prefix="named-cells") as counter:
        named = [counter.submit(named_cells, part.events["cell_first"], part.events["cell_last"])
                 if chosen.name in NETWORK_FORMATS and len(part.events) else None for part in parts]
        try:
            for part in parts:
                owner = _owner(case, part, subject, path, region)
                source = _source(case, path, sha256, chosen.name, owner, part, options)
                source.exhibit = exhibit.strip()
                frames = _frames(part, source.id, owner, case)
                case.add_source(source, frames)
                reports.append(_report(source, part, frames))
        except BaseException:
            case.subjects = before[0]
            case.tables = before[2]
            case.tables["audit"] = case.audit.iloc[:before[1]]
            case.sources = before[3]
            raise
        for report, source, cells in zip(reports, case.sources[-len(reports):], named):
            _warn_unlinked(case, source, report, cells.result() if cells is not None else None)
            report_clock_checks(case, source, report)
    final = reports[0] if len(reports) == 1 else _combined(reports, result)
    return {**final, "records_read": read}


def _wanted_target(target: str, region: str, path: Path) -> str:
    """The target as the targets table names it: E.164 for a telephone number, else as written
    (an IMSI, an ICCID, a long M2M MSISDN, a pseudonymised id)."""
    value, flag = normalise(target, region)
    if is_normalised(flag):
        return value
    if flag in ("blank", "withheld"):
        raise ImportFailure(f"{path.name}: --target {target!r} names no subscriber")
    return target.strip()


def _refuse_other_subjects_target(known: Any, wanted: str | None, path: Path) -> None:
    """``--target N --subject X``: refused when X already has numbers or identifiers and N is none
    of them, so that one person's records are never put on another subject."""
    if known is None or not wanted:
        return
    own = list(known.numbers) + list(known.ids)
    if own and wanted not in own:
        raise ImportFailure(f"{path.name}: --target {wanted} is not one of subject {known.name!r}'s "
                            f"numbers ({', '.join(own[:5])}); choose the subject whose records these "
                            "are, or add the number to the subject first (cellsight subject)")


def _refuse_repeat(case: Case, path: Path, sha256: str, wanted: str | None, split: bool) -> None:
    """Refuse a file already in the case, unless this is another target's part of it."""
    earlier = [s for s in case.sources if s.sha256 == sha256]
    if not earlier:
        return
    targets = [s.parameters.get("file_target") for s in earlier]
    ids = ", ".join(s.id for s in earlier)
    if all(targets) and (split or wanted and wanted not in targets):
        return  # another target's part; a split leaves out the targets already imported
    what = f" (target {wanted})" if wanted and wanted in targets else \
        " (split by target)" if all(targets) and len(targets) > 1 else ""
    raise ImportFailure(f"{path.name}: already imported as source{'s' if len(earlier) > 1 else ''} "
                        f"{ids}{what} ({earlier[0].file}, same SHA-256)")


def tower_dump_message(path: Path, dump: dict[str, int]) -> str:
    return (f"{path.name}: looks like a tower dump ({dump['subscribers']:,} subscribers on "
            f"{dump['cells']:,} cell{'s' if dump['cells'] != 1 else ''}): everyone seen on a mast, never "
            f"one person's records; import it as a scene with `cellsight scene CASE FILE --name NAME`")


def _parts(result: ImportResult, path: Path, sha256: str, wanted: str | None,
           split: bool, done: set[str | None]) -> list[ImportResult]:
    """The result as one part per source: the whole file, one target's rows, or one per target
    (less the targets ``done``, imported from this file before)."""
    if result.tower_dump:
        raise ImportFailure(tower_dump_message(path, result.tower_dump))
    numbers = [t["number"] for t in result.targets]
    if wanted and result.targets and wanted not in numbers:
        raise ImportFailure(f"{path.name}: {wanted} is not one of the file's targets "
                            f"({', '.join(numbers[:10])})")
    if wanted and not result.targets:
        stated = result.parameters.get("target")
        if stated and stated != wanted:
            raise ImportFailure(f"{path.name}: the records are {stated}'s, not {wanted}'s")
        return [result]
    if not result.targets:
        return [result]
    if wanted:
        return [_part(result, wanted, keep_file_rows=True, others_skipped=True)]
    if split:
        todo = [n for n in numbers if n not in done]
        if not todo:
            raise ImportFailure(f"{path.name}: every target of the file is already imported")
        if len(todo) < len(numbers):
            result.warnings.append(f"{len(numbers) - len(todo)} of the file's {len(numbers)} targets were "
                                   "imported before and are left out")
        parts = [_part(result, n, keep_file_rows=(i == 0 and not done), others_skipped=False,
                       index=(numbers.index(n) + 1, len(numbers))) for i, n in enumerate(todo)]
        if done:
            _skip_imported_before(parts[0], result, [n for n in numbers if n in done])
        return parts
    listing = ", ".join(f"{t['number']} ({t['rows']:,} rows)" for t in result.targets[:10])
    more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
    report = {"file": path.name, "path": str(path.absolute()), "sha256": sha256, "format": result.format,
              "subject": None, "rows": result.rows, "imported": 0, "rejected": 0,
              "records_read": records_read(result),
              "targets": list(result.targets),
              "unused_columns": _unused(result), "error": "several subscribers"}
    by = result.parameters.get("targets_by")
    raise MultipleTargets(f"{path.name}: holds the records of {len(numbers)} subscribers"
                          f"{' told apart by ' + by if by else ''} ({listing}{more}); "
                          "import them one source per target (--split-by-target) or one of them "
                          "(--target NUMBER)", report)


def _part(result: ImportResult, number: str, *, keep_file_rows: bool, others_skipped: bool,
          index: tuple[int, int] | None = None) -> ImportResult:
    """One target's rows of a multi-target result, as a result of its own.

    ``keep_file_rows``: this part also carries the file's title/footer rows, its
    rejections (whose target cannot be read) and the rows of no target; the
    other parts carry only their target's events. ``others_skipped``: the other
    targets' rows are listed as skipped (``--target``).
    """
    mine, nobody = _whose_rows(result, number)
    events = result.events
    part = copy.copy(result)
    part.events = events[mine].reset_index(drop=True)
    part.row_targets = result.row_targets[mine].reset_index(drop=True)
    part.targets, part.device = [], subscriber_device(number)
    part.parameters = {**result.parameters, "target": number, "file_target": number}
    if index is not None:
        part.parameters["split_by_target"] = {"part": index[0], "of": index[1]}
    skipped: list[tuple[str, str]] = []
    if keep_file_rows:
        skipped = list(result.skipped)
        skipped += [(row, "whose record it is cannot be told (the row names no target)")
                    for row in events.loc[nobody, "source_row"]]
    else:
        part.rejections = []
    part.derived_cells = _own_derived_cells(result.derived_cells, part.events)
    if others_skipped:
        other = ~mine & ~nobody
        skipped += [(row, f"a record of another subscriber ({who})") for row, who in
                    zip(events.loc[other, "source_row"], result.row_targets[other])]
    part.skipped = tabular.in_row_order(skipped)
    part.rows = len(part.events) + len(part.rejections)
    return part


def _own_derived_cells(derived: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """The serving sites that a part's own rows state: never a position read from another
    subscriber's row (skipped with --target, or another source's when split)."""
    if not len(derived):
        return derived
    own = derived["source_row"].isin(set(events["source_row"]))
    return derived[own.to_numpy(dtype=bool)].reset_index(drop=True)


def _whose_rows(result: ImportResult, number: str) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the events rows of target ``number``, and of the rows of no listed target (the
    row's subscriber is blank, withheld or unreadable): every row is in one, or another target's."""
    mine = result.row_targets.eq(number).fillna(False).to_numpy(dtype=bool)
    return mine, _of_no_target(result)


def _of_no_target(result: ImportResult) -> np.ndarray:
    listed = [t["number"] for t in result.targets]
    return ~result.row_targets.isin(listed).fillna(False).to_numpy(dtype=bool)


def _skip_imported_before(part: ImportResult, result: ImportResult, before: list[str]) -> None:
    """A split resumed after some targets went in: the first new part lists, as skipped, the rows
    that the earlier import of this file accounted for (those targets' rows, the file's own skipped
    and rejected rows, the rows of no target), so that every row of the file is still named."""
    earlier = result.row_targets.isin(before).fillna(False).to_numpy(dtype=bool)
    rows = list(result.events.loc[earlier | _of_no_target(result), "source_row"])
    rows += [row for row, _ in result.skipped] + [row for row, _ in result.rejections]
    reason = "accounted for when this file was imported before (split by target)"
    part.skipped = tabular.in_row_order(part.skipped + [(row, reason) for row in rows])


def _combined(reports: list[dict[str, Any]], result: ImportResult) -> dict[str, Any]:
    """One report for a file imported as several sources (split by target)."""
    first = reports[0]
    kinds: dict[str, int] = {}
    for r in reports:
        for k, n in r["kinds"].items():
            kinds[k] = kinds.get(k, 0) + n
    return {**first, "subject": None, "source_id": first["source_id"],
            "rows": sum(r["rows"] for r in reports), "imported": sum(r["imported"] for r in reports),
            "rejected": sum(r["rejected"] for r in reports),
            "rejections": [x for r in reports for x in r["rejections"]],
            "skipped": [x for r in reports for x in r["skipped"]],
            "kinds": kinds, "target": None, "targets": list(result.targets),
            "warnings": list(dict.fromkeys(w for r in reports for w in r["warnings"])),
            "derived_cells": sum(r["derived_cells"] for r in reports),
            "sources": [{k: r[k] for k in ("source_id", "target", "subject", "rows", "imported",
                                           "rejected", "kinds")} for r in reports]}


def file_digest(path: Path) -> str:
    """The SHA-256 of an exhibit; ImportFailure naming the file if it cannot be read."""
    try:
        return file_sha256(path)
    except OSError as exc:
        raise ImportFailure(f"{path.name}: cannot be read ({exc.strerror or exc})") from None


def new_file_digest(case: Case, path: Path) -> str:
    """The SHA-256 of a file the case does not hold yet; ImportFailure if it does, or if unreadable."""
    sha256 = file_digest(path)
    _refuse_repeat(case, path, sha256, None, False)
    return sha256


def _template_format(template: Path) -> str:
    from cellsight.importers.templates import TemplateError, load_template

    try:
        return load_template(template).format
    except TemplateError as exc:
        raise ImportFailure(str(exc)) from None


def _importer(format_name: str | None, path: Path) -> registry.Importer:
    """The forced importer, or the one most confident it can read the file."""
    if format_name:
        return registry.get(format_name)
    try:
        return registry.detect(path)
    except ImportFailure:
        if is_zip(path):
            check_archive(path)  # a zip bomb says so, not merely "not a format"
        raise
    except Exception as exc:  # noqa: BLE001 - a faulty sniffer must not crash an import
        raise ImportFailure(f"{path.name}: cannot tell what format this is ({exc}); "
                            "choose the format (--format)") from exc


WHOLE_CSV_READERS = frozenset({"cdr"})  # importers that parse a CSV whole (not in batches)


def _digest_ahead(hasher: ThreadPoolExecutor, chosen: registry.Importer, path: Path) -> Future[str]:
    """The file's SHA-256, worked out on ``hasher``: for a CSV parsed whole, in one pass with the
    marks its parse is checked by (``importers.filepass``), else from the file."""
    if chosen.name in WHOLE_CSV_READERS and tabular.kind_of(path) == "csv":
        return filepass.read_ahead(path, hasher)
    return hasher.submit(file_digest, path)


def _read(chosen: registry.Importer, path: Path, options: ImportOptions,
          progress: Progress) -> ImportResult:
    """Run the importer; any failure of the content becomes one ImportFailure naming the file."""
    failed = True
    try:
        result = chosen.read(path, options, progress)
        failed = False
        return result
    except ImportFailure as exc:
        if str(exc).startswith(path.name):
            raise
        raise ImportFailure(f"{path.name}: {exc}") from exc  # every failure names its file
    except Cancelled:
        raise
    except MemoryError:
        raise ImportFailure(f"{path.name}: too large to import in the memory available") from None
    except Exception as exc:  # noqa: BLE001 - malformed input raises anything; report it in one line
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportFailure(f"{path.name}: cannot be read as {chosen.name} ({detail})") from exc
    finally:
        filepass.forget(failed)


def reject_outside_times(result: ImportResult) -> None:
    """Move rows whose time is outside the accepted years (1900-2100) to the rejections.

    The location and phone importers reject such times themselves, quoting
    them as written; this applies the same rule (``core.timezones``) to every
    importer, call records and plug-ins included, so that no output or analysis
    ever meets a time it cannot write.
    """
    for table, column in (("events", "start"), ("locations", "time")):
        frame = getattr(result, table)
        if not len(frame):
            continue
        outside = outside_accepted(frame[column])
        if not outside.any():
            continue
        written = iso_local_series(frame[column][outside], "UTC")
        result.rejections.extend(
            (str(row), outside_reason(text))
            for row, text in zip(frame["source_row"][outside], written))
        setattr(result, table, frame[~outside].reset_index(drop=True))


def warn_implausible_durations(result: ImportResult, listed: int = 10) -> None:
    """Warn, naming the rows, of durations that are negative or longer than 24 hours.

    They are kept as the file wrote them (a clock or a switch may have erred,
    and the officer should see what the exhibit says); the warning makes sure
    nobody adds them up unseen.
    """
    events = result.events
    if not len(events) or "duration_s" not in events:
        return
    odd = implausible_durations(events["duration_s"])
    if not odd.any():
        return
    rows = [str(r) for r in events["source_row"][odd].head(listed)]
    more = f" and {int(odd.sum()) - listed} more" if odd.sum() > listed else ""
    result.warnings.append(f"{int(odd.sum())} durations are negative or longer than 24 hours "
                           f"(rows {', '.join(rows)}{more}); kept as written: check them")


def _owner(case: Case, result: ImportResult, given: str | None, path: Path, region: str) -> str:
    """Whose rows these are (the contract's rules), attaching device identifiers to them.

    ``--subject``; else the subject already holding the device's (or the
    records' target) number or IMEI; else a new subject named after the device's
    owner or model, or the number; rows that belong to nobody (a cell list) need
    no one; anything else is refused with a request for ``--subject``.
    """
    personal = (any(len(t) for t in (result.events, result.locations, result.contacts))
                or bool(result.parameters.get("device_records")))  # a phone's apps and networks are its owner's
    if not personal:
        return ""  # a cell list belongs to no one, whatever --subject says
    device = {k: [str(v).strip() for v in vals if v and str(v).strip()]
              for k, vals in result.device.items()}
    numbers = _device_numbers(device.get("msisdn", []), region)
    imeis, ids = device.get("imei", []), device.get("ids", [])
    known = case.subject_by_identifier(numbers, imeis, ids) if numbers or imeis or ids else None
    if given:
        subject, _ = case.subject_for(given)
    elif known is not None:
        subject = known
    elif numbers or imeis or ids or device.get("owner") or device.get("model"):
        subject, _ = case.subject_for(_device_name(device, numbers, imeis, ids))
    else:
        what = " (it states no target number)" if result.format in NETWORK_FORMATS else ""
        raise ImportFailure(f"{path.name}: the file does not say whose records these are{what}; "
                            "choose the subject (--subject)")
    if numbers or imeis or ids:
        try:
            case.set_subject(subject.name, numbers=numbers, imeis=imeis, ids=ids)
        except CaseError as exc:
            raise ImportFailure(f"{path.name}: {exc}") from None
    return subject.name


def _device_numbers(written: list[str], region: str) -> list[str]:
    out = []
    for raw in written:
        value, flag = normalise(raw, region)
        if is_normalised(flag) and value not in out:
            out.append(value)
    return out


def _device_name(device: dict[str, list[str]], numbers: list[str], imeis: list[str],
                 ids: list[str]) -> str:
    for key in ("owner", "model"):
        if device.get(key):
            return device[key][0]
    return numbers[0] if numbers else f"IMEI {imeis[0]}" if imeis else ids[0]


def _source(case: Case, path: Path, sha256: str, format_name: str, owner: str,
            result: ImportResult, options: ImportOptions) -> Source:
    parameters = {"region": options.region, "tz_option": options.tz, **chosen_by(case, options),
                  "template": str(options.template) if options.template else None,
                  "subject_option": options.subject, **result.parameters}
    return Source(
        id=case.next_source_id(), file=path.name, path=str(path.absolute()), sha256=sha256,
        size=path.stat().st_size, format=format_name, subject=owner, declared_tz=result.tz,
        tz_rule=corrected_rule(result.tz_rule, options), parameters=_jsonable(parameters), rows=result.rows,
        imported=result.imported, rejected=result.rejected, kinds=result.kinds(),
        skipped=[{"row": str(r), "reason": str(why)} for r, why in result.skipped],
        warnings=list(result.warnings), imported_at=utc_stamp(), version=__version__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _frames(result: ImportResult, source_id: str, owner: str, case: Case) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    derived = _new_positions(result.derived_cells, case)
    cells = result.cells if not len(derived) else \
        pd.concat([result.cells, derived], ignore_index=True) if len(result.cells) else derived
    for name in ("events", "locations", "contacts", "cells"):
        frame = cells if name == "cells" else getattr(result, name)
        if len(frame):
            frame = _complete(frame, name)
            frame["source_id"] = _constant_category(source_id, len(frame))
            if "subject" in schema.TABLES[name]:
                frame["subject"] = _constant_category(owner or None, len(frame))
            frames[name] = frame
    if result.rejections:
        rows, reasons = zip(*result.rejections)
        frames["rejections"] = pd.DataFrame({"source_id": [source_id] * len(rows),
                                             "row": [str(r) for r in rows],
                                             "reason": [str(r) for r in reasons]})
    return frames


def _new_positions(derived: pd.DataFrame, case: Case) -> pd.DataFrame:
    """Serving sites read from call records, less the cells the case already places (by a list, or
    by another file's records)."""
    if not len(derived) or case.cells.empty:
        return derived
    placed = resolve(derived["key"].astype(object), case.cells).to_numpy() >= 0
    return derived[~placed].reset_index(drop=True)


def _unused(result: ImportResult) -> list[dict[str, str]]:
    return [{"column": str(u["column"]), "reason": str(u["reason"])}
            for u in result.parameters.get("unused_columns", []) if isinstance(u, dict)]


def _constant_category(value: str | None, n: int) -> pd.Categorical:
    if value is None:
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=[])
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def _complete(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The frame with every schema column, missing ones as typed empty columns (cheap to conform)."""
    frame = frame.reset_index(drop=True)
    missing = {}
    for name, dtype in schema.TABLES[table].items():
        if name in frame.columns or name in ("source_id", "subject"):
            continue
        if isinstance(dtype, pd.CategoricalDtype) or dtype == schema.FREE_CATEGORY:
            categories = list(dtype.categories) if isinstance(dtype, pd.CategoricalDtype) else []
            missing[name] = pd.Categorical.from_codes(np.full(len(frame), -1, dtype=np.int8),
                                                      categories=categories)
        elif dtype == schema.UTC_TIME:
            missing[name] = pd.Series(pd.NaT, index=frame.index, dtype=schema.UTC_TIME)
        elif dtype == schema.STR:
            missing[name] = schema.missing_text(frame.index)
        else:
            missing[name] = pd.Series(pd.NA, index=frame.index, dtype=dtype)
    return frame.assign(**missing) if missing else frame.copy()


def _report(source: Source, result: ImportResult, frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    cells = frames.get("cells")
    derived = int(cells["from_records"].fillna(False).sum()) if cells is not None and \
        "from_records" in cells else 0
    return {
        "file": source.file, "path": source.path, "sha256": source.sha256, "format": source.format,
        "subject": source.subject or None, "rows": source.rows, "imported": source.imported,
        "rejected": source.rejected,
        "rejections": [{"row": str(r), "reason": str(why)} for r, why in result.rejections],
        "skipped": list(source.skipped), "kinds": dict(source.kinds),
        "warnings": list(source.warnings), "source_id": source.id, "exhibit": source.exhibit,
        "tz": source.declared_tz, "tz_rule": source.tz_rule,
        "unused_columns": _unused(result), "target": source.parameters.get("file_target"),
        "derived_cells": derived,
        **({"targets": source.parameters["targets"]} if "targets" in source.parameters else {}),
        **({"device_records": held} if (held := device_records.counts(source)) else {}),
    }


UNPLACED_ADVICE = "import a cell list to place them"  # ends the warning, which a later cell list may answer


def unplaced_cells_warning(case: Case, source_id: str, named: NamedCells | None = None) -> str | None:
    """The warning that a source's events name cells no imported list places (None when all are placed).

    ``named``: the cells the source's events name, if already counted (``named_cells`` of the rows
    the source added, in their order)."""
    if named is None:
        events = case.events[["cell_first", "cell_last"]]
        mine = case.events["source_id"].eq(source_id).to_numpy()
        if not mine.all():  # a case of one source's events: no million-row copy to select them
            events = events[mine]
        named = _named(events)
    unlinked = _unplaced(case, named)
    if not unlinked.any():
        return None
    events_n, cells_n = int(named.naming(unlinked).sum()), int(unlinked.sum())
    return (f"{events_n} event{'s name' if events_n != 1 else ' names'} {cells_n} "
            f"cell{'s' if cells_n != 1 else ''} that no cell list places yet; {UNPLACED_ADVICE}")


def _warn_unlinked(case: Case, source: Source, report: dict[str, Any], named: NamedCells | None) -> None:
    """Say when a source's events name cells that no imported list places (yet)."""
    if source.format not in NETWORK_FORMATS:
        return
    message = unplaced_cells_warning(case, source.id, named)
    if message is None:
        return
    report["warnings"].append(message)
    source.warnings.append(message)


def _named(events: pd.DataFrame) -> NamedCells:
    return named_cells(events["cell_first"], events["cell_last"])


def _unplaced(case: Case, cells: NamedCells) -> np.ndarray:
    """Which of ``cells`` no imported cell list places."""
    return resolve(cells.keys, case.cells).to_numpy() < 0


def unlinked_cells(case: Case, source_ids: list[str] | None = None) -> pd.DataFrame:
    """Cells named by events that link to no listed cell: ``source_id, cell, events``.

    An event counts once per cell it names (its first cell and, when different,
    its last). Worked out per distinct cell key.
    """
    events = case.events[["source_id", "cell_first", "cell_last"]]  # only what is counted, never copied whole
    if source_ids is not None:
        events = events[events["source_id"].isin(source_ids).to_numpy()]
    parts = []
    for source_id, group in events.groupby("source_id", observed=True):
        cells = _named(group)
        unlinked = _unplaced(case, cells)
        if not len(cells.keys):
            continue
        parts.append(pd.DataFrame({"source_id": str(source_id), "cell": cells.keys[unlinked].to_numpy(),
                                   "events": cells.events[unlinked]}))
    if not parts:
        return pd.DataFrame({"source_id": pd.Series([], dtype=object),
                             "cell": pd.Series([], dtype=object),
                             "events": pd.Series([], dtype="int64")})
    return pd.concat(parts, ignore_index=True).sort_values(["source_id", "cell"], ignore_index=True)
