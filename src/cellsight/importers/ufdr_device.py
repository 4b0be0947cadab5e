"""What a Cellebrite report says about the phone itself: its apps, Wi-Fi networks and Bluetooth devices.

These are not events or fixes, so they are not rows of the source's tables:
they are kept, as read, in the source's record (``parameters["device_records"]``)
with the model id of each, which is how the findings cite them. Models read:

- ``InstalledApplication``: ``Identifier`` (package or bundle id), ``Name``,
  ``Version``, ``PurchaseDate`` (the install time Physical Analyzer gives),
  ``DeletedDate`` where given, ``LastLaunched``, ``Permissions`` (a
  ``multiField`` of permission names, or models carrying a ``Name``), and the
  model's ``deleted_state``;
- ``WirelessNetwork``: ``SSId``, ``BSSId``, ``SecurityMode``, ``LastConnection``
  (else ``TimeStamp``): the network as the phone saved it;
- ``BluetoothDevice``: ``Name``, ``MACAddress`` (else ``Identifier``),
  ``LastConnected`` (else ``TimeStamp``).

Times are kept as written and converted to UTC with the same zone rule as the
report's events (``resolve``).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pandas as pd

from cellsight.core.bssid import normalise_bssid
from cellsight.importers.fixes import resolve_times

DEVICE_MODELS = ("InstalledApplication", "WirelessNetwork", "BluetoothDevice")
_TIMES = {"apps": ("installed", "deleted_at", "last_launched"), "wifi": ("last",),
          "bluetooth": ("last",)}


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _first(f: dict[str, object], *names: str) -> str | None:
    return next((t for t in (_text(f.get(n)) for n in names) if t), None)


def _permissions(value: object, fields_of) -> list[str]:
    if not isinstance(value, list):
        return []
    names = []
    for item in value:
        name = _text(item) if isinstance(item, str) else _first(fields_of(item), "Name", "Value")
        if name and name not in names:
            names.append(name)
    return names


class DeviceRecords:
    """The device models of one report, as JSON-able lists."""

    def __init__(self) -> None:
        self.lists: dict[str, list[dict]] = {"apps": [], "wifi": [], "bluetooth": []}

    def __len__(self) -> int:
        return sum(len(v) for v in self.lists.values())

    def add(self, kind: str, model: Element, fields_of, deleted: bool | None) -> None:
        """One device model (``kind`` as Cellebrite types it); ``fields_of`` reads a model's fields."""
        f = fields_of(model)
        row = model.get("id") or "?"
        if kind == "InstalledApplication":
            self.lists["apps"].append({
                "row": row, "package": _text(f.get("Identifier")), "name": _text(f.get("Name")),
                "version": _text(f.get("Version")), "installed": _text(f.get("PurchaseDate")),
                "deleted_at": _first(f, "DeletedDate", "DeletionDate"),
                "last_launched": _text(f.get("LastLaunched")), "deleted": deleted,
                "permissions": _permissions(f.get("Permissions"), fields_of)})
        elif kind == "WirelessNetwork":
            written = _first(f, "BSSId", "BSSID")
            self.lists["wifi"].append({
                "row": row, "ssid": _first(f, "SSId", "SSID"), "bssid": normalise_bssid(written),
                "bssid_written": written, "security": _text(f.get("SecurityMode")),
                "last": _first(f, "LastConnection", "TimeStamp"), "deleted": deleted})
        elif kind == "BluetoothDevice":
            written = _first(f, "MACAddress", "Identifier")
            self.lists["bluetooth"].append({
                "row": row, "name": _text(f.get("Name")), "address": normalise_bssid(written) or written,
                "last": _first(f, "LastConnected", "TimeStamp"), "deleted": deleted})

    def resolve(self, zone: str) -> dict[str, list[dict]]:
        """The lists with each time as UTC ISO 8601 (``None`` where unreadable) beside its text."""
        for kind, keys in _TIMES.items():
            records = self.lists[kind]
            for key in keys:
                written = [r[key] for r in records]
                if not any(written):
                    continue
                utc = resolve_times(written, zone).utc
                for record, text, when in zip(records, written, utc):
                    record[f"{key}_written"] = text
                    record[key] = None if text is None or pd.isna(when) else when.isoformat()
        return self.lists
