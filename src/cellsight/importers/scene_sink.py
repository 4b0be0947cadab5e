"""A tower dump's scene rows written to Parquet as they are read, and summed up on the way.

A dump is read in batches (``towerdump``); its rows are never all in memory, so
they go to the scene's Parquet file batch by batch, and what the scenes list
and the source record need (rows, first and last time, distinct numbers, the
cells named) is counted on the way. Row groups are always ``ROW_GROUP_ROWS``
rows (the last fewer), whatever the batches, so that the file's bytes and its
SHA-256 do not depend on how the dump was cut into batches; each batch is
counted, and each row group written, in a second thread while the next batch
is read.

The file is written beside the case under a temporary name and renamed into
place only when the whole dump has been read (``scenestore.write_rows``' rule:
whole or not at all); ``restart`` empties it when the reader must start again.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cellsight.core import scenestore
from cellsight.core.outputs import atomic_output
from cellsight.core.phone_keys import SortedKeys, e164_keys
from cellsight.core.scenestore import ROW_SCHEMA
from cellsight.core.verify import file_sha256

ROW_GROUP_ROWS = 256 * 1024  # at most this many rows (and one batch) wait to be written
MAX_LISTED_CELLS = 200
# Row groups' minimum and maximum of the times, which let a query skip the row groups outside its
# window; those of the numbers, identities and row labels (spread over every row group: no query
# skips by them) would cost a quarter of the writing.
STATISTICS = ["time", "time_us"]
# Columns whose values come from a small set (flags, kinds, the mast's cells, the source): dictionary
# pages. Numbers, identities, times and row labels are mostly distinct in a row group: building a
# dictionary for them, to drop it when it grows too big, would cost a fifth of the writing.
DICTIONARY = ["time_flag", "number_flag", "kind", "direction", "cell_first", "cell_last", "source_id"]
MERGE_NUMBERS = 1_000_000  # a batch's distinct numbers are kept apart until this many more are held


class RowSummary:
    """Rows, first and last time, distinct subscriber numbers and cells of the rows seen so far.

    Memory grows with the distinct numbers and cells, never with the rows.
    """

    def __init__(self) -> None:
        self.rows = 0
        self.first: pd.Timestamp | None = None
        self.last: pd.Timestamp | None = None
        self._e164 = SortedKeys()  # E.164 numbers, by their digits
        self._numbers: list[pa.Array] = []  # each batch's distinct other numbers, merged now and then
        self._held = 0  # numbers in ``_numbers`` (with repeats between batches)
        self._distinct = 0  # numbers after the last merge
        self.cells: set[str] = set()

    def add(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        if not table.num_rows:
            return
        low, high = pc.min_max(table["time"]).values()
        for stamp in (low.as_py(), high.as_py()):
            if stamp is None:
                continue
            stamp = pd.Timestamp(stamp)
            self.first = stamp if self.first is None or stamp < self.first else self.first
            self.last = stamp if self.last is None or stamp > self.last else self.last
        # The E.164 numbers held by their digits (a binary search, no hashing of the batches before);
        # each batch's distinct other numbers (short codes, names: few) merged now and then.
        e164, others = e164_keys(table["number"].combine_chunks())
        e164 = np.sort(pd.unique(e164))
        self._e164.add(e164[~self._e164.positions(e164)[1]])
        others = pc.unique(others)
        self._numbers.append(others)
        self._held += len(others)
        if self._held > 2 * self._distinct + MERGE_NUMBERS:  # merged once their repeats could double them
            self._merge()
        for column in ("cell_first", "cell_last"):
            self.cells.update(v for v in pc.unique(table[column]).to_pylist() if v is not None)

    def _merge(self) -> None:
        merged = pc.unique(pa.chunked_array(self._numbers, pa.string()).combine_chunks())
        self._numbers, self._held, self._distinct = [merged], len(merged), len(merged)

    @property
    def numbers(self) -> int:
        """Distinct subscriber numbers of the rows seen so far."""
        self._merge()
        return len(self._e164) + self._distinct

    def as_dict(self) -> dict[str, Any]:
        """As ``towerdump`` records it for the scenes list."""
        return {"first": self.first.isoformat() if self.first is not None else None,
                "last": self.last.isoformat() if self.last is not None else None,
                "numbers": self.numbers,
                "cells": sorted(self.cells)[:MAX_LISTED_CELLS]}


class SceneRowWriter:
    """Scene rows (``scenestore.ROW_SCHEMA``) to one Parquet file beside the case, whole or not at all.

    Use as a context manager; the file is in place (0600, in the 0700 scenes
    folder) once ``close`` has run without an error, and removed otherwise.
    """

    def __init__(self, case_path: str | os.PathLike[str], stem: str, source_id: str) -> None:
        self.source_id = source_id
        folder = scenestore.scene_folder(case_path)
        self.target = folder / f"{stem}.parquet"
        self.relative = self.target.relative_to(Path(case_path).absolute().parent).as_posix()
        self._folder = folder
        self._stack = ExitStack()
        self._tmp: Path | None = None
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []
        self._held = 0
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="scene-rows")
        self._writing: Future[None] | None = None  # at most one row group being written
        self._summary = RowSummary()
        self._summing: Future[None] | None = None  # the last batch handed to the summary

    def __enter__(self) -> SceneRowWriter:
        self._folder.mkdir(mode=0o700, exist_ok=True)
        self._tmp = self._stack.enter_context(atomic_output(self.target))
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        try:
            if kind is None:
                self._flush(final=True)
        finally:
            self._close_writer()
            self._pool.shutdown()
        self._stack.__exit__(kind, value, traceback)
        if kind is None:
            os.chmod(self.target, 0o600)
        return False

    @property
    def summary(self) -> RowSummary:
        """The summary of every row written so far (counted in the writing thread, in order)."""
        self._counted()
        return self._summary

    def _counted(self) -> None:
        """Wait until every batch handed over is counted (a failure to count is raised here)."""
        if self._summing is not None:
            self._summing.result()

    def restart(self) -> None:
        """Forget every row written: the reader starts the file again."""
        self._close_writer()
        self._counted()
        self._pending, self._held, self._summary, self._summing = [], 0, RowSummary(), None

    def _close_writer(self) -> None:
        try:
            if self._writing is not None:
                self._writing.result()
        finally:
            self._writing = None
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def write(self, table: pa.Table) -> None:
        table = table.append_column("source_id", pa.repeat(pa.scalar(self.source_id, pa.string()), table.num_rows))
        table = table.select(ROW_SCHEMA.names).cast(ROW_SCHEMA)
        self._summing = self._pool.submit(self._summary.add, table)  # the writing thread takes them in order
        self._pending.append(table)
        self._held += table.num_rows
        self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if self._held < ROW_GROUP_ROWS and not (final and (self._held or self._writer is None)):
            return
        rows = pa.concat_tables(self._pending) if self._pending else ROW_SCHEMA.empty_table()
        cut = len(rows) if final else len(rows) - len(rows) % ROW_GROUP_ROWS
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._tmp, ROW_SCHEMA, compression="zstd", write_statistics=STATISTICS,
                                           use_dictionary=DICTIONARY)
        if self._writing is not None:
            self._writing.result()  # a failure to write is raised here
        # Encoding and compressing release the GIL: the next batch is read meanwhile.
        self._writing = self._pool.submit(self._writer.write_table, rows.slice(0, cut),
                                          row_group_size=ROW_GROUP_ROWS)
        rest = rows.slice(cut)
        self._pending, self._held = ([rest] if len(rest) else []), len(rest)

    def sha256(self) -> str:
        """The finished file's SHA-256 (after the ``with`` block)."""
        return file_sha256(self.target)
