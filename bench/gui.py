"""Benchmark of the workstation with a 1-million-event case (offscreen).

Measures, in one run:

- building and saving the case (setup, not a target);
- opening it to a usable window: reading the case file and drawing the case,
  events, timeline and contacts panes (the map page builds in the background
  and is timed separately); baseline: reading the case file alone;
- scrolling the events table from the first row to the last, a page at a time,
  painting each page;
- selecting a week on the timeline and redrawing every pane from the hub's
  selection (the "selection round trip"), and the same for a contact click;
  the contacts ranking then finishes in a worker (timed separately);
- the Messages pane (issue 15): indexing the case's messages in a worker,
  opening the biggest conversation (about 150,000 bubbles, laid out in
  batches) with the longest stall of the event loop meanwhile, scrolling it,
  a full-text search, and a week selected with the pane in front;
- the Locations pane showing an occasion's worth of fixes.

Targets (issue 6): open under 3 s, selection round trip under 0.3 s.

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \\
        .venv/bin/python bench/gui.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cellsight.core.case import Case, Source, utc_stamp  # noqa: E402
from cellsight.core.casefile import open_case, save_case  # noqa: E402

SUSPECT, VICTIM = "+447700900417", "+447700900832"
SCROLL_POSITIONS = 2_000


def build_case(n_events: int, n_fixes: int, seed: int = 1) -> Case:
    """A suspect, a victim and 200 other numbers; a year of events, fixes around Leeds, 300 cells."""
    rng = np.random.default_rng(seed)
    case = Case.new(name="Benchmark case", reference="BENCH/1")
    case.set_subject("Suspect", role="suspect", numbers=[SUSPECT])
    case.set_subject("Victim", role="victim", numbers=[VICTIM])
    start = pd.Timestamp("2024-01-01", tz="UTC")
    seconds = np.sort(rng.integers(0, 365 * 86_400, n_events))
    others = np.array([f"+4477009{i:05d}"[:13] for i in range(200)])
    other = np.where(rng.random(n_events) < 0.3, VICTIM, others[rng.integers(0, 200, n_events)])
    outgoing = rng.random(n_events) < 0.6
    kinds = np.array(["call", "sms", "data", "chat"])[rng.integers(0, 4, n_events)]
    words = np.array(["On my way", "Call me", "Where are you", "I know where you live", "Pick up",
                      "I'll burn your car", "See you later", "Why won't you answer me, I only want to talk "
                      "about what happened on Saturday and then I will leave you alone, I promise"])
    texts = np.where(np.isin(kinds, ["sms", "chat"]), words[rng.integers(0, len(words), n_events)], None)
    cells = np.array([f"234-30-{100 + i // 3}-{i}" for i in range(300)])
    events = pd.DataFrame({
        "start": start + pd.to_timedelta(seconds, unit="s"),
        "duration_s": np.where(kinds == "call", rng.integers(0, 900, n_events), np.nan),
        "kind": kinds, "direction": np.where(outgoing, "outgoing", "incoming"),
        "party_a": np.where(outgoing, SUSPECT, other), "party_b": np.where(outgoing, other, SUSPECT),
        "cell_first": cells[rng.integers(0, 300, n_events)], "text": texts,
        "subject": "Suspect", "source_id": "S1", "source_row": np.arange(2, n_events + 2).astype(str),
    })
    _add(case, "suspect_cdr.csv", "Suspect", {"events": events})
    fix_seconds = np.sort(rng.integers(0, 365 * 86_400, n_fixes))
    fixes = pd.DataFrame({"time": start + pd.to_timedelta(fix_seconds, unit="s"),
                          "lat": 53.80 + rng.normal(0, 0.02, n_fixes), "lon": -1.55 + rng.normal(0, 0.03, n_fixes),
                          "origin": "gps", "subject": "Victim", "source_id": "S2",
                          "source_row": np.arange(n_fixes).astype(str)})
    _add(case, "victim_records.json", "Victim", {"locations": fixes})
    site = pd.DataFrame({"key": cells, "lat": 53.80 + rng.normal(0, 0.03, 300),
                         "lon": -1.55 + rng.normal(0, 0.04, 300), "azimuth": rng.integers(0, 360, 300) * 1.0,
                         "beamwidth": 65.0, "source_id": "S3", "source_row": np.arange(300).astype(str)})
    _add(case, "cells.csv", "", {"cells": site})
    return case


def _add(case: Case, file: str, subject: str, frames: dict[str, pd.DataFrame]) -> None:
    rows = sum(len(f) for f in frames.values())
    source = Source(id=f"S{len(case.sources) + 1}", file=file, path=f"/bench/{file}", sha256=f"{len(case.sources):064d}",
                    size=0, format="bench", subject=subject, declared_tz="UTC", tz_rule="bench", parameters={},
                    rows=rows, imported=rows, rejected=0, kinds={}, skipped=[], warnings=[],
                    imported_at=utc_stamp(), version="bench")
    case.add_source(source, frames)


def wait(app, condition, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        app.processEvents()
        time.sleep(0.002)


def longest_stall(app, until, timeout: float = 120.0) -> tuple[float, float]:
    """Run the event loop until ``until()``; the seconds it took and the longest gap between two ticks
    of a 5 ms timer meanwhile (what an officer would feel as the window not answering)."""
    from PySide6.QtCore import QTimer

    ticks: list[float] = [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start = time.perf_counter()
    wait(app, until, timeout)
    timer.stop()
    ticks.append(time.perf_counter())
    return time.perf_counter() - start, float(np.max(np.diff(ticks)))


def bench_messages(app, window, timeline, round_trip) -> None:
    from cellsight.core.selection import TimeRange

    pane = window.panes["messages"]
    t = time.perf_counter()
    window.docks["messages"].raise_()
    took, stall = longest_stall(app, lambda: pane.index is not None and not window.tasks)
    print(f"messages: index {len(pane.index.positions):,} messages (worker)  {took:6.2f} s  "
          f"(longest stall {stall * 1000:.0f} ms)")
    biggest = int(np.argmax(np.bincount(pane.index.conversation)))
    measured = {"bubbles": 0}  # the batched layout is done when every bubble has been measured once
    size_hint = pane.delegate.sizeHint
    pane.delegate.sizeHint = lambda option, index: (measured.__setitem__("bubbles", measured["bubbles"] + 1),
                                                    size_hint(option, index))[1]
    t = time.perf_counter()
    pane.choose(biggest)
    pane.view.viewport().repaint()
    first = time.perf_counter() - t
    bar = pane.view.verticalScrollBar()
    took, stall = longest_stall(app, lambda: measured["bubbles"] >= pane.model.rowCount(), timeout=300)
    pane.delegate.sizeHint = size_hint
    print(f"  open the biggest conversation ({pane.model.rowCount():,} bubbles): first paint {first:.3f} s, "
          f"laid out in batches {took:.2f} s (longest stall {stall * 1000:.0f} ms)")
    positions = np.unique(np.linspace(0, bar.maximum(), 200).astype(int))
    t = time.perf_counter()
    for value in positions:  # grab() paints the viewport as shown, whatever the platform defers
        bar.setValue(int(value))
        image = pane.view.viewport().grab().toImage()
    scrolled = time.perf_counter() - t
    inked = sum(image.pixelColor(x, y).lightness() < 128 for x in range(0, image.width(), 4)
                for y in range(0, image.height(), 4))
    print(f"  scroll it end to end ({len(positions)} paints)       {scrolled:6.2f} s  "
          f"({scrolled / len(positions) * 1000:.1f} ms a paint; the last shows {inked} dark samples of text)")
    t = time.perf_counter()
    pane.search.setText("burn")
    pane.apply_search()
    pane.view.viewport().repaint()
    print(f"  search the text for 'burn' ({pane.model.rowCount():,} found)  {time.perf_counter() - t:6.3f} s")
    pane.search.setText("")
    pane.apply_search()
    pane.choose(-1)
    wait(app, lambda: not window.tasks)
    first_week = pd.Timestamp("2024-05-06", tz="Europe/London")
    redrawn, painted = round_trip(lambda: timeline.set_range(TimeRange(first_week, first_week + pd.Timedelta(days=7))))
    print(f"  select a week, messages in front: redrawn  {redrawn:6.3f} s, painted {painted:.3f} s  "
          f"({pane.model.rowCount():,} bubbles)")
    window.clear_selection()


def bench_locations(app, window) -> None:
    from cellsight.core.selection import TimeRange

    pane = window.panes["locations"]
    window.docks["locations"].raise_()
    app.processEvents()
    t = time.perf_counter()
    start = pd.Timestamp("2024-06-01T12:00", tz="UTC")
    window.hub.set_selection(None, "time", TimeRange(start, start + pd.Timedelta(hours=6)))
    pane.view.viewport().repaint()
    print(f"locations: an afternoon's fixes ({pane.model.rowCount():,} of {len(pane.model.frame):,}) "
          f"shown in {time.perf_counter() - t:.3f} s")
    window.clear_selection()


def main() -> int:
    parser = argparse.ArgumentParser(description="Cellsight workstation benchmark")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--fixes", type=int, default=50_000)
    args = parser.parse_args()
    os.environ["CELLSIGHT_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="cellsight-bench-")

    from cellsight.gui.app import create_application

    app = create_application(["cellsight-bench"])
    from cellsight.core.selection import TimeRange
    from cellsight.gui.main_window import MainWindow

    t = time.perf_counter()
    case = build_case(args.events, args.fixes)
    path = Path(tempfile.mkdtemp(prefix="cellsight-bench-")) / "bench.cellsight"
    save_case(case, path)
    print(f"setup: built and saved {args.events:,} events, {args.fixes:,} fixes in "
          f"{time.perf_counter() - t:.2f} s ({path.stat().st_size / 1e6:.1f} MB)")

    t = time.perf_counter()
    open_case(path)
    baseline = time.perf_counter() - t
    print(f"baseline: read the case file alone            {baseline:6.2f} s")

    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    t = time.perf_counter()
    window.open_path(path)
    wait(app, lambda: window.case is not None and window.path == path)
    app.processEvents()
    window.repaint()
    opened = time.perf_counter() - t
    print(f"open to a usable window                       {opened:6.2f} s  (target < 3 s; "
          f"{opened / baseline:.1f}x the bare read)")
    map_pane = window.panes["map"]
    wait(app, lambda: map_pane._ready)
    print(f"  map page ready (built in the background)    {time.perf_counter() - t:6.2f} s")
    wait(app, lambda: not window.tasks)

    events = window.panes["events"]
    window.docks["events"].raise_()
    bar = events.view.verticalScrollBar()
    # Dragging the thumb from top to bottom: 2,000 evenly spaced positions, each painted.
    positions = np.unique(np.linspace(0, bar.maximum(), SCROLL_POSITIONS).astype(int))
    t = time.perf_counter()
    for value in positions:
        bar.setValue(int(value))
        events.view.viewport().repaint()
    scrolled = time.perf_counter() - t
    last = events.view.rowAt(events.view.viewport().height() - 1)
    print(f"scroll the table end to end ({len(positions):,} paints)  {scrolled:6.2f} s  "
          f"({scrolled / len(positions) * 1000:.2f} ms a paint; last row shown {last + 1:,})")

    t = time.perf_counter()
    events.model.sort(events.model.columns.index("party_b"))
    print(f"sort the table by party B                     {time.perf_counter() - t:6.2f} s")

    timeline = window.panes["timeline"]
    for dock in ("map", "case"):
        window.docks[dock].raise_()
    app.processEvents()
    def round_trip(action) -> tuple[float, float]:
        """Seconds until every pane has redrawn from the hub, and until the window has painted."""
        t = time.perf_counter()
        action()
        redrawn = time.perf_counter() - t
        window.repaint()
        app.processEvents()
        return redrawn, time.perf_counter() - t

    rounds = []
    for week in range(5):
        first = pd.Timestamp("2024-03-04", tz="Europe/London") + pd.Timedelta(weeks=week)
        rounds.append(round_trip(lambda: timeline.set_range(TimeRange(first, first + pd.Timedelta(days=7)))))
    redrawn, painted = np.median(np.array(rounds), axis=0)
    print(f"select a week (median of 5): panes redrawn    {redrawn:6.3f} s, painted {painted:.3f} s  "
          f"(target < 0.3 s; {events.model.rowCount():,} events shown)")

    contacts = window.panes["contacts"]
    window.docks["contacts"].raise_()
    t = time.perf_counter()
    wait(app, lambda: not window.tasks and contacts.model.rowCount() > 0)
    print(f"  contacts ranking for the week (worker)      {time.perf_counter() - t:6.2f} s")
    redrawn, painted = round_trip(lambda: contacts.choose(VICTIM))
    print(f"click a contact: panes redrawn                {redrawn:6.3f} s, painted {painted:.3f} s  "
          f"({events.model.rowCount():,} events shown)")
    wait(app, lambda: not window.tasks)
    redrawn, painted = round_trip(window.clear_selection)
    print(f"clear the selection: panes redrawn            {redrawn:6.3f} s, painted {painted:.3f} s")
    print("(painted includes the contacts analysis running meanwhile in a worker, which shares the GIL)")
    wait(app, lambda: not window.tasks)
    bench_messages(app, window, timeline, round_trip)
    bench_locations(app, window)
    window.discard_and_close()
    path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
