"""The other Home Office schemes beside supported asylum, for every surface that shows them.

Reg_02 publishes, per council, Homes for Ukraine arrivals (cumulative since 2022), the Afghan
Resettlement Programme (people at the date, and in what housing) and the Home Office's own total of
the three pathways. They measure different things, so each figure travels with its meaning and its
source, and a withheld cell stays withheld. A quarter with no Reg_02 edition has no scheme figures:
"not published in this release", never 0 and never another quarter's figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from geo import text
from geo.regional import LABELS, MARKERS, MEANINGS, SCHEME_COLUMNS

if TYPE_CHECKING:
    from geo.model import Model

# Shown on the overview and in exports (the Afghan housing split is on the council view).
HEADLINE: tuple[str, ...] = ("ukraine_arrivals", "afghan_people", "three_pathways_total")
PER = 10_000  # residents: the rate every scheme figure is given against
NOT_PUBLISHED = "not published in this release"


@dataclass(frozen=True)
class SchemeFigure:
    """One scheme figure with what it means, per 10,000 residents, and any withheld councils."""

    key: str
    label: str
    value: float  # NaN when withheld or not published
    per_10k: float
    meaning: str
    withheld: int  # councils whose cell is a marker (the total leaves them out)

    def value_text(self) -> str:
        if pd.isna(self.value):
            return "withheld" if self.withheld else NOT_PUBLISHED
        return text.people(self.value)

    def per_10k_text(self) -> str:
        return text.number(self.per_10k, 1, missing="no estimate")


def at_period(model: Model, period: pd.Timestamp | str | None) -> pd.DataFrame:
    """Model.schemes rows for one quarter (empty when no Reg_02 edition gives it)."""
    schemes = model.schemes
    if period is None or schemes.empty:
        return schemes.iloc[0:0]
    return schemes[pd.to_datetime(schemes["period"]) == pd.Timestamp(period)]


def published_quarters(model: Model) -> list[pd.Timestamp]:
    """The quarters some Reg_02 edition gives the schemes for."""
    return sorted(pd.to_datetime(model.schemes["period"].unique())) if not model.schemes.empty else []


def lad_columns(model: Model, period: pd.Timestamp | str | None) -> pd.DataFrame:
    """lad_code plus each headline scheme, its rate per 10,000 residents and its marker, for a quarter."""
    rows = at_period(model, period)
    out = pd.DataFrame({"lad_code": rows["lad_code"]})
    for key in HEADLINE:
        value = rows[key].astype("Float64")
        out[key] = value
        out[f"{key}_per_10k"] = value / rows["population"].astype("Float64").where(rows["population"] > 0) * PER
        out[f"{key}_marker"] = rows[f"{key}_marker"]
    return out.reset_index(drop=True)


def add_to(table: pd.DataFrame, model: Model, period: pd.Timestamp | str | None) -> pd.DataFrame:
    """A council table with the headline scheme columns added (<NA> where the quarter has none)."""
    columns = lad_columns(model, period)
    table = table.drop(columns=[c for c in columns.columns if c != "lad_code" and c in table.columns])
    return table.merge(columns, on="lad_code", how="left")


def figures(model: Model, period: pd.Timestamp | str | None, lad_codes: list[str] | None = None,
            keys: tuple[str, ...] = HEADLINE) -> list[SchemeFigure]:
    """Totals over the councils named (all when None), each per 10,000 of their residents."""
    rows = at_period(model, period)
    if lad_codes is not None:
        rows = rows[rows["lad_code"].isin(lad_codes)]
    out = []
    for key in keys:
        withheld = int(rows[f"{key}_marker"].notna().sum() - (rows[f"{key}_marker"] == "").sum())
        known = rows[rows[key].notna()]
        value = float(known[key].sum()) if len(known) else float("nan")
        residents = float(known["population"].sum()) if len(known) else float("nan")
        per = value / residents * PER if residents and residents > 0 else float("nan")
        out.append(SchemeFigure(key, LABELS[key], value, per, MEANINGS[key], withheld))
    return out


def council_figures(model: Model, lad_code: str, period: pd.Timestamp | str | None) -> list[SchemeFigure]:
    """One council's schemes, the Afghan housing split included, beside its supported asylum; with
    Res_D01 loaded, its resettlement arrivals up to the quarter too."""
    out = figures(model, period, [lad_code], keys=(*SCHEME_COLUMNS, "supported_asylum"))
    res = resettlement(model, period, lad_code)
    return out + ([res] if res is not None else [])


def resettlement(model: Model, period: pd.Timestamp | str | None, lad_code: str) -> SchemeFigure | None:
    """Res_D01 arrivals to one council summed over the file's quarters up to `period` (None if not loaded)."""
    from geo.regional import resettled_to

    if model.resettlement is None or period is None:
        return None
    rows = model.resettlement[model.resettlement["lad_code"] == lad_code]
    summed = resettled_to(rows, period)
    value = float(summed["resettlement_arrivals"].iloc[0]) if len(summed) and summed[
        "resettlement_arrivals"].notna().iloc[0] else float("nan")
    withheld = int(rows.loc[pd.to_datetime(rows["period"]) <= pd.Timestamp(period), "arrivals_marker"]
                   .isin(list(MARKERS)).sum())
    residents = model.lads.set_index("lad_code")["population"].get(lad_code, float("nan"))
    per = value / residents * PER if pd.notna(residents) and residents > 0 else float("nan")
    return SchemeFigure("resettlement_arrivals", LABELS["resettlement_arrivals"], value, per,
                        MEANINGS["resettlement_arrivals"], withheld)


def source_line(model: Model, period: pd.Timestamp | str | None) -> str:
    """'Source: Home Office, Reg_02 (file, as at ...)' for the edition giving a quarter's schemes."""
    rows = at_period(model, period)
    if rows.empty:
        quarters = published_quarters(model)
        given = ", ".join(text.quarter_label(q) for q in quarters) or "no quarter (no Reg_02 file loaded)"
        return f"Other schemes come from Reg_02, loaded for {given}."
    first = rows.iloc[0]
    return f"Source: Home Office, Reg_02 ({first['file']}, {first['release']})."
