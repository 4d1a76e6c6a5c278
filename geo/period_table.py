"""One period table across the Home Office sources: which file speaks for each quarter, and what it says.

Three loaded files overlap: Asy_D11 (to September 2024, by support and accommodation type), Reg_02
(one quarter, 31 December 2025, by accommodation type with hotels and other contingency sites
together) and the quarterly totals series (2014 to 2025, total supported only). The screens need
one answer per quarter, so each quarter is *spoken for* by the richest source that covers it
(Asy_D11, then Reg_02, then the totals series), and every row carries that source. A measure the
quarter's source does not publish is absent, never zero: screens say "not published in this
release". Where two sources cover the same quarter they must agree; ``disagreements`` lists any
figure that does not, so a test (and the Sources page) can say so.
"""
from __future__ import annotations

import pandas as pd

from geo import gaps
from geo.asylum_stats import (
    ALL_SUPPORT,
    CONTINGENCY_ALL,
    DISPERSED,
    HOTEL,
    INITIAL,
    OTHER_ACCOMMODATION,
    OTHER_CONTINGENCY,
    SUBSISTENCE_ONLY,
    TOTAL_ONLY,
)

# Richest first: the source that speaks for a quarter when several cover it.
SOURCE_ORDER: tuple[str, ...] = ("asy_d11", "reg02", "quarterly_totals")
SOURCE_NAMES: dict[str, str] = {
    "asy_d11": "Asy_D11",
    "reg02": "Reg_02",
    "quarterly_totals": "quarterly totals series",
}
# Measures of the period table (all support types together) and the accommodation types behind each.
MEASURE_TYPES: dict[str, tuple[str, ...]] = {
    "dispersed": (DISPERSED,),
    "hotel": (HOTEL,),
    "contingency": (HOTEL, OTHER_CONTINGENCY),
    "initial": (INITIAL,),
    "other_accommodation": (OTHER_ACCOMMODATION,),
    "subsistence_only": (SUBSISTENCE_ONLY,),
}
MEASURE_LABELS: dict[str, str] = {
    "supported": "people supported",
    "dispersed": "dispersed accommodation",
    "hotel": "contingency hotels",
    "contingency": "contingency (hotels and other)",
    "initial": "initial accommodation",
    "other_accommodation": "other accommodation",
    "subsistence_only": "subsistence only",
}
NOT_PUBLISHED = gaps.NOT_PUBLISHED  # the words are geo.gaps', so every surface says a gap the same way
NOT_IN_FILE = gaps.NOT_IN_FILE

_REG02_TYPES: dict[str, str] = {
    "dispersal_accommodation": DISPERSED,
    "contingency_accommodation": CONTINGENCY_ALL,
    "initial_accommodation": INITIAL,
    "other_accommodation": OTHER_ACCOMMODATION,
    "subsistence_only": SUBSISTENCE_ONLY,
}
_STATS_COLUMNS = ["period", "support_type", "accommodation_type", "lad_code", "lad_name", "region", "nation",
                  "unallocated_reason", "people", "source_lad_codes", "allocated", "release", "sheet", "source"]


def reg02_rows(reg02: pd.DataFrame, release: str) -> pd.DataFrame:
    """Reg_02 in the tidy statistics' shape: one row per authority and accommodation type, all support."""
    long = reg02.melt(id_vars=["lad_code", "lad_name", "region", "nation", "as_at"],
                      value_vars=list(_REG02_TYPES), var_name="column", value_name="people")
    long = long[long["people"].notna()]
    return pd.DataFrame({
        "period": pd.to_datetime(long["as_at"]), "support_type": ALL_SUPPORT,
        "accommodation_type": long["column"].map(_REG02_TYPES), "lad_code": long["lad_code"],
        "lad_name": long["lad_name"], "region": long["region"], "nation": long["nation"],
        "unallocated_reason": None, "people": long["people"].astype("int64"),
        "source_lad_codes": long["lad_code"], "allocated": True, "release": release, "sheet": None,
        "source": "reg02"})


def quarterly_rows(quarterly: pd.DataFrame, release: str, names: pd.Series | None = None) -> pd.DataFrame:
    """The totals series in the tidy statistics' shape: total supported only, all support types."""
    rows = quarterly[quarterly["supported"].notna()]
    lad_name = rows["lad_code"].map(names) if names is not None else rows["lad_name"]
    return pd.DataFrame({
        "period": pd.to_datetime(rows["period"]), "support_type": ALL_SUPPORT, "accommodation_type": TOTAL_ONLY,
        "lad_code": rows["lad_code"], "lad_name": lad_name.fillna(rows["lad_name"]), "region": None,
        "nation": None, "unallocated_reason": None, "people": rows["supported"].astype("int64"),
        "source_lad_codes": rows["lad_code"], "allocated": True, "release": release, "sheet": None,
        "source": "quarterly_totals"})


def speaking_source(frames: dict[str, pd.DataFrame]) -> dict[pd.Timestamp, str]:
    """Each quarter any source covers -> the richest source covering it."""
    chosen: dict[pd.Timestamp, str] = {}
    for sid in SOURCE_ORDER:
        frame = frames.get(sid)
        if frame is None or frame.empty:
            continue
        for period in pd.to_datetime(frame["period"].unique()):
            chosen.setdefault(pd.Timestamp(period), sid)
    return chosen


