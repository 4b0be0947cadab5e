"""Panes linked through the hub: selecting in one filters every other; the sender skips its echo."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellsight.core.selection import Parties, Subjects, TimeRange
from tests.gui.cases import ANN, BOB, CAROL, DAY0


def _shown_times(window) -> pd.Series:
    model = window.panes["events"].model
    return model.frame["start"].iloc[model.order]


def test_a_time_range_on_the_timeline_filters_the_events_table(window, qtbot) -> None:
    timeline, events = window.panes["timeline"], window.panes["events"]
    total = events.model.rowCount()
    timeline.lanes.setXRange(*timeline.lanes.getViewBox().viewRange()[0])
    timeline.select_week_in_view()
    facet = window.hub.facets()["time"]
    assert isinstance(facet, TimeRange)
    assert facet.end - facet.start < pd.Timedelta(days=7)
    times = _shown_times(window)
    assert 0 < len(times) < total
    assert times.min() >= facet.start and times.max() <= facet.end
    # the range sits on local midnight in the case's zone (GMT in March)
    assert facet.start.tz_convert("Europe/London").strftime("%H:%M") == "00:00"
    assert events.count.text().startswith(f"{len(times):,} of")
    # the daily bars still show the whole period (the range's context), the region shows the range
    assert timeline.region.isVisible()
    assert len(timeline.sel_bars.opts["x"]) == 14


def test_dragging_the_region_publishes_after_it_settles(window, qtbot) -> None:
    timeline = window.panes["timeline"]
    timeline.select_week_in_view()
    x0, x1 = timeline.region.getRegion()
    timeline.region.setRegion((x0 + 86_400, x1 + 86_400))
    timeline.region.sigRegionChangeFinished.emit(timeline.region)
    qtbot.waitUntil(lambda: window.hub.facets()["time"].start.day == DAY0.day + 1, timeout=3000)
    assert _shown_times(window).min() >= window.hub.facets()["time"].start


def test_clicking_a_contact_selects_its_events_everywhere(window, qtbot) -> None:
    contacts, events, timeline = window.panes["contacts"], window.panes["events"], window.panes["timeline"]
    window.docks["contacts"].raise_()
    qtbot.waitUntil(lambda: contacts.model.rowCount() == 2, timeout=10_000)
    assert contacts.subject.currentText() == "Bob"  # the suspect first
    numbers = [str(contacts.model.raw(r, 0)) for r in range(contacts.model.rowCount())]
    row = numbers.index(CAROL)
    contacts.choose_row(row)
    facet = window.hub.facets()["parties"]
    assert isinstance(facet, Parties) and facet.numbers == {BOB} and facet.others == {CAROL}
    shown = events.model.frame.iloc[events.model.order]
    assert len(shown) > 0
    assert set(shown["party_a"]) | set(shown["party_b"]) == {BOB, CAROL}
    # the pair figures come from the analysis, and the timeline bars follow the selection
    qtbot.waitUntil(lambda: contacts.pair is not None, timeout=10_000)
    assert contacts.pair["total"] == len(shown)
    assert timeline.sel_bars.opts["height"].sum() == len(shown)
    assert "Carol Mobile" in contacts.pair_label.text() or CAROL in contacts.pair_label.text()


def test_facets_combine_and_the_sender_keeps_its_own_view(window, qtbot) -> None:
    events, case_pane = window.panes["events"], window.panes["case"]
    start = DAY0.normalize()
    window.panes["timeline"].set_range(TimeRange(start, start + pd.Timedelta(days=2)))
    window.hub.set_selection(None, "parties", Parties({BOB}, {ANN}))
    shown = events.model.frame.iloc[events.model.order]
    assert len(shown) and (shown["start"] < start + pd.Timedelta(days=2)).all()
    assert set(shown["party_a"]) | set(shown["party_b"]) == {BOB, ANN}
    # a pane does not redraw on its own publication
    calls = []
    case_pane.refresh = lambda: calls.append(1)
    case_pane.publish("subjects", Subjects({"Bob"}))
    assert calls == []
    window.clear_selection()
    assert events.model.rowCount() == len(window.case.events)
    assert window.selection_label.text() == "Showing everything"


def test_quick_filter_and_copy(window, qtbot) -> None:
    events = window.panes["events"]
    events.quick.setText("carol")
    qtbot.waitUntil(lambda: events.model.rowCount() < len(window.case.events), timeout=3000)
    shown = events.model.frame.iloc[events.model.order]
    assert (shown["party_a"].eq(CAROL) | shown["party_b"].eq(CAROL)).all()
    events.view.selectRow(0)
    text = events.copy_selected()
    assert "Carol Mobile" in text and text.count("\n") == 2
    events.quick.clear()
    qtbot.waitUntil(lambda: events.model.rowCount() == len(window.case.events), timeout=3000)


def test_column_chooser_hides_and_remembers(window) -> None:
    events = window.panes["events"]
    index = events.model.columns.index("text")
    assert "text" in events.visible_columns()
    events.set_column_visible(index, False)
    assert "text" not in events.visible_columns()
    menu = events.columns_menu()
    texts = {a.text(): a.isChecked() for a in menu.actions()}
    assert texts["Text"] is False and texts["Time"] is True
    events._apply_visible_columns()  # what a new case does: the choice is remembered
    assert "text" not in events.visible_columns()


def test_selection_mask_matches_predicate(window) -> None:
    sel = Parties({BOB}, {CAROL})
    window.hub.set_selection(None, "parties", sel)
    events = window.panes["events"]
    expected = np.flatnonzero(sel.to_mask(window.case.events))
    assert sorted(events.model.order.tolist()) == expected.tolist()
