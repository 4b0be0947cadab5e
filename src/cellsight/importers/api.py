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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cellsight import __version__
from cellsight.core import schema
from cellsight.core.case import Case, CaseError, Source, utc_stamp
from cellsight.core.casefile import file_sha256
from cellsight.core.cellkeys import resolve
from cellsight.core.phone import is_normalised, normalise
from cellsight.core.timezones import check_zone
from cellsight.importers import registry
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.progress import Cancelled, NullProgress, Progress, check

NETWORK_FORMATS = ("cdr",)  # records whose owner is the target number, not a device


def import_file(case: Case, path: str | os.PathLike[str], *, subject: str | None = None,
                format: str | None = None, template: str | os.PathLike[str] | None = None,
                tz: str | None = None, region: str | None = None,
                progress: Progress | None = None, exhibit: str = "") -> dict[str, Any]:
    """Import one file into ``case``; returns the contract's per-file report.

    Raises ImportFailure (nothing changed) when the file cannot be used at all.
    """
    progress = progress or NullProgress()
    path = Path(path)
    if not path.is_file():
        raise ImportFailure(f"{path.name}: no such file ({path})")
    if tz:
        check_zone(tz)
    region = (region or case.info.region).upper()
    sha256 = new_file_digest(case, path)
    if template and not format:
        format = _template_format(Path(template))  # a template says which importer reads its layout
    chosen = _importer(format, path)
    known = case.find_subject(subject) if subject else None
    options = ImportOptions(
        case_tz=case.info.tz, region=region, tz=tz,
        template=Path(template) if template else None,
        subject=known.name if known else subject,
        subject_numbers=frozenset(known.numbers) if known else frozenset())
    result = _read(chosen, path, options, progress)
    check(progress)
    result.check(path.name)

    # From here the case changes: subjects, then the source; any failure puts it back.
    before = (copy.deepcopy(case.subjects), len(case.audit))
    try:
        owner = _owner(case, result, subject, path, region)
        source = _source(case, path, sha256, chosen.name, owner, result, options)
        source.exhibit = exhibit.strip()
        frames = _frames(result, source.id, owner)
        case.add_source(source, frames)
    except BaseException:
        case.subjects = before[0]
        case.tables["audit"] = case.audit.iloc[:before[1]]
        raise
    report = _report(source, result)
    _warn_unlinked(case, source, report)
    return report


