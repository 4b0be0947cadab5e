"""The storyboard: the ordered exhibit of frames that goes to the prosecutor.

A storyboard is a list of frames, each one of five kinds (title, text, table,
chart, map) with a caption, an analyst's note, the parameters that made it and a
kind-specific ``content``. It is plain JSON-able data, kept in
``case.extras["storyboard"]`` so that it is saved in the case file with
everything else, and it is Qt-free so that the GUI's storyboard pane, the
report and the tests share one model.

Why parameters are kept on every frame: a defence expert must be able to see how
each figure was made (which subjects, which times, which method, distance,
window and gap) and make it again. Charts and maps may therefore hold only
their parameters: the report re-derives their data from the case when it is
built (``content`` without ``data``), which also keeps the case file small.
Tables are kept as the rows the analyst saw, because a table frame is a
snapshot of what was shown.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from typing import Any

FRAME_KINDS = ("title", "text", "table", "chart", "map")
CHART_KINDS = ("series", "heatmap", "links")
EXTRAS_KEY = "storyboard"
FORMAT_VERSION = 1


class StoryboardError(ValueError):
    """A frame or storyboard that does not have the shape the report needs."""


@dataclass
class Frame:
    """One frame of the storyboard.

    ``content`` by kind:

    - title: ``{"title": str, "subtitle": str}``
    - text: ``{"text": str}`` (plain text; paragraphs separated by blank lines)
    - table: ``{"columns": [str], "rows": [[str | number | None]]}``
    - chart: ``{"chart": "series", "a", "b", "by", "kinds"}`` or
      ``{"chart": "heatmap", "subject"}``; either may carry ``data`` (the
      analysis output it shows), otherwise it is re-derived from the case;
      ``{"chart": "links", "data"}`` (``analysis.linkchart.build`` output, with
      the positions shown: always a snapshot)
    - map: ``{"subjects": [str], "start": iso|None, "end": iso|None,
      "places": [str], "occasions": [{"label", "lat", "lon", "start", "end"}]}``
    """

    kind: str
    caption: str = ""
    note: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    content: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_frame(self)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Frame:
        if not isinstance(data, dict):
            raise StoryboardError(f"a frame must be an object, not {type(data).__name__}")
        unknown = set(data) - {"kind", "caption", "note", "parameters", "content"}
        if unknown:
            raise StoryboardError(f"frame has unknown fields {sorted(unknown)}")
        return cls(kind=data.get("kind", ""), caption=data.get("caption", ""),
                   note=data.get("note", ""), parameters=dict(data.get("parameters") or {}),
                   content=dict(data.get("content") or {}))


def check_frame(frame: Frame) -> None:
    """Raise StoryboardError unless ``frame`` can be rendered and saved as JSON."""
    if frame.kind not in FRAME_KINDS:
        raise StoryboardError(f"unknown frame kind {frame.kind!r}: use one of {', '.join(FRAME_KINDS)}")
    for name in ("caption", "note"):
        if not isinstance(getattr(frame, name), str):
            raise StoryboardError(f"a frame's {name} must be text")
    content = frame.content
    if frame.kind == "table":
        columns, rows = content.get("columns"), content.get("rows")
        if not isinstance(columns, list) or not isinstance(rows, list):
            raise StoryboardError("a table frame needs 'columns' and 'rows' lists")
        bad = next((i for i, r in enumerate(rows) if not isinstance(r, list) or len(r) != len(columns)), None)
        if bad is not None:
            raise StoryboardError(f"table frame row {bad + 1} does not have {len(columns)} cells")
    elif frame.kind == "chart" and content.get("chart") not in CHART_KINDS:
        raise StoryboardError(f"a chart frame needs 'chart' of {', '.join(CHART_KINDS)}")
    elif frame.kind == "chart" and content["chart"] == "links" and not isinstance(content.get("data"), dict):
        raise StoryboardError("a link chart frame needs its 'data' (nodes with positions, and edges)")
    elif frame.kind == "text" and not isinstance(content.get("text", ""), str):
        raise StoryboardError("a text frame's 'text' must be text")
    try:
        json.dumps(asdict(frame), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise StoryboardError(f"a frame must be plain JSON data ({exc})") from exc


class Storyboard:
    """An ordered list of frames with the few edits the storyboard pane makes."""

    def __init__(self, frames: list[Frame] | None = None) -> None:
        self.frames: list[Frame] = list(frames or [])

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self):
        return iter(self.frames)

    def add(self, frame: Frame, index: int | None = None) -> Frame:
        check_frame(frame)
        if index is None:
            self.frames.append(frame)
        else:
            self.frames.insert(index, frame)
        return frame

    def remove(self, index: int) -> Frame:
        return self.frames.pop(self._index(index))

    def move(self, index: int, to: int) -> None:
        """Move the frame at ``index`` so that it ends up at position ``to``."""
        frame = self.frames.pop(self._index(index))
        self.frames.insert(max(0, min(to, len(self.frames))), frame)

    def _index(self, index: int) -> int:
        if not -len(self.frames) <= index < len(self.frames):
            raise StoryboardError(f"no frame {index} (the storyboard has {len(self.frames)})")
        return index

    # ----- persistence ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "frames": [f.to_dict() for f in self.frames]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Storyboard:
        if not data:
            return cls()
        version = data.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise StoryboardError(f"storyboard written by a newer Cellsight (version {version})")
        frames = []
        for i, item in enumerate(data.get("frames", []), start=1):
            try:
                frames.append(Frame.from_dict(item))
            except StoryboardError as exc:
                raise StoryboardError(f"storyboard frame {i}: {exc}") from exc
        return cls(frames)

    @classmethod
    def load(cls, case: Any) -> Storyboard:
        """The storyboard saved in ``case`` (empty when there is none)."""
        return cls.from_dict(case.extras.get(EXTRAS_KEY))

    def save(self, case: Any) -> None:
        """Put the storyboard into ``case.extras`` and note it in the audit log (marks the case dirty)."""
        case.extras[EXTRAS_KEY] = self.to_dict()
        case.log("update storyboard", {"frames": len(self.frames),
                                       "kinds": [f.kind for f in self.frames]})
