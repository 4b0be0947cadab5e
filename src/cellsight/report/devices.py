"""Device findings in words: the storyboard's section, its summary line, the statement's lines.

Everything here is worded from ``analysis.devices.device_findings`` and cites
the exhibit and the model id (or file) behind each finding. The wording keeps
the limits with the findings: a match on an identifier shows that the app was
installed, not who installed it or whether it was used; no match is not proof
of no stalkerware; a saved network records its last connection, not every
visit; apps that merely request sensitive permissions are leads, not findings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cellsight.analysis.devices import (MATCH_MEANING, NO_MATCH_MEANING, device_findings, findings_count,
                                        photo_fixes, type_words)
from cellsight.core.citations import cite
from cellsight.core.timezones import court_time
from cellsight.report.pdf import Section
from cellsight.report.storyboard import Frame
from cellsight.report.words import listing

ANCHOR = "devices"
WIFI_MEANING = ("A saved Wi-Fi network shows that the phone had joined, or been given the password of, the "
                "network with that router address (BSSID); the download records the last connection only, not "
                "every visit. A router has one BSSID per band, so a place may list several.")
TO_LOOK_AT_MEANING = ("Apps listed as to look at are not findings: they request a permission that monitoring apps "
                      "rely on (device administrator, accessibility service, notification listener or background "
                      "location), as many ordinary apps also do. An examiner should look at them.")
PHOTO_MEANING = ("A photograph's EXIF position, or the position a video's metadata records, is where the camera "
                 "that made it reported being. A photograph or video on a phone may have been received rather than "
                 "made there, so these positions enter proximity only when the officer includes photo positions. "
                 "A photograph's time is the GPS time stamp (UTC), else the original time with the offset written "
                 "beside it, else the original time read in the source's zone; a video's is the creation date with "
                 "its offset where the file gives one, else the QuickTime creation time read in the source's zone "
                 "(that time states no zone and phones differ: each position's label names its basis).")
MEDIA_LISTED = 50  # positions listed in the section; the case holds them all


def _when(value: str | None, zone: str) -> str:
    return court_time(pd.Timestamp(value), zone) if value else "not recorded"


def _table(caption: str, columns: list[str], rows: list[list[Any]], **extra: Any) -> Frame:
    return Frame("table", caption=caption, content={"columns": columns, "rows": rows, **extra})


def _owner(phone: dict[str, Any], first: bool = False) -> str:
    """``Sarah Holt's phone``; ``the phone`` (``The phone`` to start a sentence) when it has no subject."""
    if phone["subject"]:
        return f"{phone['subject']}'s phone"
    return "The phone" if first else "the phone"


def _shared_pairs(phones: list[dict[str, Any]]) -> list[tuple[dict, dict, dict]]:
    """Each network saved on two subjects' phones once: (phone, its network, the other's listing)."""
    seen, out = set(), []
    for phone in phones:
        for net in phone["wifi"]:
            for other in net["shared_with"]:
                key = frozenset([(phone["source"], net["row"]), (other["source"], other["row"])])
                if key not in seen:
                    seen.add(key)
                    out.append((phone, net, other))
    return out


def finding_lines(case: Any, phones: list[dict[str, Any]]) -> list[str]:
    """One sentence per finding, each citing its exhibit row."""
    zone = case.info.tz
    lines = []
    for phone in phones:
        for app in phone["apps"]:
            deleted = f"; deleted {_when(app['deleted'], zone)}" if app["deleted"] else (
                "; the download marks it deleted" if app["deleted_in_report"] else "")
            lines.append(f"{_owner(phone, first=True)} ({cite(case, phone['source'], app['row'])}) lists an "
                         f"installed app {app['name'] or '(no name)'} with the identifier {app['package']}, which "
                         f"the indicator file {app['file']} lists under {app['indicator']} as "
                         f"{type_words(app['type'])}; installed {_when(app['installed'], zone)} as the download "
                         f"records it{deleted}.")
    for phone in phones:  # the apps first, on every phone; then the networks
        for net in phone["wifi"]:
            if net["place"]:
                lines.append(f"{_owner(phone, first=True)} ({cite(case, phone['source'], net['row'])}) had "
                             f"saved the Wi-Fi network {net['ssid'] or '(no name)'} (BSSID {net['bssid']}), a "
                             f"router of the place {net['place']}; last connection as the download records it: "
                             f"{_when(net['last'], zone)}.")
    for phone, net, other in _shared_pairs(phones):
        lines.append(f"The Wi-Fi network {net['ssid'] or '(no name)'} (BSSID {net['bssid']}) was saved on both "
                     f"{_owner(phone)} ({cite(case, phone['source'], net['row'])}) and "
                     f"{other['subject']}'s phone ({cite(case, other['source'], other['row'])}).")
    return lines


