"""Fair share, the 1:200 cluster limit, and a transparent capped allocation.

Why this module exists: the 2019 memorandum between local government and the Home Office
sets a cluster limit (no area should hold more than one supported asylum seeker in
dispersed accommodation per 200 residents) and asks for dispersal in proportion to
population. Council chiefs ask three questions, each answered here from the same inputs:

* Is our area above or below its fair share, within its region and between regions?
  (``fair_shares``, ``region_shares``)
* Where is there headroom under the limit, and who is not taking part?
  (``headroom``, ``participation``, ``movement``)
* If N more places are needed, how would a population-proportional, capped rule share
  them out? (``allocate``)

Input frames have one row per authority with the columns ``lad_code, lad_name, region,
nation, population, supported, dispersed, hotel``. ``population`` NaN means "no population
estimate": such authorities are always kept and reported, never dropped or zeroed, but they
cannot be compared with a population so they sit outside every population base. Missing
people counts (NaN) are read as zero, because the Home Office tables leave out authorities
that support nobody, so a join onto all authorities leaves NaN where the true count is 0.

Pure pandas/numpy: no file I/O and no user interface, so the same numbers feed the app,
the command line and the tests.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo import gaps, rules
from geo.errors import DataError

PEOPLE_COLUMNS = ("supported", "dispersed", "hotel")
ID_COLUMNS = ("lad_code", "lad_name", "region", "nation")
DEFAULT_LIMIT_PER = rules.CLUSTER_LIMIT
DEFAULT_TOLERANCE = 0.05
UK_LABEL = "United Kingdom"

ABOVE = "above fair share"
BELOW = "below fair share"
AT = "at fair share"
NO_POPULATION = "no population estimate"
NOT_IN_FILE = gaps.NOT_IN_FILE
NOT_PUBLISHED = gaps.NOT_PUBLISHED
STATUSES = (ABOVE, BELOW, AT, NO_POPULATION, NOT_IN_FILE, NOT_PUBLISHED)
# Statuses of an authority left out of both sides of every ratio (no comparison possible).
NOT_COMPARED = (NO_POPULATION, NOT_IN_FILE, NOT_PUBLISHED)

# Float guard for "population / limit - counted": 600 / 200 must give 3 places, not 2.
_EPS = 1e-9


# --------------------------------------------------------------------------- helpers


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Name the missing column rather than failing later with a bare KeyError."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} needs column(s) {missing}; got {list(frame.columns)}",
                        column=missing[0])


def _people(frame: pd.DataFrame, column: str) -> pd.Series:
    """People counts as floats, NaN read as 0 (absent from the Home Office table = nobody)."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float).fillna(0.0)
    if (values < 0).any():
        bad = frame.loc[values < 0, "lad_code"].tolist() if "lad_code" in frame else []
        raise DataError(f"negative counts in '{column}' for {bad}", column=column)
    return values


def _population(frame: pd.DataFrame) -> pd.Series:
    """Usable population estimates: NaN where there is none (a zero or negative estimate
    cannot be a denominator, so it is treated as no estimate too)."""
    pop = pd.to_numeric(frame["population"], errors="coerce").astype(float)
    return pop.where(pop > 0)


def _people_gap(frame: pd.DataFrame, measure: str) -> pd.Series:
    """Per row: why the file does not give this authority's people ('' when it does).

    A frame that carries ``in_file`` (``geo.measures.lad_table``) has already written 0 for an
    authority a full listing leaves out, so a NaN there is a real gap: "not in this file" when
    the quarter's file has no row for the authority (the totals series before Barnsley's and
    Sheffield's rows), else "not published in this release". Such an authority must leave BOTH
    sides of a ratio, its residents as well as its people, or its region reads below fair share
    because it is credited with residents and no people. Frames without ``in_file`` keep the
    old reading: NaN is an authority the table leaves out for supporting nobody.
    """
    gap = pd.Series("", index=frame.index, dtype=object)
    if "in_file" not in frame.columns:
        return gap
    values = pd.to_numeric(frame[measure], errors="coerce")
    in_file = frame["in_file"].astype("boolean").fillna(False).astype(bool)
    gap[values.isna() & in_file] = NOT_PUBLISHED
    gap[values.isna() & ~in_file] = NOT_IN_FILE
    return gap


