"""The interactive map: one self-contained HTML file that works from a USB stick with no network.

Built on folium for the page skeleton (the GUI's map pane reuses ``map_page``),
but with none of folium's CDN links: Leaflet is vendored under
``cellsight/resources/leaflet`` (npm ``leaflet``, see ``resources/README.md``), package
data found through ``cellsight.packagedata``, and inlined,
its CSS images turned into data URIs. Nothing is fetched from a network. Without a
base map the background is plain with a degree grid, which cannot leak what is
being looked at to a tile server. A base map comes from a local MBTiles file
(``report.tileset``): ``cellsight map --tiles`` puts the file's tiles of the
map's area into the page as data URIs (up to ``MAX_EMBEDDED_BYTES``, finest
zooms left out first, and the legend says so); the workstation's map pane
serves the whole file to its page through a URL scheme of its own
(``gui.mbtiles``). The file's attribution is shown on the map either way.

The case's data goes into the page as one JSON document drawn by
``resources/cellsight-map/cellsight-map.js``, rather than as one generated
JavaScript statement per marker: the page stays small and fast, and text from
the case reaches the page only as JSON string values (with ``<``, ``>`` and
``&`` escaped) that the script shows through ``textContent``. A contact named
``<img src=x onerror=alert(1)>`` is shown as those characters and never run.

Beyond ``MAX_POINTS`` fixes the map aggregates: fixes are binned on a grid and
each occupied square is one marker giving its count and first and last time;
tracks keep at most ``MAX_TRACK_VERTICES`` vertices per subject. The legend
says so, so nobody mistakes a thinned map for the whole record.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

import cellsight
from cellsight.core.outputs import GENERATOR, atomic_output, check_output
from cellsight.core import geo
from cellsight.core.text import reveal_any
from cellsight.core.timezones import iso_local, iso_local_series
from cellsight.packagedata import resource
from cellsight.report import mapdata, tileset

MAX_POINTS = 20_000
MAX_EMBEDDED_BYTES = 24 * 1024 * 1024  # base map tiles put into a self-contained page
EMBED_MARGIN = 0.5  # tiles embedded around the data: half its extent again on every side
EMBED_MIN_SPAN_M = 2_000.0
MAX_TRACK_VERTICES = mapdata.MAX_TRACK_VERTICES


def _asset(*parts: str) -> Path:
    path = resource(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: a bundled map asset is missing; reinstall Cellsight")
    return path


def _inline_css(path: Path) -> str:
    """A stylesheet with each ``url(images/...)`` it uses turned into a data URI."""
    css = path.read_text(encoding="utf-8")

    def data_uri(match: re.Match[str]) -> str:
        image = path.parent / match.group(1)
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    return re.sub(r"url\((images/[\w.\-]+\.png)\)", data_uri, css)


def _script_safe(text: str) -> str:
    """Vendored script text that cannot close the element it sits in."""
    return text.replace("</script", "<\\/script")


def json_for_script(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element whatever strings it holds."""
    text = json.dumps(reveal_any(data), ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Assets(MacroElement):
    """Leaflet and Cellsight's map script and styles, inlined into the page's head."""

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        styles = _inline_css(_asset("leaflet", "leaflet.css")) + "\n" + \
            _asset("cellsight-map", "cellsight-map.css").read_text(encoding="utf-8")
        scripts = _asset("leaflet", "leaflet.js").read_text(encoding="utf-8") + "\n" + \
            _asset("cellsight-map", "cellsight-map.js").read_text(encoding="utf-8")
        styles = styles.replace("</style", "<\\/style")
        figure.header.add_child(Element(f"<style>{styles}</style>"), name="cellsight_css")
        figure.header.add_child(Element(f"<script>{_script_safe(scripts)}</script>"), name="cellsight_js")
        super().render(**kwargs)


class _Layers(MacroElement):
    """The case's data as one JSON document, drawn by ``cellsightMap.draw`` once the map exists."""

    _template = Template("""
{% macro script(this, kwargs) %}
cellsightMap.draw({{ this._parent.get_name() }}, {{ this.payload }});
{% endmacro %}
""")

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "CellsightLayers"
        self.payload = json_for_script(payload)


@dataclass
class MapPage:
    """A built map: its HTML, the layers it drew (for the GUI's layer list) and what it holds."""

    html: str
    layers: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    aggregated: bool = False
    basemap: dict[str, Any] | None = None  # the base map asked for (``served_basemap``/``embedded_basemap``)


# ----- data for the page -----------------------------------------------------------------
def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.floating,)):
        return _clean(float(value))
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def _iso_list(times: pd.Series, zone: str) -> list[str | None]:
    return [None if pd.isna(t) else t for t in iso_local_series(times, zone).tolist()]


