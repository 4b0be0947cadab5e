"""Reading files that come from a suspect's phone without trusting them.

Phone downloads and account exports are evidence handed to us by the other side,
so every reader here assumes the file may be hostile or broken:

- **XML**: no entity is ever declared or expanded (billion laughs, ``file://``
  and ``http://`` entities are refused) and no external DTD is fetched: a
  DOCTYPE naming one (``SYSTEM "http://..."``) is refused. Entities
  can only be declared in a DOCTYPE before the root element, so a document whose
  prolog has none is read by the standard C parser (which then knows no entity
  but the five predefined ones); any other goes through defusedxml, which
  refuses entity declarations. Elements stream one at a time, so a 1 GB report
  needs no more memory than its largest record; nesting deeper than
  ``MAX_XML_DEPTH`` (each level costs memory) is refused, and so is a stretch of
  more than ``MAX_XML_TEXT_BYTES`` without an element starting or ending (one
  giant text, comment or attribute, which the parser would hold whole).
- **Zips** (UFDR, KMZ) are read in place: one member is streamed straight into the
  parser, and nothing is extracted to disk by the archive's own names. A member
  named outside the archive (``../``, ``/etc/...``, ``C:\\``) is never read: it
  is skipped with a warning and the rest of the archive imports (so a hostile
  name costs the officer nothing). An archive holding absurdly many members, or
  declaring a member that would expand beyond sane size or ratio (a zip bomb),
  is refused before a byte is inflated.
- **JSON** is decoded record by record from the top-level array(s) with the
  standard library's C decoder, so a million-record history never exists as one
  Python structure; a record nested deeper than the decoder's recursion limit or
  larger than ``MAX_JSON_RECORD_CHARS`` is refused, as is text that is not UTF-8.
- **Delimited text** (CSV) is parsed whole, and one field of 500 MB once cost
  3.6 GB to read: a line longer than ``MAX_CSV_LINE_BYTES`` (which any field
  that long makes) is refused before the file is read, naming the line
  (``check_line_lengths``, which reads a chunk at a time, and only around
  line ends a limit apart). A quoted
  field spread over many lines is cut by the CSV parser's own field limit
  (131,072 characters): its row is rejected, and the lines after it, read as
  rows, are junk that the importers' first-rows probe refuses.

Every refusal is an ``ImportFailure`` naming the file and, where known, the line,
member or record, which the CLI prints as one line.
"""

from __future__ import annotations

import codecs
import json
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any
from xml.etree import ElementTree
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_et
from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden

from cellsight.importers.base import ImportFailure

# Zip limits: generous for real extractions (a UFDR holds every extracted file,
# report.xml of a big phone is a few GB and compresses 10-30x), far below a bomb.
MAX_ZIP_MEMBERS = 2_000_000
MAX_MEMBER_BYTES = 16 * 1024**3
MAX_MEMBER_RATIO = 200  # uncompressed / compressed; deflate bombs reach ~1000
RATIO_CHECK_FROM = 1024**2  # tiny members compress oddly; only ratios of big ones matter

MAX_XML_DEPTH = 512  # a Cellebrite report nests some 15 levels; each level costs memory
MAX_XML_TEXT_BYTES = 64 * 1024**2  # one text node (a message body) is kilobytes; as JSON records
MAX_JSON_RECORD_CHARS = 64 * 1024**2  # one location record is under 1 kB
JSON_CHUNK_BYTES = 1024**2
MAX_CSV_LINE_BYTES = 64 * 1024**2  # a call record's line is under 1 kB; as XML text nodes and JSON records
LINE_SCAN_BYTES = 1024**2
SNIFF_BYTES = 64 * 1024


def label(path: Path, member: str | None = None) -> str:
    """How a file (or a member inside it) is named in messages."""
    return f"{path.name}:{member}" if member else path.name


# ----- XML ----------------------------------------------------------------------------
_LOCAL_NAMES: dict[str, str] = {}


def local(tag: str) -> str:
    """An element's name without its namespace (``{ns}model`` → ``model``)."""
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        name = tag.rpartition("}")[2] if tag[:1] == "{" else tag
        if len(_LOCAL_NAMES) < 10_000:  # a hostile file's endless tag names are not remembered
            _LOCAL_NAMES[tag] = name
        return name


