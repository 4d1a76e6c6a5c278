"""Every page through Streamlit's AppTest, with expected numbers computed here from the official
files with plain pandas (not through geo.measures), so a wrong join or filter in the app fails."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

import published_files
from apptest import run_app
from conftest import SHARED, needs_shared
from geo.text import quarter_label, signed

pytestmark = needs_shared

HOTEL = "Contingency Accommodation - Hotel"
DISPERSED = "Dispersal Accommodation"
LIVERPOOL = "E08000012"


def newest(pattern: str) -> Path:
    found = sorted((SHARED / "homeoffice").glob(pattern)) or sorted((SHARED / "ons").glob(pattern))
    assert found, pattern
    return found[-1]


@pytest.fixture(scope="module")
def official() -> dict[str, pd.DataFrame]:
    from geo.asylum_stats import read_asy_d11

    d11 = read_asy_d11(published_files.D11).table
    reg02 = published_files.reg02()
    wards = pd.read_csv(newest("ward_population_census2021_wd23.csv"), encoding="utf-8-sig")
    return {"d11": d11, "reg02": reg02, "wards": wards}


def expected(official, period: str, lad_codes: set[str] | None = None) -> dict[str, int]:
    """The four headline numbers straight from the tidy workbook and Reg_02's residents."""
    d11 = official["d11"]
    rows = d11[d11["period"] == pd.Timestamp(period)]
    if lad_codes is not None:
        rows = rows[rows["lad_code"].isin(lad_codes)]
    population = official["reg02"].set_index("lad_code")["population"].astype(float)
    dispersed = rows[rows["accommodation_type"] == DISPERSED]
    by_lad = dispersed.dropna(subset=["lad_code"]).groupby("lad_code")["people"].sum()
    over = int((by_lad > by_lad.index.map(population) / 200).sum())
    return {
        "supported": int(rows["people"].sum()),
        "hotel": int(rows.loc[rows["accommodation_type"] == HOTEL, "people"].sum()),
        "dispersed": int(dispersed["people"].sum()),
        "over": over,
    }


app = run_app


def param(at, name: str) -> str | None:
    value = at.query_params.get(name)
    if isinstance(value, (list, tuple)):
        return value[-1] if value else None
    return value


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at) -> dict[str, str | None]:
    return {m.label: m.delta for m in at.metric}


def text_of(at) -> str:
    return " ".join([c.value for c in at.caption] + [m.value for m in at.markdown])


HEAD_LABELS = {"supported": "People supported", "hotel": "Contingency hotels", "dispersed": "Dispersed housing",
               "over": "Councils over 1:200"}


def assert_headlines(at, want: dict[str, int]) -> None:
    shown = metrics(at)
    for key, label in HEAD_LABELS.items():
        assert shown[label] == f"{want[key]:,}", (label, shown[label], want[key])


# --- national overview ----------------------------------------------------------------------------

def test_overview_latest_quarter(official) -> None:
    """Issue 14: the default is the latest quarter any loaded file covers (Reg_02's), not Asy_D11's last."""
    at = app()
    reg02 = official["reg02"]
    latest = pd.Timestamp(reg02["as_at"].max())
    assert latest > official["d11"]["period"].max()
    shown = metrics(at)
    assert shown["People supported"] == f"{reg02['supported_asylum'].sum():,}"
    assert shown["Contingency (hotels and other)"] == f"{reg02['contingency_accommodation'].sum():,}"
    assert shown["Dispersed housing"] == f"{reg02['dispersal_accommodation'].sum():,}"
    text = text_of(at)
    assert published_files.ODS.name in text
    assert f"{latest.day} {latest.strftime('%B %Y')}" in text  # the as-at date
    assert param(at, "period") == latest.date().isoformat()
    assert any("Red outline" in m.value for m in at.markdown)  # the legend's outline entry


