"""Measures the screens show, computed from the tidy statistics and populations.

Definitions (written on screen too):
- supported: people in receipt of asylum support at the quarter end, all accommodation types selected;
- hotel: people in 'Contingency Accommodation - Hotel';
- dispersed: people in 'Dispersal Accommodation';
- per_1000: supported per 1,000 residents;
- dispersal_ratio: dispersed per resident; the 2019 memorandum's cluster limit is 1 per 200 (0.005);
- limit_used, headroom, over_by, over_threshold: geo.rules (capacity rounds down to whole people),
  always on dispersed people under every support type.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from geo import changes, gaps, rules, text
from geo.asylum_stats import ALL_SUPPORT, CONTINGENCY_ALL, DISPERSED, HOTEL, OTHER_CONTINGENCY, TOTAL_ONLY
from geo.model import Model
from geo.period_table import (
    MEASURE_LABELS,
    NOT_IN_FILE,
    NOT_PUBLISHED,
    SOURCE_NAMES,
    measure_in,
    measure_published,
    period_source,
    published_types,
)
from geo.rules import CLUSTER_LIMIT  # noqa: F401  (re-exported for callers not yet on geo.rules)

MEASURES = {
    "per_1000": "People supported per 1,000 residents",
    "hotel": "People in contingency hotels",
    "dispersed": "People in dispersed accommodation",
    "limit_used": "Dispersal against the 1:200 limit (1.0 = at the limit)",
    "supported": "People supported (all accommodation)",
    # Reg_02 gives hotels and other contingency sites together: the one contingency figure it has.
    "contingency": "People in contingency accommodation (hotels and other sites)",
}
_SHORT = {
    "Dispersal Accommodation": "dispersed",
    "Contingency Accommodation - Hotel": "hotel",
    "Contingency Accommodation - Other": "other_contingency",
    "Initial Accommodation": "initial",
    "Subsistence Only": "subsistence_only",
    "Other Accommodation": "other_accommodation",
}
# Columns of lad_table that count people of one kind, and the period-table measure behind each.
_COUNT_MEASURES = {"dispersed": "dispersed", "hotel": "hotel", "other_contingency": "contingency",
                   "initial": "initial", "subsistence_only": "subsistence_only",
                   "other_accommodation": "other_accommodation", "contingency": "contingency"}
STATUS_NOT_PUBLISHED = gaps.NOT_PUBLISHED  # the 1:200 status of a quarter with no dispersed figure
STATUS_NOTE = ("Who is over 1:200 is always judged on people in dispersed accommodation under every "
               "support type; the support-type filter changes the counts shown, not the status.")


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the statistics to; empty means everything."""

    support_types: tuple[str, ...] = ()
    accommodation_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    nations: tuple[str, ...] = ()

    def rows(self, stats: pd.DataFrame) -> pd.DataFrame:
        """The rows the filters select; rows a filter cannot split (a source without the detail) stay."""
        keep = pd.Series(True, index=stats.index)
        if self.support_types:
            keep &= stats["support_type"].isin(self.support_types) | (stats["support_type"] == ALL_SUPPORT)
        if self.accommodation_types:
            wanted = set(self.accommodation_types)
            if wanted & {HOTEL, OTHER_CONTINGENCY}:
                wanted.add(CONTINGENCY_ALL)
            keep &= stats["accommodation_type"].isin(wanted) | (stats["accommodation_type"] == TOTAL_ONLY)
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
    December 2022; before that a zero would be a claim the file does not make. Use `published`
    for one quarter: a later quarter from a source without the split (Reg_02) does not publish it.
    """
    return stats[stats["allocated"]].groupby("accommodation_type")["period"].min().to_dict()


def published(stats: pd.DataFrame, accommodation_type: str, period: pd.Timestamp | None) -> bool:
    """Whether the source speaking for `period` gives this accommodation type by authority."""
    measure = _SHORT.get(accommodation_type)
    if measure is None:
        return False
    return measure_published(stats, _COUNT_MEASURES.get(measure, measure), period)


def map_measure(stats: pd.DataFrame, measure: str, period: pd.Timestamp | str | None) -> str:
    """The measure a map of ``measure`` draws for ``period``: itself, except hotels at a quarter whose
    file gives hotels and other contingency sites only together (Reg_02): then that figure
    ('contingency'), which the map names, so a hotels map is never an empty grey map."""
    if measure == "hotel" and not measure_published(stats, "hotel", period) \
            and measure_published(stats, "contingency", period):
        return "contingency"
    return measure


def map_measure_note(measure: str, shown: str, period: pd.Timestamp | str) -> str | None:
    """Why the map shows another measure than the one asked for (None when it does not)."""
    if measure == shown:
        return None
    return (f"Hotels alone are not published by council for {text.quarter_label(period)}: the map shows "
            "people in contingency accommodation, hotels and other sites together, as the file gives them.")


def filter_choices(stats: pd.DataFrame) -> dict[str, list[str]]:
    """Accommodation and support types a filter can offer: Asy_D11's own detail, not the
    'all support types', 'total only' or 'hotels and other' rows of sources without it."""
    coarse = {ALL_SUPPORT, TOTAL_ONLY, CONTINGENCY_ALL}
    return {"accommodation": sorted(set(stats["accommodation_type"].dropna()) - coarse),
            "support": sorted(set(stats["support_type"].dropna()) - coarse)}


def filter_notes(model: Model, period: pd.Timestamp | str, filters: Filters) -> list[str]:
    """Plain words for each filter the quarter's source cannot apply (Reg_02 and the totals series)."""
    sid = model.period_source(period)
    if sid in (None, "asy_d11"):
        return []
    name = SOURCE_NAMES.get(sid, sid)
    notes = []
    if filters.support_types:
        notes.append(f"{name} does not split {text.quarter_label(period)} by support type, so the support-type "
                     f"filter cannot apply to this quarter: all support types are shown.")
    if filters.accommodation_types:
        if sid == "quarterly_totals":
            notes.append(f"The {name} gives only the total supported for {text.quarter_label(period)}, so the "
                         f"accommodation filter cannot apply to this quarter.")
        elif set(filters.accommodation_types) & {HOTEL, OTHER_CONTINGENCY}:
            notes.append(f"{name} gives contingency hotels and other contingency sites together for "
                         f"{text.quarter_label(period)}, so that filter counts both.")
    return notes


