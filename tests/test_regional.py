"""The files the Home Office publishes: Reg_01/Reg_02 in the .ods, Asy_D11 as published, Asy_D09 refused.

Figures are computed from the files in ../shared/data and compared with the published facts its
README states; fixtures in the accessible-spreadsheet style are written at test time.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import SHARED, needs_shared
from geo import regional, sources
from geo.asylum_stats import read_asy_d11
from geo.errors import DataError, SourceMissing
from ods_fixture import read_sheets, write_ods

HOME = SHARED / "homeoffice"
ODS = HOME / "regional-and-local-authority-dataset-dec-2025.ods"
D11 = HOME / "support-local-authority-datasets-sep-2024.xlsx"
OLD_NAMES = ("asylum-seekers-receipt-support-datasets", "reg02_supported_asylum_by_la",
             "supported_asylum_by_la_quarterly")
# Published facts for Reg_02 at 31 December 2025 (../shared/data/README.md, "Known facts").
KNOWN = {"supported_asylum": 107_003, "contingency_accommodation": 32_667, "ukraine_arrivals": 149_685,
         "afghan_people": 31_021}


def _asy_d09(path: Path) -> Path:
    """An Asy_D09 workbook as GOV.UK lays it out: support by nationality, no local authorities."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover_sheet"
    book.active.append(["Asylum seekers in receipt of support, by nationality"])
    sheet = book.create_sheet("Data_Asy_D09")
    sheet.append(["Asy_D09: Asylum seekers in receipt of support, by nationality"])
    sheet.append(["Date", "Nationality", "Region", "Support Type", "Accommodation Type", "People"])
    sheet.append(["31 Dec 2024", "Afghanistan", "Asia Central", "Section 95", "Dispersal Accommodation", 100])
    book.save(path)
    return path


@needs_shared
def test_published_reg02_gives_the_known_facts_and_reg01_agrees():
    edition = regional.read_regional(ODS)
    assert edition.as_at == pd.Timestamp("2025-12-31")
    assert len(edition.reg02) == 361 and edition.reg02["lad_code"].is_unique
    for column, fact in KNOWN.items():
        assert int(edition.reg02[column].sum()) == fact, column
    assert edition.reg01 is not None and edition.differences == []
    uk = edition.reg01[edition.reg01["region"].str.contains("total")].iloc[0]
    assert int(uk["supported_asylum"]) == KNOWN["supported_asylum"]


@needs_shared
def test_a_reg01_total_that_reg02_does_not_sum_to_is_reported(tmp_path):
    sheets = read_sheets(ODS)
    head = sheets["Reg_01"][1]
    col = head.index("Supported Asylum (total) (population)")
    total = next(r for r in sheets["Reg_01"] if r[0] == "United Kingdom - total")
    total[col] = total[col] + 5
    edition = regional.read_regional(write_ods(tmp_path / "regional-and-local-authority-dataset-dec-2025.ods", sheets))
    assert any("United Kingdom - total" in line and "107,008" in line and "107,003" in line
               for line in edition.differences), edition.differences


def _accessible(rows: list[list], marker_code: str) -> dict[str, list[list]]:
    """Reg_02 rows rewritten in GOV.UK's accessible style: description row, [note N] headings, counts as
    text with thousands separators, rows shuffled, a marker in one cell, source rows after the data."""
    title, head, data = rows[0], rows[1], rows[2:]
    notes = [f"{h} [note {i % 3 + 1}]" if i > 2 else h for i, h in enumerate(head)]
    texts = [[f"{int(c):,}" if isinstance(c, float) and c.is_integer() else c for c in row] for row in data]
    random.Random(7).shuffle(texts)
    for row in texts:
        if row[2] == marker_code:
            row[head.index("Afghan Resettlement Programme - transitional accommodation (population)")] = "[c]"
    return {
        "Cover_sheet": [["Regional and local authority data on immigration groups"],
                        ["Immigration system statistics, year ending December 2025"]],
        "Notes": [["Note number", "Note text"], ["[note 1]", "Population figures are ONS mid-2024."]],
        "Reg_02": [["This worksheet contains one table. Some cells refer to notes in the Notes worksheet."],
                   [title[0]], notes, *texts, [], ["Source: Home Office, Immigration system statistics"],
                   ["[c] means the figure is withheld"]],
    }


