"""pydeck layers for councils' own site records: where people are housed, and where properties were
acquired while the ward was already over the 1:200 limit.

Three layers, drawn in this order:

* a heat map (deck.gl ``HeatmapLayer``, or a flat ``HexagonLayer``) weighted by people accommodated;
* the sites as circles sized by people (radius in metres, clamped in pixels so a one-person
  house stays visible and a 400-person hotel does not cover a town), coloured by site type in
  the Okabe-Ito palette (distinct for the common colour-vision deficiencies);
* acquisitions in over-threshold areas as thick red rings around the site: a different *shape*
  as well as a different colour, so the flag never depends on colour alone.

Every tooltip line is pre-formatted text (numbers rounded here, never in the browser) and every
pickable layer carries the same tooltip fields, so one deck tooltip template fits all layers.
Pure functions returning pydeck objects and dicts: no Streamlit here.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from geo.render.classify import OVER_THRESHOLD_OUTLINE, hex_to_rgba
from geo.text import number

# Okabe & Ito (2008) colour-blind-safe categorical palette; the letter repeats the type in the key
# and tooltips so colour is never the only cue.
SITE_TYPES: dict[str, dict[str, str]] = {
    "hotel": {"hex": "#E69F00", "label": "Hotel", "letter": "H"},
    "dispersed": {"hex": "#0072B2", "label": "Dispersed property", "letter": "D"},
    "initial": {"hex": "#009E73", "label": "Initial accommodation", "letter": "I"},
    "other_contingency": {"hex": "#CC79A7", "label": "Other contingency", "letter": "C"},
}
UNKNOWN_TYPE = {"hex": "#7f7f7f", "label": "Type not recorded", "letter": "?"}
SITE_ALPHA = 225
OVER_RING_HEX = OVER_THRESHOLD_OUTLINE  # the red of the over-1:200 outlines on the other maps
OVER_RING_PX = 2.5
OVER_RING_RADIUS_PX = 9
# Acquired while only the authority (not the ward, or a ward with no estimate) was over: a thinner,
# smaller dark-grey ring, so the ward-level answer stays the one that stands out.
AUTHORITY_RING_HEX = "#505a5f"
AUTHORITY_RING_PX = 1.5
AUTHORITY_RING_RADIUS_PX = 7
POSITION_SOURCES = {"postcode_centroid": "postcode centre", "given": "given coordinates"}

# Circle size: area grows with people (radius with the square root), in metres on the ground.
RADIUS_BASE_M = 25.0
RADIUS_PER_ROOT_PERSON_M = 35.0
RADIUS_MIN_PX = 3
RADIUS_MAX_PX = 36

# Heat ramp: light to dark purple-grey with rising opacity, so the categorical site colours on
# top stay readable and the ramp survives greyscale printing.
HEAT_COLOURS: list[list[int]] = [
    [218, 218, 235, 110], [188, 189, 220, 150], [158, 154, 200, 180],
    [128, 125, 186, 205], [106, 81, 163, 225], [74, 20, 134, 240],
]
HEAT_RADIUS_PX = 55
# A few hotels hold hundreds of people each; above 1 the densest places saturate at the darkest
# colour so clusters of small dispersed properties still show (the legend says "more people, darker").
HEAT_INTENSITY = 2.5
HEX_RADIUS_M = 400

TOOLTIP_FIELDS = ("name", "t_type", "t_ref", "t_ward", "t_lad", "t_people", "t_beds", "t_status",
                  "t_acquired", "t_position", "t_flag", "t_illustrative")
TOOLTIP_STYLE = {"backgroundColor": "#ffffff", "color": "#0b0c0c", "fontSize": "14px",
                 "border": "1px solid #b1b4b6", "padding": "8px", "maxWidth": "340px"}
SITE_TOOLTIP = {
    "html": ("<div style='color:#d4351c;font-weight:700'>{t_illustrative}</div>"
             "<b style='font-size:15px'>{name}</b><br/>{t_type}<br/>{t_ref}<br/>{t_ward}<br/>{t_lad}"
             "<br/>{t_people}<br/>{t_beds}<br/>{t_status}<br/>{t_acquired}<br/>{t_position}"
             "<div style='color:#d4351c;font-weight:700'>{t_flag}</div>"),
    "style": TOOLTIP_STYLE,
}


# --- small formatters ------------------------------------------------------------------------------

def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _count(value: Any, empty: str = "not recorded") -> str:
    return empty if _missing(value) else f"{int(round(float(value))):,}"


def _day(value: Any, empty: str = "not recorded") -> str:
    if _missing(value) or value == "":
        return empty
    return pd.Timestamp(value).strftime("%d %b %Y")


def _text(value: Any, empty: str = "") -> str:
    return empty if _missing(value) or str(value).strip() == "" else str(value)


def type_style(site_type: Any) -> dict[str, str]:
    """Colour, label and letter of a site type (grey '?' for anything unknown)."""
    return SITE_TYPES.get(str(site_type), UNKNOWN_TYPE) if not _missing(site_type) else UNKNOWN_TYPE


def type_rgba(site_type: Any, alpha: int = SITE_ALPHA) -> list[int]:
    return hex_to_rgba(type_style(site_type)["hex"], alpha)


def radius_m(people: Any) -> float:
    """Circle radius in metres for a site housing ``people`` (unknown or 0: the base size)."""
    n = 0.0 if _missing(people) else max(float(people), 0.0)
    return round(RADIUS_BASE_M + RADIUS_PER_ROOT_PERSON_M * math.sqrt(n), 1)


def position_label(source: Any) -> str:
    """'postcode centre' when the position came from a postcode, else 'given coordinates'."""
    return POSITION_SOURCES.get(_text(source), _text(source, "not recorded"))


def per_200(limit_used: Any) -> str:
    """Limit used (geo.rules.limit_used) as people per 200 residents (1.00 = the limit), or 'no estimate'."""
    if _missing(limit_used) or not math.isfinite(float(limit_used)):
        return "no estimate"
    return f"{number(limit_used, 2)} per 200 residents"


# --- points ----------------------------------------------------------------------------------------

def _positions(frame: pd.DataFrame) -> pd.DataFrame:
    lon = pd.to_numeric(frame.get("longitude"), errors="coerce")
    lat = pd.to_numeric(frame.get("latitude"), errors="coerce")
    keep = lon.notna() & lat.notna()
    return frame.loc[keep].assign(_lon=lon[keep].round(5), _lat=lat[keep].round(5))


def _flag(value: Any) -> bool:
    """True only for a real True (NA, None and NaN are 'not known', never 'over')."""
    return not _missing(value) and bool(value)


def _is_illustrative(row: Mapping[str, Any]) -> bool:
    return "illustrative" in _text(row.get("notes")).lower()


def _tooltip(row: Mapping[str, Any], flag: str = "") -> dict[str, str]:
    style = type_style(row.get("site_type"))
    ward = _text(row.get("ward_name"), "outside the ward boundaries")
    if not _missing(row.get("in_boundary")) and not bool(row.get("in_boundary")):
        ward = "outside the ward boundaries"
    return {
        "name": escape(_text(row.get("name")) or _text(row.get("reference"), "site")),
        "t_type": f"Type: {style['label']}",
        "t_ref": f"Reference: {escape(_text(row.get('reference'), 'none'))}",
        "t_ward": f"Ward: {escape(ward)}",
        "t_lad": f"Authority: {escape(_text(row.get('lad_name'), 'not known'))}",
        "t_people": f"People accommodated: {_count(row.get('people'))}",
        "t_beds": f"Bed spaces: {_count(row.get('bed_spaces'))}",
        "t_status": f"Status: {_text(row.get('status'), 'not recorded')}",
        "t_acquired": f"Acquired: {_day(row.get('acquired'))}",
        "t_position": f"Position: {position_label(row.get('position_source'))}",
        "t_flag": escape(flag),
        "t_illustrative": "ILLUSTRATIVE — not a real site" if _is_illustrative(row) else "",
    }


def site_points(sites: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per placed site: position, type colour, radius (m), heat weight and tooltip lines.

    Sites without a position are left out (they cannot be drawn); a missing people count
    weighs nothing in the heat map and draws at the base size.
    """
    frame = _positions(pd.DataFrame(sites))
    out = []
    for row in frame.to_dict("records"):
        people = row.get("people")
        out.append({
            "position": [float(row["_lon"]), float(row["_lat"])],
            "site_type": _text(row.get("site_type"), "unknown"),
            "fill": type_rgba(row.get("site_type")),
            "radius_m": radius_m(people),
            "weight": 0.0 if _missing(people) else float(people),
            **_tooltip(row),
        })
    return out


