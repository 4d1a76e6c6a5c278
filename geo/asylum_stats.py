"""Readers for the Home Office asylum support statistics: Asy_D11, Reg_02 and the quarterly series.

Asy_D11 has been published in several layouts (title rows, header spellings, dates as text or
Excel dates, accommodation types in varying case). The reader finds the data wherever it sits
and turns it into one tidy table on today's authority codes, keeping rows with no local
authority as *unallocated* so that totals still reconcile with the publication.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from geo.codes import nation_of, successor_map
from geo.errors import DataError

# Canonical accommodation types, as the Home Office names them.
ACCOMMODATION_TYPES: dict[str, str] = {
    "dispersal accommodation": "Dispersal Accommodation",
    "contingency accommodation - hotel": "Contingency Accommodation - Hotel",
    "contingency accommodation - other": "Contingency Accommodation - Other",
    "initial accommodation": "Initial Accommodation",
    "subsistence only": "Subsistence Only",
    "other accommodation": "Other Accommodation",
}
DISPERSED = "Dispersal Accommodation"
HOTEL = "Contingency Accommodation - Hotel"
OTHER_CONTINGENCY = "Contingency Accommodation - Other"
INITIAL = "Initial Accommodation"
OTHER_ACCOMMODATION = "Other Accommodation"
SUBSISTENCE_ONLY = "Subsistence Only"
# What sources without Asy_D11's detail publish instead (Reg_02; the quarterly totals series).
CONTINGENCY_ALL = "Contingency Accommodation (hotels and other)"
TOTAL_ONLY = "All accommodation (total only)"
ALL_SUPPORT = "All support types"

# Header variants across releases -> the stable name used inside the product.
_HEADER_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("period", re.compile(r"^(date|quarter|as at)\b")),
    ("support_type", re.compile(r"^support type")),
    ("region", re.compile(r"^(uk )?region")),
    ("lad_code", re.compile(r"^(lad|la|local authority|lad\d\d) ?code|^lad\d\dcd$")),
    ("la_name", re.compile(r"^local authority( name)?$|^la name$")),
    ("accommodation_type", re.compile(r"^accommodation type")),
    ("people", re.compile(r"^(people|number of people|count)$")),
]
_REQUIRED = ("period", "support_type", "lad_code", "accommodation_type", "people")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_REGION_CASE = {
    "yorkshire and the humber": "Yorkshire and The Humber",
    "east of england": "East of England",
}


@dataclass(frozen=True)
class AsyD11:
    """The tidy table plus where it came from, so screens can cite file, sheet and release."""

    table: pd.DataFrame
    file: Path
    sheet: str
    release: str | None


def _norm_header(value: Any) -> str:
    text = str(value or "").strip().lower().replace("…", "").replace("...", "")
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"\s+", " ", text).strip(" /")


def _match_headers(row: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(row):
        name = _norm_header(cell)
        if not name:
            continue
        for key, pattern in _HEADER_PATTERNS:
            if key not in found and pattern.search(name):
                found[key] = idx
                break
    return found


def _open_workbook(path: Path) -> Any:
    """calamine reads .xlsx/.xls/.ods about 25 times faster than openpyxl for this file.

    Opened through geo.reading: size cap and zip-bomb check first."""
    from geo import reading

    return reading.open_workbook(path, reading.DATA)


def _sheet_rows(workbook: Any, sheet: str) -> list[list[Any]]:
    """Rows from A1, empty cells as None, so list index + 1 is the Excel row number."""
    from geo import reading  # row cap; a broken sheet is a DataError

    return reading.sheet_rows(workbook, sheet)


def _find_header(workbook: Any, path: Path) -> tuple[str, int, dict[str, int]]:
    """The sheet and 1-based header row whose headers cover every required column."""
    names = sorted(workbook.sheet_names, key=lambda n: (not re.search(r"asy_?d11|data", n, re.I), n))
    for name in names:
        for i, row in enumerate(_sheet_rows(workbook, name)[:40], start=1):
            headers = _match_headers(tuple(row))
            if all(k in headers for k in _REQUIRED):
                return name, i, headers
    raise DataError(
        "no sheet has an Asy_D11 header row (needs Date, Support Type, LAD Code, "
        "Accommodation Type and People)", file=path)


def parse_period(value: Any) -> date | None:
    """Quarter-end dates arrive as '31 Mar 2014', as Excel dates or serials, or as ISO text."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 10000 < value < 80000:
        return (datetime(1899, 12, 30) + timedelta(days=float(value))).date()
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*[ -](\d{4})", text)
    if match and match.group(2).lower() in _MONTHS:
        return date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    match = re.fullmatch(r"(\d{4}) ?Q([1-4])|Q([1-4]) ?(\d{4})", text, re.I)
    if match:
        year = int(match.group(1) or match.group(4))
        quarter = int(match.group(2) or match.group(3))
        return (pd.Timestamp(year=year, month=quarter * 3, day=1) + pd.offsets.MonthEnd(0)).date()
    try:
        return pd.Timestamp(text).date()
    except (ValueError, TypeError):
        return None


