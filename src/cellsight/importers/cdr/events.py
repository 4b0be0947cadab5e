"""What each call-record row is: its kind, direction, parties in order, duration, cells.

Event codes and direction columns give the kind and direction once per
distinct code; the parties are put in order by ``cdr.parties`` (party A the
caller or sender); access points and services in party B are kept as written
but never counted as contacts; numbers that Excel wrote in scientific notation
are named in a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cellsight.core import schema
from cellsight.core.schema import STR
from cellsight.importers import tabular
from cellsight.importers.base import ImportResult
from cellsight.importers.cells import ip_address_rows
from cellsight.importers.cdr.codes import decode_code
from cellsight.importers.cdr.context import PartyNumbers, _cells, _Context, _party_numbers, _text, party_numbers
from cellsight.importers.cdr.durations import _duration
from cellsight.importers.cdr.parties import Parties, order
from cellsight.importers.cdr.vocabulary import PARTY_ROLES

COMMUNICATION_KINDS = ("call", "sms", "mms", "voicemail")  # kinds that need a party number

# Warnings the workstation recognises, to offer the column mapping before anything is imported.
NO_EVENT_TYPE = "no column gives the event type"
NO_DIRECTION = "direction unknown"
PARTY_ORDER = "party order:"


def _events(ctx: _Context, result: ImportResult) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Everything but the start time, for rows that have one; whether each row names a party;
    and the subscriber (target) each row belongs to.

    A row names a party when one of its own party columns holds one (the
    target a file states for every row does not count); a layout with no party
    columns at all (a list of data sessions) needs none.
    """
    frame, options = ctx.table.frame, ctx.options
    kind, direction = _kinds(ctx, result)
    roles = ctx.roles
    own = set(options.subject_numbers) | ({ctx.target} if ctx.target else set())
    if ("party_a" in roles or "other_party" in roles) and ("party_b" in roles or "other_party" in roles) \
            and ("party_a" in roles or "party_b" in roles):
        xa = "party_a" if "party_a" in roles else "other_party"
        ya = "party_b" if "party_b" in roles else "other_party"
        x, y = _party(ctx, xa), _party(ctx, ya)
        target = _party(ctx, "target") if "target" in roles else None
        parties = order(x, y, direction, target=target, own=own,
                                    names=(roles[xa], roles[ya]), target_name=roles.get("target", ""))
        has_party = _mask(x[0].notna() | y[0].notna())
    else:
        # The target (or the subscriber's number) and one counterpart column, whatever its name
        counterpart = next((r for r in ("other_party", "party_b", "party_a") if r in roles), None)
        if "target" in roles:
            x, name = _party(ctx, "target"), roles["target"]
        else:
            stated = options.subject_numbers
            own_text = ctx.target or (sorted(stated)[0] if len(stated) == 1 else "")
            x = _constant_party(own_text, frame.index, options.region)
            name = "the subscriber's number"
        y = _party(ctx, counterpart) if counterpart else _constant_party("", frame.index, options.region)
        parties = order(x, y, direction, target=x, own=own,
                                    names=(name, roles.get(counterpart, "")), target_name=name)
        has_party = _mask(y[0].notna()) if counterpart else np.ones(len(frame), dtype=bool)
    _lost_digits(ctx, result)
    originators = _bulk_originators(parties, direction, own)  # by the file's own directions
    direction = _direction_by_number(parties, direction, own)
    subscriber = _subscriber_by_number(parties, direction, own)
    if originators is not None:
        subscriber = originators
        result.parameters["targets_by"] = (f"originating number (column {roles[xa]!r}): no column says "
                                           "whose records these are, and most rows involve no one number")
    kept = ~(tabular.in_categories(kind, COMMUNICATION_KINDS) & ~has_party)  # the rest are rejected
    _say_how(parties, kind[kept], direction[kept], own, result, options.subject)
    b, b_flag = _not_parties(parties, kind, result)

    _say_ip_cells(ctx, result)
    duration, unreadable = _duration(ctx, kind, result.parameters)
    if unreadable:
        result.warnings.append(f"{unreadable} durations could not be read and are left empty")
    events = pd.DataFrame({
        "duration_s": duration,
        "kind": kind.astype(pd.CategoricalDtype(list(schema.EVENT_KINDS))),
        "direction": direction.astype(pd.CategoricalDtype(list(schema.DIRECTIONS))),
        "party_a": parties.a, "party_b": b,
        "party_a_raw": parties.a_raw, "party_b_raw": parties.b_raw,
        "party_a_flag": parties.a_flag, "party_b_flag": b_flag,
        "cell_first": _cells(ctx, "_first"), "cell_last": _cells(ctx, "_last"),
        "imei": _text(ctx, "imei"), "imsi": _text(ctx, "imsi"),
        "status": _status(ctx),
    }, index=frame.index)
    return events, has_party, subscriber.reset_index(drop=True)


