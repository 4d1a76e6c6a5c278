"""The bounded reading layer (geo.reading) and the hostile files of issue 13, as regressions.

Each test builds its hostile file (tests/hostile) and checks the product reads it whole or
refuses it with one DataError naming the file; figures are counted from the built file.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from openpyxl import load_workbook

import hostile
from fixtures_sites import W1, ward_layer
from geo import reading
from geo.errors import DataError
from geo.sites.importer import import_sites
from geo.sites.readers import read_table
from geo.sites.schema import GEOMETRY_LAT, GEOMETRY_LON

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- understated <dimension>

def test_understated_dimension_reads_every_row(tmp_path: Path) -> None:
    path = hostile.understated_dimension(tmp_path / "d.xlsx", data_rows=10, claimed="A1:E3")
    # The finding: openpyxl's read-only reader trusts the tag and stops at row 3.
    ws = load_workbook(path, read_only=True).active
    assert len(list(ws.iter_rows(values_only=True))) == 3
    frame = read_table(path)
    assert len(frame) == 10
    assert frame["Reference"].tolist() == [f"R{i}" for i in range(10)]


def test_understated_dimension_import_counts_all_rows(tmp_path: Path) -> None:
    path = hostile.understated_dimension(tmp_path / "d.xlsx", data_rows=10)
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted + result.rejected) == (10, 10)


# --------------------------------------------------------------------------- zip bombs and caps

def test_zip_bomb_refused_before_opening(tmp_path: Path) -> None:
    path = hostile.zip_bomb(tmp_path / "bomb.xlsx", expanded_mb=64)
    started = time.perf_counter()
    with pytest.raises(DataError) as err:
        read_table(path)
    assert time.perf_counter() - started < 2  # refused from the directory, nothing expanded
    assert "bomb.xlsx" in str(err.value) and "AAM_MAX_ZIP_RATIO" in str(err.value)


def test_declared_size_over_cap_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = hostile.understated_dimension(tmp_path / "d.xlsx")
    monkeypatch.setenv("AAM_MAX_UNZIPPED_MB", "0.001")
    with pytest.raises(DataError, match="AAM_MAX_UNZIPPED_MB"):
        read_table(path)


def test_ods_and_zipped_shapefile_pass_the_zip_check(tmp_path: Path) -> None:
    bomb = hostile.zip_bomb(tmp_path / "bomb.ods")
    with pytest.raises(DataError, match="bomb.ods"):
        read_table(bomb)
    shp = hostile.zip_bomb(tmp_path / "bomb.zip")
    with pytest.raises(DataError, match="bomb.zip"):
        read_table(shp)


def test_size_and_row_caps_name_their_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = hostile.long_field_csv(tmp_path / "big.csv", size=20_000)
    monkeypatch.setenv("AAM_MAX_SITE_FILE_MB", "0.01")
    with pytest.raises(DataError, match="AAM_MAX_SITE_FILE_MB") as err:
        read_table(path)
    assert "big.csv" in str(err.value)
    monkeypatch.delenv("AAM_MAX_SITE_FILE_MB")
    small = tmp_path / "rows.csv"
    small.write_text("\n".join(",".join(map(str, r)) for r in hostile.rows(20)) + "\n", encoding="utf-8")
    monkeypatch.setenv("AAM_MAX_ROWS", "5")
    with pytest.raises(DataError, match="AAM_MAX_ROWS"):
        read_table(small)
    monkeypatch.setenv("AAM_MAX_ROWS", "lots")
    with pytest.raises(DataError, match="AAM_MAX_ROWS"):
        read_table(small)


def test_excel_row_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = hostile.understated_dimension(tmp_path / "d.xlsx", data_rows=10)
    monkeypatch.setenv("AAM_MAX_ROWS", "4")
    with pytest.raises(DataError, match="more than 4 rows"):
        read_table(path)


# --------------------------------------------------------------------------- encodings and fields

@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("big_endian", [False, True])
def test_utf16_csv_read_as_utf16(tmp_path: Path, bom: bool, big_endian: bool) -> None:
    path = hostile.utf16_csv(tmp_path / "u.csv", bom=bom, big_endian=big_endian, data_rows=4)
    frame = read_table(path)
    assert len(frame) == 4
    assert [c for c in frame.columns if not c.startswith("_")] == hostile.HEADER
    assert frame.attrs["encoding"].startswith("utf-16")


def test_utf16_import_accepts_all(tmp_path: Path) -> None:
    """Regression: '10 read, 0 accepted, 10 rejected' with garbled headings for a 4-row file."""
    result = import_sites(hostile.utf16_csv(tmp_path / "u.csv", bom=False), tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted, result.rejected) == (4, 4, 0)


def test_decode_order() -> None:
    assert reading.decode("Zoë".encode()).encoding == "utf-8"
    assert reading.decode(b"\xef\xbb\xbfZo\xc3\xab").text == "Zoë"
    guess = reading.decode("Zoë £".encode("cp1252"))
    assert (guess.text, guess.encoding, guess.guessed) == ("Zoë £", "cp1252", True)
    assert "guess" in guess.label
    assert reading.decode(b"\x81\x8d").guessed  # bytes cp1252 leaves undefined still decode


def test_cp1252_guess_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("Reference,Name\nA,Café\n".encode("cp1252"))
    frame = read_table(path)
    assert frame.attrs["encoding_guessed"] and "cp1252" in frame.attrs["warnings"][0]


def test_field_over_128kb_is_read(tmp_path: Path) -> None:
    path = hostile.long_field_csv(tmp_path / "long.csv", size=200 * 1024)
    frame = read_table(path)
    assert len(frame["Notes"].iloc[0]) == 200 * 1024


def test_field_over_128kb_on_the_command_line(tmp_path: Path) -> None:
    """Regression: a _csv.Error traceback at the command line."""
    path = hostile.long_field_csv(tmp_path / "long.csv", size=200 * 1024)
    wards = tmp_path / "wards.geojson"
    ward_layer().to_file(wards, driver="GeoJSON")
    run = subprocess.run([sys.executable, "-m", "geo", "sites", "import", str(path), "--db", str(tmp_path / "s.db"),
                          "--wards", str(wards), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in run.stderr, run.stderr
    assert "_csv.Error" not in run.stderr
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert (result["read"], result["accepted"] + result["rejected"]) == (2, 2)


def test_csv_error_names_file_and_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A csv.Error (here: a field over a deliberately tiny limit) is one DataError naming the row."""
    import csv

    old = csv.field_size_limit()
    monkeypatch.setattr(reading, "_raise_field_limit", lambda kind: None)
    csv.field_size_limit(10)
    try:
        with pytest.raises(DataError) as err:
            reading.csv_rows("a,b\nshort,x\n" + "y" * 50 + ",z\n", file=tmp_path / "x.csv", delimiter=",")
    finally:
        csv.field_size_limit(old)
    assert "x.csv" in str(err.value) and "row 3" in str(err.value)


