"""Messages of concern between a pair, for the storyboard: quoted, cited, counted by week.

The threats a suspect sent are what a prosecutor reads first, so the report
finds them itself rather than waiting for an officer to copy them into a
frame. The terms are the case's list (``analysis.messages.terms``: the
messages pane's list, edited there, with a default list of threat words until
the officer sets one) and match as the pane matches them: at the start of a
word, in any capitals.

Messages are taken from the pair's communications exactly as the schedule of
communications counts them (``chronology.communications``: one row per
communication, however many exhibits record it), so each message of concern
is quoted once, cites every exhibit row that records it, and carries its row
number in the schedule. The text quoted is the first sighting's that has one.
A match is a reason to read the message, not a finding; the section says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cellsight.analysis import messages as message_analysis
from cellsight.core.text import reveal

WEEK = "%G-W%V"


@dataclass
class Concern:
    """A pair's messages of concern (one row each, time order) and the terms they were found with."""

    terms: list[str]
    messages: pd.DataFrame  # comm_id, start, sender, recipient, direction, text, cited

    @property
    def count(self) -> int:
        return len(self.messages)


def pair_texts(case: Any, comms: pd.DataFrame) -> pd.Series:
    """Each communication's message text (the first of its sightings that has one), indexed like ``comms``."""
    events = case.events
    positions = message_analysis.message_positions(events)
    if comms.empty or not len(positions):
        return pd.Series([None] * len(comms), index=comms.index, dtype=object)
    found = events.iloc[positions]
    keys = found["source_id"].astype(str) + ":" + found["source_row"].astype(str)
    texts = pd.Series(found["text"].astype(object).to_numpy(), index=keys.to_numpy())
    texts = texts[~texts.index.duplicated()]
    sightings = comms["rows"].astype(str).str.split("; ").explode()
    per_sighting = pd.Series(texts.reindex(sightings.to_numpy()).to_numpy(), index=sightings.index)
    return per_sighting.groupby(level=0).first().reindex(comms.index)


def find(case: Any, comms: pd.DataFrame, terms: list[str] | None = None) -> Concern:
    """The messages of concern among ``comms`` (``chronology.communications``), in time order."""
    terms = message_analysis.terms(case) if terms is None else list(terms)
    texts = pair_texts(case, comms)
    mask = message_analysis.concern_mask(texts.astype("string"), terms) if len(texts) else np.zeros(0, bool)
    chosen = comms[mask].copy()
    chosen["text"] = texts[mask].map(lambda t: reveal(str(t)))
    columns = ["comm_id", "start", "sender", "recipient", "direction", "text", "cited"]
    return Concern(terms, chosen[columns].reset_index(drop=True))


def weekly(comms: pd.DataFrame, concern: Concern, zone: str) -> pd.DataFrame:
    """Per ISO week of the case's zone (zero-filled from the first to the last week of contact):
    communications each way and messages of concern."""
    if comms.empty:
        return pd.DataFrame(columns=["week", "monday", "a_to_b", "b_to_a", "total", "concern"])
    local = comms["start"].dt.tz_convert(zone)
    weeks = local.dt.strftime(WEEK)
    mondays = local.dt.normalize().dt.tz_localize(None) - pd.to_timedelta(local.dt.day_of_week, unit="D")
    first, last = mondays.min(), mondays.max()
    every = pd.date_range(first, last, freq="7D")
    index = pd.Index(every.strftime(WEEK), name="week")
    table = pd.DataFrame({"monday": every}, index=index)
    for direction in ("a_to_b", "b_to_a"):
        table[direction] = weeks[comms["direction"] == direction].value_counts().reindex(index, fill_value=0)
    table["total"] = table["a_to_b"] + table["b_to_a"]
    concern_weeks = concern.messages["start"].dt.tz_convert(zone).dt.strftime(WEEK)
    table["concern"] = concern_weeks.value_counts().reindex(index, fill_value=0)
    return table.reset_index()
