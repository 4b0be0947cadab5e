"""The Case: its tables, people, places, sources and audit log.

This is the only module that mutates a case. Everything that changes it goes
through a method here, which validates first and changes second, so that a
failure leaves the case exactly as it was (an import is added whole or not at
all), and which writes one line to the append-only audit log.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from cellsight import __version__
from cellsight.core import schema
from cellsight.core.bssid import normalise_bssid
from cellsight.core.crypto import CaseKey
from cellsight.core.phone import is_normalised, normalise
from cellsight.core.timezones import DEFAULT_ZONE, CaseZone, check_zone


class CaseError(ValueError):
    """A change to the case that cannot be made as asked (the case is unchanged)."""


@dataclass
class Subject:
    """A person in the case; numbers are E.164 where possible, as written otherwise."""

    name: str
    role: str = "other"
    numbers: list[str] = field(default_factory=list)
    imeis: list[str] = field(default_factory=list)
    note: str = ""
    # Subscriber identifiers that are not telephone numbers (an IMSI, an ICCID, a 13-digit M2M
    # MSISDN, a pseudonymised id), as written: operator records may name a subscriber by one.
    ids: list[str] = field(default_factory=list)


@dataclass
class Place:
    """A place that matters (the victim's home): a point and, optionally, a radius in metres."""

    name: str
    lat: float
    lon: float
    radius_m: float | None = None
    note: str = ""
    bssids: list[str] = field(default_factory=list)  # its routers' Wi-Fi networks (core.bssid form)


@dataclass
class Source:
    """One imported file: enough to identify it in court and to re-check it later."""

    id: str
    file: str
    path: str
    sha256: str
    size: int
    format: str
    subject: str
    declared_tz: str
    tz_rule: str
    parameters: dict[str, Any]
    rows: int
    imported: int
    rejected: int
    kinds: dict[str, int]
    skipped: list[dict[str, str]]
    warnings: list[str]
    imported_at: str
    version: str
    exhibit: str = ""


@dataclass
class CaseInfo:
    """What the case is: its names, its zone and its numbering region."""

    name: str = ""
    reference: str = ""
    officer: str = ""
    tz: str = DEFAULT_ZONE  # the zone's name, as the case file and JSON hold it
    region: str = "GB"
    created: str = ""

    @property
    def zone(self) -> CaseZone:
        """The case's zone as one checked object: what every display and day boundary uses."""
        return CaseZone(self.tz)


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").floor("us")


def current_user() -> str:
    """The OS user name, for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Tables(MutableMapping[str, pd.DataFrame]):
    """The case's tables by name; a table still in its case file is read on its first use.

    A command that needs the locations only (``proximity --method gps``) then
    never pays for reading the events. ``pending`` maps a name to the function
    that reads it (with its integrity check); ``when_loaded`` runs once nothing
    is pending (the case file's handle is closed then). Reads are serialised,
    so a table asked for by two threads at once is read once.
    """

    def __init__(self, frames: Mapping[str, pd.DataFrame] | None = None,
                 pending: Mapping[str, Callable[[], pd.DataFrame]] | None = None,
                 when_loaded: Callable[[], None] | None = None) -> None:
        self._frames: dict[str, pd.DataFrame] = dict(frames or {})
        self._pending: dict[str, Callable[[], pd.DataFrame]] = dict(pending or {})
        self._when_loaded = when_loaded
        self._lock = threading.RLock()
        self._settle()

    def __getitem__(self, name: str) -> pd.DataFrame:
        frame = self._frames.get(name)
        if frame is not None:
            return frame
        with self._lock:
            if name not in self._frames:
                if name not in self._pending:
                    raise KeyError(name)
                self._frames[name] = self._pending[name]()
                del self._pending[name]
                self._settle()
            return self._frames[name]

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        with self._lock:
            self._frames[name] = frame
            if self._pending.pop(name, None) is not None:
                self._settle()

    def __delitem__(self, name: str) -> None:
        with self._lock:
            if name not in self._frames and name not in self._pending:
                raise KeyError(name)
            self._frames.pop(name, None)
            self._pending.pop(name, None)
            self._settle()

    def __iter__(self) -> Iterator[str]:
        return iter([*self._frames, *(n for n in self._pending if n not in self._frames)])

    def __len__(self) -> int:
        return len(self._frames.keys() | self._pending.keys())

    def loaded(self) -> list[str]:
        """The names of the tables read so far."""
        return list(self._frames)

    def load_all(self) -> None:
        """Read every table still pending (the workstation shows them all)."""
        for name in list(self._pending):
            self[name]

    def _settle(self) -> None:
        if not self._pending and self._when_loaded is not None:
            done, self._when_loaded = self._when_loaded, None
            done()


class Case:
    """A case: the tables of ``schema.TABLES`` plus subjects, places and sources."""

    def __init__(self, info: CaseInfo | None = None) -> None:
        self.info = info or CaseInfo()
        self.subjects: list[Subject] = []
        self.places: list[Place] = []
        self.sources: list[Source] = []
        self.tables: MutableMapping[str, pd.DataFrame] = Tables(
            {name: schema.empty(name) for name in schema.TABLES})
        self.extras: dict[str, Any] = {}  # JSON-able state of later features (storyboard, settings)
        self.key: CaseKey | None = None  # set for an encrypted case; never saved in the file
        self.origin: Any = None  # the case file it was read from or saved to, and its state then (casefile)
        self.dirty = False

    # ----- creation -------------------------------------------------------------------
    @classmethod
    def new(cls, name: str = "", reference: str = "", officer: str = "", tz: str = DEFAULT_ZONE,
            region: str = "GB") -> Case:
        check_zone(tz)
        region = region.upper()
        if not _known_region(region):
            raise CaseError(f"unknown region {region!r} (use a two-letter country code such as GB)")
        case = cls(CaseInfo(name=name, reference=reference, officer=officer, tz=tz, region=region,
                            created=_now().isoformat()))
        case.log("create case", {"name": name, "reference": reference, "tz": tz, "region": region})
        return case

    # ----- tables --------------------------------------------------------------------
    @property
    def events(self) -> pd.DataFrame:
        return self.tables["events"]

    @property
    def locations(self) -> pd.DataFrame:
        return self.tables["locations"]

    @property
    def cells(self) -> pd.DataFrame:
        return self.tables["cells"]

    @property
    def contacts(self) -> pd.DataFrame:
        return self.tables["contacts"]

    @property
    def rejections(self) -> pd.DataFrame:
        return self.tables["rejections"]

    @property
    def audit(self) -> pd.DataFrame:
        return self.tables["audit"]

    def log(self, action: str, details: dict[str, Any] | str = "") -> None:
        """Append one line to the audit log (never edited, never removed)."""
        text = details if isinstance(details, str) else json.dumps(details, sort_keys=True, default=str)
        row = pd.DataFrame({"time": pd.Series([_now()], dtype=schema.UTC_TIME),
                            **{name: pd.Series([value], dtype=schema.STR) for name, value in
                               (("user", current_user()), ("action", action), ("details", text))}})
        audit = self.tables["audit"]  # (its columns are text and times: no categories to keep across rows)
        self.tables["audit"] = pd.concat([audit, row], ignore_index=True) if len(audit) else row
        self.dirty = True

    # ----- subjects ------------------------------------------------------------------
    def normalise_number(self, raw: str) -> str:
        value, flag = normalise(raw, self.info.region)
        if flag == "blank":
            raise CaseError("a number cannot be blank")
        return value

    def find_subject(self, key: str) -> Subject | None:
        """A subject by name (case-insensitive) or by any of its numbers in any format."""
        lowered = key.strip().lower()
        for subject in self.subjects:
            if subject.name.lower() == lowered:
                return subject
        value, flag = normalise(key, self.info.region)
        if is_normalised(flag) or flag in ("short_code", "alphanumeric"):
            for subject in self.subjects:
                if value in subject.numbers:
                    return subject
        return self._id_owner(key.strip())

    def subject_for(self, key: str) -> tuple[Subject, bool]:
        """The subject named ``key``, created with role ``other`` if absent; and whether it was made."""
        found = self.find_subject(key)
        if found is not None:
            return found, False
        return self.set_subject(key), True

    def set_subject(self, name: str, role: str | None = None, numbers: list[str] = (),
                    imeis: list[str] = (), note: str | None = None, ids: list[str] = ()) -> Subject:
        """Create or update a subject; numbers, IMEIs and other identifiers accumulate, never replace."""
        name = name.strip()
        if not name:
            raise CaseError("a subject needs a name")
        if role is not None and role not in schema.ROLES:
            raise CaseError(f"unknown role {role!r}: use one of {', '.join(schema.ROLES)}")
        normalised = [self.normalise_number(n) for n in numbers]
        cleaned_imeis = [i.strip() for i in imeis if i.strip()]
        for number in normalised:
            owner = self._number_owner(number)
            if owner is not None and owner.name.lower() != name.lower():
                raise CaseError(f"number {number} already belongs to subject {owner.name!r}")
        cleaned_ids = self._new_ids(name, ids)
        subject = next((s for s in self.subjects if s.name.lower() == name.lower()), None)
        created = subject is None
        if created:
            subject = Subject(name=name, role=role or "other")
            self.subjects.append(subject)
        elif role is not None:
            subject.role = role
        if note is not None:
            subject.note = note
        subject.numbers.extend(n for n in normalised if n not in subject.numbers)
        subject.imeis.extend(i for i in cleaned_imeis if i not in subject.imeis)
        subject.ids.extend(i for i in cleaned_ids if i not in subject.ids)
        self.log("create subject" if created else "update subject", asdict(subject))
        return subject

    def party(self, key: str) -> tuple[str, list[str]]:
        """A subject or a bare number as analyses name it: ``(label, numbers)``.

        A subject's label is its name; a number that belongs to no subject is its
        own label, in E.164 where it normalises.
        """
        subject = self.find_subject(key)
        if subject is not None:
            return subject.name, list(subject.numbers) + list(subject.ids)
        value, flag = normalise(key, self.info.region)
        if flag == "blank":
            raise CaseError("a subject or number cannot be blank")
        return value, [value]

    def _number_owner(self, number: str) -> Subject | None:
        return next((s for s in self.subjects if number in s.numbers), None)

    def subject_by_identifier(self, numbers: list[str], imeis: list[str],
                              ids: list[str] = ()) -> Subject | None:
        """The subject who already has one of these numbers (E.164), IMEIs or other identifiers."""
        for subject in self.subjects:
            if set(numbers) & set(subject.numbers) or set(imeis) & set(subject.imeis) or \
                    set(ids) & set(subject.ids):
                return subject
        return None

    def _id_owner(self, value: str) -> Subject | None:
        return next((s for s in self.subjects if value and value in s.ids), None)

    def _new_ids(self, name: str, ids: list[str]) -> list[str]:
        """Identifiers as written (trimmed); refused when another subject holds one. An IMSI can
        look like a possible international number, so what the officer calls an identifier is one."""
        cleaned = [i.strip() for i in ids if i.strip()]
        for value in cleaned:
            owner = self._id_owner(value)
            if owner is not None and owner.name.lower() != name.lower():
                raise CaseError(f"identifier {value} already belongs to subject {owner.name!r}")
        return cleaned

    # ----- places --------------------------------------------------------------------
    def set_place(self, name: str, lat: float, lon: float, radius_m: float | None = None,
                  note: str = "") -> Place:
        """Create or replace a place by name."""
        name = name.strip()
        if not name:
            raise CaseError("a place needs a name")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise CaseError(f"place {name!r}: latitude {lat} / longitude {lon} out of range")
        if radius_m is not None and radius_m <= 0:
            raise CaseError(f"place {name!r}: the radius must be positive")
        earlier = self.find_place(name)
        place = Place(name=name, lat=float(lat), lon=float(lon), radius_m=radius_m, note=note,
                      bssids=list(earlier.bssids) if earlier else [])  # moving a place keeps its routers
        self.places = [p for p in self.places if p.name.lower() != name.lower()] + [place]
        self.log("set place", asdict(place))
        return place

    def add_bssids(self, name: str, written: list[str]) -> Place:
        """Add router BSSIDs to a place (one router has one per band); they accumulate."""
        place = self.find_place(name)
        if place is None:
            raise CaseError(f"no place {name!r} in this case (give --lat and --lon to create it)")
        normalised = [normalise_bssid(w) for w in written]
        bad = [w for w, n in zip(written, normalised) if n is None]
        if bad:
            raise CaseError(f"place {place.name!r}: {bad[0]!r} is not a BSSID (six hexadecimal pairs)")
        place.bssids.extend(b for b in dict.fromkeys(normalised) if b not in place.bssids)
        self.log("set place bssids", {"place": place.name, "bssids": place.bssids})
        return place

    def find_place(self, name: str) -> Place | None:
        return next((p for p in self.places if p.name.lower() == name.strip().lower()), None)

    # ----- sources -------------------------------------------------------------------
    def source_by_hash(self, sha256: str) -> Source | None:
        return next((s for s in self.sources if s.sha256 == sha256), None)

    def another_part(self, source: Source) -> bool:
        """True when ``source`` is one target's rows of a file whose other targets are already here.

        A file of several subscribers' records is imported one source per target
        (``import --split-by-target`` or ``--target``); each names its target in
        ``parameters["file_target"]``. The same file twice is refused; another
        target's part of it is not.
        """
        part = source.parameters.get("file_target")
        earlier = [s.parameters.get("file_target") for s in self.sources if s.sha256 == source.sha256]
        return bool(part) and all(t and t != part for t in earlier)

    def next_source_id(self) -> str:
        used = {s.id for s in self.sources}
        n = len(self.sources) + 1
        while f"S{n}" in used:
            n += 1
        return f"S{n}"

    def add_source(self, source: Source, frames: dict[str, pd.DataFrame], kept_outside: int = 0) -> None:
        """Add one imported file's rows and its record, whole or not at all.

        ``frames`` holds the new rows per table (events, locations, cells,
        contacts, rejections) already carrying ``source_id``; they are conformed
        and validated before anything in the case changes. ``kept_outside``
        counts imported rows kept outside the case's tables (a tower dump's
        rows, in its scene's Parquet file beside the case).
        """
        if self.source_by_hash(source.sha256) is not None and not self.another_part(source):
            raise CaseError(f"{source.file}: already imported (same SHA-256)")
        prepared = {}
        for name, frame in frames.items():
            if name not in ("events", "locations", "cells", "contacts", "rejections"):
                raise CaseError(f"cannot import into table {name!r}")
            conformed = schema.conform(frame, name)
            schema.validate(conformed, name)
            prepared[name] = conformed
        imported = kept_outside + sum(len(prepared.get(t, ())) for t in ("events", "locations", "cells",
                                                                         "contacts"))
        if "cells" in prepared:  # positions read from call records are no rows of the file
            imported -= int(prepared["cells"]["from_records"].fillna(False).sum())
        if imported != source.imported or source.rows != source.imported + source.rejected:
            raise CaseError(f"{source.file}: counts do not add up (rows {source.rows}, imported "
                            f"{source.imported}, rejected {source.rejected}, tables {imported})")
        merged = {name: _append(self.tables[name], frame, name) for name, frame in prepared.items()}
        self.tables.update(merged)
        self.sources.append(source)
        self.log("import", {"source": source.id, "file": source.file, "sha256": source.sha256,
                            "format": source.format, "subject": source.subject, "rows": source.rows,
                            "imported": source.imported, "rejected": source.rejected,
                            "tz": source.declared_tz, "tz_rule": source.tz_rule})  # who chose the zone: the line's user

    # ----- derived views -------------------------------------------------------------
    def number_names(self) -> dict[str, str]:
        """Names for numbers: subjects first, then address-book entries from phone downloads,
        then the names of chats (a WhatsApp group's name for its id) from the sources."""
        names: dict[str, str] = {}
        for source in self.sources:
            names.update(source.parameters.get("thread_names") or {})
        contacts = self.contacts
        if not contacts.empty:
            named = contacts.dropna(subset=["name"]).drop_duplicates("number", keep="first")
            names.update(zip(named["number"].astype(str), named["name"].astype(str)))
        for subject in self.subjects:
            for number in subject.numbers:
                names[number] = subject.name
        return names

    def source_record(self) -> dict[str, Any]:
        """Everything but the big tables, as JSON-able data (the case file's case.json)."""
        return {
            "info": asdict(self.info),
            "subjects": [asdict(s) for s in self.subjects],
            "places": [asdict(p) for p in self.places],
            "sources": [asdict(s) for s in self.sources],
            "extras": self.extras,
            "version": __version__,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any], tables: Mapping[str, pd.DataFrame]) -> Case:
        """Rebuild a case from ``source_record`` output and validated tables.

        A ``Tables`` is adopted as it is, so tables still pending stay unread.
        """
        case = cls(CaseInfo(**record["info"]))
        case.subjects = [Subject(**s) for s in record.get("subjects", [])]
        case.places = [Place(**p) for p in record.get("places", [])]
        case.sources = [Source(**s) for s in record.get("sources", [])]
        case.extras = record.get("extras", {})
        if isinstance(tables, Tables):
            case.tables = tables
        else:
            case.tables.update(tables)
        return case


def _append(existing: pd.DataFrame, new: pd.DataFrame, table: str) -> pd.DataFrame:
    """``new`` (conformed already) after ``existing``, re-conformed so that categoricals keep
    their dtype across sources."""
    if new.empty:
        return existing
    if existing.empty:
        return new
    return schema.conform(pd.concat([existing, new], ignore_index=True), table)


def _known_region(region: str) -> bool:
    import phonenumbers

    return region in phonenumbers.SUPPORTED_REGIONS


def utc_stamp(when: dt.datetime | None = None) -> str:
    """ISO 8601 UTC to the second, for records such as a source's import time."""
    return pd.Timestamp(when or _now()).tz_convert("UTC").floor("s").isoformat()
