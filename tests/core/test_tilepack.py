"""Preparing an offline base map: tiles of an area from a local test tile server into MBTiles.

Every test starts its own tile server on 127.0.0.1 (``tests/tile_server.py``),
which counts the requests it gets. Pacing is checked on a pretend clock: the
downloader sleeps through the test's ``sleep``, which only moves that clock on,
so nothing here waits or depends on the machine's speed.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from cellsight import cli
from cellsight.core.casefile import save_case
from cellsight.progress import Cancelled, NullProgress
from cellsight.report import tilepack, tileset
from tests.core.report_fixtures import HOME, make_case
from tests.tile_server import TileServer, street_tile

AREA = (51.452, -2.592, 51.457, -2.584)  # a few streets around the report fixture's home
ZOOMS = range(15, 17)


class Clock:
    """A pretend monotonic clock moved on only by ``sleep``."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class CancelAfter(NullProgress):
    def __init__(self, tiles: int) -> None:
        super().__init__()
        self.tiles = tiles

    def update(self, done: int, total: int | None = None, message: str = "") -> None:
        if done >= self.tiles:
            self.cancel()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def server(clock):
    with TileServer(clock=clock) as running:
        yield running


def source(server: TileServer, **kw) -> tilepack.TileServer:
    options = {"attribution": "Map data © Invented Mapping Ltd", "contact": "dc.example@police.invalid",
               "rate": 4.0, "max_tiles": 500}
    return tilepack.TileServer(server.template, **{**options, **kw})


def prepare(server, clock, out, progress=None, **kw):
    return tilepack.prepare(AREA, ZOOMS, source(server, **kw), out, progress, name="Operation Lantern",
                            sleep=clock.sleep, clock=clock, wall=lambda: 1_700_000_000.0)


def expected_paths(area=AREA, zooms=ZOOMS) -> list[str]:
    return [f"/{z}/{x}/{y}.png" for z, x, y in tileset.tiles_of(area, zooms)]


def test_every_tile_of_the_area_is_fetched_once_into_an_mbtiles_file(server, clock, tmp_path) -> None:
    out = tmp_path / "lantern.mbtiles"
    summary = prepare(server, clock, out)
    wanted = expected_paths()
    assert 4 <= len(wanted) <= 40
    assert sorted(server.paths()) == sorted(wanted)  # each tile asked for exactly once
    assert summary.downloaded == summary.tiles == summary.requests == len(wanted)
    assert not tilepack.part_path(out).exists()
    with sqlite3.connect(out) as db:
        meta = dict(db.execute("SELECT name, value FROM metadata"))
        assert db.execute("PRAGMA application_id").fetchone()[0] == tileset.APPLICATION_ID
        z, x, y = next(tileset.tiles_of(AREA, ZOOMS))
        # stored in TMS order: row counted from the south
        row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                         (z, x, (1 << z) - 1 - y)).fetchone()
        assert bytes(row[0]) == street_tile(z, x, y)
    assert meta["name"] == "Operation Lantern" and meta["format"] == "png" and meta["type"] == "baselayer"
    assert meta["attribution"] == "Map data © Invented Mapping Ltd"
    assert (meta["minzoom"], meta["maxzoom"]) == ("15", "16")
    west, south, east, north = (float(v) for v in meta["bounds"].split(","))
    assert (south, west, north, east) == pytest.approx(AREA, abs=1e-6)
    lon, lat, zoom = meta["center"].split(",")
    assert south < float(lat) < north and west < float(lon) < east and 15 <= int(zoom) <= 16
    assert meta[tilepack.SOURCE_KEY] == server.template
    info = tileset.read_info(out)
    assert info.tiles == len(wanted) and info.attribution == meta["attribution"]
    with tileset.TilesetReader(out) as reader:
        assert reader.tile(z, x, y) == street_tile(z, x, y)
        assert reader.tile(z, x, (1 << z) - 1 - y) is None  # the row is flipped, not stored twice


