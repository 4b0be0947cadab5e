"""Mapping templates: one layout's columns, date order, zone and event codes, as a data file.

Most operator files import by the header vocabulary alone; a template pins a
layout down where the vocabulary cannot (cryptic headers such as AT&T's ``CT``
and ``ET``, a house code list, a file that never says its zone). Templates are
JSON so that the GUI's mapping dialog writes exactly what ``--template FILE``
reads, and so that an analyst can read and review one. Built-in templates live
beside this module and apply by themselves when a header holds all their columns.

A template file::

    {"name": "att-us-cdr", "label": "AT&T call detail records", "format": "cdr",
     "columns": {"Conn. Date": "date", "Conn. Time(UTC)": "time", "ET": "duration"},
     "dayfirst": false, "zone": "UTC", "codes": {"MO": "call/outgoing"}}

``columns`` maps a header as written (compared without case and extra spaces)
to a role; ``codes`` maps an event code to ``kind/direction`` (either part may
be empty); ``date_format`` is a strptime format for the date and time together.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from cellsight.core.schema import DIRECTIONS, EVENT_KINDS

TEMPLATE_DIR = Path(__file__).parent

# The roles a column can have, per format: the words of the mapping dialog too.
ROLES: dict[str, tuple[str, ...]] = {
    "cdr": ("start", "date", "time", "end", "duration", "party_a", "party_b", "other_party",
            "target", "direction", "event", "status", "cell_first", "cell_last", "lac_first",
            "ci_first", "lac_last", "ci_last", "enodeb_first", "sector_first", "enodeb_last",
            "sector_last", "mcc", "mnc", "lat_first", "lon_first", "latlon_first", "site_first",
            "lat_last", "lon_last", "latlon_last", "site_last", "volume", "unit", "imei", "imsi",
            "ignore"),
    "cells": ("cell", "mcc", "mnc", "lac", "ci", "enodeb", "sector", "site", "lat", "lon",
              "easting", "northing", "azimuth", "beamwidth", "technology", "range", "ignore"),
}
DURATION_UNITS = ("seconds", "minutes")
MAX_TEMPLATE_BYTES = 1024**2  # a template is a few kB; anything near this is not one


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the problem."""


@dataclass
class Template:
    """One layout, fixed: column roles, date order and format, zone and event codes."""

    name: str
    label: str = ""
    format: str = "cdr"
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> role
    date_format: str | None = None
    dayfirst: bool | None = None
    zone: str | None = None
    codes: dict[str, str] = field(default_factory=dict)  # code -> "kind/direction"
    delimiter: str | None = None
    encoding: str | None = None
    headerless: bool = False  # the file has no header row; ``columns`` keys name its fields in order
    duration_unit: str = "seconds"  # of plain-number durations
    auto: bool = True  # apply when a header holds every column (built-ins)

    def role_of(self, header: str) -> str | None:
        return self._lookup().get(header_key(header))

    def _lookup(self) -> dict[str, str]:
        return {header_key(k): v for k, v in self.columns.items()}

    def matches(self, header: list[str]) -> bool:
        """True when ``header`` holds every column the template names."""
        if self.headerless or not self.columns:
            return False
        present = {header_key(h) for h in header}
        return all(header_key(k) in present for k in self.columns)

    def code(self, value: str) -> tuple[str | None, str | None]:
        """``(kind, direction)`` for an event code, or ``(None, None)`` if not listed."""
        text = self._codes().get(value.strip().lower())
        if text is None:
            return None, None
        kind, _, direction = text.partition("/")
        return kind or None, direction or None

    def _codes(self) -> dict[str, str]:
        return {k.strip().lower(): v for k, v in self.codes.items()}


