"""Cell site lists, and the cell columns of any table, as canonical cell keys.

Two jobs live here because they must agree exactly. First, turning cell columns
as operators and analysts write them into one canonical key (shared with the
call-record importer, so that an event's cell and a listed cell meet): one CGI
string, LAC and CI, TAC and ECI, or eNodeB and sector (ECI = eNodeB x 256 +
sector). A cell written in no form we can read (``TOWER-0343``) is kept as
written, so that it still links to a list that names it the same way and is
never lost. Work is per distinct value.

Second, the ``cells`` importer: analyst lists (cell id, site, latitude,
longitude, azimuth, beamwidth, technology in many spellings), OpenCelliD's
export with or without its header row (longitude *before* latitude), and UK
lists in OS grid easting/northing, converted to WGS84 by pyproj's Helmert
transformation (a few metres: fine for a mast; the source's parameters record it).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from cellsight.core.cellkeys import make_key, parse_cell
from cellsight.core.schema import STR, TECHNOLOGIES
from cellsight.importers import tabular
from cellsight.importers.accounting import finish
from cellsight.importers.base import ImportFailure, ImportOptions, ImportResult
from cellsight.importers.registry import importer
from cellsight.importers.templates import Template, builtin_for, builtin_templates, template_option
from cellsight.progress import Progress, check

_SEP = "\x1f"  # joins parts of a cell for per-distinct work; never in a cell's text


# ----- cell keys from columns --------------------------------------------------------------
def keys_from_text(values: pd.Series, hexadecimal: bool = False) -> pd.Series:
    """One column of cells (CGI, ``LAC-CI``, an undelimited CGI or a name) as keys; blanks missing.

    ``hexadecimal``: the column's header says its CGIs are written in hex (``CGI_HEX``).
    """

    def convert(uniques: pd.Series) -> pd.Series:
        return pd.Series([_text_key(u, hexadecimal) for u in uniques], dtype=STR)

    return tabular.by_unique(values.astype(STR), convert, unchanged_ok=True)


def says_hex(header: str) -> bool:
    """True when a cell column's header says its identities are hexadecimal."""
    return "hex" in tabular.header_text(header).split()


def _text_key(value: object, hexadecimal: bool = False) -> str | None:
    return _key_of_text(value, hexadecimal) if isinstance(value, str) else None


@lru_cache(maxsize=1 << 16)
def _key_of_text(value: str, hexadecimal: bool) -> str | None:
    """A cell's key from its text; cached, as the 1,000-row probe and the whole file meet the same cells."""
    if not value.strip() or value.strip(" -") == "":
        return None  # "---": no cell
    if is_ip_address(value):
        return None  # a call over Wi-Fi (VoWiFi) gives the handset's IP address where the cell goes
    return parse_cell(value, hexadecimal) or " ".join(value.split())


def is_ip_address(value: object) -> bool:
    """Whether a value is an IPv4 or IPv6 address: never a cell, never a site."""
    text = str(value).strip()
    if text.count(".") != 3 and ":" not in text:
        return False  # the cheap look first: most cells are neither
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def ip_address_rows(values: pd.Series) -> int:
    """How many rows of a column hold an IP address (each distinct value looked at once)."""
    codes, uniques = tabular.distinct_codes(values.astype(STR))
    addresses = np.append([isinstance(v, str) and is_ip_address(v) for v in uniques], False)
    return int(addresses[codes].sum()) if addresses.any() else 0


def keys_from_parts(lac: pd.Series, ci: pd.Series, mcc: pd.Series | None = None,
                    mnc: pd.Series | None = None) -> pd.Series:
    """Keys from separate columns; missing where LAC or CI is blank or not a number."""
    blank = pd.Series("", index=lac.index, dtype=STR)
    parts = [(mcc if mcc is not None else blank).astype(STR),
             (mnc if mnc is not None else blank).astype(STR), lac.astype(STR), ci.astype(STR)]
    joined = parts[0].str.cat(parts[1:], sep=_SEP)

    def convert(uniques: pd.Series) -> pd.Series:
        return pd.Series([make_key(*(p.strip() or None for p in u.split(_SEP))) for u in uniques],
                         dtype=STR)

    return tabular.by_unique(joined, convert)


