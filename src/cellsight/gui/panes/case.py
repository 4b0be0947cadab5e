"""The Case pane: who is in the case, which files it holds, and which places matter.

Subjects (role, numbers, IMEIs, event counts), sources (format, counts,
SHA-256, and their rejected rows, browsable so nothing is silently dropped) and
places (with their radius). Each file takes two lines (its exhibit and name;
then what it is, whose, its counts and a shortened SHA-256) so the list reads
in a narrow column without scrolling sideways; the chosen file's full SHA-256
is written out below it in groups of eight, to read against an exhibit label,
and "Copy SHA-256" copies it whole. Clicking a subject selects that person's records
in every pane; double-clicking opens it for editing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QSplitter, QTableView, QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from cellsight.analysis.devices import rows_cell
from cellsight.core.device_records import holdings
from cellsight.core.hub import Change
from cellsight.core.citations import exhibit_for, row_words
from cellsight.core.selection import Subjects
from cellsight.gui.models.frame_model import FrameModel
from cellsight.gui.panes.base import Pane
from cellsight.report.storyboard import Frame
from cellsight.gui import source_actions
from cellsight.gui.markup import esc
from cellsight.gui.workspace import Workspace
from cellsight.importers.timebasis import source_basis


SOURCE_ID, SHA256 = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1


def short_hash(sha256: str) -> str:
    """``7c56c263…2f22f6bff2``: enough to tell files apart in a list; the full hash is shown below."""
    return f"{sha256[:8]}…{sha256[-8:]}" if len(sha256) > 20 else sha256


def grouped_hash(sha256: str) -> str:
    """The full hash in groups of eight, easy to read against a label (and to wrap)."""
    return " ".join(sha256[i:i + 8] for i in range(0, len(sha256), 8))


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    tree.header().setStretchLastSection(True)
    return tree


def _section(title: str, widget: QWidget, *buttons: QPushButton) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 4, 0, 0)
    row = QHBoxLayout()
    heading = QLabel(title)
    heading.setObjectName("heading")
    heading.setWordWrap(True)  # a narrow column wraps the heading rather than widening the window
    row.addWidget(heading)
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    layout.addLayout(row)
    layout.addWidget(widget)
    return box


class CasePane(Pane):
    name = "case"
    title = "Case"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.subjects = _tree(["Subject", "Role", "Numbers", "IMEIs", "Events"])
        self.subjects.itemSelectionChanged.connect(self._subject_clicked)
        self.subjects.itemDoubleClicked.connect(lambda item, col: ws.commands.edit_subject(item.text(0)))
        self.sources = QListWidget()
        self.sources.setWordWrap(True)
        self.sources.setAlternatingRowColors(True)
        self.sources.setSpacing(2)
        self.sources.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sources.itemSelectionChanged.connect(self._source_clicked)
        self.sources.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sources.customContextMenuRequested.connect(self._sources_menu)
        self.source_details = QLabel()
        self.source_details.setWordWrap(True)
        self.source_details.setTextFormat(Qt.TextFormat.RichText)
        self.source_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.places = _tree(["Place", "Latitude", "Longitude", "Radius (m)"])
        self.rejections = FrameModel(pd.DataFrame({"row": [], "reason": []}),
                                     headers={"row": "Row in exhibit", "reason": "Reason"})
        self.rejections_view = QTableView()
        self.rejections_view.setModel(self.rejections)
        self.rejections_view.verticalHeader().hide()
        self.rejections_view.horizontalHeader().setStretchLastSection(True)
        self.rejections_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rejections_label = QLabel("Choose a source to see the rows it could not use.")
        self.rejections_label.setObjectName("hint")
        self.rejections_label.setWordWrap(True)
        add_subject = QPushButton("Add…")
        add_subject.clicked.connect(lambda: ws.commands.edit_subject())
        add_place = QPushButton("Add…")
        add_place.clicked.connect(ws.commands.add_place)
        import_button = QPushButton("Import…")
        import_button.clicked.connect(ws.commands.choose_and_import)
        rejected_box = QWidget()
        rejected_layout = QVBoxLayout(rejected_box)
        rejected_layout.setContentsMargins(0, 4, 0, 0)
        rejected_layout.addWidget(self.source_details)
        rejected_layout.addWidget(self.rejections_label)
        rejected_layout.addWidget(self.rejections_view)
        sources = QSplitter(Qt.Orientation.Vertical)
        sources.addWidget(_section("Files imported, with their SHA-256", self.sources, import_button))
        sources.addWidget(_section("The chosen file: its SHA-256 and the rows it could not use", rejected_box))
        sources.setSizes([220, 160])
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(_section("People in the case (click to select their records)", self.subjects,
                                  add_subject), "Subjects")
        self.tabs.addTab(sources, "Sources")
        self.tabs.addTab(_section("Places that matter", self.places, add_place), "Places")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)

    def raise_dock(self) -> None:
        """Bring this pane's tab to the front (the dock that holds it, when it is in one)."""
        holder = self.parentWidget()
        (holder if isinstance(holder, QDockWidget) else self).raise_()

    def case_changed(self, change: Change) -> None:
        self._fill()
        super().case_changed(change)

    def refresh(self) -> None:
        if self.case is not None and self.subjects.topLevelItemCount() != len(self.case.subjects):
            self._fill()
        super().refresh()

    def _fill(self) -> None:
        case = self.case
        self.tabs.setTabText(0, f"Subjects ({len(case.subjects)})" if case else "Subjects")
        self.tabs.setTabText(1, f"Sources ({len(case.sources)})" if case else "Sources")
        self.tabs.setTabText(2, f"Places ({len(case.places)})" if case else "Places")
        for tree in (self.subjects, self.sources, self.places):
            tree.blockSignals(True)
            tree.clear()
            tree.blockSignals(False)
        if case is None:
            self.header.setText("<i>No case open.</i> Create one with File › New, or open a case file. "
                                "Then drop call records, phone downloads or location files on this window.")
            return
        info = case.info
        self.header.setText(f"<b>{esc(info.name or 'Untitled case')}</b> &nbsp; {esc(info.reference)}"
                            f"<br><span style='color:#5b6b7c'>Officer {esc(info.officer or '—')} · "
                            f"times shown in {esc(info.tz)} · numbers read as {esc(info.region)}</span>")
        counts = case.events["subject"].value_counts() if len(case.events) else pd.Series(dtype=int)
        for subject in case.subjects:
            item = QTreeWidgetItem([subject.name, subject.role, ", ".join(subject.numbers),
                                    ", ".join(subject.imeis), f"{int(counts.get(subject.name, 0)):,}"])
            item.setToolTip(2, "\n".join(subject.numbers))
            self.subjects.addTopLevelItem(item)
        for source in case.sources:
            owner = source.subject or "no one's (a cell list)"
            held = holdings(source)  # apps and networks are not rows: say what a download holds
            item = QListWidgetItem(
                f"{source.exhibit or '(no exhibit reference)'} · {source.file}\n"
                f"{source.format}, {owner} · {source.rows:,} rows: {source.imported:,} imported, "
                f"{source.rejected:,} rejected · SHA-256 {short_hash(source.sha256)}"
                + (f"\nalso holds {held} (device records, not rows)" if held else "")
                + (f"\ntimes: {source_basis(source)}" if source.tz_rule else ""))
            item.setToolTip(f"{source.path}\nSHA-256 {source.sha256}\n(source {source.id} in this case; "
                            "right-click to copy the SHA-256, re-read it in another zone or remove it)")
            item.setData(SOURCE_ID, source.id)
            item.setData(SHA256, source.sha256)
            self.sources.addItem(item)
        for place in case.places:
            radius = "" if place.radius_m is None else f"{place.radius_m:g}"
            self.places.addTopLevelItem(QTreeWidgetItem([place.name, f"{place.lat:.6f}",
                                                         f"{place.lon:.6f}", radius]))
        self._show_rejections(None)

    def _subject_clicked(self) -> None:
        names = [item.text(0) for item in self.subjects.selectedItems()]
        self.publish("subjects", Subjects(frozenset(names)) if names else None)

    def _source_clicked(self) -> None:
        items = self.sources.selectedItems()
        self._show_rejections(items[0].data(SOURCE_ID) if items else None)

    def _sources_menu(self, pos: Any) -> None:
        item = self.sources.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction("Copy SHA-256", lambda: QGuiApplication.clipboard().setText(item.data(SHA256)))
        source_id = item.data(SOURCE_ID)
        menu.addAction("Re-read in another time zone…", lambda: source_actions.reread(self.ws, self, source_id))
        menu.addAction("Remove from the case…", lambda: source_actions.remove(self.ws, self, source_id))
        menu.exec(self.sources.viewport().mapToGlobal(pos))

    def _show_rejections(self, source_id: str | None) -> None:
        source = next((s for s in self.case.sources if s.id == source_id), None) if self.case else None
        self.source_details.setText(
            f"<b>{esc(source.exhibit or '(no exhibit reference)')}</b> {esc(source.file)} (source {esc(source.id)})"
            f"<br>SHA-256 <span style='font-family:monospace'>{grouped_hash(source.sha256)}</span>"
            if source else "")
        self.source_details.setVisible(source is not None)
        if self.case is None or source_id is None:
            self.rejections.set_frame(pd.DataFrame({"row": [], "reason": []}))
            self.rejections_label.setText("Choose a source to see the rows it could not use.")
            return
        rejected = self.case.rejections
        rows = rejected[rejected["source_id"] == source_id][["row", "reason"]].reset_index(drop=True)
        self.rejections.set_frame(rows)
        if source is not None:  # each row as the exhibit numbers it (line 174, model 991)
            self.rejections.set_column_text("row", lambda positions: [
                row_words(source, str(rows["row"].iat[p])) for p in positions])
        label = exhibit_for(self.case, source_id)
        self.rejections_label.setText(f"{len(rows):,} rows of {label} could not be used"
                                      if len(rows) else f"Every row of {label} was used.")

    def capture(self) -> Frame | None:
        if self.case is None or not self.case.sources:
            return None
        rows = [[s.exhibit or "(none)", s.file, s.format, s.subject, rows_cell(s), s.imported, s.rejected, s.sha256]
                for s in self.case.sources]
        return Frame("table", caption="Exhibits: the files this analysis is based on",
                     parameters={"pane": self.name, "sources": [s.id for s in self.case.sources]},
                     content={"columns": ["Exhibit", "File", "Format", "Subject", "Rows", "Imported",
                                         "Rejected", "SHA-256"], "rows": rows})