def over_threshold_points(acquisitions: pd.DataFrame) -> list[dict[str, Any]]:
    """Acquisitions in over-threshold areas as ring positions with the reason in the tooltip.

    ``acquisitions`` rows need longitude, latitude and the columns of
    ``geo.sites.measures.acquisitions_over_threshold`` (acquired, ward_limit_used, ward_over,
    lad_limit_used, lad_over, ward/lad dispersed_before); site columns (site_type, people...) are
    used for the rest of the tooltip when present.
    """
    frame = _positions(pd.DataFrame(acquisitions))
    out = []
    for row in frame.to_dict("records"):
        when = _day(row.get("acquired"), "an unknown date")
        parts = []
        if _flag(row.get("ward_over")):
            parts.append(f"ward already at {per_200(row.get('ward_limit_used'))} "
                         f"({_count(row.get('ward_dispersed_before'), '0')} people in dispersed accommodation)")
        if _flag(row.get("lad_over")):
            parts.append(f"authority already at {per_200(row.get('lad_limit_used'))}")
        flag = f"Acquired {when} while over 1:200: " + "; ".join(parts) if parts else \
            f"Acquired {when}"
        row = dict(row)
        row.setdefault("site_type", "dispersed")
        level = "ward" if _flag(row.get("ward_over")) else "authority" if _flag(row.get("lad_over")) else "none"
        out.append({"position": [float(row["_lon"]), float(row["_lat"])], "level": level, **_tooltip(row, flag)})
    return out


