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
import shapely

from geo.errors import DataError

WARD_COLUMNS = ("ward_code", "ward_name", "lad_code", "lad_name")
JOIN_COLUMNS = (*WARD_COLUMNS, "in_boundary")
WGS84 = "EPSG:4326"
TREE_BELOW = 2  # positions per ward under which one STRtree query beats testing ward by ward


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


def ward_index(lon: np.ndarray, lat: np.ndarray, wards: gpd.GeoDataFrame) -> np.ndarray:
    """For each position, the row in ``wards`` holding it (edges included), -1 if none.

    Why not ``geopandas.sjoin``: it builds a joined frame (and, for many sites, a shapely point
    per site). Few positions: one STRtree query; many (``TREE_BELOW`` per ward or more): each
    ward tests the positions in its bounding box (``_hits_by_ward``). Both use ``intersects``.
    A position in two wards (on a shared edge, or where generalised wards overlap) goes to the
    lowest ward code, so reruns agree.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    out = np.full(len(lon), -1, dtype=np.int64)
    usable = np.flatnonzero(~(np.isnan(lon) | np.isnan(lat)))
    if len(usable) == 0 or len(wards) == 0:
        return out
    if len(usable) < TREE_BELOW * len(wards):
        pos, ward = _hits_by_tree(lon, lat, usable, wards)
    else:
        pos, ward = _hits_by_ward(lon, lat, usable, wards)
    if len(pos) == 0:
        return out
    by_code = np.argsort(wards["ward_code"].astype(str).to_numpy(), kind="stable")   # rank -> ward row
    rank = np.empty(len(wards), dtype=np.int64)                                      # ward row -> rank
    rank[by_code] = np.arange(len(wards))
    best = np.full(len(lon), len(wards), dtype=np.int64)
    np.minimum.at(best, pos, rank[ward])                 # the lowest code among each position's wards
    hit = best < len(wards)
    out[hit] = by_code[best[hit]]
    return out


def _hits_by_tree(lon: np.ndarray, lat: np.ndarray, usable: np.ndarray,
                  wards: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(position, ward row) pairs that intersect, by one query of the ward layer's STRtree:
    quickest for fewer positions than a few per ward."""
    points = shapely.points(lon[usable], lat[usable])
    pos, ward = wards.sindex.query(points, predicate="intersects")
    return usable[pos], ward


def _hits_by_ward(lon: np.ndarray, lat: np.ndarray, usable: np.ndarray,
                  wards: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The same pairs for many positions: sorted by longitude once, each ward tests only those
    in its bounding box with ``intersects_xy`` on its prepared polygon (no point objects)."""
    order = usable[np.argsort(lon[usable], kind="stable")]
    xs, ys = lon[order], lat[order]
    geoms = wards.geometry.values
    box = shapely.bounds(np.asarray(geoms))
    lo = np.searchsorted(xs, box[:, 0], side="left")
    hi = np.searchsorted(xs, box[:, 2], side="right")
    found_pos, found_ward = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for i in np.flatnonzero(hi > lo):
        y = ys[lo[i]:hi[i]]
        near = np.flatnonzero((y >= box[i, 1]) & (y <= box[i, 3])) + lo[i]
        if len(near) == 0:
            continue
        geom = geoms[i]
        shapely.prepare(geom)
        inside = near[shapely.intersects_xy(geom, xs[near], ys[near])]
        found_pos.append(order[inside])
        found_ward.append(np.full(len(inside), i, dtype=np.int64))
    return np.concatenate(found_pos), np.concatenate(found_ward)


def place(sites: pd.DataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """Sites (with ``longitude``/``latitude``) with ward and LAD columns and ``in_boundary``
    (no geometry column: the import path stores positions, not shapes)."""
    wards = check_ward_layer(wards)
    out = pd.DataFrame(sites).drop(columns=[c for c in (*JOIN_COLUMNS, "geometry") if c in sites.columns])
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(dtype="float64")
    found = ward_index(lon, lat, wards)
    hit = found >= 0
    for col in WARD_COLUMNS:
        values = np.full(len(out), None, dtype=object)
        values[hit] = wards[col].astype(object).to_numpy()[found[hit]]
        out[col] = pd.Series(values, index=out.index, dtype=object)
    out["in_boundary"] = hit
    return out


def assign_wards(sites: pd.DataFrame, wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sites (with ``longitude``/``latitude``) as points with ward and LAD columns and ``in_boundary``."""
    out = place(sites, wards)
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(dtype="float64")
    points = gpd.points_from_xy(lon, lat, crs=WGS84)
    points[np.isnan(lon) | np.isnan(lat)] = None
    return gpd.GeoDataFrame(out, geometry=points, crs=WGS84)
