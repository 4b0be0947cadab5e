"""Serving a local MBTiles file to the map page as ``cellsight-tiles://tile/{z}/{x}/{y}``.

Leaflet can only fetch tiles by URL, and the workstation must not touch the
network, so base-map tiles from an MBTiles file (SQLite) are served by a URL
scheme handler inside the application. The scheme must be registered before
the QApplication exists (``register_scheme``, called by ``gui.app`` and the GUI
tests' conftest). MBTiles stores rows in TMS order (y counted from the south),
hence the flip.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlScheme, QWebEngineUrlSchemeHandler

SCHEME = b"cellsight-tiles"
TILE_URL = "cellsight-tiles://tile/{z}/{x}/{y}"


def register_scheme() -> None:
    """Declare the tile scheme (once, before the QApplication is created)."""
    if QWebEngineUrlScheme.schemeByName(QByteArray(SCHEME)).name() == QByteArray(SCHEME):
        return
    scheme = QWebEngineUrlScheme(QByteArray(SCHEME))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(QWebEngineUrlScheme.Flag.LocalScheme | QWebEngineUrlScheme.Flag.LocalAccessAllowed
                    | QWebEngineUrlScheme.Flag.CorsEnabled)
    QWebEngineUrlScheme.registerScheme(scheme)


def read_tile(path: str | Path, z: int, x: int, y: int) -> bytes | None:
    """The tile at XYZ ``z/x/y`` from an MBTiles file, or None."""
    with sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True) as db:
        row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                         (z, x, (1 << z) - 1 - y)).fetchone()
    return bytes(row[0]) if row else None


def tile_format(path: str | Path) -> str:
    try:
        with sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM metadata WHERE name='format'").fetchone()
    except sqlite3.Error:
        return "png"
    return str(row[0]) if row else "png"


class MBTilesHandler(QWebEngineUrlSchemeHandler):
    """Answers ``cellsight-tiles://tile/z/x/y`` from the configured MBTiles file."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: str = ""
        self._mime = b"image/png"
        self._lock = threading.Lock()

    def set_path(self, path: str) -> None:
        with self._lock:
            self._path = path
            self._mime = b"image/jpeg" if tile_format(path) in ("jpg", "jpeg") else b"image/png"

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 - Qt override
        parts = job.requestUrl().path().strip("/").split("/")
        with self._lock:
            path, mime = self._path, self._mime
        try:
            z, x, y = (int(p) for p in parts[-3:])
            data = read_tile(path, z, x, y) if path else None
        except (ValueError, sqlite3.Error):
            data = None
        if data is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        buffer = QBuffer(job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(mime), buffer)
