"""Benchmark of the analyses at the scale of a real stalking case, with DuckDB as the yardstick.

    .venv/bin/python bench/analyses.py [--fixes 1000000] [--events 1000000] [--contacts 5000000]

1. GPS proximity between two tracks of ``--fixes`` fixes each, over a year: most
   of the time the two phones are apart and report every ~30 s; for ~55 hours
   in ten episodes they are together and report every second (the dense case).
   The same question is put to DuckDB (time-window join plus haversine filter,
   minimum distance per fix of A) on the same in-memory data in the same run;
   the answers are checked to agree and the ratio is printed. The whole
   ``cellsight proximity CASE --a Sam --b Vic --json`` command (start-up, case
   file, analysis, JSON out) is timed in a subprocess on the saved case, best of
   ``--runs``, against DuckDB's query alone.
2. Cell proximity between two call records of ``--events`` events each, with a
   list of 3,000 cells.
3. Contacts (between the pair, and the suspect's ranked contacts) on a case of
   ``--contacts`` events from four sources.

Prints seconds. Not run by the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cellsight import __version__
from cellsight.analysis import contacts, proximity
from cellsight.analysis.proximity import Points, nearest_within
from cellsight.core import geo
from cellsight.core.case import Case, Source, utc_stamp
from cellsight.core.casefile import save_case

YEAR_S = 365 * 24 * 3600
T0 = pd.Timestamp("2023-01-01", tz="UTC").value // 1000  # µs
SAM, VIC = "+447700900001", "+447700900002"


def _source(case: Case, subject: str, table: str, frame: pd.DataFrame) -> None:
    sid = case.next_source_id()
    frame = frame.assign(source_id=sid, source_row=np.arange(1, len(frame) + 1).astype(str))
    if table != "cells":
        frame["subject"] = subject
    n = len(frame)
    source = Source(id=sid, file=f"{sid}.bench", path="", sha256=hashlib.sha256(sid.encode()).hexdigest(),
                    size=0, format="bench", subject=subject, declared_tz="UTC", tz_rule="bench",
                    parameters={}, rows=n, imported=n, rejected=0, kinds={}, skipped=[], warnings=[],
                    imported_at=utc_stamp(), version=__version__)
    case.add_source(source, {table: frame})


def _walk(rng: np.random.Generator, n: int, step_m: float, lat0: float = 51.5, lon0: float = -0.12,
          extent_m: float = 15_000) -> tuple[np.ndarray, np.ndarray]:
    """A random walk reflected inside a square around London."""
    xy = np.cumsum(rng.normal(0, step_m, size=(n, 2)), axis=0)
    xy = np.abs((xy + extent_m) % (4 * extent_m) - 2 * extent_m) - extent_m
    return geo.from_local_xy(xy[:, 0], xy[:, 1], lat0, lon0)


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    return T0 + np.sort(rng.integers(0, YEAR_S * 1_000_000, n))


def gps_tracks(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    dense_n = n // 5
    sparse_n = n - dense_n
    episodes = 10
    per = dense_n // episodes
    starts = T0 + np.sort(rng.choice(np.arange(1, 360), episodes, replace=False)) * 86_400_000_000
    dense_t = np.concatenate([s + np.arange(per) * 1_000_000 for s in starts])
    lat_d, lon_d = _walk(rng, len(dense_t), 1.2)
    frames = []
    for shift, jitter in ((0, 5.0), (500_000, 8.0)):
        t = np.concatenate([_times(rng, sparse_n), dense_t + shift])
        lat_s, lon_s = _walk(rng, sparse_n, 60.0)
        jx, jy = rng.normal(0, jitter, len(dense_t)), rng.normal(0, jitter, len(dense_t))
        lat_j, lon_j = geo.from_local_xy(jx, jy, 0.0, 0.0)
        lat = np.concatenate([lat_s, lat_d + lat_j])
        lon = np.concatenate([lon_s, lon_d + lon_j / np.cos(np.radians(51.5))])
        order = np.argsort(t, kind="stable")
        frames.append(pd.DataFrame({"t": t[order], "lat": lat[order], "lon": lon[order]}))
    return frames[0], frames[1]


def whole_command(case: Case, runs: int) -> tuple[float, float, float]:
    """Seconds of ``cellsight proximity --json`` in a fresh process (best of ``runs``), of start-up
    alone, and the CPU seconds (user and system) of the best run."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.cellsight"
        save_case(case, path)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        command = [sys.executable, "-m", "cellsight", "proximity", str(path), "--a", "Sam", "--b", "Vic", "--json"]

        def once(argv: list[str]) -> tuple[float, float]:
            t, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return time.perf_counter() - t, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

        whole, cpu = min(once(command) for _ in range(runs))
        start_up = min(once([sys.executable, "-c", "import cellsight.cli"])[0] for _ in range(runs))
    return whole, start_up, cpu


