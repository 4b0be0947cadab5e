"""Preparing an offline base map for a case: the tiles of its area, fetched once into an MBTiles file.

This is the only part of Cellsight that goes on the network, and only when an
officer asks for it. Nothing here has a server built in: the URL template
(``.../{z}/{x}/{y}.png``) and the attribution text come from the officer's
settings or the command line. Asking a tile server for the tiles of an area
tells that server which area is being looked at; the workstation and the CLI say
so, and ask, before the first request (``area_warning``).

Tile servers publish usage policies (OpenStreetMap's is typical): identify the
application with a descriptive User-Agent, do not hammer the server, show the
attribution, do not bulk-download. ``prepare`` therefore

- sends ``User-Agent: Cellsight/<version> (offline case map; <contact>)``;
- makes one request at a time, no more than ``rate`` a second (sleeping
  between them), and halves its pace for the rest of the run after a 429;
- refuses, before any request, an area and zooms needing more than
  ``max_tiles`` tiles (``estimate`` gives the count to show first);
- retries 429 and 5xx answers and network errors with exponential backoff,
  honouring ``Retry-After``, and stops after ``retries`` failures of one tile;
- stores the attribution in the file's metadata, so that the map and the PDF
  show it wherever the file goes;
- writes into ``FILE.part`` and renames it to ``FILE`` when complete; a run that
  was cancelled or failed leaves the ``.part`` file, and the same command again
  resumes it without asking for any tile already stored (a 404 is remembered
  too). Running it on a finished file adds only what is missing (more zooms,
  a larger area).

Long work takes a Progress (``progress.py``): the CLI shows a bar, the
workstation a dialog with Cancel; cancel is honoured between tiles and while
waiting.
"""

from __future__ import annotations

import email.utils
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight import __version__
from cellsight.core.case import CaseError
from cellsight.progress import Cancelled, NullProgress, Progress
from cellsight.report import mapdata
from cellsight.report.tileset import (
    Area,
    TilesetReader,
    TilesetWriter,
    count_tiles,
    format_bounds,
    image_format,
    pad_area,
    parse_bounds,
    tile_range,
    tiles_of,
    union,
)

DEFAULT_RATE = 2.0  # requests a second at most
DEFAULT_MAX_TILES = 5_000
DEFAULT_MARGIN_M = 500.0
DEFAULT_RETRIES = 5
MAX_BACKOFF_S = 120.0
MAX_TILE_BYTES = 4 * 1024 * 1024  # a tile is tens of kilobytes; more is not a tile
TIMEOUT_S = 30.0
MAX_ZOOM = 22
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
ABSENT_STATUS = frozenset({204, 404})
SOURCE_KEY = "cellsight_source"  # metadata: the URL template the tiles came from


class TilePackError(CaseError):
    """A request that cannot be carried out as asked (bad template or zooms, too many tiles)."""


class TileServerError(OSError):
    """The tile server failed or refused; what was fetched so far is kept for a later run."""


def area_warning(host: str) -> str:
    """What the officer must read before the first request."""
    return (f"The tile server at {host} will receive a request for every map tile of this area, so it "
            "learns which area is being looked at and when, from this computer's network address. Only "
            "use a server your force allows for casework, and keep the area and zooms to what you need.")


# ----- what to fetch ----------------------------------------------------------------------
def check_template(url: str) -> str:
    """The template, stripped; TilePackError unless it is http(s) and names {z}, {x} and {y} (or {-y})."""
    url = url.strip()
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise TilePackError(f"tile URL {url!r}: it must start with http:// or https://")
    if "{z}" not in url or "{x}" not in url or ("{y}" not in url and "{-y}" not in url):
        raise TilePackError(f"tile URL {url!r}: it needs {{z}}, {{x}} and {{y}} in it")
    return url