def _column(values: pd.Series) -> list[Any]:
    return [_clean(v) for v in values.astype(object).tolist()]


def _points(fixes: pd.DataFrame, zone: str, budget: int) -> tuple[dict[str, list[Any]], bool]:
    """Fixes as columns; beyond ``budget``, one entry per occupied grid square with its count."""
    if len(fixes) <= budget:
        times = _iso_list(fixes["time"], zone)
        return {"lat": np.round(fixes["lat"].to_numpy(float), 6).tolist(),
                "lon": np.round(fixes["lon"].to_numpy(float), 6).tolist(),
                "time": times, "accuracy": _column(fixes["accuracy_m"]), "origin": _column(fixes["origin"]),
                "source": _column(fixes["source_id"]), "row": _column(fixes["source_row"]),
                "run": mapdata.track_runs(fixes).tolist()}, False
    lat = fixes["lat"].to_numpy(float)
    lon = fixes["lon"].to_numpy(float)
    span = max(float(np.ptp(lat)), float(np.ptp(lon)), 1e-6)
    cell = span / math.sqrt(budget)
    while True:
        keys = pd.DataFrame({"i": np.floor(lat / cell).astype("int64"), "j": np.floor(lon / cell).astype("int64")})
        if keys.drop_duplicates().shape[0] <= budget:
            break
        cell *= 1.5
    grouped = pd.DataFrame({"i": keys["i"], "j": keys["j"], "lat": lat, "lon": lon,
                            "time": fixes["time"].to_numpy()}).groupby(["i", "j"], sort=True)
    bins = grouped.agg(lat=("lat", "mean"), lon=("lon", "mean"), count=("lat", "size"),
                       first=("time", "min"), last=("time", "max")).reset_index(drop=True)
    return {"lat": np.round(bins["lat"].to_numpy(float), 6).tolist(),
            "lon": np.round(bins["lon"].to_numpy(float), 6).tolist(),
            "count": bins["count"].astype(int).tolist(),
            "first": _iso_list(bins["first"], zone),
            "last": _iso_list(bins["last"], zone)}, True


def _tracks(fixes: pd.DataFrame, limit: int) -> list[list[list[float]]]:
    return [np.round(seg, 6).tolist() for seg in mapdata.track_segments(fixes, limit)]


def _cells(sites: pd.DataFrame) -> list[dict[str, Any]]:
    if sites.empty:
        return []
    ranges = geo.cell_ranges(sites)
    out = []
    for (_, row), drawn in zip(sites.iterrows(), ranges.tolist()):  # one per cell used, not per event
        polygon = None
        if pd.notna(row["azimuth"]):
            polygon = [[round(a, 6), round(b, 6)] for a, b in
                       geo.sector_polygon(row["lat"], row["lon"], row["azimuth"], row["beamwidth"], drawn)]
        out.append({"key": row["key"], "site": _clean(row["site"]), "lat": row["lat"], "lon": row["lon"],
                    "azimuth": _clean(row["azimuth"]), "beamwidth": _clean(row["beamwidth"]),
                    "drawn_m": round(float(drawn)), "events": int(row["events"]),
                    "subjects": row["subjects"], "polygon": polygon})
    return out


# ----- base map ------------------------------------------------------------------------
def served_basemap(path: str | os.PathLike[str], url: str) -> dict[str, Any]:
    """A base map the page fetches from ``url`` (``{z}/{x}/{y}``), described from the MBTiles file."""
    info = tileset.read_info(path)
    return {"url": url, "attribution": info.attribution, "minzoom": info.minzoom, "maxzoom": info.maxzoom,
            "file": info.path.name, "note": None}


