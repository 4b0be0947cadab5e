"""Application settings (not case data): defaults for new cases and imports, base map, proximity,
and who produces reports (name, rank or role, force, declaration template).

Stored with QSettings, so they live in the user's profile and never travel in a
case file. The base map is ``none`` (offline, a plain grid), a local MBTiles
file, or a tile URL the user enters (for forces with an internal tile server).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from cellsight.core.timezones import DEFAULT_ZONE

ORGANISATION = "Cellsight"
APPLICATION = "Cellsight"
BASEMAPS = ("none", "mbtiles", "url")
MAX_RECENT = 8


def qsettings() -> QSettings:
    """The settings store: the user's profile, or ``$CELLSIGHT_SETTINGS_DIR/cellsight.ini``.

    The override makes a portable install (settings beside the program on a
    USB stick) possible, and keeps tests away from the user's own settings.
    """
    folder = os.environ.get("CELLSIGHT_SETTINGS_DIR")
    if folder:
        return QSettings(str(Path(folder) / "cellsight.ini"), QSettings.Format.IniFormat)
    return QSettings(ORGANISATION, APPLICATION)


@dataclass
class AppSettings:
    region: str = "GB"
    zone: str = DEFAULT_ZONE
    basemap: str = "none"
    mbtiles_path: str = ""
    tile_url: str = ""
    proximity_method: str = "gps"
    proximity_distance_m: float = 200.0
    proximity_window_min: float = 5.0
    proximity_gap_min: float = 60.0
    # Who produces reports on this computer, and the declaration they sign (report.producer).
    producer_name: str = ""
    producer_rank: str = ""
    producer_force: str = ""
    producer_declaration: str = ""

    def producer_overrides(self) -> dict[str, str]:
        """The producer fields set here, as ``report.producer.for_case`` overrides (empty ones left out)."""
        return {k: v for k, v in (("name", self.producer_name), ("rank", self.producer_rank),
                                  ("force", self.producer_force),
                                  ("declaration", self.producer_declaration)) if v.strip()}

    @classmethod
    def load(cls) -> AppSettings:
        store = qsettings()
        values = {}
        for f in fields(cls):
            default = f.default
            raw = store.value(f"settings/{f.name}", default)
            try:
                values[f.name] = type(default)(raw)
            except (TypeError, ValueError):
                values[f.name] = default
        loaded = cls(**values)
        if loaded.basemap not in BASEMAPS:
            loaded.basemap = "none"
        return loaded

    def save(self) -> None:
        store = qsettings()
        for name, value in asdict(self).items():
            store.setValue(f"settings/{name}", value)
        store.sync()

    def tile_source(self) -> str | None:
        """What the map should draw under the data: None (grid), a tile URL, or an MBTiles path."""
        if self.basemap == "url" and self.tile_url.strip():
            return self.tile_url.strip()
        if self.basemap == "mbtiles" and self.mbtiles_path.strip():
            return self.mbtiles_path.strip()
        return None


def recent_cases() -> list[str]:
    value = qsettings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or [])]


def add_recent_case(path: str) -> list[str]:
    items = [path] + [p for p in recent_cases() if p != path]
    items = items[:MAX_RECENT]
    store = qsettings()
    store.setValue("recent", items)
    store.sync()
    return items
