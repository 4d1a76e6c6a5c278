"""Server-side map snapshots (PNG, SVG, PDF) that show exactly the classes the screen shows.

Why a separate renderer: analysts paste maps into reports and chief executives print them, so a
snapshot must work offline, be byte-identical for the same inputs (fixed dpi, matplotlib's
bundled DejaVu fonts, a fixed SVG hash salt, metadata dates taken from the inputs, never now()),
and carry everything a reader needs to trust it: title, period, legend with the classing
method, scale bar, north arrow, sources with licence, the date made and the sensitivity marking.

Maps are drawn in British National Grid (EPSG:27700) so the scale bar is true metres.
"""
from __future__ import annotations

import difflib
import math
import textwrap
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from geo import rules
from geo.asylum_stats import HOTEL
from geo.errors import DataError, GeoError
from geo.measures import MEASURES, Filters, first_published, lad_table, published
from geo.model import Model
from geo.render import marking as marking_rules
from geo.render.classify import NO_DATA, OVER_THRESHOLD_OUTLINE, Classes, classify
from geo.sites import measures as site_measures
from geo.text import number, quarter_label, source_line
from geo.sites.measures import MEASURE_COLUMNS

BNG = "EPSG:27700"
LEVELS = ("lad", "ward")
ASPECTS = {"16:9": (40 / 3, 7.5), "A4": (11.69, 8.27)}  # inches; A4 landscape (297 x 210 mm)
FORMATS = (".png", ".svg", ".pdf")
CLASS_COUNT = 5
PLURAL = {"authority": "authorities", "ward": "wards"}
MAX_LABELS = 5
SUPPRESSED_COLOUR = "#f4f4f4"
NO_DATA_HATCH = "---"
CONTEXT_COLOUR = "#eeeeee"
APP_NAME = "Asylum Accommodation Map"
OS_NOTICE = "Contains OS data © Crown copyright and database right"
RC = {
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "asylum-accommodation-map",
    "svg.fonttype": "none",     # keep text as text: searchable, and tests can read the title
    "pdf.fonttype": 42,
    "path.simplify": True,
    "hatch.linewidth": 0.8,
    "axes.unicode_minus": False,
}
# Ward measures: the count columns a site-derived ward table may hold (statistics' names).
WARD_COUNTS = tuple(MEASURE_COLUMNS)


# ----------------------------------------------------------------------------- validation

def check_measure(measure: str) -> str:
    """The measure key, or a GeoError listing the valid ones."""
    if measure in MEASURES:
        return measure
    near = difflib.get_close_matches(str(measure), list(MEASURES), n=3, cutoff=0.4)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise GeoError(f"unknown measure {measure!r}{hint}; measures: {', '.join(MEASURES)}")


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise GeoError(f"unknown level {level!r}; levels: {', '.join(LEVELS)}")
    return level


def check_lad(model: Model, value: str) -> str:
    """An authority code from a code or an exact name, or a GeoError naming the nearest few."""
    lads = model.lads
    text = str(value).strip()
    if text.upper() in set(lads["lad_code"]):
        return text.upper()
    by_name = lads[lads["lad_name"].str.lower() == text.lower()]
    if len(by_name) == 1:
        return str(by_name["lad_code"].iloc[0])
    choices = {f"{r.lad_code} {r.lad_name}": r.lad_code for r in lads.itertuples()}
    near = difflib.get_close_matches(text, list(choices), n=4, cutoff=0.3)
    near += [k for k in choices if text.lower() in k.lower() and k not in near][: 4 - len(near)]
    hint = "; nearest: " + ", ".join(near) if near else ""
    raise GeoError(f"unknown authority {value!r}{hint} (use a code such as E08000012)")


def regions(model: Model) -> list[str]:
    return sorted(str(r) for r in model.lads["region"].dropna().unique())


def check_region(model: Model, value: str) -> str:
    """A region (or nation) name as the data spells it, or a GeoError listing them."""
    valid = regions(model)
    for name in valid:
        if name.lower() == str(value).strip().lower():
            return name
    raise GeoError(f"unknown region {value!r}; regions: {', '.join(valid)}")


