"""No zone by default: every path with a case is given the case's zone (issue 20, ARCHITECTURE.md).

A parameter or field that quietly defaults to ``"UTC"`` shows a case's times an
hour off for half the year whenever a caller forgets it, and nothing says so.
This scan of the source keeps such defaults from coming back: a zone is passed
(``case.info.zone``), or, where there is no case at all, ``NO_CASE_ZONE`` says
so at the place it is used, never as a default.

The empty string stays allowed as a default: it names no zone ("not stated",
``ImportResult.tz`` before the zone rule has run), and anything that tried to
read times in it would fail loudly rather than shift them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

import cellsight
from cellsight.core.case import Case, CaseInfo
from cellsight.core.timezones import CaseZone, ZoneError

ZONE_NAMES = {"tz", "zone", "case_tz", "case_zone", "zone_name"}
SOURCE = Path(cellsight.__file__).parent


def _silent(default: ast.expr | None) -> bool:
    """A default that names a zone: a non-empty string literal, or the no-case constant."""
    if isinstance(default, ast.Constant):
        return isinstance(default.value, str) and default.value != ""
    if isinstance(default, ast.Name):
        return default.id == "NO_CASE_ZONE"
    if isinstance(default, ast.Call) and getattr(default.func, "id", "") == "field":  # field(default=...)
        return any(k.arg == "default" and _silent(k.value) for k in default.keywords)
    return False


def _is_utc(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.upper() == "UTC"


def zone_defaults(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, what)`` for each silent zone default in a module's syntax tree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += list(zip(args.kwonlyargs, args.kw_defaults))
            found += [(d.lineno, f"parameter {a.arg}") for a, d in pairs if a.arg in ZONE_NAMES and _silent(d)]
        elif isinstance(node, ast.ClassDef):
            found += [(s.lineno, f"field {node.name}.{s.target.id}") for s in node.body
                      if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                      and s.target.id in ZONE_NAMES and _silent(s.value)]
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and _is_utc(node.values[-1]):
            found.append((node.lineno, '`... or "UTC"`'))  # a fallback to UTC hidden in an expression
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "get" and len(node.args) == 2
              and _is_utc(node.args[1])):
            found.append((node.lineno, '`.get(..., "UTC")`'))
    return found


def test_no_zone_defaults_in_the_source() -> None:
    offenders = [f"{path.relative_to(SOURCE)}:{line}: {what}"
                 for path in sorted(SOURCE.rglob("*.py"))
                 for line, what in zone_defaults(ast.parse(path.read_text(encoding="utf-8"), str(path)))]
    assert not offenders, "zone defaulted instead of passed:\n" + "\n".join(offenders)


@pytest.mark.parametrize("code", [
    "def f(times, zone='UTC'): ...",
    "def f(times, *, tz='Europe/London'): ...",
    "class A:\n    case_tz: str = 'UTC'",
    "class A:\n    zone: str = field(default='UTC')",
    "def f(zone=NO_CASE_ZONE): ...",
    "z = doc.get('tz') or 'UTC'",
    "z = doc.get('zone', 'utc')",
])
def test_the_scan_finds_each_kind_of_silent_default(code: str) -> None:
    assert len(zone_defaults(ast.parse(code))) == 1


@pytest.mark.parametrize("code", [
    "def f(times, zone): ...",
    "def f(times, tz: str | None = None): ...",
    "class A:\n    tz: str = ''",
    "def f(name='UTC'): ...",
    "x = pd.Timestamp(0, tz='UTC')",
])
def test_the_scan_leaves_what_is_not_a_zone_default(code: str) -> None:
    assert zone_defaults(ast.parse(code)) == []


def test_the_case_zone_is_one_checked_object() -> None:
    case = Case.new(name="Op Lantern", tz="Europe/London")
    zone = case.info.zone
    assert isinstance(zone, CaseZone) and zone == "Europe/London" == case.info.tz
    with pytest.raises(ZoneError):
        CaseInfo(tz="Europe/Londn").zone
    times = pd.Series(pd.to_datetime(["2023-03-25T23:30:00Z", "2023-03-26T23:30:00Z"], utc=True))
    # After the clock change 23:30 UTC is already the next local day: BST midnight is 23:00 UTC.
    assert zone.day(times).tolist() == ["2023-03-25", "2023-03-27"]
    assert zone.court(times).tolist() == ["Sat 25 Mar 2023 23:30:00 GMT", "Mon 27 Mar 2023 00:30:00 BST"]
    assert zone.local(times).dt.hour.tolist() == [23, 0]
    assert zone.iso(times.iloc[1]) == "2023-03-27T00:30:00+01:00"


def test_a_fix_buffer_has_no_fallback_zone() -> None:
    from cellsight.importers.fixes import FixBuffer
    buffer = FixBuffer()
    buffer.add("1", 51.5, -0.1, time="2023-03-18 14:05:09")
    with pytest.raises(ValueError, match="zone"):
        buffer.finish()
    assert str(buffer.finish("Europe/London")["time"].iat[0]) == "2023-03-18 14:05:09+00:00"
