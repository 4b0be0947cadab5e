"""The Events pane: every communication of the case in one table that stays fast at millions of rows.

A ``TablePane`` over the events: names from subjects, address books and group
chats appear beside the numbers and thread ids; the quick filter also finds a
party by name. When a selection holds fixes but no events (the evidence of a
GPS occasion), the count says where to read them.
"""

from __future__ import annotations

import numpy as np

from cellsight.core.selection import Everything
from cellsight.gui.models.evidence import EXHIBIT_HEADER, ROW_HEADER
from cellsight.gui.names import party_names
from cellsight.gui.panes.table import TablePane
from cellsight.gui.workspace import Workspace

HEADERS = {
    "start": "Time", "duration_s": "Duration (s)", "kind": "Kind", "direction": "Direction",
    "party_a": "From (A)", "party_b": "To (B)", "party_a_raw": "A as written", "party_b_raw": "B as written",
    "party_a_flag": "A flag", "party_b_flag": "B flag", "thread": "Thread", "app": "App",
    "cell_first": "First cell", "cell_last": "Last cell", "imei": "IMEI", "imsi": "IMSI",
    "status": "Status", "text": "Text", "deleted": "Deleted", "time_flag": "Time flag",
    "subject": "Subject", "source_id": EXHIBIT_HEADER, "source_row": ROW_HEADER,
}
DEFAULT_COLUMNS = ("subject", "source_id", "source_row", "start", "time_flag", "kind", "direction", "duration_s",
                   "party_a", "party_b", "cell_first", "app", "text")  # whose, and where in the exhibit, first
NAMED = ("party_a", "party_b", "thread")
SEARCHED = ("party_a", "party_b", "party_a_raw", "party_b_raw", "text", "cell_first", "cell_last",
            "app", "imei", "thread", "source_row")


class EventsPane(TablePane):
    name = "events"
    title = "Events"
    table = "events"
    noun = "events"
    headers = HEADERS
    default_columns = DEFAULT_COLUMNS
    widths = {"start": 315, "time_flag": 110, "kind": 60, "direction": 80, "duration_s": 90, "party_a": 210,
              "party_b": 210, "text": 240, "source_row": 110, "source_id": 70, "subject": 90}
    placeholder = "Quick filter: number, name, cell, text…"
    time_column = "start"
    leading = ("subject", "source_id", "source_row", "start", "time_flag")  # whose, and where it is cited from

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self._names: dict[str, str] = {}

    def show_case(self, case) -> None:
        super().show_case(case)
        self._names = party_names(case)
        self.model.set_annotations({column: self._names for column in NAMED})

    def count_note(self, shown: int) -> str:
        if shown or self.case is None or isinstance(self.selection, Everything):
            return ""
        fixes = int(self.mask(self.selection, "locations").sum())
        # The evidence of a GPS occasion is fixes, not events: say where they are.
        return f" · the selection holds {fixes:,} fixes: see the Locations pane" if fixes else ""

    def quick_filter_mask(self, text: str) -> np.ndarray:
        """Rows where any searched column, or the name of either party, contains ``text``."""
        events = self.case.events
        mask = self.contains(events, SEARCHED, text)
        lowered = text.lower()
        named = [number for number, name in self._names.items() if lowered in name.lower()]
        if named:
            for column in NAMED:
                mask |= events[column].isin(named).to_numpy(dtype=bool, na_value=False)
        for column in ("kind", "direction", "subject"):
            mask |= (events[column].astype("string").str.lower() == lowered).to_numpy(
                dtype=bool, na_value=False)
        return mask
