"""The Locations pane: the fixes of the case (GPS, WiFi, Google records) in a linked table.

The evidence of a GPS proximity occasion is fixes, both people's, which the
Events pane cannot show. This ``TablePane`` over the locations shows them,
linked like every pane: "Select its evidence" on an occasion leaves exactly
the fixes behind it here, to be read, sorted (by the real time), copied,
added to the storyboard or exported to CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtWidgets import QFileDialog, QToolButton

from cellsight.core.outputs import atomic_output
from cellsight.core.text import reveal_frame
from cellsight.gui.models.evidence import EXHIBIT_HEADER, ROW_HEADER, exhibit_text, row_text
from cellsight.gui.panes.table import TablePane
from cellsight.report.export import neutralise_csv
from cellsight.gui.workspace import Workspace

HEADERS = {"subject": "Subject", "source_id": EXHIBIT_HEADER, "source_row": ROW_HEADER, "time": "Time",
           "time_flag": "Time flag", "lat": "Latitude", "lon": "Longitude", "accuracy_m": "Accuracy (m)",
           "origin": "Origin", "label": "Label"}
COLUMNS = tuple(HEADERS)  # the order shown: whose and where in the exhibit first, as an officer cites a fix
SEARCHED = ("label", "subject", "origin", "source_row")


def export_frame(case: Any, frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows at ``positions`` of ``frame`` as the CSV export writes them (the table's words, plus UTC)."""
    rows = frame.iloc[positions]
    out = pd.DataFrame({
        HEADERS["time"]: case.info.zone.court(rows["time"]).to_numpy(object),
        "Time (UTC)": rows["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(object),
        **{HEADERS[c]: rows[c].astype(object).to_numpy() for c in ("time_flag", "subject", "lat", "lon",
                                                                     "accuracy_m", "origin", "label")},
        EXHIBIT_HEADER: exhibit_text(case, frame)(positions),
        ROW_HEADER: row_text(case, frame)(positions),
    })
    return out.where(out.notna(), None)


class LocationsPane(TablePane):
    name = "locations"
    title = "Locations"
    table = "locations"
    noun = "fixes"
    headers = HEADERS
    default_columns = COLUMNS
    widths = {"time": 315, "time_flag": 110, "subject": 100, "lat": 90, "lon": 90, "accuracy_m": 95, "origin": 60,
              "label": 140, "source_id": 70, "source_row": 120}
    placeholder = "Quick filter: subject, label, origin, row…"
    time_column = "time"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        export = QToolButton()
        export.setText("Export CSV…")
        export.setToolTip("Write the fixes shown, in the order shown, to a CSV file")
        export.clicked.connect(lambda: self.export_csv())
        self.bar.addWidget(export)

    def frame_of(self, case: Any) -> pd.DataFrame:
        locations = case.tables["locations"]
        return locations[[c for c in COLUMNS if c in locations.columns]]  # a column view, not a copy

    def quick_filter_mask(self, text: str) -> np.ndarray:
        return self.contains(self.model.frame, SEARCHED, text)

    def export_csv(self, path: str | None = None) -> Any:
        """Write the fixes shown to ``path`` (asked for when None), in a worker; the task, or None."""
        if self.case is None or not self.model.rowCount():
            self.ws.status("No fixes shown to export", 5000)
            return None
        if path is None:
            suggested = str(Path(self.ws.last_dir()) / "fixes.csv")
            path, _ = QFileDialog.getSaveFileName(self, "Export fixes", suggested, "CSV files (*.csv)")
            if not path:
                return None
        target = Path(path if path.lower().endswith(".csv") else path + ".csv")
        case, frame, positions = self.case, self.model.frame, self.model.order.copy()

        def work(progress: Any) -> int:
            table = reveal_frame(export_frame(case, frame, positions))
            with atomic_output(target) as tmp:
                neutralise_csv(table).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")
            return len(table)

        return self.ws.run(f"Exporting {target.name}…", work,
                           on_success=lambda n: self.ws.status(f"Wrote {n:,} fixes to {target}"))