def eci_from_enodeb(enodeb: pd.Series, sector: pd.Series) -> pd.Series:
    """The LTE cell identity (ECI) as text from eNodeB and sector columns; missing if unreadable."""
    joined = enodeb.astype(STR).str.strip().str.cat(sector.astype(STR).str.strip(), sep=_SEP)

    def convert(uniques: pd.Series) -> pd.Series:
        out = []
        for u in uniques:
            enb, _, sec = u.partition(_SEP)
            enb, sec = _integer(enb), _integer(sec)
            out.append(str(enb * 256 + sec) if enb is not None and sec is not None else None)
        return pd.Series(out, dtype=STR)

    return tabular.by_unique(joined, convert)


def _integer(text: str) -> int | None:
    text = text.strip()
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isdigit() else None


# ----- the cell-list importer --------------------------------------------------------------
_RADIO = {"gsm": "GSM", "2g": "GSM", "gprs": "GSM", "edge": "GSM", "umts": "UMTS", "3g": "UMTS",
          "wcdma": "UMTS", "hspa": "UMTS", "hsdpa": "UMTS", "lte": "LTE", "4g": "LTE",
          "nr": "NR", "5g": "NR", "cdma": "CDMA"}
_OPENCELLID = "opencellid-cells"


def _names_tower(text: str) -> bool:
    words = set(text.split())
    return bool(words & {"tower", "towerid", "celltower"}) and (bool(words & {"id", "no", "number", "code"})
                                                               or len(words) == 1)


_AREA_WORDS = {"circle", "region", "state", "district", "zone", "county", "province"}


def cell_role(header: str) -> str | None:
    """The meaning of a cell-list column from its header alone, or None."""
    text = tabular.header_text(header)
    words = set(text.split())
    if words & {"samples", "changeable", "created", "updated", "averagesignal", "operator",
                "unit", "postcode", "date", "time"} or "average signal" in text:
        return None
    if words & _AREA_WORDS and not words & {"site", "bts", "mast", "cell", "tower"}:
        return None  # "Circle Name", "Region": the network's area, not the site's name
    if words & {"lat", "latitude", "lat wgs84"} or text in {"y", "wgs84 lat"}:
        return "lat"
    if words & {"lon", "long", "longitude", "lng"} or text in {"x", "wgs84 lon"}:
        return "lon"
    if words & {"easting", "east"} or text in {"grid east", "os x", "osgb x"}:
        return "easting"
    if words & {"northing", "north"} or text in {"grid north", "os y", "osgb y"}:
        return "northing"
    if words & {"azimuth", "az", "bearing", "orientation", "azi"} or text in {"direction", "dir"}:
        return "azimuth"
    if words & {"beamwidth", "beam", "hbw", "bw"} or "beam width" in text:
        return "beamwidth"
    if words & {"technology", "tech", "radio", "rat", "generation"} or "network type" in text:
        return "technology"
    if words & {"range", "radius", "coverage"}:
        return "range"
    if words & {"mcc"} or "country code" in text:
        return "mcc"
    if words & {"mnc", "net"} or "network code" in text:
        return "mnc"
    if words & {"lac", "tac", "area"} or "location area" in text or "tracking area" in text:
        return "lac"
    if words & {"enodeb", "enb", "enodebid"} or "enode b" in text:
        return "enodeb"
    if "sector" in words:
        return "sector"
    if words & {"cgi", "ecgi"} or "global" in words or text == "ipdr format":
        return "cell"  # a 4G sheet heads its CGI column "IPDR FORMAT"
    if _names_tower(text):
        return "cell"  # keyed by the tower's name, as call records of the same family name it
    if text in {"ci", "cid", "eci", "cell", "cell id", "cellid", "cell identity", "cell no",
                "cell number", "lcid"} or words & {"cell", "cellid"} and not words & {"site", "name"}:
        return "ci"
    if words & {"site", "mast", "name", "location", "address", "description", "sitename"}:
        return "site"
    return None


def _group(role: str) -> str | None:
    return {"cell": "id", "ci": "id", "lat": "lat", "lon": "lon", "easting": "east",
            "northing": "north", "azimuth": "extra", "beamwidth": "extra", "technology": "extra",
            "site": "extra", "range": "extra", "lac": "extra"}.get(role)


