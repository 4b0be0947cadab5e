"""Paired benchmark: the call-record import of two checkouts, compared over fresh process pairs.

On a shared machine two identical processes can differ by some 50 ms an import
for their whole life (where their memory landed, huge pages or not), and the
machine itself speeds up and slows down over minutes. A change worth 10-30 ms
is then visible only in pairs: each pair of fresh processes (one per checkout)
takes turns importing the same file, in ABBA order, and the difference of their
medians is one sample; the mean over the pairs and its standard error decide. The
same is printed for their CPU time (all threads), which the machine's other work
moves less than seconds.

Run: ``.venv/bin/python bench/import_pairs.py OLD_SRC NEW_SRC [--pairs 10]
[--rounds 6] [--file CDR.csv]``, where each ``*_SRC`` is a checkout's ``src``
folder (``git worktree add /tmp/old <commit>`` gives one). Without ``--file``
a 1,000,000-row CDR is made as ``bench/import_cdr.py`` makes it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from import_cdr import make_cdr  # (this folder: the same file bench/import_cdr.py measures)

# One worker: imports the file each time it reads a line, and prints the seconds.
_WORKER = """
import gc, sys, time
from pathlib import Path
from cellsight.core.case import Case
from cellsight.importers.api import import_file
try:  # as the command line's process does, where the checkout has it
    from cellsight.hugepages import decline_huge_pages
    decline_huge_pages()
except ImportError:
    pass
for _ in sys.stdin:
    case = Case.new(name="pairs")
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    import_file(case, Path(sys.argv[1]), subject="Target", assume_case_tz=True)
    print(time.perf_counter() - start, time.process_time() - cpu, flush=True)
    del case
"""


def _worker(src: str, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _WORKER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})


def _import(worker: subprocess.Popen[str]) -> tuple[float, float]:
    """Seconds and CPU seconds (all the worker's threads) of one import."""
    worker.stdin.write("go\n")
    worker.stdin.flush()
    wall, cpu = worker.stdout.readline().split()
    return float(wall), float(cpu)


def compare(old: str, new: str, path: Path, pairs: int, rounds: int) -> tuple[list[float], list[float]]:
    """Per process pair, the median import of ``new`` less that of ``old``: in seconds, and in CPU
    seconds (less moved than seconds by when the machine's other work takes a core)."""
    differences, cpu_differences = [], []
    for pair in range(pairs):
        workers = {"old": _worker(old, path), "new": _worker(new, path)}
        for worker in workers.values():
            _import(worker)  # the first import of a process pays its start-up: not counted
        times: dict[str, list[float]] = {"old": [], "new": []}
        cpus: dict[str, list[float]] = {"old": [], "new": []}
        for turn in range(rounds):
            for name in ("old", "new") if turn % 2 == 0 else ("new", "old"):
                wall, cpu = _import(workers[name])
                times[name].append(wall)
                cpus[name].append(cpu)
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
        medians = {name: statistics.median(values) for name, values in times.items()}
        cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
        differences.append(medians["new"] - medians["old"])
        cpu_differences.append(cpu_medians["new"] - cpu_medians["old"])
        print(f"pair {pair + 1}: old {medians['old']:.3f} s ({cpu_medians['old']:.3f} s CPU), "
              f"new {medians['new']:.3f} s ({cpu_medians['new']:.3f} s CPU)", flush=True)
    return differences, cpu_differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.file
        if path is None:
            path = Path(folder) / "cdr.csv"
            make_cdr(path, 1_000_000)
        differences, cpu_differences = compare(args.old, args.new, path, args.pairs, args.rounds)
    what = "a 1,000,000-row import" if args.file is None else f"an import of {args.file.name}"
    for label, values in (("", differences), (" of CPU", cpu_differences)):
        mean = statistics.mean(values)
        error = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else float("nan")
        faster = sum(d < 0 for d in values)
        print(f"new - old: {mean * 1000:+.1f} ms{label} {what} (standard error {error * 1000:.1f} ms over "
              f"{len(values)} process pairs); new less in {faster} of {len(values)}")


if __name__ == "__main__":
    main()
