"""A timed fuzz run of every importer: the tests' mutators, driven by a seeded random generator.

Prints how many inputs were tried, imported and refused, and the failures;
each failing input is written to tests/data/fuzz/ as ``<n>-<seed>--<file name>``
so that the test suite replays it for ever once it is fixed.

    .venv/bin/python bench/fuzz.py --minutes 10 [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.core.fuzz_mutations import check_import, flip_bytes, mutate  # noqa: E402
from tests.core.fuzz_seeds import SEEDS, seed  # noqa: E402

RANDOM_NAMES = ["x.csv", "x.xlsx", "x.ufdr", "report.xml", "x.json", "x.gpx", "x.kml", "x.kmz", "x"]


class RandomPicker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, options: list) -> object:
        return self.rng.choice(options)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pick = RandomPicker(rng)
    seeds = {name: seed(name) for name in SEEDS}
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    stop = time.monotonic() + args.minutes * 60
    out_dir = REPO / "tests" / "data" / "fuzz"
    with tempfile.TemporaryDirectory() as tmp:
        while time.monotonic() < stop:
            strategy = rng.choice(["structure", "flip", "random"])
            if strategy == "random":
                origin, name = "random", rng.choice(RANDOM_NAMES)
                data = rng.randbytes(rng.randint(0, 4096))
            else:
                origin = rng.choice(sorted(seeds))
                name, raw = seeds[origin]
                data = mutate(raw, pick) if strategy == "structure" else flip_bytes(raw, pick)
            try:
                outcomes[check_import(Path(tmp), name, data)] += 1
            except Exception as exc:  # noqa: BLE001 - a finding, recorded and reported
                outcomes["failed"] += 1
                n = len(failures) + 1
                out_dir.mkdir(parents=True, exist_ok=True)
                kept = out_dir / f"{n}-{origin}--{name}"
                kept.write_bytes(data)
                failures.append(f"{kept.name}: {type(exc).__name__}: {str(exc)[:200]}")
                traceback.print_exc(limit=3, file=sys.stderr)
    tried = sum(outcomes.values())
    print(f"fuzzed for {args.minutes} min: {tried} inputs, {outcomes['imported']} imported, "
          f"{outcomes['refused']} refused, {outcomes['failed']} failed")
    for line in failures:
        print("  " + line)


if __name__ == "__main__":
    main()
