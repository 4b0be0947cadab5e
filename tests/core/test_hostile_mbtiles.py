"""Hostile base map files: refused with one line naming the file (exit 2), never a hang, never a traceback;
a query that runs too long is stopped, and SIGTERM stops the command while SQLite works."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from cellsight.report import tileset
from cellsight.report.tileset import TilesetError, TilesetReader, TilesetWriter, read_info, tile_xy
from cellsight.report.webmap import embedded_basemap
from tests.factories import add_fixes, new_case, save, sqlite_file

LAT, LON = 53.8, -1.55
TYPED = ("CREATE TABLE metadata (name text, value text);"
         "CREATE TABLE t (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = new_case({"Dan": ("suspect", ["07700 900001"])})
    add_fixes(made, "Dan", [{"time": f"2023-03-01T10:{m:02d}:00Z", "lat": LAT + m / 1e4, "lon": LON} for m in range(5)])
    return save(made, tmp_path_factory.mktemp("case"))


def _map(case: Path, tiles: Path, tmp_path: Path, **env: str) -> subprocess.Popen:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), **env)
    return subprocess.Popen([sys.executable, "-m", "cellsight", "map", str(case), "--out", str(tmp_path / "map.html"),
                             "--tiles", str(tiles)], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _refused(child: subprocess.Popen, tiles: Path, reason: str) -> None:
    try:
        _, err = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 2, err
    assert err.count("\n") == 1 and str(tiles) in err and reason in err and "Traceback" not in err


def test_an_endless_recursive_view_is_refused_by_its_schema(case: Path, tmp_path: Path) -> None:
    tiles = sqlite_file(tmp_path / "endless.mbtiles", "CREATE TABLE metadata (name text, value text);"
                  "CREATE VIEW tiles AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                  "SELECT n AS zoom_level, n AS tile_column, n AS tile_row, zeroblob(10) AS tile_data FROM r;")
    _refused(_map(case, tiles, tmp_path), tiles, "tiles.zoom_level is declared with no type")


def _slow(path: Path) -> Path:
    """A ``tiles`` view with the spec's column types over a join of four copies of 300 rows: 8.1e9 rows."""
    rows = ";".join(f"INSERT INTO t VALUES ({i % 20}, {i}, {i}, zeroblob(8))" for i in range(300))
    return sqlite_file(path, TYPED + rows + ";CREATE VIEW tiles AS SELECT a.zoom_level AS zoom_level, "
                 "a.tile_column AS tile_column, a.tile_row AS tile_row, a.tile_data AS tile_data FROM t a, t b, t c, t d;")


def test_a_query_past_the_time_bound_is_stopped_and_refused(case: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tiles = _slow(tmp_path / "slow.mbtiles")
    _refused(_map(case, tiles, tmp_path, CELLSIGHT_MBTILES_SECONDS="1"), tiles, "ran longer than 1 s")
    monkeypatch.setenv(tileset.SECONDS_ENV, "0.5")
    with pytest.raises(TilesetError, match="ran longer than 0.5 s"):
        read_info(tiles)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the child open the file")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_a_long_query(case: Path, tmp_path: Path, sig: signal.Signals) -> None:
    tiles = _slow(tmp_path / "slow.mbtiles")
    child = _map(case, tiles, tmp_path, CELLSIGHT_MBTILES_SECONDS="600")
    try:
        fds = Path(f"/proc/{child.pid}/fd")
        while child.poll() is None and not any(_points_at(fd, tiles) for fd in _listing(fds)):
            time.sleep(0.01)
        time.sleep(1.0)  # inside SQLite's long query now
        assert child.poll() is None
        child.send_signal(sig)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 1, err
    assert "interrupted" in err and "Traceback" not in err and not (tmp_path / "map.html").exists()


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _points_at(link: Path, target: Path) -> bool:
    try:
        return Path(os.readlink(link)) == target
    except OSError:
        return False


@pytest.mark.parametrize("column", ["zoom_level", "tile_data"])
def test_text_in_a_tile_column_is_refused_naming_the_file(case: Path, tmp_path: Path, column: str) -> None:
    x, y = tile_xy(LAT, LON, 12)
    values = {"zoom_level": "'twelve'", "tile_column": str(x), "tile_row": str((1 << 12) - 1 - y), "tile_data": "x'00'"}
    rows = [values, {**values, "zoom_level": "12"}] if column == "zoom_level" else [
        {**values, "zoom_level": "12", "tile_data": "'<script>not an image</script>'"}]
    inserts = ";".join(f"INSERT INTO tiles VALUES ({r['zoom_level']}, {r['tile_column']}, {r['tile_row']}, "
                       f"{r['tile_data']})" for r in rows)
    tiles = sqlite_file(tmp_path / "text.mbtiles", TYPED.replace("TABLE t ", "TABLE tiles ") + inserts)
    _refused(_map(case, tiles, tmp_path), tiles, "not an MBTiles file")


def test_tiles_too_large_are_left_out_and_counted_in_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.mbtiles"
    image = _png()
    with TilesetWriter(path) as writer:
        writer.set_metadata({"name": "big", "format": "png", "attribution": "Test tiles"})
        x, y = tile_xy(LAT, LON, 14)
        writer.put(14, x, y, image)
        writer.put(14, x + 1, y, image + b"\0" * 4096)  # an image with trailing bytes: larger than the bound
        writer.put(14, x, y + 1, image + b"\0" * 4096)
    monkeypatch.setattr(tileset, "MAX_TILE_BYTES", len(image) + 100)
    spec = embedded_basemap(path, (LAT - 0.01, LON - 0.01, LAT + 0.01, LON + 0.01))
    assert len(spec["tiles"]) == 1
    assert "2 tiles of big.mbtiles larger than" in spec["note"]
    with TilesetReader(path) as reader:
        assert reader.tile(14, x, y) == image and reader.tile(14, x + 1, y) is None and reader.dropped == 1


def test_a_tiles_view_as_mbutil_writes_it_is_read(tmp_path: Path) -> None:
    """The spec allows ``tiles`` to be a view: mbutil's deduplicating schema passes the checks."""
    x, y = tile_xy(LAT, LON, 12)
    image = _png()
    path = sqlite_file(tmp_path / "mbutil.mbtiles",
                 "CREATE TABLE metadata (name text, value text);"
                 "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);"
                 "CREATE TABLE images (tile_data blob, tile_id text);"
                 "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, "
                 "map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images "
                 "ON images.tile_id = map.tile_id;"
                 f"INSERT INTO map VALUES (12, {x}, {(1 << 12) - 1 - y}, 'a');")
    db = sqlite3.connect(path)
    db.execute("INSERT INTO images VALUES (?, 'a')", (image,))
    db.commit()
    db.close()
    info = read_info(path)
    assert (info.minzoom, info.maxzoom, info.tiles) == (12, 12, 1)
    with TilesetReader(path) as reader:
        assert reader.tile(12, x, y) == image