def _status(ctx: _Context) -> pd.Series:
    """The status column as a categorical; with none, the all-missing one made at once (not by
    turning a million missing values into categories)."""
    if ctx.col("status") is None:
        none = pd.CategoricalDtype(pd.Index([], dtype=STR))
        return pd.Series(pd.Categorical.from_codes(np.full(len(ctx.table.frame), -1, dtype=np.int8), dtype=none),
                         index=ctx.table.frame.index)
    return _text(ctx, "status").astype("category")


BULK_SHARE = 0.5  # an undirected file of which fewer rows involve one number is a bulk extract


def _bulk_originators(parties: Parties, direction: pd.Series, own: set[str]) -> pd.Series | None:
    """Party A of each row when the file is a bulk A/B extract, else None.

    One person's records involve that person on every row; an aggregated
    extract of many originating numbers with no direction and no target column
    does not: fewer than ``BULK_SHARE`` of its rows involve the subject's number
    (or, with no subject, the commonest number). Such a file is never the
    subject's: its rows are told apart by originating number, as targets.
    """
    if not parties.layout.in_call_order or direction.ne("unknown").any() or parties.a.nunique() < 2:
        return None
    a, b = parties.a, parties.b
    numbers = set(own)
    if not numbers:
        counted = pd.concat([a, b[b.ne(a).fillna(True)]]).value_counts()
        numbers = {counted.index[0]} if len(counted) else set()
    named = (a.notna() | b.notna()).to_numpy(dtype=bool)  # rows of no party are rejected anyway
    involved = (a.isin(numbers) | b.isin(numbers)).to_numpy(dtype=bool)[named]
    return None if not len(involved) or involved.mean() >= BULK_SHARE else a


def _say_ip_cells(ctx: _Context, result: ImportResult) -> None:
    """Name the rows whose cell column holds an IP address (calls over Wi-Fi): kept with no cell."""
    for which in ("_first", "_last"):
        column = ctx.col("cell" + which)
        if column is None:
            continue
        rows = ip_address_rows(column)
        if rows:
            result.warnings.append(f"{rows:,} rows give an IP address in column {ctx.roles['cell' + which]!r} "
                                   "instead of a cell (calls over Wi-Fi): imported with no cell")


def _mask(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)


def _direction_by_number(parties: Parties, direction: pd.Series, own: set[str]) -> pd.Series:
    """In an ordered layout, a row no column directs is outgoing when A is the subject's number."""
    unknown = direction.eq("unknown").to_numpy(dtype=bool)
    if not unknown.any() or not parties.layout.directs_by_number or not own:
        return direction
    a_own, b_own = parties.a_own, parties.b_own  # parties.a.isin(own), by number id
    codes = direction.cat.codes.to_numpy().copy()
    codes[unknown & a_own & ~b_own] = schema.DIRECTIONS.index("outgoing")
    codes[unknown & b_own & ~a_own] = schema.DIRECTIONS.index("incoming")
    return pd.Series(pd.Categorical.from_codes(codes, list(schema.DIRECTIONS)), index=direction.index)


def _subscriber_by_number(parties: Parties, direction: pd.Series, own: set[str]) -> pd.Series:
    """The row's subscriber, with the subject's number where nothing else said whose the row is."""
    subscriber = parties.subscriber
    missing = int(subscriber.isna().sum())
    if len(own) == 1 and 0 < missing < len(subscriber):  # all missing: one subscriber, nothing to split
        subscriber = subscriber.fillna(next(iter(own)))
    return subscriber


