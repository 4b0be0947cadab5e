"""Benchmark: common numbers over four tower-dump scenes of 5,000,000 rows each (DuckDB, and Spark).

Generates the scenes once (Parquet files in the scene layout, written straight
with pyarrow: generating 20 million rows through the CSV importer would measure
the importer, which ``--import-rows`` measures separately on one CSV), plants
a number at three of the four scenes and a number (the subject Sam's) at all
four, then times
``analysis.scenes.common_numbers`` on the embedded DuckDB (memory limit 2 GB)
and reports the peak resident memory of a fresh process doing only that. With
``--spark`` it runs the same query on a local Spark and checks the answers are
equal; with ``--cotravel`` it also times co-travel of Sam against every other
row (each scene is one mast, so everyone on it in Sam's minutes is together
with him: the worst case of the join).

    PYTHONPATH=src .venv/bin/python bench/towers.py [--rows 5000000] [--spark] [--cotravel] [--import-rows N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cellsight.core.case import Case, Source, utc_stamp  # noqa: E402
from cellsight.core.casefile import file_sha256, open_case, save_case  # noqa: E402
from cellsight.core.scenestore import ROW_SCHEMA, Scene, SceneFile, save_scenes, write_rows  # noqa: E402

PLANTED_3, PLANTED_4 = "+447700900333", "+447700900777"
START_US = 1_682_985_600_000_000  # 2023-05-02 00:00 UTC


def scene_rows(index: int, rows: int, seed: int) -> pa.Table:
    """One scene, two hours of a busy mast: 50,000 local subscribers (95% of the rows) and, from a
    pool of 5,000 commuters shared by the scenes, each with a chance of 0.3 to be at this one.

    Numbers are invented under the unassigned country code +999 (no real number can be one);
    the two planted numbers are Ofcom drama numbers.
    """
    rng = np.random.default_rng(seed)
    local = np.char.add(f"+9991{index}", np.char.zfill(rng.integers(0, 50_000, rows).astype(str), 6))
    commuters = np.flatnonzero(np.random.default_rng(1000 + index).random(5_000) < 0.3)
    shared = np.char.add("+9992", np.char.zfill(commuters.astype(str), 7))
    numbers = np.where(rng.random(rows) < 0.05, shared[rng.integers(0, len(shared), rows)], local).astype("<U16")
    numbers[:50] = PLANTED_4
    if index < 3:
        numbers[50:80] = PLANTED_3
    times = START_US + index * 86_400_000_000 + np.sort(rng.integers(0, 7_200_000_000, rows))
    imei = np.char.add("35", np.char.zfill(np.char.lstrip(numbers, "+"), 13))
    return pa.table({
        "time": pa.array(times, pa.timestamp("us", tz="UTC")), "time_us": pa.array(times, pa.int64()),
        "time_flag": pa.array([""] * rows), "number": pa.array(numbers), "number_raw": pa.array(numbers),
        "number_flag": pa.array(["possible"] * rows), "imei": pa.array(imei), "imsi": pa.nulls(rows, pa.string()),
        "other": pa.nulls(rows, pa.string()), "other_raw": pa.nulls(rows, pa.string()),
        "kind": pa.array(["data"] * rows), "direction": pa.array(["unknown"] * rows),
        "cell_first": pa.array([f"234-30-100-{index + 1}"] * rows), "cell_last": pa.nulls(rows, pa.string()),
        "source_id": pa.array([f"S{index + 1}"] * rows), "source_row": pa.array(np.arange(2, rows + 2).astype(str)),
    }, schema=ROW_SCHEMA)


def build(folder: Path, rows: int) -> Path:
    case = Case.new(name="Towers bench")
    case.set_subject("Sam", role="suspect", numbers=[PLANTED_4])
    path = folder / "towers.cellsight"
    save_case(case, path)
    scenes = []
    for i in range(4):
        t = time.perf_counter()
        table = scene_rows(i, rows, seed=i)
        relative, sha = write_rows(path, f"S{i + 1}-bench", table)
        source = Source(id=f"S{i + 1}", file=f"dump{i + 1}.csv", path="(generated)", sha256=f"{i:064d}", size=0,
                        format="tower-dump", subject="", declared_tz="UTC", tz_rule="values", parameters={},
                        rows=rows, imported=rows, rejected=0, kinds={"scene": rows}, skipped=[], warnings=[],
                        imported_at=utc_stamp(), version="bench")
        case.add_source(source, {}, kept_outside=rows)
        times = table["time"]
        scenes.append(Scene(name=f"Scene {i + 1}", lat=53.80 + 0.02 * i, lon=-1.55, files=[SceneFile(
            source_id=source.id, parquet=relative, sha256=sha, rows=rows,
            first=times[0].as_py().isoformat(), last=times[-1].as_py().isoformat(), numbers=0)]))
        size = (folder / relative).stat().st_size
        print(f"generated scene {i + 1}: {rows:,} rows, {size / 1e6:.0f} MB Parquet, "
              f"{time.perf_counter() - t:.1f} s", flush=True)
    save_scenes(case, scenes, "bench scenes", {})
    save_case(case, path)
    return path


def run_common(path: str, engine: str, query: str = "common") -> dict:
    """In this process: the query (``common`` or ``cotravel``), its time and the process's peak memory."""
    from cellsight.analysis import cotravel, scenequery, scenes

    case = open_case(path)
    base = _high_water_kb()
    t = time.perf_counter()
    chosen = scenequery.Engine(engine) if engine == "duckdb" else scenequery.Engine(
        "spark", session=scenequery.spark_session("local[2]"))
    if query == "cotravel":
        doc = cotravel.run(case, path, "Sam", engine=chosen)
        answer = [(c["number"], c["hours_together"]) for c in doc["candidates"]]
        found = doc["hours_of_subject"]
    else:
        doc = scenes.common_numbers(case, path, scenes.CommonOptions(min_scenes=3), engine=chosen)
        answer = [(e["number"], [(v["scene"], v["count"]) for v in e["scenes"]]) for e in doc["numbers"]]
        found = len(doc["numbers"])
    seconds = time.perf_counter() - t
    peak = _high_water_kb()
    return {"seconds": round(seconds, 2), "peak_mb": round(peak / 1024), "before_mb": round(base / 1024),
            "numbers": found, "answer": answer}


