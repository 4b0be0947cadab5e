"""Benchmark: peak memory and time of the hostile inputs of issue 13, each in its own process.

Each case writes its file (in a temporary folder, or --dir), then runs
``cellsight import`` on it in a fresh child process and reads the child's peak
resident set size from the kernel (``os.wait4``), so that every figure is that
import's own, interpreter and libraries included. Cases:

- ``xlsx-bomb``: a workbook of about 2 MB whose sheet XML inflates about 1000x;
- ``xlsx-dimension``: 60,000 rows of four cells in a sheet declaring ``A1:XFD1048576``;
- ``junk-lines``: a header, one call and N lines of ``B,`` (5.6 million by default);
- ``ufdr-body``: a .ufdr whose one SMS body is --body-mb megabytes (2 GB by default) of
  text that compresses about 60x (so that the archive's ratio limit lets it through and
  the text cap must act);
- ``csv-field``: a CSV whose one field is --field-mb megabytes (500 by default) on one line;
- ``scene-junk``: a tower dump of 30 good rows and N junk lines (``--junk``), through ``cellsight scene``;
- ``scene-identical``: a tower dump of ``--identical`` copies of one row (3 million by default);
- ``baseline``: the smallest import (one call record), for the interpreter's own share.

Besides imports (issue 25):

- ``xlsx-export``: ``cellsight export --out X.xlsx --encrypt`` of an encrypted case of
  --export-rows events (200,000 by default), with $TMPDIR pointed at an empty folder: its
  peak, and the bytes that reached $TMPDIR (none: the sheet is streamed into the zip);
- ``mbtiles-endless``: ``cellsight map --tiles`` on a base map whose ``tiles`` view is an
  endless recursive query (refused by its schema);
- ``mbtiles-slow``: the same on a view with the spec's column types over a join of
  8.1e9 rows (stopped by the query time bound, ``$CELLSIGHT_MBTILES_SECONDS``, default 30 s).

Files are written by a child of their own, so that the writer's memory never
counts in an import's peak (a forked child's peak RSS includes its parent's pages).
Prints, per case: exit status, seconds, peak RSS (MB) and the first line the import
printed. Run: ``.venv/bin/python bench/hostile_memory.py`` (``--junk N``, ``--body-mb N``).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from factories import sqlite_file, xlsx_with_sheet  # noqa: E402

SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         "{head}<sheetData>{rows}</sheetData></worksheet>")
NS = "http://pa.cellebrite.com/report/2.0"


def _row(n: int) -> str:
    return (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>01/03/2023</t></is></c>'
            f'<c r="B{n}" t="inlineStr"><is><t>10:{n % 60:02d}:00</t></is></c>'
            f'<c r="C{n}" t="inlineStr"><is><t>07700900001</t></is></c>'
            f'<c r="D{n}" t="inlineStr"><is><t>07700900{n % 1000:03d}</t></is></c></row>')


def _header() -> str:
    cells = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{t}</t></is></c>' for c, t in
                    zip("ABCD", ("Date", "Time", "Calling Number", "Called Number")))
    return f'<row r="1">{cells}</row>'


def case_xlsx_bomb(folder: Path, _args: argparse.Namespace) -> Path:
    path = folder / "bomb.xlsx"
    padding = "<!--" + " " * (2 * 1024**3 // 2) + "-->"  # 1 GB of one byte: ~1000x
    xlsx_with_sheet(path, SHEET.format(head=padding, rows=_header() + _row(2)))
    return path


def case_xlsx_dimension(folder: Path, args: argparse.Namespace) -> Path:
    path = folder / "wide.xlsx"
    rows = "".join(_row(n) for n in range(2, args.xlsx_rows + 2))
    xlsx_with_sheet(path, SHEET.format(head='<dimension ref="A1:XFD1048576"/>', rows=_header() + rows))
    return path


def _repeated(path: Path, head: bytes, line: bytes, count: int) -> Path:
    """``head`` and then ``count`` copies of ``line`` (in blocks of 100,000), written to ``path``."""
    with open(path, "wb") as out:
        out.write(head)
        block = line * 100_000
        for _ in range(count // 100_000):
            out.write(block)
    return path


def case_junk(folder: Path, args: argparse.Namespace) -> Path:
    return _repeated(folder / "junk.csv", b"Date,Time,Calling Number,Called Number\n01/03/2023,10:00:00,"
                     b"07700900001,07700900002\n", b"B,\n", args.junk)


SCENE_HEADER = b"msisdn,imei,event_time,cell_id\n"


def case_scene_junk(folder: Path, args: argparse.Namespace) -> Path:
    """A tower dump of 30 good rows and --junk lines of junk (issue 25: kept whole, 1,180 MB)."""
    good = b"".join(b"07700900%03d,,2023-05-02 10:%02d:00,234-30-1-1\n" % (i, i) for i in range(30))
    return _repeated(folder / "scene-junk.csv", SCENE_HEADER + good, b"B,\n", args.junk)


def case_scene_identical(folder: Path, args: argparse.Namespace) -> Path:
    """A tower dump of --identical copies of one row (issue 25: 2,143 MB, 15x the file)."""
    return _repeated(folder / "scene-identical.csv", SCENE_HEADER,
                     b"07700900001,353333333333333,2023-05-02 10:00:00,234-30-1-1\n", args.identical)


def case_ufdr_body(folder: Path, args: argparse.Namespace) -> Path:
    path = folder / "body.ufdr"
    rng = random.Random(1)
    # 1 kB of text in which every 150th byte is random: deflate gets about 60x
    line = bytearray(b"a" * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("report.xml", "w", force_zip64=True) as out:
            out.write(f'<project xmlns="{NS}"><decodedData><modelType type="SMS"><model type="SMS" '
                      'id="s1"><field name="TimeStamp"><value>2023-03-18T14:00:00Z</value></field>'
                      '<field name="Body"><value>'.encode())
            for _ in range(args.body_mb * 1024):
                for i in range(0, 1024, 150):
                    line[i] = rng.randrange(97, 123)
                out.write(line)
            out.write(b"</value></field></model></modelType></decodedData></project>")
    return path


def case_csv_field(folder: Path, args: argparse.Namespace) -> Path:
    path = folder / "field.csv"
    with open(path, "wb") as out:
        out.write(b"Date,Time,Calling Number,Called Number,Text\n01/03/2023,10:00:00,07700900001,07700900002,")
        block = b"x" * 1024**2
        for _ in range(args.field_mb):
            out.write(block)
        out.write(b"\n")
    return path


def case_baseline(folder: Path, _args: argparse.Namespace) -> Path:
    path = folder / "one.csv"
    path.write_text("Date,Time,Calling Number,Called Number\n01/03/2023,10:00:00,07700900001,"
                    "07700900002\n")
    return path


CASES = {"baseline": case_baseline, "xlsx-bomb": case_xlsx_bomb,
         "xlsx-dimension": case_xlsx_dimension, "junk-lines": case_junk,
         "ufdr-body": case_ufdr_body, "csv-field": case_csv_field, "scene-junk": case_scene_junk,
         "scene-identical": case_scene_identical}
SCENES = {"scene-junk", "scene-identical"}  # read by ``cellsight scene``, not ``import``


def case_mbtiles_endless(folder: Path, _args: argparse.Namespace) -> Path:
    return sqlite_file(folder / "endless.mbtiles", "CREATE TABLE metadata (name text, value text);"
                   "CREATE VIEW tiles AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                   "SELECT n AS zoom_level, n AS tile_column, n AS tile_row, zeroblob(10) AS tile_data FROM r;")


def case_mbtiles_slow(folder: Path, _args: argparse.Namespace) -> Path:
    rows = ";".join(f"INSERT INTO t VALUES ({i % 20}, {i}, {i}, zeroblob(8))" for i in range(300))
    return sqlite_file(folder / "slow.mbtiles", "CREATE TABLE metadata (name text, value text);"
                   "CREATE TABLE t (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
                   + rows + ";CREATE VIEW tiles AS SELECT a.zoom_level AS zoom_level, a.tile_column AS tile_column, "
                   "a.tile_row AS tile_row, a.tile_data AS tile_data FROM t a, t b, t c, t d;")


def case_export_case(folder: Path, args: argparse.Namespace) -> Path:
    """An encrypted case of --export-rows text messages with third parties' numbers."""
    import pandas as pd

    from cellsight.core.crypto import derive
    from factories import add_events, new_case, save

    case = new_case({"Dan": ("suspect", ["07700 900001"]), "Sarah": ("victim", ["07700 900002"])})
    times = pd.date_range("2023-03-01", periods=args.export_rows, freq="37s", tz="UTC")
    add_events(case, "Dan", [{"start": t.isoformat(), "kind": "sms", "direction": "outgoing",
                              "party_a": "07700 900001", "party_b": f"07700 900{i % 1000:03d}",
                              "text": f"message {i} to 07700 900{i % 997:03d}"} for i, t in enumerate(times)])
    case.key = derive(PASSWORD)
    return save(case, folder, "export.cellsight")