def new_file_digest(case: Case, path: Path) -> str:
    """The SHA-256 of a file the case does not hold yet; ImportFailure if it does, or if unreadable."""
    try:
        sha256 = file_sha256(path)
    except OSError as exc:
        raise ImportFailure(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    earlier = case.source_by_hash(sha256)
    if earlier is not None:
        raise ImportFailure(f"{path.name}: already imported as source {earlier.id} "
                            f"({earlier.file}, same SHA-256)")
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
        raise
    except Exception as exc:  # noqa: BLE001 - a faulty sniffer must not crash an import
        raise ImportFailure(f"{path.name}: cannot tell what format this is ({exc}); "
                            "choose the format (--format)") from exc


def _read(chosen: registry.Importer, path: Path, options: ImportOptions,
          progress: Progress) -> ImportResult:
    """Run the importer; any failure of the content becomes one ImportFailure naming the file."""
    try:
        return chosen.read(path, options, progress)
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


def _owner(case: Case, result: ImportResult, given: str | None, path: Path, region: str) -> str:
    """Whose rows these are (the contract's rules), attaching device identifiers to them.

    ``--subject``; else the subject already holding the device's (or the
    records' target) number or IMEI; else a new subject named after the device's
    owner or model, or the number; rows that belong to nobody (a cell list) need
    no one; anything else is refused with a request for ``--subject``.
    """
    personal = any(len(t) for t in (result.events, result.locations, result.contacts))
    if not personal:
        return ""  # a cell list belongs to no one, whatever --subject says
    device = {k: [str(v).strip() for v in vals if v and str(v).strip()]
              for k, vals in result.device.items()}
    numbers = _device_numbers(device.get("msisdn", []), region)
    imeis = device.get("imei", [])
    known = case.subject_by_identifier(numbers, imeis) if numbers or imeis else None
    if given:
        subject, _ = case.subject_for(given)
    elif known is not None:
        subject = known
    elif numbers or imeis or device.get("owner") or device.get("model"):
        subject, _ = case.subject_for(_device_name(device, numbers, imeis))
    else:
        what = " (it states no target number)" if result.format in NETWORK_FORMATS else ""
        raise ImportFailure(f"{path.name}: the file does not say whose records these are{what}; "
                            "choose the subject (--subject)")
    if numbers or imeis:
        try:
            case.set_subject(subject.name, numbers=numbers, imeis=imeis)
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


def _device_name(device: dict[str, list[str]], numbers: list[str], imeis: list[str]) -> str:
    for key in ("owner", "model"):
        if device.get(key):
            return device[key][0]
    return numbers[0] if numbers else f"IMEI {imeis[0]}"


def _source(case: Case, path: Path, sha256: str, format_name: str, owner: str,
            result: ImportResult, options: ImportOptions) -> Source:
    parameters = {"region": options.region, "tz_option": options.tz,
                  "template": str(options.template) if options.template else None,
                  "subject_option": options.subject, **result.parameters}
    return Source(
        id=case.next_source_id(), file=path.name, path=str(path.absolute()), sha256=sha256,
        size=path.stat().st_size, format=format_name, subject=owner, declared_tz=result.tz,
        tz_rule=result.tz_rule, parameters=_jsonable(parameters), rows=result.rows,
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


def _frames(result: ImportResult, source_id: str, owner: str) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    for name in ("events", "locations", "contacts", "cells"):
        frame = getattr(result, name)
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
        else:
            missing[name] = pd.Series(np.nan if dtype == schema.STR else pd.NA, index=frame.index,
                                      dtype=dtype)
    return frame.assign(**missing) if missing else frame.copy()


def _report(source: Source, result: ImportResult) -> dict[str, Any]:
    return {
        "file": source.file, "path": source.path, "sha256": source.sha256, "format": source.format,
        "subject": source.subject or None, "rows": source.rows, "imported": source.imported,
        "rejected": source.rejected,
        "rejections": [{"row": str(r), "reason": str(why)} for r, why in result.rejections],
        "skipped": list(source.skipped), "kinds": dict(source.kinds),
        "warnings": list(source.warnings), "source_id": source.id, "exhibit": source.exhibit,
        "tz": source.declared_tz, "tz_rule": source.tz_rule,
    }


def _warn_unlinked(case: Case, source: Source, report: dict[str, Any]) -> None:
    """Say when a source's events name cells that no imported list places (yet)."""
    if source.format not in NETWORK_FORMATS:
        return
    unlinked = unlinked_cells(case, source_ids=[source.id])
    if unlinked.empty:
        return
    events = case.events[case.events["source_id"].eq(source.id).to_numpy()]
    named = events["cell_first"].isin(unlinked["cell"]) | events["cell_last"].isin(unlinked["cell"])
    events_n, cells_n = int(named.sum()), len(unlinked)
    message = (f"{events_n} event{'s name' if events_n != 1 else ' names'} {cells_n} "
               f"cell{'s' if cells_n != 1 else ''} that no cell list places yet; "
               "import a cell list to place them")
    report["warnings"].append(message)
    source.warnings.append(message)


def unlinked_cells(case: Case, source_ids: list[str] | None = None) -> pd.DataFrame:
    """Cells named by events that link to no listed cell: ``source_id, cell, events``.

    An event counts once per cell it names (its first cell and, when different,
    its last). Worked out per distinct cell key.
    """
    events = case.events
    if source_ids is not None:
        events = events[events["source_id"].isin(source_ids)]
    parts = []
    for source_id, group in events.groupby("source_id", observed=True):
        first, last = group["cell_first"], group["cell_last"]
        counts = first.value_counts().add(last[last.ne(first).fillna(True)].value_counts(),
                                          fill_value=0)
        if counts.empty:
            continue
        keys = pd.Series(counts.index.astype(object))
        unlinked = resolve(keys, case.cells).to_numpy() < 0
        parts.append(pd.DataFrame({"source_id": str(source_id), "cell": keys[unlinked].to_numpy(),
                                   "events": counts.to_numpy()[unlinked].astype("int64")}))
    if not parts:
        return pd.DataFrame({"source_id": pd.Series([], dtype=object),
                             "cell": pd.Series([], dtype=object),
                             "events": pd.Series([], dtype="int64")})
    return pd.concat(parts, ignore_index=True).sort_values(["source_id", "cell"], ignore_index=True)
