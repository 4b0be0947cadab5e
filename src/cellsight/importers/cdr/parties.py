"""Who called whom in operator records, and whose records each row is.

Operators lay the parties out in three ways, and the same words in a header
can mean any of them:

- **ordered**: the caller's number in one column and the called number in the
  other (``Calling Number``/``Called Number``); a direction, where given, says
  which of the two is the subscriber whose records these are;
- **subscriber column**: the subscriber's own number in the A column on every
  row, the other party in the B column, and a direction column or event code
  (``INBOUND_OUTBOUND_IND``, ``CALL_TYPE`` Incoming, ``MO``/``MT``) saying who
  called whom;
- **target column**: a per-row target number (``TARGET_NO``, ``Target /A PARTY
  NUMBER``, ``MSISDN``) with the counterpart in ``B_PARTY`` or ``Other/B-party
  Number`` (or with ordered calling and called columns beside it).

Party A is always the caller or sender. When the target of each row is known
(a target column, or the subscriber's number), the direction puts the two
parties in order row by row. When it is not, the layout is told from the data:
in an ordered file the numbers that call out (A on outgoing rows) are the ones
that are called on incoming rows (B), while in a subscriber-column file they
sit in A on incoming rows too. The decision and its evidence are recorded; a
file that gives no evidence either way is read as written and says so.

Everything here works on whole columns, never row by row in Python: the
numbers as integer ids into the distinct numbers of the party columns
(``NumberIds``, from the codes the columns were normalised by), so that
"who makes the outgoing calls" or "is this the subject's number" are array
lookups; the columns are swapped with pyarrow's ``if_else``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core.phone import normalise
from cellsight.core.schema import STR
from cellsight.importers import tabular
from cellsight.importers.cdr.context import PartyNumbers



class PartyLayout(str, Enum):
    """How a file lays its parties out, and what that means for reading each row.

    The value is what the source's parameters record (``party_layout``).
    """

    ORDERED = "ordered"
    SUBSCRIBER = "subscriber column"
    TARGET = "target column"

    @property
    def in_call_order(self) -> bool:
        """The columns are the calls' order already: nothing is swapped, whatever the direction."""
        return self is PartyLayout.ORDERED

    @property
    def names_owner(self) -> bool:
        """Whether the subscriber found on the rows may name the records' owner without the officer.

        In an ordered file the subscriber is only inferred from the codes:
        enough to see that a file holds several, not to name the owner.
        """
        return self is not PartyLayout.ORDERED

    @property
    def directs_by_number(self) -> bool:
        """A row no column directs is outgoing when party A is the subject's number (ordered files)."""
        return self is PartyLayout.ORDERED

    def states_order(self, uncertain: bool) -> bool:
        """Whether the import warns how the parties were put in order."""
        return uncertain or self is PartyLayout.SUBSCRIBER

    def undirected(self, undirected: int, total: int, whose: str) -> str:
        """The warning for rows whose direction could not be told, in this layout's terms."""
        counted = f"for {undirected:,} of {total:,} rows (calls, messages and other events)"
        if self is PartyLayout.ORDERED:
            return (f"{counted} the file does not say whose records they are and {whose}; party A is "
                    "the caller as the columns are written, the direction is imported as 'unknown' "
                    "(choose the subject (--subject) or map the columns (--template))")
        return (f"{counted} no column or code says who called whom; party A is the subscriber as "
                "written, not necessarily the caller, and the direction is imported as 'unknown' "
                "(map the columns (--template))")


ORDERED, SUBSCRIBER, TARGET = PartyLayout.ORDERED, PartyLayout.SUBSCRIBER, PartyLayout.TARGET


