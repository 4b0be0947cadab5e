"""The fonts the PDF and its map images draw with, and a check that every character has a glyph.

DejaVu Sans (2.37, four faces and Sans Mono for hashes, Bitstream Vera licence
in ``resources/fonts/LICENSE``) draws arrows, dingbats (``Sarah ❤``, a contact name
in the demo) and most alphabets. It ships inside the package rather than being
looked up on the system: the fonts are embedded in every PDF, so the same case
and options give the same PDF bytes on Windows, macOS and Linux alike, and no
laptop falls back to a font with fewer glyphs. A character the font cannot
draw would print as an empty box that a reader cannot tell from any other, so
``printable`` writes it as ``[U+2764]`` instead: visible, and still traceable to
the character in the exhibit.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont

from cellsight.packagedata import resource

SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC = "CsSans", "CsSans-Bold", "CsSans-Italic", "CsSans-BoldItalic"
MONO = "CsMono"  # hashes and identifiers: embedded like the rest, never a viewer's own Courier
_FACES = {  # name: packaged file
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}


@lru_cache(maxsize=None)
def font_file(name: str = SANS) -> Path:
    """The packaged file of one face (found once: a page of small maps asks for it hundreds of times)."""
    return resource("fonts", _FACES[name])


def register() -> None:
    if SANS in pdfmetrics.getRegisteredFontNames():
        return
    for name in _FACES:
        pdfmetrics.registerFont(TTFont(name, str(font_file(name))))
    pdfmetrics.registerFont(TTFont(MONO, str(resource("fonts", "DejaVuSansMono.ttf"))))
    registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD_ITALIC)


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """Code points every face (regular, bold, italic) can draw: a character must print in all of them."""
    register()
    sets = []
    for name in _FACES:
        face = pdfmetrics.getFont(name).face
        sets.append({code for code, glyph in face.charToGlyph.items() if glyph})
    return frozenset(set.intersection(*sets))


def missing(text: str) -> list[str]:
    """The characters of ``text`` the report's fonts cannot draw (line breaks aside)."""
    glyphs = _glyphs()
    return sorted({c for c in text if ord(c) > 126 and ord(c) not in glyphs and c not in "\n\r\t"})


def printable(text: str) -> str:
    """``text`` with each character the fonts cannot draw written as ``[U+XXXX]``."""
    if text.isascii():
        return text
    glyphs = _glyphs()
    return "".join(c if ord(c) < 127 or ord(c) in glyphs or c in "\n\r\t" else f"[U+{ord(c):04X}]"
                   for c in text)
