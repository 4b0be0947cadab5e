"""The Messages pane: read the conversations, find the threats, put a schedule of messages in the bundle.

Conversations (a pair of parties, or a group chat) are listed on the left with
their counts and how many of their messages hold a term of concern; the chosen
one reads on the right as bubbles in time order, each with who wrote to whom,
when (court form), the exhibit and row it comes from, and whether it was
deleted. Full-text search and "only messages of concern" narrow the bubbles;
the terms of concern are the case's list (``analysis.messages``), edited here
and saved with the case.

Linked like every pane: the messages shown are those in the hub's selection
(less this pane's own facet); choosing a conversation, or "Select these
messages everywhere", publishes the ``messages`` facet as event rows. The
index of messages (time order, conversations, terms of concern) is built in a
worker, so a case of a million events stays responsive; the bubbles are a
virtualised list (``models.message_list``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QLineEdit, QListView, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QSplitter, QTextBrowser, QVBoxLayout, QWidget,
)

from cellsight.core.hub import Change
from cellsight.analysis import messages as analysis
from cellsight.core.schema import ROLES
from cellsight.core.selection import RowIds
from cellsight.gui.markup import esc
from cellsight.gui.models.message_list import BubbleDelegate, MessageListModel
from cellsight.gui.names import party_names
from cellsight.gui.panes.base import Pane
from cellsight.gui.panes.table import QUICK_FILTER_DELAY_MS, STORYBOARD_ROWS
from cellsight.gui.workers import Latest
from cellsight.report.storyboard import Frame
from cellsight.gui.flow_layout import FlowLayout
from cellsight.gui.workspace import Workspace

ALL = -1  # the "All conversations" entry
CONCERN_INK = "#a12b1f"
WIDEST_NUMBER = "+447700900000 ↔"  # a UK mobile in international form, as a conversation line ends


@dataclass
class MessageIndex:
    """The case's messages, worked out once per case (and per terms list)."""

    positions: np.ndarray  # in the events table, in time order
    conversation: np.ndarray  # each message's conversation number
    titles: list[str]  # each conversation's title
    concern: np.ndarray  # each message: holds a term of concern
    right: np.ndarray  # per event: drawn on the right (written by the conversation's anchor)
    concern_events: np.ndarray  # per event: holds a term of concern
    texts_only: bool


def _rank(case: Any) -> dict[str, tuple[int, str]]:
    """Subjects' numbers ranked by role (suspect first): who anchors a conversation."""
    order = {role: i for i, role in enumerate(ROLES)}
    return {n: (order.get(s.role, len(ROLES)), s.name) for s in case.subjects for n in s.numbers}


def build_index(case: Any, names: dict[str, str], terms: list[str], texts_only: bool) -> MessageIndex:
    """Index ``case``'s messages (plain pandas and numpy: runs in a worker)."""
    events = case.events
    positions = analysis.message_positions(events, with_text_only=texts_only)
    starts = events["start"].to_numpy(dtype="datetime64[us]")[positions]  # UTC instants; no Timestamp objects
    positions = positions[np.argsort(starts, kind="stable")]
    # Only the columns read here: copying whole rows of a million-event table would hold the GIL for seconds.
    messages = events[["party_a", "party_b", "thread", "text"]].iloc[positions]
    conversation, keys = analysis.conversations(messages)
    concern = analysis.concern_mask(messages["text"], terms)
    ranks = _rank(case)
    unranked = (len(ROLES) + 1, "")
    anchors, titles = [], []
    for key in keys:  # one per conversation
        parties = analysis.conversation_parties(key)
        if analysis.is_group(key):
            anchors.append(None)
            titles.append(f"{names.get(key, key)} (group)")
            continue
        ordered = sorted(parties, key=lambda p: (ranks.get(p, unranked), p))
        anchors.append(ordered[0])
        titles.append(" ↔ ".join(names.get(p, p) for p in ordered))
    sender = messages["party_a"].astype(object).where(messages["party_a"].notna(), "").to_numpy(object)
    anchor = np.asarray(anchors, dtype=object)[conversation] if keys else np.empty(0, dtype=object)
    subject_sent = np.isin(sender, list(ranks))
    right = np.where(pd.isna(anchor), subject_sent, sender == anchor).astype(bool)
    right_events = np.zeros(len(events), dtype=bool)
    concern_events = np.zeros(len(events), dtype=bool)
    right_events[positions] = right
    concern_events[positions] = concern
    return MessageIndex(positions, conversation, titles, concern, right_events, concern_events, texts_only)


