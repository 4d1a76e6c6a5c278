"""Measures the screens show, computed from the tidy statistics and populations.

Definitions (written on screen too):
- supported: people in receipt of asylum support at the quarter end, all accommodation types selected;
- hotel: people in 'Contingency Accommodation - Hotel';
- dispersed: people in 'Dispersal Accommodation';
- per_1000: supported per 1,000 residents;
- dispersal_ratio: dispersed per resident; the 2019 memorandum's cluster limit is 1 per 200 (0.005);
- limit_used: dispersed / (residents / 200), so 1.0 is exactly at the limit;
- over_threshold: dispersed > residents / 200 (unknown when there is no population estimate).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

import pandas as pd

from geo.asylum_stats import DISPERSED, HOTEL
from geo.model import Model

CLUSTER_LIMIT = 200  # residents per supported asylum seeker in dispersed accommodation
MEASURES = {
    "per_1000": "People supported per 1,000 residents",
    "hotel": "People in contingency hotels",
    "dispersed": "People in dispersed accommodation",
    "limit_used": "Dispersal against the 1:200 limit (1.0 = at the limit)",
    "supported": "People supported (all accommodation)",
}
_SHORT = {
    "Dispersal Accommodation": "dispersed",
    "Contingency Accommodation - Hotel": "hotel",
    "Contingency Accommodation - Other": "other_contingency",
    "Initial Accommodation": "initial",
    "Subsistence Only": "subsistence_only",
    "Other Accommodation": "other_accommodation",
}


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the statistics to; empty means everything."""

    support_types: tuple[str, ...] = ()
    accommodation_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    nations: tuple[str, ...] = ()

    def rows(self, stats: pd.DataFrame) -> pd.DataFrame:
        keep = pd.Series(True, index=stats.index)
        if self.support_types:
            keep &= stats["support_type"].isin(self.support_types)
        if self.accommodation_types:
            keep &= stats["accommodation_type"].isin(self.accommodation_types)
        return stats[keep]

    def areas(self, frame: pd.DataFrame) -> pd.DataFrame:
        keep = pd.Series(True, index=frame.index)
        if self.regions:
            keep &= frame["region"].isin(self.regions)
        if self.nations:
            keep &= frame["nation"].isin(self.nations)
        return frame[keep]

    @property
    def geographic(self) -> bool:
        return bool(self.regions or self.nations)