def previous_period(periods: list[pd.Timestamp], period: pd.Timestamp, quarters: int) -> pd.Timestamp | None:
    """The quarter `quarters` before period, if the series has it."""
    target = (pd.Timestamp(period) - pd.offsets.QuarterEnd(quarters)).normalize()
    return target if target in set(periods) else None


def _by_lad(model: Model, period: pd.Timestamp, filters: Filters) -> pd.DataFrame:
    """Counts per authority at one quarter; NaN for what the quarter's source does not publish.

    An authority with no row is 0 where the source lists every authority with people (Asy_D11,
    Reg_02) and NaN, "not in this file", in the totals series, whose gaps are not zeros.
    """
    stats = model.stats
    rows = stats[(stats["period"] == period) & stats["allocated"]]
    types = frozenset(rows["accommodation_type"].unique())  # what this quarter's file publishes
    selected = filters.rows(rows)
    typed = rows[rows["support_type"].isin(filters.support_types) | (rows["support_type"] == ALL_SUPPORT)] \
        if filters.support_types else rows
    by_type = typed.pivot_table(index="lad_code", columns="accommodation_type", values="people",
                                aggfunc="sum", fill_value=0)
    lads = pd.Index(model.lads["lad_code"], name="lad_code")
    out = pd.DataFrame(index=lads)
    out["supported"] = selected.groupby("lad_code")["people"].sum().reindex(lads)
    for acc, col in _SHORT.items():
        out[col] = by_type[acc].reindex(lads) if acc in by_type.columns else float("nan")
    out["contingency"] = out["hotel"].fillna(0) + out["other_contingency"].fillna(0)
    if CONTINGENCY_ALL in by_type.columns:
        out["contingency"] = by_type[CONTINGENCY_ALL].reindex(lads)
    all_dispersed = rows[rows["accommodation_type"] == DISPERSED].groupby("lad_code")["people"].sum()
    out["dispersed_all"] = all_dispersed.reindex(lads)
    in_file = lads.isin(rows["lad_code"].unique())
    listed_all = rows.empty or rows["source"].iloc[0] != "quarterly_totals"
    for col in out.columns:
        measure = "dispersed" if col == "dispersed_all" else _COUNT_MEASURES.get(col, col)
        if not measure_in(types, measure):
            out[col] = float("nan")
        elif listed_all:
            out[col] = out[col].fillna(0)
        else:
            out.loc[~in_file, col] = float("nan")
    out["in_file"] = in_file
    return out


