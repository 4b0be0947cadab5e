"""Messages: the conversations of a case, the terms of concern, and the schedule of messages.

Texts, MMS and chat messages are events like any other; this module reads
them as a prosecutor does, by conversation. A conversation is a group chat
(its thread id), or otherwise the pair of parties, whichever of them sent, so
that one pair's texts and chats read as one exchange. Nothing is merged away:
a message seen in two exhibits is two entries, each citing its own.

**Terms of concern** are words an officer wants every message checked for
(threats, "burn", "kill", "watching you"). The list belongs to the case
(``case.extras["concern_terms"]``, saved with it and changed through
``set_terms``, which writes an audit line); a case that never set one uses
``DEFAULT_TERMS``. A term matches at the start of a word, in any capitals,
and a term of several words matches them separated by any spaces: "burn"
finds "burn" and "burning" but not "sunburn", "watching you" finds "Watching
You". A match is a reason to read the message, not a finding.

The **schedule of messages** is the table a court bundle uses: time (as a
court reads it), from, to, text, deleted state, exhibit and the row there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cellsight.core.citations import exhibit_for, row_words
from cellsight.core.text import reveal
from cellsight.core.timezones import court_times

if TYPE_CHECKING:
    from cellsight.core.case import Case

MESSAGE_KINDS = ("sms", "mms", "chat")
EXTRAS_KEY = "concern_terms"
DEFAULT_TERMS = ("kill", "burn", "watching you", "hurt", "dead", "die", "knife", "acid", "petrol",
                 "regret", "you'll pay", "I know where", "outside your", "nobody else")
SCHEDULE_COLUMNS = ["Time", "From", "To", "Text", "Deleted", "Exhibit", "Row in exhibit"]


# ----- terms of concern ----------------------------------------------------------------------------
def clean_terms(terms: Iterable[str]) -> list[str]:
    """Terms stripped, blanks and repeats (in any capitals) dropped, order kept."""
    seen: set[str] = set()
    out = []
    for term in terms:
        term = " ".join(str(term).split())
        if term and term.lower() not in seen:
            seen.add(term.lower())
            out.append(term)
    return out


def terms(case: Case) -> list[str]:
    """The case's terms of concern (``DEFAULT_TERMS`` until the officer sets a list)."""
    saved = case.extras.get(EXTRAS_KEY)
    return clean_terms(saved) if isinstance(saved, list) else list(DEFAULT_TERMS)


def set_terms(case: Case, new_terms: Iterable[str]) -> list[str]:
    """Keep ``new_terms`` as the case's list, with an audit line; returns the list kept."""
    kept = clean_terms(new_terms)
    case.extras[EXTRAS_KEY] = kept
    case.log("set terms of concern", {"terms": kept})
    return kept


def pattern(terms_: Sequence[str]) -> str | None:
    """One regular expression finding any of the terms at a word's start (None for no terms).

    Written in the shared subset of Python's ``re`` and RE2 (which pandas uses
    on Arrow strings), so the table's mask and the highlighted spans agree.
    """
    parts = [r"\s+".join(re.escape(word) for word in term.split()) for term in clean_terms(terms_)]
    return r"\b(?:" + "|".join(parts) + ")" if parts else None


def _arrow(texts: pd.Series) -> pa.Array:
    """The texts as an Arrow string array (no copy for the case's Arrow-backed columns)."""
    if isinstance(texts.dtype, pd.StringDtype) and texts.dtype.storage == "pyarrow":
        return pa.array(texts.array)
    return pa.array(texts.astype(object).where(texts.notna(), None).to_numpy(object), pa.string())


def _true(matches: pa.Array) -> np.ndarray:
    return matches.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


def concern_mask(texts: pd.Series, terms_: Sequence[str]) -> np.ndarray:
    """True for each text holding a term of concern (RE2 through Arrow: half a million texts in ~0.05 s)."""
    regex = pattern(terms_)
    if regex is None or texts.empty:
        return np.zeros(len(texts), dtype=bool)
    return _true(pc.match_substring_regex(_arrow(texts), regex, ignore_case=True))


