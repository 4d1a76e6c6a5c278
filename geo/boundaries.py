"""Read ONS boundaries of any vintage and format into one shape the rest of the product uses.

The level (LAD or ward) and the code and name columns are detected from the publishers' naming
(``LAD23CD``, ``lad24nm``, ``WD24CD``...), so a new vintage needs no code change. Geometry is
reprojected to WGS84 (EPSG:4326) and repaired; a metric copy (British National Grid) gives areas.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import DataError

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

_LEVELS = {"LAD": "lad", "LTLA": "lad", "WD": "ward"}
_CODE_RE = re.compile(r"^(LAD|LTLA|WD)(\d{2})(CD)$", re.I)
# GSS code prefixes for each level, used when column names alone do not settle it.
_GSS_PREFIX = {"lad": re.compile(r"^[EWSN](06|07|08|09|12|13)\d{6}$|^N09\d{6}$"),
               "ward": re.compile(r"^[EWSN](05|13)\d{6}$|^N08\d{6}$|^S13\d{6}$")}


@dataclass
class BoundaryLayer:
    """A boundary layer in the product's shape plus what was detected about its source."""

    gdf: gpd.GeoDataFrame
    level: str
    code_column: str
    name_column: str
    source: Path
    source_crs: str | None
    repaired: int

    @property
    def features(self) -> int:
        return len(self.gdf)


def detect_columns(columns: list[str]) -> tuple[str, str, str]:
    """(level, code column, name column) from ONS column naming, newest vintage first."""
    found = []
    for col in columns:
        m = _CODE_RE.match(col)
        if m:
            found.append((int(m.group(2)), _LEVELS[m.group(1).upper()], col, m.group(1)))
    if not found:
        raise DataError("no ONS code column (such as LAD23CD or WD24CD) in "
                        f"{', '.join(map(str, columns))}")
    # Wards files may carry a LAD column too: the ward column defines the level.
    found.sort(key=lambda f: (f[1] != "ward", -f[0]))
    year, level, code_col, prefix = found[0]
    lower = {c.lower(): c for c in columns}
    name_col = lower.get(f"{prefix}{year:02d}nm".lower())
    if name_col is None:
        raise DataError(f"code column {code_col} has no matching name column {prefix}{year:02d}NM")
    return level, code_col, name_col


def _guess_crs(gdf: gpd.GeoDataFrame) -> str:
    """Files without a CRS: British National Grid if coordinates are metres in GB's range."""
    minx, miny, maxx, maxy = gdf.total_bounds
    if minx >= -1e5 and maxx <= 8e5 and miny >= -1e5 and maxy <= 1.3e6 and maxx > 1000:
        return BNG
    return WGS84


def _metres_labelled_degrees(gdf: gpd.GeoDataFrame) -> bool:
    """GeoJSON readers assume WGS84 when a file names no CRS, so a BNG export arrives mislabelled."""
    if not gdf.crs.is_geographic or gdf.empty:
        return False
    minx, miny, maxx, maxy = gdf.total_bounds
    return max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90


def _read_any(path: Path) -> gpd.GeoDataFrame:
    suffix = path.suffix.lower()
    from geo import reading  # size cap; a zipped Shapefile passes the zip-bomb check first

    reading.check_file(path, reading.DATA)
    try:
        if suffix in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        if suffix == ".zip":
            return gpd.read_file(f"zip://{path}")
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio/arrow raise many types; one clear line is what users need
        raise DataError(f"cannot read as boundaries ({exc.__class__.__name__}: {exc})", file=path) from exc