def _tidy_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns stay int64 when complete, so tables print people, not 1,386.0."""
    for col in (*_SHORT.values(), "supported", "contingency", "dispersed_all"):
        values = frame[col].to_numpy()
        if values.dtype.kind == "f" and not np.isnan(values).any() and (values % 1 == 0).all():
            frame[col] = values.astype("int64")
    return frame


def lad_table(model: Model, period: pd.Timestamp | str, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per current authority: counts, rates, 1:200 status, shares and changes.

    The 1:200 status, limit used, headroom and over-by are judged on dispersed people under every
    support type (``dispersed_all``), whatever the support-type filter; ``dispersed`` is the count
    the filter selects.
    """
    period = pd.Timestamp(period)
    base = pd.DataFrame(model.lads.drop(columns="geometry"))
    counts = _by_lad(model, period, filters)
    table = base.merge(counts, left_on="lad_code", right_index=True, how="left")
    pop = table["population"]
    table["per_1000"] = table["supported"] / pop * 1000
    table["dispersal_ratio"] = table["dispersed_all"] / pop
    table["capacity"] = rules.capacity(pop)
    table["limit_used"] = rules.limit_used(table["dispersed_all"], pop)
    table["headroom"] = rules.headroom(table["dispersed_all"], pop)
    table["over_by"] = rules.over_by(table["dispersed_all"], pop)
    over = rules.over_threshold(table["dispersed_all"].fillna(0), pop)
    known = table["dispersed_all"].notna()
    table["over_threshold"] = over.where(known, pd.NA).astype("boolean")
    table["threshold_status"] = rules.status(table["dispersed_all"].fillna(0), pop).where(
        known, STATUS_NOT_PUBLISHED)
    region_total = table.groupby("region")["supported"].transform("sum")
    table["share_of_region"] = table["supported"] / region_total.where(region_total > 0)
    table["share_of_uk"] = table["supported"] / table["supported"].sum()
    for label, quarters in changes.QUARTERS.items():
        before = previous_period(model.periods, period, quarters)
        prior = _by_lad(model, before, filters) if before is not None else None
        for col in ("supported", "hotel", "dispersed", "contingency"):
            previous = table["lad_code"].map(prior[col]) if prior is not None else pd.Series(
                float("nan"), index=table.index)
            table[f"{col}_before_{label}"] = previous
            table[f"{col}_change_{label}"] = changes.council_change(table[col], previous)
        was_over = (rules.over_threshold(table["lad_code"].map(prior["dispersed_all"]), pop)
                    if prior is not None else pd.Series(pd.NA, index=table.index, dtype="boolean"))
        table[f"over_before_{label}"] = was_over.astype("Float64").astype("float64")
    table["period"] = period
    table["source"] = model.period_source(period)
    return _tidy_counts(filters.areas(table).reset_index(drop=True))


@dataclass(frozen=True)
class Headline:
    """A big number with its change on the quarter and the year (None where not comparable).

    ``q`` and ``y`` are the like-for-like changes (geo.changes) with the words that say what
    they were computed over; ``change_q``/``change_y`` are their values.
    """

    label: str
    value: float
    change_q: float | None
    change_y: float | None
    q: changes.Change | None = None
    y: changes.Change | None = None


def _sum_or_nan(values: pd.Series) -> float:
    return float("nan") if values.isna().all() else float(values.sum())