def summary_line(phones: list[dict[str, Any]]) -> str | None:
    """The summary's sentence when there are findings (None otherwise): what, and on whose phone."""
    parts = []
    apps = [(p, len(p["apps"])) for p in phones if p["apps"]]
    if apps:
        total = sum(n for _, n in apps)
        parts.append(f"{total} installed app{'s' if total != 1 else ''} whose identifier the indicator files list "
                     f"as stalkerware or watchware (on {listing([_owner(p) for p, _ in apps])})")
    places: dict[str, list[str]] = {}
    for phone in phones:
        for net in phone["wifi"]:
            if net["place"] and _owner(phone) not in places.setdefault(net["place"], []):
                places[net["place"]].append(_owner(phone))
    parts += [f"a Wi-Fi network of {place} saved on {listing(owners)}" for place, owners in places.items()]
    shared = len(_shared_pairs(phones))
    if shared:
        parts.append(f"{shared} Wi-Fi network{'s' if shared != 1 else ''} saved on two subjects' phones")
    if not parts:
        return None
    return (f"The phone downloads show {'; '.join(parts)} ({{page:{ANCHOR}}}). {MATCH_MEANING} "
            f"{NO_MATCH_MEANING}")


def device_section(case: Any, phones: list[dict[str, Any]]) -> Section:
    zone = case.info.tz
    lines = finding_lines(case, phones)
    frames = [Frame("text", caption="", content={"anchor": ANCHOR, "text": "\n\n".join(
        lines or ["No installed app matched the indicators, and no saved Wi-Fi network is a place's router or "
                  "saved on two subjects' phones."])}),
        Frame("text", caption="What these findings do and do not show", content={"text": "\n\n".join(
            [MATCH_MEANING, NO_MATCH_MEANING, WIFI_MEANING, TO_LOOK_AT_MEANING, PHOTO_MEANING])})]
    apps = [[cite(case, p["source"], a["row"]), p["subject"], a["name"] or "", a["package"], a["indicator"],
             a["type"], _when(a["installed"], zone)] for p in phones for a in p["apps"]]
    frames.append(_table("Installed apps listed in the indicator files",
                        ["Exhibit and row", "Subject", "App", "Identifier", "Indicator entry", "Type", "Installed"],
                        apps, empty="None of the installed apps has an identifier listed in the indicator files."))
    nets = [[cite(case, p["source"], w["row"]), p["subject"], w["ssid"] or "", w["bssid"] or "", w["place"] or "",
             ", ".join(cite(case, o["source"], o["row"]) for o in w["shared_with"]), _when(w["last"], zone)]
            for p in phones for w in p["wifi"] if w["place"] or w["shared_with"]]
    frames.append(_table("Saved Wi-Fi networks of a place or saved on another subject's phone",
                        ["Exhibit and row", "Subject", "SSID", "BSSID", "Place", "Also saved on", "Last connection"],
                        nets, empty="No saved network matched a place's router or another subject's phone."))
    look = [[cite(case, p["source"], a["row"]), p["subject"], a["name"] or "", a["package"] or "",
             ", ".join(a["permissions"])] for p in phones for a in p["to_look_at"]]
    if look:
        frames.append(_table("Apps to look at (not findings)",
                            ["Exhibit and row", "Subject", "App", "Identifier", "Requests"], look))
    frames += _media_frames(case, phones)
    per_phone = [[p["exhibit"], p["subject"], p["installed_apps"], len(p["wifi"]), len(p["bluetooth"]),
                  p["photo_fixes"]] for p in phones]
    frames.append(_table("What each phone download holds",
                        ["Exhibit", "Subject", "Installed apps", "Saved Wi-Fi networks", "Bluetooth devices",
                         "Photograph and video positions"], per_phone))
    return Section("Device findings", frames, anchor=ANCHOR)