class MessagesPane(Pane):
    name = "messages"
    title = "Messages"

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.threads = QListWidget()  # a conversation a line, its counts on the next: reads in a narrow column
        self.threads.setWordWrap(True)
        self.threads.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never scroll
        self.threads.setAlternatingRowColors(True)
        self.threads.setSpacing(1)
        self.threads.itemSelectionChanged.connect(self._thread_clicked)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the messages' text…")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setObjectName("messages_search_timer")
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(QUICK_FILTER_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self.concern_only = QCheckBox("Only of concern")
        self.concern_only.setToolTip("Show only the messages holding a term of concern")
        self.concern_only.toggled.connect(lambda _: self._show_messages())
        self.with_records = QCheckBox("With call records")
        self.with_records.setToolTip("Also show the texts that operators' call records list without their "
                                     "words, beside the messages read from phones")
        self.with_records.toggled.connect(lambda _: self._reindex())
        terms_button = QPushButton("Terms of concern…")
        terms_button.setToolTip("The words every message is checked for (saved with the case)")
        terms_button.clicked.connect(self.edit_terms)
        self.count = QLabel()
        self.count.setObjectName("hint")
        self.count.setWordWrap(True)
        self.model = MessageListModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.delegate = BubbleDelegate(self.model, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # A scroll bar that appears halfway through laying out a long thread would change the width and
        # start the whole layout again: keep it there.
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setLayoutMode(QListView.LayoutMode.Batched)  # a long thread lays out a batch at a time
        self.view.setBatchSize(300)
        self.view.setUniformItemSizes(False)
        self.view.setAcceptDrops(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentChanged.connect(lambda current, _: self._read(current.row()))
        self.reading = QTextBrowser()
        self.reading.setPlaceholderText("Choose a message to read it in full here.")
        self.reading.setMinimumHeight(48)
        add = QPushButton("Add to storyboard")
        add.setToolTip("A schedule of the chosen messages (or of those shown) as a table in the storyboard")
        add.clicked.connect(lambda: ws.commands.add_to_storyboard(self.name))
        everywhere = QPushButton("Select everywhere")
        everywhere.setToolTip("Select the chosen messages in every pane")
        everywhere.clicked.connect(self.select_messages_everywhere)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(terms_button)
        toggles = FlowLayout().addWidgets(self.concern_only, self.with_records)
        buttons = FlowLayout().addWidgets(everywhere, add)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addLayout(toggles)
        right_layout.addWidget(self.count)
        # The messages get the height; the chosen one, in full, below them, as tall as the officer drags it.
        reading_split = QSplitter(Qt.Orientation.Vertical)
        reading_split.addWidget(self.view)
        reading_split.addWidget(self.reading)
        reading_split.setStretchFactor(0, 3)
        reading_split.setStretchFactor(1, 1)
        reading_split.setSizes([300, 90])
        right_layout.addWidget(reading_split, 1)
        right_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.threads)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([170, 530])
        # wide enough for a whole international number, with the list's frame and scroll bar
        self.threads.setMinimumWidth(self.threads.fontMetrics().horizontalAdvance(WIDEST_NUMBER) + 40)
        self.threads.setTextElideMode(Qt.TextElideMode.ElideNone)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter, 1)

        self._indexing = Latest(ws.run, self)
        self.index: MessageIndex | None = None
        self.terms: list[str] = list(analysis.DEFAULT_TERMS)
        self.names: dict[str, str] = {}
        self.chosen = ALL  # the conversation shown
        self._in_selection = np.empty(0, dtype=bool)
        self._search_text = ""
        self._search_mask: np.ndarray | None = None

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override: reads like the events table
        return QSize(760, 620)

    # ----- the index ------------------------------------------------------------------------------
    def case_changed(self, change: Change) -> None:
        if change & Change.CASE:
            self.index = None
            self.chosen = ALL
            self._search_mask = None
            self.model.set_positions(np.empty(0, dtype=np.int64))
        if change & (Change.DATA | Change.CONCERN_TERMS):
            self.index = None  # rebuilt when next shown
            self._stale = True
            if self.on_screen():
                self.refresh()
            return
        super().case_changed(change)

    def _reindex(self) -> Any:
        """Build the index of messages in a worker; the pane redraws when it arrives."""
        case = self.case
        if case is None:
            return None
        self.terms = analysis.terms(case)
        self.names = party_names(case)
        names, terms, texts_only = self.names, list(self.terms), not self.with_records.isChecked()
        self.count.setText("Reading the messages…")
        return self._indexing.submit("Reading messages…", lambda progress: build_index(case, names, terms,
                                                                                       texts_only),
                                     lambda index: self._indexed(case, index))

    def _indexed(self, case: Any, index: MessageIndex) -> None:
        if case is not self.case:
            return
        self.index = index
        self._search_mask = None
        self.model.set_case(case, self.names, index.right, index.concern_events)
        self.model.terms = self.terms
        self.refresh()

    # ----- redrawing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        case = self.case
        if case is None:
            self._fill_threads(None)
            self.count.setText("No case open.")
            super().refresh()
            return
        if self.index is None:
            self._reindex()
            super().refresh()
            return
        if self.chosen != ALL and "messages" not in self.ws.hub.facets():
            self.chosen = ALL  # cleared elsewhere (Clear selection): show every conversation again
        self._in_selection = self.mask(self.selection_without("messages"))[self.index.positions]
        self._fill_threads(self.index)
        self._show_messages()
        super().refresh()

    def _fill_threads(self, index: MessageIndex | None) -> None:
        self.threads.blockSignals(True)
        self.threads.clear()
        if index is None:
            self.threads.blockSignals(False)
            return
        inside = self._in_selection
        n = len(index.titles)
        counts = np.bincount(index.conversation[inside], minlength=n)
        concern = np.bincount(index.conversation[inside & index.concern], minlength=n)

        def add(number: int, title: str, count: int, of_concern: int) -> None:
            # each party on a line of its own: a number is never cut short ("+447700900…" for all of them)
            item = QListWidgetItem(title.replace(" ↔ ", " ↔\n") + f"\n{count:,} messages"
                                   + (f" · {of_concern:,} of concern" if of_concern else ""))
            item.setData(Qt.ItemDataRole.UserRole, number)
            item.setToolTip(title)
            if of_concern:
                item.setForeground(QColor(CONCERN_INK))
            self.threads.addItem(item)
            item.setSelected(number == self.chosen)

        add(ALL, "All conversations", int(inside.sum()), int(concern.sum()))
        for number in sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], index.titles[i])):
            add(int(number), index.titles[number], int(counts[number]), int(concern[number]))
        self.threads.blockSignals(False)

    def _show_messages(self) -> None:
        index = self.index
        if index is None:
            return
        shown = self._in_selection.copy()
        if self.chosen != ALL:
            shown &= index.conversation == self.chosen
        if self.concern_only.isChecked():
            shown &= index.concern
        if self._search_text:
            shown &= self._searched()
        self.model.set_positions(index.positions[shown], self._search_text)
        total = int(self._in_selection.sum())
        parts = [f"{int(shown.sum()):,} of {total:,} messages" if int(shown.sum()) != total
                 else f"{total:,} messages"]
        parts.append(f"{int((shown & index.concern).sum()):,} of concern")
        if self._search_text:
            parts.append(f"searching for “{self._search_text}”")
        if not len(index.positions):
            parts = ["No messages with text in this case yet: import a phone download to read them"
                     if index.texts_only else "No messages in this case"]
        self.count.setText(" · ".join(parts))
        self._read(-1)

    def shutdown(self) -> None:
        self._search_timer.stop()

    # ----- search and terms ----------------------------------------------------------------------
    def apply_search(self) -> None:
        text = self.search.text().strip()
        if text == self._search_text:
            return
        self._search_text = text
        self._search_mask = None
        self._show_messages()

    def _searched(self) -> np.ndarray:
        if self._search_mask is None:
            texts = self.case.events["text"].iloc[self.index.positions]
            self._search_mask = analysis.search_mask(texts, self._search_text)
        return self._search_mask

    def edit_terms(self) -> None:
        from cellsight.gui.dialogs.concern_terms import ConcernTermsDialog

        if self.case is None:
            return
        dialog = ConcernTermsDialog(self, analysis.terms(self.case))
        if dialog.exec():
            self.set_terms(dialog.terms())

    def set_terms(self, terms: list[str]) -> None:
        """Make ``terms`` the case's terms of concern (saved with the case) and mark the messages again."""
        analysis.set_terms(self.case, terms)
        self.ws.changed(Change.CONCERN_TERMS, self)
        self.case_changed(Change.CONCERN_TERMS)

    # ----- choosing -------------------------------------------------------------------------------
    def _thread_clicked(self) -> None:
        items = self.threads.selectedItems()
        self.choose(items[0].data(Qt.ItemDataRole.UserRole) if items else ALL)

    def choose(self, conversation: int) -> None:
        """Show one conversation (``ALL`` for every one) and select its messages everywhere."""
        index = self.index
        self.chosen = int(conversation)
        if index is None or self.chosen == ALL:
            self.publish("messages", None)
        else:
            title = index.titles[self.chosen]
            rows = index.positions[index.conversation == self.chosen]
            self.publish("messages", RowIds("events", rows, label=f"messages of {title}"))
        self.threads.blockSignals(True)
        for row in range(self.threads.count()):
            item = self.threads.item(row)
            item.setSelected(item.data(Qt.ItemDataRole.UserRole) == self.chosen)
        self.threads.blockSignals(False)
        self._show_messages()

    def conversation_titles(self) -> list[str]:
        return [] if self.index is None else list(self.index.titles)

    def selected_positions(self) -> np.ndarray:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})
        return self.model.positions[np.asarray(rows, dtype=np.int64)] if rows else np.empty(0, np.int64)

    def select_messages_everywhere(self) -> None:
        positions = self.selected_positions()
        if len(positions):
            self.publish("messages", RowIds("events", positions, label=f"{len(positions):,} chosen messages"))

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction("Select these messages everywhere", self.select_messages_everywhere)
        menu.addAction("Add to storyboard as a schedule", lambda: self.ws.commands.add_to_storyboard(self.name))
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def _read(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            self.reading.clear()
            return
        message = self.model.message(row)
        deleted = "<p style='color:#a12b1f'>Deleted on the phone; recovered by the download.</p>" \
            if message.deleted else ""
        concern = "<p style='color:#a12b1f'>Holds a term of concern.</p>" if message.concern else ""
        self.reading.setHtml(f"<p><b>{esc(message.parties)}</b><br>{esc(message.time)}</p>"
                             f"<p>{esc(message.text)}</p><p style='color:#5b6b7c'>{esc(message.footer)}</p>"
                             f"{deleted}{concern}")

    # ----- storyboard -------------------------------------------------------------------------------
    def capture(self) -> Frame | None:
        if self.case is None or self.index is None or not self.model.rowCount():
            return None
        chosen = self.selected_positions()
        positions = chosen if len(chosen) else self.model.positions[:STORYBOARD_ROWS]
        rows = analysis.schedule_rows(self.case, positions, self.names)
        what = self.index.titles[self.chosen] if self.chosen != ALL else "all conversations"
        of_concern = " of concern" if self.concern_only.isChecked() else ""
        caption = f"Schedule of messages{of_concern}: {what} ({len(rows):,})"
        parameters = {"pane": self.name, "conversation": what, "search": self._search_text,
                      "concern_only": self.concern_only.isChecked(), "terms_of_concern": list(self.terms),
                      "chosen_messages": int(len(chosen)), "messages_shown": self.model.rowCount(),
                      "zone": self.zone, **self.selection_parameters()}
        return Frame("table", caption=caption, parameters=parameters,
                     content={"columns": list(analysis.SCHEDULE_COLUMNS), "rows": rows})
