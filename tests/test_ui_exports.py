"""ui.exports: file names, markings, roles and the mapping from a page's view state to the
exact arguments of static_map.snapshot, exports.export_table and briefing.briefing_pack.

The first part needs no data; the last few tests write real files from the official data (and are
skipped without ../shared/data).
"""
from __future__ import annotations

import inspect
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from conftest import needs_shared
from geo.errors import GeoError
from geo.measures import Filters
from geo.render.marking import OFFICIAL, OFFICIAL_SENSITIVE
from ui import exports as ER
from ui.state import ViewState

MADE = date(2025, 1, 15)
HOTEL = "Contingency Accommodation - Hotel"


def params(func) -> set[str]:
    return set(inspect.signature(func).parameters)


# ----------------------------------------------------------------------------- naming

def test_default_snapshot_name_is_measure_period_area():
    request = ER.MapRequest(measure="per_1000", period="2024-09-30", made_on=MADE)
    assert request.file_name == "asylum-support-per_1000-2024-09-30-uk-16x9-150dpi.png"
    assert request.dpi == 150 and request.mime == "image/png" and request.marking == OFFICIAL


def test_snapshot_name_carries_area_filters_resolution_and_shape():
    request = ER.MapRequest(measure="hotel", period=pd.Timestamp("2024-06-30"), made_on=MADE, region="North West",
                            fmt="pdf", resolution="print", aspect="A4",
                            filters=Filters(accommodation_types=(HOTEL,), support_types=("Section 95",)))
    assert request.period == "2024-06-30"
    assert request.file_name == "asylum-support-hotel-2024-06-30-north-west-hotel-s95-A4.pdf"
    assert request.dpi == 300
    council = ER.MapRequest(measure="dispersed", period="2024-06-30", made_on=MADE, lad_code="E08000012",
                            lad_name="Liverpool", fmt="svg")
    assert council.file_name == "asylum-support-dispersed-2024-06-30-e08000012-liverpool-16x9.svg"
    two = ER.MapRequest(measure="per_1000", period="2024-06-30", made_on=MADE,
                        filters=Filters(regions=("Wales", "Scotland")))
    assert two.file_name == "asylum-support-per_1000-2024-06-30-wales-scotland-16x9-150dpi.png"


def test_ward_maps_are_named_by_the_day_made_and_marked_sensitive():
    request = ER.MapRequest(measure="limit_used", period="2024-06-30", made_on=MADE, level="ward",
                            lad_code="E08000012", lad_name="Liverpool")
    assert request.file_name == "asylum-support-limit_used-2025-01-15-e08000012-liverpool-wards-16x9-150dpi.png"
    assert request.marking == OFFICIAL_SENSITIVE
    assert request.snapshot_kwargs(Path("x.png"))["filters"] is None  # ward figures come from site records


@pytest.mark.parametrize("change", [{"fmt": "gif"}, {"resolution": "poster"}, {"aspect": "4:3"},
                                    {"measure": "people"}, {"level": "region"}, {"method": "equal"}])
def test_unknown_choices_are_refused_with_the_valid_ones(change):
    base = {"measure": "per_1000", "period": "2024-06-30", "made_on": MADE}
    with pytest.raises(GeoError, match="use one of|measures:|levels:"):
        ER.MapRequest(**{**base, **change})


def test_table_and_briefing_names():
    table = ER.TableRequest(name="councils", level="lad", made_on=MADE, fmt="xlsx", period="2024-09-30")
    assert table.file_name == "asylum-support-councils-2024-09-30-uk.xlsx" and table.sidecar_name is None
    csv = ER.TableRequest(name="Fair share", level="lad", made_on=MADE, period="2024-09-30", area="london")
    assert csv.file_name == "asylum-support-fair-share-2024-09-30-london.csv"
    assert csv.sidecar_name == "asylum-support-fair-share-2024-09-30-london.sources.json"
    brief = ER.BriefingRequest(period="2024-09-30", made_on=MADE, lad_code="E08000012", lad_name="Liverpool")
    assert brief.file_name == "asylum-support-briefing-2024-09-30-e08000012-liverpool.pdf"
    assert ER.BriefingRequest(period="2024-09-30", made_on=MADE).file_name == \
        "asylum-support-briefing-2024-09-30-uk.pdf"
    with pytest.raises(GeoError, match="not both"):
        ER.BriefingRequest(period="2024-09-30", made_on=MADE, lad_code="E08000012", region="North West")


def test_slugs():
    assert ER.slug("Yorkshire and The Humber") == "yorkshire-and-the-humber"
    assert ER.area_slug(lad_code="S12000049", lad_name="Glasgow City") == "s12000049-glasgow-city"
    assert ER.area_slug(filters=Filters(nations=("England",))) == "england"
    assert ER.filter_slug(Filters()) == "" and ER.filter_slug(None) == ""


# ----------------------------------------------------------------------------- mapping to the library

