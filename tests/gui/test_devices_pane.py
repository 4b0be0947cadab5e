"""The Device findings pane: one branch per phone, findings cited, photo positions selected everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cellsight.core.selection import SourceRows
from cellsight.report.storyboard import check_frame
from tests.core.device_data import device_case


@pytest.fixture
def device_window(qtbot, tmp_path):
    from tests.gui.conftest import _main_window

    yield from _main_window(qtbot, device_case(tmp_path))


def _items(tree) -> dict[str, object]:
    found = {}
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        found[top.text(0)] = top
        for j in range(top.childCount()):
            group = top.child(j)
            found[group.text(0)] = group
            for k in range(group.childCount()):
                found[group.child(k).text(0)] = group.child(k)
    return found


def test_findings_are_listed_and_choosing_selects_their_evidence(device_window, qtbot, tmp_path) -> None:
    dock = device_window.docks["devices"]
    dock.show()
    dock.raise_()
    pane = device_window.panes["devices"]
    pane.ensure_fresh()
    items = _items(pane.tree)
    assert "AM/1: Alice's phone" in items and "DR/1: Dan's phone" in items
    match = items["System Service: TheTruthSpy (stalkerware)"]
    assert match.text(1) == "AM/1 model a-spy"
    assert "Screen Reader: requests accessibility service" in items
    assert "Maple-Home aa:bb:cc:00:11:22: router of Home; also on Dan's phone" in items
    pane.tree.setCurrentItem(match)
    assert "does not show who installed it" in pane.detail.toPlainText()
    assert device_window.hub.facets().get("devices") is None
    photos = next(item for text, item in items.items() if text.startswith("Photograph and video positions (3)"))
    pane.tree.setCurrentItem(photos)
    chosen = device_window.hub.facets()["devices"]
    assert isinstance(chosen, SourceRows) and len(chosen.pairs) == 3
    assert all(row.startswith("files/Image/") for _, row in chosen.pairs)
    pane.tree.setCurrentItem(items["Photograph and video positions (1)"])  # Dan's video outside her home
    chosen = device_window.hub.facets()["devices"]
    assert [row for _, row in chosen.pairs] == ["files/Video/VID_20240304_224500.mp4"]
    assert "a video's is the creation date with its offset" in pane.detail.toPlainText()
    pane.tree.setCurrentItem(photos)
    frame = pane.capture()
    check_frame(frame)  # a frame the storyboard accepts and saves
    assert [r[0] for r in frame.content["rows"]] == ["App", "App", "Wi-Fi", "Wi-Fi"]
    assert frame.content["rows"][0][1:3] == ["AM/1 model a-spy", "Alice"]
    out = os.environ.get("CELLSIGHT_SHOT_DIR")
    if out:  # screenshots for the docs and the review, on request
        device_window.grab().save(str(Path(out) / "devices-window.png"))
        pane.grab().save(str(Path(out) / "devices-pane.png"))


def test_place_dialog_takes_router_bssids_and_refuses_a_bad_one(qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from cellsight.core.case import Case
    from cellsight.gui.dialogs.place import PlaceDialog

    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warned.append(args[2]))
    case = Case.new(name="Places", tz="Europe/London")
    dialog = PlaceDialog(None, case)
    qtbot.addWidget(dialog)
    dialog.name.setText("Home")
    dialog.bssids.setText("A4-91-B1-3C-52-E0, a4:91:b1:3c:52")
    assert not dialog.apply() and case.places == [] and "not a BSSID" in warned[0]
    dialog.bssids.setText("A4-91-B1-3C-52-E0, a491.b13c.52e4")
    assert dialog.apply()
    assert case.find_place("Home").bssids == ["a4:91:b1:3c:52:e0", "a4:91:b1:3c:52:e4"]


def test_proximity_pane_counts_photographs_only_when_asked(device_window, qtbot) -> None:
    pane = device_window.panes["proximity"]
    device_window.docks["proximity"].raise_()
    pane.ensure_fresh()
    pane.a.setCurrentText("Alice")
    pane.b.setCurrentText("Place: Home")
    counts = []
    for include in (False, True):
        pane.photos.setChecked(include)
        pane.doc = None
        pane.run_analysis()
        qtbot.waitUntil(lambda: pane.doc is not None and not device_window.tasks, timeout=30_000)
        counts.append(pane.doc["count"])
        assert ("are included" if include else "not included") in pane.statement.toPlainText()
    assert counts == [0, 1]  # her only fix near home is a photograph's position