def check_period(model: Model, period: str | date | pd.Timestamp | None) -> pd.Timestamp:
    """The quarter end asked for (latest when None), or a DataError giving the range held."""
    if period is None:
        return model.latest_period
    try:
        wanted = pd.Timestamp(period).normalize()
    except (ValueError, TypeError):
        raise DataError(f"period {period!r} is not a date; use YYYY-MM-DD") from None
    if wanted not in set(model.periods):
        raise DataError(f"period {wanted.date()} is not in the statistics; quarter ends from "
                        f"{model.periods[0].date()} to {model.latest_period.date()}")
    return wanted


# ----------------------------------------------------------------------------- formatting

def format_value(measure: str, value: float | None) -> str:
    """How a figure reads on a map label and in the briefing."""
    return number(value, {"per_1000": 1, "limit_used": 2}.get(measure, 0))


def period_text(period: pd.Timestamp) -> str:
    return f"Quarter ending {quarter_label(period)}"


def os_notice(model: Model) -> str:
    """The Ordnance Survey notice, with the year the boundary licence gives."""
    licence = getattr(model.provenance.get("lad_boundaries"), "licence", "") or ""
    start = licence.find("Contains OS data")
    return licence[start:].strip().rstrip(".") if start >= 0 else OS_NOTICE


def source_text(model: Model, ids: Iterable[str], extra: Sequence[str] = ()) -> str:
    """geo.text.source_line for the map's sources, any extra lines, then the licence and OS notice."""
    parts = [line for line in (source_line(model.provenance, ids), *extra) if line]
    return "; ".join(parts) + ". Open Government Licence v3.0. " + os_notice(model) + "."


def map_sources(level: str, site_derived: bool) -> list[str]:
    ids = ["asy_d11", "reg02", "lad_boundaries"]
    if level == "ward":
        ids += ["ward_boundaries", "ward_lad_lookup", "ward_population"]
    return ids


# ----------------------------------------------------------------------------- ward measures

def sites_with_wards(model: Model, sites: pd.DataFrame) -> pd.DataFrame:
    """Site records with ward and authority codes and in_boundary, joining on position if needed."""
    frame = pd.DataFrame(sites)
    if "ward_code" not in frame.columns:
        from geo.sites.join import assign_wards

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


# ----------------------------------------------------------------------------- map content

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


def _lad_areas(model: Model, measure: str, period: pd.Timestamp,
               filters: Filters | None = None) -> gpd.GeoDataFrame:
    """Authorities with the measure; with filters, the screen's figures and only its areas."""
    table = lad_table(model, period) if filters is None else lad_table(model, period, filters)
    how = "inner" if filters is not None and filters.geographic else "left"
    frame = model.lads[["lad_code", "geometry"]].merge(
        table[["lad_code", "lad_name", "region", measure, "over_threshold"]], on="lad_code", how=how)
    frame = frame.rename(columns={"lad_code": "code", "lad_name": "name", measure: "value",
                                  "over_threshold": "over"})
    frame["suppressed"] = False
    frame["lad_code"] = frame["code"]
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=model.lads.crs)


