"""Import messages read right in the workstation and at the command line, and say what was assumed."""

from __future__ import annotations

import pytest

from cellsight.core.case import Case
from cellsight.importers import cdr
from cellsight.importers.api import import_file
from cellsight.importers.base import ImportFailure

UNKNOWN_HEADINGS = ("Col1,Col2,Col3,Col4\n"
                    "04/03/2024 08:01:00,07700900202,07700900101,x\n"
                    "05/03/2024 09:15:00,07700900101,07700900202,y\n"
                    "06/03/2024 09:15:00,07700900101,07700900303,z\n")


def test_a_table_read_by_its_values_warns_that_type_and_direction_were_assumed(tmp_path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(UNKNOWN_HEADINGS)
    case = Case.new(name="t")
    report = import_file(case, path, subject="Zed", assume_case_tz=True)
    assert report["format"] == "cdr"
    warnings = report["warnings"]
    typed = [w for w in warnings if w.startswith(cdr.NO_EVENT_TYPE)]
    directed = [w for w in warnings if w.startswith(cdr.NO_DIRECTION)]
    assert len(typed) == 1 and "'other'" in typed[0] and "(--template)" in typed[0]
    assert len(directed) == 1 and "3 of 3 rows" in directed[0]
    assert set(case.events["kind"].astype(str)) == {"other"}


def test_a_file_with_an_event_column_and_own_number_gives_no_such_warning(tmp_path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("Date,Time,Calling Number,Called Number,Call Type\n"
                    "04/03/2024,08:01:00,07700900202,07700900101,MOC\n"
                    "05/03/2024,09:01:00,07700900101,07700900202,MTC\n")
    case = Case.new(name="t")
    case.set_subject("Bob", numbers=["07700900202"])
    report = import_file(case, path, subject="Bob", assume_case_tz=True)
    assert not [w for w in report["warnings"] if w.startswith((cdr.NO_EVENT_TYPE, cdr.NO_DIRECTION))]


def test_messages_put_the_officer_first_and_the_flag_in_brackets(tmp_path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(UNKNOWN_HEADINGS)
    report = import_file(Case.new(name="t"), path, subject="Zed", assume_case_tz=True)
    zone = [w for w in report["warnings"] if "time zone" in w]
    assert zone and zone[0].endswith("state the time zone (--tz)") and "use --" not in zone[0]
    odd = tmp_path / "notes.txt"
    odd.write_text("nothing\nlike\nrecords\n")
    with pytest.raises(ImportFailure) as failure:
        import_file(Case.new(name="t"), odd, assume_case_tz=True)
    assert "use --" not in str(failure.value) and "(--" in str(failure.value)
