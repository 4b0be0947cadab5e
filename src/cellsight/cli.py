"""The ``cellsight`` command line (contract: shared/cli-contract.md).

Each command is a few lines calling the core. Rules kept here for all of them:
``--json`` puts one JSON document on stdout and nothing else; messages go to
stderr; exit 0 on success, 2 for bad usage or unusable input, 1 otherwise; an
error is one line naming the file, never a traceback unless ``--debug``.

A command that changes a case holds the case's lock from before it reads the
case until after it has saved (``_editing``), so two commands never lose each
other's change: the second waits briefly, then exits 2 naming the holder.
Read-only commands never lock, and read only the tables they use. SIGTERM is
turned into the same clean stop as Ctrl-C, so an output or a save cut short
removes its temporary file.

Names, numbers and messages come from a suspect's phone, and a terminal obeys
the controls in them (ESC sequences move the cursor or erase a line, CR
overwrites one, bidi overrides reorder it). Every human-readable line leaves
through ``_print``, which writes controls as ``[U+001B]`` (``core.text``); the
documents behind the human summaries are revealed in full before they are
described, so that a line feed inside a contact's name cannot fake a line of
its own. ``--json`` stays exact JSON: the decoder gives back every string as
the case holds it.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cellsight import __version__
from cellsight.core.case import Case, CaseError
from cellsight.core.casefile import CaseFileError, is_encrypted, open_case, save_case
from cellsight.core.companions import check_replaceable
from cellsight.core.crypto import derive
from cellsight.core.device_records import also_held
from cellsight.core.scenestore import scenes
from cellsight.core.schema import ROLES
from cellsight.core.tempfiles import sweep_leftovers
from cellsight.core.text import reveal, reveal_any
from cellsight.core.timezones import DEFAULT_ZONE, ZoneError
from cellsight.hugepages import decline_huge_pages
from cellsight.progress import Cancelled, TerminalProgress

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage or input that cannot be used at all (exit 2)."""


# Errors that mean "the input or the request cannot be used": exit 2, one line.
USAGE_ERRORS: tuple[type[BaseException], ...] = (UsageError, CaseFileError, CaseError, ZoneError)


# Characters that json.dumps(ensure_ascii=False) writes raw but a terminal may obey: the C1
# controls (U+009B is a one-byte CSI) and the line and paragraph separators. JSON only ever
# holds them inside strings, where the escape decodes to the same character.
_JSON_RAW_CONTROLS = re.compile("[\u0080-\u009f\u2028\u2029]")


def _print(text: str, stream: Any = None, keep: str = "\n") -> None:
    """The one place human-readable text is printed: every control shown, never obeyed.

    Line feeds are the only control kept (the lines of a multi-line summary).
    """
    print(reveal(text, keep=keep), file=stream or sys.stdout)


def _say(message: str) -> None:
    """One line to stderr; a line feed inside it (from a file's content) is shown too."""
    _print(message, sys.stderr, keep="")


def _emit(args: argparse.Namespace, document: Any, human: str | Callable[[Any], str]) -> None:
    """Print ``document`` as JSON with ``--json``, else ``human``.

    ``human`` may be a function describing the document: it is then given a
    copy whose strings have every control revealed (line feeds too).
    """
    if getattr(args, "json", False):
        text = json.dumps(document, indent=1, ensure_ascii=False, default=str)
        sys.stdout.write(_JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))
        sys.stdout.write("\n")
        return
    if callable(human):
        human = human(reveal_any(document, keep=""))
    if human:
        _print(human)


def _password(prompt: str, confirm: bool = False, env: str = "CELLSIGHT_PASSWORD",
              what: str = "the case is encrypted") -> str:
    """A password: from ``env`` in scripts, else a prompt on a terminal."""
    password = os.environ.get(env)
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError(f"{what}: set {env} or run on a terminal")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the password: ") != password:
        raise UsageError("the passwords differ")
    if not password:
        raise UsageError("the password cannot be empty")
    return password


def _encrypted(path: str) -> bool:
    return Path(path).is_file() and is_encrypted(path)


def _case_password(path: str) -> str | None:
    return _password(f"Password for {path}: ") if _encrypted(path) else None


def _load(path: str) -> Case:
    """The case at ``path``; each table is read (and its hash checked) when a command first uses it."""
    return open_case(path, password=_case_password(path), lazy=True)


@contextlib.contextmanager
def _editing(path: str, command: str) -> Iterator[Case]:
    """The case read under its lock, for a command that changes it; saved by the caller inside the block.

    The lock is taken before the case is read, so the change is made to the
    latest saved case, and released after the save.
    """
    if not Path(path).is_file():
        raise CaseFileError(f"{path}: no such case file")
    password = _case_password(path)  # asked before the lock: nobody waits on a prompt
    with _case_lock(path, command):
        yield open_case(path, password=password, lazy=True)


def _case_lock(path: str, command: str) -> Any:
    """The case's lock, taken for ``command``; waits ``CELLSIGHT_LOCK_WAIT`` seconds (default 10)."""
    from cellsight.core.caselock import CaseLock, wait_from_environment

    return CaseLock(path, f"cellsight {command}").acquire(wait_from_environment())


def _output_password(args: argparse.Namespace, case: Case) -> str | None:
    """The password for ``--encrypt``; without it, a warning when the case itself is encrypted."""
    if getattr(args, "encrypt", False):
        return _password("Password for the output: ", confirm=True, env="CELLSIGHT_EXPORT_PASSWORD",
                         what="--encrypt needs a password")
    if case.key is not None:
        _say(f"cellsight: warning: the case is encrypted but {args.out} will be written in plain text; "
             "add --encrypt to protect it with a password")
    return None