def _ward_areas(model: Model, measure: str, ward_measures: pd.DataFrame) -> gpd.GeoDataFrame:
    from geo.disclosure import suppress

    table = ward_table(model, ward_measures)
    if measure not in table.columns:
        raise GeoError(f"the ward measures have no figures for {measure!r}; they hold "
                       f"{', '.join(c for c in WARD_COUNTS if c in ward_measures.columns)}")
    hidden = suppress(table).mask
    frame = model.wards[["ward_code", "geometry"]].merge(
        table[["ward_code", "ward_name", "lad_code", "region", measure, "over_threshold"]],
        on="ward_code", how="left")
    frame = frame.rename(columns={"ward_code": "code", "ward_name": "name", measure: "value",
                                  "over_threshold": "over"})
    frame["suppressed"] = (hidden[measure].to_numpy() if measure in hidden.columns
                           else np.zeros(len(frame), dtype=bool))
    frame.loc[frame["suppressed"], "value"] = np.nan
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=model.wards.crs)


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
    if measure == "hotel" and level == "lad" and not published(model.stats, HOTEL, period):
        raise DataError(f"hotels are not published by local authority for {period.date()}; Asy_D11 has "
                        f"them from {first_published(model.stats)[HOTEL].date()}")
    lad_code = check_lad(model, lad_code) if lad_code else None
    region = check_region(model, region) if region else None
    lads = model.lads.set_index("lad_code")
    focus = None
    geographic = level == "lad" and filters is not None and filters.geographic
    if level == "lad":
        areas = _lad_areas(model, measure, period, filters)
        area_region = region or (lads.at[lad_code, "region"] if lad_code else None)
        if area_region:
            areas = areas[areas["region"] == area_region]
        if area_region:
            label = f"{area_region} by local authority"
        elif geographic:
            label = f"{', '.join(filters.regions or filters.nations)} by local authority"
        else:
            label = "United Kingdom by local authority"
        labels = [lad_code] if lad_code else _top_codes(areas)
        if lad_code:
            label += f", {lads.at[lad_code, 'lad_name']} outlined"
    else:
        if ward_measures is None:
            raise GeoError("ward-level figures come from site records and none are loaded: pass site "
                           "records (--sites FILE) or use --level lad")
        areas = _ward_areas(model, measure, ward_measures)
        if lad_code:
            areas = areas[areas["lad_code"] == lad_code]
            label = f"{lads.at[lad_code, 'lad_name']} by ward"
        elif region:
            areas = areas[areas["region"] == region]
            label = f"{region} by ward"
        else:
            label = "United Kingdom by ward"
        labels = _top_codes(areas)
    if areas.empty:
        raise GeoError(f"no {level} areas in the selection")
    selected_lads = set(areas["lad_code"].dropna())
    context = _context(model, areas, selected_lads) if (lad_code or region or geographic) else None
    if lad_code:
        focus = model.lads[model.lads["lad_code"] == lad_code][["lad_code", "geometry"]].to_crs(BNG)
    classes = classify(areas["value"], method, CLASS_COUNT, measure=measure)
    return MapContent(areas=areas.to_crs(BNG).reset_index(drop=True), context=context, focus=focus,
                      classes=classes, measure=measure, level=level, period=period, area_label=label,
                      label_codes=[c for c in labels if c], site_derived=level == "ward",
                      note=filter_note(filters) if level == "lad" else None)


# ----------------------------------------------------------------------------- drawing

def _lightness(colour: str) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _fit_extent(ax: Axes, bounds: Sequence[float], pad: float = 0.04) -> None:
    """Pad the bounds and widen them to the axes' shape, so the map fills its box."""
    x0, y0, x1, y1 = bounds
    w, h = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bbox = ax.get_position(original=True)  # geopandas may already have shrunk the active box
    fw, fh = ax.figure.get_size_inches()
    box_ratio = (bbox.width * fw) / (bbox.height * fh)
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    ax.set_xlim(cx - w / 2, cx + w / 2)
    ax.set_ylim(cy - h / 2, cy + h / 2)
    ax.set_aspect("equal", adjustable="box")


def draw_areas(ax: Axes, content: MapContent, *, print_safe: bool = False) -> None:
    """Fill each area by class, grey for no estimate, and outline those over 1:200 in red.

    print_safe adds hatching to over-threshold areas so the meaning survives greyscale print.
    """
    areas = content.areas
    if content.context is not None and not content.context.empty:
        content.context.plot(ax=ax, color=CONTEXT_COLOUR, edgecolor="white", linewidth=0.4)
    colours = content.classes.colour_of(areas["value"])
    areas.plot(ax=ax, color=colours.tolist(), edgecolor="white", linewidth=0.25 if len(areas) > 200 else 0.5)
    missing = areas[areas["value"].isna() & ~areas["suppressed"]]
    if print_safe and not missing.empty:  # pale yellow and no-data grey print alike: add a pattern
        missing.plot(ax=ax, facecolor=NO_DATA, edgecolor="#7a7a7a", hatch=NO_DATA_HATCH, linewidth=0.3)
    hidden = areas[areas["suppressed"]]
    if not hidden.empty:
        hidden.plot(ax=ax, facecolor=SUPPRESSED_COLOUR, edgecolor="#9a9a9a", hatch="....", linewidth=0.3)
    over = areas[areas["over"].fillna(False).astype(bool)]
    if not over.empty:
        if print_safe:
            for colour, rows in over.groupby(colours[over.index]):
                hatch_colour = "white" if _lightness(colour) < 0.45 else "black"
                rows.plot(ax=ax, facecolor="none", edgecolor=hatch_colour, hatch="////", linewidth=0)
        over.boundary.plot(ax=ax, color=OVER_THRESHOLD_OUTLINE, linewidth=1.6 if len(areas) < 100 else 1.1)
        if len(areas) >= 100:  # small areas on a big map: a ring makes them findable
            points = over.geometry.representative_point()
            ax.scatter(points.x, points.y, s=70, facecolors="none", edgecolors=OVER_THRESHOLD_OUTLINE,
                       linewidths=1.4, zorder=6)
    if content.focus is not None:
        content.focus.boundary.plot(ax=ax, color="black", linewidth=1.8)
    ax.set_axis_off()


