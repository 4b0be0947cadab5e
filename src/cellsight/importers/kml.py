"""KML and KMZ: placemarks with times, and ``gx:Track`` / ``gx:MultiTrack`` tracks.

What is a row, and what it becomes:

- each point of a ``gx:Track`` (a ``when`` paired in order with a ``gx:coord``
  written *longitude latitude altitude*) is a fix; a ``when`` or a ``coord``
  left without its partner is rejected, since the pairing is all that times it;
- a ``Point`` placemark is a fix at its ``TimeStamp``, or at the ``begin`` of its
  ``TimeSpan`` (the label says until when); with no time it is rejected;
- a ``LineString`` placemark (Google Timeline's KML draws trips this way) is a
  line of untimed points: with a ``TimeSpan`` its first point is a fix at
  ``begin`` and its last at ``end``, the points between rejected as having no
  time of their own; without one, every point is rejected. In a
  ``MultiGeometry`` holding a point and a line under one ``TimeStamp``, the
  time is the point's: the line's points are rejected as untimed.

Polygons are areas, not positions: they are not rows and are listed in
``skipped``. A KMZ is read in place (``doc.kml``, else the first ``.kml``).
``source_row`` is ``Placemark[n]`` (1-based, in file order) followed by the point
inside it: ``Placemark[2].Track[1].coord[5]``, ``Placemark[4].LineString[1].coord[3]``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element

from cellsight.importers.base import ImportOptions, ImportResult
from cellsight.importers.fixes import FixBuffer, finish_locations, naive_zone
from cellsight.importers.registry import importer
from cellsight.importers.safety import (child_text, discard, head, is_zip, local, member_names,
                                        xml_root_name, xml_walk, zip_member)
from cellsight.progress import Progress, check


def sniff(path: Path) -> float:
    if is_zip(path):
        names = member_names(path)
        return 0.9 if any(n.lower().endswith(".kml") for n in names) else 0.0
    return 0.95 if xml_root_name(head(path)) == "kml" else 0.0


def _choose_kml(members: list[zipfile.ZipInfo], _name: str) -> zipfile.ZipInfo | None:
    kml = [m for m in members if m.filename.lower().endswith(".kml") and not m.is_dir()]
    doc = [m for m in kml if m.filename.lower().rsplit("/", 1)[-1] == "doc.kml"]
    ranked = sorted(doc or kml, key=lambda m: (m.filename.count("/"), m.filename))
    return ranked[0] if ranked else None


@importer("kml", "KML / KMZ placemarks and tracks", ("locations",), sniff, priority=5)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    result = ImportResult(format="kml")
    zone, _ = naive_zone(options)
    reader = _Reader(FixBuffer(zone=zone), progress)
    if is_zip(path):
        with zip_member(path, _choose_kml, "KML document (.kml)") as (stream, name, _size, warnings):
            result.warnings.extend(warnings)
            reader.walk(stream, name)
    else:
        reader.walk(path, path.name)
    if reader.polygons:
        result.skipped.append(("-", f"{reader.polygons} polygons: areas, not positions"))
    finish_locations(reader.fixes, result, options)
    return result


class _Reader:
    def __init__(self, fixes: FixBuffer, progress: Progress) -> None:
        self.fixes = fixes
        self.progress = progress
        self.placemarks = 0
        self.tracks = 0
        self.polygons = 0

    def walk(self, source, name: str) -> None:
        current: Element | None = None
        for event, tag, element, ancestors in xml_walk(source, name):
            if event == "start":
                if tag == "Placemark":
                    self.placemarks += 1
                    self.tracks = 0
                    current = element
                continue
            if tag == "Track":
                # read and freed at once: a day's track can hold tens of thousands of points
                self.tracks += 1
                self._track(element, current)
                discard(element, ancestors)
                check(self.progress)
                self.progress.update(self.fixes.rows, None, f"Reading {name}")
            elif tag == "Placemark":
                self._placemark(element)
                discard(element, ancestors)
                current = None

    def _row(self) -> str:
        return f"Placemark[{self.placemarks}]"

    def _track(self, track: Element, placemark: Element | None) -> None:
        whens = [(c.text or "").strip() for c in track if local(c.tag) == "when"]
        coords = [(c.text or "").split() for c in track if local(c.tag) == "coord"]
        name = child_text(placemark, "name", strip=False) if placemark is not None else None
        label = f"track: {name}" if name else "track"
        row = f"{self._row()}.Track[{self.tracks}]"
        for j in range(max(len(whens), len(coords))):
            point = f"{row}.coord[{j + 1}]"
            if j >= len(coords):
                self.fixes.reject(f"{row}.when[{j + 1}]", "a time without a coordinate")
            elif j >= len(whens):
                self.fixes.reject(point, "a coordinate without a time (the track has fewer "
                                         "<when> than <gx:coord>)")
            elif len(coords[j]) < 2:
                self.fixes.reject(point, f"unreadable coordinate {' '.join(coords[j])!r}")
            else:
                self.fixes.add(point, coords[j][1], coords[j][0], time=whens[j] or None,
                               origin="gps", label=label)

    def _placemark(self, placemark: Element) -> None:
        when, begin, end = None, None, None
        for child in placemark.iter():
            tag = local(child.tag)
            if tag == "TimeStamp":
                when = child_text(child, "when")
            elif tag == "TimeSpan":
                begin, end = child_text(child, "begin"), child_text(child, "end")
        name = child_text(placemark, "name", strip=False)
        label = name or "placemark"
        counts: dict[str, int] = {}
        has_point = any(local(g.tag) == "Point" for g in placemark.iter())
        for geometry in placemark.iter():
            kind = local(geometry.tag)
            if kind == "Polygon":
                self.polygons += 1
                continue
            if kind not in ("Point", "LineString"):
                continue
            counts[kind] = counts.get(kind, 0) + 1
            row = f"{self._row()}.{kind}[{counts[kind]}]"
            points = [p.split(",") for p in (child_text(geometry, "coordinates") or "").split()]
            if kind == "Point":
                self._add(row, points[:1], when or begin,
                          label + (f" (until {end})" if end and not when else ""))
            else:
                # A MultiGeometry's one TimeStamp dates its point: the line's first point was not
                # there at that moment too (two places at once), so it takes no time from it.
                self._line(row, points, None if has_point else when, begin, end, label)

    def _line(self, row: str, points: list[list[str]], when: str | None, begin: str | None,
              end: str | None, label: str) -> None:
        last = len(points) - 1
        for j, point in enumerate(points):
            at = (begin or when) if j == 0 else (end if j == last else None)
            point_row = f"{row}.coord[{j + 1}]"
            if at is None:
                self.fixes.reject(point_row, "a point of a line with no time of its own")
            else:
                self._add(point_row, [point], at, f"{label} ({'start' if j == 0 else 'end'})")

    def _add(self, row: str, points: list[list[str]], time: str | None, label: str) -> None:
        if not points or len(points[0]) < 2:
            self.fixes.reject(row, "no coordinates")
            return
        lon, lat = points[0][0], points[0][1]
        self.fixes.add(row, lat, lon, time=time, label=label)