def embedded_basemap(path: str | os.PathLike[str], area: tileset.Area | None,
                     budget: int = MAX_EMBEDDED_BYTES) -> dict[str, Any]:
    """The MBTiles file's tiles around ``area`` as data URIs, coarse zooms first, within ``budget`` bytes.

    A zoom that would pass the budget is left out with every finer one; the
    page then scales the finest zoom it has (Leaflet's ``maxNativeZoom``), and
    ``note`` says what was left out.
    """
    info = tileset.read_info(path)
    spec = {"url": None, "tiles": {}, "attribution": info.attribution, "minzoom": None, "maxzoom": None,
            "file": info.path.name, "note": None}
    if area is None or info.minzoom is None:
        return spec
    south, west, north, east = area
    grow = max(north - south, east - west) * EMBED_MARGIN
    around = tileset.pad_area((south - grow, west - grow, north + grow, east + grow), EMBED_MIN_SPAN_M / 2)
    used = 0
    with tileset.TilesetReader(path) as reader:
        for zoom in range(info.minzoom, info.maxzoom + 1):
            found = {f"{z}/{x}/{y}": f"data:{info.mime};base64,{base64.b64encode(data).decode('ascii')}"
                     for z, x, y in tileset.tiles_of(around, range(zoom, zoom + 1))
                     if (data := reader.tile(z, x, y)) is not None}
            size = sum(len(uri) for uri in found.values())
            if used + size > budget:
                megabytes = budget // 2**20
                spec["note"] = (f"Base map zooms {zoom}–{info.maxzoom} of {info.path.name} are left out to keep "
                                f"this file under {megabytes} MB; closer in, the map enlarges zoom {zoom - 1}."
                                if zoom > info.minzoom else f"The base map {info.path.name} is left out: even its "
                                f"coarsest zoom would pass {megabytes} MB here.")
                break
            spec["tiles"].update(found)
            used += size
            spec["minzoom"], spec["maxzoom"] = info.minzoom, zoom
        spec["note"] = " ".join(filter(None, (spec["note"], reader.dropped_note()))) or None
    return spec


