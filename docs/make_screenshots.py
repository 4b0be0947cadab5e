"""Screenshots of the workstation on the demo case, for the user guide (kept current by a script).

Runs offscreen: first grabs the start page (no case open), then builds the
demo case from the packaged exhibits through the importers, opens the main
window, does what an officer would (finds the proximity occasions, chooses
one and selects its evidence, reads the messages of the suspect and the victim
with the terms of concern, selects a week on the timeline and a contact, adds
frames to the storyboard) and grabs the window and each pane to
``docs/screenshots/*.png``, at a police laptop's 1366 × 768. The dialogs the user guide walks through (new case,
whose records, the mapping dialog, the import summary, several numbers in one
file, place, settings, export, the guided stalking case and the terms of concern)
are opened on the same case and grabbed as ``dialog-*.png``; the mapping dialog
is shown on a copy of the demo's Pennine records rewritten in a layout no
importer recognises, and the import summary holds the real reports of importing
the five demo files as a drop does (no zone stated; the location history left to
"the file says", and so refused).

    QT_QPA_PLATFORM=offscreen QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \\
        .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
SIZE = (1366, 768)  # a police laptop's screen: every pane must fit and be reachable at this size


def wait(app, condition, timeout: float = 60.0) -> None:
    """Process events until ``condition()`` is true (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the workstation did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def legacy_export(source: Path, out: Path, rows: int = 400) -> Path:
    """The first ``rows`` of the demo's Pennine records in a layout no importer recognises.

    Semicolons, German headings, times written ``20250922080054`` and house event
    codes: the kind of legacy export that needs the mapping dialog.
    """
    codes = {"MOC": "V1", "MTC": "V2", "SMS-MO": "T1", "SMS-MT": "T2", "GPRS": "D"}
    with open(source, newline="", encoding="utf-8") as fh, open(out, "w", newline="", encoding="utf-8") as oh:
        writer = csv.writer(oh, delimiter=";")
        writer.writerow(["Verbindungsbeginn", "Anschluss", "Gegenstelle", "Art", "Sekunden", "Funkzelle",
                         "Gebühr"])
        for number, row in enumerate(csv.DictReader(fh)):
            if number >= rows:
                break
            day, month, year = row["Event Date"].split("/")
            hours, minutes, seconds = (int(x) for x in row["Duration"].split(":"))
            writer.writerow([f"{year}{month}{day}{row['Event Time'].replace(':', '')}", row["Calling Number"],
                             row["Called Number"], codes.get(row["Event Type"], row["Event Type"]),
                             hours * 3600 + minutes * 60 + seconds, row["First Cell ID"], "0,09"])
    return out


def dialog_shots(window, case, shot) -> None:
    """The dialogs of the user guide, opened on the demo case and grabbed one by one."""
    from cellsight.demo import DEMO_FILES, load_answers

    from cellsight.core.case import Case
    from cellsight.gui.dialogs.import_mapping import MappingDialog
    from cellsight.gui.dialogs.import_summary import ImportSummaryDialog
    from cellsight.gui.dialogs.new_case import NewCaseDialog
    from cellsight.gui.dialogs.place import PlaceDialog
    from cellsight.gui.dialogs.report import ReportDialog
    from cellsight.gui.dialogs.offline_map import PrepareMapDialog
    from cellsight.gui.dialogs.settings import SettingsDialog
    from cellsight.gui.dialogs.subject import ChooseSubjectDialog
    from cellsight.gui.import_flow import FileOutcome
    from cellsight.importers import registry
    from cellsight.importers.api import import_file
    from cellsight.importers.base import ImportFailure

    answers = load_answers()
    info, home = answers["case"], answers["places"][0]

    def grab(name: str, dialog) -> None:
        dialog.show()
        shot(name, dialog)
        dialog.close()
        dialog.deleteLater()

    dialog = NewCaseDialog(window, window.settings)
    dialog.name.setText(info["name"])
    dialog.reference.setText(info["reference"])
    dialog.officer.setText(info["officer"])
    grab("dialog-new-case", dialog)

    history = DEMO_FILES / "holt_Records.json"
    dialog = ChooseSubjectDialog(window, case, history, registry.detect(history))
    dialog.choice.setCurrentIndex(dialog.choice.findData("Sarah Holt"))
    grab("dialog-choose-subject", dialog)

    dialog = PlaceDialog(window, case)
    dialog.name.setText(home["name"])
    dialog.lat.setValue(home["lat"])
    dialog.lon.setValue(home["lon"])
    dialog.radius.setValue(home["radius_m"])
    dialog.note.setText(home["note"])
    dialog.resize(460, dialog.sizeHint().height())  # wide enough to read the note
    grab("dialog-place", dialog)

    # The summary of dropping all five files as an officer would: each file's zone as the officer
    # answers the zone question (the demo's answers), and the location history left to "the file
    # says", which refuses it.
    fresh = Case.new(name=info["name"], tz=info["tz"], region=info["region"])
    for s in answers["subjects"]:
        fresh.set_subject(s["name"], role=s["role"], numbers=s["numbers"], imeis=s["imeis"])
    outcomes = []
    for f in answers["files"]:
        path = DEMO_FILES / f["file"]
        subject = None if path == history else f["subject"]
        try:
            report = import_file(fresh, path, subject=subject, tz=f["tz"])
        except ImportFailure as exc:
            outcomes.append(FileOutcome(path, error=str(exc)))
        else:
            outcomes.append(FileOutcome(path, report=report, warnings=list(report.get("warnings", []))))
    dialog = ImportSummaryDialog(window, case, outcomes)
    dialog.files.setCurrentItem(dialog.files.topLevelItem(1))
    grab("dialog-import-summary", dialog)

    with tempfile.TemporaryDirectory(prefix="cellsight-shots-") as folder:
        legacy = legacy_export(DEMO_FILES / "price_cdr_pennine.csv", Path(folder) / "pennine_legacy_export.csv")
        dialog = MappingDialog(window, case, legacy)
        for header, role in (("Verbindungsbeginn", "start"), ("Anschluss", "party_a"),
                             ("Gegenstelle", "party_b"), ("Art", "event"), ("Sekunden", "duration"),
                             ("Funkzelle", "cell_first")):
            dialog.set_role(header, role)
        dialog.date_format.setText("%Y%m%d%H%M%S")
        dialog.zone.setCurrentText("Europe/London")
        dialog.codes.setPlainText("V1 = call/outgoing\nV2 = call/incoming\nT1 = sms/outgoing\n"
                                  "T2 = sms/incoming\nD = data/")
        dialog.update_preview()
        grab("dialog-mapping", dialog)

    # A request by IMEI that returned two numbers' records: the workstation asks how to import it.
    from cellsight.gui.dialogs.import_targets import TargetsDialog

    targets = [{"number": "+447700900417", "rows": 1952}, {"number": "+447700900981", "rows": 214}]
    dialog = TargetsDialog(window, Path("ngm_imei_358460075531909.csv"), targets,
                           {"+447700900417": "Daniel Price"})
    grab("dialog-targets", dialog)

    from cellsight.analysis.messages import terms
    from cellsight.gui.dialogs.concern_terms import ConcernTermsDialog
    from cellsight.gui.guided import GuidedCaseWizard

    def wizard_at(page: int) -> GuidedCaseWizard:
        """The guided case filled in as the walkthrough says, at ``page`` (Next checks each page)."""
        wizard = GuidedCaseWizard(window, info["tz"], info["region"])
        wizard.restart()
        wizard.name.setText(info["name"])
        wizard.reference.setText(info["reference"])
        for fields, person in zip((wizard.suspect, wizard.victim), answers["subjects"]):
            fields.name.setText(person["name"])
            fields.numbers.setPlainText("\n".join(person["numbers"]))
            fields.imeis.setText(", ".join(person["imeis"]))
        for _ in range(page):
            wizard.next()
        wizard.lat.setValue(home["lat"])
        wizard.lon.setValue(home["lon"])
        wizard.radius.setValue(home["radius_m"])
        wizard.home_note.setText(home["note"])
        return wizard

    grab("dialog-guided-home", wizard_at(3))
    wizard = wizard_at(4)
    wizard.files.add_paths([str(DEMO_FILES / f["file"]) for f in answers["files"]])
    grab("dialog-guided-files", wizard)
    grab("dialog-terms-of-concern", ConcernTermsDialog(window, terms(case)))

    grab("dialog-settings", SettingsDialog(window, window.settings))
    grab("dialog-offline-map", PrepareMapDialog(window, case, window.settings,
                                                REPO / "sample_data" / "demo.cellsight", None))
    dialog = ReportDialog(window, case, window.settings, str(REPO / "sample_data"))  # the demo case's folder
    dialog.resize(680, dialog.sizeHint().height())  # wide enough to read the file name
    grab("dialog-export-pdf", dialog)


def offline_map(window, case) -> None:
    """A base map of the demo's area, made as an officer would ("Offline map…"), from the tests' tile
    server: generated streets, not a real map, and the attribution says so."""
    from cellsight.report import tilepack
    from tests.tile_server import TileServer

    out = Path(os.environ["CELLSIGHT_SETTINGS_DIR"]) / "larkspur-map.mbtiles"
    with TileServer() as server:
        tilepack.prepare(tilepack.case_area(case, 500), range(12, 17), tilepack.TileServer(
            server.template, "Generated test streets, not a real map", rate=1000), out, name=case.info.name)
    settings = window.settings
    settings.basemap, settings.mbtiles_path = "mbtiles", str(out)
    settings.tile_url = "https://tiles.force.example/{z}/{x}/{y}.png"
    settings.tile_attribution = "Force mapping service"


def main() -> int:
    # A throwaway settings file: screenshots show the default layout, not the user's own.
    os.environ["CELLSIGHT_SETTINGS_DIR"] = tempfile.mkdtemp(prefix="cellsight-shots-")
    sys.path.insert(0, str(REPO))  # tests.tile_server, for the base map
    from cellsight.demo import build

    from PySide6.QtCore import Qt

    from cellsight.gui.app import create_application

    app = create_application(["cellsight-screenshots"])
    from cellsight.gui.main_window import MainWindow

    case, _reports = build(case_path=None)
    case.dirty = False
    window = MainWindow()
    window.resize(*SIZE)
    window.show()
    OUT.mkdir(parents=True, exist_ok=True)

    def shot(name: str, widget=None) -> None:
        settle(app)
        (widget or window).grab().save(str(OUT / f"{name}.png"))
        print(f"wrote {OUT / name}.png")

    # The start page, as a first start shows it (one case opened before, to show the recent list)
    from cellsight.gui import settings as app_settings

    app_settings.add_recent_case(str(REPO / "sample_data" / "demo.cellsight"))
    window.start_page.fill_recent()
    shot("start-page")

    offline_map(window, case)
    window.set_case(case, None)
    map_pane = window.panes["map"]
    wait(app, lambda: map_pane._ready and not window.tasks)
    shot("main-window")
    for name in ("case", "timeline"):
        window.docks[name].raise_()
        shot(f"pane-{name}", window.docks[name])
    case_pane = window.panes["case"]  # the Sources tab, a file chosen: its full SHA-256 and rejected rows
    window.docks["case"].raise_()
    case_pane.tabs.setCurrentIndex(1)
    case_pane.sources.setCurrentRow(1)
    shot("pane-case-sources", window.docks["case"])
    case_pane.tabs.setCurrentIndex(0)
    # The events about the night the clocks went back: the repeated hour marked, with its offset
    events = window.panes["events"]
    window.docks["events"].raise_()
    flagged = next(r for r in range(events.model.rowCount()) if events.model.flag(r))
    events.view.scrollTo(events.model.index(max(flagged - 3, 0), events.model.columns.index("subject")),
                         events.view.ScrollHint.PositionAtTop)
    shot("pane-events", window.docks["events"])

    # Proximity: the suspect near the victim, then the first occasion chosen
    prox = window.panes["proximity"]
    window.docks["proximity"].raise_()
    prox.run_analysis()
    wait(app, lambda: prox.doc is not None and not window.tasks)
    wait(app, lambda: map_pane._ready and not window.tasks)
    settle(app, 1.5)
    prox.view.selectRow(0)
    prox.choose(0)
    window.docks["map"].raise_()
    shot("pane-proximity", window.docks["proximity"])
    settle(app, 1.0)
    shot("pane-map", window.docks["map"])

    # Its evidence: the map focused on the occasion (its number alone, the rest faded), then the
    # fixes of both people, in the Locations pane
    prox.select_evidence()
    window.docks["map"].raise_()
    settle(app, 1.5)
    shot("pane-map-occasion-focus", window.docks["map"])
    window.docks["locations"].raise_()
    shot("pane-locations", window.docks["locations"])
    window.clear_selection()

    # The messages between the suspect and the victim, only those of concern
    messages = window.panes["messages"]
    window.docks["messages"].raise_()
    wait(app, lambda: messages.index is not None and not window.tasks)
    messages.choose(messages.conversation_titles().index("Daniel Price ↔ Sarah Holt"))
    messages.concern_only.setChecked(True)
    threat = next(r for r in range(messages.model.rowCount()) if "burn" in messages.model.text(r))
    messages.view.setCurrentIndex(messages.model.index(threat))
    messages.view.scrollTo(messages.model.index(threat), messages.view.ScrollHint.PositionAtCenter)
    shot("pane-messages", window.docks["messages"])
    shot("main-window-messages")
    messages.concern_only.setChecked(False)
    window.clear_selection()
    window.docks["events"].raise_()

    # A week on the timeline, then the suspect's top contact
    window.panes["timeline"].fit()
    window.panes["timeline"].select_week_in_view()
    contacts = window.panes["contacts"]
    window.docks["contacts"].raise_()
    wait(app, lambda: contacts.model.rowCount() > 0 and not window.tasks)
    contacts.view.selectRow(0)
    contacts.choose_row(0)
    wait(app, lambda: contacts.pair is not None and not window.tasks)
    shot("pane-contacts", window.docks["contacts"])
    shot("main-window-selection")

    for name in ("links", "scenes"):  # the panes tabbed behind others, in turn
        window.docks[name].raise_()
        window.panes[name].ensure_fresh()
        wait(app, lambda: not window.tasks)
        shot(f"pane-{name}", window.docks[name])

    # Device findings: the monitoring app matched on the victim's phone, its evidence below
    devices = window.panes["devices"]
    window.docks["devices"].raise_()
    devices.ensure_fresh()
    wait(app, lambda: not window.tasks)
    matched = devices.tree.findItems("TheTruthSpy", Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive)
    devices.tree.setCurrentItem(matched[0])
    shot("pane-devices", window.docks["devices"])
    window.clear_selection()

    # The storyboard, built from what was on screen
    for name in ("proximity", "contacts", "timeline", "map", "case"):
        window.add_to_storyboard(name)
    board = window.panes["storyboard"]
    window.docks["storyboard"].raise_()
    board.list.setCurrentRow(1)
    shot("pane-storyboard", window.docks["storyboard"])

    dialog_shots(window, case, shot)

    window.discard_and_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