def server_host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def tile_url(template: str, zoom: int, x: int, y: int) -> str:
    return (template.replace("{z}", str(zoom)).replace("{x}", str(x))
            .replace("{-y}", str((1 << zoom) - 1 - y)).replace("{y}", str(y)))


def parse_zooms(text: str) -> range:
    """``"12-17"`` or ``"15"`` as a range of zoom levels (0 to 22)."""
    parts = str(text).replace("–", "-").split("-")
    try:
        low, high = (int(parts[0]), int(parts[-1])) if len(parts) <= 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or high is None or not 0 <= low <= high <= MAX_ZOOM:
        raise TilePackError(f"zooms {text!r}: give one zoom or a range such as 12-17 (0 to {MAX_ZOOM})")
    return range(low, high + 1)


def parse_area(text: str) -> Area:
    """``"S,W,N,E"`` in degrees."""
    try:
        south, west, north, east = (float(v) for v in str(text).split(","))
    except ValueError:
        raise TilePackError(f"area {text!r}: give south,west,north,east in degrees") from None
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise TilePackError(f"area {text!r}: south,west,north,east with south < north and west < east")
    return south, west, north, east


def case_area(case: Any, margin_m: float = DEFAULT_MARGIN_M) -> Area:
    """The box around the case's fixes, the cell sites its events used and its places, plus ``margin_m``.

    The same things the map draws (``mapdata.gather``): what the officer will
    look at is what needs streets under it.
    """
    bounds = mapdata.gather(case, occasions=[]).bounds()
    if bounds is None:
        raise TilePackError("the case has no located fixes, cell sites or places: there is no area to prepare")
    return pad_area(bounds, margin_m)


@dataclass(frozen=True)
class TileServer:
    """A tile server as the officer configured it, with the pace and limits to keep to."""

    url: str
    attribution: str
    contact: str = ""
    rate: float = DEFAULT_RATE
    max_tiles: int = DEFAULT_MAX_TILES
    retries: int = DEFAULT_RETRIES

    def __post_init__(self) -> None:
        check_template(self.url)
        if not self.attribution.strip():
            raise TilePackError("give the tile server's attribution text: its usage policy asks for it, and "
                                "the map and the PDF show it")
        if not self.rate > 0:
            raise TilePackError(f"rate {self.rate}: give the most requests a second, above 0")
        if self.max_tiles < 1:
            raise TilePackError(f"maximum tile count {self.max_tiles}: give at least 1")

    @property
    def user_agent(self) -> str:
        who = f"; {self.contact.strip()}" if self.contact.strip() else ""
        return f"Cellsight/{__version__} (offline case map{who})"


@dataclass
class Plan:
    """What a run would fetch: the count shown before anything is asked of the server."""

    area: Area
    zooms: range
    total: int  # tiles covering the area at those zooms
    stored: int  # of which the file (or its .part) already has
    out: Path

    @property
    def to_fetch(self) -> int:
        return self.total - self.stored

    def describe(self) -> str:
        low, high = self.zooms.start, self.zooms.stop - 1
        zooms = f"zoom {low}" if low == high else f"zooms {low}-{high}"
        kept = f", {self.stored:,} already in {self.out.name}" if self.stored else ""
        return f"{self.total:,} tiles at {zooms}{kept}: {self.to_fetch:,} to download"


def part_path(out: Path) -> Path:
    return out.with_name(out.name + ".part")


def plan(area: Area, zooms: range, out: str | Path) -> Plan:
    """How many tiles cover ``area`` at ``zooms``, and how many ``out`` (or its .part) already holds."""
    out = Path(out)
    total = count_tiles(area, zooms)
    existing = part_path(out) if part_path(out).exists() else out if out.exists() else None
    stored = 0
    if existing is not None:
        with TilesetReader(existing) as reader:
            have = reader.present()
        ranges = {zoom: tile_range(area, zoom) for zoom in zooms}
        for zoom, x, y in have:  # what the file holds, not every tile asked for: that may be millions
            if zoom in ranges:
                x0, x1, y0, y1 = ranges[zoom]
                stored += x0 <= x <= x1 and y0 <= y <= y1
    return Plan(area, zooms, total, stored, out)


