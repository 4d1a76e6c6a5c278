"""HTML legends shown beside the maps: class swatches with their ranges, the classing method, the
"No estimate" grey and the over-1:200 outline, each with words so colour never carries meaning alone.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from geo.render.classify import OVER_THRESHOLD_OUTLINE, Classes

_BOX = ("display:inline-block;width:22px;height:16px;margin-right:8px;vertical-align:middle;"
        "border:1px solid #b1b4b6;background:{colour}")
_OUTLINE = ("display:inline-block;width:18px;height:12px;margin-right:8px;vertical-align:middle;"
            "background:#ffffff;border:{width}px solid {colour}")
_ROW = "<li style='list-style:none;margin:3px 0;font-size:{size};line-height:1.3'>{swatch}{text}</li>"


def _row(swatch: str, text: str, size: str) -> str:
    return _ROW.format(swatch=swatch, text=text, size=size)


def choropleth_legend(classes: Classes, title: str, *, no_estimate: int | None = None,
                      over: int | str | None = None, over_text: str = "Over the 1:200 limit",
                      unit: str | None = None, large: bool = False, extra: Iterable[tuple[str, str]] = (),
                      gaps: Mapping[str, int] | None = None) -> str:
    """The map key as HTML. ``no_estimate`` 0 leaves out the grey entry (None: shown, uncounted);
    ``over`` None leaves out the outline entry, words (a geo.gaps state) say why there is no count;
    ``gaps`` (state -> areas, geo.measures.gap_counts) gives one grey entry per reason a figure is
    missing, in place of the single "no estimate" entry; ``extra`` adds (swatch html, text) rows."""
    size = "1.15rem" if large else "0.9rem"
    rows = [_row(f"<span style='{_BOX.format(colour=c)}'></span>", escape(label), size)
            for c, label in zip(classes.colours, classes.labels, strict=False)]
    if gaps is not None:
        for state, count in gaps.items():
            rows.append(_row(f"<span style='{_BOX.format(colour=classes.no_data_colour)}'></span>",
                             escape(f"{state[0].upper()}{state[1:]}: {count:,} area{'s' if count != 1 else ''}"),
                             size))
    elif no_estimate is None or no_estimate > 0:  # a grey swatch for nothing on the map only confuses
        grey = "No estimate (no population figure)"
        if no_estimate:
            grey += f": {no_estimate:,} area{'s' if no_estimate != 1 else ''}"
        rows.append(_row(f"<span style='{_BOX.format(colour=classes.no_data_colour)}'></span>", escape(grey),
                         size))
    if over is not None:
        shown = escape(over) if isinstance(over, str) else f"{over:,}"
        rows.append(_row(
            f"<span style='{_OUTLINE.format(width=3, colour=OVER_THRESHOLD_OUTLINE)}'></span>",
            f"<b>Red outline: {escape(over_text)}</b> ({shown})", size))
    for swatch, text in extra:
        rows.append(_row(swatch, text, size))
    unit_line = f"<div style='font-size:0.8rem;color:#505a5f'>{escape(unit)}</div>" if unit else ""
    return (
        "<div class='aam-legend' role='group' aria-label='Map key'>"
        f"<div style='font-weight:700;font-size:{'1.2rem' if large else '1rem'};margin-bottom:2px'>"
        f"{escape(title)}</div>{unit_line}"
        f"<ul style='padding:0;margin:6px 0'>{''.join(rows)}</ul>"
        f"<div style='font-size:0.8rem;color:#505a5f'>{escape(classes_line(classes))}</div>"
        "</div>"
    )


def classes_line(classes: Classes) -> str:
    """How the colours were grouped, in plain words ('Quantiles, 0 groups' meant nothing to a chief
    executive), the method's name after them for the analyst; when no area has a figure, that every
    area is grey and why to look above."""
    n = len(classes.labels)
    if n == 0:
        return "No area has a figure to colour: every area is grey (see above for why)."
    bands = {"quantiles": f"{n} colour bands, each holding about the same number of areas.",
             "natural_breaks": f"{n} colour bands, each grouping similar values.",
             "limit_quarters": "Colour bands in fixed steps of a quarter of the 1:200 limit."}
    return f"Classes: {bands.get(classes.method, f'{n} colour bands.')} Method: {classes.legend_title}."


def outline_swatch(colour: str, width: int = 3) -> str:
    return f"<span style='{_OUTLINE.format(width=width, colour=colour)}'></span>"
