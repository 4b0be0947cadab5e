"""Event codes and direction words, and which columns of a call record carry them.

Operators say what an event was and who started it in words and codes of every
kind (``MOC``, ``SMS-MT``, ``mSTerminatingSMSinMSC``, ``a_out``, ``A2P_SMSIN``,
``P2POUT``, ``Incoming``, ``OUT``), sometimes in one column, often split over
two or three (``CALL_TYPE`` Incoming/Outgoing beside ``Service Type``
Voice/SMS, with ``Type of Connection`` PREPAID beside them). A header alone
cannot say which is which, so the columns whose headers name an event or a
direction are decided by their values: the one whose codes name kinds is the
event type, the one whose codes name directions is the direction, and a column
whose values are neither (PREPAID, a byte count) is reported as not used,
with its values as the reason.

Work is per distinct value of a column, never per row.
"""

from __future__ import annotations

import re

import pandas as pd

from cellsight.importers import tabular
from cellsight.importers.factorise import code_counts
from cellsight.importers.templates import Template

_OUT, _IN, _FWD = "outgoing", "incoming", "forwarded"
_CODES: dict[str, tuple[str | None, str | None]] = {
    "moc": ("call", _OUT), "mtc": ("call", _IN), "mo": (None, _OUT), "mt": (None, _IN),
    "mocall": ("call", _OUT), "mtcall": ("call", _IN), "voicemo": ("call", _OUT),
    "voicemt": ("call", _IN), "msoriginating": ("call", _OUT), "msterminating": ("call", _IN),
    "msoriginatingsmsinmsc": ("sms", _OUT), "msterminatingsmsinmsc": ("sms", _IN),
    "msoriginatingsmsinsmsc": ("sms", _OUT), "msterminatingsmsinsmsc": ("sms", _IN),
    "smsmo": ("sms", _OUT), "smsmt": ("sms", _IN), "mosms": ("sms", _OUT), "mtsms": ("sms", _IN),
    "mmsmo": ("mms", _OUT), "mmsmt": ("mms", _IN), "momms": ("mms", _OUT), "mtmms": ("mms", _IN),
    "gprs": ("data", None), "data": ("data", None), "psdata": ("data", None), "pdp": ("data", None),
    "sgsnpdprecord": ("data", None), "ggsnpdprecord": ("data", None), "pgwrecord": ("data", None),
    "sgwrecord": ("data", None), "internet": ("data", None), "mobiledata": ("data", None),
    "lte": ("data", None), "packet": ("data", None), "session": ("data", None),
    "callforwarding": ("call", _FWD), "cf": ("call", _FWD), "cfu": ("call", _FWD),
    "cfb": ("call", _FWD), "cfnry": ("call", _FWD), "cfnrc": ("call", _FWD),
    "forwarded": (None, _FWD), "forward": (None, _FWD), "forwarding": (None, _FWD),
    "diverted": (None, _FWD), "divert": (None, _FWD), "redirected": (None, _FWD),
    "voice": ("call", None), "call": ("call", None), "calls": ("call", None),
    "voicecall": ("call", None), "telephony": ("call", None), "speech": ("call", None),
    "sms": ("sms", None), "text": ("sms", None), "texts": ("sms", None), "message": ("sms", None),
    "textmessage": ("sms", None), "mms": ("mms", None), "multimedia": ("mms", None),
    "voicemail": ("voicemail", None), "vm": ("voicemail", None), "mailbox": ("voicemail", None),
    "incoming": (None, _IN), "in": (None, _IN), "inbound": (None, _IN), "received": (None, _IN),
    "receive": (None, _IN), "terminating": (None, _IN), "terminated": (None, _IN),
    "i": (None, _IN), "mtc2": ("call", _IN),
    "outgoing": (None, _OUT), "out": (None, _OUT), "outbound": (None, _OUT), "sent": (None, _OUT),
    "send": (None, _OUT), "dialled": (None, _OUT), "dialed": (None, _OUT),
    "originating": (None, _OUT), "originated": (None, _OUT), "o": (None, _OUT),
    "missed": ("call", _IN), "missedcall": ("call", _IN), "ussd": ("other", None),
    # Indian operators: Airtel SMT/SMO, Jio a_in/a_out and A2P/P2P messages, VoLTE/VoWiFi calls
    "smt": ("sms", _IN), "smo": ("sms", _OUT), "smsin": ("sms", _IN), "smsout": ("sms", _OUT),
    "p2pin": ("sms", _IN), "p2pout": ("sms", _OUT), "a2pin": ("sms", _IN), "a2psmsin": ("sms", _IN),
    "volte": ("call", None), "vowifi": ("call", None), "vonr": ("call", None),
    "ain": (None, _IN), "aout": (None, _OUT),
    # GSM teleservice codes (3GPP TS 22.003) as switches write them: 11 telephony, 21 short
    # message mobile-terminated, 22 short message mobile-originated
    "11": ("call", None), "ts11": ("call", None), "21": ("sms", _IN), "ts21": ("sms", _IN),
    "22": ("sms", _OUT), "ts22": ("sms", _OUT),
    # Brazilian operators (Portuguese)
    "originada": (None, _OUT), "recebida": (None, _IN), "sainte": (None, _OUT),
    "entrante": (None, _IN), "voz": ("call", None), "dados": ("data", None),
    "chamada": ("call", None), "mensagem": ("sms", None),
}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def decode_code(value: str, template: Template | None = None) -> tuple[str | None, str | None]:
    """``(kind, direction)`` an event code or word stands for; ``(None, None)`` if unknown."""
    if template is not None:
        kind, direction = template.code(value)
        if kind or direction:
            return kind, direction
    key = re.sub(r"[^0-9a-z]", "", value.lower())
    if key in _CODES:
        return _CODES[key]
    kind = direction = None
    for word in re.split(r"[^0-9A-Za-z]+", _CAMEL.sub(" ", value)):
        k, d = _CODES.get(word.lower(), (None, None))
        kind, direction = kind or k, direction or d
    return kind, direction


