"""What the dashboard's Export panel asks for, as plain data: file names, markings and the exact
arguments handed to ``static_map.snapshot``, ``exports.export_table`` and ``briefing.briefing_pack``.

Why a module of its own (no Streamlit here): "everything exported is exactly what the screen
shows" is a promise about parameters. Each page builds a request from its own view state (period,
measure, classes method, filters, selected authority) and the same request both names the file
and drives the library call, so a test can rebuild the request from a page's state and check the
file without a browser.

Requests are frozen dataclasses, so they can key a cache.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.disclosure import Role, can_export_sites
from geo.errors import GeoError
from geo.measures import MEASURES, Filters, gap_frame
from geo.render import marking as marking_rules
from geo.sites.measures import MEASURE_COLUMNS
from geo.text import quarter_label
from ui import state as views

PREFIX = "asylum-support"
DEFAULT_ROLE = Role.VIEWER

SNAPSHOT_FORMATS: dict[str, str] = {"png": "PNG", "svg": "SVG", "pdf": "PDF"}
RESOLUTIONS: dict[str, int] = {"screen": 150, "print": 300}
RESOLUTION_LABELS: dict[str, str] = {"screen": "Screen (150 dpi)", "print": "Print (300 dpi)"}
ASPECTS: dict[str, str] = {"16:9": "16:9 (slides)", "A4": "A4 landscape (print)"}
TABLE_FORMATS: dict[str, str] = {"csv": "CSV", "xlsx": "Excel", "geojson": "GeoJSON", "gpkg": "GeoPackage"}
GEO_FORMATS = ("geojson", "gpkg")
MIME: dict[str, str] = {
    "png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf", "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "json": "application/json",
}
# Site-derived ward tables name counts '<type>_people'; exports use the statistics' measure names
# (one mapping, geo.sites.measures.MEASURE_COLUMNS) so geo.disclosure suppresses them and the rates
# built from them.
WARD_EXPORT_NAMES: dict[str, str] = {column: measure for measure, column in MEASURE_COLUMNS.items()}


# ----------------------------------------------------------------------------- naming

def slug(text: Any) -> str:
    """'North West' -> 'north-west'; codes lower-case; nothing but a-z, 0-9 and single dashes."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def area_slug(*, lad_code: str | None = None, lad_name: str | None = None, region: str | None = None,
              filters: Filters | None = None) -> str:
    """Where a file is about: 'e08000012-liverpool', 'north-west', 'wales-scotland' or 'uk'."""
    if lad_code:
        return slug(f"{lad_code} {lad_name}" if lad_name else lad_code)
    if region:
        return slug(region)
    if filters is not None and filters.geographic:
        return "-".join(slug(r) for r in (filters.regions or filters.nations))
    return "uk"


def filter_slug(filters: Filters | None) -> str:
    """Accommodation and support filters as link codes ('hotel-s95'); '' when none are set."""
    if filters is None:
        return ""
    parts = [views.accommodation_code(a) for a in filters.accommodation_types]
    parts += [views.support_code(s) for s in filters.support_types]
    return "-".join(slug(p) for p in parts)


def _join(*parts: str | None) -> str:
    return "-".join(p for p in parts if p)


def _iso(period: Any) -> str | None:
    return None if period is None else pd.Timestamp(period).date().isoformat()


# ----------------------------------------------------------------------------- roles

def site_export_reason(role: Role | str) -> tuple[bool, str]:
    """(allowed, why) for site-level records, in the words the panel shows."""
    parsed = Role.parse(role)
    if can_export_sites(parsed):
        return True, (f"your role ({parsed.value}) may export site-level records under the data-sharing "
                      "agreement; keep them within it")
    return False, (f"your role ({parsed.value}) may not export site-level records under the data-sharing "
                   "agreement (analysts and administrators may); ward and authority figures are available")


# ----------------------------------------------------------------------------- map snapshots