def _subject_for(case: Case, name: str) -> str:
    """The subject named ``name``; created (role other) if absent, and said so on stderr."""
    subject, created = case.subject_for(name)
    if created:
        _say(f"created subject {subject.name!r} (role other)")
    return subject.name


def _named(case: Case, key: str) -> str:
    """A subject, number or party as a read-only command names it (canonical subject name).

    A name the case does not know becomes a subject (role other), as the contract
    says, but only in memory: read-only commands never save.
    """
    from cellsight.analysis.contacts import unknown_name

    if unknown_name(case, key):
        return _subject_for(case, key)
    subject = case.find_subject(key)
    return subject.name if subject is not None else key


# ----- case and people ---------------------------------------------------------------
def cmd_new(args: argparse.Namespace) -> int:
    path = Path(args.case)
    existed = path.exists()
    if existed and not args.force:
        raise UsageError(f"{path}: already exists (use --force to replace it)")
    if existed:
        check_replaceable(path)  # before a password is asked for
    case = Case.new(name=args.name or path.stem, reference=args.reference or "",
                    officer=args.officer or "", tz=args.tz, region=args.region)
    if args.encrypt:
        case.key = derive(_password("New case password: ", confirm=True))
        case.log("encrypt case", {"cipher": "AES-256-GCM", "kdf": "scrypt"})
    replaced = _replace_case(path, case, args.force)
    for line in replaced:
        _say(f"removed {line}")
    _emit(args, case_summary(case), f"created case {path}" + (" in place of the old case" if existed else ""))
    return EXIT_OK


def _replace_case(path: Path, case: Case, force: bool) -> list[str]:
    """Save the new ``case`` at ``path`` under the lock; with ``force`` over an old case only, whose
    scenes, recovery copy and stale holder note go with it (``core.companions``). What was removed."""
    from cellsight.core.caselock import holder_of, holder_path
    from cellsight.core.companions import remove_companions

    stale = holder_of(path) if path.exists() else None
    removed: list[str] = []
    with _case_lock(str(path), "new"):
        if path.exists() or path.is_symlink():
            if not force:  # made by another command while this one waited
                raise UsageError(f"{path}: already exists (use --force to replace it)")
            check_replaceable(path)
            removed = remove_companions(path)
        save_case(case, path)
    if stale is not None and not holder_path(path).exists():
        removed.append(f"{holder_path(path)} (a stale note that {stale.describe()} held the old case)")
    return removed


def cmd_subject(args: argparse.Namespace) -> int:
    with _editing(args.case, "subject") as case:
        subject = case.set_subject(args.name, role=args.role, numbers=args.number or [],
                                   imeis=args.imei or [], ids=args.ids or [])
        save_case(case, args.case)
    _emit(args, _subject_json(subject), f"subject {subject.name}: {subject.role}, "
          f"numbers {', '.join(subject.numbers) or 'none'}")
    return EXIT_OK


def cmd_place(args: argparse.Namespace) -> int:
    with _editing(args.case, "place") as case:
        if args.lat is not None or args.lon is not None or not args.bssid:
            if args.lat is None or args.lon is None:
                raise UsageError("place needs --lat and --lon (or only --bssid for an existing place)")
            place = case.set_place(args.name, args.lat, args.lon, args.radius, args.note or "")
        if args.bssid:
            place = case.add_bssids(args.name, args.bssid)
        save_case(case, args.case)
    _emit(args, _place_json(place), f"place {place.name} at {place.lat}, {place.lon}"
          + (f"; router BSSIDs {', '.join(place.bssids)}" if place.bssids else ""))
    return EXIT_OK


def cmd_device(args: argparse.Namespace) -> int:
    from cellsight.analysis.devices import device_findings
    from cellsight.report.devices import describe_phones

    case = _load(args.case)
    subject = _named(case, args.subject) if args.subject else None
    phones = device_findings(case, subject)
    _emit(args, phones, describe_phones)
    return EXIT_OK


def cmd_indicators(args: argparse.Namespace) -> int:
    from cellsight.core import indicators

    if not args.update:
        found = indicators.for_case(_load(args.case))
    else:
        with _editing(args.case, "indicators") as case:
            found = indicators.update(case, [Path(f) for f in args.update])
            save_case(case, args.case)
    doc = found.describe()
    _emit(args, doc, "\n".join(f"{f['file']}: {f['entries']} entries, {f['date']}, {f['origin']}, "
                               f"SHA-256 {f['sha256']}" for f in doc["files"]))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    case = _load(args.case)
    _emit(args, case_summary(case), _describe_info)
    return EXIT_OK


def _describe_info(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['name']} ({summary['reference'] or 'no reference'}), zone {summary['tz']}",
        f"subjects: {', '.join(s['name'] + ' (' + s['role'] + ')' for s in summary['subjects']) or 'none'}",
        f"sources: {len(summary['sources'])}; events {summary['events']}, "
        f"locations {summary['locations']}, cells {summary['cells']}",
    ]
    if summary["scenes"]:
        lines.append("scenes: " + ", ".join(f"{s['name']} ({s['rows']:,} rows)" for s in summary["scenes"]))
    lines += [f"times of {s['exhibit'] or s['file']}: {s['tz'] or 'their own offsets'} ({s['tz_rule']})"
              for s in summary["sources"] if s["tz_rule"]]
    verdicts = [c["verdict"] for c in summary["time_checks"]]
    if verdicts:
        lines.append("clock checks: " + ", ".join(f"{verdicts.count(v)} {v.replace('_', ' ')}"
                                                  for v in dict.fromkeys(verdicts)) + " (details: verify)")
    return "\n".join(lines)