def _spread(targets: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions near the targets (sorted high to low) at least `gap` apart, kept in [low, high]."""
    placed: list[float] = []
    for t in targets:
        y = min(t, high) if not placed else min(t, placed[-1] - gap)
        placed.append(y)
    overflow = low - placed[-1] if placed else 0
    if overflow > 0:  # pushed off the bottom: lift the stack, keeping the gaps
        placed = [y + overflow for y in placed]
        for i in range(1, len(placed)):
            placed[i] = min(placed[i], placed[i - 1] - gap)
    return placed


def draw_labels(ax: Axes, content: MapContent, *, x_in: float, fontsize: float = 8.5) -> list[str]:
    """Callouts for the chosen areas: name and value in a column beside the map, with leader lines.

    Why a column: labels drawn on the map hide small areas (often the very ones over the
    limit); a column never covers the map and never overlaps itself.
    """
    areas = content.areas.set_index("code")
    rows = [(code, areas.loc[code]) for code in content.label_codes if code in areas.index]
    if not rows:
        return []
    fig = ax.figure
    fw, fh = fig.get_size_inches()
    to_inches = ax.transData + fig.dpi_scale_trans.inverted()
    points = [(code, row, row.geometry.representative_point()) for code, row in rows]
    located = sorted(((to_inches.transform((p.x, p.y)), code, row, p) for code, row, p in points),
                     key=lambda item: -item[0][1])
    box = ax.get_position()
    gap = fontsize * 2.7 / 72
    ys = _spread([xy[1] for xy, *_ in located], gap, box.y0 * fh + gap / 2, box.y1 * fh - gap / 2)
    for (xy, code, row, point), y in zip(located, ys):
        value = "[c]" if row["suppressed"] else format_value(content.measure, row["value"])
        over = bool(pd.notna(row["over"]) and row["over"])
        if over:
            value += f"  · over {rules.LIMIT_NAME}"
        ax.plot([point.x], [point.y], marker="o", markersize=3.2, color="black", zorder=7,
                markeredgecolor="white", markeredgewidth=0.6)
        ax.annotate(f"{textwrap.shorten(str(row['name']), 24, placeholder='…')}\n{value}",
                    xy=(point.x, point.y), xycoords="data",
                    xytext=(x_in / fw, y / fh), textcoords="figure fraction", ha="left", va="center",
                    fontsize=fontsize, color="#a50f15" if over else "#111111", annotation_clip=False, zorder=9,
                    arrowprops={"arrowstyle": "-", "color": "#444444", "linewidth": 0.6,
                                "shrinkA": 2, "shrinkB": 2, "relpos": (0, 0.5)})
    return [code for _, code, _, _ in located]


def _nice_length(span_m: float, span_in: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^n metres), at most a quarter of the map
    and at most 1.4 inches, so its three labels never crowd."""
    target = span_m * min(0.25, 1.4 / max(span_in, 0.1))
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def draw_scale_bar(ax: Axes, fontsize: float = 7.5) -> float:
    """A two-segment scale bar in the lower right, in BNG metres; returns its length."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0, ax.get_position(original=True).width * ax.figure.get_size_inches()[0])
    height = (y1 - y0) * 0.01
    right = x1 - (x1 - x0) * 0.05
    left = right - length
    base = y0 + (y1 - y0) * 0.045
    for i, fill in enumerate(("black", "white")):
        ax.add_patch(Rectangle((left + i * length / 2, base), length / 2, height, facecolor=fill,
                               edgecolor="black", linewidth=0.6, zorder=8))
    km = length / 1000
    unit = f"{km:g} km" if km >= 1 else f"{length:g} m"
    # A white box rather than a path-effect halo: halos turn SVG text into outlines.
    halo = {"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85}
    ax.text(left + length / 2, base + height * 1.8, unit, ha="center", va="bottom", fontsize=fontsize,
            zorder=8, bbox=halo)
    ax.text(left + length / 2, base - height * 0.8, "British National Grid", ha="center", va="top",
            fontsize=fontsize - 1.5, color="#333333", zorder=8, bbox=halo)
    return length


def draw_north_arrow(ax: Axes, fontsize: float = 10) -> None:
    """Grid north arrow in the upper right of the map."""
    ax.annotate("N", xy=(0.955, 0.95), xytext=(0.955, 0.85), xycoords="axes fraction",
                ha="center", va="center", fontsize=fontsize, fontweight="bold", zorder=8,
                arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.4},
                bbox={"boxstyle": "circle,pad=0.2", "facecolor": "white", "edgecolor": "none"})


def legend_handles(content: MapContent, *, print_safe: bool = False) -> list[Patch]:
    """Class swatches, then 'No estimate', suppressed, and 'over 1:200' entries when relevant."""
    handles = [Patch(facecolor=c, edgecolor="#666666", linewidth=0.4, label=l)
               for c, l in zip(content.classes.colours, content.classes.labels)]
    if (content.areas["value"].isna() & ~content.areas["suppressed"]).any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="#666666", linewidth=0.4, label="No estimate",
                             hatch=NO_DATA_HATCH if print_safe else None))
    if content.areas["suppressed"].any():
        handles.append(Patch(facecolor=SUPPRESSED_COLOUR, edgecolor="#9a9a9a", hatch="....",
                             label="[c] Suppressed (fewer than 5)"))
    unit = "authority" if content.level == "lad" else "ward"
    handles.append(Patch(facecolor="white", edgecolor=OVER_THRESHOLD_OUTLINE, linewidth=1.6,
                         hatch="////" if print_safe else None,
                         label=f"Over the {rules.LIMIT_NAME} limit ({content.over_count} "
                               f"{unit if content.over_count == 1 else PLURAL[unit]})"))
    if content.focus is not None:
        handles.append(Patch(facecolor="white", edgecolor="black", linewidth=1.8, label="Selected authority"))
    return handles


def legend_title(content: MapContent, width: int = 30) -> str:
    label = textwrap.fill(MEASURES[content.measure], width)
    return f"{label}\nClasses: {content.classes.legend_title}"


def draw_legend(ax: Axes, content: MapContent, *, fontsize: float = 9, print_safe: bool = False,
                columns: int = 1) -> float:
    """The legend in its own panel, so it never covers the map."""
    ax.set_axis_off()
    legend = ax.legend(handles=legend_handles(content, print_safe=print_safe), loc="upper left",
                       bbox_to_anchor=(0, 1), frameon=False, fontsize=fontsize,
                       title=legend_title(content, 30 if columns == 1 else 70),
                       title_fontsize=fontsize + 0.5, ncols=columns, columnspacing=1.5,
                       alignment="left", handlelength=2.2, handleheight=1.3, labelspacing=0.55)
    legend.get_title().set_fontweight("bold")
    fig = ax.figure
    box = legend.get_window_extent(fig.canvas.get_renderer()).transformed(fig.dpi_scale_trans.inverted())
    return float(box.height)  # inches, so a list can sit just below it


# ----------------------------------------------------------------------------- the figure

class QuietCanvas(FigureCanvasAgg):
    """Agg canvas that ignores draw_idle: geopandas asks for a redraw after every layer, and a
    full draw per layer would triple the time; the figure is drawn once, when saved."""

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        return None


def new_figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), facecolor="white")
    QuietCanvas(fig)  # a renderer for measuring text, without pyplot's global state
    return fig


def _inch(fig: Figure, x: float = 0.0, y: float = 0.0) -> tuple[float, float]:
    w, h = fig.get_size_inches()
    return x / w, y / h


def _banner(fig: Figure, marking: str, top: bool, height_in: float = 0.3) -> None:
    _, h = _inch(fig, 0, height_in)
    y = 1 - h if top else 0
    fig.patches.append(Rectangle((0, y), 1, h, transform=fig.transFigure,
                                 facecolor=marking_rules.banner_colour(marking), edgecolor="none"))
    fig.text(0.5, y + h / 2, marking, ha="center", va="center", color="white", fontsize=11,
             fontweight="bold")


def _title_lines(content: MapContent, made_on: date) -> tuple[str, str]:
    title = MEASURES[content.measure]
    if content.site_derived:  # ward figures come from site records on the day made, not the quarter
        return title, f"{content.area_label}  ·  site records open on {quarter_label(made_on)}"
    subtitle = f"{period_text(content.period)}  ·  {content.area_label}"
    return title, subtitle + (f"  ·  {content.note}" if content.note else "")


def _footer(fig: Figure, model: Model, content: MapContent, made_on: date, marking: str,
            fontsize: float = 7.0) -> float:
    """Source and made-on lines above the bottom banner; returns the footer height in inches."""
    w, _ = fig.get_size_inches()
    extra = ["Site records held under the council's data-sharing agreement (ward counts)"] \
        if content.site_derived else []
    text = source_text(model, map_sources(content.level, content.site_derived), extra)
    chars = int((w - 0.6) * 72 / (fontsize * 0.55))
    lines = textwrap.wrap(text, chars)
    lines.append(f"Made on {quarter_label(made_on)} with the {APP_NAME}. Figures are provisional. "
                 f"{marking_rules.HANDLING[marking]}")
    line_h = fontsize * 1.35 / 72
    base = 0.3 + 0.08
    for i, line in enumerate(reversed(lines)):
        x, y = _inch(fig, 0.3, base + i * line_h)
        fig.text(x, y, line, ha="left", va="bottom", fontsize=fontsize, color="#333333")
    return base + len(lines) * line_h + 0.1


def ranking_lines(content: MapContent, n: int = 10) -> list[tuple[str, str]]:
    """(name, value) of the highest areas, for the side list."""
    ranked = content.areas.dropna(subset=["value"]).sort_values(["value", "code"], ascending=[False, True])
    return [(str(r["name"]), format_value(content.measure, r["value"])) for _, r in ranked.head(n).iterrows()]


def draw_ranking(ax: Axes, content: MapContent, *, fontsize: float = 8.5, n: int = 10) -> None:
    """A short 'highest' list, so the reader gets the numbers behind the darkest areas."""
    ax.set_axis_off()
    unit = "authorities" if content.level == "lad" else "wards"
    ax.text(0, 1, f"Highest {unit}", transform=ax.transAxes, fontsize=fontsize + 0.5, fontweight="bold",
            va="top")
    step = fontsize * 1.55 / 72 / (ax.get_position().height * ax.figure.get_size_inches()[1])
    for i, (name, value) in enumerate(ranking_lines(content, n), start=1):
        y = 1 - (i + 0.6) * step
        ax.text(0, y, f"{i:>2}. {textwrap.shorten(name, 26, placeholder='…')}", transform=ax.transAxes,
                fontsize=fontsize, va="top")
        ax.text(1, y, value, transform=ax.transAxes, fontsize=fontsize, va="top", ha="right")


def _data_ratio(content: MapContent, pad: float = 0.04) -> float:
    x0, y0, x1, y1 = content.areas.total_bounds
    return ((x1 - x0) * (1 + 2 * pad)) / ((y1 - y0) * (1 + 2 * pad))


def draw_panel(fig: Figure, content: MapContent, box_in: tuple[float, float, float, float], *,
               print_safe: bool = False, with_ranking: bool = True, fontsize: float = 9) -> Axes:
    """Map, callout column, legend and ranking laid out inside a box given in inches.

    The map's width follows its data shape, so a tall country leaves no dead band beside it;
    the side columns take what is left.
    """
    x, y, w, h = box_in
    fw, fh = fig.get_size_inches()
    label_w = 1.9 if content.label_codes else 0.0
    side_w = 3.2
    if w - label_w - side_w < 0.5 * w:
        return _stacked_panel(fig, content, box_in, label_w=label_w, print_safe=print_safe,
                              fontsize=fontsize)
    map_w = max(1.5, min(w - label_w - side_w, h * _data_ratio(content)))
    leftover = w - map_w - label_w - side_w
    separate_list = with_ranking and leftover >= side_w + 0.2
    used = map_w + label_w + side_w + (side_w + 0.2 if separate_list else 0)
    left = x + max(0.0, (w - used) / 2)
    ax = fig.add_axes((left / fw, y / fh, map_w / fw, h / fh))
    draw_areas(ax, content, print_safe=print_safe)
    _fit_extent(ax, content.areas.total_bounds)
    if content.context is not None:  # a thin frame, so the pale surroundings read as a map edge
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="none",
                               edgecolor="#bbbbbb", linewidth=0.8, zorder=10))
    draw_scale_bar(ax, fontsize=fontsize - 1.5)
    draw_north_arrow(ax, fontsize=fontsize + 1)
    draw_labels(ax, content, x_in=left + map_w + 0.15, fontsize=fontsize - 0.5)
    side_x = left + map_w + label_w + 0.1
    legend_ax = fig.add_axes((side_x / fw, y / fh, side_w / fw, h / fh))
    legend_h = draw_legend(legend_ax, content, fontsize=fontsize, print_safe=print_safe)
    if with_ranking:
        list_h = fontsize * 1.55 / 72 * 12
        if separate_list:
            rank_box = (side_x + side_w + 0.2, y + h - list_h, side_w - 0.3, list_h)
        else:
            top = y + h - legend_h - 0.35
            rank_box = (side_x, top - list_h, side_w - 0.3, list_h)
        if rank_box[1] >= y:
            rank_ax = fig.add_axes((rank_box[0] / fw, rank_box[1] / fh, rank_box[2] / fw, rank_box[3] / fh))
            draw_ranking(rank_ax, content, fontsize=fontsize - 0.5)
        national = content.context is None and content.level == "lad"
        below = min(rank_box[1], y + h - legend_h - 0.35) - 0.3 - y
        if national and below >= 1.8:
            inset_w = min(below * 1.3, (rank_box[0] + rank_box[2]) - side_x)
            draw_inset(fig, content, (side_x, y, inset_w, below), print_safe=print_safe)
    return ax


def _stacked_panel(fig: Figure, content: MapContent, box_in: tuple[float, float, float, float], *,
                   label_w: float, print_safe: bool, fontsize: float) -> Axes:
    """Narrow boxes: map and callouts on top, the legend in two columns underneath."""
    x, y, w, h = box_in
    fw, fh = fig.get_size_inches()
    band = fontsize * 1.75 / 72 * (math.ceil(len(legend_handles(content)) / 2) + 3) + 0.1
    map_h = h - band
    map_w = max(1.5, min(w - label_w, map_h * _data_ratio(content)))
    ax = fig.add_axes((x / fw, (y + band) / fh, map_w / fw, map_h / fh))
    draw_areas(ax, content, print_safe=print_safe)
    _fit_extent(ax, content.areas.total_bounds)
    if content.context is not None:
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="none",
                               edgecolor="#bbbbbb", linewidth=0.8, zorder=10))
    draw_scale_bar(ax, fontsize=fontsize - 1.5)
    draw_north_arrow(ax, fontsize=fontsize + 1)
    draw_labels(ax, content, x_in=x + map_w + 0.15, fontsize=fontsize - 0.5)
    legend_ax = fig.add_axes((x / fw, y / fh, w / fw, (band - 0.05) / fh))
    draw_legend(legend_ax, content, fontsize=fontsize - 0.5, print_safe=print_safe, columns=2)
    return ax


def draw_inset(fig: Figure, content: MapContent, box_in: tuple[float, float, float, float], *,
               region: str = "London", print_safe: bool = False) -> Axes | None:
    """An inset of a region whose small areas vanish on a national map (London by default)."""
    if "region" not in content.areas.columns:
        return None
    part = content.areas[content.areas["region"] == region]
    if part.empty:
        return None
    fw, fh = fig.get_size_inches()
    x, y, w, h = box_in
    ax = fig.add_axes((x / fw, y / fh, w / fw, (h - 0.25) / fh))
    inset = MapContent(areas=part, context=None, focus=None, classes=content.classes, measure=content.measure,
                       level=content.level, period=content.period, area_label=region, label_codes=[],
                       site_derived=content.site_derived)
    draw_areas(ax, inset, print_safe=print_safe)
    _fit_extent(ax, part.total_bounds, pad=0.03)
    ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, facecolor="none", edgecolor="#999999",
                           linewidth=0.8))
    box = ax.get_position(original=True)
    fig.text(box.x0, box.y1 + 0.06 / fh, f"{region} (same classes)", fontsize=8.5, fontweight="bold",
             va="bottom")
    return ax


def compose(model: Model, content: MapContent, *, aspect: str = "16:9", made_on: date,
            marking: str, print_safe: bool = False) -> Figure:
    """The whole page: banners, titles, map with scale bar and north arrow, legend, footer."""
    if aspect not in ASPECTS:
        raise GeoError(f"unknown aspect {aspect!r}; use one of {', '.join(ASPECTS)}")
    width, height = ASPECTS[aspect]
    fig = new_figure(width, height)
    _banner(fig, marking, top=True)
    _banner(fig, marking, top=False)
    title, subtitle = _title_lines(content, made_on)
    fig.text(*_inch(fig, 0.3, height - 0.72), title, fontsize=17, fontweight="bold", va="bottom")
    fig.text(*_inch(fig, 0.3, height - 0.98), subtitle, fontsize=11, color="#333333", va="bottom")
    footer_in = _footer(fig, model, content, made_on, marking)
    top_in = height - 1.15
    draw_panel(fig, content, (0.3, footer_in, width - 0.6, top_in - footer_in), print_safe=print_safe)
    return fig


def _metadata(fmt: str, title: str, marking: str, made_on: date, sources: str) -> dict[str, object]:
    """Format metadata with dates from the inputs (the made-on day), never the clock."""
    stamp = datetime(made_on.year, made_on.month, made_on.day, tzinfo=timezone.utc)
    if fmt == ".png":
        return {"Title": title, "Software": APP_NAME, "Source": sources, "Disclaimer": marking,
                "Creation Time": stamp.date().isoformat()}
    if fmt == ".svg":
        return {"Title": title, "Creator": APP_NAME, "Date": stamp.date().isoformat(),
                "Rights": sources, "Keywords": [marking]}
    return {"Title": title, "Creator": APP_NAME, "Producer": APP_NAME, "Subject": marking,
            "Keywords": marking, "CreationDate": stamp, "ModDate": stamp}


def save(fig: Figure, out: Path, *, dpi: int, title: str, marking: str, made_on: date, sources: str) -> Path:
    """Write the figure in the format its extension names, with fixed metadata and dpi."""
    out = Path(out)
    fmt = out.suffix.lower()
    if fmt not in FORMATS:
        raise GeoError(f"cannot write {out.name}: use one of {', '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(RC):
        fig.savefig(out, dpi=dpi, format=fmt[1:], metadata=_metadata(fmt, title, marking, made_on, sources),
                    facecolor="white")
    return out


def snapshot(model: Model, *, level: str = "lad", measure: str = "per_1000",
             period: pd.Timestamp | str | None = None, lad_code: str | None = None,
             region: str | None = None, method: str = "quantiles", aspect: str = "16:9",
             dpi: int = 150, out: Path, made_on: date, marking: str | None = None,
             ward_measures: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
             filters: Filters | None = None) -> Path:
    """Write one map snapshot (.png, .svg or .pdf) of the selection and return its path.

    The marking defaults to what the content needs (geo.render.marking); a caller may raise
    it but not lower it. Ward maps need ward measures (or site records to build them from).
    """
    if Path(out).suffix.lower() not in FORMATS:
        raise GeoError(f"cannot write {Path(out).name}: use one of {', '.join(FORMATS)}")
    if dpi < 50 or dpi > 1200:
        raise GeoError(f"dpi {dpi} is out of range (50 to 1200; 150 for screens, 300 for print)")
    if ward_measures is None and sites is not None:
        ward_measures = ward_measures_from_sites(model, sites, as_at=made_on)
    with matplotlib.rc_context(RC):
        content = map_content(model, level=level, measure=measure, period=period, lad_code=lad_code,
                              region=region, method=method, ward_measures=ward_measures,
                              filters=filters)
        chosen = marking_rules.check_marking(marking, marking_rules.marking_for(
            site_derived=content.site_derived))
        fig = compose(model, content, aspect=aspect, made_on=made_on, marking=chosen)
        title = f"{MEASURES[content.measure]}: {content.area_label}, {period_text(content.period)}"
        if content.note:
            title += f" ({content.note})"
        return save(fig, out, dpi=dpi, title=title, marking=chosen, made_on=made_on,
                    sources=source_text(model, map_sources(content.level, content.site_derived)))


def render_png_bytes(fig: Figure, dpi: int = 200) -> bytes:
    """A figure as PNG bytes (the briefing embeds maps this way)."""
    import io

    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": APP_NAME})
    return buffer.getvalue()
