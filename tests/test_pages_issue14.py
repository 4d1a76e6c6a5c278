"""Issue 14's findings on the pages themselves, through streamlit.testing (expected figures from the files)."""
from __future__ import annotations

import pandas as pd
import pytest

import published_files
from apptest import run_app
from conftest import needs_shared

pytestmark = needs_shared
BIRMINGHAM = "E08000025"


def _metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_council_hotels_not_published_before_december_2022_and_no_change_into_it(model):
    """Finding: hotels read 0 before Dec 2022 and Dec 2022 showed '+1,125 on Sep 2022' for Birmingham."""
    first = model.stats.loc[model.stats["accommodation_type"] == "Contingency Accommodation - Hotel", "period"].min()
    before = (first - pd.offsets.QuarterEnd(1)).date().isoformat()
    shown = _metrics(run_app("pages/council.py", lad=BIRMINGHAM, period=before))
    assert shown["In hotels"][0] == "Not published in this release"
    at_first = _metrics(run_app("pages/council.py", lad=BIRMINGHAM, period=first.date().isoformat()))
    hotels = model.stats[(model.stats["period"] == first) & (model.stats["lad_code"] == BIRMINGHAM)
                         & (model.stats["accommodation_type"] == "Contingency Accommodation - Hotel")]["people"].sum()
    assert at_first["In hotels"] == (f"{hotels:,}", "")  # a value, and no change into the first quarter


def test_council_at_the_latest_quarter_shows_reg02_contingency_labelled(model):
    reg02 = published_files.reg02()
    row = reg02.set_index("lad_code").loc[BIRMINGHAM]
    shown = _metrics(run_app("pages/council.py", lad=BIRMINGHAM))
    assert shown["People supported"][0] == f"{row['supported_asylum']:,}"
    assert shown["In contingency (hotels and other)"][0] == f"{row['contingency_accommodation']:,}"
    assert "In hotels" not in shown


def test_council_comparison_table_names_what_the_quarter_does_not_publish(model):
    """Seen in a screenshot at 31 December 2025: the 'How it compares' table read 'In contingency
    hotels: no estimate' with '•' bullets for ranks (a lone '-' in a Markdown cell is a list)."""
    at = run_app("pages/council.py", lad=BIRMINGHAM)
    table = next(t.value for t in at.table if "Measure" in t.value.columns)
    housing = table[table["Measure"].str.startswith("In contingency")].iloc[0]
    assert housing["Measure"] == "In contingency (hotels and other)"
    assert housing["Value"] not in ("no estimate", "not published in this release")
    cells = table.drop(columns=["Measure", "Value"]).astype(str).to_numpy().ravel()
    assert not any(c.strip() in ("-", "•") for c in cells)


def test_overview_opens_at_the_latest_quarter_with_reg02_totals(model):
    """Done-when: the overview opens at 31 December 2025 with Reg_02's 107,003 people supported."""
    reg02 = published_files.reg02()
    shown = _metrics(run_app())
    assert shown["People supported"][0] == f"{reg02['supported_asylum'].sum():,}"
    assert shown["Contingency (hotels and other)"][0] == f"{reg02['contingency_accommodation'].sum():,}"
    over = int((reg02["dispersal_accommodation"] * 200 > reg02["population"]).sum())
    assert shown["Councils over 1:200"][0] == f"{over:,}"


def test_overview_over_count_ignores_the_support_filter(model):
    """Finding: with Section 4 selected 'Councils over 1:200' read 0 and the page said none was over."""
    everyone = _metrics(run_app(period="2024-09-30"))["Councils over 1:200"][0]
    at = run_app(period="2024-09-30", support="s4")
    assert _metrics(at)["Councils over 1:200"][0] == everyone != "0"
    assert any("not the status" in c.value for c in at.caption)


