"""The place-based fair share: population share adjusted by weighted local pressures, capped at 1:200.

Why: the 2019 memorandum asks for "a place-based approach to a fair and equitable asylum dispersal
system", taking account of other Home Office programmes and local pressures (homelessness,
deprivation, cohesion). London's councils publish a model in which more pressure means a smaller
share and nobody goes above 1:200. This module is that model, written out so anyone can test it:

1. Each indicator is put on one scale within the area compared: a z-score (value minus the mean of
   the councils that have a figure, divided by their standard deviation), turned so that higher
   always means more pressure, and clipped to ±3 so one extreme council cannot swamp the rest.
2. A council's pressure index is the weighted sum of its z-scores. A council with no figure for an
   indicator has that factor left out and the weights it does have scaled up to the same total,
   so its index rests on its other factors; the missing indicator is named, never read as 0.
3. Its weight is population × exp(−pressure index): more pressure, smaller weight.
4. Fair share = the area's total burden × weight ÷ the sum of weights, so the shares add up to the
   total. No council's fair share goes above its 1:200 limit (floor(residents ÷ 200), from
   ``geo.rules``); what a capped council cannot take passes to the others in proportion to weight.

With every weight 0 the pressure index is 0 everywhere and the fair shares are the population shares
``geo.fair_share.fair_shares`` gives. Pure pandas/numpy: the page, exports, briefing pack and the
``geo fair-share`` command all call ``pressure_shares`` and ``describe``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geo import fair_share as fs
from geo import rules
from geo.errors import GeoError
from geo.pressures import Indicator

Z_CLIP = 3.0
MEASURES = {"supported": "supported asylum (people at the date, all accommodation)",
            "dispersed": "supported asylum in dispersed accommodation (people at the date)"}
SCHEMES = {"asylum": "Supported asylum", "ukraine": "Homes for Ukraine", "afghan": "Afghan Resettlement Programme"}
SCHEME_MEANINGS = {
    "ukraine": "Homes for Ukraine: cumulative arrivals since the scheme began (not people living there now)",
    "afghan": "Afghan Resettlement Programme: people at the date, in every kind of housing",
}
# Model.schemes (the published Reg_02 table) columns each scheme reads.
SCHEME_COLUMNS = {"ukraine": "ukraine_arrivals", "afghan": "afghan_people"}
MISSING_FIGURE = "scheme figure missing"
STATUSES = (*fs.STATUSES, MISSING_FIGURE)

# Default weights (the memorandum's pressures) and the two presets the page offers.
# A weight w means one standard deviation more pressure multiplies a council's weight by exp(-w):
# 0.15 lowers it by about 14%. These sum to 0.5, so a council one deviation above the mean on every
# indicator gets about 61% of its population share.
MEMORANDUM_WEIGHTS: dict[str, float] = {"deprivation": 0.15, "homelessness": 0.15, "affordability": 0.05,
                                        "rents": 0.05, "uasc": 0.1}
PRESETS: dict[str, dict[str, float]] = {"population only": {}, "the memorandum's pressures": MEMORANDUM_WEIGHTS}
ALLOCATION_BASIS = "population adjusted for local pressures (its place-based weight)"



@dataclass(frozen=True)
class Rule:
    """The rule in words and as a formula: what the page, exports and briefing pack print."""

    words: str
    formula: str

    def text(self) -> str:
        return f"{self.words}\n\nFormula: {self.formula}"


@dataclass
class PressureShare:
    """What ``pressure_shares`` decided, with every input needed to check it."""

    table: pd.DataFrame
    rule: Rule
    weights: dict[str, float]
    total: float
    unplaced: float
    indicators: list[Indicator] = field(default_factory=list)
    measure: str = "supported"
    schemes: tuple[str, ...] = ("asylum",)
    limit_per: int = rules.CLUSTER_LIMIT

    def sources(self) -> dict[str, str]:
        return {i.key: i.source for i in self.indicators}


# ----------------------------------------------------------------------------- inputs


def parse_weights(text: str | None) -> dict[str, float]:
    """'deprivation=0.3,homelessness=0.2' -> {'deprivation': 0.3, ...}; refuses a bad pair in one line."""
    out: dict[str, float] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            key, sep, value = part.partition(":")
        key = key.strip().lower()
        try:
            number = float(value)
        except ValueError:
            raise GeoError(f"weight {part!r} is not key=number (e.g. deprivation=0.3)") from None
        if not sep or not key or not math.isfinite(number) or number < 0:
            raise GeoError(f"weight {part!r} must be key=a number of 0 or more (e.g. deprivation=0.3)")
        out[key] = number
    return out


def parse_schemes(text: str | None) -> tuple[str, ...]:
    """'asylum,ukraine' -> ('asylum', 'ukraine'), in the fixed order; unknown names refused."""
    names = [s.strip().lower() for s in (text or "asylum").split(",") if s.strip()]
    unknown = [s for s in names if s not in SCHEMES]
    if unknown or not names:
        raise GeoError(f"scheme(s) {', '.join(unknown) or '(none)'} unknown; use {', '.join(SCHEMES)}")
    return tuple(s for s in SCHEMES if s in names)


def scheme_figures(schemes: pd.DataFrame | None, period: pd.Timestamp | str) -> pd.DataFrame:
    """Homes for Ukraine and Afghan programme figures per council for one quarter (``Model.schemes``).

    Only the quarter itself is used: a Reg_02 edition for another date would compare different
    moments. A withheld or absent cell stays NaN (never 0) and the frame says so per council.
    """
    columns = ["lad_code", "ukraine", "afghan", "three_pathways_total"]
    if schemes is None or schemes.empty:
        return pd.DataFrame(columns=columns)
    rows = schemes[pd.to_datetime(schemes["period"]) == pd.Timestamp(period)]
    out = pd.DataFrame({"lad_code": rows["lad_code"].to_numpy()})
    for key, col in (("ukraine", "ukraine_arrivals"), ("afghan", "afghan_people"),
                     ("three_pathways_total", "three_pathways_total")):
        out[key] = pd.to_numeric(rows[col], errors="coerce").astype(float).to_numpy() if col in rows else np.nan
        marker = f"{col}_marker"  # the published marker of a withheld cell ([c], [x] ...), shown as such
        out[f"{key}_marker"] = rows[marker].astype(object).to_numpy() if marker in rows else None
    return out.drop_duplicates("lad_code")


def scheme_periods(schemes: pd.DataFrame | None) -> list[pd.Timestamp]:
    """Quarters for which the other schemes' figures are loaded."""
    if schemes is None or schemes.empty:
        return []
    return sorted(pd.to_datetime(schemes["period"].unique()))


