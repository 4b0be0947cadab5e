"""Application settings (not case data): defaults for new cases and imports, base map, proximity,
and who produces reports (name, rank or role, force, declaration template).

Stored with QSettings, so they live in the user's profile and never travel in a
case file. The base map is ``none`` (offline, a plain grid) or a local MBTiles
file. The map never fetches tiles while it is looked at: a tile server the
officer configures here (URL template, attribution, contact, pace and limit) is
used only when they ask to prepare an offline map of a case's area
(``report.tilepack``), which writes an MBTiles file.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from cellsight.analysis import proximity_params
from cellsight.core.timezones import DEFAULT_ZONE
from cellsight.report.tilepack import DEFAULT_MAX_TILES, DEFAULT_RATE

ORGANISATION = "Cellsight"
APPLICATION = "Cellsight"
BASEMAPS = ("none", "mbtiles")
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


def data_folder() -> Path:
    """Where the workstation keeps files of its own (recovery copies, the demo case): the user's
    application data folder, or ``$CELLSIGHT_SETTINGS_DIR`` as for the settings."""
    folder = Path(os.environ.get("CELLSIGHT_SETTINGS_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class AppSettings:
    region: str = "GB"
    zone: str = DEFAULT_ZONE
    basemap: str = "none"
    mbtiles_path: str = ""
    tile_url: str = ""  # a tile server's URL template, for preparing offline maps only
    tile_attribution: str = ""
    tile_contact: str = ""
    tile_rate: float = DEFAULT_RATE
    tile_max: int = DEFAULT_MAX_TILES
    proximity_method: str = "gps"
    proximity_distance_m: float = proximity_params.GPS_DISTANCE_M  # for fixes; cell sites keep their own
    proximity_window_min: float = proximity_params.GPS_WINDOW_MIN
    proximity_gap_min: float = proximity_params.DEFAULT_GAP_MIN
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

    def basemap_file(self) -> str | None:
        """The MBTiles file the maps (pane and PDF) draw under the data; None for the plain grid."""
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
