"""Which occasions the storyboard maps, and how: readable maps, a stated cap, the rest in the appendix.

A map a lawyer can read shows one occasion at the scale of a street: each of
the first ``SINGLE`` occasions of an analysis gets a map of its own, framed on
its hits (under 1 km across unless its hits spread wider: ``staticmap``); the
next ones are drawn as small multiples, ``GRID`` to a page, each still framed
on its own occasion; at most ``CAP`` occasions of one analysis are mapped in
the storyboard. Every occasion beyond the cap is mapped, as small multiples,
in the evidence appendix, and the storyboard says so where it stops.

Each map frame carries its occasions and the time intervals to draw (each
occasion widened by the analysis's window), so that ``build.CaseResolver``
draws it from the case when the PDF is laid out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from cellsight.report.storyboard import Frame
from cellsight.report.words import end_words, time_words

SINGLE = 2  # occasions of one analysis with a map of their own
GRID = 6  # small maps to a page
GRID_COLUMNS = 3
CAP = SINGLE + 2 * GRID  # occasions of one analysis mapped in the storyboard


def _interval(occasion: dict[str, Any], window: pd.Timedelta) -> list[str]:
    return [(pd.Timestamp(occasion["start"]) - window).isoformat(), (pd.Timestamp(occasion["end"]) + window).isoformat()]


def _kind(run: Any) -> str:
    return {"gps": "location fixes", "cell": "cell sites", "any": "fixes and cell sites"}[run.method]


def _base(run: Any, window_min: float) -> tuple[list[str], dict[str, Any]]:
    subjects = [run.a] + ([] if run.place else [run.other])
    parameters = {"subjects": subjects, **({"place": run.other} if run.place else {}),
                  "fixes and cells shown": f"within {window_min:g} min of each occasion shown"}
    return subjects, parameters


def single_map(run: Any, occasion: dict[str, Any], window_min: float, zone: str) -> Frame:
    subjects, parameters = _base(run, window_min)
    when = f"{time_words(occasion['start'], zone)} to {end_words(occasion['start'], occasion['end'], zone)}"
    return Frame("map", caption=f"Map of occasion {run.reference} {occasion['label']} ({_kind(run)}): {when}",
                 parameters=parameters,
                 content={"subjects": subjects, "places": [run.other] if run.place else [], "occasions": [occasion],
                          "intervals": [_interval(occasion, pd.Timedelta(minutes=window_min))]})


def grid_map(run: Any, occasions: list[dict[str, Any]], window_min: float, zone: str) -> Frame:
    """Up to ``GRID`` occasions as small maps on one page, each framed on its own hits."""
    subjects, parameters = _base(run, window_min)
    first, last = occasions[0], occasions[-1]
    window = pd.Timedelta(minutes=window_min)
    titles = [f"{run.reference} {o['label']}: {time_words(o['start'], zone)}" for o in occasions]
    return Frame("map", caption=f"Maps of occasions {run.reference} {first['label']} to {last['label']} "
                                f"({_kind(run)}), one small map each",
                 parameters=parameters,
                 content={"subjects": subjects, "places": [run.other] if run.place else [], "occasions": occasions,
                          "intervals": [_interval(o, window) for o in occasions], "grid": GRID_COLUMNS,
                          "titles": titles})


def _grids(run: Any, occasions: list[dict[str, Any]], window_min: float, zone: str) -> list[Frame]:
    return [grid_map(run, occasions[i:i + GRID], window_min, zone) for i in range(0, len(occasions), GRID)]


def storyboard_maps(run: Any, window_min: float, zone: str) -> tuple[list[Frame], str]:
    """The analysis's map frames for the storyboard, and a sentence on what is mapped where."""
    located = run.located
    shown = located[:CAP]
    frames = [single_map(run, o, window_min, zone) for o in shown[:SINGLE]]
    frames += _grids(run, shown[SINGLE:], window_min, zone)
    rest = len(located) - len(shown)
    total = run.count
    words = (f"Maps: each of the first {min(SINGLE, len(located))} occasions on a map of its own, then small maps "
             f"of {GRID} to a page; at most {CAP} occasions of one analysis are mapped here.")
    if rest:
        words += f" The other {rest} are mapped in the evidence appendix."
    unmapped = total - len(located)
    if unmapped > 0:
        words += (f" {unmapped} occasion{'s have' if unmapped != 1 else ' has'} no located hit and "
                  f"{'are' if unmapped != 1 else 'is'} listed but not mapped.")
    return frames, words


def appendix_maps(run: Any, window_min: float, zone: str) -> list[Frame]:
    """Small maps of the occasions beyond the storyboard's cap."""
    return _grids(run, run.located[CAP:], window_min, zone)