def _whole_people(value: Any) -> int | None:
    """A count of people, or None; counts over 15 digits are refused (issue 13: 2**63 wrapped to a
    negative total and 1e20 raised OverflowError)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        count = value
    elif isinstance(value, float):
        count = int(value) if value.is_integer() else -1
    else:
        text = str(value).strip().replace(",", "")
        count = int(text) if text.isascii() and text.isdigit() else -1
    return count if 0 <= count < 10**15 else None


def _canonical_accommodation(value: Any) -> str | None:
    text = re.sub(r"\s+", " ", str(value or "").strip())
    if text.lower() in ACCOMMODATION_TYPES:
        return ACCOMMODATION_TYPES[text.lower()]
    if text.upper().startswith("N/A"):
        return text  # e.g. 'N/A - Section 98 (pre-2023)': kept so totals reconcile
    return None


def _release_from_workbook(workbook: Any, path: Path) -> str | None:
    """The cover sheet states the release ('year ending September 2024'); fall back to the name."""
    for name in workbook.sheet_names[:3]:
        for row in _sheet_rows(workbook, name)[:10]:
            for cell in row:
                m = re.search(r"year ending \w+ \d{4}", str(cell or ""), re.I)
                if m:
                    return "Immigration system statistics, " + m.group(0)
    m = re.search(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*-(\d{4})", path.name, re.I)
    if not m:
        return None
    # GOV.UK names each edition by the quarter its year ends in ('sep-2024': year ending September 2024).
    month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"][_MONTHS[m.group(1).lower()] - 1]
    return f"Immigration system statistics, year ending {month} {m.group(2)}"


def read_asy_d11(path: str | Path) -> AsyD11:
    """Read any Asy_D11 workbook into the tidy table (one row per period, authority, support, accommodation)."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    workbook = _open_workbook(path)
    from geo.identify import check_sheets  # Asy_D09 (or any other table) is refused by name, in one line

    check_sheets(path, "asy_d11", list(workbook.sheet_names))
    sheet, header_row, cols = _find_header(workbook, path)
    records: list[dict[str, Any]] = []
    header_names: dict[str, str] = {}
    for excel_row, row in enumerate(_sheet_rows(workbook, sheet), start=1):
        if excel_row == header_row:
            header_names = {k: str(row[i]) for k, i in cols.items()}
        if excel_row <= header_row:
            continue
        cells = {k: (row[i] if i < len(row) else None) for k, i in cols.items()}
        if all(v is None or str(v).strip() == "" for v in cells.values()):
            continue  # blank row
        first = str(cells["period"] or "").strip().lower()
        if first.startswith("end of table") or first.startswith("source") or first.startswith("note"):
            break
        records.append(_parse_row(cells, path, sheet, excel_row, header_names))
    if not records:
        raise DataError("the data sheet has a header but no data rows", file=path, sheet=sheet)
    table = _tidy(pd.DataFrame.from_records(records))
    return AsyD11(table=table, file=path, sheet=sheet, release=_release_from_workbook(workbook, path))


def _parse_row(cells: dict[str, Any], path: Path, sheet: str, row: int,
               header: dict[str, str]) -> dict[str, Any]:
    def fail(key: str, why: str) -> DataError:
        return DataError(why, file=path, sheet=sheet, row=row, column=header.get(key, key))

    period = parse_period(cells["period"])
    if period is None:
        raise fail("period", f"cannot read {cells['period']!r} as a date")
    people = _whole_people(cells["people"])
    if people is None:
        raise fail("people", f"{cells['people']!r} is not a whole number of people")
    accommodation = _canonical_accommodation(cells["accommodation_type"])
    if accommodation is None:
        raise fail("accommodation_type", f"unknown accommodation type {cells['accommodation_type']!r}")
    code = str(cells.get("lad_code") or "").strip()
    la_name = str(cells.get("la_name") or "").strip()
    region = str(cells.get("region") or "").strip()
    allocated = bool(re.fullmatch(r"[EWSN]\d{8}", code))
    reason = None
    if not allocated:
        reason = next((t for t in (code, la_name, region) if t), "No local authority recorded")
    return {
        "period": period,
        "support_type": str(cells["support_type"] or "").strip(),
        "region": _REGION_CASE.get(region.lower(), region) if allocated else None,
        "source_lad_code": code if allocated else None,
        "source_lad_name": la_name if allocated else None,
        "accommodation_type": accommodation,
        "people": people,
        "unallocated_reason": reason,
        "source_row": row,
    }


