"""How the report words things for a court: periods, kinds, parameters and selections in plain English.

A prosecutor reads ``Sat 1 Nov 2025``, not ``2025-11-01``; "distance (m)", not
``distance_m``; "Daniel Price and Sarah Holt, from Mon 20 Oct 2025", not a
dump of a selection's JSON. Every label the report prints for a period, an
event kind, a parameter or a selection goes through here, so the wording is
the same in every table, chart and caption. Times themselves are
``timezones.court_time``'s.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import pandas as pd

from cellsight.core.timezones import court_times

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
KIND_PLURAL = {"call": ("call", "calls"), "sms": ("text (SMS)", "texts (SMS)"),
               "mms": ("picture message (MMS)", "picture messages (MMS)"),
               "chat": ("chat message", "chat messages"), "voicemail": ("voicemail", "voicemails"),
               "data": ("data session", "data sessions"), "other": ("other record", "other records")}
METHOD_WORDS = {"gps": "location fixes (GPS and other fixes)", "cell": "cell sites (corroboration)",
                "any": "location fixes and cell sites"}
# Parameter names as the analyses and panes record them, in words.
KEY_WORDS = {
    "a": "A", "b": "B", "pane": "made in", "zone": "time zone", "tz": "time zone", "by": "period",
    "distance_m": "distance (m)", "window_min": "window (min)", "gap_min": "gap (min)",
    "method_statement": "method", "quick_filter": "quick filter", "rows_shown": "rows shown",
    "rows_selected": "rows selected", "a_numbers": "numbers of A", "b_numbers": "numbers of B",
    "dedupe_tolerance_s": "matching tolerance (s)", "selection": "selection", "top": "top",
}
PANE_WORDS = {"events": "the Events pane", "timeline": "the Timeline pane", "contacts": "the Contacts pane",
              "map": "the Map pane", "proximity": "the Proximity pane", "case": "the Case pane"}
_UNIT_SUFFIX = ((r"_m$", " (m)"), (r"_min$", " (min)"), (r"_s$", " (s)"), (r"_km$", " (km)"))


def plural(count: int, kind: str) -> str:
    """``1 call``, ``688 calls``, ``728 texts (SMS)``."""
    one, many = KIND_PLURAL.get(kind, (kind, kind + "s"))
    return f"{count:,} {one if count == 1 else many}"


def listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def day_words(day: str | dt.date | pd.Timestamp) -> str:
    """``2025-11-01`` as ``Sat 1 Nov 2025``."""
    stamp = pd.Timestamp(day)
    return f"{_WEEKDAYS[stamp.day_of_week]} {stamp.day} {_MONTHS[stamp.month]} {stamp.year}"


def period_words(period: str, by: str) -> str:
    """A contract period label as a court reads it.

    Days ``Sat 1 Nov 2025``; ISO weeks ``week of Mon 27 Oct 2025``; months
    ``Nov 2025``; hours ``Sun 26 Oct 2025 01:00 BST`` (the offset of the
    label picks which of the two 01:00 hours of the autumn change it is).
    """
    try:
        if by == "day":
            return day_words(period)
        if by == "week":
            monday = dt.datetime.strptime(period + "-1", "%G-W%V-%u").date()
            return f"week of {day_words(monday)}"
        if by == "month":
            stamp = pd.Timestamp(period + "-01")
            return f"{_MONTHS[stamp.month]} {stamp.year}"
        if by == "hour":
            return _hour_words(pd.Timestamp(period[:13] + ":00" + period[13:]))
    except (ValueError, TypeError):
        pass
    return period


def _hour_words(stamp: pd.Timestamp) -> str:
    """An hour label with its offset, as its start: ``Sun 26 Oct 2025 01:00 (UTC+01:00)``."""
    offset = stamp.strftime("%z")
    return (f"{_WEEKDAYS[stamp.day_of_week]} {stamp.day} {_MONTHS[stamp.month]} {stamp.year} "
            f"{stamp.hour:02d}:00 (UTC{offset[:3]}:{offset[3:]})")


def short_period_words(period: str, by: str) -> str:
    """A compact axis label: ``1 Nov`` for a day, ``w/c 27 Oct`` for a week, ``Nov 2025`` for a month."""
    try:
        if by == "day":
            stamp = pd.Timestamp(period)
            return f"{stamp.day} {_MONTHS[stamp.month]}"
        if by == "week":
            monday = dt.datetime.strptime(period + "-1", "%G-W%V-%u").date()
            return f"w/c {monday.day} {_MONTHS[monday.month]}"
        if by == "hour":
            return period[8:10].lstrip("0") + " " + _MONTHS[int(period[5:7])] + " " + period[11:13] + ":00"
    except (ValueError, TypeError, IndexError):
        return period
    return period_words(period, by)


def duration_words(seconds: float | None) -> str:
    """``2 min 05 s``, ``45 s``, ``1 h 02 min``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def key_words(name: str) -> str:
    """A parameter's name in words: ``distance_m`` → ``distance (m)``."""
    if name in KEY_WORDS:
        return KEY_WORDS[name]
    text = str(name)
    for pattern, suffix in _UNIT_SUFFIX:
        if re.search(pattern, text):
            text = re.sub(pattern, "", text) + suffix
            break
    return text.replace("_", " ")