def cmd_verify(args: argparse.Namespace) -> int:
    from cellsight.analysis import timechecks
    from cellsight.core.verify import verify_case

    password = _case_password(args.case)  # asked once, for the check and for the clock checks
    report = verify_case(args.case, password)
    lines = [f"{item['file']}: {item['status']}" + (f" ({item['path']})" if item.get("path") else "")
             for item in report["sources"]]
    lines += [f"{item['parquet']} (rows of scene {item['scene']}): {item['status']}"
              for item in report.get("scene_files", [])]
    lines += [f"{item['file']}: not known to the case ({item['bytes']:,} bytes; left by a stopped scene run, "
              "or put there by hand)" for item in report["unknown_scene_files"]]
    case = open_case(args.case, password, lazy=True)
    report["time_checks"] = timechecks.in_zone(timechecks.stored(case), case.info.tz)  # reported; the status is the hashes'
    lines += [f"clock check: {line}" for line in timechecks.describe(case)]
    _emit(args, report, "\n".join(lines + [f"case file: {report['case_file']}"]))
    return EXIT_OK if report["ok"] else EXIT_FAIL


def cmd_demo(args: argparse.Namespace) -> int:
    from cellsight import demo

    progress = TerminalProgress()
    try:
        case_path, reports = demo.make_demo(Path(args.folder), progress, force=args.force)
    except (demo.DemoExists, NotADirectoryError) as exc:
        raise UsageError(str(exc)) from exc
    _emit(args, {"case": str(case_path.resolve()), "files": reports},
          f"{demo.describe(reports)}\nwrote {case_path} (open it with: cellsight gui {case_path})")
    return EXIT_OK


def case_summary(case: Case) -> dict[str, Any]:
    """The contract's ``info --json`` document."""
    from cellsight.analysis import timechecks

    return {
        "name": case.info.name,
        "reference": case.info.reference,
        "officer": case.info.officer,
        "tz": case.info.tz,
        "region": case.info.region,
        "subjects": [_subject_json(s) for s in case.subjects],
        "places": [_place_json(p) for p in case.places],
        "sources": [{"id": s.id, "file": s.file, "path": s.path, "sha256": s.sha256,
                     "format": s.format, "subject": s.subject, "rows": s.rows,
                     "imported": s.imported, "rejected": s.rejected, "kinds": s.kinds,
                     "exhibit": s.exhibit, "tz": s.declared_tz, "tz_rule": s.tz_rule}
                    for s in case.sources],
        "events": len(case.events),
        "locations": len(case.locations),
        "cells": len(case.cells),
        "contacts": len(case.contacts),
        "scenes": [{"name": s.name, "rows": s.rows, "sources": [f.source_id for f in s.files]}
                   for s in scenes(case)],
        "time_checks": timechecks.in_zone(timechecks.stored(case), case.info.tz),
    }


def _subject_json(subject: Any) -> dict[str, Any]:
    return {"name": subject.name, "role": subject.role, "numbers": list(subject.numbers),
            "imeis": list(subject.imeis), "ids": list(subject.ids)}


def _place_json(place: Any) -> dict[str, Any]:
    return {"name": place.name, "lat": place.lat, "lon": place.lon, "radius_m": place.radius_m,
            "note": place.note, "bssids": list(place.bssids)}


# ----- import ------------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    if args.exhibit and len(args.files) > 1:
        raise UsageError("--exhibit names one file: import the files one at a time")
    with _editing(args.case, "import") as case:
        reports, failed = _import_each(args, case)
        if any("error" not in r for r in reports):  # a refused multi-subscriber file changed nothing
            save_case(case, args.case)
    _emit(args, reports, "")
    return EXIT_USAGE if failed else EXIT_OK


def _import_each(args: argparse.Namespace, case: Case) -> tuple[list[dict[str, Any]], bool]:
    """Import every file of the command line into ``case``; a failed file is said and skipped."""
    from cellsight.importers.api import MultipleTargets, import_file
    from cellsight.importers.base import ImportFailure

    reports, failed = [], False
    progress = TerminalProgress()
    for file in args.files:
        known = {s.name for s in case.subjects}
        try:
            report = import_file(case, file, subject=args.subject, format=args.format,
                                 template=args.template, tz=args.tz, region=args.region,
                                 progress=progress, exhibit=args.exhibit or "",
                                 split_by_target=args.split_by_target, target=args.target,
                                 assume_case_tz=args.assume_case_tz)
        except MultipleTargets as exc:
            failed = True
            _say(f"cellsight: {exc}")
            reports.append(exc.report)  # --json lists the targets of the refused file
            continue
        except (ImportFailure, *USAGE_ERRORS) as exc:
            failed = True
            _say(f"cellsight: {exc}")
            reports.append(_failed_import(file, exc))
            continue
        finally:
            progress.close()
        reports.append(report)
        for created in [s for s in case.subjects if s.name not in known]:
            _say(f"created subject {created.name!r} (role {created.role})")
        for warning in report.get("warnings", []):
            _say(f"{report['file']}: warning: {warning}")
        for part in report.get("sources", []):
            _say(f"{report['file']}: target {part['target']} -> source {part['source_id']} "
                 f"({part['subject']}): {part['rows']} rows, {part['imported']} imported, "
                 f"{part['rejected']} rejected")
        _say(f"{report['file']}: {report['format']}, {report['rows']} rows, "
             f"{report['imported']} imported, {report['rejected']} rejected"
             f"{also_held(report.get('device_records'))}")
    return reports, failed


