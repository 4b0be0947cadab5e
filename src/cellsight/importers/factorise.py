"""A text column's distinct values and each row's code into them, as ``pd.factorize`` gives them.

An import asks this of several columns of a million rows (the parties, the
cells, the event codes, the dates), and hashing each row is most of its cost.
Two shapes of column are common in call records and cost less:

- values in long runs (dates in time order, one handset's IMEI): each row is
  compared with the one before, and only the runs' first values are hashed;
- few distinct values (the numbers one person calls, the cells of a town, a
  handful of event codes): after the first chunk, each row is looked up among
  the values already found (pyarrow's ``index_in``, about half the cost of its
  ``dictionary_encode``), and only a chunk's values not yet found are encoded.

Both give the codes and values of ``pd.factorize`` exactly: missing values
have code -1, and the values come in order of first appearance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core.schema import STR
from cellsight.importers.bytegrid import byte_blocks


def factorise(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values, use_na_sentinel=True)``, its codes int32 and read-only."""
    data = getattr(values.array, "_pa_array", None)
    if values.dtype == STR and data is not None and len(data):
        # pyarrow's own encoding, its int32 indices used as they come, without pandas's
        # combined copy widened to int64 and narrowed again here.
        codes, distinct = _by_runs(data) or _by_lookup(data)
        uniques = pd.Index(STR.__from_arrow__(pa.chunked_array([distinct])))
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes = codes.astype(np.int32, copy=False) if len(uniques) < 2**31 else codes
    codes.flags.writeable = False
    return codes, uniques


RUNS_SHARE = 16  # a column with fewer runs of equal values than one in this many rows is factorised by them


def _by_runs(data: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array] | None:
    """``pd.factorize`` of a text column of one width of 8-16 bytes, nothing missing, whose equal
    values come in long runs (dates in time order, one handset's IMEI): each row is compared with
    the one before as two overlapping 8-byte words, and only the runs' first values are hashed.
    Codes and distinct values (pyarrow), or None for any other column (then hashed row by row)."""
    grids = byte_blocks(data)
    if grids is None or not 8 <= grids[0].shape[1] <= 16:
        return None
    width, starts, found, last = grids[0].shape[1], [], 0, None
    for grid in grids:
        flat = grid.reshape(-1)
        words = [np.ndarray((len(grid),), dtype="<u8", buffer=flat, offset=o, strides=(width,))
                 for o in (0, width - 8)]
        local = np.flatnonzero((words[0][1:] != words[0][:-1]) | (words[1][1:] != words[1][:-1])) + 1
        if last is None or not np.array_equal(grid[0], last):  # a run begins with the chunk
            local = np.concatenate([[0], local])
        starts.append(local)
        found, last = found + len(local), grid[-1]
        if found * RUNS_SHARE > len(data):
            return None  # not a column of long runs
    heads = [bytes(row).decode("utf-8") for grid, local in zip(grids, starts) for row in grid[local]]
    first = np.concatenate([local + at for local, at in zip(starts, np.cumsum([0, *map(len, grids)]))])
    run_codes, distinct = pd.factorize(np.array(heads, dtype=object))
    codes = np.repeat(run_codes.astype(np.int32), np.diff(np.append(first, len(data))))
    return codes, pa.array(distinct, pa.large_string())


LOOKUP_SHARE = 16  # values are looked up while there are fewer distinct ones than a chunk's rows / this
MISSED_SHARE = 4  # ... and while fewer than a chunk's rows / this were not found among them


def _by_lookup(data: pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes (int32) and distinct values of a text column, chunk by chunk: the first chunk encoded,
    each later one looked up among the values found before it, its values not found encoded and put
    after them. A column of many distinct values, or of many new ones a chunk, has the rest of its
    chunks encoded together, as one (looking up would cost more than it saves)."""
    chunks = [chunk for chunk in data.chunks if len(chunk)]
    codes, known = _encoded_after(chunks[0], pa.array([], data.type))
    parts, missed = [codes], 0
    for at, chunk in enumerate(chunks[1:], 1):
        if len(known) * LOOKUP_SHARE > len(chunk) or missed * MISSED_SHARE > len(chunk):
            codes, known = _encoded_after(pa.chunked_array(chunks[at:], data.type), known)
            parts.append(codes)
            break
        found = pc.index_in(chunk, value_set=known)
        codes = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
        missed = found.null_count - chunk.null_count
        if missed:
            new = pc.and_(found.is_null(), chunk.is_valid())
            more, known = _encoded_after(chunk.filter(new), known)
            codes = codes.copy()
            codes[new.to_numpy(zero_copy_only=False)] = more
        parts.append(codes)
    return (np.concatenate(parts) if len(parts) > 1 else parts[0]), known


def _encoded_after(values: pa.Array | pa.ChunkedArray, known: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each value's code (-1: missing) into ``known`` followed by the values not in it, in order of
    first appearance; and that longer list of values."""
    encoded = values.dictionary_encode()
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    dictionary = chunks[0].dictionary  # (every chunk of an encoded column shares it)
    position = pc.index_in(dictionary, value_set=known)
    new = position.is_null().to_numpy(zero_copy_only=False)
    lookup = np.empty(len(dictionary) + 1, dtype=np.int32)  # the last for code -1, missing
    lookup[:-1] = pc.fill_null(position, -1).to_numpy(zero_copy_only=False)
    lookup[:-1][new] = len(known) + np.arange(np.count_nonzero(new), dtype=np.int32)
    lookup[-1] = -1
    indices = [pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False) for chunk in chunks]
    codes = lookup[np.concatenate(indices) if len(indices) > 1 else indices[0]]
    return codes, pa.concat_arrays([known, dictionary.filter(pa.array(new))])


def code_counts(codes: np.ndarray, distinct: int) -> np.ndarray:
    """How many rows hold each of ``distinct`` codes (code -1, missing, not counted): the codes
    counted as they are where none is missing, without first copying out the rows that are not."""
    if len(codes) and int(codes.min()) >= 0:
        return np.bincount(codes, minlength=distinct)
    return np.bincount(codes[codes >= 0], minlength=distinct)