def first_published(stats: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """The first quarter each accommodation type appears by authority in the series.

    Asy_D11 split out hotels, initial and other contingency accommodation by authority only from
    December 2022; before that a zero would be a claim the file does not make.
    """
    return stats[stats["allocated"]].groupby("accommodation_type")["period"].min().to_dict()


def published(stats: pd.DataFrame, accommodation_type: str, period: pd.Timestamp | None) -> bool:
    start = first_published(stats).get(accommodation_type)
    return period is not None and start is not None and pd.Timestamp(period) >= start


def previous_period(periods: list[pd.Timestamp], period: pd.Timestamp, quarters: int) -> pd.Timestamp | None:
    """The quarter `quarters` before period, if the series has it."""
    target = (pd.Timestamp(period) - pd.offsets.QuarterEnd(quarters)).normalize()
    return target if target in set(periods) else None


def _by_lad(stats: pd.DataFrame, period: pd.Timestamp, filters: Filters) -> pd.DataFrame:
    rows = stats[(stats["period"] == period) & stats["allocated"]]
    selected = filters.rows(rows)
    wide = rows[rows["support_type"].isin(filters.support_types) if filters.support_types else slice(None)]
    by_type = (wide.pivot_table(index="lad_code", columns="accommodation_type", values="people",
                                aggfunc="sum", fill_value=0).rename(columns=_SHORT))
    for col in _SHORT.values():
        if col not in by_type.columns:
            by_type[col] = 0
    by_type = by_type[list(_SHORT.values())]
    by_type["supported"] = selected.groupby("lad_code")["people"].sum()
    return by_type.fillna(0).astype("int64")


def lad_table(model: Model, period: pd.Timestamp | str, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per current authority: counts, rates, 1:200 status, shares and changes."""
    period = pd.Timestamp(period)
    base = pd.DataFrame(model.lads.drop(columns="geometry"))
    counts = _by_lad(model.stats, period, filters)
    table = base.merge(counts, left_on="lad_code", right_index=True, how="left")
    count_cols = list(counts.columns)
    table[count_cols] = table[count_cols].fillna(0).astype("int64")
    pop = table["population"]
    table["per_1000"] = table["supported"] / pop * 1000
    table["dispersal_ratio"] = table["dispersed"] / pop
    table["limit_used"] = table["dispersed"] / (pop / CLUSTER_LIMIT)
    table["headroom"] = pop / CLUSTER_LIMIT - table["dispersed"]
    table["over_threshold"] = (table["dispersed"] > pop / CLUSTER_LIMIT).where(pop.notna())
    table["threshold_status"] = table["over_threshold"].map(
        {True: "over 1:200", False: "within 1:200"}).fillna("no estimate")
    region_total = table.groupby("region")["supported"].transform("sum")
    table["share_of_region"] = table["supported"] / region_total.where(region_total > 0)
    table["share_of_uk"] = table["supported"] / table["supported"].sum()
    for label, quarters in (("q", 1), ("y", 4)):
        before = previous_period(model.periods, period, quarters)
        prior = (_by_lad(model.stats, before, filters) if before is not None
                 else pd.DataFrame(columns=["supported", "hotel", "dispersed"]))
        for col in ("supported", "hotel", "dispersed"):
            previous = table["lad_code"].map(prior[col]).fillna(0) if before is not None else float("nan")
            table[f"{col}_change_{label}"] = table[col] - previous
    table["period"] = period
    return filters.areas(table).reset_index(drop=True)


@dataclass(frozen=True)
class Headline:
    """A big number with its change on the quarter and the year (None where the series lacks it)."""

    label: str
    value: float
    change_q: float | None
    change_y: float | None


def _total(model: Model, period: pd.Timestamp | None, filters: Filters) -> dict[str, float] | None:
    if period is None:
        return None
    table = lad_table(model, period, filters)
    loose = model.stats[(model.stats["period"] == period) & ~model.stats["allocated"]]
    rows = filters.rows(loose)
    unallocated = 0 if filters.geographic else int(rows["people"].sum())
    # Hotel and dispersed people with no council recorded still count in the UK-wide totals.
    typed = loose[loose["support_type"].isin(filters.support_types)] if filters.support_types else loose
    extra = {acc: 0 if filters.geographic else int(typed.loc[typed["accommodation_type"] == acc, "people"].sum())
             for acc in (HOTEL, DISPERSED)}
    return {
        "supported": int(table["supported"].sum()) + unallocated,
        "hotel": int(table["hotel"].sum()) + extra[HOTEL],
        "dispersed": int(table["dispersed"].sum()) + extra[DISPERSED],
        "over": int(table["over_threshold"].fillna(False).astype(bool).sum()),
        "unallocated": unallocated,
    }


def headline(model: Model, period: pd.Timestamp | str, filters: Filters = Filters()) -> dict[str, Headline]:
    """The four numbers a chief executive reads first, for the selection."""
    period = pd.Timestamp(period)
    now = _total(model, period, filters)
    q = _total(model, previous_period(model.periods, period, 1), filters)
    y = _total(model, previous_period(model.periods, period, 4), filters)
    labels = {"supported": "People supported", "hotel": "In contingency hotels",
              "dispersed": "In dispersed accommodation", "over": "Authorities over 1:200"}
    out = {k: Headline(label, now[k], None if q is None else now[k] - q[k], None if y is None else now[k] - y[k])
           for k, label in labels.items()}
    if not published(model.stats, HOTEL, period):
        out["hotel"] = Headline(labels["hotel"], float("nan"), None, None)
    else:
        for attr, quarters in (("change_q", 1), ("change_y", 4)):
            if not published(model.stats, HOTEL, previous_period(model.periods, period, quarters)):
                out["hotel"] = replace(out["hotel"], **{attr: None})
    return out


def lad_trend(model: Model, lad_code: str, filters: Filters = Filters()) -> pd.DataFrame:
    """Every quarter for one authority: supported, hotel, dispersed and dispersal against 1:200."""
    rows = model.stats[model.stats["lad_code"] == lad_code]
    by_type = rows.pivot_table(index="period", columns="accommodation_type", values="people",
                               aggfunc="sum", fill_value=0)
    out = pd.DataFrame(index=pd.Index(model.periods, name="period"))
    out["supported"] = filters.rows(rows).groupby("period")["people"].sum()
    out["hotel"] = by_type.get(HOTEL)
    out["dispersed"] = by_type.get(DISPERSED)
    out = out.fillna(0).astype("int64")
    start = first_published(model.stats).get(HOTEL)
    out["hotel"] = out["hotel"].astype("float64").where(out.index >= start if start is not None else False)
    pop = model.lads.set_index("lad_code").at[lad_code, "population"]
    out["limit_used"] = out["dispersed"] / (pop / CLUSTER_LIMIT) if pd.notna(pop) else float("nan")
    return out.reset_index()


def rank(table: pd.DataFrame, lad_code: str, column: str, within: str | None = None) -> tuple[int, int]:
    """(rank, out of) for an authority, highest first, within its region or the UK."""
    frame = table
    if within is not None:
        region = table.loc[table["lad_code"] == lad_code, within].iloc[0]
        frame = table[table[within] == region]
    ranks = frame[column].rank(ascending=False, method="min")
    return int(ranks[frame["lad_code"] == lad_code].iloc[0]), len(frame)


def region_table(model: Model, period: pd.Timestamp | str, filters: Filters = Filters()) -> pd.DataFrame:
    """Regions and nations: totals, residents, rates and the count of authorities over 1:200."""
    table = lad_table(model, period, filters)
    grouped = table.groupby(["nation", "region"], as_index=False).agg(
        population=("population", "sum"), supported=("supported", "sum"), hotel=("hotel", "sum"),
        dispersed=("dispersed", "sum"), authorities=("lad_code", "count"),
        over_threshold=("over_threshold", lambda s: int(s.fillna(False).astype(bool).sum())))
    grouped["per_1000"] = grouped["supported"] / grouped["population"] * 1000
    grouped["limit_used"] = grouped["dispersed"] / (grouped["population"] / CLUSTER_LIMIT)
    return grouped


def stats_summary(stats: pd.DataFrame, period: str | pd.Timestamp | None = None) -> dict[str, object]:
    """The figures `python -m geo stats` prints, straight from the tidy table."""
    periods = sorted(pd.to_datetime(stats["period"].unique()))
    chosen = pd.Timestamp(period) if period is not None else periods[-1]
    if chosen not in set(periods):
        from geo.errors import DataError

        raise DataError(f"period {chosen.date()} is not in the file; it has "
                        f"{periods[0].date()} to {periods[-1].date()}")
    rows = stats[stats["period"] == chosen]
    by_acc = rows.groupby("accommodation_type")["people"].sum()
    with_people = rows[rows["allocated"] & (rows["people"] > 0)]
    return {
        "periods": [p.date().isoformat() for p in periods],
        "period": chosen.date().isoformat(),
        "people": int(rows["people"].sum()),
        "by_accommodation": {k: int(v) for k, v in by_acc.items() if v > 0},
        "unallocated_people": int(rows.loc[~rows["allocated"], "people"].sum()),
        "authorities": int(with_people["lad_code"].nunique()),
    }


def as_periods(values: Iterable[str]) -> list[pd.Timestamp]:
    return [pd.Timestamp(v) for v in values]
