"""Re-read a source in another zone, or remove it, from the workstation (``importers.reread``).

The same work as ``cellsight source``: done in a worker on a copy of the case
(``import_flow.clone_case``) and adopted on the main thread only when it
succeeded, so a refusal (the original file moved or changed) leaves the case
as it was. Every pane redraws from the changed case; storyboard frames that
held a snapshot of figures are marked stale by the re-read itself. The
officer gives a reason, which the audit keeps.

The clock banner sits under the toolbar while a check says a source's clock
is off, with the check's sentence and a button that re-reads that source in
the zone the check points to (the officer confirms it, and may choose another).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QToolBar, QVBoxLayout, QWidget)

from cellsight.analysis import timechecks
from cellsight.core.hub import Change
from cellsight.core.timezones import ZoneError, check_zone
from cellsight.gui.dialogs.common import ok_cancel, zone_combo, zone_value
from cellsight.gui.import_flow import adopt, clone_case
from cellsight.gui.markup import esc
from cellsight.gui.workspace import Workspace
from cellsight.importers.timebasis import basis_sentence


class RereadDialog(QDialog):
    """The zone to re-read a source in, and why (for the audit)."""

    def __init__(self, parent: QWidget | None, label: str, current: str, suggested: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Re-read {label} in another time zone")
        self.zone = zone_combo(suggested or "")
        if not suggested:
            self.zone.setCurrentIndex(-1)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why, e.g. the clock check found one hour after 26 March")
        intro = QLabel(f"{esc(label)} was read with its times in <b>{esc(current or 'their own offsets')}</b>. "
                       "It will be read again from its original file (which must be unchanged), with every "
                       "figure that depends on it.")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Times are in", self.zone)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(ok_cancel(self, "Re-read"))

    def answer(self) -> tuple[str, str] | None:
        if not self.exec():
            return None
        return zone_value(self.zone), self.reason.text().strip()


def _label(case: Any, source_id: str) -> str:
    source = next(s for s in case.sources if s.id == source_id)
    return source.exhibit or source.file


def reread(ws: Workspace, parent: QWidget, source_id: str, suggested: str = "") -> None:
    """Ask the zone and reason (dialogs over ``parent``), then re-read the source in a worker."""
    case = ws.case
    source = next(s for s in case.sources if s.id == source_id)
    answer = RereadDialog(parent, _label(case, source_id), source.declared_tz, suggested).answer()
    if answer is None:
        return
    zone, reason = answer
    try:
        check_zone(zone)
    except ZoneError as exc:
        QMessageBox.warning(parent, "Time zone", str(exc))
        return
    apply_reread(ws, source_id, zone, reason)


def apply_reread(ws: Workspace, source_id: str, zone: str, reason: str) -> None:
    from cellsight.importers.reread import reread_source

    case, path = ws.case, ws.path

    def work(progress: Any) -> Any:
        clone = clone_case(case)
        return clone, reread_source(clone, source_id, zone, reason=reason, case_path=path)

    ws.run(f"Re-reading {_label(case, source_id)}…", work, on_success=lambda result: _adopt(ws, result))


def remove(ws: Workspace, parent: QWidget, source_id: str) -> None:
    """Confirm with a reason, then take the source out of the case."""
    from PySide6.QtWidgets import QInputDialog

    from cellsight.importers.reread import remove_source

    label = _label(ws.case, source_id)
    reason, ok = QInputDialog.getText(parent, f"Remove {label}",
                                      f"Remove {label} and every row read from it from the case? The audit "
                                      "log keeps what was done and why.\n\nReason:")
    if not ok:
        return
    clone = clone_case(ws.case)
    doc = remove_source(clone, source_id, reason.strip())
    _adopt(ws, (clone, doc))


def _adopt(ws: Workspace, result: Any) -> None:
    """Take the changed copy in; every view redraws (the window's clock banner too, on ``Change.ROWS``)."""
    clone, doc = result
    adopt(ws.case, clone)
    ws.changed(Change.ROWS | Change.STORYBOARD, ws)
    what = "removed" if doc.get("action") == "removed" else \
        f"re-read, times {basis_sentence(doc.get('tz') or '', doc.get('tz_rule') or '')}"
    ws.status(f"{doc.get('exhibit') or doc.get('file')}: {what}")


class ClockBanner(QToolBar):
    """A row under the toolbar while a clock check flags a source: the sentence and a Re-read button."""

    def __init__(self, window: Any) -> None:
        super().__init__("Clock check", window)
        self.window = window
        self.setObjectName("clockBanner")
        self.setMovable(False)
        self.setStyleSheet("#clockBanner { background: #fff4d6; border-bottom: 1px solid #e0b84f; }")
        body = QWidget()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("Re-read…")
        self.button.clicked.connect(self._reread)
        layout = QHBoxLayout(body)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.addWidget(body)
        self.check: dict[str, Any] | None = None
        self.setVisible(False)

    def show_for(self, case: Any) -> bool:
        """Show the first flagged check of ``case``; hide when none. True when shown."""
        flagged = timechecks.flagged(timechecks.stored(case)) if case is not None else []
        self.check = flagged[0] if flagged else None
        if self.check is not None:
            more = f" ({len(flagged) - 1} more in the report's exhibits)" if len(flagged) > 1 else ""
            self.text.setText("Clock check: " + timechecks.sentence(self.check, case.info.tz) + more)
            self.button.setText(f"Re-read {self.check['source']}…")
        self.setVisible(self.check is not None)
        return self.check is not None

    def _reread(self) -> None:
        if self.check is not None:
            zone = timechecks.likely_zone(self.check)
            reread(self.window.workspace, self.window, self.check["source_id"], zone if zone == "UTC" else "")


def install_banner(window: Any) -> ClockBanner:
    """The banner, on a toolbar row of its own under the main toolbar (hidden until a check flags)."""
    from PySide6.QtCore import Qt

    window.addToolBarBreak()
    banner = ClockBanner(window)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, banner)
    return banner
