"""MBTiles tilesets: the one place that reads and writes the file format of offline base maps.

An MBTiles file (spec 1.3) is an SQLite database with a ``metadata`` table of
name/value text rows (``name`` and ``format`` required; ``bounds``, ``center``,
``minzoom``, ``maxzoom`` recommended; ``attribution`` optional, as HTML) and a
``tiles`` table of ``zoom_level``, ``tile_column``, ``tile_row``, ``tile_data``.
Rows are counted in TMS order, from the south, while tile servers and Leaflet
count XYZ rows from the north: ``tms_row = 2**z - 1 - y``. Every caller in
Cellsight speaks XYZ; the flip happens here only.

The tile maths (which tiles cover an area at a zoom) lives here too, because the
downloader, the self-contained HTML map and the tests all need the same answer.

Attribution text in a file may be HTML (``&copy; <a href=...>Someone</a>``).
``attribution_text`` turns it into plain text, which is what the map, the PDF
and the legends show: a base map file from elsewhere must not put markup or
script into a page or a report.

A base map file comes from wherever the officer found it, and SQLite runs
what the file's schema says: a ``tiles`` view over an endless recursive query
once kept ``map`` busy for 11 minutes at full CPU, deaf to SIGTERM and Ctrl-C.
So a file is read (``_connect_read``, ``_query``):

- read-only, with ``trusted_schema`` off (no function with side effects runs
  from a view) and ``query_only`` on;
- after its schema is checked (``_check_schema``): ``metadata`` and ``tiles``
  exist (as tables or views, as the spec allows) with the spec's columns and
  types (the three tile coordinates declared integer, ``tile_data`` blob); a
  view computing its columns has no declared types and is refused;
- with a progress handler on every query that stops it after ``QUERY_SECONDS``
  (``$CELLSIGHT_MBTILES_SECONDS``): a refusal naming the file. The handler is
  also what lets SIGTERM and Ctrl-C through while SQLite works (Python runs
  signal handlers only between its own instructions); their exception is lost
  inside SQLite's callback, so a query interrupted before its time is up is
  re-raised here as KeyboardInterrupt;
- a value of the wrong type (text where a zoom or a tile should be) is a
  refusal naming the file, never a ``ValueError``; a tile larger than
  ``MAX_TILE_BYTES`` is not read at all, and ``TilesetReader.dropped`` counts
  it for the map's note.
"""

from __future__ import annotations

import html
import math
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from cellsight.core.case import CaseError

APPLICATION_ID = 0x4D504258  # "MPBX": SQLite's registered magic number for MBTiles
MAX_LATITUDE = 85.05112878  # the square Web Mercator world stops here
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS metadata (name text, value text)",
    "CREATE UNIQUE INDEX IF NOT EXISTS metadata_name ON metadata (name)",
    "CREATE TABLE IF NOT EXISTS tiles (zoom_level integer, tile_column integer, tile_row integer, "
    "tile_data blob)",
    "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row)",
)
QUERY_SECONDS = 30.0  # the longest any one query on a base map file may run
SECONDS_ENV = "CELLSIGHT_MBTILES_SECONDS"
MAX_TILE_BYTES = 2 * 1024**2  # a 512-pixel aerial tile is some hundreds of kilobytes
MAX_METADATA_CHARS = 64 * 1024  # per metadata value (an attribution is a line)
_INTEGER_TYPES = re.compile(r"INT", re.IGNORECASE)  # SQLite's integer affinity rule
_TEXT_TYPES = re.compile(r"CHAR|CLOB|TEXT|^$", re.IGNORECASE)
IMAGE_FORMATS = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}

Area = tuple[float, float, float, float]  # south, west, north, east in WGS84 degrees


class TilesetError(CaseError):
    """A file that cannot be used as an MBTiles tileset (one line, naming the file)."""


