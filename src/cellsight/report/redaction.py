"""Redaction for disclosure: every number and name that is not a case subject's becomes a pseudonym.

A storyboard served on the defence, or disclosed as unused material, must not
hand out the numbers and names of people who are not part of the case (the
victim's friends, her mother, the suspect's workmates). ``--redact`` replaces
each of them by ``Third party N``, the same N in the PDF, the map and the
exports, so that a reader can still follow "Third party 3 called Sarah Holt
twice" without learning who Third party 3 is.

What counts as a third party: every party of an event (caller, called,
sender, recipient, as normalised and as written) that is not one of a
subject's numbers, every address-book entry of a phone download that is not a
subject's, and any other possible telephone number written in free text
(message bodies, notes) that is not a subject's. Names from the address books
of such numbers, chat participants' display names and sender names
(``NorthBank``), take their number's pseudonym. Withheld and blank parties
are left as they are.

Inside free text (message bodies, notes), one pass of one pattern per text
(``Redactor.text``: a number, an e-mail address or a word, each word looked up
in the key; never a loop over names) replaces:

- numbers, as above;
- e-mail addresses, whole (a name inside ``liam.smith@example.com`` never
  leaves ``Third party 8.smith@example.com``): each is a third party of its
  own unless it is a subject's identifier;
- a third party's whole name as saved (``Liam bro``), and each *word* of it
  that is capitalised there, three letters or more, and not a common English
  word (``resources/redaction/common_words.txt``): so "Liam says hi" becomes
  "Third party 4 says hi", while a contact saved as "Mum" or "Will" leaves
  "will you tell mum" alone. A word shared by several third parties' names
  becomes "Third party 3 or 7"; a word of a subject's name is never replaced.
  Every such word is listed in the key (``names``).

Numbering: in order of first appearance in the case (events in time order,
then address-book entries in their exhibits' order, then numbers found in
text), so that the same case gives the same pseudonyms on every run. The key
(identifier to number) is kept only in the case (``case.extras["redaction"]``,
saved by the workstation when a redacted output is made, or by
``remember``); it is never written into an output. When new exhibits bring new
third parties, the stored numbers stay and the newcomers are numbered after
them, so an output made before the import and one made after agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pandas as pd

from cellsight.core.phone import is_normalised, normalise
from cellsight.packagedata import resource

EXTRAS_KEY = "redaction"
PREFIX = "Third party"
# A run of digits that may be a telephone number as people write them, with an optional
# messaging-account suffix (447700900123@s.whatsapp.net).
# Not inside a longer token (a UUID such as a Cellebrite model id, a cell id, a file name).
_NUMBERISH = re.compile(r"(?<![\w\-/.:])\+?\(?\d(?:[ \u00a0\-()]{0,2}\d){5,}\)?(?:@[A-Za-z0-9.\-]+)?(?![\w\-/])")
_NOT_DIGIT = re.compile(r"\D")
_MIN_NAME = 3  # shorter names ("Jo") would redact parts of ordinary words
# An e-mail address starts where a run of its characters starts (so a long run costs one try).
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_WORD_CHAR = re.compile(r"\w")
_LETTERS = re.compile(r"[^\W\d_]+")
_TOKENS = re.compile(f"(?P<number>{_NUMBERISH.pattern})|(?P<email>{_EMAIL.pattern})|(?<!\\w)(?P<word>{_WORD.pattern})")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Common English words in lower case (see the module's note and the file's header)."""
    text = resource("redaction", "common_words.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def name_words(name: str) -> list[str]:
    """The words of a saved name that stand for the person in free text: capitalised, three letters
    or more, not common English words ("Liam bro" gives "Liam"; "Mum" and "Will" give nothing)."""
    common = common_words()
    return [w for w in _WORD.findall(name)
            if len(w) >= _MIN_NAME and w[0].isupper() and w.lower() not in common]


class Redactor:
    """Replaces third parties' numbers and names by their pseudonyms in any text.

    ``numbers`` maps each identifier (E.164, or text as written where it could
    not be normalised) to its pseudonym number; ``keep`` holds the subjects'
    numbers, which are never replaced; ``names`` maps an address-book or sender
    name (lower case) to the identifier whose pseudonym it takes.
    """

    def __init__(self, numbers: dict[str, int], keep: Iterable[str], names: dict[str, str], region: str = "GB",
                 words: dict[str, list[str]] | None = None, keep_words: Iterable[str] = ()):
        self.numbers = dict(numbers)
        self.keep = set(keep)
        self.names = {k: v for k, v in names.items() if v in self.numbers}
        self.region = region
        kept_words = {w.lower() for w in keep_words}
        # word (lower case) -> the third parties whose names hold it, in order of their pseudonyms
        self.words: dict[str, list[str]] = {}
        for word, ids in (words or {}).items():
            known = sorted({i for i in ids if i in self.numbers}, key=self.numbers.__getitem__)
            if known and word not in kept_words and word not in self.names:
                self.words[word] = known
        self._digits: dict[str, str] = {}
        for identifier in self.numbers:
            for form in _digit_forms(identifier):
                self._digits.setdefault(form, identifier)
        self._keep_digits = {form for number in self.keep for form in _digit_forms(number)}
        self._emails = {k.lower(): k for k in self.numbers if _EMAIL.fullmatch(k)}
        self._keep_emails = {k.lower() for k in self.keep}
        # Whole names in free text, by their first word (longest first): not one that is a single
        # common word ("Mum"), which only a cell holding nothing else (a name column) gives away.
        common = common_words()
        self._phrases: dict[str, list[str]] = {}
        for name in sorted(self.names, key=len, reverse=True):
            first = _WORD.match(name)
            if first is not None and name not in common:
                self._phrases.setdefault(first.group(0), []).append(name)

    # ----- building ----------------------------------------------------------------------
    @classmethod
    def for_case(cls, case: Any) -> Redactor:
        """The case's key (as stored, extended by any third party new since) as a Redactor."""
        keep = {n for s in case.subjects for n in s.numbers}
        stored = (case.extras.get(EXTRAS_KEY) or {}).get("numbers") or {}
        numbers: dict[str, int] = {str(k): int(v) for k, v in stored.items() if str(k) not in keep}
        names: dict[str, str] = {}
        words: dict[str, list[str]] = {}
        subject_names = {s.name.lower() for s in case.subjects}
        subject_words = [w for s in case.subjects for w in _WORD.findall(s.name)]
        region = case.info.region
        for identifier, name in _appearances(case, keep, region):
            if identifier not in numbers:
                numbers[identifier] = max(numbers.values(), default=0) + 1
            name = (name or "").strip()
            if len(name) >= _MIN_NAME and name.lower() not in subject_names:
                names.setdefault(name.lower(), identifier)
                for word in name_words(name):
                    words.setdefault(word.lower(), []).append(identifier)
        return cls(numbers, keep, names, region, words=words, keep_words=subject_words)

    def key(self) -> dict[str, Any]:
        """The key as kept in the case: identifier → pseudonym number, and each word of a name
        replaced in free text → the pseudonym numbers it stands for."""
        return {"version": 1, "numbers": dict(sorted(self.numbers.items(), key=lambda kv: kv[1])),
                "names": {w: [self.numbers[i] for i in ids] for w, ids in sorted(self.words.items())}}

    def remember(self, case: Any) -> bool:
        """Store the key in the case (so that it stays stable when exhibits are added); True if it changed."""
        key = self.key()
        if case.extras.get(EXTRAS_KEY) == key:
            return False
        case.extras[EXTRAS_KEY] = key
        case.log("update redaction key", {"third_parties": len(self.numbers)})
        return True

    # ----- applying -----------------------------------------------------------------------
    def pseudonym(self, identifier: str) -> str:
        return f"{PREFIX} {self.numbers[identifier]}"

    def pseudonyms(self, identifiers: list[str]) -> str:
        """``Third party 3``, or ``Third party 3 or 7`` for a word that stands for several."""
        numbers = [str(self.numbers[i]) for i in identifiers]
        return f"{PREFIX} " + (numbers[0] if len(numbers) == 1 else ", ".join(numbers[:-1]) + " or " + numbers[-1])

    def text(self, value: Any) -> Any:
        """``value`` with every third party's number, e-mail address and name replaced; non-text as is.

        One pass of one pattern (a number, an e-mail address or a word) over
        the text; each word is looked up in the names and words of the key, so
        the cost does not grow with the number of third parties.
        """
        if not isinstance(value, str) or not value:
            return value
        if value in self.numbers:
            return self.pseudonym(value)
        whole = self.names.get(value.strip().lower())
        if whole is not None:  # a name column: the name alone, even an ordinary word ("Mum")
            return self.pseudonym(whole)
        out, done = [], 0
        for match in _TOKENS.finditer(value):
            if match.start() < done:
                continue  # inside a whole name already replaced
            replacement, end = self._replacement(value, match)
            if replacement is not None:
                out += [value[done:match.start()], replacement]
                done = end
        return "".join(out) + value[done:] if out else value

    def _replacement(self, value: str, match: re.Match[str]) -> tuple[str | None, int]:
        """What replaces the token ``match`` (None: nothing), and where the replaced text ends."""
        token = match.group(0)
        if match.lastgroup == "number":
            new = self._number(token)
            return (new if new != token else None), match.end()
        if match.lastgroup == "email":
            return self._email(token), match.end()
        start = match.start()
        # "O'Brien" is one word of a name; in "Liam's" the word is "Liam"
        for word in dict.fromkeys((token, _LETTERS.match(token).group(0))):
            lower = word.lower()
            for name in self._phrases.get(lower, ()):
                end = start + len(name)
                if value[start:end].lower() == name and not (end < len(value) and _WORD_CHAR.match(value, end)):
                    return self.pseudonym(self.names[name]), end
            ids = self.words.get(lower)
            if ids:
                return self.pseudonyms(ids), start + len(word)
        return None, match.end()

    def _number(self, token: str) -> str:
        digits = _NOT_DIGIT.sub("", token.split("@")[0])
        if digits in self._keep_digits:
            return token
        identifier = self._digits.get(digits)
        if identifier is None and token[:1] in "+0(":
            value, flag = normalise(token, self.region)
            if is_normalised(flag) and value not in self.keep:
                identifier = value if value in self.numbers else self._add(value)
        return self.pseudonym(identifier) if identifier is not None else token

    def _email(self, token: str) -> str:
        """An e-mail address, whole: a subject's stays; any other is a third party's."""
        address = token.lower()
        if address in self._keep_emails:
            return token
        identifier = self._emails.get(address)
        if identifier is None:
            identifier = self._add(address)
            self._emails[address] = identifier
        return self.pseudonym(identifier)

    def _add(self, identifier: str) -> str:
        """A number first seen in free text while redacting: numbered after the rest."""
        self.numbers[identifier] = max(self.numbers.values(), default=0) + 1
        for form in _digit_forms(identifier):
            self._digits.setdefault(form, identifier)
        return identifier

    def any(self, value: Any) -> Any:
        """Every string inside lists and dicts replaced (for JSON documents such as the map's)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.any(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.any(v) for v in value)
        if isinstance(value, dict):
            return {k: self.any(v) for k, v in value.items()}
        return value

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every text cell of ``frame`` redacted, each distinct value worked out once."""
        out = frame.copy()
        for column in out.columns:
            values = out[column]
            if values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype)):
                values = values.astype(object)
                distinct = pd.unique(values[values.map(lambda v: isinstance(v, str))])
                mapping = {v: self.text(v) for v in distinct}
                out[column] = values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
        return out


