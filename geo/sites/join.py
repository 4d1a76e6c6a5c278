"""Place each site in its ward and local authority with one vectorised point-in-polygon join.

The ward layer follows the contract of ``geo.boundaries``: columns ``ward_code, ward_name,
lad_code, lad_name, geometry`` in EPSG:4326. A site outside every ward (offshore, a typo
that lands in the sea, a ward layer covering one council only) keeps its position and is
flagged ``in_boundary = False`` rather than dropped, so nothing vanishes silently. A point on
an edge shared by two wards belongs to exactly one: the lowest ward code, so reruns agree.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import DataError

WARD_COLUMNS = ("ward_code", "ward_name", "lad_code", "lad_name")
JOIN_COLUMNS = (*WARD_COLUMNS, "in_boundary")
WGS84 = "EPSG:4326"


def check_ward_layer(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ward layer in EPSG:4326 with the contract columns, or a DataError saying what is missing."""
    if not isinstance(wards, gpd.GeoDataFrame):
        raise DataError("the ward layer must be a GeoDataFrame")
    missing = [c for c in WARD_COLUMNS if c not in wards.columns]
    if missing:
        raise DataError(f"the ward layer lacks columns {missing} (needs {', '.join(WARD_COLUMNS)}, geometry)")
    if wards.crs is None:
        wards = wards.set_crs(WGS84)
    elif wards.crs.to_epsg() != 4326:
        wards = wards.to_crs(WGS84)
    return wards


def assign_wards(sites: pd.DataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sites (with ``longitude``/``latitude``) as points with ward and LAD columns and ``in_boundary``."""
    wards = check_ward_layer(wards)
    base = pd.DataFrame(sites).drop(columns=[c for c in (*JOIN_COLUMNS, "geometry") if c in sites.columns])
    lon = pd.to_numeric(base["longitude"], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(base["latitude"], errors="coerce").to_numpy(dtype="float64")
    placed = ~(np.isnan(lon) | np.isnan(lat))
    points = gpd.points_from_xy(lon, lat, crs=WGS84)
    points[~placed] = None

    left = gpd.GeoDataFrame({"_pos": np.flatnonzero(placed)}, geometry=points[placed], crs=WGS84)
    right = wards[[*WARD_COLUMNS, wards.geometry.name]]
    hits = gpd.sjoin(left, right, how="inner", predicate="intersects")
    hits = hits.sort_values(["_pos", "ward_code"], kind="stable").drop_duplicates("_pos")

    out = gpd.GeoDataFrame(base, geometry=points, crs=WGS84)
    for col in WARD_COLUMNS:
        values = np.full(len(out), None, dtype=object)
        values[hits["_pos"].to_numpy()] = hits[col].astype(object).to_numpy()
        out[col] = values
    out["in_boundary"] = out["ward_code"].notna().astype(bool)
    return out
