"""Benchmark: importing big location histories, against a bare parse of the same file.

Writes (in a temporary folder, or --dir) a Google ``Records.json`` of 1,000,000
points and a UFDR (``report.xml`` in a zip) holding 200,000 ``Location`` models,
then for each measures, in a fresh child process so that peak memory is its own:

- the importer (``takeout.read`` / ``ufdr.read``): seconds and peak RSS growth;
- the baseline in the same run: a bare ``json.load`` of the same file, and a bare
  ``xml.etree.ElementTree.iterparse`` of the same zip member, clearing elements;

and prints the ratios importer / baseline. Run: ``.venv/bin/python bench/import_locations.py``
(``--records N --locations N`` to change the sizes).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

NS = "http://pa.cellebrite.com/report/2.0"


def write_records(path: Path, n: int) -> None:
    rng = random.Random(1)
    start = 1_672_531_200  # 2023-01-01
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n  "locations": [')
        for i in range(n):
            t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + i * 30))
            source = rng.choice(("GPS", "WIFI", "CELL", "UNKNOWN"))
            out.write(("," if i else "") + json.dumps({
                "latitudeE7": 534808000 + rng.randint(-500000, 500000),
                "longitudeE7": -22426000 + rng.randint(-500000, 500000),
                "accuracy": rng.randint(3, 2000), "source": source,
                "deviceTag": 1184882232, "platformType": "ANDROID",
                "timestamp": f"{t}.{rng.randint(0, 999):03d}Z"}, indent=None))
        out.write("]\n}\n")


def _field(name: str, value: str, kind: str = "String") -> str:
    return (f'<field name="{name}" type="{kind}"><value type="{kind}"><![CDATA[{value}]]></value>'
            f'</field>')


def write_ufdr(path: Path, n: int) -> None:
    rng = random.Random(2)
    start = 1_672_531_200
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("report.xml", "w", force_zip64=True) as raw:
            def put(text: str) -> None:
                raw.write(text.encode("utf-8"))

            put(f'<?xml version="1.0" encoding="utf-8"?>\n<project id="{uuid.uuid4()}" '
                f'name="Bench" xmlns="{NS}"><metadata section="Device Info">'
                '<item name="IMEI"><![CDATA[356938035643809]]></item>'
                '<item name="MSISDN"><![CDATA[447700900001]]></item></metadata>'
                '<decodedData><modelType type="Location">')
            for i in range(n):
                t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + i * 60))
                lat = 53.4808 + rng.uniform(-0.05, 0.05)
                lon = -2.2426 + rng.uniform(-0.05, 0.05)
                put(f'<model type="Location" id="{uuid.UUID(int=rng.getrandbits(128))}" '
                    f'deleted_state="Intact" decoding_confidence="High" isrelated="False" '
                    f'source_index="{i}" extractionId="0">'
                    + _field("Source", "Google Maps")
                    + '<modelField name="Position" type="Coordinate">'
                    f'<model type="Coordinate" id="{uuid.UUID(int=rng.getrandbits(128))}" '
                    'deleted_state="Unknown" decoding_confidence="High">'
                    + _field("Longitude", f"{lon:.6f}", "Double") + _field("Latitude", f"{lat:.6f}", "Double")
                    + '<field name="Elevation" type="Double"><empty /></field></model></modelField>'
                    + f'<field name="TimeStamp" type="TimeStamp"><value type="TimeStamp" '
                      f'format="TimeStampKnown" formattedTimestamp="{t}+00:00">{t}.000+00:00</value>'
                      '</field>'
                    + _field("Type", rng.choice(("GPS", "Wifi", "Cell")))
                    + _field("Precision", str(rng.randint(3, 500)))
                    + _field("Category", "Device Locations") + '</model>')
            put("</modelType></decodedData></project>")


# ----- measurements (each in its own process) -------------------------------------------
def measure(kind: str, path: Path) -> dict:
    # the libraries load before the clock and the memory baseline start, for both sides
    from cellsight.importers import takeout, ufdr
    from cellsight.importers.base import ImportOptions
    from cellsight.progress import NullProgress

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if kind == "json_load":
        with open(path, "rb") as handle:
            doc = json.load(handle)
        count = len(doc["locations"])
    elif kind == "xml_iterparse":
        import xml.etree.ElementTree as ET

        with zipfile.ZipFile(path) as archive, archive.open("report.xml") as stream:
            count = 0
            for _event, element in ET.iterparse(stream, events=("end",)):
                count += element.tag.endswith("}model") and element.get("type") == "Location"
                element.clear()
    else:
        module = takeout if kind == "takeout" else ufdr
        result = module.read(path, ImportOptions(case_tz="UTC", tz="UTC"), NullProgress())
        count = len(result.locations)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
    return {"kind": kind, "seconds": seconds, "peak_mb": peak / 1024, "count": count}


def in_child(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", kind, str(path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--locations", type=int, default=200_000)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        records, report = Path(folder) / "Records.json", Path(folder) / "phone.ufdr"
        t0 = time.perf_counter()
        write_records(records, args.records)
        write_ufdr(report, args.locations)
        with zipfile.ZipFile(report) as archive:
            member = archive.getinfo("report.xml")
        print(f"wrote Records.json ({records.stat().st_size / 1e6:.0f} MB, {args.records:,} points) and "
              f"phone.ufdr ({report.stat().st_size / 1e6:.1f} MB zip, report.xml "
              f"{member.file_size / 1e6:.0f} MB, {args.locations:,} locations) in "
              f"{time.perf_counter() - t0:.0f} s")
        for label, importer, baseline, path in (
                ("Records.json", "takeout", "json_load", records),
                ("UFDR", "ufdr", "xml_iterparse", report)):
            ours, bare = in_child(importer, path), in_child(baseline, path)
            assert ours["count"] == bare["count"], (ours, bare)
            print(f"{label:>12}: import {ours['seconds']:6.1f} s, peak +{ours['peak_mb']:6.0f} MB | "
                  f"bare {baseline} {bare['seconds']:6.1f} s, peak +{bare['peak_mb']:6.0f} MB | "
                  f"ratio time {ours['seconds'] / bare['seconds']:.2f}, "
                  f"memory {ours['peak_mb'] / max(bare['peak_mb'], 1):.2f} "
                  f"({ours['count']:,} fixes)")


if __name__ == "__main__":
    main()
