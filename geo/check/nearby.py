"""What is around a proposed point: sites and earlier proposals within 250 m, 500 m and 1 km.

Distances are metres on the British National Grid (EPSG:27700) and neighbours come from a shapely
STRtree queried once for every point of a list (``dwithin`` the largest radius), never from a loop
over sites; each proposal then reads only its own pairs, from plain numpy columns.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.check.settings import RADII_M
from geo.sites.grid import wgs84_to_bng


def bng(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Easting, northing arrays (metres), converting from WGS84 where the grid reference is missing."""
    if len(frame) == 0:
        return np.array([]), np.array([])
    east = pd.to_numeric(frame.get("easting"), errors="coerce").to_numpy(dtype="float64")
    north = pd.to_numeric(frame.get("northing"), errors="coerce").to_numpy(dtype="float64")
    gap = np.isnan(east) | np.isnan(north)
    if gap.any():
        e, n = wgs84_to_bng(pd.to_numeric(frame["longitude"], errors="coerce").to_numpy()[gap],
                            pd.to_numeric(frame["latitude"], errors="coerce").to_numpy()[gap])
        east[gap], north[gap] = e, n
    return east, north


def split(found: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Pairs by query point, so each proposal reads only its own neighbours."""
    return {int(q): g for q, g in found.groupby("query", sort=False)}


def pairs(tree: shapely.STRtree, items: np.ndarray, queries: np.ndarray) -> pd.DataFrame:
    """(query, item, distance_m) for every item within the largest radius of every query point."""
    if len(items) == 0 or len(queries) == 0:
        return pd.DataFrame({"query": pd.Series(dtype="int64"), "item": pd.Series(dtype="int64"),
                             "distance_m": pd.Series(dtype="float64")})
    q, it = tree.query(queries, predicate="dwithin", distance=float(max(RADII_M)))
    dist = shapely.distance(queries[q], items[it])
    return pd.DataFrame({"query": q, "item": it, "distance_m": dist})



def arrays(frame: pd.DataFrame, *, people: str, kind: str, status: str | None = "status") -> dict[str, np.ndarray]:
    """Plain numpy columns for the neighbour lists (pandas indexing per proposal is slow)."""
    n = len(frame)
    return {
        "reference": frame["reference"].astype(str).to_numpy(dtype=object) if n else np.array([], dtype=object),
        "type": frame[kind].astype(object).to_numpy() if n else np.array([], dtype=object),
        "status": (frame[status].astype(object).to_numpy() if status and n else np.full(n, "proposed", dtype=object)),
        "people": pd.to_numeric(frame[people], errors="coerce").fillna(0).to_numpy(dtype="int64")
        if n else np.array([], dtype="int64"),
        "latitude": pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype="float64")
        if n else np.array([]),
        "longitude": pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype="float64")
        if n else np.array([]),
    }


def nearby(near: pd.DataFrame, earlier: pd.DataFrame, sites: dict[str, np.ndarray],
            proposals: dict[str, np.ndarray], reference: str) -> dict[str, Any]:
    """Sites (and earlier proposals in the list) within each radius, with the people in them."""
    items, dist = near["item"].to_numpy(dtype="int64"), near["distance_m"].to_numpy(dtype="float64")
    keep = sites["reference"][items] != reference if len(items) else np.array([], dtype=bool)
    items, dist = items[keep], dist[keep]
    prior, prior_dist = earlier["item"].to_numpy(dtype="int64"), earlier["distance_m"].to_numpy(dtype="float64")
    out: dict[str, Any] = {}
    for r in RADII_M:
        hit, before = items[dist <= r], prior[prior_dist <= r]
        out[f"sites_within_{r}m"] = int(len(hit) + len(before))
        out[f"people_within_{r}m"] = int(sites["people"][hit].sum() + proposals["people"][before].sum())
        out[f"earlier_proposals_within_{r}m"] = int(len(before))
    listed: list[dict[str, Any]] = []
    for source, idx, d in ((sites, items, dist), (proposals, prior, prior_dist)):
        for j in np.argsort(d, kind="stable"):
            k = int(idx[j])
            listed.append({"reference": str(source["reference"][k]), "type": source["type"][k],
                           "status": source["status"][k], "people": int(source["people"][k]),
                           "distance_m": int(round(float(d[j]))), "latitude": round(float(source["latitude"][k]), 6),
                           "longitude": round(float(source["longitude"][k]), 6)})
    out["nearby"] = listed
    return out
