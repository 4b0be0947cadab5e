"""One table of call records as the importer sees it: its columns' roles and their values.

``_Context`` pairs the table with the roles its columns were given, and the
functions here read a role's column the way every part of the import needs it:
numbers normalised once per distinct string, free text trimmed, cell columns
(one CGI, LAC and CI, eNodeB and sector) turned into canonical keys.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd

from cellsight.core.phone import is_normalised, normalise, normalise_series
from cellsight.core.schema import STR, missing_text
from cellsight.importers import tabular
from cellsight.importers.base import ImportOptions
from cellsight.importers.cells import eci_from_enodeb, keys_from_parts, keys_from_text, says_hex
from cellsight.importers.cdr.titles import search_target, title_target
from cellsight.importers.templates import Template


@dataclass
class _Context:
    """What one table's columns are and what the file says about itself."""

    table: tabular.Table  # values unwrapped ('919234228158' -> 919234228158) in the columns used
    roles: dict[str, str]
    template: Template | None
    options: ImportOptions
    target: str | None = None  # the target number (E.164) the file states for all its rows
    written: pd.DataFrame | None = None  # the columns as written, for the parties' raw text

    def col(self, role: str) -> pd.Series | None:
        name = self.roles.get(role)
        return None if name is None else self.table.frame[name]

    def as_written(self, role: str) -> pd.Series | None:
        name = self.roles.get(role)
        frame = self.written if self.written is not None else self.table.frame
        return None if name is None else frame[name]

    def rows(self, keep: np.ndarray) -> _Context:
        """The same context for the rows at positions ``keep``."""
        table = self.table
        if len(keep) == len(table.frame):
            return self

        def take(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.iloc[keep].reset_index(drop=True)

        frame = take(table.frame)
        written = None if self.written is None else frame if self.written is table.frame \
            else take(self.written)
        sub = tabular.Table(frame=frame, rows=table.rows[keep], header=table.header,
                            prefix=table.prefix)
        return _Context(sub, self.roles, self.template, self.options, self.target, written)



def _cells(ctx: _Context, which: str) -> pd.Series:
    """Canonical keys of the first or last cell, from whichever columns the layout has."""
    frame = ctx.table.frame
    mcc, mnc = ctx.col("mcc"), ctx.col("mnc")
    lac, ci = ctx.col("lac" + which), ctx.col("ci" + which)
    enodeb, sector = ctx.col("enodeb" + which), ctx.col("sector" + which)
    text = ctx.col("cell" + which)
    hexadecimal = text is not None and says_hex(ctx.roles["cell" + which])
    if lac is None and which == "_last":
        lac = ctx.col("lac_first")  # one LAC column serving both cells
    if enodeb is not None and sector is not None:
        ci = eci_from_enodeb(enodeb, sector)
    if ci is not None:
        # Without a LAC/TAC column an LTE/NR cell identity is a key by itself (?-?-?-ECI)
        parts = lac if lac is not None else pd.Series("", index=frame.index, dtype=STR)
        keys = keys_from_parts(parts, ci, mcc, mnc)
        if text is not None:
            keys = keys.fillna(keys_from_text(text, hexadecimal))
        elif lac is None:
            keys = keys.fillna(keys_from_text(ci))  # a short CI alone: kept as written
        return keys
    if text is not None:
        keys = keys_from_text(text, hexadecimal)
        if mcc is not None and mnc is not None:
            keys = _fill_network(keys, mcc, mnc)
        return keys
    return missing_text(frame.index)


def _fill_network(keys: pd.Series, mcc: pd.Series, mnc: pd.Series) -> pd.Series:
    """Put MCC/MNC columns into ``?-?-LAC-CI`` keys written without them."""
    lacking = keys.fillna("").str.startswith("?-?-")
    if not lacking.any():
        return keys
    tail = keys[lacking].str.slice(4).str.split("-", n=1, expand=True)
    filled = keys_from_parts(tail[0], tail[1], mcc[lacking], mnc[lacking])
    return keys.where(~lacking, filled)


def _text(ctx: _Context, role: str) -> pd.Series:
    col = ctx.col(role)
    if col is None:
        return missing_text(ctx.table.frame.index)

    def clean(uniques: pd.Series) -> pd.Series:
        out = uniques.astype(STR).str.strip()
        return out.where(out.ne(""), None)

    return tabular.by_unique(col.astype(STR), clean, unchanged_ok=True)


def _stated_target(ctx: _Context) -> str | None:
    """The one target number the file states: in a title row, or alone in a target column."""
    region = ctx.options.region
    written = title_target(ctx.table.title) or search_target(ctx.table.title)
    if written:
        value, flag = normalise(written, region)
        if is_normalised(flag):
            return value
    column = ctx.col("target")
    if column is not None:
        # Every subscriber the column names counts, telephone number or not (an M2M MSISDN, an
        # IMSI): a column of one number and one identifier states no single target.
        _, values, flags = _normalised(pd.Series(column.dropna().unique(), dtype=STR), region)
        named = ~flags.isin(["blank", "withheld"])
        found = set(values[named].dropna().str.strip())
        if len(found) == 1 and flags[named].isin(["valid", "possible"]).all():
            return found.pop()
    return None


def _normalised(raw: pd.Series | None, region: str
                ) -> tuple[pd.Series, pd.Series, pd.Series] | tuple[None, None, None]:
    """Numbers as written (blank as missing), in E.164, and their flags; once per distinct string.

    A dash or two (``-``, ``--``, ``---``) is how many operators write "no number": blank.
    """
    if raw is None:
        return None, None, None
    return _party_numbers(raw, region)[:3]


class PartyNumbers(NamedTuple):
    """A party column as ``_normalised`` gives it, and how its rows share numbers: each row's
    position in ``distinct`` (-1 for none), the E.164 of each distinct string as written."""

    raw: pd.Series
    value: pd.Series
    flag: pd.Series
    codes: np.ndarray
    distinct: pd.Series


def party_numbers(raw: pd.Series, region: str) -> PartyNumbers:
    """``_party_numbers`` of a column, worked out once (``tabular.per_column``): on a second core
    ahead of its turn for a long table (``numbers_ahead``)."""
    numbers = tabular.per_column(raw, ("party numbers", region), partial(_kept_numbers, region=region))
    return numbers if numbers.raw is not None else numbers._replace(raw=raw.astype(STR))


def numbers_ahead(pool: ThreadPoolExecutor, raw: pd.Series, region: str) -> None:
    """Start ``party_numbers`` of a column on ``pool``."""
    tabular.ask_ahead(pool, raw, ("party numbers", region), partial(_kept_numbers, region=region))


def _kept_numbers(raw: pd.Series, region: str) -> PartyNumbers:
    """``_party_numbers`` as kept for the column: without the column itself as ``raw`` (None when
    it is as written), which would keep the column's data alive with the answer kept for it."""
    numbers = _party_numbers(raw, region)
    return numbers._replace(raw=None) if numbers.raw.array is raw.astype(STR).array else numbers


def _party_numbers(raw: pd.Series, region: str) -> PartyNumbers:
    """``_normalised`` with the rows' codes into the distinct strings, so that the party order
    (``cdr.parties``) compares numbers as integers, never a million strings again."""
    raw = raw.astype(STR)
    codes, uniques = tabular.distinct_codes(raw)
    if len(codes) and codes.min() < 0:  # a missing cell is written "": blank
        codes = np.where(codes < 0, len(uniques), codes)
    written = pd.Series([*uniques, ""], dtype=STR)
    blank = written.str.strip().str.fullmatch(r"-{0,3}").fillna(True).to_numpy(bool)
    values, flags = normalise_series(written.where(~blank, ""), region)
    out = [tabular.spread(s, codes, raw.index) for s in (values, flags)]
    if blank[:-1].any():  # whitespace-only cells become missing; otherwise the column is as written
        raw = tabular.spread(written.where(~blank, None), codes, raw.index)
    return PartyNumbers(raw, out[0], out[1], codes, values.reset_index(drop=True))
