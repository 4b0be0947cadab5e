"""The main window: owns the Case and the hub, arranges the panes, never loses work.

Panes are dock widgets that the analyst may move, tab, float and close; their
arrangement and the window geometry are saved in QSettings on close and
restored at start (View > Reset layout goes back to the default). The case is
opened and saved in workers so the window stays responsive with a million
rows; every action that would drop the open case goes through
``when_safe``, which asks to save unsaved work first. Files dropped anywhere
on the window are imported (or opened, for a ``.cellsight`` case file).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QDockWidget, QFileDialog, QInputDialog, QLabel, QLineEdit, QMainWindow, QMessageBox, QTabBar,
    QToolBar,
)

from cellsight.core.case import Case, current_user
from cellsight.core.casefile import SUFFIX, CaseChangedOnDisk, CaseFileError, is_encrypted, open_case, save_case
from cellsight.core.crypto import DecryptionError
from cellsight.core.hub import Change, SelectionChanged, SettingsChanged
from cellsight.gui import settings as app_settings
from cellsight.gui.autosave import Autosave, pending_recovery
from cellsight.gui.case_hold import CaseHold, ask_open_read_only
from cellsight.gui.panes.base import Pane
from cellsight.gui.resources import icon
from cellsight.gui.source_actions import install_banner
from cellsight.gui.start_page import StartPage
from cellsight.gui.workers import Task
from cellsight.gui.workspace import Workspace

CASE_FILTER = f"Cellsight cases (*{SUFFIX});;All files (*)"
LAYOUT_VERSION = 5  # 2: messages and locations panes; the left column runs the full height; 3: scenes, links;
# 4: panes narrow enough for a 1366 px laptop screen (a layout saved before may have pushed panes off it);
# 5: device findings


class MainWindow(QMainWindow):
    """The workstation window. ``case`` is None until one is created or opened."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        # What the panes see (case, hub, selection, settings, workers); the window is their commands.
        self.workspace = Workspace(self, app_settings.AppSettings.load(), commands=self)
        self.hub, self.bridge, self.masks = self.workspace.hub, self.workspace.bridge, self.workspace.masks
        self.autosave = Autosave(self)
        self.hold = CaseHold()  # the case's lock while this window may change it (read-only without)
        self._pending_audit: list[tuple[str, dict[str, Any]]] = []
        self._closing = False
        self._stop_wait_ms = 30_000  # how long closing waits for background work to stop
        self.import_flow: Any = None  # the import in progress, if any
        self.last_import: list[Any] = []  # outcomes of the last import, as the summary showed them
        self.setWindowIcon(icon("cellsight"))
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks)
        self.panes: dict[str, Pane] = {}
        self.docks: dict[str, QDockWidget] = {}
        self._build_panes()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._restore_layout()
        self.last_pane: Pane | None = None  # the pane the officer last clicked or typed in
        QApplication.instance().focusChanged.connect(self._focus_changed)
        self._tracking_focus = True
        self.bridge.selectionChanged.connect(self._show_selection)
        self.bridge.caseChanged.connect(lambda m: self._update_title())  # a * for unsaved changes
        self.bridge.statusMessage.connect(lambda m: self.statusBar().showMessage(m.text, m.timeout_ms))
        self._update_title()

    # The workspace holds the case, its file and the settings; the window reads and replaces them there.
    @property
    def case(self) -> Case | None:
        return self.workspace.case

    @case.setter
    def case(self, case: Case | None) -> None:
        self.workspace.case = case

    @property
    def path(self) -> Path | None:
        return self.workspace.path

    @path.setter
    def path(self, path: Path | None) -> None:
        self.workspace.path = path

    @property
    def settings(self) -> app_settings.AppSettings:
        return self.workspace.settings

    @settings.setter
    def settings(self, settings: app_settings.AppSettings) -> None:
        self.workspace.settings = settings

    @property
    def tasks(self) -> list[Task]:
        return self.workspace.workers.tasks

    # ----- construction -----------------------------------------------------------------
    def _build_panes(self) -> None:
        from cellsight.gui.panes.case import CasePane
        from cellsight.gui.panes.contacts import ContactsPane
        from cellsight.gui.panes.devices import DevicesPane
        from cellsight.gui.panes.events import EventsPane
        from cellsight.gui.panes.linkchart import LinkChartPane
        from cellsight.gui.panes.locations import LocationsPane
        from cellsight.gui.panes.map import MapPane
        from cellsight.gui.panes.messages import MessagesPane
        from cellsight.gui.panes.proximity import ProximityPane
        from cellsight.gui.panes.scenes import ScenesPane
        from cellsight.gui.panes.storyboard import StoryboardPane
        from cellsight.gui.panes.timeline import TimelinePane

        for cls in (CasePane, EventsPane, MessagesPane, LocationsPane, TimelinePane, ContactsPane, MapPane,
                    ProximityPane, StoryboardPane, ScenesPane, LinkChartPane, DevicesPane):
            pane = cls(self.workspace)
            dock = QDockWidget(pane.title, self)
            dock.setObjectName(f"dock_{pane.name}")
            dock.setWidget(pane)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            self.panes[pane.name] = pane
            self.docks[pane.name] = dock
            dock.installEventFilter(self)  # a click on a dock's title or frame marks its pane
            # A tab coming to the front is "shown" without a show event: redraw it if it is behind.
            dock.visibilityChanged.connect(
                lambda visible, p=pane: visible and QTimer.singleShot(0, p, p.refresh_if_shown))
            # Floating a dock and docking it again can leave a copy of a tab bar behind (Qt 6.12).
            dock.topLevelChanged.connect(lambda *_: QTimer.singleShot(0, self._hide_stale_tab_bars))
            dock.dockLocationChanged.connect(lambda *_: QTimer.singleShot(0, self._hide_stale_tab_bars))
        # Every pane is a dock; the central area holds only the start page, shown while no case is open.
        self.start_page = StartPage(self)
        self.setCentralWidget(self.start_page)
        self.start_page.hide()  # shown by _show_start_page; while the panes are out it takes no room
        # The left column (case, proximity, storyboard) runs the full height, beside the timeline.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._arrange_default()

    def _arrange_default(self) -> None:
        d = self.docks
        left, right, bottom = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                               Qt.DockWidgetArea.BottomDockWidgetArea)
        self.addDockWidget(bottom, d["timeline"])
        self.addDockWidget(left, d["case"])
        self.addDockWidget(right, d["events"])
        self.addDockWidget(right, d["map"])
        self.splitDockWidget(d["events"], d["map"], Qt.Orientation.Horizontal)
        for host, guest in (("case", "proximity"), ("proximity", "storyboard"), ("map", "contacts"),
                            ("events", "messages"), ("messages", "locations"), ("storyboard", "scenes"),
                            ("contacts", "links"), ("locations", "devices")):
            self.tabifyDockWidget(d[host], d[guest])
        d["case"].raise_()
        d["map"].raise_()
        d["events"].raise_()
        self._size_docks()

    def _size_docks(self) -> None:
        """The default proportions: the table widest, the timeline a band along the bottom.

        Taken from the window's own size, so a 1366 px laptop screen gets the same
        three columns as a large monitor, each as wide as its share allows.
        """
        d = self.docks
        width, height = self.width(), self.height()
        self.resizeDocks([d["case"], d["events"], d["map"]],
                         [int(width * 0.31), int(width * 0.36), int(width * 0.33)], Qt.Orientation.Horizontal)
        # The bottom area's height is set through the docks above it (resizing the timeline itself
        # is not honoured by Qt 6.12 when every pane is a dock).
        top = [d["events"], d["map"]]
        self.resizeDocks(top, [int(height * 0.64)] * len(top), Qt.Orientation.Vertical)

    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None, icon_name: str = "",
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon_name:
            action.setIcon(icon(icon_name))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda checked=False: slot())
        return action

    def _build_actions(self) -> None:
        A, K = self._action, QKeySequence.StandardKey
        self.act_new = A("&New case…", self.new_case, K.New, "new", "Start a new case")
        self.act_guided = A("New s&talking case, step by step…", self.new_guided_case, tip=(
            "Name the suspect, the victim and her home, add the files, and get the standard storyboard "
            "to review"))
        self.act_demo = A("Open the &demo case", self.open_demo, tip="An invented case to practise on")
        self.act_open = A("&Open case…", self.choose_and_open, K.Open, "open", "Open a case file")
        self.act_save = A("&Save", self.save, K.Save, "save", "Save the case")
        self.act_save_as = A("Save &as…", self.save_as, K.SaveAs)
        self.act_import = A("&Import files…", self.choose_and_import, "Ctrl+I", "import",
                            "Import call records, phone downloads, location files or cell lists "
                            "(or drop them on the window)")
        self.act_import_template = A("Import with a saved &template…", self.choose_and_import_with_template,
                                     tip="Import files laid out as a template saved from the column mapping "
                                         "says")
        self.act_export = A("Export storyboard as &PDF…", self.export_pdf, "Ctrl+E", "pdf",
                            "Write the storyboard to a PDF report")
        self.act_quit = A("&Quit", self.close, K.Quit)
        self.act_copy = A("&Copy rows", self.copy_rows, K.Copy, tip="Copy the selected table rows")
        self.act_clear = A("C&lear selection", self.clear_selection, "Esc", "clear",
                           "Show everything again")
        self.act_story = A("Add to &storyboard", self.add_to_storyboard, "Ctrl+B", "story",
                           "Add what the current pane shows to the storyboard")
        self.act_settings = A("&Settings…", self.edit_settings, K.Preferences, "settings")
        self.act_subject = A("Add or edit &subject…", self.edit_subject, tip="Name a person and their numbers")
        self.act_place = A("Add &place…", self.add_place, tip="A place that matters, with a radius")
        self.act_reset_layout = A("&Reset layout", self.reset_layout)
        self.act_about = A("&About Cellsight", self.about)
        for act in (self.act_save, self.act_save_as, self.act_import, self.act_import_template, self.act_export,
                    self.act_story, self.act_subject, self.act_place, self.act_clear, self.act_copy):
            act.setEnabled(False)
        self.act_clear.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.act_new, self.act_guided, self.act_open, self.act_demo])
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        file.addActions([self.act_save, self.act_save_as])
        file.addSeparator()
        file.addActions([self.act_import, self.act_import_template, self.act_export])
        file.addSeparator()
        file.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_copy, self.act_clear, self.act_story])
        edit.addSeparator()
        edit.addAction(self.act_settings)
        case = bar.addMenu("&Case")
        case.addActions([self.act_subject, self.act_place])
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.act_reset_layout)
        helpmenu = bar.addMenu("&Help")
        helpmenu.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("toolbar_main")
        bar.setIconSize(QSize(20, 20))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        bar.addActions([self.act_new, self.act_open, self.act_save])
        bar.addSeparator()
        bar.addActions([self.act_import])
        bar.addSeparator()
        bar.addActions([self.act_clear, self.act_story, self.act_export])
        self.addToolBar(bar)
        self.clock_banner = install_banner(self)  # a clock check that flags a source, with Re-read
        self.bridge.caseChanged.connect(  # the clock checks of what came in (an import, a re-read)
            lambda m: bool(m.what & Change.ROWS) and self.clock_banner.show_for(self.case))

    def _build_status_bar(self) -> None:
        self.case_label = QLabel()
        self.selection_label = QLabel("Showing everything")
        self.selection_label.setObjectName("selectionLabel")
        self.statusBar().addPermanentWidget(self.selection_label, 1)
        self.statusBar().addPermanentWidget(self.case_label)

    # ----- the case -----------------------------------------------------------------------
    def set_case(self, case: Case | None, path: str | os.PathLike[str] | None) -> None:
        """Show ``case`` (already loaded) in every pane; clears the selection."""
        self.case = case
        self.path = Path(path) if path else None
        self.hold.follow(self.path)
        self._pending_audit = []
        has_case = case is not None
        for act in (self.act_save, self.act_save_as, self.act_import, self.act_import_template, self.act_export,
                    self.act_story, self.act_subject, self.act_place, self.act_clear, self.act_copy):
            act.setEnabled(has_case)
        self.masks.clear()
        self.hub.clear_selection(self, announce=False)  # the old case's selection means nothing now
        self.selection_label.setText("Showing everything")
        self.workspace.changed(Change.CASE, self)
        self._update_title()
        if self.path is not None:
            app_settings.add_recent_case(str(self.path))
        self._show_start_page(not has_case)
        self.clock_banner.show_for(case)  # after the layout is restored, which sets toolbars' visibility

    def case_modified(self, change: Change, sender: object = None) -> None:
        """Call after changing the case (import, subject, storyboard): panes redraw, title shows *."""
        self.workspace.changed(change, sender or self)

    def _update_title(self) -> None:
        if self.case is None:
            self.setWindowTitle("Cellsight")
            self.case_label.setText("No case open: File > New or Open, then drop files here")
            return
        name = self.case.info.name or (self.path.stem if self.path else "Untitled case")
        where = f" — {self.path}" if self.path else " — not saved yet"
        read_only = " (read-only)" if self.hold.read_only else ""
        self.setWindowTitle(f"{name}{' *' if self.case.dirty else ''}{read_only}{where} — Cellsight")
        ev = len(self.case.events)
        self.case_label.setText(("Read-only: save changes under another name · " if read_only else "")
                                + f"{len(self.case.subjects)} subjects · {len(self.case.sources)} sources · "
                                f"{ev:,} events · {len(self.case.locations):,} fixes")

    def _show_selection(self, message: SelectionChanged) -> None:
        if self.case is None:
            return
        text = message.selection.describe(self.case.info.tz)
        self.selection_label.setText("Showing everything" if text == "everything" else f"Selection: {text}")

    # ----- never lose work --------------------------------------------------------------------
    def when_safe(self, action: Callable[[], Any]) -> None:
        """Run ``action`` once unsaved work is saved or knowingly discarded; never if cancelled."""
        self._flush_panes()
        if self.case is None or not self.case.dirty:
            action()
            return
        name = self.case.info.name or "this case"
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {name} first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            self.save(then=action)
        elif answer == QMessageBox.StandardButton.Discard:
            self.autosave.discard()
            action()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._flush_panes()
        if self._closing or self.case is None or not self.case.dirty:
            self._shutdown()
            event.accept()
            return
        event.ignore()
        self.when_safe(self._close_now)

    def _close_now(self) -> None:
        self._closing = True
        self.close()

    def stop_now(self, wait_ms: int = 2000) -> None:
        """The system asks the workstation to stop (SIGTERM, SIGHUP, log-off): no questions.

        Unsaved work goes to the recovery file (offered back when the case is next
        opened), the case's lock and holder file are released, background work is
        cancelled and given ``wait_ms`` to finish, and the window closes.
        """
        self._flush_panes()
        try:
            kept = self.autosave.write_before_stopping()
        except (OSError, CaseFileError) as exc:
            print(f"cellsight: the unsaved changes could not be kept in a recovery file: {exc}", file=sys.stderr)
        else:
            if kept is not None:
                print(f"cellsight: unsaved changes kept in {kept}; they are offered back when the case is "
                      "next opened", file=sys.stderr)
        self._closing = True
        self._stop_wait_ms = wait_ms
        self.close()

    def discard_and_close(self) -> None:
        """Close without asking (tests, and after the user chose Discard)."""
        self._closing = True
        self.autosave.discard()
        self.close()

    def _shutdown(self) -> None:
        self.autosave.stop()
        self.hold.release()
        store = app_settings.qsettings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self._dock_state if self._dock_state is not None
                       else self.saveState(LAYOUT_VERSION))
        store.sync()
        self.workspace.workers.stop(self._stop_wait_ms)
        QApplication.processEvents()
        for pane in self.panes.values():
            shutdown = getattr(pane, "shutdown", None)
            if shutdown is not None:
                shutdown()
        if self._tracking_focus:  # a second close must not disconnect twice
            self._tracking_focus = False
            QApplication.instance().focusChanged.disconnect(self._focus_changed)
        self.bridge.detach()
        self.statusBar().clearMessage()  # stops the status bar's message timer

    def _restore_layout(self) -> None:
        store = app_settings.qsettings()
        geometry, state = store.value("window/geometry"), store.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(default_size(self.screen().availableGeometry().size()))
        self._layout_restored = isinstance(state, QByteArray) and self.restoreState(state, LAYOUT_VERSION)
        self._dock_state: QByteArray | None = None  # the panes' layout, kept while the start page shows
        self._show_start_page(True)

    def _show_start_page(self, show: bool) -> None:
        """With no case open, the start page fills the window and the panes wait, hidden, in their places."""
        if show == (self._dock_state is not None):
            if show:
                self.start_page.fill_recent()
            return
        if show:
            self._dock_state = self.saveState(LAYOUT_VERSION)
            for dock in self.docks.values():
                dock.hide()
            self._hide_tab_bars()
            self.start_page.fill_recent()
            self.start_page.show()
            return
        self.start_page.hide()
        self.restoreState(self._dock_state, LAYOUT_VERSION)  # shows the tab bars it uses again
        self._dock_state = None
        if not self._layout_restored and self.isVisible():  # proportions need the real window size
            self._layout_restored = True
            QTimer.singleShot(0, self._settle_layout)

    def _hide_tab_bars(self) -> None:
        """The docks' tab bars stay up when their docks hide (and come back when the window shows)."""
        if self._dock_state is None:
            return
        for bar in self.findChildren(QTabBar):
            if bar.parent() is self:
                bar.hide()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._hide_tab_bars()
        QTimer.singleShot(0, self._hide_tab_bars)  # after the layout has placed them
        if not self._layout_restored and self._dock_state is None:  # sized once shown, with the panes out
            self._layout_restored = True
            QTimer.singleShot(0, self._settle_layout)

    def _settle_layout(self, size: QSize | None = None) -> None:
        """The default proportions; with ``size``, the window keeps it (arranging the docks again
        grows the window past a laptop's screen, Qt 6.12)."""
        self._size_docks()
        if size is not None:
            self.resize(size)
        self._hide_stale_tab_bars()

    def _hide_stale_tab_bars(self) -> None:
        """Hide dock tab bars left over from arranging (seen with Qt 6.12), which would draw twice.

        The live bar of a tabbed group sits right under its docks; a copy with
        the same tabs anywhere else is a leftover.
        """
        bars = [b for b in self.findChildren(QTabBar) if b.parent() is self and b.isVisible()]
        for bar in bars:
            names = {bar.tabText(i) for i in range(bar.count())}
            docks = [d for d in self.docks.values() if d.windowTitle() in names and d.isVisible()]
            if docks and not any(abs(d.geometry().bottom() + 1 - bar.geometry().top()) <= 2 for d in docks):
                bar.hide()

    def reset_layout(self) -> None:
        if self._dock_state is not None:
            return  # the start page is showing; the panes come back as they were when a case opens
        size = self.size()
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.setVisible(True)
        self._arrange_default()
        QTimer.singleShot(0, lambda: self._settle_layout(size))

    # ----- background work -----------------------------------------------------------------
    def run(self, title: str, fn: Callable[[Any], Any], on_success: Callable[[Any], None] | None = None,
            dialog: bool = True, on_cancel: Callable[[], None] | None = None,
            on_error: Callable[[BaseException, str], None] | None = None) -> Task:
        """Run ``fn(progress)`` in a worker with a progress dialog; errors are shown, not raised."""
        return self.workspace.run(title, fn, on_success, dialog, on_cancel, on_error)

    def _task_failed(self, exc: BaseException, details: str) -> None:
        self.workspace.workers.show_error(exc, details)

    def busy(self) -> bool:
        """An import, open, save or export is running (background refreshes do not count)."""
        return self.import_flow is not None or self.workspace.workers.busy()

    # ----- file actions ----------------------------------------------------------------------
    def new_case(self) -> None:
        from cellsight.gui.dialogs.new_case import NewCaseDialog

        def ask() -> None:
            dialog = NewCaseDialog(self, self.settings)
            if dialog.exec():
                self.set_case(dialog.make_case(), None)
                self.panes["case"].raise_dock()
        self.when_safe(ask)

    def new_guided_case(self) -> None:
        """A stalking case step by step: suspect, victim, her home, files, then a storyboard to review."""
        from cellsight.gui import guided

        self.when_safe(lambda: guided.guided_case(self, self))

    def show_pane(self, name: str) -> None:
        """Bring a pane's tab to the front."""
        self.docks[name].show()
        self.docks[name].raise_()

    def find_occasions(self, a: str, b: str) -> Task | None:
        """Find the occasions of ``a`` near ``b`` in the proximity pane (the map shows them too)."""
        return self.panes["proximity"].find(a, b)

    def open_demo(self) -> Task | None:
        """Open the demo case (in the data folder), building it from the packaged files the first time."""
        from cellsight import demo

        folder = app_settings.data_folder() / "demo"
        case_file = folder / demo.CASE_NAME
        if case_file.exists():
            self.when_safe(lambda: self.open_path(case_file))
            return None

        def build(progress: Any) -> Path:
            return demo.make_demo(folder, progress, force=True)[0]  # exhibits left by a build cut short

        def then() -> None:
            self.run("Building the demo case…", build, on_success=self.open_path)
        self.when_safe(then)
        return None

    def choose_and_open(self) -> None:
        def ask() -> None:
            path, _ = QFileDialog.getOpenFileName(self, "Open case", self.last_dir(), CASE_FILTER)
            if path:
                self.open_path(path)
        self.when_safe(ask)

    def open_path(self, path: str | os.PathLike[str], retry: str = "") -> Task | None:
        """Open a case file in a worker; the window shows it when read.

        An encrypted case asks for its password first (on the main thread; the
        key derivation and decryption run in the worker). A wrong password asks
        again, saying so, until the officer gets it right or cancels. The key
        stays on the opened case, so later saves are sealed with it.
        """
        target = Path(path)
        password: str | None = None
        if _encrypted(target):
            password = self._ask_password(target, retry)
            if password is None:
                self.statusBar().showMessage(f"{target.name} was not opened", 6000)
                return None
        try:
            lock = self.hold.lock_for(target) if target.is_file() else None
        except CaseFileError as refusal:  # held by another process, or a folder that cannot be written
            if not ask_open_read_only(self, target, refusal):
                self.statusBar().showMessage(f"{target.name} was not opened", 6000)
                return None
            lock = None

        def failed(exc: BaseException, details: str) -> None:
            if lock is not None:
                self.hold.drop(lock)
            self._open_failed(target, password, exc, details)

        return self.run(f"Opening {target.name}…", lambda progress: open_case(target, password),
                        on_success=lambda case: self._opened(case, target, lock), on_error=failed)

    def _ask_password(self, target: Path, retry: str) -> str | None:
        label = (f"{retry}\n\n" if retry else "") + f"{target.name} is encrypted. Its password:"
        text, ok = QInputDialog.getText(self, "Open encrypted case", label, QLineEdit.EchoMode.Password)
        return text if ok and text else None

    def _open_failed(self, target: Path, password: str | None, exc: BaseException, details: str) -> None:
        if password is not None and isinstance(exc.__cause__, DecryptionError) and "wrong password" in str(exc):
            self.open_path(target, retry="That password did not open the case (or the file is damaged). "
                                         "Try again, or Cancel.")
            return
        self._task_failed(exc, details)

    def _opened(self, case: Case, path: Path, lock: Any = None) -> None:
        self.set_case(case, path)
        self.hold.keep(lock)
        self.act_save.setEnabled(not self.hold.read_only)
        self._update_title()
        self._pending_audit.append(("open in workstation", {"user": current_user(), "file": str(path)}))
        if self.hold.read_only:
            self.statusBar().showMessage(f"Opened {path} read-only: save changes under another name", 10000)
            return
        self.statusBar().showMessage(f"Opened {path}", 5000)
        self.offer_recovery(path)

    def offer_recovery(self, path: Path | None) -> Task | None:
        """If the workstation stopped with unsaved work on this case, offer to bring it back."""
        recovery = pending_recovery(path)
        if recovery is None:
            return None
        when = datetime.fromtimestamp(recovery.stat().st_mtime).strftime("%d %B %Y %H:%M")
        name = path.name if path is not None else "a case not yet saved"
        answer = QMessageBox.question(
            self, "Recover unsaved work",
            f"Cellsight stopped on {when} with unsaved changes to {name}. A recovery copy was kept.\n\n"
            "Restore it? (No deletes the copy and keeps the case as it was last saved.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            recovery.unlink(missing_ok=True)
            return None
        key = self.case.key if self.case is not None else None
        origin = self.case.origin if self.case is not None else None

        def restored(case: Case) -> None:
            case.origin = origin  # the case file it belongs to, as it was opened
            case.dirty = True  # the officer's file does not hold this work until Save
            case.log("restore recovery copy", {"file": str(recovery), "user": current_user()})
            self.set_case(case, path)
            self.statusBar().showMessage("Unsaved work restored: Save to keep it", 10000)

        return self.run("Restoring unsaved work…", lambda progress: open_case(recovery, key=key),
                        on_success=restored)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = app_settings.recent_cases()
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.setEnabled(Path(path).exists())
            action.triggered.connect(lambda checked=False, p=path: self.when_safe(lambda: self.open_path(p)))

    def save(self, then: Callable[[], Any] | None = None) -> Task | None:
        if self.case is None:
            return None
        if self.path is None or self.hold.read_only:
            return self.save_as(then=then)
        return self._save_to(self.path, then)

    def save_as(self, path: str | os.PathLike[str] | None = None,
                then: Callable[[], Any] | None = None) -> Task | None:
        if self.case is None:
            return None
        if path is None:
            suggested = str(Path(self.last_dir()) / f"{self.case.info.name or 'case'}{SUFFIX}")
            chosen, _ = QFileDialog.getSaveFileName(self, "Save case as", suggested, CASE_FILTER)
            if not chosen:
                return None
            path = chosen if chosen.endswith(SUFFIX) else chosen + SUFFIX
        return self._save_to(Path(path), then)

    def _flush_panes(self) -> None:
        """Let panes store edits still being typed (a storyboard note) before the case is judged."""
        for pane in self.panes.values():
            flush = getattr(pane, "flush", None)
            if flush is not None:
                flush()

    def _save_to(self, path: Path, then: Callable[[], Any] | None) -> Task | None:
        self._flush_panes()
        try:
            lock = self.hold.lock_for(path)  # the lock of the file saved to: held from now on
        except CaseFileError as refusal:
            self._task_failed(refusal, "")
            return None
        case = self.case
        for action, details in self._pending_audit:
            case.log(action, details)
        self._pending_audit = []

        def saved(_: Any) -> None:
            self.autosave.discard()  # the recovery copy of the old name (Save As) or of this one
            self.path = path
            self.hold.keep(lock)
            self.act_save.setEnabled(True)
            self.autosave.discard()
            app_settings.add_recent_case(str(path))
            self._update_title()
            self.statusBar().showMessage(f"Saved {path}", 5000)
            if then is not None:
                then()

        def failed(exc: BaseException, details: str) -> None:
            self.hold.drop(lock)
            if isinstance(exc, CaseChangedOnDisk):
                self._offer_save_as(exc)
            else:
                self._task_failed(exc, details)

        return self.run(f"Saving {path.name}…", lambda progress: save_case(case, path), on_success=saved,
                        on_error=failed)

    def _offer_save_as(self, refusal: CaseChangedOnDisk) -> None:
        """The case changed on disk since it was opened: keep this version under another name?"""
        answer = QMessageBox.question(self, "Case changed on disk", f"{refusal}\n\nSave your version as…?",
                                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            self.save_as()

    def last_dir(self) -> str:
        return self.workspace.last_dir()

    # ----- import ----------------------------------------------------------------------------------
    def choose_and_import(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import files", self.last_dir(), "All files (*)")
        if paths:
            self.import_files(paths)

    def choose_and_import_with_template(self) -> None:
        template, _ = QFileDialog.getOpenFileName(self, "Template to read the files with", self.last_dir(),
                                                  "Templates (*.json);;All files (*)")
        if not template:
            return
        paths, _ = QFileDialog.getOpenFileNames(self, "Import files", self.last_dir(), "All files (*)")
        if paths:
            self.import_files(paths, template=template)

    def import_files(self, paths: list[str], template: str | None = None) -> Any:
        """Import ``paths`` (with the saved ``template`` for every one, if given); the import flow.

        The flow deletes itself when the last file is done (its ``destroyed`` signal says so).
        """
        from cellsight.gui.import_flow import ImportFlow

        if self.case is None:
            self.set_case(Case.new(name="Untitled case", tz=self.settings.zone, region=self.settings.region),
                          None)
        flow = ImportFlow(self, self.workspace, [Path(p) for p in paths], Path(template) if template else None)
        self.import_flow = flow
        flow.finished.connect(self._import_finished)
        flow.start()
        return flow

    def _import_finished(self, outcomes: list[Any]) -> None:
        self.import_flow = None
        self.last_import = outcomes

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if _local_files(event) and not self.busy():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if _local_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = _local_files(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        cases = [p for p in paths if p.endswith(SUFFIX)]
        if cases:
            self.when_safe(lambda: self.open_path(cases[0]))
            ignored = [Path(p).name for p in paths if p != cases[0]]
            if ignored:
                QTimer.singleShot(0, lambda: self._say_not_imported(Path(cases[0]).name, ignored))
            return
        # Let the drop finish before dialogs appear (the drag source is waiting on us).
        QTimer.singleShot(0, lambda: self.import_files(paths))

    def _say_not_imported(self, case_name: str, ignored: list[str]) -> None:
        """A case file dropped with other files is opened alone; say what was left out."""
        listed = ", ".join(ignored[:8]) + (f" and {len(ignored) - 8} more" if len(ignored) > 8 else "")
        box = QMessageBox(QMessageBox.Icon.Information, "Cellsight",
                          f"Only the case {case_name} was opened. These dropped files were not imported "
                          f"(or opened): {listed}.\n\nDrop them again once the case is open to import them "
                          "into it.", QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.drop_note = box

    # ----- other actions ----------------------------------------------------------------------------
    def export_pdf(self) -> None:
        self.panes["storyboard"].export_pdf()

    def add_to_storyboard(self, pane_name: str | None = None) -> None:
        pane = self.panes.get(pane_name) if pane_name else self._current_pane()
        self.panes["storyboard"].add_from(pane)

    def _current_pane(self) -> Pane | None:
        """The pane the officer last worked in (clicked, or gave keyboard focus), if still shown;
        else the first visible one."""
        if self.last_pane is not None and self.last_pane.isVisible():
            return self.last_pane
        visible = [p for p in self.panes.values() if p.isVisible() and p.name != "storyboard"]
        return visible[0] if visible else None

    def _note_interaction(self, widget: Any) -> None:
        """Remember the pane holding ``widget`` (the storyboard is where frames go, not a source)."""
        while widget is not None:
            if isinstance(widget, QDockWidget) and widget in self.docks.values():
                widget = widget.widget()
            if isinstance(widget, Pane):
                if widget.name != "storyboard":
                    self.last_pane = widget
                return
            widget = widget.parentWidget()

    def _focus_changed(self, old: Any, new: Any) -> None:
        self._note_interaction(new)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.FocusIn):
            self._note_interaction(watched)
        return super().eventFilter(watched, event)

    def copy_rows(self) -> None:
        """Copy the chosen rows of the table pane last worked in (the events table otherwise)."""
        pane = self._current_pane()
        (pane if hasattr(pane, "copy_selected") else self.panes["events"]).copy_selected()

    def clear_selection(self) -> None:
        self.hub.clear_selection(self)

    def edit_settings(self) -> None:
        from cellsight.gui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self, self.settings)
        if dialog.exec():
            self.settings = dialog.result_settings()
            self.settings.save()
            self.hub.publish(SettingsChanged(self, tuple(dialog.changed)))

    def edit_subject(self, name: str | None = None) -> None:
        from cellsight.gui.dialogs.subject import SubjectDialog

        if self.case is None:
            return
        dialog = SubjectDialog(self, self.case, name)
        if dialog.exec() and dialog.apply():
            self.case_modified(Change.SUBJECTS)

    def add_place(self) -> None:
        from cellsight.gui.dialogs.place import PlaceDialog

        if self.case is None:
            return
        dialog = PlaceDialog(self, self.case)
        if dialog.exec() and dialog.apply():
            self.case_modified(Change.PLACES)

    def about(self) -> None:
        from cellsight import __version__

        QMessageBox.about(self, "About Cellsight",
                          f"<b>Cellsight {__version__}</b><p>An offline analyst workstation for "
                          "stalking and harassment investigations: call records, phone downloads, "
                          "proximity and evidential storyboards.</p><p>GPL-3.0-or-later.</p>")


def default_size(available: QSize) -> QSize:
    """The window's first size: 1440 × 900, or the screen's usable area where that is smaller (a laptop)."""
    return QSize(min(1440, available.width()), min(900, available.height()))


def _encrypted(path: Path) -> bool:
    """True for an encrypted case; an unreadable file is left for ``open_case`` to report."""
    try:
        return is_encrypted(path)
    except OSError:
        return False


def _local_files(event: Any) -> list[str]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p and Path(p).is_file()]
