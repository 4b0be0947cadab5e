"""Cellebrite phone downloads: a ``.ufdr`` zip holding ``report.xml``, or the XML itself.

The report (namespace ``http://pa.cellebrite.com/report/2.0``, or none at all in
the bare ``<model>``/``<modelType>`` fragments some tools export) is streamed:
each top-level ``model`` is read when it closes and then freed, and a chat's
messages are freed one by one, so a 1 GB report needs the memory of one record
plus the columns being built.

What becomes what (``rows`` counts each of these; ``row``/``source_row`` is the
model id):

- ``Call``, ``SMS``, ``MMS``, ``Voicemail`` → one event each. Direction comes from
  ``Direction`` (newer reports), else ``Type`` (older: Incoming, Outgoing, Missed,
  Rejected, Cancelled, whose last three also give the status), else ``Folder``
  (Inbox, Sent), else the parties' ``IsPhoneOwner`` flags. ``party_a`` is the
  caller or sender, ``party_b`` the recipient: the party a report leaves out is
  the phone's owner, filled with the device's own number when the report (or
  the subject) gives one, blank otherwise. Durations are ``hh:mm:ss``.
- ``Chat`` → one ``chat`` event per ``InstantMessage`` directly in its
  ``Messages`` (quoted, replied and forwarded copies inside a message are part of
  that message, not messages of their own). The sender is the party in the
  message's ``From`` (with or without a ``Role``), the recipients those in its
  ``To``; the owner's side is told by ``IsPhoneOwner``, in the message or among
  the chat's ``Participants``, so incoming and outgoing messages both name their
  two parties. ``thread`` is the chat's id and ``app`` its ``Source``. A message
  to a group (more than two participants, an ``@g.us`` id, or several
  recipients) is one event whose ``party_b`` is the group's id, so it counts
  once; the chat's ``Name`` (a WhatsApp group's name) is kept in the source's
  parameters as ``thread_names`` and names that id wherever the case shows it
  (``Case.number_names``). System notices ("You joined the group") are kind
  ``other``.
- ``Location`` → a fix; origin from the words of its ``Type``/``Origin``/
  ``Source``/``Category`` (GPS, Wi-Fi, cell...), ``unknown`` otherwise;
  ``Precision`` is the accuracy in metres where it is a number.
- ``Contact`` → one contacts row per phone number (and per messaging account id
  that embeds a number); a contact with neither is rejected.
- ``InstalledApplication``, ``WirelessNetwork``, ``BluetoothDevice`` → the
  source's device records (``importers.ufdr_device``): not rows, kept with
  their model ids for the device findings.
- JPEG photographs in the zip with an EXIF GPS position, and MP4/QuickTime
  videos with a recorded position → fixes of origin ``photo``
  (``importers.media_locations``), each a row named by its path.
- Device metadata (IMEI, IMSI, MSISDN, model, owner name) → ``device``, and the
  numbers of the phone's own messaging accounts (``UserAccount``) too, which the
  import attaches to the subject. Other model types are counted in a warning.

Times with an offset are converted as written. A ``TimeStamp`` without one
(``format="DateTimeOnly"``) is read in the zone given for the file, else the zone
the report's project configuration states, else the case's zone with a warning.
Account ids such as ``447700900123@s.whatsapp.net`` normalise to the number.
``deleted_state`` becomes the ``deleted`` column (``Deleted``/``Trash`` true,
``Intact`` false, otherwise unknown); a deleted location says so in its label.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element

import pandas as pd

from cellsight.core import schema
from cellsight.core.phone import is_group_chat_id, normalise, normalise_series
from cellsight.core.timezones import ZoneError, check_zone
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.importers.fixes import (FixBuffer, TimeStats, compact, naive_zone, origin_of,
                                       resolve_times, tz_outcome)
from cellsight.importers.media_locations import MediaCounts, scan_archive
from cellsight.importers.registry import importer
from cellsight.importers.safety import (discard, head, is_zip, local, member_names, xml_root_name,
                                        xml_walk, zip_member)
from cellsight.importers.ufdr_device import DEVICE_MODELS, DeviceRecords
from cellsight.progress import Progress, check

NAMESPACE = "http://pa.cellebrite.com/report/2.0"
EVENT_KINDS = {"Call": "call", "SMS": "sms", "MMS": "mms", "Voicemail": "voicemail"}
_INCOMING = {"incoming", "in", "received", "inbox", "missed", "rejected", "unanswered"}
_OUTGOING = {"outgoing", "out", "sent", "outbox", "dialed", "dialled", "cancelled", "canceled",
             "draft", "pending"}
_STATUS_IN_TYPE = {"missed", "rejected", "cancelled", "canceled", "unanswered"}
_ACCOUNT = re.compile(r"^\+?\d{6,15}@(s\.whatsapp\.net|c\.us|whatsapp\.net)$", re.I)
_OWNER = "\x00owner"  # stands for the phone's own number until the report says what it is
_CHUNK = 50_000  # records held as Python lists before they are compacted to columns
_OUTSIDE_DEVICE = {"file", "image", "images", "taggedFiles", "extraInfos", "nodeInfos"}


def sniff(path: Path) -> float:
    if is_zip(path):
        names = [n.lower().rsplit("/", 1)[-1] for n in member_names(path)]
        return 0.95 if "report.xml" in names else 0.0
    start = head(path)
    if NAMESPACE.encode() in start:
        return 0.95
    root = xml_root_name(start)
    if root in ("model", "modelType") and b'type="' in start:
        return 0.8
    if root == "project" and (b"<decodedData" in start or b"<modelType" in start):
        return 0.8  # a report without its namespace
    return 0.0


# ----- reading one model ----------------------------------------------------------------
@dataclass(frozen=True)
class Party:
    identifier: str | None
    name: str | None
    role: str  # "from", "to" or ""
    owner: bool | None


def fields(model: Element) -> dict[str, object]:
    """A model's direct fields: ``field`` → text, ``modelField``/``multiModelField`` → models.

    Text is kept exactly as the report writes it (a body's leading spaces, tabs
    and line separators are part of what was sent); an empty value is None.
    Words the importer decides by (roles, flags, directions) are trimmed where
    they are compared, never where they are stored.
    """
    out: dict[str, object] = {}
    for child in model:
        kind = local(child.tag)
        name = child.get("name")
        if name is None or name in out:
            continue  # the first of a repeated field is the one the report shows
        if kind == "field":
            value = next((v for v in child if local(v.tag) == "value"), None)
            text = (value.text or "") if value is not None else ""
            out[name] = text or None
        elif kind in ("modelField", "multiModelField"):
            out[name] = [m for m in child if local(m.tag) == "model"]
        elif kind == "multiField":
            out[name] = [v.text or "" for v in child if local(v.tag) == "value"]
    return out


def _models(value: object) -> list[Element]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def party(model: Element, role: str = "") -> Party:
    """A ``Party`` model; ``role`` is the field it sits in (``From``/``To``), which its own
    ``Role`` (often left out) can only confirm."""
    f = fields(model)
    owner = (_text(f.get("IsPhoneOwner")) or "").strip().lower()
    return Party(identifier=_text(f.get("Identifier")), name=_text(f.get("Name")),
                 role=role or (_text(f.get("Role")) or "").strip().lower(),
                 owner=True if owner == "true" else False if owner == "false" else None)


def deleted(model: Element) -> bool | None:
    state = (model.get("deleted_state") or "").lower()
    return True if state in ("deleted", "trash") else False if state == "intact" else None


def direction_word(text: str | None) -> str | None:
    word = (text or "").strip().lower()
    return "incoming" if word in _INCOMING else "outgoing" if word in _OUTGOING else None


def sides(direction: str | None, parties: list[Party]) -> tuple[str, str | None, str | None]:
    """``(direction, party_a_raw, party_b_raw)`` as seen by the phone's owner.

    A side the report leaves out is the owner (``_OWNER``) when the direction says so.
    """
    senders = [p for p in parties if p.role == "from"]
    recipients = [p for p in parties if p.role == "to"]
    unroled = [p for p in parties if p.role not in ("from", "to")]
    sender = senders[0] if senders else None
    recipient = next((p for p in recipients if not p.owner), recipients[0] if recipients else None)
    if direction is None:
        if sender is not None and sender.owner is not None:
            direction = "outgoing" if sender.owner else "incoming"
        elif recipient is not None and recipient.owner is not None:
            direction = "incoming" if recipient.owner else "outgoing"
        elif sender is not None:
            direction = "incoming"
        elif recipient is not None:
            direction = "outgoing"
    if unroled:
        if direction == "outgoing" and recipient is None:
            recipient = unroled[0]
        elif direction == "incoming" and sender is None:
            sender = unroled[0]
    a = sender.identifier if sender else (_OWNER if direction == "outgoing" else None)
    b = recipient.identifier if recipient else (_OWNER if direction == "incoming" else None)
    return direction or "unknown", a, b


class _Columns:
    """Column lists for one table, appended record by record and compacted in chunks."""

    def __init__(self, *names: str, booleans: tuple[str, ...] = ()) -> None:
        self.names = names
        self.booleans = booleans
        self.data: dict[str, list] = {name: [] for name in names}
        self.parts: list[pd.DataFrame] = []
        self.count = 0

    def add(self, **values: object) -> None:
        for name, column in self.data.items():
            column.append(values.get(name))
        self.count += 1
        if len(self.data[self.names[0]]) >= _CHUNK:
            self._compact()

    def _compact(self) -> None:
        if self.data[self.names[0]]:
            self.parts.append(compact(self.data, booleans=self.booleans))
            self.data = {name: [] for name in self.names}

    def __len__(self) -> int:
        return self.count

    def frame(self) -> pd.DataFrame:
        self._compact()
        return pd.concat(self.parts, ignore_index=True) if len(self.parts) > 1 else self.parts[0]


# ----- the report ------------------------------------------------------------------------
class _Report:
    """Everything read from one report, as columns and counts."""

    def __init__(self, name: str, options: ImportOptions) -> None:
        self.name = name
        self.options = options
        self.events = _Columns("start", "duration", "kind", "direction", "a", "b", "thread", "app",
                               "status", "text", "deleted", "row", booleans=("deleted",))
        self.contacts = _Columns("number", "name", "row")
        self.fixes = FixBuffer(chunk=_CHUNK)
        self.rejections: list[tuple[str, str]] = []
        self.device: dict[str, list[str]] = {}
        self.accounts: list[str] = []
        self.file_zone: str | None = None
        self.warnings: list[str] = []
        self.ignored: Counter[str] = Counter()
        self.chat_messages: list[dict] = []
        self.thread_names: dict[str, str] = {}  # chat id as written -> the chat's name
        self.party_names: dict[str, str] = {}  # a party's id as written -> its display name (not the owner's)
        self.empty_contacts = 0  # contacts with no number: rows, rejected
        self.device_records = DeviceRecords()  # apps, Wi-Fi, Bluetooth: kept in the source's record
        self.media = MediaCounts()  # the photographs and videos that record a position

    # -- device facts
    def note_device(self, key: str, value: str | None) -> None:
        value = (value or "").strip()
        if value and value not in self.device.setdefault(key, []):
            self.device[key].append(value)

    def metadata_item(self, item: Element) -> None:
        key = re.sub(r"[^a-z]", "", (item.get("name") or "").lower())
        value = (item.text or "").strip()
        if "imei" in key:
            self.note_device("imei", value)
        elif "imsi" in key:
            self.note_device("imsi", value)
        elif "msisdn" in key or key.endswith(("phonenumber", "linenumber")):
            self.note_device("msisdn", value)
        elif "ownername" in key:
            self.note_device("owner", value)
        elif key.endswith(("detectedmodel", "selecteddevicename", "devicemodel")) or key == "model":
            self.note_device("model", value)

    def project_zone(self, element: Element) -> None:
        zone = (element.get("selectedTimeZone") or "").lstrip("_").strip()
        if not zone:
            return
        try:
            self.file_zone = check_zone(zone)
        except ZoneError:
            self.warnings.append(f"the report's time zone {zone!r} is not an IANA name; ignored")

    # -- records
    def model(self, model: Element) -> None:
        kind = model.get("type") or ""
        if kind in EVENT_KINDS:
            self.event(model, EVENT_KINDS[kind])
        elif kind == "Chat":
            self.chat(model)
        elif kind == "InstantMessage":
            self.message(self.message_fields(model), chat=None)
        elif kind == "Location":
            self.location(model)
        elif kind == "Contact":
            self.contact(model)
        elif kind == "UserAccount":
            self.user_account(model)
        elif kind in DEVICE_MODELS:
            self.device_records.add(kind, model, fields, deleted(model))
        else:
            self.ignored[kind or "untyped"] += 1

    def note_names(self, parties: list[Party]) -> None:
        """Remember the display names of parties other than the phone's owner (for redaction)."""
        for p in parties:
            if p.identifier and p.name and p.name.strip() and not p.owner:
                self.party_names.setdefault(p.identifier, p.name.strip())

    def event(self, model: Element, kind: str) -> None:
        f = fields(model)
        parties = [party(p) for p in _models(f.get("Parties"))]
        for role in ("From", "To"):
            parties += [party(p, role.lower()) for p in _models(f.get(role))]
        self.note_names(parties)
        type_word = _text(f.get("Type"))
        written = _text(f.get("Direction")) or type_word or _text(f.get("Folder"))
        direction, a, b = sides(direction_word(written), parties)
        if kind == "voicemail" and direction == "unknown":
            direction, b = "incoming", b or _OWNER
        status = _text(f.get("Status"))
        if status is None and (type_word or "").lower() in _STATUS_IN_TYPE:
            status = type_word
        body = _text(f.get("Body"))
        if kind == "mms" and _text(f.get("Subject")):
            body = f"{f['Subject']}: {body}" if body else _text(f.get("Subject"))
        self.events.add(start=_text(f.get("TimeStamp")) or _text(f.get("StartTime")),
                        duration=_text(f.get("Duration")), kind=kind, direction=direction, a=a, b=b,
                        app=_text(f.get("Source")), status=status, text=body,
                        deleted=deleted(model), row=model.get("id"))

    @staticmethod
    def message_fields(model: Element) -> dict:
        f = fields(model)
        return {"from": [party(p, "from") for p in _models(f.get("From"))],
                "to": [party(p, "to") for p in _models(f.get("To"))],
                "time": _text(f.get("TimeStamp")), "body": _text(f.get("Body")),
                "status": _text(f.get("Status")),
                "app": _text(f.get("Source")) or _text(f.get("SourceApplication")),
                "deleted": deleted(model), "row": model.get("id")}

    def chat(self, model: Element) -> None:
        f = fields(model)
        participants = [party(p) for p in _models(f.get("Participants"))]
        chat_id = _text(f.get("Id")) or model.get("id")
        chat = {"id": chat_id, "app": _text(f.get("Source")), "participants": participants,
                "group": len(participants) > 2 or is_group_chat_id(chat_id)}
        name = _text(f.get("Name"))
        if chat_id and name and name.strip():
            self.thread_names.setdefault(chat_id, name)
        for message in self.chat_messages:
            self.message(message, chat)
        self.chat_messages = []

    def message(self, m: dict, chat: dict | None) -> None:
        """One instant message as an event: its sender from ``From``, whoever that is.

        Who the phone's owner is comes from the parties' ``IsPhoneOwner`` flags,
        in the message or among the chat's participants: a sender the report does
        not flag is the owner when its id is the owner's, and someone else when
        the chat names a different owner. The owner's side is the owner's own
        account id where the chat gives it, so that incoming and outgoing
        messages of one chat name the same two parties.
        """
        participants = chat["participants"] if chat else []
        everyone = participants + m["from"] + m["to"]
        self.note_names(everyone)
        owners = [p.identifier for p in everyone if p.owner and p.identifier]
        sender = m["from"][0] if m["from"] else None
        is_system = sender is not None and "system" in (sender.identifier or "").lower()
        group = bool(chat and chat["group"]) or len(m["to"]) > 1
        if is_system:
            direction, a, b = "unknown", sender.identifier, None
        else:
            if sender is not None and sender.owner is None and sender.identifier:
                if sender.identifier in owners:
                    sender = Party(sender.identifier, sender.name, "from", True)
                elif owners:
                    sender = Party(sender.identifier, sender.name, "from", False)
            parties = ([sender] if sender else []) + m["to"]
            direction, a, b = sides(None, parties)
            if chat and (group or b in (None, _OWNER)):
                b = self._chat_recipient(chat, direction, a, group)
            if owners:  # the owner's own account, rather than the device's number
                a, b = (owners[0] if a == _OWNER else a), (owners[0] if b == _OWNER else b)
        self.events.add(start=m["time"], kind="other" if is_system else "chat",
                        direction=direction, a=a, b=b, thread=chat["id"] if chat else None,
                        app=m["app"] or (chat["app"] if chat else None),
                        status="system" if is_system else m["status"], text=m["body"],
                        deleted=m["deleted"], row=m["row"])

    @staticmethod
    def _chat_recipient(chat: dict, direction: str, sender: str | None, group: bool) -> str | None:
        """Who a chat message went to when the message does not say: the group, or the other side."""
        if group:
            return chat["id"]
        others = [p for p in chat["participants"] if p.identifier != sender]
        if direction == "outgoing":
            other = next((p for p in others if not p.owner), None)
        else:
            other = next((p for p in others if p.owner), None)
        return other.identifier if other else (_OWNER if direction == "incoming" else None)

    def location(self, model: Element) -> None:
        f = fields(model)
        position = _models(f.get("Position"))
        where = fields(position[0]) if position else {}
        words = " ".join(filter(None, (_text(f.get(k)) for k in ("Type", "Origin", "Source",
                                                                  "Category"))))
        label = " · ".join(filter(None, (_text(f.get("Category")), _text(f.get("Name")),
                                         _text(f.get("Description")), _text(f.get("Source")))))
        if deleted(model):
            label = f"{label} [deleted]".strip()
        self.fixes.add(model.get("id") or "?", where.get("Latitude"), where.get("Longitude"),
                       time=_text(f.get("TimeStamp")), accuracy=f.get("Precision"),
                       origin=origin_of(words), label=label or None)

    def contact(self, model: Element) -> None:
        f = fields(model)
        name = _text(f.get("Name"))
        found = 0
        for field_value in f.values():
            for entry in _models(field_value):
                entry_type = entry.get("type")
                value = _text(fields(entry).get("Value"))
                if value and (entry_type == "PhoneNumber"
                              or (entry_type == "UserID" and _ACCOUNT.match(value.strip()))):
                    self.contacts.add(number=value, name=name, row=model.get("id"))
                    found += 1
        if not found:
            self.empty_contacts += 1
            self.rejections.append((model.get("id") or "?",
                                    f"contact {name or '(no name)'} has no phone number"))

    def user_account(self, model: Element) -> None:
        f = fields(model)
        for entry in _models(f.get("Entries")):
            value = _text(fields(entry).get("Value"))
            if value and _ACCOUNT.match(value.strip()):
                number_e164, flag = normalise(value, self.options.region)
                if flag in ("valid", "possible") and number_e164 not in self.accounts:
                    self.accounts.append(number_e164)
                    self.warnings.append(f"the phone's own {_text(f.get('Source')) or 'messaging'}"
                                         f" account {number_e164} is taken as the device's number")

    # -- results
    def owner_number(self) -> str | None:
        numbers = self.device.get("msisdn", []) + self.accounts
        if numbers:
            return numbers[0]
        subject = sorted(self.options.subject_numbers)
        return subject[0] if len(subject) == 1 else None

    def events_frame(self, zone: str) -> tuple[pd.DataFrame, TimeStats]:
        if not len(self.events):
            return schema.empty("events"), TimeStats()
        cols = self.events.frame()
        times = resolve_times(cols["start"], zone)
        owner = self.owner_number()
        frame = cols[["kind", "direction", "thread", "app", "status", "text", "deleted"]].copy()
        frame["start"] = times.utc
        frame["time_flag"] = times.flags
        duration = cols["duration"].str.strip().astype(object).where(cols["duration"].notna(), None)
        frame["duration_s"] = pd.to_timedelta(duration, errors="coerce").dt.total_seconds()
        unreadable = int((cols["duration"].notna() & frame["duration_s"].isna()).sum())
        if unreadable:
            self.warnings.append(f"{unreadable} durations could not be read and are left empty")
        for side in ("a", "b"):
            written = cols[side].where(cols[side] != _OWNER, owner)
            values, number_flags = normalise_series(written, self.options.region)
            frame[f"party_{side}_raw"] = written
            frame[f"party_{side}"] = values
            frame[f"party_{side}_flag"] = number_flags
        frame["source_row"] = cols["row"]
        imeis = self.device.get("imei", [])
        if len(imeis) == 1:
            frame["imei"] = imeis[0]
        no_time = frame["start"].isna().to_numpy()
        for i in no_time.nonzero()[0]:
            self.rejections.append((str(cols["row"].iat[i]),
                                    f"{cols['kind'].iat[i]}: {times.problems.iat[i]}"))
        return schema.conform(frame[~no_time], "events"), times.stats

    def by_party_value(self, names: dict[str, str]) -> dict[str, str]:
        """``names`` (by id as written) keyed by the party value each id has in the events."""
        ids = pd.Series(list(names), dtype=object)
        values, _flags = normalise_series(ids, self.options.region)
        return {str(v): names[k] for k, v in zip(ids, values)}

    def contacts_frame(self) -> pd.DataFrame:
        if not len(self.contacts):
            return schema.empty("contacts")
        cols = self.contacts.frame()
        values, _flags = normalise_series(cols["number"], self.options.region)
        return schema.conform(pd.DataFrame({
            "number": values, "number_raw": cols["number"], "name": cols["name"],
            "source_row": cols["row"]}), "contacts")


