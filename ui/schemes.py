"""The other Home Office schemes drawn on a page: each figure with its meaning, rate and source.

The figures come from geo.schemes; this module only lays them out, so the overview and the
council view show the same thing in the same words.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from geo import schemes, text

# Scheme columns every council table export carries (value, rate per 10,000 residents, marker).
EXPORT_COLUMNS: tuple[str, ...] = tuple(f"{k}{s}" for k in schemes.HEADLINE for s in ("", "_per_10k", "_marker"))
add_schemes = schemes.add_to  # a council table with the scheme columns of its quarter


def _source(model: Any, period: pd.Timestamp | str) -> str:
    """The schemes' source line, short when its file is the one the page's foot already names
    (issue 27: one long source paragraph per page, not one under every section)."""
    line = schemes.source_line(model, period)
    main = model.provenance.get("reg02")
    return f"{model.short_source('reg02')}." if main is not None and main.file_name in line else line


def panel(where: Any, model: Any, period: pd.Timestamp | str, lad_codes: list[str] | None = None, *,
          council: str | None = None) -> None:
    """'Other Home Office schemes' at a quarter: totals over `lad_codes` (or one council's figures)."""
    title = f"Other Home Office schemes, {text.quarter_label(period)}"
    figures = (schemes.council_figures(model, council, period) if council is not None
               else schemes.figures(model, period, lad_codes))
    box = where.container(border=True)
    box.markdown(f"**{title}**")
    if not schemes.at_period(model, period).shape[0]:
        box.caption(f"Homes for Ukraine and the Afghan Resettlement Programme are {schemes.NOT_PUBLISHED} "
                    f"for this quarter. {schemes.source_line(model, period)}")
        return
    rows = [{"Scheme": f.label, "People": f.value_text(), "Per 10,000 residents": f.per_10k_text(),
             "What it counts": f.meaning} for f in figures]
    # A table that wraps: in the overview's side column a grid needed sideways scrolling (819 px in 312).
    box.table(pd.DataFrame(rows), hide_index=True)
    withheld = [f.label for f in figures if f.withheld]
    if withheld:
        box.caption("Withheld in the file for some councils (left out of the totals, never counted as 0): "
                    + "; ".join(withheld) + ".")
    res = model.source_line("res_d01") + "." if any(f.key == "resettlement_arrivals" for f in figures) else ""
    box.caption("They measure different things: Homes for Ukraine counts arrivals since 2022; the Afghan "
                "programme and supported asylum count people at the date. " + _source(model, period)
                + (" " + res if res else ""))
