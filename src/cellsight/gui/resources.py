"""Where the workstation's icons, style sheet and web assets are, and loading them.

The assets live in the repository's top-level ``resources/`` folder (shared
with the web map's vendored Leaflet). ``CELLSIGHT_RESOURCES`` overrides the
location for packaged installs.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon


def resource_dir() -> Path:
    override = os.environ.get("CELLSIGHT_RESOURCES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "resources"


@cache
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons/<name>.svg`` (an empty icon if it is missing)."""
    path = resource_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def style_sheet() -> str:
    """The style sheet, with ``@RESOURCES@`` made the resources folder (Qt resolves url() from the
    working directory otherwise, and the spin boxes' arrows would vanish)."""
    path = resource_dir() / "style.qss"
    if not path.exists():
        return ""
    return path.read_text(encoding="utf-8").replace("@RESOURCES@", resource_dir().resolve().as_posix())
