"""The Map pane: the case's fixes, tracks, cell sectors, places and occasions, offline.

The page is built once per case (and again when proximity occasions or the base
map change) by ``report.webmap.map_page`` with vendored Leaflet, written to a
temporary file and ``load()``-ed (``setHtml`` stops at 2 MB). Selections then
change it in place through the page's API (``cellsight.highlight``, documented
in ``resources/cellsight-map/cellsight-map.js``): fixes, track stretches, cell
sites and occasions outside the selection fade, the selected ones stand out;
nothing is redrawn. What is selected is worked out here in Python with the same
predicates as every other pane, and sent to the page as one string of 0/1 per
subject in the page's own order (the subject's fixes by time), the selected cell
keys and the labels of the occasions the selection touches. Clicks on the page
come back through a QWebChannel: a cell site selects the events that used it, a
fix the subject's events within a quarter of an hour of it.

The base map is the MBTiles file chosen in Settings, served to the page by
``gui.mbtiles`` (no network). "Offline map…" makes such a file for the
case from a tile server the officer configured, after a warning, in a worker
with a progress dialog (``report.tilepack``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QFile, QIODevice, QObject, Qt, QUrl, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineScript, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout

from cellsight.core.hub import Change, FocusRequested, ResultsChanged, SettingsChanged
from cellsight.core.selection import BBox, Everything, Selection, Subjects, TimeRange
from cellsight.gui.mbtiles import SCHEME, TILE_URL, MBTilesHandler
from cellsight.gui.panes.base import Pane
from cellsight.report import tilepack, webmap
from cellsight.report.storyboard import Frame
from cellsight.report.tileset import TilesetError
from cellsight.gui.flow_layout import FlowLayout
from cellsight.gui.workspace import Workspace

FIX_WINDOW = pd.Timedelta(minutes=15)

# Runs in the page once Leaflet has drawn it: quieter overlays for a pane, and clicks to Python.
PANE_SCRIPT = r"""
(function () {
  function start(pane) {
    var cs = window.cellsight;
    if (!cs) { return; }
    var style = document.createElement("style");  // a pane is smaller than a page: quieter overlays
    // The legend's notes are shown under the map by the pane; the layer list opens on hover.
    // The case's name is on the window already: the pane's legend keeps to the symbols.
    style.textContent = ".cs-legend{font-size:10.5px;line-height:1.25;max-width:235px;padding:2px 6px;opacity:.93}" +
      ".cs-legend-title,.cs-legend-note{display:none}.cs-legend-head{justify-content:flex-end;height:12px}" +
      ".cs-legend-folded .cs-legend-head{height:auto}.cs-legend-row{margin-top:0}" +
      ".leaflet-control-layers-expanded{font-size:11px;padding:3px 7px}" +
      ".leaflet-control-layers-expanded label{margin:0}" +
      ".leaflet-control-layers-expanded .leaflet-control-layers-list{display:none}" +
      ".leaflet-control-layers-expanded:hover .leaflet-control-layers-list{display:block}" +
      ".leaflet-control-layers-expanded::before{content:'Layers \\25BE';font-weight:600;color:#33475b}";
    document.head.appendChild(style);
    if (cs.map.getSize().x < 760) { cs.foldLegend(true); }  // a narrow pane: the map first, "Legend ▸" opens it
    if (pane) {
      cs.onFixClick(function (i, k) { pane.fixClicked(i, k); });
      cs.onSiteClick(function (lat, lon) { pane.siteClicked(lat, lon); });
    }
    window.cellsightLinked = !!pane;
  }
  if (typeof QWebChannel !== "undefined" && window.qt && qt.webChannelTransport) {
    new QWebChannel(qt.webChannelTransport, function (channel) { start(channel.objects.pane); });
  } else { start(null); }
})();
"""


class _PageLink(QObject):
    """The object the page calls (through QWebChannel) when a marker is clicked."""

    def __init__(self, pane: MapPane) -> None:
        super().__init__(pane)
        self._pane = pane

    @Slot(int, int)
    def fixClicked(self, subject_index: int, fix_index: int) -> None:  # noqa: N802 - called from JS
        self._pane.select_fix(subject_index, fix_index)

    @Slot(float, float)
    def siteClicked(self, lat: float, lon: float) -> None:  # noqa: N802 - called from JS
        self._pane.select_site(lat, lon)


def _web_channel_script() -> str:
    resource = QFile(":/qtwebchannel/qwebchannel.js")
    if not resource.open(QIODevice.OpenModeFlag.ReadOnly):
        return ""
    text = bytes(resource.readAll().data()).decode("utf-8")
    resource.close()
    return text


class MapPane(Pane):
    name = "map"
    title = "Map"

    _tile_handler: MBTilesHandler | None = None

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.view = QWebEngineView()
        self.view.setAcceptDrops(False)
        self.page = QWebEnginePage(self.view)
        settings = self.page.settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        self.view.setPage(self.page)
        self.link = _PageLink(self)
        self.channel = QWebChannel(self.page)
        self.channel.registerObject("pane", self.link)
        self.page.setWebChannel(self.channel)
        script = QWebEngineScript()
        script.setName("cellsight-pane")
        script.setSourceCode(_web_channel_script() + "\n" + PANE_SCRIPT)
        script.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentReady)
        script.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        self.page.scripts().insert(script)
        self.page.loadFinished.connect(self._loaded)
        self._install_tile_handler()
        ws.bridge.resultsChanged.connect(self._results_changed)
        ws.bridge.settingsChanged.connect(self._settings_changed)

        self.info = QLabel()
        self.info.setObjectName("hint")
        self.info.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setObjectName("hint")
        self.notes.setWordWrap(True)
        for label in (self.info, self.notes):  # they quote file names and attributions: never markup
            label.setTextFormat(Qt.TextFormat.PlainText)
        area = QPushButton("Select visible area")
        area.setToolTip("Select the events, fixes and cells inside the map's current view")
        area.clicked.connect(self.select_visible_area)
        fit = QPushButton("Fit")
        fit.clicked.connect(lambda: self.page.runJavaScript("window.cellsight && cellsight.fit()"))
        prepare = QPushButton("Offline map…")
        prepare.setToolTip("Download the streets of this case's area once, from the tile server in Settings, "
                           "into an MBTiles file (the server learns the area)")
        prepare.clicked.connect(self.prepare_offline_map)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.info)
        layout.addLayout(FlowLayout().addWidgets(area, fit, prepare))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.notes)
        self._html_file: Path | None = None
        self._ready = False
        self._build_generation = 0
        self._occasions: list[dict[str, Any]] = []
        self._order: list[pd.DataFrame] = []  # per subject of the page: its fixes in page order
        self._aggregated = False
        self._basemap_problem = ""
        self.info.setText("The map appears when the case has positions or located cells.")

    def _install_tile_handler(self) -> None:
        profile = QWebEngineProfile.defaultProfile()
        if MapPane._tile_handler is None:
            MapPane._tile_handler = MBTilesHandler(profile)
            profile.installUrlSchemeHandler(SCHEME, MapPane._tile_handler)

    # ----- building the page -------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & Change.DATA:
            self._occasions = [] if change & Change.CASE else self._occasions
            self._rebuild()
        super().case_changed(change)

    def _results_changed(self, message: ResultsChanged) -> None:
        if message.kind == "proximity":
            self._occasions = list(message.results or [])
            self._rebuild()

    def _settings_changed(self, message: SettingsChanged) -> None:
        if not message.keys or {"basemap", "mbtiles_path"} & set(message.keys):
            self._rebuild()

    def _rebuild(self) -> None:
        case = self.case
        self._ready = False
        self._build_generation += 1
        generation = self._build_generation
        if case is None:
            self.view.setHtml("<html><body style='background:#f6f4ee'></body></html>")
            return
        occasions = list(self._occasions)
        basemap = self._basemap(generation)
        self.info.setText("Drawing the map…")

        def work(progress: Any) -> Any:
            return webmap.map_page(case, occasions=occasions, basemap=basemap), _page_order(case)

        self.ws.run("Drawing the map…", work, on_success=lambda r: self._show_page(r, generation),
                     dialog=False)

    def _show_page(self, result: Any, generation: int) -> None:
        if generation != self._build_generation:
            return
        page, order = result
        self._order = order
        self._aggregated = page.aggregated
        handle = tempfile.NamedTemporaryFile("w", suffix=".html", prefix="cellsight-map-", delete=False,
                                             encoding="utf-8")
        with handle:
            handle.write(page.html)
        old, self._html_file = self._html_file, Path(handle.name)
        if old is not None:
            old.unlink(missing_ok=True)
        counts = page.counts
        base = f" · base map {page.basemap['file']}" if page.basemap else ""
        self.info.setText(f"{counts.get('fixes', 0):,} fixes · {counts.get('cells', 0):,} cells · "
                          f"{counts.get('places', 0)} places · {counts.get('occasions', 0)} occasions{base}"
                          + (" · fixes grouped" if page.aggregated else "")
                          + " · click a cell site or a fix to select its events"
                          + (f" · {self._basemap_problem}" if self._basemap_problem else ""))
        self.page.load(QUrl.fromLocalFile(str(self._html_file)))

    def _loaded(self, ok: bool) -> None:
        if not ok:
            self.info.setText("The map page could not be shown.")
            return
        self._ready = True
        self.page.runJavaScript("JSON.stringify(window.cellsight ? cellsight.data.notes : [])", 0,
                                self._show_notes)
        self.refresh()

    def _show_notes(self, text: Any) -> None:
        try:
            notes = json.loads(text) if isinstance(text, str) and text else []
        except ValueError:
            notes = []
        self.notes.setText(" ".join(str(n) for n in notes))

    def _basemap(self, generation: int) -> dict[str, Any] | None:
        """The base map from Settings, served to the page; None (and a note) when there is none to use."""
        self._basemap_problem = ""
        path = self.ws.settings.basemap_file()
        handler = MapPane._tile_handler
        try:
            handler.set_path(path)
            # A new address for each page, so that no tile of an earlier file is reused from a cache.
            return webmap.served_basemap(path, f"{TILE_URL}?page={generation}") if path else None
        except TilesetError as exc:
            handler.set_path(None)
            self._basemap_problem = f"base map not shown: {exc}"
            return None

    # ----- selection -------------------------------------------------------------------------------
    def selection_state(self) -> dict[str, Any]:
        """What the page shows as selected (``cellsight.highlight``): 0/1 per fix per subject, the
        cell keys, and the occasions that the selected fixes or events fall in (None: everything)."""
        case = self.case
        selection = self.selection
        fixes = []
        times = []  # of what is selected, only when there are occasions to light up
        for frame in self._order:
            if self._aggregated or frame.empty:
                fixes.append(None)
                continue
            mask = selection.to_mask(frame, "locations", case.tables, self.ws.masks)
            fixes.append(None if mask.all() else "".join(np.where(mask, "1", "0").tolist()))
            if self._occasions:
                times.append(_utc64(frame["time"])[mask])
        sites: list[str] | None = None
        events = case.events
        mask = self.mask(selection)
        if not mask.all():
            chosen = events.loc[mask, ["cell_first", "cell_last"]]
            sites = sorted(set(chosen["cell_first"].dropna().unique()) | set(chosen["cell_last"].dropna().unique()))
            if self._occasions:
                times.append(_utc64(events["start"])[mask])
        occasions = None
        if sites is not None or any(f is not None for f in fixes):
            occasions = _occasions_touched(self._occasions, times)
        return {"fixes": fixes, "sites": sites, "occasions": occasions}

    def refresh(self) -> None:
        if self._ready and self.case is not None:
            state = self.selection_state()
            self.page.runJavaScript(f"window.cellsight && cellsight.highlight({json.dumps(state)})")
            if isinstance(self.selection, Everything):  # cleared: every occasion's number again
                self.page.runJavaScript("window.cellsight && cellsight.focusOccasion(null)")
        super().refresh()

    def select_fix(self, subject_index: int, fix_index: int) -> None:
        if not (0 <= subject_index < len(self._order)) or self._aggregated:
            return
        fixes = self._order[subject_index]
        if not (0 <= fix_index < len(fixes)):
            return
        fix = fixes.iloc[fix_index]
        around = TimeRange(fix["time"] - FIX_WINDOW, fix["time"] + FIX_WINDOW)
        self.publish("map", Subjects(frozenset([str(fix["subject"])])) & around)

    def select_site(self, lat: float, lon: float) -> None:
        """Select the events that used any cell of the site at ``lat, lon``."""
        self.publish("map", BBox(lat, lon, lat, lon))

    def select_visible_area(self) -> None:
        if not self._ready:
            return
        self.with_view_bounds(lambda bounds: bounds and self.publish("map", BBox(*bounds)))

    def with_view_bounds(self, then: Any) -> None:
        """Call ``then((south, west, north, east))`` with the map's current view, or ``then(None)``."""
        if not self._ready:
            then(None)
            return
        # Qt hands a JavaScript array back as an empty string; JSON travels intact.
        self.page.runJavaScript("JSON.stringify(window.cellsight ? cellsight.bounds() : null)", 0,
                                lambda text: then(_bounds(text)))

    def focus(self, message: FocusRequested) -> None:
        if not self._ready:
            return
        bbox = message.bbox
        if bbox is None and message.start is not None and self.case is not None:
            locations = self.case.locations
            near = locations[(locations["time"] >= message.start) & (locations["time"] <= message.end)]
            if not near.empty:
                bbox = (near["lat"].min(), near["lon"].min(), near["lat"].max(), near["lon"].max())
        if bbox is not None:
            s, w, n, e = (float(v) for v in bbox)
            pad = 0.002
            self.page.runJavaScript(f"window.cellsight && cellsight.fitTo({s - pad}, {w - pad}, "
                                    f"{n + pad}, {e + pad})")
        self.page.runJavaScript(f"window.cellsight && cellsight.focusOccasion({json.dumps(message.occasion)})")

    # ----- preparing an offline base map -----------------------------------------------------------
    def prepare_offline_map(self) -> None:
        """Ask what to download (with the warning), then download it in a worker with a progress dialog."""
        if self.case is not None:
            self.with_view_bounds(self._ask_what_to_prepare)

    def _ask_what_to_prepare(self, view: tuple[float, float, float, float] | None) -> None:
        from cellsight.gui.dialogs.offline_map import PrepareMapDialog

        case = self.case
        if case is None:
            return
        dialog = PrepareMapDialog(self, case, self.ws.settings, self.ws.path, view)
        self.prepare_dialog = dialog  # for the tests, which answer it
        dialog.accepted.connect(lambda: self.download(dialog.request()))
        dialog.open()

    def download(self, request: Any) -> Any:
        """Run a ``PrepareMapDialog.request()`` in a worker; on success the file becomes the base map."""
        area, zooms, server, out = request
        name = self.case.info.name if self.case is not None else ""

        def work(progress: Any) -> Any:
            return tilepack.prepare(area, zooms, server, out, progress, name=name)

        def stopped() -> None:
            part = tilepack.part_path(Path(out))
            self.info.setText(f"Offline map stopped; the tiles so far are kept in {part.name}: prepare it again "
                              "to resume.")

        return self.ws.run("Downloading map tiles…", work, on_success=self._prepared, on_cancel=stopped)

    def _prepared(self, summary: tilepack.PackSummary) -> None:
        settings = self.ws.settings
        settings.basemap, settings.mbtiles_path = "mbtiles", summary.out
        settings.save()
        self.ws.status(
            f"Offline map ready: {summary.tiles:,} tiles in {Path(summary.out).name} "
            f"({summary.downloaded:,} downloaded); it is now the base map (Settings).", 15000)
        # Only the base map changed: the map draws itself again; other panes keep what the officer set
        # (a SettingsChanged would reset the Proximity pane's parameters to their defaults).
        self._rebuild()

    def capture(self) -> Frame | None:
        case = self.case
        if case is None:
            return None
        time_facet = self.ws.hub.facets().get("time")
        start = end = None
        if isinstance(time_facet, TimeRange):
            start, end = time_facet.start.isoformat(), time_facet.end.isoformat()
        subjects = _subjects_in(self.selection, case)
        occasions = [{k: o.get(k) for k in ("label", "lat", "lon", "start", "end")} for o in self._occasions
                     if o.get("lat") is not None]
        return Frame("map", caption="Map of the selection" if start else "Map of the case",
                     parameters={"pane": self.name, "zone": self.zone, **self.selection_parameters()},
                     content={"subjects": subjects, "start": start, "end": end,
                              "places": [p.name for p in case.places], "occasions": occasions})

    def shutdown(self) -> None:
        self._build_generation += 1
        self.page.loadFinished.disconnect(self._loaded)
        self.view.setPage(None)
        self.page.deleteLater()
        if self._html_file is not None:
            self._html_file.unlink(missing_ok=True)
            self._html_file = None


