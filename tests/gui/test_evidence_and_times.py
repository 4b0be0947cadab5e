"""The fixes behind an occasion in the Locations pane; times with their zone, flags marked, exhibits cited."""

from __future__ import annotations

from cellsight.core.hub import Change
import csv

import pandas as pd
from PySide6.QtCore import Qt

from cellsight.core import schema
from tests.gui.cases import ANN, BOB, source


def _occasion_evidence(window, qtbot, row: int = 0):
    """Find Bob's occasions near Ann (GPS) and select the evidence of one."""
    prox = window.panes["proximity"]
    window.docks["proximity"].raise_()
    prox.a.setCurrentText("Bob")
    prox.b.setCurrentText("Ann")
    prox.run_analysis()
    qtbot.waitUntil(lambda: prox.doc is not None and not window.tasks, timeout=20_000)
    prox.view.selectRow(row)
    prox.select_evidence()
    return prox.doc["occasions"][row]


def test_an_occasions_evidence_is_read_as_fixes_of_both_people(window, qtbot, tmp_path) -> None:
    occasion = _occasion_evidence(window, qtbot)
    wanted = {tuple(r.split(":", 1)) for r in occasion["evidence"]["rows"]}
    locations = window.panes["locations"]
    window.docks["locations"].raise_()
    locations.ensure_fresh()
    model = locations.model
    shown = model.frame.iloc[model.order]
    assert len(shown) == len(wanted) == 2
    assert set(zip(shown["source_id"].astype(str), shown["source_row"])) == wanted
    assert set(shown["subject"]) == {"Ann", "Bob"}  # both people's fixes
    # the events table has none of it, and says where to look
    events = window.panes["events"]
    events.ensure_fresh()
    assert events.model.rowCount() == 0
    assert "the selection holds 2 fixes: see the Locations pane" in events.count.text()
    # read: exhibit and row cited as the exhibit numbers it, never the case's S2/S3
    exhibit, row = (model.columns.index(c) for c in ("source_id", "source_row"))
    cited = {(model.display(r, exhibit), model.display(r, row)) for r in range(model.rowCount())}
    assert cited == {("ann_phone.ufdr", "l0"), ("bob_takeout.json", "b0")}  # no exhibit reference: the file
    # sorted by the real time, both ways
    time = model.columns.index("time")
    model.sort(time, Qt.SortOrder.DescendingOrder)
    order = model.frame["time"].to_numpy()[model.order]
    assert (order[:-1] >= order[1:]).all()
    # exported as shown
    out = tmp_path / "fixes.csv"
    locations.export_csv(str(out))
    qtbot.waitUntil(lambda: out.exists() and not window.tasks, timeout=20_000)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["Subject"] for r in rows] == list(shown.sort_values("time", ascending=False)["subject"])
    assert rows[0]["Time"].endswith("GMT") and rows[0]["Time (UTC)"].endswith("Z")
    assert {r["Exhibit"] for r in rows} == {"ann_phone.ufdr", "bob_takeout.json"}


def _autumn(case) -> None:
    """Bob's calls across the night the clocks went back (27 Oct 2024): a local-time source that could
    not tell the two 01:00 hours apart (flagged), and a phone that wrote offsets (not flagged)."""
    calls = schema.conform(pd.DataFrame({
        "start": pd.to_datetime(["2024-10-27T00:20:00Z", "2024-10-27T01:20:00Z", "2024-10-26T23:40:00Z"]),
        "kind": "call", "direction": "outgoing", "party_a": BOB, "party_b": ANN,
        "time_flag": ["dst_ambiguous", "", ""], "source_row": ["14", "15", "16"],
    }), "events").drop(columns=["source_id", "subject"])
    source(case, "autumn.csv", "Bob", {"events": calls})
    case.sources[-1].exhibit = "DR/7"


def test_times_carry_their_zone_the_repeated_hour_its_offset_and_flags_show(window, case) -> None:
    _autumn(case)
    window.case_modified(Change.ROWS)
    events = window.panes["events"]
    events.ensure_fresh()
    model = events.model
    rows = {model.display(r, model.columns.index("source_row")): r for r in range(model.rowCount())
            if model.display(r, model.columns.index("source_id")) == "DR/7"}
    assert set(rows) == {"line 14", "line 15", "line 16"}  # a CSV's rows are its lines
    time, flag = model.columns.index("start"), model.columns.index("time_flag")
    assert model.display(rows["line 14"], time) == "Sun 27 Oct 2024 01:20:00 BST (UTC+01:00)"
    assert model.display(rows["line 15"], time) == "Sun 27 Oct 2024 01:20:00 GMT (UTC+00:00)"
    assert model.display(rows["line 16"], time) == "Sun 27 Oct 2024 00:40:00 BST"
    # the flag: its own column (shown by default, beside the time) and a mark on the time itself
    shown = events.visible_columns()
    assert shown.index("time_flag") == shown.index("start") + 1  # beside the time
    assert shown[:3] == ["subject", "source_id", "source_row"]  # whose, and where it is cited from, first
    assert model.display(rows["line 14"], flag) == "dst_ambiguous"
    assert model.data(model.index(rows["line 14"], time), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(rows["line 15"], time), Qt.ItemDataRole.BackgroundRole) is None
    assert "occurs twice" in model.data(model.index(rows["line 14"], time), Qt.ItemDataRole.ToolTipRole)
    assert "1 with a marked time" in events.count.text()
    # sorting is by the instant: 00:40 BST, then the first 01:20 (BST), then the second (GMT)
    model.sort(time, Qt.SortOrder.AscendingOrder)
    ours = [model.display(r, model.columns.index("source_row")) for r in range(model.rowCount())
            if model.display(r, model.columns.index("source_id")) == "DR/7"]
    assert ours == ["line 16", "line 14", "line 15"]
    # what goes to the storyboard reads the same way
    frame = events.capture()
    assert frame.content["columns"][:5] == ["Subject", "Exhibit", "Row in exhibit", "Time", "Time flag"]
    assert "Sun 27 Oct 2024 01:20:00 GMT (UTC+00:00)" in {row[3] for row in frame.content["rows"]}
