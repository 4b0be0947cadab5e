"""The workstation's report: producer and declaration in Settings, the dialog's options, a progress bar."""

from __future__ import annotations

import io

from PySide6.QtWidgets import QMessageBox, QProgressDialog
from pypdf import PdfReader

from cellsight.gui.settings import AppSettings
from cellsight.report.producer import DEFAULT_DECLARATION


def _text(path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_settings_keep_the_producer_and_the_declaration(qtbot, monkeypatch) -> None:
    from cellsight.gui.dialogs.settings import SettingsDialog

    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    dialog = SettingsDialog(None, AppSettings())
    qtbot.addWidget(dialog)
    assert dialog.declaration.toPlainText() == DEFAULT_DECLARATION
    dialog.producer_name.setText("DC Ada Example")
    dialog.producer_rank.setText("Detective Constable")
    dialog.producer_force.setText("Avon Constabulary (fictional)")
    dialog.declaration.setPlainText("I, {name}, made this {pages}-page report on {produced}; {typo}.")
    dialog.accept()
    assert dialog.result() == 0 and "{typo}" in warnings[-1]
    dialog.declaration.setPlainText("I, {name} of {force}, made this {pages}-page report.")
    dialog.accept()
    assert dialog.result() == 1
    saved = dialog.result_settings()
    assert {"producer_name", "producer_rank", "producer_force", "producer_declaration"} <= set(dialog.changed)
    saved.save()
    assert AppSettings.load().producer_overrides() == {
        "name": "DC Ada Example", "rank": "Detective Constable", "force": "Avon Constabulary (fictional)",
        "declaration": "I, {name} of {force}, made this {pages}-page report."}
    default = SettingsDialog(None, AppSettings())
    qtbot.addWidget(default)
    assert default.declaration_text() == ""  # the default wording is not frozen into the settings


def test_report_dialog_options_and_progress_bar(window, qtbot, monkeypatch, tmp_path) -> None:
    from cellsight.gui.dialogs.report import ReportDialog

    window.settings.producer_name = "DS Jo Bloggs"
    window.settings.producer_force = "Avon Constabulary (fictional)"
    out = tmp_path / "report.pdf"
    seen: dict[str, object] = {}

    def accept(dialog) -> int:
        dialog.out.setText(str(out))
        assert dialog.producer_name.text() == "DS Jo Bloggs"
        dialog.producer_rank.setText("Detective Sergeant")
        dialog.chronology_from.setText("2024-03-05")
        dialog.redact.setChecked(True)
        dialog.statement.setChecked(True)
        seen.update(dialog.options())
        return 1

    monkeypatch.setattr(ReportDialog, "exec", accept)
    monkeypatch.setattr(type(window.panes["storyboard"]), "ask_save_first", lambda self: "without")
    progress = []
    original = QProgressDialog.setValue
    monkeypatch.setattr(QProgressDialog, "setValue", lambda self, v: (progress.append((self.labelText(), v)),
                                                                      original(self, v)))
    assert window.panes["storyboard"].export_pdf() is not None
    qtbot.waitUntil(lambda: not window.tasks, timeout=180_000)
    assert seen["redact"] is True and seen["chronology_from"] == "2024-03-05"
    assert seen["producer"].described() == "DS Jo Bloggs, Detective Sergeant, Avon Constabulary (fictional)"
    pages = _text(out)
    assert "DS Jo Bloggs, Detective Sergeant, Avon Constabulary (fictional)" in pages[0]
    statement = out.with_name("report SFR1 statement.pdf")
    assert statement.exists() and "SFR1 style" in _text(statement)[0]
    assert "redaction" in window.case.extras  # the pseudonyms are kept in the case, and only there
    labels = {label for label, _ in progress}
    assert any("Drawing maps" in label for label in labels) and any("Laying out pages" in label for label in labels)


def test_settings_fit_a_laptop_screen_in_three_tabs(qtbot) -> None:
    from cellsight.gui.dialogs.settings import SettingsDialog

    dialog = SettingsDialog(None, AppSettings())
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["Cases", "Maps", "Reports"]
    assert dialog.sizeHint().height() < 700  # a 1366x768 screen, less its panel and title bar
