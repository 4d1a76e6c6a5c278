"""Read a council's site file (CSV, Excel, ODS, GeoJSON, GeoPackage, zipped Shapefile) into raw cells.

Nothing is interpreted here: cells stay as the file holds them so that rejections can quote the
original values and the download of rejected rows round-trips. Each row keeps the number a user
sees in their spreadsheet (header = row 1, first data row = row 2; features count from 1) in
the ``_source_row`` column, which is what every message about a row refers to.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo import reading
from geo.errors import DataError
from geo.sites.schema import GEOMETRY_LAT, GEOMETRY_LON, GEOMETRY_PROBLEM, ROW, load_aliases, squash

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
ODS_SUFFIXES = {".ods"}
GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip"}
SUPPORTED = sorted(CSV_SUFFIXES | EXCEL_SUFFIXES | ODS_SUFFIXES | GEO_SUFFIXES)
HEADER_SCAN_ROWS = 20
BNG = "EPSG:27700"


def read_table(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read any supported site file; ``sheet`` names a spreadsheet sheet or a GeoPackage layer.

    Every file passes the bounded reading layer (``geo.reading``) first: size cap and, for
    zipped formats, the zip-bomb check, before any parser sees it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataError("old .xls workbooks are not supported: save it as .xlsx, .ods or .csv", file=path)
    if suffix not in set(SUPPORTED):
        raise DataError(f"unsupported file type '{suffix}' (use {', '.join(SUPPORTED)})", file=path)
    reading.check_file(path, reading.SITE)
    if suffix in CSV_SUFFIXES:
        frame = read_csv(path)
    elif suffix in EXCEL_SUFFIXES:
        frame = read_excel(path, sheet=sheet)
    elif suffix in ODS_SUFFIXES:
        frame = read_ods(path, sheet=sheet)
    else:
        frame = read_geo(path, layer=sheet)
    frame.attrs["file"] = path.name
    return frame


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding that read it (see ``geo.reading.decode``; a guess is labelled so)."""
    decoded = reading.decode(data)
    return decoded.text, decoded.encoding


def read_csv(path: Path) -> pd.DataFrame:
    """CSV in any common encoding and delimiter; row numbers count every physical record."""
    decoded = reading.read_text(path, reading.SITE)
    rows = reading.csv_rows(decoded.text, file=path, kind=reading.SITE)
    frame = _frame_from_rows(rows, path, sheet=None)
    frame.attrs["encoding"] = decoded.encoding
    frame.attrs["encoding_guessed"] = decoded.guessed
    if decoded.guessed:
        frame.attrs.setdefault("warnings", []).append(guessed_encoding_warning(path.name, decoded.encoding))
    return frame


def guessed_encoding_warning(file_name: str, encoding: str) -> str:
    """The one sentence for a file whose encoding had to be guessed (read whole or streamed)."""
    return f"{file_name} is not UTF-8 or UTF-16; read as {encoding}, a guess: check accented names"


