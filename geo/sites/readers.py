"""Read a council's site file (CSV, Excel, GeoJSON, GeoPackage) into a raw table of cells.

Nothing is interpreted here: cells stay as the file holds them so that rejections can quote the
original values and the download of rejected rows round-trips. Each row keeps the number a user
sees in their spreadsheet (header = row 1, first data row = row 2; features count from 1) in
the ``_source_row`` column, which is what every message about a row refers to.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import DataError
from geo.sites.schema import GEOMETRY_LAT, GEOMETRY_LON, GEOMETRY_PROBLEM, ROW, load_aliases, squash

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
GEO_SUFFIXES = {".geojson", ".json", ".gpkg"}
SUPPORTED = sorted(CSV_SUFFIXES | EXCEL_SUFFIXES | GEO_SUFFIXES)
# Encodings councils' exports actually come in; latin-1 last because it never fails.
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
HEADER_SCAN_ROWS = 20


def read_table(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read any supported site file; ``sheet`` names an Excel sheet or a GeoPackage layer."""
    path = Path(path)
    if not path.is_file():
        raise DataError("file not found", file=path)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        frame = read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        frame = read_excel(path, sheet=sheet)
    elif suffix in GEO_SUFFIXES:
        frame = read_geo(path, layer=sheet)
    elif suffix == ".xls":
        raise DataError("old .xls workbooks are not supported: save it as .xlsx or .csv", file=path)
    else:
        raise DataError(f"unsupported file type '{suffix}' (use {', '.join(SUPPORTED)})", file=path)
    frame.attrs["file"] = path.name
    return frame


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding that read it: UTF-8 (with or without BOM), then Windows-1252."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv(path: Path) -> pd.DataFrame:
    """CSV in any common encoding and delimiter; row numbers count every physical record."""
    text, encoding = decode(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    frame = _frame_from_rows(rows, path, sheet=None)
    frame.attrs["encoding"] = encoding
    return frame


def read_excel(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """First sheet (or the named one) of an .xlsx; values as Excel holds them (dates as datetimes)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise DataError(f"cannot open as an Excel workbook ({exc.__class__.__name__}: {exc})", file=path) from exc
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise DataError(f"no sheet '{sheet}' (sheets: {', '.join(book.sheetnames)})", file=path)
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        frame = _frame_from_rows(rows, path, sheet=ws.title)
    finally:
        book.close()
    frame.attrs["sheet"] = ws.title
    return frame


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _header_row(rows: list[list[Any]]) -> int:
    """0-based index of the header: the first row naming two known fields, else the first non-blank row."""
    known = {squash(s) for spellings in load_aliases()["fields"].values() for s in spellings}
    first = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [c for c in row if not _blank(c)]
        if not cells:
            continue
        if first is None:
            first = i
        if sum(squash(c) in known for c in cells) >= 2:
            return i
    if first is None:
        return 0
    return first


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _headers(raw: list[Any]) -> list[str]:
    """Strip headings, name blank ones by spreadsheet letter, make repeats unique."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(raw):
        name = "" if _blank(cell) else re.sub(r"\s+", " ", str(cell)).strip()
        name = name or f"Column {_column_letter(i)}"
        if name == ROW:
            name = f"{ROW} (file)"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _frame_from_rows(rows: list[list[Any]], path: Path, sheet: str | None) -> pd.DataFrame:
    if not rows or all(all(_blank(c) for c in r) for r in rows):
        raise DataError("the file is empty", file=path, sheet=sheet)
    h = _header_row(rows)
    header = list(rows[h])
    width = max(len(r) for r in rows[h:])
    # Trailing cells beyond the last heading are kept only if some row fills them.
    while width > len(header) and all(len(r) <= len(header) or all(_blank(c) for c in r[len(header):])
                                      for r in rows[h + 1:]):
        width -= 1
    names = _headers(header + [None] * (width - len(header)))
    data, numbers = [], []
    for i, row in enumerate(rows[h + 1:], start=h + 2):
        if all(_blank(c) for c in row):
            continue  # a blank line is not a record; the numbering still counts it
        cells = list(row[:width]) + [None] * (width - len(row))
        data.append([None if _blank(c) else c for c in cells])
        numbers.append(i)
    frame = pd.DataFrame(data, columns=names, dtype=object)
    frame.insert(0, ROW, pd.Series(numbers, dtype="int64"))
    frame.attrs["header_row"] = h + 1
    return frame


def read_geo(path: Path, layer: str | None = None) -> pd.DataFrame:
    """GeoJSON or GeoPackage: attributes plus point positions as WGS84 longitude/latitude."""
    import geopandas as gpd
    import shapely

    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DataError(f"cannot read as GeoJSON/GeoPackage ({exc.__class__.__name__}: {exc})", file=path) from exc
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")  # RFC 7946: GeoJSON without a CRS is WGS84
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    geoms = gdf.geometry.values
    kinds = np.asarray(shapely.get_type_id(geoms))
    single = kinds == 0  # Point
    multi = (kinds == 4) & (np.asarray(shapely.get_num_geometries(geoms)) == 1)
    points = np.where(multi, shapely.get_geometry(geoms, 0), geoms)
    ok = (single | multi) & ~np.asarray(shapely.is_empty(points))
    lon = np.full(len(gdf), np.nan)
    lat = np.full(len(gdf), np.nan)
    if ok.any():
        lon[ok] = shapely.get_x(points[ok])
        lat[ok] = shapely.get_y(points[ok])
    problem = np.where(ok | shapely.is_missing(geoms) | shapely.is_empty(geoms), None,
                       np.array([f"geometry is a {g.geom_type if g is not None else 'missing'}, not a point"
                                 for g in geoms], dtype=object))
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    attrs = attrs.where(attrs.notna(), None)
    attrs.columns = _headers(list(attrs.columns))
    frame = attrs.reset_index(drop=True)
    frame[GEOMETRY_LON] = pd.Series(lon, dtype=object).where(~np.isnan(lon), None)
    frame[GEOMETRY_LAT] = pd.Series(lat, dtype=object).where(~np.isnan(lat), None)
    if any(p is not None for p in problem):
        frame[GEOMETRY_PROBLEM] = pd.Series(problem, dtype=object)
    frame.insert(0, ROW, pd.Series(np.arange(1, len(frame) + 1), dtype="int64"))
    if layer:
        frame.attrs["sheet"] = layer
    return frame
