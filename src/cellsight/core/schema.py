"""Canonical tables of a case: column names, dtypes and validation.

Every importer produces frames in these shapes and every analysis reads them, so
this module is the one place that says what a column is called and what it holds.
``conform`` is how a frame gets into shape (missing columns added as missing
values, every column cast to its declared dtype); ``validate`` is how a frame read
back from disk is checked before the case trusts it.

Times are ``datetime64[us, UTC]`` everywhere: microseconds are ample for phone
records and are what pandas 3 infers, so no silent unit conversions happen.
Repeated strings (kinds, subjects, sources) are categoricals to keep a
million-row case small and fast to filter.
"""

from __future__ import annotations

import weakref
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa

UTC_TIME = pd.DatetimeTZDtype(unit="us", tz="UTC")
STR = pd.StringDtype("pyarrow", na_value=np.nan)


def missing_text(index: pd.Index) -> pd.Series:
    """A ``STR`` column of nothing but missing values over ``index``.

    Made from pyarrow's all-null array: ``pd.Series(np.nan, index, dtype=STR)``
    repeats one missing value by a take over every row, ten times the cost on
    a million rows (a column no file states, in every import). Columns of one
    length share one such array while any of them lives (pyarrow arrays never
    change): an import makes several (no IMSI, no status, no subscriber of the
    rows), each otherwise a fresh block of zeroed offsets.
    """
    nulls = _NOTHING.get(len(index))
    if nulls is None:
        nulls = _NOTHING[len(index)] = pa.chunked_array([pa.nulls(len(index), pa.large_string())])
    return pd.Series(STR.__from_arrow__(nulls), index=index)


_NOTHING: weakref.WeakValueDictionary[int, pa.ChunkedArray] = weakref.WeakValueDictionary()

EVENT_KINDS = ("call", "sms", "mms", "chat", "data", "voicemail", "other")
DIRECTIONS = ("outgoing", "incoming", "forwarded", "unknown")
ORIGINS = ("gps", "wifi", "cell", "fused", "visit", "unknown", "photo")  # photo: a picture's EXIF, a video's metadata
TECHNOLOGIES = ("GSM", "UMTS", "LTE", "NR", "CDMA", "unknown")
ROLES = ("suspect", "victim", "witness", "other")

# Flags on a normalised party: what kind of string the source wrote.
NUMBER_FLAGS = (
    "valid",  # E.164, and phonenumbers says the number is valid
    "possible",  # E.164, possible but not valid (e.g. Ofcom drama numbers)
    "short_code",  # kept as written
    "alphanumeric",  # sender names like "BANK"; kept as written
    "withheld",  # -1, "withheld", "private": not passed from the network
    "blank",
    "invalid",  # kept as written
)

# Flags on a time: how it was resolved from what the source wrote.
TIME_FLAGS = ("", "dst_ambiguous", "dst_nonexistent", "implausible")


def _cat(values: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(values), ordered=False)


FREE_CATEGORY = "category"  # categories follow the data (subjects, sources, apps)

EVENTS: dict[str, object] = {
    "start": UTC_TIME,
    "duration_s": "Float64",
    "kind": _cat(EVENT_KINDS),
    "direction": _cat(DIRECTIONS),
    "party_a": STR,
    "party_b": STR,
    "party_a_raw": STR,
    "party_b_raw": STR,
    "party_a_flag": _cat(NUMBER_FLAGS),
    "party_b_flag": _cat(NUMBER_FLAGS),
    "thread": STR,  # chat or group conversation id; a message to a group counts once
    "app": FREE_CATEGORY,
    "cell_first": STR,
    "cell_last": STR,
    "imei": STR,
    "imsi": STR,
    "status": FREE_CATEGORY,
    "text": STR,
    "deleted": "boolean",
    "time_flag": _cat(TIME_FLAGS),
    "subject": FREE_CATEGORY,
    "source_id": FREE_CATEGORY,
    "source_row": STR,
}

LOCATIONS: dict[str, object] = {
    "time": UTC_TIME,
    "lat": "float64",
    "lon": "float64",
    "accuracy_m": "Float64",
    "origin": _cat(ORIGINS),
    "label": STR,
    "time_flag": _cat(TIME_FLAGS),
    "subject": FREE_CATEGORY,
    "source_id": FREE_CATEGORY,
    "source_row": STR,
}

CELLS: dict[str, object] = {
    "key": STR,
    "mcc": "Int32",
    "mnc": "Int32",
    "lac": "Int64",
    "ci": "Int64",
    "site": STR,
    "lat": "float64",
    "lon": "float64",
    "azimuth": "Float64",
    "beamwidth": "Float64",
    "range_m": "Float64",
    "technology": _cat(TECHNOLOGIES),
    # True for a serving site's position read from the operator's call records rather than a
    # cell list: kept so cell proximity works without a list, and never preferred over a list.
    "from_records": "boolean",
    "source_id": FREE_CATEGORY,
    "source_row": STR,
}

CONTACTS: dict[str, object] = {
    "number": STR,  # normalised as the parties are
    "number_raw": STR,
    "name": STR,
    "subject": FREE_CATEGORY,
    "source_id": FREE_CATEGORY,
    "source_row": STR,
}

