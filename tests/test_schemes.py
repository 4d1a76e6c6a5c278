"""The other Home Office schemes on every surface: overview, council view, exports, briefing pack.

Expected figures come from the published Reg_02 (.ods) read with pandas (tests/published_files.py);
the app is opened with only the two published-layout files and the ONS files in its data folder.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import published_files
from apptest import run_app
from conftest import SHARED, needs_shared
from geo import schemes, sources
from geo.regional import MEANINGS

pytestmark = needs_shared
BIRMINGHAM = "E08000025"


@pytest.fixture(scope="module")
def published_only(tmp_path_factory):
    """A data folder holding only the two published-layout files and the ONS files, as the done-when says."""
    import streamlit as st

    from geo.model import load_model

    drop = tmp_path_factory.mktemp("published")
    shutil.copytree(SHARED / "ons", drop / "ons")
    (drop / "homeoffice").mkdir()
    for path in (published_files.D11, published_files.ODS):
        shutil.copy(path, drop / "homeoffice")
    mp = pytest.MonkeyPatch()
    mp.setattr(sources, "SHARED_DATA", drop / "no-shared")  # the app sees the folder and nothing else
    mp.setenv(sources.DATA_DIR_ENV, str(drop))
    st.cache_resource.clear()
    yield load_model(allow_download=False)
    st.cache_resource.clear()
    mp.undo()


def _texts(at) -> str:
    frames = " ".join(df.value.to_string() for df in [*at.dataframe, *at.table])
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption]) + " " + frames


def test_overview_opens_at_december_2025_with_the_schemes_and_their_meanings(published_only):
    """Done when: 107,003 supported, 32,667 contingency; Homes for Ukraine 149,685 and Afghan 31,021 with meanings."""
    reg02 = published_files.reg02()
    at = run_app()
    shown = {m.label: m.value for m in at.metric}
    assert shown["People supported"] == f"{reg02['supported_asylum'].sum():,}" == "107,003"
    assert shown["Contingency (hotels and other)"] == f"{reg02['contingency_accommodation'].sum():,}" == "32,667"
    words = _texts(at)
    assert "31 December 2025" in words
    assert f"{reg02['ukraine_arrivals'].sum():,}" == "149,685" and "149,685" in words
    assert f"{reg02['afghan_people'].sum():,}" == "31,021" and "31,021" in words
    assert MEANINGS["ukraine_arrivals"] in words and MEANINGS["afghan_people"] in words
    assert published_files.ODS.name in words  # the source is named


def test_council_view_shows_its_schemes_beside_supported_asylum(published_only):
    row = published_files.reg02().set_index("lad_code").loc[BIRMINGHAM]
    at = run_app("pages/council.py", lad=BIRMINGHAM)
    table = next(df.value for df in [*at.dataframe, *at.table] if "Scheme" in df.value.columns).set_index("Scheme")
    assert table.at["Homes for Ukraine arrivals", "People"] == f"{row['ukraine_arrivals']:,}"
    assert table.at["Afghan Resettlement Programme", "People"] == f"{row['afghan_people']:,}"
    assert table.at["Supported asylum", "People"] == f"{row['supported_asylum']:,}"
    per = row["ukraine_arrivals"] / row["population"] * 10_000
    assert table.at["Homes for Ukraine arrivals", "Per 10,000 residents"] == f"{per:,.1f}"
    assert table.at["Homes for Ukraine arrivals", "What it counts"] == MEANINGS["ukraine_arrivals"]


def test_a_quarter_without_reg02_says_not_published(published_only):
    at = run_app("pages/council.py", lad=BIRMINGHAM, period="2024-09-30")
    assert "not published in this release for this quarter" in _texts(at)


def test_council_export_carries_the_schemes_with_meanings(published_only, tmp_path):
    from geo.exports import export_table
    from geo.measures import lad_table

    model = published_only
    table = schemes.add_to(lad_table(model, model.latest_period), model, model.latest_period)
    out = export_table(table, tmp_path / "councils.csv", provenance=model.provenance, level="lad",
                       made_on=date(2026, 1, 15))
    body = out.read_text(encoding="utf-8-sig")
    assert "Homes for Ukraine: arrivals" in body and "ukraine_arrivals_per_10k" in body
    frame = pd.read_csv(out, comment="#").set_index("lad_code")
    reg02 = published_files.reg02().set_index("lad_code")
    assert int(frame["ukraine_arrivals"].sum()) == int(reg02["ukraine_arrivals"].sum())
    assert int(frame.at[BIRMINGHAM, "afghan_people"]) == int(reg02.at[BIRMINGHAM, "afghan_people"])


def test_briefing_pack_lists_the_schemes(published_only, tmp_path):
    from geo.model import load_model
    from geo.render.briefing import briefing_pack
    from pdf_tools import pdf_text

    drop = tmp_path / "drop"  # the pack's place-based page needs the pressure files too
    shutil.copytree(Path(published_only.provenance["reg02"].path).parents[1], drop)
    shutil.copytree(SHARED / "pressures", drop / "pressures")
    model = load_model(drop, allow_download=False)
    row = published_files.reg02().set_index("lad_code").loc[BIRMINGHAM]
    pdf = briefing_pack(model, lad_code=BIRMINGHAM, out=tmp_path / "pack.pdf", made_on=date(2026, 1, 15))
    words = " ".join(pdf_text(pdf).split())
    assert "Other Home Office schemes" in words and "Homes for Ukraine arrivals" in words
    assert f"{row['ukraine_arrivals']:,}" in words and "cumulative since March 2022" in words


def test_withheld_scheme_cells_stay_out_of_totals(published_only):
    """A marker cell is <NA> with its marker: the total leaves it out and counts it as withheld, never 0."""
    model = published_only
    changed = model.schemes.copy()
    hit = changed["lad_code"] == BIRMINGHAM
    changed.loc[hit, "ukraine_arrivals"] = pd.NA
    changed.loc[hit, "ukraine_arrivals_marker"] = "[c]"
    from dataclasses import replace

    altered = replace(model, schemes=changed)
    figure = schemes.figures(altered, model.latest_period, keys=("ukraine_arrivals",))[0]
    row = published_files.reg02().set_index("lad_code").loc[BIRMINGHAM]
    assert figure.withheld == 1 and figure.value == 149_685 - row["ukraine_arrivals"]
    one = schemes.council_figures(altered, BIRMINGHAM, model.latest_period)[0]
    assert one.value_text() == "withheld"


def _res_d01(path: Path) -> Path:
    """Res_D01 as GOV.UK lays it out: a title row, then quarterly arrivals by authority and scheme."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover_sheet"
    sheet = book.create_sheet("Data_Res_D01")
    sheet.append(["Data_Res_D01: Resettlement arrivals by local authority [note 1]"])
    sheet.append(["Quarter", "UK Region / Nation", "Local Authority", "LAD Code [note 2]", "Resettlement Scheme",
                  "Persons"])
    sheet.append(["2025 Q3", "West Midlands", "Birmingham", BIRMINGHAM, "UKRS", "12"])
    sheet.append(["2025 Q4", "West Midlands", "Birmingham", BIRMINGHAM, "UKRS", 5])
    sheet.append(["2026 Q1", "West Midlands", "Birmingham", BIRMINGHAM, "UKRS", 99])  # after the quarter shown
    sheet.append(["2025 Q4", "West Midlands", "Birmingham", BIRMINGHAM, "Community Sponsorship", "*"])
    sheet.append(["2025 Q4", "Unknown", "Unknown", "N/A", "UKRS", 3])
    sheet.append(["Source: Home Office"])
    book.save(path)
    return path