def cmd_source(args: argparse.Namespace) -> int:
    """Re-read a source with another zone, or remove it (``importers.reread``)."""
    from cellsight.importers.base import ImportFailure
    from cellsight.importers.reread import remove_source, reread_source

    if args.remove == bool(args.tz):
        raise UsageError("say what to do with the source: --tz ZONE (re-read it) or --remove")
    if args.remove and args.file:
        raise UsageError("--file names where the original is, for a re-read; --remove needs none")
    with _editing(args.case, "source") as case:
        try:
            if args.remove:
                doc = remove_source(case, args.source, args.reason or "")
            else:
                doc = reread_source(case, args.source, args.tz, reason=args.reason or "", file=args.file,
                                    case_path=args.case)
        except ImportFailure as exc:
            raise UsageError(str(exc)) from None
        save_case(case, args.case)
    label = doc.get("exhibit") or doc["source_id"]
    if args.remove:
        _say(f"removed source {label} ({doc['file']}): " + (", ".join(
            f"{n:,} {table}" for table, n in doc["removed"].items()) or "no rows"))
    else:
        _say(f"re-read source {label} ({doc['file']}) with times in {doc['tz'] or 'their own offsets'} "
             f"({doc['tz_rule']}): {doc['rows']} rows, {doc['imported']} imported, {doc['rejected']} rejected")
        for warning in doc.get("warnings", []):
            _say(f"{doc['file']}: warning: {warning}")
    _emit(args, doc, "")
    return EXIT_OK


def _failed_import(file: str, exc: Exception) -> dict[str, Any]:
    """``import --json``'s object for a file that could not be imported: one per file, with its error
    (nothing of it went in; how many rows it holds is not known when it could not be read)."""
    path = Path(file)
    return {"file": path.name, "path": str(path.absolute()), "format": None, "subject": None,
            "imported": 0, "error": str(exc)}


def cmd_formats(args: argparse.Namespace) -> int:
    from cellsight.importers.registry import describe

    doc = describe()
    lines = [f"{i['name']:<14} {i['label']}" for i in doc["importers"]]
    lines += ["", "templates:"] + [f"  {t['name']:<24} {t['label']}" for t in doc["templates"]]
    _emit(args, doc, "\n".join(lines))
    return EXIT_OK


# ----- analyses ----------------------------------------------------------------------
def cmd_contacts(args: argparse.Namespace) -> int:
    from cellsight.analysis import contacts

    case = _load(args.case)
    if args.between:
        kinds = args.kind.split(",") if args.kind else None
        doc = contacts.between(case, args.between[0], args.between[1], kinds=kinds, by=args.by)
        human = contacts.describe_between
    elif args.subject:
        doc = contacts.for_subject(case, _named(case, args.subject), top=args.top)
        human = contacts.describe_for_subject
    else:
        raise UsageError("contacts needs --between A B or --subject A")
    _emit(args, doc, human)
    return EXIT_OK


def cmd_proximity(args: argparse.Namespace) -> int:
    from cellsight.analysis import proximity

    case = _load(args.case)
    if bool(args.b) == bool(args.place):
        raise UsageError("proximity needs exactly one of --b B or --place NAME")
    from cellsight.report.evidence import occasion_evidence

    result = proximity.run(case, args.a, b=args.b, place=args.place, method=args.method,
                           distance_m=args.distance, window_min=args.window, gap_min=args.gap,
                           include_photos=args.include_photos)
    doc = result.to_json(case.info.tz)
    # Beside the contract's rows (source id:row), the same rows as the exhibits number them.
    for occasion, cited in zip(doc["occasions"], occasion_evidence(case, result, with_hits=False)):
        occasion["evidence"] = {**occasion["evidence"], "cited": cited.cited}
    _emit(args, doc, result.describe(case.info.tz))
    return EXIT_OK


def cmd_patterns(args: argparse.Namespace) -> int:
    from cellsight.analysis import patterns

    case = _load(args.case)
    doc = patterns.hour_weekday(case, _named(case, args.subject))
    _emit(args, doc, patterns.describe)
    return EXIT_OK


# ----- scenes (tower dumps) and association ---------------------------------------------
def cmd_scene(args: argparse.Namespace) -> int:
    from cellsight.analysis.scenes import scene_json
    from cellsight.core.scenestore import remove_orphans
    from cellsight.importers.towerdump import add_scene

    with _editing(args.case, "scene") as case:
        for orphan in remove_orphans(case, args.case):
            _say(f"removed {orphan}: rows left by a scene run that was stopped before it saved")
        scene, reports, failures = add_scene(case, args.case, args.files, args.name, place=args.place,
                                             lat=args.lat, lon=args.lon, at=args.at, tz=args.tz,
                                             assume_case_tz=args.assume_case_tz,
                                             region=args.region, exhibit=args.exhibit or "",
                                             progress=TerminalProgress())
        if reports or not args.files:
            save_case(case, args.case)
    for line in failures:
        _say(f"cellsight: {line}")
    for report in reports:
        for warning in report["warnings"]:
            _say(f"{report['file']}: warning: {warning}")
        _say(f"{report['file']}: {report['rows']} rows, {report['imported']} kept in scene "
             f"{scene.name!r}, {report['rejected']} rejected")
    _emit(args, {"scene": scene_json(scene, case.info.tz), "files": reports},
          "" if args.files else f"scene {scene.name}: position {scene.lat}, {scene.lon}; time {scene.at}")
    return EXIT_USAGE if failures else EXIT_OK