def _unplaced(model: Model, period: pd.Timestamp | None, filters: Filters) -> dict[str, int]:
    """People with no council recorded, per headline figure (0 for an area selection or no quarter)."""
    if period is None or filters.geographic:
        return dict.fromkeys(("supported", "hotel", "contingency", "dispersed", "over"), 0)
    stats = model.stats
    loose = stats[(stats["period"] == period) & ~stats["allocated"]]
    # Hotel and dispersed people with no council recorded still count in the UK-wide totals.
    typed = loose[loose["support_type"].isin(filters.support_types)] if filters.support_types else loose
    extra = {acc: int(typed.loc[typed["accommodation_type"] == acc, "people"].sum())
             for acc in (HOTEL, DISPERSED, OTHER_CONTINGENCY)}
    return {"supported": int(filters.rows(loose)["people"].sum()), "hotel": extra[HOTEL],
            "contingency": extra[HOTEL] + extra[OTHER_CONTINGENCY], "dispersed": extra[DISPERSED], "over": 0}


def _total(model: Model, table: pd.DataFrame, period: pd.Timestamp, filters: Filters,
           extra: dict[str, int]) -> dict[str, Any]:
    """The quarter's headline values for the selection (``table`` is its lad_table; ``extra`` its
    people with no council recorded, ``_unplaced``)."""
    over = table["over_threshold"]
    return {
        "supported": _sum_or_nan(table["supported"]) + extra["supported"],
        "hotel": _sum_or_nan(table["hotel"]) + extra["hotel"],
        "contingency": _sum_or_nan(table["contingency"]) + extra["contingency"],
        "dispersed": _sum_or_nan(table["dispersed"]) + extra["dispersed"],
        "over": float("nan") if over.isna().all() else int(over.fillna(False).astype(bool).sum()),
    }


HEADLINE_LABELS = {"supported": "People supported", "hotel": "In contingency hotels",
                   "contingency": "In contingency (hotels and other)",
                   "dispersed": "In dispersed accommodation", "over": "Authorities over 1:200"}


def source_name(model: Model, period: pd.Timestamp | None) -> str | None:
    """'Asy_D11', 'Reg_02' or 'the quarterly totals series': the file that speaks for a quarter."""
    sid = model.period_source(period) if period is not None else None
    name = SOURCE_NAMES.get(sid, sid) if sid else None
    return f"the {name}" if name and name[0].islower() else name


class _Quarters:
    """What the change rule asks of each quarter (published types, people with no council), asked once."""

    def __init__(self, model: Model, filters: Filters) -> None:
        self.model, self.filters = model, filters
        self._types: dict[pd.Timestamp, frozenset[str]] = {}
        self._unplaced: dict[pd.Timestamp | None, dict[str, int]] = {}

    def published(self, measure: str, period: pd.Timestamp) -> bool:
        if period not in self._types:
            self._types[period] = published_types(self.model.stats, period)
        return measure_in(self._types[period], measure)

    def unplaced(self, period: pd.Timestamp | None) -> dict[str, int]:
        if period not in self._unplaced:
            self._unplaced[period] = _unplaced(self.model, period, self.filters)
        return self._unplaced[period]


def table_change(model: Model, table: pd.DataFrame, period: pd.Timestamp | str, key: str,
                 span: str, filters: Filters = Filters(), quarters: _Quarters | None = None) -> changes.Change:
    """The like-for-like change of one headline figure over the councils in ``table``.

    ``key`` is a lad_table count ('supported', 'hotel', 'contingency', 'dispersed') or 'over'
    (councils over 1:200); ``span`` is 'q' or 'y'. Equal, by construction, to the sum of the
    table's own ``<key>_change_<span>`` column.
    """
    period = pd.Timestamp(period)
    asked = quarters or _Quarters(model, filters)
    base = previous_period(model.periods, period, changes.QUARTERS[span])
    if key == "over":
        now = table["over_threshold"].astype("Float64").astype("float64")
        measure = "dispersed"
    else:
        now, measure = table[key], key
    reason = ""  # when no council is in both quarters and both publish the measure: changes names them
    if not asked.published(measure, period):
        reason = f"{MEASURE_LABELS.get(measure, measure)} {NOT_PUBLISHED}"
    elif base is not None and not asked.published(measure, base):
        reason = (f"{MEASURE_LABELS.get(measure, measure)} not published in the earlier release "
                  f"({source_name(model, base)}, {text.quarter_label(base)})")
    unplaced = asked.unplaced(period)[key] + asked.unplaced(base)[key]
    return changes.summarise(now, table[f"{key}_before_{span}"] if base is not None else None, table["lad_name"],
                             span=span, base_period=base, now_source=source_name(model, period),
                             base_source=source_name(model, base), missing_reason=reason,
                             unplaced=unplaced > 0)


