"""ui.layers and legend: colours follow the classes, over-1:200 areas get the outline
layer whatever the measure, the deck draws no basemap and travels compact and rounded."""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.render.classify import NO_DATA, OVER_THRESHOLD_OUTLINE, classify, hex_to_rgba
from geo.render.legend import choropleth_legend
from ui import layers as L


def square(x: float, y: float, size: float = 0.1) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


@pytest.fixture()
def web() -> gpd.GeoDataFrame:
    codes = [f"E0600000{i}" for i in range(1, 7)]
    geoms = [square(-2 + i * 0.123456789, 53.0 + i * 0.0111111) for i in range(6)]
    return gpd.GeoDataFrame({"lad_code": codes}, geometry=geoms, crs="EPSG:4326")


@pytest.fixture()
def table() -> pd.DataFrame:
    population = [100_000.0, 200_000.0, 50_000.0, np.nan, 80_000.0, 300_000.0]
    dispersed = [600, 100, 0, 40, 401, 1501]  # 1st, 5th, 6th over 1:200 (1,500 is the limit); 4th no population
    frame = pd.DataFrame({
        "lad_code": [f"E0600000{i}" for i in range(1, 7)],
        "lad_name": ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"],
        "population": population,
        "supported": [900, 300, 10, 50, 420, 1600],
        "hotel": [200, 150, 10, 10, 0, 50],
        "dispersed": dispersed,
        "supported_change_q": [10, -5, 0, np.nan, 3, 7],
    })
    pop = frame["population"]
    frame["per_1000"] = frame["supported"] / pop * 1000
    frame["limit_used"] = frame["dispersed"] / (pop / 200)
    frame["over_threshold"] = (frame["dispersed"] > pop / 200).where(pop.notna())
    return frame


def test_fill_colour_is_the_class_colour_and_missing_is_grey(table) -> None:
    classes = classify(table["per_1000"], k=3)
    fills = L.fill_colours(table["per_1000"], classes)
    expected = classes.colour_of(table["per_1000"])
    for fill, colour, value in zip(fills, expected, table["per_1000"], strict=False):
        assert fill == hex_to_rgba(colour, L.FILL_ALPHA)
        if pd.isna(value):
            assert fill[:3] == hex_to_rgba(NO_DATA)[:3]
    # the highest value takes the darkest (last) class colour, the lowest the first
    order = table["per_1000"].dropna().sort_values().index
    assert fills[order[0]] == hex_to_rgba(classes.colours[0], L.FILL_ALPHA)
    assert fills[order[-1]] == hex_to_rgba(classes.colours[-1], L.FILL_ALPHA)


@pytest.mark.parametrize("measure", ["per_1000", "hotel", "dispersed", "limit_used"])
def test_over_threshold_outline_whatever_the_measure(web, table, measure) -> None:
    classes = classify(table[measure], k=4)
    layers, features = L.national_layers(web, table, measure, classes, label_codes=["E06000001"],
                                         view=L.fit_view(web.total_bounds))
    by_id = {layer.id: layer for layer in layers}
    outline = by_id["over-threshold"]
    codes = sorted(f["properties"]["lad_code"] for f in outline.data["features"])
    assert codes == ["E06000001", "E06000005", "E06000006"]
    assert outline.filled is False
    assert outline.get_line_color == hex_to_rgba(OVER_THRESHOLD_OUTLINE, 255)
    assert outline.line_width_min_pixels >= 4
    rings = by_id["over-threshold-rings"]
    assert len(rings.data) == 3
    assert "labels" in by_id and by_id["labels"].data[0]["text"] == "Alpha"
    # every council is drawn, the one with no population as no-estimate grey
    fill = {f["properties"]["lad_code"]: f["properties"]["fill"] for f in features["features"]}
    assert len(fill) == 6
    if measure in ("per_1000", "limit_used"):
        assert fill["E06000004"][:3] == hex_to_rgba(NO_DATA)[:3]


def test_tooltip_lines_are_preformatted_text(web, table) -> None:
    props = L.lad_properties(table, "limit_used", classify(table["limit_used"]))
    alpha = props.set_index("lad_code").loc["E06000001"]
    assert alpha["t_limit"] == "1:200: 1.20 of the limit of 500, over by 100"  # 100,000 residents, 600 dispersed
    assert alpha["t_supported"] == "Supported: 900"
    assert alpha["t_change"] == "Quarter change: +10"
    assert props.set_index("lad_code").loc["E06000002", "t_limit"] == "1:200: 0.10 of the limit of 1,000, within"
    delta = props.set_index("lad_code").loc["E06000004"]
    assert "no population figure" in delta["t_limit"] and delta["t_change"].endswith("not available")
    for field in ("name", "t_measure", "t_supported", "t_hotel", "t_dispersed", "t_limit", "t_change"):
        assert "{" + field + "}" in L.LAD_TOOLTIP["html"]


def test_coordinates_are_rounded_and_only_needed_columns_travel(web, table) -> None:
    props = L.lad_properties(table, "per_1000", classify(table["per_1000"]))
    features = L.feature_collection(web, props, "lad_code")
    coords = np.array(features["features"][2]["geometry"]["coordinates"][0])
    assert np.allclose(coords, np.round(coords, 4))
    assert set(features["features"][0]["properties"]) == set(props.columns)
    cached = L.geometry_index(web, "lad_code")
    assert L.feature_collection(web, props, "lad_code", geometries=cached) == features


