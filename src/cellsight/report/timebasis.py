"""What each exhibit's times rest on, and what the clock checks found, in the report's words.

A court expects the basis of each source's times to be stated: the zone they
were read in and why (offsets in the values, a statement in the file, the
officer's choice, a correction after a check, or an assumption), and whether
the clocks of exhibits that record the same communications agree. The full
report's exhibits section and the SFR1-style statement both print it, also
when every check agrees ("3,790 records matched at 0 s"): a reader must see
that the check was made, not infer it from silence.
"""

from __future__ import annotations

from typing import Any

from cellsight.analysis import timechecks
from cellsight.importers.timebasis import source_basis
from cellsight.report.storyboard import Frame

NO_CHECK = ("No two exhibits record the same communications, and no network events could be set "
            "against location fixes, so no exhibit's clock could be checked against another's.")


def _timed(case: Any) -> list[Any]:
    """The sources whose rows carry times (a cell list has none)."""
    return [s for s in case.sources if s.tz_rule]


def basis_rows(case: Any) -> list[list[str]]:
    """One row per timed exhibit: the exhibit, and the zone of its times with what it rests on."""
    rows = []
    for s in _timed(case):
        rows.append([s.exhibit or s.file, source_basis(s)])
    return rows


def check_lines(case: Any) -> list[str]:
    """Every clock check as a sentence (flagged ones first), or why there is none."""
    return timechecks.describe(case) or [NO_CHECK]


def exhibit_frames(case: Any) -> list[Frame]:
    """The exhibits section's frames: the time basis of each exhibit and the clock checks."""
    rows = basis_rows(case)
    if not rows:
        return []
    return [Frame("table", caption="Time basis of each exhibit",
                  content={"columns": ["Exhibit", "Times read as"], "rows": rows, "widths": [1, 5]}),
            Frame("text", caption="Clocks checked against each other",
                  content={"text": "\n\n".join(check_lines(case) + [METHOD])})]


METHOD = ("Method: records of the same sender, recipient and kind in two exhibits are matched one to one "
          "within two hours of each other, at the offsets on which many records concentrate; runs of "
          "matched records at one offset form periods, each with its median offset. Network events are "
          "also set against the same person's location fixes with every whole or half-hour shift. The "
          "check reports; it changes no time (see the method statement).")


def statement_paragraph(case: Any) -> str:
    """The statement's words: per exhibit, the basis of its times and what its clock was checked against
    ("Times in DR/1 are UTC, as chosen by ...; checked against AC/2: 3,790 records matched at 0 s")."""
    timed = _timed(case)
    if not timed:
        return ""
    checks = timechecks.stored(case)
    sentences = []
    for s in timed:
        mine = [c for c in checks if c["source_id"] == s.id]
        said = [_short(c, case.info.tz) for c in mine if c["verdict"] == "consistent"]
        text = f"Times in {s.exhibit or s.file} are {source_basis(s)}"
        text += f"; checked against {'; '.join(said)}" if said else ""
        sentences.append(text + ".")
        sentences += [timechecks.sentence(c, case.info.tz) for c in mine if c["verdict"] != "consistent"]
    if not checks:
        sentences.append(NO_CHECK)
    return " ".join(sentences)


def _short(check: dict[str, Any], zone: str) -> str:
    """``AC/2: 3,790 records matched at 0 s``, for a check that found the clocks agree."""
    what = "records" if check.get("method", "records") == "records" else "network events against fixes"
    return f"{check['other']}: {check['matched']:,} {what} matched at {float(check['offset_s']):g} s"