# --------------------------------------------------------------------------- BNG without a CRS

def test_bng_geopackage_without_crs_is_placed(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        path = hostile.bng_gpkg_without_crs(tmp_path / "g.gpkg", n=3)
    frame = read_table(path)
    assert frame[GEOMETRY_LON].astype(float).between(-2.0, -1.9).all()
    assert frame[GEOMETRY_LAT].astype(float).between(52.0, 52.1).all()
    assert "EPSG:27700" in frame.attrs["warnings"][0] and "no coordinate reference system" in frame.attrs["warnings"][0]
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted) == (3, 3)  # regression: all three were 'outside the UK'
    from geo.sites.store import SiteStore

    assert set(SiteStore(tmp_path / "s.sqlite").current_sites()["ward_code"]) == {W1}


# --------------------------------------------------------------------------- counts and formulas in

def test_huge_people_named_not_a_traceback(tmp_path: Path) -> None:
    """1e19 people: a rejection or DataError naming the row and column, never a TypeError."""
    path = hostile.huge_people_csv(tmp_path / "h.csv")
    try:
        result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    except DataError as exc:
        assert "h.csv" in str(exc)
        return
    assert result.accepted + result.rejected == result.read == 3
    rows = {r["row"] for r in result.rejections}
    assert {2, 3} <= rows


def test_formula_cells_read_as_values(tmp_path: Path) -> None:
    frame = read_table(hostile.formula_cells_xlsx(tmp_path / "f.xlsx"))
    assert len(frame) == 2
    # text kept as text, to be made safe on the way out
    assert frame["Name"].tolist()[1] == "@SUM(1+1)", frame.to_dict("records")


def test_ods_is_read(tmp_path: Path) -> None:
    path = hostile.ods_file(tmp_path / "s.ods", hostile.rows(3))
    frame = read_table(path)
    assert len(frame) == 3 and frame.attrs["sheet"] == "Sites"
    result = import_sites(path, tmp_path / "s.sqlite", ward_layer())
    assert (result.read, result.accepted) == (3, 3)


def test_zipped_shapefile_is_read(tmp_path: Path) -> None:
    import zipfile

    import geopandas as gpd
    from shapely.geometry import Point

    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"Reference": ["Z1", "Z2"], "Type": ["Hotel", "Hotel"], "People": [3, 4]},
                     geometry=[Point(hostile.LON, hostile.LAT)] * 2, crs="EPSG:4326").to_file(folder / "sites.shp")
    archive = tmp_path / "sites.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    frame = read_table(archive)
    assert frame["Reference"].tolist() == ["Z1", "Z2"]


# --------------------------------------------------------------------------- official readers