def headline(model: Model, period: pd.Timestamp | str, filters: Filters = Filters()) -> dict[str, Headline]:
    """The numbers a chief executive reads first, for the selection (NaN: not published that quarter).

    'over' ignores the support-type filter (see STATUS_NOTE); 'contingency' is hotels and other
    contingency sites together, the one contingency figure Reg_02 gives. Changes follow the one
    change rule (geo.changes): over the councils in both quarters' files, never a different set.
    """
    period = pd.Timestamp(period)
    table = lad_table(model, period, filters)
    asked = _Quarters(model, filters)
    now = _total(model, table, period, filters, asked.unplaced(period))
    out = {}
    for key, label in HEADLINE_LABELS.items():
        q, y = (table_change(model, table, period, key, span, filters, asked) for span in ("q", "y"))
        out[key] = Headline(label, now[key], q.value, y.value, q, y)
    return out


def change_notes(heads: dict[str, Headline], keys: Iterable[str] | None = None, *,
                 not_comparable: bool = True) -> list[str]:
    """'People supported, on the quarter: change over the 359 councils in both releases; ...'.

    One line per headline change that is not plain (compared across files, councils left out,
    or, with ``not_comparable``, no comparison at all), for the caption, briefing note or
    export note beside the figures.
    """
    said: dict[str, tuple[list[str], list[str]]] = {}  # words -> (figures, spans): one line per explanation
    for key in keys if keys is not None else heads:
        head = heads[key]
        for change in (head.q, head.y):
            if change is None or change.plain or (not change.comparable and not not_comparable):
                continue
            if change.comparable or pd.notna(head.value):
                labels, spans = said.setdefault(change.words(), ([], []))
                labels += [head.label] if head.label not in labels else []
                spans += [changes.SPANS[change.span]] if changes.SPANS[change.span] not in spans else []
    def figures(labels: list[str]) -> str:  # 'People supported and in dispersed accommodation'
        return text.joined([labels[0], *(lb[:1].lower() + lb[1:] for lb in labels[1:])])

    return [f"{figures(labels)}, {text.joined(spans)}: {words}." for words, (labels, spans) in said.items()]


def lad_trend(model: Model, lad_code: str, filters: Filters = Filters()) -> pd.DataFrame:
    """Every quarter for one authority: supported, hotel, contingency, dispersed and limit used.

    A quarter whose source does not publish a measure (hotels before December 2022 or in Reg_02;
    anything but the total in the totals series) or has no row for the authority is NaN, not 0.
    Dispersed and the limit are for every support type (the 1:200 status never follows the filter).
    """
    stats = model.stats
    rows = stats[(stats["lad_code"] == lad_code) & stats["allocated"]]
    periods = pd.Index(model.periods, name="period")
    by_type = rows.pivot_table(index="period", columns="accommodation_type", values="people",
                               aggfunc="sum", fill_value=0).reindex(periods)
    out = pd.DataFrame(index=periods)
    out["supported"] = filters.rows(rows).groupby("period")["people"].sum().reindex(periods)

    def column(*types: str) -> pd.Series:
        present = [by_type[t] for t in types if t in by_type.columns]
        return sum(present) if present else pd.Series(float("nan"), index=periods)

    out["hotel"] = column(HOTEL)
    out["contingency"] = column(HOTEL, OTHER_CONTINGENCY, CONTINGENCY_ALL)
    out["dispersed"] = column(DISPERSED)
    listed = pd.Series([period_source(stats, p) != "quarterly_totals" for p in periods], index=periods)
    for col in ("supported", "hotel", "contingency", "dispersed"):
        ok = pd.Series([measure_published(stats, col, p) for p in periods], index=periods)
        values = out[col].astype("float64")
        values = values.where(~listed, values.fillna(0))  # a full listing without the authority: 0
        out[col] = values.where(ok)
    pop = model.lads.set_index("lad_code").at[lad_code, "population"]
    out["limit_used"] = rules.limit_used(out["dispersed"], pop)
    out["source"] = [period_source(stats, p) for p in periods]
    return out.reset_index()


