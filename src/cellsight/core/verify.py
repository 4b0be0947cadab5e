"""Continuity checks: are the exhibits still the files that were imported, and is the case whole?

A source is looked for at its recorded absolute path, then under the same file
name beside the case file (a case and its exhibits copied to another machine
together). A damaged case file raises CaseFileError (exit 2); a changed or
missing source is reported (exit 1).
"""

from __future__ import annotations

from typing import Any

from cellsight.core.casefile import CaseFileError, file_sha256, open_case, verify_members
from cellsight.core.exhibit_paths import source_candidates
from cellsight.core.scenestore import unknown_files, verify_scenes


def verify_case(case_path: str, password: str | None = None) -> dict[str, Any]:
    """Check the case file's members, then re-hash every source it records and every scene file."""
    problems = verify_members(case_path, password)
    if problems:
        raise CaseFileError(f"{case_path}: damaged case file ({'; '.join(problems)})")
    case = open_case(case_path, password, lazy=True)  # the members were just checked; only sources are needed
    results = []
    for source in case.sources:
        found = next((p for p in source_candidates(source, case_path) if p.is_file()), None)
        if found is None:
            status, where = "missing", ""
        else:
            status = "ok" if file_sha256(found) == source.sha256 else "changed"
            where = str(found)
        results.append({"id": source.id, "file": source.file, "sha256": source.sha256,
                        "status": status, "path": where})
    scene_files = verify_scenes(case, case_path)  # each tower dump's rows, kept beside the case
    ok = all(r["status"] == "ok" for r in results + scene_files)
    # Files the case does not know (orphans of a killed ``scene`` run) are listed, not failed: the
    # evidence is whole, but they may hold third parties' rows and should not be there.
    return {"case_file": "ok", "ok": ok, "sources": results, "scene_files": scene_files,
            "unknown_scene_files": unknown_files(case, case_path)}
