"""Terms of concern: the words every message of the case is checked for, one a line."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from cellsight.analysis.messages import DEFAULT_TERMS, clean_terms
from cellsight.gui.dialogs.common import ok_cancel


class ConcernTermsDialog(QDialog):
    def __init__(self, parent: QWidget | None, terms: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Terms of concern")
        self.setMinimumSize(420, 420)
        hint = QLabel("Messages holding any of these words are marked in red. One term a line; a term "
                      "matches at the start of a word, in any capitals (\u201cburn\u201d finds \u201cburning\u201d, "
                      "not \u201csunburn\u201d). The list is saved with the case.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.editor = QPlainTextEdit("\n".join(terms))
        defaults = QPushButton("Use the standard list")
        defaults.setToolTip("Replace the list above by Cellsight's standard terms")
        defaults.clicked.connect(lambda: self.editor.setPlainText("\n".join(DEFAULT_TERMS)))
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(defaults)
        layout.addWidget(ok_cancel(self, "Save"))

    def terms(self) -> list[str]:
        return clean_terms(self.editor.toPlainText().splitlines())
