"""Names and bodies from a suspect's phone are shown as characters in the workstation, never as markup."""

from __future__ import annotations

from cellsight.core.hub import Change
import pandas as pd
from PySide6.QtCore import Qt

from tests.gui.cases import ANN, BOB, DAY0, source

HTML = "<img src=x onerror=alert(1)>"
RTL = "invoice\u202egnp.exe"


def test_hostile_names_and_bodies_are_text_in_labels_tables_and_tooltips(window, qtbot) -> None:
    case = window.case
    case.info.name = HTML
    source(case, "hostile.csv", "Bob", {"events": pd.DataFrame({
        "start": [DAY0 + pd.Timedelta(days=20)], "kind": ["sms"], "direction": ["outgoing"],
        "party_a": [BOB], "party_b": [ANN], "text": [RTL + " " + HTML + " " + "x" * 40],
        "source_row": ["2"]})})
    window.case_modified(Change.ROWS)
    qtbot.wait(50)

    header = window.panes["case"].header.text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in header and HTML not in header

    model = window.panes["events"].model
    column = list(model.frame.columns).index("text") if "text" in model.frame.columns else None
    assert column is not None, "the events table has a text column"
    rows = [r for r in range(model.rowCount()) if "gnp.exe" in model.display(r, column)]
    assert rows, "the hostile message is in the table"
    shown = model.data(model.index(rows[0], column), Qt.ItemDataRole.DisplayRole)
    assert "[U+202E]" in shown and "\u202e" not in shown
    tip = model.data(model.index(rows[0], column), Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img" in tip and HTML not in tip

    contacts = window.panes["contacts"]
    contacts._show_pair({"a": HTML, "b": RTL, "total": 1, "by_kind": {"sms": 1},
                         "by_direction": {"a_to_b": 1, "b_to_a": 0}, "series": [], "peak": {},
                         "first": None, "last": None})
    label = contacts.pair_label.text()
    assert HTML not in label and "&lt;img" in label and "[U+202E]" in label
