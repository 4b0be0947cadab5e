"""Stalkerware and watchware indicators: which files a case uses, and exact identifier lookup.

The indicators are the Echap association's ``ioc.yaml`` (stalkerware) and
``watchware.yaml`` (monitoring apps sold for family or employee use), shipped
unmodified in ``resources/indicators`` (CC BY 4.0; see the README there). An
officer may bring newer copies (``cellsight indicators CASE --update``): they are
read here with a YAML *safe* loader, checked, and kept whole in the case
(``case.extras["indicators"]``) with their SHA-256 and date, so that the case
gives the same findings on any machine and says which lists they rest on.
Nothing is ever fetched.

Only exact package names (Android ``packages``) and bundle identifiers (iOS
``ios_bundles``) are looked up: app names collide with ordinary words, and a
prefix or a look-alike identifier is a different app. Certificates are not
used, because a Cellebrite report carries no signing certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cellsight.core.case import Case, CaseError
from cellsight.packagedata import resource

BUNDLED = ("ioc.yaml", "watchware.yaml")
# The date each bundled file was last changed in AssoEchap/stalkerware-indicators (README there).
BUNDLED_DATES = {"ioc.yaml": "2026-06-21", "watchware.yaml": "2025-10-03"}
IDENTIFIER_KEYS = ("packages", "ios_bundles")
TYPES = ("stalkerware", "watchware")
MAX_FILE_BYTES = 20 * 1024 * 1024  # the published ioc.yaml is about 100 KB
EXTRAS_KEY = "indicators"


@dataclass(frozen=True)
class Indicator:
    """One entry of an indicator file: the app family's name and its type."""

    name: str
    type: str
    file: str


@dataclass
class IndicatorSet:
    """The indicator files in use and their identifiers, for exact lookup."""

    files: list[dict[str, Any]] = field(default_factory=list)  # file, sha256, date, entries, origin
    by_identifier: dict[str, list[Indicator]] = field(default_factory=dict)

    def match(self, identifier: str | None) -> list[Indicator]:
        """The entries whose package or bundle identifier is exactly ``identifier``."""
        if not identifier:
            return []
        return self.by_identifier.get(identifier.strip(), [])

    @property
    def entries(self) -> int:
        return sum(f["entries"] for f in self.files)

    def describe(self) -> dict[str, Any]:
        """The contract's ``indicators`` object: the files, their latest date, their entries."""
        return {"files": [{k: f[k] for k in ("file", "sha256", "date", "entries", "origin")}
                          for f in self.files],
                "date": max((f["date"] for f in self.files), default=None),
                "entries": self.entries}


# The safe loader (no object construction), in its C implementation where libyaml is present:
# the same documents in a tenth of the time (ioc.yaml takes most of a second in pure Python).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[str, list[dict[str, Any]]] = {}  # by SHA-256 of the text: a file is parsed once a process


def parse(text: str, file: str) -> list[dict[str, Any]]:
    """An indicator file's entries, checked; ``CaseError`` naming the file and entry otherwise."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest not in _PARSED:
        _PARSED[digest] = _checked(text, file)
    return _PARSED[digest]


def _checked(text: str, file: str) -> list[dict[str, Any]]:
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise CaseError(f"{file}:{where} not readable YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, list):
        raise CaseError(f"{file}: not an indicator file (expected a list of entries with name and type)")
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise CaseError(f"{file}: entry {number} has no name")
        if entry.get("type") not in TYPES:
            raise CaseError(f"{file}: entry {number} ({entry['name']}) has type {entry.get('type')!r}, "
                            f"not one of {', '.join(TYPES)}")
        for key in IDENTIFIER_KEYS:
            values = entry.get(key) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise CaseError(f"{file}: entry {number} ({entry['name']}): {key} is not a list of names")
    return data


def _record(file: str, text: str, date: str, origin: str) -> dict[str, Any]:
    entries = parse(text, file)
    return {"file": file, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "date": date,
            "entries": len(entries), "origin": origin, "text": text}


def _bundled_text(name: str) -> str:
    return resource("indicators", name).read_text(encoding="utf-8")


def bundled_records() -> list[dict[str, Any]]:
    return [_record(name, _bundled_text(name), BUNDLED_DATES[name], "bundled") for name in BUNDLED]


def _build(records: list[dict[str, Any]]) -> IndicatorSet:
    found = IndicatorSet(files=records)
    for record in records:
        for entry in parse(record["text"], record["file"]):
            indicator = Indicator(entry["name"], entry["type"], record["file"])
            for key in IDENTIFIER_KEYS:
                for identifier in entry.get(key) or []:
                    listed = found.by_identifier.setdefault(identifier.strip(), [])
                    if indicator not in listed:
                        listed.append(indicator)
    return found


def for_case(case: Case) -> IndicatorSet:
    """The files this case uses: the officer's loaded copies, else the bundled ones."""
    stored = case.extras.get(EXTRAS_KEY)
    return _build(list(stored["files"]) if stored else bundled_records())


def read_update(path: Path) -> dict[str, Any]:
    """An officer's copy of an indicator file, checked (never fetched: only what is given)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CaseError(f"{path.name}: {size:,} bytes; an indicator file is far smaller (refused)")
        text = path.read_bytes().decode("utf-8")
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    except UnicodeDecodeError:
        raise CaseError(f"{path.name}: not UTF-8 text") from None
    except OSError as exc:
        raise CaseError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return _record(path.name, text, mtime.date().isoformat(), "officer")


def update(case: Case, paths: list[Path]) -> IndicatorSet:
    """Use these files in the case, each replacing the one of the same name (others kept).

    All are read and checked before the case changes, so a bad file changes nothing.
    """
    if not paths:
        raise CaseError("name at least one indicator file")
    fresh = [read_update(Path(p)) for p in paths]
    names = [r["file"] for r in fresh]
    if len(set(names)) != len(names):
        raise CaseError("two of the files have the same name; give one of each")
    kept = [r for r in for_case(case).files if r["file"] not in names]
    records = kept + fresh
    case.extras[EXTRAS_KEY] = {"files": records}
    case.log("update indicators", {"files": [{k: r[k] for k in ("file", "sha256", "date", "entries")}
                                             for r in fresh]})
    return _build(records)