def spans(text: str, terms_: Sequence[str]) -> list[tuple[int, int]]:
    """Where the terms of concern occur in ``text``: ``(start, end)`` pairs in order."""
    regex = pattern(terms_)
    if regex is None or not text:
        return []
    return [m.span() for m in re.finditer(regex, text, flags=re.IGNORECASE)]


def search_mask(texts: pd.Series, words: str) -> np.ndarray:
    """True for each text containing ``words`` as typed (any capitals; not a pattern)."""
    if not words or texts.empty:
        return np.zeros(len(texts), dtype=bool)
    return _true(pc.match_substring(_arrow(texts), words, ignore_case=True))


# ----- conversations -------------------------------------------------------------------------------
def message_positions(events: pd.DataFrame, with_text_only: bool = True) -> np.ndarray:
    """Positions in ``events`` of its messages (those with a text, unless ``with_text_only`` is False)."""
    mask = events["kind"].isin(MESSAGE_KINDS).to_numpy(dtype=bool, na_value=False)
    if with_text_only:
        mask = mask & (events["text"].astype("string").str.len() > 0).to_numpy(dtype=bool, na_value=False)
    return np.flatnonzero(mask)


def conversations(messages: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Each message's conversation number, and each conversation's key.

    A key is a group chat's thread id, or the two parties of a pair joined by a
    tab in a fixed order (so both directions share it). Worked out on integer
    codes, so half a million messages take a fraction of a second.
    """
    def strings(column: str) -> np.ndarray:
        values = messages[column]
        return values.astype(object).where(values.notna(), "").to_numpy(object)

    a, b, thread = strings("party_a"), strings("party_b"), strings("thread")
    codes, parties = pd.factorize(np.concatenate([a, b]), sort=True)
    code_a, code_b = codes[:len(a)].astype(np.int64), codes[len(a):].astype(np.int64)
    low, high = np.minimum(code_a, code_b), np.maximum(code_a, code_b)
    group = (thread != "") & (b == thread)
    pair_code = np.where(group, -1 - code_b, low * len(parties) + high)  # groups negative, by their id
    ids, distinct = pd.factorize(pair_code, sort=False)
    keys = []
    for code in distinct:  # one per conversation
        code = int(code)
        if code < 0:
            keys.append(str(parties[-1 - code]))
        else:
            keys.append(f"{parties[code // len(parties)]}\t{parties[code % len(parties)]}")
    return ids.astype(np.int64), keys


def conversation_parties(key: str) -> tuple[str, ...]:
    """The parties a conversation key names (one for a group, two for a pair)."""
    return tuple(p for p in key.split("\t") if p) if "\t" in key else (key,)


def is_group(key: str) -> bool:
    return "\t" not in key


# ----- the schedule --------------------------------------------------------------------------------
def party_text(names: dict[str, str], party: Any) -> str:
    """``Name (number)`` where the case names the party, else the party as stored."""
    if party is None or pd.isna(party):
        return ""
    party = str(party)
    name = names.get(party)
    return f"{name} ({party})" if name and name != party else party


def schedule_rows(case: Case, positions: Sequence[int], names: dict[str, str]) -> list[list[Any]]:
    """The schedule of the messages at ``positions`` of the events table, in time order."""
    events = case.events.iloc[np.asarray(list(positions), dtype=np.int64)]
    events = events.sort_values("start", kind="stable")
    times = court_times(events["start"], case.info.tz).to_numpy(object)
    sources = {s.id: s for s in case.sources}
    rows = []
    for when, row in zip(times, events.itertuples(index=False)):  # a schedule is a few hundred rows
        source = sources.get(str(row.source_id))
        place = row_words(source, str(row.source_row)) if source is not None else str(row.source_row)
        deleted = "deleted" if not pd.isna(row.deleted) and bool(row.deleted) else ""
        rows.append([when, party_text(names, row.party_a), party_text(names, row.party_b),
                     reveal("" if pd.isna(row.text) else str(row.text)), deleted,
                     exhibit_for(case, str(row.source_id)), place])
    return rows
