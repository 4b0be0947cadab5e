"""The Storyboard pane: the ordered exhibit built from what the analyst saw.

"Add to storyboard" (toolbar, Ctrl+B, or a pane's menu) asks the current pane
for a frame of what it shows and the parameters that made it
(``Pane.capture``). Frames are reordered by dragging, and each has a caption
and a note. The storyboard is the Qt-free ``report.storyboard`` model kept in
``case.extras``, so it is saved with the case and printed by the report;
``Export PDF`` runs ``report.build.write_report`` in a worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QFormLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QMessageBox, QPlainTextEdit, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from cellsight.core.hub import Change
from cellsight.gui.panes.base import Pane
from cellsight.gui.resources import icon
from cellsight.report.storyboard import Frame, Storyboard
from cellsight.report.words import parameters_words
from cellsight.gui.flow_layout import FlowLayout
from cellsight.gui.workspace import Workspace

KIND_LABELS = {"title": "Title", "text": "Note", "table": "Table", "chart": "Chart", "map": "Map"}
KIND_ICONS = {"table": "table", "chart": "chart", "map": "map"}
NOTE_SAVE_DELAY_MS = 800


class StoryboardPane(Pane):
    name = "storyboard"
    title = "Storyboard"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.board = Storyboard()
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(1)
        self.list.setWordWrap(True)
        self.list.model().rowsMoved.connect(self._rows_moved)
        self.list.currentRowChanged.connect(self._show_frame)
        self.caption = QLineEdit()
        self.caption.setPlaceholderText("Caption, as the jury will read it")
        self.caption.editingFinished.connect(self._caption_edited)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Analyst's note: what this shows and why it matters")
        self.note.textChanged.connect(self._note_edited)
        self.details = QLabel()
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._note_timer = QTimer(self)
        self._note_timer.setObjectName("storyboard_note_timer")
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_DELAY_MS)
        self._note_timer.timeout.connect(self.flush)
        self._dirty_note = False

        add_note = QPushButton(icon("note"), "Add note")
        add_note.clicked.connect(lambda: self.add(Frame("text", caption="Note", content={"text": ""})))
        remove = QPushButton(icon("remove"), "Remove")
        remove.clicked.connect(self.remove_current)
        export = QPushButton(icon("pdf"), "Export PDF…")
        export.setObjectName("primary")
        export.clicked.connect(lambda: self.export_pdf())
        buttons = FlowLayout().addWidgets(add_note, remove, export)
        self.hint = QLabel("Use “Add to storyboard” (Ctrl+B) on any pane to capture what it shows. "
                           "Drag frames to reorder them.")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        editor = QWidget()
        form = QFormLayout(editor)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Caption", self.caption)
        form.addRow("Note", self.note)
        form.addRow(self.details)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(editor)
        splitter.setSizes([260, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.hint)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self._show_frame(-1)

    # ----- model <-> list -----------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & (Change.CASE | Change.STORYBOARD):
            self.board = Storyboard.load(self.case) if self.case is not None else Storyboard()
            self._fill()
        super().case_changed(change)

    def _fill(self, current: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for number, frame in enumerate(self.board, start=1):
            text = f"{number}. {KIND_LABELS.get(frame.kind, frame.kind)} — {frame.caption or '(no caption)'}"
            item = QListWidgetItem(icon(KIND_ICONS.get(frame.kind, "note")), text)
            item.setToolTip(frame.note or frame.caption)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if current is not None and 0 <= current < len(self.board):
            self.list.setCurrentRow(current)
        else:
            self._show_frame(self.list.currentRow())

    def _commit(self, current: int | None = None) -> None:
        """Store the storyboard in the case (audit line, dirty) and redraw the list."""
        if self.case is None:
            return
        self.board.save(self.case)
        self.ws.changed(Change.STORYBOARD, self)
        self._fill(current)

    def _rows_moved(self, _parent: Any, start: int, _end: int, _dest: Any, row: int) -> None:
        target = row - 1 if row > start else row
        self.board.move(start, target)
        self._commit(target)

    def move(self, index: int, to: int) -> None:
        """Move a frame (what a drag in the list does)."""
        self.board.move(index, to)
        self._commit(to)

    # ----- editing --------------------------------------------------------------------------------
    def current_frame(self) -> Frame | None:
        row = self.list.currentRow()
        return self.board.frames[row] if 0 <= row < len(self.board) else None

    def _show_frame(self, row: int) -> None:
        self.flush()
        frame = self.board.frames[row] if 0 <= row < len(self.board) else None
        for widget in (self.caption, self.note):
            widget.setEnabled(frame is not None)
            widget.blockSignals(True)
        self.caption.setText(frame.caption if frame else "")
        self.note.setPlainText(frame.note if frame else "")
        self.caption.blockSignals(False)
        self.note.blockSignals(False)
        self.details.setText(self._describe(frame) if frame else "")

    def _describe(self, frame: Frame) -> str:
        if frame.kind == "table":
            what = f"Table of {len(frame.content.get('rows', []))} rows"
        elif frame.kind == "chart":
            what = f"Chart ({frame.content.get('chart')})"
        elif frame.kind == "map":
            what = f"Map of {', '.join(frame.content.get('subjects', [])) or 'all subjects'}"
        else:
            what = KIND_LABELS.get(frame.kind, frame.kind)
        lines = [f"{what}, made with:"]
        # In the words the PDF prints them (report.words): no field names, no raw selections.
        zone = frame.parameters.get("zone") or self.zone  # the zone it was made in, else the case's
        for key, value in parameters_words(frame.parameters, zone).items():
            if value in (None, "", [], {}):
                continue
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value))
            elif isinstance(value, dict):
                value = json.dumps(value, ensure_ascii=False)
            lines.append(f"  {key}: {value}")
        if len(lines) == 1:
            lines[0] = what  # nothing it was made with to list
        return "\n".join(lines)[:1200]

    def _caption_edited(self) -> None:
        frame = self.current_frame()
        if frame is not None and frame.caption != self.caption.text():
            frame.caption = self.caption.text()
            self._commit(self.list.currentRow())

    def _note_edited(self) -> None:
        frame = self.current_frame()
        if frame is None:
            return
        frame.note = self.note.toPlainText()
        if frame.kind == "text":
            frame.content["text"] = frame.note
        self._dirty_note = True
        self._note_timer.start()

    def flush(self) -> None:
        """Store a note being typed (before saving the case, or when another frame is chosen)."""
        self._note_timer.stop()
        if self._dirty_note and self.case is not None:
            self._dirty_note = False
            self.board.save(self.case)
            self.ws.changed(Change.STORYBOARD, self)

    # ----- adding, removing ---------------------------------------------------------------------------
    def add(self, frame: Frame) -> None:
        self.flush()
        self.board.add(frame)
        self._commit(len(self.board) - 1)

    def add_from(self, pane: Pane | None) -> bool:
        if self.case is None:
            return False
        frame = pane.capture() if pane is not None else None
        if frame is None:
            self.ws.status(
                f"Nothing to add from {pane.title if pane else 'this pane'} yet", 6000)
            return False
        self.add(frame)
        self.ws.status(f"Added “{frame.caption}” to the storyboard "
                                         f"({len(self.board)} frames)", 6000)
        return True

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.board):
            self._dirty_note = False
            self.board.remove(row)
            self._commit(min(row, len(self.board) - 1))

    # ----- export ----------------------------------------------------------------------------------------
    def export_pdf(self, out: str | None = None) -> Any:
        from cellsight.gui.dialogs.report import ReportDialog

        case = self.case
        if case is None:
            return None
        self.flush()
        options: dict[str, Any] = {}
        if out is None:
            dialog = ReportDialog(self, case, self.ws.settings, self.ws.last_dir())
            if not dialog.exec():
                return None
            out, options = dialog.output(), dialog.options()
        if not out:
            suggested = str(Path(self.ws.last_dir()) / f"{case.info.name or 'report'}.pdf")
            out, _ = QFileDialog.getSaveFileName(self, "Export PDF", suggested, "PDF (*.pdf)")
            if not out:
                return None
        if case.dirty or self.ws.path is None:
            answer = self.ask_save_first()
            if answer == "cancel":
                return None
            if answer == "save":
                return self.ws.commands.save(then=lambda: self._write(out, options))
        return self._write(out, options)

    def ask_save_first(self) -> str:
        """"save", "without" or "cancel": the report states the case file's SHA-256 only for a
        case saved as it is; unsaved changes would make that hash describe another case."""
        box = QMessageBox(QMessageBox.Icon.Question, "Export PDF",
                          "The case has unsaved changes. Save it first, so that the report can state the "
                          "SHA-256 of the case file it came from?", QMessageBox.StandardButton.NoButton, self)
        save = box.addButton(QMessageBox.StandardButton.Save)
        without = box.addButton("Export without the hash", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(save)
        box.exec()
        clicked = box.clickedButton()
        return "save" if clicked is save else "without" if clicked is without else "cancel"

    def _write(self, out: str, options: dict[str, Any]) -> Any:
        from cellsight.report.build import write_report

        case = self.case
        if case is None:
            return None
        path = str(self.ws.path) if self.ws.path is not None and not case.dirty else None
        basemap = self.ws.settings.mbtiles_path if self.ws.settings.basemap == "mbtiles" else None
        left_out = "" if path else " — without the case file's SHA-256 (the case was not saved as it is)"

        if options.get("redact"):
            # The pseudonyms are kept in the case (only there), so the next redacted output agrees.
            from cellsight.report.redaction import Redactor

            if Redactor.for_case(case).remember(case):
                self.ws.changed(Change.REDACTION_KEY, self)
        if "producer" not in options:
            from cellsight.report import producer as producers

            options = {**options, "producer": producers.for_case(case, **self.ws.settings.producer_overrides())}

        def work(progress: Any) -> Any:
            # The progress bar follows analyses, maps and pages; Cancel stops before anything is written.
            return write_report(case, out, case_path=path, basemap=basemap or None, progress=progress, **options)

        def written(summary: dict[str, Any]) -> str:
            beside = [Path(doc["pdf"]).name for doc in (summary.get("schedule"), summary.get("appendix")) if doc]
            return (f"Wrote {out} ({summary['pages']} pages)" + (f" and beside it {', '.join(beside)}" if beside
                                                                 else "") + left_out)

        return self.ws.run(f"Writing {Path(out).name}…", work,
                           on_success=lambda summary: self.ws.status(written(summary), 15000))

    def shutdown(self) -> None:
        self.flush()