def plain_prolog(start: bytes) -> bool:
    """True when the root element begins in ``start`` with no DOCTYPE before it.

    A DOCTYPE is the only place XML can declare entities or name external
    resources, and it can only come before the root element (the parser rejects
    one anywhere else). A document without one is read by the standard C parser,
    three times faster; any other (a DOCTYPE, UTF-16, a prolog too long to see)
    goes through defusedxml, which refuses entity declarations outright.
    """
    i = 3 if start.startswith(b"\xef\xbb\xbf") else 0
    while i < len(start):
        if start[i] in b" \t\r\n":
            i += 1
        elif start.startswith(b"<?", i):
            end = start.find(b"?>", i + 2)
            if end < 0:
                return False
            i = end + 2
        elif start.startswith(b"<!--", i):
            end = start.find(b"-->", i + 4)
            if end < 0:
                return False
            i = end + 3
        else:
            following = start[i + 1:i + 2]
            return start[i:i + 1] == b"<" and (following.isalpha() or following in (b"_", b":"))
    return False


class _Replay:
    """A byte stream whose first bytes were already read (to look at the prolog).

    It also counts the bytes handed to the parser since the reader last saw an
    element start or end (``quiet``): the parser holds a text node, comment or
    attribute whole, so a long quiet stretch is one giant node, refused before
    it fills memory.
    """

    def __init__(self, start: bytes, rest: IO[bytes], name: str) -> None:
        self._start = start
        self._rest = rest
        self._name = name
        self.quiet = 0

    def read(self, size: int = -1) -> bytes:
        if not self._start:
            data = self._rest.read(size)
        elif size is None or size < 0:
            data, self._start = self._start + self._rest.read(), b""
        else:
            data, self._start = self._start[:size], self._start[size:]
        self.quiet += len(data)
        if self.quiet > MAX_XML_TEXT_BYTES:
            raise ImportFailure(f"{self._name}: more than {MAX_XML_TEXT_BYTES / 1024**2:g} MB of "
                                "text in one XML node (a message body is kilobytes); refused")
        return data


_LITERAL = r"(\"[^\"]*\"|'[^']*')"
_EXTERNAL_DTD = re.compile(rf"<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM\s+{_LITERAL}|PUBLIC\s+{_LITERAL}\s+{_LITERAL})")


