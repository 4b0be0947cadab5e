"""The files that belong to a case file besides itself, and what replacing a case does with them.

A case file ``NAME.cellsight`` does not live alone. Beside it may be:

- ``NAME.scenes/``: the rows of its tower dumps (``scenestore``), thousands of
  third parties' numbers in plain Parquet;
- ``.NAME.cellsight.recovery``: the workstation's copy of unsaved work
  (``gui.autosave``), which the workstation offers to restore over the case;
- ``.NAME.cellsight.holder``: who holds the case's lock (``caselock``), stale
  when a workstation was killed.

``cellsight new CASE --force`` makes a new, empty case under the old name. Left
in place, these would belong to the new case: the old case's third parties'
rows in plain text beside a new encrypted case, and an offer to "restore" the
old case's work over the new one. So replacing a case removes them and names
each; and ``--force`` replaces only a Cellsight case file (``check_replaceable``):
an exhibit, a report or any other file is refused, never emptied into a case.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cellsight.core.casefile import CaseFileError, is_case_file


def recovery_path(case_path: str | os.PathLike[str]) -> Path:
    """Where the workstation keeps the recovery copy of the saved case at ``case_path``."""
    path = Path(case_path)
    return path.with_name(f".{path.name}.recovery")


def check_replaceable(case_path: str | os.PathLike[str]) -> None:
    """Refuse (CaseFileError, exit 2) to replace anything at ``case_path`` but a Cellsight case file."""
    path = Path(case_path)
    if path.is_dir():
        raise CaseFileError(f"{path}: is a folder; name the case file to create")
    if not is_case_file(path):
        raise CaseFileError(f"{path}: exists and is not a Cellsight case file; --force replaces only a case "
                            "(an exhibit or any other file is never replaced): choose another name")


def remove_companions(case_path: str | os.PathLike[str]) -> list[str]:
    """Remove the scenes folder and the recovery copy of the case at ``case_path``; one line for each.

    The holder file is the lock's (``caselock``): the caller holds the lock, so
    the file there is its own, removed when it releases the lock.
    """
    from cellsight.core.scenestore import scene_folder

    removed = []
    folder = scene_folder(case_path)
    if folder.is_symlink():
        folder.unlink()
        removed.append(f"{folder} (a link to the old case's scenes folder)")
    elif folder.is_dir():
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        removed.append(f"{folder} (the old case's scene rows, {count} file{'s' if count != 1 else ''})")
    recovery = recovery_path(Path(case_path).absolute())
    if os.path.lexists(recovery):
        recovery.unlink()
        removed.append(f"{recovery} (the workstation's recovery copy of the old case)")
    return removed