@dataclass
class Parties:
    """Parties in order (A the caller), and the subscriber whose record each row is."""

    a: pd.Series  # normalised
    b: pd.Series
    a_raw: pd.Series
    b_raw: pd.Series
    a_flag: pd.Series
    b_flag: pd.Series
    subscriber: pd.Series  # E.164 of the row's subscriber (target); missing where unknown
    layout: PartyLayout
    how: str  # one sentence: how the order was decided, for the source's parameters
    uncertain: bool = False  # the layout was a guess the data could not settle
    swapped: int = 0
    a_own: np.ndarray | None = None  # whether party A (B) is one of the subscriber's own numbers
    b_own: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """A text column as pyarrow strings, without copying."""
    arr = pa.array(values.astype(STR).array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _series(arr: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    chunked = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    return pd.Series(STR.__from_arrow__(chunked.cast(pa.large_string())), index=index)


@dataclass
class NumberIds:
    """The numbers of a table's party columns as integers: each row's id in ``numbers`` (-1: none).

    The party columns hold some thousands of distinct numbers over a million
    rows; who calls out, who sits where and who is the subject's number are
    then array lookups by id, never comparisons of a million strings.
    """

    numbers: pd.Series  # distinct E.164 values
    columns: list[np.ndarray]  # ids of each column given, row by row

    @classmethod
    def of(cls, *columns: PartyNumbers) -> NumberIds:
        joint, numbers = pd.factorize(pd.concat([c.distinct for c in columns], ignore_index=True))
        ids, start = [], 0
        for column in columns:
            lookup = np.append(joint[start:start + len(column.distinct)], -1).astype(np.int32)  # code -1: no number
            ids.append(lookup[column.codes])
            start += len(column.distinct)
        return cls(pd.Series(numbers, dtype=STR), ids)

    def holding(self, values: set[str]) -> np.ndarray:
        """A lookup by id: which ids are among ``values`` (id -1, no number, never is)."""
        return np.append(self.numbers.isin(values).to_numpy(dtype=bool), False)

    def seen(self, ids: np.ndarray) -> np.ndarray:
        """A lookup by id: which ids occur in ``ids``."""
        lookup = np.zeros(len(self.numbers) + 1, dtype=bool)
        lookup[ids] = True
        lookup[-1] = False
        return lookup

    def series(self, ids: np.ndarray, index: pd.Index) -> pd.Series:
        return tabular.spread(self.numbers, ids, index)


def order(a: PartyNumbers, b: PartyNumbers, direction: pd.Series, *, target: PartyNumbers | None,
          own: set[str], names: tuple[str, str], target_name: str = "") -> Parties:
    """Put party A first on every row whose direction is known; find each row's subscriber.

    ``a``/``b`` are the two party columns as the file lays them out (``names``
    are their headers); ``target`` the per-row target column, if the file has
    one; ``own`` the subscriber's numbers known from elsewhere (the subject, a
    title row).
    """
    index = a.value.index
    out = direction.eq("outgoing").to_numpy(dtype=bool)
    inc = direction.eq("incoming").to_numpy(dtype=bool)
    ids = NumberIds.of(a, b, *([target] if target is not None else []))
    x, y = ids.columns[0], ids.columns[1]
    is_own = ids.holding(own)
    if target is not None:
        subscriber = ids.columns[2]
        layout, uncertain = TARGET, False
        how = (f"the target of each row is in column {target_name!r}; the direction puts it first "
               f"on outgoing rows and second on incoming rows")
    else:
        callers = ids.seen(x[out])  # the numbers that make the outgoing calls
        layout, how, uncertain = _layout(ids, x, y, out, inc, is_own, names, callers)
        subscriber = x if layout == SUBSCRIBER else _ordered_subscriber(ids, x, y, out, inc, is_own, callers)
    if layout.in_call_order:
        swap = np.zeros(len(index), dtype=bool)  # in the calls' order already, by definition
    else:  # swap where the subscriber sits on the wrong side for the row's direction
        known = subscriber >= 0
        sub_a, sub_b = known & (x == subscriber), known & (y == subscriber)
        swap = (out & sub_b & ~sub_a) | (inc & sub_a & ~sub_b)
    parties = Parties(a=a.value, b=b.value, a_raw=a.raw, b_raw=b.raw, a_flag=a.flag, b_flag=b.flag,
                      subscriber=ids.series(subscriber, index), layout=layout, how=how,
                      uncertain=uncertain, swapped=int(swap.sum()), a_own=is_own[x], b_own=is_own[y])
    if parties.swapped:
        mask = pa.array(swap)
        for first, second in (("a", "b"), ("a_raw", "b_raw")):
            p, q = _arrow(getattr(parties, first)), _arrow(getattr(parties, second))
            setattr(parties, first, _series(pc.if_else(mask, q, p), index))
            setattr(parties, second, _series(pc.if_else(mask, p, q), index))
        parties.a_flag, parties.b_flag = a.flag.where(~swap, b.flag), b.flag.where(~swap, a.flag)
        parties.a_own, parties.b_own = np.where(swap, parties.b_own, parties.a_own), \
            np.where(swap, parties.a_own, parties.b_own)
    return parties


def _ordered_subscriber(ids: NumberIds, a: np.ndarray, b: np.ndarray, out: np.ndarray, inc: np.ndarray,
                        is_own: np.ndarray, callers: np.ndarray) -> np.ndarray:
    """In an ordered file: A on outgoing rows, B on incoming rows, the subject's number elsewhere.

    A row with no direction (a data session) is the A party's when it has no B
    party or A is the subject's number; otherwise whose it is stays unknown.
    ``callers``: ``ids.seen(a[out])``.
    """
    if int((callers | ids.seen(b[inc])).sum()) <= 1:
        # One subscriber (or none): nothing to split, and an ordered file names no owner by itself,
        # so the rows need no subscriber each; this keeps the million-row import at its pace (one
        # -1 seen as every row's, not a million written out: they are only read).
        return np.broadcast_to(np.int64(-1), len(a))
    sub = np.where(out, a, np.where(inc, b, -1))
    rest = ~(out | inc)
    if rest.any():
        a_own, b_own = is_own[a], is_own[b]
        lone = rest & (b < 0) & (a >= 0)
        sub = np.where(rest & (a_own | lone), a, sub)
        sub = np.where(rest & b_own & ~a_own, b, sub)
    return sub


def _layout(ids: NumberIds, a: np.ndarray, b: np.ndarray, out: np.ndarray, inc: np.ndarray,
            is_own: np.ndarray, names: tuple[str, str], callers: np.ndarray) -> tuple[PartyLayout, str, bool]:
    """``(layout, how it was decided, uncertain)`` for two party columns without a target column
    (``callers``: ``ids.seen(a[out])``)."""
    first, second = names
    if not inc.any() or not (out | inc).any():
        return ORDERED, (f"party A read from column {first!r} as written: no row says it is incoming, "
                         "so the columns' order is the calls' order"), False
    # The file's own evidence first: whoever makes the outgoing calls is the subscriber, and sits in
    # A on incoming rows too only if A is the subscriber's column. The subject's number (which may
    # not be the records' owner) is asked only when the file has no outgoing rows to tell.
    sub_votes, ord_votes = _votes(callers, a, b, inc)
    evidence = "the numbers that make the outgoing calls"
    if not sub_votes and not ord_votes and is_own.any():
        sub_votes, ord_votes = _votes(is_own, a, b, inc)
        evidence = "the subject's number"
    if sub_votes > ord_votes:
        return SUBSCRIBER, (f"column {first!r} holds the subscriber on every row ({evidence} "
                            f"sit in it on {sub_votes:,} incoming rows), so party A is read from "
                            f"{first!r} on outgoing rows and from {second!r} on incoming rows"), False
    if ord_votes > sub_votes:
        return ORDERED, (f"party A read from column {first!r} as written: the columns are in the "
                         f"calls' order ({evidence} sit in {second!r} on {ord_votes:,} incoming "
                         "rows)"), False
    if not out.any():  # only incoming rows and no subject: the subscriber's column repeats one number
        if ids.seen(a[inc]).sum() < ids.seen(b[inc]).sum():
            return SUBSCRIBER, (f"column {first!r} holds fewer numbers than {second!r} on the incoming "
                                f"rows, so it was taken as the subscriber's: party A is read from "
                                f"{second!r} on incoming rows"), True
    return ORDERED, (f"party A read from column {first!r} as written: nothing in the file shows "
                     f"whether {first!r} is the caller or the subscriber; check the direction"), True


def _votes(holds: np.ndarray, a: np.ndarray, b: np.ndarray, rows: np.ndarray) -> tuple[int, int]:
    """Of ``rows``, how many have a number ``holds`` (a lookup by id) in A and not in B, and the
    other way round: whole-column lookups, no copy of the rows' ids."""
    in_a, in_b = holds[a] & rows, holds[b] & rows
    return int(np.count_nonzero(in_a & ~in_b)), int(np.count_nonzero(in_b & ~in_a))


def subscriber_keys(subscriber: pd.Series) -> pd.Series:
    """Each row's subscriber as the targets table names it: E.164, or another identifier as
    written (trimmed); missing where the row's subscriber is blank or withheld. Per distinct value."""
    if not subscriber.notna().any():
        return subscriber  # one subscriber or none: nothing to tell apart (the common case, kept cheap)
    codes, uniques = pd.factorize(subscriber)
    keys = [None if normalise(str(u))[1] in ("blank", "withheld") else str(u).strip() for u in uniques]
    lookup = np.array([*keys, None], dtype=object)
    return pd.Series(lookup[codes], index=subscriber.index, dtype=STR)


def targets_table(subscriber: pd.Series | None) -> list[dict[str, object]]:
    """``[{"number", "rows"}]`` of the subscribers a file holds, most rows first.

    ``number`` is E.164, or, with ``identifier`` true, a subscriber identifier
    that is not a telephone number (a 13-digit M2M MSISDN, an IMSI, an ICCID,
    a pseudonymised id) as written: a target like any other, never dropped.
    """
    if subscriber is None:
        return []
    tally = subscriber.value_counts(dropna=True)
    tally = tally.sort_index().sort_values(ascending=False, kind="stable")
    return [{"number": str(n), "rows": int(c), **({} if str(n).startswith("+") else {"identifier": True})}
            for n, c in tally.items()]
