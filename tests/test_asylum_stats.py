"""Asy_D11, Reg_02 and quarterly readers: the shared files and other published layouts."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import published_files
from conftest import ROOT, SHARED, needs_shared
from geo.asylum_stats import read_asy_d11, read_quarterly_totals, read_reg02
from geo.errors import DataError
from geo.measures import stats_summary

D11 = SHARED / "homeoffice" / "support-local-authority-datasets-sep-2024.xlsx"
HEADER = ["Date (as at…)", "Support Type", "UK Region", "Local Authority", "LAD Code", "Accommodation Type", "People"]


def _independent_sep_2024() -> pd.DataFrame:
    """The raw sheet read with pandas alone, so expectations never come from the code under test."""
    raw = pd.read_excel(D11, sheet_name="Data_Asy_D11", header=1, engine="calamine")
    raw = raw[raw["Date (as at…)"] == "30 Sep 2024"]
    return raw.assign(People=raw["People"].astype(int))


def write_workbook(path: Path, rows: list[list], *, header: list[str] = HEADER, title_rows: int = 1,
                   sheet: str = "Data - Asy_D11", cover: bool = True) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    if cover:
        ws.title = "Cover_sheet"
        ws.append(["Immigration system statistics data tables, year ending June 2023"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    for i in range(title_rows):
        ws.append([f"Title row {i + 1}"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@needs_shared
def test_shared_workbook_latest_quarter_matches_the_sheet():
    raw = _independent_sep_2024()
    table = read_asy_d11(D11).table
    summary = stats_summary(table)
    assert summary["period"] == "2024-09-30"
    assert summary["people"] == raw["People"].sum()
    hotel = raw.loc[raw["Accommodation Type"].str.lower() == "contingency accommodation - hotel", "People"].sum()
    dispersed = raw.loc[raw["Accommodation Type"].str.lower() == "dispersal accommodation", "People"].sum()
    assert summary["by_accommodation"]["Contingency Accommodation - Hotel"] == hotel
    assert summary["by_accommodation"]["Dispersal Accommodation"] == dispersed
    unallocated = raw.loc[~raw["LAD Code"].astype(str).str.match(r"^[EWSN]\d{8}$"), "People"].sum()
    assert summary["unallocated_people"] == unallocated > 0
    assert sum(summary["by_accommodation"].values()) == summary["people"]
    assert summary["periods"][0] == "2014-03-31" and len(summary["periods"]) == 43


@needs_shared
def test_predecessor_codes_land_on_current_authorities():
    table = read_asy_d11(D11).table
    raw = pd.read_excel(D11, sheet_name="Data_Asy_D11", header=1, engine="calamine")
    march_2017 = raw[raw["Date (as at…)"] == "31 Dec 2017"]
    old_glasgow = march_2017.loc[march_2017["LAD Code"] == "S12000046", "People"].sum()
    assert old_glasgow > 0
    mapped = table[(table["period"] == "2017-12-31") & (table["lad_code"] == "S12000049")]["people"].sum()
    assert mapped == old_glasgow
    assert not table["lad_code"].dropna().isin(["S12000046", "E07000187", "E07000028"]).any()
    # Somerset's districts sum onto E06000066 before 2023.
    somerset_codes = ["E07000187", "E07000188", "E07000189", "E07000190", "E07000191", "E07000246"]
    before = raw[(raw["Date (as at…)"] == "31 Mar 2022") & raw["LAD Code"].isin(somerset_codes)]["People"].sum()
    after = table[(table["period"] == "2022-03-31") & (table["lad_code"] == "E06000066")]["people"].sum()
    assert after == before > 0


def test_other_layout_header_variants_excel_dates_and_case(tmp_path):
    rows = [
        [datetime(2023, 6, 30), "Section 95", "North West", "Liverpool", "E08000012", "dispersal accommodation", 100],
        [datetime(2023, 6, 30), "Section 95", "North West", "Liverpool", "E08000012",
         "CONTINGENCY ACCOMMODATION - HOTEL", 40.0],
        [None, None, None, None, None, None, None],
        [datetime(2023, 6, 30), "Section 95", "Yorkshire And The Humber", "Harrogate", "E07000165",
         "Dispersal Accommodation", 5],
        [datetime(2023, 6, 30), "Section 95", "Yorkshire and The Humber", "Selby", "E07000169",
         "Dispersal Accommodation", 7],
        [datetime(2023, 6, 30), "Section 98", "N/A - Section 98 (pre-Dec 2022)", "N/A - Section 98 (pre-Dec 2022)",
         "N/A - Section 98 (pre-Dec 2022)", "N/A - Section 98 (pre-2023)", 12],
        [45016, "Section 4", "Scotland", "Glasgow City", "S12000046", "Subsistence only", 3],  # Excel serial 2023-03-31
        ["End of table"],
        ["Source: Home Office"],
    ]
    header = ["Date", "Support Type", "UK Region / Nation", "Local Authority", "LAD Code", "Accommodation Type",
              "People"]
    path = write_workbook(tmp_path / "asy_d11_jun_2023.xlsx", rows, header=header, title_rows=4, sheet="Asy_D11")
    d11 = read_asy_d11(path)
    summary = stats_summary(d11.table)
    assert summary["periods"] == ["2023-03-31", "2023-06-30"]
    assert summary["people"] == 100 + 40 + 5 + 7 + 12
    assert summary["by_accommodation"] == {"Dispersal Accommodation": 112, "Contingency Accommodation - Hotel": 40,
                                           "N/A - Section 98 (pre-2023)": 12}
    assert summary["unallocated_people"] == 12
    assert summary["authorities"] == 2  # Liverpool and North Yorkshire (Harrogate + Selby summed)
    north_yorks = d11.table[(d11.table["lad_code"] == "E06000065")]
    assert north_yorks["people"].sum() == 12 and north_yorks["region"].iloc[0] == "Yorkshire and The Humber"
    glasgow = stats_summary(d11.table, "2023-03-31")
    assert glasgow["by_accommodation"] == {"Subsistence Only": 3} and glasgow["authorities"] == 1
    assert d11.release == "Immigration system statistics, year ending June 2023"


@pytest.mark.parametrize("bad", [12.5, "twelve", -3, "1,2.5"])
def test_non_whole_people_stops_the_load_naming_sheet_row_column(tmp_path, bad):
    rows = [["31 Mar 2024", "Section 95", "London", "Camden", "E09000007", "Dispersal Accommodation", 4],
            ["31 Mar 2024", "Section 95", "London", "Camden", "E09000007", "Initial Accommodation", bad]]
    path = write_workbook(tmp_path / "bad.xlsx", rows, title_rows=2)
    with pytest.raises(DataError) as err:
        read_asy_d11(path)
    message = str(err.value)
    assert "bad.xlsx" in message and "sheet 'Data - Asy_D11'" in message
    assert "row 5" in message and "column 'People'" in message


def test_unknown_accommodation_and_unreadable_date_are_named(tmp_path):
    path = write_workbook(tmp_path / "acc.xlsx",
                          [["31 Mar 2024", "Section 95", "London", "Camden", "E09000007", "Tents", 4]])
    with pytest.raises(DataError, match=r"row 3, column 'Accommodation Type'.*Tents"):
        read_asy_d11(path)
    path = write_workbook(tmp_path / "date.xlsx",
                          [["sometime", "Section 95", "London", "Camden", "E09000007", "Subsistence Only", 4]])
    with pytest.raises(DataError, match=r"row 3, column 'Date \(as at…\)'"):
        read_asy_d11(path)


def test_workbook_without_a_header_is_rejected_clearly(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["nothing", "here"])
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(DataError, match="no sheet has an Asy_D11 header row"):
        read_asy_d11(tmp_path / "empty.xlsx")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@needs_shared
def test_cli_stats_json_for_a_named_period():
    out = _cli("stats", str(D11), "--json", "--period", "2023-03-31")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    raw = pd.read_excel(D11, sheet_name="Data_Asy_D11", header=1, engine="calamine")
    march = raw[raw["Date (as at…)"] == "31 Mar 2023"]
    assert result["period"] == "2023-03-31"
    assert result["people"] == march["People"].sum()
    hotel = march.loc[march["Accommodation Type"].str.lower() == "contingency accommodation - hotel", "People"].sum()
    assert result["by_accommodation"]["Contingency Accommodation - Hotel"] == hotel
    assert set(result) == {"periods", "period", "people", "by_accommodation", "unallocated_people", "authorities"}


def test_cli_bad_input_is_one_line_without_traceback(tmp_path):
    path = write_workbook(tmp_path / "bad.xlsx", [["31 Mar 2024", "Section 95", "London", "Camden", "E09000007",
                                                    "Dispersal Accommodation", "n/a"]])
    out = _cli("stats", str(path), "--json")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0
    assert "bad.xlsx" in out.stderr and "row 3" in out.stderr and "People" in out.stderr
    out = _cli("stats", str(tmp_path / "missing.xlsx"), "--json")
    assert out.returncode != 0 and "missing.xlsx" in out.stderr and "Traceback" not in out.stderr


@needs_shared
def test_reg02_matches_published_totals():
    reg02 = read_reg02(published_files.ODS)
    raw = published_files.reg02()
    assert len(reg02) == len(raw) == 361
    assert reg02["supported_asylum"].sum() == raw["supported_asylum"].sum()
    assert reg02["contingency_accommodation"].sum() == raw["contingency_accommodation"].sum()
    # The README states these for 31 Dec 2025; the file must agree.
    assert reg02["supported_asylum"].sum() == 107_003 and reg02["contingency_accommodation"].sum() == 32_667


@needs_shared
def test_quarterly_series_reads_every_row(tmp_path):
    path = published_files.quarterly_totals(tmp_path)
    series = read_quarterly_totals(path)
    raw = pd.read_csv(path)
    assert len(series) == len(raw)
    assert series["supported"].sum() == raw["supported_asylum"].sum()
    assert series["period"].max() == pd.Timestamp("2025-12-31")


def test_reg02_bad_count_names_row_and_column(tmp_path):
    path = tmp_path / "reg02.csv"
    path.write_text("lad_code,lad_name,region,country,population,supported_asylum,initial_accommodation,"
                    "dispersal_accommodation,contingency_accommodation,other_accommodation,subsistence_only,as_at\n"
                    "E09000007,Camden,London,England,210000,10,0,5,5,0,0,2025-12-31\n"
                    "E09000001,City of London,London,England,8600,x,0,0,0,0,0,2025-12-31\n")
    with pytest.raises(DataError, match=r"reg02.csv, row 3, column 'supported_asylum'"):
        read_reg02(path)
