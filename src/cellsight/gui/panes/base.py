"""What every pane shares: its workspace (case, hub, selection), redrawing, and the storyboard capture.

Panes never talk to each other. A pane publishes a selection facet on the hub
with itself as sender; every pane hears the change through the bridge (on the
main thread) and redraws from the hub's current selection, and the sender skips
its own echo (it already shows what it selected); the same holds for a change
to the case (``Change``) that a pane made itself. A pane that is hidden (a
tab behind another) only notes that it is stale and redraws when shown, so a
selection round trip costs only the panes the analyst can see. Qt keeps a tab
behind another "visible", moved out of sight, so "shown" means visible with a
region on screen (``on_screen``); the window tells a pane when its tab comes to
the front (``refresh_if_shown``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from cellsight.core.hub import CaseChanged, Change, FocusRequested, SelectionChanged
from cellsight.core.selection import Everything, MaskCache, Selection
from cellsight.core.timezones import NO_CASE_ZONE
from cellsight.gui.workspace import Workspace

if TYPE_CHECKING:
    from cellsight.core.case import Case
    from cellsight.report.storyboard import Frame


def case_view(case: Case, selection: Selection, cache: MaskCache | None = None) -> Case:
    """A read-only look at ``case`` with its events and locations cut to ``selection``.

    Analyses take a Case; giving them this shallow copy lets a pane rank
    contacts or count days within what the analyst selected, without copying
    the case or touching it.
    """
    if isinstance(selection, Everything):
        return case
    view = copy.copy(case)
    view.tables = dict(case.tables)
    for name in ("events", "locations"):
        table = case.tables[name]
        view.tables[name] = table[selection.to_mask(table, name, case.tables, cache)]
    return view


class Pane(QWidget):
    """Base of the dockable panes; subclasses implement ``refresh`` and may ``capture``."""

    name = "pane"
    title = "Pane"

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws
        self._stale = True
        ws.bridge.selectionChanged.connect(self._on_selection)
        ws.bridge.caseChanged.connect(self._on_case)
        ws.bridge.focusRequested.connect(self._on_focus)

    # ----- shared state -----------------------------------------------------------------
    @property
    def case(self) -> Case | None:
        return self.ws.case

    @property
    def zone(self) -> str:
        """The case's zone; with no case open there is nothing to show, and ``NO_CASE_ZONE`` says so."""
        return self.case.info.zone if self.case is not None else NO_CASE_ZONE

    @property
    def selection(self) -> Selection:
        return self.ws.selection

    def mask(self, selection: Selection, table: str = "events") -> np.ndarray:
        """``selection`` over one of the case's tables, sharing leaf masks with the other panes."""
        case = self.case
        return selection.to_mask(case.tables[table], table, case.tables, self.ws.masks)

    def selection_without(self, facet: str) -> Selection:
        """The selection made by everything but this pane's own ``facet``."""
        combined: Selection = Everything()
        for name, part in self.ws.hub.facets().items():
            if name != facet:
                combined = combined & part
        return combined

    def publish(self, facet: str, selection: Selection | None) -> None:
        """Set one facet of the shared selection, as this pane."""
        self.ws.hub.set_selection(self, facet, selection)

    # ----- redrawing ------------------------------------------------------------------------
    def _on_case(self, message: CaseChanged) -> None:
        if message.sender is not self:  # a pane that changed the case has already shown its change
            self.case_changed(message.what)

    def on_screen(self) -> bool:
        """Where the officer can see it: visible, and not a tab behind another."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def refresh_if_shown(self) -> None:
        """Redraw now if a change arrived while out of sight and the pane is now in sight."""
        if self._stale and self.on_screen():
            self.refresh()

    def _on_selection(self, message: SelectionChanged) -> None:
        if message.sender is self:
            return
        self._stale = True
        if self.on_screen():
            self.refresh()

    def _on_focus(self, message: FocusRequested) -> None:
        if message.sender is not self:
            self.focus(message)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh_if_shown()
        QTimer.singleShot(0, self, self.refresh_if_shown)  # once laid out: a window shown later, a tab placed

    def ensure_fresh(self) -> None:
        """Redraw now if a change arrived while hidden (tests, screenshots, capture)."""
        if self._stale:
            self.refresh()

    def case_changed(self, change: Change) -> None:
        """The case was replaced or its data changed: redraw (storyboard edits change no data)."""
        if not change & Change.DATA:
            return
        self._stale = True
        if self.on_screen():
            self.refresh()

    def refresh(self) -> None:
        """Redraw from ``self.case`` and ``self.selection``; subclasses call ``super`` last."""
        self._stale = False

    def focus(self, message: FocusRequested) -> None:
        """Zoom to a time span or area (an occasion chosen elsewhere); panes that can, do."""

    def capture(self) -> Frame | None:
        """A storyboard frame of what this pane shows now (None when there is nothing to add)."""
        return None

    def selection_parameters(self) -> dict[str, Any]:
        """The current selection as the frame's parameters record it."""
        sel = self.selection
        if isinstance(sel, Everything):
            return {"selection": None}
        return {"selection": sel.to_dict(), "selection_text": sel.describe(self.zone)}