@dataclass(frozen=True)
class MapRequest:
    """One map snapshot: what the screen shows plus format, resolution and aspect."""

    measure: str
    period: str | None  # None: the latest quarter loaded
    made_on: date
    level: str = "lad"
    lad_code: str | None = None
    lad_name: str | None = None
    region: str | None = None
    method: str = views.DEFAULT_CLASSES
    filters: Filters = field(default_factory=Filters)
    fmt: str = "png"
    resolution: str = "screen"
    aspect: str = "16:9"

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise GeoError(f"unknown measure {self.measure!r}; measures: {', '.join(MEASURES)}")
        if self.level not in ("lad", "ward"):
            raise GeoError(f"unknown map level {self.level!r}; levels: lad, ward")
        for value, allowed, what in ((self.fmt, SNAPSHOT_FORMATS, "format"),
                                     (self.resolution, RESOLUTIONS, "resolution"),
                                     (self.aspect, ASPECTS, "aspect"),
                                     (self.method, views.CLASS_METHODS, "classes method")):
            if value not in allowed:
                raise GeoError(f"unknown snapshot {what} {value!r}; use one of {', '.join(allowed)}")
        object.__setattr__(self, "period", _iso(self.period))

    @property
    def dpi(self) -> int:
        return RESOLUTIONS[self.resolution]

    @property
    def site_derived(self) -> bool:
        return self.level == "ward"

    @property
    def marking(self) -> str:
        return marking_rules.marking_for(site_derived=self.site_derived)

    @property
    def area(self) -> str:
        return area_slug(lad_code=self.lad_code, lad_name=self.lad_name, region=self.region,
                         filters=self.filters)

    @property
    def file_name(self) -> str:
        """'asylum-support-per_1000-2024-09-30-uk-16x9-150dpi.png', '...-uk-A4.pdf': ward maps and
        filters add a tag; the shape always, and a PNG's resolution, say what the file is for.

        Ward maps are drawn from the site records open on the day made, so carry that date.
        """
        day = self.made_on.isoformat() if self.level == "ward" else self.period
        return (_join(PREFIX, self.measure, day, self.area, "wards" if self.level == "ward" else "",
                      filter_slug(self.filters), self.aspect.replace(":", "x"),
                      f"{self.dpi}dpi" if self.fmt == "png" else "") + "." + self.fmt)

    @property
    def mime(self) -> str:
        return MIME[self.fmt]

    def describe(self) -> str:
        """What the snapshot will show, in words, for the panel."""
        where = (f"{self.lad_name or self.lad_code} by ward" if self.level == "ward" and self.lad_code else
                 f"{self.lad_name or self.lad_code} in its region" if self.lad_code else
                 self.region or ", ".join(self.filters.regions or self.filters.nations) or "United Kingdom")
        parts = [MEASURES[self.measure], quarter_label(self.period) if self.level == "lad"
                 else "site records open today", where,
                 views.CLASS_METHODS[self.method].split(" (")[0].lower() + " classes"]
        if self.filters.accommodation_types:
            parts.append("accommodation: " + ", ".join(self.filters.accommodation_types))
        if self.filters.support_types:
            parts.append("support: " + ", ".join(self.filters.support_types))
        return "; ".join(parts)

    def snapshot_kwargs(self, out: Path) -> dict[str, Any]:
        """Keyword arguments for ``geo.render.static_map.snapshot`` (model, and any ward
        measures or site records, are passed beside them)."""
        return {"level": self.level, "measure": self.measure, "period": self.period,
                "lad_code": self.lad_code, "region": self.region, "method": self.method,
                "aspect": self.aspect, "dpi": self.dpi, "out": Path(out), "made_on": self.made_on,
                "filters": self.filters if self.level == "lad" else None}


def map_request(state: views.ViewState, *, made_on: date, level: str = "lad", geographic: bool = True,
                lad_code: str | None = None, lad_name: str | None = None, region: str | None = None,
                measure: str | None = None, fmt: str = "png", resolution: str = "screen",
                aspect: str = "16:9") -> MapRequest:
    """The snapshot of a page's view: its period, measure, classes and filters.

    geographic=False drops the nation and region filters, as single-council views do.
    """
    return MapRequest(measure=measure or state.measure, period=state.period, made_on=made_on, level=level,
                      lad_code=lad_code, lad_name=lad_name, region=region, method=state.classes,
                      filters=state.filters(geographic=geographic), fmt=fmt, resolution=resolution,
                      aspect=aspect)


def make_snapshot(model, request: MapRequest, folder: Path, *, ward_measures: pd.DataFrame | None = None,
                  sites: pd.DataFrame | None = None) -> Path:
    """Write the snapshot into folder under its file name and return the path."""
    from geo.render.static_map import snapshot

    return snapshot(model, **request.snapshot_kwargs(Path(folder) / request.file_name),
                    ward_measures=ward_measures, sites=sites)


# ----------------------------------------------------------------------------- tables

