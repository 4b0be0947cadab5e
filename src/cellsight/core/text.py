"""Text from a suspect's phone is shown, never obeyed: bidirectional controls made visible.

A right-to-left override (U+202E) makes ``gnp.exe`` display as ``exe.png``, and
isolates or embeddings can reorder a name or a message in a table so that it
reads as something it is not. The case keeps every string exactly as the
source wrote it; everything that shows text to a person (the PDF, the map,
the exports, the workstation's tables) writes these invisible controls as
``[U+202E]`` instead, so the reader sees that they are there and what they are.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

# Embeddings, overrides, isolates and their terminators, and the directional marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def reveal(text: str) -> str:
    """``text`` with each bidirectional control written as ``[U+XXXX]``."""
    if not _BIDI.search(text):
        return text
    return _BIDI.sub(lambda m: f"[U+{ord(m.group(0)):04X}]", text)


def reveal_any(value: Any) -> Any:
    """``reveal`` applied to every string inside nested lists, tuples and dicts."""
    if isinstance(value, str):
        return reveal(value)
    if isinstance(value, dict):
        return {reveal_any(k): reveal_any(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [reveal_any(v) for v in value]
    return value


def reveal_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are revealed, computed once per distinct string."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            uniques = pd.unique(values.dropna())
            changed = {u: reveal(u) for u in uniques if isinstance(u, str) and _BIDI.search(u)}
            if changed:
                out[column] = values.astype(object).map(lambda v: changed.get(v, v))
    return out
