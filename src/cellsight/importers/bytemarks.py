"""What a CSV's bytes hold that decides how its parse is checked and its values read.

A double quote means a record may span lines (so the lines must be counted
against pyarrow's records) and a value may be wrapped in quotes; a CR byte that
lines may end otherwise than pyarrow ends them; a quote, apostrophe, equals or
plus sign anywhere means some value may be wrapped as Excel or an operator
wraps it (``'919234228158``, ``="0123"``, ``9.1E+11``), and none at all that no
value needs unwrapping. The marks are looked for in the bytes read whole, or
window by window as the file is read once for its digest (``importers.filepass``):
``MarkScan`` gives the same answer either way, a window at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

WRAP_MARKS = (b"'", b"=", b'"', b"+")  # the marks of a value wrapped by Excel or an operator
COUNT_BYTES = 1024**2  # LFs are counted this much at a time
_OTHER_MARKS = tuple(mark for mark in WRAP_MARKS if mark != b'"')


@dataclass(frozen=True)
class ByteMarks:
    """What a CSV's bytes hold."""

    quoted: bool  # a double quote: a record may span lines, and a value may be wrapped in quotes
    cr: bool  # a CR byte: lines may end otherwise than pyarrow ends them
    lines: int | None  # LF bytes in all, counted only when a quote or a CR makes the count matter
    plain: bool  # no mark of wrapping at all (WRAP_MARKS): no value needs unwrapping
    quotes_only: bool = False  # quoted, no other mark, and no e or E from ``body`` on (Table.quotes_only)

    @classmethod
    def of(cls, raw: bytes, body: int = 0) -> ByteMarks:
        """The marks of ``raw``, a file's bytes; ``body``: where its data lines begin (the header's
        words hold e's)."""
        scan = MarkScan()
        scan.add(raw, len(raw), lambda end: lines_and_last_e(raw, end))  # (one window: nothing before it)
        return scan.marks(body)


@dataclass
class MarkScan:
    """``ByteMarks`` of a file's bytes, found one window at a time.

    Each window costs a byte search per mark (memchr; a mark once found is no
    longer looked for), and two more for the letter e (only while the file is
    quoted and holds no other mark: ``quotes_only``); LF bytes are counted only
    from the window where a quote or a CR is first seen. If that is not the first
    window, the bytes before it are asked for their LF count and their last e
    (``before``), so the answer is the one the bytes read whole give.
    """

    size: int = 0  # bytes seen
    quoted: bool = False
    cr: bool = False
    others: bool = False  # a mark of wrapping other than the double quote
    lines: int | None = None  # LFs, counted once a quote or a CR is seen
    last_e: int = -1  # where the last e or E is, looked for once quoted while no other mark is seen
    ends_with_lf: bool = False
    ascii: bool = True  # no byte above 127: the file is valid UTF-8, whatever else it is
    _e_sought: bool = False  # whether last_e covers the bytes seen
    _scratch: np.ndarray | None = field(default=None, repr=False, compare=False)  # for counting LFs

    def add(self, window: bytes | bytearray, n: int,
            before: Callable[[int], tuple[int, int]]) -> None:
        """Take the window's first ``n`` bytes, the file's next. ``before(end)``: the LF count and
        the last e or E (or -1) of the file's bytes up to ``end``, asked when the count or the
        search for e begins after the first window (at most twice)."""
        self.quoted = self.quoted or window.find(b'"', 0, n) >= 0
        self.cr = self.cr or window.find(b"\r", 0, n) >= 0
        self.others = self.others or any(window.find(mark, 0, n) >= 0 for mark in _OTHER_MARKS)
        count = self.lines is None and (self.quoted or self.cr)
        search = not self._e_sought and self.quoted and not self.others
        if count or search:
            lines, last_e = before(self.size) if self.size else (0, -1)
            if count:
                self.lines = lines
            if search:
                self.last_e, self._e_sought = last_e, True
        if self.lines is not None:
            if self._scratch is None:
                self._scratch = np.empty(COUNT_BYTES, dtype=bool)
            self.lines += lf_count(window, n, self._scratch)
        if self._e_sought and not self.others:
            found = max(window.rfind(b"e", 0, n), window.rfind(b"E", 0, n))
            if found >= 0:
                self.last_e = self.size + found
        if n:
            self.size += n
            self.ends_with_lf = window[n - 1] == 0x0A
            self.ascii = self.ascii and (window if n == len(window) else window[:n]).isascii()

    def marks(self, body: int = 0) -> ByteMarks:
        """The marks, with ``quotes_only`` asked of the bytes from ``body`` on."""
        plain = not self.quoted and not self.others
        quotes_only = self.quoted and not self.others and self.last_e < body
        return ByteMarks(self.quoted, self.cr, self.lines, plain, quotes_only)


def lf_count(data: bytes | bytearray, n: int, scratch: np.ndarray | None = None) -> int:
    """LF bytes in ``data[:n]``: compared by numpy ``COUNT_BYTES`` at a time into one ``scratch``
    array (of that length, given by a caller that counts again), five times as fast as
    ``bytes.count``, which looks at one byte at a time."""
    if scratch is None:
        scratch = np.empty(min(n, COUNT_BYTES), dtype=bool)
    view, found = np.frombuffer(data, dtype=np.uint8, count=n), 0
    for at in range(0, n, COUNT_BYTES):
        piece = view[at:at + COUNT_BYTES]
        found += int(np.count_nonzero(np.equal(piece, 0x0A, out=scratch[:len(piece)])))
    return found


def lines_and_last_e(data: bytes | bytearray, n: int) -> tuple[int, int]:
    """The LF count and where the last e or E is (-1: none) in ``data[:n]``."""
    return lf_count(data, n), max(data.rfind(b"e", 0, n), data.rfind(b"E", 0, n))
