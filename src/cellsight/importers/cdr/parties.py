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

Everything here works on whole columns with pyarrow kernels (comparisons,
``is_in`` on the distinct numbers, ``if_else``), never row by row in Python.
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
    notes: list[str] = field(default_factory=list)


def _mask(values: pd.Series | pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)
    return values.fillna(False).to_numpy(dtype=bool)


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """A text column as pyarrow strings, without copying."""
    arr = pa.array(values.astype(STR).array)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _series(arr: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    chunked = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    return pd.Series(STR.__from_arrow__(chunked.cast(pa.large_string())), index=index)


def _in(values: pa.ChunkedArray, numbers: pa.Array) -> np.ndarray:
    if not len(numbers):
        return np.zeros(len(values), dtype=bool)
    return _mask(pc.is_in(values, value_set=numbers))


def _numbers(values: set[str]) -> pa.Array:
    return pa.array(sorted(values), pa.large_string())


def order(a: tuple[pd.Series, pd.Series, pd.Series], b: tuple[pd.Series, pd.Series, pd.Series],
          direction: pd.Series, *, target: pd.Series | None, own: set[str],
          names: tuple[str, str], target_name: str = "") -> Parties:
    """Put party A first on every row whose direction is known; find each row's subscriber.

    ``a``/``b`` are ``(raw, normalised, flag)`` of the two party columns as the
    file lays them out (``names`` are their headers); ``target`` the normalised
    per-row target column, if the file has one; ``own`` the subscriber's
    numbers known from elsewhere (the subject, a title row).
    """
    a_raw, a_num, a_flag = a
    b_raw, b_num, b_flag = b
    index = a_num.index
    out = direction.eq("outgoing").to_numpy(dtype=bool)
    inc = direction.eq("incoming").to_numpy(dtype=bool)
    x, y = _arrow(a_num), _arrow(b_num)
    if target is not None:
        subscriber = _arrow(target)
        layout, uncertain = TARGET, False
        how = (f"the target of each row is in column {target_name!r}; the direction puts it first "
               f"on outgoing rows and second on incoming rows")
    else:
        layout, how, uncertain = _layout(x, y, out, inc, _numbers(own), names)
        subscriber = x if layout == SUBSCRIBER else _ordered_subscriber(x, y, out, inc, _numbers(own))
    if layout.in_call_order:
        swap = np.zeros(len(index), dtype=bool)  # in the calls' order already, by definition
    else:  # swap where the subscriber sits on the wrong side for the row's direction
        sub_a = _mask(pc.equal(x, subscriber))
        sub_b = _mask(pc.equal(y, subscriber))
        swap = (out & sub_b & ~sub_a) | (inc & sub_a & ~sub_b)
    parties = Parties(a=a_num, b=b_num, a_raw=a_raw, b_raw=b_raw, a_flag=a_flag, b_flag=b_flag,
                      subscriber=_series(subscriber, index), layout=layout, how=how,
                      uncertain=uncertain, swapped=int(swap.sum()))
    if parties.swapped:
        mask = pa.array(swap)
        for first, second in (("a", "b"), ("a_raw", "b_raw")):
            p, q = _arrow(getattr(parties, first)), _arrow(getattr(parties, second))
            setattr(parties, first, _series(pc.if_else(mask, q, p), index))
            setattr(parties, second, _series(pc.if_else(mask, p, q), index))
        parties.a_flag, parties.b_flag = a_flag.where(~swap, b_flag), b_flag.where(~swap, a_flag)
    return parties


def _ordered_subscriber(a: pa.ChunkedArray, b: pa.ChunkedArray, out: np.ndarray, inc: np.ndarray,
                        own: pa.Array) -> pa.ChunkedArray:
    """In an ordered file: A on outgoing rows, B on incoming rows, the subject's number elsewhere.

    A row with no direction (a data session) is the A party's when it has no B
    party or A is the subject's number; otherwise whose it is stays unknown.
    """
    none = pa.scalar(None, a.type)
    distinct = set()
    for values, rows in ((a, out), (b, inc)):
        if rows.any():
            distinct |= set(pc.unique(values.filter(pa.array(rows))).to_pylist()) - {None}
    if len(distinct) <= 1:
        # One subscriber (or none): nothing to split, and an ordered file names no owner by itself,
        # so the rows need no subscriber each; this keeps the million-row import at its pace.
        return pa.chunked_array([pa.nulls(len(a), a.type)])
    sub = pc.if_else(pa.array(out), a, pc.if_else(pa.array(inc), b, none))
    rest = ~(out | inc)
    if rest.any():
        a_own, b_own = _in(a, own), _in(b, own)
        lone = rest & _mask(pc.is_null(b)) & _mask(pc.is_valid(a))
        sub = pc.if_else(pa.array(rest & (a_own | lone)), a, sub)
        sub = pc.if_else(pa.array(rest & b_own & ~a_own), b, sub)
    return sub


def _layout(a: pa.ChunkedArray, b: pa.ChunkedArray, out: np.ndarray, inc: np.ndarray, own: pa.Array,
            names: tuple[str, str]) -> tuple[PartyLayout, str, bool]:
    """``(layout, how it was decided, uncertain)`` for two party columns without a target column."""
    first, second = names
    if not inc.any() or not (out | inc).any():
        return ORDERED, (f"party A read from column {first!r} as written: no row says it is incoming, "
                         "so the columns' order is the calls' order"), False
    a_in, b_in = a.filter(pa.array(inc)), b.filter(pa.array(inc))
    # The file's own evidence first: whoever makes the outgoing calls is the subscriber, and sits in
    # A on incoming rows too only if A is the subscriber's column. The subject's number (which may
    # not be the records' owner) is asked only when the file has no outgoing rows to tell.
    callers = pc.drop_null(pc.unique(a.filter(pa.array(out)))) if out.any() else _numbers(set())
    sub_votes = int((_in(a_in, callers) & ~_in(b_in, callers)).sum())
    ord_votes = int((_in(b_in, callers) & ~_in(a_in, callers)).sum())
    evidence = "the numbers that make the outgoing calls"
    if not sub_votes and not ord_votes and len(own):
        sub_votes = int((_in(a_in, own) & ~_in(b_in, own)).sum())
        ord_votes = int((_in(b_in, own) & ~_in(a_in, own)).sum())
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
        if pc.count_distinct(a_in).as_py() < pc.count_distinct(b_in).as_py():
            return SUBSCRIBER, (f"column {first!r} holds fewer numbers than {second!r} on the incoming "
                                f"rows, so it was taken as the subscriber's: party A is read from "
                                f"{second!r} on incoming rows"), True
    return ORDERED, (f"party A read from column {first!r} as written: nothing in the file shows "
                     f"whether {first!r} is the caller or the subscriber; check the direction"), True


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
