"""A file of several phone numbers' records: the workstation asks how to import it (issue 12)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from cellsight.gui.dialogs.import_summary import account, plain_words
from cellsight.gui.dialogs.import_targets import TargetChoice, TargetsDialog
from cellsight.gui.dialogs.subject import ChooseSubjectDialog, SubjectAnswer
from cellsight.gui.import_flow import ImportFlow

SAM, CAROL = "447700900151", "447700900454"


def _two_numbers(tmp_path: Path, hour: int = 10) -> Path:
    path = tmp_path / "imei_request.csv"
    path.write_text("\n".join([
        "MSISDN,Other Party,Date Time,Direction,Service,Cell",
        f"{SAM},447700900303,2025-06-01 {hour}:00:00,OUT,Voice,234-30-1-101",
        f"{SAM},447700900202,2025-06-01 10:10:00,IN,SMS,234-30-1-101",
        f"{CAROL},447700900303,2025-06-02 09:00:00,IN,Voice,234-30-1-102",
        f"{CAROL},447700900303,2025-06-02 09:30:00,OUT,SMS,234-30-1-102",
        f"{CAROL},447700900202,2025-06-02 09:45:00,OUT,SMS,234-30-1-102",
    ]) + "\n")
    return path


def _run(window, qtbot, monkeypatch, tmp_path, answer, hour=10, subject="Bob"):
    asked = []
    monkeypatch.setattr(ChooseSubjectDialog, "ask",
                        classmethod(lambda cls, *a: SubjectAnswer(subject, assume_case_tz=True)))
    monkeypatch.setattr(ImportFlow, "ask_targets",
                        lambda self, path, targets: asked.append(targets) or answer)
    window.import_files([str(_two_numbers(tmp_path, hour))])
    qtbot.waitUntil(lambda: bool(window.last_import), timeout=20_000)
    return asked


def test_split_imports_each_number_as_its_own_records(window, qtbot, tmp_path, monkeypatch) -> None:
    sources = len(window.case.sources)
    asked = _run(window, qtbot, monkeypatch, tmp_path, TargetChoice(split=True))
    assert asked == [[{"number": "+447700900454", "rows": 3}, {"number": "+447700900151", "rows": 2}]]
    outcome = window.last_import[0]
    assert outcome.ok, outcome.error
    added = window.case.sources[sources:]
    assert [s.parameters["file_target"] for s in added] == ["+447700900454", "+447700900151"]
    assert "Bob" not in {s.subject for s in added}  # each number to its own person, not the one asked
    text = window.import_summary.details.toPlainText()
    assert "+447700900454: 3 records" in text and "Columns not read" not in text
    window.import_summary.close()


def test_one_number_or_cancel(window, qtbot, tmp_path, monkeypatch) -> None:
    sources = len(window.case.sources)
    _run(window, qtbot, monkeypatch, tmp_path, TargetChoice(target="+447700900151"), subject="Sam Ward")
    assert window.last_import[0].ok
    added = window.case.sources[sources:]
    assert len(added) == 1 and added[0].subject == "Sam Ward" and added[0].imported == 2
    assert "Only the records of +447700900151" in window.import_summary.details.toPlainText()
    window.import_summary.close()
    window.last_import = []
    other = tmp_path / "again"
    other.mkdir()
    _run(window, qtbot, monkeypatch, other, None, hour=11)  # another file; "Do not import"
    outcome = window.last_import[0]
    assert not outcome.ok and len(window.case.sources) == sources + 1
    assert outcome.cancelled and "2 phone numbers" in outcome.error
    window.import_summary.close()


def test_one_number_is_never_put_on_a_subject_of_other_numbers(window, qtbot, tmp_path, monkeypatch) -> None:
    bob = window.case.set_subject("Bob", numbers=["07700 900999"])
    sources = len(window.case.sources)
    _run(window, qtbot, monkeypatch, tmp_path, TargetChoice(target="+447700900151"))
    outcome = window.last_import[0]
    assert not outcome.ok and "is not one of subject 'Bob'" in outcome.error
    assert len(window.case.sources) == sources and "+447700900151" not in bob.numbers
    window.import_summary.close()


def test_the_dialog_lists_numbers_with_their_records_and_people(qtbot, tmp_path) -> None:
    targets = [{"number": "+447700900454", "rows": 3}, {"number": "+447700900151", "rows": 1234}]
    dialog = TargetsDialog(None, tmp_path / "f.csv", targets, {"+447700900151": "Sam"})
    qtbot.addWidget(dialog)
    rows = [[dialog.table.topLevelItem(i).text(c) for c in range(3)] for i in range(2)]
    assert rows == [["+447700900454", "3", "(new person)"], ["+447700900151", "1,234", "Sam"]]
    assert dialog.choice() == TargetChoice(split=True)
    second = dialog.table.topLevelItem(1)
    dialog.table.setCurrentItem(second)
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=dialog.table.visualItemRect(second).center())
    assert dialog.one.isChecked() and dialog.choice() == TargetChoice(target="+447700900151")


def test_the_account_is_in_plain_words() -> None:
    class Outcome:
        ok, error, warnings = True, "", ["no column gives the event type; map the columns (--template)"]
        path = Path("x.csv")
        report = {"rows": 2, "imported": 2, "rejected": 0,
                  "unused_columns": [{"column": "Cost", "reason": "a charge"}]}

    refusal = ("f.csv: holds the records of 2 subscribers; import them one source per target "
               "(--split-by-target) or one of them (--target NUMBER)")
    assert "--" not in plain_words(refusal) and "one source per target" in plain_words(refusal)
    text = account(Outcome())
    assert "--" not in text and "map the columns" in text and "Cost: a charge" in text