def test_snapshot_kwargs_are_exactly_what_static_map_takes():
    from geo.render.static_map import snapshot

    filters = Filters(accommodation_types=(HOTEL,), regions=("London",))
    request = ER.MapRequest(measure="hotel", period="2024-06-30", made_on=MADE, method="natural_breaks",
                            filters=filters, resolution="print", aspect="A4", fmt="svg")
    kwargs = request.snapshot_kwargs(Path("/tmp/out") / request.file_name)
    assert set(kwargs) <= params(snapshot)
    assert kwargs == {"level": "lad", "measure": "hotel", "period": "2024-06-30", "lad_code": None,
                      "region": None, "method": "natural_breaks", "aspect": "A4", "dpi": 300,
                      "out": Path("/tmp/out") / request.file_name, "made_on": MADE, "filters": filters}


def test_map_request_from_a_page_state():
    state = ViewState(measure="limit_used", period="2024-03-31", regions=("London",), nations=("England",),
                      accommodation=(HOTEL,), support=("Section 95",), classes="natural_breaks", lad="E09000001")
    request = ER.map_request(state, made_on=MADE, resolution="print")
    assert (request.measure, request.period, request.method, request.dpi) == \
        ("limit_used", "2024-03-31", "natural_breaks", 300)
    assert request.filters == state.filters()
    council = ER.map_request(state, made_on=MADE, geographic=False, lad_code="E09000001", lad_name="City of London")
    assert council.filters.regions == () and council.filters.nations == ()
    assert council.filters.accommodation_types == (HOTEL,) and council.lad_code == "E09000001"
    ward = ER.map_request(state, made_on=MADE, level="ward", lad_code="E09000001", measure="dispersed")
    assert ward.measure == "dispersed" and ward.level == "ward"


def test_export_kwargs_are_exactly_what_export_table_takes():
    from geo.exports import export_table

    layer = object()
    csv = ER.TableRequest(name="wards", level="ward", made_on=MADE, columns=["ward_name", "population"],
                          site_derived=True, role="Officer", title="Wards")
    kwargs = csv.export_kwargs(Path("w.csv"), provenance={}, layer=layer)
    assert set(kwargs) | {"frame"} <= params(export_table)
    assert kwargs["layer"] is None  # CSV needs no boundaries
    assert kwargs["columns"] == ["ward_name", "population"] and kwargs["role"] == "officer"
    assert kwargs["site_derived"] is True and kwargs["level"] == "ward"
    gpkg = ER.TableRequest(name="wards", level="ward", made_on=MADE, fmt="gpkg")
    assert gpkg.export_kwargs(Path("w.gpkg"), provenance={}, layer=layer)["layer"] is layer


def test_briefing_kwargs_are_exactly_what_briefing_pack_takes():
    from geo.render.briefing import briefing_pack

    request = ER.BriefingRequest(period="2024-06-30", made_on=MADE, region="Wales")
    kwargs = request.briefing_kwargs(Path("b.pdf"))
    assert set(kwargs) | {"sites", "ward_measures"} <= params(briefing_pack)
    assert kwargs == {"lad_code": None, "region": "Wales", "period": "2024-06-30", "out": Path("b.pdf"),
                      "made_on": MADE, "place_weights": None, "place_schemes": ("asylum",)}


def test_markings():
    lad = ER.TableRequest(name="councils", level="lad", made_on=MADE)
    ward = ER.TableRequest(name="wards", level="ward", made_on=MADE)
    derived = ER.TableRequest(name="wards", level="ward", made_on=MADE, site_derived=True)
    sites = ER.TableRequest(name="sites", level="site", made_on=MADE)
    assert (lad.marking, ward.marking, derived.marking, sites.marking) == \
        (OFFICIAL, OFFICIAL, OFFICIAL_SENSITIVE, OFFICIAL_SENSITIVE)
    assert ER.BriefingRequest(period="2024-06-30", made_on=MADE).marking == OFFICIAL
    assert ER.BriefingRequest(period="2024-06-30", made_on=MADE, ward_figures=True).marking == OFFICIAL_SENSITIVE


# ----------------------------------------------------------------------------- roles and disclosure

def test_site_records_leave_only_for_allowed_roles():
    for role, allowed in (("viewer", False), ("officer", False), ("analyst", True), ("admin", True)):
        request = ER.TableRequest(name="sites", level="site", made_on=MADE, role=role)
        ok, why = request.allowed
        assert ok is allowed and role in why
    assert ER.TableRequest(name="wards", level="ward", made_on=MADE).allowed == (True, "")
    frame = pd.DataFrame({"reference": ["a"]})
    assert ER.briefing_sites("viewer", frame)[0] is None and "hotel list" in ER.briefing_sites("viewer", frame)[1]
    assert ER.briefing_sites("analyst", frame) == (frame, None)
    assert ER.briefing_sites("viewer", None) == (None, None)