def cmd_common(args: argparse.Namespace) -> int:
    from cellsight.analysis import scenes

    case = _load(args.case)
    options = scenes.CommonOptions(scenes=args.scene, min_scenes=args.min,
                                   exclude_subjects=args.exclude_subjects,
                                   night=scenes.parse_night(args.night), scene_hour=args.scene_hour,
                                   hour_window_min=args.hour_window)
    doc = scenes.common_numbers(case, args.case, options, engine=_engine(args))
    _emit(args, doc, scenes.describe(doc, case.info.tz))
    return EXIT_OK


def cmd_cotravel(args: argparse.Namespace) -> int:
    from cellsight.analysis import cotravel

    case = _load(args.case)
    doc = cotravel.run(case, args.case, _named(case, args.subject), distance_m=args.distance,
                       window_min=args.window, top=args.top, engine=_engine(args))
    _emit(args, doc, cotravel.describe(doc))
    return EXIT_OK


def _engine(args: argparse.Namespace) -> Any:
    from cellsight.analysis.scenequery import engine_from

    return engine_from(args.engine) if args.engine else None


# ----- outputs -----------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from cellsight.report import producer as producers
    from cellsight.report.build import write_report

    case = _load(args.case)
    if bool(args.a) != bool(args.b) and not args.place:
        raise UsageError("report needs both --a and --b, or neither")
    declaration = _declaration(args.declaration)
    producer = producers.for_case(case, name=args.producer, rank=args.producer_rank, force=args.producer_force,
                                  declaration=declaration)
    progress = TerminalProgress()
    try:
        summary = write_report(case, args.out, a=args.a, b=args.b, places=args.place or [],
                               method=args.method, distance_m=args.distance, window_min=args.window,
                               gap_min=args.gap, produced=args.produced, case_path=args.case, progress=progress,
                               redact=args.redact, producer=producer, chronology_from=args.chronology_from,
                               chronology_to=args.chronology_to, statement=args.statement,
                               schedule=False if args.no_schedule else args.schedule,
                               appendix=False if args.no_appendix else args.appendix,
                               basemap=args.tiles, force=args.force, password=_output_password(args, case),
                               include_photos=args.include_photos)
    finally:
        progress.close()
    schedule, appendix = summary["schedule"], summary["appendix"]
    extra = (f"; schedule {schedule['pdf']} ({schedule['pages']} pages) and {schedule['xlsx']} "
             f"({schedule['rows']:,} rows)" if schedule else "")
    extra += f"; appendix {appendix['pdf']} ({appendix['pages']} pages)" if appendix else ""
    extra += f"; statement {args.statement} ({summary['statement']['pages']} pages)" if args.statement else ""
    _emit(args, summary, f"wrote {summary['out']} ({summary['pages']} pages){extra}")
    return EXIT_OK


def _declaration(value: str | None) -> str | None:
    """``--declaration``: the template's text, or ``@FILE`` to read it from a file."""
    if not value:
        return None
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot read the declaration ({exc.strerror or exc})") from exc
    return value


def cmd_producer(args: argparse.Namespace) -> int:
    from cellsight.report import producer as producers

    changes = {"name": args.producer, "rank": args.producer_rank, "force": args.producer_force,
               "declaration": _declaration(args.declaration)}
    if all(v is None for v in changes.values()):  # only showing: read-only, no lock
        stored = producers.Producer.from_dict(_load(args.case).extras.get(producers.EXTRAS_KEY))
    else:
        with _editing(args.case, "producer") as case:
            stored = producers.Producer.from_dict(case.extras.get(producers.EXTRAS_KEY))
            stored = producers.Producer(**{k: (v if v is not None else getattr(stored, k))
                                           for k, v in changes.items()})
            unknown = producers.unknown_placeholders(stored.declaration)
            if unknown:
                raise UsageError(f"the declaration names unknown placeholders "
                                 f"{', '.join('{' + u + '}' for u in unknown)}: use "
                                 f"{', '.join('{' + p + '}' for p in producers.PLACEHOLDERS)}")
            producers.store(case, stored)
            save_case(case, args.case)
    doc = {**stored.to_dict(), "declaration_in_use": stored.template()}
    _emit(args, doc, f"report producer: {stored.described() or '(not set: the case officer is used)'}")
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from cellsight.report.webmap import write_map

    case = _load(args.case)
    subjects = [_named(case, name) for name in args.subject or []]
    summary = write_map(case, args.out, subjects=subjects, start=args.start, end=args.end,
                        basemap=args.tiles, force=args.force, password=_output_password(args, case),
                        redact=args.redact)
    if summary["basemap"] and summary["basemap"]["note"]:
        _say(summary["basemap"]["note"])
    _emit(args, summary, f"wrote {summary['out']}")
    return EXIT_OK


