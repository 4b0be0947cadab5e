"""The Scenes pane: the case's tower dumps, the numbers common to them, and co-travel.

Three parts: the list of scenes (name, position, time, period, rows) with an
"Add tower dump…" button; "Common numbers" (seen at k or more scenes, with the
night, scene-hour and subjects filters of ``analysis.scenes``); "Co-travel"
(``analysis.cotravel`` for a subject, with its distance and window). The
queries run in a worker on the same engine as the command line; choosing a
number in either result selects its communications everywhere (the "parties"
facet), and the storyboard captures the result shown with its method and
parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout,
    QHeaderView, QInputDialog, QLabel, QMessageBox, QPushButton, QSpinBox, QSplitter, QTableView, QTabWidget,
    QVBoxLayout, QWidget,
)

from cellsight.core.hub import Change
from cellsight.analysis import cotravel, scenes as common
from cellsight.core.case import CaseError
from cellsight.core.scenestore import scenes as case_scenes
from cellsight.core.selection import Parties
from cellsight.core.timezones import court_time
from cellsight.gui.models.frame_model import FrameModel
from cellsight.gui.panes.base import Pane
from cellsight.gui.workers import Latest
from cellsight.importers.base import ImportFailure
from cellsight.importers.timebasis import ZoneNotStated
from cellsight.report.storyboard import Frame
from cellsight.gui.flow_layout import FlowLayout
from cellsight.gui.workspace import Workspace

SCENE_HEADERS = {"scene": "Scene", "place": "Position", "at": "Time of offence", "first": "First row",
                 "last": "Last row", "rows": "Rows", "files": "Files"}
COMMON_HEADERS = {"number": "Number", "name": "Name", "imei": "IMEI", "seen": "Scenes", "rows": "Rows",
                  "where": "Seen at (rows)"}
COTRAVEL_HEADERS = {"number": "Number", "name": "Name", "share": "Share %", "hours": "Hours together",
                    "of": "Of subject's hours", "first": "First hour together", "last": "Last hour together"}


def _court(iso: str | None, zone: str) -> str:
    """A scene's time as every other pane shows it: ``Tue 2 May 2023 16:45:00 BST``."""
    return court_time(pd.Timestamp(iso), zone) if iso else ""


def _hour(label: str, zone: str) -> str:
    """An hour of co-travel, ``2023-05-02T16+01:00``, as ``Tue 2 May 2023 16:00:00 BST``."""
    return _court(f"{label[:13]}:00{label[13:]}", zone)


def scenes_frame(case: Any) -> pd.DataFrame:
    rows = []
    for scene in case_scenes(case) if case is not None else []:
        item = common.scene_json(scene, case.info.zone)
        where = scene.place or (f"{scene.lat:.5f}, {scene.lon:.5f}" if scene.located else "")
        rows.append({"scene": scene.name, "place": where, "rows": scene.rows, "files": len(scene.files),
                     **{key: _court(item[key], case.info.zone) for key in ("at", "first", "last")}})
    return pd.DataFrame(rows, columns=list(SCENE_HEADERS))


def common_frame(doc: dict[str, Any]) -> pd.DataFrame:
    rows = [{"number": e["number"] or "", "name": e.get("name") or "",
             "imei": e.get("imei") or ", ".join(e.get("imeis", [])[:3]), "seen": len(e["scenes"]),
             "rows": e["total"], "where": ", ".join(f"{v['scene']} ({v['count']})" for v in e["scenes"])}
            for e in doc.get("numbers", [])]
    return pd.DataFrame(rows, columns=list(COMMON_HEADERS))


def cotravel_frame(doc: dict[str, Any], zone: str) -> pd.DataFrame:
    rows = [{"number": c["number"], "name": c.get("name") or "", "share": round(c["share"] * 100, 1),
             "hours": c["hours_together"], "of": c["hours_of_subject"], "first": _hour(c["hours"][0], zone),
             "last": _hour(c["hours"][-1], zone)} for c in doc.get("candidates", [])]
    return pd.DataFrame(rows, columns=list(COTRAVEL_HEADERS))


