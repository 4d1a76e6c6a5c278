"""The Home Office files in ../shared/data as GOV.UK publishes them, read plainly for tests to compare with.

Tests compute expected figures from these with pandas, independently of the product's readers
where they can, and build any other shape they need (a quarterly totals series, a newer edition)
at test time. Nothing here reads the old hand-made files.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from conftest import SHARED

HOME = SHARED / "homeoffice"
D11 = HOME / "support-local-authority-datasets-sep-2024.xlsx"
D11_SHEET = "Data_Asy_D11"
ODS = HOME / "regional-and-local-authority-dataset-dec-2025.ods"
_REG02_NAMES = {
    "Local authority": "lad_name", "Region / Nation": "region", "LTLA (ONS code)": "lad_code",
    "Homes for Ukraine (arrivals)": "ukraine_arrivals", "Afghan Resettlement Programme (population)": "afghan_people",
    "Supported Asylum (total) (population)": "supported_asylum",
    "Supported Asylum - Initial Accommodation (population)": "initial_accommodation",
    "Supported Asylum - Dispersal Accommodation (population)": "dispersal_accommodation",
    "Supported Asylum - Contingency Accommodation (population)": "contingency_accommodation",
    "Supported Asylum - Other Accommodation (population)": "other_accommodation",
    "Supported Asylum - Subsistence Only (population)": "subsistence_only",
    "Total (all three pathways)": "three_pathways_total", "Population": "population",
}


@lru_cache(maxsize=1)
def _reg02() -> pd.DataFrame:
    raw = pd.read_excel(ODS, sheet_name="Reg_02", header=1, engine="calamine")
    raw = raw[raw["LTLA (ONS code)"].astype(str).str.match(r"[EWSN]\d{8}$")].rename(columns=_REG02_NAMES)
    for col in _REG02_NAMES.values():
        if col not in ("lad_name", "region", "lad_code"):
            raw[col] = raw[col].astype("int64")
    raw["as_at"] = pd.Timestamp("2025-12-31")  # the title: "... as at 31 December 2025"
    return raw.reset_index(drop=True)


def reg02() -> pd.DataFrame:
    """Reg_02 at 31 December 2025 read with pandas: one row per authority, snake_case columns."""
    return _reg02().copy()


@lru_cache(maxsize=1)
def _d11() -> pd.DataFrame:
    raw = pd.read_excel(D11, sheet_name=D11_SHEET, header=1, engine="calamine")
    raw = raw[raw["Date (as at…)"].astype(str).str.match(r"\d")].copy()
    raw["period"] = pd.to_datetime(raw["Date (as at…)"], format="%d %b %Y")
    return raw.rename(columns={"UK Region / Nation": "UK Region"})


def asy_d11() -> pd.DataFrame:
    """Asy_D11's data sheet as published, with a `period` column and 'UK Region' for its region column."""
    return _d11().copy()


def quarterly_totals(path: Path) -> Path:
    """A quarterly totals series in the hand-made file's shape (lad_code, lad_name, as_at, supported_asylum),
    built from the published files: Asy_D11's totals for its last two quarters, Reg_02's for December 2025,
    and one quarter only it covers (December 2024, Asy_D11's September totals plus one). Barnsley and
    Sheffield appear only in December 2025 under their 2024 codes, as in the hand-made file."""
    d11 = asy_d11()
    d11 = d11[d11["LAD Code"].astype(str).str.match(r"[EWSN]\d{8}$")]
    d11 = d11[~d11["LAD Code"].isin(["E08000016", "E08000019", "E08000038", "E08000039"])]
    parts = []
    for period in sorted(d11["period"].unique())[-2:]:
        rows = d11[d11["period"] == period].groupby(["LAD Code", "Local Authority"])["People"].sum().reset_index()
        parts.append(pd.DataFrame({"lad_code": rows["LAD Code"], "lad_name": rows["Local Authority"],
                                   "as_at": pd.Timestamp(period).date().isoformat(),
                                   "supported_asylum": rows["People"].astype("int64")}))
    parts.append(parts[-1].assign(as_at="2024-12-31", supported_asylum=parts[-1]["supported_asylum"] + 1))
    reg = reg02()
    parts.append(pd.DataFrame({"lad_code": reg["lad_code"], "lad_name": reg["lad_name"], "as_at": "2025-12-31",
                               "supported_asylum": reg["supported_asylum"]}))
    out = pd.concat(parts, ignore_index=True)
    path.mkdir(parents=True, exist_ok=True)
    target = path / "supported_asylum_by_la_quarterly_2014-2025.csv"
    out.to_csv(target, index=False)
    return target