def _high_water_kb() -> int:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(path: Path, engine: str, query: str = "common") -> dict:
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import towers; "
            f"print(json.dumps(towers.run_common({str(path)!r}, {engine!r}, {query!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_one(folder: Path, rows: int, distinct: int = 2_000) -> None:
    """Time ``cellsight scene`` on one CSV tower dump of ``rows`` rows from ``distinct`` subscribers.

    The numbers are the 2,000 of Ofcom's drama ranges. A real dump has more
    distinct subscribers, and each costs one phonenumbers normalisation (about
    300 microseconds; profiled: 157,300 distinct numbers took 100 s of a
    200,000-row import), so the import time grows with them.
    """
    from cellsight.importers.towerdump import add_scene

    rng = np.random.default_rng(9)
    pool = rng.integers(0, distinct, rows)
    seconds = np.sort(rng.integers(0, 7_200, rows))
    csv = folder / "dump.csv"
    stamps = np.datetime_as_string(np.datetime64("2023-05-02T10:00:00") + seconds.astype("timedelta64[s]"))
    # Ofcom's drama ranges only (2,000 numbers): no generated number can be a real one.
    numbers = np.where(pool < 1000, np.char.add("07700 900", np.char.zfill((pool % 1000).astype(str), 3)),
                       np.char.add("01632 960", np.char.zfill((pool % 1000).astype(str), 3)))
    lines = np.char.add(np.char.add(numbers, ","), stamps)
    csv.write_text("msisdn,event_time,cell_id\n" + "\n".join(np.char.add(lines, ",234-30-100-1")) + "\n")
    case = Case.new()
    path = folder / "import.cellsight"
    save_case(case, path)
    base = _high_water_kb()
    t = time.perf_counter()
    _, reports, failures = add_scene(case, path, [csv], "Import", tz="UTC")
    seconds = time.perf_counter() - t
    peak = _high_water_kb()
    print(f"import of one CSV tower dump: {rows:,} rows, {distinct:,} subscribers ({csv.stat().st_size / 1e6:.0f} MB) "
          f"in {seconds:.1f} s, "
          f"peak RSS {peak / 1024:.0f} MB (was {base / 1024:.0f} MB); failures {failures}", flush=True)
    print(f"  SHA-256 of the file alone: {_timed(lambda: file_sha256(csv)):.2f} s")


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows per scene (default 5,000,000)")
    parser.add_argument("--spark", action="store_true", help="also run on a local Spark and compare")
    parser.add_argument("--cotravel", action="store_true", help="also time co-travel of the planted number")
    parser.add_argument("--import-rows", type=int, default=0, help="also time importing one CSV of this many rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = build(folder, args.rows)
        duck = measure(path, "duckdb")
        print(f"DuckDB: common numbers (k=3) over 4 x {args.rows:,} rows: {duck['seconds']} s, "
              f"peak RSS {duck['peak_mb']} MB (after opening the case {duck['before_mb']} MB); "
              f"{duck['numbers']} numbers", flush=True)
        planted = dict(duck["answer"])
        assert [s for s, _ in planted[PLANTED_4]] == ["Scene 1", "Scene 2", "Scene 3", "Scene 4"], planted
        assert [s for s, _ in planted[PLANTED_3]] == ["Scene 1", "Scene 2", "Scene 3"], planted
        print(f"  planted: {PLANTED_4} at 4 scenes, {PLANTED_3} at 3 scenes: found")
        if args.cotravel:
            co = measure(path, "duckdb", "cotravel")
            print(f"DuckDB: co-travel of {PLANTED_4} ({co['numbers']} located hours) against the other "
                  f"4 x {args.rows:,} rows: {co['seconds']} s, peak RSS {co['peak_mb']} MB; "
                  f"{len(co['answer'])} numbers ranked", flush=True)
        if args.spark:
            spark = measure(path, "spark")
            print(f"Spark (local[2]): {spark['seconds']} s, peak RSS of the Python driver {spark['peak_mb']} MB "
                  f"(the JVM's memory is not in it); {spark['numbers']} numbers", flush=True)
            print(f"  same answer as DuckDB: {spark['answer'] == duck['answer']}")
        if args.import_rows:  # in a fresh process, so that its peak memory is its own
            code = (f"import sys; from pathlib import Path; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                    f"import towers; towers.import_one(Path({str(folder)!r}), {args.import_rows})")
            subprocess.run([sys.executable, "-c", code], check=True,
                           env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
