"""Cellsight's processes decline transparent huge pages (Linux).

numpy asks the kernel for huge pages (2 MB) for every array of 4 MB or more, and
an import makes a few hundred such arrays. Each huge page is zeroed whole when it
is first touched; on a virtual machine whose host backs the guest's memory only
when it is touched (and takes back what the guest frees), that first touch is
slow. On the 2-core VM the project is measured on (the README's), importing a
1,000,000-row call-record file as a whole command, ``cellsight import``, took
2.5-3.5 s with huge pages and 1.8-2.0 s without; an import in a process that has
imported before was 58 ms faster without (standard error 24 ms, 10 process pairs).
On a laptop the difference is small either way.

The setting is the process's own (``prctl(PR_SET_THP_DISABLE)``), is kept by the
processes it starts, and changes nothing else on the machine.
"""

from __future__ import annotations

import ctypes
import sys

_PR_SET_THP_DISABLE = 41  # <linux/prctl.h>


def decline_huge_pages() -> bool:
    """Ask Linux to give this process ordinary pages only; True if it agreed (False elsewhere,
    or where the kernel or a sandbox refuses: nothing changes then)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
