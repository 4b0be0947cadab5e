"""A text column whose values all have one width, seen as a grid of bytes.

Operators write dates, clock times, durations, IMEIs and cell identities in one
fixed width (``01/03/2023``, ``12:30:05``, ``234-30-10451-23308``). Such a column
is a rows-by-width array of bytes over pyarrow's own buffer (one a chunk), with no
copy, and a few array passes tell, position by position, whether every row holds a digit
there or one and the same byte. That answers questions about every value at
once that would otherwise need its distinct values, or a parser per row: what
clock each value reads (``cdr.dateclock``), or whether any value can be wrapped
(``tabular.unwrap``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MAX_WIDTH = 24  # bytes a value: wider columns are not looked at so


class ByteGrid:
    """Values of one width as rows-by-bytes arrays (one a chunk of the column, no copy), and at each
    byte position whether every row holds a digit there (``"digit"``), or else the one byte they all
    hold (None if neither)."""

    def __init__(self, blocks: list[np.ndarray]) -> None:
        self.blocks = blocks
        self.shape = tuple(_joined([_position(block[:, p]) for block in blocks]) for p in range(blocks[0].shape[1]))

    def fits(self, layout: tuple[bytes | str, ...]) -> bool:
        """Whether every value is written as ``layout`` says: at each position its one byte, or
        (any other entry) a digit."""
        return len(layout) == len(self.shape) and all(
            have == (want if isinstance(want, bytes) else "digit") for want, have in zip(layout, self.shape))

    @property
    def bytes_held(self) -> set[bytes] | None:
        """Every byte other than a digit that a value holds; None where a position holds neither
        digits throughout nor one byte."""
        if None in self.shape:
            return None
        return {have for have in self.shape if isinstance(have, bytes)}


def _joined(positions: list[str | bytes | None]) -> str | bytes | None:
    """One position over all the blocks: what each block holds there, if they all hold the same."""
    return positions[0] if all(p == positions[0] for p in positions) else None


def _position(column: np.ndarray) -> str | bytes | None:
    if bool(np.all((column - 48) < 10)):  # uint8: anything below "0" wraps round to above 10
        return "digit"
    if bool(np.all(column == column[0])):
        return bytes(column[:1])
    return None


def value_offsets(values: pa.Array) -> np.ndarray:
    """Where each value of a pyarrow text array begins in its data buffer, and (last) where the
    last one ends: the array's own offsets, no copy."""
    kind = np.int64 if values.type == pa.large_string() else np.int32
    return np.frombuffer(values.buffers()[1], dtype=kind)[values.offset:values.offset + len(values) + 1]


def byte_grid(values: pa.Array | pa.ChunkedArray) -> ByteGrid | None:
    """``values`` (pyarrow text, one array or a column's chunks) as a ``ByteGrid`` when none is
    missing and all have one width of at most ``MAX_WIDTH`` bytes; else None."""
    blocks = byte_blocks(values)
    return None if blocks is None else ByteGrid(blocks)


def byte_blocks(values: pa.Array | pa.ChunkedArray) -> list[np.ndarray] | None:
    """The rows-by-width bytes of ``byte_grid``, a block a (non-empty) chunk, their positions not
    looked at; None unless there is one and every one is of the same width."""
    chunks = [c for c in values.chunks if len(c)] if isinstance(values, pa.ChunkedArray) else [values]
    blocks = [_rows(chunk) for chunk in chunks]
    if not blocks or any(b is None for b in blocks) or len({b.shape[1] for b in blocks}) != 1:
        return None
    return blocks


def _rows(values: pa.Array) -> np.ndarray | None:
    if values.null_count or not len(values) or values.type not in (pa.string(), pa.large_string()):
        return None
    offsets = value_offsets(values)
    width = int(offsets[1] - offsets[0])
    if not 0 < width <= MAX_WIDTH or int(offsets[-1] - offsets[0]) != width * len(values) or \
            not bool(np.all(np.diff(offsets) == width)):
        return None
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return data.reshape(len(values), width)