class Rank(NamedTuple):
    """A place in a ranking, and whether another area shares it (so it reads '=22nd of 27')."""

    position: int
    out_of: int
    tied: bool

    @property
    def text(self) -> str:
        return text.rank_text(self.position, self.out_of, self.tied)


def rank(table: pd.DataFrame, lad_code: str, column: str, within: str | None = None) -> Rank:
    """Rank of an authority, highest first, within its region or the UK; ties share the place."""
    frame = table
    if within is not None:
        region = table.loc[table["lad_code"] == lad_code, within].iloc[0]
        frame = table[table[within] == region]
    ranks = frame[column].rank(ascending=False, method="min")
    position = ranks[frame["lad_code"] == lad_code].iloc[0]
    return Rank(int(position), len(frame), bool((ranks == position).sum() > 1))


def region_table(model: Model, period: pd.Timestamp | str, filters: Filters = Filters()) -> pd.DataFrame:
    """Regions and nations: totals, residents, rates and the count of authorities over 1:200."""
    table = lad_table(model, period, filters)
    grouped = table.groupby(["nation", "region"], as_index=False).agg(
        population=("population", "sum"), supported=("supported", "sum"), hotel=("hotel", "sum"),
        dispersed=("dispersed_all", "sum"), authorities=("lad_code", "count"),
        over_threshold=("over_threshold", lambda s: int(s.fillna(False).astype(bool).sum())))
    grouped["per_1000"] = grouped["supported"] / grouped["population"] * 1000
    grouped["limit_used"] = rules.limit_used(grouped["dispersed"], grouped["population"])
    return grouped


# lad_table columns -> the period-table measure each one is a figure of.
COLUMN_MEASURES: dict[str, str] = {
    "supported": "supported", "per_1000": "supported", "share_of_region": "supported", "share_of_uk": "supported",
    "hotel": "hotel", "contingency": "contingency", "other_contingency": "contingency", "initial": "initial",
    "subsistence_only": "subsistence_only", "other_accommodation": "other_accommodation",
    "dispersed": "dispersed", "dispersed_all": "dispersed", "dispersal_ratio": "dispersed",
    "limit_used": "dispersed", "headroom": "dispersed", "over_by": "dispersed", "over_threshold": "dispersed",
    "threshold_status": "dispersed",
}
# Columns that divide by residents, so a council with no population estimate has none.
PER_RESIDENT = {"per_1000", "dispersal_ratio", "limit_used", "headroom", "over_by", "over_threshold",
                "threshold_status", "capacity"}


def gap_states(model: Model, table: pd.DataFrame, column: str) -> pd.Series:
    """Per row of a lad_table: why ``column`` has no figure ('' where it has one).

    One of geo.gaps' states, in this order: 'not published in this release' (the quarter's file
    does not give the measure by council), 'not in this file' (it does, but not for this council),
    'no estimate' (no population to divide by); a change with no like-for-like base reads
    'not comparable' (geo.changes). Every surface writes these words where a figure is missing.
    """
    out = pd.Series("", index=table.index, dtype=object)
    base = column.rsplit("_change_", 1)[0] if "_change_" in column else column
    values = table[column]
    missing = values.isna() if column != "threshold_status" else table["over_threshold"].isna()
    if not missing.any():
        return out
    measure = COLUMN_MEASURES.get(base)
    if measure is None and base not in PER_RESIDENT:
        return out  # not a Home Office figure of the period table (a scheme, a name): no claim made here
    period = table["period"].iloc[0] if "period" in table.columns and len(table) else None
    in_file = table["in_file"].astype("boolean").fillna(False).astype(bool) if "in_file" in table.columns \
        else pd.Series(True, index=table.index)
    if measure is not None and not measure_published(model.stats, measure, period):
        out[missing] = NOT_PUBLISHED
        return out
    out[missing & ~in_file] = NOT_IN_FILE
    if base in PER_RESIDENT and "population" in table.columns:
        out[missing & in_file & table["population"].isna()] = gaps.NO_ESTIMATE
    if base != column:
        out[missing & (out == "")] = changes.NOT_COMPARABLE
    return out


