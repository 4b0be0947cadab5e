"""Reading tables as operators and analysts send them: CSV of any dialect, XLSX and XLS.

Operators' exports are not tidy: a logo or title above the header, blank rows,
a totals row below the data, semicolons or tabs, cp1252 or UTF-16 text. This
module turns any of them into ``Table``s: the data as text columns named by the
header, each row labelled with the number a person would look for (the 1-based
line of a CSV, the Excel row number), and an account of the rows that are not
data (title, blank, repeated header, totals) or are broken (wrong field count).
What the columns *mean* is not decided here: the importer supplies a header
finder that scores candidate header rows with its own vocabulary.

CSV is parsed by pyarrow (multi-threaded, the floor of the import benchmark)
when every physical line is one record, which is what lets row numbers be
positional; anything else (a quoted newline, a row with the wrong number of
fields) falls back to Python's csv module, which is slower but exact.

Text that is UTF-8 but for a few damaged bytes stays UTF-8: each bad sequence
becomes U+FFFD and a warning names its line, so one bad byte never turns every
"Zoë" in the file into "ZoÃ«". Only a file whose non-ASCII bytes are mostly
not UTF-8 is read in a legacy code page (the one charset-normalizer names).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cellsight.core.schema import STR, missing_text
from cellsight.importers.base import ImportFailure, ImportResult
from cellsight.importers import filepass
from cellsight.importers.bytemarks import ByteMarks
from cellsight.importers.bytegrid import byte_grid, value_offsets
from cellsight.importers.factorise import factorise

SAMPLE_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 60
DELIMITERS = (",", ";", "\t", "|")
_NOT_SPACE = re.compile(rb"\S")
EXCEL_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}

_SUMMARY = re.compile(
    r"^\s*(grand\s+)?(sub\s*)?(total|totals|sum|summary|count|number of|records?\b|rows?\b"
    r"|end of|report (generated|end|printed)|generated (on|by)|page \d|\*{3}|-{3}|={3}"
    r"|(\w+\s+){1,3}(count|total)\s*[:=]"  # "CDR COUNT : 1", "Total Records :"
    r"|(note\s*:?-?\s*)?(this is )?(a )?system generated|no records? found)",
    re.I)
_TOTALS = re.compile(r"total|count|sum\b|summary|number of|^\s*(?:records?|rows?)\b", re.I)


@dataclass
class HeaderChoice:
    """Where the header is among the first rows of a sheet, and the column names to use.

    ``index`` is the header row's position in the rows given to the finder, or
    None for a headerless layout whose data starts at ``data_start``.
    """

    index: int | None
    names: list[str]
    data_start: int


HeaderFinder = Callable[[list[list[str]]], HeaderChoice | None]
# Reads a table's first rows the way the importer will read them all; raises ImportFailure
# to stop a file before the rest is parsed (see ``probe_head``).
HeadProbe = Callable[["Table"], None]


@dataclass
class Table:
    """One sheet's data as text, with row labels and what was set aside."""

    frame: pd.DataFrame  # text columns (schema.STR), missing for an empty cell
    rows: np.ndarray  # int row numbers a person sees (CSV line, Excel row)
    header: list[str]
    sheet: str = ""
    prefix: str = ""  # "Sheet2!" when a workbook gives data on several sheets
    title: list[str] = field(default_factory=list)  # text of the rows above the header
    skipped: list[tuple[str, str]] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)  # rows that cannot be read
    encoding: str = ""
    delimiter: str = ""
    warnings: list[str] = field(default_factory=list)  # e.g. lines with bytes that are not UTF-8
    plain: bool = False  # no value can be wrapped ('x', ="x", 9.1E+11): the file's bytes hold none
    quotes_only: bool = False  # a quoted CSV with no other mark of wrapping, and no e or E in its body:
    # only a value that begins with a quote (after white space) can be wrapped (ByteMarks)

    def labels(self, positions: np.ndarray | None = None) -> pd.Series:
        """Row labels as text (``"14"``, ``"Calls!14"``) for the given positions (default all)."""
        rows = self.rows if positions is None else self.rows[positions]
        text = pc.cast(pa.array(rows, pa.int64()), pa.large_string())
        if self.prefix:
            text = pc.binary_join_element_wise(pa.scalar(self.prefix, pa.large_string()), text,
                                               pa.scalar("", pa.large_string()))
        return pd.Series(STR.__from_arrow__(pa.chunked_array([text], pa.large_string())))


# ----- reading ---------------------------------------------------------------------------
def kind_of(path: Path) -> str:
    """``xlsx``, ``xls`` or ``csv`` (anything else is read as delimited text)."""
    suffix = EXCEL_SUFFIXES.get(path.suffix.lower())
    if suffix:
        return suffix
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


_PEEKS: ContextVar[dict[tuple[Path, int], list[tuple[str, list[list[str]]]]] | None] = \
    ContextVar("cellsight_peeks", default=None)


@contextmanager
def peeks_shared() -> Iterator[None]:
    """Within this block a file's first rows are read once, however many sniffers ask
    (``registry.detect`` asks every importer, and several look at the same rows)."""
    token = _PEEKS.set({})
    try:
        yield
    finally:
        _PEEKS.reset(token)


def peek(path: Path, max_rows: int = HEADER_SEARCH_ROWS) -> list[tuple[str, list[list[str]]]]:
    """The first rows of each sheet as text, cheaply: what sniffers look at (each caller gets
    its own lists)."""
    shared = _PEEKS.get()
    if shared is None:
        return _peek(path, max_rows)
    if (path, max_rows) not in shared:
        shared[(path, max_rows)] = _peek(path, max_rows)
    return [(name, [list(cells) for cells in rows]) for name, rows in shared[(path, max_rows)]]


def _peek(path: Path, max_rows: int) -> list[tuple[str, list[list[str]]]]:
    kind = kind_of(path)
    if kind == "xlsx":
        return [(name, [cells for _, cells in rows]) for name, rows in _xlsx_rows(path, max_rows)]
    if kind == "xls":
        return [(name, [cells for _, cells in rows]) for name, rows in _xls_rows(path, max_rows)]
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    text, _ = _decode_sample(sample)
    delimiter = sniff_delimiter(text)
    return [("", [cells for _, cells in _sample_records(text, delimiter)][:max_rows])]