@needs_shared
def test_an_accessible_style_ods_reads_to_the_same_figures_with_the_marker_withheld(tmp_path):
    published = regional.read_regional(ODS).reg02.set_index("lad_code")
    code = "E08000025"  # Birmingham
    path = write_ods(tmp_path / "regional-and-local-authority-dataset-dec-2025.ods",
                     _accessible(read_sheets(ODS)["Reg_02"], code))
    styled = regional.read_regional(path)
    assert styled.as_at == pd.Timestamp("2025-12-31")
    got = styled.reg02.set_index("lad_code").loc[published.index]
    for column in regional.COUNTS:
        if column == "afghan_transitional":
            continue
        assert got[column].astype("int64").equals(published[column].astype("int64")), column
    cell = got.loc[code]
    assert pd.isna(cell["afghan_transitional"]) and cell["afghan_transitional_marker"] == "[c]"
    others = got.drop(index=code)["afghan_transitional"].astype("int64")
    assert others.equals(published.drop(index=code)["afghan_transitional"].astype("int64"))
    assert int(styled.reg02["supported_asylum"].sum()) == KNOWN["supported_asylum"]


def test_markers_are_withheld_never_zero():
    for marker in ("*", "-", "..", "[c]", "[x]", "[z]"):
        assert regional.count_cell(marker) == (None, marker, True)
    assert regional.count_cell("1,234") == (1234, None, True)
    assert regional.count_cell(12.0) == (12, None, True)
    assert regional.count_cell("twelve")[2] is False


def test_a_bad_count_names_file_sheet_row_and_column(tmp_path):
    path = write_ods(tmp_path / "regional-and-local-authority-dataset-mar-2026.ods", {"Reg_02": [
        ["Reg_02: Immigration groups, by local authority, as at 31 March 2026"],
        ["Local authority", "Region / Nation", "LTLA (ONS code)", "Supported Asylum (total) (population)"],
        ["Hartlepool", "North East", "E06000001", "lots"]]})
    with pytest.raises(DataError) as err:
        regional.read_regional(path)
    message = str(err.value)
    assert "regional-and-local-authority-dataset-mar-2026.ods" in message and "Reg_02" in message
    assert "row 3" in message and "Supported Asylum (total)" in message and "'lots'" in message


def test_asy_d09_offered_as_asy_d11_is_refused_in_one_line(tmp_path):
    path = _asy_d09(tmp_path / "asylum-seekers-receipt-support-datasets-dec-2024.xlsx")
    with pytest.raises(DataError) as err:
        read_asy_d11(path)
    message = str(err.value)
    assert "Asy_D09" in message and "nationality" in message and "support-local-authority-datasets" in message
    assert "\n" not in message


