"""What one map shows: the areas chosen, their values and 1:200 flags, the classes and the labels.

No drawing here. Authority values come from ``geo.measures.lad_table`` (the screen's table, with
the screen's filters); ward values from councils' site records through ``geo.sites.measures``,
with small counts suppressed (``geo.disclosure``). Everything is projected to British National
Grid so the scale bar is true metres.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import rules
from geo.disclosure import suppress
from geo.errors import GeoError
from geo.measures import Filters, gap_states, lad_table, over_state
from geo.model import Model
from geo.render.classify import Classes, classify
from geo.render.maps.checks import check_lad, check_level, check_measure, check_period, check_published, check_region
from geo.sites import measures as site_measures
from geo.sites.join import assign_wards
from geo.sites.measures import MEASURE_COLUMNS
from geo.text import number

BNG = "EPSG:27700"
CLASS_COUNT = 5
MAX_LABELS = 5
# Ward measures: the count columns a site-derived ward table may hold (statistics' names).
WARD_COUNTS = tuple(MEASURE_COLUMNS)


@dataclass
class MapContent:
    """What one map shows, already projected to British National Grid."""

    areas: gpd.GeoDataFrame          # code, name, value, over, suppressed, geometry
    context: gpd.GeoDataFrame | None  # surrounding authorities, drawn pale
    focus: gpd.GeoDataFrame | None    # the selected authority's outline
    classes: Classes
    measure: str
    level: str
    period: pd.Timestamp
    area_label: str
    label_codes: list[str]
    site_derived: bool
    note: str | None = None

    @property
    def over_count(self) -> int:
        return int(self.areas["over"].fillna(False).astype(bool).sum())


def format_value(measure: str, value: float | None) -> str:
    """How a figure reads on a map label and in the briefing."""
    return number(value, {"per_1000": 1, "limit_used": 2}.get(measure, 0))


def ranking_lines(content: MapContent, n: int = 10) -> list[tuple[str, str]]:
    """(name, value) of the highest areas, for the side list."""
    ranked = content.areas.dropna(subset=["value"]).sort_values(["value", "code"], ascending=[False, True])
    return [(str(r["name"]), format_value(content.measure, r["value"])) for _, r in ranked.head(n).iterrows()]


# ----------------------------------------------------------------------------- ward measures

def sites_with_wards(model: Model, sites: pd.DataFrame) -> pd.DataFrame:
    """Site records with ward and authority codes and in_boundary, joining on position if needed."""
    frame = pd.DataFrame(sites)
    if "ward_code" not in frame.columns:
        frame = pd.DataFrame(assign_wards(frame, model.wards))
    if "in_boundary" not in frame.columns:
        frame["in_boundary"] = frame["ward_code"].notna()
    if "status" not in frame.columns:
        frame["status"] = "open"
    return frame


def ward_measures_from_sites(model: Model, sites: pd.DataFrame, as_at: date | None = None) -> pd.DataFrame:
    """People per ward from site records, as the screen computes them (geo.sites.measures).

    as_at is the day sites must be open on; callers pass the 'made on' date so the same inputs
    always give the same output.
    """
    return site_measures.ward_measures(sites_with_wards(model, sites), model.wards, as_at=as_at)


def _normalise_ward_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """geo.sites.measures names counts '<type>_people'; the maps use the statistics' names."""
    out = pd.DataFrame(frame).copy()
    for col in WARD_COUNTS[1:]:
        if col not in out.columns and MEASURE_COLUMNS[col] in out.columns:
            out[col] = out[MEASURE_COLUMNS[col]]
    if "supported" not in out.columns:
        present = [c for c in WARD_COUNTS[1:] if c in out.columns]
        if present:
            out["supported"] = out[present].sum(axis=1)
    keep = ["ward_code", *[c for c in WARD_COUNTS if c in out.columns]]
    return out[keep]


