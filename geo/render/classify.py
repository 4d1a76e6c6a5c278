"""Classed, colour-blind-safe colour scales shared by the browser maps and the static snapshots.

One place decides the classes and colours, so a PNG exported for a report shows exactly the
classes the screen showed. Classing gives mapclassify's quantile or Fisher-Jenks natural-break bins
(``geo.render.breaks``, checked against mapclassify in the tests, so a page never imports it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import rules
from geo.render.breaks import fisher_jenks_bins, quantile_bins

# ColorBrewer / viridis-derived sequential ramps that stay distinct for common colour-vision
# deficiencies and in greyscale print (light -> dark).
SEQUENTIAL = ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"]
DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]
NO_DATA = "#d9d9d9"
OVER_THRESHOLD_OUTLINE = "#d7191c"
METHODS = {"quantiles": "Quantiles", "natural_breaks": "Natural breaks (Fisher-Jenks)",
           "limit_quarters": "Fixed: quarters of the 1:200 limit"}
# Measures read against the 1:200 limit get fixed classes, so "over the limit" is always its own
# class whatever the spread of the data: the limit itself (1.0 of the limit, or rules.LIMIT_RATIO per resident).
LIMIT_MEASURES = {"limit_used": 1.0, "dispersal_ratio": rules.LIMIT_RATIO}


@dataclass(frozen=True)
class Classes:
    """Class bins (upper bounds), the colour of each class and the legend labels."""

    bins: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    method: str
    no_data_colour: str = NO_DATA

    def colour_of(self, values: pd.Series) -> pd.Series:
        """Hex colour per value; missing values get the no-data grey."""
        if not self.bins:
            return pd.Series(self.no_data_colour, index=values.index, dtype=object)
        index = np.searchsorted(np.asarray(self.bins), values.to_numpy(dtype=float), side="left")
        index = np.clip(index, 0, len(self.colours) - 1)
        colours = pd.Series(np.asarray(self.colours, dtype=object)[index], index=values.index)
        return colours.where(values.notna(), self.no_data_colour)

    @property
    def legend_title(self) -> str:
        return METHODS.get(self.method, self.method)


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def classify(values: pd.Series, method: str = "quantiles", k: int = 5,
             palette: list[str] | None = None, measure: str | None = None) -> Classes:
    """Class the non-missing values; fewer distinct values than k gives fewer classes.

    Measures of the 1:200 limit ignore `method` and use fixed quarters of the limit.
    """
    data = values.dropna().astype(float).to_numpy()
    palette = palette or SEQUENTIAL
    if measure in LIMIT_MEASURES:
        return _limit_classes(data, LIMIT_MEASURES[measure], palette)
    distinct = np.unique(data)
    if distinct.size == 0:
        return Classes((), (), (), method)  # nothing to class: every area takes the no-data grey
    k = int(min(k, distinct.size))
    if k < 2:
        bins = np.array([distinct.max()])
    else:
        # mapclassify's own bins, without importing it (scipy and scikit-learn): geo.render.breaks
        bins = fisher_jenks_bins(data, k) if method == "natural_breaks" else quantile_bins(data, k)
    colours = _spread(palette, len(bins))
    lows = [float(data.min())] + [float(b) for b in bins[:-1]]
    labels = [_label(lo, hi, first=i == 0) for i, (lo, hi) in enumerate(zip(lows, bins, strict=False))]
    return Classes(tuple(float(b) for b in bins), tuple(colours), tuple(labels), method)


def _limit_classes(data: np.ndarray, limit: float, palette: list[str]) -> Classes:
    top = max(float(data.max()) if data.size else limit, limit * 1.25)
    bins = (limit * 0.25, limit * 0.5, limit * 0.75, limit, top)
    labels = ("up to a quarter of the limit", "a quarter to half", "half to three quarters",
              "three quarters to the limit", "over the 1:200 limit")
    return Classes(bins, tuple(_spread(palette, 5)), labels, "limit_quarters")


def _label(low: float, high: float, *, first: bool) -> str:
    """'0' rather than '0.00 to 0.00' when many areas have none; later classes start above low."""
    if low == high:
        return _fmt(high)
    return f"{_fmt(low)} to {_fmt(high)}" if first else f"over {_fmt(low)} to {_fmt(high)}"


def _spread(palette: list[str], n: int) -> list[str]:
    """n colours spread evenly across the palette so light and dark ends are both used."""
    if n >= len(palette):
        return list(palette[:n])
    picks = np.linspace(0, len(palette) - 1, n).round().astype(int)
    return [palette[i] for i in picks]


def hex_to_rgba(colour: str, alpha: int = 200) -> list[int]:
    """pydeck wants [r, g, b, a] lists, not hex strings."""
    colour = colour.lstrip("#")
    return [int(colour[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]
