"""The time basis of a source: no file goes in on an unstated assumption about its clock.

A file whose times carry no UTC offset and that states no zone could be in
UTC or in local time; guessing wrong shifts every record by an hour from the
spring clock change, and the same call in two exhibits is then counted twice.
So the import API (not only the command line) refuses such a file unless the
officer says which zone its times are in (``tz``: basis ``option``) or
accepts the case's zone as an assumption (``assume_case_tz``: basis
``assumed``, printed as such wherever the source is listed). Files without
times (cell lists) and files whose times all carry offsets are unaffected.
The importers decide the basis (``TZ_*`` in ``importers.base``); this module
only enforces and words it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cellsight.importers.base import (TZ_ASSUMED, TZ_CORRECTED, TZ_FROM_FILE, TZ_FROM_OPTION,
                                      TZ_FROM_VALUES, ImportFailure, ImportResult)

# How each basis reads in a sentence ("times in DR/1 are UTC, <as chosen by the officer>").
BASIS_WORDS = {
    TZ_FROM_VALUES: "as the offsets written in the times say",
    TZ_FROM_FILE: "as the file states",
    TZ_FROM_OPTION: "as chosen by the officer",
    TZ_CORRECTED: "as corrected after a check of its clock",
    TZ_ASSUMED: "ASSUMED to be the case's zone (the file does not say)",
}


class ZoneNotStated(ImportFailure):
    """A file whose times state no zone, read with no zone given: the officer must choose one."""

    def __init__(self, message: str, file_format: str) -> None:
        super().__init__(message)
        self.format = file_format  # what kind of file it is, for the likely answer the workstation suggests


# The likely zone of bare times in each kind of file, and why; suggested, never applied.
LIKELY_ZONE = {
    "cdr": ("UTC", "Many operators write their call records in UTC all year round, without saying so."),
    "tower-dump": ("UTC", "Many operators write their call records in UTC all year round, without saying so."),
    "ufdr": ("", "A phone download's times without an offset are usually the phone's own local time."),
}


def unstated_zone_message(name: str, case_tz: str) -> str:
    """The one line that refuses a file whose times state no zone."""
    return (f"{name}: its times carry no UTC offset and the file does not state their time zone; "
            f"say which zone they are in (--tz ZONE, e.g. --tz UTC), or import them in the case's "
            f"zone {case_tz} as an assumption (--assume-case-tz)")


def has_times(result: ImportResult) -> bool:
    """Whether the file gave any times at all (a cell list gives none)."""
    return bool(len(result.events) or len(result.locations))


def require_stated_zone(result: ImportResult, path: Path, case_tz: str, assume_case_tz: bool,
                        timed: bool | None = None) -> None:
    """Refuse (ImportFailure) a result read on the case's zone by assumption, unless accepted.

    Every importer falls back to the case's zone with basis ``assumed`` when a
    time states no zone and none was given; that fallback is allowed only when
    the caller asked for it, so the basis is always a stated fact. ``timed``:
    whether rows with times were read, where they are not in ``result``'s
    tables (a tower dump's rows).
    """
    timed = has_times(result) if timed is None else timed
    if result.tz_rule == TZ_ASSUMED and timed and not assume_case_tz:
        raise ZoneNotStated(unstated_zone_message(path.name, case_tz), result.format)


def basis_sentence(tz: str, rule: str, who: str = "", when: str = "") -> str:
    """``UTC, as chosen by DC Jones on 2023-05-02``: the zone of a source's times and on what it rests."""
    if rule == TZ_FROM_VALUES or not tz:
        return "as written (each time carries its UTC offset)" if rule == TZ_FROM_VALUES else "no times"
    words = BASIS_WORDS.get(rule, rule)
    if rule in (TZ_FROM_OPTION, TZ_CORRECTED) and who:
        words = words.replace("the officer", who) if rule == TZ_FROM_OPTION else f"{words} by {who}"
    if rule in (TZ_FROM_OPTION, TZ_CORRECTED) and when:
        words += f" on {when[:10]}"
    return f"{tz}, {words}"


def source_basis(source: Any) -> str:
    """A source's time basis in words, with who chose the zone and when (``basis_sentence``)."""
    who = source.parameters.get("tz_chosen_by") or ""
    when = (source.parameters.get("reread") or {}).get("at") or source.imported_at
    return basis_sentence(source.declared_tz, source.tz_rule, who, when)


def corrected_rule(rule: str, options: Any) -> str:
    """A zone given on a re-read after a clock check rests on the correction, not on an ordinary choice."""
    return TZ_CORRECTED if options.correction and rule == TZ_FROM_OPTION else rule


def chosen_by(case: Any, options: Any) -> dict[str, str]:
    """Who stated the zone (or accepted the assumption): the case's officer, else the logged-in user."""
    if not (options.tz or options.assume_case_tz):
        return {}
    from cellsight.core.case import current_user

    return {"tz_chosen_by": case.info.officer or current_user()}


def report_clock_checks(case: Any, source: Any, report: dict[str, Any]) -> None:
    """Check every clock again now that ``source`` is in (kept in the case), and put the checks that
    involve it in its import report: in ``time_checks``, and as a warning where a clock is off.
    Not in the source's own warnings: a later re-read changes the checks, never a source's record."""
    from cellsight.analysis import timechecks

    checks = [c for c in timechecks.store(case) if source.id in (c["source_id"], c["other_id"])]
    report["time_checks"] = timechecks.in_zone(checks, case.info.tz)
    for check in timechecks.flagged(checks):
        message = "clock check: " + timechecks.sentence(check, case.info.tz)
        zone = timechecks.likely_zone(check) if check["verdict"] == "hour_offset" else ""
        if zone == "UTC":
            message += f" (cellsight source CASE {check['source']} --tz UTC)"
        report["warnings"].append(message)  # the report only: the case keeps the current checks