def read_tables(path: Path, find_header: HeaderFinder, *, delimiter: str | None = None,
                encoding: str | None = None,
                probe: HeadProbe | None = None) -> tuple[list[Table], list[str]]:
    """Every sheet of ``path`` whose header ``find_header`` recognises; plus warnings.

    ``probe`` is given the first ``PROBE_ROWS`` data rows of each table before
    the rest is read (a CSV body is parsed only after it), so that an importer
    can stop a file of junk early. Raises ImportFailure when no sheet has a
    recognisable header.
    """
    kind = kind_of(path)
    warnings: list[str] = []
    if kind == "csv":
        tables = [_read_csv(path, find_header, delimiter, encoding, probe)]
        warnings.extend(tables[0].warnings)
    else:
        reader = _xlsx_rows if kind == "xlsx" else _xls_rows
        tables = []
        for name, rows in reader(path, None):
            table = _sheet_table(name, rows, find_header, probe)
            if table is None:
                if any(any(c for c in cells) for _, cells in rows):
                    warnings.append(f"sheet {name!r} has no recognisable header; not read")
                continue
            tables.append(table)
        if len(tables) > 1:
            for table in tables:
                table.prefix = f"{table.sheet}!"
                table.skipped = [(f"{table.prefix}{row}", reason) for row, reason in table.skipped]
                table.broken = [(f"{table.prefix}{row}", reason) for row, reason in table.broken]
    tables = [t for t in tables if t is not None]
    if not tables:
        raise ImportFailure(f"{path.name}: no header row that Cellsight recognises in the first "
                            f"{HEADER_SEARCH_ROWS} rows; map the columns (--template) or choose the format (--format)")
    return tables, warnings


def _sheet_table(name: str, rows: list[tuple[int, list[str]]], find_header: HeaderFinder,
                 probe: HeadProbe | None = None) -> Table | None:
    """A Table from a sheet's rows (Excel), using the finder on its first rows."""
    choice = find_header([cells for _, cells in rows[:HEADER_SEARCH_ROWS]])
    if choice is None:
        return None
    if probe is not None and len(rows) - choice.data_start > PROBE_ROWS:
        head = _sheet_table(name, rows[:choice.data_start + PROBE_ROWS], lambda _rows: choice)
        if head is not None:
            probe(head)
    start = choice.data_start
    title_rows = rows[:choice.index if choice.index is not None else start]
    width = len(choice.names)
    data = rows[start:]
    grid = [(cells + [""] * width)[:width] for _, cells in data]
    frame = pd.DataFrame(grid, columns=range(width), dtype=object) if grid else \
        pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
    frame.columns = choice.names
    frame = _blank_as_missing(frame)
    broken = []
    extra = [(row, cells) for row, cells in data if len(cells) > width and any(cells[width:])]
    if extra:
        keep = ~pd.Series([row for row, _ in data]).isin([row for row, _ in extra]).to_numpy()
        broken = [(str(row), f"{sum(1 for c in cells if c)} values beyond the header's "
                   f"{width} columns") for row, cells in extra]
        frame = frame[keep].reset_index(drop=True)
        data = [d for d, k in zip(data, keep) if k]
    table = Table(frame=frame, rows=np.array([row for row, _ in data], dtype=np.int64),
                  header=choice.names, sheet=name)
    table.title, table.skipped = _title_rows(title_rows)
    table.broken = broken
    return table


def _title_rows(rows: list[tuple[int, list[str]]]) -> tuple[list[str], list[tuple[str, str]]]:
    title, skipped = [], []
    for row, cells in rows:
        text = " ".join(c.strip() for c in cells if c.strip())
        if text:
            title.append(text)
        skipped.append((str(row), "title row" if text else "blank row"))
    return title, skipped


# ----- CSV -------------------------------------------------------------------------------
def _decode_sample(sample: bytes) -> tuple[str, str]:
    """Decode the start of a file; returns ``(text, encoding)``."""
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    if len(sample) == SAMPLE_BYTES:
        # The sample may end mid-line; drop the partial last line.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[:cut + 1]
    return text.lstrip("\ufeff"), encoding


