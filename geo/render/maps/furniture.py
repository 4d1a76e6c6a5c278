"""A map's furniture: legend, scale bar, north arrow, 'highest' list, banners, titles and sources.

What a reader needs to trust a printed map, drawn around the map that ``draw`` made.
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from geo import rules
from geo.gaps import NO_ESTIMATE, WITHHELD
from geo.measures import MEASURES
from geo.model import Model
from geo.render import marking as marking_rules
from geo.render.classify import NO_DATA, OVER_THRESHOLD_OUTLINE
from geo.render.maps.content import MapContent, ranking_lines
from geo.render.maps.draw import NO_DATA_HATCH, SUPPRESSED_COLOUR, figure_of
from geo.text import quarter_label, source_line

APP_NAME = "Asylum Accommodation Map"
OS_NOTICE = "Contains OS data \u00a9 Crown copyright and database right"
PLURAL = {"authority": "authorities", "ward": "wards"}


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


def map_sources(level: str, site_derived: bool, speaking: str | None = None) -> list[str]:
    """The files a map or pack cites: the file that speaks for its quarter first (the totals series
    when it supplied the figures, issue 23), then Asy_D11, Reg_02 (populations) and the boundaries."""
    ids = [speaking] if speaking else []
    ids += [i for i in ("asy_d11", "reg02", "lad_boundaries") if i != speaking]
    if level == "ward":
        ids += ["ward_boundaries", "ward_lad_lookup", "ward_population"]
    return ids


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
    length = _nice_length(x1 - x0, ax.get_position(original=True).width * figure_of(ax).get_size_inches()[0])
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
    handles = [Patch(facecolor=colour, edgecolor="#666666", linewidth=0.4, label=label)
               for colour, label in zip(content.classes.colours, content.classes.labels, strict=True)]
    unit = "authority" if content.level == "lad" else "ward"
    blank = content.areas["value"].isna() & ~content.areas["suppressed"]
    reasons = content.areas.loc[blank, "gap"].replace("", NO_ESTIMATE) if "gap" in content.areas \
        else pd.Series(NO_ESTIMATE, index=content.areas.index[blank])
    for state, count in reasons.value_counts(sort=False).items():  # one grey entry per reason, counted
        handles.append(Patch(facecolor=NO_DATA, edgecolor="#666666", linewidth=0.4,
                             label=f"{str(state)[0].upper()}{str(state)[1:]} ({count} "
                                   f"{unit if count == 1 else PLURAL[unit]})",
                             hatch=NO_DATA_HATCH if print_safe else None))
    if content.areas["suppressed"].any():
        handles.append(Patch(facecolor=SUPPRESSED_COLOUR, edgecolor="#9a9a9a", hatch="....",
                             label=f"[c] {WITHHELD[:1].upper()}{WITHHELD[1:]}"))  # geo.gaps words
    over_gap = str(content.areas["over_gap"].iloc[0]) if "over_gap" in content.areas and len(content.areas) else ""
    count = over_gap or f"{content.over_count} {unit if content.over_count == 1 else PLURAL[unit]}"
    handles.append(Patch(facecolor="white", edgecolor=OVER_THRESHOLD_OUTLINE, linewidth=1.6,
                         hatch="////" if print_safe else None,
                         label=f"Over the {rules.LIMIT_NAME} limit ({count})"))
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
    fig = figure_of(ax)
    # An Agg canvas (figure.QuietCanvas), which has a renderer for measuring text.
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = legend.get_window_extent(renderer).transformed(fig.dpi_scale_trans.inverted())
    return float(box.height)  # inches, so a list can sit just below it


def draw_ranking(ax: Axes, content: MapContent, *, fontsize: float = 8.5, n: int = 10) -> None:
    """A short 'highest' list, so the reader gets the numbers behind the darkest areas."""
    ax.set_axis_off()
    unit = "authorities" if content.level == "lad" else "wards"
    ax.text(0, 1, f"Highest {unit}", transform=ax.transAxes, fontsize=fontsize + 0.5, fontweight="bold",
            va="top")
    step = fontsize * 1.55 / 72 / (ax.get_position().height * figure_of(ax).get_size_inches()[1])
    for i, (name, value) in enumerate(ranking_lines(content, n), start=1):
        y = 1 - (i + 0.6) * step
        ax.text(0, y, f"{i:>2}. {textwrap.shorten(name, 26, placeholder='…')}", transform=ax.transAxes,
                fontsize=fontsize, va="top")
        ax.text(1, y, value, transform=ax.transAxes, fontsize=fontsize, va="top", ha="right")


def inches(fig: Figure, x: float = 0.0, y: float = 0.0) -> tuple[float, float]:
    w, h = fig.get_size_inches()
    return x / w, y / h


def banner(fig: Figure, marking: str, top: bool, height_in: float = 0.3) -> None:
    _, h = inches(fig, 0, height_in)
    y = 1 - h if top else 0
    fig.patches.append(Rectangle((0, y), 1, h, transform=fig.transFigure,
                                 facecolor=marking_rules.banner_colour(marking), edgecolor="none"))
    fig.text(0.5, y + h / 2, marking, ha="center", va="center", color="white", fontsize=11,
             fontweight="bold")


def title_lines(content: MapContent, made_on: date) -> tuple[str, str]:
    title = MEASURES[content.measure]
    if content.site_derived:  # ward figures come from site records on the day made, not the quarter
        return title, f"{content.area_label}  ·  site records open on {quarter_label(made_on)}"
    subtitle = f"{period_text(content.period)}  ·  {content.area_label}"
    return title, subtitle + (f"  ·  {content.note}" if content.note else "")


def footer(fig: Figure, model: Model, content: MapContent, made_on: date, marking: str,
            fontsize: float = 7.0) -> float:
    """Source and made-on lines above the bottom banner; returns the footer height in inches."""
    w, _ = fig.get_size_inches()
    extra = ["Site records held under the council's data-sharing agreement (ward counts)"] \
        if content.site_derived else []
    text = source_text(model, map_sources(content.level, content.site_derived, model.period_source(content.period)),
                       extra)
    chars = int((w - 0.6) * 72 / (fontsize * 0.55))
    lines = textwrap.wrap(text, chars)
    lines.append(f"Made on {quarter_label(made_on)} with the {APP_NAME}. Figures are provisional. "
                 f"{marking_rules.HANDLING[marking]}")
    line_h = fontsize * 1.35 / 72
    base = 0.3 + 0.08
    for i, line in enumerate(reversed(lines)):
        x, y = inches(fig, 0.3, base + i * line_h)
        fig.text(x, y, line, ha="left", va="bottom", fontsize=fontsize, color="#333333")
    return base + len(lines) * line_h + 0.1