def test_overview_at_the_last_asy_d11_quarter(official) -> None:
    """Stepping back to Asy_D11's last quarter gives its figures, hotels included."""
    latest = official["d11"]["period"].max()
    at = app(period=latest.date().isoformat())
    assert_headlines(at, expected(official, latest))
    # Like for like (issue 23): the change is the sum of the councils' own changes, so people with no
    # council recorded are in the total but not in the change. Both quarters come from Asy_D11, which
    # lists every council, so a council with no row in a quarter had nobody then.
    d11 = official["d11"].dropna(subset=["lad_code"])
    now, before = (d11[d11["period"] == p].groupby("lad_code")["people"].sum()
                   for p in (latest, latest - pd.offsets.QuarterEnd(1)))
    change = int(now.sub(before, fill_value=0).sum())
    assert deltas(at)["People supported"] == signed(change)  # geo.text's sign: a true minus when down
    text = text_of(at)
    assert "people with no council recorded are in the totals but not in the change" in text
    assert published_files.D11.name in text
    assert "year ending September 2024" in text  # the release


def test_overview_for_a_chosen_quarter_from_the_link(official) -> None:
    at = app(period="2023-03-31")
    assert_headlines(at, expected(official, "2023-03-31"))
    assert "31 March 2023" in text_of(at)
    # Hotels are published by authority only from Dec 2022: a year earlier has no figure, not zero.
    d11 = official["d11"]
    first_hotel = d11.loc[d11["accommodation_type"] == "Contingency Accommodation - Hotel", "period"].min()
    assert first_hotel > pd.Timestamp("2022-03-31")
    # in a few words on a laptop screen (the default here), where the long line pushed cards below the window
    assert any(f"No figure for a year earlier ({quarter_label('2022-03-31')})" in c.value
               or "No figure for Mar 2022" in c.value or "On Mar 2022: not comparable" in c.value for c in at.caption)
    before = app(period="2022-03-31")
    assert not before.exception
    assert "Not published in this release" in [m.value for m in before.metric if m.label.lower().endswith("hotels")]
    assert any("not published by council for 31 March 2022" in i.value for i in [*before.info, *before.caption])


def test_period_slider_moves_every_number(official) -> None:
    at = app()
    at.select_slider(key="w_period").set_value("2023-03-31").run()
    assert not at.exception
    assert_headlines(at, expected(official, "2023-03-31"))
    assert param(at, "period") == "2023-03-31"
    table = at.dataframe[0].value
    liverpool = table.set_index("lad_code").loc[LIVERPOOL]
    d11 = official["d11"]
    rows = d11[(d11["period"] == "2023-03-31") & (d11["lad_code"] == LIVERPOOL)]
    assert liverpool["supported"] == rows["people"].sum()


def test_region_filter_from_the_link(official) -> None:
    reg02 = official["reg02"]
    london = set(reg02.loc[reg02["region"] == "London", "lad_code"])
    at = app(region="London", period="2024-09-30")
    want = expected(official, "2024-09-30", london)
    assert_headlines(at, want)
    assert len(at.dataframe[0].value) == len(london)
    assert at.multiselect(key="w_regions").value == ["London"]
    assert param(at, "region") == "London"


def test_choosing_a_council_opens_the_council_view(official) -> None:
    at = app()
    at.selectbox(key="find_council").set_value(LIVERPOOL).run()
    assert not at.exception
    assert param(at, "lad") == LIVERPOOL
    assert any(m.value == "# Liverpool" for m in at.markdown)


def test_presentation_mode_hides_the_sidebar(official) -> None:
    latest = official["d11"]["period"].max()
    at = app(present="1", period=latest.date().isoformat())
    cards = " ".join(m.value for m in at.markdown if "aam-card" in m.value)  # large numbers drawn as cards
    values = re.findall(r"<div class='value[^']*'>([^<]+)</div>", cards)
    want = expected(official, latest)
    assert values == [f"{want[k]:,}" for k in ("supported", "hotel", "dispersed", "over")]
    assert not at.sidebar.multiselect and not at.sidebar.toggle
    styles = [h.proto.body for h in at.get("html")] + [m.value for m in at.markdown]
    assert any('data-testid="stSidebar"' in s and "display: none" in s for s in styles)
    assert param(at, "present") == "1"
    assert len(at.dataframe) == 0  # no table in presentation mode


