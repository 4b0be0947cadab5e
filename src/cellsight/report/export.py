"""Event exports to CSV and XLSX that a spreadsheet can open safely.

One row per event sighting (nothing merged away), with times in the case's zone
and in UTC, numbers as written and as normalised, names where the case knows
them, kind, direction, cells, message text, and where each row came from
(source, exhibit, file and row). ``dedupe`` adds the communication id shared by
the sightings of one communication, computed over the whole case so that it is
the same whatever the filter.

Formula neutralisation (the rule, stated once): names and message bodies come
from a suspect's phone, and a cell beginning ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return, which some programs skip before such a character) is
run as a formula by spreadsheet programs. So:

- CSV: such a text cell gets a leading apostrophe (``'=HYPERLINK(...)``,
  ``'+447700900123``), the convention spreadsheet users know for "text, not a
  formula". The value after the apostrophe is exactly what the source said.
- XLSX: such a cell is written as a text cell with Excel's "quote prefix" flag,
  the same apostrophe Excel itself adds when a user types ``'+44...``: it is
  never evaluated, even after editing, and it shows exactly as written, so an
  E.164 number reads ``+447700900123`` and is not turned into 4.477E+11
  (``report.xlsx``, which writes the file with no temporary file anywhere).

Numeric columns (duration) are numbers and are not touched. Control characters
that XLSX cannot hold are written as visible ``\\xNN`` escapes. CSV is UTF-8
with a byte-order mark so that spreadsheet programs read names correctly.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO, Any

import pandas as pd

from cellsight.core.outputs import GENERATOR, atomic_output, check_output
from cellsight.report.protect import encrypted_member, inner_name, zipped
from cellsight.core.case import CaseError
from cellsight.core.schema import EVENT_KINDS
from cellsight.core.text import reveal_frame
from cellsight.core.timezones import iso_local_series
from cellsight.report.xlsx import XlsxError, risky, write_xlsx



class ExportError(CaseError):
    """An export that cannot be written as asked (nothing is written)."""


COLUMNS = ["time_local", "time_utc", "kind", "direction", "party_a", "party_a_name", "party_a_raw",
           "party_b", "party_b_name", "party_b_raw", "duration_s", "status", "app", "thread",
           "cell_first", "cell_last", "imei", "imsi", "text", "deleted", "time_flag", "subject",
           "source_id", "exhibit", "source_file", "source_row"]


def event_rows(case: Any, subject: str | None = None, kinds: list[str] | None = None,
               dedupe: bool = False) -> pd.DataFrame:
    """The export's table (strings not yet neutralised), in time order."""
    events = case.events
    mask = pd.Series(True, index=events.index)
    if subject:
        label, numbers = case.party(subject)
        mask &= (events["party_a"].isin(numbers) | events["party_b"].isin(numbers)
                 | (events["subject"].astype(object) == label)).fillna(False)
    if kinds:
        cleaned = [k.strip().lower() for k in kinds if k.strip()]
        unknown = [k for k in cleaned if k not in EVENT_KINDS]
        if unknown:
            raise ExportError(f"unknown kind {', '.join(unknown)}: use {', '.join(EVENT_KINDS)}")
        mask &= events["kind"].isin(cleaned)
    comm_ids = None
    if dedupe:
        from cellsight.analysis import dedupe as matching

        comm_ids = matching.for_case(case)["comm_id"]
    chosen = events[mask.to_numpy()]
    zone = case.info.tz
    names = case.number_names()
    sources = {s.id: s for s in case.sources}
    source_id = chosen["source_id"].astype(object)
    out = pd.DataFrame({
        "time_local": iso_local_series(chosen["start"], zone),
        "time_utc": chosen["start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object),
        "kind": chosen["kind"].astype(object), "direction": chosen["direction"].astype(object),
        "party_a": chosen["party_a"].astype(object),
        "party_a_name": chosen["party_a"].astype(object).map(names),
        "party_a_raw": chosen["party_a_raw"].astype(object),
        "party_b": chosen["party_b"].astype(object),
        "party_b_name": chosen["party_b"].astype(object).map(names),
        "party_b_raw": chosen["party_b_raw"].astype(object),
        "duration_s": chosen["duration_s"].astype("Float64"),
        **{c: chosen[c].astype(object) for c in ("status", "app", "thread", "cell_first", "cell_last", "imei",
                                                  "imsi", "text", "deleted", "time_flag", "subject")},
        "source_id": source_id,
        "exhibit": source_id.map({k: s.exhibit for k, s in sources.items()}),
        "source_file": source_id.map({k: s.file for k, s in sources.items()}),
        "source_row": chosen["source_row"].astype(object),
    }, index=chosen.index)
    if comm_ids is not None:
        out["communication_id"] = comm_ids.reindex(chosen.index).astype("Int64")
    order = pd.DataFrame({"t": chosen["start"], "s": source_id.astype(str),
                          "r": pd.to_numeric(chosen["source_row"], errors="coerce")}, index=chosen.index)
    order = order.sort_values(["t", "s", "r"], kind="stable", na_position="last").index
    return out.loc[order].reset_index(drop=True)


def neutralise_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Every risky text cell with a leading apostrophe (see the module's rule)."""
    out = frame.copy()
    for column in out.columns:
        flag = risky(out[column])
        if flag.any():
            out[column] = out[column].astype(object)
            out.loc[flag, column] = "'" + out.loc[flag, column].astype(str)
    return out


def _write_csv(frame: pd.DataFrame, path: str | IO[bytes]) -> None:
    neutralise_csv(frame).to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL,
                                 lineterminator="\r\n")


def write_export_xlsx(frame: pd.DataFrame, out: str | IO[bytes], sheet: str = "events",
                      produced: pd.Timestamp | None = None) -> None:
    """The XLSX of every Cellsight output (this export, the report's schedule): formula-safe, marked
    as a Cellsight export by its creator, no temporary file; dated ``produced`` where given."""
    try:
        write_xlsx(frame, out, sheet=sheet, creator=GENERATOR, produced=produced)
    except XlsxError as exc:
        raise ExportError(f"{exc}: export to CSV, or narrow the export with --subject or --kind") from exc


def export_events(case: Any, out: str | os.PathLike[str], subject: str | None = None,
                  kinds: list[str] | None = None, dedupe: bool = False, force: bool = False,
                  password: str | None = None, redact: bool = False) -> dict[str, Any]:
    """Write the case's event sightings to ``out`` (``.csv`` or ``.xlsx``); return rows and path.

    With ``password`` the file goes into an AES-256 zip, ``out`` + ``.zip``
    (``report.protect``). ``force`` allows replacing an existing file that is
    not a Cellsight export (never the case or an exhibit: ``core.outputs``).
    ``redact`` replaces every third party's number and name by its pseudonym
    (``report.redaction``), in every column, message bodies included.
    """
    target = zipped(out) if password else Path(out)
    inner = inner_name(target) if password else target.name
    check_output(target, "export", case, force)
    suffix = Path(inner).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ExportError(f"{target}: export to a .csv or .xlsx file" + (" (.csv.zip or .xlsx.zip encrypted)"
                                                                          if password else ""))
    frame = reveal_frame(event_rows(case, subject=subject, kinds=kinds, dedupe=dedupe))
    if redact:
        from cellsight.report.redaction import Redactor

        frame = Redactor.for_case(case).frame(frame)
    write = _write_csv if suffix == ".csv" else write_export_xlsx
    with atomic_output(target, "export", case, force) as tmp:
        if password:
            with encrypted_member(tmp, inner, password, "export") as stream:
                write(frame, stream)
        else:
            write(frame, str(tmp))
    return {"out": str(target), "rows": int(len(frame)), "format": suffix[1:],
            "columns": list(frame.columns), "encrypted": bool(password), "redacted": redact,
            "neutralised": int(sum(int(risky(frame[c]).sum()) for c in frame.columns))}