def detect_encoding(sample: bytes) -> str:
    """BOM first, then UTF-16 without BOM, then UTF-8 (a few damaged bytes allowed), then
    charset-normalizer."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = sample[:4096]
    if len(head) >= 4 and head.count(b"\x00") > len(head) // 4:
        evens = head[0::2].count(b"\x00")
        return "utf-16-be" if evens > head[1::2].count(b"\x00") else "utf-16-le"
    if utf8_damage(sample, final=len(sample) < SAMPLE_BYTES).is_utf8:
        return "utf-8"
    return legacy_encoding(sample)


def legacy_encoding(data: bytes) -> str:
    """The single-byte code page charset-normalizer reads in the lines holding non-ASCII bytes."""
    from charset_normalizer import from_bytes

    lines = [line for line in data.splitlines() if max(line, default=0) >= 0x80]
    best = from_bytes(b"\n".join(lines)[:16384] or data[:16384]).best()
    name = best.encoding if best is not None else "cp1252"
    return "cp1252" if name in ("ascii", "utf_8") else name


@dataclass
class Utf8Damage:
    """How far bytes are UTF-8: valid non-ASCII characters, and where the bad sequences are."""

    valid: int
    bad: list[int]  # byte offsets of sequences that are not UTF-8
    stopped: bool = False  # counting stopped early: clearly not UTF-8

    @property
    def is_utf8(self) -> bool:
        """UTF-8 when it has no bad sequence, or more valid non-ASCII characters than bad ones."""
        return not self.bad or (not self.stopped and self.valid > len(self.bad))


_DAMAGE_CHUNK = 1024**2
_DAMAGE_ENOUGH = 1000  # bad sequences outnumbering valid characters this far: clearly not UTF-8


def utf8_damage(data: bytes, final: bool = True) -> Utf8Damage:
    """Count valid non-ASCII characters and find the bad sequences of ``data`` read as UTF-8.

    Unless ``final``, a sequence cut by the end of the data (a sample's last
    bytes) is not bad. Linear in the data and cheap for valid UTF-8 (the C
    decoder, a megabyte at a time).
    """
    view = memoryview(data)
    valid, bad, pos, size = 0, [], 0, len(data)
    while pos < size:
        chunk = view[pos:pos + _DAMAGE_CHUNK]
        try:
            text, used = codecs.utf_8_decode(chunk, "strict", final and pos + len(chunk) >= size)
        except UnicodeDecodeError as exc:
            text, _ = codecs.utf_8_decode(chunk[:exc.start], "strict", True)
            bad.append(pos + exc.start)
            used = exc.end
        if not used:
            break  # a sequence cut by the end of the data
        valid += len(text) - len(text.encode("ascii", "ignore"))
        pos += used
        if len(bad) > _DAMAGE_ENOUGH and len(bad) > valid:
            return Utf8Damage(valid, bad, stopped=True)
    return Utf8Damage(valid, bad)


def _damage_warnings(raw: bytes, bad: list[int], listed: int = 20) -> list[str]:
    """One warning per line holding bytes that are not UTF-8 (the first ``listed`` lines)."""
    lines: list[int] = []
    line, counted = 1, 0
    for offset in bad:
        line += raw.count(b"\n", counted, offset)
        counted = offset
        if not lines or lines[-1] != line:
            lines.append(line)
    shown = [f"line {n}: bytes that are not UTF-8 shown as U+FFFD (the rest of the file is "
             "UTF-8)" for n in lines[:listed]]
    if len(lines) > listed:
        shown.append(f"{len(lines) - listed} more lines with bytes that are not UTF-8")
    return shown


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the sample's lines into the most consistent field count."""
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        counts = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        values, freq = np.unique(counts, return_counts=True)
        modal = int(values[np.argmax(freq)])
        if modal < 2:
            continue
        score = freq.max() * np.log2(modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _sample_records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """``(line number where the record starts, cells)`` for each record of a text sample."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out, line = [], 1
    try:
        for cells in reader:
            out.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        pass  # a broken quote at the end of a sample; the full read deals with it
    return out


def _read_csv(path: Path, find_header: HeaderFinder, delimiter: str | None,
              encoding: str | None, probe: HeadProbe | None = None) -> Table:
    start, head = None, filepass.read_head(path)  # the first MBs, while the file's pass runs
    if head is not None:
        try:
            start = _csv_start(head, len(head) < filepass.HEAD_BYTES, path, find_header, delimiter,
                               encoding, probe)
        except Exception:
            filepass.check_lines(path)  # a line too long is refused first, as when the file came whole
            raise
    ahead = filepass.passing(path)
    parsed = _from_the_file(ahead, head, start) if ahead is not None and head is not None \
        and start is not None else None
    if parsed is None:
        parsed = _from_bytes(path, head, start, find_header, delimiter, encoding, probe)
    table, start, lead, body, found = parsed
    if start.encoding in ("utf-8", "utf-8-sig") and not table.warnings:
        table.warnings = _damage_warnings(lead, utf8_damage(lead[:body]).bad)  # in the title and header lines
    table.title = start.title
    table.skipped = start.skipped + table.skipped
    table.encoding, table.delimiter = start.encoding, start.delimiter
    table.plain, table.quotes_only = found.plain, found.quotes_only  # unwrapping skipped, or asked cheaply
    return table


# A parsed CSV: its table, what its first bytes decided, the bytes up to its body (at least),
# where its body begins, and its marks.
_Parsed = tuple[Table, "_CsvStart", bytes, int, ByteMarks]


def _from_the_file(ahead: filepass.FilePass, head: bytes, start: _CsvStart) -> _Parsed | None:
    """A large UTF-8 CSV's body parsed by pyarrow from the file itself, each line one record,
    the marks from the file's pass; None when the bytes are needed whole (another code page,
    classic Mac line ends, a line that is not one clean record, bytes that are not UTF-8)."""
    if len(head) < filepass.HEAD_BYTES or start.mac or start.encoding not in ("utf-8", "utf-8-sig"):
        return None
    body = _line_offset(head, start.first_data_line - 1, 3 if head.startswith(codecs.BOM_UTF8) else 0)
    ahead.check_lines()  # a line too long is refused before the file is parsed
    plain_text = head.isascii()  # then UTF-8 is checked after the parse, and only if the pass finds a byte above 127
    with ahead.reopen(pa.OSFile) as source:
        source.seek(body)
        fast = _pyarrow_read(source, start.delimiter, start.choice.names, check_utf8=not plain_text)
    if fast is None or not fast.num_rows:  # (no records from 4 MB and more: as the bytes read whole say)
        return None
    scan = ahead.scan.result()
    if plain_text and not scan.ascii and not _valid_utf8(fast):
        return None
    found = scan.marks(body)
    if not _one_record_a_line(fast.num_rows, found, lambda: found.lines - head.count(b"\n", 0, body),
                              not scan.ends_with_lf):
        return None
    ahead.unchanged()  # the digest is of the bytes parsed
    return _text_table(fast, start.choice.names, start.first_data_line), start, head, body, found


def _from_bytes(path: Path, head: bytes | None, start: _CsvStart | None, find_header: HeaderFinder,
                delimiter: str | None, encoding: str | None, probe: HeadProbe | None) -> _Parsed:
    """The CSV read whole and parsed from its bytes (by pyarrow when lines are records)."""
    with ThreadPoolExecutor(1, thread_name_prefix="byte-marks") as side:
        # Its thread is started now, while the file is read: started with the search below, the new
        # thread would take the GIL for a whole byte scan (bytes.find keeps it) before the parse began.
        side.submit(int)
        raw = filepass.read_bytes(path)
        if start is None or head is None or not _begins_with(raw, head):
            start = _csv_start(raw, True, path, find_header, delimiter, encoding, probe)
        if start.mac:
            raw = raw.replace(b"\r", b"\n")
        body = _line_offset(raw, start.first_data_line - 1)
        marks = side.submit(ByteMarks.of, raw, body)  # looked for while pyarrow parses (it lets go of the GIL)
        table = _parse_body(raw, start.encoding, start.delimiter, start.first_data_line, start.choice.names,
                            path, marks=marks)
        found = marks.result()
    return table, start, raw, body, found


def _begins_with(raw: bytes, head: bytes) -> bool:
    """Whether the file read whole is the one whose head was judged: it begins with those bytes
    (and is those bytes, when the head was all the file held)."""
    return raw.startswith(head) and (len(head) == filepass.HEAD_BYTES or len(raw) == len(head))


@dataclass
class _CsvStart:
    """What a CSV's first bytes decide before its body is parsed (its first rows judged too)."""

    encoding: str
    delimiter: str
    choice: HeaderChoice
    first_data_line: int
    title: list[str]
    skipped: list[tuple[str, str]]
    mac: bool  # classic Mac line ends (CR alone), read as LF