@dataclass(frozen=True)
class TableRequest:
    """One table export: which table, at what level, in which format, for whom."""

    name: str                       # 'councils', 'wards', 'fair-share', 'allocation', 'sites' ...
    level: str                      # 'lad', 'ward' or 'site' (geo.exports levels)
    made_on: date
    fmt: str = "csv"
    period: str | None = None       # quarter end, or the 'as at' day of site records
    area: str = "uk"
    columns: tuple[str, ...] | None = None
    site_derived: bool = False
    role: str = DEFAULT_ROLE.value
    title: str | None = None
    notes: tuple[str, ...] = ()     # how the figures were made (e.g. the fair share's rule and weights)

    def __post_init__(self) -> None:
        if self.fmt not in TABLE_FORMATS:
            raise GeoError(f"unknown table format {self.fmt!r}; use one of {', '.join(TABLE_FORMATS)}")
        if self.level not in ("lad", "ward", "site"):
            raise GeoError(f"unknown export level {self.level!r}; levels: lad, ward, site")
        object.__setattr__(self, "period", _iso(self.period))
        object.__setattr__(self, "role", Role.parse(self.role).value)
        if self.columns is not None:
            object.__setattr__(self, "columns", tuple(self.columns))

    @property
    def site_level(self) -> bool:
        return self.level == "site"

    @property
    def allowed(self) -> tuple[bool, str]:
        """Site records leave only for roles the data-sharing agreement allows."""
        if not self.site_level:
            return True, ""
        return site_export_reason(self.role)

    @property
    def marking(self) -> str:
        return marking_rules.marking_for(site_level=self.site_level, site_derived=self.site_derived)

    @property
    def file_name(self) -> str:
        """'asylum-support-councils-2024-09-30-uk.csv'."""
        return _join(PREFIX, slug(self.name), self.period or "", self.area) + "." + self.fmt

    @property
    def sidecar_name(self) -> str | None:
        """CSV and GeoJSON carry their sources in '<name>.sources.json' beside them."""
        if self.fmt not in ("csv", "geojson"):
            return None
        return self.file_name.rsplit(".", 1)[0] + ".sources.json"

    @property
    def mime(self) -> str:
        return MIME[self.fmt]

    def export_kwargs(self, out: Path, *, provenance: Any, layer: gpd.GeoDataFrame | None = None
                      ) -> dict[str, Any]:
        """Keyword arguments for ``geo.exports.export_table`` (the frame is passed beside them)."""
        return {"out": Path(out), "provenance": provenance, "level": self.level, "made_on": self.made_on,
                "columns": list(self.columns) if self.columns is not None else None,
                "layer": layer if self.fmt in GEO_FORMATS else None, "role": self.role,
                "site_derived": self.site_derived, "title": self.title, "notes": self.notes,
                "period": self.period}


def table_formats(frame: pd.DataFrame, level: str, *, geo: bool = True) -> list[str]:
    """The formats a table can go out in: CSV and Excel always; GeoJSON and GeoPackage when its
    rows have a code to join boundaries on (authority, ward) or a position (sites)."""
    formats = ["csv", "xlsx"]
    if not geo:
        return formats
    key = {"lad": "lad_code", "ward": "ward_code"}.get(level)
    if (key and key in frame.columns) or (level == "site" and {"latitude", "longitude"} <= set(frame.columns)):
        formats += list(GEO_FORMATS)
    return formats


def layer_for(model, level: str) -> gpd.GeoDataFrame | None:
    """The boundary layer a table's codes join to for GeoJSON and GeoPackage."""
    return {"lad": model.lads, "ward": model.wards}.get(level)


def ward_export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A site-derived ward table under the statistics' column names, so disclosure control
    suppresses its small counts and the rates built from them."""
    rename = {k: v for k, v in WARD_EXPORT_NAMES.items() if k in frame.columns and v not in frame.columns}
    return pd.DataFrame(frame).rename(columns=rename)


def export_columns(columns: Iterable[str]) -> tuple[str, ...]:
    """Screen column names as the export names them (see ``ward_export_frame``)."""
    return tuple(WARD_EXPORT_NAMES.get(c, c) for c in columns)


def site_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Site records as points (EPSG:4326) from latitude/longitude, for GeoJSON and GeoPackage."""
    data = pd.DataFrame(frame).drop(columns="geometry", errors="ignore").reset_index(drop=True)
    lon = pd.to_numeric(data["longitude"], errors="coerce")
    lat = pd.to_numeric(data["latitude"], errors="coerce")
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def gap_cells(model, request: TableRequest, frame: pd.DataFrame) -> pd.DataFrame | None:
    """Why each blank cell of a council table is blank (geo.measures.gap_frame), for the export to say."""
    if request.level != "lad" or "lad_code" not in frame.columns or request.period is None:
        return None
    if pd.Timestamp(request.period) not in set(model.periods):
        return None
    return gap_frame(model, pd.DataFrame(frame).reset_index(drop=True), request.period)


