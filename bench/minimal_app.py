"""The benchmark's baseline page: the least Streamlit that draws the same 361 councils with pydeck.

One GeoJSON layer of the ONS LAD boundaries the app uses, coloured per quarter, and a quarter
slider, nothing else. ``bench/pages.py`` starts it exactly as it starts the app (``streamlit run``,
headless) so the app's page timings can be read as a ratio of this one's, on the same machine in
the same run. Geometry is rounded to the app's 1e-4 degrees so both send comparable coordinates.
"""
from __future__ import annotations

import json
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
deck = CompactDeck(layers=[layer], map_provider=None, tooltip={"text": "{name}"},
                initial_view_state=pdk.ViewState(latitude=54.6, longitude=-3.4, zoom=4.6))
st.pydeck_chart(deck, height=700, key="map")
st.write(f"Quarter {quarter}: {len(features)} councils")
