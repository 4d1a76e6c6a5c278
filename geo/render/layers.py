"""pydeck (deck.gl) layers for the app's maps: classed fills, the over-1:200 outline, labels, sites.

Only the columns a map needs travel to the browser, coordinates are rounded (``PRECISION``
degrees, about 10 m) and every tooltip line is pre-formatted text, so the browser never
computes or rounds a number itself. No basemap: the deck is drawn with no tile provider,
so the maps work offline and the boundaries and labels carry the picture.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from geo.render.classify import NO_DATA, OVER_THRESHOLD_OUTLINE, Classes, hex_to_rgba

PRECISION = 1e-4  # degrees; ~11 m north-south, well under the boundaries' own generalisation
FILL_ALPHA = 225
OVER_LINE_PX = 4
BOUNDARY_RGBA = [255, 255, 255, 230]
FOCUS_RGBA = [11, 12, 12, 255]  # GOV.UK text colour, for the selected ward
NEIGHBOUR_RGBA = [29, 112, 184, 255]  # GOV.UK blue
LABEL_RGBA = [11, 12, 12, 255]
LABEL_BACKGROUND = [255, 255, 255, 215]
SITE_STYLE: dict[str, dict[str, Any]] = {
    # colour plus a letter drawn on the point, so the type never depends on colour alone
    "hotel": {"rgba": [212, 53, 28, 235], "letter": "H", "label": "Hotel", "radius": 9},
    "dispersed": {"rgba": [0, 48, 120, 235], "letter": "D", "label": "Dispersed property", "radius": 6},
    "initial": {"rgba": [133, 153, 0, 235], "letter": "I", "label": "Initial accommodation", "radius": 8},
    "other_contingency": {"rgba": [145, 43, 136, 235], "letter": "C", "label": "Other contingency", "radius": 8},
}
TOOLTIP_STYLE = {"backgroundColor": "#ffffff", "color": "#0b0c0c", "fontSize": "14px",
                 "border": "1px solid #b1b4b6", "padding": "8px", "maxWidth": "320px"}


# --- formatting ---------------------------------------------------------------------------------

def fmt_count(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "no estimate"
    return f"{int(round(float(value))):,}"


def fmt_rate(value: Any, digits: int = 2) -> str:
    if value is None or pd.isna(value) or not math.isfinite(float(value)):
        return "no estimate"
    return f"{float(value):,.{digits}f}"


def fmt_change(value: Any) -> str:
    if value is None or pd.isna(value):
        return "not available"
    value = float(value)
    return "no change" if value == 0 else f"{value:+,.0f}"


def measure_text(measure: str, value: Any) -> str:
    """How one measure's value reads in a tooltip or a table."""
    if measure in ("per_1000",):
        return fmt_rate(value, 2)
    if measure == "limit_used":
        return "no estimate" if pd.isna(value) else f"{float(value):.2f} of the limit"
    return fmt_count(value)


# --- geometry to GeoJSON ------------------------------------------------------------------------

def _round_geoms(geoms: Sequence[Any], precision: float = PRECISION) -> list[dict[str, Any]]:
    arr = shapely.set_precision(np.asarray(geoms, dtype=object), precision)
    return [json.loads(text) for text in shapely.to_geojson(arr)]


def feature_collection(layer, properties: pd.DataFrame, key: str,
                       precision: float = PRECISION) -> dict[str, Any]:
    """GeoJSON for the rows of ``properties`` (joined on ``key``), with only its columns as properties."""
    joined = pd.DataFrame({key: layer[key].to_numpy(), "_geometry": layer.geometry.to_numpy()})
    joined = joined.merge(properties, on=key, how="inner")
    geoms = _round_geoms(joined["_geometry"].to_numpy(), precision)
    props = joined.drop(columns="_geometry").to_dict("records")
    feats = []
    for geom, prop in zip(geoms, props):
        feats.append({"type": "Feature", "geometry": geom, "properties": {k: _plain(v) for k, v in prop.items()}})
    return {"type": "FeatureCollection", "features": feats}


