"""Publish/subscribe between the parts of the workstation, with typed messages.

Panes never talk to each other (glue's ``Hub``): a pane publishes a message
carrying itself as ``sender`` and every subscriber of that message type hears
it, the sender included, so that all panes redraw from one shared state and the
sender can skip its own echo by comparing ``message.sender``.

The hub also *holds* that shared state: the current selection is the ``&`` of
the facets the panes set (the timeline sets ``"time"``, the contacts pane
``"parties"``, the map ``"area"``...), so a time range brushed on the timeline
and a contact clicked in the contacts pane combine instead of replacing each
other. Nothing here knows about Qt; ``gui.bridge`` carries messages onto the Qt
main thread. Subscribers are held weakly, so a closed pane stops hearing
messages without having to unsubscribe.
"""

from __future__ import annotations

import enum
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cellsight.core.selection import Everything, Selection

M = TypeVar("M", bound="Message")


@dataclass(frozen=True)
class Message:
    """Base of every hub message: who sent it."""

    sender: Any


@dataclass(frozen=True)
class SelectionChanged(Message):
    """The combined selection changed; ``facet`` says which part the sender set."""

    facet: str
    selection: Selection


class Change(enum.Flag):
    """What changed in the case, so each view redraws only for what it shows (Anki's ``OpChanges``).

    Typed, so that a sender cannot name a change no view listens for, and a view
    cannot wait for a change nobody sends.
    """

    CASE = enum.auto()  # another case (or none) is shown
    ROWS = enum.auto()  # events, locations or cells were added (an import, tower dumps)
    SUBJECTS = enum.auto()  # people or their numbers
    PLACES = enum.auto()  # places that matter (a home, a workplace)
    STORYBOARD = enum.auto()  # frames added, removed, edited or reordered
    CONCERN_TERMS = enum.auto()  # the case's terms of concern for messages
    REDACTION_KEY = enum.auto()  # the key that makes redacted numbers stable across reports
    DATA = CASE | ROWS | SUBJECTS | PLACES  # what tables, charts and maps are drawn from


@dataclass(frozen=True)
class CaseChanged(Message):
    """The case was replaced (``Change.CASE``) or some of its tables or records changed."""

    what: Change = Change.CASE


@dataclass(frozen=True)
class FocusRequested(Message):
    """Zoom views to a time span and, optionally, a box (an occasion chosen in a list)."""

    start: Any = None  # pd.Timestamp (UTC) or None
    end: Any = None
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east
    occasion: str | None = None  # the label of the proximity occasion focused on, if one is


@dataclass(frozen=True)
class ResultsChanged(Message):
    """An analysis produced results other views show (``kind="proximity"``: located occasions)."""

    kind: str = ""
    results: Any = None


@dataclass(frozen=True)
class StatusMessage(Message):
    """A short line for the status bar, shown for ``timeout_ms``."""

    text: str
    timeout_ms: int = 8000


@dataclass(frozen=True)
class SettingsChanged(Message):
    """Application settings changed (base map, defaults)."""

    keys: tuple[str, ...] = ()


@dataclass
class _Subscription:
    subscriber: weakref.ref
    message_type: type
    handler: Callable[[Any, Message], None]  # unbound: handler(subscriber, message)
    filter: Callable[[Message], bool] | None


@dataclass
class Hub:
    """Delivers messages to subscribers and keeps the current selection's facets."""

    _subscriptions: list[_Subscription] = field(default_factory=list)
    _facets: dict[str, Selection] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ----- subscriptions ----------------------------------------------------------------
    def subscribe(self, subscriber: object, message_type: type[M],
                  handler: Callable[[M], None], filter: Callable[[M], bool] | None = None) -> None:
        """Call ``handler(message)`` for every published ``message_type`` (subclasses included).

        ``handler`` is usually a bound method of ``subscriber``; it is stored
        unbound so that the hub does not keep the subscriber alive.
        """
        func = getattr(handler, "__func__", None)
        if func is not None and getattr(handler, "__self__", None) is subscriber:
            unbound = func
        else:
            def unbound(_owner: object, message: Message, _h: Callable = handler) -> None:
                _h(message)
        with self._lock:
            self._subscriptions.append(
                _Subscription(weakref.ref(subscriber), message_type, unbound, filter))

    def unsubscribe(self, subscriber: object, message_type: type | None = None) -> None:
        """Stop delivering to ``subscriber`` (all types, or just ``message_type``)."""
        with self._lock:
            self._subscriptions = [
                s for s in self._subscriptions
                if not (s.subscriber() is subscriber
                        and (message_type is None or s.message_type is message_type))]

    def subscriber_count(self) -> int:
        with self._lock:
            self._prune()
            return len(self._subscriptions)

    def _prune(self) -> None:
        self._subscriptions = [s for s in self._subscriptions if s.subscriber() is not None]

    # ----- publishing ------------------------------------------------------------------
    def publish(self, message: Message) -> None:
        """Deliver ``message`` to every live subscriber of its type, in subscription order."""
        with self._lock:
            self._prune()
            targets = [(s.subscriber(), s) for s in self._subscriptions
                       if isinstance(message, s.message_type)]
        for owner, sub in targets:
            if owner is None:
                continue
            if sub.filter is not None and not sub.filter(message):
                continue
            sub.handler(owner, message)

    # ----- selection state -------------------------------------------------------------
    @property
    def selection(self) -> Selection:
        """The ``&`` of every facet set (``Everything()`` when none is)."""
        with self._lock:
            parts = list(self._facets.values())
        combined: Selection = Everything()
        for part in parts:
            combined = combined & part
        return combined

    def facets(self) -> dict[str, Selection]:
        with self._lock:
            return dict(self._facets)

    def set_selection(self, sender: object, facet: str, selection: Selection | None) -> None:
        """Set (or, with ``None`` or ``Everything()``, clear) one facet and announce the result."""
        with self._lock:
            if selection is None or isinstance(selection, Everything):
                self._facets.pop(facet, None)
            else:
                self._facets[facet] = selection
        self.publish(SelectionChanged(sender, facet, self.selection))

    def clear_selection(self, sender: object, announce: bool = True) -> None:
        """Forget every facet (the user's Clear selection; silently when a new case replaces the old)."""
        with self._lock:
            self._facets.clear()
        if announce:
            self.publish(SelectionChanged(sender, "*", Everything()))