def test_a_bad_link_says_what_it_ignored() -> None:
    at = app(period="2031-03-31", measure="wealth")
    warning = " ".join(w.value for w in at.warning)
    assert quarter_label("2031-03-31") in warning and "wealth" in warning
    assert param(at, "period") != "2031-03-31"


# --- council view ---------------------------------------------------------------------------------

def test_council_view_figures(official) -> None:
    at = app("pages/council.py", lad=LIVERPOOL, period="2024-09-30")
    d11 = official["d11"]
    rows = d11[(d11["period"] == "2024-09-30") & (d11["lad_code"] == LIVERPOOL)]
    population = float(official["reg02"].set_index("lad_code").at[LIVERPOOL, "population"])
    dispersed = int(rows.loc[rows["accommodation_type"] == DISPERSED, "people"].sum())
    shown = metrics(at)
    assert shown["People supported"] == f"{int(rows['people'].sum()):,}"
    assert shown["In hotels"] == f"{int(rows.loc[rows['accommodation_type'] == HOTEL, 'people'].sum()):,}"
    assert shown["In dispersed"] == f"{dispersed:,}"
    assert shown["Residents"] == f"{int(population):,}"
    assert shown["Against 1:200 limit"] == f"{dispersed / (population / 200):.2f}"
    ranks = at.table[0].value  # a plain table: it wraps instead of cutting off a column
    assert set(ranks.columns) >= {"Measure", "Rank in North West", "Rank in UK"}
    assert ranks["Rank in UK"].str.fullmatch(r"\d+(st|nd|rd|th) of \d+").all()
    assert "Within the 1:200 limit" in text_of(at) or "Over the 1:200 limit" in text_of(at)
    # Issue 23: the residents are the ONS mid-year estimate, never dated by the Reg_02 quarter.
    assert "Uses one residents figure for every quarter: the ONS mid-" in text_of(at)
    assert "today's residents figure" not in text_of(at)
    assert param(at, "lad") == LIVERPOOL
    wards = at.dataframe[0].value
    lookup = pd.read_csv(newest("Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"),
                         encoding="utf-8-sig")
    assert len(wards) == int((lookup["LAD23CD"] == LIVERPOOL).sum())


def test_council_view_without_a_council_offers_those_nearest_the_limit(official) -> None:
    at = app("pages/council.py", period="2024-09-30")
    assert any("Choose a council" in i.value for i in at.info)
    assert not at.metric
    nearest = at.dataframe[0].value
    # The most stretched council, worked out here from the workbook and Reg_02 directly.
    d11 = official["d11"]
    rows = d11[(d11["period"] == pd.Timestamp("2024-09-30")) & (d11["accommodation_type"] == DISPERSED)]
    by_lad = rows.dropna(subset=["lad_code"]).groupby("lad_code")["people"].sum()
    ratio = by_lad / (by_lad.index.map(official["reg02"].set_index("lad_code")["population"].astype(float)) / 200)
    assert nearest.iloc[0]["lad_code"] == ratio.idxmax()
    assert len(nearest) == 10
    assert nearest["limit_used"].is_monotonic_decreasing


# --- ward view ------------------------------------------------------------------------------------

def test_ward_view_finds_a_ward(official) -> None:
    wards = official["wards"]
    row = wards[(wards["WD23NM"] == "Ainsdale") & (wards["LAD23NM"] == "Sefton")].iloc[0]
    at = app("pages/ward.py")
    at.text_input(key="ward_query").input("Ainsdale").run()  # the wards matching what is typed
    assert any(row["WD23CD"] in str(o) for o in at.pills[0].options)
    at.pills[0].set_value(row["WD23CD"]).run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Residents"] == f"{int(row['population']):,}"
    assert shown["1:200 limit for this ward"] == f"{int(row['population'] // 200):,}"
    assert shown["Ward 1:200 status"] == "Not known"  # no site records in the test environment
    assert param(at, "ward") == row["WD23CD"]
    neighbours = at.dataframe[-1].value
    assert len(neighbours) >= 2 and row["WD23CD"] not in set(neighbours["ward_code"])


