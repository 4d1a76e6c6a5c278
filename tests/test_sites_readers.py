"""Reading council files with the row numbers users see (geo.sites.readers)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point, box

from fixtures_sites import IN_W1, IN_W2, write_csv
from geo.errors import DataError
from geo.sites.readers import read_table
from geo.sites.schema import GEOMETRY_LAT, GEOMETRY_LON, GEOMETRY_PROBLEM, ROW


def test_csv_utf8_bom_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes("\ufeffRef,Name\nA,Café\n\nB,Two\n,\nC,\"multi\nline\"\nD,Four\n".encode("utf-8"))
    raw = read_table(path)
    assert list(raw.columns) == [ROW, "Ref", "Name"]          # BOM stripped from the first heading
    assert raw["Ref"].tolist() == ["A", "B", "C", "D"]
    assert raw[ROW].tolist() == [2, 4, 6, 7]                   # blank records still count
    assert raw.loc[0, "Name"] == "Café"


def test_csv_cp1252_and_semicolons(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sites.csv", [["Ref", "Provider"], ["A", "Smith & Sons £"], ["B", "Zoë"]],
                     encoding="cp1252", sep=";")
    raw = read_table(path)
    assert raw["Provider"].tolist() == ["Smith & Sons £", "Zoë"]
    assert raw.attrs["encoding"] == "cp1252"


def test_csv_blank_and_repeated_headings(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["Ref", "", "Notes", "Notes"], ["A", "x", "n1", "n2"]])
    assert list(read_table(path).columns) == [ROW, "Ref", "Column B", "Notes", "Notes (2)"]


def _workbook(path: Path) -> Path:
    book = Workbook()
    first = book.active
    first.title = "Sites"
    first.append(["Asylum accommodation sites, March 2024"])   # title row
    first.append([])
    first.append(["Site ID", "Site type", "Lat", "Long", "Date opened"])
    first.append(["A1", "Hotel", IN_W1[1], IN_W1[0], datetime(2024, 3, 1)])
    first.append([None, None, None, None, None])
    first.append([101, "Dispersed", IN_W2[1], IN_W2[0], 45352])
    other = book.create_sheet("Other")
    other.append(["Ref", "Type"])
    other.append(["Z", "Hotel"])
    book.save(path)
    return path


def test_excel_first_sheet_finds_header_below_title(tmp_path: Path) -> None:
    raw = read_table(_workbook(tmp_path / "sites.xlsx"))
    assert raw.attrs["header_row"] == 3
    assert raw[ROW].tolist() == [4, 6]
    assert raw["Site ID"].tolist() == ["A1", 101]
    assert raw.loc[0, "Date opened"] == datetime(2024, 3, 1)


def test_excel_named_sheet_and_missing_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "sites.xlsx")
    raw = read_table(path, sheet="Other")
    assert raw["Ref"].tolist() == ["Z"] and raw[ROW].tolist() == [2]
    with pytest.raises(DataError, match="no sheet 'Nope'"):
        read_table(path, sheet="Nope")


def test_geojson_points_become_lon_lat(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"ref": ["P1", "P2", "P3"], "type": ["Hotel"] * 3},
                           geometry=[Point(*IN_W1), None, box(-1.9, 52.0, -1.8, 52.1)], crs="EPSG:4326")
    path = tmp_path / "sites.geojson"
    gdf.to_file(path, driver="GeoJSON")
    raw = read_table(path)
    assert raw[ROW].tolist() == [1, 2, 3]
    assert raw.loc[0, GEOMETRY_LON] == pytest.approx(IN_W1[0])
    assert raw.loc[0, GEOMETRY_LAT] == pytest.approx(IN_W1[1])
    assert raw.loc[1, GEOMETRY_LON] is None
    assert raw.loc[1, GEOMETRY_PROBLEM] is None                 # missing geometry: maybe a postcode
    assert "Polygon" in raw.loc[2, GEOMETRY_PROBLEM]


def test_geopackage_in_british_national_grid_is_reprojected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"ref": ["G1"]}, geometry=[Point(*IN_W2)], crs="EPSG:4326").to_crs(27700)
    path = tmp_path / "sites.gpkg"
    gdf.to_file(path, layer="sites", driver="GPKG")
    raw = read_table(path, sheet="sites")
    assert raw.loc[0, GEOMETRY_LON] == pytest.approx(IN_W2[0], abs=1e-6)
    assert raw.loc[0, GEOMETRY_LAT] == pytest.approx(IN_W2[1], abs=1e-6)


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(DataError, match="unsupported file type"):
        read_table(tmp_path / "a.pdf")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_table(tmp_path / "empty.csv")