# ----- tile maths ------------------------------------------------------------------------
def tile_xy(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The XYZ column and row of the tile holding ``lat, lon`` at ``zoom``."""
    n = 1 << zoom
    lat = min(max(lat, -MAX_LATITUDE), MAX_LATITUDE)
    x = int(math.floor((lon + 180.0) / 360.0 * n))
    y = int(math.floor((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n))
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(zoom: int, x: int, y: int) -> Area:
    """(south, west, north, east) of XYZ tile ``zoom/x/y``."""
    n = 1 << zoom

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return lat(y + 1), x / n * 360.0 - 180.0, lat(y), (x + 1) / n * 360.0 - 180.0


def tile_range(area: Area, zoom: int) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1), inclusive, of the tiles covering ``area`` at ``zoom`` (rows from the north)."""
    south, west, north, east = area
    x0, y0 = tile_xy(north, west, zoom)
    x1, y1 = tile_xy(south, east, zoom)
    return x0, x1, y0, y1


def count_tiles(area: Area, zooms: range) -> int:
    """How many tiles cover ``area`` at the zooms ``zooms``."""
    total = 0
    for zoom in zooms:
        x0, x1, y0, y1 = tile_range(area, zoom)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def tiles_of(area: Area, zooms: range) -> Iterator[tuple[int, int, int]]:
    """XYZ ``(z, x, y)`` of the tiles covering ``area``, zoom by zoom, west to east, north to south."""
    for zoom in zooms:
        x0, x1, y0, y1 = tile_range(area, zoom)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield zoom, x, y


def pad_area(area: Area, metres: float) -> Area:
    """``area`` grown by ``metres`` on every side (clamped to the Web Mercator world)."""
    south, west, north, east = area
    dlat = metres / 111_320.0
    dlon = metres / (111_320.0 * max(math.cos(math.radians((south + north) / 2)), 0.01))
    return (max(south - dlat, -MAX_LATITUDE), max(west - dlon, -180.0),
            min(north + dlat, MAX_LATITUDE), min(east + dlon, 180.0))


def image_format(data: bytes) -> str | None:
    """``png``, ``jpg`` or ``webp`` from the first bytes of a tile; None when it is no image."""
    for magic, name in IMAGE_FORMATS.items():
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


_TAG = re.compile(r"<[^>]*>")


def attribution_text(markup: str | None) -> str:
    """Plain text of an attribution that may be HTML: tags dropped, entities decoded, spaces folded."""
    text = html.unescape(_TAG.sub(" ", markup or ""))
    return " ".join(text.split())


# ----- reading ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TilesetInfo:
    """What a tileset says about itself, read once when it is chosen."""

    path: Path
    name: str
    format: str
    attribution: str  # plain text
    minzoom: int | None
    maxzoom: int | None
    bounds: Area | None  # south, west, north, east
    tiles: int

    @property
    def mime(self) -> str:
        return MIME_TYPES.get(self.format, "image/png")

    def describe(self) -> str:
        """One line for a legend or a settings page."""
        zooms = f"zooms {self.minzoom}–{self.maxzoom}" if self.minzoom is not None else "no tiles"
        credit = self.attribution or "no attribution given in the file"
        return f"{self.path.name} ({zooms}, {self.tiles:,} tiles; {credit})"


def query_seconds() -> float:
    """How long one query on a base map file may run: ``$CELLSIGHT_MBTILES_SECONDS``, else ``QUERY_SECONDS``."""
    try:
        return max(0.01, float(os.environ.get(SECONDS_ENV) or QUERY_SECONDS))
    except ValueError:
        return QUERY_SECONDS


class _Watch:
    """SQLite's progress handler: stops a query that has run past its deadline."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.expired = False

    def __call__(self) -> int:
        if time.monotonic() > self.deadline:
            self.expired = True
            return 1
        return 0


def _query(db: sqlite3.Connection, path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """All rows of ``sql`` on the base map file, within the time bound (see the module's note)."""
    seconds = query_seconds()
    watch = _Watch(seconds)
    db.set_progress_handler(watch, 10_000)
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if watch.expired:
            raise TilesetError(f"{path}: a query on this base map file ran longer than {seconds:g} s; refused "
                               "(a damaged or hostile file)") from None
        if "interrupt" in str(exc):
            raise KeyboardInterrupt from None  # a signal's handler raised inside SQLite's callback
        raise TilesetError(f"{path}: not an MBTiles file ({exc})") from None
    except sqlite3.Error as exc:
        raise TilesetError(f"{path}: not an MBTiles file ({exc})") from None
    finally:
        db.set_progress_handler(None, 0)


def _connect_read(path: Path) -> sqlite3.Connection:
    """The file opened read-only, its schema checked; TilesetError naming the file otherwise."""
    if not path.is_file():
        raise TilesetError(f"{path}: base map file not found")
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise TilesetError(f"{path}: not an MBTiles file ({exc})") from exc
    try:
        _query(db, path, "PRAGMA trusted_schema = OFF")
        _query(db, path, "PRAGMA query_only = ON")
        _check_schema(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _check_schema(db: sqlite3.Connection, path: Path) -> None:
    """``metadata`` and ``tiles`` with the spec's columns and declared types, or TilesetError."""
    kinds = dict(_query(db, path, "SELECT name, type FROM sqlite_master WHERE name IN ('metadata', 'tiles') "
                                  "AND type IN ('table', 'view')"))
    for table in ("metadata", "tiles"):
        if table not in kinds:
            raise TilesetError(f"{path}: not an MBTiles file (no {table} table)")
    wanted = {"metadata": {"name": _TEXT_TYPES, "value": _TEXT_TYPES},
              "tiles": {"zoom_level": _INTEGER_TYPES, "tile_column": _INTEGER_TYPES, "tile_row": _INTEGER_TYPES,
                        "tile_data": re.compile(r"BLOB", re.IGNORECASE)}}
    for table, columns in wanted.items():
        declared = {str(row[1]).lower(): str(row[2] or "") for row in _query(db, path, f"PRAGMA table_info({table})")}
        for column, pattern in columns.items():
            if column not in declared:
                raise TilesetError(f"{path}: not an MBTiles file ({table} has no {column} column)")
            if not pattern.search(declared[column]):
                raise TilesetError(f"{path}: not an MBTiles file ({table}.{column} is declared "
                                   f"{declared[column] or 'with no type'}, not as the MBTiles spec says)")


def read_info(path: str | Path) -> TilesetInfo:
    """Metadata and extent of the tileset at ``path``; TilesetError when it is not one."""
    path = Path(path)
    db = _connect_read(path)
    try:
        meta = {str(name): value for name, value in _query(
            db, path, "SELECT CAST(substr(name, 1, 256) AS TEXT), CAST(substr(value, 1, ?) AS TEXT) FROM metadata "
                      "LIMIT 1000", (MAX_METADATA_CHARS,))}
        low, high, low_type, high_type = _query(
            db, path, "SELECT MIN(zoom_level), MAX(zoom_level), typeof(MIN(zoom_level)), typeof(MAX(zoom_level)) "
                      "FROM tiles")[0]
        (count,) = _query(db, path, "SELECT COUNT(*) FROM tiles")[0]
    finally:
        db.close()
    # Text and blobs sort after every number, so a zoom level that is not a number shows in MAX.
    if {low_type, high_type} - {"integer", "null"} or (low is not None and not 0 <= low <= high <= 30):
        raise TilesetError(f"{path}: not an MBTiles file (zoom levels {low!r} to {high!r}: not whole numbers "
                           "from 0 to 30)")
    return TilesetInfo(path=path, name=str(meta.get("name") or path.stem),
                       format=str(meta.get("format") or "png").lower(),
                       attribution=attribution_text(meta.get("attribution")),
                       minzoom=None if low is None else int(low), maxzoom=None if high is None else int(high),
                       bounds=parse_bounds(meta.get("bounds")), tiles=int(count))


def parse_bounds(text: str | None) -> Area | None:
    """MBTiles ``bounds`` (left, bottom, right, top) as (south, west, north, east); None if unreadable."""
    try:
        west, south, east, north = (float(v) for v in str(text).split(","))
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    return south, west, north, east


class _Connection:
    """An MBTiles file held open: closed by ``close`` or at the end of a ``with`` block."""

    _db: sqlite3.Connection

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TilesetReader(_Connection):
    """Tiles by XYZ address from one file, on one connection (not shared between threads)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = _connect_read(self.path)
        self.dropped = 0  # tiles larger than MAX_TILE_BYTES, left out

    def tile(self, zoom: int, x: int, y: int) -> bytes | None:
        """The tile's bytes; None when there is none, or it is too large (counted in ``dropped``)."""
        rows = _query(self._db, self.path, "SELECT CASE WHEN length(tile_data) <= ? THEN tile_data END, "
                      "typeof(tile_data) FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=? LIMIT 1",
                      (MAX_TILE_BYTES, zoom, x, (1 << zoom) - 1 - y))
        if not rows or rows[0][1] == "null":
            return None
        data, kind = rows[0]
        if kind != "blob":
            raise TilesetError(f"{self.path}: not an MBTiles file (tile {zoom}/{x}/{y} holds {kind}, not an image)")
        if data is None:
            self.dropped += 1
            return None
        return bytes(data)

    def dropped_note(self, short: bool = False) -> str | None:
        """A sentence for the map's notes when tiles were left out for their size (``short``: a
        few words for a legend line)."""
        if not self.dropped:
            return None
        limit = (f"{MAX_TILE_BYTES / 1024**2:g} MB" if MAX_TILE_BYTES >= 1024**2
                 else f"{MAX_TILE_BYTES / 1024:.0f} kB")
        tiles = f"{self.dropped:,} tile{'s' if self.dropped != 1 else ''}"
        if short:
            return f"({tiles} over {limit} left out)"
        return f"{tiles} of {self.path.name} larger than {limit} {'were' if self.dropped != 1 else 'was'} left out."

    def present(self) -> set[tuple[int, int, int]]:
        """XYZ addresses stored, or known to be absent from the server the tiles came from."""
        return _present(lambda sql, params: _query(self._db, self.path, sql, params))


ABSENT_TABLE = "cellsight_absent"  # tiles the server said it does not have (404), kept for resuming


def _present(run: Callable[[str, tuple], list[tuple]]) -> set[tuple[int, int, int]]:
    """Addresses stored or known absent, by ``run(sql, params)``: only rows whose coordinates are
    whole numbers of a possible tile (a file from elsewhere may hold anything)."""
    rows = run("SELECT zoom_level, tile_column, tile_row FROM tiles WHERE typeof(zoom_level) = 'integer' "
               "AND typeof(tile_column) = 'integer' AND typeof(tile_row) = 'integer' "
               "AND zoom_level BETWEEN 0 AND 30", ())
    if run("SELECT 1 FROM sqlite_master WHERE name=?", (ABSENT_TABLE,)):
        rows += run(f"SELECT zoom_level, tile_column, tile_row FROM {ABSENT_TABLE} WHERE zoom_level BETWEEN 0 AND 30",
                    ())
    return {(z, x, (1 << z) - 1 - row) for z, x, row in rows}


# ----- writing ---------------------------------------------------------------------------
class TilesetWriter(_Connection):
    """A tileset being filled: creates the schema, adds tiles (XYZ), keeps the metadata.

    Each ``put`` is committed at once, so whatever was written before an
    interruption is there for the next run (resuming is reading what is present).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path)
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for statement in SCHEMA:
                self._db.execute(statement)
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {ABSENT_TABLE} (zoom_level integer, tile_column integer, "
                             "tile_row integer, PRIMARY KEY (zoom_level, tile_column, tile_row))")
            self._db.commit()
        except sqlite3.Error as exc:
            raise TilesetError(f"{self.path}: cannot be written as an MBTiles file ({exc})") from exc

    def metadata(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._db.execute("SELECT name, value FROM metadata").fetchall()}

    def set_metadata(self, values: dict[str, str]) -> None:
        self._db.executemany("INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)",
                             [(k, str(v)) for k, v in values.items()])
        self._db.commit()

    def present(self) -> set[tuple[int, int, int]]:
        """XYZ addresses already stored, or known to be absent from the server."""
        return _present(lambda sql, params: self._db.execute(sql, params).fetchall())

    def put(self, zoom: int, x: int, y: int, data: bytes) -> None:
        self._db.execute("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", (zoom, x, (1 << zoom) - 1 - y, data))
        self._db.commit()

    def mark_absent(self, zoom: int, x: int, y: int) -> None:
        """The server has no tile here (404): remembered so that a resumed run does not ask again."""
        self._db.execute(f"INSERT OR IGNORE INTO {ABSENT_TABLE} VALUES (?, ?, ?)", (zoom, x, (1 << zoom) - 1 - y))
        self._db.commit()

    def stored(self) -> tuple[int, int | None, int | None]:
        """(tiles, lowest zoom, highest zoom) stored so far."""
        count, low, high = self._db.execute("SELECT COUNT(*), MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        return int(count), low, high


def format_bounds(area: Area) -> str:
    """(south, west, north, east) in the MBTiles ``bounds`` order: left, bottom, right, top."""
    south, west, north, east = area
    return f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"


def union(a: Area | None, b: Area) -> Area:
    if a is None:
        return b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])
