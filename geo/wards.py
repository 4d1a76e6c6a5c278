"""Ward geometry questions the screens ask: which wards touch a ward.

Plain data work on the boundary layer (no screen state), so the ward page, exports and tests
share one answer.
"""
from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import shapely

from geo.boundaries import BNG


def neighbours(wards: gpd.GeoDataFrame, ward_code: str, tolerance_m: float = 25.0) -> gpd.GeoDataFrame:
    """Wards that touch ``ward_code`` (any authority), nearest-first by shared boundary.

    The published boundaries are generalised, so neighbours may be a few metres apart or
    overlap slightly; a ward counts as touching when it lies within ``tolerance_m`` metres.
    Returns a GeoDataFrame (EPSG:4326) without the ward itself, with ``shared_m`` (metres of
    shared boundary, approximately).
    """
    hit = wards.index[wards["ward_code"] == ward_code]
    if len(hit) == 0:
        raise KeyError(ward_code)
    geom = wards.geometry.loc[hit[0]]
    lat = geom.centroid.y
    pad = tolerance_m / 111_000 / max(math.cos(math.radians(lat)), 0.2)
    candidates = wards.iloc[wards.sindex.query(geom.buffer(pad * 2), predicate="intersects")]
    candidates = candidates[candidates["ward_code"] != ward_code]
    if candidates.empty:
        return candidates.assign(shared_m=pd.Series(dtype="float64"))
    metric = gpd.GeoSeries(candidates.geometry, crs=wards.crs).to_crs(BNG)
    own = gpd.GeoSeries([geom], crs=wards.crs).to_crs(BNG).iloc[0]
    zone = own.buffer(tolerance_m)
    touching = metric.intersects(zone).to_numpy()
    out = candidates[touching].copy()
    edge = shapely.intersection(metric[touching].boundary.values, zone)
    out["shared_m"] = shapely.length(edge) / 2  # both sides of the buffered edge are counted
    out = out[out["shared_m"] > tolerance_m / 2]  # a corner touching is not a neighbour
    return out.sort_values("shared_m", ascending=False)