# ----------------------------------------------------------------------------- scale


def z_scores(values: pd.Series, higher_is_more_pressure: bool = True, clip: float = Z_CLIP) -> pd.Series:
    """Values on one scale within the councils given: (x − mean) / sd over those with a figure.

    Turned so higher = more pressure, clipped to ±clip. NaN stays NaN (no figure). With fewer
    than two figures, or no spread at all, every figure scores 0: nothing to tell councils apart.
    """
    x = pd.to_numeric(values, errors="coerce").astype(float)
    if not higher_is_more_pressure:
        x = -x
    known = x.dropna()
    sd = float(known.std(ddof=0)) if len(known) >= 2 else 0.0
    if not sd or not math.isfinite(sd):
        return x.where(x.isna(), 0.0)
    return ((x - float(known.mean())) / sd).clip(-clip, clip)


def _indicator_values(indicator: Indicator, codes: pd.Series, population: pd.Series) -> pd.Series:
    """The indicator per council in the area; a rate per N residents where the indicator asks for one."""
    raw = codes.map(indicator.values).astype(float)
    if indicator.per_residents:
        raw = raw / population * indicator.per_residents
    return raw


# ----------------------------------------------------------------------------- the rule


def describe(weights: Mapping[str, float], indicators: Sequence[Indicator], *, measure: str = "supported",
             schemes: Sequence[str] = ("asylum",), limit_per: int = rules.CLUSTER_LIMIT,
             tolerance: float = fs.DEFAULT_TOLERANCE, area: str = "the area compared") -> Rule:
    """The rule in plain words and as a formula, with the weights and indicators actually used."""
    burden = " + ".join(MEASURES[measure] if s == "asylum" else SCHEME_MEANINGS[s] for s in schemes)
    used = [i for i in indicators if weights.get(i.key, 0) > 0]
    if used:
        listed = "; ".join(f"{i.label} (weight {weights[i.key]:g}; {i.meaning}; {i.period}; "
                           f"{'higher' if i.higher_is_more_pressure else 'lower'} = more pressure)"
                           for i in used)
        pressure = (f"Each council's share of {area}'s residents is adjusted for local pressures: {listed}. "
                    f"Each indicator is put on one scale within {area} as a z-score (its value minus the "
                    f"mean of the councils with a figure, divided by their standard deviation), turned so "
                    f"higher means more pressure and clipped to ±{Z_CLIP:g}. The pressure index is the "
                    f"weighted sum of the z-scores; a council with no figure for an indicator has that "
                    f"factor left out and its other weights scaled up to the same total (the missing "
                    f"indicator is named, never read as 0). More pressure means a smaller share: each "
                    f"council's weight is its population × exp(−pressure index).")
    else:
        pressure = (f"No pressure is weighted, so each council's fair share is its share of {area}'s "
                    f"residents (population only).")
    words = (f"The burden shared is {burden}. {pressure} Fair share = {area}'s total burden × the council's "
             f"weight ÷ the sum of weights, so fair shares add up to the total. No council's fair share goes "
             f"above its limit of one person per {limit_per:,} residents (rounded down to whole people); what "
             f"a capped council cannot take passes to the others in proportion to their weights. A council "
             f"is 'at fair share' within {tolerance:.0%} either way; above or below outside that band.")
    terms = " + ".join(f"{weights[i.key]:g}·z_{i.key}" for i in used) or "0"
    formula = (f"P_i = (W / W_i) × ({terms}), W = sum of weights, W_i = sum of weights of indicators council i "
               f"has; w_i = population_i × exp(−P_i); fair_share_i = min(limit_i, λ × w_i) with λ set so "
               f"Σ fair_share_i = total; limit_i = floor(population_i / {limit_per}); "
               f"z = clip((x − mean) / sd, ±{Z_CLIP:g}) within the area.")
    return Rule(words=words, formula=formula)


