"""Accept or reject every row of a raw site table, naming the row, the column and the reason.

A council officer has to be able to fix their spreadsheet from our messages alone, so each
problem points at the row number they see and the heading in *their* file. Every row ends up
either accepted (cleaned into the schema) or rejected (all its problems listed); the counts
always add up to the rows read. Positions come from latitude/longitude, else OS grid
easting/northing, else the postcode via a geocoder; a row with none of these is rejected.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import DataError
from geo.sites.geocode import GIVEN, POSTCODE_CENTROID, Geocoder, normalise_postcodes
from geo.sites.grid import BNG_E, BNG_N, UK_LAT, bng_to_wgs84, in_uk, wgs84_to_bng
from geo.sites.schema import (
    COUNT_FIELDS,
    DATE_FIELDS,
    FIELDS,
    GEOMETRY_PROBLEM,
    ROW,
    SITE_TYPES,
    STATUSES,
    TEXT_FIELDS,
    TEXT_LIMITS,
    value_key,
    value_map,
)

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_RANGE = (20_000, 80_000)  # Excel day numbers for 1954-2119: anything else is not a date
YEAR_RANGE = (1950, 2100)
DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y/%m/%d",
    "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S",
    "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%B-%Y", "%d %b %y", "%d-%b-%y", "%Y%m%d",
)
OUTPUT_COLUMNS = (*FIELDS, "position_source", ROW)
# A count this large is a typo or a formula result, not people at one site; it is rejected
# (SQLite integers also stop at 2**63, where 1e19 used to end in a TypeError).
COUNT_LIMIT = 1_000_000


@dataclass(frozen=True)
class Rejection:
    """One problem with one row: the row number the user sees, their column heading, and why."""

    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ValidationResult:
    """Accepted sites in the schema plus every problem found; rows read = accepted + rejected rows."""

    sites: pd.DataFrame
    rejections: list[Rejection]
    rejected_index: pd.Index
    rows_read: int
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return len(self.sites)

    @property
    def rejected(self) -> int:
        return len(self.rejected_index)


# --- cell helpers ----------------------------------------------------------------------------

def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.date().isoformat() if value == value else ""
    if isinstance(value, date):
        return value.isoformat()
    return re.sub(r"\s+", " ", str(value)).strip()


def _all_text(values: pd.Series) -> bool:
    """True when every non-blank cell is a str (CSV files): the column-wise fast paths apply."""
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def per_unique(values: pd.Series, fn: Callable[[Any], Any], blank: Any = None) -> pd.Series:
    """``fn`` applied once per distinct cell and spread back (files repeat types, statuses, dates);
    only for all-text columns, where distinct means distinct text."""
    # a numpy array, not the Series: pandas would turn the distinct cells into an Arrow string Index
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    done = np.array([fn(u) for u in uniques] + [blank], dtype=object)
    return pd.Series(done[codes], index=values.index, dtype=object)


def text_cells(values: pd.Series) -> pd.Series:
    """Cells as trimmed text ('' for blank), whole-number floats from Excel without '.0'."""
    if _all_text(values):  # " ".join(v.split()) == re.sub(r"\s+", " ", v).strip(): same whitespace set
        return per_unique(values, lambda v: " ".join(v.split()), blank="")
    return pd.Series([_cell_text(v) for v in values], index=values.index, dtype=object)


def _quoted(cells: pd.Series, what: str) -> Callable[[pd.Index], Iterable[str]]:
    """The reason "'<cell as text>' <what>" for the rows given, built only for them."""
    return lambda at: (f"{_quote(v)} {what}" for v in text_cells(cells[at]))


def _too_long(lengths: pd.Series, limit: int, field: str) -> Callable[[pd.Index], Iterable[str]]:
    """The reason for each over-long cell: how long it is against the field's limit."""
    return lambda at: (f"{int(lengths[i]):,} characters, more than the {limit:,} a {field.replace('_', ' ')} "
                       "may hold" for i in at)


