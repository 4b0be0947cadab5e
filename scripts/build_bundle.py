"""Build the desktop bundle: one self-contained folder that runs Cellsight with no Python installed.

For officers whose machines cannot have Python: PyInstaller collects the
interpreter, Cellsight, every library it uses (Qt with QtWebEngine, pandas,
reportlab, ...) and the package data (Leaflet, icons, style sheet, fonts, the
demo's exhibits) into ``OUT/cellsight/``. The bundle is made for the system it
is built on: build on Windows for Windows (see docs/developer-guide.md, "The
desktop bundle"). The bundle's ``cellsight`` program is the same command line
(no arguments: the workstation); ``cellsight selfcheck`` checks a copy after it
is installed.

    python scripts/build_bundle.py                # dist/bundle/cellsight/
    python scripts/build_bundle.py --out DIR      # DIR/cellsight/

Needs PyInstaller (``pip install -e ".[bundle]"``). Takes some minutes and about
a gigabyte of disk while it works.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = "cellsight"
# Not needed at run time: the test tools, big optional libraries that one of the dependencies
# may import when present (the scenes' Spark engine is not bundled), and Qt's QML modules, whose
# hooks would bring every QML plugin (Qt 3D, Charts, ...: hundreds of megabytes) that a widgets
# program with QtWebEngine never loads (the libraries QtWebEngine links to are still collected).
EXCLUDE = ("pytest", "hypothesis", "_pytest", "pytestqt", "tkinter", "pyspark", "IPython", "matplotlib",
           "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets")


def pyinstaller_args(out: Path, work: Path) -> list[str]:
    """PyInstaller's options: one folder, Cellsight's modules, data and metadata all included."""
    package = REPO / "src" / "cellsight"
    args = [str(package / "__main__.py"), "--name", NAME, "--onedir", "--noconfirm",
            "--clean", "--distpath", str(out), "--workpath", str(work / "build"), "--specpath", str(work),
            "--paths", str(REPO / "src"),
            # Every module (importers are found by name, panes imported when shown), this checkout's
            # package data (not that of whichever Cellsight the build environment can import), and
            # the metadata that --version and the PDF read (from `pip install -e .` of this checkout).
            "--collect-submodules", "cellsight", "--copy-metadata", NAME,
            "--add-data", f"{package / 'resources'}:cellsight/resources",
            "--add-data", f"{package / 'importers' / 'templates'}:cellsight/importers/templates",
            # the scene queries' engine registers itself through entry points
            "--collect-submodules", "ibis.backends.duckdb", "--copy-metadata", "ibis-framework"]
    for module in EXCLUDE:
        args += ["--exclude-module", module]
    return args


def build(out: Path) -> Path:
    """Build the bundle into ``out/cellsight/`` and return the program's path."""
    import PyInstaller.__main__

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cellsight-bundle-") as work:
        PyInstaller.__main__.run(pyinstaller_args(out, Path(work)))
    program = out / NAME / (f"{NAME}.exe" if os.name == "nt" else NAME)
    if not program.is_file():
        raise SystemExit(f"{program}: PyInstaller did not produce the program")
    return program


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "dist" / "bundle"), help="where the bundle folder goes")
    args = parser.parse_args(argv)
    program = build(Path(args.out).resolve())
    print(f"built {program.parent} ({sum(f.stat().st_size for f in program.parent.rglob('*') if f.is_file()) / 1e6:.0f} MB); "
          f"check it with: {program} selfcheck", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
