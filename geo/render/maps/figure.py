"""The page: map, callouts, legend, list and inset laid out in a fixed-size figure, then saved.

Byte-identical for the same inputs: fixed dpi, matplotlib's bundled DejaVu fonts, a fixed SVG hash
salt and metadata dates taken from the inputs (the made-on day), never the clock.
"""
from __future__ import annotations

import io
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from geo.errors import GeoError
from geo.model import Model
from geo.render.maps.content import MapContent
from geo.render.maps.draw import draw_areas, draw_labels, fit_extent
from geo.render.maps.furniture import (
    APP_NAME,
    banner,
    draw_legend,
    draw_north_arrow,
    draw_ranking,
    draw_scale_bar,
    footer,
    inches,
    legend_handles,
    title_lines,
)

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

ASPECTS = {"16:9": (40 / 3, 7.5), "A4": (11.69, 8.27)}  # inches; A4 landscape (297 x 210 mm)
FORMATS = (".png", ".svg", ".pdf")
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "asylum-accommodation-map",
    "svg.fonttype": "none",     # keep text as text: searchable, and tests can read the title
    "pdf.fonttype": 42,
    "path.simplify": True,
    "hatch.linewidth": 0.8,
    "axes.unicode_minus": False,
}


class QuietCanvas(FigureCanvasAgg):
    """Agg canvas that ignores draw_idle: geopandas asks for a redraw after every layer, and a
    full draw per layer would triple the time; the figure is drawn once, when saved."""

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        return None


def new_figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), facecolor="white")
    QuietCanvas(fig)  # a renderer for measuring text, without pyplot's global state
    return fig


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
    fit_extent(ax, content.areas.total_bounds)
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
    fit_extent(ax, content.areas.total_bounds)
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
    fit_extent(ax, part.total_bounds, pad=0.03)
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
    banner(fig, marking, top=True)
    banner(fig, marking, top=False)
    title, subtitle = title_lines(content, made_on)
    fig.text(*inches(fig, 0.3, height - 0.72), title, fontsize=17, fontweight="bold", va="bottom")
    fig.text(*inches(fig, 0.3, height - 0.98), subtitle, fontsize=11, color="#333333", va="bottom")
    footer_in = footer(fig, model, content, made_on, marking)
    top_in = height - 1.15
    draw_panel(fig, content, (0.3, footer_in, width - 0.6, top_in - footer_in), print_safe=print_safe)
    return fig


def _metadata(fmt: str, title: str, marking: str, made_on: date, sources: str) -> dict[str, object]:
    """Format metadata with dates from the inputs (the made-on day), never the clock."""
    stamp = datetime(made_on.year, made_on.month, made_on.day, tzinfo=UTC)
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


def render_png_bytes(fig: Figure, dpi: int = 200) -> bytes:
    """A figure as PNG bytes (the briefing embeds maps this way)."""

    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="png", dpi=dpi, facecolor="white", metadata={"Software": APP_NAME})
    return buffer.getvalue()
