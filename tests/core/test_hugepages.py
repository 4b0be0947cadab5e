"""The command line's process declines transparent huge pages (cellsight.hugepages says why)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Runs the command line's main in a fresh process, then asks the kernel for the process's setting
# (PR_GET_THP_DISABLE): 1 once declined, 0 before. A process keeps its parent's setting, so it is
# put back first (this test's own process may have run main already).
_ASK = """
import ctypes, sys
libc = ctypes.CDLL(None)
libc.prctl(41, 0, 0, 0, 0)
before = libc.prctl(42, 0, 0, 0, 0)
from cellsight.cli import main
code = main(["formats"])
print(before, libc.prctl(42, 0, 0, 0, 0), code)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux process setting")
def test_the_command_line_declines_huge_pages_before_it_works() -> None:
    done = subprocess.run([sys.executable, "-c", _ASK], capture_output=True, text=True, timeout=120)
    before, after, code = done.stdout.split()[-3:]
    assert (before, after, code) == ("0", "1", "0"), done.stderr


def test_declining_elsewhere_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from cellsight import hugepages
    monkeypatch.setattr(hugepages.sys, "platform", "win32")
    assert hugepages.decline_huge_pages() is False