def _quote(text: str, limit: int = 40) -> str:
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _number(value: Any, thousands: bool) -> float | None:
    """float, NaN for blank, None if not a number."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return v if math.isfinite(v) or math.isnan(v) else None
    text = str(value).strip()
    if text == "":
        return math.nan
    if thousands and re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def parse_numbers(values: pd.Series, thousands: bool = False) -> tuple[pd.Series, pd.Series]:
    """(float values with NaN for blanks, mask of cells that are not numbers)."""
    if not _all_text(values):
        parsed = [_number(v, thousands) for v in values]
        bad = pd.Series([p is None for p in parsed], index=values.index)
        nums = pd.Series([math.nan if p is None else p for p in parsed], index=values.index, dtype="float64")
        return nums, bad
    text = values.astype(object)
    blank = (values.isna() | (text == "")).to_numpy()   # whitespace-only cells: blank, via _number below
    nums = pd.to_numeric(text.where(~blank, None), errors="coerce").astype("float64").to_numpy(copy=True)
    bad = np.isinf(nums)
    odd = np.flatnonzero(np.isnan(nums) & ~blank)   # '1,234', 'nan', typos: one by one, as before
    for i in odd:
        v = _number(text.iat[i], thousands)
        if v is None:
            bad[i] = True
        else:
            nums[i] = v
    nums[bad] = np.nan
    return pd.Series(nums, index=values.index, dtype="float64"), pd.Series(bad, index=values.index)


_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T][\d:.]+)?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?: [\d:.]+)?")
_D_MON_Y = re.compile(r"(\d{1,2})[ -]([A-Za-z]+)\.?[ -,]*(\d{4}|\d{2})")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}
_FULL_MONTHS = {date(2000, i, 1).strftime("%B").lower(): i for i in range(1, 13)}


def _ymd(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _parse_date_text(text: str) -> date | None:
    """Fast paths for the common layouts, then strptime for the rest (it is slow)."""
    cleaned = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text.strip(), flags=re.I)
    cleaned = re.sub(r"\s+", " ", cleaned)
    if re.fullmatch(r"\d{5}(\.0+)?", cleaned):
        return _from_serial(float(cleaned))
    if m := _ISO.fullmatch(cleaned):
        return _ymd(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.fullmatch(cleaned):
        return _ymd(int(m[3]), int(m[2]), int(m[1]))
    if m := _D_MON_Y.fullmatch(cleaned):
        word = m[2].lower()
        month = _FULL_MONTHS.get(word) or (_MONTHS.get(word[:3]) if len(word) in (3, 4) else None)
        return _ymd(int(m[3]), month, int(m[1])) if month else None
    for fmt in DATE_FORMATS:
        try:
            found = datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
        if YEAR_RANGE[0] <= found.year <= YEAR_RANGE[1]:  # '1/3/24' must not be the year 24
            return found
    return None


def _from_serial(serial: float) -> date | None:
    if not (SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]) or not float(serial).is_integer():
        return None
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: Any) -> date | None | float:
    """A date from ISO, dd/mm/yyyy, '1 Mar 2024', an Excel serial or a datetime; NaN if blank, None if unreadable.

    Day-first always: UK councils write 03/04/2024 for 3 April, never for March 4.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    if isinstance(value, (datetime, pd.Timestamp)):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        found = _from_serial(float(value))
    else:
        text = str(value).strip()
        if not text:
            return math.nan
        found = _parse_date_text(text)
    if found is None or not (YEAR_RANGE[0] <= found.year <= YEAR_RANGE[1]):
        return None
    return found


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(ISO 'YYYY-MM-DD' strings or None, mask of cells that are not readable dates)."""
    if _all_text(values):
        found = per_unique(values, _date_cell)
    else:
        found = pd.Series([_date_cell(v) for v in values], index=values.index, dtype=object)
    bad = found == _BAD_DATE
    return found.where(~bad, None), bad


_BAD_DATE = "not a date"


def _date_cell(value: Any) -> str | None:
    """ISO text, None for a blank cell, _BAD_DATE for an unreadable one."""
    found = parse_date(value)
    if isinstance(found, date):
        return found.isoformat()
    return _BAD_DATE if found is None else None


# --- problem collection ----------------------------------------------------------------------

class _Problems:
    """Collects (raw index, column, reason) for masked rows, vectorised per check."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, column: str,
            reason: str | pd.Series | Callable[[pd.Index], Iterable[str]]) -> None:
        """``reason``: one text, a Series, or a function of the rows' index (so per-row texts
        are only built for the few rows that have the problem)."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        where = mask.index[mask.to_numpy()]
        if callable(reason):
            reasons = list(reason(where))
        elif isinstance(reason, pd.Series):
            reasons = reason.loc[where].to_numpy()
        else:
            reasons = [reason] * len(where)
        self.parts.append(pd.DataFrame({"index": where, "column": column, "reason": reasons,
                                        "order": len(self.parts)}))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"index": [], "column": [], "reason": [], "order": []})
        return pd.concat(self.parts, ignore_index=True)


def require_columns(mapping: Mapping[str, str], columns: list[str]) -> None:
    missing = [f for f in ("reference", "site_type") if f not in mapping]
    has_position = ({"latitude", "longitude"} <= set(mapping) or {"easting", "northing"} <= set(mapping)
                    or "postcode" in mapping)
    if missing or not has_position:
        need = [f"a {f.replace('_', ' ')} column" for f in missing]
        if not has_position:
            need.append("a position (latitude and longitude, easting and northing, or postcode)")
        shown = ", ".join(c for c in columns if c != ROW)
        raise DataError(f"cannot find {' and '.join(need)}; the file's columns are: {shown}. "
                        "Name the columns to use (the column mapping).")


def reference_keys(refs: pd.Series) -> pd.Series:
    """References compared ignoring case (cells already cleaned by ``text_cells``)."""
    return refs.str.casefold()


def duplicate_references(refs: pd.Series, rows: pd.Series) -> dict[str, list[int]]:
    """Reference key -> the rows (file numbering) of every reference used more than once."""
    key = reference_keys(refs)
    dup = (refs != "").to_numpy() & key.duplicated(keep=False).to_numpy()
    if not dup.any():
        return {}
    return {k: list(map(int, v)) for k, v in pd.Series(rows.to_numpy()[dup]).groupby(key.to_numpy()[dup],
                                                                                 sort=False)}


# --- the checks ------------------------------------------------------------------------------

def validate(raw: pd.DataFrame, mapping: Mapping[str, str], *, geocoder: Geocoder | None = None,
             aliases: Mapping[str, Any] | None = None, today: date | None = None,
             duplicates: Mapping[str, list[int]] | None = None) -> ValidationResult:
    """Check every row of ``raw`` (from ``readers.read_table``) against the schema via ``mapping``.

    ``duplicates`` (reference key -> every row holding it, from ``duplicate_references`` over the
    whole file) lets a file be checked in chunks; by default ``raw`` is the whole file.
    """
    require_columns(mapping, [str(c) for c in raw.columns])
    today = today or date.today()
    index = raw.index
    problems = _Problems()
    blank = pd.Series([None] * len(raw), index=index, dtype=object)

    def cells(name: str) -> pd.Series:
        return raw[mapping[name]] if name in mapping else blank

    def heading(name: str) -> str:
        return mapping.get(name, name)

    text = {f: text_cells(cells(f)) for f in TEXT_FIELDS}
    for name, limit in TEXT_LIMITS.items():  # an over-long cell: its row is rejected, saying how long
        lengths = text[name].str.len()
        problems.add(lengths > limit, heading(name), _too_long(lengths, limit, name))

    # reference: required and unique within the file (compared ignoring case and spacing)
    ref = text["reference"]
    problems.add(ref == "", heading("reference"), "missing reference")
    key = reference_keys(ref)
    others = duplicate_references(ref, raw[ROW]) if duplicates is None else duplicates
    dup = (ref != "") & key.isin(list(others))
    if dup.any():
        problems.add(dup, heading("reference"), lambda at: (
            f"duplicate reference {_quote(ref[i])} in this file (rows {', '.join(map(str, others[key[i]]))})"
            for i in at))

    # site type
    type_map = value_map("site_types", aliases)
    site_type = per_unique(text["site_type"], lambda v: type_map.get(value_key(v)))
    problems.add(text["site_type"] == "", heading("site_type"), "missing site type")
    unknown = (text["site_type"] != "") & site_type.isna()
    problems.add(unknown, heading("site_type"), lambda at: (
        f"unknown site type {_quote(v)} (use {', '.join(SITE_TYPES)})" for v in text["site_type"][at]))

    lat, lon, east, north, source = _positions(raw, mapping, text, problems, geocoder, heading)

    counts = {}
    for name in COUNT_FIELDS:
        values, bad = parse_numbers(cells(name), thousands=True)
        shown = cells(name)
        problems.add(bad, heading(name), _quoted(shown, "is not a number"))
        problems.add(values < 0, heading(name), _quoted(shown, "is negative"))
        huge = values >= COUNT_LIMIT
        problems.add(huge, heading(name), _quoted(shown, f"is too large for a count at one site "
                                                         f"(the limit is {COUNT_LIMIT - 1:,})"))
        frac = values.notna() & (values >= 0) & ~huge & (values % 1 != 0)
        problems.add(frac, heading(name), _quoted(shown, "is not a whole number"))
        counts[name] = values.where(~huge).round().astype("Int64")

    dates = {}
    for name in DATE_FIELDS:
        iso, bad = parse_dates(cells(name))
        shown = cells(name)
        problems.add(bad, heading(name), _quoted(shown, "is not a date (use YYYY-MM-DD, DD/MM/YYYY or 1 Mar 2024)"))
        dates[name] = iso
    both = dates["opened"].notna() & dates["closed"].notna()
    before = both & (dates["closed"].fillna("") < dates["opened"].fillna(""))
    problems.add(before, heading("closed"), "closed date is before the opened date")

    status_map = value_map("statuses", aliases)
    status = per_unique(text["status"], lambda v: status_map.get(value_key(v)))
    bad_status = (text["status"] != "") & status.isna()
    problems.add(bad_status, heading("status"), lambda at: (
        f"unknown status {_quote(v)} (use {', '.join(STATUSES)})" for v in text["status"][at]))
    status = status.where(status.notna(), _derived_status(dates["opened"], dates["closed"], today))

    found = problems.frame()
    rejected_index = pd.Index(pd.unique(found["index"])) if len(found) else pd.Index([])
    keep = ~index.isin(rejected_index)
    out = pd.DataFrame({
        "reference": ref, "site_type": site_type, "name": text["name"], "address": text["address"],
        "postcode": _postcode_out(text["postcode"]),
        "latitude": lat, "longitude": lon, "easting": east, "northing": north,
        "bed_spaces": counts["bed_spaces"], "people": counts["people"], "provider": text["provider"],
        "status": status, "opened": dates["opened"], "closed": dates["closed"],
        "acquired": dates["acquired"], "notes": text["notes"], "position_source": source,
        ROW: raw[ROW],
    }, index=index)[keep]
    for name in ("name", "address", "provider", "notes"):
        out[name] = out[name].where(out[name] != "", None)
    rejections = _ordered(found, raw[ROW])
    assert len(out) + len(rejected_index) == len(raw), "every row must be accepted or rejected"
    return ValidationResult(out, rejections, rejected_index, len(raw), dict(mapping))


def _postcode_out(values: pd.Series) -> pd.Series:
    """Valid postcodes normalised; anything else kept as written (it is not used for placing)."""
    norm = normalise_postcodes(values)
    out = values.where(norm.isna(), norm.astype(object))
    return out.where(out != "", None).astype(object)


def _derived_status(opened: pd.Series, closed: pd.Series, today: date) -> pd.Series:
    """Status from dates when the file has none: closed once closed, planned until opened."""
    now = today.isoformat()
    status = pd.Series("open", index=opened.index, dtype=object)
    status[opened.notna() & (opened.fillna("") > now)] = "planned"
    status[closed.notna() & (closed.fillna("9999") <= now)] = "closed"
    return status


def _ordered(found: pd.DataFrame, rows: pd.Series) -> list[Rejection]:
    if not len(found):
        return []
    found = found.assign(row=rows.loc[found["index"]].to_numpy()).sort_values(["row", "order"], kind="stable")
    return [Rejection(int(r), str(c), str(m)) for r, c, m in zip(found["row"], found["column"], found["reason"],
                                                               strict=True)]


def _positions(raw: pd.DataFrame, mapping: Mapping[str, str], text: dict[str, pd.Series],
               problems: _Problems, geocoder: Geocoder | None, heading) -> tuple[pd.Series, ...]:
    """Latitude, longitude, easting, northing, position_source for every row (NaN/None if none)."""
    index = raw.index
    nan = pd.Series(np.nan, index=index, dtype="float64")
    lat, lon, east, north = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    source = pd.Series([None] * len(raw), index=index, dtype=object)

    bad_geom = pd.Series(False, index=index)
    if GEOMETRY_PROBLEM in raw.columns:
        bad_geom = raw[GEOMETRY_PROBLEM].notna()
        problems.add(bad_geom, "geometry", raw[GEOMETRY_PROBLEM].astype(object))

    def pair(a: str, b: str) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
        """values, present masks and bad mask for a coordinate pair."""
        va, bad_a = parse_numbers(raw[mapping[a]]) if a in mapping else (nan, pd.Series(False, index=index))
        vb, bad_b = parse_numbers(raw[mapping[b]]) if b in mapping else (nan, pd.Series(False, index=index))
        has_a = va.notna() | bad_a
        has_b = vb.notna() | bad_b
        for name, bad in ((a, bad_a), (b, bad_b)):
            shown = raw[mapping[name]] if name in mapping else None
            if shown is not None:
                problems.add(bad, heading(name), _quoted(shown, "is not a number"))
        problems.add(has_a & ~has_b, heading(b), f"{a} given without {b}")
        problems.add(has_b & ~has_a, heading(a), f"{b} given without {a}")
        ok = va.notna() & vb.notna()
        return va, vb, has_a | has_b, ok, bad_a | bad_b

    la, lo, has_ll, ok_ll, _ = pair("latitude", "longitude")
    if ok_ll.any():
        inside = pd.Series(in_uk(lo.to_numpy(), la.to_numpy()), index=index)
        swapped = pd.Series(in_uk(la.to_numpy(), lo.to_numpy()), index=index)
        out = ok_ll & ~inside
        lat_off = (la < UK_LAT[0]) | (la > UK_LAT[1])
        col = pd.Series(np.where(lat_off, heading("latitude"), heading("longitude")), index=index)
        for column in col[out].unique():
            problems.add(out & ~swapped & (col == column), column,
                         lambda at: (f"position {a:g}, {b:g} is outside the UK"
                                     for a, b in zip(la[at], lo[at], strict=True)))
        problems.add(out & swapped, heading("latitude"), "outside the UK: latitude and longitude look swapped")
        lat[ok_ll], lon[ok_ll] = la[ok_ll], lo[ok_ll]
        source[ok_ll] = GIVEN

    e, n, has_en_raw, ok_en, _ = pair("easting", "northing")
    has_en = has_en_raw & ~has_ll
    ok_en = ok_en & ~has_ll
    if ok_en.any():
        in_grid = e.between(*BNG_E) & n.between(*BNG_N)
        looks_degrees = pd.Series(in_uk(e.to_numpy(), n.to_numpy()), index=index)
        problems.add(ok_en & ~in_grid & looks_degrees, heading("easting"),
                     "easting/northing look like longitude/latitude: map them to longitude and latitude")
        problems.add(ok_en & ~in_grid & ~looks_degrees, heading("easting"), lambda at: (
            f"easting/northing {a:g}, {b:g} are outside the British National Grid"
            for a, b in zip(e[at], n[at], strict=True)))
        conv = ok_en & in_grid
        lo2, la2 = bng_to_wgs84(e[conv].to_numpy(), n[conv].to_numpy())
        lon[conv], lat[conv] = lo2, la2
        east[conv], north[conv] = e[conv].round(1), n[conv].round(1)
        outside = conv & ~pd.Series(in_uk(lon.to_numpy(), lat.to_numpy()), index=index)
        problems.add(outside, heading("easting"), "easting/northing fall outside the UK")
        source[conv] = GIVEN

    need = ~has_ll & ~has_en & ~bad_geom  # a polygon is already reported; do not add "no position"
    pc_text = text["postcode"]
    pc = normalise_postcodes(pc_text)
    pc_col = heading("postcode")
    problems.add(need & (pc_text == ""), pc_col, "no position: no coordinates and no postcode")
    problems.add(need & (pc_text != "") & pc.isna(), pc_col,
                 _quoted(pc_text, "is not a valid UK postcode"))
    lookup = need & pc.notna()
    if lookup.any():
        if geocoder is None:
            problems.add(lookup, pc_col, "no coordinates, and no postcode directory or online lookup to place "
                                         "the postcode")
        else:
            found = geocoder(pc[lookup].astype(str))
            hit = found["latitude"].notna() & found["longitude"].notna()
            miss = pd.Series(False, index=index)
            miss[hit.index[~hit.to_numpy()]] = True
            problems.add(miss, pc_col, lambda at: (f"postcode {_quote(str(v))} not found" for v in pc[at]))
            hits = hit.index[hit.to_numpy()]
            lat[hits] = found.loc[hits, "latitude"]
            lon[hits] = found.loc[hits, "longitude"]
            got = pd.Series(False, index=index)
            got[hits] = True
            outside = got & ~pd.Series(in_uk(lon.to_numpy(), lat.to_numpy()), index=index)
            problems.add(outside, pc_col, lambda at: (f"postcode {_quote(str(v))} is outside the UK" for v in pc[at]))
            source[got] = POSTCODE_CENTROID

    placed = lat.notna() & lon.notna()
    fill = placed & east.isna()
    if fill.any():
        e2, n2 = wgs84_to_bng(lon[fill].to_numpy(), lat[fill].to_numpy())
        east[fill], north[fill] = np.round(e2, 1), np.round(n2, 1)
    # Positions stay exact here: the ward is found from them, and only storage rounds (to 7
    # decimals, about 1 cm), so a point millimetres from a ward edge is still placed.
    return lat, lon, east, north, source