def cmd_tiles(args: argparse.Namespace) -> int:
    """Fetch the case's area from a tile server into an MBTiles file; asks before the first request."""
    from cellsight.core.outputs import check_output
    from cellsight.report import tilepack

    case = _load(args.case)
    check_output(args.out, "tiles", case, case_path=args.case)  # never the case, an exhibit or a foreign file
    server = tilepack.TileServer(
        args.url, args.attribution or "", contact=args.contact or "",
        rate=tilepack.DEFAULT_RATE if args.rate is None else args.rate,
        max_tiles=tilepack.DEFAULT_MAX_TILES if args.max_tiles is None else args.max_tiles)
    margin = tilepack.DEFAULT_MARGIN_M if args.margin is None else args.margin
    area = tilepack.parse_area(args.area) if args.area else tilepack.case_area(case, margin)
    planned = tilepack.plan(area, tilepack.parse_zooms(args.zoom), args.out)
    estimate = {"estimate": planned.total, "stored": planned.stored, "to_fetch": planned.to_fetch,
                "max_tiles": server.max_tiles, "area": [round(v, 6) for v in area],
                "zooms": [planned.zooms.start, planned.zooms.stop - 1], "out": args.out}
    _say(f"{args.out}: {planned.describe()} (limit {server.max_tiles:,}, at most {server.rate:g} a second)")
    if args.estimate:
        _emit(args, estimate, "")
        return EXIT_OK
    _say("warning: " + tilepack.area_warning(tilepack.server_host(server.url)))
    if planned.to_fetch and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("nothing downloaded: add --yes to confirm that the tile server may learn the area")
        if input(f"Download {planned.to_fetch:,} tiles from {tilepack.server_host(server.url)}? [y/N] ").strip().lower() \
                not in ("y", "yes"):
            _say("nothing downloaded")
            return EXIT_FAIL
    progress = TerminalProgress()
    try:
        summary = tilepack.prepare(area, planned.zooms, server, args.out, progress, name=case.info.name)
    except (Cancelled, KeyboardInterrupt, tilepack.TileServerError) as exc:
        reason = str(exc) if isinstance(exc, tilepack.TileServerError) else "stopped"
        _say(f"cellsight: {reason}; the tiles fetched so far are in {tilepack.part_path(Path(args.out))}: "
             "run the same command again to resume")
        return EXIT_FAIL
    finally:
        progress.close()
    _emit(args, summary.to_json(), f"wrote {args.out}: {summary.tiles:,} tiles ({summary.downloaded:,} downloaded, "
          f"{summary.kept:,} already there, {summary.absent:,} not on the server)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from cellsight.report.export import export_events

    case = _load(args.case)
    kinds = args.kind.split(",") if args.kind else None
    subject = _named(case, args.subject) if args.subject else None
    summary = export_events(case, args.out, subject=subject, kinds=kinds, dedupe=args.dedupe,
                            force=args.force, password=_output_password(args, case), redact=args.redact)
    _emit(args, summary, f"wrote {summary['rows']} rows to {summary['out']}")
    return EXIT_OK


def cmd_selfcheck(args: argparse.Namespace) -> int:
    from cellsight.gui import selfcheck

    result = selfcheck.selfcheck(args.timeout)
    _emit(args, result, selfcheck.describe(result))
    return EXIT_OK if result["ok"] else EXIT_FAIL


def cmd_gui(args: argparse.Namespace) -> int:
    from cellsight.gui.app import run

    return run(getattr(args, "case", None))


# ----- parser ------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cellsight", description="Cellsight: call records, phone "
                                     "downloads and proximity for stalking investigations.")
    parser.add_argument("--version", action="version", version=f"cellsight {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
                json_flag: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
        if json_flag:
            p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        return p

    p = command("new", cmd_new, "create a new case file")
    p.add_argument("case")
    p.add_argument("--name")
    p.add_argument("--reference")
    p.add_argument("--officer")
    p.add_argument("--tz", default=DEFAULT_ZONE, help="the case's zone (default Europe/London)")
    p.add_argument("--region", default="GB", help="country for national numbers (default GB)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--encrypt", action="store_true",
                   help="encrypt the case (password from CELLSIGHT_PASSWORD or a prompt)")

    p = command("subject", cmd_subject, "create or update a subject")
    p.add_argument("case")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES)
    p.add_argument("--number", action="append")
    p.add_argument("--imei", action="append")
    p.add_argument("--id", action="append", dest="ids", metavar="VALUE",
                   help="a subscriber identifier that is not a telephone number (IMSI, ICCID, a long "
                        "MSISDN, a pseudonymised id), kept as written")

    p = command("place", cmd_place, "create or replace a place")
    p.add_argument("case")
    p.add_argument("name")
    p.add_argument("--lat", type=float, help="required unless only adding --bssid to an existing place")
    p.add_argument("--lon", type=float)
    p.add_argument("--radius", type=float, help="metres")
    p.add_argument("--note")
    p.add_argument("--bssid", action="append", metavar="MAC",
                   help="a BSSID of the place's router (repeatable: one per band)")

    p = command("device", cmd_device, "what the phone downloads show: monitoring apps, Wi-Fi, photos")
    p.add_argument("case")
    p.add_argument("--subject")

    p = command("indicators", cmd_indicators, "show the stalkerware indicator files in use, or load newer copies")
    p.add_argument("case")
    p.add_argument("--update", nargs="+", metavar="FILE", help="ioc.yaml / watchware.yaml brought by the officer")

    p = command("info", cmd_info, "describe a case")
    p.add_argument("case")

    p = command("verify", cmd_verify, "re-hash every source and the case file's members")
    p.add_argument("case")

    p = command("demo", cmd_demo, "build the demo case from the files installed with Cellsight")
    p.add_argument("folder", nargs="?", default=".", metavar="DIR",
                   help="where the demo case and copies of its exhibits go (default: this folder)")
    p.add_argument("--force", action="store_true", help="replace a demo case and exhibits already there")

    p = command("selfcheck", cmd_selfcheck, "check this installation: its files, the demo case, "
                "the workstation and its map (offscreen with QT_QPA_PLATFORM=offscreen)")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for the map (default 90)")

    p = command("import", cmd_import, "import files into a case")
    p.add_argument("case")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--subject")
    p.add_argument("--format")
    p.add_argument("--template")
    p.add_argument("--tz", help="the zone the files' times are written in, where they do not say")
    _assume_option(p)
    p.add_argument("--region", help="country for national numbers in these files")
    p.add_argument("--exhibit", help="the exhibit reference of the file, e.g. DR/1")
    p.add_argument("--split-by-target", action="store_true",
                   help="a file of several subscribers' records: one source per target, each to the "
                        "subject with that number or a new one")
    p.add_argument("--target", metavar="NUMBER",
                   help="a file of several subscribers' records: import only this subscriber's rows")

    p = command("source", cmd_source, "re-read a source with another time zone, or remove it")
    p.add_argument("case")
    p.add_argument("source", help="the source's exhibit reference, id (S1) or file name")
    p.add_argument("--tz", help="re-read the source's file with its times in this zone")
    p.add_argument("--file", help="where the original file is now, if it has moved (its SHA-256 must match)")
    p.add_argument("--remove", action="store_true", help="take the source and its rows out of the case")
    p.add_argument("--reason", help="why, for the audit log")

    command("formats", cmd_formats, "list importers and built-in templates")

    p = command("contacts", cmd_contacts, "contact counts between two parties, or one's contacts")
    p.add_argument("case")
    p.add_argument("--between", nargs=2, metavar=("A", "B"))
    p.add_argument("--subject")
    p.add_argument("--kind")
    p.add_argument("--by", choices=("hour", "day", "week", "month"), default="day")
    p.add_argument("--top", type=int, default=20)

    p = command("proximity", cmd_proximity, "when A was near B or a place")
    p.add_argument("case")
    p.add_argument("--a", required=True)
    p.add_argument("--b")
    p.add_argument("--place")
    _analysis_options(p)

    p = command("patterns", cmd_patterns, "hour × weekday activity of a subject")
    p.add_argument("case")
    p.add_argument("--subject", required=True)

    p = command("scene", cmd_scene, "add tower dumps to a named scene (place and period)")
    p.add_argument("case")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="tower dumps (none: set an existing scene's position or time)")
    p.add_argument("--name", required=True, help="the scene's name, e.g. 'Car park'")
    p.add_argument("--place", help="a place of the case where the mast or the offence is")
    p.add_argument("--lat", type=float)
    p.add_argument("--lon", type=float)
    p.add_argument("--at", help="the time of the offence (ISO 8601; the case's zone without an offset)")
    p.add_argument("--tz", help="the zone the files' times are written in, where they do not say")
    _assume_option(p)
    p.add_argument("--region", help="country for national numbers in these files")
    p.add_argument("--exhibit", help="the exhibit reference of the file, e.g. TD/1")

    p = command("common", cmd_common, "numbers and handsets seen at several scenes")
    p.add_argument("case")
    p.add_argument("--scene", action="append", help="a scene to compare (default: all)")
    p.add_argument("--min", type=int, help="seen at this many scenes or more (default 2)")
    p.add_argument("--exclude-subjects", action="store_true", help="leave out the subjects' numbers")
    p.add_argument("--night", nargs="?", const="22-6", metavar="FROM-TO",
                   help="only rows at night, in the case's zone (default 22-6: 22:00 to 06:00)")
    p.add_argument("--scene-hour", action="store_true",
                   help="only rows within --hour-window minutes of each scene's time (--at)")
    p.add_argument("--hour-window", type=float, default=30.0, help="minutes either side (default 30)")
    _engine_option(p)

    p = command("cotravel", cmd_cotravel, "numbers whose located records follow a subject's (a second handset)")
    p.add_argument("case")
    p.add_argument("--subject", required=True)
    p.add_argument("--distance", type=float, help="metres between sites (default 1000)")
    p.add_argument("--window", type=float, help="minutes between records (default 15)")
    p.add_argument("--top", type=int, default=20)
    _engine_option(p)

    p = command("report", cmd_report, "write the evidential storyboard PDF")
    p.add_argument("case")
    p.add_argument("--out", required=True)
    p.add_argument("--a")
    p.add_argument("--b")
    p.add_argument("--place", action="append")
    p.add_argument("--produced", help="produced date (ISO 8601); else SOURCE_DATE_EPOCH, else now")
    p.add_argument("--tiles", metavar="FILE.mbtiles", help="draw the maps on this base map (else $CELLSIGHT_MBTILES)")
    _analysis_options(p, method_default=None,
                      method_help="default: location fixes, plus cell sites as corroboration where the case "
                                  "has located network events")
    p.add_argument("--chronology-from", metavar="T", help="the schedule of communications starts here (ISO 8601)")
    p.add_argument("--chronology-to", metavar="T", help="and ends here (a bare date: the whole day)")
    p.add_argument("--producer", metavar="NAME", help="who produces the report (default: the case's, else its officer)")
    p.add_argument("--producer-rank", metavar="RANK", help="the producer's rank or role")
    p.add_argument("--producer-force", metavar="FORCE", help="the producer's force or organisation")
    p.add_argument("--declaration", metavar="TEXT|@FILE", help="the declaration template (placeholders: see docs)")
    p.add_argument("--statement", metavar="FILE.pdf", help="also write an SFR1-style short statement")
    p.add_argument("--schedule", metavar="FILE.pdf", help="the schedule of communications (default: OUT-schedule.pdf; "
                                                          "its spreadsheet beside it, .xlsx)")
    p.add_argument("--appendix", metavar="FILE.pdf", help="the evidence appendix (default: OUT-appendix.pdf)")
    p.add_argument("--no-schedule", action="store_true", help="do not write the schedule of communications")
    p.add_argument("--no-appendix", action="store_true", help="do not write the evidence appendix")
    p.add_argument("--redact", action="store_true", help="replace third parties' numbers and names by pseudonyms")
    _output_options(p, "an encrypted PDF (AES-256)")

    p = command("producer", cmd_producer, "set or show who produces the case's reports, and their declaration")
    p.add_argument("case")
    p.add_argument("--producer", metavar="NAME")
    p.add_argument("--producer-rank", metavar="RANK")
    p.add_argument("--producer-force", metavar="FORCE")
    p.add_argument("--declaration", metavar="TEXT|@FILE")

    p = command("map", cmd_map, "write a self-contained interactive map (HTML)")
    p.add_argument("case")
    p.add_argument("--out", required=True)
    p.add_argument("--subject", action="append")
    p.add_argument("--from", dest="start")
    p.add_argument("--to", dest="end")
    p.add_argument("--tiles", metavar="FILE.mbtiles", help="a base map from a local MBTiles file (its tiles of "
                   "the map's area are put into the page)")
    _output_options(p, "FILE.html.zip, an AES-256 encrypted zip")
    p.add_argument("--redact", action="store_true", help="replace third parties' numbers and names by pseudonyms")

    p = command("tiles", cmd_tiles, "download the case's area from a tile server into an MBTiles file "
                "(opt-in: the server learns the area)")
    p.add_argument("case")
    p.add_argument("--url", required=True, metavar="TEMPLATE", help="tile URL with {z}, {x} and {y}")
    p.add_argument("--attribution", required=True, help="the tile server's attribution text (shown on maps)")
    p.add_argument("--zoom", required=True, help="zoom or zoom range, e.g. 12-17")
    p.add_argument("--out", required=True, metavar="FILE.mbtiles")
    p.add_argument("--margin", type=float, help="metres around the case's area (default 500)")
    p.add_argument("--area", metavar="S,W,N,E", help="this area instead of the case's (degrees)")
    p.add_argument("--max-tiles", type=int, help="refuse more tiles than this (default 5000)")
    p.add_argument("--rate", type=float, help="requests a second at most (default 2)")
    p.add_argument("--contact", help="your contact (e-mail), added to the User-Agent for the server's operator")
    p.add_argument("--estimate", action="store_true", help="only count the tiles; nothing is downloaded")
    p.add_argument("--yes", action="store_true", help="go ahead without asking (the server learns the area)")

    p = command("export", cmd_export, "export event sightings to CSV or XLSX")
    p.add_argument("case")
    p.add_argument("--out", required=True)
    p.add_argument("--subject")
    p.add_argument("--kind")
    p.add_argument("--dedupe", action="store_true", help="add the shared communication id")
    _output_options(p, "FILE.csv.zip or FILE.xlsx.zip, an AES-256 encrypted zip")
    p.add_argument("--redact", action="store_true", help="replace third parties' numbers and names by pseudonyms")

    p = command("gui", cmd_gui, "open the workstation", json_flag=False)
    p.add_argument("case", nargs="?")
    return parser


