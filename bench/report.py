"""Benchmark: the short storyboard and its exhibits against the one long report they replaced.

An invented case (the report tests' one, 150 days long: one occasion a day,
3,000 calls and texts), reported for its suspect–victim pair three ways in one
run, on the same machine under the same load:

- **before**: the report as it was written until the storyboard was split
  (commit ``BASELINE``: everything, the schedule of every communication and
  the appendix of every hit included, in one PDF), run from that commit's own
  source, exported with ``git archive`` into a temporary folder;
- **storyboard**: today's default storyboard alone (``--no-schedule
  --no-appendix``);
- **all three**: the storyboard with its schedule (PDF and XLSX) and evidence
  appendix, as ``cellsight report`` writes them by default.

Targets (issue 22): the storyboard at most a quarter of *before*, the three
documents together no more than *before*. Prints CPU seconds of each (what to
compare on a machine shared with other work), wall clock, pages, and the load.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASELINE = "86b2130"  # the last commit whose report held the schedule and the appendix inside it
CASE = "make_case(days=150, fixes_per_day=24, calls=3000)"
RUN = """
import json, sys, time
sys.path[:0] = [{root!r}, {root!r} + "/src", {root!r} + "/tests"]
from tests.core.report_fixtures import make_case
from cellsight.report import build
case = {case}
t, c = time.perf_counter(), time.process_time()
summary = build.write_report(case, {out!r}, a="Sam Suspect", b="Vicky Victim", produced="2024-09-01T09:00"{extra})
print(json.dumps({{"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "pages": summary["pages"],
                  "schedule": (summary.get("schedule") or {{}}).get("pages"),
                  "appendix": (summary.get("appendix") or {{}}).get("pages")}}))
"""


def run(root: Path, out: Path, extra: str = "") -> dict:
    """One report written by the code under ``root`` in a process of its own; its timings and pages."""
    script = RUN.format(root=str(root), case=CASE, out=str(out), extra=extra)
    env = {**os.environ, "PYTHONPATH": f"{root}/src{os.pathsep}{root}"}
    done = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_tree(folder: Path) -> Path:
    """The source and tests of ``BASELINE``, exported into ``folder``."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BASELINE, "src", "tests", "resources"],
                             check=True, capture_output=True).stdout
    root = folder / "baseline"
    root.mkdir()
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        before = run(baseline_tree(folder), folder / "before.pdf")
        short = run(REPO, folder / "short.pdf", ", schedule=False, appendix=False")
        three = run(REPO, folder / "three.pdf")
    load = os.getloadavg()[0]
    print(f"case: {CASE} (load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"before ({BASELINE}): {before['pages']} pages, {before['cpu']:.1f} s CPU, {before['wall']:.1f} s wall")
    print(f"storyboard alone: {short['pages']} pages, {short['cpu']:.1f} s CPU, {short['wall']:.1f} s wall: "
          f"{short['cpu'] / before['cpu']:.0%} of before (target at most 25%)")
    print(f"all three: storyboard {three['pages']} + schedule {three['schedule']} + appendix {three['appendix']} "
          f"pages, {three['cpu']:.1f} s CPU, {three['wall']:.1f} s wall: {three['cpu'] / before['cpu']:.0%} of before "
          f"(target at most 100%)")


if __name__ == "__main__":
    main()