def _group_keys(frame: pd.DataFrame, group: str | None) -> pd.Series:
    """The comparison group per row. ``None`` puts every authority in one UK-wide group.

    For ``group="region"`` a missing region falls back to the nation, because Scotland,
    Wales and Northern Ireland have no English region but are compared as whole nations.
    """
    if group is None:
        return pd.Series(UK_LABEL, index=frame.index, dtype=object)
    _require(frame, [group], "grouping")
    keys = frame[group].astype(object)
    if group == "region" and "nation" in frame.columns:
        keys = keys.where(keys.notna(), frame["nation"].astype(object))
    return keys.where(keys.notna(), "(no " + group + ")")


def _status(actual: pd.Series, fair: pd.Series, ratio: pd.Series, has_population: pd.Series,
            tolerance: float) -> pd.Series:
    """Above / below / at fair share, with "at" meaning within ±tolerance of the fair share."""
    both_zero = (fair == 0) & (actual == 0)
    conditions = [
        ~has_population,
        both_zero | ((ratio >= 1 - tolerance) & (ratio <= 1 + tolerance)),
        (ratio > 1 + tolerance) | ((fair == 0) & (actual > 0)),
        ratio < 1 - tolerance,
    ]
    choices = [NO_POPULATION, AT, ABOVE, BELOW]
    return pd.Series(np.select(conditions, choices, default=NO_POPULATION),
                     index=actual.index, dtype=object)


def _share_columns(keys: pd.Series, people: pd.Series, population: pd.Series,
                   tolerance: float) -> pd.DataFrame:
    """Core fair-share arithmetic, shared by authority and region level.

    Only rows with a population estimate enter either base (people and population), so
    within each group the fair shares add up to exactly the people being compared and the
    comparison is not tilted by people whose area has no population to divide by.
    """
    has_pop = population.notna()
    compared = people.where(has_pop)
    group_people = compared.groupby(keys).transform("sum")
    group_pop = population.groupby(keys).transform("sum")
    without = people.where(~has_pop, 0.0).groupby(keys).transform("sum")

    with np.errstate(divide="ignore", invalid="ignore"):
        share_people = (compared / group_people).where(has_pop & (group_people > 0))
        share_pop = (population / group_pop).where(has_pop)
        fair = group_people * share_pop
        difference = compared - fair
        ratio = (compared / fair).where(fair > 0)

    return pd.DataFrame({
        "compared_people": compared,
        "share_of_group_people": share_people,
        "share_of_group_population": share_pop,
        "fair_share_people": fair,
        "difference_people": difference,
        "ratio_to_fair": ratio,
        "status": _status(compared, fair, ratio, has_pop, tolerance),
        "group_people_without_population": without,
    }, index=people.index)


def _check_measure(measure: str) -> None:
    if measure not in PEOPLE_COLUMNS:
        raise ValueError(f"measure must be one of {PEOPLE_COLUMNS}, got {measure!r}")


def _check_tolerance(tolerance: float) -> None:
    if not (0 <= tolerance < 1):
        raise ValueError(f"tolerance must be in [0, 1), got {tolerance!r}")


def _check_limit(limit_per: int) -> None:
    if not (isinstance(limit_per, (int, np.integer)) and limit_per > 0):
        raise ValueError(f"limit_per must be a positive whole number, got {limit_per!r}")


def _counted(frame: pd.DataFrame, include_hotels: bool) -> pd.Series:
    """People counted against the cluster limit: dispersed, plus hotels if asked.

    The memorandum's limit is about dispersed accommodation; hotels are optional because
    contingency hotels are outside the dispersal system but still land on the same places.
    """
    counted = _people(frame, "dispersed")
    if include_hotels:
        counted = counted + _people(frame, "hotel")
    return counted


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in ID_COLUMNS if c in frame.columns]].copy()