def gap_frame(model: Model, frame: pd.DataFrame, period: pd.Timestamp | str) -> pd.DataFrame:
    """For an export of lad_table columns (any subset, any order): each blank cell's gap state.

    The frame needs ``lad_code``; what it lacks to judge a gap (``in_file``, the population) is
    looked up from the quarter's lad_table, so a table trimmed to the screen's columns still says
    'not in this file' apart from 'not published in this release'.
    """
    full = lad_table(model, period).set_index("lad_code")
    judged = pd.DataFrame({"lad_code": frame["lad_code"].to_numpy()}, index=frame.index)
    for col in ("in_file", "population", "over_threshold", "period"):
        judged[col] = judged["lad_code"].map(full[col]) if col != "period" else pd.Timestamp(period)
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        base = col.rsplit("_change_", 1)[0]
        if col in COLUMN_MEASURES or base in COLUMN_MEASURES:
            judged[col] = frame[col].to_numpy()
            out[col] = gap_states(model, judged, col)
        elif col in ("population", "capacity"):  # residents and the limit: missing only for want of an estimate
            out[col] = pd.Series(np.where(frame[col].isna(), gaps.NO_ESTIMATE, ""), index=frame.index)
    return out


def blank_notes(model: Model, table: pd.DataFrame, columns: Iterable[str],
                labels: Mapping[str, str] | None = None) -> list[str]:
    """'Supported: not in this file (2 councils).' for each shown column with blank cells, so a blank
    in an on-screen table always has its reason beside it. ``labels``: the column headings shown."""
    out = []
    for col in columns:
        if col not in table.columns or col in ("lad_code", "lad_name", "region"):
            continue
        counts = gap_counts(model, table, col)
        if counts:
            said = "; ".join(f"{state} ({n:,} council{'s' if n != 1 else ''})" for state, n in counts.items())
            out.append(f"{(labels or {}).get(col, col.replace('_', ' ').capitalize())}: {said}.")
    return out


def gap_counts(model: Model, table: pd.DataFrame, column: str) -> dict[str, int]:
    """How many rows are in each gap state for ``column`` (for map keys and notes)."""
    counts = gap_states(model, table, column).value_counts()
    return {str(k): int(v) for k, v in counts.items() if k}


def over_state(model: Model, table: pd.DataFrame) -> tuple[int | None, str]:
    """(councils over 1:200, '') or (None, why nobody can be said to be over: a gap state).

    A quarter whose file gives no dispersed figure has no 1:200 status at all: never '0 over',
    never 'no council is over'.
    """
    over = table["over_threshold"]
    if len(table) and over.isna().all():
        return None, gap_states(model, table, "over_threshold").iloc[0] or NOT_PUBLISHED
    return int(over.fillna(False).astype(bool).sum()), ""