# ----- fetching ---------------------------------------------------------------------------
@dataclass
class PackSummary:
    out: str
    tiles: int  # tiles in the finished file
    downloaded: int
    kept: int  # already in the file, not asked for again
    absent: int  # the server has no tile there (404)
    requests: int
    retries: int
    zooms: list[int]
    bounds: list[float]  # south, west, north, east
    attribution: str
    bytes: int
    user_agent: str
    waits: list[float] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "waits"}


class _Pace:
    """At most one request per ``interval`` seconds, waiting in short steps so that cancel is prompt."""

    def __init__(self, rate: float, progress: Progress, sleep: Callable[[float], None],
                 clock: Callable[[], float]) -> None:
        self.interval = 1.0 / rate
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None

    def wait(self, seconds: float) -> None:
        end = self.clock() + seconds
        while (left := end - self.clock()) > 0:
            if self.progress.cancelled():
                raise Cancelled()
            self.sleep(min(left, 0.25))

    def before_request(self) -> None:
        if self.last is not None:
            self.wait(self.last + self.interval - self.clock())
        if self.progress.cancelled():
            raise Cancelled()
        self.last = self.clock()


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None if absent or odd."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class _Answer:
    """One request's outcome: the tile, no tile there, or a failure worth another try (and how long to wait)."""

    body: bytes | None = None
    retry: bool = False
    wait: float | None = None  # from Retry-After
    reason: str = ""
    slow_down: bool = False  # a 429


