"""Every quarter's headline figures for a selection, in one vectorised pass.

The headline sparklines need all 48 quarters at once; ``geo.measures.headline`` answers one
quarter (it is the definition, and takes about a second a quarter). This series applies the same
definitions with the same building blocks (``Filters``, ``measure_published``, ``geo.rules``), and
``tests/test_series.py`` checks the two agree quarter by quarter on the real files, so a change to
one that the other misses fails there.
"""
from __future__ import annotations

import pandas as pd

from geo import rules
from geo.asylum_stats import ALL_SUPPORT, CONTINGENCY_ALL, DISPERSED, HOTEL, OTHER_CONTINGENCY
from geo.measures import Filters
from geo.model import Model
from geo.period_table import measure_published

COLUMNS = ("supported", "hotel", "contingency", "dispersed", "over")


def _sums(rows: pd.DataFrame, periods: pd.Index) -> pd.Series:
    return rows.groupby("period")["people"].sum().reindex(periods).fillna(0)


def national_series(model: Model, filters: Filters | None = None) -> pd.DataFrame:
    """One row per quarter: supported, hotel, contingency, dispersed and authorities over 1:200.

    As ``measures.headline``: counts follow the filters (a row a source cannot split stays in);
    people with no authority count when no area filter is set; 'over' is judged on dispersed
    people of every support type; a measure the quarter's source does not publish is NaN.
    """
    filters = filters or Filters()
    stats = model.stats
    lads = pd.DataFrame(model.lads.drop(columns="geometry"))
    area = filters.areas(lads)
    periods = pd.Index(model.periods, name="period")
    allocated = stats[stats["allocated"] & stats["lad_code"].isin(set(area["lad_code"]))]
    typed = allocated
    if filters.support_types:
        typed = allocated[allocated["support_type"].isin(filters.support_types)
                          | (allocated["support_type"] == ALL_SUPPORT)]
    loose = stats[~stats["allocated"]]
    loose_typed = loose[loose["support_type"].isin(filters.support_types)] if filters.support_types else loose

    def of_type(frame: pd.DataFrame, *types: str) -> pd.Series:
        return _sums(frame[frame["accommodation_type"].isin(types)], periods)

    out = pd.DataFrame(index=periods)
    out["supported"] = _sums(filters.rows(allocated), periods)
    out["hotel"] = of_type(typed, HOTEL)
    split = of_type(typed, HOTEL, OTHER_CONTINGENCY)
    together = of_type(typed, CONTINGENCY_ALL)
    has_together = pd.Series(periods.isin(stats.loc[stats["accommodation_type"] == CONTINGENCY_ALL, "period"]),
                             index=periods)
    out["contingency"] = together.where(has_together, split)
    out["dispersed"] = of_type(typed, DISPERSED)
    if not filters.geographic:  # people with no authority recorded count in UK-wide totals
        out["supported"] += _sums(filters.rows(loose), periods)
        out["hotel"] += of_type(loose_typed, HOTEL)
        out["contingency"] += of_type(loose_typed, HOTEL, OTHER_CONTINGENCY)
        out["dispersed"] += of_type(loose_typed, DISPERSED)

    every_support = allocated[allocated["accommodation_type"] == DISPERSED]
    by_lad = every_support.groupby(["period", "lad_code"])["people"].sum().reset_index()
    residents = by_lad["lad_code"].map(area.set_index("lad_code")["population"])
    by_lad["over"] = rules.over_threshold(by_lad["people"], residents).fillna(False).astype(bool)
    out["over"] = by_lad.groupby("period")["over"].sum().reindex(periods).fillna(0)

    for column in COLUMNS:
        measure = "dispersed" if column == "over" else column
        published = pd.Series([measure_published(stats, measure, p) for p in periods], index=periods)
        out[column] = out[column].astype("float64").where(published)
    return out.reset_index()
