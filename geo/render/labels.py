"""Where a map's names go: label boxes estimated in screen pixels, placed without overlapping.

Why: deck.gl's TextLayer draws every name it is given, so on a ward map "Bordesley & Highgate" was
drawn over "Bordesley Green", and a neighbour's name over the selected ward's own. This module
decides, before anything reaches the browser, which names fit: the selected area's name first (always
placed), then the others in the order given (most important first), each at the first of its
candidate positions that covers no name already placed and no marker (a council's red ring); a name
that fits nowhere is dropped, never drawn over another.

Boxes are estimated from the map's initial view (Web Mercator centre and zoom, as deck.gl frames
it), the font size in pixels and per-character widths of a bold sans-serif (DejaVu Sans Bold, the
widest of the fonts the browsers fall back to, so a box is never smaller than the drawn name).
Pure computation: no Streamlit, no pydeck.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Advance widths of DejaVu Sans Bold in ems (Arial and Helvetica bold are narrower).
_WIDE = {"m": 1.05, "w": 0.93, "M": 1.0, "W": 1.11, "&": 0.88, "@": 1.0, "%": 1.0}
_NARROW = {"i": 0.35, "j": 0.35, "l": 0.35, "I": 0.38, "J": 0.38, " ": 0.35, ".": 0.38, ",": 0.38,
           ":": 0.4, ";": 0.4, "'": 0.33, "!": 0.44, "|": 0.37, "(": 0.46, ")": 0.46, "-": 0.42,
           "f": 0.44, "t": 0.48, "r": 0.5}
_LOWER_EM, _UPPER_EM, _OTHER_EM = 0.72, 0.84, 0.72


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at ``size`` px in a bold sans-serif (never narrower)."""
    ems = 0.0
    for ch in text:
        if ch in _WIDE:
            ems += _WIDE[ch]
        elif ch in _NARROW:
            ems += _NARROW[ch]
        elif ch.isupper():
            ems += _UPPER_EM
        elif ch.islower():
            ems += _LOWER_EM
        else:
            ems += _OTHER_EM
    return ems * size


Box = tuple[float, float, float, float]  # left, top, right, bottom in screen pixels (y down)


@dataclass(frozen=True)
class Label:
    """A name to place: its anchor (longitude, latitude) and the pixel offsets it may take from it,
    preferred first (``(0, 0)``: centred on the anchor)."""

    key: str
    text: str
    lon: float
    lat: float
    offsets: tuple[tuple[float, float], ...] = ((0.0, 0.0),)


@dataclass(frozen=True)
class Placed:
    """A label that fits: where it goes (its offset from the anchor) and the box it covers."""

    label: Label
    offset: tuple[float, float]
    box: Box


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def to_screen(lon: float, lat: float, view: dict[str, float]) -> tuple[float, float]:
    """Pixels from the map's centre (x right, y down) of a point at the view's zoom (Web Mercator,
    512 px world at zoom 0, as deck.gl's MapView)."""
    scale = 512 * 2 ** float(view["zoom"])
    x = (lon - float(view["longitude"])) / 360 * scale
    y = (_merc_y(float(view["latitude"])) - _merc_y(lat)) / (2 * math.pi) * scale
    return x, y


def half_height(size: float, padding: tuple[float, float] = (3, 1)) -> float:
    """Half a name's box height: a line of text at ``size`` px, its background's padding, a pixel."""
    return size * 0.62 + padding[1] + 1


def label_box(label: Label, offset: tuple[float, float], view: dict[str, float], size: float,
              padding: tuple[float, float] = (3, 1)) -> Box:
    """The screen box a name covers when centred ``offset`` px from its anchor, with its background's
    ``padding`` (x, y px) and a pixel's margin."""
    x, y = to_screen(label.lon, label.lat, view)
    x, y = x + offset[0], y + offset[1]
    half_w = text_width(label.text, size) / 2 + padding[0] + 1
    half_h = half_height(size, padding)
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share any area (touching edges do not count)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def marker_box(lon: float, lat: float, view: dict[str, float], radius: float) -> Box:
    """The screen box of a round marker ``radius`` px around a point (a council's red ring)."""
    x, y = to_screen(lon, lat, view)
    return (x - radius, y - radius, x + radius, y + radius)


def place_labels(labels: Sequence[Label], view: dict[str, float], size: float, *,
                 padding: tuple[float, float] = (3, 1), obstacles: Iterable[Box] = (),
                 frame: tuple[float, float] | None = None) -> list[Placed]:
    """The labels that fit, in the order given: the first is always placed (at its first offset);
    each later one takes the first of its offsets whose box overlaps no placed box and no
    ``obstacles`` box and, with ``frame`` (width, height px of the map), lies wholly inside it.
    The others are dropped."""
    blocked = list(obstacles)
    placed: list[Placed] = []
    half = (frame[0] / 2, frame[1] / 2) if frame else None
    for i, label in enumerate(labels):
        for offset in label.offsets:
            box = label_box(label, offset, view, size, padding)
            if i == 0:
                placed.append(Placed(label, offset, box))
                break
            if half and (box[0] < -half[0] or box[2] > half[0] or box[1] < -half[1] or box[3] > half[1]):
                continue
            if any(overlaps(box, p.box) for p in placed) or any(overlaps(box, b) for b in blocked):
                continue
            placed.append(Placed(label, offset, box))
            break
    return placed


def beside(label_text: str, size: float, radius: float,
           padding: tuple[float, float] = (3, 1)) -> tuple[tuple[float, float], ...]:
    """Offsets for a name next to a round marker ``radius`` px around its anchor, clear of it: below,
    above, right and left."""
    down = radius + half_height(size, padding) + 2
    side = radius + text_width(label_text, size) / 2 + padding[0] + 3
    return ((0.0, down), (0.0, -down), (side, 0.0), (-side, 0.0))


def on_or_beside(label_text: str, lon: float, lat: float, bounds: Sequence[float], view: dict[str, float],
                 size: float, padding: tuple[float, float] = (3, 1),
                 most: float = 40.0) -> tuple[tuple[float, float], ...]:
    """Offsets for an area's name: on the area when the name fits inside the area's box on screen,
    else beside it (clear of the area's box around the anchor, up to ``most`` px away), so a small
    council (Glasgow City at national scale) is not hidden under its own name."""
    x, y = to_screen(lon, lat, view)
    x0, y1 = to_screen(float(bounds[0]), float(bounds[1]), view)
    x1, y0 = to_screen(float(bounds[2]), float(bounds[3]), view)
    fits = (min(x - x0, x1 - x) >= text_width(label_text, size) / 2 + padding[0]
            and min(y - y0, y1 - y) >= half_height(size, padding))
    if fits:
        return nudged(size, padding)
    return beside(label_text, size, min(area_radius(lon, lat, bounds, view), most), padding)


def area_radius(lon: float, lat: float, bounds: Sequence[float], view: dict[str, float]) -> float:
    """How far (px, the larger of x and y) an area's box on screen reaches from its anchor."""
    x, y = to_screen(lon, lat, view)
    x0, y1 = to_screen(float(bounds[0]), float(bounds[1]), view)
    x1, y0 = to_screen(float(bounds[2]), float(bounds[3]), view)
    return max(x - x0, x1 - x, y - y0, y1 - y, 0.0)


def nudged(size: float, padding: tuple[float, float] = (3, 1)) -> tuple[tuple[float, float], ...]:
    """Centred on the anchor, then a line above or below it: for an area's name inside the area."""
    step = 2 * half_height(size, padding) + 1
    return ((0.0, 0.0), (0.0, -step), (0.0, step))