class _Fetcher:
    def __init__(self, server: TileServer, pace: _Pace, wall: Callable[[], float]) -> None:
        self.server = server
        self.pace = pace
        self.opener = urllib.request.build_opener()
        self.wall = wall
        self.host = server_host(server.url)
        self.requests = 0
        self.retries = 0
        self.waits: list[float] = []

    def get(self, zoom: int, x: int, y: int) -> bytes | None:
        """The tile's bytes, or None when the server has none there; TileServerError when it keeps failing."""
        request = urllib.request.Request(tile_url(self.server.url, zoom, x, y),
                                         headers={"User-Agent": self.server.user_agent,
                                                  "Accept": "image/png,image/jpeg,image/webp,image/*"})
        where = f"{zoom}/{x}/{y}"
        for attempt in range(self.server.retries + 1):
            self.pace.before_request()
            self.requests += 1
            answer = self._once(request, where)
            if not answer.retry:
                return answer.body
            if attempt == self.server.retries:
                break
            if answer.slow_down:
                self.pace.interval *= 2  # the server says we are too fast: slower for the rest of the run
            wait = min(MAX_BACKOFF_S, answer.wait if answer.wait is not None else 2.0 ** attempt)
            self.retries += 1
            self.waits.append(wait)
            self.pace.wait(wait)
        raise TileServerError(f"{self.host}: {answer.reason} for tile {where}, {self.server.retries + 1} times; "
                              "the tiles fetched so far are kept: run the same again later to resume")

    def _once(self, request: urllib.request.Request, where: str) -> _Answer:
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as response:
                status = response.status
                body = response.read(MAX_TILE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in ABSENT_STATUS:
                return _Answer()
            if exc.code in RETRY_STATUS:
                return _Answer(retry=True, wait=retry_after(exc.headers.get("Retry-After"), self.wall()),
                               reason=f"HTTP {exc.code}", slow_down=exc.code == 429)
            raise TileServerError(f"{self.host} refused tile {where} with HTTP {exc.code} ({exc.reason}); "
                                  "check the URL and the server's usage policy") from None
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out, no route
            return _Answer(retry=True, reason=f"no answer ({getattr(exc, 'reason', exc)})")
        if status in ABSENT_STATUS:
            return _Answer()
        if len(body) > MAX_TILE_BYTES or image_format(body) is None:
            raise TileServerError(f"{self.host} answered tile {where} with something that is not a map tile "
                                  "image (a login page, or a wrong URL?)")
        return _Answer(body=body)


def prepare(area: Area, zooms: range, server: TileServer, out: str | Path, progress: Progress | None = None,
            *, name: str = "", sleep: Callable[[float], None] = time.sleep,
            clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> PackSummary:
    """Fetch the tiles of ``area`` at ``zooms`` from ``server`` into the MBTiles file ``out``.

    Refuses (TilePackError) before any request when more than
    ``server.max_tiles`` tiles are still to fetch. Raises Cancelled or
    TileServerError with the ``.part`` file kept for a later run. ``sleep``,
    ``clock`` and ``wall`` are there for tests, which run the pace on a
    pretend clock.
    """
    progress = progress or NullProgress()
    out = Path(out)
    planned = plan(area, zooms, out)
    if planned.to_fetch > server.max_tiles:
        raise TilePackError(f"{planned.describe()}; that is more than the limit of {server.max_tiles:,}: "
                            "choose fewer zooms or a smaller area, or raise the limit if the server's "
                            "usage policy allows it")
    work = part_path(out)
    if not work.exists() and out.exists():
        shutil.copyfile(out, work)  # adding to a finished file: the finished one stays whole until the end
    fetcher = _Fetcher(server, _Pace(server.rate, progress, sleep, clock), wall)
    downloaded = absent = 0
    with TilesetWriter(work) as writer:
        meta = writer.metadata()
        source = meta.get(SOURCE_KEY)
        if source and source != server.url:
            raise TilePackError(f"{out}: its tiles came from another tile server ({server_host(source)}); "
                                "choose another file so that one attribution covers every tile")
        writer.set_metadata({"name": name or meta.get("name") or out.stem, "type": "baselayer", "version": "1",
                             "attribution": server.attribution.strip(), SOURCE_KEY: server.url,
                             "description": "Map tiles of a case's area, fetched once for offline use by "
                                            "Cellsight."})
        have = writer.present()
        todo = [tile for tile in tiles_of(area, zooms) if tile not in have]
        kept = planned.total - len(todo)
        tile_format = meta.get("format")
        for done, (zoom, x, y) in enumerate(todo):
            progress.update(done, len(todo), f"Downloading map tiles from {server_host(server.url)} (zoom {zoom})")
            data = fetcher.get(zoom, x, y)
            if data is None:
                writer.mark_absent(zoom, x, y)
                absent += 1
                continue
            if tile_format is None:
                tile_format = image_format(data)
                writer.set_metadata({"format": tile_format or "png"})
            writer.put(zoom, x, y, data)
            downloaded += 1
        progress.update(len(todo), len(todo), "Map tiles downloaded")
        count, low, high = writer.stored()
        bounds = union(parse_bounds(meta.get("bounds")), area)
        centre_zoom = max(low if low is not None else zooms.start, min(high or zooms.start, 15))
        updates = {"bounds": format_bounds(bounds),
                   "center": f"{(bounds[1] + bounds[3]) / 2:.6f},{(bounds[0] + bounds[2]) / 2:.6f},{centre_zoom}",
                   "format": tile_format or "png",
                   "prepared": pd.Timestamp(wall(), unit="s", tz="UTC").isoformat(timespec="seconds")}
        if low is not None:
            updates.update(minzoom=str(low), maxzoom=str(high))
        writer.set_metadata(updates)
    work.replace(out)
    return PackSummary(out=str(out), tiles=count, downloaded=downloaded, kept=kept, absent=absent,
                       requests=fetcher.requests, retries=fetcher.retries,
                       zooms=[low, high] if low is not None else [], bounds=[round(v, 6) for v in bounds],
                       attribution=server.attribution.strip(), bytes=out.stat().st_size,
                       user_agent=server.user_agent, waits=fetcher.waits)

