"""A tile server for tests and screenshots: 127.0.0.1 only, generated PNG tiles, every request counted.

The tiles are drawn, not downloaded: a pale ground with a grid of streets
(minor ones every 160 m or so, main roads every 800 m, avenues across them, blocks of
buildings, a park or a pond here and there)
laid out in world coordinates, so that neighbouring tiles and zoom levels line
up as a real street map does. Each tile also shows its own ``z/x/y`` in a
corner, which makes a wrong row order (XYZ against TMS) visible at a glance.

The server records each request (path, User-Agent, and the time on a clock the
test chooses, so that pacing is checked on a pretend clock rather than the wall)
and can be told to answer some paths with errors first (``script``) or not at
all (``absent``).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw, ImageFont

GROUND = (242, 239, 233)
PARK = (200, 225, 190)
WATER = (170, 200, 230)
CASING = (200, 190, 180)
MINOR = (255, 255, 255)
MAIN = (248, 214, 150)
BUILDING = (222, 215, 205)
REFERENCE_ZOOM = 18  # street spacing is fixed in pixels of this zoom


def street_tile(zoom: int, x: int, y: int, label: bool = True) -> bytes:
    """A 256 px PNG of streets for XYZ tile ``zoom/x/y``, continuous with its neighbours."""
    image = Image.new("RGB", (256, 256), GROUND)
    draw = ImageDraw.Draw(image)
    scale = 2.0 ** (REFERENCE_ZOOM - zoom)  # reference pixels per pixel of this tile
    left, top = x * 256 * scale, y * 256 * scale
    span = 256 * scale

    def lines(step: float) -> list[float]:
        first = int(left // step)
        return [(k * step - left) / scale for k in range(first, int((left + span) // step) + 2)]

    def rows(step: float) -> list[float]:
        first = int(top // step)
        return [(k * step - top) / scale for k in range(first, int((top + span) // step) + 2)]

    block = 3600.0  # reference pixels between main roads (not a power of two: roads cross tiles)
    for i, px in enumerate(lines(block)):
        for j, py in enumerate(rows(block)):
            k = int((left / block) + i) * 7 + int((top / block) + j) * 13
            if k % 5 == 0:
                draw.rectangle([px + 60 / scale, py + 60 / scale, px + (block - 60) / scale,
                                py + (block - 60) / scale], fill=PARK)
            elif k % 11 == 3:
                draw.ellipse([px + 400 / scale, py + 400 / scale, px + (block - 400) / scale,
                              py + (block - 400) / scale], fill=WATER)
    minor = block / 5
    if scale <= 4:  # buildings in most small blocks, close up
        for i, px in enumerate(lines(minor)):
            for j, py in enumerate(rows(minor)):
                if (int(left / minor + i) * 3 + int(top / minor + j) * 5) % 4:
                    draw.rectangle([px + 150 / scale, py + 150 / scale, px + (minor - 150) / scale,
                                    py + (minor - 150) / scale], fill=BUILDING)
    minor_w = max(1, round(24 / scale))
    main_w = max(2, round(56 / scale))
    if scale <= 16:  # minor streets only where they would be visible
        for px in lines(block / 5):
            draw.line([(px, 0), (px, 256)], fill=CASING, width=minor_w + 2)
            draw.line([(px, 0), (px, 256)], fill=MINOR, width=minor_w)
        for py in rows(block / 5):
            draw.line([(0, py), (256, py)], fill=CASING, width=minor_w + 2)
            draw.line([(0, py), (256, py)], fill=MINOR, width=minor_w)
    diagonal = block * 3  # avenues running north-west to south-east
    for k in range(int((left - top - span) // diagonal), int((left - top + span) // diagonal) + 2):
        d = (k * diagonal - left + top) / scale
        draw.line([(d, 0), (d + 256, 256)], fill=CASING, width=main_w + 2)
        draw.line([(d, 0), (d + 256, 256)], fill=MAIN, width=main_w)
    for px in lines(block):
        draw.line([(px, 0), (px, 256)], fill=CASING, width=main_w + 2)
        draw.line([(px, 0), (px, 256)], fill=MAIN, width=main_w)
    for py in rows(block):
        draw.line([(0, py), (256, py)], fill=CASING, width=main_w + 2)
        draw.line([(0, py), (256, py)], fill=MAIN, width=main_w)
    if label:
        draw.text((4, 4), f"{zoom}/{x}/{y}", fill=(150, 150, 150), font=ImageFont.load_default())
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class Request:
    path: str
    user_agent: str
    time: float


@dataclass
class TileServer:
    """Serves ``/{z}/{x}/{y}.png`` on 127.0.0.1 until ``close``; see the module docstring."""

    clock: Callable[[], float] | None = None
    script: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer first
    retry_after: str | None = None
    absent: set[str] = field(default_factory=set)
    body: Callable[[int, int, int], bytes] = street_tile
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(Request(self.path, self.headers.get("User-Agent", ""),
                                               server.clock() if server.clock else 0.0))
                pending = server.script.get(self.path)
                if pending:
                    status = pending.pop(0)
                    self.send_response(status)
                    if server.retry_after is not None:
                        self.send_header("Retry-After", server.retry_after)
                    self.end_headers()
                    return
                try:
                    z, x, y = (int(p) for p in self.path.strip("/").removesuffix(".png").split("/"))
                except ValueError:
                    z = -1
                if z < 0 or self.path in server.absent:
                    self.send_error(404)
                    return
                data = server.body(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="test-tile-server", daemon=True)
        self._thread.start()

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{{z}}/{{x}}/{{y}}.png"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> TileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