def test_ward_tables_use_the_names_disclosure_controls():
    frame = pd.DataFrame({"ward_code": ["W1"], "dispersed_people": [3], "hotel_people": [0], "limit_used": [0.5],
                          "headroom": [2.0], "status": ["within 1:200"]})
    out = ER.ward_export_frame(frame)
    assert list(out.columns) == ["ward_code", "dispersed", "hotel", "limit_used", "headroom", "status"]
    assert ER.export_columns(["dispersed_people", "ward_name"]) == ("dispersed", "ward_name")


def test_table_formats():
    assert ER.table_formats(pd.DataFrame({"lad_code": []}), "lad") == ["csv", "xlsx", "geojson", "gpkg"]
    assert ER.table_formats(pd.DataFrame({"Authority": []}), "lad") == ["csv", "xlsx"]
    assert ER.table_formats(pd.DataFrame({"lad_code": []}), "lad", geo=False) == ["csv", "xlsx"]
    assert ER.table_formats(pd.DataFrame({"latitude": [], "longitude": []}), "site")[-1] == "gpkg"


def test_briefing_area_of_a_national_view():
    regions = ["London", "North West", "Wales", "Scotland"]
    assert ER.briefing_area(ViewState(), regions) == (True, None)
    assert ER.briefing_area(ViewState(regions=("London",)), regions) == (True, "London")
    assert ER.briefing_area(ViewState(nations=("Wales",)), regions) == (True, "Wales")
    assert ER.briefing_area(ViewState(regions=("London", "North West")), regions) == (False, None)
    assert ER.briefing_area(ViewState(nations=("England",)), regions) == (False, None)


# ----------------------------------------------------------------------------- real files

@needs_shared
def test_print_snapshot_has_300_dpi_and_the_filtered_areas(model, tmp_path):
    from PIL import Image

    from geo.render import static_map as sm

    filters = Filters(accommodation_types=(HOTEL,), regions=("London",))
    from geo.measures import published

    period = max(p for p in model.periods if published(model.stats, HOTEL, p))  # hotels by authority
    request = ER.MapRequest(measure="hotel", period=period, made_on=MADE, filters=filters, resolution="print")
    path = ER.make_snapshot(model, request, tmp_path)
    assert path.name == request.file_name
    with Image.open(path) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
        assert image.size == (4000, 2250)  # 13.33 x 7.5 in at 300 dpi
    content = sm.map_content(model, measure="hotel", period=period, filters=filters)
    london = set(model.lads.loc[model.lads["region"] == "London", "lad_code"])
    assert set(content.areas["code"]) == london
    assert content.note == f"Accommodation: {HOTEL}"


@needs_shared
def test_ward_table_export_suppresses_small_site_derived_counts(model, tmp_path):
    wards = model.wards[model.wards["lad_code"] == "E08000012"].head(4)
    frame = pd.DataFrame({"ward_name": wards["ward_name"].to_numpy(), "population": [8000, 9000, 7000, 6000],
                          "dispersed_people": [2, 40, 0, 12], "ward_code": wards["ward_code"].to_numpy(),
                          "lad_code": "E08000012"})
    request = ER.TableRequest(name="wards", level="ward", made_on=MADE, period=MADE, area="liverpool",
                              columns=("ward_name", "population", "dispersed_people", "ward_code"),
                              site_derived=True)
    table, sidecar = ER.make_table(model, request, frame, tmp_path)
    out = pd.read_csv(table, dtype=str, comment="#")
    assert list(out.columns) == ["ward_code", "lad_code", "ward_name", "population", "dispersed"]
    # 2 hidden; the secondary cell is never a 0 (issue 13), so 12 is hidden with it
    assert out["dispersed"].tolist() == ["[c]", "40", "0", "[c]"]
    meta = json.loads(sidecar.read_text())
    assert meta["marking"] == OFFICIAL_SENSITIVE and meta["notes"] and meta["made_on"] == "2025-01-15"


@needs_shared
def test_site_records_as_points_and_the_briefing_pack(model, tmp_path):
    import geopandas as gpd

    sites = pd.DataFrame({"reference": ["S1"], "site_type": ["hotel"], "name": ["Test"], "people": [10],
                          "latitude": [53.41], "longitude": [-2.98], "ward_code": [None], "lad_code": ["E08000012"]})
    refused = ER.TableRequest(name="sites", level="site", made_on=MADE, fmt="geojson", role="viewer")
    with pytest.raises(GeoError, match="may not export site-level records"):
        ER.make_table(model, refused, sites, tmp_path)
    allowed = ER.TableRequest(name="sites", level="site", made_on=MADE, fmt="gpkg", role="analyst")
    path = ER.make_table(model, allowed, sites, tmp_path)[0]
    back = gpd.read_file(path, layer="site")
    assert back.geometry.iloc[0].x == pytest.approx(-2.98) and back["reference"].tolist() == ["S1"]

    brief = ER.BriefingRequest(period=model.latest_period, made_on=MADE, lad_code="E08000012", lad_name="Liverpool")
    pdf = ER.make_briefing(model, brief, tmp_path)
    assert pdf.name == brief.file_name and pdf.read_bytes().startswith(b"%PDF")