def bench_gps(n: int, rng: np.random.Generator, runs: int) -> None:
    import duckdb

    a, b = gps_tracks(n, rng)
    window_us, distance = 5 * 60_000_000, 200.0
    case = Case.new(name="bench")
    case.set_subject("Sam", "suspect", [SAM])
    case.set_subject("Vic", "victim", [VIC])
    for subject, frame in (("Sam", a), ("Vic", b)):
        times = pd.Series(frame["t"].to_numpy().view("datetime64[us]")).dt.tz_localize("UTC")
        _source(case, subject, "locations", pd.DataFrame({"time": times, "lat": frame["lat"],
                                                          "lon": frame["lon"], "origin": "gps"}))
    t = time.perf_counter()
    pa = Points(np.arange(len(a)), a["t"].to_numpy(), a["lat"].to_numpy(), a["lon"].to_numpy())
    pb = Points(np.arange(len(b)), b["t"].to_numpy(), b["lat"].to_numpy(), b["lon"].to_numpy())
    ours = nearest_within(pa, pb, distance, window_us)
    engine_s = time.perf_counter() - t
    t = time.perf_counter()
    result = proximity.run(case, "Sam", "Vic", method="gps")
    run_s = time.perf_counter() - t

    con = duckdb.connect()
    con.register("a", a.assign(i=np.arange(len(a))))
    con.register("b", b)
    sql = f"""
        SELECT i, min(d) AS d FROM (
          SELECT a.i, 2 * {geo.EARTH_RADIUS_M} * asin(sqrt(least(1.0,
                 pow(sin(radians(b.lat - a.lat) / 2), 2)
                 + cos(radians(a.lat)) * cos(radians(b.lat)) * pow(sin(radians(b.lon - a.lon) / 2), 2)))) AS d
          FROM a JOIN b ON b.t BETWEEN a.t - {window_us} AND a.t + {window_us}
        ) WHERE d <= {distance} GROUP BY i ORDER BY i"""
    t, cpu = time.perf_counter(), time.process_time()
    theirs = con.execute(sql).df()
    duck_s, duck_cpu = time.perf_counter() - t, time.process_time() - cpu
    same_hits = np.array_equal(theirs["i"].to_numpy(), np.sort(ours["a"].to_numpy()))
    ours_sorted = ours.sort_values("a")
    worst = None
    if same_hits and len(ours):
        worst = float(np.max(np.abs(theirs["d"].to_numpy() - ours_sorted["distance_m"].to_numpy())))
    print(f"GPS proximity, {len(a):,} × {len(b):,} fixes (20% at 1 Hz together, 80% apart every ~40 s):")
    print(f"  hits {len(ours):,}, occasions {len(result.occasions):,}; DuckDB agrees on hits: {same_hits}, "
          f"largest distance difference {worst if worst is None else f'{worst:.2e}'} m")
    print(f"  Cellsight engine {engine_s:.2f} s; proximity.run end to end {run_s:.2f} s")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    print(f"  DuckDB {duck_s:.2f} s ({threads} threads)")
    print(f"  ratio DuckDB / Cellsight engine = {duck_s / engine_s:.2f}× ; "
          f"DuckDB / end-to-end run = {duck_s / run_s:.2f}×")
    whole_s, start_s, whole_cpu = whole_command(case, runs)
    print(f"  whole command `cellsight proximity --json` in a subprocess: {whole_s:.2f} s, CPU {whole_cpu:.2f} s "
          f"(best of {runs}; start-up {start_s:.2f} s); DuckDB query CPU {duck_cpu:.2f} s")
    print(f"  ratio whole command / DuckDB query = {whole_s / duck_s:.2f}x wall, {whole_cpu / duck_cpu:.2f}x CPU "
          f"(target <= 1); load {os.getloadavg()[0]:.2f}")