def _media_frames(case: Any, phones: list[dict[str, Any]]) -> list[Frame]:
    """The photographs' and videos' positions, each cited by its file in the download, earliest first."""
    sources = {p["source"]: p["subject"] for p in phones if p["photo_fixes"]}
    media = photo_fixes(case, sources).sort_values("time")
    if media.empty:
        return []
    rows = [[cite(case, str(m.source_id), str(m.source_row)), sources[str(m.source_id)], m.label or "",
             f"{m.lat:.5f}, {m.lon:.5f}", court_time(m.time, case.info.tz)]
            for m in media.head(MEDIA_LISTED).itertuples(index=False)]
    more = len(media) - len(rows)
    return [_table("Photograph and video positions" + (f" (the first {len(rows)} of {len(media)}; the case "
                                                          "holds them all)" if more else ""),
                   ["Exhibit and file", "Subject", "What (time basis)", "Latitude, longitude", "Time"], rows,
                   widths=[3, 1, 4, 1.6, 2.2])]


def indicator_frame(case: Any) -> Frame:
    """The indicator files the findings rest on, for the exhibits list."""
    from cellsight.core.indicators import for_case

    rows = [[f["file"], "officer's copy" if f["origin"] == "officer" else "shipped with Cellsight", f["date"],
             f["entries"], f["sha256"]] for f in for_case(case).files]
    return _table("Stalkerware indicator files used (Echap association, github.com/AssoEchap/stalkerware-indicators, "
                  "CC BY 4.0)", ["File", "Origin", "Date", "Entries", "SHA-256"], rows)


def add_device_findings(case: Any, summary: Section, exhibits: Section) -> list[Section]:
    """Hook for the storyboard: the summary's line and the exhibits' indicator files, and the section.

    Nothing is added for a case without phone downloads that carry device records or photos.
    """
    phones = device_findings(case)
    if not phones:
        return []
    line = summary_line(phones)
    if line:
        summary.frames.insert(len(summary.frames) - 1, Frame("text", caption="Device findings",
                                                             content={"text": line}))
    exhibits.frames.append(indicator_frame(case))
    return [device_section(case, phones)]


def statement_lines(case: Any) -> list[str]:
    """The SFR1 statement's key findings about the devices (empty when there are none)."""
    phones = device_findings(case)
    if not any(findings_count(p) for p in phones):
        return []
    return finding_lines(case, phones) + [f"{MATCH_MEANING} {NO_MATCH_MEANING}"]


def describe_phones(phones: list[dict[str, Any]]) -> str:
    """The human summary of ``cellsight device`` (one block per phone download)."""
    if not phones:
        return ("no phone download in this case carries installed apps, Wi-Fi networks or photograph or "
                "video positions")
    blocks = []
    for p in phones:
        lines = [f"{p['exhibit']} ({p['subject'] or 'no subject'}): {p['installed_apps']} installed apps, "
                 f"{len(p['wifi'])} saved Wi-Fi networks, {len(p['bluetooth'])} Bluetooth devices, "
                 f"{p['photo_fixes']} photograph and video positions"]
        lines += [f"  MATCH {a['package']} ({a['name'] or 'no name'}): {a['indicator']}, {a['type']} "
                  f"[model {a['row']}]" for a in p["apps"]]
        lines += [f"  to look at: {a['package']} requests {', '.join(a['permissions'])} [model {a['row']}]"
                  for a in p["to_look_at"]]
        lines += [f"  Wi-Fi {w['ssid']} {w['bssid']}: " + "; ".join(
            ([f"router of {w['place']}"] if w["place"] else [])
            + [f"also saved on {o['exhibit']} ({o['subject']})" for o in w["shared_with"]])
            + f" [model {w['row']}]" for w in p["wifi"] if w["place"] or w["shared_with"]]
        blocks.append("\n".join(lines))
    blocks.append(f"{MATCH_MEANING} {NO_MATCH_MEANING}")
    return "\n\n".join(blocks)
