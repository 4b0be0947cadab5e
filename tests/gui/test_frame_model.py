"""The DataFrame table model: correct under qtmodeltester, dtype-aware, sorts and filters by arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QPersistentModelIndex, Qt

from cellsight.core import schema
from cellsight.gui.models.frame_model import FrameModel
from tests.gui.cases import ANN, BOB, make_case


def _model(case=None) -> FrameModel:
    case = case or make_case(days=3, per_day=4)
    model = FrameModel(case.events, zone="Europe/London")
    model.set_annotations({"party_a": case.number_names(), "party_b": case.number_names()})
    return model


def test_model_passes_qtmodeltester(qtmodeltester) -> None:
    model = _model()
    qtmodeltester.check(model, force_py=True)
    model.sort(model.columns.index("start"), Qt.SortOrder.DescendingOrder)
    model.set_mask(np.arange(len(model.frame)) % 2 == 0)
    qtmodeltester.check(model, force_py=True)


def test_display_is_dtype_aware_and_edit_role_is_raw() -> None:
    model = _model()
    col = model.columns.index
    # 08:xx UTC on 4 March is 08:xx in London (GMT); times show in the case zone
    summer = schema.conform(pd.DataFrame({"start": [pd.Timestamp("2024-07-01T10:00", tz="UTC")],
                                          "kind": ["call"], "direction": ["outgoing"],
                                          "source_id": ["S1"], "source_row": ["1"]}), "events")
    summer_model = FrameModel(summer, zone="Europe/London")
    assert summer_model.data(summer_model.index(0, col("start"))) == "Mon 1 Jul 2024 11:00:00 BST"
    edit = summer_model.data(summer_model.index(0, col("start")), Qt.ItemDataRole.EditRole)
    assert edit.utcoffset().total_seconds() == 3600
    row_with_missing = int(np.flatnonzero(model.frame["duration_s"].isna().to_numpy())[0])
    view_row = int(np.flatnonzero(model.order == row_with_missing)[0])
    assert model.data(model.index(view_row, col("duration_s"))) == ""
    assert model.data(model.index(view_row, col("duration_s")), Qt.ItemDataRole.EditRole) is None
    assert model.data(model.index(0, col("duration_s")), Qt.ItemDataRole.TextAlignmentRole) is not None
    parties = {model.data(model.index(r, col("party_a"))) for r in range(model.rowCount())}
    assert f"{BOB} (Bob)" in parties  # subjects' names beside their numbers
    assert model.data(model.index(0, col("kind"))) in ("call", "sms")


def test_sort_by_index_permutation_missing_last_and_persistent_indexes_follow() -> None:
    model = _model()
    col = model.columns.index("duration_s")
    tracked = QPersistentModelIndex(model.index(1, col))
    tracked_position = int(model.order[1])
    model.sort(col, Qt.SortOrder.DescendingOrder)
    values = [model.data(model.index(r, col), Qt.ItemDataRole.EditRole) for r in range(model.rowCount())]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True)
    assert values[len(present):] == [None] * (len(values) - len(present))
    assert int(model.order[tracked.row()]) == tracked_position
    start = model.columns.index("start")
    model.sort(start, Qt.SortOrder.AscendingOrder)
    times = model.frame["start"].dt.tz_localize(None).to_numpy()[model.order]
    assert (np.diff(times.astype("datetime64[us]").astype(np.int64)) >= 0).all()
    kind = model.columns.index("kind")
    model.sort(kind, Qt.SortOrder.AscendingOrder)
    kinds = [model.data(model.index(r, kind)) for r in range(model.rowCount())]
    assert kinds == sorted(kinds)


def test_mask_filters_and_keeps_the_sort_and_copy_gives_tsv() -> None:
    model = _model()
    start = model.columns.index("start")
    model.sort(start, Qt.SortOrder.DescendingOrder)
    mask = (model.frame["party_b"] == ANN).to_numpy(dtype=bool, na_value=False)
    model.set_mask(mask)
    assert model.rowCount() == int(mask.sum())
    assert set(model.frame["party_b"].to_numpy()[model.order]) == {ANN}
    times = model.frame["start"].dt.tz_localize(None).to_numpy()[model.order].astype("datetime64[us]").astype(np.int64)
    assert (np.diff(times) <= 0).all()
    text = model.as_tsv([0, 1], [start, model.columns.index("party_b")])
    lines = text.splitlines()
    assert lines[0] == "start\tparty_b" and len(lines) == 3 and "(Ann)" in lines[1]
    model.set_mask(None)
    assert model.rowCount() == len(model.frame)


def test_a_million_rows_cost_arrays_not_objects() -> None:
    n = 1_000_000
    frame = pd.DataFrame({"x": np.arange(n, dtype=np.float64)[::-1],
                          "s": pd.array(np.char.add("n", (np.arange(n) % 1000).astype(str)),
                                        dtype=schema.STR)})
    model = FrameModel(frame)
    assert model.rowCount() == n
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, 0)) == "0" and model.data(model.index(n - 1, 0)) == str(n - 1)
    assert model.frame_rows([0]).index[0] == n - 1  # the frame's last row, sorted first
    assert model.headerData(0, Qt.Orientation.Vertical) is None  # internal row numbers are never shown
    model.set_mask(frame["x"].to_numpy() < 10)
    assert model.rowCount() == 10


def _autumn_night() -> pd.DataFrame:
    """Four events across the night the clocks went back in London (27 Oct 2024); one flagged."""
    times = pd.to_datetime(["2024-10-27T01:30:00Z", "2024-10-27T00:30:00Z", "2024-10-26T23:59:00Z",
                            "2024-10-27T02:10:00Z"])
    return schema.conform(pd.DataFrame({
        "start": times, "kind": "call", "direction": "outgoing",
        "time_flag": ["", "dst_ambiguous", "", "implausible"],
        "source_id": "S1", "source_row": ["5", "6", "7", "8"]}), "events")


def test_times_show_the_zone_and_the_two_autumn_hours_apart_yet_sort_by_the_real_time() -> None:
    model = FrameModel(_autumn_night(), zone="Europe/London")
    start = model.columns.index("start")
    shown = [model.data(model.index(r, start)) for r in range(4)]
    assert shown == ["Sun 27 Oct 2024 01:30:00 GMT (UTC+00:00)", "Sun 27 Oct 2024 01:30:00 BST (UTC+01:00)",
                     "Sun 27 Oct 2024 00:59:00 BST", "Sun 27 Oct 2024 02:10:00 GMT"]
    model.sort(start, Qt.SortOrder.AscendingOrder)  # by the instant, not by the words
    assert [model.data(model.index(r, model.columns.index("source_row"))) for r in range(4)] == \
        ["7", "6", "5", "8"]
    model.sort(start, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, start)) == "Sun 27 Oct 2024 02:10:00 GMT"


def test_flagged_rows_are_marked_and_explained() -> None:
    model = FrameModel(_autumn_night(), zone="Europe/London")
    model.set_marks("time_flag", ["start"])
    start, flag, kind = (model.columns.index(c) for c in ("start", "time_flag", "kind"))
    ambiguous, plain = 1, 0
    assert model.flag(ambiguous) == "dst_ambiguous" and model.flag(plain) == ""
    assert model.data(model.index(ambiguous, start), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(ambiguous, flag), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(ambiguous, kind), Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(model.index(plain, start), Qt.ItemDataRole.BackgroundRole) is None
    assert not model.data(model.index(ambiguous, start), Qt.ItemDataRole.DecorationRole).isNull()
    assert model.data(model.index(plain, start), Qt.ItemDataRole.DecorationRole) is None
    tip = model.data(model.index(ambiguous, start), Qt.ItemDataRole.ToolTipRole)
    assert "dst_ambiguous" in tip and "occurs twice" in tip
    assert "cannot be right" in model.data(model.index(3, start), Qt.ItemDataRole.ToolTipRole)


def test_column_text_is_made_a_block_at_a_time_and_sorting_still_uses_the_value() -> None:
    n = 1000
    frame = pd.DataFrame({"row": pd.array([str(i) for i in range(n)], dtype=schema.STR)})
    batches = []

    def words(positions):
        batches.append(len(positions))
        return [f"line {frame['row'].iat[p]}" for p in positions]

    model = FrameModel(frame)
    model.set_column_text("row", words)
    model.sort(0, Qt.SortOrder.DescendingOrder)  # "999" > "100" as text: the stored value decides
    assert model.data(model.index(0, 0)) == "line 999"
    assert model.data(model.index(5, 0)) == f"line {frame['row'].sort_values(ascending=False).iat[5]}"
    assert batches == [64]  # one block made the first 64 shown rows; the second read was kept
    assert model.data(model.index(900, 0), Qt.ItemDataRole.EditRole) == \
        frame["row"].sort_values(ascending=False).iat[900]


def test_times_are_shown_only_in_a_zone_given() -> None:
    """A table given no zone refuses times rather than show them in one nobody chose."""
    times = pd.DataFrame({"start": pd.to_datetime(["2023-07-01T12:00:00Z"], utc=True)})
    model = FrameModel(pd.DataFrame({"row": ["1"]}))
    try:
        model.set_frame(times)
    except ValueError as exc:
        assert "no zone" in str(exc)
    else:
        raise AssertionError("times shown without a zone")
    model.set_frame(times, zone="Europe/London")
    assert model.data(model.index(0, 0)) == "Sat 1 Jul 2023 13:00:00 BST"