def test_deck_has_no_basemap_and_compact_json(web, table) -> None:
    layers, _ = L.national_layers(web, table, "per_1000", classify(table["per_1000"]))
    deck = L.make_deck(layers, {"latitude": 53.2, "longitude": -1.7, "zoom": 7}, L.LAD_TOOLTIP)
    text = deck.to_json()
    spec = json.loads(text)
    # Streamlit draws a Carto basemap unless the style is pydeck's sentinel with no provider.
    assert spec["mapStyle"] == "__MAP_STYLE__"
    assert "mapProvider" not in spec or spec["mapProvider"] is None
    assert "\n" not in text and "\": " not in text  # no indentation, no spaces after keys
    assert {layer["id"] for layer in spec["layers"]} >= {"authorities", "over-threshold"}
    fill = next(layer for layer in spec["layers"] if layer["id"] == "authorities")
    assert fill["getFillColor"] == "@@=properties.fill"
    assert fill["lineWidthUnits"] == "pixels"  # a literal, not an expression


def test_ward_layers_outline_focus_and_neighbours() -> None:
    codes = ["E05000001", "E05000002", "E05000003"]
    wards = gpd.GeoDataFrame({"ward_code": codes, "ward_name": ["One", "Two", "Three"],
                              "lad_name": ["Here"] * 3, "population": [5000.0, np.nan, 12000.0]},
                             geometry=[square(0, 0), square(0.1, 0), square(0.2, 0)], crs="EPSG:4326")
    classes = classify(wards["population"], k=2)
    props = L.ward_properties(pd.DataFrame(wards.drop(columns="geometry")), classes)
    assert props.set_index("ward_code").loc["E05000002", "fill"][:3] == hex_to_rgba(NO_DATA)[:3]
    assert props.set_index("ward_code").loc["E05000001", "l3"] == "1:200 limit: 25 people in dispersed accommodation"
    layers = L.ward_layers(wards, props, focus="E05000001", neighbours=["E05000002"], label_codes=codes,
                           context=wards, view=L.fit_view(wards.total_bounds))
    by_id = {layer.id: layer for layer in layers}
    assert [f["properties"]["ward_code"] for f in by_id["focus"].data["features"]] == ["E05000001"]
    assert [f["properties"]["ward_code"] for f in by_id["neighbours"].data["features"]] == ["E05000002"]
    assert "wards-over-threshold" not in by_id  # no site records, no ward status
    assert "context" not in by_id  # every context ward is already drawn
    # With sites, the focus outline and the names are drawn over the dots, never under them.
    sites = pd.DataFrame({"reference": ["S1"], "site_type": ["dispersed"], "people": [4],
                          "latitude": [0.05], "longitude": [0.05]})
    order = [layer.id for layer in L.ward_layers(wards, props, focus="E05000001", label_codes=codes,
                                                 view=L.fit_view(wards.total_bounds),
                                                 sites=L.site_points(sites))]
    assert order.index("sites") < order.index("focus") < order.index("ward-labels")


def test_legend_names_method_classes_grey_and_outline(table) -> None:
    classes = classify(table["per_1000"], method="natural_breaks", k=3)
    html = choropleth_legend(classes, "People supported per 1,000 residents", no_estimate=1, over=3)
    assert "Natural breaks (Fisher-Jenks)" in html
    for colour, label in zip(classes.colours, classes.labels, strict=False):
        assert colour in html and label in html
    assert "No estimate" in html and NO_DATA in html and ": 1 area" in html
    assert "Red outline: Over the 1:200 limit" in html and "(3)" in html
    assert OVER_THRESHOLD_OUTLINE in html
    assert "Quantiles" in choropleth_legend(classify(table["per_1000"]), "x")
    assert "Red outline" not in choropleth_legend(classes, "x")
    assert "No estimate" not in choropleth_legend(classes, "x", no_estimate=0)  # nothing grey on the map
    assert "No estimate" in choropleth_legend(classes, "x")


def test_fit_view_contains_the_bounds() -> None:
    uk = (-8.65, 49.86, 1.77, 60.86)
    view = L.fit_view(uk, width_px=600, height_px=700)
    # Half the visible span at this zoom must cover half the bounds in both directions.
    world_px = 512 * 2 ** view["zoom"]
    half_lon = 300 / world_px * 360
    assert half_lon >= (uk[2] - uk[0]) / 2 * 0.99
    assert uk[1] < view["latitude"] < uk[3]
    small = L.fit_view((-3.01, 53.40, -2.98, 53.42), width_px=600, height_px=600)
    assert small["zoom"] > view["zoom"] + 5
    assert L.fit_view((0, 0, 0, 0))["zoom"] == 13.0  # a point gets the maximum zoom


def test_legend_says_in_plain_words_how_colours_were_chosen(table) -> None:
    """Issue 27, finding 9: 'Classes: Quantiles, 0 groups' meant nothing to a chief executive."""
    empty = choropleth_legend(classify(table["per_1000"] * float("nan")), "In hotels")
    assert "0 groups" not in empty and "every area is grey" in empty
    words = choropleth_legend(classify(table["per_1000"], k=3), "x")
    assert "colour bands, each holding about the same number of areas" in words and "groups" not in words