def payload(case: Any, data: mapdata.MapData,
            basemap: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """The JSON document the page draws, and whether any subject's fixes were aggregated."""
    zone = case.info.tz
    total = sum(len(layer.fixes) for layer in data.subjects) or 1
    aggregated = False
    subjects = []
    for layer in data.subjects:
        budget = max(min(500, MAX_POINTS), int(MAX_POINTS * len(layer.fixes) / total))
        points, binned = _points(layer.fixes, zone, budget)
        aggregated |= binned
        summary = mapdata.fix_count(layer) + (f", shown as {len(points['lat'])} grid squares" if binned else "")
        subjects.append({"name": layer.name, "role": layer.role, "colour": layer.colour, "points": points,
                         "tracks": _tracks(layer.fixes, MAX_TRACK_VERTICES), "summary": summary})
    places = [{"name": p.name, "lat": p.lat, "lon": p.lon, "radius_m": p.radius_m or 100.0, "note": p.note}
              for p in data.places]
    occasions = [{k: _clean(o.get(k)) for k in ("label", "lat", "lon", "start", "end", "hits",
                                                  "min_distance_m", "evidence", "pair")}
                 for o in data.occasions if mapdata.is_finite(o.get("lat")) and mapdata.is_finite(o.get("lon"))]
    drawable = bool(basemap and (basemap.get("url") or basemap.get("tiles")))
    if drawable:
        credit = basemap.get("attribution") or "no attribution given in the file"
        notes = [f"Base map: {basemap.get('file') or 'tile server'}, zooms {basemap.get('minzoom')}–"
                 f"{basemap.get('maxzoom')} ({credit})."]
    else:
        notes = ["No base map: plain background with a grid in WGS84 degrees."]
    if basemap and basemap.get("note"):
        notes.append(basemap["note"])
    if data.start is not None or data.end is not None:
        notes.append(f"Times {iso_local(data.start, zone) if data.start is not None else 'from the first'} to "
                     f"{iso_local(data.end, zone) if data.end is not None else 'the last'}.")
    if aggregated:
        notes.append(f"More than {MAX_POINTS:,} fixes: fixes are grouped in grid squares; click one for "
                     "its count.")
    if data.sites is not None and not data.sites.empty:
        notes.append("Sector wedges show where each cell points, drawn to a nominal range: not coverage.")
    if data.unlocated_cells:
        notes.append(f"{data.unlocated_cells} cells used are not in the cell list and are not drawn.")
    bounds = data.bounds()
    doc = {"title": f"{case.info.name or 'Case'} ({case.info.reference or 'no reference'})",
           "subtitle": f"Times in {zone}", "subjects": subjects, "cells": _cells(data.sites),
           "places": places, "occasions": occasions, "notes": notes,
           "basemap": {k: basemap.get(k) for k in ("url", "tiles", "attribution", "minzoom", "maxzoom")}
           if drawable else None,
           "bounds": [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] if bounds else None}
    return doc, aggregated


def default_occasions(case: Any, subjects: list[str], start: Any, end: Any) -> list[dict[str, Any]]:
    """Proximity occasions (contract defaults) of every suspect–victim pair among ``subjects``.

    An occasion is shown when any part of it (start to end) lies in the period:
    one that began before ``start`` (at 23:40 the night before) and went on
    into it is there. Each keeps its number in the pair's table (as in the PDF
    and the Proximity pane), so occasion 6 is "6" on a map of its week too;
    with more than one pair, the number is prefixed by the pair's (``2.6``).
    """
    from cellsight.report.build import locate_occasions

    chosen = {s.name for s in case.subjects} if not subjects else {case.find_subject(s).name for s in subjects
                                                                    if case.find_subject(s)}
    suspects = [s.name for s in case.subjects if s.role == "suspect" and s.name in chosen]
    victims = [s.name for s in case.subjects if s.role == "victim" and s.name in chosen]
    pairs = [(a, b) for a in suspects for b in victims]
    zone = case.info.tz
    t0, t1 = mapdata.to_utc(start, zone), mapdata.to_utc(end, zone, end_of_day=True)
    out: list[dict[str, Any]] = []
    for number, (a, b) in enumerate(pairs, 1):
        for occasion in locate_occasions(case, a, b=b):
            if t0 is not None and pd.Timestamp(occasion["end"]) < t0:
                continue
            if t1 is not None and pd.Timestamp(occasion["start"]) > t1:
                continue
            label = occasion["label"] if len(pairs) == 1 else f"{number}.{occasion['label']}"
            out.append({**occasion, "label": label})
    return out


# ----- the page --------------------------------------------------------------------------
BaseMap = dict[str, Any] | str | os.PathLike[str] | None


def build_map(case: Any, subjects: tuple[str, ...] | list[str] = (), start: Any = None, end: Any = None,
              occasions: list[dict[str, Any]] | None = None,
              places: list[str] | None = None, basemap: BaseMap = None) -> folium.Map:
    """A folium map of the selection with vendored, inlined assets.

    ``occasions`` are located occasions (label, lat, lon, start, end, hits,
    min_distance_m, evidence); None computes the contract-default proximity of
    every suspect–victim pair shown, ``[]`` shows none. ``basemap`` is None (a
    grid), an MBTiles path (its tiles of the area go into the page) or a spec
    from ``served_basemap``.
    """
    return _build(case, subjects, start, end, occasions, places, basemap)[0]


def _build(case: Any, subjects: Any, start: Any, end: Any, occasions: list[dict[str, Any]] | None,
           places: list[str] | None, basemap: BaseMap,
           redact: bool = False) -> tuple[folium.Map, list[str], dict[str, int], bool, dict[str, Any] | None]:
    if occasions is None:
        occasions = default_occasions(case, list(subjects), start, end)
    data = mapdata.gather(case, subjects, start, end, places=places, occasions=occasions)
    if basemap is not None and not isinstance(basemap, dict):
        basemap = embedded_basemap(basemap, data.bounds())
    doc, aggregated = payload(case, data, basemap)
    if redact:  # every string of the page's data, third parties' numbers and names as pseudonyms
        from cellsight.report.redaction import Redactor

        tiles = doc.pop("basemap")  # image data, not text: never rewritten
        doc = {**Redactor.for_case(case).any(doc), "basemap": tiles}
    bounds = data.bounds()
    centre = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2] if bounds else [51.5, -0.1]
    fmap = folium.Map(location=centre, zoom_start=13, tiles=None, prefer_canvas=True)
    # Instance lists shadow folium's class-level CDN lists: nothing is linked, everything is inlined.
    fmap.default_js = []
    fmap.default_css = []
    fmap.add_child(_Assets())
    fmap.add_child(_Layers(doc))
    fmap.get_root().header.add_child(Element(f"<title>{_html_text(doc['title'])}</title>"), name="title")
    layers = ["Grid (degrees)"] + (["Base map"] if doc["basemap"] else [])
    if doc["cells"]:
        layers.append(f"Cell sites and sectors ({len(doc['cells'])})")
    if doc["places"]:
        layers.append(f"Places ({len(doc['places'])})")
    for s in doc["subjects"]:
        layers += [f"{s['name']}: track", f"{s['name']}: fixes"]
    if doc["occasions"]:
        layers.append(f"Proximity occasions ({len(doc['occasions'])})")
    counts = {"fixes": sum(len(layer.fixes) for layer in data.subjects), "cells": len(doc["cells"]),
              "places": len(doc["places"]), "occasions": len(doc["occasions"]),
              "subjects": len(doc["subjects"])}
    return fmap, layers, counts, aggregated, basemap


