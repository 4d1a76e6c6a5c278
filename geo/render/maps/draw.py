"""Drawing a map's content onto matplotlib axes: filled areas, the 1:200 outline, callout labels.

Only geometry and text onto axes here; what to draw is ``content``, the page around it
``furniture`` and ``figure``. Over-limit areas are outlined in red (and hatched for greyscale
print), so the flag never depends on colour alone.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import cast

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from geo import rules
from geo.render.classify import NO_DATA, OVER_THRESHOLD_OUTLINE
from geo.render.maps.content import MapContent, format_value

SUPPRESSED_COLOUR = "#f4f4f4"
NO_DATA_HATCH = "---"
CONTEXT_COLOUR = "#eeeeee"


def figure_of(ax: Axes) -> Figure:
    """The figure an axes is drawn on (these maps never use subfigures)."""
    return cast(Figure, ax.figure)


def _lightness(colour: str) -> float:
    r, g, b = to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def fit_extent(ax: Axes, bounds: Sequence[float], pad: float = 0.04) -> None:
    """Pad the bounds and widen them to the axes' shape, so the map fills its box."""
    x0, y0, x1, y1 = bounds
    w, h = (x1 - x0) * (1 + 2 * pad), (y1 - y0) * (1 + 2 * pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bbox = ax.get_position(original=True)  # geopandas may already have shrunk the active box
    fw, fh = figure_of(ax).get_size_inches()
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
    fig = figure_of(ax)
    fw, fh = fig.get_size_inches()
    to_inches = ax.transData + fig.dpi_scale_trans.inverted()
    points = [(code, row, row.geometry.representative_point()) for code, row in rows]
    located = sorted(((to_inches.transform((p.x, p.y)), code, row, p) for code, row, p in points),
                     key=lambda item: -item[0][1])
    box = ax.get_position()
    gap = fontsize * 2.7 / 72
    ys = _spread([xy[1] for xy, *_ in located], gap, box.y0 * fh + gap / 2, box.y1 * fh - gap / 2)
    for (_xy, _code, row, point), y in zip(located, ys, strict=True):
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