# ----------------------------------------------------------------------- fair shares


def fair_shares(lads: pd.DataFrame, *, group: str | None = "region", measure: str = "supported",
                tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Each authority's people against its population-proportional fair share in its group.

    ``fair_share_people`` = (group total of ``measure``) × (authority population) /
    (group population), where both group totals are taken over authorities WITH a
    population estimate. Authorities without one are kept with their people shown,
    ``status = "no population estimate"`` and NaN shares; their people are left out of the
    group total (otherwise they would be handed to neighbours as "fair share" and make the
    whole group look under-loaded). How many people were left out is reported per row in
    ``group_people_without_population`` and in total in ``attrs["people_without_population"]``.

    ``status`` is "at fair share" within ±``tolerance`` (default 5%) of the fair share.
    ``group=None`` compares every authority with the whole of the input (the UK).
    """
    _check_measure(measure)
    _check_tolerance(tolerance)
    _require(lads, ["lad_code", "population", measure], "fair_shares")
    lads = lads.reset_index(drop=True)
    keys = _group_keys(lads, group)
    people = _people(lads, measure)
    population = _population(lads)
    gap = _people_gap(lads, measure)
    known = gap == ""

    out = _ids(lads)
    out["group"] = keys
    out["population"] = pd.to_numeric(lads["population"], errors="coerce").astype(float)
    out[measure] = people.where(known)
    out = out.join(_share_columns(keys, people, population.where(known), tolerance))
    out.loc[~known, "status"] = gap[~known]

    missing = population.isna() & known
    out.attrs.update({
        "measure": measure,
        "group": group or UK_LABEL,
        "tolerance": tolerance,
        "people_without_population": float(people[missing].sum()),
        "authorities_without_population": lads.loc[missing, "lad_code"].tolist(),
        "authorities_not_compared": dict(zip(lads.loc[~known, "lad_code"], gap[~known], strict=True)),
    })
    return out.reset_index(drop=True)


def region_shares(lads: pd.DataFrame, *, measure: str = "supported",
                  tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """Regions (aggregated from authorities) against their fair share of the UK total.

    "The UK" is every authority passed in. A region's population is the sum over its
    authorities with an estimate, and only those authorities' people are compared, so a
    region is not made to look over-loaded by people whose area has no population figure;
    those people are shown in ``people_without_population``. Shares sum to 1 across regions.
    An authority the quarter's file does not give (see ``_people_gap``) leaves its region's
    people and residents alike; ``authorities_not_compared`` counts them.
    """
    _check_measure(measure)
    _check_tolerance(tolerance)
    _require(lads, ["lad_code", "population", measure], "region_shares")
    lads = lads.reset_index(drop=True)
    keys = _group_keys(lads, "region")
    gap = _people_gap(lads, measure)
    known = gap == ""
    # An authority whose people the file does not give leaves the region's residents too.
    people = _people(lads, measure).where(known, 0.0)
    population = _population(lads).where(known)
    no_pop = population.isna() & known

    grouped = pd.DataFrame({
        "region": keys,
        "nation": lads["nation"].astype(object) if "nation" in lads else None,
        "authorities": 1,
        "authorities_without_population": no_pop.astype(int),
        "authorities_not_compared": (~known).astype(int),
        "population": population,
        measure: people,
        "people_without_population": people.where(no_pop, 0.0),
    }).groupby("region", sort=True, dropna=False)
    regions = grouped.agg(
        nation=("nation", lambda s: ", ".join(sorted({str(v) for v in s.dropna()})) or None),
        authorities=("authorities", "sum"),
        authorities_without_population=("authorities_without_population", "sum"),
        authorities_not_compared=("authorities_not_compared", "sum"),
        population=("population", lambda s: s.sum(min_count=1)),
        **{measure: (measure, "sum")},
        people_without_population=("people_without_population", "sum"),
    ).reset_index()

    region_people = regions[measure] - regions["people_without_population"]
    uk = pd.Series(UK_LABEL, index=regions.index, dtype=object)
    shares = _share_columns(uk, region_people, regions["population"], tolerance)
    # Here the "group" is the UK; the per-region left-out people are the useful figure.
    shares = shares.drop(columns=["group_people_without_population"])
    out = pd.concat([regions, shares], axis=1)
    out.attrs.update({
        "measure": measure,
        "group": UK_LABEL,
        "tolerance": tolerance,
        "people_without_population": float(regions["people_without_population"].sum()),
        "authorities_without_population": lads.loc[no_pop, "lad_code"].tolist(),
        "authorities_not_compared": dict(zip(lads.loc[~known, "lad_code"], gap[~known], strict=True)),
    })
    return out


# -------------------------------------------------------------- limit and headroom


def headroom(lads: pd.DataFrame, *, limit_per: int = DEFAULT_LIMIT_PER,
             include_hotels: bool = False) -> pd.DataFrame:
    """Room left under the cluster limit (one person per ``limit_per`` residents).

    ``capacity_at_limit`` = the whole people within one per ``limit_per`` residents (rounded
    down, as ``geo.rules.capacity``); ``counted`` = dispersed (+ hotel if ``include_hotels``);
    ``headroom = capacity_at_limit - counted`` (whole people, negative when over).
    Capacity, headroom, ``over_limit`` and the ratios are NaN/NA where there is no
    population estimate: an unknown population must not read as "no room" or "plenty".
    """
    _check_limit(limit_per)
    _require(lads, ["lad_code", "population", "dispersed"] + (["hotel"] if include_hotels else []),
             "headroom")
    lads = lads.reset_index(drop=True)
    population = _population(lads)
    counted = _counted(lads, include_hotels)
    capacity = rules.capacity(population, per=limit_per)
    room = capacity - counted

    out = _ids(lads)
    out["population"] = pd.to_numeric(lads["population"], errors="coerce").astype(float)
    out["counted"] = counted
    out["capacity_at_limit"] = capacity
    out["headroom"] = room
    out["over_limit"] = pd.array(np.where(population.notna(), counted > capacity + _EPS, pd.NA),
                                 dtype="boolean")
    out["ratio_per_resident"] = counted / population
    with np.errstate(divide="ignore", invalid="ignore"):
        # "One per N residents" is how the memorandum states the limit, so show it that way.
        out["residents_per_person"] = (population / counted).where(counted > 0)
    out.attrs.update({"limit_per": limit_per, "include_hotels": include_hotels})
    return out.reset_index(drop=True)


def participation(lads: pd.DataFrame) -> pd.DataFrame:
    """Who is taking part in dispersal: nobody in dispersed accommodation = not taking part.

    Dispersal is voluntary for councils, so an authority with zero dispersed people is
    flagged ``participating = False``. ``hotel_only`` marks those that still host people in
    contingency hotels, which is not the same as hosting nobody.
    """
    _require(lads, ["lad_code", "dispersed"], "participation")
    lads = lads.reset_index(drop=True)
    dispersed = _people(lads, "dispersed")
    out = _ids(lads)
    out["dispersed"] = dispersed
    if "hotel" in lads.columns:
        out["hotel"] = _people(lads, "hotel")
    out["participating"] = dispersed > 0
    out["hotel_only"] = (~out["participating"]) & (out["hotel"] > 0) if "hotel" in out else False
    out["participation"] = np.where(out["participating"], "taking part", "not taking part")
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------- over time


def _quarters(values: pd.Series | Sequence) -> pd.PeriodIndex:
    """Match periods by calendar quarter, so 30 June and 1 July data still line up safely."""
    return pd.PeriodIndex(pd.to_datetime(pd.Series(list(values))), freq="Q")


def _snapshot(frame: pd.DataFrame, *, group: str | None, measure: str, limit_per: int,
              include_hotels: bool, tolerance: float) -> pd.DataFrame:
    """The three tracked measures for one period, indexed by authority code."""
    if frame["lad_code"].duplicated().any():
        dupes = frame.loc[frame["lad_code"].duplicated(), "lad_code"].unique().tolist()
        raise DataError(f"authority codes repeated within one period: {dupes}", column="lad_code")
    shares = fair_shares(frame, group=group, measure=measure, tolerance=tolerance)
    room = headroom(frame, limit_per=limit_per, include_hotels=include_hotels)
    part = participation(frame)
    return pd.DataFrame({
        "ratio_to_fair": shares["ratio_to_fair"].to_numpy(),
        "headroom": room["headroom"].to_numpy(),
        "participating": part["participating"].to_numpy(),
    }, index=frame["lad_code"].to_numpy())


def movement(history: pd.DataFrame, *, periods: Sequence, quarters: Sequence[int] = (4, 8),
             group: str | None = "region", measure: str = "supported",
             limit_per: int = DEFAULT_LIMIT_PER, include_hotels: bool = False,
             tolerance: float = DEFAULT_TOLERANCE) -> pd.DataFrame:
    """How each authority moved over the last 4 and 8 quarters (or any ``quarters``).

    The latest period is the latest in ``periods``; the earlier one is the same calendar
    quarter ``q`` quarters before, looked up in ``history``. Every measure is recomputed
    within its own period (fair shares against that period's totals), then differenced:
    ``<measure>_change_<q>q = now - then``. Changes are NaN where the earlier period is
    missing or the authority code did not exist then (reorganised councils appear as new).
    ``participation_change_<q>q`` is "started", "stopped", "unchanged" or NA.
    One row per authority present in the latest period.
    """
    _require(history, ["period", "lad_code"], "movement")
    if len(periods) == 0:
        raise ValueError("periods is empty: nothing to measure movement from")
    if any(int(q) <= 0 for q in quarters):
        raise ValueError(f"quarters must be positive, got {list(quarters)}")
    hist = history.copy()
    hist["_quarter"] = _quarters(hist["period"])
    latest_q = _quarters(periods).max()
    kwargs: dict[str, Any] = dict(group=group, measure=measure, limit_per=limit_per,
                                  include_hotels=include_hotels, tolerance=tolerance)

    now_rows = hist[hist["_quarter"] == latest_q]
    if now_rows.empty:
        raise DataError(f"history has no rows for the latest period ({latest_q})", column="period")
    now = _snapshot(now_rows, **kwargs)

    out = _ids(now_rows).reset_index(drop=True)
    out["latest_period"] = pd.to_datetime(now_rows["period"]).max()
    out["ratio_to_fair"] = now["ratio_to_fair"].to_numpy()
    out["headroom"] = now["headroom"].to_numpy()
    out["participating"] = now["participating"].to_numpy()
    codes = out["lad_code"].to_numpy()
    compared: dict[int, pd.Timestamp | None] = {}

    for q in quarters:
        q = int(q)
        then_rows = hist[hist["_quarter"] == latest_q - q]
        if then_rows.empty:
            then = pd.DataFrame(columns=["ratio_to_fair", "headroom", "participating"])
            compared[q] = None
        else:
            then = _snapshot(then_rows, **kwargs)
            compared[q] = pd.to_datetime(then_rows["period"]).max()
        then = then.reindex(codes)
        before_ratio = then["ratio_to_fair"].astype(float).to_numpy()
        before_room = then["headroom"].astype(float).to_numpy()
        before_part = pd.array(then["participating"].to_numpy(), dtype="boolean")

        out[f"ratio_to_fair_{q}q_ago"] = before_ratio
        out[f"ratio_to_fair_change_{q}q"] = out["ratio_to_fair"].to_numpy() - before_ratio
        out[f"headroom_{q}q_ago"] = before_room
        out[f"headroom_change_{q}q"] = out["headroom"].to_numpy() - before_room
        out[f"participating_{q}q_ago"] = before_part
        now_part = out["participating"].to_numpy(dtype=bool)
        known = ~pd.isna(before_part)
        then_part = np.asarray(before_part.fillna(False), dtype=bool)
        change = np.select([now_part & ~then_part, ~now_part & then_part], ["started", "stopped"],
                           default="unchanged").astype(object)
        change[~np.asarray(known, dtype=bool)] = pd.NA
        out[f"participation_change_{q}q"] = change

    out.attrs.update({"latest_period": out["latest_period"].iloc[0] if len(out) else None,
                      "compared_periods": compared, **kwargs})
    return out


# ------------------------------------------------------------------------ allocation


@dataclass
class AllocationResult:
    """What ``allocate`` decided, with everything needed to show and check it."""

    table: pd.DataFrame
    placed: int
    unplaced: int
    rule: str
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["lad_code", "lad_name", "reason"]))
    limit_per: int = DEFAULT_LIMIT_PER
    include_hotels: bool = False


POPULATION_BASIS = "population"


def allocation_rule(limit_per: int = DEFAULT_LIMIT_PER, include_hotels: bool = False,
                    basis: str = POPULATION_BASIS) -> str:
    """The allocation rule in one plain-English paragraph, for display beside the result.

    ``basis`` names what places are shared in proportion to: population, or (the place-based
    fair share) population adjusted for local pressures."""
    counted = ("people in dispersed accommodation and contingency hotels" if include_hotels
               else "people in dispersed accommodation")
    return (
        f"New places are shared in proportion to each authority's {basis}. No authority is "
        f"given places that would take it above one person per {limit_per:,} residents "
        f"(counting {counted}); authorities already at or over that limit get none. Places an "
        f"authority cannot take are passed on to those with room, again in proportion to "
        f"{basis}, until every place is given or no room is left; anything left over is "
        f"reported as not placed. Places are whole people, rounded by the largest-remainder "
        f"method so the total is exact. Authorities with no population estimate get none."
    )


def _water_fill(population: np.ndarray, places: np.ndarray, additional: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Proportional shares with caps, passing the excess on until it is all placed.

    Each round shares what is still to place among authorities not yet capped, in
    proportion to population; any authority whose running total would pass its cap is
    set to its cap and drops out, and the next round re-shares what is left. This ends
    with ``x_i = min(cap_i, λ · population_i)``. Returns (real shares, capped flags).
    """
    n = len(population)
    shares = np.zeros(n)
    capped = places <= 0  # already at or over the limit: never given anything
    target = float(min(additional, places.sum()))
    if target <= 0:
        return shares, capped & (additional > 0)
    for _ in range(n + 1):
        active = ~capped
        to_share = target - places[capped].sum()
        pop_active = population[active].sum()
        if pop_active <= 0 or to_share <= _EPS:
            break
        proposal = to_share * population / pop_active
        newly = active & (proposal > places + _EPS)
        if not newly.any():
            shares[active] = proposal[active]
            break
        capped = capped | newly
    shares[capped] = places[capped]
    if additional > places.sum():
        capped = np.ones(n, dtype=bool)  # everyone was stopped by the limit
    return shares, capped


def _largest_remainder(shares: np.ndarray, places: np.ndarray, total: int,
                       population: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Whole people summing exactly to ``total``: floors first, then one more place each
    to the largest remainders (ties: larger population, then code, so it is repeatable)."""
    shares = np.minimum(np.maximum(shares, 0.0), places)
    whole = np.floor(shares + _EPS).astype(np.int64)
    whole = np.minimum(whole, places)
    left = int(total - whole.sum())
    if left > 0:
        remainder = np.round(shares - whole, 12)
        order = sorted(range(len(shares)),
                       key=lambda i: (-remainder[i], -population[i], str(codes[i])))
        for i in order:
            if left == 0:
                break
            if whole[i] < places[i]:
                whole[i] += 1
                left -= 1
    return whole


def allocate(lads: pd.DataFrame, additional: int, *, limit_per: int = DEFAULT_LIMIT_PER,
             include_hotels: bool = False, weights: Sequence[float] | None = None,
             basis: str = POPULATION_BASIS) -> AllocationResult:
    """Share ``additional`` new places across ``lads`` by population, capped at the limit.

    Rule (also returned as ``rule`` for display): share in proportion to population;
    cap each authority so ``counted + allocated <= population / limit_per`` (those already
    over get 0); pass the excess on to authorities with room in proportion to population;
    repeat until all are placed or no room remains; round to whole people by largest
    remainder so the total is exact. Places that cannot fit under the limit are returned as
    ``unplaced``, never dropped. Authorities with no population estimate get 0 and are
    listed in ``excluded`` with the reason. ``weights`` (one per row, e.g. the place-based fair
    share's population × exp(−pressure index)) replace population as what places are shared in
    proportion to; ``basis`` names them in the rule.
    """
    _check_limit(limit_per)
    if isinstance(additional, bool) or not isinstance(additional, (int, np.integer)):
        raise ValueError(f"additional must be a whole number of people, got {additional!r}")
    if additional < 0:
        raise ValueError(f"additional cannot be negative, got {additional}")
    _require(lads, ["lad_code", "population", "dispersed"] + (["hotel"] if include_hotels else []),
             "allocate")
    lads = lads.reset_index(drop=True)
    if lads["lad_code"].duplicated().any():
        dupes = lads.loc[lads["lad_code"].duplicated(), "lad_code"].unique().tolist()
        raise DataError(f"authority codes repeated: {dupes}", column="lad_code")
    additional = int(additional)

    population = _population(lads).to_numpy()
    counted = _counted(lads, include_hotels).to_numpy()
    eligible = ~np.isnan(population)
    # The limit in whole people, rounded down by the one rule (geo.rules), as every other table shows it.
    capacity = np.asarray(rules.capacity(pd.Series(population), per=limit_per), dtype=float)
    room = capacity - counted
    # Whole places that fit under the limit: counted + places <= floor(population / limit_per).
    places = np.where(eligible, np.nan_to_num(room, nan=0.0), 0.0)
    places = np.maximum(places, 0.0).astype(np.int64)

    codes = lads["lad_code"].to_numpy()
    pop_e = np.where(eligible, population, 0.0)
    basis_e = pop_e if weights is None else np.where(eligible, np.nan_to_num(np.asarray(weights, dtype=float)), 0.0)
    shares = np.zeros(len(lads))
    capped = np.zeros(len(lads), dtype=bool)
    if eligible.any():
        s, c = _water_fill(basis_e[eligible], places[eligible].astype(float), additional)
        shares[eligible], capped[eligible] = s, c
    placed = int(min(additional, places.sum()))
    allocated = _largest_remainder(shares, places, placed, pop_e, codes)

    table = pd.DataFrame({
        "lad_code": codes,
        "lad_name": lads["lad_name"].to_numpy() if "lad_name" in lads else None,
        "population": pd.to_numeric(lads["population"], errors="coerce").astype(float).to_numpy(),
        "counted_now": counted,
        "capacity_at_limit": capacity,
        "headroom_before": room,
        "places_available": places,
        "allocated": allocated,
    })
    table["counted_after"] = table["counted_now"] + table["allocated"]
    table["ratio_after"] = table["counted_after"] / table["population"]
    table["capped"] = capped & eligible
    table["excluded"] = ~eligible
    table["reason"] = np.where(eligible, "", "no population estimate")

    excluded = table.loc[~eligible, ["lad_code", "lad_name"]].assign(reason="no population estimate")
    return AllocationResult(
        table=table,
        placed=int(allocated.sum()),
        unplaced=additional - int(allocated.sum()),
        rule=allocation_rule(limit_per, include_hotels, basis),
        excluded=excluded.reset_index(drop=True),
        limit_per=limit_per,
        include_hotels=include_hotels,
    )
