"""The period table across Asy_D11, Reg_02 and the quarterly totals, checked against the files themselves.

Asy_D11 and Reg_02 are the published files; the quarterly totals series (a fallback a council may
hand over) is built at test time from them, with one quarter only it covers.

Every expected figure is computed here from the official files (or from frames the test builds);
each test named after a finding in issue 14 failed on the code before the period table.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import published_files
from conftest import needs_shared
from geo import measures, period_table
from geo.asylum_stats import CONTINGENCY_ALL, HOTEL
from geo.measures import Filters, headline, lad_table, lad_trend, rank

pytestmark = needs_shared


@pytest.fixture(scope="module")
def reg02() -> pd.DataFrame:
    return published_files.reg02()


@pytest.fixture(scope="module")
def totals_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("totals")
    published_files.quarterly_totals(folder)
    return folder


@pytest.fixture(scope="module")
def quarterly(totals_dir) -> pd.DataFrame:
    return pd.read_csv(next(totals_dir.glob("supported_asylum_by_la_quarterly_*.csv")))


@pytest.fixture(scope="module")
def model_totals(totals_dir):
    """The model with the totals series handed over in a folder (it is never taken from ../shared)."""
    from geo.model import load_model

    return load_model(totals_dir, allow_download=False)


@pytest.fixture(scope="module")
def workbook() -> pd.DataFrame:
    return published_files.asy_d11()


def test_default_quarter_is_the_latest_any_source_covers(model_totals, reg02, quarterly, workbook):
    """Finding: 'Stale by fifteen months' (the default was Asy_D11's 30 September 2024)."""
    model = model_totals
    latest = max(pd.to_datetime(reg02["as_at"]).max(), pd.to_datetime(quarterly["as_at"]).max(),
                 workbook["period"].max())
    assert model.latest_period == latest
    assert latest > workbook["period"].max()
    every = set(pd.to_datetime(quarterly["as_at"])) | set(pd.to_datetime(reg02["as_at"])) | set(workbook["period"])
    assert set(model.periods) == every


def test_latest_quarter_shows_reg02_counts_with_contingency_labelled(model, reg02):
    """Finding: Reg_02's December 2025 counts never appeared (107,003 supported ...)."""
    period = pd.Timestamp(reg02["as_at"].iloc[0])
    figures = headline(model, period)
    assert figures["supported"].value == reg02["supported_asylum"].sum()
    assert figures["dispersed"].value == reg02["dispersal_accommodation"].sum()
    assert figures["contingency"].value == reg02["contingency_accommodation"].sum()
    assert figures["contingency"].label == "In contingency (hotels and other)"
    assert math.isnan(figures["hotel"].value)  # Reg_02 gives no hotels-alone figure: never 0
    over = (reg02["dispersal_accommodation"] * 200 > reg02["population"]).sum()
    assert figures["over"].value == over >= 1
    table = lad_table(model, period).set_index("lad_code")
    assert table["hotel"].isna().all()
    glasgow = reg02.set_index("lad_name").loc["Glasgow City"]
    assert table.at[glasgow["lad_code"], "contingency"] == glasgow["contingency_accommodation"]
    assert bool(table.at[glasgow["lad_code"], "over_threshold"]) == (
        glasgow["dispersal_accommodation"] * 200 > glasgow["population"])
    assert measures.not_shown(model, period, "hotel") == period_table.NOT_PUBLISHED
    assert model.period_source(period) == "reg02"


def test_stepping_back_to_asy_d11_gives_its_figures_with_hotels(model, workbook):
    last = workbook["period"].max()
    rows = workbook[workbook["period"] == last]
    figures = headline(model, last)
    assert figures["supported"].value == rows["People"].sum()
    assert figures["hotel"].value == rows.loc[rows["Accommodation Type"] == HOTEL, "People"].sum()
    assert model.period_source(last) == "asy_d11"


def test_sources_covering_the_same_quarter_agree(model_totals):
    tables = model_totals.source_tables()
    compared = period_table.overlaps(tables).set_index(["source_a", "source_b"])["figures_compared"]
    assert compared[("asy_d11", "quarterly_totals")] > 500  # two quarters of the councils with people
    assert compared[("reg02", "quarterly_totals")] > 300
    bad = period_table.disagreements(tables)
    assert bad.empty, bad.head().to_string()


def test_disagreement_is_found_when_a_figure_differs():
    a = pd.DataFrame({"period": [pd.Timestamp("2025-12-31")], "lad_code": ["S12000049"], "measure": ["supported"],
                      "value": [10], "source": "reg02"})
    b = a.assign(value=11, source="quarterly_totals")
    bad = period_table.disagreements({"reg02": a, "quarterly_totals": b})
    assert bad.iloc[0][["value_a", "value_b"]].tolist() == [10, 11]


def test_quarterly_series_is_on_boundary_codes_and_gaps_are_not_zero(model_totals, quarterly):
    """Finding: the totals file has gaps (Barnsley, Sheffield) and its codes are not lined up."""
    model = model_totals
    only_totals = sorted(p for p in model.periods if model.period_source(p) == "quarterly_totals")
    assert only_totals, "no quarter is spoken for by the totals series alone"
    period = only_totals[0]
    table = lad_table(model, period).set_index("lad_code")
    assert not set(model.quarterly["lad_code"]) - set(model.lads["lad_code"])  # every code on a boundary
    in_file = quarterly[pd.to_datetime(quarterly["as_at"]) == period]
    for code, people in in_file.set_index("lad_code")["supported_asylum"].items():
        if code in table.index:
            assert table.at[code, "supported"] == people
    moved = model.code_moves.get("quarterly_totals", {})
    assert moved, "the totals series' 2024 codes were not moved onto the boundaries"
    for new in moved.values():  # Barnsley and Sheffield: no row before December 2025
        assert pd.isna(table.at[new, "supported"])
        assert measures.not_shown(model, period, "supported") == period_table.NOT_IN_FILE
    assert math.isnan(table["dispersed"].iloc[0])  # total only: dispersed not published, never 0


def test_over_1_200_does_not_follow_the_support_type_filter(model, workbook):
    """Finding: with Section 4 selected 'Councils over 1:200' read 0, though Glasgow is over."""
    last = workbook["period"].max()
    everyone = headline(model, last)["over"].value
    section4 = headline(model, last, Filters(support_types=("Section 4",)))
    assert section4["over"].value == everyone >= 1
    table = lad_table(model, last, Filters(support_types=("Section 4",))).set_index("lad_name")
    glasgow = workbook[(workbook["period"] == last) & (workbook["Local Authority"] == "Glasgow City")]
    s4 = glasgow[(glasgow["Support Type"] == "Section 4")
                 & (glasgow["Accommodation Type"] == "Dispersal Accommodation")]["People"].sum()
    assert table.at["Glasgow City", "dispersed"] == s4  # the count follows the filter ...
    assert bool(table.at["Glasgow City", "over_threshold"])  # ... the status does not
    assert "support-type filter changes the counts shown, not the status" in measures.STATUS_NOTE


def test_filter_that_cannot_apply_to_a_quarter_is_said(model, reg02):
    period = pd.Timestamp(reg02["as_at"].iloc[0])
    filters = Filters(support_types=("Section 95",))
    assert measures.filter_notes(model, period, filters)
    assert headline(model, period, filters)["supported"].value == reg02["supported_asylum"].sum()
    assert not measures.filter_notes(model, "2024-09-30", filters)


def test_council_hotels_not_published_before_december_2022(model, workbook):
    """Finding: council-view hotels read 0 before December 2022 and '+1,125 on Sep 2022' for Birmingham."""
    first = workbook.loc[(workbook["Accommodation Type"] == HOTEL)
                         & workbook["LAD Code"].astype(str).str.match(r"[EWSN]\d{8}"), "period"].min()
    trend = lad_trend(model, "E08000025").set_index("period")
    assert trend.loc[trend.index < first, "hotel"].isna().all()
    assert trend.loc[first, "hotel"] == workbook.loc[(workbook["period"] == first) & (
        workbook["LAD Code"] == "E08000025") & (workbook["Accommodation Type"] == HOTEL), "People"].sum()
    row = lad_table(model, first).set_index("lad_code").loc["E08000025"]
    assert pd.isna(row["hotel_change_q"])  # no change into the first published quarter
    assert trend.loc[model.latest_period, "hotel"] != trend.loc[model.latest_period, "hotel"]  # NaN in Reg_02


def test_tied_ranks_are_marked():
    """Finding: West Devon with 0 people read '22nd of 27', not '=22nd of 27'."""
    table = pd.DataFrame({"lad_code": list("ABCDE"), "region": "R", "supported": [9, 5, 0, 0, 0]})
    assert rank(table, "D", "supported").text == "=3rd of 5"
    assert rank(table, "A", "supported", within="region").text == "1st of 5"
    assert rank(table, "C", "supported").tied


def test_west_devon_rank_is_marked_tied_on_the_files(model):
    table = lad_table(model, "2024-09-30")
    sw = table[table["region"] == table.loc[table["lad_name"] == "West Devon", "region"].iloc[0]]
    value = sw.loc[sw["lad_name"] == "West Devon", "supported"].iloc[0]
    place = rank(table, sw.loc[sw["lad_name"] == "West Devon", "lad_code"].iloc[0], "supported", within="region")
    assert place.tied == ((sw["supported"] == value).sum() > 1)
    assert place.text.startswith("=") == place.tied


def test_contingency_rows_of_reg02_carry_their_own_type(model):
    rows = model.stats[model.stats["source"] == "reg02"]
    assert CONTINGENCY_ALL in set(rows["accommodation_type"]) and HOTEL not in set(rows["accommodation_type"])


def test_section4_caveat_explains_the_march_2018_step(model, workbook):
    """Finding: every authority steps up in March 2018 (Section 4 had no authority before); no caveat said why."""
    from geo.caveats import SECTION4_REASON

    dec17 = workbook[(workbook["period"] == "2017-12-31") & (workbook["LAD Code"] == SECTION4_REASON)]
    assert dec17["People"].sum() > 0
    placed = workbook[(workbook["period"] == "2018-03-31") & (workbook["Support Type"] == "Section 4")
                      & workbook["LAD Code"].astype(str).str.match(r"[EWSN]\d{8}")]
    line = next(c for c in model.caveats() if c.startswith("Section 4"))
    assert "March 2018" in line
    assert f"{int(dec17['People'].sum()):,}" in line and f"{int(placed['People'].sum()):,}" in line


def test_population_is_dated_by_its_own_vintage_not_the_reg02_quarter(model):
    """Finding: the fair-share page said residents 'as at 31 Dec 2025'; they are the ONS mid-2024 estimate."""
    label = model.population_label()
    assert label == "ONS mid-2024 estimate, as used by the Home Office in Reg_02"
    caveats = " ".join(model.caveats())
    assert label in caveats and "applied to every quarter" in caveats
    assert "31 December 2025" not in label


def test_fair_share_page_dates_residents_by_their_vintage(model):
    """Finding: the fair-share page said residents "as at 31 Dec 2025", not their own vintage."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "pages" / "fair_share.py"), default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    words = " ".join(m.value for m in at.markdown)
    assert model.population_label() in words
    assert "every quarter" in words
    assert "as at 31 December 2025)" not in words and "as at 31 Dec 2025" not in words


def test_filters_offer_asy_d11_detail_only(model):
    """Reg_02 and the totals series add 'all support types' and 'total only' rows: no filter offers them."""
    from geo.asylum_stats import ALL_SUPPORT, TOTAL_ONLY

    choices = measures.filter_choices(model.stats)
    assert ALL_SUPPORT not in choices["support"] and "Section 4" in choices["support"]
    assert TOTAL_ONLY not in choices["accommodation"] and CONTINGENCY_ALL not in choices["accommodation"]
    assert HOTEL in choices["accommodation"]
