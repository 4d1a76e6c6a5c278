"""Site placement in PostGIS: the ward layer in a GiST-indexed table, sites placed by one join.

Why in the database: on a shared server the boundaries sit beside the site records, so an app
server places an import's positions with one indexed query instead of holding ~9,000 ward
polygons in memory for each import. The rule is the in-process one (geo.sites.join): a position
belongs to every ward whose polygon it *intersects* (edges included: ``ST_Contains`` alone would
leave a site on a shared edge in no ward), and to the lowest ward code when it is in several;
a position in no ward is kept and flagged ``in_boundary = False``. ``test_pg_spatial`` checks
both give the same ward for the same points.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from geo.db.pg import connect
from geo.errors import GeoError

WARD_COLUMNS = ("ward_code", "ward_name", "lad_code", "lad_name")


def load_wards(url: str, wards: Any, *, vintage: str | None = None) -> int:
    """Replace the database's ward layer with ``wards`` (geo.boundaries contract, any CRS) in one
    transaction; returns the number of wards loaded."""
    import shapely

    from geo.sites.join import check_ward_layer

    layer = check_ward_layer(wards)
    wkb = shapely.to_wkb(np.asarray(layer.geometry.values), hex=False).tolist()  # ST_Multi makes polygons multi
    rows = zip(*(layer[c].astype(str).tolist() for c in WARD_COLUMNS), wkb, strict=True)
    conn = connect(url)  # the ward layer is not organisation data: no scope
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TEMP TABLE wards_in (ward_code TEXT, ward_name TEXT, lad_code TEXT, lad_name TEXT,"
                     " wkb BYTEA) ON COMMIT DROP")
        conn.copy_rows("wards_in", (*WARD_COLUMNS, "wkb"), rows)
        conn.execute("DELETE FROM wards")
        conn.execute("INSERT INTO wards (ward_code, ward_name, lad_code, lad_name, vintage, geom)"
                     " SELECT ward_code, ward_name, lad_code, lad_name, ?,"
                     " ST_Multi(ST_GeomFromWKB(wkb, 4326)) FROM wards_in", (vintage,))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise GeoError(f"could not load the ward layer into the database; nothing changed ({exc})") from exc
    finally:
        conn.close()
    conn = connect(url)
    try:
        conn.execute("ANALYZE wards")
    except sqlite3.Error:
        pass  # statistics only: the app role may not analyse a table it does not own
    finally:
        conn.close()
    return len(layer)


def ward_codes(url: str, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """For each position, the code of the ward holding it (lowest code on a shared edge), None if none."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    out = np.full(len(lon), None, dtype=object)
    usable = np.flatnonzero(~(np.isnan(lon) | np.isnan(lat)))
    if len(usable) == 0:
        return out
    conn = connect(url)  # the ward layer is not organisation data: no scope
    try:
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE points_in (i BIGINT, lon DOUBLE PRECISION, lat DOUBLE PRECISION)"
                     " ON COMMIT DROP")
        conn.copy_rows("points_in", ("i", "lon", "lat"),
                       zip(usable.tolist(), lon[usable].tolist(), lat[usable].tolist(), strict=True))
        rows = conn.execute(
            "SELECT DISTINCT ON (p.i) p.i, w.ward_code FROM points_in p JOIN wards w"
            " ON ST_Intersects(w.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))"
            " ORDER BY p.i, w.ward_code").fetchall()
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise GeoError(f"could not place the sites in the database's wards ({exc})") from exc
    finally:
        conn.close()
    for i, code in rows:
        out[int(i)] = code
    return out


def place(url: str, sites: pd.DataFrame) -> pd.DataFrame:
    """``geo.sites.join.place`` done by PostGIS: ward and LAD columns and ``in_boundary``."""
    out = pd.DataFrame(sites).drop(columns=[c for c in (*WARD_COLUMNS, "in_boundary", "geometry")
                                            if c in sites.columns])
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(dtype="float64")
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(dtype="float64")
    codes = ward_codes(url, lon, lat)
    found = sorted({c for c in codes if c is not None})
    names: dict[str, tuple[Any, ...]] = {}
    if found:
        conn = connect(url)
        try:
            for r in conn.execute("SELECT ward_code, ward_name, lad_code, lad_name FROM wards"
                                  " WHERE ward_code = ANY (?)", (found,)).fetchall():
                names[r[0]] = tuple(r)
        finally:
            conn.close()
    for k, col in enumerate(WARD_COLUMNS):
        out[col] = pd.Series([names[c][k] if c is not None else None for c in codes], index=out.index, dtype=object)
    out["in_boundary"] = pd.Series([c is not None for c in codes], index=out.index, dtype=bool)
    return out


def ward_count(url: str) -> int:
    """How many wards the database holds (0: none loaded; placement stays in-process)."""
    conn = connect(url)
    try:
        row = conn.execute("SELECT COUNT(*) FROM wards").fetchone()
        return int(row[0]) if row else 0
    except sqlite3.Error:
        return 0  # no wards table (PostGIS not set up): place in-process
    finally:
        conn.close()


def placer_for(location: Any, wards: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """How an import places its sites: in PostGIS when the store is PostgreSQL and holds a ward
    layer (``python -m geo db load-wards``), else in-process against ``wards`` (geo.sites.join)."""
    from geo.db import database_url
    from geo.sites import join

    url = database_url(location)
    if url and ward_count(url) > 0:
        return lambda sites: place(url, sites)
    return lambda sites: join.place(sites, wards)