def external_dtd(start: bytes) -> str | None:
    """The address of the external DTD a document's DOCTYPE names, or None."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = start[:4096].decode("utf-16", errors="ignore")
    else:
        text = start.decode("latin-1")
    match = _EXTERNAL_DTD.search(text)
    if match is None:
        return None
    return (match.group(1) or match.group(3)).strip("'\"")


def xml_events(source: Path | IO[bytes], name: str,
               events: tuple[str, ...] = ("start", "end")) -> Iterator[tuple[str, Element]]:
    """Stream ``(event, element)`` pairs from XML with entities and external references refused.

    Any parse error or refused construct becomes an ImportFailure naming ``name``
    and the line where the parser stopped.
    """
    with ExitStack() as opened:
        stream = source if hasattr(source, "read") else opened.enter_context(open(source, "rb"))
        start = stream.read(SNIFF_BYTES)
        replay = _Replay(start, stream, name)
        plain = plain_prolog(start)
        dtd = None if plain else external_dtd(start)
        if dtd is not None:
            raise ImportFailure(f"{name}: refers to an external resource (a DTD at {dtd[:80]!r}); "
                                "refused")
        try:
            parsed = ElementTree.iterparse(replay, events=events) if plain else safe_et.iterparse(
                replay, events=events, forbid_dtd=False, forbid_entities=True, forbid_external=True)
            for item in parsed:
                replay.quiet = 0
                yield item
        except (EntitiesForbidden, DTDForbidden) as exc:
            raise ImportFailure(f"{name}: declares XML entities ({exc.name or 'unnamed'}); a "
                                "report never needs them and they can expand or fetch data, so "
                                "the file is refused") from None
        except DefusedXmlException as exc:
            raise ImportFailure(f"{name}: refers to an external resource ({exc}); refused") from None
        except ParseError as exc:
            line, column = getattr(exc, "position", (0, 0))
            reason = str(exc).split(":")[0]
            raise ImportFailure(f"{name}: line {line}, column {column}: not well-formed XML "
                                f"({reason})") from None
        except (ValueError, LookupError) as exc:  # e.g. an encoding expat cannot read
            raise ImportFailure(f"{name}: cannot be read as XML ({exc})") from None


def xml_walk(source: Path | IO[bytes],
             name: str) -> Iterator[tuple[str, str, Element, list[Element]]]:
    """Stream ``(event, local_name, element, ancestors)``; ``ancestors`` excludes the element.

    Readers that are done with an element at its ``end`` call ``discard`` so the
    tree never grows beyond the record being read.
    """
    stack: list[Element] = []
    for event, element in xml_events(source, name):
        if event == "start":
            yield event, local(element.tag), element, stack
            stack.append(element)
            if len(stack) > MAX_XML_DEPTH:
                raise ImportFailure(f"{name}: elements nested more than {MAX_XML_DEPTH} deep; "
                                    "refused")
        else:
            stack.pop()
            yield event, local(element.tag), element, stack


def discard(element: Element, ancestors: list[Element]) -> None:
    """Free an element that has been read (its parent forgets it too)."""
    element.clear()
    if ancestors:
        ancestors[-1].remove(element)


def child_text(element: Element, name: str, strip: bool = True) -> str | None:
    """Text of the first direct child with local name ``name``; None if there is none or it is blank.

    ``strip`` trims it (for values to be parsed: times, coordinates); content
    (a name) is asked for with ``strip=False`` and kept exactly as written.
    """
    for child in element:
        if local(child.tag) == name:
            text = child.text or ""
            if not text.strip():
                return None
            return text.strip() if strip else text
    return None


_PROLOGUE = re.compile(r"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.S)


def xml_root_name(head: bytes) -> str:
    """The local name of the first element in the first bytes of an XML file, or ''.

    Comments, processing instructions and a DOCTYPE before the root are passed
    over, also when a comment names a tag (``<!-- exported by <tool> -->``).
    """
    text = _PROLOGUE.sub(" ", head.decode("utf-8-sig", errors="ignore"))
    match = re.search(r"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[\s>/]", text)
    return match.group(1) if match else ""


# ----- zips ---------------------------------------------------------------------------
def is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def _unsafe_member_name(name: str) -> bool:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        return True
    return ".." in PurePosixPath(normal).parts


def checked_members(archive: zipfile.ZipFile, name: str) -> tuple[list[zipfile.ZipInfo], list[str]]:
    """The archive's members that are safe to read, and a warning for each one that is not.

    An archive with absurdly many members is refused. A member named outside
    the archive is skipped: nothing here ever writes by a member's name, but no
    report names its own files that way, so its content is not trusted either.
    """
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFailure(f"{name}: archive holds {len(members):,} members (limit "
                            f"{MAX_ZIP_MEMBERS:,}); refused")
    unsafe = [info for info in members if _unsafe_member_name(info.filename)]
    if not unsafe:
        return members, []
    shown = ", ".join(repr(info.filename[:80]) for info in unsafe[:5])
    more = f" and {len(unsafe) - 5} more" if len(unsafe) > 5 else ""
    warning = (f"{len(unsafe)} archive member{'s' if len(unsafe) > 1 else ''} named outside the "
               f"archive ({shown}{more}) skipped, never read")
    return [info for info in members if not _unsafe_member_name(info.filename)], [warning]


def check_archive(path: Path) -> None:
    """Refuse a zip any of whose members (or their number) exceeds the limits.

    For archives read whole by a library (an XLSX workbook), where no single
    member is chosen first.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members, _ = checked_members(archive, path.name)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailure(f"{path.name}: not a readable zip archive ({exc})") from None
    for info in members:
        _check_member_size(info, path.name)


def _check_member_size(info: zipfile.ZipInfo, name: str) -> None:
    where = f"{name}: archive member {info.filename!r}"
    if info.file_size > MAX_MEMBER_BYTES:
        raise ImportFailure(f"{where} would expand to {info.file_size:,} bytes (limit "
                            f"{MAX_MEMBER_BYTES:,}); refused")
    if info.file_size > RATIO_CHECK_FROM:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_MEMBER_RATIO:
            raise ImportFailure(f"{where} would expand {ratio:,.0f} times (limit "
                                f"{MAX_MEMBER_RATIO}); a zip bomb is refused")


