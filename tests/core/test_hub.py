"""The hub delivers typed messages with their sender and keeps the selection's facets."""

from __future__ import annotations

import gc
import threading

import pandas as pd

from cellsight.core.hub import CaseChanged, Hub, Message, SelectionChanged, StatusMessage
from cellsight.core.selection import Everything, Kinds, Subjects, TimeRange


class Pane:
    def __init__(self, hub: Hub, name: str) -> None:
        self.name = name
        self.heard: list[Message] = []
        self.redraws = 0
        hub.subscribe(self, SelectionChanged, self.on_selection)

    def on_selection(self, message: SelectionChanged) -> None:
        self.heard.append(message)
        if message.sender is not self:  # the sender skips its own echo
            self.redraws += 1


def test_every_subscriber_hears_with_the_sender_and_the_sender_can_skip_the_echo() -> None:
    hub = Hub()
    timeline, table = Pane(hub, "timeline"), Pane(hub, "table")
    hub.set_selection(timeline, "time", Kinds({"call"}))
    assert [m.sender for m in timeline.heard] == [timeline]
    assert [m.sender for m in table.heard] == [timeline]
    assert (timeline.redraws, table.redraws) == (0, 1)


def test_facets_combine_with_and_and_clear() -> None:
    hub = Hub()
    pane = Pane(hub, "p")
    t = TimeRange(pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-02", tz="UTC"))
    hub.set_selection(pane, "time", t)
    hub.set_selection(pane, "parties", Subjects({"Ann"}))
    assert hub.selection == t & Subjects({"Ann"})
    hub.set_selection(pane, "time", TimeRange(t.start, t.start))  # replaces, not adds
    assert len(hub.selection.parts) == 2
    hub.set_selection(pane, "time", None)
    assert hub.selection == Subjects({"Ann"})
    assert pane.heard[-1].selection == Subjects({"Ann"}) and pane.heard[-1].facet == "time"
    hub.clear_selection(pane)
    assert isinstance(hub.selection, Everything) and hub.facets() == {}


def test_types_filters_and_unsubscribe() -> None:
    hub = Hub()
    got: list[str] = []

    class Listener:
        def on_any(self, m: Message) -> None:
            got.append(type(m).__name__)

    listener = Listener()
    hub.subscribe(listener, Message, listener.on_any, filter=lambda m: not isinstance(m, StatusMessage))
    hub.publish(CaseChanged(None))
    hub.publish(StatusMessage(None, "hello"))
    hub.set_selection(None, "x", Kinds({"sms"}))
    assert got == ["CaseChanged", "SelectionChanged"]
    hub.unsubscribe(listener)
    hub.publish(CaseChanged(None))
    assert len(got) == 2


def test_subscribers_are_held_weakly() -> None:
    hub = Hub()
    pane = Pane(hub, "gone")
    assert hub.subscriber_count() == 1
    del pane
    gc.collect()
    assert hub.subscriber_count() == 0
    hub.publish(CaseChanged(None))  # no error delivering to a dead subscriber


def test_publishing_from_threads_is_safe() -> None:
    hub = Hub()
    pane = Pane(hub, "p")
    threads = [threading.Thread(target=lambda i=i: hub.set_selection(None, f"f{i}", Kinds({"sms"})))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pane.heard) == 8 and len(hub.facets()) == 8