def _plain(value: Any) -> Any:
    """JSON-safe scalars (numpy types, NaN -> None)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def label_points(layer, key: str, codes: Iterable[str], text: pd.Series | dict[str, str]) -> list[dict[str, Any]]:
    """One label position per area (a point inside it), for a TextLayer."""
    wanted = set(codes)
    rows = layer[layer[key].isin(wanted)]
    points = shapely.point_on_surface(rows.geometry.to_numpy())
    lookup = dict(text)
    return [{"position": [round(p.x, 4), round(p.y, 4)], "text": str(lookup.get(c, c))}
            for c, p in zip(rows[key], points)]


# --- authority choropleth -----------------------------------------------------------------------

def fill_colours(values: pd.Series, classes: Classes, alpha: int = FILL_ALPHA) -> list[list[int]]:
    """[r, g, b, a] per value from the classes; missing values get the no-estimate grey."""
    return [hex_to_rgba(c, alpha) for c in classes.colour_of(values)]


def lad_properties(table: pd.DataFrame, measure: str, classes: Classes) -> pd.DataFrame:
    """Per authority: fill colour, over-threshold flag and the tooltip's lines, as text."""
    label = {"per_1000": "Per 1,000 residents", "hotel": "In contingency hotels",
             "dispersed": "In dispersed accommodation", "limit_used": "Against the 1:200 limit",
             "supported": "People supported"}.get(measure, measure)
    over = table["over_threshold"].astype("boolean").fillna(False).astype(bool)
    status = np.where(table["population"].isna(), "no population estimate",
                      np.where(over, "OVER the 1:200 limit", "within the 1:200 limit"))
    out = pd.DataFrame({
        "lad_code": table["lad_code"].to_numpy(),
        "name": table["lad_name"].to_numpy(),
        "fill": fill_colours(table[measure], classes),
        "over": over.to_numpy(),
        "t_measure": [f"{label}: {measure_text(measure, v)}" for v in table[measure]],
        "t_supported": [f"People supported: {fmt_count(s)}" for s in table["supported"]],
        "t_hotel": [f"In contingency hotels: {fmt_count(v)}" for v in table["hotel"]],
        "t_dispersed": [f"In dispersed accommodation: {fmt_count(v)}" for v in table["dispersed"]],
        "t_limit": [f"1:200 limit: {measure_text('limit_used', v)} ({s})"
                    for v, s in zip(table["limit_used"], status)],
        "t_change": [f"Change on previous quarter: {fmt_change(v)}" for v in table["supported_change_q"]],
    })
    return out


LAD_TOOLTIP = {
    "html": ("<b style='font-size:15px'>{name}</b><br/>{t_measure}<br/>{t_supported}<br/>{t_hotel}"
             "<br/>{t_dispersed}<br/>{t_limit}<br/>{t_change}"),
    "style": TOOLTIP_STYLE,
}


def area_layer(features: dict[str, Any], layer_id: str, *, pickable: bool = True,
               line_rgba: Sequence[int] = BOUNDARY_RGBA, line_px: float = 0.6) -> pdk.Layer:
    """Filled polygons coloured by each feature's ``fill`` property, thin white boundaries."""
    return pdk.Layer(
        "GeoJsonLayer", data=features, id=layer_id, pickable=pickable, auto_highlight=pickable,
        highlight_color=[255, 221, 0, 160], filled=True, stroked=True,
        get_fill_color="properties.fill", get_line_color=list(line_rgba),
        line_width_units="pixels", get_line_width=line_px, line_width_min_pixels=line_px,
    )


def over_threshold_features(features: dict[str, Any]) -> dict[str, Any]:
    """Only the features flagged ``over`` (authorities over the 1:200 limit)."""
    return {"type": "FeatureCollection",
            "features": [f for f in features["features"] if f["properties"].get("over")]}


def outline_layer(features: dict[str, Any], layer_id: str, rgba: Sequence[int] | None = None,
                  width_px: float = OVER_LINE_PX) -> pdk.Layer:
    """A thick outline with no fill: drawn over any measure so over-limit areas always stand out."""
    return pdk.Layer(
        "GeoJsonLayer", data=features, id=layer_id, pickable=False, filled=False, stroked=True,
        get_line_color=list(rgba or hex_to_rgba(OVER_THRESHOLD_OUTLINE, 255)), line_width_units="pixels",
        get_line_width=width_px, line_width_min_pixels=width_px, line_joint_rounded=True,
    )


def text_layer(points: list[dict[str, Any]], layer_id: str, size: int = 13) -> pdk.Layer:
    return pdk.Layer(
        "TextLayer", data=points, id=layer_id, get_position="position", get_text="text",
        get_size=size, size_units="pixels", get_color=LABEL_RGBA, get_text_anchor="'middle'",
        get_alignment_baseline="'center'", background=True, get_background_color=LABEL_BACKGROUND,
        background_padding=[3, 1, 3, 1], font_family="'Helvetica Neue', Arial, sans-serif",
        font_weight=600, pickable=False,
    )


def make_deck(layers: list[pdk.Layer], view: dict[str, float], tooltip: dict[str, Any] | None) -> pdk.Deck:
    """A deck with no basemap (no tile provider: works offline), framed on ``view``."""
    return pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(latitude=view["latitude"], longitude=view["longitude"],
                                         zoom=view["zoom"], pitch=0, bearing=0),
        map_provider=None,  # with the default style sentinel Streamlit draws no basemap tiles
        tooltip=tooltip or False,
        views=[pdk.View(type="MapView", controller=True)],
    )


def national_layers(web, table: pd.DataFrame, measure: str, classes: Classes,
                    label_codes: Iterable[str] = ()) -> tuple[list[pdk.Layer], dict[str, Any]]:
    """Authority fill layer, over-threshold outline layer and labels; returns (layers, features)."""
    props = lad_properties(table, measure, classes)
    features = feature_collection(web, props, "lad_code")
    over = over_threshold_features(features)
    layers = [area_layer(features, "authorities"), outline_layer(over, "over-threshold")]
    labels = list(label_codes)
    if labels:
        names = table.set_index("lad_code")["lad_name"]
        layers.append(text_layer(label_points(web, "lad_code", labels, names), "labels"))
    return layers, features


