"""Hypothesis strategies for telephone numbers as people and operators write them (shared by the
tests of ``phone_forms`` and ``phone_keys``)."""

from __future__ import annotations

from hypothesis import strategies as st

# National numbers: Ofcom's drama ranges, real-looking mobile, London, freephone and premium
# shapes, and digits of any length (short, long, a national prefix inside).
_GB_STARTS = ["7700900", "1632960", "20794", "7911", "7624", "1481", "1534", "800", "845", "9098",
              "0", "00", "180020", "56", "70", "76", "3", "55", "1", "2", ""]
REGIONS = {"GB": ("44", "0", _GB_STARTS), "DE": ("49", "0", ["30", "151", "89", "0", ""]),
           "FR": ("33", "0", ["6", "1", "9", "0", ""]), "US": ("1", "1", ["415", "212", "800", "0", ""]),
           "IN": ("91", "0", ["98", "11", "80", "0", ""]), "AU": ("61", "0", ["4", "2", "0", ""]),
           "JE": ("44", "0", ["7797", "1534", ""])}


@st.composite
def written_numbers(draw, region: str) -> str:
    """A number as a person or an operator writes it in ``region``: +CC, 00CC, CC, 0 or nothing in
    front, spaces, dashes, dots or brackets between digits, spaces round it."""
    code, prefix, starts = REGIONS[region]
    national = draw(st.sampled_from(starts)) + draw(st.text("0123456789", min_size=0, max_size=11))
    front = draw(st.sampled_from(["+" + code, "00" + code, code, prefix, "", "+" + code + "0",
                                  "+" + code + " (0)", "(" + prefix]))
    digits = front + national
    out = []
    for ch in digits:
        out.append(ch)
        if ch.isdigit() and draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from([" ", "-", ".", ") ", "\u00a0", "/", "  "])))
    pad = draw(st.sampled_from(["", " ", "\u00a0", "\t"]))
    return pad + "".join(out) + draw(st.sampled_from(["", " ", "\u00a0"]))
