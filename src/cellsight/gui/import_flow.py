"""Importing files dropped on the window (or chosen with File > Import), one after another.

For each file: detect the format from its content; a table no importer
recognises opens the mapping dialog; ask whose records they are (or let the
file say, for a phone download with its own device details); then run
``importers.api.import_file`` in a worker with a progress dialog and Cancel.

The worker imports into a *clone* of the case (the same frames, copied lists),
and the main thread adopts the clone's tables, subjects and sources only when
the import succeeded: the case the panes are drawing is never changed from
another thread, and a cancelled or failed import leaves it exactly as it was.
A file holding several numbers' records (``MultipleTargets``) is not imported
as it is: the officer chooses to import each number as its own records, one
number only, or nothing (``dialogs.import_targets``), and the file is read again.
At the end a summary lists every file with its counts, warnings and browsable
rejections.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from cellsight.core.case import Case
from cellsight.core.hub import Change
from cellsight.importers import registry
from cellsight.importers.api import UNPLACED_ADVICE, MultipleTargets, unplaced_cells_warning
from cellsight.importers.base import ImportFailure
from cellsight.importers.cdr import NO_EVENT_TYPE
from cellsight.importers.templates import TemplateError, load_template
from cellsight.gui.workspace import Workspace
from cellsight.importers.timebasis import ZoneNotStated

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".xlsm")


@dataclass
class FileOutcome:
    """What happened to one file: its report, or why it was not imported."""

    path: Path
    report: dict[str, Any] | None = None
    error: str = ""
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report is not None


@dataclass
class ImportPlan:
    """The officer's answers for one file."""

    subject: str | None = None
    format: str | None = None
    template: str | None = None
    tz: str | None = None
    assume_case_tz: bool = False  # times stating no zone read in the case's zone, as an assumption
    exhibit: str = ""
    split_by_target: bool = False  # a file of several numbers' records: one source per number
    target: str | None = None  # ... or only this number's records


def clone_case(case: Case) -> Case:
    """A copy of ``case`` that an import may change without touching the original.

    Frames are shared (the case replaces them, never edits them in place);
    the lists and records the import may change are copied.
    """
    clone = copy.copy(case)
    clone.tables = dict(case.tables)
    clone.subjects = copy.deepcopy(case.subjects)
    clone.sources = list(case.sources)
    clone.places = list(case.places)
    clone.extras = dict(case.extras)
    return clone


def adopt(case: Case, clone: Case) -> None:
    """Make ``case`` hold what the import put into ``clone`` (main thread only)."""
    case.tables = clone.tables
    case.subjects = clone.subjects
    case.sources = clone.sources
    case.extras = clone.extras  # the clock checks, computed again with the new source
    case.dirty = True


def settle_cell_warnings(case: Case, outcomes: list[FileOutcome]) -> None:
    """Say, after the whole drop, which cells are still not placed.

    Call records imported before the cell list dropped with them were told "events
    name 4 cells that no cell list places yet"; once the list is in, that is no
    longer so. The warning is worked out again for each file, in the summary and
    in the source's record, and goes when every cell is placed.
    """
    sources = {s.id: s for s in case.sources}
    for outcome in outcomes:
        if not outcome.ok or not any(w.endswith(UNPLACED_ADVICE) for w in outcome.warnings):
            continue
        source_id = outcome.report["source_id"]
        now = unplaced_cells_warning(case, source_id)
        still = [now] if now else []
        outcome.warnings = [w for w in outcome.warnings if not w.endswith(UNPLACED_ADVICE)] + still
        source = sources.get(source_id)
        if source is not None:
            source.warnings = [w for w in source.warnings if not w.endswith(UNPLACED_ADVICE)] + still


def is_table(path: Path) -> bool:
    return path.suffix.lower() in TABLE_SUFFIXES


