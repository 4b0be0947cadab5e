"""The speed work on tower dumps (issue 24) must not change a single answer.

The digests below were produced by the code of the commit the work started from
(0db1135) on generated dumps of 5,000 rows, read in batches of 700 rows (so
that numbers met again in later batches and the 1,000-row probe are both
exercised): numbers in every written form operators and people use, and junk
(blanks, dashes, withheld, names, short codes, other countries, a trunk "(0)",
annotations, WhatsApp accounts, stray letters, odd spaces, unreadable times and
rows with no identity), and on the benchmark's own kind of dump
(``bench/scene_import.py``, 20,000 rows in batches of 4,000). Each digest covers every column of the stored scene
rows, in order, and the import report's answers (counts, rejections with their
reasons, skipped rows, warnings, first and last time, subscribers, cells). A
change that alters any of them fails here; a deliberate change of answers must
come with new digests and a reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import factories
from cellsight.core.scenestore import parquet_path
from cellsight.importers import towerdump
from cellsight.importers.towerdump import add_scene

GOLDEN = {
    "msisdn": {"rows": "cd576c8cad2ae3aaf0a0dc9987112b2db5503cae43e9e6dfe0b1eb90df8387d7",
               "report": "4498c720912ef67407af2bfde8a8b3b8164701c0b299737327ec6b3124e018c2"},
    "parties": {"rows": "8d8d4b1aafecb542b1d894864ee06a332b653141de8c312eac3dbffb4832e350",
                "report": "ea96053b91e76975ef3421ce900ee896fd79e4d9c351dc9d438b7ad321c3b1ab"},
}
GOLDEN_BENCH = {"rows": "cc6fa41a46ab065922e42eb6ce91c1fdf8543762a397d4d2c2f234547bff1a92",
                "report": "1972e748589012d6ceaa5ebebae921636dea9d4ee4a73e7fb082d9158752cd62"}
BENCH = Path(__file__).resolve().parents[2] / "bench" / "scene_import.py"
LAYOUTS = {"msisdn": "msisdn,imei,event_time,cell_id,other_party,call_type",
           "parties": "Calling Number,IMEI,event_time,cell_id,Called Number,call_type"}

# National significant numbers: never-allocated 04/06 ranges, the drama ranges, and numbers whose
# answers differ (mobile, London, freephone, premium, Jersey, Guernsey, the Isle of Man, a 180020
# prefix, too short, too long).
_STARTS = ["4", "6", "7700900", "1632960", "7911", "20794", "800", "9098", "7797", "1481", "7624",
           "180020", "56", "3", "1"]
_FORMS = ["+44 {0}", "+44{0}", "0044 {0}", "0044-{1}-{2}", "44{0}", "0{0}", "0{1} {2}", "0{1}-{2}",
          "(0{1}) {2}", " 0{0} ", "\u00a00{1}\u00a0{2}", "\t0{0}", "+44 (0){1} {2}", "0{0} (D)",
          "44{0}@s.whatsapp.net", "0{1}.{2}", "0{1}/{2}", "+440{0}", "(+44) {1} {2}", "00440{0}"]
_JUNK = ["", "-", "--", "   ", "withheld", "Private", "VODAFONE", "999", "123", "12345", "+33 6 12 34 56 78",
         "+1 415 555 0123", "0033 6 12 34 56 78", "+44", "0", "00", "4477009001234567890", "0770O900123",
         "447700900", "+44 7700 900 12", "07700 900123 ext 4", "1-800-FLOWERS", "-1", "++447700900123"]


def _number(rng: np.random.Generator) -> str:
    if rng.random() < 0.08:
        return _JUNK[int(rng.integers(0, len(_JUNK)))]
    start = _STARTS[int(rng.integers(0, len(_STARTS)))]
    national = start + "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(7, 12)) - len(start)))
    form = _FORMS[int(rng.integers(0, len(_FORMS)))]
    return form.format(national, national[:4], national[4:])


def _dump(path: Path, layout: str, rows: int = 5_000, seed: int = 2024) -> Path:
    rng = np.random.default_rng(seed)
    known = [_number(rng) for _ in range(900)]  # subscribers seen again and again, in later batches too
    lines = ["Tower dump, all times UTC", LAYOUTS[layout]]
    for i in range(rows):
        number = known[int(rng.integers(0, len(known)))] if rng.random() < 0.6 else _number(rng)
        other = _number(rng)
        imei = "" if rng.random() < 0.3 else f"35{int(rng.integers(0, 10**13)):013d}"
        stamp = f"2023-05-02 {10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}" if i % 211 != 9 else "soon"
        kind = ["MOC", "MTC", "SMS-MO", "SMS-MT", "GPRS", ""][int(rng.integers(0, 6))]
        cell = f"234-30-{100 + i % 3}-{i % 5}"
        cells = [number, imei, stamp, cell, other, kind]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _digests(tmp_path: Path, dump: Path) -> dict[str, str]:
    case = factories.new_case()
    case_path = factories.save(case, tmp_path)
    scene, reports, failures = add_scene(case, case_path, [dump], "Mast", tz="UTC")
    assert failures == []
    rows = pq.read_table(parquet_path(case_path, scene.files[0]))
    text = json.dumps([(f.name, str(f.type)) for f in rows.schema]) + rows.to_pandas().to_csv(index=False)
    report = {k: v for k, v in reports[0].items() if k not in ("path", "sha256", "parquet", "parquet_sha256")}
    source = case.sources[-1]
    report["subscribers"] = source.parameters.get("subscribers")
    return {"rows": hashlib.sha256(text.encode()).hexdigest(),
            "report": hashlib.sha256(json.dumps(report, sort_keys=True, default=str).encode()).hexdigest()}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_dump_of_every_written_form_imports_as_before(tmp_path: Path, monkeypatch, layout: str) -> None:
    monkeypatch.setattr(towerdump, "BATCH_ROWS", 700)
    assert _digests(tmp_path, _dump(tmp_path / f"{layout}.csv", layout)) == GOLDEN[layout]


def test_the_benchmarks_dump_imports_as_before(tmp_path: Path, monkeypatch) -> None:
    if not BENCH.is_file():
        pytest.skip("bench/ is not in this copy")
    spec = importlib.util.spec_from_file_location("bench_scene_import", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.write_dump(tmp_path / "dump.csv", 20_000, 6_000)
    monkeypatch.setattr(towerdump, "BATCH_ROWS", 4_000)
    assert _digests(tmp_path, tmp_path / "dump.csv") == GOLDEN_BENCH