REJECTIONS: dict[str, object] = {
    "source_id": FREE_CATEGORY,
    "row": STR,
    "reason": STR,
}

AUDIT: dict[str, object] = {
    "time": UTC_TIME,
    "user": STR,
    "action": STR,
    "details": STR,
}

TABLES: dict[str, dict[str, object]] = {
    "events": EVENTS,
    "locations": LOCATIONS,
    "cells": CELLS,
    "contacts": CONTACTS,
    "rejections": REJECTIONS,
    "audit": AUDIT,
}

# Columns that may never be missing once a row is in the case.
REQUIRED: dict[str, tuple[str, ...]] = {
    "events": ("start", "kind", "direction", "source_id", "source_row"),
    "locations": ("time", "lat", "lon", "source_id", "source_row"),
    "cells": ("key",),
    "contacts": ("number", "source_id"),
    "rejections": ("source_id", "reason"),
    "audit": ("time", "action"),
}


class SchemaError(ValueError):
    """A table does not have the shape the case requires."""


def empty(table: str) -> pd.DataFrame:
    """An empty frame with every column of ``table`` at its dtype.

    Every import result starts with one of each table: conforming takes
    milliseconds a table, a copy of the first one made takes microseconds.
    """
    return _empty(table).copy()


@lru_cache(maxsize=None)
def _empty(table: str) -> pd.DataFrame:
    return conform(pd.DataFrame(), table)  # never handed out itself: callers get copies


def conform(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``df`` with exactly the columns of ``table``, in order, at their dtypes.

    Missing columns are added as missing values; unknown columns are dropped.
    Values outside a fixed category set become missing, so callers map their
    vocabulary to the canonical words before conforming.
    """
    spec = TABLES[table]
    n = len(df)
    out = {}
    for name, dtype in spec.items():
        if name in df.columns:
            col = df[name]
        else:
            col = pd.Series([pd.NA] * n if n else [], index=df.index, dtype="object")
        out[name] = _cast(col, dtype, name)
    result = pd.DataFrame(out, index=df.index, copy=False)  # copy on write: the caller's columns are safe
    return result.reset_index(drop=True)


def _cast(col: pd.Series, dtype: object, name: str) -> pd.Series:
    if dtype is UTC_TIME or dtype == UTC_TIME:
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            return col.dt.tz_convert("UTC").astype(UTC_TIME)
        if col.isna().all():
            return pd.Series(pd.NaT, index=col.index, dtype=UTC_TIME)
        raise SchemaError(f"column {name!r} must hold zone-aware times, not {col.dtype}")
    if dtype == "boolean" and col.dtype == object:
        col = col.where(col.notna(), pd.NA)
    if isinstance(dtype, pd.CategoricalDtype) or dtype == FREE_CATEGORY:
        if isinstance(col.dtype, pd.CategoricalDtype) and (
            dtype == FREE_CATEGORY or set(col.cat.categories) <= set(dtype.categories)
        ):
            return col.cat.set_categories(dtype.categories) if dtype != FREE_CATEGORY else col
        col = col.astype(object).where(col.notna(), None)
        if isinstance(dtype, pd.CategoricalDtype):
            col = col.where(col.isin(dtype.categories), None)
    return col.astype(dtype)


def restore(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Re-cast the few columns a Parquet round trip changes, leaving the rest untouched.

    An all-missing categorical comes back from Parquet as a plain object column;
    casting only such columns keeps opening a case close to a raw Parquet read.
    """
    spec = TABLES[table]
    if df.empty:
        return empty(table)
    for name, dtype in spec.items():
        if name in df.columns and not _dtype_ok(df[name].dtype, dtype):
            col = df[name]
            if isinstance(dtype, pd.CategoricalDtype) or dtype == FREE_CATEGORY:
                if col.isna().all():  # fast path: no values to look at
                    cat = dtype if isinstance(dtype, pd.CategoricalDtype) else pd.CategoricalDtype([])
                    codes = np.full(len(col), -1, dtype=np.int8)
                    df[name] = pd.Categorical.from_codes(codes, dtype=cat)
                    continue
            df[name] = _cast(col, dtype, name)
    return df


def _dtype_ok(actual: object, dtype: object) -> bool:
    if dtype == FREE_CATEGORY:
        return isinstance(actual, pd.CategoricalDtype)
    if isinstance(dtype, pd.CategoricalDtype):
        return isinstance(actual, pd.CategoricalDtype) and set(actual.categories) <= set(dtype.categories)
    return actual == dtype


def validate(df: pd.DataFrame, table: str) -> None:
    """Raise SchemaError unless ``df`` has the columns, dtypes and required values of ``table``."""
    spec = TABLES[table]
    if list(df.columns) != list(spec):
        missing = [c for c in spec if c not in df.columns]
        extra = [c for c in df.columns if c not in spec]
        raise SchemaError(f"table {table!r}: missing columns {missing}, unexpected {extra}")
    for name, dtype in spec.items():
        actual = df[name].dtype
        if not _dtype_ok(actual, dtype):
            raise SchemaError(f"table {table!r}: column {name!r} is {actual}, expected {dtype}")
    for name in REQUIRED[table]:
        missing = int(df[name].isna().sum())
        if missing:
            raise SchemaError(f"table {table!r}: {missing} rows lack {name!r}")

