"""Text from the case inside Qt's rich-text labels: escaped, with bidirectional controls shown.

A QLabel renders anything that looks like HTML as rich text, and names come
from a suspect's phone: a contact called ``<img src=...>`` or ``<a href=...>``
must read as those characters, not load an image or offer a link. Every value
interpolated into a rich-text label goes through ``esc``; labels that show
only plain text are set to ``Qt.TextFormat.PlainText``.
"""

from __future__ import annotations

import html
from typing import Any

from cellsight.core.text import reveal


def esc(value: Any) -> str:
    """``value`` as text safe inside Qt rich text."""
    return html.escape(reveal(str(value)), quote=True)
