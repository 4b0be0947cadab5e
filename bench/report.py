"""Benchmark: the evidential PDF for a storyboard with 150 proximity occasions and 30 maps.

An invented case (the report tests' one, 150 days long: one occasion a day,
3,000 calls and texts) reported for its suspect–victim pair: the written
summary, the occasion table, 30 maps of five occasions, the appendix of every
hit and a schedule of all 3,000 communications. Target: under 15 s.
Prints the seconds to build (wall clock, and CPU time of this process, which
is what to compare on a machine shared with other work), the pages, and how
the time splits between the maps (rendered alone in the same run, as a
baseline) and everything else.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from cellsight.report import build, mapdata, staticmap  # noqa: E402
from cellsight.report.pdf import MAP_SIZE_PX  # noqa: E402
from cellsight.report.storyboard import Frame, Storyboard  # noqa: E402
from tests.core.report_fixtures import make_case  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    case = make_case(days=150, fixes_per_day=24, calls=3000)
    Storyboard([Frame("text", caption="Summary", content={"text": "Benchmark storyboard."})]).save(case)
    made = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "bench.pdf"
        t1, c1 = time.perf_counter(), time.process_time()
        summary = build.write_report(case, out, a="Sam Suspect", b="Vicky Victim", produced="2024-09-01T09:00")
        total, cpu = time.perf_counter() - t1, time.process_time() - c1
        size = out.stat().st_size
    # Baseline in the same run: one static map of the same kind, rendered alone.
    data = mapdata.gather(case, ["Sam Suspect", "Vicky Victim"],
                          intervals=[("2024-03-01T18:00Z", "2024-03-06T20:00Z")])
    t2 = time.process_time()
    staticmap.render_map(data, *MAP_SIZE_PX)
    one_map = time.process_time() - t2
    print(f"case: {len(case.events)} events, {len(case.locations)} fixes (built in {made:.1f} s)")
    print(f"report: {summary['pages']} pages, {summary['occasions']} occasions, {summary['maps']} maps, "
          f"{size / 1e6:.1f} MB")
    print(f"seconds: {total:.2f} wall clock, {cpu:.2f} CPU (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores); one map alone {one_map:.2f} s CPU, so maps about "
          f"{summary['maps'] * one_map:.1f} s ({summary['maps'] * one_map / cpu:.0%}) of the CPU time")
    print(f"target under 15 s: {'met' if cpu < 15 else 'NOT met'} (CPU time)")


if __name__ == "__main__":
    main()
