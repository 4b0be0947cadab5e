"""The phones as witnesses: what each phone download says about monitoring apps, Wi-Fi and photos.

For every phone download (a source with device records or photo fixes) this
gives the contract's ``device --json`` object:

- ``apps``: installed applications whose package or bundle identifier is
  *exactly* one listed in the indicator files in use (``core.indicators``),
  with the entry's name and type. A match shows that an app with that
  identifier was installed; not who installed it, nor whether it was used.
  No match is not proof that no monitoring app was installed: the lists are
  known to be incomplete.
- ``to_look_at``: other apps that request a permission monitoring apps rely on
  (``WATCHED_PERMISSIONS``, by their exact Android names). Many ordinary apps
  request them too, so these are leads for the examiner, never findings.
- ``wifi``: the saved networks; ``place`` names the case's place whose router
  BSSID it is, ``shared_with`` the other subjects' phones that saved the same
  BSSID (exact comparison in ``core.bssid`` form). The time is the last
  connection as the download records it, not every visit.
- ``photo_fixes``: the source's fixes of origin ``photo``; ``bluetooth``: the
  paired or seen devices the download lists.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from cellsight.core.case import Case, Source
from cellsight.core.citations import exhibit_label
from cellsight.core.device_records import also_held, counts, records
from cellsight.core.indicators import IndicatorSet, for_case
from cellsight.core.timezones import iso_local

# Exact Android permission names -> the words the findings use.
WATCHED_PERMISSIONS = {
    "android.permission.BIND_DEVICE_ADMIN": "device administrator",
    "android.permission.BIND_ACCESSIBILITY_SERVICE": "accessibility service",
    "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE": "notification listener",
    "android.permission.ACCESS_BACKGROUND_LOCATION": "background location",
}
MATCH_MEANING = ("A match shows that an app with that exact identifier was installed on the phone; it "
                 "does not show who installed it or whether it was used.")
NO_MATCH_MEANING = ("The indicator lists are known to be incomplete: no match is not proof that no "
                    "monitoring app was installed.")
WATCHWARE_WORDS = "a monitoring app of a kind sold for family use"


def rows_cell(source: Source) -> int | str:
    """An exhibits table's Rows cell: the count, with the device records beside it where there are any."""
    held = counts(source)
    return f"{source.rows:,} rows{also_held(held)}" if held else source.rows


def phone_sources(case: Case) -> list[Source]:
    """The sources that are phone downloads with device records or photo fixes, in import order."""
    photo_ids = set(_photo_counts(case))
    return [s for s in case.sources
            if any(records(s).values()) or s.id in photo_ids]


def photo_fixes(case: Case, sources: Collection[str]) -> pd.DataFrame:
    """The fixes of origin ``photo`` (photographs' and videos' positions) of these sources, the
    evidence behind each phone's ``photo_fixes`` count."""
    loc = case.locations
    if loc.empty:
        return loc
    return loc[(loc["origin"] == "photo") & loc["source_id"].astype(str).isin(list(sources))]


def _photo_counts(case: Case) -> dict[str, int]:
    loc = case.locations
    if loc.empty:
        return {}
    photos = loc.loc[loc["origin"] == "photo", "source_id"].astype(str)
    return {str(k): int(v) for k, v in photos.value_counts().items() if v}


def _local(value: str | None, zone: str) -> str | None:
    return iso_local(pd.Timestamp(value), zone) if value else None


def type_words(kind: str) -> str:
    """How a finding names an indicator entry's type."""
    return f"watchware ({WATCHWARE_WORDS})" if kind == "watchware" else kind


def _apps(app_records: list[dict], indicators: IndicatorSet, zone: str) -> tuple[list, list]:
    matched, to_look_at = [], []
    for app in app_records:
        common = {"package": app.get("package"), "name": app.get("name"),
                  "installed": _local(app.get("installed"), zone),
                  "deleted": _local(app.get("deleted_at"), zone),
                  "deleted_in_report": app.get("deleted"), "row": app.get("row")}
        hits = indicators.match(app.get("package"))
        for hit in hits:
            matched.append({**common, "indicator": hit.name, "type": hit.type, "file": hit.file,
                            "permissions": list(app.get("permissions") or [])})
        watched = [WATCHED_PERMISSIONS[p] for p in app.get("permissions") or [] if p in WATCHED_PERMISSIONS]
        if watched and not hits:
            to_look_at.append({**common, "permissions": watched})
    return matched, to_look_at


def _bssid_owners(sources: list[Source]) -> dict[str, list[dict]]:
    owners: dict[str, list[dict]] = {}
    for source in sources:
        for net in records(source)["wifi"]:
            if net.get("bssid"):
                owners.setdefault(net["bssid"], []).append(
                    {"source": source.id, "exhibit": exhibit_label(source), "subject": source.subject,
                     "row": net.get("row")})
    return owners


def _wifi(case: Case, source: Source, owners: dict[str, list[dict]], zone: str) -> list[dict]:
    places = {b: p.name for p in case.places for b in p.bssids}
    out = []
    for net in records(source)["wifi"]:
        bssid = net.get("bssid")
        shared = [o for o in owners.get(bssid, []) if bssid and o["subject"] != source.subject]
        out.append({"ssid": net.get("ssid"), "bssid": bssid or net.get("bssid_written"),
                    "security": net.get("security"), "last": _local(net.get("last"), zone),
                    "place": places.get(bssid) if bssid else None, "shared_with": shared,
                    "row": net.get("row")})
    return out


def device_findings(case: Case, subject: str | None = None) -> list[dict[str, Any]]:
    """The contract's ``device --json`` list: one object per phone download (of ``subject`` only)."""
    sources = phone_sources(case)
    if not sources:
        return []  # no download to check: the indicator files are not even read
    zone = case.info.tz
    indicators = for_case(case)
    owners = _bssid_owners(sources)
    photos = _photo_counts(case)
    out = []
    for source in sources:
        if subject is not None and source.subject.lower() != subject.lower():
            continue
        stored = records(source)
        apps, to_look_at = _apps(stored["apps"], indicators, zone)
        out.append({
            "source": source.id, "exhibit": exhibit_label(source), "subject": source.subject,
            "installed_apps": len(stored["apps"]), "apps": apps, "to_look_at": to_look_at,
            "wifi": _wifi(case, source, owners, zone), "photo_fixes": photos.get(source.id, 0),
            "bluetooth": [{"name": b.get("name"), "address": b.get("address"),
                           "last": _local(b.get("last"), zone), "row": b.get("row")}
                          for b in stored["bluetooth"]],
            "indicators": indicators.describe(),
        })
    return out


def findings_count(phone: dict[str, Any]) -> int:
    """The findings of one phone's object: matched apps and Wi-Fi networks joined to a place or phone."""
    return len(phone["apps"]) + sum(1 for w in phone["wifi"] if w["place"] or w["shared_with"])
