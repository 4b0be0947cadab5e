"""Small pieces the dialogs share: a zone chooser and an OK/Cancel button row."""

from __future__ import annotations

from zoneinfo import available_timezones

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QWidget

COMMON_ZONES = ("Europe/London", "UTC", "Europe/Dublin", "Europe/Paris", "Europe/Berlin",
                "America/New_York", "America/Chicago", "America/Los_Angeles", "Australia/Sydney")


def zone_combo(current: str, parent: QWidget | None = None, allow_blank: str = "") -> QComboBox:
    """An editable combo of IANA zones, the common ones first."""
    combo = QComboBox(parent)
    combo.setEditable(True)
    if allow_blank:
        combo.addItem(allow_blank, "")
    for zone in list(COMMON_ZONES) + sorted(available_timezones() - set(COMMON_ZONES)):
        combo.addItem(zone, zone)
    if current:
        combo.setCurrentText(current)
    return combo


def zone_value(combo: QComboBox) -> str:
    """The zone chosen (blank when the blank item is chosen)."""
    data = combo.currentData()
    if data is not None and combo.currentText() == combo.itemText(combo.currentIndex()):
        return str(data)
    return combo.currentText().strip()


def ok_cancel(dialog: QDialog, ok_text: str = "OK") -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