def _asy_d11(path: Path, n: int, claimed: str | None = None) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Data - Asy_D11"
    sheet.append(["Asylum seekers in receipt of support"])
    sheet.append(["Date (as at…)", "Support Type", "UK Region", "Local Authority", "LAD Code",
                  "Accommodation Type", "People"])
    for i in range(n):
        sheet.append(["30 Sep 2024", "Section 95", "Scotland", f"Council {i}", f"S120000{i:02d}",
                      "Dispersal Accommodation", i + 1])
    book.save(path)
    if claimed:
        import zipfile

        tmp = path.with_name("tmp_" + path.name)
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename.startswith("xl/worksheets/sheet"):
                    import re

                    data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + claimed.encode() + b'"', data)
                dst.writestr(item, data)
        tmp.replace(path)
    return path


def test_asy_d11_reads_every_row_whatever_dimension(tmp_path: Path) -> None:
    from geo.asylum_stats import read_asy_d11

    stats = read_asy_d11(_asy_d11(tmp_path / "asy.xlsx", 12, claimed="A1:G4"))
    assert int(stats.table["people"].sum()) == sum(range(1, 13))


def test_asy_d11_zip_bomb_refused(tmp_path: Path) -> None:
    from geo.asylum_stats import read_asy_d11

    with pytest.raises(DataError, match="AAM_MAX_ZIP_RATIO"):
        read_asy_d11(hostile.zip_bomb(tmp_path / "asy.xlsx"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "cp1252"])
def test_reg02_style_csv_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    from geo.asylum_stats import read_quarterly_totals

    text = "lad_code,lad_name,as_at,supported_asylum\r\nE06000001,Hartlepool £,2025-12-31,120\r\n" \
           "E06000002,Middlesbrough,2025-12-31,\"1,204\"\r\n"
    path = tmp_path / "q.csv"
    path.write_bytes(text.encode(encoding))
    frame = read_quarterly_totals(path)
    assert frame["supported"].tolist() == [120, 1204]
    assert frame["lad_name"].iloc[0] == "Hartlepool £"


def test_postcode_directory_utf16(tmp_path: Path) -> None:
    from geo.sites.geocode import read_postcode_directory

    path = tmp_path / "nspl.csv"
    path.write_bytes("pcds,lat,long\r\nAB1 2CD,52.04,-1.96\r\n".encode("utf-16"))
    table = read_postcode_directory(path)
    assert table["postcode"].tolist() == ["AB1 2CD"]


def test_boundaries_zip_bomb_refused(tmp_path: Path) -> None:
    from geo.boundaries import read_boundaries

    with pytest.raises(DataError, match="bomb.zip"):
        read_boundaries(hostile.zip_bomb(tmp_path / "bomb.zip"))


@pytest.mark.parametrize("people", [10**19, 2**63, 10**20, "10000000000000000000"])
def test_asy_d11_huge_people_is_a_data_error(tmp_path: Path, people: object) -> None:
    """Regression: 2**63 wrapped to a negative total; 1e20 raised OverflowError; no row named."""
    from openpyxl import Workbook

    from geo.asylum_stats import read_asy_d11

    book = Workbook()
    sheet = book.active
    sheet.title = "Data - Asy_D11"
    sheet.append(["Date (as at…)", "Support Type", "UK Region", "Local Authority", "LAD Code",
                  "Accommodation Type", "People"])
    sheet.append(["30 Sep 2024", "Section 95", "Scotland", "C", "S12000001", "Dispersal Accommodation", people])
    book.save(tmp_path / "asy.xlsx")
    with pytest.raises(DataError) as err:
        read_asy_d11(tmp_path / "asy.xlsx")
    assert "row 2" in str(err.value) and "People" in str(err.value)


@pytest.mark.parametrize("value", ["10000000000000000000", "٣"])
def test_home_office_csv_counts_are_range_checked(tmp_path: Path, value: str) -> None:
    """Regression: a 20-digit count overflowed; a non-ASCII digit became a blank, silently."""
    from geo.asylum_stats import read_quarterly_totals

    path = tmp_path / "q.csv"
    path.write_text(f"lad_code,lad_name,as_at,supported_asylum\nE06000001,H,2025-12-31,{value}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_quarterly_totals(path)
    assert "row 2" in str(err.value) and "supported_asylum" in str(err.value)


def test_zip_that_understates_its_sizes_is_refused(tmp_path: Path) -> None:
    """A directory declaring a tiny part would pass the size checks; the CRC check refuses it."""
    import struct
    import zipfile

    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 200_000)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset:at + offset + 4] = struct.pack("<I", 100)  # declare 100 bytes
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert sum(m.file_size for m in z.infolist()) == 100
    with pytest.raises(DataError, match="liar.xlsx"):
        reading.check_zip(path)