def read_excel(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """First sheet (or the named one) of an .xlsx; values as Excel holds them (dates as datetimes).

    Every row is read whatever the sheet's ``<dimension>`` tag claims (see ``geo.reading``).
    """
    title, rows = reading.xlsx_rows(path, sheet)
    frame = _frame_from_rows(rows, path, sheet=title)
    frame.attrs["sheet"] = title
    return frame


def read_ods(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """First sheet (or the named one) of an OpenDocument spreadsheet, read with calamine."""
    book = reading.open_workbook(path, reading.SITE)
    names = list(book.sheet_names)
    if not names:
        raise DataError("the spreadsheet has no sheets", file=path)
    if sheet is not None and sheet not in names:
        raise DataError(f"no sheet '{sheet}' (sheets: {', '.join(names)})", file=path)
    title = sheet or names[0]
    frame = _frame_from_rows(reading.sheet_rows(book, title, file=path), path, sheet=title)
    frame.attrs["sheet"] = title
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


def _looks_like_grid_metres(gdf: Any) -> bool:
    """Coordinates in British National Grid's range (metres) rather than degrees."""
    import shapely

    geoms = gdf.geometry.values
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not usable.any():
        return False
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[usable])
    degrees = minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    return not degrees and minx >= 0 and maxx <= 700_000 and miny >= 0 and maxy <= 1_300_000


GEOJSON_MAX_FEATURE_MB = 1  # a site is a point with a few fields: a feature over 1 MB is a shape, not a site
GEOMETRY_UNREADABLE = "__aam_unreadable_geometry__"  # marks features GDAL read but GEOS could not build
UNREADABLE = "unreadable"


def _read_geo_frame(path: Path, layer: str | None) -> Any:
    """The file as a GeoDataFrame, refusing it when it holds more features than the row cap.

    Bounded memory: GDAL parses a GeoJSON feature whole, about 20 times its size (a 41 MB polygon
    of a million vertices took 812 MB), so a GeoJSON feature over ``GEOJSON_MAX_FEATURE_MB`` is
    refused before it is loaded. A geometry that cannot be built (a polygon ring that does not
    close) no longer fails the whole file: its feature gets ``UNREADABLE`` in the ``unreadable``
    attribute, so that row alone is rejected, by its number; GDAL's own warnings stay out of what
    the person reads.
    """
    import warnings

    import geopandas as gpd
    import pyogrio

    zipped = path.suffix.lower() == ".zip"
    source = f"zip://{path}" if zipped else str(path)
    kind = "a zipped Shapefile" if zipped else "GeoJSON/GeoPackage"
    limit = {"OGR_GEOJSON_MAX_OBJ_SIZE": str(GEOJSON_MAX_FEATURE_MB)}
    before = {k: pyogrio.get_gdal_config_option(k) for k in limit}
    try:
        pyogrio.set_gdal_config_options(limit)  # process-wide; put back below (other layers are not sites)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's warnings: the row's own rejection says what is wrong
            info = pyogrio.read_info(source, layer=layer) if layer else pyogrio.read_info(source)
            cap = reading.max_rows()
            if int(info.get("features") or 0) > cap:
                raise DataError(f"{int(info['features']):,} features, more than {cap:,} "
                                "(set AAM_MAX_ROWS to allow more)", file=path, sheet=layer)
            options = {"layer": layer} if layer else {}
            gdf = gpd.read_file(source, on_invalid="ignore", **options)
            if gdf.geometry.isna().any():  # missing, or present but unbuildable: which is which
                import shapely

                _, _, wkb, _ = pyogrio.raw.read(source, columns=[], **options)
                built = shapely.from_wkb(wkb, on_invalid="ignore")
                broken = shapely.is_missing(built) & np.array([w is not None for w in wkb], dtype=bool)
                if broken.any():
                    gdf[GEOMETRY_UNREADABLE] = pd.Series(broken, index=gdf.index).map({True: UNREADABLE, False: None})
            return gdf
    except DataError:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        if "too complex/large" in str(exc):
            where = re.search(r"character (\d+)", str(exc))
            raise DataError(f"a feature{f' near character {int(where.group(1)):,}' if where else ''} is larger than "
                            f"{GEOJSON_MAX_FEATURE_MB} MB; a site file holds one point per site, so a file of large "
                            "shapes is refused before it is loaded (convert the shapes to points first)",
                            file=path) from None
        raise DataError(f"cannot read as {kind} ({exc.__class__.__name__}: {exc})", file=path) from None
    finally:
        pyogrio.set_gdal_config_options(before)


def grid_metres_warning(file_name: str, declared: str | None) -> str:
    """The one message for coordinates read as British National Grid against what the file said."""
    said = f"says its coordinates are {declared} (degrees)" if declared else "names no coordinate reference system"
    return (f"{file_name} {said}, but they are in British National Grid's range of metres: "
            "read as British National Grid (EPSG:27700)")


def read_geo(path: Path, layer: str | None = None) -> pd.DataFrame:
    """GeoJSON, GeoPackage or zipped Shapefile: attributes plus point positions as WGS84 lon/lat.

    A file that names no CRS is WGS84 (RFC 7946) unless its coordinates are plainly British
    National Grid metres: then it is read as EPSG:27700 and the frame's ``warnings`` say the CRS
    was missing, instead of every point being rejected as outside the UK.
    """
    import shapely

    gdf = _read_geo_frame(path, layer)
    warnings: list[str] = []
    if gdf.crs is None and _looks_like_grid_metres(gdf):
        gdf = gdf.set_crs(BNG)
        warnings.append(grid_metres_warning(path.name, None))
    elif gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")  # RFC 7946: GeoJSON without a CRS is WGS84
    elif gdf.crs.is_geographic and _looks_like_grid_metres(gdf):
        declared = gdf.crs.name  # before the override: the message says what the file claimed
        gdf = gdf.set_crs(BNG, allow_override=True)
        warnings.append(grid_metres_warning(path.name, declared))
    if gdf.crs.to_epsg() != 4326:
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
    problem = np.array([f"geometry is a {g.geom_type if g is not None else 'missing'}, not a point"
                        for g in geoms], dtype=object)
    problem[np.asarray(ok | shapely.is_missing(geoms) | shapely.is_empty(geoms), dtype=bool)] = None
    if GEOMETRY_UNREADABLE in gdf.columns:
        broken = (gdf[GEOMETRY_UNREADABLE] == UNREADABLE).to_numpy()
        problem[broken] = "geometry cannot be read (a polygon ring that does not close?): a site is a point"
        gdf = gdf.drop(columns=GEOMETRY_UNREADABLE)
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
    if warnings:
        frame.attrs["warnings"] = warnings
    return frame
