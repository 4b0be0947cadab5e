"""Hub messages as Qt signals, delivered on the main thread.

The hub is Qt-free and may be published to from a worker thread (an import
finishing); widgets may only be touched from the main thread. The bridge is a
QObject living on the main thread that subscribes to every hub message and
re-emits it as a typed Qt signal; Qt queues a signal emitted from another
thread to the receiver's thread, so panes connected to the bridge always run
their handlers on the main thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from cellsight.core.hub import (
    CaseChanged, FocusRequested, Hub, Message, ResultsChanged, SelectionChanged, SettingsChanged,
    StatusMessage,
)


class HubBridge(QObject):
    message = Signal(object)
    selectionChanged = Signal(object)  # SelectionChanged
    caseChanged = Signal(object)  # CaseChanged
    focusRequested = Signal(object)  # FocusRequested
    statusMessage = Signal(object)  # StatusMessage
    settingsChanged = Signal(object)  # SettingsChanged
    resultsChanged = Signal(object)  # ResultsChanged

    def __init__(self, hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self._typed = {
            SelectionChanged: self.selectionChanged,
            CaseChanged: self.caseChanged,
            FocusRequested: self.focusRequested,
            StatusMessage: self.statusMessage,
            SettingsChanged: self.settingsChanged,
            ResultsChanged: self.resultsChanged,
        }
        hub.subscribe(self, Message, self._relay)

    def _relay(self, message: Message) -> None:
        self.message.emit(message)
        for kind, signal in self._typed.items():
            if isinstance(message, kind):
                signal.emit(message)

    def detach(self) -> None:
        self.hub.unsubscribe(self)
