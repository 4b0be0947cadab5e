"""The names every pane shows beside parties: the case's own names, reached from chat ids too.

``Case.number_names`` names numbers (subjects first, then address books, and
group chats by the names their phone download gives them). A chat's thread
is written as the app's account id (``447700900832@s.whatsapp.net``), which
embeds a number: it gets that number's name, so no pane shows a bare id where
the case knows who it is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cellsight.core.case import Case

_ACCOUNT = re.compile(r"^\+?(\d{6,15})@(?:s\.whatsapp\.net|c\.us)$")


def party_names(case: Case) -> dict[str, str]:
    """``{number or chat id: name}`` for every party and thread the case can name."""
    names = dict(case.number_names())
    threads = case.events["thread"].dropna().unique()
    for thread in map(str, threads):
        if thread in names:
            continue
        match = _ACCOUNT.match(thread)
        if match and f"+{match[1]}" in names:
            names[thread] = names[f"+{match[1]}"]
    return names


def named(names: dict[str, str], party: str) -> str:
    """``Name (party)`` where the party has a name, else the party as stored."""
    name = names.get(party)
    return f"{name} ({party})" if name and name != party else party
