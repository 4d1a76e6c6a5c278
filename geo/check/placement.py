"""Put each proposed property on the map exactly as site records are placed, or reject it with a reason.

A provider's list and a single check typed into a form go through the same path as a council's
site import (``geo.sites.readers`` -> ``schema.match_headers`` -> ``validate.validate``): the same
heading aliases, the same WGS84 / British National Grid handling (pyproj), the same postcode
directory or opt-in online lookup (``geo.sites.geocode``), and the same row/column/reason
messages. Two things are added for proposals: a row whose reference names an existing site
record and gives no position takes that site's position, and each proposal needs a number of
people (or bed spaces, read as people when no occupancy is given).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import DataError
from geo.sites.geocode import Geocoder
from geo.sites.readers import read_table
from geo.sites.schema import ROW, match_headers, value_key
from geo.sites.validate import Rejection, text_cells, validate

SITE_RECORD = "site_record"  # position_source for a proposal placed from an existing site's record
# Site types of the store that a proposal treats as "other".
_AS_OTHER = {"initial": "other", "other_contingency": "other"}
_OTHER_SPELLINGS = {"other", "other property", "other accommodation", "others"}
REF_COLUMN = "Proposal (row)"
SINGLE_REFERENCE = "proposal"  # the reference of a single check typed in without one
TYPE_COLUMN = "Type (given)"
_POSITION_FIELDS = ("latitude", "longitude", "easting", "northing", "postcode")
PROPOSAL_COLUMNS = ("row", "reference", "site_type", "people", "name", "address", "postcode", "provider",
                    "latitude", "longitude", "easting", "northing", "position_source")


@dataclass
class PlacedProposals:
    """Proposals with positions, in list order, plus every row that could not be placed and why."""

    proposals: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    rows_read: int = 0
    mapping: dict[str, str] = field(default_factory=dict)

    def rejected_rows(self) -> list[dict[str, Any]]:
        """One entry per rejected row: row, columns, reasons joined by '; ' (as site imports show them)."""
        by_row: dict[int, dict[str, Any]] = {}
        for r in self.rejections:
            entry = by_row.setdefault(r.row, {"row": r.row, "column": [], "reason": []})
            entry["column"].append(r.column)
            entry["reason"].append(r.reason)
        return [{"row": e["row"], "column": "; ".join(dict.fromkeys(e["column"])), "reason": "; ".join(e["reason"])}
                for e in by_row.values()]


def row_reference(row: int) -> str:
    """The stand-in reference of a list row that has none."""
    return f"row {row}"


def has_own_reference(reference: str) -> bool:
    """False for the stand-ins given to proposals without a reference (they are not unique)."""
    return reference != SINGLE_REFERENCE and not (reference.startswith("row ") and reference[4:].isdigit())


def read_proposals(path: str | Path, *, sheet: str | None = None, **options: Any) -> PlacedProposals:
    """A provider's CSV or Excel list, placed (see ``place_table`` for ``options``)."""
    return place_table(read_table(path, sheet=sheet), **options)


def single_proposal(*, site_type: str, people: int, latitude: float | None = None,
                    longitude: float | None = None, easting: float | None = None, northing: float | None = None,
                    postcode: str | None = None, address: str | None = None, reference: str | None = None,
                    name: str | None = None, provider: str | None = None, geocoder: Geocoder | None = None,
                    sites: pd.DataFrame | None = None) -> pd.DataFrame:
    """One proposal placed through the same path as a list; a DataError naming the field if it cannot be."""
    cells = {"reference": reference or SINGLE_REFERENCE, "site_type": site_type, "bed_spaces": people,
             "latitude": latitude, "longitude": longitude, "easting": easting, "northing": northing,
             "postcode": postcode, "address": address, "name": name, "provider": provider}
    raw = pd.DataFrame([{k: v for k, v in cells.items()}], dtype=object)
    raw.insert(0, ROW, pd.Series([1], dtype="int64"))
    placed = place_table(raw, geocoder=geocoder, sites=sites)
    if placed.rejections:
        raise DataError("; ".join(f"{r.column}: {r.reason}" for r in placed.rejections))
    return placed.proposals


def place_table(raw: pd.DataFrame, *, mapping: Mapping[str, str | None] | None = None,
                geocoder: Geocoder | None = None, sites: pd.DataFrame | None = None,
                default_type: str | None = None) -> PlacedProposals:
    """Place every row of a raw table (from ``readers.read_table``); rows that cannot be placed are rejected.

    ``sites`` (the store's current sites) lets a row that names an existing site reference and
    gives no position take that site's position. ``default_type`` stands in for a missing type
    column (a list of one kind of property).
    """
    raw = raw.copy()
    resolved = match_headers([c for c in raw.columns if c != ROW], overrides=mapping)
    if "reference" not in resolved:
        raw[REF_COLUMN] = [row_reference(n) for n in raw[ROW]]
        resolved["reference"] = REF_COLUMN
    if "site_type" not in resolved and default_type:
        raw[TYPE_COLUMN] = default_type
        resolved["site_type"] = TYPE_COLUMN
    if "site_type" in resolved:
        col = resolved["site_type"]
        other = raw[col].map(lambda v: v is not None and value_key(v) in _OTHER_SPELLINGS)
        raw.loc[other, col] = "other contingency"
    from_site = _fill_from_sites(raw, resolved, sites)
    checked = validate(raw, resolved, geocoder=geocoder)
    rejections = list(checked.rejections)
    out = checked.sites
    people = out["people"].fillna(out["bed_spaces"])
    no_people = people.isna()
    if no_people.any():
        column = resolved.get("bed_spaces", resolved.get("people", "bed spaces"))
        rejections += [Rejection(int(r), column, "no bed spaces or people given") for r in out.loc[no_people, ROW]]
        rejections.sort(key=lambda r: r.row)
    out = out[~no_people].assign(people=people[~no_people].astype("int64"))
    out["site_type"] = out["site_type"].map(lambda t: _AS_OTHER.get(t, t))
    out.loc[out.index.isin(from_site), "position_source"] = SITE_RECORD
    out = out.rename(columns={ROW: "row"})
    frame = out[list(PROPOSAL_COLUMNS)].reset_index(drop=True)
    return PlacedProposals(frame, rejections, checked.rows_read, dict(resolved))


def _fill_from_sites(raw: pd.DataFrame, resolved: dict[str, str], sites: pd.DataFrame | None) -> pd.Index:
    """Give rows with no position but an existing site's reference that site's latitude and longitude."""
    if sites is None or len(sites) == 0:
        return pd.Index([])
    empty = pd.Series(True, index=raw.index)
    for name in _POSITION_FIELDS:
        if name in resolved:
            empty &= text_cells(raw[resolved[name]]) == ""
    refs = text_cells(raw[resolved["reference"]]).str.casefold()
    known = pd.DataFrame(sites)[["reference", "latitude", "longitude"]].dropna()
    known = known.assign(key=known["reference"].astype(str).str.casefold()).drop_duplicates("key").set_index("key")
    hit = empty & refs.isin(known.index)
    if not hit.any():
        return pd.Index([])
    for name, heading in (("latitude", "Latitude (site record)"), ("longitude", "Longitude (site record)")):
        if name not in resolved:
            raw[heading] = None
            resolved[name] = heading
        raw[resolved[name]] = raw[resolved[name]].astype(object)
        raw.loc[hit, resolved[name]] = refs[hit].map(known[name]).to_numpy()
    return raw.index[hit]
