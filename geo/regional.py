"""Reader for "Regional and local authority data on immigration groups" (Reg_01 and Reg_02).

GOV.UK publishes it as ``regional-and-local-authority-dataset-<mon>-<yyyy>.ods`` (sometimes
``.xlsx``) following the accessible-spreadsheet conventions: cover and notes sheets, an optional
description row above the title, the date in the title ("... as at 31 December 2025"), ``[note N]``
markers in headings, counts that may be text with thousands separators, and source rows after the
data. A cell holding a marker (``*``, ``-``, ``..``, ``[c]``, ``[x]``, ``[z]``) is withheld or not
available: it is read as missing with the marker kept beside it, never as 0, so screens can say so.

Reg_02 gives, for every UK authority, supported asylum by accommodation type beside the other two
Home Office pathways (Homes for Ukraine arrivals and the Afghan Resettlement Programme) and the
Home Office's total of all three. Reg_01 gives the same by region and nation with the UK total:
:func:`reconcile` checks those against the sum of Reg_02's rows and reports any difference.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geo.codes import nation_of
from geo.errors import DataError

# Cells that mean "withheld or not available", as GOV.UK's statistical tables write them.
MARKERS: dict[str, str] = {
    "*": "withheld (small number)", "-": "not available", "..": "not available",
    "[c]": "withheld (confidential)", "[x]": "not available", "[z]": "not applicable",
    "[u]": "low reliability", "[low]": "fewer than half the smallest unit",
}
WITHHELD = "withheld or not available"
NOT_IN_EDITION = "not in this edition"  # the marker of a column an edition does not have

# Every count column of Reg_01/Reg_02 (inside the product) and how its heading reads. Order
# matters: the specific Afghan and asylum headings are tried before the totals they start with.
COUNTS: tuple[str, ...] = (
    "ukraine_arrivals", "afghan_transitional", "afghan_la_housing", "afghan_private_rented",
    "afghan_people", "initial_accommodation", "dispersal_accommodation", "contingency_accommodation",
    "other_accommodation", "subsistence_only", "supported_asylum", "three_pathways_total", "population",
)
_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("lad_name", re.compile(r"^local authority( name)?$|^la name$|^authority$")),
    ("lad_code", re.compile(r"\b(ltla|lad|ons code|la code|lad\d\dcd)\b|code$")),
    ("region", re.compile(r"^(uk )?region|^nation")),
    ("ukraine_arrivals", re.compile(r"homes for ukraine")),
    ("afghan_transitional", re.compile(r"afghan.*(transitional|bridging)")),
    ("afghan_la_housing", re.compile(r"afghan.*local authority")),
    ("afghan_private_rented", re.compile(r"afghan.*private")),
    ("afghan_people", re.compile(r"afghan")),
    ("initial_accommodation", re.compile(r"asylum.*initial")),
    ("dispersal_accommodation", re.compile(r"asylum.*dispersal")),
    ("contingency_accommodation", re.compile(r"asylum.*contingency")),
    ("other_accommodation", re.compile(r"asylum.*other")),
    ("subsistence_only", re.compile(r"asylum.*subsistence")),
    ("supported_asylum", re.compile(r"supported asylum")),
    ("three_pathways_total", re.compile(r"three pathways|^total")),
    ("population_share", re.compile(r"percentage|per cent|%")),
    ("population", re.compile(r"^population")),
)
SCHEME_COLUMNS: tuple[str, ...] = (
    "ukraine_arrivals", "afghan_people", "afghan_transitional", "afghan_la_housing", "afghan_private_rented",
    "three_pathways_total",
)
# What each figure is, said wherever it is shown (they measure different things).
MEANINGS: dict[str, str] = {
    "ukraine_arrivals": "Homes for Ukraine: arrivals of Ukrainians sponsored under the scheme, cumulative since "
                        "March 2022 (not the number living there now)",
    "afghan_people": "Afghan Resettlement Programme: people in the programme living in the area at the date",
    "afghan_transitional": "Afghan Resettlement Programme people in transitional accommodation at the date",
    "afghan_la_housing": "Afghan Resettlement Programme people in local authority housing at the date",
    "afghan_private_rented": "Afghan Resettlement Programme people in private rented housing at the date",
    "supported_asylum": "Supported asylum: asylum seekers in receipt of Home Office support at the date",
    "three_pathways_total": "Total of all three pathways as the Home Office publishes it (Homes for Ukraine "
                            "arrivals + Afghan programme + supported asylum): a sum of unlike measures",
    "resettlement_arrivals": "Resettlement arrivals (Res_D01): people resettled to the area, summed over the "
                             "quarters of the file",
}
LABELS: dict[str, str] = {
    "ukraine_arrivals": "Homes for Ukraine arrivals",
    "afghan_people": "Afghan Resettlement Programme",
    "afghan_transitional": "Afghan programme: transitional accommodation",
    "afghan_la_housing": "Afghan programme: local authority housing",
    "afghan_private_rented": "Afghan programme: private rented housing",
    "supported_asylum": "Supported asylum",
    "three_pathways_total": "All three pathways (published total)",
    "resettlement_arrivals": "Resettlement arrivals (Res_D01)",
}
_AS_AT = re.compile(r"as at (\d{1,2} [A-Za-z]+ \d{4})", re.I)
_CODE = re.compile(r"[EWSN]\d{8}")
_STOP = re.compile(r"^(source|note|end of table|\[note)", re.I)


@dataclass(frozen=True)
class Regional:
    """One edition of the regional tables: Reg_02 by authority, Reg_01 by region, and checks."""

    reg02: pd.DataFrame
    reg01: pd.DataFrame | None
    as_at: pd.Timestamp
    release: str | None
    file: Path
    differences: list[str] = field(default_factory=list)


def norm_heading(value: Any) -> str:
    """A heading without [note N] markers, line breaks or repeated spaces, lower case."""
    text = re.sub(r"\[\s*notes?\s*[\d ,and]*\]", " ", str(value or ""), flags=re.I)
    return re.sub(r"\s+", " ", text).strip().lower()


def _match(row: list[Any], headings: tuple[tuple[str, re.Pattern[str]], ...] | None = None) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(row):
        name = norm_heading(cell)
        if not name:
            continue
        for key, pattern in headings or _HEADINGS:
            if key not in found and pattern.search(name):
                found[key] = idx
                break
    return found


def _data_rows(rows: list[list[Any]], header_row: int, cols: dict[str, int]
               ) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(spreadsheet row, first text in the row, cells by key) after the header, to the source rows."""
    for i, row in enumerate(rows[header_row + 1:], start=header_row + 2):
        first = next((str(c).strip() for c in row if c is not None and str(c).strip()), "")
        if not first:
            continue
        if _STOP.match(first):
            return
        yield i, first, {k: (row[c] if c < len(row) else None) for k, c in cols.items()}