def _page_order(case: Any) -> list[pd.DataFrame]:
    """Each subject's fixes in the order the page draws them (``mapdata.gather``: by time, stable)."""
    locations = case.locations
    out = []
    for subject in case.subjects:
        rows = locations[locations["subject"].astype(object) == subject.name]
        out.append(rows.sort_values("time", kind="stable"))
    return out


def _bounds(text: Any) -> tuple[float, float, float, float] | None:
    try:
        bounds = json.loads(text) if isinstance(text, str) and text else None
    except ValueError:
        return None
    if isinstance(bounds, list) and len(bounds) == 4:
        return tuple(float(v) for v in bounds)  # type: ignore[return-value]
    return None


def _utc64(times: pd.Series) -> np.ndarray:
    """UTC times as plain ``datetime64[us]`` (tz-aware columns give Timestamp objects otherwise)."""
    return times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")


def _occasions_touched(occasions: list[dict[str, Any]], times: list[np.ndarray]) -> list[str]:
    """Labels of the occasions (start to end) in which any of ``times`` (UTC, ``datetime64[us]``) falls."""
    chosen = np.sort(np.concatenate(times)) if times else np.array([], dtype="datetime64[us]")
    labels = []
    for occasion in occasions:
        start, end = (pd.Timestamp(occasion[k]).tz_convert("UTC").tz_localize(None).to_datetime64()
                      for k in ("start", "end"))
        if np.searchsorted(chosen, end, side="right") > np.searchsorted(chosen, start, side="left"):
            labels.append(str(occasion["label"]))
    return labels


def _subjects_in(selection: Selection, case: Any) -> list[str]:
    """Subjects a selection names (for a map frame); every subject when it names none."""
    found: list[str] = []

    def walk(sel: Any) -> None:
        if isinstance(sel, Subjects):
            found.extend(sorted(sel.names))
        for part in getattr(sel, "parts", ()):
            walk(part)

    walk(selection)
    return found or [s.name for s in case.subjects]
