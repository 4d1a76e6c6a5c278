"""One import path for every file type (geo.sites.importer), end to end on the toy wards."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point, box

from fixtures_sites import IN_W1, IN_W2, IN_W3, NORTH_SEA, W1, W2, W3, ward_layer, write_csv
from geo.errors import DataError
from geo.sites.importer import import_sites
from geo.sites.store import SiteStore

pytestmark = pytest.mark.usefixtures("store_backend")  # on SQLite and on PostgreSQL (tests/pg_server.py)


def test_geojson_geometry_wins_and_non_points_are_rejected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"Site ID": ["G1", "G2", "G3", "G4"], "Type": ["Hotel", "IA", "Dispersed", "Hotel"],
         "Latitude": [0.0, 0.0, 0.0, 0.0],     # wrong attribute values: the geometry is the position
         "Occupancy": [80, 30, 4, 10]},
        geometry=[Point(*IN_W1), Point(*IN_W2), box(-2.0, 52.1, -1.9, 52.2), Point(*NORTH_SEA)], crs="EPSG:4326")
    path = tmp_path / "sites.geojson"
    gdf.to_file(path, driver="GeoJSON")
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted, result.rejected) == (4, 3, 1)
    assert result.rejections == [{"row": 3, "column": "geometry", "reason": "geometry is a Polygon, not a point"}]
    sites = SiteStore(tmp_path / "s.sqlite").current_sites().set_index("reference")
    assert sites.loc["G1", "ward_code"] == W1 and sites.loc["G2", "ward_code"] == W2
    assert sites.loc["G2", "site_type"] == "initial" and not sites.loc["G4", "in_boundary"]
    assert result.outside_boundaries == ["G4"]


def test_geopackage_in_grid_coordinates(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"ref": ["K1"], "site_type": ["Dispersal accommodation"], "people": [3]},
                           geometry=[Point(*IN_W3)], crs="EPSG:4326").to_crs(27700)
    path = tmp_path / "sites.gpkg"
    gdf.to_file(path, driver="GPKG")
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert result.accepted == 1
    assert SiteStore(tmp_path / "s.sqlite").current_sites().loc[0, "ward_code"] == W3


def test_excel_named_sheet_with_postcodes(tmp_path: Path, nspl: Path) -> None:
    book = Workbook()
    book.active.append(["not", "this", "sheet"])
    ws = book.create_sheet("Sites March")
    ws.append(["Property ref", "Accommodation type", "Postal code", "Number of people", "Date acquired"])
    ws.append(["E1", "Dispersed property", "AB1 2CD", 4, 45352])
    ws.append(["E2", "Dispersed property", "AB1 5JK", 2, "01/03/2024"])
    path = tmp_path / "sites.xlsx"
    book.save(path)
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer(), sheet="Sites March",
                          postcode_directory=nspl)
    assert (result.accepted, result.rejected) == (2, 0)
    sites = SiteStore(tmp_path / "s.sqlite").current_sites().set_index("reference")
    assert sites["position_source"].tolist() == ["postcode_centroid"] * 2
    assert sites["acquired"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-03-01"]


def test_headings_only_and_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no data rows"):
        import_sites(write_csv(tmp_path / "h.csv", [["Ref", "Type", "Lat", "Long"]]), tmp_path / "s.sqlite",
                     ward_layer())
    assert not (tmp_path / "s.sqlite").exists()        # nothing created for a file we could not use
    with pytest.raises(DataError, match="cannot find a reference column"):
        import_sites(write_csv(tmp_path / "x.csv", [["Name", "Lat", "Long"], ["a", 52.05, -1.95]]),
                     tmp_path / "s.sqlite", ward_layer())