def _csv_start(raw: bytes, whole: bool, path: Path, find_header: HeaderFinder, delimiter: str | None,
               encoding: str | None, probe: HeadProbe | None) -> _CsvStart | None:
    """The encoding, delimiter, header and rows above it of the CSV whose bytes begin with ``raw``
    (all of them if ``whole``), with its first ``PROBE_ROWS`` data rows given to ``probe``.

    From a head of the file (not ``whole``) each answer is the one the whole file
    gives, or None where the head cannot tell (shorter than the sample; blank
    throughout; too short for the probe's rows), and the whole is asked.
    """
    if not whole and (len(raw) < SAMPLE_BYTES or raw.isspace()):
        return None  # its sample, or whether it is blank throughout, is the whole file's to say
    if not raw or raw.isspace():
        raise ImportFailure(f"{path.name}: the file is empty")
    sample_text, detected = _decode_sample(raw[:SAMPLE_BYTES])
    encoding = encoding or detected
    mac = "\r" in sample_text and "\n" not in sample_text
    if mac:  # classic Mac line ends; one record per line still (the caller reads its bytes so too)
        raw = raw.replace(b"\r", b"\n")
        sample_text = sample_text.replace("\r", "\n")
    delimiter = delimiter or sniff_delimiter(sample_text)
    records = _sample_records(sample_text, delimiter)
    choice = find_header([cells for _, cells in records[:HEADER_SEARCH_ROWS]])
    if choice is None:
        raise ImportFailure(f"{path.name}: no header row that Cellsight recognises in the first "
                            f"{HEADER_SEARCH_ROWS} rows; map the columns (--template) or choose the format (--format)")
    above = records[:choice.index if choice.index is not None else choice.data_start]
    if choice.data_start < len(records):
        first_data_line = records[choice.data_start][0]
    else:
        first_data_line = (records[-1][0] + 1) if records else 1
    title, skipped = _title_rows(above)
    if probe is not None:
        head_end = _line_offset(raw, first_data_line - 1 + PROBE_ROWS)
        if head_end >= len(raw) and not whole:
            return None  # the head may end within the probe's rows
        if head_end < len(raw):  # a longer table: its first rows are judged first
            probe(_parse_body(raw[:head_end], encoding, delimiter, first_data_line, choice.names, path))
    return _CsvStart(encoding, delimiter, choice, first_data_line, title, skipped, mac)


def _parse_body(raw: bytes, encoding: str, delimiter: str, first_line: int, names: list[str],
                path: Path, errors: str = "strict", marks: Future[ByteMarks] | None = None) -> Table:
    """Parse the data lines (from ``first_line``) with pyarrow when lines are records.

    ``errors="replace"`` reads UTF-8 with its damaged bytes as U+FFFD. ``marks``:
    what ``raw`` holds (``ByteMarks``), being found while pyarrow parses, when the
    caller looks for them.
    """
    if encoding in ("utf-8", "utf-8-sig") and errors == "strict":
        start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        data, offset = raw, _line_offset(raw, first_line - 1, start)
    else:
        try:
            text = raw.decode(encoding, errors=errors)
        except (UnicodeDecodeError, LookupError):
            encoding = "cp1252"
            text = raw.decode(encoding, errors="replace")
        text = text.lstrip("\ufeff")
        data, offset = text[_char_line_offset(text, first_line - 1):].encode("utf-8"), 0
    # The body is never copied out of the file's bytes: pyarrow reads a zero-copy slice.
    width = len(names)
    fast = _pyarrow_body(data, offset, delimiter, names)
    if fast is None and encoding in ("utf-8", "utf-8-sig") and errors == "strict":
        damage = utf8_damage(raw)
        if damage.bad and damage.is_utf8:  # a few damaged bytes: UTF-8 still, and say where
            table = _parse_body(raw, encoding, delimiter, first_line, names, path, "replace")
            table.warnings = _damage_warnings(raw, damage.bad)
            return table
        if damage.bad:  # not UTF-8 after all (the sample was ASCII): the code page it is in
            return _parse_body(raw, legacy_encoding(raw), delimiter, first_line, names, path)
    if fast is not None and _records_are_lines(data, offset, fast.num_rows,
                                               marks.result() if marks is not None and data is raw else None):
        return _text_table(fast, names, first_line)
    return _python_body(data[offset:].decode("utf-8", errors="replace"), delimiter, first_line, width,
                        names)


def _text_table(parsed: pa.Table, names: list[str], first_line: int) -> Table:
    """Pyarrow's text columns under the header's names, each row labelled with its line."""
    frame = parsed.to_pandas(types_mapper={pa.string(): STR, pa.large_string(): STR}.get)
    frame.columns = names
    rows = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    return Table(frame=frame, rows=rows, header=names)


def _records_are_lines(data: bytes, offset: int, records: int, marks: ByteMarks | None = None) -> bool:
    """``_one_record_a_line`` for pyarrow's ``records`` from ``data[offset:]``; ``marks``: what
    ``data`` holds, if known (else looked for here)."""
    found = marks or ByteMarks.of(data)

    def body_lines() -> int:
        if found.lines is None:
            return data.count(b"\n", offset)
        return found.lines - data.count(b"\n", 0, offset)  # the count made beside the parse, less the lines above

    return _one_record_a_line(records, found, body_lines, len(data) > offset and not data.endswith(b"\n"))


