"""The smaller edges of a site import (issue 24, finding 8): a GeoJSON with an unclosed ring, a
20 MB site name, a huge polygon, the CRS message, and records outside the importing council's area."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

from fixtures_sites import HEADER, IN_W1, IN_W3, LAD_A, LAD_B, good_rows, ward_layer, write_csv

ROOT = Path(__file__).resolve().parents[1]


def _feature(ref: str, geometry: dict, **extra: object) -> dict:
    return {"type": "Feature", "properties": {"Site ID": ref, "Site type": "Hotel", "People": 3, **extra},
            "geometry": geometry}


def _point(at: tuple[float, float]) -> dict:
    return {"type": "Point", "coordinates": list(at)}


def test_an_unclosed_ring_rejects_its_feature_alone_by_number(tmp_path: Path) -> None:
    """It rejected the whole file without naming the feature, with three raw GDAL warnings."""
    from geo.sites.importer import import_sites

    ring = {"type": "Polygon", "coordinates": [[[-1.95, 52.05], [-1.9, 52.05], [-1.9, 52.1]]]}  # not closed
    path = tmp_path / "sites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _feature("A1", _point(IN_W1)), _feature("A2", ring), _feature("A3", _point(IN_W1))]}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted, result.rejected) == (3, 2, 1)
    assert result.rejections[0]["row"] == 2 and "does not close" in result.rejections[0]["reason"]
    assert not [w for w in caught if "ring" in str(w.message).lower()]
    command = ["sites", "import", str(path), "--db", str(tmp_path / "c.sqlite"), "--wards", str(_wards(tmp_path))]
    done = subprocess.run([sys.executable, "-m", "geo", *command], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "GDAL" not in done.stderr and "RuntimeWarning" not in done.stderr and "Non closed ring" not in done.stderr


def _wards(tmp_path: Path) -> Path:
    path = tmp_path / "wards.geojson"
    if not path.exists():
        ward_layer().to_file(path, driver="GeoJSON")
    return path


def test_a_huge_polygon_is_refused_before_it_is_loaded(tmp_path: Path) -> None:
    """A 1,000,000-vertex polygon took 812 MB for a 41 MB file; a feature over 1 MB is now refused,
    with one line saying so, before GDAL parses it (a smaller one makes the point: 200,000 vertices)."""
    import resource

    from geo.errors import DataError
    from geo.sites.readers import GEOJSON_MAX_FEATURE_MB, read_table

    n = 200_000
    ring = [[-1.95 + 0.01 * math.cos(2 * math.pi * i / n), 52.05 + 0.01 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    path = tmp_path / "shapes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        _feature("A1", _point(IN_W1)), _feature("A2", {"type": "Polygon", "coordinates": [[*ring, ring[0]]]})]}))
    assert path.stat().st_size > 4 * GEOJSON_MAX_FEATURE_MB * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        read_table(path)
        raise AssertionError("read")
    except DataError as exc:
        assert "larger than 1 MB" in str(exc) and "shapes.geojson" in str(exc) and "\n" not in str(exc)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100, grown_mb  # the whole feature was never parsed (about 20 times its 8 MB)
    wards = gpd.read_file(_wards(tmp_path))  # the limit is put back: polygon layers still read
    assert len(wards) == 4


def test_a_20_mb_site_name_is_rejected_saying_how_long(tmp_path: Path) -> None:
    from geo.sites.importer import import_sites
    from geo.sites.store import SiteStore

    rows = good_rows()
    rows[1][2] = "x" * (20 * 2**20)
    result = import_sites(write_csv(tmp_path / "long.csv", rows), tmp_path / "s.sqlite", ward_layer())
    found = [r for r in result.rejections if r["column"] == "Name"]
    assert len(found) == 1 and "20,971,520 characters, more than the 500" in found[0]["reason"]
    assert result.accepted == len(rows) - 2  # that row, and the fixture's North Sea site
    kept = SiteStore(tmp_path / "s.sqlite").rejections(result.batch)
    assert kept["Name"].astype(str).str.len().max() < 6_000  # the download keeps a cut cell, not 20 MB


def test_the_crs_message_says_what_the_file_claimed(tmp_path: Path) -> None:
    """It said "says its CRS is OSGB36 / British National Grid but ... look like British National Grid"."""
    from geo.sites.readers import read_table

    path = tmp_path / "claims-wgs84.geojson"
    gdf = gpd.GeoDataFrame({"Site ID": ["A1"]}, geometry=[Point(405_000, 290_000)], crs="EPSG:4326")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(path, driver="GeoJSON")
    (message,) = read_table(path).attrs["warnings"]
    assert "WGS 84" in message and "read as British National Grid (EPSG:27700)" in message
    assert "says its coordinates are OSGB" not in message and "British National Grid but" not in message


def test_records_outside_the_importing_councils_area_are_warned_about(tmp_path: Path) -> None:
    from geo.access import audit
    from geo.access.identity import member_for
    from geo.access.imports import import_as
    from geo.access.manage import grant

    db = tmp_path / "s.sqlite"
    grant(db, member_for(db, None, has_provider=False), "admin@a.gov.uk", LAD_A, "admin")
    admin = member_for(db, "admin@a.gov.uk", has_provider=False)
    rows = [HEADER, ["A1", "Hotel", "", "", IN_W1[1], IN_W1[0], 10, 8, "Open", "", "", "", ""],
            ["B1", "Hotel", "", "", IN_W3[1], IN_W3[0], 10, 8, "Open", "", "", "", ""]]
    result = import_as(admin, write_csv(tmp_path / "mixed.csv", rows), db, ward_layer())
    assert result.accepted == 2
    (warning,) = [w for w in result.warnings if "outside" in w]
    assert f"{LAD_B}: 1" in warning and f"recorded under {LAD_A}" in warning
    assert any("outside" in r["detail"] for r in audit.read(db, action="import"))
    own = import_as(admin, write_csv(tmp_path / "own.csv", rows[:2]), db, ward_layer())
    assert not [w for w in own.warnings if "outside" in w]