def header_score(cells: list[str], template: Template | None = None) -> float:
    """A cell-list header names a cell id and a position (lat and lon, or easting and northing)."""
    if template is not None and template.matches(cells):
        return 100.0
    groups = set()
    for cell in cells:
        if isinstance(cell, str) and cell.strip() and len(cell) <= 60:
            role = (template.role_of(cell) if template else None) or cell_role(cell)
            if role and role != "ignore":
                groups.add(_group(role))
    positioned = {"lat", "lon"} <= groups or {"east", "north"} <= groups
    if "id" not in groups or not positioned:
        return 0.0
    return 2.0 + len(groups & {"extra"})


def _opencellid() -> Template:
    return next(t for t in builtin_templates() if t.name == _OPENCELLID)


def _headerless_opencellid(cells: list[str]) -> bool:
    """An OpenCelliD data line: radio word, then MCC, net, area, cell, ..., lon, lat."""
    return (len(cells) in (13, 14) and cells[0].strip().upper() in ("GSM", "UMTS", "LTE", "NR", "CDMA")
            and all(c.strip().lstrip("-").replace(".", "", 1).isdigit() for c in cells[1:5] + cells[6:8]))


def _find_header(template: Template | None):
    def find(rows: list[list[str]]) -> tabular.HeaderChoice | None:
        if template is not None and template.headerless:
            return tabular.headerless(rows, list(template.columns))
        chosen = template
        if chosen is None:
            chosen = next((t for cells in rows if (t := builtin_for("cells", cells))), None)
        found = tabular.best_header(rows, lambda cells: header_score(cells, chosen), 2)
        if found is not None:
            return found
        first = next((cells for cells in rows if any(c.strip() for c in cells)), None)
        if first is not None and _headerless_opencellid(first):
            return tabular.headerless(rows, list(_opencellid().columns)[:len(first)])
        return None

    return find


_LIST_EXT = {".csv", ".txt", ".tsv", ".tab", ".xlsx", ".xlsm", ".xls", ".dat", ""}
# Call records, or a tower dump (``mobileNumber, towerId, timestamp, latitude``), that state positions
_CALL_WORDS = re.compile(r"\b(calling|called|caller|callee|party|duration|direction|imei|imsi|"
                         r"msisdn|recipient|destination|subscriber|mobile number|mobile no|timestamp)\b")


def sniff(path: Path) -> float:
    """Confidence that ``path`` is a cell list: a cell-list header or OpenCelliD lines."""
    try:
        if path.suffix.lower() not in _LIST_EXT:
            return 0.0
        find = _find_header(None)
        for _sheet, rows in tabular.peek(path):
            choice = find(rows)
            if choice is None:
                continue
            if choice.index is None:
                return 0.85
            header = rows[choice.index]
            if any(_CALL_WORDS.search(tabular.header_text(h)) for h in header):
                return 0.2  # call records that carry their cells' positions
            return 0.85
        return 0.0
    except Exception:  # noqa: BLE001 - a sniffer says "not mine", never crashes detection
        return 0.0


@importer("cells", "Cell site lists (analyst lists, OpenCelliD, OS grid)", ("cells",), sniff,
          priority=5)
def read(path: Path, options: ImportOptions, progress: Progress) -> ImportResult:
    """Read one cell list into cells and rejections."""
    template = template_option(options.template, "cells")
    progress.update(0, None, f"reading {path.name}")
    probe = tabular.probe_head(path.name, lambda head, scratch: _read_table(head, template, scratch))
    tables, warnings = tabular.read_tables(path, _find_header(template),
                                           delimiter=template.delimiter if template else None,
                                           encoding=template.encoding if template else None,
                                           probe=probe)
    check(progress)
    result = ImportResult(format="cells", warnings=warnings)
    parts = [_read_table(t, template, result) for t in tables]
    result.cells = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    finish(result, path.name, kept=len(result.cells))
    progress.update(1, 1, f"read {path.name}")
    return result


def map_columns(header: list[str], template: Template | None) -> dict[str, str]:
    roles: dict[str, str] = {}
    fixed = set()
    if template is not None:
        for name in header:
            role = template.role_of(name)
            if role is not None:
                fixed.add(name)
                if role != "ignore":
                    roles.setdefault(role, name)
    for name in header:
        role = None if name in fixed else cell_role(name)
        if role is not None and role not in roles:
            roles[role] = name
    if "cell" in roles and "ci" in roles and _names_tower(tabular.header_text(roles["cell"])):
        roles.setdefault("site", roles.pop("cell"))  # a cell id beside the tower's: the tower is the site
    if "ci" in roles and "lac" not in roles and "enodeb" not in roles and "cell" not in roles:
        roles["cell"] = roles.pop("ci")  # a cell id on its own: a CGI string or a name
    return roles


