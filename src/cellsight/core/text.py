"""Text from a suspect's phone is shown, never obeyed: invisible controls made visible.

A right-to-left override (U+202E) makes ``gnp.exe`` display as ``exe.png``, and
isolates or embeddings can reorder a name or a message in a table so that it
reads as something it is not. An escape character (ESC, or the one-byte CSI
U+009B) in a contact's name can move a terminal's cursor, recolour or erase
what an officer reads, and a carriage return can overwrite a line with another.
The case keeps every string exactly as the source wrote it; everything that
shows text to a person (the PDF, the map, the exports, the workstation's
tables, the command line) writes these controls as ``[U+202E]`` instead, so the
reader sees that they are there and what they are.

Revealed: the bidirectional controls, the C0 controls and DEL, the C1 controls
(U+0080-U+009F) and the line and paragraph separators (U+2028, U+2029). Tab,
line feed and carriage return are kept by default, since documents and
spreadsheets show them as the white space they are; the command line asks for
them to be revealed too (``keep=""``), since a terminal obeys them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pandas as pd

# Embeddings, overrides, isolates and their terminators, and the directional marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 controls, DEL, C1 controls, and the line and paragraph separators.
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f" + "".join(map(chr, range(0x80, 0xA0))) \
    + "\u2028\u2029"
WHITESPACE = "\t\n\r"  # kept by default: documents show them as white space


@lru_cache(maxsize=8)
def _pattern(keep: str) -> re.Pattern[str]:
    chars = "".join(c for c in BIDI_CONTROLS + CONTROLS if c not in keep)
    return re.compile("[" + re.escape(chars) + "]")


def reveal(text: str, keep: str = WHITESPACE) -> str:
    """``text`` with each invisible control written as ``[U+XXXX]`` (the ``keep`` ones left)."""
    pattern = _pattern(keep)
    if not pattern.search(text):
        return text
    return pattern.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)


def needs_reveal(text: str, keep: str = WHITESPACE) -> bool:
    """True when ``reveal`` would change ``text``."""
    return _pattern(keep).search(text) is not None


def reveal_any(value: Any, keep: str = WHITESPACE) -> Any:
    """``reveal`` applied to every string inside nested lists, tuples and dicts."""
    if isinstance(value, str):
        return reveal(value, keep)
    if isinstance(value, dict):
        return {reveal_any(k, keep): reveal_any(v, keep) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [reveal_any(v, keep) for v in value]
    return value


def reveal_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are revealed, computed once per distinct string."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            uniques = pd.unique(values.dropna())
            changed = {u: reveal(u) for u in uniques if isinstance(u, str) and needs_reveal(u)}
            if changed:
                out[column] = values.astype(object).map(lambda v: changed.get(v, v))
    return out