def test_the_server_is_told_who_is_asking_and_never_asked_faster_than_the_rate(server, clock, tmp_path) -> None:
    prepare(server, clock, tmp_path / "a.mbtiles", rate=4.0)
    agents = {r.user_agent for r in server.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("Cellsight/") and "offline case map" in agent and "dc.example@police.invalid" in agent
    times = [r.time for r in server.requests]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps and min(gaps) >= 0.25 - 1e-9  # 4 a second at most, on the pretend clock
    assert max(gaps) < 0.5  # and no slower than it need be


def test_a_cancelled_run_resumes_without_asking_again_for_what_it_has(server, clock, tmp_path) -> None:
    out = tmp_path / "resume.mbtiles"
    wanted = expected_paths()
    with pytest.raises(Cancelled):
        prepare(server, clock, out, CancelAfter(3))
    assert not out.exists() and tilepack.part_path(out).exists()
    first = server.paths()
    assert len(first) == 3
    assert tilepack.plan(AREA, ZOOMS, out).stored == 3
    summary = prepare(server, clock, out)
    assert summary.kept == 3 and summary.downloaded == len(wanted) - 3
    assert sorted(server.paths()) == sorted(wanted)  # nothing asked for twice across the two runs
    assert tileset.read_info(out).tiles == len(wanted)
    # again on the finished file: nothing to fetch, no request, the file still whole
    again = prepare(server, clock, out)
    assert again.requests == 0 and again.kept == len(wanted) and len(server.paths()) == len(wanted)
    # a finer zoom is added to it, asking only for the new tiles
    bigger = tilepack.prepare(AREA, range(15, 18), source(server), out, sleep=clock.sleep, clock=clock)
    assert bigger.downloaded == len(expected_paths(zooms=range(17, 18)))
    assert len(server.paths()) == len(set(server.paths()))
    assert tileset.read_info(out).maxzoom == 17


def test_429_and_5xx_are_retried_with_backoff_and_the_pace_slows(clock, tmp_path) -> None:
    first, second = expected_paths()[:2]
    with TileServer(clock=clock, script={first: [429, 503], second: [502]}, retry_after="3") as server:
        summary = prepare(server, clock, tmp_path / "r.mbtiles", rate=4.0)
        paths = server.paths()
        times = [r.time for r in server.requests]
    assert paths.count(first) == 3 and paths.count(second) == 2
    assert summary.retries == 3 and summary.tiles == len(expected_paths())
    assert summary.waits == [3.0, 3.0, 3.0]  # Retry-After honoured each time
    # after the 429 the pace halved for the rest of the run: 2 a second
    later = [b - a for a, b in zip(times[4:], times[5:])]
    assert min(later) >= 0.5 - 1e-9


def test_backoff_doubles_without_retry_after_and_the_run_stops_after_the_retries(clock, tmp_path) -> None:
    paths = expected_paths()
    with TileServer(clock=clock, script={paths[1]: [503] * 10}) as server:
        out = tmp_path / "fail.mbtiles"
        with pytest.raises(tilepack.TileServerError, match="HTTP 503.*run the same again later to resume"):
            prepare(server, clock, out, retries=3)
        assert server.paths().count(paths[1]) == 4
        times = [r.time for r in server.requests]
    assert [b - a for a, b in zip(times, times[1:])] == [0.25, 1.0, 2.0, 4.0]  # the pace, then the backoff
    assert tileset.read_info(tilepack.part_path(out)).tiles == 1  # the first tile is kept for the next run


def test_a_tile_the_server_does_not_have_is_remembered(clock, tmp_path) -> None:
    paths = expected_paths()
    with TileServer(clock=clock, absent={paths[0]}) as server:
        out = tmp_path / "sea.mbtiles"
        summary = prepare(server, clock, out)
        assert summary.absent == 1 and summary.tiles == len(paths) - 1
        prepare(server, clock, out)
        assert server.paths().count(paths[0]) == 1


def test_too_many_tiles_are_refused_before_any_request(server, clock, tmp_path) -> None:
    count = tileset.count_tiles(AREA, range(15, 19))
    with pytest.raises(tilepack.TilePackError, match=f"{count:,} tiles at zooms 15-18.*limit of 50"):
        tilepack.prepare(AREA, range(15, 19), source(server, max_tiles=50), tmp_path / "big.mbtiles",
                         sleep=clock.sleep, clock=clock)
    assert server.requests == []
    assert not (tmp_path / "big.mbtiles.part").exists()


def test_an_answer_that_is_not_a_tile_stops_the_run(clock, tmp_path) -> None:
    with TileServer(clock=clock, body=lambda z, x, y: b"<html>Please log in</html>") as server:
        with pytest.raises(tilepack.TileServerError, match="not a map tile image"):
            prepare(server, clock, tmp_path / "portal.mbtiles")
        assert len(server.requests) == 1


def test_a_refusal_is_not_retried(clock, tmp_path) -> None:
    with TileServer(clock=clock, script={expected_paths()[0]: [403]}) as server:
        with pytest.raises(tilepack.TileServerError, match="HTTP 403"):
            prepare(server, clock, tmp_path / "no.mbtiles")
        assert len(server.requests) == 1


def test_tiles_of_another_server_are_not_mixed_into_a_file(server, clock, tmp_path) -> None:
    out = tmp_path / "one.mbtiles"
    prepare(server, clock, out)
    with TileServer(clock=clock) as other:
        with pytest.raises(tilepack.TilePackError, match="another tile server"):
            prepare(other, clock, out)
        assert other.requests == []


def test_templates_zooms_and_areas_are_checked() -> None:
    assert tilepack.tile_url("http://h/{z}/{x}/{-y}.png", 3, 1, 2) == "http://h/3/1/5.png"
    for bad in ("tiles/{z}/{x}/{y}.png", "file:///srv/{z}/{x}/{y}.png", "http://h/{z}/{x}.png"):
        with pytest.raises(tilepack.TilePackError):
            tilepack.check_template(bad)
    assert tilepack.parse_zooms("12-17") == range(12, 18) and tilepack.parse_zooms("15") == range(15, 16)
    for bad in ("17-12", "x", "0-23", "1-2-3", ""):
        with pytest.raises(tilepack.TilePackError):
            tilepack.parse_zooms(bad)
    assert tilepack.parse_area("51.4,-2.6,51.5,-2.5") == (51.4, -2.6, 51.5, -2.5)
    with pytest.raises(tilepack.TilePackError):
        tilepack.parse_area("51.5,-2.6,51.4,-2.5")
    with pytest.raises(tilepack.TilePackError, match="attribution"):
        tilepack.TileServer("http://h/{z}/{x}/{y}.png", " ")
    assert tilepack.retry_after("Wed, 21 Oct 2015 07:28:05 GMT", 1445412480.0) == 5.0
    assert tilepack.retry_after("soon", 0.0) is None


def test_the_case_area_holds_its_fixes_sites_and_places_with_a_margin() -> None:
    case = make_case(days=1)
    south, west, north, east = tilepack.case_area(case, margin_m=500)
    locations = case.locations
    assert south < locations["lat"].min() and north > locations["lat"].max()
    assert west < locations["lon"].min() and east > locations["lon"].max()
    assert south < HOME[0] < north and west < HOME[1] < east
    inner = tilepack.case_area(case, margin_m=0)
    assert north - inner[2] == pytest.approx(500 / 111_320.0)


def test_tile_maths_agree_with_the_tile_bounds() -> None:
    for zoom in (0, 5, 12, 17):
        x, y = tileset.tile_xy(HOME[0], HOME[1], zoom)
        south, west, north, east = tileset.tile_bounds(zoom, x, y)
        assert south <= HOME[0] <= north and west <= HOME[1] <= east
    assert tileset.count_tiles((-85, -180, 85, 180), range(0, 3)) == 1 + 4 + 16
    assert tileset.attribution_text('&copy; <a href="https://x.invalid">Mapping</a> <b>contributors</b>') == \
        "© Mapping contributors"


def test_reading_a_file_that_is_not_a_tileset_is_one_clear_error(tmp_path) -> None:
    junk = tmp_path / "junk.mbtiles"
    junk.write_text("not a database")
    with pytest.raises(tileset.TilesetError, match="not an MBTiles file"):
        tileset.read_info(junk)
    with pytest.raises(tileset.TilesetError, match="not found"):
        tileset.read_info(tmp_path / "missing.mbtiles")


# ----- the command line ----------------------------------------------------------------------------
def test_cli_tiles_estimates_asks_and_downloads(server, tmp_path, capsys, monkeypatch) -> None:
    case_path = tmp_path / "lantern.cellsight"
    save_case(make_case(days=1), case_path)
    before = case_path.read_bytes()
    out = tmp_path / "lantern.mbtiles"
    common = ["tiles", str(case_path), "--url", server.template, "--attribution", "Invented Mapping Ltd",
              "--zoom", "13-14", "--out", str(out), "--rate", "200"]
    assert cli.main(common + ["--estimate", "--json"]) == 0
    captured = capsys.readouterr()
    estimate = json.loads(captured.out)
    assert estimate["estimate"] == estimate["to_fetch"] > 0 and estimate["stored"] == 0
    assert server.requests == [] and "tiles at zooms 13-14" in captured.err
    # off a terminal, nothing goes to the server without --yes, and the warning says why
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(common) == 2
    err = capsys.readouterr().err
    assert "learns which area" in err and "--yes" in err and server.requests == []
    assert cli.main(common + ["--yes", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tiles"] == estimate["estimate"] == len(server.requests)
    assert summary["attribution"] == "Invented Mapping Ltd" and summary["zooms"] == [13, 14]
    assert tileset.read_info(out).tiles == summary["tiles"]
    assert case_path.read_bytes() == before  # the case is only read
    assert cli.main(common + ["--yes", "--max-tiles", "0"]) == 2
    assert cli.main(common[:-6] + ["--zoom", "9-30", "--out", str(out), "--yes"]) == 2
    assert cli.main(["tiles", str(case_path), "--url", server.template, "--attribution", "x", "--zoom", "13",
                     "--out", str(case_path), "--yes"]) == 2
    assert case_path.read_bytes() == before


def test_cli_tiles_stopped_by_the_server_says_how_to_resume(clock, tmp_path, capsys) -> None:
    case_path = tmp_path / "lantern.cellsight"
    save_case(make_case(days=1), case_path)
    with TileServer(script={}, body=lambda z, x, y: b"nope") as server:
        code = cli.main(["tiles", str(case_path), "--url", server.template, "--attribution", "x",
                         "--zoom", "13", "--out", str(tmp_path / "t.mbtiles"), "--yes"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "not a map tile image" in err and "t.mbtiles.part" in err and "Traceback" not in err


# ----- the PDF's maps ------------------------------------------------------------------------------
def test_the_report_draws_its_maps_on_the_prepared_base_map_and_names_it(server, clock, tmp_path, capsys) -> None:
    from pypdf import PdfReader

    from cellsight.core.casefile import file_sha256

    case = make_case(days=1)
    case_path = tmp_path / "lantern.cellsight"
    save_case(case, case_path)
    base = tmp_path / "lantern.mbtiles"
    tilepack.prepare(tilepack.case_area(case, 300), range(14, 16), source(server, max_tiles=2000), base,
                     sleep=clock.sleep, clock=clock)
    out = tmp_path / "report.pdf"
    assert cli.main(["report", str(case_path), "--out", str(out), "--tiles", str(base), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["basemap"] == {"file": "lantern.mbtiles", "sha256": file_sha256(base),
                                  "attribution": "Map data © Invented Mapping Ltd"}
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(out).pages)
    assert f"lantern.mbtiles (SHA-256 {file_sha256(base)}): Map data © Invented Mapping Ltd" in text
    # a base map that is not there is refused before any analysis, in one line
    assert cli.main(["report", str(case_path), "--out", str(tmp_path / "r2.pdf"), "--tiles",
                     str(tmp_path / "gone.mbtiles")]) == 2
    assert "gone.mbtiles: base map file not found" in capsys.readouterr().err
    assert not (tmp_path / "r2.pdf").exists()