def count_cell(value: Any) -> tuple[int | None, str | None, bool]:
    """(count, marker, ok): a whole number, a marker (count None) or not a count at all (ok False)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None, "", True
    if isinstance(value, bool):
        return None, None, False
    if isinstance(value, int):
        return (value, None, True) if 0 <= value < 10**15 else (None, None, False)
    if isinstance(value, float):
        return (int(value), None, True) if value.is_integer() and 0 <= value < 1e15 else (None, None, False)
    text = str(value).strip()
    if text.lower() in MARKERS:
        return None, text.lower(), True
    if text == "":
        return None, "", True
    digits = re.sub(r"[,\s\u00a0\u202f]", "", text)
    if re.fullmatch(r"[0-9]{1,15}(\.0+)?", digits):
        return int(float(digits)), None, True
    return None, None, False


def _share_cell(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        return None


def _as_at(rows: list[list[Any]], header_row: int) -> pd.Timestamp | None:
    for row in rows[:header_row]:
        for cell in row:
            m = _AS_AT.search(str(cell or ""))
            if m:
                try:
                    return pd.Timestamp(m.group(1))
                except ValueError:
                    return None
    return None


def _find_header(rows: list[list[Any]], needs: tuple[str, ...],
                 headings: tuple[tuple[str, re.Pattern[str]], ...] | None = None
                 ) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:30]):
        cols = _match(row, headings)
        if all(k in cols for k in needs):
            return i, cols
    return None


def _table(rows: list[list[Any]], path: Path, sheet: str, key: str) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """The data rows of one Reg sheet keyed by `key` (lad_code for Reg_02, region for Reg_01)."""
    found = _find_header(rows, (key, "supported_asylum"))
    if found is None:
        raise DataError(f"no header row naming {'an ONS authority code' if key == 'lad_code' else 'regions'} "
                        "and supported asylum", file=path, sheet=sheet)
    header_row, cols = found
    headers = rows[header_row]
    records: list[dict[str, Any]] = []
    for i, first, cells in _data_rows(rows, header_row, cols):
        ident = str(cells.get(key) or "").strip()
        if key == "lad_code" and not _CODE.fullmatch(ident):
            if re.search(r"total", first, re.I):
                continue  # a total row inside Reg_02: Reg_01 carries the totals
            raise DataError(f"{ident!r} is not an ONS authority code", file=path, sheet=sheet, row=i,
                            column=str(headers[cols[key]]))
        record: dict[str, Any] = {"source_row": i, key: ident}
        for other in ("lad_name", "region"):
            if other != key and other in cols:
                record[other] = str(cells.get(other) or "").strip() or None
        for name in COUNTS:
            if name not in cols:
                continue
            count, marker, ok = count_cell(cells[name])
            if not ok:
                raise DataError(f"{cells[name]!r} is not a whole number or a marker (*, -, .., [c], [x], [z])",
                                file=path, sheet=sheet, row=i, column=str(headers[cols[name]]))
            record[name] = count
            record[f"{name}_marker"] = marker
        if "population_share" in cols:
            record["population_share"] = _share_cell(cells["population_share"])
        records.append(record)
    if not records:
        raise DataError("the table has a header but no data rows", file=path, sheet=sheet)
    frame = pd.DataFrame.from_records(records)
    for name in COUNTS:
        if name in frame.columns:
            frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    return frame, _as_at(rows, header_row)


def _sheet(names: list[str], wanted: str) -> str | None:
    squeeze = wanted.replace("_", "").lower()
    return next((n for n in names if re.sub(r"[\s_\-]", "", n).lower() == squeeze), None)


def _release(workbook: Any, path: Path) -> str | None:
    from geo.asylum_stats import _release_from_workbook

    return _release_from_workbook(workbook, path)


def _date_from_name(path: Path) -> pd.Timestamp | None:
    from geo.sources import release_date

    when = release_date(path.name)
    return pd.Timestamp(when) if when else None


def read_regional(path: str | Path) -> Regional:
    """Read Reg_02 (and Reg_01 when present) from a published .ods or .xlsx edition."""
    from geo import reading

    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    workbook = reading.open_workbook(path, reading.DATA)
    names = list(workbook.sheet_names)
    reg02_sheet = _sheet(names, "Reg_02")
    if reg02_sheet is None:
        from geo.identify import refuse_other

        refuse_other(path, "reg02", names)
        raise DataError(f"no Reg_02 table (tables: {', '.join(names)})", file=path)
    reg02, as_at = _table(reading.sheet_rows(workbook, reg02_sheet, path), path, reg02_sheet, "lad_code")
    as_at = as_at or _date_from_name(path)
    if as_at is None:
        raise DataError("the Reg_02 title gives no 'as at' date and the file name none either", file=path,
                        sheet=reg02_sheet)
    reg02["as_at"] = as_at
    reg02["nation"] = reg02["lad_code"].map(nation_of)
    reg02["country_name"] = reg02["nation"]
    if "region" not in reg02.columns:
        reg02["region"] = reg02["nation"]
    reg02["region"] = reg02["region"].fillna(reg02["nation"])
    if "lad_name" not in reg02.columns:
        reg02["lad_name"] = reg02["lad_code"]
    reg01 = None
    reg01_sheet = _sheet(names, "Reg_01")
    if reg01_sheet is not None:
        reg01, _ = _table(reading.sheet_rows(workbook, reg01_sheet, path), path, reg01_sheet, "region")
    return Regional(reg02=reg02, reg01=reg01, as_at=as_at, release=_release(workbook, path), file=path,
                    differences=reconcile(reg01, reg02) if reg01 is not None else [])


def reconcile(reg01: pd.DataFrame, reg02: pd.DataFrame) -> list[str]:
    """One line for every Reg_01 figure (region, nation or UK total) that Reg_02's rows do not sum to.

    A withheld cell in Reg_02 makes its sum a lower bound; the line says so rather than hiding it.
    """
    from geo import text

    lines: list[str] = []
    for _, row in reg01.iterrows():
        region = str(row["region"])
        is_total = bool(re.search(r"total|united kingdom", region, re.I))
        rows = reg02 if is_total else reg02[reg02["region"].str.lower() == region.lower()]
        if rows.empty:
            lines.append(f"Reg_01 lists {region}, but no Reg_02 authority is in it")
            continue
        for name in COUNTS:
            if name not in reg01.columns or name not in rows.columns or pd.isna(row[name]):
                continue
            summed = int(rows[name].sum())
            if summed != int(row[name]):
                withheld = int(rows[f"{name}_marker"].notna().sum())
                extra = f" ({withheld} withheld cell(s) in Reg_02)" if withheld else ""
                lines.append(f"Reg_01 gives {text.people(row[name])} for {LABELS.get(name, name)} in {region}; "
                             f"Reg_02's {len(rows)} authorities sum to {text.people(summed)}{extra}")
    return lines


def read_reg02_edition(path: str | Path) -> pd.DataFrame:
    """Reg_02 alone (the authority table), as :func:`geo.asylum_stats.read_reg02` gives it."""
    return read_regional(path).reg02


def schemes_rows(reg02: pd.DataFrame, file: str, release: str | None) -> pd.DataFrame:
    """The other Home Office schemes by authority for one edition (the Model.schemes contract)."""
    out = pd.DataFrame({"lad_code": reg02["lad_code"], "period": pd.to_datetime(reg02["as_at"])})
    for name in (*SCHEME_COLUMNS, "supported_asylum", "population"):
        out[name] = reg02[name] if name in reg02.columns else pd.array([pd.NA] * len(reg02), dtype="Int64")
        marker = f"{name}_marker"
        out[marker] = reg02[marker] if marker in reg02.columns else NOT_IN_EDITION
    out["source"] = "reg02"
    out["file"] = file
    out["release"] = release
    return out


# --- Res_D01: resettlement arrivals by local authority -------------------------------------------

_RES_HEADINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("period", re.compile(r"^(date|quarter|year and quarter|period)")),
    ("lad_code", re.compile(r"\b(lad|ltla|ons|la)\b.*code|^lad\d\dcd$|code$")),
    ("lad_name", re.compile(r"^local authority( name)?$")),
    ("scheme", re.compile(r"scheme|route")),
    ("arrivals", re.compile(r"^(persons|people|arrivals|number)")),
)


def read_res_d01(path: str | Path) -> pd.DataFrame:
    """Res_D01 as lad_code, period, scheme, arrivals (quarterly arrivals; a marker cell is <NA>)."""
    from geo import reading
    from geo.asylum_stats import parse_period
    from geo.identify import check_sheets

    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    workbook = reading.open_workbook(path, reading.DATA)
    names = list(workbook.sheet_names)
    check_sheets(path, "res_d01", names)
    sheet = _sheet(names, "Data_Res_D01") or names[-1]
    rows = reading.sheet_rows(workbook, sheet, path)
    header = _find_header(rows, ("period", "lad_code", "arrivals"), _RES_HEADINGS)
    if header is None:
        raise DataError("no Res_D01 header row (needs a quarter, an authority code and persons)", file=path,
                        sheet=sheet)
    start, cols = header
    records = []
    for i, _, cells in _data_rows(rows, start, cols):
        code = str(cells["lad_code"] or "").strip()
        if not _CODE.fullmatch(code):
            continue  # rows with no authority (unknown or national) are not placed on the map
        period = parse_period(cells["period"])
        if period is None:
            raise DataError(f"cannot read {cells['period']!r} as a quarter", file=path, sheet=sheet, row=i,
                            column=str(rows[start][cols["period"]]))
        count, marker, ok = count_cell(cells["arrivals"])
        if not ok:
            raise DataError(f"{cells['arrivals']!r} is not a whole number or a marker", file=path, sheet=sheet,
                            row=i, column=str(rows[start][cols["arrivals"]]))
        records.append({"lad_code": code, "period": pd.Timestamp(period) + pd.offsets.QuarterEnd(0),
                        "scheme": str(cells.get("scheme") or "").strip() or None, "arrivals": count,
                        "arrivals_marker": marker})
    frame = pd.DataFrame.from_records(records, columns=["lad_code", "period", "scheme", "arrivals", "arrivals_marker"])
    frame["arrivals"] = pd.array(frame["arrivals"].tolist(), dtype="Int64")
    return frame


def resettled_to(res: pd.DataFrame, period: pd.Timestamp | str) -> pd.DataFrame:
    """lad_code, resettlement_arrivals: arrivals summed over the file's quarters up to `period`."""
    upto = res[pd.to_datetime(res["period"]) <= pd.Timestamp(period)]
    out = upto.groupby("lad_code")["arrivals"].sum(min_count=1).rename("resettlement_arrivals")
    return out.reset_index()
