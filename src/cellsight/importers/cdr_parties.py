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

Everything here works on whole columns (comparisons, ``isin`` on the distinct
numbers), never row by row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cellsight.core.schema import STR

ORDERED, SUBSCRIBER, TARGET, OWN = "ordered", "subscriber column", "target column", "subject"


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
    layout: str
    how: str  # one sentence: how the order was decided, for the source's parameters
    uncertain: bool = False  # the layout was a guess the data could not settle
    swapped: int = 0
    notes: list[str] = field(default_factory=list)


def _mask(series: pd.Series) -> np.ndarray:
    return series.fillna(False).to_numpy(dtype=bool)


def _in(values: pd.Series, numbers: set[str] | pd.Series) -> np.ndarray:
    if isinstance(numbers, set) and not numbers:
        return np.zeros(len(values), dtype=bool)
    return _mask(values.isin(numbers) & values.notna())


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
    out = direction.eq("outgoing").to_numpy(dtype=bool)
    inc = direction.eq("incoming").to_numpy(dtype=bool)
    if target is not None:
        subscriber = target.astype(STR)
        layout, uncertain = TARGET, False
        how = (f"the target of each row is in column {target_name!r}; the direction puts it first "
               f"on outgoing rows and second on incoming rows")
    else:
        layout, how, uncertain = _layout(a_num, b_num, out, inc, own, names)
        if layout == SUBSCRIBER:
            subscriber = a_num.where(a_num.notna(), None).astype(STR)
        else:
            subscriber = _ordered_subscriber(a_num, b_num, out, inc, own)
    # Swap where the subscriber sits on the wrong side for the row's direction.
    sub_a = _mask(a_num.eq(subscriber))
    sub_b = _mask(b_num.eq(subscriber))
    swap = (out & sub_b & ~sub_a) | (inc & sub_a & ~sub_b)

    def swapped(x: pd.Series, y: pd.Series) -> tuple[pd.Series, pd.Series]:
        return x.where(~swap, y), y.where(~swap, x)

    a_raw, b_raw = swapped(a_raw, b_raw)
    a_num, b_num = swapped(a_num, b_num)
    a_flag, b_flag = swapped(a_flag, b_flag)
    return Parties(a=a_num, b=b_num, a_raw=a_raw, b_raw=b_raw, a_flag=a_flag, b_flag=b_flag,
                   subscriber=subscriber, layout=layout, how=how, uncertain=uncertain,
                   swapped=int(swap.sum()))


def _ordered_subscriber(a: pd.Series, b: pd.Series, out: np.ndarray, inc: np.ndarray,
                        own: set[str]) -> pd.Series:
    """In an ordered file: A on outgoing rows, B on incoming rows, the subject's number elsewhere.

    A row with no direction (a data session) is the A party's when it has no B
    party or A is the subject's number; otherwise whose it is stays unknown.
    """
    a, b = a.astype(STR), b.astype(STR)
    sub = a.where(out).mask(inc, b)
    rest = ~(out | inc)
    if rest.any():
        a_own, b_own = _in(a, own), _in(b, own)
        lone = rest & _mask(b.isna()) & _mask(a.notna())
        sub = sub.mask(rest & (a_own | lone), a).mask(rest & b_own & ~a_own, b)
    return sub


def _layout(a: pd.Series, b: pd.Series, out: np.ndarray, inc: np.ndarray, own: set[str],
            names: tuple[str, str]) -> tuple[str, str, bool]:
    """``(layout, how it was decided, uncertain)`` for two party columns without a target column."""
    first, second = names
    if not inc.any() or not (out | inc).any():
        return ORDERED, (f"party A read from column {first!r} as written: no row says it is incoming, "
                         "so the columns' order is the calls' order"), False
    a_in, b_in = a[inc], b[inc]
    # The file's own evidence first: whoever makes the outgoing calls is the subscriber, and sits in
    # A on incoming rows too only if A is the subscriber's column. The subject's number (which may
    # not be the records' owner) is asked only when the file has no outgoing rows to tell.
    callers = set(a[out].dropna().unique())
    sub_votes = int((_in(a_in, callers) & ~_in(b_in, callers)).sum())
    ord_votes = int((_in(b_in, callers) & ~_in(a_in, callers)).sum())
    evidence = "the numbers that make the outgoing calls"
    if not sub_votes and not ord_votes and own:
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
        if a[inc].nunique() < b[inc].nunique():
            return SUBSCRIBER, (f"column {first!r} holds fewer numbers than {second!r} on the incoming "
                                f"rows, so it was taken as the subscriber's: party A is read from "
                                f"{second!r} on incoming rows"), True
    return ORDERED, (f"party A read from column {first!r} as written: nothing in the file shows "
                     f"whether {first!r} is the caller or the subscriber; check the direction"), True


def targets_table(subscriber: pd.Series | None) -> list[dict[str, object]]:
    """``[{"number", "rows"}]`` of the subscribers (E.164) a file holds, most rows first."""
    if subscriber is None:
        return []
    tally = subscriber.value_counts(dropna=True)
    tally = tally[tally.index.astype(str).str.startswith("+")]
    tally = tally.sort_index().sort_values(ascending=False, kind="stable")
    return [{"number": str(n), "rows": int(c)} for n, c in tally.items()]
