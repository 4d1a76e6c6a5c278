"""Property-based tests (hypothesis) for every reader (issue 13).

Each random or hostile input ends in a correct result or one clear DataError; for site files,
accepted + rejected always equals the rows read. Examples are bounded (``AAM_HYPOTHESIS_EXAMPLES``,
default 15, no deadline) so CI stays fast; raise the number locally to search harder.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from fixtures_sites import ward_layer
from geo.errors import DataError, GeoError

settings.register_profile("aam", max_examples=int(os.environ.get("AAM_HYPOTHESIS_EXAMPLES", "15")),
                          deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("aam")

HEADER = ["Reference", "Type", "Latitude", "Longitude", "People", "Name"]
# Text that councils' files (and attackers) put in cells: formulas, quotes, separators, accents,
# line breaks, right-to-left marks, NULs and emoji.
CELL_TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 ,;|\t\"'=+-@é£€\u200f\n\r\x00😀<>[]()*_#!")),
                    max_size=12)
CELL = st.one_of(CELL_TEXT, st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=False).map(str),
                 st.just(""))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="aam-prop-"))


def _write_csv(rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path | None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return None  # cp1252 cannot hold this text: not a file anyone could have
    path = _tmp() / "sites.csv"
    path.write_bytes(data)
    return path


def _blank(cell: object) -> bool:
    return cell is None or str(cell).strip() == ""


# --------------------------------------------------------------------------- site files

@given(body=st.lists(st.lists(CELL, min_size=6, max_size=6), min_size=1, max_size=8),
       encoding=st.sampled_from(ENCODINGS))
def test_site_csv_reads_every_row_or_refuses(body: list[list[str]], encoding: str) -> None:
    from geo.sites.readers import read_table

    rows = [HEADER] + body
    path = _write_csv(rows, encoding)
    if path is None:
        return
    try:
        frame = read_table(path)
    except DataError as exc:
        assert "sites.csv" in str(exc)
        return
    wanted = [r for r in body if not all(_blank(c) for c in r)]
    assert len(frame) == len(wanted)
    for got, row in zip(frame[HEADER].itertuples(index=False), wanted, strict=False):
        assert [None if _blank(c) else c for c in row] == [None if _blank(c) else c for c in got]


@given(body=st.lists(st.lists(CELL, min_size=6, max_size=6), min_size=1, max_size=6),
       encoding=st.sampled_from(ENCODINGS))
@settings(max_examples=int(os.environ.get("AAM_HYPOTHESIS_EXAMPLES", "15")) // 2 or 1)
def test_site_import_accepted_plus_rejected_is_rows_read(body: list[list[str]], encoding: str) -> None:
    from geo.sites.importer import import_sites

    path = _write_csv([HEADER] + body, encoding)
    if path is None:
        return
    try:
        result = import_sites(path, path.parent / "s.sqlite", ward_layer())
    except GeoError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert result.accepted + result.rejected == result.read
    assert result.read == sum(not all(_blank(c) for c in r) for r in body)


XLSX_CELL = st.one_of(st.none(), st.integers(-10**15, 10**15), st.floats(-1e9, 1e9, allow_nan=False),
                      CELL_TEXT.filter(lambda t: not t.startswith("=") and "\x00" not in t and "\r" not in t))


@given(body=st.lists(st.lists(XLSX_CELL, min_size=6, max_size=6), min_size=1, max_size=8),
       claimed=st.sampled_from([None, "A1:B2", "A1:F1", "A1"]))
def test_site_xlsx_reads_every_row_whatever_dimension(body: list[list[object]], claimed: str | None) -> None:
    from openpyxl import Workbook

    from geo.sites.readers import read_table

    book = Workbook()
    for row in [HEADER] + body:
        book.active.append(row)
    path = _tmp() / "sites.xlsx"
    book.save(path)
    if claimed:
        import re
        import zipfile

        src = path.with_name("src.xlsx")
        path.rename(src)
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename.startswith("xl/worksheets/"):
                    data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + claimed.encode() + b'"', data)
                zout.writestr(item, data)
    try:
        frame = read_table(path)
    except DataError as exc:
        assert "sites.xlsx" in str(exc)
        return
    wanted = [r for r in body if not all(_blank(c) for c in r)]
    assert len(frame) == len(wanted)


@given(body=st.lists(st.lists(st.one_of(st.integers(0, 500), CELL_TEXT.filter(lambda t: "\x00" not in t)),
                              min_size=5, max_size=5), min_size=1, max_size=6))
@settings(max_examples=8)
def test_site_ods_reads_every_row(body: list[list[object]]) -> None:
    from geo.sites.readers import read_table

    path = hostile.ods_file(_tmp() / "sites.ods", [hostile.HEADER] + body)
    try:
        frame = read_table(path)
    except DataError as exc:
        assert "sites.ods" in str(exc)
        return
    assert len(frame) == sum(not all(_blank(c) for c in r) for r in body)


POINT = st.tuples(st.floats(-8.0, 2.0), st.floats(49.9, 60.9))
BNG_POINT = st.tuples(st.floats(0, 700_000), st.floats(0, 1_250_000))


@given(points=st.lists(st.one_of(POINT, BNG_POINT), min_size=1, max_size=6),
       names=st.lists(CELL_TEXT.filter(lambda t: "\x00" not in t), min_size=6, max_size=6),
       fmt=st.sampled_from(["geojson", "gpkg"]), crs=st.sampled_from([None, "EPSG:4326", "EPSG:27700"]))
@settings(max_examples=8)
def test_site_geo_files(points: list[tuple[float, float]], names: list[str], fmt: str, crs: str | None) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from geo.sites.readers import read_table

    gdf = gpd.GeoDataFrame({"Reference": [f"G{i}" for i in range(len(points))], "Name": names[:len(points)]},
                           geometry=[Point(x, y) for x, y in points], crs=crs)
    path = _tmp() / f"sites.{fmt}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(path, driver="GPKG" if fmt == "gpkg" else "GeoJSON")
    try:
        frame = read_table(path)
    except DataError as exc:
        assert path.name in str(exc)
        return
    assert len(frame) == len(points)
    lon = pd.to_numeric(frame["geometry_longitude"], errors="coerce")
    assert lon.notna().all()


# --------------------------------------------------------------------------- Home Office files

PEOPLE = st.one_of(st.integers(0, 10**6), st.integers(-5, 10**20), st.just("1e19"), st.just("n/a"),
                   st.just("1,234"), st.just(""), st.sampled_from([2**63, 10**19, 10**20, 10**15, "٣"]))


@given(people=st.lists(PEOPLE, min_size=1, max_size=8))
@settings(max_examples=10)
def test_asy_d11_reads_or_names_the_row(people: list[object]) -> None:
    from openpyxl import Workbook

    from geo.asylum_stats import read_asy_d11

    book = Workbook()
    sheet = book.active
    sheet.title = "Data - Asy_D11"
    sheet.append(["Date (as at…)", "Support Type", "UK Region", "Local Authority", "LAD Code",
                  "Accommodation Type", "People"])
    for i, n in enumerate(people):
        sheet.append(["30 Sep 2024", "Section 95", "Scotland", f"C{i}", f"S120000{i:02d}",
                      "Dispersal Accommodation", n])
    path = _tmp() / "asy.xlsx"
    book.save(path)
    try:
        stats = read_asy_d11(path)
    except DataError as exc:
        assert "asy.xlsx" in str(exc) and "row" in str(exc)
        return
    expected = sum(int(str(n).replace(",", "")) for n in people if str(n).strip() not in ("",))
    assert int(stats.table["people"].sum()) == expected
    assert all(0 <= int(str(n).replace(",", "")) < 10**15 for n in people if str(n).strip())


NUMBER_TEXT = st.one_of(st.integers(0, 10**7).map(str), st.integers(-10**20, 10**20).map(str),
                        st.sampled_from(["", "1e19", "12.5", "1,204", " 7 ", "abc", "٣"]))


@given(values=st.lists(NUMBER_TEXT, min_size=1, max_size=8), encoding=st.sampled_from(ENCODINGS))
def test_quarterly_series_reads_or_names_the_cell(values: list[str], encoding: str) -> None:
    from geo.asylum_stats import read_quarterly_totals

    rows = [["lad_code", "lad_name", "as_at", "supported_asylum"]]
    rows += [[f"E0600000{i % 10}", f"Council {i}", "2025-12-31", v] for i, v in enumerate(values)]
    path = _write_csv(rows, encoding)
    if path is None:
        return
    try:
        frame = read_quarterly_totals(path)
    except DataError as exc:
        assert "sites.csv" in str(exc)
        return
    assert len(frame) == len(values)
    for got, text in zip(frame["supported"], values, strict=False):
        clean = text.replace(",", "").strip()
        assert (pd.isna(got) and clean == "") or int(got) == int(clean)


@given(values=st.lists(NUMBER_TEXT, min_size=1, max_size=6))
@settings(max_examples=10)
def test_reg02_reads_or_names_the_cell(values: list[str]) -> None:
    from geo.asylum_stats import read_reg02

    cols = ["lad_code", "lad_name", "region", "country", "population", "supported_asylum",
            "initial_accommodation", "dispersal_accommodation", "contingency_accommodation",
            "other_accommodation", "subsistence_only", "as_at"]
    rows = [cols] + [[f"E0600000{i}", "X", "North East", "England", v, "1", "0", "1", "0", "0", "0", "2025-12-31"]
                     for i, v in enumerate(values)]
    path = _write_csv(rows, "utf-8")
    try:
        frame = read_reg02(path)
    except DataError as exc:
        assert "sites.csv" in str(exc)
        return
    assert len(frame) == len(values)


# --------------------------------------------------------------------------- boundaries and postcodes

@given(n=st.integers(1, 5), names=st.lists(CELL_TEXT.filter(lambda t: "\x00" not in t), min_size=5, max_size=5),
       bng=st.booleans(), duplicate=st.booleans())
@settings(max_examples=8)
def test_boundaries_read_every_feature_or_refuse(n: int, names: list[str], bng: bool, duplicate: bool) -> None:
    from shapely.geometry import box

    from geo.boundaries import read_boundaries

    codes = [f"E0500{i:04d}" for i in range(n)]
    if duplicate and n > 1:
        codes[-1] = codes[0]
    if bng:
        geoms = [box(400000 + i * 1000, 300000, 400900 + i * 1000, 300900) for i in range(n)]
    else:
        geoms = [box(-1.9 + i * 0.01, 52.0, -1.895 + i * 0.01, 52.005) for i in range(n)]
    features = [{"type": "Feature", "properties": {"WD23CD": c, "WD23NM": names[i]},
                 "geometry": json.loads(json.dumps(g.__geo_interface__))}
                for i, (c, g) in enumerate(zip(codes, geoms, strict=True))]
    path = _tmp() / "wards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    try:
        layer = read_boundaries(path)
    except DataError as exc:
        assert "wards.geojson" in str(exc)
        assert duplicate and n > 1
        return
    assert layer.features == n
    minx, miny, maxx, maxy = layer.gdf.total_bounds
    assert -9 < minx < 3 and 49 < miny < 61  # BNG metres without a CRS were read as BNG


@given(rows=st.lists(st.tuples(st.sampled_from(["AB1 2CD", "ab12cd", "SW1A 1AA", "nonsense", ""]),
                               NUMBER_TEXT, NUMBER_TEXT), min_size=1, max_size=6),
       encoding=st.sampled_from(ENCODINGS))
def test_postcode_directory_reads_or_refuses(rows: list[tuple[str, str, str]], encoding: str) -> None:
    from geo.sites.geocode import read_postcode_directory

    path = _write_csv([["pcds", "lat", "long"]] + [list(r) for r in rows], encoding)
    if path is None:
        return
    try:
        table = read_postcode_directory(path)
    except DataError as exc:
        assert "sites.csv" in str(exc)
        return
    assert set(table["postcode"]) <= {"AB1 2CD", "SW1A 1AA"}
    assert table["latitude"].notna().all() and table["longitude"].notna().all()