# --- layers ----------------------------------------------------------------------------------------

def heat_layer(points: Sequence[Mapping[str, Any]], *, kind: str = "heatmap",
               layer_id: str | None = None) -> pdk.Layer | None:
    """People accommodated as a heat map (``kind='heatmap'``) or flat hexagon bins (``'hexagon'``).

    None when no site has people to weigh (an empty heat map would only confuse).
    """
    data = [{"position": p["position"], "weight": p["weight"]} for p in points if p.get("weight", 0) > 0]
    if not data:
        return None
    layer_id = layer_id or f"people-{kind}"  # a new id per kind, so switching rebuilds the layer
    if kind == "heatmap":
        return pdk.Layer("HeatmapLayer", data=data, id=layer_id, get_position="position",
                         get_weight="weight", aggregation="'SUM'", radius_pixels=HEAT_RADIUS_PX,
                         intensity=HEAT_INTENSITY, threshold=0.03, color_range=HEAT_COLOURS, pickable=False)
    if kind == "hexagon":
        return pdk.Layer("HexagonLayer", data=data, id=layer_id, get_position="position",
                         get_color_weight="weight", color_aggregation="'SUM'", get_elevation_weight="weight",
                         elevation_aggregation="'SUM'", radius=HEX_RADIUS_M, extruded=False, coverage=0.95,
                         color_scale_type="'quantile'",  # six equal-count classes: hotels do not wash it out
                         color_range=[c[:3] for c in HEAT_COLOURS], opacity=0.75, pickable=False)
    raise ValueError(f"heat layer kind must be 'heatmap' or 'hexagon', not {kind!r}")


def site_layer(points: Sequence[Mapping[str, Any]], *, layer_id: str = "sites") -> pdk.Layer | None:
    """Sites as circles: colour by type, radius by people (metres, clamped in pixels), white rim."""
    if not points:
        return None
    # Largest first, so small dispersed properties are drawn on top of a big hotel's circle.
    data = sorted(points, key=lambda p: -p["radius_m"])
    return pdk.Layer("ScatterplotLayer", data=data, id=layer_id, get_position="position",
                     get_fill_color="fill", get_radius="radius_m", radius_units="'meters'",
                     radius_min_pixels=RADIUS_MIN_PX, radius_max_pixels=RADIUS_MAX_PX, stroked=True,
                     get_line_color=[255, 255, 255, 230], line_width_units="'pixels'", get_line_width=1,
                     line_width_min_pixels=1, pickable=True, auto_highlight=True,
                     highlight_color=[255, 221, 0, 200])


