"""Mutators and the import check shared by the fuzz tests and bench/fuzz.py.

Mutators take a *picker* (``integer(low, high)``, ``choice(options)``) so the
same code is driven by hypothesis in the tests (failures shrink) and by a plain
random generator in the timed fuzz run.
"""

from __future__ import annotations

import io
import signal
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from cellsight.core.case import Case
from cellsight.importers.api import import_file
from cellsight.importers.base import ImportFailure

HANG_SECONDS = 20

INTERESTING = [
    "", "-1", "0", "=HYPERLINK(\"x\")", "+cmd|' /C calc'!A0", "9999-12-31 23:59:59",
    "1900-01-01T00:00:00Z", "31/02/2023", "\x00", "NaN", "1e309", "-91", "181", "x" * 5000,
    "\u202egnp.exe", "<img src=x onerror=alert(1)>", "../../etc/passwd", "99999999999999999999",
    "2023-10-29T01:30:00", "\ufeff", "\"", ",", ";", "\t", "\r", "\n\n", "&amp;", "]]>", "{", "[",
]


class Picker(Protocol):
    def integer(self, low: int, high: int) -> int: ...

    def choice(self, options: list) -> object: ...


class Hang(Exception):
    """An import that did not answer in time."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_import(folder: Path, name: str, data: bytes) -> str:
    """Import ``data`` as a file called ``name`` into a fresh case; 'imported' or 'refused'.

    Fails (AssertionError, Hang or any other exception) unless the importer either
    imported with consistent counts or refused with one clear line, leaving the
    case as it was.
    """
    path = folder / name
    path.write_bytes(data)
    case = Case.new(name="fuzz")
    case.set_subject("Dan", role="suspect", numbers=["07700 900001"])
    before = {t: len(df) for t, df in case.tables.items() if t != "audit"}
    try:
        with deadline(HANG_SECONDS):
            report = import_file(case, path, subject="Dan", assume_case_tz=True)
    except ImportFailure as exc:
        message = str(exc).strip()
        assert message and "\n" not in message, "one clear line"
        assert {t: len(df) for t, df in case.tables.items() if t != "audit"} == before, \
            "a refused file leaves the case as it was"
        assert case.sources == []
        return "refused"
    assert report["rows"] == report["imported"] + report["rejected"]
    assert len(case.sources) == 1
    return "imported"


def mutate_text(text: str, pick: Picker) -> str:
    lines = text.split("\n")
    for _ in range(pick.integer(1, 4)):
        op = pick.choice(["replace", "delete", "duplicate", "swap", "truncate"])
        i = pick.integer(0, max(len(lines) - 1, 0))
        if op == "replace" and lines:
            line = lines[i]
            a = pick.integer(0, len(line))
            b = pick.integer(a, min(len(line), a + 40))
            lines[i] = line[:a] + str(pick.choice(INTERESTING)) + line[b:]
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif op == "swap" and len(lines) > 1:
            j = pick.integer(0, len(lines) - 1)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate" and lines:
            lines = lines[: i + 1]
    return "\n".join(lines)


def mutate(raw: bytes, pick: Picker) -> bytes:
    """Mutate a seed: inside one of its members when it is a zip, as text otherwise."""
    if raw[:2] == b"PK":
        source = zipfile.ZipFile(io.BytesIO(raw))
        members = {info.filename: source.read(info.filename) for info in source.infolist()}
        target = str(pick.choice(sorted(members)))
        members[target] = mutate_text(members[target].decode("utf-8", "replace"), pick).encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for member, content in members.items():
                zf.writestr(member, content)
        return out.getvalue()
    return mutate_text(raw.decode("utf-8", "replace"), pick).encode("utf-8")


def flip_bytes(raw: bytes, pick: Picker) -> bytes:
    buffer = bytearray(raw)
    for _ in range(pick.integer(1, 8)):
        buffer[pick.integer(0, len(buffer) - 1)] = pick.integer(0, 255)
    return bytes(buffer)
