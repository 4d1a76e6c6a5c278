"""Boundaries of any vintage and format: detection, reprojection, repair, LAD attachment."""
from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from conftest import ROOT, SHARED, needs_shared
from geo.boundaries import attach_lads, detect_columns, read_boundaries, read_ward_lad_lookup, simplify_for_web
from geo.errors import DataError

LAD_FILE = SHARED / "ons" / "Local_Authority_Districts_May_2023_UK_BUC.geojson"
WARD_FILE = SHARED / "ons" / "Wards_December_2023_Boundaries_UK_BSC.geojson"
LOOKUP = SHARED / "ons" / "Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv"


@pytest.mark.parametrize("columns, expected", [
    (["FID", "LAD23CD", "LAD23NM", "LAD23NMW"], ("lad", "LAD23CD", "LAD23NM")),
    (["lad24cd", "lad24nm", "BNG_E"], ("lad", "lad24cd", "lad24nm")),
    (["WD24CD", "WD24NM", "LAD24CD", "LAD24NM"], ("ward", "WD24CD", "WD24NM")),
    (["wd23cd", "wd23nm"], ("ward", "wd23cd", "wd23nm")),
    (["LTLA22CD", "LTLA22NM"], ("lad", "LTLA22CD", "LTLA22NM")),
])
def test_detects_level_and_columns_from_ons_naming(columns, expected):
    assert detect_columns(columns) == expected


def test_no_code_column_is_a_clear_error():
    with pytest.raises(DataError, match="no ONS code column"):
        detect_columns(["name", "value"])


@needs_shared
def test_shared_lad_and_ward_files():
    lads = read_boundaries(LAD_FILE)
    raw = gpd.read_file(LAD_FILE)
    assert (lads.level, lads.code_column, lads.name_column) == ("lad", "LAD23CD", "LAD23NM")
    assert lads.features == len(raw) == 361
    assert lads.gdf.crs.to_epsg() == 4326
    assert set(lads.gdf["lad_code"]) == set(raw["LAD23CD"])
    assert lads.gdf.geometry.is_valid.all()
    wards = read_boundaries(WARD_FILE)
    assert (wards.level, wards.code_column, wards.features) == ("ward", "WD23CD", len(gpd.read_file(WARD_FILE)))


@needs_shared
def test_geopackage_in_british_national_grid_with_2024_names(tmp_path):
    raw = gpd.read_file(LAD_FILE).rename(columns={"LAD23CD": "LAD24CD", "LAD23NM": "LAD24NM"})
    raw = raw.drop(columns=["LAD23NMW"]).to_crs(27700)
    path = tmp_path / "Local_Authority_Districts_May_2024_UK_BUC.gpkg"
    raw.to_file(path, driver="GPKG")
    layer = read_boundaries(path)
    assert (layer.level, layer.code_column, layer.name_column) == ("lad", "LAD24CD", "LAD24NM")
    assert layer.source_crs is not None and "27700" in layer.source_crs
    assert layer.gdf.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = layer.gdf.total_bounds
    assert -9 < minx < maxx < 2 and 49 < miny < maxy < 61  # degrees, not metres
    # Area from the metric copy agrees with the publisher's own Shape__Area (sq m, BNG).
    merged = layer.gdf.merge(raw[["LAD24CD", "Shape__Area"]], left_on="lad_code", right_on="LAD24CD")
    ratio = merged["area_km2"] * 1e6 / merged["Shape__Area"]
    assert ratio.between(0.97, 1.03).mean() > 0.95
    out = subprocess.run([sys.executable, "-m", "geo", "boundaries", str(path), "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["level"] == "lad" and result["code_column"] == "LAD24CD" and result["name_column"] == "LAD24NM"
    assert result["features"] == 361 and result["crs"] == "EPSG:4326"
    assert result["repaired"] == layer.repaired == int((~raw.to_crs(4326).is_valid).sum())


def _squares(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"wd24cd": [f"E0500000{i}" for i in range(n)], "wd24nm": [f"Ward {i}" for i in range(n)]},
                            geometry=[box(400000 + i * 1000, 300000, 401000 + i * 1000, 301000) for i in range(n)],
                            crs=27700)


def test_zipped_shapefile_parquet_and_missing_crs(tmp_path):
    gdf = _squares()
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "wards.shp")
    import shutil
    zipped = shutil.make_archive(str(tmp_path / "wards"), "zip", shp_dir)
    layer = read_boundaries(zipped)
    assert layer.level == "ward" and layer.features == 3 and layer.gdf.crs.to_epsg() == 4326
    gdf.to_parquet(tmp_path / "wards.parquet")
    assert read_boundaries(tmp_path / "wards.parquet").code_column == "wd24cd"
    # A GeoJSON written in metres with no CRS is recognised as British National Grid.
    no_crs = tmp_path / "no_crs.geojson"
    no_crs.write_text(gdf.set_crs(None, allow_override=True).to_json())
    data = json.loads(no_crs.read_text())
    data.pop("crs", None)
    no_crs.write_text(json.dumps(data))
    layer = read_boundaries(no_crs)
    minx, miny, maxx, maxy = layer.gdf.total_bounds
    assert -3 < minx < maxx < 0 and 52 < miny < maxy < 54  # near Derby, where 400000, 300000 lies
    assert layer.gdf["area_km2"].round(3).tolist() == [1.0, 1.0, 1.0]


def test_invalid_geometry_is_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    gdf = gpd.GeoDataFrame({"LAD23CD": ["E06000001", "E06000002"], "LAD23NM": ["A", "B"]},
                           geometry=[bowtie, box(2, 0, 3, 1)], crs=4326)
    path = tmp_path / "bad.geojson"
    gdf.to_file(path)
    layer = read_boundaries(path)
    assert layer.repaired == 1 and layer.gdf.geometry.is_valid.all()
    assert layer.gdf.geometry.iloc[0].area == pytest.approx(0.5, rel=1e-6)


def test_duplicate_codes_and_unreadable_files_name_the_file(tmp_path):
    gdf = gpd.GeoDataFrame({"LAD23CD": ["E06000001", "E06000001"], "LAD23NM": ["A", "B"]},
                           geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    gdf.to_file(tmp_path / "dupes.geojson")
    with pytest.raises(DataError, match=r"dupes.geojson.*E06000001 appears more than once"):
        read_boundaries(tmp_path / "dupes.geojson")
    (tmp_path / "junk.geojson").write_text("not json")
    with pytest.raises(DataError, match="junk.geojson"):
        read_boundaries(tmp_path / "junk.geojson")


@needs_shared
def test_wards_get_lads_from_lookup_and_by_position_agree():
    lads = read_boundaries(LAD_FILE).gdf
    wards = read_boundaries(WARD_FILE).gdf
    lookup = read_ward_lad_lookup(LOOKUP)
    by_lookup = attach_lads(wards, lads, lookup)
    assert by_lookup["lad_code"].notna().all()
    raw = pd.read_csv(LOOKUP, encoding="utf-8-sig")
    expected = dict(zip(raw["WD23CD"], raw["LAD23CD"], strict=True))
    assert (by_lookup["lad_code"] == by_lookup["ward_code"].map(expected)).all()
    by_position = attach_lads(wards, lads, None)
    assert (by_position["lad_code"] == by_lookup["lad_code"]).mean() > 0.99


@needs_shared
def test_simplified_web_copy_keeps_every_ward():
    wards = read_boundaries(WARD_FILE).gdf
    simple = simplify_for_web(wards, 60)
    assert len(simple) == len(wards)
    assert not simple.geometry.is_empty.any()
    assert (simple["ward_code"] == wards["ward_code"]).all()
