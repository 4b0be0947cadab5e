"""Build the demo case file from ``sample_data/demo/``, through the same import path an officer uses.

Nothing here is special to the demo: the case is created, the two people are
named with their roles, numbers and handsets, the victim's home is set as a place
with a radius, and each exhibit goes through ``cellsight.importers.api.import_file``
with format detection, exactly as a drag-and-drop or ``cellsight import`` would.
The people, the place and the list of files come from ``demo/answers.json``, which
``make_demo.py`` wrote, so the story is defined in one place.

Usage::

    python sample_data/build_demo_case.py            # writes sample_data/demo.cellsight
    python sample_data/build_demo_case.py OUT.cellsight
    python sample_data/build_demo_case.py --open     # build if missing, then open the workstation
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from cellsight.core.case import Case
from cellsight.core.casefile import save_case
from cellsight.importers.api import import_file
from cellsight.progress import NullProgress, Progress

HERE = Path(__file__).resolve().parent
DEMO_DIR = HERE / "demo"
DEFAULT_CASE = HERE / "demo.cellsight"


def load_answers(demo_dir: Path = DEMO_DIR) -> dict[str, Any]:
    """The planted answers, which also name the case's people, place and files."""
    return json.loads((demo_dir / "answers.json").read_text(encoding="utf-8"))


def build(case_path: Path | None = DEFAULT_CASE, demo_dir: Path = DEMO_DIR,
          progress: Progress | None = None) -> tuple[Case, list[dict[str, Any]]]:
    """Create the demo case, import every exhibit, and save it to ``case_path`` (unless None).

    Returns the case and the per-file import reports (the contract's ``import --json``
    objects), in import order.
    """
    answers = load_answers(demo_dir)
    info = answers["case"]
    case = Case.new(name=info["name"], reference=info["reference"], officer=info["officer"],
                    tz=info["tz"], region=info["region"])
    for s in answers["subjects"]:
        case.set_subject(s["name"], role=s["role"], numbers=s["numbers"], imeis=s["imeis"])
    for p in answers["places"]:
        case.set_place(p["name"], p["lat"], p["lon"], p["radius_m"], p["note"])
        if p.get("bssids"):
            case.add_bssids(p["name"], p["bssids"])  # her router's networks
    progress = progress or NullProgress()
    reports = []
    officer = re.sub(r"\(.*?\)", "", info["officer"]).split()  # "DC Alex Morgan (fictional)"
    initials = "".join(word[0] for word in officer[-2:]).upper()  # AM: exhibits AM/1, AM/2, ...
    for number, f in enumerate(answers["files"], 1):
        try:
            reports.append(import_file(case, demo_dir / f["file"], subject=f["subject"], tz=f["tz"],
                                       progress=progress, exhibit=f"{initials}/{number}"))
        finally:
            getattr(progress, "close", lambda: None)()  # a terminal bar ends with its file
    if case_path is not None:
        save_case(case, case_path)
    return case, reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", nargs="?", default=str(DEFAULT_CASE), help="where to write the case file")
    parser.add_argument("--open", action="store_true", help="open the workstation on the case")
    parser.add_argument("--force", action="store_true", help="rebuild even if the case file exists")
    args = parser.parse_args(argv)
    path = Path(args.case)
    if args.force or not args.open or not path.exists():
        from cellsight.progress import TerminalProgress

        _, reports = build(path, progress=TerminalProgress())
        for r in reports:
            print(f"{r['file']}: {r['format']}, {r['rows']} rows, {r['imported']} imported, "
                  f"{r['rejected']} rejected", file=sys.stderr)
        print(f"wrote {path}", file=sys.stderr)
    if args.open:
        from cellsight.cli import main as cellsight

        return cellsight(["gui", str(path)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