def over_threshold_layer(points: Sequence[Mapping[str, Any]], *, level: str = "ward",
                         layer_id: str | None = None) -> pdk.Layer | None:
    """Rings (no fill, fixed pixel size) around acquisitions made in over-threshold areas.

    ``level='ward'``: thick red rings for acquisitions made while the *ward* was already over
    1:200 (points with no ``level`` count as ward). ``level='authority'``: thin dark-grey rings
    for those made while only the authority was over. None when there are no such points.
    """
    if level not in ("ward", "authority"):
        raise ValueError(f"ring level must be 'ward' or 'authority', not {level!r}")
    data = [p for p in points if p.get("level", "ward") == level]
    if not data:
        return None
    colour, width, radius = ((OVER_RING_HEX, OVER_RING_PX, OVER_RING_RADIUS_PX) if level == "ward" else
                             (AUTHORITY_RING_HEX, AUTHORITY_RING_PX, AUTHORITY_RING_RADIUS_PX))
    return pdk.Layer("ScatterplotLayer", data=data, id=layer_id or f"acquired-over-threshold-{level}",
                     get_position="position", filled=False, stroked=True, get_line_color=hex_to_rgba(colour, 255),
                     line_width_units="'pixels'", get_line_width=width, line_width_min_pixels=width,
                     radius_units="'pixels'", get_radius=radius, pickable=True, auto_highlight=True,
                     highlight_color=[255, 221, 0, 200])


def area_layer(features: Mapping[str, Any], *, layer_id: str = "site-wards", over: bool = False) -> pdk.Layer:
    """Ward boundaries as context (no basemap): thin grey lines on a faint fill, or with
    ``over=True`` a red outline for wards over 1:200 on the site records. Not pickable."""
    if over:
        return pdk.Layer("GeoJsonLayer", data=features, id=layer_id, pickable=False, filled=False, stroked=True,
                         get_line_color=hex_to_rgba(OVER_RING_HEX, 255), line_width_units="'pixels'",
                         get_line_width=2.5, line_width_min_pixels=2.5, line_joint_rounded=True)
    return pdk.Layer("GeoJsonLayer", data=features, id=layer_id, pickable=False, filled=True, stroked=True,
                     get_fill_color=[243, 242, 241, 255], get_line_color=[150, 150, 150, 255],
                     line_width_units="'pixels'", get_line_width=0.8, line_width_min_pixels=0.8)


def site_map_layers(sites: pd.DataFrame, over_threshold: pd.DataFrame | None = None, *,
                    heat: str | None = "heatmap", show_sites: bool = True) -> list[pdk.Layer]:
    """Heat map, sites and over-threshold rings for one map (missing layers left out)."""
    points = site_points(sites)
    rings = over_threshold_points(over_threshold) if over_threshold is not None else []
    layers = [heat_layer(points, kind=heat) if heat else None,
              site_layer(points) if show_sites else None,
              over_threshold_layer(rings, level="authority"),
              over_threshold_layer(rings, level="ward")]
    return [layer for layer in layers if layer is not None]


