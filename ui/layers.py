"""pydeck (deck.gl) layers for the app's maps: classed fills, the over-1:200 outline, labels, sites.

Only the columns a map needs travel to the browser, coordinates are rounded (``PRECISION``
degrees, about 10 m) and every tooltip line is pre-formatted text, so the browser never
computes or rounds a number itself. No basemap: the deck is drawn with no tile provider,
so the maps work offline and the boundaries and labels carry the picture.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from geo import rules, text
from geo.render import labels
from geo.render.classify import OVER_THRESHOLD_OUTLINE, Classes, hex_to_rgba
from ui import site_layers as SL

PRECISION = 1e-4  # degrees; ~11 m north-south, well under the boundaries' own generalisation
FILL_ALPHA = 225
OVER_LINE_PX = 5
BOUNDARY_RGBA = [255, 255, 255, 230]
FOCUS_RGBA = [11, 12, 12, 255]  # GOV.UK text colour, for the selected ward
NEIGHBOUR_RGBA = [29, 112, 184, 255]  # GOV.UK blue
LABEL_RGBA = [11, 12, 12, 255]
CONTEXT_RGBA = [232, 232, 230, 255]
LABEL_BACKGROUND = [255, 255, 255, 215]
LABEL_PADDING = (3.0, 1.0)  # a name's background beyond its text, x and y px
RING_PX = 16  # the red ring round an over-limit council, radius px
TOOLTIP_STYLE = {"backgroundColor": "#ffffff", "color": "#0b0c0c", "fontSize": "13px",
                 "border": "1px solid #b1b4b6", "padding": "6px 8px", "maxWidth": "250px", "lineHeight": "1.35"}


# --- formatting ---------------------------------------------------------------------------------

def _rate(value: Any, digits: int = 2) -> str:
    """geo.text.number for a rate; an infinite rate (no residents) has no estimate either."""
    finite = value is not None and not pd.isna(value) and math.isfinite(float(value))
    return text.number(value if finite else None, digits)


def measure_text(measure: str, value: Any) -> str:
    """How one measure's value reads in a tooltip or a table."""
    if measure in ("per_1000",):
        return _rate(value, 2)
    if measure == "limit_used":
        return text.NO_ESTIMATE if pd.isna(value) else f"{text.number(value, 2)} of the limit"
    return text.people(value)


# --- geometry to GeoJSON ------------------------------------------------------------------------

def _round_geoms(geoms: Sequence[Any], precision: float = PRECISION) -> list[dict[str, Any]]:
    arr = shapely.set_precision(np.asarray(geoms, dtype=object), precision)
    return [json.loads(item) for item in shapely.to_geojson(arr)]


def geometry_index(layer, key: str, precision: float = PRECISION) -> dict[str, dict[str, Any]]:
    """Code -> rounded GeoJSON geometry, computed once per layer and reused for every map drawn."""
    geoms = _round_geoms(layer.geometry.to_numpy(), precision)
    return dict(zip(layer[key].astype(str), geoms, strict=False))


