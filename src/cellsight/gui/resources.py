"""Where the workstation's icons, style sheet and web assets are, and loading them.

The assets are package data in ``cellsight/resources/`` (shared with the web
map's vendored Leaflet), found through ``cellsight.packagedata``.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from cellsight.packagedata import resource


@cache
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons/<name>.svg`` (an empty icon if it is missing)."""
    path = resource("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def style_sheet() -> str:
    """The style sheet, with ``@RESOURCES@`` made the resources folder (Qt resolves url() from the
    working directory otherwise, and the spin boxes' arrows would vanish)."""
    path = resource("style.qss")
    if not path.exists():
        return ""
    return path.read_text(encoding="utf-8").replace("@RESOURCES@", resource().resolve().as_posix())
