"""Benchmark: save and open a case of 1 million events, against plain pyarrow.parquet.

The floor is reading the same tables as plain Parquet files with
``pyarrow.parquet.read_table(...).to_pandas()`` in the same run; the target is
opening the case within 1.5x of it. Opening checks every member's SHA-256
against the manifest: the cost of that check is timed on its own (hashing the
same member bytes) and printed as a share of the open. A lazy open that reads
one table (as ``cellsight proximity`` does) is timed too. Also times
normalising 2 million number cells holding 10 thousand distinct numbers.
Prints figures; asserts nothing.

    .venv/bin/python bench/casefile.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cellsight.core import schema
from cellsight.core.case import Case, Source, utc_stamp
from cellsight.core.casefile import open_case, save_case
from cellsight.core.phone import normalise, normalise_series


def synthetic_events(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(
        np.sort(rng.integers(0, 90 * 86400, n)), unit="s")
    others = np.array([f"+447700900{i:03d}" for i in range(1000)])
    cells = np.array([f"234-30-{10000 + i // 10}-{20000 + i}" for i in range(3000)])
    frame = pd.DataFrame({
        "start": start,
        "duration_s": rng.integers(0, 1800, n).astype(float),
        "kind": rng.choice(["call", "sms", "data"], n),
        "direction": rng.choice(["outgoing", "incoming"], n),
        "party_a": "+447700900001",
        "party_b": rng.choice(others, n),
        "party_a_raw": "07700 900001",
        "party_b_raw": rng.choice(others, n),
        "party_a_flag": "possible",
        "party_b_flag": "possible",
        "cell_first": rng.choice(cells, n),
        "cell_last": rng.choice(cells, n),
        "imei": "356938035643809",
        "status": rng.choice(["answered", "missed"], n),
        "deleted": False,
        "subject": "Dan",
        "source_id": "S1",
        "source_row": (np.arange(n) + 2).astype(str),
    })
    return schema.conform(frame, "events")


def timed(fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.events
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, pandas {pd.__version__}, pyarrow {pa.__version__}")
    events = synthetic_events(n)
    case = Case.new(name="bench")
    source = Source(id="S1", file="bench.csv", path="/bench.csv", sha256="0" * 64, size=0,
                    format="cdr", subject="Dan", declared_tz="UTC", tz_rule="option", parameters={},
                    rows=n, imported=n, rejected=0, kinds={}, skipped=[], warnings=[],
                    imported_at=utc_stamp(), version="bench")
    case.add_source(source, {"events": events})

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.cellsight"
        save_s, _ = timed(save_case, case, path)
        open_runs = [timed(open_case, path)[0] for _ in range(3)]
        with zipfile.ZipFile(path) as zf:
            members = [zf.read(name) for name in zf.namelist() if name != "manifest.json"]

        def hash_members() -> None:
            for data in members:
                hashlib.sha256(data).hexdigest()

        hash_runs = [timed(hash_members)[0] for _ in range(3)]
        lazy_runs = [timed(lambda: len(open_case(path, lazy=True).events))[0] for _ in range(3)]
        few_runs = [timed(lambda: len(open_case(path, lazy=True).locations))[0] for _ in range(3)]
        raw_dir = Path(tmp) / "raw"
        raw_dir.mkdir()
        for name, table in case.tables.items():
            pq.write_table(pa.Table.from_pandas(table, preserve_index=False), raw_dir / f"{name}.parquet",
                           compression="zstd")

        def raw_read() -> None:
            for name in case.tables:
                pq.read_table(raw_dir / f"{name}.parquet").to_pandas()

        raw_runs = [timed(raw_read)[0] for _ in range(3)]
        size_mb = path.stat().st_size / 1e6
    open_s, raw_s, hash_s = min(open_runs), min(raw_runs), min(hash_runs)
    print(f"events: {n:,}; case file {size_mb:.1f} MB")
    print(f"save: {save_s:.2f} s")
    print(f"open, every member's SHA-256 checked: {open_s:.3f} s (best of 3)")
    print(f"  of which SHA-256 of the members ({sum(map(len, members)) / 1e6:.1f} MB): {hash_s:.3f} s "
          f"= {hash_s / open_s:.1%} of the open; without it the open would be {open_s - hash_s:.3f} s")
    print(f"lazy open, events only: {min(lazy_runs):.3f} s; lazy open, locations only (empty here): "
          f"{min(few_runs):.3f} s (best of 3)")
    print(f"plain pyarrow.parquet read of the same tables: {raw_s:.3f} s (best of 3)")
    print(f"ratio open / floor: {open_s / raw_s:.2f}x (target <= 1.5x)")

    numbers = np.array([f"07700 900{i % 1000:03d}" if i < 1000 else f"+44 1632 96{i:04d}"
                        for i in range(10_000)])
    cells = pd.Series(np.random.default_rng(2).choice(numbers, 2_000_000))
    normalise.cache_clear()
    norm_s, _ = timed(normalise_series, cells, "GB")
    print(f"normalise 2,000,000 number cells (10,000 distinct, cold cache): {norm_s:.2f} s")


if __name__ == "__main__":
    main()
