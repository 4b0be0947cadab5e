"""BSSIDs (a Wi-Fi access point's MAC address) in one written form, so that they compare exactly.

Downloads and officers write the same address as ``AA:BB:CC:DD:EE:FF``,
``aa-bb-cc-dd-ee-ff``, ``aabb.ccdd.eeff`` or ``AABBCCDDEEFF``. All become lower-case
hexadecimal pairs joined by colons. Nothing else is accepted: an address with a
missing digit is another address, so it is refused rather than guessed.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"[0-9a-f]{12}")


def normalise_bssid(text: str | None) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` for any common spelling of a 48-bit MAC address; None if it is not one."""
    if not isinstance(text, str):
        return None
    compact = _SEPARATORS.sub("", text.strip().lower())
    if not _HEX12.fullmatch(compact):
        return None
    return ":".join(compact[i:i + 2] for i in range(0, 12, 2))
