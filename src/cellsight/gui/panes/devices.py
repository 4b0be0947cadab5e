"""The Device findings pane: what each phone download shows about monitoring apps, Wi-Fi and photos.

A tree, one branch per phone download (``analysis.devices.device_findings``):
apps whose identifier an indicator file lists, apps to look at (never
findings), saved Wi-Fi networks that are a place's router or also saved on
another subject's phone, the photographs' and videos' positions, and the Bluetooth devices.
Choosing an item shows its evidence (exhibit and model id or file, the times as
the download records them) with the limits of what it shows; photograph and
video positions are rows of the case, so choosing them selects those fixes in every
pane (the map shows them). Apps and networks are records of the download, not
rows of the case's tables: their evidence is cited here, and the pane's part
of the shared selection is cleared rather than left showing something else.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QSplitter, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from cellsight.analysis.devices import MATCH_MEANING, NO_MATCH_MEANING, device_findings, photo_fixes, type_words
from cellsight.core.citations import cite
from cellsight.core.selection import SourceRows
from cellsight.core.timezones import court_time
from cellsight.gui.markup import esc
from cellsight.gui.panes.base import Pane
from cellsight.gui.workspace import Workspace
from cellsight.report.devices import PHOTO_MEANING, TO_LOOK_AT_MEANING, WIFI_MEANING, device_section
from cellsight.report.storyboard import Frame

FACET = "devices"
_ROLE = Qt.ItemDataRole.UserRole


class DevicesPane(Pane):
    name = "devices"
    title = "Device findings"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.phones: list[dict[str, Any]] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Finding", "Evidence"])
        header = self.tree.header()  # the finding takes the room; a model id (a UUID) is cut, shown whole below
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 150)
        self.tree.setToolTipDuration(-1)
        self.tree.currentItemChanged.connect(lambda item, _old: self.choose(item))
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    # ----- drawing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.tree.clear()
        self.phones = device_findings(self.case) if self.case is not None else []
        if not self.phones:
            self.detail.setHtml("<p>No phone download in this case lists installed apps, Wi-Fi networks or "
                                "photographs or videos with a position. A download imported before Cellsight read them "
                                "can be re-read with <i>cellsight source</i>.</p>")
        for phone in self.phones:
            self._phone_branch(phone)
        super().refresh()

    def _phone_branch(self, phone: dict[str, Any]) -> None:
        top = QTreeWidgetItem([f"{phone['exhibit']}: {phone['subject'] or 'no subject'}'s phone",
                               f"{phone['installed_apps']} apps, {len(phone['wifi'])} networks"])
        top.setData(0, _ROLE, ("phone", phone, None))
        self.tree.addTopLevelItem(top)
        groups = [
            ("Monitoring apps (indicator matches)", "app", phone["apps"],
             lambda a: f"{a['name'] or a['package']}: {a['indicator']} ({a['type']})"),
            ("Apps to look at (not findings)", "look", phone["to_look_at"],
             lambda a: f"{a['name'] or a['package']}: requests {', '.join(a['permissions'])}"),
            ("Wi-Fi: a place's router or another phone's", "wifi",
             [w for w in phone["wifi"] if w["place"] or w["shared_with"]],
             lambda w: f"{w['ssid'] or '(no name)'} {w['bssid']}: "
                       + "; ".join(([f"router of {w['place']}"] if w["place"] else [])
                                   + [f"also on {o['subject']}'s phone" for o in w["shared_with"]])),
            ("Bluetooth devices", "bluetooth", phone["bluetooth"],
             lambda b: f"{b['name'] or '(no name)'} {b['address'] or ''}"),
        ]
        for title, kind, items, words in groups:
            group = QTreeWidgetItem([f"{title} ({len(items)})", ""])
            group.setData(0, _ROLE, ("group", phone, kind))
            top.addChild(group)
            for item in items:
                child = QTreeWidgetItem([words(item), cite(self.case, phone["source"], item["row"])])
                child.setToolTip(0, child.text(0))
                child.setToolTip(1, child.text(1))
                child.setData(0, _ROLE, (kind, phone, item))
                group.addChild(child)
        photos = QTreeWidgetItem([f"Photograph and video positions ({phone['photo_fixes']})",
                                  f"{phone['exhibit']} files" if phone["photo_fixes"] else ""])
        photos.setToolTip(0, "Choose to select these positions in every pane and show them on the map")
        photos.setData(0, _ROLE, ("photos", phone, None))
        top.addChild(photos)
        top.setExpanded(True)
        for i in range(top.childCount()):
            top.child(i).setExpanded(top.child(i).childCount() > 0)

    # ----- choosing -----------------------------------------------------------------------------
    def choose(self, item: QTreeWidgetItem | None) -> None:
        """Show the chosen item's evidence; photograph positions become the shared selection."""
        if item is None or self.case is None:
            return
        kind, phone, data = item.data(0, _ROLE)
        if kind == "photos" and phone["photo_fixes"]:
            rows = photo_fixes(self.case, [phone["source"]])
            pairs = frozenset((phone["source"], str(r)) for r in rows["source_row"])
            self.publish(FACET, SourceRows(pairs, label=f"photograph and video positions of {phone['exhibit']}"))
        else:
            self.publish(FACET, None)
        self.detail.setHtml(self._detail_html(kind, phone, data))

    def _detail_html(self, kind: str, phone: dict[str, Any], data: Any) -> str:
        zone = self.zone

        def when(value: str | None) -> str:
            return esc(court_time(value, zone)) if value else "not recorded"

        def evidence(row: str) -> str:
            return f"<p><b>Evidence:</b> {esc(cite(self.case, phone['source'], row))}</p>"

        if kind == "app":
            return (f"<p><b>{esc(data['name'] or '(no name)')}</b> ({esc(data['package'])}) is listed by "
                    f"{esc(data['file'])} under <b>{esc(data['indicator'])}</b> as {esc(type_words(data['type']))}."
                    f"</p><p>Installed: {when(data['installed'])}; deleted: {when(data['deleted'])}.</p>"
                    f"{evidence(data['row'])}<p>{esc(MATCH_MEANING)} {esc(NO_MATCH_MEANING)}</p>")
        if kind == "look":
            return (f"<p><b>{esc(data['name'] or '(no name)')}</b> ({esc(data['package'] or '')}) requests: "
                    f"{esc(', '.join(data['permissions']))}.</p>{evidence(data['row'])}"
                    f"<p>{esc(TO_LOOK_AT_MEANING)}</p>")
        if kind == "wifi":
            others = "".join(f"<li>{esc(o['subject'])}'s phone: {esc(cite(self.case, o['source'], o['row']))}</li>"
                             for o in data["shared_with"])
            return (f"<p><b>{esc(data['ssid'] or '(no name)')}</b>, BSSID {esc(data['bssid'] or '')}"
                    + (f", a router of <b>{esc(data['place'])}</b>" if data["place"] else "")
                    + f".</p><p>Last connection as the download records it: {when(data['last'])}.</p>"
                    + evidence(data["row"]) + (f"<p>Also saved on:</p><ul>{others}</ul>" if others else "")
                    + f"<p>{esc(WIFI_MEANING)}</p>")
        if kind == "bluetooth":
            return (f"<p><b>{esc(data['name'] or '(no name)')}</b> {esc(data['address'] or '')}; last seen: "
                    f"{when(data['last'])}.</p>{evidence(data['row'])}")
        if kind == "photos":
            return (f"<p>{phone['photo_fixes']} photographs and videos in {esc(phone['exhibit'])} record a "
                    "position; they are selected in every pane and shown on the map.</p>"
                    f"<p>{esc(PHOTO_MEANING)}</p>")
        files = ", ".join(f"{f['file']} ({f['date']}, {f['entries']} entries)" for f in phone["indicators"]["files"])
        return (f"<p><b>{esc(phone['exhibit'])}</b>, {esc(phone['subject'] or 'no subject')}'s phone: "
                f"{phone['installed_apps']} installed apps, {len(phone['wifi'])} saved Wi-Fi networks, "
                f"{len(phone['bluetooth'])} Bluetooth devices, {phone['photo_fixes']} photograph and video positions.</p>"
                f"<p>Indicator files: {esc(files)}.</p><p>{esc(MATCH_MEANING)} {esc(NO_MATCH_MEANING)}</p>")

    def capture(self) -> Frame | None:
        """The findings' tables as one storyboard frame (the matched apps and the joined networks)."""
        if self.case is None or not self.phones:
            return None
        section = device_section(self.case, self.phones)
        apps, nets = section.frames[2], section.frames[3]
        rows = [["App", *r[:2], f"{r[3]} ({r[4]}, {r[5]})", r[6]] for r in apps.content["rows"]]
        rows += [["Wi-Fi", *r[:2], f"{r[2]} {r[3]}: {r[4] or 'also on ' + r[5]}", r[6]] for r in nets.content["rows"]]
        return Frame("table", caption="Device findings", note=f"{MATCH_MEANING} {NO_MATCH_MEANING}",
                     parameters={"pane": self.name, "zone": self.zone},
                     content={"columns": ["Finding", "Exhibit and row", "Subject", "What", "Time"], "rows": rows})
