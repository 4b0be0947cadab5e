"""GPX 1.0 and 1.1: track points, route points and waypoints as fixes.

Every ``trkpt``, ``rtept`` and ``wpt`` is a row. A point with a ``<time>`` is a
fix (track points origin ``gps``: they are what a logger recorded; route points
and waypoints ``unknown``: they may have been placed by hand). A point without a
time is rejected with that reason: a fix needs a time, and a route planned on a
map has none. Times with an offset are converted as written; times without one
follow the contract's zone rule. ``source_row`` is the point's place in the file,
1-based: ``trk[2].trkseg[1].trkpt[5]``, ``rte[1].rtept[3]``, ``wpt[4]``.
A horizontal accuracy in the point's extensions (``<hAcc>``, as Apple's
exports write it, in metres) is the fix's accuracy.

The file is streamed and each point freed once read, so a long track needs no
more memory than its columns.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from cellsight.importers.base import ImportOptions, ImportResult
from cellsight.importers.fixes import FixBuffer, finish_locations, naive_zone
from cellsight.importers.registry import importer
from cellsight.importers.safety import child_text, discard, head, local, xml_root_name, xml_walk
from cellsight.progress import Progress, check

_POINTS = {"trkpt": "gps", "rtept": "unknown", "wpt": "unknown"}
_CONTAINERS = ("trk", "trkseg", "rte")


def sniff(path: Path) -> float:
    return 0.95 if xml_root_name(head(path)) == "gpx" else 0.0


@importer("gpx", "GPX tracks, routes and waypoints", ("locations",), sniff, priority=5)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    result = ImportResult(format="gpx")
    zone, _ = naive_zone(options)
    fixes = FixBuffer(zone=zone)
    counters = {"trk": 0, "rte": 0, "wpt": 0, "trkseg": 0, "trkpt": 0, "rtept": 0}
    names: dict[str, str] = {}
    for event, name, element, ancestors in xml_walk(path, path.name):
        if event == "start":
            if name in counters:
                counters[name] += 1
                # a new track starts its segments afresh; a new segment or route its points
                for inner in {"trk": ("trkseg",), "trkseg": ("trkpt",), "rte": ("rtept",)}.get(name, ()):
                    counters[inner] = 0
            continue
        if name in ("trk", "rte"):
            names.pop(name, None)
            discard(element, ancestors)
        elif name in ("name", "type") and ancestors and ancestors[-1].tag.endswith(("trk", "rte")):
            container = "trk" if ancestors[-1].tag.endswith("trk") else "rte"
            text = element.text or ""
            if text.strip():  # a name is kept as written; the label joins name and type
                names[container] = f"{names[container]} {text}" if container in names else text
        elif name in _POINTS:
            _point(fixes, name, element, counters, names)
            discard(element, ancestors)
            if fixes.rows % 20_000 == 0:
                check(progress)
                progress.update(fixes.rows, None, f"Reading {path.name}")
        elif name == "trkseg":
            discard(element, ancestors)
    finish_locations(fixes, result, options)
    return result


def _point(fixes: FixBuffer, kind: str, element: Element, counters: dict[str, int],
           names: dict[str, str]) -> None:
    if kind == "trkpt":
        row = f"trk[{counters['trk']}].trkseg[{counters['trkseg']}].trkpt[{counters['trkpt']}]"
        context = names.get("trk") or f"track {counters['trk']}"
    elif kind == "rtept":
        row = f"rte[{counters['rte']}].rtept[{counters['rtept']}]"
        context = names.get("rte") or f"route {counters['rte']}"
    else:
        row = f"wpt[{counters['wpt']}]"
        context = "waypoint"
    own = child_text(element, "name", strip=False)
    label = f"{context}: {own}" if own else context
    fixes.add(row, element.get("lat"), element.get("lon"), time=child_text(element, "time"),
              origin=_POINTS[kind], label=label, accuracy=_accuracy(element))


def _accuracy(point: Element) -> str | None:
    """The horizontal accuracy in metres from the point's extensions (Apple's ``<hAcc>``)."""
    for extensions in point:
        if local(extensions.tag) == "extensions":
            for item in extensions.iter():
                if local(item.tag) == "hAcc" and item.text:
                    return item.text
    return None