def test_res_d01_adds_resettlement_arrivals_to_the_council_view(published_only, tmp_path):
    from geo.model import load_model

    drop = tmp_path / "drop"
    shutil.copytree(Path(published_only.provenance["reg02"].path).parents[1], drop)
    _res_d01(drop / "homeoffice" / "resettlement-local-authority-datasets-dec-2025.xlsx")
    model = load_model(drop, allow_download=False)
    assert model.resettlement is not None and len(model.resettlement) == 4  # the unknown authority is left out
    figure = next(f for f in schemes.council_figures(model, BIRMINGHAM, "2025-12-31")
                  if f.key == "resettlement_arrivals")
    assert figure.value == 17 and figure.withheld == 1  # 12 + 5; the '*' cell withheld, never 0
    assert figure.meaning == MEANINGS["resettlement_arrivals"]


def test_briefing_pack_without_pressure_files_says_which_defaults_it_left_out(published_only, tmp_path, monkeypatch):
    """Only the Home Office and ONS files loaded: the pack is still made, and its method page says why
    the memorandum's default weights were not applied (it stopped with 'no indicator loaded')."""
    from geo import place_share
    from geo.render.briefing import briefing_pack
    from pdf_tools import pdf_text

    monkeypatch.setattr(place_share, "resolve_pressures", lambda data_dir=None: {})
    pdf = briefing_pack(published_only, lad_code=BIRMINGHAM, out=tmp_path / "pack.pdf", made_on=date(2026, 1, 15))
    words = " ".join(pdf_text(pdf).split())
    assert "Place-based fair share: method" in words
    assert "Default weights not applied, because their files are not loaded" in words