PASSWORD = "bench password 1"
OTHER = {"xlsx-export": case_export_case, "mbtiles-endless": case_mbtiles_endless,
         "mbtiles-slow": case_mbtiles_slow}


def run_other(name: str, folder: Path, file: Path) -> tuple[int, float, float, str]:
    """``(exit status, seconds, peak RSS MB, a line)`` of an export or a map in a child."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"),
               CELLSIGHT_PASSWORD=PASSWORD, CELLSIGHT_EXPORT_PASSWORD=PASSWORD)
    tmp = folder / f"{name}-tmpdir"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    if name == "xlsx-export":
        command = ["export", str(file), "--out", str(folder / "events.xlsx"), "--encrypt"]
    else:
        case = folder / "map.cellsight"
        if not case.exists():
            subprocess.run([sys.executable, "-m", "cellsight", "new", str(case)], env=env, check=True,
                           capture_output=True)
        command = ["map", str(case), "--out", str(folder / "map.html"), "--tiles", str(file)]
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cellsight", *command], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = child.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    spilled = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
    line = err.strip().splitlines()[0] if err.strip() else ""
    if name == "xlsx-export":
        line = f"{spilled:,} bytes reached $TMPDIR; {line}"
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, line


def run_import(case: Path, file: Path, scene: bool = False) -> tuple[int, float, float, str]:
    """``(exit status, seconds, peak RSS MB, first stderr line)`` of one import (or scene) in a child."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    subprocess.run([sys.executable, "-m", "cellsight", "new", str(case), "--force"], env=env,
                   check=True, capture_output=True)
    start = time.perf_counter()
    command = ["scene", str(case), str(file), "--name", "Mast"] if scene else \
        ["import", str(case), str(file), "--subject", "Dan"]
    child = subprocess.Popen([sys.executable, "-m", "cellsight", *command, "--tz", "UTC"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = child.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    line = next((l for l in err.splitlines() if l.startswith("cellsight:") or " rows, " in l), "")
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--junk", type=int, default=5_600_000)
    parser.add_argument("--body-mb", type=int, default=2048)
    parser.add_argument("--xlsx-rows", type=int, default=60_000)
    parser.add_argument("--field-mb", type=int, default=500)
    parser.add_argument("--export-rows", type=int, default=200_000)
    parser.add_argument("--identical", type=int, default=3_000_000, help="rows of the identical-rows dump")
    parser.add_argument("--write-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("cases", nargs="*", default=list(CASES) + list(OTHER))
    args = parser.parse_args()
    if args.write_only:  # the child that writes one case's file and prints its path
        print({**CASES, **OTHER}[args.cases[0]](args.dir, args))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name in args.cases:
            written = subprocess.run(
                [sys.executable, __file__, "--write-only", "--dir", str(folder), "--junk",
                 str(args.junk), "--body-mb", str(args.body_mb), "--xlsx-rows", str(args.xlsx_rows),
                 "--field-mb", str(args.field_mb), "--export-rows", str(args.export_rows),
                 "--identical", str(args.identical), name], check=True, capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                     [str(Path(__file__).resolve().parents[1] / "src"), str(Path(__file__).resolve().parents[1] / "tests")])))
            file = Path(written.stdout.strip().splitlines()[-1])
            if name in OTHER:
                code, seconds, peak, line = run_other(name, folder, file)
            else:
                code, seconds, peak, line = run_import(folder / "bench.cellsight", file, name in SCENES)
            print(f"{name:<15} {file.stat().st_size / 1024**2:9.1f} MB file  exit {code}  "
                  f"{seconds:7.1f} s  peak {peak:7.0f} MB  {line[:150]}", flush=True)


if __name__ == "__main__":
    main()