def test_fair_share_tables_show_whole_people_and_say_so(model):
    """Finding: the fair-share table showed fractions of people (1,386.9)."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "pages" / "fair_share.py"), default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    people = [c for df in at.dataframe for c in df.value.columns if "(people)" in c or c.startswith("Limit")]
    assert people
    for df in at.dataframe:
        for col in [c for c in df.value.columns if "(people)" in c or c.startswith("Limit")]:
            values = pd.to_numeric(df.value[col], errors="coerce").dropna()
            assert (values == values.round(0)).all(), col
    assert any("People are whole numbers" in c.value for c in at.caption)


def test_sites_authority_and_day_live_in_the_link(model, tmp_path, monkeypatch):
    """Finding: Sites settings were not in the URL, so a copied link did not reopen the view."""
    from datetime import date

    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    monkeypatch.setenv("AAM_SITES_DB", str(tmp_path / "sites.sqlite"))
    page = str(ROOT / "pages" / "sites.py")
    at = AppTest.from_file(page, default_timeout=300).run()
    at.button(key="load_sample").click().run()
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox(key="sites_lad").select_index(1).run()
    at.date_input(key="sites_as_at").set_value(date(2023, 1, 1)).run()
    assert not at.exception, [e.message for e in at.exception]
    link = {k: at.query_params[k] for k in at.query_params}
    assert link.get("asat") in ("2023-01-01", ["2023-01-01"]) and link.get("lad")

    again = AppTest.from_file(page, default_timeout=300)
    for k, v in link.items():
        again.query_params[k] = v if isinstance(v, str) else v[-1]
    again.run()
    assert not again.exception, [e.message for e in again.exception]
    assert again.date_input(key="sites_as_at").value == date(2023, 1, 1)
    assert again.selectbox(key="sites_lad").value == at.selectbox(key="sites_lad").value != "__all__"


def test_fair_share_settings_live_in_the_link(model):
    """Finding: Fair share settings were not in the URL, so its links did not reopen the view."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    page = str(ROOT / "pages" / "fair_share.py")
    at = AppTest.from_file(page, default_timeout=300)
    at.query_params.update({"region": "London", "share": "dispersed", "period": "2024-09-30"})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="w_fs_area").value == "London"
    assert at.radio(key="w_fs_measure").value == "dispersed"
    assert pd.Timestamp(at.selectbox(key="w_fs_quarter").value) == pd.Timestamp("2024-09-30")
    at.radio(key="w_fs_measure").set_value("supported").run()
    link = {k: at.query_params[k] for k in at.query_params}
    assert link.get("region") in ("London", ["London"]) and link.get("share") in (None, [], "supported")


@pytest.fixture
def model_totals(tmp_path, monkeypatch):
    """The app with a quarterly totals series handed over in a folder (built from the published files)."""
    import streamlit as st

    from geo.model import load_model

    published_files.quarterly_totals(tmp_path)
    monkeypatch.setenv("AAM_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()  # the app holds one model per process
    yield load_model(tmp_path, allow_download=False)
    st.cache_resource.clear()


def test_a_gap_in_the_totals_series_reads_not_in_this_file(model_totals):
    """Finding: the totals file has no Barnsley rows before December 2025; a gap is not a zero."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    model = model_totals

    moved = model.code_moves["quarterly_totals"]  # Barnsley's and Sheffield's 2024 codes -> boundary codes
    code = sorted(moved.values())[0]
    period = min(p for p in model.periods if model.period_source(p) == "quarterly_totals")
    ward = model.wards.loc[model.wards["lad_code"] == code, "ward_code"].iloc[0]
    council = AppTest.from_file(str(ROOT / "pages" / "council.py"), default_timeout=300)
    council.query_params.update({"lad": code, "period": period.date().isoformat()})
    council.run()
    assert _metrics(council)["People supported"][0] == "Not in this file"
    page = AppTest.from_file(str(ROOT / "pages" / "ward.py"), default_timeout=300)
    page.query_params.update({"ward": ward, "period": period.date().isoformat()})
    page.run()
    assert not page.exception, [e.message for e in page.exception]
    words = " ".join(m.value for m in page.markdown)
    assert "**not in this file** people supported" in words and "no estimate** people" not in words
    assert _metrics(page)["Council vs 1:200 limit"][0] == "Not published in this release"


def test_fair_share_offers_only_quarters_with_dispersed_figures(model_totals):
    """The totals series gives no dispersed figures: fair shares and headroom there would read as 0."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT
    from geo.period_table import measure_published

    model = model_totals

    totals_only = min(p for p in model.periods if model.period_source(p) == "quarterly_totals")
    at = AppTest.from_file(str(ROOT / "pages" / "fair_share.py"), default_timeout=300)
    at.query_params.update({"period": totals_only.date().isoformat()})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    offered = [pd.Timestamp(p) for p in at.selectbox(key="w_fs_quarter").options]
    assert totals_only not in offered and model.latest_period in offered
    assert all(measure_published(model.stats, "dispersed", p) for p in offered)