def _choose_report(members: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo | None:
    """The report: the ``report.xml`` nearest the archive's root (deeper ones are the phone's
    own files). Two at that level (or one name twice) are refused: which is the evidence?"""
    reports = [m for m in members if m.filename.lower().rsplit("/", 1)[-1] == "report.xml"]
    if not reports:
        return None
    depth = min(m.filename.count("/") for m in reports)
    top = [m for m in reports if m.filename.count("/") == depth]
    if len(top) > 1:
        names = ", ".join(repr(m.filename) for m in top[:5])
        raise ImportFailure(f"{name}: the archive holds {len(top)} reports ({names}); one "
                            "extraction has one report.xml, so this one is refused: ask for a "
                            "fresh export")
    return top[0]


def _walk(report: _Report, stream: IO[bytes], name: str, size: int, progress: Progress) -> None:
    models: list[Element] = []
    seen = 0
    for event, tag, element, ancestors in xml_walk(stream, name):
        if tag == "model":
            if event == "start":
                models.append(element)
                continue
            models.pop()
            if not models:
                report.model(element)
                discard(element, ancestors)
                seen += 1
                if seen % 5000 == 1:
                    check(progress)
                    progress.update(min(stream.tell(), size), size, f"Reading {name}")
            elif (len(models) == 1 and models[0].get("type") == "Chat"
                  and element.get("type") == "InstantMessage"
                  and ancestors[-1].get("name") == "Messages"):
                report.chat_messages.append(report.message_fields(element))
                discard(element, ancestors)
            continue
        if event == "start" or models:
            continue
        if tag == "item" and ancestors and local(ancestors[-1].tag) == "metadata" and not any(
                local(a.tag) in _OUTSIDE_DEVICE for a in ancestors):
            report.metadata_item(element)
        elif tag == "extractionInfo":
            report.note_device("model", element.get("fullName") or element.get("deviceName"))
        elif tag == "timeZoneConfigurations":
            report.project_zone(element)
        discard(element, ancestors)


@importer("ufdr", "Cellebrite UFDR / report.xml (phone download)",
          ("events", "locations", "contacts"), sniff, priority=10)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    if is_zip(path):
        with zip_member(path, _choose_report, "report.xml") as (stream, name, size, warnings):
            report = _Report(name, options)
            report.warnings.extend(warnings)
            _walk(report, stream, name, size, progress)
        report.media = scan_archive(path, report.fixes, progress)
    else:
        report = _Report(path.name, options)
        with open(path, "rb") as stream:
            _walk(report, stream, path.name, path.stat().st_size, progress)
    return _result(report, options)


def _result(report: _Report, options: ImportOptions) -> ImportResult:
    result = ImportResult(format="ufdr")
    zone, _ = naive_zone(options, report.file_zone)
    result.events, stats = report.events_frame(zone)
    result.contacts = report.contacts_frame()
    result.locations = report.fixes.finish(zone)
    stats.add(report.fixes.stats)
    result.rows = (len(report.events) + report.fixes.rows + len(report.contacts)
                   + report.empty_contacts)
    result.rejections = report.rejections + report.fixes.rejections
    if report.accounts:
        report.device.setdefault("msisdn", []).extend(
            n for n in report.accounts if n not in report.device.get("msisdn", []))
    result.device = report.device
    if report.thread_names:
        result.parameters["thread_names"] = report.by_party_value(report.thread_names)
    if report.party_names:  # chat participants' display names: third parties' names for redaction
        result.parameters["party_names"] = report.by_party_value(report.party_names)
    result.tz, result.tz_rule, warnings = tz_outcome(stats, options, report.file_zone)
    result.warnings = report.warnings + warnings
    if len(report.device_records):
        result.parameters["device_records"] = report.device_records.resolve(zone)
        counts = {k: len(v) for k, v in report.device_records.lists.items()}
        result.warnings.append(f"read as device records (kept with the source, not rows): "
                               f"{counts['apps']} installed applications, {counts['wifi']} Wi-Fi "
                               f"networks, {counts['bluetooth']} Bluetooth devices")
    result.warnings.extend(report.media.warnings(zone))
    if report.ignored:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.ignored.items()))
        result.warnings.append(f"not imported (not calls, messages, locations or contacts): {kinds}")
    if not result.rows and not report.device and not report.ignored and not len(report.device_records):
        raise ImportFailure(f"{report.name}: no Cellebrite models found (is this a report.xml?)")
    return result
