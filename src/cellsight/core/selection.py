"""Selections as predicates, not row lists (glue's ``SubsetState.to_mask``).

What the analyst is looking at is a small, immutable description (a time range,
some parties, some subjects, a box on the map, some rows) that turns into a
boolean mask for *any* table of the case. Predicates combine with ``&``, ``|``
and ``~``, so a time range brushed on the timeline, a contact clicked in the
contacts pane and a box drawn on the map apply together to events, locations,
cells and contacts alike, and a million-row table is filtered with a few
vectorised comparisons rather than by carrying row lists between panes.

A predicate that says nothing about a table (a time range on the cell list,
parties on the locations) leaves it unconstrained: its mask is all True, and it
stays silent under ``~`` too, so negating "this week" does not empty the cell
list. Each predicate can be written to and read from plain JSON (``to_dict`` /
``from_dict``) so a storyboard frame records exactly what was shown.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

Tables = Mapping[str, pd.DataFrame]

# Which table a frame is, told by a column only that table has.
_SIGNATURES = (("party_a", "events"), ("key", "cells"),
               ("number", "contacts"), ("reason", "rejections"), ("action", "audit"))
_TIME_COLUMN = {"events": "start", "locations": "time", "audit": "time"}
_SUBJECT_TABLES = ("events", "locations", "contacts")


def table_name(df: pd.DataFrame) -> str:
    """The case table ``df`` is (or was cut from), from the columns it has."""
    columns = set(df.columns)
    if "time" in columns and "lat" in columns:
        return "locations"
    for column, name in _SIGNATURES:
        if column in columns:
            return name
    raise ValueError(f"not a case table (columns {sorted(columns)[:6]}...)")


def _utc(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        raise ValueError(f"time {value!r} has no zone; selections hold UTC times")
    return stamp.tz_convert("UTC")


def _bools(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


class Selection:
    """Base of every predicate: ``to_mask(df)`` for any case table, combinable with & | ~."""

    kind: ClassVar[str] = ""
    _kinds: ClassVar[dict[str, type[Selection]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Selection._kinds[cls.kind] = cls

    # ----- evaluation -----------------------------------------------------------------
    def to_mask(self, df: pd.DataFrame, table: str | None = None,
                tables: Tables | None = None, cache: MaskCache | None = None) -> np.ndarray:
        """A boolean array, one per row of ``df``: True where the row is selected.

        ``table`` names the case table ``df`` is (guessed from its columns when
        omitted); ``tables`` gives the other tables of the case, which a box on the
        map needs to place events by their cells. With a ``cache``, the masks of
        the simple predicates are reused across calls (several panes drawing one
        selection); such a mask is read-only.
        """
        name = table or table_name(df)
        mask = _evaluate(self, df, name, tables or {}, cache)
        return np.ones(len(df), dtype=bool) if mask is None else mask

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        """The mask, or None where this predicate does not constrain ``table``."""
        raise NotImplementedError

    def filter(self, df: pd.DataFrame, table: str | None = None,
               tables: Tables | None = None) -> pd.DataFrame:
        """The selected rows of ``df`` (original index kept, so rows stay traceable)."""
        return df[self.to_mask(df, table, tables)]

    # ----- algebra --------------------------------------------------------------------
    def __and__(self, other: Selection) -> Selection:
        return And.of(self, other)

    def __or__(self, other: Selection) -> Selection:
        return Or.of(self, other)

    def __invert__(self) -> Selection:
        return Not(self)

    # ----- description ----------------------------------------------------------------
    def describe(self, zone: str) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Selection:
        """Rebuild a predicate written by ``to_dict``."""
        kind = data.get("kind")
        if kind not in Selection._kinds:
            raise ValueError(f"unknown selection kind {kind!r}")
        return Selection._kinds[kind]._from_dict(data)

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        raise NotImplementedError


@dataclass(frozen=True)
class Everything(Selection):
    """No constraint: the identity of ``&``."""

    kind: ClassVar[str] = "everything"

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        return None

    def __and__(self, other: Selection) -> Selection:
        return other

    def describe(self, zone: str) -> str:
        return "everything"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls()


@dataclass(frozen=True)
class TimeRange(Selection):
    """Rows whose time lies in ``[start, end]`` (UTC, both ends included)."""

    start: pd.Timestamp
    end: pd.Timestamp
    kind: ClassVar[str] = "time"

    def __post_init__(self) -> None:
        start, end = _utc(self.start), _utc(self.end)
        if end < start:
            start, end = end, start
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        column = _TIME_COLUMN.get(table)
        if column is None or column not in df.columns:
            return None
        times = df[column]
        return _bools((times >= self.start) & (times <= self.end))

    def describe(self, zone: str) -> str:
        fmt = "%Y-%m-%d %H:%M"
        return (f"{self.start.tz_convert(zone).strftime(fmt)} – "
                f"{self.end.tz_convert(zone).strftime(fmt)}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(pd.Timestamp(data["start"]), pd.Timestamp(data["end"]))


def _frozen(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    return frozenset(str(v) for v in values)


@dataclass(frozen=True)
class Parties(Selection):
    """Communications involving ``numbers``; with ``others``, only those between the two sets.

    Numbers are compared as the case stores them (E.164 where they normalise).
    On the contacts table, the address-book entries for those numbers.
    """

    numbers: frozenset[str]
    others: frozenset[str] | None = None
    label: str = ""
    kind: ClassVar[str] = "parties"

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", _frozen(self.numbers))
        if self.others is not None:
            object.__setattr__(self, "others", _frozen(self.others))

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        if table == "contacts":
            wanted = self.numbers | (self.others or frozenset())
            return _bools(df["number"].isin(list(wanted)))
        if table != "events":
            return None
        mine = list(self.numbers)
        a_mine, b_mine = _bools(df["party_a"].isin(mine)), _bools(df["party_b"].isin(mine))
        if self.others is None:
            return a_mine | b_mine
        theirs = list(self.others)
        a_theirs, b_theirs = _bools(df["party_a"].isin(theirs)), _bools(df["party_b"].isin(theirs))
        return (a_mine & b_theirs) | (a_theirs & b_mine)

    def describe(self, zone: str) -> str:
        if self.label:
            return self.label
        text = ", ".join(sorted(self.numbers))
        return text if self.others is None else f"{text} ↔ {', '.join(sorted(self.others))}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "numbers": sorted(self.numbers),
                "others": None if self.others is None else sorted(self.others), "label": self.label}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        others = data.get("others")
        return cls(frozenset(data["numbers"]), None if others is None else frozenset(others),
                   data.get("label", ""))


class _ValuesIn(Selection):
    """Rows whose ``_column`` holds one of the selection's values, in the tables it concerns.

    Subclasses are frozen dataclasses with one frozenset field named ``_field``;
    that name is also the key of their saved form.
    """

    _field: ClassVar[str]
    _column: ClassVar[str]
    _tables: ClassVar[tuple[str, ...]]

    def _values(self) -> frozenset[str]:
        return getattr(self, self._field)

    def __post_init__(self) -> None:
        object.__setattr__(self, self._field, _frozen(self._values()))

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        if table not in self._tables or self._column not in df.columns:
            return None
        return _bools(df[self._column].isin(list(self._values())))

    def describe(self, zone: str) -> str:
        return f"{self.kind} " + ", ".join(sorted(self._values()))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, self._field: sorted(self._values())}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(frozenset(data[cls._field]))


@dataclass(frozen=True)
class Subjects(_ValuesIn):
    """Rows belonging to the named subjects (events, locations, address books)."""

    names: frozenset[str]
    kind: ClassVar[str] = "subjects"
    _field: ClassVar[str] = "names"
    _column: ClassVar[str] = "subject"
    _tables: ClassVar[tuple[str, ...]] = _SUBJECT_TABLES


@dataclass(frozen=True)
class Kinds(_ValuesIn):
    """Events of the given kinds (call, sms, chat...)."""

    kinds: frozenset[str]
    kind: ClassVar[str] = "kinds"
    _field: ClassVar[str] = "kinds"
    _column: ClassVar[str] = "kind"
    _tables: ClassVar[tuple[str, ...]] = ("events",)


@dataclass(frozen=True)
class BBox(Selection):
    """Positions inside a box of latitude and longitude (edges included).

    Locations and cells by their own coordinates; events by the site of their
    first or last cell, looked up in ``tables["cells"]`` (an event whose cells
    are not in the cell list is outside any box).
    """

    south: float
    west: float
    north: float
    east: float
    kind: ClassVar[str] = "bbox"

    def _inside(self, lat: pd.Series, lon: pd.Series) -> np.ndarray:
        lat_v = lat.to_numpy(dtype=float, na_value=np.nan)
        lon_v = lon.to_numpy(dtype=float, na_value=np.nan)
        return (lat_v >= self.south) & (lat_v <= self.north) & (lon_v >= self.west) & (lon_v <= self.east)

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        if table in ("locations", "cells"):
            return self._inside(df["lat"], df["lon"])
        if table != "events":
            return None
        cells = tables.get("cells")
        if cells is None or cells.empty:
            return np.zeros(len(df), dtype=bool)
        inside_keys = cells.loc[self._inside(cells["lat"], cells["lon"]), "key"].dropna().unique().tolist()
        return _bools(df["cell_first"].isin(inside_keys)) | _bools(df["cell_last"].isin(inside_keys))

    def describe(self, zone: str) -> str:
        return f"area {self.south:.4f},{self.west:.4f} – {self.north:.4f},{self.east:.4f}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "south": self.south, "west": self.west, "north": self.north,
                "east": self.east}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(data["south"], data["west"], data["north"], data["east"])


@dataclass(frozen=True, eq=False)
class RowIds(Selection):
    """Rows of one table by their index in the case table (tables are only ever appended)."""

    table: str
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    label: str = ""
    kind: ClassVar[str] = "rows"

    def __post_init__(self) -> None:
        rows = np.unique(np.asarray(self.rows, dtype=np.int64))
        rows.setflags(write=False)
        object.__setattr__(self, "rows", rows)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RowIds) and other.table == self.table
                and np.array_equal(other.rows, self.rows))

    def __hash__(self) -> int:
        return hash((self.table, self.rows.tobytes()))

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        if table != self.table:
            return None
        index = df.index
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            mask = np.zeros(len(df), dtype=bool)
            mask[self.rows[self.rows < len(df)]] = True
            return mask
        return np.isin(index.to_numpy(), self.rows)

    def describe(self, zone: str) -> str:
        return self.label or f"{len(self.rows)} {self.table} rows"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "table": self.table, "rows": self.rows.tolist(), "label": self.label}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(data["table"], np.asarray(data["rows"], dtype=np.int64), data.get("label", ""))


@dataclass(frozen=True)
class SourceRows(Selection):
    """Rows named by ``(source_id, source_row)``: the evidence behind a result, in any table."""

    pairs: frozenset[tuple[str, str]]
    label: str = ""
    kind: ClassVar[str] = "source_rows"

    def __post_init__(self) -> None:
        object.__setattr__(self, "pairs", frozenset((str(s), str(r)) for s, r in self.pairs))

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables) -> np.ndarray | None:
        if "source_id" not in df.columns or "source_row" not in df.columns:
            return None
        by_source: dict[str, list[str]] = {}
        for source, row in self.pairs:
            by_source.setdefault(source, []).append(row)
        mask = np.zeros(len(df), dtype=bool)
        sources = df["source_id"]
        for source, rows in by_source.items():  # a loop over distinct sources, not rows
            mask |= _bools(sources == source) & _bools(df["source_row"].isin(rows))
        return mask

    def describe(self, zone: str) -> str:
        return self.label or f"{len(self.pairs)} source rows"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "pairs": sorted([list(p) for p in self.pairs]), "label": self.label}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(frozenset(tuple(p) for p in data["pairs"]), data.get("label", ""))


@dataclass(frozen=True)
class And(Selection):
    parts: tuple[Selection, ...]
    kind: ClassVar[str] = "and"

    @classmethod
    def of(cls, left: Selection, right: Selection) -> Selection:
        if isinstance(right, Everything):
            return left
        if isinstance(left, Everything):
            return right
        parts = (left.parts if isinstance(left, And) else (left,)) + \
                (right.parts if isinstance(right, And) else (right,))
        return cls(parts)

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables,
              cache: MaskCache | None = None) -> np.ndarray | None:
        result = None
        for part in self.parts:
            mask = _evaluate(part, df, table, tables, cache)
            if mask is not None:
                result = mask if result is None else result & mask
        return result

    def describe(self, zone: str) -> str:
        return " and ".join(p.describe(zone) for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(tuple(Selection.from_dict(p) for p in data["parts"]))


@dataclass(frozen=True)
class Or(Selection):
    parts: tuple[Selection, ...]
    kind: ClassVar[str] = "or"

    @classmethod
    def of(cls, left: Selection, right: Selection) -> Selection:
        if isinstance(left, Everything) or isinstance(right, Everything):
            return Everything()
        parts = (left.parts if isinstance(left, Or) else (left,)) + \
                (right.parts if isinstance(right, Or) else (right,))
        return cls(parts)

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables,
              cache: MaskCache | None = None) -> np.ndarray | None:
        result = None
        for part in self.parts:
            mask = _evaluate(part, df, table, tables, cache)
            if mask is None:  # one unconstrained part selects every row
                return None
            result = mask if result is None else result | mask
        return result

    def describe(self, zone: str) -> str:
        return "(" + " or ".join(p.describe(zone) for p in self.parts) + ")"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(tuple(Selection.from_dict(p) for p in data["parts"]))


@dataclass(frozen=True)
class Not(Selection):
    part: Selection
    kind: ClassVar[str] = "not"

    def _mask(self, df: pd.DataFrame, table: str, tables: Tables,
              cache: MaskCache | None = None) -> np.ndarray | None:
        mask = _evaluate(self.part, df, table, tables, cache)
        return None if mask is None else ~mask

    def __invert__(self) -> Selection:
        return self.part

    def describe(self, zone: str) -> str:
        return f"not {self.part.describe(zone)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "part": self.part.to_dict()}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> Selection:
        return cls(Selection.from_dict(data["part"]))


_COMPOSITES = (And, Or, Not)


def _evaluate(sel: Selection, df: pd.DataFrame, table: str, tables: Tables,
              cache: MaskCache | None) -> np.ndarray | None:
    if isinstance(sel, _COMPOSITES):
        return sel._mask(df, table, tables, cache)
    if cache is None:
        return sel._mask(df, table, tables)
    return cache.lookup(sel, df, table, lambda: sel._mask(df, table, tables))


class MaskCache:
    """The masks of simple predicates, reused while several panes draw the same selection.

    A selection change makes every pane evaluate the hub's selection (or most
    of it) against the same million-row table; the expensive leaves (parties,
    boxes) are computed once. Keys hold the frame itself, so a replaced table
    is never confused with the old one; masks are read-only.
    """

    def __init__(self, size: int = 32) -> None:
        self._items: OrderedDict[tuple, tuple[pd.DataFrame, np.ndarray | None]] = OrderedDict()
        self._size = size

    def lookup(self, sel: Selection, df: pd.DataFrame, table: str,
               compute: Callable[[], np.ndarray | None]) -> np.ndarray | None:
        key = (sel, table, id(df))
        hit = self._items.get(key)
        if hit is not None and hit[0] is df:
            self._items.move_to_end(key)
            return hit[1]
        mask = compute()
        if mask is not None:
            mask.setflags(write=False)
        self._items[key] = (df, mask)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return mask

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
