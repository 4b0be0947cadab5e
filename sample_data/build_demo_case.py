"""Build the demo case file from the packaged exhibits, through the same import path an officer uses.

The exhibits live in the package (``src/cellsight/resources/demo/``, written by
``make_demo.py``) so that an installed copy has them too; the building itself is
``cellsight.demo.build``, which ``cellsight demo DIR`` and the workstation's
"Open the demo case" use as well. This script is the developer's shortcut: it
writes the case into the checkout (``sample_data/demo.cellsight``, ignored by
git) and imports the packaged files where they are.

Usage::

    python sample_data/build_demo_case.py            # writes sample_data/demo.cellsight
    python sample_data/build_demo_case.py OUT.cellsight
    python sample_data/build_demo_case.py --open     # build if missing, then open the workstation
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cellsight.demo import build, describe

DEFAULT_CASE = Path(__file__).resolve().parent / "demo.cellsight"


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
        print(describe(reports), file=sys.stderr)
        print(f"wrote {path}", file=sys.stderr)
    if args.open:
        from cellsight.cli import main as cellsight

        return cellsight(["gui", str(path)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