class ImportFlow(QObject):
    """Imports ``paths`` into the workspace's case, asking what it must, then shows a summary.

    ``window`` is the parent of its dialogs; ``finished`` carries every file's outcome.
    """

    finished = Signal(list)  # list[FileOutcome], in the order the files were taken

    def __init__(self, window: QWidget, ws: Workspace, paths: list[Path], template: Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.ws = ws
        self.queue = list(paths)
        self.template = template  # a saved template the officer chose for every file
        self.outcomes: list[FileOutcome] = []
        self._temp_templates: list[Path] = []

    def start(self) -> None:
        self._next()

    # ----- one file at a time ------------------------------------------------------------------------
    def _next(self) -> None:
        if not self.queue:
            self._finish()
            return
        path = self.queue.pop(0)
        try:
            plan = self._plan(path)
        except ImportFailure as exc:
            self.outcomes.append(FileOutcome(path, error=str(exc)))
            self._next()
            return
        if plan is None:
            self.outcomes.append(FileOutcome(path, error=f"{path.name}: not imported (you cancelled)",
                                             cancelled=True))
            self._next()
            return
        self._run(path, plan)

    def _plan(self, path: Path) -> ImportPlan | None:
        """Detect the format and ask for the subject (and a mapping, for an unknown table)."""
        from cellsight.gui.dialogs.exhibit import ExhibitDialog
        from cellsight.gui.dialogs.subject import ChooseSubjectDialog

        case = self.ws.case
        plan = ImportPlan()
        if self.template is not None:
            try:
                plan.format = load_template(self.template).format
            except TemplateError as exc:
                raise ImportFailure(f"{path.name}: not imported: {exc}") from None
            plan.template = str(self.template)
            importer = registry.get(plan.format)
        else:
            try:
                importer = registry.detect(path)
            except ImportFailure:
                if not is_table(path):
                    raise
                if not self._map(path, plan):
                    return None
                importer = registry.get(plan.format)
        personal = any(t in importer.produces for t in ("events", "locations", "contacts"))
        if personal:
            answer = ChooseSubjectDialog.ask(self.window, case, path, importer)
            if answer is None:
                return None
            plan.subject, plan.tz, plan.exhibit = answer.subject or None, answer.tz, answer.exhibit
            plan.assume_case_tz = answer.assume_case_tz
        else:  # a cell list and the like: nobody's records, but an exhibit all the same
            exhibit = ExhibitDialog.ask(self.window, path, importer)
            if exhibit is None:
                return None
            plan.exhibit = exhibit
        return plan

    def _map(self, path: Path, plan: ImportPlan) -> bool:
        """Ask the officer to map the columns; put the mapping in ``plan``. False if they cancelled."""
        from cellsight.gui.dialogs.import_mapping import MappingDialog

        mapping = MappingDialog.ask(self.window, self.ws.case, path)
        if mapping is None:
            return False
        template_path = Path(tempfile.mkstemp(prefix="cellsight-template-", suffix=".json")[1])
        mapping.save(template_path)
        self._temp_templates.append(template_path)
        plan.format, plan.template = mapping.format, str(template_path)
        return True

    def _should_map(self, path: Path, plan: ImportPlan, report: dict[str, Any]) -> bool | None:
        """After a call-record file was read by guesswork (no event-type column), offer the mapping.

        The import went into a clone, so nothing has changed yet: the officer can map the
        columns and read the file again, keep what was read, or import nothing. True: the
        mapping is in ``plan``; False: keep; None: import nothing.
        """
        warnings = [w for w in report.get("warnings", []) if w.startswith(NO_EVENT_TYPE)]
        if plan.template is not None or report.get("format") != "cdr" or not warnings:
            return False
        answer = self.ask_to_map(path, warnings[0])
        if answer == "map":
            return True if self._map(path, plan) else None
        return False if answer == "keep" else None

    def ask_to_map(self, path: Path, warning: str) -> str:
        """"map", "keep" or "cancel": what the officer wants done with a file read by guesswork."""
        from cellsight.gui.dialogs.import_summary import plain_words

        box = QMessageBox(QMessageBox.Icon.Question, "Import", f"{path.name}: {plain_words(warning)}.\n\n"
                          "Map the columns to say which holds the event type, or import it as it is?",
                          QMessageBox.StandardButton.NoButton, self.window)
        map_button = box.addButton("Map columns…", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("Import as it is", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(map_button)
        box.exec()
        clicked = box.clickedButton()
        return "map" if clicked is map_button else "keep" if clicked is keep else "cancel"

    def _choose_target(self, path: Path, plan: ImportPlan, refused: MultipleTargets) -> bool:
        """Ask how to import a file of several numbers' records; True with the answer in ``plan``."""
        choice = self.ask_targets(path, refused.report["targets"])
        if choice is None:
            return False
        plan.split_by_target, plan.target = choice.split, choice.target
        if choice.split:
            plan.subject = None  # each number goes to the person who has it, or a new one
        return True

    def _choose_zone(self, path: Path, plan: ImportPlan, refused: ZoneNotStated) -> bool:
        """Ask the zone of a file whose times state none; True with the answer in ``plan``."""
        choice = self.ask_zone(path, refused.format)
        if choice is None:
            return False
        plan.tz, plan.assume_case_tz = choice.tz, choice.assume_case_tz
        return True

    def ask_zone(self, path: Path, file_format: str) -> Any:
        """The officer's ``ZoneChoice`` for a file whose times state no zone, or None to cancel."""
        from cellsight.gui.dialogs.time_zone import ZoneChoiceDialog

        return ZoneChoiceDialog.ask(self.window, path, file_format, self.ws.case.info.tz)

    def ask_targets(self, path: Path, targets: list[dict[str, Any]]) -> Any:
        """The officer's choice for a file of several numbers (``TargetChoice``), or None to cancel."""
        from cellsight.gui.dialogs.import_targets import TargetsDialog

        names = {}
        for t in targets:
            subject = self.ws.case.find_subject(str(t["number"]))
            if subject is not None:
                names[str(t["number"])] = subject.name
        return TargetsDialog.ask(self.window, path, targets, names)

    def _run(self, path: Path, plan: ImportPlan) -> None:
        from cellsight.importers.api import import_file

        case = self.ws.case
        region = case.info.region

        def work(progress: Any) -> Any:
            clone = clone_case(case)
            report = import_file(clone, path, subject=plan.subject, format=plan.format,
                                 template=plan.template, tz=plan.tz, region=region, progress=progress,
                                 exhibit=plan.exhibit, split_by_target=plan.split_by_target,
                                 target=plan.target, assume_case_tz=plan.assume_case_tz)
            return clone, report

        def done(result: Any) -> None:
            clone, report = result
            remap = self._should_map(path, plan, report)
            if remap is None:
                self.outcomes.append(FileOutcome(path, error=f"{path.name}: not imported (you cancelled)",
                                                 cancelled=True))
                self._next()
                return
            if remap:
                self._run(path, plan)
                return
            adopt(case, clone)
            self.outcomes.append(FileOutcome(path, report=report, warnings=list(report.get("warnings", []))))
            self.ws.changed(Change.ROWS, self)
            self._next()

        def failed(exc: BaseException, details: str) -> None:
            # A refusal the officer can answer: ask, then read the file again, or note the cancel.
            question = (self._choose_zone, "its times state no time zone") if isinstance(exc, ZoneNotStated) \
                else (self._choose_target, f"it holds the records of {len(exc.report['targets'])} phone numbers") \
                if isinstance(exc, MultipleTargets) else None
            if question is not None:
                ask, why = question
                if ask(path, plan, exc):
                    self._run(path, plan)
                else:
                    self.outcomes.append(FileOutcome(
                        path, cancelled=True, error=f"{path.name}: not imported (you cancelled); {why}"))
                    self._next()
                return
            message = str(exc) if isinstance(exc, (ImportFailure, ValueError, OSError)) else \
                f"{path.name}: {type(exc).__name__}: {exc}"
            self.outcomes.append(FileOutcome(path, error=message))
            self._next()

        def cancelled() -> None:
            self.outcomes.append(FileOutcome(path, error=f"{path.name}: cancelled; nothing was changed",
                                             cancelled=True))
            for rest in self.queue:
                self.outcomes.append(FileOutcome(rest, error=f"{rest.name}: not imported (cancelled)",
                                                 cancelled=True))
            self.queue = []
            self._next()

        # Import failures go into the summary, not a message box each.
        self.ws.run(f"Importing {path.name}…", work, on_success=done, on_cancel=cancelled, on_error=failed)

    def _finish(self) -> None:
        from cellsight.gui.dialogs.import_summary import ImportSummaryDialog

        for path in self._temp_templates:
            path.unlink(missing_ok=True)
        if self.ws.case is not None:
            settle_cell_warnings(self.ws.case, self.outcomes)
        imported = sum(1 for o in self.outcomes if o.ok)
        self.ws.status(f"Imported {imported} of {len(self.outcomes)} files")
        self.finished.emit(self.outcomes)
        if self.outcomes:
            ImportSummaryDialog.show_for(self.window, self.ws.case, self.outcomes)
        self.deleteLater()