def _read_table(table: tabular.Table, template: Template | None, result: ImportResult) -> pd.DataFrame:
    layout = template or builtin_for("cells", table.header)
    if layout is None and table.header == list(_opencellid().columns)[:len(table.header)]:
        layout = _opencellid()  # the headerless OpenCelliD names given by the header finder
    roles = map_columns(table.header, layout)
    frame = table.frame
    result.skipped.extend(table.skipped)
    result.rejections.extend(table.broken)
    result.parameters.setdefault("columns", {}).update({n: r for r, n in roles.items()})
    result.parameters.setdefault("unused_columns", []).extend(
        tabular.unread_columns(frame, table.header, set(roles.values()),
                               "not a column Cellsight reads in a cell list"))
    if layout is not None:
        result.parameters["template"] = layout.name
    if table.encoding:
        result.parameters["encoding"], result.parameters["delimiter"] = table.encoding, table.delimiter

    col = roles.get
    keys = _keys(frame, roles)
    lat, lon, outside, grid = _positions(frame, roles)
    if grid:
        result.parameters["grid"] = "OSGB36 / British National Grid (EPSG:27700) to WGS84 by pyproj"
    technology = _technology(frame[col("technology")]) if "technology" in roles else \
        pd.Series("unknown", index=frame.index)
    reasons = pd.Series("", index=frame.index, dtype=object)
    reasons[lat.isna() | lon.isna()] = "no usable position"
    reasons[(lat.abs() > 90) | (lon.abs() > 180) | outside] = "position out of range"
    reasons[keys.isna()] = "no cell identity"
    if layout is not None and layout.name == _OPENCELLID and "technology" in roles:
        reasons[frame[col("technology")].fillna("").str.strip().eq("")] = "no radio type"
    bad = np.flatnonzero(reasons.ne("").to_numpy())
    if len(bad):
        noise = tabular.noise_reasons(frame.iloc[bad], table.header)
        is_noise = noise.ne("").to_numpy()
        result.skipped.extend(zip(table.labels(bad[is_noise]), noise[is_noise]))
        result.rejections.extend(zip(table.labels(bad[~is_noise]), reasons.iloc[bad[~is_noise]]))
    keep = np.flatnonzero(reasons.eq("").to_numpy())
    parts = keys.iloc[keep].str.extract(r"^(\d+|\?)-(\d+|\?)-(\d+|\?)-(\d+)$")
    parts.columns = range(4)

    def number(role: str) -> object:
        return _numbers(frame[col(role)]).iloc[keep].to_numpy() if role in roles else np.nan

    cells = pd.DataFrame({
        "key": keys.iloc[keep].to_numpy(),
        "mcc": pd.to_numeric(parts[0], errors="coerce").to_numpy(),
        "mnc": pd.to_numeric(parts[1], errors="coerce").to_numpy(),
        "lac": pd.to_numeric(parts[2], errors="coerce").to_numpy(),
        "ci": pd.to_numeric(parts[3], errors="coerce").to_numpy(),
        "site": _site(frame, roles).iloc[keep].to_numpy(),
        "lat": lat.iloc[keep].to_numpy(), "lon": lon.iloc[keep].to_numpy(),
        "azimuth": np.asarray(number("azimuth"), dtype="float64"),
        "beamwidth": np.asarray(number("beamwidth"), dtype="float64"),
        "range_m": np.asarray(number("range"), dtype="float64"),
        "technology": technology.iloc[keep].to_numpy(),
        "source_row": table.labels(keep).to_numpy(),
    })
    for name in ("mcc", "mnc"):
        cells[name] = cells[name].astype("Int32")
    for name in ("lac", "ci"):
        cells[name] = cells[name].astype("Int64")
    _drop_impossible_geometry(cells, result)
    return cells


# What a sector's geometry can be; anything else is a typing error in the list.
_GEOMETRY_LIMITS = {"azimuth": (0.0, 360.0), "beamwidth": (1.0, 360.0), "range_m": (1.0, 100_000.0)}