# --- wards and sites ----------------------------------------------------------------------------

def ward_properties(wards: pd.DataFrame, classes: Classes, value: str = "population",
                    value_label: str = "Residents", extra: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Per ward: fill by ``value`` (no estimate grey) and tooltip lines."""
    values = pd.to_numeric(wards[value], errors="coerce")
    pop = pd.to_numeric(wards["population"], errors="coerce")
    out = pd.DataFrame({
        "ward_code": wards["ward_code"].to_numpy(),
        "name": wards["ward_name"].to_numpy(),
        "fill": fill_colours(values, classes),
        "over": (wards["over_threshold"].astype("boolean").fillna(False).astype(bool).to_numpy()
                 if "over_threshold" in wards.columns else np.zeros(len(wards), dtype=bool)),
        "t_lad": [f"{l}" for l in wards["lad_name"].fillna("authority not known")],
        "t_value": [f"{value_label}: {fmt_count(v) if value == 'population' else fmt_rate(v)}" for v in values],
        "t_limit": [("1:200 limit: no population estimate" if pd.isna(p)
                     else f"1:200 limit: {int(p // 200):,} people in dispersed accommodation") for p in pop],
    })
    for name, lines in (extra or {}).items():
        out[name] = list(lines)
    return out


WARD_TOOLTIP = {
    "html": "<b style='font-size:15px'>{name}</b><br/>{t_lad}<br/>{t_value}<br/>{t_limit}<br/>{t_sites}",
    "style": TOOLTIP_STYLE,
}


def site_points(sites: pd.DataFrame) -> list[dict[str, Any]]:
    """Site records as points with colour, radius, letter and tooltip text."""
    out = []
    for row in pd.DataFrame(sites).itertuples(index=False):
        style = SITE_STYLE.get(getattr(row, "site_type", None), None)
        lon, lat = getattr(row, "longitude", None), getattr(row, "latitude", None)
        if style is None or lon is None or lat is None or pd.isna(lon) or pd.isna(lat):
            continue
        people = getattr(row, "people", None)
        out.append({
            "position": [round(float(lon), 5), round(float(lat), 5)],
            "fill": style["rgba"], "radius": style["radius"], "letter": style["letter"],
            "name": f"{style['label']}: {getattr(row, 'name', None) or getattr(row, 'reference', '')}",
            "t_lad": str(getattr(row, "ward_name", "") or ""),
            "t_value": f"People: {fmt_count(people) if people is not None and not pd.isna(people) else 'not recorded'}",
            "t_limit": f"Status: {getattr(row, 'status', '') or 'not recorded'}",
            "t_sites": f"Reference: {getattr(row, 'reference', '')}",
        })
    return out


def site_layers(points: list[dict[str, Any]]) -> list[pdk.Layer]:
    """Circles (colour by type) with the type's letter on top."""
    if not points:
        return []
    return [
        pdk.Layer("ScatterplotLayer", data=points, id="sites", get_position="position", get_fill_color="fill",
                  get_radius="radius", radius_units="pixels", stroked=True, get_line_color=[255, 255, 255, 255],
                  line_width_min_pixels=1.5, pickable=True),
        pdk.Layer("TextLayer", data=points, id="site-letters", get_position="position", get_text="letter",
                  get_size=10, size_units="pixels", get_color=[255, 255, 255, 255], font_weight=700,
                  get_text_anchor="'middle'", get_alignment_baseline="'center'", pickable=False),
    ]


def ward_layers(layer, props: pd.DataFrame, *, focus: str | None = None, neighbours: Iterable[str] = (),
                authority_outline=None, label_codes: Iterable[str] = (),
                sites: list[dict[str, Any]] | None = None) -> list[pdk.Layer]:
    """Ward fills, optional authority outline, neighbour and focus outlines, labels and sites."""
    features = feature_collection(layer, props, "ward_code")
    layers = [area_layer(features, "wards")]
    over = over_threshold_features(features)
    if over["features"]:
        layers.append(outline_layer(over, "wards-over-threshold"))
    if authority_outline is not None:
        layers.append(outline_layer(authority_outline, "authority", FOCUS_RGBA, 2))
    near = set(neighbours)
    if near:
        nfeat = {"type": "FeatureCollection",
                 "features": [f for f in features["features"] if f["properties"]["ward_code"] in near]}
        layers.append(outline_layer(nfeat, "neighbours", NEIGHBOUR_RGBA, 2.5))
    if focus is not None:
        ffeat = {"type": "FeatureCollection",
                 "features": [f for f in features["features"] if f["properties"]["ward_code"] == focus]}
        layers.append(outline_layer(ffeat, "focus", FOCUS_RGBA, 5))
    labels = list(label_codes)
    if labels:
        names = props.set_index("ward_code")["name"]
        layers.append(text_layer(label_points(layer, "ward_code", labels, names), "ward-labels", size=12))
    layers.extend(site_layers(sites or []))
    return layers


def outline_of(geometry) -> dict[str, Any]:
    """One geometry (e.g. an authority) as a FeatureCollection for an outline layer."""
    geom = _round_geoms([geometry])[0]
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geom, "properties": {}}]}