def header_key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def load_template(path: str | os.PathLike[str]) -> Template:
    """Read and check a template file; TemplateError with the file's name on any problem."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateError(f"{path.name}: {path.stat().st_size:,} bytes is too large for a "
                                f"template (limit {MAX_TEMPLATE_BYTES:,}); refused")
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise TemplateError(f"{path.name}: template file not found") from None
    except (OSError, UnicodeError, json.JSONDecodeError) as exc:
        raise TemplateError(f"{path.name}: not a readable template (JSON): {exc}") from None
    except RecursionError:
        raise TemplateError(f"{path.name}: not a template (JSON nested too deeply); refused") from None
    return from_dict(data, path.name)


def from_dict(data: object, where: str = "template") -> Template:
    """A Template from parsed JSON, checked field by field."""
    if not isinstance(data, dict):
        raise TemplateError(f"{where}: a template is a JSON object")
    known = set(Template.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise TemplateError(f"{where}: unknown template fields {unknown}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise TemplateError(f"{where}: a template needs a name")
    try:
        template = Template(**data)
    except TypeError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    _check(template, where)
    return template


def _check(t: Template, where: str) -> None:
    if t.format not in ROLES:
        raise TemplateError(f"{where}: format {t.format!r} is not one of {sorted(ROLES)}")
    for attr in ("columns", "codes"):
        value = getattr(t, attr)
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in value.items()):
            raise TemplateError(f"{where}: {attr} must map text to text")
    bad = sorted({role for role in t.columns.values() if role not in ROLES[t.format]})
    if bad:
        raise TemplateError(f"{where}: unknown roles {bad} (known: {', '.join(ROLES[t.format])})")
    for code, meaning in t.codes.items():
        kind, _, direction = meaning.partition("/")
        if (kind and kind not in EVENT_KINDS) or (direction and direction not in DIRECTIONS):
            raise TemplateError(f"{where}: code {code!r} means {meaning!r}; use kind/direction with "
                                f"kinds {', '.join(EVENT_KINDS)} and directions {', '.join(DIRECTIONS)}")
    for attr in ("date_format", "zone", "delimiter", "encoding"):
        value = getattr(t, attr)
        if value is not None and not isinstance(value, str):
            raise TemplateError(f"{where}: {attr} must be text")
    if t.dayfirst is not None and not isinstance(t.dayfirst, bool):
        raise TemplateError(f"{where}: dayfirst must be true or false")
    for attr in ("headerless", "auto"):
        if not isinstance(getattr(t, attr), bool):
            raise TemplateError(f"{where}: {attr} must be true or false")
    if t.duration_unit not in DURATION_UNITS:
        raise TemplateError(f"{where}: duration_unit must be one of {', '.join(DURATION_UNITS)}")
    if t.zone:
        from cellsight.core.timezones import ZoneError, check_zone

        try:
            check_zone(t.zone)
        except ZoneError as exc:
            raise TemplateError(f"{where}: {exc}") from None
    if t.date_format and "%" not in t.date_format:
        raise TemplateError(f"{where}: date_format must be a strptime format such as %d/%m/%Y %H:%M:%S")


def save_template(template: Template, path: str | os.PathLike[str]) -> None:
    """Write ``template`` as JSON (checked first, so that what is saved can be loaded)."""
    _check(template, Path(path).name)
    Path(path).write_text(json.dumps(asdict(template), indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")


@lru_cache(maxsize=1)
def _builtins() -> tuple[Template, ...]:
    return tuple(load_template(p) for p in sorted(TEMPLATE_DIR.glob("*.json")))


def builtin_templates() -> list[Template]:
    """The templates shipped with Cellsight, by name."""
    return sorted(_builtins(), key=lambda t: t.name)


def template_option(path: str | os.PathLike[str] | None, format_name: str) -> Template | None:
    """The template a user named for an import of ``format_name``; ImportFailure if unusable."""
    from cellsight.importers.base import ImportFailure

    if path is None:
        return None
    try:
        template = load_template(path)
    except TemplateError as exc:
        raise ImportFailure(str(exc)) from None
    if template.format != format_name:
        raise ImportFailure(f"{Path(path).name}: a {template.format!r} template, not one for "
                            f"{format_name!r} files")
    return template


def builtin_for(format_name: str, header: list[str]) -> Template | None:
    """The built-in template of ``format_name`` whose columns are all in ``header``, if any."""
    return next((t for t in builtin_templates()
                 if t.format == format_name and t.auto and t.matches(header)), None)