def _one_record_a_line(records: int, marks: ByteMarks, body_lines: Callable[[], int], unended: bool) -> bool:
    """Whether pyarrow's ``records`` from a body are its lines, one each, so that a record's line
    number is its position.

    Without a quote or a CR byte nothing can join or split lines, and pyarrow
    (stopping at any line that is not one clean record) gives one record a line:
    then the lines are not counted (two byte searches instead of a count over
    the whole body). No records at all may be a body of blank lines, counted.
    ``marks``: what the file's bytes hold; ``body_lines``: the body's LF bytes,
    asked only when they must be counted; ``unended``: whether its last line has
    no LF.
    """
    if records and not marks.quoted and not marks.cr:
        return True
    return records == body_lines() + unended


def _line_offset(raw: bytes, skip_lines: int, start: int = 0) -> int:
    pos = start
    for _ in range(skip_lines):
        nxt = raw.find(b"\n", pos)
        if nxt < 0:
            return len(raw)
        pos = nxt + 1
    return pos


def _char_line_offset(text: str, skip_lines: int) -> int:
    pos = 0
    for _ in range(skip_lines):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return len(text)
        pos = nxt + 1
    return pos


PARSE_BLOCK_BYTES = 8 * 1024**2  # pyarrow parses this much at a time (its own default is 1 MB): a column
# comes in a few chunks rather than a hundred, so each pass over it later (hashing, taking) is one call


def _pyarrow_body(data: bytes, offset: int, delimiter: str, names: list[str]) -> pa.Table | None:
    """``data[offset:]`` parsed by pyarrow as text columns, or None if a line is not one clean record."""
    if not _NOT_SPACE.search(data, offset):
        return pa.table({f"c{i}": pa.array([], pa.large_string()) for i in range(len(names))})
    return _pyarrow_read(pa.BufferReader(pa.py_buffer(data).slice(offset)), delimiter, names)


def _pyarrow_read(source: pa.NativeFile, delimiter: str, names: list[str], check_utf8: bool = True
                  ) -> pa.Table | None:
    """The CSV lines ``source`` reads parsed by pyarrow as text columns, or None if a line is not one
    clean record (or, with ``check_utf8``, not UTF-8: the caller checks it otherwise)."""
    def on_invalid(_row: object) -> str:
        return "error"  # the first line that is not one clean record ends the fast path

    keys = [f"c{i}" for i in range(len(names))]
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=keys, block_size=PARSE_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                              ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={k: pa.large_string() for k in keys},
                                                  strings_can_be_null=True, check_utf8=check_utf8))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


def _valid_utf8(table: pa.Table) -> bool:
    """Whether every text value of a table parsed without the UTF-8 check is UTF-8."""
    try:
        table.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _python_body(text: str, delimiter: str, first_line: int, width: int, names: list[str]) -> Table:
    """Exact parsing with line numbers, for bodies pyarrow cannot take line by line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid, rows, broken, skipped = [], [], [], []
    line = first_line
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            broken.append((str(line), f"cannot be read as CSV ({exc})"))
            line = first_line + reader.line_num
            continue
        if not cells:
            cells = [""]
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            if not any(c.strip() for c in cells[:width]) or _SUMMARY.match(_first_value(cells)):
                skipped.append((str(line), "totals row" if any(c.strip() for c in cells) else "blank row"))
            else:
                broken.append((str(line), f"{len(cells)} fields where the header has {width}"))
        else:
            grid.append((cells + [""] * width)[:width])
            rows.append(line)
        line = first_line + reader.line_num
    frame = pd.DataFrame(grid, columns=range(width), dtype=object) if grid else \
        pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
    frame.columns = names
    return Table(frame=_blank_as_missing(frame), rows=np.array(rows, dtype=np.int64), header=names,
                 skipped=skipped, broken=broken)


def _blank_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with empty cells missing, as the pyarrow path gives them."""
    text = frame.astype(STR)
    return text.where(text.ne(""))


def _first_value(cells: list[str]) -> str:
    return next((c for c in cells if c.strip()), "")


# ----- Excel -----------------------------------------------------------------------------
MAX_SHEET_COLUMNS = 1024  # operators' tables have tens of columns; Excel allows 16,384
_BLANK_ROWS_FILLED = 1000  # a longer run of absent rows is blank, and not listed one by one