def combine(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The statistics the screens read: each quarter from the source that speaks for it, with `source`."""
    chosen = speaking_source(frames)
    parts = []
    for sid in SOURCE_ORDER:
        frame = frames.get(sid)
        if frame is None or frame.empty:
            continue
        frame = frame if "source" in frame.columns else frame.assign(source=sid)
        mine = [p for p, s in chosen.items() if s == sid]
        parts.append(frame[pd.to_datetime(frame["period"]).isin(mine)])
    out = pd.concat(parts, ignore_index=True)
    for col in _STATS_COLUMNS:
        if col not in out.columns:
            out[col] = None
    out["allocated"] = out["allocated"].astype(bool)
    out["people"] = out["people"].astype("int64")
    return out.sort_values(["period", "source"], kind="stable").reset_index(drop=True)


def published_types(stats: pd.DataFrame, period: pd.Timestamp | str | None) -> frozenset[str]:
    """Accommodation types the quarter's source gives by authority (empty for an unknown quarter)."""
    if period is None:
        return frozenset()
    rows = stats[(stats["period"] == pd.Timestamp(period)) & stats["allocated"]]
    return frozenset(rows["accommodation_type"].unique())


def measure_published(stats: pd.DataFrame, measure: str, period: pd.Timestamp | str | None) -> bool:
    """Whether the quarter's source gives `measure` by authority ('supported' always is)."""
    return measure_in(published_types(stats, period), measure)


def measure_in(types: frozenset[str], measure: str) -> bool:
    """Whether a quarter publishing these accommodation types gives `measure` (see measure_published)."""
    if not types:
        return False
    if measure == "supported":
        return True
    if measure == "contingency" and CONTINGENCY_ALL in types:
        return True
    needed = MEASURE_TYPES.get(measure)
    return needed is not None and all(t in types for t in needed)


def period_source(stats: pd.DataFrame, period: pd.Timestamp | str) -> str | None:
    """The source id that speaks for a quarter in the combined statistics."""
    rows = stats.loc[stats["period"] == pd.Timestamp(period), "source"]
    return None if rows.empty else str(rows.iloc[0])


def long_table(stats: pd.DataFrame, source: str) -> pd.DataFrame:
    """period, lad_code, measure, value, source: every figure one source gives by authority.

    Measures are for all support types together; a measure is listed only in quarters where the
    source publishes it (an authority without a row for a published type has 0 there).
    """
    rows = stats[stats["allocated"]]
    if rows.empty:
        return pd.DataFrame(columns=["period", "lad_code", "measure", "value", "source"])
    wide = rows.pivot_table(index=["period", "lad_code"], columns="accommodation_type", values="people",
                            aggfunc="sum", fill_value=0)
    out = [wide.sum(axis=1).rename("supported")]
    for measure in MEASURE_TYPES:
        out.append(_measure_column(wide, rows, measure))
    table = pd.concat(out, axis=1).rename_axis(columns="measure").stack().dropna().rename("value").reset_index()
    table["value"] = table["value"].astype("int64")
    table["source"] = source
    return table


def _measure_column(wide: pd.DataFrame, rows: pd.DataFrame, measure: str) -> pd.Series:
    """One measure's values, NaN in quarters whose source does not publish it."""
    by_period = rows.groupby("period")["accommodation_type"].agg(frozenset)
    needed = MEASURE_TYPES[measure]
    total = sum((wide[t] if t in wide.columns else 0) for t in needed)
    if measure == "contingency" and CONTINGENCY_ALL in wide.columns:
        total = total + wide[CONTINGENCY_ALL]
    ok = {p for p, types in by_period.items()
          if all(t in types for t in needed) or (measure == "contingency" and CONTINGENCY_ALL in types)}
    series = pd.Series(total, index=wide.index, dtype="float64") if not isinstance(total, int) else \
        pd.Series(float("nan"), index=wide.index)
    mask = wide.index.get_level_values("period").isin(list(ok))
    return series.where(mask).rename(measure)


def disagreements(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Figures two sources give for the same quarter, authority and measure that differ.

    `tables` maps source id -> its long table. Empty when every overlapping figure agrees.
    """
    cols = ["period", "lad_code", "measure", "source_a", "value_a", "source_b", "value_b"]
    found = []
    ids = [s for s in SOURCE_ORDER if s in tables and not tables[s].empty]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            joined = tables[a].merge(tables[b], on=["period", "lad_code", "measure"], suffixes=("_a", "_b"))
            bad = joined[joined["value_a"] != joined["value_b"]]
            found.append(bad.assign(source_a=a, source_b=b)[cols] if not bad.empty else None)
    found = [f for f in found if f is not None]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=cols)


def overlaps(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Count of figures compared for each pair of sources (so 'they agree' is never vacuous)."""
    out = []
    ids = [s for s in SOURCE_ORDER if s in tables and not tables[s].empty]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            n = len(tables[a].merge(tables[b], on=["period", "lad_code", "measure"]))
            out.append({"source_a": a, "source_b": b, "figures_compared": n})
    return pd.DataFrame(out, columns=["source_a", "source_b", "figures_compared"])