@contextmanager
def zip_member(path: Path, choose: Callable[[list[zipfile.ZipInfo], str], zipfile.ZipInfo | None],
               what: str) -> Iterator[tuple[IO[bytes], str, int, list[str]]]:
    """Open the member that ``choose`` picks, as a stream read in place.

    Yields ``(stream, label, uncompressed_size, warnings)``; ``choose`` is given
    the safe members and the archive's name (for its own refusals).

    ``what`` names the member looked for in the error when ``choose`` finds none.
    """
    name = path.name
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailure(f"{name}: not a readable zip archive ({exc})") from None
    with archive:
        members, warnings = checked_members(archive, name)
        info = choose(members, name)
        if info is None:
            raise ImportFailure(f"{name}: the archive holds no {what}")
        _check_member_size(info, name)
        try:
            with archive.open(info) as stream:
                yield stream, label(path, info.filename), info.file_size, warnings
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
                zlib.error) as exc:
            raise ImportFailure(f"{label(path, info.filename)}: cannot be read from the archive "
                                f"({exc})") from None


def member_names(path: Path) -> list[str]:
    """Names in a zip's central directory (for sniffing; nothing is inflated); [] if unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


# ----- JSON ---------------------------------------------------------------------------
_WS = re.compile(r"[ \t\n\r]*")
_MARGIN = 64  # text kept beyond a value, so that a value cut by a read is never taken whole


class JsonStream:
    """Decode a JSON file's top level record by record.

    Iterating yields ``(key, index, value)``: for a top-level array, ``(None, i,
    element)``; for a top-level object, ``(key, i, element)`` for each element of
    an array value and ``(key, None, value)`` for any other value. Only one record
    (plus a megabyte of text) is held at a time.
    """

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream = stream
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._json = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._bytes = 0
        self._where: tuple[str | None, int | None] = (None, None)  # (key, record) being read

    # -- text buffer
    def _more(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(JSON_CHUNK_BYTES)
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise ImportFailure(f"{self._name}: not UTF-8 text (near byte "
                                f"{self._bytes + exc.start:,}); refused") from None
        self._bytes += len(chunk)
        self._eof = not chunk
        if self._pos:
            self._buf = self._buf[self._pos:]
            self._pos = 0
        self._buf += text
        return True

    def _peek(self) -> str:
        while True:
            if self._pos < len(self._buf) and self._buf[self._pos] not in " \t\n\r":
                return self._buf[self._pos]
            self._pos = _WS.match(self._buf, self._pos).end()
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    @property
    def bytes_read(self) -> int:
        return self._bytes

    def _fail(self, reason: str) -> ImportFailure:
        key, index = self._where
        if index is not None:
            where = f"record {index}" if key is None else f"{key} record {index}"
        else:
            where = "the start" if key is None else repr(key)
        return ImportFailure(f"{self._name}: {reason} (at {where})")

    def _expect(self, chars: str) -> str:
        char = self._peek()
        if char == "" or char not in chars:
            found = repr(char) if char else "the end of the file"
            raise self._fail(f"not valid JSON: expected {' or '.join(map(repr, chars))}, "
                             f"found {found}")
        self._pos += 1
        return char

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self._json.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                truncated = (exc.pos + _MARGIN > len(self._buf)
                             or exc.msg.startswith("Unterminated"))
                if truncated and not self._eof:
                    self._grow()
                    continue
                reason = exc.msg.removesuffix(" at").lower()
                raise self._fail(f"not valid JSON: {reason}") from None
            except RecursionError:
                raise self._fail("JSON nested too deeply to be a location record; refused") from None
            if end + _MARGIN > len(self._buf) and not self._eof:
                self._grow()  # a number cut by the read ("2." of "2.5") may go on
                continue
            self._pos = end
            return value

    def _grow(self) -> None:
        if len(self._buf) - self._pos > MAX_JSON_RECORD_CHARS:
            raise self._fail(f"one JSON record is larger than {MAX_JSON_RECORD_CHARS // 1024**2} "
                             "MB; refused")
        self._more()

    # -- structure
    def __iter__(self) -> Iterator[tuple[str | None, int | None, Any]]:
        first = self._peek()
        if first == "[":
            yield from self._array(None)
        elif first == "{":
            self._pos += 1
            closed = self._peek() == "}"
            if closed:
                self._pos += 1
            while not closed:
                self._where = ("a top-level key", None)
                if self._peek() != '"':
                    raise self._fail("not valid JSON: expected a quoted key")
                key = self._value()
                self._expect(":")
                self._where = (key, None)
                if self._peek() == "[":
                    yield from self._array(key)
                else:
                    yield key, None, self._value()
                closed = self._expect(",}") == "}"
        else:
            raise self._fail("not a JSON object or array")
        if self._peek() != "":
            raise self._fail("not valid JSON: text after the end of the document")

    def _array(self, key: str | None) -> Iterator[tuple[str | None, int, Any]]:
        self._pos += 1
        index = 0
        if self._peek() == "]":
            self._pos += 1
            return
        decode = self._json.raw_decode
        while True:
            self._where = (key, index)
            yield key, index, self._fast_value(decode)
            index += 1
            buf, pos = self._buf, self._pos
            if pos < len(buf) and buf[pos] == ",":  # the common case, without the general path
                self._pos = pos + 1
            elif self._expect(",]") == "]":
                return

    def _fast_value(self, decode: Callable[[str, int], tuple[Any, int]]) -> Any:
        """One record straight from the buffer when it is whole there; else the careful path."""
        buf, pos = self._buf, self._pos
        if pos < len(buf) and buf[pos] in " \t\n\r":
            pos = _WS.match(buf, pos).end()
        try:
            value, end = decode(buf, pos)
        except (json.JSONDecodeError, RecursionError):
            return self._value()
        if end + _MARGIN > len(buf) and not self._eof:
            return self._value()
        self._pos = end
        return value


def json_head(path: Path, size: int = SNIFF_BYTES) -> str:
    """The first characters of a JSON file as text, BOM removed, for sniffing."""
    return head(path, size).decode("utf-8-sig", errors="ignore")


def check_line_lengths(path: Path, limit: int = MAX_CSV_LINE_BYTES) -> None:
    """Refuse (ImportFailure naming the line) a text file with a line longer than ``limit`` bytes.

    Lines end at LF, or at CR when the file's first ``SNIFF_BYTES`` hold CR and
    no LF (classic Mac line ends, as ``tabular`` reads them). The ``limit + 1``
    bytes from a line's start must hold a line end, or that line is too long;
    the next window starts after the last line end in this one. That last line
    end is looked for backwards from the window's end, ``LINE_SCAN_BYTES`` at a
    time: a file of short lines costs one small read per window (the file is
    not read whole a second time), a hostile one a chunk in memory at a time.
    Lines are counted only to name a refused one.
    """
    size = path.stat().st_size
    if size <= limit:
        return  # no line can be longer than the file: a small file is not read twice
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        end = 13 if b"\r" in head and b"\n" not in head else 10
        start = 0  # where the current line starts; every line before it is within the limit
        while size - start > limit:
            last = _last_line_end(fh, start, start + limit + 1, end)
            if last < 0:
                _long_line(path, start, end, limit)
            start = last + 1


def _last_line_end(fh: IO[bytes], low: int, high: int, end: int) -> int:
    """Where the last ``end`` byte of the file's bytes ``[low, high)`` is, or -1; read backwards."""
    while high > low:
        block = max(low, high - LINE_SCAN_BYTES)
        fh.seek(block)
        found = fh.read(high - block).rfind(end)
        if found >= 0:
            return block + found
        high = block
    return -1


def _long_line(path: Path, start: int, end: int, limit: int) -> None:
    """Refuse the file, naming the line that starts at byte ``start`` (lines counted only now)."""
    line = 1
    with open(path, "rb") as fh:
        while start > 0 and (chunk := fh.read(min(LINE_SCAN_BYTES, start))):
            line += chunk.count(end)
            start -= len(chunk)
    raise ImportFailure(f"{path.name}: line {line} is longer than {limit / 1024**2:g} MB (one field that large "
                        "is not a record of any kind Cellsight reads); refused")