def _xlsx_rows(path: Path, max_rows: int | None) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """Every sheet's rows as text, read from the cells the sheet holds, never from what it declares.

    The workbook is a zip: its members pass the archive limits (size, ratio)
    before a byte is inflated. A sheet's ``<dimension>`` is ignored (openpyxl
    would pad every row to it: a tiny file claiming column XFD costs gigabytes),
    rows are as wide as their last cell, and a cell beyond column
    ``MAX_SHEET_COLUMNS`` is kept only as a marker that the row holds values
    beyond its table (so it is rejected as such, not silently cut).
    """
    import openpyxl

    from cellsight.importers.safety import check_archive

    check_archive(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except ImportFailure:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ImportFailure(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    try:
        sheets = []
        for sheet in book.worksheets:
            rows: list[tuple[int, list[str]]] = []
            for number, cells in _sheet_cells(sheet):
                if max_rows and number > max_rows:
                    break
                gap = number - (rows[-1][0] if rows else 0) - 1
                if 0 < gap <= _BLANK_ROWS_FILLED:
                    rows.extend((number - gap + i, []) for i in range(gap))
                rows.append((number, cells))
            sheets.append((sheet.title, _trim(rows)))
        return sheets
    except ImportFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet raises anything from the parser
        raise ImportFailure(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    finally:
        book.close()


def _sheet_cells(sheet) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells as text)`` for each row a read-only sheet holds, sparse.

    Uses openpyxl's own worksheet parser (what ``iter_rows`` runs on) without
    its padding to the declared dimension.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=book.data_only,
                                 epoch=book.epoch, date_formats=book._date_formats,
                                 timedelta_formats=book._timedelta_formats)
        for number, parsed in parser.parse():
            cells: list[str] = []
            beyond = False
            for cell in parsed:
                column, value = cell["column"], cell["value"]
                if column > MAX_SHEET_COLUMNS:
                    beyond = beyond or value not in (None, "")
                    continue
                if column > len(cells):
                    cells.extend([""] * (column - len(cells)))
                cells[column - 1] = cell_text(value)
            if beyond:
                cells.extend([""] * (MAX_SHEET_COLUMNS - len(cells)))
                cells.append(f"(values beyond column {MAX_SHEET_COLUMNS})")
            yield number, cells


def _xls_rows(path: Path, max_rows: int | None) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except Exception as exc:  # xlrd raises its own and struct errors for a damaged file
        raise ImportFailure(f"{path.name}: not a readable XLS workbook ({exc})") from exc
    try:
        sheets = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            limit = sheet.nrows if not max_rows else min(sheet.nrows, max_rows)
            rows = []
            for r in range(limit):
                cells = []
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    value = cell.value
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        value = _xls_date(value, book.datemode)
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        value = bool(value)
                    cells.append(cell_text(value))
                rows.append((r + 1, cells))
            sheets.append((sheet.name, _trim(rows)))
        return sheets
    finally:
        book.release_resources()


def _xls_date(value: float, datemode: int) -> object:
    import xlrd

    stamp = xlrd.xldate.xldate_as_datetime(value, datemode)
    return stamp.time() if value < 1 else stamp


def _trim(rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Drop trailing empty cells of each row and trailing empty rows (Excel's formatted blanks)."""
    out = []
    for number, cells in rows:
        while cells and not cells[-1]:
            cells.pop()
        out.append((number, cells))
    while out and not out[-1][1]:
        out.pop()
    return out


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person would read, in forms the parsers accept."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.microsecond == 0:
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# ----- what is not data ------------------------------------------------------------------
def noise_reasons(frame: pd.DataFrame, header: list[str]) -> pd.Series:
    """For rows that are not usable data: "blank row", "totals row", "repeated header" or "".

    Vectorised over the (usually few) rows the importer could not use; rows
    given "" are real rows to reject with the importer's own reason.
    """
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    cells = frame.fillna("").astype(object).apply(lambda col: col.str.strip())
    filled = cells.ne("")
    blank = ~filled.any(axis=1)
    first = cells.where(filled).bfill(axis=1).iloc[:, 0].fillna("")
    summary = first.str.match(_SUMMARY)
    totals = first.str.contains(_TOTALS)
    separator = first.str.fullmatch(r"[-=*_\s]+")
    wanted = np.array([h.strip().lower() for h in header], dtype=object)
    same = (cells.apply(lambda col: col.str.lower()).to_numpy(dtype=object) == wanted).sum(axis=1)
    repeated = same >= np.maximum(2, filled.sum(axis=1).to_numpy() // 2 + 1)
    reasons = pd.Series("", index=frame.index, dtype=object)
    reasons[summary] = "footer row"
    reasons[summary & totals] = "totals row"
    reasons[summary & separator] = "separator row"
    reasons[repeated] = "repeated header"
    reasons[blank] = "blank row"
    return reasons


def unique_names(cells: list[str]) -> list[str]:
    """Header cells as column names: stripped, never empty, never repeated."""
    names, seen = [], {}
    for i, cell in enumerate(cells):
        name = " ".join(str(cell).split()) or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def headerless(rows: list[list[str]], names: list[str]) -> HeaderChoice | None:
    """A layout with no header row: ``names`` in order, data from the first non-blank row."""
    first = next((i for i, cells in enumerate(rows) if any(c.strip() for c in cells)), None)
    if first is None:
        return None
    return HeaderChoice(index=None, names=unique_names(names), data_start=first)


def best_header(rows: list[list[str]], score: Callable[[list[str]], float],
                minimum: float) -> HeaderChoice | None:
    """The first row with the highest score of at least ``minimum``, as a HeaderChoice.

    The header is widened when (nearly) every data row carries empty fields
    beyond it (a trailing delimiter on every line).
    """
    best_index, best_score = None, minimum - 1e-9
    for index, cells in enumerate(rows):
        value = score(cells)
        if value > best_score:
            best_index, best_score = index, value
    if best_index is None:
        return None
    header = list(rows[best_index])
    while header and not header[-1].strip():
        header.pop()
    below = [r for r in rows[best_index + 1:] if any(c.strip() for c in r)]
    longer = [r for r in below if len(r) > len(header)]
    if below and len(longer) >= 0.8 * len(below) and all(not any(c.strip() for c in r[len(header):])
                                                           for r in longer):
        # A trailing delimiter on every data line: room for the empty fields, not broken rows.
        header += [""] * (max(len(r) for r in longer) - len(header))
    return HeaderChoice(index=best_index, names=unique_names(header), data_start=best_index + 1)


# ----- column roles and value helpers shared by the table importers -----------------------
_ENODEB = re.compile(r"e[Nn]ode[Bb]|eNB(?![a-z])")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def header_text(header: str) -> str:
    """A header reduced to lower-case words: ``Conn. Time(UTC)`` -> ``conn time utc``.

    camelCase is split into words (``mobileNumber`` -> ``mobile number``,
    ``CdrType`` -> ``cdr type``), except the LTE words eNodeB and eNB, which
    stay whole.
    """
    text = _ENODEB.sub(lambda m: " enodeb " if "ode" in m.group(0).lower() else " enb ", str(header))
    text = _CAMEL.sub(" ", text)
    if not text.isascii():  # "Número", "Duração": the letters without their accents
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


# ----- values as operators wrap them --------------------------------------------------------
# A file whose bytes hold none of these has no wrapped value ('x', ="x", "x" in quotes, 9.1E+11).
# Single bytes: each test is a memchr over the file, ~10 ms for 100 MB.
_SCIENTIFIC = re.compile(r"^\s*([+-]?)(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})\s*$")


def unwrap_text(value: str) -> str:
    """One cell without the wrapping an operator or Excel put round it.

    ``'919234228158'`` (Jio writes every value so), ``="07700900123"`` (a
    formula that keeps Excel from dropping the leading zero) and a stray pair
    of double quotes all give the text inside. A number Excel wrote in
    scientific notation becomes an integer only when every digit is present
    (``9.19234228158E+11``); ``9.1987E+11`` has lost digits and is left as
    written, to be flagged rather than completed with invented zeros.
    """
    text = value.strip()
    if text.startswith("="):
        inner = text[1:].strip()
        if len(inner) >= 2 and inner[0] == inner[-1] == '"':
            text = inner[1:-1].strip()
    while len(text) >= 1 and text[0] in "'\"" and (text[-1] == text[0] or text[0] == "'"):
        # 'x' and "x" lose both marks; a lone leading apostrophe (Excel's text marker) goes too
        text = text[1:-1] if len(text) >= 2 and text[-1] == text[0] else text[1:]
        text = text.strip()
    scientific = _SCIENTIFIC.match(text)
    if scientific:
        sign, whole, fraction, exponent = scientific.groups()
        fraction, places = fraction or "", int(exponent)
        if len(fraction) >= places and not fraction[places:].strip("0"):
            text = sign + whole + fraction[:places]
    return text


def lost_digits(value: str) -> bool:
    """True for a number in scientific notation that no longer holds all its digits."""
    return bool(_SCIENTIFIC.match(value)) and unwrap_text(value) == value.strip()


def unwrap(values: pd.Series, quotes_only: bool = False) -> pd.Series:
    """``unwrap_text`` over a text column, once per distinct value; the column itself when none is wrapped.

    Whether any value is wrapped is asked of the column's distinct values
    (``distinct_codes``: found once per column, on the second core when hashed
    ahead, and used again by the import's later steps), never of every row; a
    CSV whose bytes hold no mark of wrapping (``Table.plain``) skips even that.
    In a file whose only mark is the double quote (``Table.quotes_only``), a
    column none of whose values begins with a mark or white space is not wrapped:
    told from each value's first byte, without its distinct values; and so is a
    column of one width throughout whose bytes are digits and punctuation no
    wrapping uses (a date, a clock, an IMEI: ``bytegrid``).
    """
    if not len(values) or (quotes_only and _begins_plainly(values)) or _grid_without_marks(values):
        return values
    text = values.astype(STR)
    _codes, uniques = distinct_codes(text)
    if not len(uniques) or not pc.any(pc.match_substring_regex(
            pa.array(uniques.array), r"^\s*['=\"]|\d[eE]\+?\d")).as_py():
        return values

    def clean(distinct: pd.Series) -> pd.Series:
        return pd.Series([unwrap_text(u) if isinstance(u, str) else u for u in distinct], dtype=STR)

    return by_unique(text, clean)


def _grid_without_marks(values: pd.Series) -> bool:
    """Whether every chunk of a pyarrow text column is a ``bytegrid.ByteGrid`` (one width, no
    value missing) holding no byte that wrapping or scientific notation needs (``_WRAPPING``)."""
    data = getattr(values.array, "_pa_array", None)
    if data is None or not data.num_chunks:
        return False
    for chunk in data.chunks:
        grid = byte_grid(chunk) if len(chunk) else None
        held = grid.bytes_held if grid is not None else None
        if held is None or held & _WRAPPING:
            return False
    return True


_WRAPPING = {b"'", b"=", b'"', b"e", b"E"}  # unwrap's ^\s*['=\"] and \d[eE]\+?\d need one of these


def _begins_plainly(values: pd.Series) -> bool:
    """Whether no value of a pyarrow text column begins with a mark of wrapping or white space
    (``_WRAPPED_START``), told from each value's first byte; False for any other column."""
    data = getattr(values.array, "_pa_array", None)
    if data is None or not pa.types.is_large_string(data.type):
        return False
    for chunk in data.chunks:
        if not len(chunk) or chunk.null_count == len(chunk):
            continue
        offsets = value_offsets(chunk)
        if offsets[-1] == offsets[0]:
            continue  # every value empty
        held = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
        # A first look at the byte where each value begins (an empty or missing one's is its next
        # value's, or the last byte): a cautious answer in three passes; only a mark found so is
        # looked at again for the values that hold bytes.
        if not bool(_WRAPPED_START[held[np.minimum(offsets[:-1], len(held) - 1)]].any()):
            continue
        starts, ends = offsets[:-1], offsets[1:]
        if chunk.null_count:
            present = chunk.is_valid().to_numpy(zero_copy_only=False)
            starts, ends = starts[present], ends[present]
        starts = starts[ends > starts]  # an empty value begins with nothing
        if len(starts) and bool(_WRAPPED_START[held[starts]].any()):
            return False
    return True


_WRAPPED_START = np.zeros(256, dtype=bool)
_WRAPPED_START[list(b"'=\"\t\n\x0b\x0c\r ")] = True  # unwrap's ^\s*['=\"]: a mark, or white space before one


def by_unique(values: pd.Series, fn: Callable[[pd.Series], pd.Series],
              unchanged_ok: bool = False) -> pd.Series:
    """Apply ``fn`` to the distinct values of a column and spread the results back.

    A column of a million cells holds a few thousand distinct numbers, cells or
    codes; doing the work once per distinct value is what keeps imports fast.
    Missing values stay missing. With ``unchanged_ok``, a column that ``fn``
    leaves exactly as it was is returned itself, uncopied.
    """
    codes, uniques = distinct_codes(values)
    mapped = fn(pd.Series(uniques)).reset_index(drop=True)
    if unchanged_ok and mapped.dtype == values.dtype and \
            mapped.equals(pd.Series(uniques, dtype=values.dtype)):
        return values
    return spread(mapped, codes, values.index)


_PER_COLUMN: dict[tuple[int, object, object], tuple[weakref.ref, object]] = {}
T = TypeVar("T")


def per_column(values: pd.Series, question: object, answer: Callable[[pd.Series], T]) -> T:
    """``answer(values)``, worked out once per column and ``question``.

    An import asks the same things of the same column for several reasons
    (its distinct values; a sample of them), and on a million rows each asking
    costs a pass. A column held as pyarrow data is immutable, so an answer is
    kept for as long as that data lives (and the same data under the same
    dtype is the same column, whichever Series holds it). An answer being
    worked out on another thread (``hash_ahead``) is waited for.
    """
    found = _remembered(values, question, answer)
    if not isinstance(found, Future):
        return found
    if not found.cancel():
        return found.result()
    # Not begun on the other core: worked out here, while that core works through the ones before.
    return _remember(values, question, answer(values))


def _remembered(values: pd.Series, question: object, answer: Callable[[pd.Series], object]) -> object:
    data = getattr(values.array, "_pa_array", None)
    if data is None:
        return answer(values)
    known = _PER_COLUMN.get((id(data), values.dtype, question))
    if known is not None and known[0]() is data:
        return known[1]
    return _remember(values, question, answer(values))


def _remember(values: pd.Series, question: object, found: T) -> T:
    """Keep ``found`` as the answer to ``question`` of the column for as long as its data lives."""
    data = values.array._pa_array
    key = (id(data), values.dtype, question)
    _PER_COLUMN[key] = (weakref.ref(data, lambda _gone, key=key: _PER_COLUMN.pop(key, None)), found)
    return found


def distinct_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values)`` (code -1 for missing; codes read-only), hashed once per column
    (``per_column``): a party column's numbers; a cell column's keys, which rows hold an IP
    address and the cells the events name; an event column's share of known codes and each
    row's kind."""
    return per_column(values, "distinct", factorise)


def hash_ahead(pool: ThreadPoolExecutor, columns: list[pd.Series]) -> None:
    """Start ``distinct_codes`` of each column on ``pool``: pyarrow hashes without the GIL, so a
    second core finds the distinct values of the columns an import reads next while the first
    works through the ones before."""
    for values in columns:
        ask_ahead(pool, values, "distinct", factorise)


def ask_ahead(pool: ThreadPoolExecutor, values: pd.Series, question: object,
              answer: Callable[[pd.Series], object]) -> None:
    """Start ``per_column(values, question, answer)`` on ``pool`` (a column held as pyarrow data):
    the answer is waited for where it is asked, or worked out there if ``pool`` has not begun it."""
    if getattr(values.array, "_pa_array", None) is not None:
        _remembered(values, question, lambda column: pool.submit(answer, column))


def spread(per_distinct: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``per_distinct[codes]`` over the rows (code -1: missing), indexed by ``index``.

    Text is taken by pyarrow straight from the distinct values (a pandas take
    of a million strings costs about twice as much), a categorical's codes by
    numpy (code -1 finds the missing one put last); other dtypes by pandas.
    """
    if per_distinct.dtype == STR:
        if not len(codes) or int(codes.max()) < 0:  # nothing to take (one subscriber's rows, say)
            return missing_text(index)
        dictionary = pa.array(per_distinct.array)
        if isinstance(dictionary, pa.ChunkedArray):
            dictionary = dictionary.combine_chunks()
        missing = codes < 0
        positions = pa.array(codes, pa.int64(), mask=missing) if missing.any() else pa.array(codes)
        taken = pc.take(dictionary, positions)
        return pd.Series(STR.__from_arrow__(pa.chunked_array([taken])), index=index)
    if isinstance(per_distinct.dtype, pd.CategoricalDtype):
        lookup = np.append(per_distinct.cat.codes.to_numpy(), -1)
        return pd.Series(pd.Categorical.from_codes(lookup[codes], dtype=per_distinct.dtype), index=index)
    filler = pd.Series([None], dtype=per_distinct.dtype)
    extended = pd.concat([per_distinct.reset_index(drop=True), filler], ignore_index=True)
    out = extended.take(np.where(codes < 0, len(per_distinct), codes))
    out.index = index
    return out


def in_categories(values: pd.Series, wanted: tuple[str, ...] | list[str]) -> np.ndarray:
    """``values.isin(wanted).to_numpy(bool)`` of a categorical column, by a lookup per category
    (its codes read once; a missing value, code -1, finds the False put last)."""
    lookup = np.append(values.cat.categories.isin(list(wanted)), False)
    return lookup[values.cat.codes.to_numpy()]


PROBE_ROWS = 1000  # rows: the first rows judged before the rest is read; and the least
# number of rows for which "more than half cannot be used" means junk, not a small broken file


def refuse_mostly_rejected(name: str, rows: int, rejections: list[tuple[str, str]],
                           where: str = "") -> None:
    """Refuse a table of at least 1,000 rows of which more than half could not be used.

    Such a file is not the kind of table it was read as (junk lines, a wrong
    format, a mapping that went wrong): importing it would bury its few rows
    under a rejection for every other line. One error says so, with the most
    common reasons. ``where`` says which rows were counted (``of the first``).
    """
    if rows < PROBE_ROWS or 2 * len(rejections) <= rows:
        return
    reasons = Counter(reason for _, reason in rejections).most_common(3)
    common = "; ".join(f"{reason} ({n:,})" for reason, n in reasons)
    raise ImportFailure(f"{name}: {len(rejections):,} {where or 'of'} {rows:,} rows cannot be used "
                        f"(more than half; most often: {common}); refused: check the format "
                        "(--format) or the column mapping (--template)")


def probe_head(name: str, read_table: Callable[[Table, ImportResult], pd.DataFrame]) -> HeadProbe:
    """A ``read_tables`` probe that reads a table's first rows with the importer's own
    ``read_table`` into a scratch result, and refuses the file when more than half of
    them cannot be used (before the rest of the file is parsed)."""

    def probe(head: Table) -> None:
        scratch = ImportResult(format="probe")
        used = len(read_table(head, scratch))
        refuse_mostly_rejected(name, used + len(scratch.rejections), scratch.rejections,
                               where="of the first")

    return probe


def blank_only(values: pd.Series) -> bool:
    """Whether a column holds nothing but blanks and dashes (``-``: how operators write "none")."""
    distinct = pd.Series(pd.unique(values.dropna()), dtype=object).astype(str).str.strip()
    return bool(distinct.str.fullmatch(r"-{0,3}").all())


def unread_columns(frame: pd.DataFrame, header: list[str], used: set[str], reason: str) -> list[dict[str, str]]:
    """``unused_columns`` entries for every column of ``header`` that no role took: ``empty`` where
    it holds nothing but blanks and dashes, else ``reason`` (what this kind of table does not read)."""
    return [{"column": name, "reason": "empty" if name in frame and blank_only(frame[name]) else reason}
            for name in header if name not in used]


def in_row_order(labels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(row, reason)`` pairs sorted as a person reads the file: by sheet, then row number."""
    def key(item: tuple[str, str]) -> tuple[str, int, str]:
        sheet, _, row = str(item[0]).rpartition("!")
        return (sheet, int(row), "") if row.isdigit() else (sheet, 0, row)

    return sorted(labels, key=key)
