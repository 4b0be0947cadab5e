"""The Map pane: the case's fixes, tracks, cell sectors, places and occasions, offline.

The page is built once per case (and again when proximity occasions or the base
map change) by ``report.webmap.map_page`` with vendored Leaflet, written to a
temporary file and ``load()``-ed (``setHtml`` stops at 2 MB). Selections then
change it in place through ``runJavaScript``: fixes and cell sites outside the
selection are faded, not redrawn. What is selected is worked out here in Python
with the same predicates as every other pane, and sent to the page as one string
of 0/1 per subject in the page's own order (the subject's fixes by time). Clicks
on the page come back through a QWebChannel: a cell site selects the events
that used it, a fix the subject's events within a quarter of an hour of it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QFile, QIODevice, QObject, QUrl, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineScript, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from cellsight.core.hub import FocusRequested, ResultsChanged
from cellsight.core.selection import BBox, Selection, Subjects, TimeRange
from cellsight.gui.mbtiles import TILE_URL, MBTilesHandler, SCHEME
from cellsight.gui.panes.base import Pane
from cellsight.report import webmap
from cellsight.report.storyboard import Frame

FIX_WINDOW = pd.Timedelta(minutes=15)

# Runs in the page once Leaflet has drawn it: keeps references to the markers in
# the page's order, fades what is not selected, and reports clicks to Python.
PANE_SCRIPT = r"""
(function () {
  function start(pane) {
    var cs = window.cellsight;
    if (!cs) { return; }
    var style = document.createElement("style");  // a pane is smaller than a page: quieter overlays
    // The legend's notes are shown under the map by the pane; the layer list opens on hover.
    style.textContent = ".cs-legend{font-size:11px;max-width:260px;padding:3px 6px;opacity:.92}" +
      ".cs-legend-title{font-size:12px}.cs-legend-note{display:none}" +
      ".leaflet-control-layers-expanded{font-size:11px;padding:3px 7px}" +
      ".leaflet-control-layers-expanded label{margin:0}" +
      ".leaflet-control-layers-expanded .leaflet-control-layers-list{display:none}" +
      ".leaflet-control-layers-expanded:hover .leaflet-control-layers-list{display:block}" +
      ".leaflet-control-layers-expanded::before{content:'Layers \\25BE';font-weight:600;color:#33475b}";
    document.head.appendChild(style);
    var fixes = [], sites = [];
    cs.data.subjects.forEach(function (s, i) {
      var layer = cs.layers[s.name + ": fixes"], list = [];
      if (layer) { layer.eachLayer(function (m) { list.push(m); }); }
      list.forEach(function (m, k) {
        m.on("click", function () { if (pane) { pane.fixClicked(i, k); } });
      });
      fixes.push(list);
    });
    Object.keys(cs.layers).forEach(function (name) {
      if (name.indexOf("Cell sites") === 0) {
        cs.layers[name].eachLayer(function (m) { if (m instanceof L.CircleMarker) { sites.push(m); } });
      }
    });
    sites.forEach(function (m, i) {
      m.on("click", function () { if (pane) { pane.siteClicked(cs.data.cells[i].lat, cs.data.cells[i].lon); } });
    });
    window.cellsightPane = {
      apply: function (state) {
        fixes.forEach(function (list, i) {
          var bits = state.fixes[i];
          list.forEach(function (m, k) {
            var on = bits === null || bits === undefined || bits.charAt(k) === "1";
            m.setStyle({fillOpacity: on ? 0.9 : 0.08, opacity: on ? 1 : 0.15});
          });
        });
        var keys = state.sites === null ? null : new Set(state.sites);
        sites.forEach(function (m, i) {
          var on = keys === null || keys.has(cs.data.cells[i].key);
          m.setStyle({fillOpacity: on ? 1 : 0.12, opacity: on ? 1 : 0.2, radius: on && keys ? 7 : 5});
        });
        return true;
      },
      fit: function (s, w, n, e) { cs.map.fitBounds([[s, w], [n, e]], {padding: [30, 30], maxZoom: 17}); },
      bounds: function () { var b = cs.map.getBounds();
        return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; },
      tiles: function (url) {
        if (window.cellsightTiles) { cs.map.removeLayer(window.cellsightTiles); window.cellsightTiles = null; }
        if (url) { window.cellsightTiles = L.tileLayer(url, {maxZoom: 19}).addTo(cs.map);
                   window.cellsightTiles.bringToBack(); }
      }
    };
    document.title = "ready";
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

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
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
        ctx.bridge.resultsChanged.connect(self._results_changed)
        ctx.bridge.settingsChanged.connect(lambda m: self._rebuild())

        self.info = QLabel()
        self.info.setObjectName("hint")
        self.info.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setObjectName("hint")
        self.notes.setWordWrap(True)
        area = QPushButton("Select visible area")
        area.setToolTip("Select the events, fixes and cells inside the map's current view")
        area.clicked.connect(self.select_visible_area)
        fit = QPushButton("Fit")
        fit.clicked.connect(lambda: self.page.runJavaScript("window.cellsight && cellsight.fit()"))
        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        bar.addWidget(area)
        bar.addWidget(fit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.notes)
        self._html_file: Path | None = None
        self._ready = False
        self._build_generation = 0
        self._occasions: list[dict[str, Any]] = []
        self._order: list[pd.DataFrame] = []  # per subject of the page: its fixes in page order
        self._aggregated = False
        self.info.setText("The map appears when the case has positions or located cells.")

    def _install_tile_handler(self) -> None:
        profile = QWebEngineProfile.defaultProfile()
        if MapPane._tile_handler is None:
            MapPane._tile_handler = MBTilesHandler(profile)
            profile.installUrlSchemeHandler(SCHEME, MapPane._tile_handler)

    # ----- building the page -------------------------------------------------------------------
    def case_changed(self, what: str) -> None:
        if what in ("case", "import", "subjects", "places"):
            self._occasions = [] if what == "case" else self._occasions
            self._rebuild()
        super().case_changed(what)

    def _results_changed(self, message: ResultsChanged) -> None:
        if message.kind == "proximity":
            self._occasions = list(message.results or [])
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
        self.info.setText("Drawing the map…")

        def work(progress: Any) -> Any:
            return webmap.map_page(case, occasions=occasions), _page_order(case)

        self.ctx.run("Drawing the map…", work, on_success=lambda r: self._show_page(r, generation),
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
        self.info.setText(f"{counts.get('fixes', 0):,} fixes · {counts.get('cells', 0):,} cells · "
                          f"{counts.get('places', 0)} places · {counts.get('occasions', 0)} occasions"
                          + (" · fixes grouped" if page.aggregated else "")
                          + " · click a cell site or a fix to select its events")
        self.page.load(QUrl.fromLocalFile(str(self._html_file)))

    def _loaded(self, ok: bool) -> None:
        if not ok:
            self.info.setText("The map page could not be shown.")
            return
        self._ready = True
        self._apply_basemap()
        self.page.runJavaScript("window.cellsight ? cellsight.data.notes : []", 0,
                                lambda notes: self.notes.setText(" ".join(notes or [])))
        self.refresh()

    def _apply_basemap(self) -> None:
        settings = self.ctx.settings
        url = ""
        if settings.basemap == "url" and settings.tile_url.strip():
            url = settings.tile_url.strip()
        elif settings.basemap == "mbtiles" and settings.mbtiles_path.strip():
            MapPane._tile_handler.set_path(settings.mbtiles_path.strip())
            url = TILE_URL
        self.page.runJavaScript(f"window.cellsightPane && cellsightPane.tiles({json.dumps(url)})")

    # ----- selection -------------------------------------------------------------------------------
    def selection_state(self) -> dict[str, Any]:
        """What the page should show as selected: 0/1 per fix per subject, and the cell keys."""
        case = self.case
        selection = self.selection
        fixes = []
        for frame in self._order:
            if self._aggregated or frame.empty:
                fixes.append(None)
                continue
            mask = selection.to_mask(frame, "locations", case.tables, self.ctx.masks)
            fixes.append(None if mask.all() else "".join(np.where(mask, "1", "0").tolist()))
        sites: list[str] | None = None
        events = case.events
        mask = self.mask(selection)
        if not mask.all():
            chosen = events.loc[mask, ["cell_first", "cell_last"]]
            sites = sorted(set(chosen["cell_first"].dropna().unique()) | set(chosen["cell_last"].dropna().unique()))
        return {"fixes": fixes, "sites": sites}

    def refresh(self) -> None:
        if self._ready and self.case is not None:
            state = self.selection_state()
            self.page.runJavaScript(f"window.cellsightPane && cellsightPane.apply({json.dumps(state)})")
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
        # Qt hands a JavaScript array back as an empty string; JSON travels intact.
        self.page.runJavaScript("JSON.stringify(window.cellsightPane ? cellsightPane.bounds() : null)", 0,
                                self._visible_area_known)

    def _visible_area_known(self, text: Any) -> None:
        try:
            bounds = json.loads(text) if isinstance(text, str) and text else None
        except ValueError:
            bounds = None
        if isinstance(bounds, list) and len(bounds) == 4:
            self.publish("map", BBox(*(float(v) for v in bounds)))

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
            self.page.runJavaScript(f"window.cellsightPane && cellsightPane.fit({s - pad}, {w - pad}, "
                                    f"{n + pad}, {e + pad})")

    def capture(self) -> Frame | None:
        case = self.case
        if case is None:
            return None
        time_facet = self.ctx.hub.facets().get("time")
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
