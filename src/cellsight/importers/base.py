"""What an importer is given and what it gives back.

An importer reads one file and returns an ``ImportResult``: new rows for the
case's tables in the shapes of ``core.schema`` (without ``subject`` and
``source_id``, which the case fills in), the rows it could not use with a row
number and a reason, and what it decided (time zone rule, parameters). It never
touches the case: ``importers.api`` adds the result whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight.core import schema

# How the zone of a source's times was decided (the contract's order of rules).
TZ_FROM_VALUES = "values"  # offsets written in the values
TZ_FROM_OPTION = "option"  # --tz / the import dialog
TZ_FROM_FILE = "file"  # "(UTC)" in a header, "All times UTC" in a title row
TZ_ASSUMED = "assumed"  # the case's zone, accepted by the officer as an assumption (--assume-case-tz)
TZ_CORRECTED = "corrected"  # re-read in another zone after a check of its clock (`cellsight source`)


class ImportFailure(Exception):
    """The file cannot be imported at all; the message names the file and, where known, the row."""


@dataclass(frozen=True)
class ImportOptions:
    """What the officer (or the case) says about a file before it is read."""

    case_tz: str  # the case's zone: read in only by assumption (assume_case_tz), never by default
    region: str = "GB"
    tz: str | None = None  # the zone the file's times are written in, where the file does not say
    template: Path | None = None
    subject: str | None = None
    subject_numbers: frozenset[str] = frozenset()  # E.164 numbers of the subject, for direction
    assume_case_tz: bool = False  # times that state no zone may be read in case_tz (basis "assumed")
    correction: bool = False  # a re-read after a clock check: the zone given is recorded as "corrected"


@dataclass
class ImportResult:
    """The rows read from one file, and the account of what happened to every candidate row."""

    format: str
    rows: int = 0
    events: pd.DataFrame = field(default_factory=lambda: schema.empty("events"))
    locations: pd.DataFrame = field(default_factory=lambda: schema.empty("locations"))
    cells: pd.DataFrame = field(default_factory=lambda: schema.empty("cells"))
    contacts: pd.DataFrame = field(default_factory=lambda: schema.empty("contacts"))
    rejections: list[tuple[str, str]] = field(default_factory=list)  # (row, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # title, blank, totals rows
    device: dict[str, list[str]] = field(default_factory=dict)  # imei, msisdn, model, owner
    tz: str = ""
    tz_rule: str = ""
    warnings: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    # Operator records that hold several subscribers: the subscriber (E.164) of each events row,
    # and the table of them; a tower dump says how many subscribers on how many cells.
    row_targets: pd.Series | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    tower_dump: dict[str, int] | None = None
    # Serving sites' positions stated on the records themselves: cells rows that no file row is
    # (they are not counted in rows/imported; see importers.api and docs/formats.md).
    derived_cells: pd.DataFrame = field(default_factory=lambda: schema.empty("cells"))

    @property
    def imported(self) -> int:
        return len(self.events) + len(self.locations) + len(self.cells) + len(self.contacts)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def kinds(self) -> dict[str, int]:
        """``imported`` broken down as the contract's ``kinds`` object."""
        counts: dict[str, int] = {}
        if len(self.events):
            for kind, n in self.events["kind"].value_counts(sort=False).items():
                if n:
                    counts[str(kind)] = int(n)
        for name, table in (("location", self.locations), ("cell", self.cells),
                            ("contact", self.contacts)):
            if len(table):
                counts[name] = len(table)
        return counts