def share_sentence(model: Model, table: pd.DataFrame, lad_code: str) -> str:
    """'Leeds holds 31.0% of Yorkshire and The Humber's supported asylum seekers and 28.4% of its
    residents: 1.1 times its population share.', or why there is no share ('not in this file').

    Both shares are over the councils of the region the quarter's file gives, so a council's share
    of people and of residents have the same base (issue 23: never 'nan%')."""
    row = table.set_index("lad_code").loc[lad_code]
    region = str(row["region"])
    gap = gap_states(model, table, "share_of_region")[table["lad_code"] == lad_code].iloc[0]
    if gap or pd.isna(row["population"]):
        why = gap or gaps.NO_ESTIMATE
        return f"{row['lad_name']}'s share of {region}'s supported asylum seekers: {why}."
    in_region = table[(table["region"] == region) & table["supported"].notna()]
    residents = in_region["population"].sum(min_count=1)
    share_res = float(row["population"] / residents) if pd.notna(residents) and residents > 0 else None
    share = float(row["share_of_region"])
    out = f"{row['lad_name']} holds {share:.1%} of {region}'s supported asylum seekers"
    if share_res is None:
        return out + "."
    out += f" and {share_res:.1%} of its residents"
    return out + (f": {share / share_res:.1f} times its population share." if share_res else ".")


def figure_or_gap(model: Model, row: pd.Series, column: str) -> str:
    """A council's count in whole people, or why the quarter's file gives none (never 'nan' or 0)."""
    value = row[column]
    if pd.notna(value):
        return text.people(value)
    return gap_states(model, row.to_frame().T.reset_index(drop=True), column).iloc[0] or \
        not_shown(model, row["period"], COLUMN_MEASURES.get(column, column))


def contingency_phrase(model: Model, row: pd.Series) -> str:
    """'415 in contingency hotels', or where the quarter's file gives hotels and other sites together
    (Reg_02), '415 in contingency accommodation (hotels and other sites)': the figure it does publish."""
    period = row["period"]
    if not measure_published(model.stats, "hotel", period) and measure_published(model.stats, "contingency", period):
        return f"**{figure_or_gap(model, row, 'contingency')}** in contingency accommodation (hotels and other sites)"
    return f"**{figure_or_gap(model, row, 'hotel')}** in contingency hotels"


def gap_help(model: Model, period: pd.Timestamp | str, measure: str) -> str:
    """Help for a card with no figure: what the quarter's file does not give (not a split it lacks)."""
    name = source_name(model, pd.Timestamp(period)) or "This quarter's file"
    return (f"{name[0].upper()}{name[1:]} does not give {MEASURE_LABELS.get(measure, measure)} by council for "
            f"{text.quarter_label(period)}: {not_shown(model, period, measure)}.")


def over_gap_sentence(model: Model, period: pd.Timestamp | str, gap: str) -> str:
    """'Over the 1:200 limit: not published in this release. The quarterly totals series gives ...'."""
    name = source_name(model, pd.Timestamp(period)) or "this quarter's file"
    return (f"Over the {rules.LIMIT_NAME} limit: {gap}. {name[0].upper()}{name[1:]} does not give people in "
            f"dispersed accommodation by council for {text.quarter_label(period)}, so no council can be "
            f"called over or within the limit.")

CONTINGENCY_LABEL = "Contingency (hotels and other)"
HOTELS_NOT_SPLIT = "Hotels alone are not published for this quarter."


def hotels_alone_note(model: Model, period: pd.Timestamp | str) -> str | None:
    """Why a card or column reads 'Contingency (hotels and other)' at this quarter and 'hotels' at
    another, in words (None when the quarter's file gives hotels alone). Said wherever the label
    switches, so a reader stepping through quarters is told why (issue 27)."""
    period = pd.Timestamp(period)
    if published(model.stats, HOTEL, period):
        return None
    why = {"reg02": "Reg_02 gives contingency hotels and other sites together",
           "asy_d11": "Asy_D11 splits them out by council only from December 2022"}.get(
        model.period_source(period) or "", "the quarterly totals file gives total supported only")
    first = first_published(model.stats).get(HOTEL)
    since = f" Asy_D11 gives them from {text.quarter_label(first)} to its last quarter." if first is not None else ""
    return f"Hotels alone are not published by council for {text.quarter_label(period)} ({why}).{since}"


def not_shown(model: Model, period: pd.Timestamp | str, measure: str) -> str:
    """Why a figure is blank: 'not published in this release' or 'not in this file'."""
    return NOT_PUBLISHED if not measure_published(model.stats, measure, period) else NOT_IN_FILE


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