def value_words(key: str, value: Any, zone: str) -> Any:
    """A parameter's value in words (times in the court's form, panes by name, selections described)."""
    if key == "pane" and isinstance(value, str):
        return PANE_WORDS.get(value, value)
    if key == "method" and value in METHOD_WORDS:
        return f"{value}: {METHOD_WORDS[value]}"
    if isinstance(value, str) and _ISO_TIME.match(value):
        return time_words(value, zone)
    if isinstance(value, dict) and "kind" in value:
        return selection_words(value, zone)
    if isinstance(value, dict) and {"column", "descending"} <= set(value):
        return f"{key_words(str(value['column']))}, {'descending' if value['descending'] else 'ascending'}"
    return value


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")


def selection_words(data: dict[str, Any] | None, zone: str) -> str:
    """A saved selection (``Selection.to_dict``) in words, through the selection's own ``describe``."""
    if not data:
        return "everything in the case"
    try:
        from cellsight.core.selection import Selection

        text = Selection.from_dict(data).describe(zone)
    except (ValueError, KeyError, TypeError, AttributeError):
        return "a selection that this version cannot describe"
    return _iso_to_court(text, zone)


def _iso_to_court(text: str, zone: str) -> str:
    """Any ISO time inside a sentence rewritten in the court's form."""
    pattern = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?")
    return pattern.sub(lambda m: time_words(m.group(0), zone), text)


_TIMES: dict[tuple[str, str], str] = {}  # (value as written, zone) → court form; see prime_times
_TIMES_LIMIT = 200_000


def _stamp(value: Any, zone: str) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if stamp is pd.NaT:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def prime_times(values: Any, zone: str) -> None:
    """Work out the court form of many times in one vectorised ``court_times`` call.

    A report prints thousands of single times (each occasion's start and end,
    in its table, its map and the chronology); one call per time would cost far
    more than the whole layout. Priming remembers them, so ``time_words`` is a
    look-up afterwards.
    """
    todo = {str(v): v for v in values if v is not None and (str(v), zone) not in _TIMES}
    stamps = {k: _stamp(v, zone) for k, v in todo.items()}
    stamps = {k: v for k, v in stamps.items() if v is not None}
    if not stamps:
        return
    if len(_TIMES) > _TIMES_LIMIT:
        _TIMES.clear()
    texts = court_times(pd.Series(list(stamps.values()), dtype="datetime64[us, UTC]"), zone)
    _TIMES.update({(k, zone): t for k, t in zip(stamps, texts)})


def time_words(value: Any, zone: str) -> str:
    """An ISO time (or timestamp) in the court's form; one written without an offset is a wall-clock
    time in ``zone`` (as the workstation's tables show them), the first of two in the repeated hour."""
    key = (str(value), zone)
    if key not in _TIMES:
        prime_times([value], zone)
    return _TIMES.get(key, str(value))


# Keys that record how a frame was made for the program's own use, never printed ("standard": made by
# the standard storyboard), and what an unset parameter means where it means something.
INTERNAL_KEYS = {"selection_text", "standard"}
UNSET_WORDS = {"kinds": "all kinds", "selection": "everything in the case"}


def parameters_words(parameters: dict[str, Any], zone: str) -> dict[str, Any]:
    """A frame's parameters as the report prints them: names and values in words.

    A selection recorded with its description (``selection_text``) is printed
    once, as words; nothing is printed as a field name or as raw JSON.
    """
    out: dict[str, Any] = {}
    described = parameters.get("selection_text")
    for key, value in parameters.items():
        if key in INTERNAL_KEYS:
            continue
        if value is None:
            if key in UNSET_WORDS:
                out[key_words(key)] = UNSET_WORDS[key]
            continue  # a parameter left unset says nothing a reader needs
        if key == "selection":
            out["selection"] = _iso_to_court(described, zone) if described else selection_words(value, zone)
            continue
        out[key_words(key)] = value_words(key, value, zone)
    return out


def end_words(start: Any, end: Any, zone: str) -> str:
    """The end of a span: only the clock time when it is the same day as the start (``17:40:23 BST``)."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    same_day = first.tz_convert(zone).date() == last.tz_convert(zone).date()
    text = time_words(end, zone)  # as given, so that times primed by ``prime_times`` are found
    return text.split(" ", 4)[4] if same_day else text


def court_text(text: str, zone: str) -> str:
    """A cell or caption with every ISO time in it in the court's form (``2025-10-03 17:20:13`` too)."""
    return _iso_to_court(text, zone) if isinstance(text, str) and any(c.isdigit() for c in text) else text
