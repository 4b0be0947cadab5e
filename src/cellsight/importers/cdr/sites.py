"""Serving sites as call records state them: position and address on the record's own row.

Many operators put the serving site on every row: ``lat``/``longitude``
columns, one ``First CGI Lat/Long`` column (``21.29669/72.8915``), or the
address with the position inside it (``Mallickpur II C; Kolkata;
Lat-22.39711; Long-88.43938``). That is the operator's statement of where the
cell's mast is, so it is kept, as cells rows marked ``from_records``, and cell
proximity works without a cell list.

The choice, and why (docs/formats.md says the same):

- They are **not rows of the file**: a record's row is one event, counted once
  in ``rows``/``imported``/``kinds``; the cells derived from it are extra
  information about its cell, reported as ``derived_cells`` and never counted.
- **One row per cell key**, from the records' distinct (key, position) pairs.
  A key given two different positions by the same file is not guessed between:
  it is left out with a warning.
- **A cell list wins**: a key that an imported list already places gets no
  derived row, and ``core.cellkeys.resolve`` prefers a listed cell to a derived
  one when the list comes later, so the list's azimuth and beamwidth are used.
- A site **address** without a position is the place name of the site
  (``site``), not a cell: it never becomes a key.

Work is per distinct value (addresses, coordinate strings, keys), not per row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cellsight.core import schema
from cellsight.core.schema import STR
from cellsight.importers import tabular

_NUMBER = r"(-?\d{1,3}(?:\.\d+)?)"
_PAIR = re.compile(rf"^\s*{_NUMBER}\s*[/,;|]\s*{_NUMBER}\s*$")
# "Lat-22.39711; Long-88.43938": the dash after Lat/Long separates, as BSNL writes it
_EMBEDDED = re.compile(rf"\blat(?:itude)?\s*[-:=]?\s*{_NUMBER}\b.*?\blon(?:g|gitude)?\s*[-:=]?\s*{_NUMBER}",
                       re.I)
_EMBEDDED_TEXT = re.compile(r"[;,]?\s*\blat(?:itude)?\b.*$", re.I)


def _valid(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (lat == 0 and lon == 0)


def _pair(text: object, pattern: re.Pattern[str]) -> tuple[float, float]:
    if not isinstance(text, str):
        return np.nan, np.nan
    m = pattern.search(text)
    if not m:
        return np.nan, np.nan
    lat, lon = float(m.group(1)), float(m.group(2))
    return (lat, lon) if _valid(lat, lon) else (np.nan, np.nan)


def _pairs(values: pd.Series, pattern: re.Pattern[str]) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude read from text, once per distinct value."""
    codes, uniques = pd.factorize(values.astype(STR), use_na_sentinel=True)
    found = np.array([_pair(u, pattern) for u in uniques] + [(np.nan, np.nan)], dtype="float64")
    taken = found[np.where(codes < 0, len(uniques), codes)]
    return (pd.Series(taken[:, 0], index=values.index), pd.Series(taken[:, 1], index=values.index))


def _numbers(values: pd.Series) -> pd.Series:
    text = values.astype(STR).str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _address(values: pd.Series) -> pd.Series:
    """A site's address as written, without the position written into it."""
    def clean(uniques: pd.Series) -> pd.Series:
        out = []
        for u in uniques:
            text = _EMBEDDED_TEXT.sub("", u).strip(" ;,-") if isinstance(u, str) else ""
            out.append(" ".join(text.split()) or None)
        return pd.Series(out, dtype=STR)

    return tabular.by_unique(values.astype(STR), clean)