SAMPLE_DISTINCT = 500  # distinct values looked at to decide what a column holds


def value_shares(values: pd.Series, template: Template | None = None) -> tuple[float, float, list[str]]:
    """Share of a column's non-blank rows whose codes name a kind, a direction; and unknown values.

    Rows are weighted by how often each distinct value occurs (the most common
    ``SAMPLE_DISTINCT`` values decide), so a stray code does not swing it.
    """
    codes, uniques = tabular.distinct_codes(values)  # per distinct value first: cheap on a million rows
    raw = pd.Series(code_counts(codes, len(uniques)), index=uniques)
    counts = raw.groupby(raw.index.astype(str).str.strip()).sum()
    counts = counts[counts.index != ""].sort_values(ascending=False).head(SAMPLE_DISTINCT)
    total = int(counts.sum())
    if not total:
        return 0.0, 0.0, []
    kinds = directions = 0
    unknown = []
    for value, n in counts.items():
        kind, direction = decode_code(str(value), template)
        kinds += n if kind else 0
        directions += n if direction else 0
        if not kind and not direction:
            unknown.append(str(value))
    return kinds / total, directions / total, unknown


def assign_code_columns(frame: pd.DataFrame, candidates: list[str], template: Template | None
                        ) -> tuple[str | None, str | None, dict[str, str]]:
    """``(event column, direction column, {left-out column: reason})`` chosen by the columns' values.

    A column counts as the event type when at least half its rows name a kind,
    as the direction when at least half name a direction; the best of each
    wins (the event column first). A column that wins neither is left out with
    its values as the reason (``values PREPAID, POSTPAID are not event types``).
    """
    shares = {name: value_shares(frame[name], template) for name in candidates}
    event = max((n for n in candidates if shares[n][0] >= 0.5), key=lambda n: shares[n][0], default=None)
    direction = max((n for n in candidates if n != event and shares[n][1] >= 0.5),
                    key=lambda n: shares[n][1], default=None)
    left: dict[str, str] = {}
    for name in candidates:
        if name in (event, direction):
            continue
        kind_share, dir_share, unknown = shares[name]
        if not frame[name].notna().any():
            left[name] = "empty"
        elif kind_share or dir_share:
            better = event if kind_share >= dir_share else direction
            left[name] = (f"another column ({better!r}) says more clearly what each event was"
                          if better else "too few of its values are event types or directions")
        else:
            left[name] = "its values (" + ", ".join(unknown[:4]) + ") are not event types or directions"
    return event, direction, left