# ----------------------------------------------------------------------------- the model


def _burden(area: pd.DataFrame, measure: str, schemes: Sequence[str]
            ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(burden, missing scheme keys, their published markers) per council. Asylum NaN is 0 (the Home
    Office leaves out councils supporting nobody); a withheld Ukraine or Afghan figure is missing, so
    the burden is unknown."""
    total = pd.Series(0.0, index=area.index)
    missing = pd.Series([[] for _ in range(len(area))], index=area.index, dtype=object)
    markers = pd.Series([{} for _ in range(len(area))], index=area.index, dtype=object)
    for scheme in schemes:
        if scheme == "asylum":
            total = total + fs._people(area, measure)
            continue
        values = pd.to_numeric(area[scheme], errors="coerce").astype(float) if scheme in area else \
            pd.Series(np.nan, index=area.index)
        published = area[f"{scheme}_marker"] if f"{scheme}_marker" in area else pd.Series(None, index=area.index)
        for i in values.index[values.isna()]:
            missing[i] = [*missing[i], scheme]
            if isinstance(published[i], str) and published[i]:
                markers[i] = {**markers[i], scheme: published[i]}
        total = total + values
    return total, missing, markers


def _fair(total: float, weight: np.ndarray, limit: np.ndarray, eligible: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, float]:
    """(fair shares, capped flags, unplaced): total × weight share, capped by water-filling."""
    fair = np.full(len(weight), np.nan)
    capped = np.zeros(len(weight), dtype=bool)
    w = pd.Series(np.where(eligible, weight, np.nan))
    if not eligible.any() or w.sum() <= 0:
        return fair, capped, float(total if eligible.any() else 0.0)
    first = (total * (w / w.sum())).to_numpy()
    if not (first[eligible] > limit[eligible] + fs._EPS).any():
        fair[eligible] = first[eligible]
        return fair, capped, 0.0
    shares, hit = fs._water_fill(weight[eligible], limit[eligible].astype(float), total)
    fair[eligible] = shares
    capped[eligible] = hit & (shares >= limit[eligible] - fs._EPS)
    return fair, capped, float(max(total - shares.sum(), 0.0))


def _status(actual: pd.Series, fair: pd.Series, has_pop: pd.Series, gap: pd.Series, tolerance: float
            ) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (actual / fair).where(fair > 0)
    status = fs._status(actual, fair, ratio, has_pop, tolerance)
    status = status.where(~(has_pop & actual.isna()), MISSING_FIGURE)
    return status.where(gap == "", gap)


def pressure_shares(area: pd.DataFrame, indicators: Sequence[Indicator], weights: Mapping[str, float], *,
                    measure: str = "supported", schemes: Sequence[str] = ("asylum",),
                    limit_per: int = rules.CLUSTER_LIMIT, tolerance: float = fs.DEFAULT_TOLERANCE,
                    area_name: str = "the area compared") -> PressureShare:
    """Each council's place-based fair share of the area's burden (see the module docstring).

    ``area``: one row per council compared (``lad_code, lad_name, population, supported, dispersed``
    and ``ukraine``/``afghan`` when those schemes are chosen). ``weights``: indicator key -> weight
    (0 or more; absent = 0). A weight for an indicator not given is refused.
    """
    fs._check_measure(measure)
    fs._check_tolerance(tolerance)
    fs._check_limit(limit_per)
    if not schemes:
        raise GeoError("choose at least one scheme to share: asylum, ukraine or afghan")
    bad = sorted(k for k, w in weights.items() if not (isinstance(w, (int, float)) and math.isfinite(w) and w >= 0))
    if bad:
        raise GeoError(f"weights must be numbers of 0 or more: {', '.join(bad)}")
    known = {i.key for i in indicators}
    unknown = sorted(k for k, w in weights.items() if w > 0 and k not in known)
    if unknown:
        raise GeoError(f"no indicator loaded for weight(s) {', '.join(unknown)}; loaded: "
                       f"{', '.join(sorted(known)) or 'none'}")
    fs._require(area, ["lad_code", "population"], "pressure_shares")
    area = area.reset_index(drop=True)
    weights = {k: float(w) for k, w in weights.items() if k in known}
    codes = area["lad_code"].astype(str)
    population = fs._population(area)
    # A council whose asylum figure the quarter's file does not give leaves both sides (people and
    # residents), as in geo.fair_share: its status says which gap it is.
    gap = fs._people_gap(area, measure) if "asylum" in schemes else pd.Series("", index=area.index, dtype=object)
    has_pop = population.notna() & (gap == "")
    actual, missing_schemes, markers = _burden(area, measure, schemes)

    # Indicators on one scale, over the councils that are compared (those with a population).
    out: dict[str, Any] = {}  # columns, built once into a frame at the end (inserting one by one is slow)
    out["population"] = pd.to_numeric(area["population"], errors="coerce").astype(float)
    for col in ("supported", "dispersed"):  # a figure the quarter's file lacks stays missing, never 0
        out[col] = fs._people(area, col).where(fs._people_gap(area, col) == "") if col in area else np.nan
    for col in ("ukraine", "afghan", "three_pathways_total"):
        out[col] = pd.to_numeric(area[col], errors="coerce").astype(float) if col in area else np.nan
    out["all_schemes"] = out["supported"] + out["ukraine"] + out["afghan"]
    out["burden"] = actual
    weighted = [i for i in indicators if weights.get(i.key, 0) > 0]
    W = sum(weights[i.key] for i in weighted)
    contribution = pd.DataFrame(index=area.index)
    available_w = pd.Series(0.0, index=area.index)
    missing = pd.Series([list(m) for m in missing_schemes], index=area.index, dtype=object)
    for ind in indicators:
        raw = _indicator_values(ind, codes, population)
        z = z_scores(raw.where(has_pop), ind.higher_is_more_pressure)
        out[f"value_{ind.key}"] = raw
        out[f"z_{ind.key}"] = z
        for i in raw.index[raw.isna()]:
            missing[i] = [*missing[i], ind.key]
            marker = ind.markers.get(codes[i]) if len(ind.markers) else None
            if isinstance(marker, str) and marker:
                markers[i] = {**markers[i], ind.key: marker}
        if weights.get(ind.key, 0) > 0:
            contribution[ind.key] = weights[ind.key] * z
            available_w = available_w + np.where(z.notna(), weights[ind.key], 0.0)
    scale = (W / available_w).where(available_w > 0, 0.0)
    index = pd.Series(0.0, index=area.index)
    for ind in weighted:
        c = (contribution[ind.key] * scale).where(contribution[ind.key].notna(), 0.0)
        out[f"contribution_{ind.key}"] = c.where(has_pop)
        index = index + c
    index = index.where(has_pop)
    out["pressure_index"] = index
    out["multiplier"] = np.exp(-index)
    out["missing"] = missing
    out["left_out"] = [[k for k in m if k in weights and weights[k] > 0] for m in missing]
    out["markers"] = markers  # key -> the publisher's marker ('c' suppressed, '[c]' ...) where one was given
    out["no_pressure_figure"] = has_pop & (available_w == 0) & (W > 0)

    total = float(actual.where(has_pop).sum())
    limit = rules.capacity(population, per=limit_per).to_numpy(dtype=float)
    eligible = has_pop.to_numpy()
    weight = np.where(eligible, population.fillna(0.0).to_numpy() * out["multiplier"].fillna(1.0).to_numpy(), 0.0)
    fair_values, capped, unplaced = _fair(total, weight, limit, eligible)
    fair = pd.Series(fair_values, index=area.index)
    pop_values, _, _ = _fair(total, np.where(eligible, population.fillna(0.0).to_numpy(), 0.0), limit, eligible)
    uncapped = pd.Series(weight, index=area.index)
    out["share_weight"] = uncapped.where(has_pop)
    out["fair_share_uncapped"] = (total * uncapped / uncapped[eligible].sum()).where(has_pop) \
        if eligible.any() and uncapped[eligible].sum() > 0 else np.nan
    out["fair_share"] = fair
    out["capped"] = capped
    out["fair_share_population"] = pd.Series(pop_values, index=area.index)
    out["difference"] = actual - out["fair_share"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = (actual / out["fair_share"]).where(out["fair_share"] > 0)
        out["ratio_population"] = (actual / out["fair_share_population"]).where(out["fair_share_population"] > 0)
    out["status"] = _status(actual, out["fair_share"], has_pop, gap, tolerance)
    out["status_population"] = _status(actual, out["fair_share_population"], has_pop, gap, tolerance)
    out["rank"] = out["ratio"].rank(ascending=False, method="min").astype("Int64")
    out["rank_population"] = out["ratio_population"].rank(ascending=False, method="min").astype("Int64")
    out["limit"] = limit
    dispersed = fs._people(area, "dispersed") if "dispersed" in area else pd.Series(np.nan, index=area.index)
    out["headroom"] = out["limit"] - dispersed
    rule = describe(weights, indicators, measure=measure, schemes=schemes, limit_per=limit_per,
                    tolerance=tolerance, area=area_name)
    table = pd.concat([fs._ids(area), pd.DataFrame(out, index=area.index)], axis=1)
    return PressureShare(table=table, rule=rule, weights={i.key: weights.get(i.key, 0.0) for i in indicators},
                         total=total, unplaced=unplaced, indicators=list(indicators), measure=measure,
                         schemes=tuple(schemes), limit_per=limit_per)


def status_changes(result: PressureShare) -> pd.DataFrame:
    """What-if: councils whose status differs between population only and the chosen weights."""
    t = result.table
    moved = t[t["status"] != t["status_population"]]
    return pd.DataFrame({
        "lad_code": moved["lad_code"], "lad_name": moved["lad_name"],
        "status_population": moved["status_population"], "status": moved["status"],
        "fair_share_population": moved["fair_share_population"], "fair_share": moved["fair_share"],
        "rank_population": moved["rank_population"], "rank": moved["rank"],
    }).reset_index(drop=True)


def allocate(result: PressureShare, additional: int) -> fs.AllocationResult:
    """Extra places shared on the place-based weights, capped at the limit (``geo.fair_share.allocate``)."""
    return fs.allocate(result.table, additional, limit_per=result.limit_per,
                       weights=result.table["share_weight"].fillna(0.0).to_numpy(), basis=ALLOCATION_BASIS)

def one_at_a_time(area: pd.DataFrame, indicators: Sequence[Indicator], weights: Mapping[str, float],
                  **options: Any) -> pd.DataFrame:
    """Sensitivity: for each weighted indicator alone (the others at 0), which councils change status
    from population only, so a partnership sees which pressure moves whom."""
    rows = []
    for ind in indicators:
        w = float(weights.get(ind.key, 0.0))
        if w <= 0:
            continue
        alone = pressure_shares(area, indicators, {ind.key: w}, **options)
        moved = status_changes(alone)
        rows.append({"key": ind.key, "indicator": ind.label, "weight": w, "councils_changing": len(moved),
                     "changes": "; ".join(f"{n} ({a} → {b})" for n, a, b in zip(
                         moved["lad_name"], moved["status_population"], moved["status"], strict=True))})
    return pd.DataFrame(rows, columns=["key", "indicator", "weight", "councils_changing", "changes"])


SWEEP_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)


def sweep(area: pd.DataFrame, indicators: Sequence[Indicator], weights: Mapping[str, float], key: str,
          steps: Sequence[float] = SWEEP_STEPS, **options: Any) -> pd.DataFrame:
    """What-if: one indicator's weight stepped through ``steps`` (the others as chosen): each council's
    status and rank at every step, for the councils whose status changes somewhere along the way."""
    if key not in {i.key for i in indicators}:
        raise GeoError(f"no indicator {key!r} loaded to vary")
    columns: dict[str, pd.Series] = {}
    names = None
    for w in steps:
        t = pressure_shares(area, indicators, {**weights, key: float(w)}, **options).table
        names = t[["lad_code", "lad_name"]]
        columns[f"status at {w:g}"] = t["status"]
        columns[f"rank at {w:g}"] = t["rank"]
    out = pd.concat([names, pd.DataFrame(columns)], axis=1) if names is not None else pd.DataFrame()
    status_cols = [c for c in out.columns if c.startswith("status at ")]
    moving = out[status_cols].nunique(axis=1) > 1
    return out[moving].reset_index(drop=True)


def council_records(result: PressureShare) -> list[dict[str, object]]:
    """One plain dict per council in the shape the command line prints (keys may be added, not renamed)."""
    sources = result.sources()
    records = []
    for _, r in result.table.iterrows():
        rec: dict[str, object] = {k: _plain(r.get(k)) for k in (
            "lad_code", "lad_name", "population", "supported", "dispersed", "ukraine", "afghan", "all_schemes",
            "three_pathways_total", "burden", "pressure_index", "fair_share", "fair_share_population", "ratio",
            "status", "status_population", "limit", "headroom", "capped")}
        rec["missing"] = list(r["missing"])
        rec["left_out"] = list(r["left_out"])
        rec["markers"] = dict(r["markers"])
        rec["pressure_sources"] = dict(sources)
        rec["contributions"] = {i.key: _plain(r.get(f"contribution_{i.key}")) for i in result.indicators
                                if f"contribution_{i.key}" in result.table}
        rec["values"] = {i.key: _plain(r.get(f"value_{i.key}")) for i in result.indicators}
        records.append(rec)
    return records


def _plain(value: object) -> object:
    """JSON-safe: numpy to Python, NaN/NA to None (a missing figure is null, never 0)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    return value
