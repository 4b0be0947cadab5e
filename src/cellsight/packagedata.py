"""Where the files Cellsight reads at run time are: package data under ``cellsight/resources/``.

Leaflet and the map script, the style sheet and icons, the PDF's fonts and the
demo case's exhibits are installed with the package (wheel, sdist, editable
install or the PyInstaller bundle alike) and found through ``importlib.resources``,
never through a folder beside a source checkout, so an installed copy behaves
as a clone does. Cellsight is always installed on a file system (never run from
a zip), so each resource is a real path that Qt, reportlab and Pillow can open.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource(*parts: str) -> Path:
    """The file or folder ``cellsight/resources/<parts>`` of the installed package."""
    return Path(str(files("cellsight").joinpath("resources", *parts)))
