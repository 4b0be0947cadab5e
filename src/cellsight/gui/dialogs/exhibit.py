"""The exhibit reference of a file that is nobody's records (a cell list, a tower dump's sites).

Files of a person's records are given their reference in "Whose records are
these?"; every other file needs one too, or the report's list of exhibits
falls back to its file name. Blank keeps the file name.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget


class ExhibitDialog:
    """Asks for one file's exhibit reference."""

    @classmethod
    def ask(cls, parent: QWidget | None, path: Any, importer: Any) -> str | None:
        """The reference typed ("" for none), or None if the officer cancelled the file's import."""
        name = getattr(path, "name", str(path))
        text, ok = QInputDialog.getText(
            parent, "Exhibit reference",
            f"{name} looks like: {importer.label}.\n\nIts exhibit reference (e.g. DR/3), shown in the report's "
            "list of exhibits and beside every row taken from it. Leave it blank to use the file name.",
            QLineEdit.EchoMode.Normal, "")
        return text.strip() if ok else None
