"""The importer registry: importers are registered, not switched on.

Each importer module declares itself with ``@importer(...)``: a ``--format``
name, a label, the tables it produces, and a cheap ``sniff(path) -> confidence``
(0 to 1) that reads a little of the content (header words, XML root, JSON keys),
not only the file name. ``detect`` asks every importer and takes the most
confident; ties go to the higher ``priority``. Third-party importers register
the same way from a module named in the ``cellsight.importers`` entry-point group.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from cellsight.importers import tabular
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.progress import Progress

BUILTIN_MODULES = (
    "cellsight.importers.cdr",
    "cellsight.importers.cells",
    "cellsight.importers.ufdr",
    "cellsight.importers.takeout",
    "cellsight.importers.gpx",
    "cellsight.importers.kml",
    "cellsight.importers.fixcsv",
)
ENTRY_POINT_GROUP = "cellsight.importers"

Reader = Callable[[Path, ImportOptions, Progress], ImportResult]
Sniffer = Callable[[Path], float]


@dataclass(frozen=True)
class Importer:
    name: str
    label: str
    produces: tuple[str, ...]
    sniff: Sniffer
    read: Reader
    priority: int = 0


_REGISTRY: dict[str, Importer] = {}
_loaded = False


def importer(name: str, label: str, produces: tuple[str, ...], sniff: Sniffer,
             priority: int = 0) -> Callable[[Reader], Reader]:
    """Decorator registering a reader function as the importer ``name``."""

    def register(read: Reader) -> Reader:
        _REGISTRY[name] = Importer(name, label, tuple(produces), sniff, read, priority)
        return read

    return register


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        entry.load()
    _loaded = True


def all_importers() -> list[Importer]:
    _load()
    return sorted(_REGISTRY.values(), key=lambda imp: imp.name)


def get(name: str) -> Importer:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ImportFailure(f"unknown format {name!r} (known: {known})") from None


def detect(path: Path) -> Importer:
    """The importer most confident it can read ``path``; ImportFailure if none is."""
    scored = []
    with tabular.peeks_shared():
        for imp in all_importers():
            try:
                confidence = float(imp.sniff(path))
            except (OSError, ValueError, UnicodeError):
                confidence = 0.0
            scored.append((confidence, imp.priority, imp.name, imp))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    if not scored or scored[0][0] <= 0:
        raise ImportFailure(f"{path.name}: not a format Cellsight recognises "
                            "(choose the format (--format; `cellsight formats` lists them) or map the columns (--template))")
    return scored[0][3]


def describe() -> dict[str, Any]:
    """The importers and built-in templates, as ``cellsight formats --json`` prints them."""
    from cellsight.importers.templates import builtin_templates

    return {
        "importers": [{"name": i.name, "label": i.label, "produces": list(i.produces)}
                      for i in all_importers()],
        "templates": [{"name": t.name, "label": t.label} for t in builtin_templates()],
    }
