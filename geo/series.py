"""Every quarter's headline figures for a selection, in one vectorised pass.

The headline sparklines need all 40-odd quarters at once; ``geo.measures.headline`` answers one
quarter (and is the definition). This series uses the same definitions and the same 1:200 rule
(``geo.rules``); a test checks the two agree quarter by quarter.
"""
from __future__ import annotations

import pandas as pd

from geo import rules
from geo.asylum_stats import DISPERSED, HOTEL
from geo.measures import Filters, first_published
from geo.model import Model


def national_series(model: Model, filters: Filters = Filters()) -> pd.DataFrame:
    """Every quarter's headline figures for the selection, in one vectorised pass.

    Same definitions as ``geo.measures.headline`` (which is per quarter and slower): supported is
    the selected rows in the selected areas, plus rows with no authority when no area filter is
    set; hotel and dispersed follow the support-type filter only (also counting rows with no
    authority when no area filter is set); ``over`` counts authorities whose dispersed population
    is over the 1:200 limit (``geo.rules.over_threshold``).
    """
    stats = model.stats
    lads = pd.DataFrame(model.lads.drop(columns="geometry"))
    area = filters.areas(lads)
    codes = set(area["lad_code"])
    periods = pd.Index(model.periods, name="period")
    allocated = stats[stats["allocated"] & stats["lad_code"].isin(codes)]
    support_only = allocated[allocated["support_type"].isin(filters.support_types)] if filters.support_types \
        else allocated
    out = pd.DataFrame(index=periods)
    out["supported"] = filters.rows(allocated).groupby("period")["people"].sum()
    if not filters.geographic:
        unallocated = filters.rows(stats[~stats["allocated"]]).groupby("period")["people"].sum()
        out["supported"] = out["supported"].fillna(0) + unallocated.reindex(periods).fillna(0)
    out["hotel"] = support_only[support_only["accommodation_type"] == HOTEL].groupby("period")["people"].sum()
    dispersed = support_only[support_only["accommodation_type"] == DISPERSED]
    out["dispersed"] = dispersed.groupby("period")["people"].sum()
    if not filters.geographic:  # people with no council recorded count in UK-wide totals
        loose = stats[~stats["allocated"]]
        if filters.support_types:
            loose = loose[loose["support_type"].isin(filters.support_types)]
        for col, acc in (("hotel", HOTEL), ("dispersed", DISPERSED)):
            add = loose[loose["accommodation_type"] == acc].groupby("period")["people"].sum()
            out[col] = out[col].fillna(0) + add.reindex(periods).fillna(0)
    by_lad = dispersed.groupby(["period", "lad_code"])["people"].sum().reset_index()
    residents = by_lad["lad_code"].map(area.set_index("lad_code")["population"])
    by_lad["over"] = rules.over_threshold(by_lad["people"], residents).fillna(False).astype(bool)
    out["over"] = by_lad.groupby("period")["over"].sum()
    out = out.fillna(0).astype("int64")
    start = first_published(stats).get(HOTEL)  # hotels by authority only from Dec 2022: not zero before
    out["hotel"] = out["hotel"].astype("float64").where(out.index >= start if start is not None else False)
    return out.reset_index()