def make_table(model, request: TableRequest, frame: pd.DataFrame, folder: Path) -> list[Path]:
    """Write the table (and its sources sidecar, for CSV and GeoJSON) into folder.

    Returns the files written, the table first. Site-level tables raise DisclosureError unless the
    request's role allows them.
    """
    from geo.exports import export_table, sidecar_path

    data = frame
    if request.level == "ward":
        data = ward_export_frame(frame)
    elif request.level == "site" and request.fmt in GEO_FORMATS and not isinstance(frame, gpd.GeoDataFrame):
        data = site_points(frame)
    out = Path(folder) / request.file_name
    kwargs = request.export_kwargs(out, provenance=model.provenance, layer=layer_for(model, request.level))
    if kwargs["columns"] is not None:
        kwargs["columns"] = list(export_columns(kwargs["columns"]))
    written = export_table(data, **kwargs, gap_cells=gap_cells(model, request, data))
    side = sidecar_path(written)
    return [written] + ([side] if side.exists() else [])


# ----------------------------------------------------------------------------- briefing pack

@dataclass(frozen=True)
class BriefingRequest:
    """The A4 briefing pack for a council, a region (or nation) or the UK."""

    period: str
    made_on: date
    lad_code: str | None = None
    lad_name: str | None = None
    region: str | None = None
    with_sites: bool = False       # site records (hotel page): only for roles allowed site exports
    ward_figures: bool = False     # ward figures built from site records
    # The place-based fair share's method page: weights (None = the documented defaults) and schemes.
    place_weights: tuple[tuple[str, float], ...] | None = None
    place_schemes: tuple[str, ...] = ("asylum",)

    def __post_init__(self) -> None:
        if self.lad_code and self.region:
            raise GeoError("a briefing is for a council or a region, not both")
        object.__setattr__(self, "period", _iso(self.period))

    @property
    def area(self) -> str:
        return area_slug(lad_code=self.lad_code, lad_name=self.lad_name, region=self.region)

    @property
    def place(self) -> str:
        return self.lad_name or self.lad_code or self.region or "the United Kingdom"

    @property
    def file_name(self) -> str:
        """'asylum-support-briefing-2024-09-30-e08000012-liverpool.pdf'."""
        return _join(PREFIX, "briefing", self.period, self.area) + ".pdf"

    @property
    def marking(self) -> str:
        return marking_rules.marking_for(site_level=self.with_sites,
                                         site_derived=self.with_sites or self.ward_figures)

    @property
    def fmt(self) -> str:
        """Always a PDF; named like the other requests' ``fmt`` so every export is stamped alike."""
        return "pdf"

    @property
    def mime(self) -> str:
        return MIME[self.fmt]

    def briefing_kwargs(self, out: Path) -> dict[str, Any]:
        """Keyword arguments for ``geo.render.briefing.briefing_pack`` (model, site records and
        ward measures are passed beside them)."""
        return {"lad_code": self.lad_code, "region": self.region, "period": self.period, "out": Path(out),
                "made_on": self.made_on, "place_schemes": self.place_schemes,
                "place_weights": None if self.place_weights is None else dict(self.place_weights)}


def briefing_area(state: views.ViewState, regions: Iterable[str]) -> tuple[bool, str | None]:
    """(possible, region) for a briefing pack of what a national view shows: the UK when no area
    filter is set, the region (or Scotland, Wales, Northern Ireland) when exactly one is chosen,
    and not possible for several areas or England as a whole."""
    known = set(regions)
    if not state.regions and not state.nations:
        return True, None
    if len(state.regions) == 1 and state.regions[0] in known:
        return True, state.regions[0]
    if not state.regions and len(state.nations) == 1 and state.nations[0] in known:
        return True, state.nations[0]
    return False, None


def briefing_sites(role: Role | str, sites: pd.DataFrame | None) -> tuple[pd.DataFrame | None, str | None]:
    """Site records for the pack's hotel page when the role may take site-level data out, else
    None and why (the pack still carries site-derived ward figures)."""
    if sites is None:
        return None, None
    allowed, why = site_export_reason(role)
    return (sites, None) if allowed else (None, "The pack leaves out the hotel list: " + why + ".")


def make_briefing(model, request: BriefingRequest, folder: Path, *, sites: pd.DataFrame | None = None,
                  ward_measures: pd.DataFrame | None = None) -> Path:
    """Write the briefing pack into folder under its file name and return the path."""
    from geo.access.tracing import is_illustrative
    from geo.render.briefing import briefing_pack

    return briefing_pack(model, **request.briefing_kwargs(Path(folder) / request.file_name),
                         sites=sites if request.with_sites else None,
                         ward_measures=ward_measures if request.ward_figures else None,
                         illustrative=sites is not None and is_illustrative(sites))  # labelled even without them


def read_files(paths: Sequence[Path]) -> dict[str, bytes]:
    """File name -> bytes, in order, for download buttons."""
    return {Path(p).name: Path(p).read_bytes() for p in paths}