def feature_collection(layer, properties: pd.DataFrame, key: str, precision: float = PRECISION,
                       geometries: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """GeoJSON for the rows of ``properties`` that have a geometry in ``layer`` (joined on ``key``),
    with only the columns of ``properties`` as feature properties. ``geometries`` (from
    ``geometry_index``) skips re-rounding coordinates."""
    if geometries is None:
        wanted = layer[layer[key].isin(set(properties[key]))]
        geometries = geometry_index(wanted, key, precision)
    feats = []
    for prop in properties.to_dict("records"):
        geom = geometries.get(str(prop[key]))
        if geom is None:
            continue
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


def anchors(layer, key: str, codes: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Code -> (longitude, latitude) of a point inside each area: where its name or ring goes."""
    wanted = list(dict.fromkeys(codes))
    rows = layer[layer[key].isin(set(wanted))]
    points = shapely.point_on_surface(rows.geometry.to_numpy())
    return {str(c): (round(p.x, 4), round(p.y, 4)) for c, p in zip(rows[key], points, strict=False)}


def placed_layer(placed: Sequence[labels.Placed], layer_id: str, size: int, *, weight: int = 600,
                 padding: tuple[float, float] = LABEL_PADDING,
                 background: Sequence[int] = LABEL_BACKGROUND) -> pdk.Layer:
    """A TextLayer of the names ``geo.render.labels.place_labels`` kept, each at its own offset."""
    data = [{"position": [p.label.lon, p.label.lat], "text": p.label.text,
             "offset": [round(p.offset[0], 1), round(p.offset[1], 1)]} for p in placed]
    pad = [padding[0], padding[1], padding[0], padding[1]]
    return pdk.Layer(
        "TextLayer", data=data, id=layer_id, get_position="position", get_text="text",
        get_pixel_offset="offset", get_size=size, size_units="'pixels'", get_color=LABEL_RGBA,
        get_text_anchor="'middle'", get_alignment_baseline="'center'", background=True,
        get_background_color=list(background), background_padding=pad,
        font_family="`Helvetica Neue, Arial, sans-serif`", font_weight=weight, pickable=False,
    )


def council_labels(web, names: pd.Series | dict[str, str], codes: Sequence[str], view: dict[str, float],
                   size: int, *, ringed: Iterable[str] = (), ring_px: float = RING_PX,
                   padding: tuple[float, float] = LABEL_PADDING, frame: tuple[float, float] | None = None,
                   weight: int = 600, background: Sequence[int] = LABEL_BACKGROUND,
                   layer_id: str = "labels") -> pdk.Layer | None:
    """Council names in priority order (``codes``), none over another name, a red ring or a small
    named council: a ringed council's name goes beside its ring, another on its area when it fits
    there and beside it when not (``geo.render.labels``)."""
    ring_set = set(ringed)
    where = anchors(web, "lad_code", [*codes, *ring_set])
    bounds = dict(zip(web["lad_code"].astype(str), web.geometry.bounds.to_numpy(), strict=False))
    lookup = dict(names)
    blocked = [labels.marker_box(*where[c], view, ring_px + 2) for c in ring_set if c in where]
    todo = []
    for c in codes:
        if c not in where:
            continue
        name = str(lookup.get(c, c))
        if c in ring_set:
            offsets = labels.beside(name, size, ring_px, padding)
        else:
            offsets = labels.on_or_beside(name, *where[c], bounds[c], view, size, padding)
            if offsets[0] != (0.0, 0.0):  # a small area named beside itself: no other name over it
                radius = labels.area_radius(*where[c], bounds[c], view)
                blocked.append(labels.marker_box(*where[c], view, min(radius, 8.0)))
        todo.append(labels.Label(c, name, *where[c], offsets=offsets))
    placed = labels.place_labels(todo, view, size, padding=padding, obstacles=blocked, frame=frame)
    if not placed:
        return None
    return placed_layer(placed, layer_id, size, weight=weight, padding=padding, background=background)


def ward_labels(layer, names: pd.Series | dict[str, str], codes: Sequence[str], view: dict[str, float],
                size: int = 12, frame: tuple[float, float] | None = None) -> pdk.Layer | None:
    """Ward names, the first (the selected ward) always, the others in order where they fit."""
    where = anchors(layer, "ward_code", codes)
    lookup = dict(names)
    todo = [labels.Label(c, str(lookup.get(c, c)), *where[c], offsets=labels.nudged(size))
            for c in codes if c in where]
    placed = labels.place_labels(todo, view, size, padding=LABEL_PADDING, frame=frame)
    return placed_layer(placed, "ward-labels", size) if placed else None


# --- authority choropleth -----------------------------------------------------------------------

def fill_colours(values: pd.Series, classes: Classes, alpha: int = FILL_ALPHA) -> list[list[int]]:
    """[r, g, b, a] per value from the classes; missing values get the no-estimate grey."""
    return [hex_to_rgba(c, alpha) for c in classes.colour_of(values)]


def lad_properties(table: pd.DataFrame, measure: str, classes: Classes) -> pd.DataFrame:
    """Per authority: fill colour, over-threshold flag and the tooltip's short lines, as text."""
    label = {"per_1000": "Per 1,000 residents", "hotel": "In hotels", "dispersed": "In dispersed",
             "contingency": "In contingency (hotels and other)", "limit_used": "Against 1:200",
             "supported": "Supported"}.get(measure, measure)
    over = table["over_threshold"].astype("boolean").fillna(False).astype(bool)
    # The status is judged on dispersed people of every support type (geo.measures.lad_table).
    dispersed = table["dispersed_all"] if "dispersed_all" in table.columns else table["dispersed"]
    capacity = rules.capacity(table["population"])
    over_by = rules.over_by(dispersed, table["population"])
    limit = [("1:200: no population figure" if pd.isna(p) else
              "1:200: dispersed not published for this quarter" if pd.isna(v) else
              f"1:200: {text.number(v, 2)} of the limit of {text.people(c)}, "
              + (f"over by {text.people(b)}" if o else "within"))
             for v, p, o, c, b in zip(table["limit_used"], table["population"], over, capacity, over_by, strict=False)]
    return pd.DataFrame({
        "lad_code": table["lad_code"].to_numpy(),
        "name": table["lad_name"].to_numpy(),
        "fill": fill_colours(table[measure], classes),
        "over": over.to_numpy(),
        "t_measure": [f"{label}: {measure_text(measure, v)}" for v in table[measure]],
        "t_supported": [f"Supported: {text.people(s)}" for s in table["supported"]],
        "t_hotel": [f"In hotels: {text.people(v)}" for v in table["hotel"]],
        "t_dispersed": [f"In dispersed: {text.people(v)}" for v in table["dispersed"]],
        "t_limit": limit,
        "t_change": [f"Quarter change: {text.signed(v)}" for v in table["supported_change_q"]],
    })


LAD_TOOLTIP = {
    "html": ("<b style='font-size:14px'>{name}</b><br/>{t_measure}<br/>{t_supported} · {t_change}<br/>{t_hotel}"
             "<br/>{t_dispersed}<br/>{t_limit}"),
    "style": TOOLTIP_STYLE,
}


def area_layer(features: dict[str, Any], layer_id: str, *, pickable: bool = True,
               line_rgba: Sequence[int] = BOUNDARY_RGBA, line_px: float = 0.6) -> pdk.Layer:
    """Filled polygons coloured by each feature's ``fill`` property, thin white boundaries."""
    return pdk.Layer(
        "GeoJsonLayer", data=features, id=layer_id, pickable=pickable, auto_highlight=pickable,
        highlight_color=[255, 221, 0, 160], filled=True, stroked=True,
        get_fill_color="properties.fill", get_line_color=list(line_rgba),
        line_width_units="'pixels'", get_line_width=line_px, line_width_min_pixels=line_px,
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
        get_line_color=list(rgba or hex_to_rgba(OVER_THRESHOLD_OUTLINE, 255)), line_width_units="'pixels'",
        get_line_width=width_px, line_width_min_pixels=width_px, line_joint_rounded=True,
    )


def over_threshold_rings(layer, codes: Sequence[str], key: str = "lad_code") -> pdk.Layer | None:
    """A red ring round each over-limit area, so even a small council is seen at national scale."""
    if not codes:
        return None
    rows = layer[layer[key].isin(set(codes))]
    points = shapely.point_on_surface(rows.geometry.to_numpy())
    data = [{"position": [round(p.x, 4), round(p.y, 4)], "code": c} for c, p in zip(rows[key], points, strict=False)]
    return pdk.Layer("ScatterplotLayer", data=data, id="over-threshold-rings", get_position="position",
                     filled=False, stroked=True, get_line_color=hex_to_rgba(OVER_THRESHOLD_OUTLINE, 255),
                     line_width_units="'pixels'", get_line_width=3, line_width_min_pixels=3,
                     get_radius=RING_PX, radius_units="'pixels'", pickable=False)


def fit_view(bounds: Sequence[float], width_px: int = 900, height_px: int = 560,
             padding: float = 0.06, max_zoom: float = 13.0) -> dict[str, float]:
    """latitude, longitude, zoom that fit (minx, miny, maxx, maxy) degrees in a Web Mercator map."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)

    def merc_y(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = max(maxx - minx, 1e-6) / 360.0
    span_y = max(merc_y(maxy) - merc_y(miny), 1e-6) / (2 * math.pi)
    scale = 1 + 2 * padding
    zoom_x = math.log2(width_px / 512 / (span_x * scale))
    zoom_y = math.log2(height_px / 512 / (span_y * scale))
    zoom = max(min(zoom_x, zoom_y, max_zoom), 0.0)
    centre_y = (merc_y(maxy) + merc_y(miny)) / 2
    latitude = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return {"latitude": round(latitude, 5), "longitude": round((minx + maxx) / 2, 5), "zoom": round(zoom, 2)}


def fit_args(bounds: Sequence[float], padding: float = 0.06, max_zoom: float = 13.0) -> dict[str, Any]:
    """``fit_view``'s inputs for the browser's map, which frames the map again for the size it is
    really drawn at (``ui.deck_component.deck_map``'s ``fit``)."""
    return {"bounds": [round(float(b), 5) for b in bounds], "padding": padding, "maxZoom": max_zoom}


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by two spaces, which makes a map of
    every council six times larger on the wire than its data."""

    def to_json(self) -> str:
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def make_deck(layers: list[pdk.Layer], view: dict[str, float], tooltip: dict[str, Any] | None) -> pdk.Deck:
    """A deck with no basemap (no tile provider: works offline), framed on ``view``."""
    from ui.safe import sanitise_layers  # no string from a file reaches deck.gl as code (issue 13)

    return CompactDeck(
        layers=sanitise_layers(layers),
        initial_view_state=pdk.ViewState(latitude=view["latitude"], longitude=view["longitude"],
                                         zoom=view["zoom"], pitch=0, bearing=0),
        map_provider=None,  # with the default style sentinel Streamlit draws no basemap tiles
        tooltip=tooltip or False,
        views=[pdk.View(type="MapView", controller=True)],
    )


def national_layers(web, table: pd.DataFrame, measure: str, classes: Classes,
                    label_codes: Iterable[str] = (), geometries: dict[str, dict[str, Any]] | None = None,
                    view: dict[str, float] | None = None, frame: tuple[float, float] | None = None
                    ) -> tuple[list[pdk.Layer], dict[str, Any]]:
    """Authority fill layer, over-threshold outline layer and labels; returns (layers, features).
    Names (``label_codes``, most important first) are placed for ``view`` without overlapping."""
    props = lad_properties(table, measure, classes)
    features = feature_collection(web, props, "lad_code", geometries=geometries)
    over = over_threshold_features(features)
    layers = [area_layer(features, "authorities"), outline_layer(over, "over-threshold")]
    ringed = [f["properties"]["lad_code"] for f in over["features"]]
    rings = over_threshold_rings(web, ringed)
    if rings is not None:
        layers.append(rings)
    codes = list(label_codes)
    if codes:
        if view is None:
            raise ValueError("labels need the map's view to be placed without overlapping")
        names = table.set_index("lad_code")["lad_name"]
        named = council_labels(web, names, codes, view, 14, ringed=ringed, frame=frame)
        if named is not None:
            layers.append(named)
    return layers, features


# --- wards and sites ----------------------------------------------------------------------------

def ward_properties(wards: pd.DataFrame, classes: Classes, value: str = "population",
                    value_label: str = "Residents", extra: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Per ward: fill by ``value`` (no estimate grey), over flag and tooltip lines l1..l4."""
    values = pd.to_numeric(wards[value], errors="coerce")
    pop = pd.to_numeric(wards["population"], errors="coerce")
    out = pd.DataFrame({
        "ward_code": wards["ward_code"].to_numpy(),
        "name": wards["ward_name"].to_numpy(),
        "fill": fill_colours(values, classes),
        "over": (wards["over_threshold"].astype("boolean").fillna(False).astype(bool).to_numpy()
                 if "over_threshold" in wards.columns else np.zeros(len(wards), dtype=bool)),
        "l1": [f"{name}" for name in wards["lad_name"].fillna("council not known")],
        "l2": [f"Residents: {text.people(p)}" for p in pop],
        "l3": [("1:200 limit: no population estimate" if pd.isna(p)
                else f"1:200 limit: {text.people(rules.capacity(p))} people in dispersed accommodation") for p in pop],
        "l4": ["" if value == "population" else f"{value_label}: {_rate(v, 4)}" for v in values],
    })
    for name, lines in (extra or {}).items():
        out[name] = list(lines)
    return out


WARD_TOOLTIP = {
    "html": "<b style='font-size:15px'>{name}</b><br/>{l1}<br/>{l2}<br/>{l3}<br/>{l4}",
    "style": TOOLTIP_STYLE,
}


def site_points(sites: pd.DataFrame) -> list[dict[str, Any]]:
    """Site records as points (``ui.site_layers``: type colour, size by people) carrying the
    ward map's tooltip lines, so one tooltip template fits wards and sites."""
    points = SL.site_points(pd.DataFrame(sites))
    for p in points:
        name = p.get("name", "")
        if p.get("t_illustrative"):
            name = f"{name} ({p['t_illustrative']})"
        p.update({"name": name, "l1": p.get("t_type", ""), "l2": p.get("t_people", ""),
                  "l3": p.get("t_ward", ""), "l4": p.get("t_status", "")})
    return points


def site_layers(points: list[dict[str, Any]]) -> list[pdk.Layer]:
    """Sites as circles coloured by type (the Sites page's own layer)."""
    if not points:
        return []
    layer = SL.site_layer(points, layer_id="sites")
    return [layer] if layer is not None else []


def sites_legend(sites: pd.DataFrame, over_wards: int | None = None) -> str:
    """The Sites page's key (type colour, letter and count per type)."""
    counts = pd.DataFrame(sites)["site_type"].value_counts().to_dict() if len(sites) else {}
    return SL.legend_html(SL.legend_entries(counts, heat=False, over_wards=over_wards,
                                            types=[t for t in SL.SITE_TYPES if counts.get(t)]))


def context_layer(layer, key: str, exclude: Iterable[str] = ()) -> pdk.Layer | None:
    """Surrounding areas in pale grey (not pickable), so a small selection has its setting."""
    skip = set(exclude)
    rest = layer[~layer[key].isin(skip)]
    if rest.empty:
        return None
    geoms = _round_geoms(rest.geometry.to_numpy())
    features = {"type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": g, "properties": {}} for g in geoms]}
    return pdk.Layer("GeoJsonLayer", data=features, id="context", pickable=False, filled=True, stroked=True,
                     get_fill_color=CONTEXT_RGBA, get_line_color=[255, 255, 255, 255],
                     line_width_units="'pixels'", get_line_width=1, line_width_min_pixels=1)


def ward_layers(layer, props: pd.DataFrame, *, focus: str | None = None, neighbours: Iterable[str] = (),
                authority_outline=None, label_codes: Iterable[str] = (),
                sites: list[dict[str, Any]] | None = None, context=None, view: dict[str, float] | None = None,
                frame: tuple[float, float] | None = None) -> list[pdk.Layer]:
    """Ward fills (over optional pale ``context`` areas), authority and neighbour outlines, sites,
    then the focus outline and labels on top, so dense site dots never hide which ward is which.
    Names (``label_codes``, the selected ward first) are placed for ``view`` without overlapping."""
    features = feature_collection(layer, props, "ward_code")
    layers = []
    if context is not None:
        ctx = context_layer(context, "ward_code", exclude=props["ward_code"])
        if ctx is not None:
            layers.append(ctx)
    layers.append(area_layer(features, "wards"))
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
    layers.extend(site_layers(sites or []))
    if focus is not None:
        ffeat = {"type": "FeatureCollection",
                 "features": [f for f in features["features"] if f["properties"]["ward_code"] == focus]}
        layers.append(outline_layer(ffeat, "focus", FOCUS_RGBA, 5))
    codes = list(label_codes)
    if codes:
        if view is None:
            raise ValueError("labels need the map's view to be placed without overlapping")
        named = ward_labels(layer, props.set_index("ward_code")["name"], codes, view, frame=frame)
        if named is not None:
            layers.append(named)
    return layers


def outline_of(geometry) -> dict[str, Any]:
    """One geometry (e.g. an authority) as a FeatureCollection for an outline layer."""
    geom = _round_geoms([geometry])[0]
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geom, "properties": {}}]}
