"""A file's times state no zone: the officer says which zone they are in, or accepts an assumption.

Nothing is pre-selected: a wrong zone shifts every record by an hour from the
spring clock change, so the same call in two exhibits no longer matches and is
counted twice. The likely answer for that kind of file is suggested in words
(``importers.timebasis.LIKELY_ZONE``) and offered first in the list; reading
the times in the case's zone is possible, but it is recorded as an assumption
and printed as such in the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (QButtonGroup, QDialog, QDialogButtonBox, QLabel, QRadioButton,
                               QVBoxLayout, QWidget)

from cellsight.gui.markup import esc
from cellsight.core.timezones import ZoneError, check_zone
from cellsight.gui.dialogs.common import zone_combo, zone_value
from cellsight.importers.timebasis import LIKELY_ZONE

CHOOSE_ZONE = "Choose the zone the times are in…"
WHY = ("The file's times carry no UTC offset and the file does not say their zone. If the zone is "
       "wrong, every record from the spring clock change on is an hour out: records of the same call "
       "in two exhibits no longer match and are counted twice.")


@dataclass(frozen=True)
class ZoneChoice:
    """``tz``: the zone the officer chose; or ``assume_case_tz``: the case's zone, as an assumption."""

    tz: str | None = None
    assume_case_tz: bool = False


class ZoneChoiceDialog(QDialog):
    def __init__(self, parent: QWidget | None, path: Path, file_format: str, case_tz: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Which time zone are the times of {path.name} in?")
        likely, reason = LIKELY_ZONE.get(file_format, ("", ""))
        likely = likely or case_tz
        intro = QLabel(f"<b>{esc(path.name)}</b>: {esc(WHY)}<br><br>{esc(reason)} "
                       f"Likely: <b>{esc(likely)}</b>. Check it against the request or the covering letter.")
        intro.setWordWrap(True)
        self.stated = QRadioButton("The times are in")
        self.assumed = QRadioButton(f"Not known: read them in the case's zone ({case_tz}), marked "
                                    "as ASSUMED in the report")
        group = QButtonGroup(self)
        for button in (self.stated, self.assumed):
            group.addButton(button)
        self.zone = zone_combo("", allow_blank=CHOOSE_ZONE)
        self.zone.insertItem(1, f"{likely} (likely for this kind of file)", likely)
        self.zone.setCurrentIndex(0)
        self.zone.currentIndexChanged.connect(lambda _: self._toggle())
        self.zone.editTextChanged.connect(lambda _: self._toggle())
        group.buttonToggled.connect(lambda *_: self._toggle())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.error = QLabel("")
        layout = QVBoxLayout(self)
        for widget in (intro, self.stated, self.zone, self.assumed, self.error, self.buttons):
            layout.addWidget(widget)
        self.choice: ZoneChoice | None = None
        self._toggle()
        self.setMinimumWidth(660)
        self.adjustSize()  # the wrapped explanation takes its full height from the start

    def _zone(self) -> str:
        zone = zone_value(self.zone)
        return "" if zone == CHOOSE_ZONE else zone

    def _toggle(self) -> None:
        if self._zone() and not self.assumed.isChecked():
            self.stated.setChecked(True)
        ready = self.assumed.isChecked() or (self.stated.isChecked() and bool(self._zone()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ready)

    def accept(self) -> None:
        if self.assumed.isChecked():
            self.choice = ZoneChoice(assume_case_tz=True)
        elif self.stated.isChecked() and self._zone():
            try:
                check_zone(self._zone())
            except ZoneError as exc:
                self.error.setText(str(exc))
                return
            self.choice = ZoneChoice(tz=self._zone())
        else:
            return
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, path: Path, file_format: str, case_tz: str) -> ZoneChoice | None:
        """The officer's choice, or None if they cancelled (nothing is imported then)."""
        dialog = cls(parent, path, file_format, case_tz)
        return dialog.choice if dialog.exec() else None