def site_bounds(sites: pd.DataFrame) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of the placed sites, or None when none has a position."""
    frame = _positions(pd.DataFrame(sites))
    if frame.empty:
        return None
    lon, lat = frame["_lon"].to_numpy(dtype=float), frame["_lat"].to_numpy(dtype=float)
    minx, maxx, miny, maxy = float(np.min(lon)), float(np.max(lon)), float(np.min(lat)), float(np.max(lat))
    pad = 0.01  # degrees; a single site still gets a street-level frame
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


# --- legend ----------------------------------------------------------------------------------------

def legend_entries(counts: Mapping[str, int] | None = None, *, heat: bool = True,
                   over: int | None = None, over_wards: int | None = None,
                   over_authority: int | None = None,
                   types: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """What the map key shows, as data: one dict per entry with kind ('heat', 'site', 'over',
    'over_authority', 'ward_over'), key, label, shape ('ramp', 'dot', 'ring', 'outline'), colour
    (hex or a list of RGBA for the ramp), width (ring and outline lines, pixels) and count (None
    when not given). ``over``: acquisitions while the ward was over; ``over_authority``: while
    only the authority was; ``over_wards``: wards over 1:200. ``types`` limits the site types."""
    entries: list[dict[str, Any]] = []
    if heat:
        entries.append({"kind": "heat", "key": "heat", "label": "People accommodated (heat: more people, darker)",
                        "shape": "ramp", "colour": [list(c) for c in HEAT_COLOURS], "count": None})
    wanted = list(types) if types is not None else list(SITE_TYPES)
    for kind in wanted:
        style = type_style(kind)
        entries.append({"kind": "site", "key": kind, "label": f"{style['label']} ({style['letter']})",
                        "shape": "dot", "colour": style["hex"],
                        "count": None if counts is None else int(counts.get(kind, 0))})
    if over is not None:
        entries.append({"kind": "over", "key": "over_threshold",
                        "label": "Red ring: acquired while the ward was already over 1:200",
                        "shape": "ring", "colour": OVER_RING_HEX, "width": OVER_RING_PX, "count": int(over)})
    if over_authority is not None:
        entries.append({"kind": "over_authority", "key": "over_threshold_authority",
                        "label": "Thin grey ring: acquired while only the authority was over 1:200",
                        "shape": "ring", "colour": AUTHORITY_RING_HEX, "width": AUTHORITY_RING_PX,
                        "count": int(over_authority)})
    if over_wards is not None:
        entries.append({"kind": "ward_over", "key": "ward_over",
                        "label": "Red outline: ward over 1:200 on these records",
                        "shape": "outline", "colour": OVER_RING_HEX, "width": 2.5, "count": int(over_wards)})
    return entries


def _swatch(entry: Mapping[str, Any]) -> str:
    shape, colour = entry["shape"], entry["colour"]
    if shape == "ramp":
        stops = ", ".join(f"rgba({r},{g},{b},{a / 255:.2f})" for r, g, b, a in colour)
        return (f"<span style='display:inline-block;width:44px;height:12px;margin-right:8px;vertical-align:middle;"
                f"border:1px solid #b1b4b6;background:linear-gradient(to right, {stops})'></span>")
    if shape == "ring":
        return (f"<span style='display:inline-block;width:14px;height:14px;border-radius:50%;margin-right:8px;"
                f"vertical-align:middle;border:{entry.get('width', OVER_RING_PX)}px solid {colour};"
                "background:transparent'></span>")
    if shape == "outline":
        return (f"<span style='display:inline-block;width:18px;height:12px;margin-right:8px;vertical-align:middle;"
                f"border:2.5px solid {colour};background:#f3f2f1'></span>")
    return (f"<span style='display:inline-block;width:14px;height:14px;border-radius:50%;margin-right:8px;"
            f"vertical-align:middle;background:{colour};border:1px solid #ffffff;box-shadow:0 0 0 1px #b1b4b6'></span>")


def legend_html(entries: Sequence[Mapping[str, Any]], title: str = "Site records", note: str | None = None) -> str:
    """The key as HTML (swatch, words and count per entry) for ``st.markdown(..., unsafe_allow_html=True)``."""
    rows = []
    for e in entries:
        count = "" if e.get("count") is None else f" ({int(e['count']):,})"
        rows.append(f"<li style='list-style:none;margin:4px 0;font-size:0.9rem;line-height:1.3'>"
                    f"{_swatch(e)}{escape(str(e['label']))}{count}</li>")
    foot = f"<div style='font-size:0.8rem;color:#505a5f'>{escape(note)}</div>" if note else ""
    return ("<div class='aam-legend' role='group' aria-label='Site map key'>"
            f"<div style='font-weight:700'>{escape(title)}</div>"
            f"<ul style='padding:0;margin:6px 0'>{''.join(rows)}</ul>{foot}</div>")
