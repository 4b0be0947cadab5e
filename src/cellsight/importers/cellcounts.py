"""The cells a source's events name, counted once per event, in one pass over each column.

The import's check for cells that no list places (``api.unlinked_cells``)
runs on every call-record import; on a million events it must not cost more
than a pass or two over the two cell columns. The distinct cells are found by
pyarrow over both columns at once and every event keeps its positions in that
list, so that counting and "which events name these cells" are array lookups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core.schema import STR
from cellsight.importers.factorise import code_counts
from cellsight.importers.tabular import distinct_codes


@dataclass
class NamedCells:
    """Distinct cells named by a set of events, and where each event's first and last cell is in them."""

    keys: pd.Series  # object dtype, as ``cellkeys.resolve`` takes them
    first: np.ndarray  # position (int32) in ``keys`` of each event's first cell; -1 for none
    last: np.ndarray  # the same for the last cell; -1 for none or the same cell as the first

    @property
    def events(self) -> np.ndarray:
        """How many events name each cell (an event naming one cell twice counts once)."""
        n = len(self.keys)
        return (code_counts(self.first, n) + code_counts(self.last, n)).astype("int64")

    def naming(self, chosen: np.ndarray) -> np.ndarray:
        """Which events name at least one of the cells where ``chosen`` (a mask over ``keys``) is true."""
        lookup = np.append(chosen, False)  # position -1 (no cell) reads the extra False
        return lookup[self.first] | lookup[self.last]


def named_cells(first: pd.Series, last: pd.Series) -> NamedCells:
    """The cells of ``first`` and ``last`` (cell key columns of the same events)."""
    a, b = _encoded(first), _encoded(last)
    keys = pc.unique(pa.concat_arrays([a[1], b[1]]))
    first_at, last_at = _positions(a, keys), _positions(b, keys)
    last_at[last_at == first_at] = -1  # counted once: the last cell only when it differs
    return NamedCells(pd.Series(keys.to_pylist(), dtype=object), first_at, last_at)


def _encoded(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """The column as codes into its own distinct cells (-1: missing), hashed once per column
    (``tabular.distinct_codes``: the import found them when it made the keys)."""
    codes, uniques = distinct_codes(values.astype(STR))
    return codes, pa.array(np.asarray(uniques, dtype=object), pa.large_string())


def _positions(values: tuple[np.ndarray, pa.Array], keys: pa.Array) -> np.ndarray:
    """Each row's position in ``keys`` (-1 where missing), through its own distinct cells."""
    codes, distinct = values
    lookup = np.append(pc.index_in(distinct, value_set=keys).to_numpy(zero_copy_only=False), -1)
    return lookup.astype(np.int32)[codes]  # (int32, as the codes: half the memory of int64 for a million rows)