def repair(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Make invalid polygons valid, keeping only their areal part; count how many were fixed."""
    geoms = gdf.geometry.values
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    count = int(invalid.sum())
    if count:
        fixed = shapely.make_valid(geoms[invalid])
        fixed = [_polygonal(g) for g in fixed]
        gdf = gdf.copy()
        gdf.loc[invalid, gdf.geometry.name] = fixed
    return gdf, count


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    if geom.geom_type == "GeometryCollection":
        parts = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(parts) if parts else geom
    return geom


def read_boundaries(path: str | Path) -> BoundaryLayer:
    """Read GeoJSON, GeoPackage, zipped Shapefile or GeoParquet into the product's shape."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=path)
    raw = _read_any(path)
    try:
        level, code_col, name_col = detect_columns([c for c in raw.columns if c != raw.geometry.name])
    except DataError as exc:
        raise DataError(exc.message, file=path) from None
    source_crs = raw.crs.to_string() if raw.crs is not None else None
    if raw.crs is None or _metres_labelled_degrees(raw):
        raw = raw.set_crs(_guess_crs(raw), allow_override=True)
    gdf = raw.to_crs(WGS84) if raw.crs.to_epsg() != 4326 else raw
    gdf, repaired = repair(gdf)
    out = gpd.GeoDataFrame(
        {f"{level}_code": gdf[code_col].astype(str).str.strip(),
         f"{level}_name": gdf[name_col].astype(str).str.strip()},
        geometry=gdf.geometry.values, crs=WGS84)
    if level == "ward":
        lad = _lad_columns(gdf)
        if lad is not None:
            out["lad_code"], out["lad_name"] = lad
    duplicates = out[f"{level}_code"].duplicated()
    if duplicates.any():
        raise DataError(f"code {out[f'{level}_code'][duplicates].iloc[0]} appears more than once",
                        file=path, column=code_col)
    out["area_km2"] = out.geometry.to_crs(BNG).area.to_numpy() / 1e6
    return BoundaryLayer(out, level, code_col, name_col, path, source_crs, repaired)


def _lad_columns(gdf: pd.DataFrame) -> tuple[pd.Series, pd.Series] | None:
    codes = [c for c in gdf.columns if re.match(r"^LAD\d{2}CD$", c, re.I)]
    if not codes:
        return None
    code = sorted(codes)[-1]
    name = next((c for c in gdf.columns if c.lower() == code.lower()[:-2] + "nm"), None)
    return gdf[code].astype(str), (gdf[name].astype(str) if name else pd.Series(pd.NA, index=gdf.index))


def read_ward_lad_lookup(path: str | Path) -> pd.DataFrame:
    """The ONS ward -> LAD lookup (any vintage) as ward_code, lad_code, lad_name."""
    path = Path(path)
    from geo import reading  # size and row caps, encoding detected, one DataError on failure

    table = reading.read_csv_table(path, reading.DATA, dtype=str)
    ward = [c for c in table.columns if re.match(r"^WD\d{2}CD$", c, re.I)]
    lad = [c for c in table.columns if re.match(r"^LAD\d{2}CD$", c, re.I)]
    if not ward or not lad:
        raise DataError("lookup needs a WDyyCD and a LADyyCD column", file=path)
    lad_name = lad[-1][:-2] + "NM"
    name_col = next((c for c in table.columns if c.upper() == lad_name.upper()), None)
    return pd.DataFrame({
        "ward_code": table[ward[-1]].str.strip(),
        "lad_code": table[lad[-1]].str.strip(),
        "lad_name": table[name_col].str.strip() if name_col else pd.NA,
    }).drop_duplicates("ward_code")


def attach_lads(wards: gpd.GeoDataFrame, lads: gpd.GeoDataFrame | None,
                lookup: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """Give every ward its LAD: from the published lookup, else by where the ward sits."""
    wards = wards.drop(columns=[c for c in ("lad_code", "lad_name") if c in wards.columns])
    if lookup is not None:
        wards = wards.merge(lookup, on="ward_code", how="left")
    else:
        wards["lad_code"] = pd.Series(pd.NA, index=wards.index, dtype="string")
        wards["lad_name"] = pd.Series(pd.NA, index=wards.index, dtype="string")
    missing = wards["lad_code"].isna()
    if missing.any() and lads is not None:
        points = gpd.GeoDataFrame(geometry=wards.loc[missing].geometry.representative_point(), crs=wards.crs)
        hit = gpd.sjoin(points, lads[["lad_code", "lad_name", "geometry"]], predicate="within", how="left")
        hit = hit[~hit.index.duplicated()]
        wards.loc[missing, "lad_code"] = hit["lad_code"].to_numpy()
        wards.loc[missing, "lad_name"] = hit["lad_name"].to_numpy()
    if lads is not None:
        names = lads.set_index("lad_code")["lad_name"]
        wards["lad_name"] = wards["lad_code"].map(names).fillna(wards["lad_name"])
    return gpd.GeoDataFrame(wards, geometry="geometry", crs=WGS84)


def simplify_for_web(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """A lighter copy for the browser that still has every feature (never an empty polygon).

    Coverage simplification keeps shared edges shared, so neighbouring wards do not gap or overlap.
    """
    metric = gdf.geometry.to_crs(BNG).values
    try:
        simple = shapely.coverage_simplify(metric, tolerance_m)
    except (shapely.errors.GEOSException, AttributeError, ValueError):
        simple = shapely.simplify(metric, tolerance_m, preserve_topology=True)
    empty = shapely.is_empty(simple) | ~shapely.is_valid(simple)
    simple = np.where(empty, metric, simple)
    out = gdf.copy()
    out["geometry"] = gpd.GeoSeries(simple, crs=BNG).to_crs(WGS84).values
    out.geometry.values[:] = shapely.set_precision(out.geometry.values, 1e-5)
    return out