def _digit_forms(identifier: str) -> set[str]:
    """The digit strings under which a number may be written: ``+447700900123`` is also
    ``447700900123``, ``07700900123`` and ``7700900123``."""
    digits = _NOT_DIGIT.sub("", identifier)
    if len(digits) < 6:
        return set()
    forms = {digits}
    if identifier.startswith("+"):
        import phonenumbers

        try:
            parsed = phonenumbers.parse(identifier, None)
        except phonenumbers.NumberParseException:
            return forms
        national = str(parsed.national_number)
        forms |= {national, "0" + national, "00" + digits}
    return forms


def _appearances(case: Any, keep: set[str], region: str) -> list[tuple[str, str | None]]:
    """Third parties (identifier, a name for it or None) in order of first appearance in the case."""
    found: list[tuple[str, str | None]] = []
    names = {k: v for k, v in case.number_names().items() if k not in keep}
    events = case.events
    if not events.empty:
        order = events.sort_values("start", kind="stable")
        parties = pd.DataFrame({
            "t": pd.concat([order["start"], order["start"]], ignore_index=True),
            "side": [0] * len(order) + [1] * len(order),
            "value": pd.concat([order["party_a"], order["party_b"]], ignore_index=True).astype(object),
            "flag": pd.concat([order["party_a_flag"], order["party_b_flag"]], ignore_index=True).astype(object),
            "pos": list(range(len(order))) * 2,
        }).sort_values(["pos", "side"], kind="stable")
        parties = parties[parties["value"].notna() & (parties["value"].astype(str).str.strip() != "")
                          & ~parties["flag"].isin(["withheld", "blank"]) & ~parties["value"].isin(keep)]
        first = parties.drop_duplicates("value")
        for value in first["value"].astype(str):
            alphanumeric = not any(c.isdigit() for c in value)
            found.append((value, names.get(value) or (value if alphanumeric else None)))
    contacts = case.contacts
    if not contacts.empty:
        for number, name in contacts[["number", "name"]].astype(object).itertuples(index=False):
            if isinstance(number, str) and number.strip() and number not in keep:
                found.append((number, name if isinstance(name, str) else None))
    for source in case.sources:  # chat participants' display names, as phone downloads give them
        for number, name in (source.parameters.get("party_names") or {}).items():
            if number and number not in keep:
                found.append((str(number), str(name)))
    keep_lower = {k.lower() for k in keep}
    for text in _free_text(case):
        for match in _NUMBERISH.finditer(text):
            token = match.group(0)
            if token[:1] not in "+0(":
                continue
            value, flag = normalise(token, region)
            if is_normalised(flag) and value not in keep:
                found.append((value, None))
        for match in _EMAIL.finditer(text):
            if match.group(0).lower() not in keep_lower and not _NUMBERISH.fullmatch(match.group(0)):
                found.append((match.group(0).lower(), None))
    return found


def _free_text(case: Any) -> list[str]:
    """Message bodies in time order, then place notes: where numbers and addresses may be written by hand."""
    events = case.events
    texts: list[str] = []
    if not events.empty and "text" in events:
        ordered = pd.Series(pd.unique(events.sort_values("start", kind="stable")["text"].dropna().astype(str)),
                            dtype=object)
        texts += ordered[ordered.str.contains(r"\d|@", regex=True)].tolist()
    texts += [p.note for p in case.places if p.note]
    return texts