def ward_table(model: Model, ward_measures: pd.DataFrame) -> pd.DataFrame:
    """Every ward with its population, the site-derived counts and the 1:200 measures."""
    if model.wards is None:
        raise GeoError("no ward boundaries loaded")
    base = pd.DataFrame(model.wards.drop(columns="geometry"))
    counts = _normalise_ward_measures(ward_measures).drop_duplicates("ward_code")
    table = base.merge(counts, on="ward_code", how="left")
    for col in WARD_COUNTS:
        if col in table.columns:
            table[col] = pd.to_numeric(table[col], errors="coerce").fillna(0).astype("int64")
    pop = table["population"]
    if "supported" in table.columns:
        table["per_1000"] = table["supported"] / pop * 1000
    if "dispersed" in table.columns:
        table["limit_used"] = rules.limit_used(table["dispersed"], pop)
        table["headroom"] = rules.headroom(table["dispersed"], pop)
        table["over_threshold"] = rules.over_threshold(table["dispersed"], pop)
    return table


# ----------------------------------------------------------------------------- areas

def _lad_areas(model: Model, measure: str, period: pd.Timestamp,
               filters: Filters | None = None) -> gpd.GeoDataFrame:
    """Authorities with the measure; with filters, the screen's figures and only its areas."""
    table = lad_table(model, period) if filters is None else lad_table(model, period, filters)
    how = "inner" if filters is not None and filters.geographic else "left"
    table = table.assign(gap=gap_states(model, table, measure))  # why a figure is missing, in words
    frame = model.lads[["lad_code", "geometry"]].merge(
        table[["lad_code", "lad_name", "region", measure, "over_threshold", "gap"]], on="lad_code", how=how)
    frame = frame.rename(columns={"lad_code": "code", "lad_name": "name", measure: "value",
                                  "over_threshold": "over"})
    frame["gap"] = frame["gap"].fillna("")
    frame["over_gap"] = over_state(model, table)[1]
    frame["suppressed"] = False
    frame["lad_code"] = frame["code"]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=model.lads.crs)


def _ward_areas(model: Model, measure: str, ward_measures: pd.DataFrame) -> gpd.GeoDataFrame:
    table = ward_table(model, ward_measures)
    wards = model.wards
    if wards is None:
        raise GeoError("no ward boundaries loaded")
    if measure not in table.columns:
        raise GeoError(f"the ward measures have no figures for {measure!r}; they hold "
                       f"{', '.join(c for c in WARD_COUNTS if c in ward_measures.columns)}")
    hidden = suppress(table).mask
    frame = wards[["ward_code", "geometry"]].merge(
        table[["ward_code", "ward_name", "lad_code", "region", measure, "over_threshold"]],
        on="ward_code", how="left")
    frame = frame.rename(columns={"ward_code": "code", "ward_name": "name", measure: "value",
                                  "over_threshold": "over"})
    frame["suppressed"] = (hidden[measure].to_numpy() if measure in hidden.columns
                           else np.zeros(len(frame), dtype=bool))
    frame.loc[frame["suppressed"], "value"] = np.nan
    if "over_threshold" in hidden.columns:  # over or not gives a hidden dispersed count back (issue 13)
        frame.loc[hidden["over_threshold"].to_numpy(), "over"] = False
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=wards.crs)


def _context(model: Model, selection: gpd.GeoDataFrame, keep_out: Iterable[str]) -> gpd.GeoDataFrame:
    """Authorities around the selection (not in it), so a regional map is not an island."""
    lads = model.lads[~model.lads["lad_code"].isin(set(keep_out))]
    box = selection.total_bounds
    pad = max(box[2] - box[0], box[3] - box[1]) * 0.6
    near = lads.cx[box[0] - pad:box[2] + pad, box[1] - pad:box[3] + pad]
    return near[["lad_code", "geometry"]].to_crs(BNG)


def _top_codes(areas: pd.DataFrame, n: int = MAX_LABELS, over_extra: int = 3) -> list[str]:
    """The n highest areas plus up to over_extra over the limit: those are what readers look for."""
    ranked = areas.dropna(subset=["value"]).sort_values(["value", "code"], ascending=[False, True])
    codes = ranked["code"].head(n).tolist()
    over = ranked[ranked["over"].fillna(False).astype(bool) & ~ranked["code"].isin(codes)]
    return codes + over["code"].head(over_extra).tolist()