def _html_text(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def map_page(case: Any, subjects: Any = (), start: Any = None, end: Any = None,
             occasions: list[dict[str, Any]] | None = None, places: list[str] | None = None,
             basemap: BaseMap = None, redact: bool = False) -> MapPage:
    """The built page as HTML, with the names of the layers it drew (for the GUI's map pane)."""
    fmap, layers, counts, aggregated, base = _build(case, subjects, start, end, occasions, places, basemap,
                                                    redact)
    return MapPage(fmap.get_root().render(), layers, counts, aggregated, base)


def write_map(case: Any, out: str | os.PathLike[str], subjects: Any = (), start: Any = None,
              end: Any = None, occasions: list[dict[str, Any]] | None = None,
              basemap: BaseMap = None, force: bool = False,
              password: str | None = None, redact: bool = False) -> dict[str, Any]:
    """Write the self-contained map to ``out`` (atomically); return what it holds.

    With ``password`` the page goes into an AES-256 zip, ``out`` + ``.zip``
    (``report.protect``); ``force`` as for every output (``core.outputs``);
    ``redact``: third parties' numbers and names as pseudonyms.
    """
    from cellsight.report.protect import encrypted_member, inner_name, zipped

    target = zipped(out) if password else Path(out)
    check_output(target, "map", case, force)
    page = map_page(case, subjects, start, end, occasions, basemap=basemap, redact=redact)
    generator = f'<meta name="generator" content="{GENERATOR} {cellsight.__version__}">'  # marks our output
    html = page.html.replace("<head>", f"<head>\n{generator}", 1)
    with atomic_output(target, "map", case, force) as tmp:
        if password:
            with encrypted_member(tmp, inner_name(target), password, "map") as stream:
                stream.write(html.encode("utf-8"))
        else:
            tmp.write_text(html, encoding="utf-8")
    base = page.basemap
    return {"out": str(target), "bytes": target.stat().st_size, "layers": page.layers,
            "aggregated": page.aggregated, "encrypted": bool(password), "redacted": redact, **page.counts,
            "basemap": None if base is None else {
                "file": base.get("file"), "attribution": base.get("attribution"),
                "zooms": [base["minzoom"], base["maxzoom"]] if base.get("maxzoom") is not None else [],
                "tiles": len(base.get("tiles") or {}), "note": base.get("note")}}