def test_asy_d09_under_asy_d11_s_name_is_refused_by_content(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    drop = tmp_path / "drop"
    drop.mkdir()
    _asy_d09(drop / "support-local-authority-datasets-dec-2024.xlsx")
    with pytest.raises(SourceMissing) as err:
        sources.resolve("asy_d11", data_dir=drop, cache=tmp_path / "cache", allow_download=False)
    assert "Asy_D09" in str(err.value) and "Data_Asy_D11" in str(err.value)


@needs_shared
def test_asy_d11_reads_as_published():
    d11 = read_asy_d11(D11)
    assert d11.sheet == "Data_Asy_D11"
    assert d11.table["period"].max() == pd.Timestamp("2024-09-30")
    assert d11.release and "September 2024" in d11.release


def _data_folder(tmp_path: Path, *files: Path) -> Path:
    """A folder as a user would pass with --data-dir: the ONS files and these Home Office files."""
    drop = tmp_path / "drop"
    shutil.copytree(SHARED / "ons", drop / "ons")
    (drop / "homeoffice").mkdir()
    for path in files:
        shutil.copy(path, drop / "homeoffice")
    return drop


@needs_shared
def test_build_from_the_two_published_files_opens_at_december_2025(tmp_path, monkeypatch):
    """Done when: only the two published-layout files and the ONS files in --data-dir."""
    from geo import period_table
    from geo.model import load_model

    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    monkeypatch.delenv(sources.DATA_DIR_ENV, raising=False)
    drop = _data_folder(tmp_path, ODS, D11)
    model = load_model(drop, tmp_path / "cache", allow_download=False)
    assert {model.provenance["asy_d11"].file_name, model.provenance["reg02"].file_name} == {D11.name, ODS.name}
    assert not any(any(old in p.file_name for old in OLD_NAMES) for p in model.provenance.values())
    assert model.latest_period == pd.Timestamp("2025-12-31")
    latest = period_table.long_table(model.stats[model.stats["period"] == model.latest_period], "reg02")
    totals = latest.groupby("measure")["value"].sum()
    assert int(totals["supported"]) == KNOWN["supported_asylum"]
    assert int(totals["contingency"]) == KNOWN["contingency_accommodation"]
    schemes = model.schemes[model.schemes["period"] == model.latest_period]
    assert int(schemes["ukraine_arrivals"].sum()) == KNOWN["ukraine_arrivals"]
    assert int(schemes["afghan_people"].sum()) == KNOWN["afghan_people"]
    assert model.period_source("2024-09-30") == "asy_d11" and model.period_source("2025-12-31") == "reg02"


@needs_shared
def test_model_schemes_contract(model):
    """The table i25's fair share reads: one row per council and quarter, markers beside figures."""
    schemes = model.schemes
    for column in ("lad_code", "period", "ukraine_arrivals", "afghan_people", "afghan_transitional",
                   "afghan_la_housing", "afghan_private_rented", "three_pathways_total", "source"):
        assert column in schemes.columns, column
        if column not in ("lad_code", "period", "source"):
            assert f"{column}_marker" in schemes.columns
    assert not schemes.duplicated(["lad_code", "period"]).any()
    assert set(schemes["lad_code"]) <= set(model.lads["lad_code"])
    assert str(schemes["ukraine_arrivals"].dtype) == "Int64"


@needs_shared
def test_northern_ireland_wards_have_census_residents(model):
    wards = model.wards
    ni = wards[wards["ward_code"].str.startswith("N08")]
    assert len(ni) == 462 and ni["population"].notna().all()
    raw = pd.read_csv(SHARED / "pressures" / "ni_ward_population_census2021.csv")
    assert int(ni["population"].sum()) == int(raw["usual_residents"].sum())
    scotland = wards[wards["ward_code"].str.startswith("S13")]
    assert scotland["population"].isna().all() and (scotland["population_status"] == "no estimate").all()


@needs_shared
def test_a_marker_cell_reaches_the_council_view_as_withheld(tmp_path, monkeypatch):
    """Done when: the accessible-style edition loads, reads to the same figures, and says 'withheld'."""
    from geo import schemes
    from geo.model import load_model

    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    drop = _data_folder(tmp_path, D11)
    code = "E08000025"
    write_ods(drop / "homeoffice" / ODS.name, _accessible(read_sheets(ODS)["Reg_02"], code))
    model = load_model(drop, tmp_path / "cache", allow_download=False)
    assert model.latest_period == pd.Timestamp("2025-12-31")
    figures = {f.key: f for f in schemes.council_figures(model, code, model.latest_period)}
    assert figures["afghan_transitional"].value_text() == "withheld"
    published = regional.read_regional(ODS).reg02.set_index("lad_code")
    assert figures["afghan_people"].value_text() == f"{int(published.at[code, 'afghan_people']):,}"
    totals = {f.key: f for f in schemes.figures(model, model.latest_period)}
    assert totals["ukraine_arrivals"].value == KNOWN["ukraine_arrivals"]


@needs_shared
def test_geo_build_uses_both_published_files_from_the_data_dir(tmp_path):
    """Done when: `geo build --data-dir` with the two published-layout files uses both, to December 2025."""
    import json
    import subprocess
    import sys

    from conftest import ROOT

    drop = tmp_path / "drop"
    drop.mkdir()
    for path in (ODS, D11):
        shutil.copy(path, drop)
    out = subprocess.run([sys.executable, "-m", "geo", "build", "--data-dir", str(drop), "--cache-dir",
                          str(tmp_path / "cache"), "--offline", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["used"]["asy_d11"] == {**result["used"]["asy_d11"], "file": D11.name, "origin": "data-dir"}
    assert result["used"]["reg02"] == {**result["used"]["reg02"], "file": ODS.name, "origin": "data-dir"}
    assert "quarterly_totals" not in result["used"]  # the hand-made series is never taken from ../shared
    assert result["periods"] == ["2014-03-31", "2025-12-31"]


@needs_shared
def test_a_re_released_edition_of_one_quarter_speaks_for_it(tmp_path, monkeypatch):
    """Two editions giving the same quarter: the newer file speaks, once per council (no duplicates)."""
    from geo.model import load_model
    from ods_fixture import newer_edition

    monkeypatch.setattr(sources, "SHARED_DATA", tmp_path / "nowhere")
    drop = _data_folder(tmp_path, D11, ODS)
    revised = newer_edition(ODS, drop / "homeoffice" / "regional-and-local-authority-dataset-dec-2025-revised.ods",
                            when="31 December 2025", bump={"E08000025": 3})
    model = load_model(drop, tmp_path / "cache", allow_download=False)
    assert [e.file_name for e in model.editions["reg02"]][-1] == revised.name
    latest = model.schemes[model.schemes["period"] == model.latest_period]
    assert not latest.duplicated("lad_code").any() and set(latest["file"]) == {revised.name}
    birmingham = model.stats[(model.stats["period"] == model.latest_period) & (model.stats["lad_code"] == "E08000025")]
    assert int(birmingham["people"].sum()) == int(published_sum("E08000025")) + 3


def published_sum(code: str) -> int:
    return int(regional.read_regional(ODS).reg02.set_index("lad_code").at[code, "supported_asylum"])