def _say_how(parties: Parties, kind: pd.Series, direction: pd.Series, own: set[str],
             result: ImportResult, subject: str | None) -> None:
    """Record how the parties were put in order, and warn where it could not be decided."""
    result.parameters["party_order"] = parties.how
    result.parameters["party_layout"] = parties.layout.value
    if parties.layout.states_order(parties.uncertain):
        result.warnings.append(f"{PARTY_ORDER} {parties.how}")
    talk = kind.ne("data").to_numpy(dtype=bool)  # a data session has no direction to tell
    undirected = int((talk & direction.eq("unknown").to_numpy(dtype=bool)).sum())
    if not undirected:
        return
    whose = "neither party is the subject's number" if own else \
        "the subject's number is not known" if subject else "no subject was chosen"
    result.warnings.append(f"{NO_DIRECTION}: {parties.layout.undirected(undirected, int(talk.sum()), whose)}")


_NOT_A_PARTY = r"^(internet|ims|apn|wap|web|gprs|data|mms|lte|volte)$|^(?=.*[a-z])[a-z0-9_-]+(\.[a-z0-9_-]+)+$"


def _not_parties(parties: Parties, kind: pd.Series, result: ImportResult
                 ) -> tuple[pd.Series, pd.Series]:
    """Party B without access points and services (``internet``, ``ims``, an APN): they are no contact.

    The value stays in ``party_b_raw`` as written; ``party_b`` is left empty, so
    that no analysis counts a data session as a contact with "internet".
    """
    b, flag = parties.b, parties.b_flag
    named = b.notna().to_numpy(dtype=bool) & ~tabular.in_categories(flag, ["valid", "possible", "withheld"])
    if not named.any():
        return b, flag
    positions = np.flatnonzero(named)
    text = b.iloc[positions].str.strip().str.lower()
    service = np.zeros(len(b), dtype=bool)
    service[positions] = _mask(text.str.match(_NOT_A_PARTY))
    clear = (named & kind.eq("data").to_numpy(dtype=bool)) | service
    if not clear.any():
        return b, flag
    values = ", ".join(sorted(set(b[clear].astype(str)))[:4])
    result.warnings.append(f"{int(clear.sum()):,} rows name an access point or service as party B "
                           f"({values}); kept as written, not counted as a contact")
    return b.where(~clear), flag


def _party(ctx: _Context, role: str) -> PartyNumbers:
    """``(as written, E.164, flag, ...)`` of a party column; normalised from its unwrapped values."""
    numbers = party_numbers(ctx.col(role), ctx.options.region)
    if ctx.written is None or ctx.written is ctx.table.frame:
        return numbers  # nothing was unwrapped: as written, blanks missing
    written = ctx.as_written(role).astype(STR)
    return numbers._replace(raw=written.where(numbers.raw.notna(), None).astype(STR))


def _lost_digits(ctx: _Context, result: ImportResult) -> None:
    """Warn about numbers Excel wrote in scientific notation that no longer hold all their digits."""
    for role in PARTY_ROLES:
        written = ctx.as_written(role)
        if written is None or ctx.written is ctx.table.frame:  # nothing was unwrapped
            continue
        distinct = pd.Series(written.dropna().unique(), dtype=object)
        lost = distinct[distinct.astype(str).str.contains(r"\d[eE]\+?\d") &
                        distinct.map(lambda v: tabular.lost_digits(str(v)))]
        if len(lost):
            rows = int(written.isin(set(lost)).sum())
            result.warnings.append(
                f"{rows:,} numbers in column {ctx.roles[role]!r} were saved in scientific notation "
                f"and have lost digits (e.g. {lost.iloc[0]}); kept as written, they match no other "
                "number: ask the operator for the file as text")


def _constant_party(text: str, index: pd.Index, region: str) -> PartyNumbers:
    series = pd.Series([text] * len(index), index=index, dtype=STR)
    return _party_numbers(series, region)