def positions(frame: pd.DataFrame, roles: dict[str, str], which: str
              ) -> tuple[pd.Series, pd.Series, pd.Series] | None:
    """``(lat, lon, site)`` of the first or last serving site on each row, or None if the file gives none."""
    col = {r: frame[roles[r + which]] for r in ("lat", "lon", "latlon", "site") if r + which in roles}
    if not col:
        return None
    lat = lon = pd.Series(np.nan, index=frame.index)
    if "lat" in col and "lon" in col:
        lat, lon = _numbers(col["lat"]), _numbers(col["lon"])
        bad = ~(lat.between(-90, 90) & lon.between(-180, 180)) | (lat.eq(0) & lon.eq(0))
        lat, lon = lat.where(~bad), lon.where(~bad)
    if "latlon" in col:
        pair_lat, pair_lon = _pairs(col["latlon"], _PAIR)
        lat, lon = lat.fillna(pair_lat), lon.fillna(pair_lon)
    site = pd.Series(pd.NA, index=frame.index, dtype=STR)
    if "site" in col:
        in_text_lat, in_text_lon = _pairs(col["site"], _EMBEDDED)
        lat, lon = lat.fillna(in_text_lat), lon.fillna(in_text_lon)
        site = _address(col["site"])
    return lat, lon, site


def site_rows(frame: pd.DataFrame, roles: dict[str, str], events: pd.DataFrame) -> pd.DataFrame | None:
    """``key, lat, lon, site, source_row`` for every event row that states its serving site."""
    parts = []
    for which in ("_first", "_last"):
        found = positions(frame, roles, which)
        if found is None:
            continue
        lat, lon, site = found
        parts.append(pd.DataFrame({"key": events["cell" + which].to_numpy(), "lat": lat.to_numpy(),
                                   "lon": lon.to_numpy(), "site": site.to_numpy(),
                                   "source_row": events["source_row"].to_numpy()}))
    if not parts:
        return None
    rows = pd.concat(parts, ignore_index=True)
    return rows[rows["lat"].notna() | rows["site"].notna()]


def derived_cells(rows: list[pd.DataFrame], warnings: list[str]) -> pd.DataFrame:
    """One cells row per key with one position on the records; warnings for what was left out."""
    if not rows:
        return schema.empty("cells")
    stated = pd.concat(rows, ignore_index=True)
    placed = stated[stated["lat"].notna()]
    unkeyed = int(placed["key"].isna().sum())
    if unkeyed:
        warnings.append(f"{unkeyed:,} rows give the serving site's position but no cell identity; "
                        "their positions are not kept")
    placed = placed[placed["key"].notna()].copy()
    if placed.empty:
        return schema.empty("cells")
    placed["lat6"], placed["lon6"] = placed["lat"].round(6), placed["lon"].round(6)
    spread = placed.groupby("key", sort=True)[["lat6", "lon6"]].nunique()
    conflicting = spread.index[(spread["lat6"] > 1) | (spread["lon6"] > 1)]
    if len(conflicting):
        warnings.append(f"{len(conflicting)} cells are given different positions on different rows "
                        f"(e.g. {conflicting[0]}); none of their positions is kept")
    first = placed[~placed["key"].isin(conflicting)].drop_duplicates("key")
    sites = stated[stated["key"].notna() & stated["site"].notna()].drop_duplicates("key") \
        .set_index("key")["site"]
    parts = first["key"].str.extract(r"^(\d+|\?)-(\d+|\?)-(\d+|\?)-(\d+)$")
    cells = pd.DataFrame({
        "key": first["key"].to_numpy(),
        "mcc": pd.to_numeric(parts[0], errors="coerce").astype("Int32").to_numpy(),
        "mnc": pd.to_numeric(parts[1], errors="coerce").astype("Int32").to_numpy(),
        "lac": pd.to_numeric(parts[2], errors="coerce").astype("Int64").to_numpy(),
        "ci": pd.to_numeric(parts[3], errors="coerce").astype("Int64").to_numpy(),
        "site": first["key"].map(sites).to_numpy(),
        "lat": first["lat"].to_numpy(), "lon": first["lon"].to_numpy(),
        "technology": "unknown", "from_records": True,
        "source_row": first["source_row"].to_numpy(),
    })
    return cells.sort_values("key", ignore_index=True)