def _table(model: FrameModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


class ScenesPane(Pane):
    name = "scenes"
    title = "Scenes"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.scene_model = FrameModel(pd.DataFrame(columns=list(SCENE_HEADERS)), headers=SCENE_HEADERS)
        self.scene_view = _table(self.scene_model)
        self.add_button = QPushButton("Add tower dump…")
        self.add_button.clicked.connect(self.choose_and_add)
        head = QHBoxLayout()
        explanation = QLabel("Tower dumps, by scene (place and period). Their rows are not anyone's "
                             "communications.")
        explanation.setWordWrap(True)
        head.addWidget(explanation, 1)
        head.addWidget(self.add_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(head)
        top_layout.addWidget(self.scene_view)

        self.min_scenes = QSpinBox()
        self.min_scenes.setRange(1, 999)
        self.min_scenes.setValue(2)
        self.min_scenes.setPrefix("seen at ≥ ")
        self.min_scenes.setSuffix(" scenes")
        self.exclude = QCheckBox("leave out subjects")
        self.night = QCheckBox("only at night (22:00–06:00)")
        self.hour = QCheckBox("only the scene's hour (±30 min)")
        self.run_common = QPushButton("Find common numbers")
        self.run_common.clicked.connect(self.find_common)
        self.common_model = FrameModel(pd.DataFrame(columns=list(COMMON_HEADERS)), headers=COMMON_HEADERS)
        self.common_view = _table(self.common_model)
        self.common_view.clicked.connect(lambda index: self.choose(self.common_model, index.row()))
        controls = FlowLayout().addWidgets(self.min_scenes, self.exclude, self.night, self.hour, self.run_common)
        common_tab = QWidget()
        common_layout = QVBoxLayout(common_tab)
        common_layout.addLayout(controls)
        common_layout.addWidget(self.common_view)

        self.subject = QComboBox()
        self.subject.setMinimumWidth(140)
        self.distance = QDoubleSpinBox()
        self.distance.setRange(0, 50_000)
        self.distance.setDecimals(0)
        self.distance.setValue(cotravel.DEFAULT_DISTANCE_M)
        self.distance.setSuffix(" m")
        self.window = QDoubleSpinBox()
        self.window.setRange(0, 24 * 60)
        self.window.setDecimals(0)
        self.window.setValue(cotravel.DEFAULT_WINDOW_MIN)
        self.window.setSuffix(" min")
        self.run_cotravel = QPushButton("Rank co-travellers")
        self.run_cotravel.clicked.connect(self.find_cotravel)
        self.cotravel_model = FrameModel(pd.DataFrame(columns=list(COTRAVEL_HEADERS)), headers=COTRAVEL_HEADERS)
        self.cotravel_view = _table(self.cotravel_model)
        self.cotravel_view.clicked.connect(lambda index: self.choose(self.cotravel_model, index.row()))
        form = FlowLayout().addWidgets(QLabel("Who travels with"), self.subject, QLabel("within"), self.distance,
                                       QLabel("and"), self.window, self.run_cotravel)
        cotravel_tab = QWidget()
        cotravel_layout = QVBoxLayout(cotravel_tab)
        cotravel_layout.addLayout(form)
        cotravel_layout.addWidget(self.cotravel_view)

        self.tabs = QTabWidget()
        self.tabs.addTab(common_tab, "Common numbers")
        self.tabs.addTab(cotravel_tab, "Co-travel")
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.tabs)
        splitter.setSizes([160, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self._common = Latest(ws.run, self)
        self._cotravel = Latest(ws.run, self)
        self.common_doc: dict[str, Any] | None = None
        self.cotravel_doc: dict[str, Any] | None = None

    # ----- the scenes ----------------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & (Change.CASE | Change.SUBJECTS | Change.ROWS):
            current = self.subject.currentText()
            self.subject.clear()
            if self.case is not None:
                self.subject.addItems([s.name for s in self.case.subjects if s.numbers])
                if current:
                    self.subject.setCurrentText(current)
            if change & Change.CASE:
                self.common_doc = self.cotravel_doc = None
                self.common_model.set_frame(pd.DataFrame(columns=list(COMMON_HEADERS)))
                self.cotravel_model.set_frame(pd.DataFrame(columns=list(COTRAVEL_HEADERS)))
        super().case_changed(change)

    def refresh(self) -> None:
        super().refresh()
        frame = scenes_frame(self.case)
        self.scene_model.set_frame(frame)
        self.min_scenes.setMaximum(max(len(frame), 1))
        self.add_button.setEnabled(self.case is not None)

    def choose_and_add(self) -> None:
        if self.case is None:
            return
        files, _ = QFileDialog.getOpenFileNames(self, "Add tower dumps", "",
                                                "Tower dumps (*.csv *.txt *.xlsx *.xls);;All files (*)")
        if files:
            name, ok = QInputDialog.getText(self, "Scene", "Name of the scene (place and period):",
                                            text=Path(files[0]).stem)
            if ok and name.strip():
                places = ["(no position)"] + [p.name for p in self.case.places]
                place, ok = QInputDialog.getItem(self, "Scene", "Where the mast or the offence is:", places, 0,
                                                 False)
                if ok:
                    at, ok = QInputDialog.getText(self, "Scene", "Time of the offence, if known "
                                                  "(e.g. 2023-05-02 16:45; the case's time zone):")
                    if ok:
                        self.add_files(files, name, None if place == places[0] else place, at.strip() or None)

    def add_files(self, files: list[str], name: str, place: str | None = None, at: str | None = None,
                  zone: Any = None) -> None:
        """Add tower dumps to a scene: read and written beside the case in a worker (with Cancel),
        then put into the case here, on the main thread. Dumps whose times state no zone are
        asked about (``zone``: the officer's ``ZoneChoice``) and read again."""
        from cellsight.core.scenestore import check_can_hold_scenes
        from cellsight.importers import towerdump

        case, path = self.case, self.ws.path
        try:
            check_can_hold_scenes(case, path)
            scene = towerdump.scene_for(case, name, place, None, None, at)
        except CaseError as exc:
            self._report([], [str(exc)])
            return
        options = towerdump.scene_options(case, zone.tz if zone else None,
                                          assume_case_tz=bool(zone and zone.assume_case_tz))

        def work(progress: Any) -> list[Any]:
            out, seen = [], set()
            for file in files:
                try:
                    prepared = towerdump.prepare_file(case, path, scene.name, Path(file), options, progress)
                except (ImportFailure, CaseError) as exc:
                    out.append(exc)
                    continue
                if prepared.sha256 in seen:  # the same file twice in one choice
                    out.append(ImportFailure(f"{prepared.path.name}: given twice"))
                    continue
                seen.add(prepared.sha256)
                out.append(prepared)
            return out

        def done(results: list[Any]) -> None:
            reports, failures = [], []
            unstated = [f for f, item in zip(files, results) if isinstance(item, ZoneNotStated)]
            choice = self.ask_zone(Path(unstated[0]), case.info.tz) if unstated and zone is None else None
            for item in results:
                if choice is not None and isinstance(item, ZoneNotStated):
                    continue  # read again below, in the zone chosen
                if isinstance(item, Exception):
                    failures.append(str(item))
                    continue
                try:
                    reports.append(towerdump.commit_file(case, path, scene, item))
                except (ImportFailure, CaseError) as exc:
                    failures.append(str(exc))
            if reports:
                self.ws.changed(Change.ROWS, self)
                self.case_changed(Change.ROWS)
            self._report(reports, failures)
            if choice is not None:
                self.add_files(unstated, name, place, at, zone=choice)

        self.status.setText("reading tower dumps…")
        self.ws.run("Adding tower dumps…", work, done)

    def ask_zone(self, path: Path, case_tz: str) -> Any:
        """The officer's ``ZoneChoice`` for tower dumps whose times state no zone, or None."""
        from cellsight.gui.dialogs.time_zone import ZoneChoiceDialog

        return ZoneChoiceDialog.ask(self, path, "tower-dump", case_tz)

    def _report(self, reports: list[dict[str, Any]], failures: list[str]) -> None:
        text = "; ".join(f"{r['file']}: {r['imported']:,} rows kept, {r['rejected']:,} rejected"
                         + "".join(f" (warning: {w})" for w in r["warnings"]) for r in reports)
        self.status.setText(" ".join([text] + failures).strip())
        self.refresh()
        if failures and self.isVisible():
            QMessageBox.warning(self, "Cellsight", "\n".join(failures))

    # ----- the queries -----------------------------------------------------------------------------
    def find_common(self) -> None:
        case, path = self.case, self.ws.path
        if case is None:
            return
        options = common.CommonOptions(min_scenes=min(self.min_scenes.value(), max(len(case_scenes(case)), 1)),
                                       exclude_subjects=self.exclude.isChecked(),
                                       night=common.DEFAULT_NIGHT if self.night.isChecked() else None,
                                       scene_hour=self.hour.isChecked())
        self.status.setText("finding numbers common to the scenes…")

        def work(progress: Any) -> Any:
            try:
                return common.common_numbers(case, path, options)
            except CaseError as exc:
                return exc

        self._common.submit("Finding common numbers…", work, self._show_common)

    def _show_common(self, doc: Any) -> None:
        if isinstance(doc, Exception):
            self.status.setText(str(doc))
            return
        self.common_doc = doc
        self.common_model.set_frame(common_frame(doc))
        p = doc["parameters"]
        self.status.setText(f"{len(doc['numbers'])} numbers or handsets seen at {p['min_scenes']} or more of "
                            f"{p['of_scenes']} scenes.")

    def find_cotravel(self) -> None:
        case, path, subject = self.case, self.ws.path, self.subject.currentText()
        if case is None or not subject:
            return
        distance, window = self.distance.value(), self.window.value()
        self.status.setText(f"ranking who travels with {subject}…")

        def work(progress: Any) -> Any:
            try:
                return cotravel.run(case, path, subject, distance_m=distance, window_min=window)
            except CaseError as exc:
                return exc

        self._cotravel.submit("Ranking co-travellers…", work, self._show_cotravel)

    def _show_cotravel(self, doc: Any) -> None:
        if isinstance(doc, Exception):
            self.status.setText(str(doc))
            return
        self.cotravel_doc = doc
        self.cotravel_model.set_frame(cotravel_frame(doc, self.case.info.zone))
        self.status.setText(f"{doc['subject']}: {doc['hours_of_subject']} located hours; "
                            f"{len(doc['candidates'])} numbers together in at least one.")

    def choose(self, model: FrameModel, row: int) -> None:
        """Select the chosen number's communications everywhere."""
        if not 0 <= row < model.rowCount():
            return
        number = str(model.raw(row, model.columns.index("number")))
        if number:
            name = self.case.number_names().get(number)
            self.publish("parties", Parties(frozenset([number]), label=name or number))

    # ----- the storyboard ------------------------------------------------------------------------------
    def capture(self) -> Frame | None:
        if self.tabs.currentIndex() == 0 and self.common_doc is not None:
            doc, frame, headers = self.common_doc, common_frame(self.common_doc), COMMON_HEADERS
            caption = (f"Numbers seen at {doc['parameters']['min_scenes']} or more of "
                       f"{doc['parameters']['of_scenes']} scenes")
        elif self.tabs.currentIndex() == 1 and self.cotravel_doc is not None:
            doc, frame, headers = self.cotravel_doc, cotravel_frame(self.cotravel_doc, self.case.info.zone), COTRAVEL_HEADERS
            caption = f"Who travels with {doc['subject']} (co-travel)"
        else:
            return None
        note = doc["method"] + "".join("\n\n" + text for text in doc.get("limitations", []))
        return Frame("table", caption=caption, note=note, parameters={"pane": self.name, **doc["parameters"]},
                     content={"columns": [headers[c] for c in frame.columns],
                              "rows": frame.astype(object).values.tolist()})
