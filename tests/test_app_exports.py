"""The Export panel through Streamlit's AppTest: pressing the buttons offers the files, and the files
are what the screen shows (same quarter, measure, classes, filters and area).

Expected rows come from geo.measures.lad_table computed here; the PNG's resolution is read back with
PIL. Skipped without ../shared/data.
"""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from apptest import run_app
from conftest import needs_shared

pytestmark = needs_shared

PERIOD = "2024-06-30"
HOTEL = "Contingency Accommodation - Hotel"
LIVERPOOL = "E08000012"


app = run_app


def downloads(at) -> list[str]:
    """Each download button as 'label: file name' (the file name is the button's tooltip)."""
    return [f"{b.proto.label}: {b.proto.help}" if b.proto.help.startswith("asylum-support") else str(b.proto.label)
            for b in at.get("download_button")]


def made(at, key: str, part: str) -> dict[str, bytes]:
    kept = at.session_state[f"_export_{key}_{part}"]
    assert kept["error"] is None, kept["error"]
    return kept["files"]


def click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def png_dpi(data: bytes) -> tuple[float, float]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.info["dpi"]


@pytest.fixture(scope="module")
def overview():
    """The national overview for one quarter and measure, print snapshot and table exported."""
    at = app(period=PERIOD, measure="hotel", classes="natural_breaks")
    assert downloads(at) == ["Briefing pack (PDF)"]  # the pack is one click; the others are made first
    at.radio(key="overview_map_res").set_value("print").run()
    click(at, "overview_map_make")
    click(at, "overview_table_make")
    return at


def test_buttons_offer_the_snapshot_and_the_table(overview):
    assert downloads(overview) == ["Download PNG (300 dpi): asylum-support-hotel-2024-06-30-uk-16x9-300dpi.png",
                                   "Download CSV: asylum-support-councils-2024-06-30-uk.csv",
                                   "Its sources (JSON)", "Briefing pack (PDF)"]
    assert any("OFFICIAL" in m.value and "aam-marking" in m.value for m in overview.markdown)


def test_files_offered_are_the_screen(model, overview):
    from geo.measures import lad_table

    snapshot = made(overview, "overview", "map")["asylum-support-hotel-2024-06-30-uk-16x9-300dpi.png"]
    assert png_dpi(snapshot) == pytest.approx((300, 300), abs=0.1)
    csv = pd.read_csv(io.BytesIO(made(overview, "overview", "table")["asylum-support-councils-2024-06-30-uk.csv"]),
                      comment="#")
    expected = lad_table(model, PERIOD)
    assert len(csv) == len(expected) and set(csv["lad_code"]) == set(expected["lad_code"])
    assert csv.columns[0] == "lad_code"
    hotels = expected.set_index("lad_code")["hotel"]
    assert (csv.set_index("lad_code")["hotel"] == hotels.loc[csv["lad_code"]].to_numpy()).all()
    assert csv["hotel"].is_monotonic_decreasing  # the screen's order: by the map's measure


def test_the_same_request_rebuilt_from_the_page_state(model, overview, tmp_path):
    """The page's state through ui.exports gives the same file, at the chosen dpi."""
    from geo.measures import lad_table
    from ui import exports as ER

    state = overview.session_state["_view"]
    assert (state.period, state.measure, state.classes) == (PERIOD, "hotel", "natural_breaks")
    request = ER.map_request(state, made_on=date.today(), resolution="print")
    assert request.file_name == "asylum-support-hotel-2024-06-30-uk-16x9-300dpi.png"
    path = ER.make_snapshot(model, request, tmp_path)
    assert png_dpi(path.read_bytes()) == pytest.approx((300, 300), abs=0.1)
    screen = ER.map_request(state, made_on=date.today())
    assert png_dpi(ER.make_snapshot(model, screen, tmp_path).read_bytes()) == pytest.approx((150, 150), abs=0.1)

    expected = lad_table(model, PERIOD, state.filters())
    table = ER.TableRequest(name="councils", level="lad", made_on=date.today(), period=state.period)
    csv_path, sidecar = ER.make_table(model, table, expected, tmp_path)
    csv = pd.read_csv(csv_path, comment="#")
    assert csv["lad_code"].tolist() == expected["lad_code"].tolist()
    assert sidecar.name == "asylum-support-councils-2024-06-30-uk.sources.json"