def _assume_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--assume-case-tz", action="store_true",
                   help="read times that state no zone in the case's zone, recorded as an assumption "
                        "(without it, or --tz, such a file is refused)")


def _engine_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=("duckdb", "spark"),
                   help="query engine (default duckdb, or CELLSIGHT_SCENE_ENGINE)")


def _output_options(p: argparse.ArgumentParser, encrypted: str) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace an existing file that is not a Cellsight output of this kind (never the case "
                        "file or an exhibit)")
    p.add_argument("--encrypt", action="store_true",
                   help=f"write {encrypted}; password from CELLSIGHT_EXPORT_PASSWORD or a prompt")


def _analysis_options(p: argparse.ArgumentParser, method_default: str | None = "gps",
                      method_help: str = "default gps") -> None:
    p.add_argument("--method", choices=("gps", "cell", "any"), default=method_default, help=method_help)
    p.add_argument("--include-photos", action="store_true",
                   help="count photographs' and videos' positions (origin photo) as fixes (they may have been received)")
    p.add_argument("--distance", type=float,
                   help="metres (default: gps 200, or a place's radius; cell the larger of 1,000 and half the "
                        "median spacing of the sites used; see docs/method.md)")
    p.add_argument("--window", type=float, help="minutes (default: gps 5, cell 15)")
    p.add_argument("--gap", type=float, help="minutes (default 60)")


def main(argv: list[str] | None = None) -> int:
    decline_huge_pages()  # before the first large array (cellsight.hugepages says why)
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return cmd_gui(argparse.Namespace(case=None))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return EXIT_USAGE if exc.code not in (0, None) else EXIT_OK
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    sweep_leftovers()  # temporaries a killed run left, wherever they are (core.tempfiles)
    with _sigterm_as_interrupt():
        return _run(args)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM stops it as Ctrl-C does: temporaries are removed on the way out."""
    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except Cancelled:
        _say("cellsight: cancelled; nothing was changed")
        return EXIT_FAIL
    except USAGE_ERRORS as exc:
        if args.debug:
            raise
        _say(f"cellsight: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a second error at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
    except KeyboardInterrupt:
        _say("cellsight: interrupted; nothing was changed")
        return EXIT_FAIL
    except Exception as exc:  # noqa: BLE001 - the contract: one line, never a traceback
        if args.debug or os.environ.get("CELLSIGHT_DEBUG"):
            raise
        _say(f"cellsight: error: {type(exc).__name__}: {exc}".splitlines()[0])
        return EXIT_FAIL
