"""The benchmark's baseline page: the least Streamlit that draws the same 361 councils with pydeck.

One GeoJSON layer of the ONS LAD boundaries the app uses, coloured per quarter, and a quarter
slider, nothing else. ``bench/pages.py`` starts it exactly as it starts the app (``streamlit run``,
headless) so the app's page timings can be read as a ratio of this one's, on the same machine in
the same run. Geometry is rounded to the app's 1e-4 degrees so both send comparable coordinates.

Size-matched: ``AAM_BENCH_MAP="width,height,latitude,longitude,zoom"`` (set by ``bench/pages.py``
from the app's own map, measured in the same run) draws the map at the app's pixel size and
framing, so both pages draw the same number of features over the same area of screen. Without it
the map is 700 px tall across the page (three times the app's map, which flattered the app).
"""
from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import pydeck as pdk
import streamlit as st

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LAD = SHARED / "ons" / "Local_Authority_Districts_May_2023_UK_BUC.geojson"
QUARTERS = [f"{y}-{md}" for y in range(2014, 2025) for md in ("03-31", "06-30", "09-30", "12-31")][:43]
RAMP = [[253, 231, 37], [53, 183, 121], [33, 145, 140], [49, 104, 142], [68, 1, 84]]


@st.cache_resource
def councils() -> list[dict]:
    """Features with coordinates rounded like the app's (1e-4 degrees)."""
    import geopandas as gpd
    import shapely

    frame = gpd.read_file(LAD)
    frame["geometry"] = shapely.set_precision(frame.geometry.to_numpy(), 1e-4)
    return [{"type": "Feature", "geometry": json.loads(g), "properties": {"code": c, "name": n}}
            for g, c, n in zip(shapely.to_geojson(frame.geometry.to_numpy()), frame["LAD23CD"], frame["LAD23NM"],
                               strict=True)]


class CompactDeck(pdk.Deck):
    """pydeck indents its JSON (five times the bytes); a fair baseline sends it compact, as the app does."""

    def to_json(self) -> str:
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


st.set_page_config(page_title="Minimal map", layout="wide")
quarter = st.select_slider("Quarter", QUARTERS, value=QUARTERS[-1], key="quarter")
features = [{**f, "properties": {**f["properties"],
                                 "fill": RAMP[zlib.crc32((f["properties"]["code"] + quarter).encode()) % 5]}}
            for f in councils()]
layer = pdk.Layer("GeoJsonLayer", data={"type": "FeatureCollection", "features": features}, id="councils",
                  pickable=True, filled=True, stroked=True, get_fill_color="properties.fill",
                  get_line_color=[255, 255, 255], line_width_min_pixels=0.6)
size = [float(v) for v in os.environ.get("AAM_BENCH_MAP", "").split(",") if v.strip()]
width, height, lat, lon, zoom = size if len(size) == 5 else (0, 700, 54.6, -3.4, 4.6)
deck = CompactDeck(layers=[layer], map_provider=None, tooltip={"text": "{name}"},
                   initial_view_state=pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom))
st.pydeck_chart(deck, height=int(height), width=int(width) if width else "stretch", key="map")
st.write(f"Quarter {quarter}: {len(features)} councils")