def _kinds(ctx: _Context, result: ImportResult) -> tuple[pd.Series, pd.Series]:
    """Kind and direction of each row, from the event code and direction columns."""
    index = ctx.table.frame.index
    event, direction_col = ctx.col("event"), ctx.col("direction")
    default_kind = "call" if ("duration" in ctx.roles or "end" in ctx.roles or
                              "call" in tabular.header_text(ctx.roles.get("event", ""))) else "other"
    unknown_codes: set[str] = set()

    def decode(values: pd.Series, fallback_kind: str | None) -> tuple[pd.Series, pd.Series]:
        codes, uniques = tabular.distinct_codes(values)  # a blank cell has code -1
        kinds, directions = [], []
        for u in uniques:
            text = str(u).strip()
            kind, direction = decode_code(text, ctx.template) if text else (None, None)
            if text and kind is None and direction is None:
                unknown_codes.add(text)
                kind = "other" if fallback_kind else None
            kinds.append(kind or fallback_kind)
            directions.append(direction)
        return (_spread_category(kinds, codes, schema.EVENT_KINDS, fallback_kind),
                _spread_category(directions, codes, schema.DIRECTIONS))

    coded = np.zeros(len(index), dtype=bool)  # rows whose kind a code gave
    if event is not None:
        kind, direction = decode(event, default_kind)
        if unknown_codes:
            result.warnings.append("event types not recognised, imported as 'other': "
                                   + ", ".join(sorted(unknown_codes)[:10]))
    else:  # the default kind, and no direction yet
        kind = pd.Series(pd.Categorical.from_codes(np.full(len(index), schema.EVENT_KINDS.index(default_kind),
                                                           dtype=np.int8), list(schema.EVENT_KINDS)), index=index)
        direction = pd.Series(pd.Categorical.from_codes(np.full(len(index), -1, dtype=np.int8),
                                                        list(schema.DIRECTIONS)), index=index)
    if direction_col is not None:
        unknown_codes.clear()
        coded_kind, stated = decode(direction_col, None)
        direction = stated.where(stated.notna(), direction)
        if event is None:  # "A2P_SMSIN" in a direction column still says it was a message
            coded_kind.index = kind.index
            coded = coded_kind.notna().to_numpy(dtype=bool)
            kind = coded_kind.where(coded_kind.notna(), kind).astype(kind.dtype)
    if event is None and not coded.all():
        every = "every event" if not coded.any() else f"{int((~coded).sum()):,} events whose codes name no kind"
        result.warnings.append(f"{NO_EVENT_TYPE}: {every} imported as '{default_kind}' "
                               + ("(the file has call durations)" if default_kind == "call" else
                                  "(calls and messages cannot be told apart)")
                               + "; map the columns to read it (--template)")
    direction = direction.fillna("unknown")
    kind.index = direction.index = index
    return _data_by_access_point(ctx, kind, event), direction


def _data_by_access_point(ctx: _Context, kind: pd.Series, event: pd.Series | None) -> pd.Series:
    """A row that names an access point (``internet.example``) and no event code is a data session.

    Switch exports tell data sessions so: an APN and byte volumes, no call type.
    """
    apn = next((n for n in ctx.table.header if n not in ctx.roles.values() and
                ("apn" in tabular.header_text(n).split() or "access point" in tabular.header_text(n))), None)
    if apn is None:
        return kind

    def written(values: pd.Series) -> np.ndarray:
        return values.astype(STR).str.strip().fillna("").ne("").to_numpy(dtype=bool)

    named = written(ctx.table.frame[apn])
    if event is not None:
        named = named & ~written(event)
    if not named.any():
        return kind
    return kind.where(~named, "data")


def _spread_category(values: list[str | None], codes: np.ndarray, categories: tuple[str, ...],
                     missing: str | None = None) -> pd.Series:
    """Per-distinct results spread over the rows as a categorical; code -1 (a blank cell) gets ``missing``."""
    lookup = np.array([categories.index(v) if v in categories else -1 for v in [*values, missing]], dtype=np.int8)
    return pd.Series(pd.Categorical.from_codes(lookup[codes], list(categories)), copy=False)  # (int8 codes, taken once)