def _tidy(raw: pd.DataFrame) -> pd.DataFrame:
    """Map predecessor codes to today's authorities and sum rows that land on one authority."""
    successors = successor_map()
    raw["period"] = pd.to_datetime(raw["period"])
    raw["lad_code"] = raw["source_lad_code"].map(
        lambda c: successors.get(c, (c, None))[0] if isinstance(c, str) else None)
    raw["lad_name"] = [
        successors[c][1] if isinstance(c, str) and c in successors else n
        for c, n in zip(raw["source_lad_code"], raw["source_lad_name"], strict=False)
    ]
    # A current authority keeps the name it has in its most recent row.
    latest = (raw.dropna(subset=["lad_code"]).sort_values("period")
              .groupby("lad_code")[["lad_name", "region"]].last())
    raw["lad_name"] = raw["lad_code"].map(latest["lad_name"]).where(raw["lad_code"].notna())
    raw["region"] = raw["lad_code"].map(latest["region"]).where(raw["lad_code"].notna())
    raw["nation"] = raw["lad_code"].map(nation_of)
    keys = ["period", "support_type", "accommodation_type", "lad_code", "lad_name", "region",
            "nation", "unallocated_reason"]
    tidy = raw.groupby(keys, dropna=False, sort=True)["people"].sum().reset_index()
    sources = (raw.dropna(subset=["lad_code"]).drop_duplicates(["lad_code", "source_lad_code"])
               .sort_values("source_lad_code").groupby("lad_code")["source_lad_code"].agg(";".join))
    tidy["source_lad_codes"] = tidy["lad_code"].map(sources)
    tidy["people"] = tidy["people"].astype("int64")
    tidy["allocated"] = tidy["lad_code"].notna()
    return tidy


# --- Reg_02 and the quarterly totals series -------------------------------------------------

_REG02_COLUMNS = {
    "lad_code", "lad_name", "region", "country", "population", "supported_asylum",
    "initial_accommodation", "dispersal_accommodation", "contingency_accommodation",
    "other_accommodation", "subsistence_only", "as_at",
}


def _read_csv_checked(path: Path, required: set[str], integer_columns: list[str]) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    from geo import reading  # size and row caps, encoding detected, one DataError on failure

    frame = reading.read_csv_table(path, reading.DATA, dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = required - set(frame.columns)
    if missing:
        raise DataError(f"missing columns {sorted(missing)}", file=path)
    for col in integer_columns:
        values = frame[col].str.replace(",", "").str.strip()
        # ASCII digits only (\d also takes other scripts' digits, which became blanks), and a range
        # check: a count of people has at most 15 digits (1e19 overflowed with a TypeError).
        bad = ~values.str.fullmatch(r"[0-9]{1,15}") & (values != "")
        if bad.any():
            i = int(bad.idxmax())
            raise DataError(f"{frame.at[i, col]!r} is not a whole number (0 to 999,999,999,999,999)", file=path,
                            row=i + 2, column=col)
        frame[col] = pd.to_numeric(values.replace("", None), errors="coerce").astype("Int64")
    return frame


def read_reg02(path: str | Path) -> pd.DataFrame:
    """Reg_02 snapshot: supported asylum by accommodation type, with the population the Home Office uses.

    The published .ods/.xlsx edition is read by geo.regional; a plain CSV in the same columns is
    still read here (a council's own extract)."""
    if Path(path).suffix.lower() != ".csv":
        from geo.regional import read_reg02_edition

        return read_reg02_edition(path)
    counts = ["population", "supported_asylum", "initial_accommodation", "dispersal_accommodation",
              "contingency_accommodation", "other_accommodation", "subsistence_only"]
    frame = _read_csv_checked(Path(path), _REG02_COLUMNS, counts)
    frame["as_at"] = pd.to_datetime(frame["as_at"])
    frame["lad_code"] = frame["lad_code"].str.strip()
    frame["nation"] = frame["lad_code"].map(nation_of)
    return frame.rename(columns={"country": "country_name"})


def read_quarterly_totals(path: str | Path) -> pd.DataFrame:
    """Total supported asylum seekers per authority per quarter (period, lad_code, lad_name, supported)."""
    frame = _read_csv_checked(Path(path), {"lad_code", "lad_name", "as_at", "supported_asylum"},
                              ["supported_asylum"])
    frame["period"] = pd.to_datetime(frame.pop("as_at"))
    return frame.rename(columns={"supported_asylum": "supported"})
