"""The site record schema and the matching of councils' own column names and cell values onto it.

Councils keep their site lists in spreadsheets with their own headings ("Post Code", "Beds",
"Site ID"...). The spellings live in ``data/sites_header_aliases.json`` (data, not code) so a
new council's file needs a new line there, not a release. Matching returns a plain mapping
``{field: source column}`` that the caller (the app, the CLI ``--map``) may correct.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from geo.errors import DataError

ALIASES_PATH = Path(__file__).resolve().parents[2] / "data" / "sites_header_aliases.json"

SITE_TYPES: tuple[str, ...] = ("hotel", "dispersed", "initial", "other_contingency")
STATUSES: tuple[str, ...] = ("open", "closed", "planned")

# Every field of a site record, in the order files, tables and exports show them.
TEXT_FIELDS = ("reference", "site_type", "name", "address", "postcode", "provider", "status", "notes")
# The longest text each field may hold (characters): far above any real value, far below a cell
# that would fill the store (a 20 MB "site name" was accepted silently).
TEXT_LIMITS = {"reference": 100, "site_type": 100, "name": 500, "address": 1_000, "postcode": 20,
               "provider": 300, "status": 100, "notes": 4_000}
COORD_FIELDS = ("latitude", "longitude", "easting", "northing")
COUNT_FIELDS = ("bed_spaces", "people")
DATE_FIELDS = ("opened", "closed", "acquired")
FIELDS: tuple[str, ...] = (
    "reference", "site_type", "name", "address", "postcode", "latitude", "longitude",
    "easting", "northing", "bed_spaces", "people", "provider", "status",
    "opened", "closed", "acquired", "notes",
)
REQUIRED: tuple[str, ...] = ("reference", "site_type")

# Columns readers add for geometry files; matched like any other heading.
GEOMETRY_LON = "geometry_longitude"
GEOMETRY_LAT = "geometry_latitude"
GEOMETRY_PROBLEM = "geometry_problem"
ROW = "_source_row"  # 1-based row number as the user sees it in the file


def squash(text: Any) -> str:
    """Heading key: lower case, letters and digits only, so 'Post Code' == 'POST_CODE'."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def value_key(text: Any) -> str:
    """Cell key: lower case words, so 'Contingency - other' == 'contingency other'."""
    return " ".join(re.findall(r"[0-9a-z]+", str(text).lower()))


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the site aliases ({exc})", file=path) from exc
    unknown = set(data.get("fields", {})) - set(FIELDS)
    if unknown:
        raise DataError(f"unknown fields {sorted(unknown)} in aliases", file=path)
    return data


def load_aliases(path: str | Path | None = None) -> dict[str, Any]:
    """The alias file as a dict (cached); ``path`` lets tests and councils use their own."""
    return _load(str(path or ALIASES_PATH))


def match_headers(columns: Iterable[Any], overrides: Mapping[str, str | None] | None = None,
                  aliases: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Map each schema field to the source column holding it, e.g. ``{"postcode": "Post Code"}``.

    Earlier spellings in the alias file win; ties go to the leftmost column. ``overrides``
    (field -> column, or None to unmap) are applied last, so a user's correction always wins.
    Fields with no column are absent from the result.
    """
    cols = [str(c) for c in columns]
    table = aliases if aliases is not None else load_aliases()
    by_key: dict[str, str] = {}
    for name in cols:
        by_key.setdefault(squash(name), name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field in FIELDS:
        for spelling in [*table.get("fields", {}).get(field, []), field]:
            match = by_key.get(squash(spelling))
            if match is not None and match not in used:
                mapping[field] = match
                used.add(match)
                break
    for field, col in (overrides or {}).items():
        if field not in FIELDS:
            raise DataError(f"'{field}' is not a site field (fields: {', '.join(FIELDS)})")
        if col is None or col == "":
            mapping.pop(field, None)
            continue
        if col not in cols:
            raise DataError(f"no column '{col}' for {field}; the file has: {', '.join(cols)}")
        for other, held in list(mapping.items()):  # one column feeds one field
            if held == col and other != field:
                del mapping[other]
        mapping[field] = col
    return mapping


def unmatched_columns(columns: Iterable[Any], mapping: Mapping[str, str]) -> list[str]:
    """Source columns no field uses, to show the user what will be ignored."""
    used = set(mapping.values())
    return [str(c) for c in columns if str(c) not in used and str(c) != ROW]


def value_map(kind: str, aliases: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Cell key -> canonical value for ``kind`` 'site_types' or 'statuses' (see ``value_key``)."""
    table = aliases if aliases is not None else load_aliases()
    out: dict[str, str] = {}
    for canonical, spellings in table.get(kind, {}).items():
        for spelling in [canonical, *spellings]:
            out[value_key(spelling)] = canonical
    return out


def normalise_site_type(value: Any, aliases: Mapping[str, Any] | None = None) -> str | None:
    """Canonical site type for a cell ('Dispersal accommodation' -> 'dispersed'), None if unknown."""
    return value_map("site_types", aliases).get(value_key(value))


def normalise_status(value: Any, aliases: Mapping[str, Any] | None = None) -> str | None:
    """Canonical status for a cell ('Stood down' -> 'closed'), None if unknown."""
    return value_map("statuses", aliases).get(value_key(value))
