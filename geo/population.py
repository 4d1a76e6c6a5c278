"""Resident populations for authorities and wards.

A missing estimate stays missing (NaN, shown as "no estimate"), never zero: a zero population
would make a ratio infinite or hide an area from the 1:200 check.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geo.errors import DataError

NO_ESTIMATE = "no estimate"
DEFAULT_LAD_VINTAGE = "ONS mid-2024 estimate"
# Why a ward can have no residents figure: said wherever wards show, the same words everywhere.
WARD_COVERAGE = ("Ward residents are Census 2021: England and Wales by LSOA match (a few new or very small wards "
                 "get none), Northern Ireland from NISRA's ward figures; Scotland's wards have no estimate "
                 "until a ward population file for Scotland is given.")


def lad_population_label(vintage: str | None = None) -> str:
    """'ONS mid-2024 estimate, as used by the Home Office in Reg_02': the authority population's own date.

    Reg_02 is dated 31 December 2025, but its population column is an older ONS estimate; a
    screen that dated residents by the Reg_02 quarter would misstate them.
    """
    return f"{vintage or DEFAULT_LAD_VINTAGE}, as used by the Home Office in Reg_02"


def one_population_note(vintage: str | None = None) -> str:
    """Said on every trend: the same residents divide every quarter's figures."""
    return (f"Residents are the {lad_population_label(vintage)}; that one population is applied to every "
            "quarter shown, back to 2014, so rates and the 1:200 limit in earlier quarters use it too.")


def _population_column(columns: list[str], path: Path) -> str:
    for col in columns:
        if re.fullmatch(r"(population|usual_residents|observation|all ages|count|obs_value)", col.strip(), re.I):
            return col
    raise DataError("no population column (population, usual_residents, all ages...)", file=path)


def read_ward_population(path: str | Path) -> pd.DataFrame:
    """ward_code, population from a ward table in any vintage (WDyyCD plus a population column)."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    from geo import reading  # size and row caps, encoding detected, one DataError on failure

    table = reading.read_csv_table(path, reading.DATA, dtype=str)
    code = next((c for c in table.columns if re.fullmatch(r"WD\d{2}CD|ward_code", c.strip(), re.I)), None)
    if code is None:
        raise DataError("no ward code column (WDyyCD or ward_code)", file=path)
    pop_col = _population_column(list(table.columns), path)
    values = table[pop_col].str.replace(",", "").str.strip()
    bad = values.notna() & ~values.str.fullmatch(r"[0-9]{1,15}(\.0+)?")  # ASCII digits, in range (issue 13)
    if bad.any():
        i = int(bad.idxmax())
        raise DataError(f"{table.at[i, pop_col]!r} is not a population count", file=path, row=i + 2, column=pop_col)
    return pd.DataFrame({"ward_code": table[code].str.strip(),
                         "population": pd.to_numeric(values).astype("float64")})


def lad_population_from_reg02(reg02: pd.DataFrame) -> pd.DataFrame:
    """lad_code, population: the population the Home Office itself uses in Reg_02."""
    out = reg02[["lad_code", "population"]].copy()
    out["population"] = out["population"].astype("float64")
    out.loc[out["population"] <= 0, "population"] = float("nan")
    return out


def attach_population(areas: pd.DataFrame, population: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Left-join populations so every area is kept; those with none are marked 'no estimate'."""
    areas = areas.drop(columns=[c for c in ("population", "population_status") if c in areas.columns])
    if population is None:
        areas["population"] = float("nan")
    else:
        areas = areas.merge(population[[key, "population"]], on=key, how="left")
    areas["population_status"] = areas["population"].notna().map({True: "estimate", False: NO_ESTIMATE})
    return areas
