"""Site placement in PostGIS agrees with the in-process join (geo.sites.join) on the same points:
the hand-checkable squares (edges, the sea, blank positions) and, with the official files, the
real ward layer with random points and points on ward vertices."""
from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import needs_shared
from fixtures_sites import EDGE_W1_W2, IN_W1, IN_W2, IN_W3, IN_W4, NORTH_SEA, ward_layer
from geo.db import spatial
from geo.sites.join import place, ward_index


def _sites(points: list[tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame({"reference": [f"S{i}" for i in range(len(points))],
                         "longitude": [p[0] for p in points], "latitude": [p[1] for p in points]})


def test_the_squares_place_the_same_in_postgis(pg_url) -> None:
    wards = ward_layer()
    assert spatial.load_wards(pg_url, wards, vintage="test") == len(wards)
    sites = _sites([IN_W1, IN_W2, IN_W3, IN_W4, EDGE_W1_W2, NORTH_SEA, (float("nan"), float("nan"))])
    in_db, in_process = spatial.place(pg_url, sites), place(sites, wards)
    cols = ["ward_code", "ward_name", "lad_code", "lad_name", "in_boundary"]
    pd.testing.assert_frame_equal(in_db[cols], in_process[cols])
    assert in_db["in_boundary"].tolist() == [True] * 5 + [False, False]  # the edge is placed, the sea is not


def test_the_ward_layer_has_a_gist_index_the_join_uses(pg_url) -> None:
    from geo.db.pg import connect

    spatial.load_wards(pg_url, ward_layer())
    conn = connect(pg_url)
    try:
        conn.execute("SET enable_seqscan = off")  # four wards: make the planner show the index exists and fits
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT ward_code FROM wards WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(-1.95, 52.05),"
            " 4326))").fetchall())
        method = conn.execute("SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                              " WHERE c.relname = 'wards_geom'").fetchone()[0]
    finally:
        conn.close()
    assert method == "gist" and "wards_geom" in plan


@needs_shared
def test_the_real_ward_layer_places_the_same_in_postgis(pg_url, model) -> None:
    wards = model.wards[["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]]
    spatial.load_wards(pg_url, wards)
    rng = np.random.default_rng(15)
    minx, miny, maxx, maxy = wards.to_crs(4326).total_bounds
    lon = rng.uniform(minx, maxx, 3000)
    lat = rng.uniform(miny, maxy, 3000)
    # points exactly on ward boundaries (a vertex of each of 300 wards): the edge rule matters there
    import shapely

    picks = rng.choice(len(wards), 300, replace=False)
    rings = shapely.get_exterior_ring(shapely.get_geometry(np.asarray(wards.to_crs(4326).geometry.values)[picks], 0))
    vertices = shapely.get_coordinates(shapely.get_point(rings, 0))
    lon = np.concatenate([lon, vertices[:, 0]])
    lat = np.concatenate([lat, vertices[:, 1]])
    layer = wards.to_crs(4326).reset_index(drop=True)
    found = ward_index(lon, lat, layer)
    expected = np.where(found >= 0, layer["ward_code"].to_numpy(dtype=object)[np.maximum(found, 0)], None)
    got = spatial.ward_codes(pg_url, lon, lat)
    assert (expected != None).sum() > 1000  # noqa: E711  (elementwise) most random points fall in a ward
    mismatches = [(x, y, e, g) for x, y, e, g in zip(lon, lat, expected, got, strict=True) if e != g]
    assert mismatches == []


def test_an_import_on_postgresql_places_sites_in_postgis(pg_url, monkeypatch, tmp_path) -> None:
    """With the ward layer loaded (``geo db load-wards``), an import places its sites in the
    database, with the same result as the in-process join on SQLite for the same file."""
    import subprocess
    import sys

    from fixtures_sites import good_rows, write_csv, write_wards
    from geo.sites.importer import import_sites
    from geo.sites.store import SiteStore

    source = write_csv(tmp_path / "sites.csv", good_rows())
    monkeypatch.delenv("AAM_DATABASE_URL", raising=False)
    import_sites(source, tmp_path / "sites.sqlite", ward_layer())
    expected = SiteStore(tmp_path / "sites.sqlite").current_sites()

    done = subprocess.run([sys.executable, "-m", "geo", "db", "load-wards", "--wards",
                           str(write_wards(tmp_path / "wards.geojson"))], capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "AAM_DATABASE_URL": pg_url})
    assert done.returncode == 0 and "4 wards loaded" in done.stdout, done.stderr
    monkeypatch.setenv("AAM_DATABASE_URL", pg_url)
    decoy = ward_layer().iloc[0:0]  # the in-memory layer holds no ward: only the database's can place them
    import_sites(source, tmp_path / "ignored.sqlite", decoy)
    got = SiteStore(pg_url).current_sites()
    cols = ["reference", "ward_code", "ward_name", "lad_code", "lad_name", "in_boundary"]
    pd.testing.assert_frame_equal(got[cols].reset_index(drop=True), expected[cols].reset_index(drop=True))
    assert got["in_boundary"].sum() == 4
