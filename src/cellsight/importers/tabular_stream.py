"""A CSV table read in batches of rows, so that memory does not grow with the file.

``tabular.read_tables`` holds a file's bytes and all its rows at once: right for
call records (one person's, thousands of rows), wrong for a force-wide tower dump
of tens of millions of rows. This reader finds the header exactly as
``tabular`` does (the same sample, delimiter, title rows and header finder), then
lets pyarrow's streaming CSV reader parse the body a block at a time (one block
ahead, in a second thread) and hands out ``tabular.Table`` batches of at most
``batch_rows`` rows, their row numbers the lines a person sees.

It streams only what ``tabular``'s fast path would have read the same way: UTF-8
text whose lines are each one clean record. Anything else (another encoding,
classic Mac line ends, a line that is not one record, damaged bytes) raises
``Unstreamable`` - before the first batch where the file's head shows it, or at
the batch that meets it - and the caller reads the file whole with
``tabular.read_tables`` instead, which knows how to read and account for such
lines. A file is never half streamed and half read whole: the caller restarts.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cellsight.core.schema import STR
from cellsight.importers import tabular
from cellsight.importers.base import ImportFailure
from cellsight.importers.bytemarks import COUNT_BYTES, WRAP_MARKS, lf_count
from cellsight.importers.safety import check_line_lengths

BLOCK_BYTES = 8 << 20  # pyarrow's parsing block: a few MB of text at a time
SCAN_BYTES = 16 << 20  # the cheap first pass (line count, quoting marks) reads this much at a time


class Unstreamable(Exception):
    """The file cannot be read in batches; read it whole (``tabular.read_tables``)."""


@dataclass
class StreamedCsv:
    """A CSV file's header as ``tabular`` finds it, and where its data lines start."""

    path: Path
    names: list[str]
    delimiter: str
    offset: int  # byte offset of the first data line
    first_line: int  # its line number
    lines: int  # data lines after the header (pyarrow must give exactly one row each)
    title: list[str]
    skipped: list[tuple[str, str]]
    plain: bool  # no value in the file can be wrapped ('x', ="x", 9.1E+11)

    def batches(self, batch_rows: int) -> Iterator[tabular.Table]:
        """The data rows, ``batch_rows`` at a time (the first carries the title rows skipped).

        Raises Unstreamable at the first line that is not one clean record, or
        when the rows read do not match the lines counted (a quoted line break).
        """
        keys = [f"c{i}" for i in range(len(self.names))]
        done, pending, first = 0, [], True
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            try:
                # One parsing thread, a block ahead of the caller (below): pyarrow's own threads
                # cost twice the CPU for no gain in a stream.
                reader = pacsv.open_csv(
                    fh, read_options=pacsv.ReadOptions(column_names=keys, block_size=BLOCK_BYTES,
                                                       use_threads=False),
                    parse_options=pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=False,
                                                      ignore_empty_lines=False,
                                                      invalid_row_handler=lambda _row: "error"),
                    convert_options=pacsv.ConvertOptions(column_types={k: pa.large_string() for k in keys},
                                                          strings_can_be_null=True))
                for chunk in _read_ahead(reader):
                    pending.append(chunk)
                    held = sum(len(c) for c in pending)
                    while held >= batch_rows:
                        table = pa.Table.from_batches(pending)
                        out, rest = table.slice(0, batch_rows), table.slice(batch_rows)
                        yield self._table(out, done, first)
                        done, first, held = done + batch_rows, False, held - batch_rows
                        pending = rest.to_batches()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                raise Unstreamable(str(exc)) from None
        held = sum(len(c) for c in pending)
        if done + held != self.lines:
            raise Unstreamable(f"{done + held} rows in {self.lines} lines")
        if held or first:
            rest = pa.Table.from_batches(pending, schema=pa.schema([(k, pa.large_string()) for k in keys]))
            yield self._table(rest, done, first)

    def _table(self, table: pa.Table, done: int, first: bool) -> tabular.Table:
        frame = table.to_pandas(types_mapper={pa.string(): STR, pa.large_string(): STR}.get)
        frame.columns = self.names
        rows = np.arange(self.first_line + done, self.first_line + done + len(frame), dtype=np.int64)
        out = tabular.Table(frame=frame, rows=rows, header=self.names, encoding="utf-8",
                            delimiter=self.delimiter, plain=self.plain)
        if first:
            out.title, out.skipped = list(self.title), list(self.skipped)
        return out


def _read_ahead(reader: pacsv.CSVStreamingReader) -> Iterator[pa.RecordBatch]:
    """The reader's blocks, each parsed in a second thread while the caller works on the one before.

    pyarrow parses without holding the GIL, so parsing overlaps the caller's
    work; the blocks come in order, an error of the reader is raised at the
    block it stopped at, and the thread is done before this generator is.
    """
    blocks = iter(reader)
    with ThreadPoolExecutor(1, thread_name_prefix="csv-read-ahead") as pool:
        ahead = pool.submit(next, blocks, None)
        while (block := ahead.result()) is not None:
            ahead = pool.submit(next, blocks, None)
            yield block


def open_stream(path: Path, find_header: tabular.HeaderFinder) -> StreamedCsv:
    """The header of a CSV file to be read in batches; Unstreamable when it must be read whole.

    ImportFailure, as ``tabular`` gives it, for an empty file, a huge line or no
    recognisable header. One cheap pass counts the data lines and looks for the
    marks of wrapped values, a chunk at a time.
    """
    if tabular.kind_of(path) != "csv":
        raise Unstreamable("not a CSV file")
    check_line_lengths(path)  # one huge field is refused before the file is read (importers.safety)
    with open(path, "rb") as fh:
        sample = fh.read(tabular.SAMPLE_BYTES)
    if not sample or sample.isspace():
        raise Unstreamable("empty")  # read whole, which says so in its own words
    sample_text, encoding = tabular._decode_sample(sample)
    if encoding not in ("utf-8", "utf-8-sig") or ("\r" in sample_text and "\n" not in sample_text):
        raise Unstreamable(f"encoding {encoding}")
    delimiter = tabular.sniff_delimiter(sample_text)
    records = tabular._sample_records(sample_text, delimiter)
    choice = find_header([cells for _, cells in records[:tabular.HEADER_SEARCH_ROWS]])
    if choice is None:
        raise ImportFailure(f"{path.name}: no header row that Cellsight recognises in the first "
                            f"{tabular.HEADER_SEARCH_ROWS} rows; map the columns (--template) or choose "
                            "the format (--format)")
    if choice.data_start >= len(records):
        raise Unstreamable("no data row in the sample")
    first_line = records[choice.data_start][0]
    start = 3 if sample.startswith(b"\xef\xbb\xbf") else 0
    offset = tabular._line_offset(sample, first_line - 1, start)
    head = sample[:offset]
    if offset >= len(sample) or tabular.utf8_damage(head).bad:
        raise Unstreamable("header lines beyond the sample, or damaged")
    title, skipped = tabular._title_rows(records[:choice.index if choice.index is not None else choice.data_start])
    lines, plain, last = -head.count(b"\n"), True, b"\n"
    scratch = np.empty(COUNT_BYTES, dtype=bool)
    with open(path, "rb") as fh:  # the marks anywhere in the file, as ``tabular`` looks for them
        while chunk := fh.read(SCAN_BYTES):
            lines += lf_count(chunk, len(chunk), scratch)
            plain = plain and not any(mark in chunk for mark in WRAP_MARKS)
            last = chunk[-1:]
    lines += last != b"\n"
    return StreamedCsv(path, choice.names, delimiter, offset, first_line, lines, title, skipped, plain)