def test_ward_finder_filters_by_council(official) -> None:
    at = app("pages/ward.py", lad=LIVERPOOL)
    table = at.dataframe[0].value
    lookup = pd.read_csv(newest("Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"),
                         encoding="utf-8-sig")
    assert set(table["ward_code"]) == set(lookup.loc[lookup["LAD23CD"] == LIVERPOOL, "WD23CD"])
    at.number_input(key="w_popmin").set_value(15000).run()
    filtered = at.dataframe[0].value
    assert (filtered["population"] >= 15000).all() and len(filtered) < len(table)
    assert param(at, "popmin") == "15000"


# --- sources --------------------------------------------------------------------------------------

def test_sources_lists_every_file_with_its_checksum() -> None:
    at = app("pages/sources.py")
    table = at.dataframe[0].value
    files = {p.name: p for p in SHARED.rglob("*") if p.is_file() and p.suffix in {".xlsx", ".ods", ".csv", ".geojson"}}
    assert len(table) >= 5
    for row in table.itertuples():
        path = files[row.File]
        assert row._8 == hashlib.sha256(path.read_bytes()).hexdigest()  # the SHA-256 column
        assert row.Publisher and row.Release
    assert {published_files.D11.name, published_files.ODS.name,
            "Wards_December_2023_Boundaries_UK_BSC.geojson"} <= set(table["File"])
    text = text_of(at)
    assert "Section 98" in text and "subsistence-only" in text.lower() and "provisional" in text.lower()
    # Codes joined across vintages are named, not silent (Reg_02 is on 2024 codes, boundaries on 2023).
    reg02 = published_files.reg02()
    lad23 = set(pd.read_csv(newest("Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"),
                            encoding="utf-8-sig")["LAD23CD"])
    for code in set(reg02["lad_code"]) - lad23:
        assert f"({code} as " in text, code
    assert at.button(key="rebuild_cache") is not None


def test_measure_and_classes_go_into_the_link_and_the_legend() -> None:
    at = app()
    at.segmented_control(key="w_measure").set_value("hotel").run()
    at.radio(key="w_classes").set_value("natural_breaks").run()
    assert not at.exception
    assert param(at, "measure") == "hotel" and param(at, "classes") == "natural_breaks"
    legend = next(m.value for m in at.markdown if "aam-legend" in m.value)
    assert "Natural breaks (Fisher-Jenks)" in legend
    # the same link in a new session opens the same view
    again = app(measure="hotel", classes="natural_breaks")
    assert again.segmented_control(key="w_measure").value == "hotel"
    assert again.radio(key="w_classes").value == "natural_breaks"


def test_limit_measure_always_uses_fixed_quarters_of_the_limit() -> None:
    at = app(measure="limit_used", classes="natural_breaks")
    assert not at.exception
    legend = next(m.value for m in at.markdown if "aam-legend" in m.value)
    assert "Fixed: quarters of the 1:200 limit" in legend and "over the 1:200 limit" in legend


def test_presentation_toggle_and_leaving_it() -> None:
    at = app()
    at.toggle(key="w_present").set_value(True).run()
    assert param(at, "present") == "1"
    at.button(key="leave_present").click().run()
    assert not at.exception
    assert param(at, "present") is None
    assert at.sidebar.multiselect  # the filters are back


def test_presentation_mode_on_a_council_has_a_way_out() -> None:
    at = app("pages/council.py", lad=LIVERPOOL, present="1")
    assert param(at, "present") == "1"
    at.button(key="leave_present_top").click().run()
    assert not at.exception
    assert param(at, "present") is None and param(at, "lad") == LIVERPOOL
