"""Serving a local MBTiles file to the map page as ``cellsight-tiles://tile/{z}/{x}/{y}``.

Leaflet can only fetch tiles by URL, and the map page must not touch the
network (it is a local file, and QtWebEngine would not let it load remote
images anyway), so base-map tiles from an MBTiles file are served by a URL
scheme handler inside the application. The scheme must be registered before
the QApplication exists (``register_scheme``, called by ``gui.app`` and the GUI
tests' conftest). Reading the file, the TMS row flip included, is
``report.tileset``'s job.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlScheme, QWebEngineUrlSchemeHandler

from cellsight.report.tileset import TilesetError, TilesetReader, read_info

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


class MBTilesHandler(QWebEngineUrlSchemeHandler):
    """Answers ``cellsight-tiles://tile/z/x/y`` from the chosen MBTiles file (on the main thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._mime = b"image/png"
        self.served = 0  # tiles answered, for the status line and the tests

    def set_path(self, path: str | Path | None) -> None:
        """Serve ``path`` from now on (None: nothing); TilesetError when it is not a tileset."""
        if path is None:
            self._path = None
            return
        info = read_info(path)
        self._path = info.path
        self._mime = info.mime.encode("ascii")

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 - Qt override
        parts = job.requestUrl().path().strip("/").split("/")
        data = None
        if self._path is not None:
            try:
                z, x, y = (int(p) for p in parts[-3:])
                with TilesetReader(self._path) as reader:
                    data = reader.tile(z, x, y)
            except (ValueError, TilesetError):
                data = None
        if data is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        self.served += 1
        buffer = QBuffer(job)
        buffer.setData(QByteArray(data))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        job.reply(QByteArray(self._mime), buffer)
