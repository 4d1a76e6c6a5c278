"""Server-side map snapshots (PNG, SVG, PDF) that show exactly the classes the screen shows.

Why a separate renderer: analysts paste maps into reports and chief executives print them, so a
snapshot must work offline, be byte-identical for the same inputs, and carry everything a reader
needs to trust it: title, period, legend with the classing method, scale bar, north arrow, sources
with licence, the date made and the sensitivity marking.

``snapshot`` is the one entry point (app, briefing pack and command line). The work is split by job
in ``geo.render.maps``: ``checks`` (arguments), ``content`` (what to draw), ``draw`` (areas and
labels), ``furniture`` (legend, scale bar, north arrow, titles, sources) and ``figure`` (layout and
saving); the names callers use are re-exported here.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import matplotlib
import pandas as pd

from geo.errors import GeoError
from geo.measures import MEASURES, Filters
from geo.model import Model
from geo.render import marking as marking_rules
from geo.render.maps.checks import LEVELS, check_lad, check_level, check_measure, check_period, check_region, regions  # noqa: F401
from geo.render.maps.content import (  # noqa: F401
    BNG,
    CLASS_COUNT,
    MAX_LABELS,
    WARD_COUNTS,
    MapContent,
    filter_note,
    format_value,
    map_content,
    ranking_lines,
    sites_with_wards,
    ward_measures_from_sites,
    ward_table,
)
from geo.render.maps.draw import draw_areas, draw_labels  # noqa: F401
from geo.render.maps.figure import (  # noqa: F401
    ASPECTS,
    FORMATS,
    RC,
    compose,
    draw_inset,
    draw_panel,
    new_figure,
    render_png_bytes,
    save,
)
from geo.render.maps.furniture import (  # noqa: F401
    APP_NAME,
    _nice_length,
    draw_legend,
    draw_north_arrow,
    draw_scale_bar,
    legend_handles,
    map_sources,
    os_notice,
    period_text,
    source_text,
)


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
                    sources=source_text(model, map_sources(content.level, content.site_derived,
                                                           model.period_source(content.period))))