def _drop_impossible_geometry(cells: pd.DataFrame, result: ImportResult) -> None:
    """Blank an azimuth, beamwidth or range no real sector has, keeping the cell and saying so.

    The cell's site position is still evidence; a wedge drawn from an azimuth of
    400 or a range of 10^20 m would not be.
    """
    for name, (low, high) in _GEOMETRY_LIMITS.items():
        values = cells[name]
        impossible = values.notna() & ~values.between(low, high)
        if impossible.any():
            rows = ", ".join(cells.loc[impossible, "source_row"].astype(str).head(5))
            result.warnings.append(f"{int(impossible.sum())} cells have an impossible {name} "
                                   f"(outside {low:g}-{high:g}), kept without it: rows {rows}")
            cells.loc[impossible, name] = np.nan


def _keys(frame: pd.DataFrame, roles: dict[str, str]) -> pd.Series:
    def col(role: str) -> pd.Series | None:
        return frame[roles[role]] if role in roles else None

    ci = col("ci")
    if col("enodeb") is not None and col("sector") is not None:
        ci = eci_from_enodeb(col("enodeb"), col("sector"))
    keys = pd.Series(pd.NA, index=frame.index, dtype=STR)
    if col("cell") is not None:
        keys = keys_from_text(col("cell"), says_hex(roles["cell"]))
    if col("lac") is not None and ci is not None:
        parts = keys_from_parts(col("lac"), ci, col("mcc"), col("mnc"))
        # A CGI column wins where it parses as one; otherwise the parts make the key.
        is_cgi = keys.fillna("").str.match(r"^\d+-\d+-\d+-\d+$")
        keys = keys.where(is_cgi, parts).fillna(keys)
    elif ci is not None:
        # No LAC/TAC: an LTE/NR cell identity is a key by itself (MCC-MNC-?-ECI); a short CI is
        # kept as written, since it is unique only within its LAC.
        blank = pd.Series("", index=frame.index, dtype=STR)
        keys = keys.fillna(keys_from_parts(blank, ci, col("mcc"), col("mnc"))).fillna(keys_from_text(ci))
    return keys.astype(STR)


def _numbers(values: pd.Series) -> pd.Series:
    text = values.astype(STR).str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _positions(frame: pd.DataFrame, roles: dict[str, str]
               ) -> tuple[pd.Series, pd.Series, pd.Series, bool]:
    """Latitude, longitude, whether a grid reference lies off the grid, and whether it was one."""
    if "lat" in roles and "lon" in roles:
        lat, lon = _numbers(frame[roles["lat"]]), _numbers(frame[roles["lon"]])
        return lat, lon, pd.Series(False, index=frame.index), False
    if "easting" in roles and "northing" in roles:
        east, north = _numbers(frame[roles["easting"]]), _numbers(frame[roles["northing"]])
        lat, lon = os_grid_to_wgs84(east, north)
        outside = east.notna() & north.notna() & lat.isna()
        return lat, lon, outside, True
    raise ImportFailure("no latitude/longitude or easting/northing columns")


def os_grid_to_wgs84(east: pd.Series, north: pd.Series) -> tuple[pd.Series, pd.Series]:
    """British National Grid metres to WGS84 degrees; NaN outside the grid."""
    from pyproj import Transformer

    inside = east.between(0, 700_000) & north.between(0, 1_300_000)
    transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(east.where(inside).to_numpy(), north.where(inside).to_numpy())
    inside = inside.to_numpy()
    return (pd.Series(np.where(inside, lat, np.nan), index=east.index),
            pd.Series(np.where(inside, lon, np.nan), index=east.index))


def _technology(values: pd.Series) -> pd.Series:
    def convert(uniques: pd.Series) -> pd.Series:
        return pd.Series([_RADIO.get(str(u).strip().lower(), "unknown") for u in uniques], dtype=object)

    out = tabular.by_unique(values.fillna(""), convert).fillna("unknown")
    return out.astype(pd.CategoricalDtype(list(TECHNOLOGIES)))


def _site(frame: pd.DataFrame, roles: dict[str, str]) -> pd.Series:
    if "site" not in roles:
        return pd.Series(pd.NA, index=frame.index, dtype=STR)
    text = frame[roles["site"]].astype(STR)  # a name, kept as written; a blank one is missing
    return text.where(text.str.strip().ne(""), None)
