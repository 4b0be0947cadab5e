"""Benchmark: import a 1,000,000-row call-record CSV, against pyarrow's bare CSV parse.

Makes a CDR in a temporary folder (Ofcom drama numbers, a few hundred realistic
CGIs, separate date and time columns, MOC/MTC/SMS codes, hh:mm:ss durations),
then times in the same run:

- the floor: ``pyarrow.csv.read_csv`` of the same file (parsing alone);
- the whole ``import_file`` into a new Case (hashing, encoding and header
  discovery, times with the DST rule, numbers to E.164, cell keys, events
  conformed to the schema, the source record, the unlinked-cell check).

Each is run five times, interleaved so that both see the same machine load,
and the best of each is compared (a shared machine's other work only ever
slows a run down).

The same records are then written with every field in double quotes, as many
operators and database exports write them, and measured the same way: a
quoted file cannot take the shortcuts of a plain one (its lines must be
counted, and its values looked at for wrapping).

Prints seconds, the import's CPU time (all its threads: the file's digest and
the columns hashed on a second core are in it), the ratio (target: within 4x
of the floor, issue 24) and that of the CPU times (least of each: less moved by
the machine's other work than seconds), the machine's load average while it ran (other work
on a shared machine slows the import and pyarrow's multi-threaded parse
differently: a busy machine flatters the ratio) and the peak memory of the
process (ru_maxrss; the file is made in a child process).
The process declines huge pages first, as ``cellsight``'s own does (``cellsight.hugepages``).
Run: ``.venv/bin/python bench/import_cdr.py [ROWS]``.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv

from cellsight.core.case import Case
from cellsight.hugepages import decline_huge_pages
from cellsight.importers.api import import_file

ROUNDS = 5
CODES = np.array(["MOC", "MTC", "SMS-MO", "SMS-MT", "GPRS", "callForwarding"])
CODE_WEIGHTS = np.array([0.3, 0.3, 0.15, 0.15, 0.08, 0.02])


def make_cdr(path: Path, rows: int, seed: int = 1, quoting: int = csv.QUOTE_MINIMAL) -> None:
    """Write a realistic UK-layout CDR of ``rows`` data lines (vectorised; takes seconds);
    ``quoting=csv.QUOTE_ALL`` puts every header and value in double quotes."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    seconds = np.sort(rng.integers(0, 365 * 86400, rows))
    when = start + pd.to_timedelta(seconds, unit="s")
    target = "07700 900123"
    others = np.array([f"0{7700900000 + i}" if i % 3 else f"44{7700900000 + i}" for i in range(1000)]
                      + [f"0{1632960000 + i}" for i in range(200)])
    other = others[rng.integers(0, len(others), rows)]
    code = CODES[rng.choice(len(CODES), rows, p=CODE_WEIGHTS)]
    outgoing = np.isin(code, ["MOC", "SMS-MO", "callForwarding"])
    a = np.where(outgoing, target, other)
    b = np.where(outgoing, other, target)
    cells = np.array([f"234-30-{10400 + i // 6}-{23000 + i}" for i in range(600)])
    first = cells[rng.integers(0, len(cells), rows)]
    last = np.where(rng.random(rows) < 0.7, first, cells[rng.integers(0, len(cells), rows)])
    dur = np.where(np.isin(code, ["MOC", "MTC", "callForwarding"]), rng.integers(0, 3600, rows), 0)
    duration = pd.Series(dur).map(lambda s: f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}")
    frame = pd.DataFrame({
        "Date": when.strftime("%d/%m/%Y"), "Time": when.strftime("%H:%M:%S"),
        "Calling Number": a, "Called Number": b, "Call Type": code, "Duration": duration,
        "First Cell CGI": first, "Last Cell CGI": last,
        "IMEI": np.full(rows, "356938035643809"),
    })
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("Call Data Records,,,,,,,,\nTarget: 07700 900123,,,,,,,,\n")
        frame.to_csv(fh, index=False, quoting=quoting)


def _timed_read(path: Path) -> tuple[float, float]:
    """Seconds and CPU seconds (all threads) of pyarrow's parse of ``path``."""
    t0, c0 = time.perf_counter(), time.process_time()
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=2))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert table.num_rows > 0
    return elapsed, cpu


def main() -> None:
    if sys.argv[1:2] == ["--make"]:
        path, rows = Path(sys.argv[2]), int(sys.argv[3])
        make_cdr(path, rows)
        make_cdr(quoted_copy(path), rows, quoting=csv.QUOTE_ALL)
        return
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    decline_huge_pages()  # as the command line's process does (floor and import alike)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cdr.csv"
        t0 = time.perf_counter()
        # Made in a child process, so that the peak memory below is the imports' own.
        subprocess.run([sys.executable, __file__, "--make", str(path), str(rows)], check=True)
        print(f"made {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB; quoted "
              f"{quoted_copy(path).stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        for label, file in (("plain", path), ("every field quoted", quoted_copy(path))):
            print(f"-- {label}")
            measure(file)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"load average:         {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (1, 5, 15 min)")
        print(f"peak memory (RSS):    {peak_mb:,.0f} MB  (whole process: file bytes, pyarrow table, "
              "case tables)")


def quoted_copy(path: Path) -> Path:
    return path.with_name(path.stem + "-quoted.csv")


def measure(path: Path) -> None:
    """Interleaved rounds of the floor and the import of ``path``; prints the best of each."""
    floors, floor_cpus, imports, cpus = [], [], [], []
    for _ in range(ROUNDS):  # interleaved, so both see the same machine load
        elapsed, cpu = _timed_read(path)
        floors.append(elapsed)
        floor_cpus.append(cpu)
        case = Case.new(name="bench")
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_file(case, path, subject="Target", assume_case_tz=True)
        imports.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        del case
    floor, whole = min(floors), min(imports)
    print(f"pyarrow.csv.read_csv: {floor:.2f} s  (best of {ROUNDS}: {', '.join(f'{t:.2f}' for t in floors)})")
    print(f"import_file:          {whole:.2f} s  (best of {ROUNDS}: {', '.join(f'{t:.2f}' for t in imports)})")
    print(f"  its CPU time:       {min(cpus):.2f} s  (all threads; {', '.join(f'{t:.2f}' for t in cpus)})")
    print(f"                      {report['imported']:,} imported, "
          f"{report['rejected']} rejected, kinds {report['kinds']}")
    print(f"ratio:                {whole / floor:.2f}x  (target within 4x); CPU {min(cpus) / min(floor_cpus):.2f}x "
          f"(pyarrow's parse: {min(floor_cpus):.2f} s of CPU)")


if __name__ == "__main__":
    main()
