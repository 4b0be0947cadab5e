"""The demo case ("Operation Larkspur"), built from the exhibits installed with Cellsight.

The six exhibits and ``answers.json`` are package data
(``cellsight/resources/demo/``, written by ``sample_data/make_demo.py``), so an
installed copy can build the demo as a clone can. Nothing here is special to the
demo: the case is created, the two people are named with their roles, numbers
and handsets, the victim's home is set as a place with a radius, and each
exhibit goes through ``cellsight.importers.api.import_file`` with format
detection and its zone stated, exactly as a drag-and-drop or ``cellsight
import`` would. The people, the place and the list of files come from
``answers.json``, so the story is defined in one place.

``make_demo`` (``cellsight demo DIR`` and the workstation's "Open the demo
case") first copies the exhibits and the answers into DIR and imports those copies: the case's
sources then name files the officer can open, and ``cellsight verify`` finds
them beside the case file, whatever happens to the installed package later.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from cellsight.core.case import Case
from cellsight.core.casefile import save_case
from cellsight.core.device_records import also_held
from cellsight.importers.api import import_file
from cellsight.packagedata import resource
from cellsight.progress import NullProgress, Progress

DEMO_FILES = resource("demo")
CASE_NAME = "demo.cellsight"


class DemoExists(FileExistsError):
    """The folder already holds a demo case or one of its exhibits (replace only when asked)."""


def load_answers(demo_dir: Path = DEMO_FILES) -> dict[str, Any]:
    """The planted answers, which also name the case's people, place and files."""
    return json.loads((demo_dir / "answers.json").read_text(encoding="utf-8"))


def build(case_path: Path | None, demo_dir: Path = DEMO_FILES,
          progress: Progress | None = None) -> tuple[Case, list[dict[str, Any]]]:
    """Create the demo case, import every exhibit in ``demo_dir``, and save it to ``case_path`` (unless None).

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
            reports.append(import_file(case, Path(demo_dir) / f["file"], subject=f["subject"], tz=f["tz"],
                                       progress=progress, exhibit=f"{initials}/{number}"))
        finally:
            getattr(progress, "close", lambda: None)()  # a terminal bar ends with its file
    if case_path is not None:
        save_case(case, case_path)
    return case, reports


def make_demo(folder: Path, progress: Progress | None = None,
              force: bool = False) -> tuple[Path, list[dict[str, Any]]]:
    """Copy the exhibits (and ``answers.json``, the answers to check) into ``folder`` and build
    ``folder/demo.cellsight`` from the copies.

    Refuses (``DemoExists``) when the case file or an exhibit of the same name is
    already there, unless ``force``: an officer's file is never overwritten unasked.
    Returns the case file's path and the import reports.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder}: not a folder")
    names = ["answers.json", *(f["file"] for f in load_answers()["files"])]
    case_path = folder / CASE_NAME
    present = [p for p in [case_path, *(folder / n for n in names)] if p.exists()]
    if present and not force:
        raise DemoExists(f"{present[0]}: already exists (use --force to replace the demo case and its files)")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(DEMO_FILES / name, folder / name)
    _, reports = build(case_path, folder, progress)
    return case_path, reports


def describe(reports: list[dict[str, Any]]) -> str:
    """One line per imported exhibit: its format and how its rows were accounted for."""
    return "\n".join(f"{r['file']}: {r['format']}, {r['rows']} rows, {r['imported']} imported, "
                     f"{r['rejected']} rejected{also_held(r.get('device_records'))}" for r in reports)