def test_filters_and_area_follow_the_screen(model):
    from ui import exports as ER

    at = app(period=PERIOD, region="London", acc="hotel", measure="dispersed")
    click(at, "overview_table_make")
    name = "asylum-support-councils-2024-06-30-london.csv"
    assert f"Download CSV: {name}" in downloads(at)
    csv = pd.read_csv(io.BytesIO(made(at, "overview", "table")[name]), comment="#")
    lads = model.lads
    assert set(csv["lad_code"]) == set(lads.loc[lads["region"] == "London", "lad_code"])
    request = ER.map_request(at.session_state["_view"], made_on=date.today())
    assert request.filters.regions == ("London",) and request.filters.accommodation_types == (HOTEL,)
    assert request.file_name == "asylum-support-dispersed-2024-06-30-london-hotel-16x9-150dpi.png"
    # Changing the quarter makes the made file stale: it is no longer offered.
    at.select_slider(key="w_period").set_value("2024-03-31").run()
    assert not [d for d in downloads(at) if "asylum-support-councils" in d]


def test_presentation_mode_has_no_export_panel():
    at = app(present="1")
    assert not [b for b in at.button if str(b.key).startswith("overview_")]
    assert not downloads(at)


@pytest.fixture(scope="module")
def site_store(model, tmp_path_factory):
    from geo.sites.sample import totals_from_asy_d11, write_sample
    from ui import sites as SV

    folder = tmp_path_factory.mktemp("sites")
    db = folder / "sites.sqlite"
    path = write_sample(folder, model.wards, totals_from_asy_d11(model.stats), lads=(LIVERPOOL,))
    SV.import_file(path, db, model.wards)
    return db


def test_council_ward_map_and_ward_table_from_site_records(site_store, monkeypatch):
    monkeypatch.setenv("AAM_SITES_DB", str(site_store))
    at = app("pages/council.py", lad=LIVERPOOL, period=PERIOD)
    at.radio(key="ward_colour").set_value("dispersal_ratio").run()
    click(at, "council_map_make")
    click(at, "council_table_make")
    today = date.today().isoformat()
    names = downloads(at)
    assert (f"Download PNG (150 dpi): asylum-support-limit_used-{today}-e08000012-liverpool-wards-16x9-150dpi.png"
            in names)
    assert f"Download CSV: asylum-support-wards-{today}-e08000012-liverpool.csv" in names
    assert "Briefing pack (PDF)" in names
    assert any("OFFICIAL-SENSITIVE" in m.value and "aam-marking" in m.value for m in at.markdown)
    csv = pd.read_csv(io.BytesIO(made(at, "council", "table")[f"asylum-support-wards-{today}-e08000012-liverpool.csv"]),
                      dtype=str, comment="#")
    assert csv.columns[:2].tolist() == ["ward_code", "lad_code"] and "dispersed" in csv.columns
    shown = next(d.value for d in at.dataframe if "ward_code" in d.value.columns)
    assert csv["ward_code"].tolist() == shown["ward_code"].tolist()
    # a number column with gaps is shown as text with a dash (ui.tables.readable: no "None" in a cell)
    small = pd.to_numeric(shown["dispersed_people"].astype(str).str.replace(",", ""), errors="coerce").between(1, 4)
    assert (csv.loc[small.to_numpy(), "dispersed"] == "[c]").all()  # disclosure control on small counts


def test_site_records_need_a_role_that_allows_them(site_store, monkeypatch):
    """The role is the signed-in member's (geo.access), not a server setting: a viewer gets no site
    rows on the Sites page and so nothing site-level to export; an officer sees them and may not export."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT
    from geo.access.members import Member, local_organisation

    monkeypatch.setenv("AAM_SITES_DB", str(site_store))
    monkeypatch.setenv("AAM_ROLE", "analyst")  # the retired server-wide setting must grant nothing
    for role in ("viewer", "officer"):
        at = AppTest.from_file(str(ROOT / "pages" / "sites.py"), default_timeout=240)
        at.session_state["aam_member"] = Member(f"{role}@this-computer", local_organisation(), role)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        picks = [s for s in at.selectbox if s.key == "sites_table_pick"]
        if role == "viewer":  # no site rows reach a viewer, so there is no site table to export
            assert not picks or "sites" not in picks[0].options
            continue
        picks[0].select("sites").run()
        assert any(f"your role ({role}) may not export site-level records" in i.value for i in at.info)
        assert not [b for b in at.button if b.key == "sites_table_make"], role


def test_ward_finder_export_goes_stale_when_the_rows_change():
    at = app("pages/ward.py", popmin="1000")  # the finder lists wards once a filter is set
    click(at, "ward_table_make")
    assert [d for d in downloads(at) if d.startswith("Download CSV: asylum-support-wards-")]
    rows = len(pd.read_csv(io.BytesIO(next(iter(made(at, "ward", "table").values()))), comment="#"))
    assert rows == len(next(d.value for d in at.dataframe if "council_status" in d.value.columns))
    at.number_input(key="w_popmin").set_value(12000).run()  # same request, fewer rows: not offered
    assert not [d for d in downloads(at) if "asylum-support-wards-" in d]