def filter_note(filters: Filters | None) -> str | None:
    """The accommodation and support filters in words, for the map's subtitle (None if none)."""
    if filters is None:
        return None
    parts = []
    if filters.accommodation_types:
        parts.append("accommodation: " + ", ".join(filters.accommodation_types))
    if filters.support_types:
        parts.append("support: " + ", ".join(filters.support_types))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] if text else None


# ----------------------------------------------------------------------------- selection

def _lad_selection(model: Model, measure: str, period: pd.Timestamp, lad_code: str | None,
                   region: str | None, filters: Filters | None) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """Authority areas, the map's area label and the codes to label."""
    lads = model.lads.set_index("lad_code")
    areas = _lad_areas(model, measure, period, filters)
    area_region = region or (lads.at[lad_code, "region"] if lad_code else None)
    if area_region:
        areas = areas[areas["region"] == area_region]
        label = f"{area_region} by local authority"
    elif filters is not None and filters.geographic:
        label = f"{', '.join(filters.regions or filters.nations)} by local authority"
    else:
        label = "United Kingdom by local authority"
    if lad_code:
        return areas, label + f", {lads.at[lad_code, 'lad_name']} outlined", [lad_code]
    return areas, label, _top_codes(areas)


def _ward_selection(model: Model, measure: str, lad_code: str | None, region: str | None,
                    ward_measures: pd.DataFrame | None) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """Ward areas from site-derived measures, the map's area label and the codes to label."""
    if ward_measures is None:
        raise GeoError("ward-level figures come from site records and none are loaded: pass site "
                       "records (--sites FILE) or use --level lad")
    areas = _ward_areas(model, measure, ward_measures)
    if lad_code:
        areas = areas[areas["lad_code"] == lad_code]
        label = f"{model.lads.set_index('lad_code').at[lad_code, 'lad_name']} by ward"
    elif region:
        areas = areas[areas["region"] == region]
        label = f"{region} by ward"
    else:
        label = "United Kingdom by ward"
    return areas, label, _top_codes(areas)


def map_content(model: Model, *, level: str = "lad", measure: str = "per_1000",
                period: pd.Timestamp | str | None = None, lad_code: str | None = None,
                region: str | None = None, method: str = "quantiles",
                ward_measures: pd.DataFrame | None = None, filters: Filters | None = None) -> MapContent:
    """Select, value, class and project the areas one map shows.

    filters (authority level): the screen's accommodation, support, region and nation filters,
    so a snapshot values, selects and classes exactly the councils the screen does.
    """
    check_level(level)
    measure = check_measure(measure)
    period = check_period(model, period)
    lad_code = check_lad(model, lad_code) if lad_code else None
    region = check_region(model, region) if region else None
    check_published(model, level, measure, period)
    if level == "lad":
        areas, label, labels = _lad_selection(model, measure, period, lad_code, region, filters)
    else:
        areas, label, labels = _ward_selection(model, measure, lad_code, region, ward_measures)
    if areas.empty:
        raise GeoError(f"no {level} areas in the selection")
    geographic = level == "lad" and filters is not None and filters.geographic
    context = _context(model, areas, set(areas["lad_code"].dropna())) if (lad_code or region or geographic) \
        else None
    focus = model.lads[model.lads["lad_code"] == lad_code][["lad_code", "geometry"]].to_crs(BNG) \
        if lad_code else None
    classes = classify(areas["value"], method, CLASS_COUNT, measure=measure)
    return MapContent(areas=areas.to_crs(BNG).reset_index(drop=True), context=context, focus=focus,
                      classes=classes, measure=measure, level=level, period=period, area_label=label,
                      label_codes=[c for c in labels if c], site_derived=level == "ward",
                      note=filter_note(filters) if level == "lad" else None)