def bench_cells(n: int, rng: np.random.Generator) -> None:
    n_cells = 3000
    site_lat, site_lon = _walk(rng, n_cells, 400.0)
    keys = [f"234-30-{1000 + i // 3}-{i}" for i in range(n_cells)]
    case = Case.new(name="bench")
    case.set_subject("Sam", "suspect", [SAM])
    case.set_subject("Vic", "victim", [VIC])
    _source(case, "", "cells", pd.DataFrame({"key": keys, "lat": site_lat, "lon": site_lon,
                                             "technology": "LTE"}))
    for subject, own, other in (("Sam", SAM, VIC), ("Vic", VIC, SAM)):
        t = _times(rng, n)
        first = rng.integers(0, n_cells, n)
        last = np.where(rng.random(n) < 0.3, rng.integers(0, n_cells, n), first)
        frame = pd.DataFrame({
            "start": pd.Series(t.view("datetime64[us]")).dt.tz_localize("UTC"),
            "kind": rng.choice(["call", "sms", "data"], n), "direction": "outgoing",
            "party_a": own, "party_b": other,
            "cell_first": np.array(keys, dtype=object)[first],
            "cell_last": np.array(keys, dtype=object)[last]})
        _source(case, subject, "events", frame)
    t = time.perf_counter()
    result = proximity.run(case, "Sam", "Vic", method="cell")
    took = time.perf_counter() - t
    print(f"Cell proximity, {n:,} × {n:,} events, {n_cells:,} cells: {took:.2f} s "
          f"({len(result.hits):,} hits, {len(result.occasions):,} occasions)")


def bench_contacts(n: int, rng: np.random.Generator) -> None:
    others = np.array([f"+4477009{i:05d}"[:13] for i in range(3, 900)] +
                      [f"+4416329{60000 + i}"[:13] for i in range(0, 999)], dtype=object)
    case = Case.new(name="bench")
    case.set_subject("Sam", "suspect", [SAM])
    case.set_subject("Vic", "victim", [VIC])
    quarter = n // 4
    pair_t = _times(rng, quarter // 5)
    pair_kind = rng.choice(["call", "sms"], len(pair_t))
    for subject, own, other in (("Sam", SAM, VIC), ("Vic", VIC, SAM), ("Sam", SAM, VIC), ("Vic", VIC, SAM)):
        background = quarter - len(pair_t)
        jitter = rng.integers(-3_000_000, 3_000_000, len(pair_t))  # each record's clock differs a little
        t = np.concatenate([pair_t + jitter, _times(rng, background)])
        parties = np.concatenate([np.full(len(pair_t), other, dtype=object), rng.choice(others, background)])
        outgoing = rng.random(quarter) < 0.5
        frame = pd.DataFrame({
            "start": pd.Series(t.view("datetime64[us]")).dt.tz_localize("UTC"),
            "kind": np.concatenate([pair_kind, rng.choice(["call", "sms"], background)]),
            "direction": np.where(outgoing, "outgoing", "incoming"),
            "party_a": np.where(outgoing, own, parties), "party_b": np.where(outgoing, parties, own),
            "duration_s": rng.integers(0, 300, quarter).astype(float)})
        _source(case, subject, "events", frame)
    t = time.perf_counter()
    doc = contacts.between(case, "Sam", "Vic")
    between_s = time.perf_counter() - t
    t = time.perf_counter()
    ranked = contacts.for_subject(case, "Sam")
    subject_s = time.perf_counter() - t
    print(f"Contacts on {len(case.events):,} events (4 sources): between Sam and Vic {between_s:.2f} s "
          f"({doc['total']:,} communications from {4 * len(pair_t):,} sightings); "
          f"Sam's ranked contacts {subject_s:.2f} s (top {ranked['contacts'][0]['total']:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=5_000_000)
    parser.add_argument("--only", choices=("gps", "cell", "contacts"))
    parser.add_argument("--runs", type=int, default=3, help="runs of the whole command (best is kept)")
    args = parser.parse_args()
    rng = np.random.default_rng(20230318)
    if args.only in (None, "gps"):
        bench_gps(args.fixes, rng, args.runs)
    if args.only in (None, "cell"):
        bench_cells(args.events, rng)
    if args.only in (None, "contacts"):
        bench_contacts(args.contacts, rng)


if __name__ == "__main__":
    main()
